"""A hostile value case in the Voilà app and in JupyterLab: its text shows, no script runs.

The case's name, customer, currency, units, sources, statement and line names (and, in
JupyterLab, CRM products and a plan's names) carry ``<img src=x onerror=...>`` and ``<svg
onload=...>`` payloads that would set ``window.__pwned`` and change ``document.title`` if the
browser ever read them as markup.
"""

from __future__ import annotations

import json

import pytest
import yaml

from .conftest import REPO, screenshot, serve_voila

APP = REPO / "salesworkbench" / "apps" / "value_case.ipynb"
IMG = '<img src=x onerror="window.__pwned=1">'
SVG = "<svg onload=\"document.title='PWNED'\">"
SCRIPT = "<script>window.__pwned=3</script>"


def hostile_case() -> dict:
    return {
        "name": f"Acme {IMG}",
        "customer": f"Beta {SVG}",
        "currency": "<b>GBP</b>",
        "horizon_years": 3,
        "statement": {"goal": f"grow {IMG}", "capability": SVG, "as_a_result_of": SCRIPT},
        "assumptions": {
            "users": {
                "dist": "pert",
                "min": 900,
                "mode": 1000,
                "max": 1300,
                "unit": IMG,
                "source": SVG,
            },
            "price": {"dist": "uniform", "min": 10, "max": 30, "unit": SCRIPT, "source": IMG},
            "cost": {"dist": "normal", "mean": 20000, "sd": 3000, "source": SVG},
        },
        "benefits": [{"name": f"Revenue {IMG}", "formula": "users * price", "years": [1, 2, 3]}],
        "investments": [{"name": f"Set-up {SVG}", "formula": "cost", "year": 0}],
    }


NO_SCRIPT_RAN = (
    "() => ({pwned: window.__pwned === undefined ? null : window.__pwned, title: document.title})"
)


def assert_no_script_ran(page, title_before: str) -> None:
    state = page.evaluate(NO_SCRIPT_RAN)
    assert state["pwned"] is None, f"a payload ran: window.__pwned = {state['pwned']}"
    assert state["title"] == title_before and "PWNED" not in state["title"], state


def assert_the_payload_is_live(page) -> None:
    """Control: the same payload, put into the page as markup, does run in this browser."""
    page.evaluate(
        "(html) => { const d = document.createElement('div'); d.innerHTML = html;"
        " document.body.appendChild(d); }",
        IMG.replace("__pwned", "__control"),
    )
    page.wait_for_function("() => window.__control === 1", timeout=10_000)


@pytest.fixture(scope="module")
def hostile_voila(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("voila_hostile")
    case = workdir / "hostile.yaml"
    case.write_text(yaml.safe_dump(hostile_case(), sort_keys=False), encoding="utf-8")
    yield from serve_voila(APP, case, workdir, trials=5000)


def test_hostile_case_in_voila(hostile_voila, page):
    page.goto(hostile_voila, wait_until="domcontentloaded", timeout=120_000)
    page.locator(".widget-slider").first.wait_for(state="visible", timeout=120_000)
    page.wait_for_timeout(1500)
    title = page.title()
    text = page.locator("body").inner_text()
    assert "Acme <img src=x" in text  # the name is shown, as text
    assert "<svg onload=" in text and "<b>GBP</b>" in text
    assert page.locator("img[src='x'], svg[onload]").count() == 0  # no element was made
    assert_no_script_ran(page, title)
    handle = page.locator(".widget-slider .noUi-handle").first  # an update redraws the text
    handle.focus()
    for _ in range(3):
        handle.press("PageDown")
    page.wait_for_timeout(3000)
    assert page.locator("img[src='x'], svg[onload]").count() == 0
    assert_no_script_ran(page, title)
    screenshot(page, "hostile_case_voila")
    assert_the_payload_is_live(page)


NOTEBOOK_CELLS = [
    "import json, warnings\nwarnings.simplefilter('ignore')\n"
    "from salesworkbench.value import ValueCase\n"
    "from salesworkbench.apps.value_case_app import ValueCaseApp\n"
    "from salesworkbench.ui import PilotPlanner, WinRateBrowser\n"
    "case = ValueCase.from_dict(json.loads({case!r}))",
    "ValueCaseApp(case, trials=3000)",
    "PilotPlanner(case, trials=2000)",
    "import pandas as pd\n"
    "opps = pd.DataFrame({{'status': ['won', 'lost', 'won'], "
    "'product': [{img!r}, {svg!r}, 'Core'], 'segment': ['a', 'b', {script!r}]}})\n"
    "WinRateBrowser(opps)",
    "from IPython.display import Markdown, display\n"
    "from salesworkbench.datasets import data_path\n"
    "from salesworkbench.plans import load_plan\n"
    "from salesworkbench.plans.rendering import to_markdown\n"
    "plan = load_plan(data_path('plans/opportunity_plan_example.yaml'))\n"
    "plan.name = 'Deal ' + {img!r}\n"
    "plan.owner = {svg!r}\n"
    "display(Markdown(to_markdown(plan, charts=False)))",
]


def write_notebook(path) -> None:
    fill = {
        "case": json.dumps(hostile_case()),
        "img": IMG,
        "svg": SVG,
        "script": SCRIPT,
    }
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": src.format(**fill),
        }
        for src in NOTEBOOK_CELLS
    ]
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


def test_hostile_case_in_jupyterlab(lab, workdir, page):
    from .test_notebooks_in_lab import RUN_ALL

    write_notebook(workdir / "notebooks" / "zz_hostile.ipynb")
    page.goto(f"{lab}/lab/tree/notebooks/zz_hostile.ipynb?reset", wait_until="domcontentloaded")
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.context.path.endsWith('zz_hostile.ipynb'); }",
        timeout=90_000,
    )
    title = page.title()
    result = page.evaluate(RUN_ALL)
    assert result["unexecuted"] == 0 and result["errors"] == [], result
    page.locator(".widget-slider").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(3000)
    text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").inner_text()
    assert "Acme <img src=x" in text and "<svg onload=" in text  # shown, as text
    assert "Deal <img src=x" in text  # the plan's Markdown, escaped
    assert page.locator(".jp-OutputArea img[src='x'], .jp-OutputArea svg[onload]").count() == 0
    assert_no_script_ran(page, title)
    screenshot(page, "hostile_case_lab")
    assert_the_payload_is_live(page)
