"""Script injection: every app built from hostile text shows it as text, never as markup.

A case named ``Acme <img src=x onerror=...>`` (or a CRM account, owner, product, stage or
segment holding such text) is built into every app; then every widget is walked (``children``
recursively) and every place a browser reads as HTML is checked for a raw tag: the ``value`` of
``HTML``/``HTMLMath`` widgets, descriptions that allow HTML, and the ``text/html`` and
``text/markdown`` outputs of ``Output`` widgets.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")

from salesworkbench.errors import DataWarning
from salesworkbench.value import ValueCase

IMG = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=1</script>"
RAW_TAG = re.compile(r"<\s*/?\s*(img|script|svg|iframe|object|embed)\b", re.I)
TESTS = Path(__file__).resolve().parent.parent


def _fixtures(name: str):
    spec = importlib.util.spec_from_file_location(f"_hostile_{name}", TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hostile_case_dict() -> dict:
    return {
        "name": f"Acme {IMG}",
        "customer": f"Beta {SCRIPT}",
        "currency": "<b>GBP</b>",
        "horizon_years": 3,
        "discount_rate": 0.1,
        "statement": {"goal": f"grow {IMG}", "capability": SCRIPT, "as_a_result_of": IMG},
        "assumptions": {
            "users": {
                "dist": "pert",
                "min": 900,
                "mode": 1000,
                "max": 1300,
                "unit": IMG,
                "source": SCRIPT,
                "note": IMG,
            },
            "price": {"dist": "uniform", "min": 10, "max": 30, "unit": SCRIPT, "source": IMG},
            "cost": {"dist": "normal", "mean": 20000, "sd": 3000, "source": IMG},
        },
        "benefits": [{"name": f"Revenue {IMG}", "formula": "users * price", "years": [1, 2, 3]}],
        "investments": [{"name": f"Set-up {SCRIPT}", "formula": "cost", "year": 0}],
    }


def raw_tags(widget, where: str = "app") -> list[str]:
    """Every place under ``widget`` where a browser would read a raw tag as markup."""
    found = []
    if isinstance(widget, widgets.HTML | widgets.HTMLMath) and RAW_TAG.search(widget.value):
        found.append(f"{where}: {type(widget).__name__}.value {widget.value[:200]!r}")
    if getattr(widget, "description_allow_html", False) and RAW_TAG.search(
        widget.description or ""
    ):
        found.append(f"{where}: description {widget.description!r}")
    if isinstance(widget, widgets.Output):
        for i, out in enumerate(widget.outputs):
            data = out.get("data", {})
            for mime in ("text/html", "text/markdown"):
                if RAW_TAG.search(data.get(mime, "")):
                    found.append(f"{where}: Output[{i}] {mime} {data[mime][:200]!r}")
            if out.get("output_type") == "stream" and RAW_TAG.search(out.get("text", "")):
                pass  # a stream is shown as text
    for i, child in enumerate(getattr(widget, "children", ()) or ()):
        found.extend(raw_tags(child, f"{where}/{type(child).__name__}[{i}]"))
    return found


def count_widgets(widget) -> int:
    return 1 + sum(count_widgets(c) for c in getattr(widget, "children", ()) or ())


def shown_escaped(widget) -> bool:
    """Whether the hostile text reached the page at all (escaped): the walk saw it."""
    texts = []

    def collect(w):
        if isinstance(w, widgets.HTML | widgets.HTMLMath):
            texts.append(w.value)
        if isinstance(w, widgets.Output):
            for out in w.outputs:
                texts.extend(str(v) for v in out.get("data", {}).values())
        for c in getattr(w, "children", ()) or ():
            collect(c)

    collect(widget)
    return any("&lt;img" in t or "&lt;script" in t for t in texts)


def test_the_detector_finds_a_raw_tag():
    box = widgets.VBox([widgets.HTML(IMG), widgets.Output()])
    box.children[1].outputs = ({"output_type": "display_data", "data": {"text/html": SCRIPT}},)
    assert len(raw_tags(box)) == 2
    assert raw_tags(widgets.HTML("&lt;img src=x onerror=...&gt;")) == []


@pytest.fixture(scope="module")
def case():
    return ValueCase.from_dict(hostile_case_dict())


def test_value_explorer(case):
    from salesworkbench.ui import ValueCaseExplorer

    app = ValueCaseExplorer(case, trials=2_000, draw=True)
    assert not raw_tags(app.widget)
    assert shown_escaped(app.widget)
    app.controls[next(iter(app.controls))].value = app.controls[next(iter(app.controls))].value
    assert not raw_tags(app.widget)


def test_pilot_planner(case):
    from salesworkbench.ui import PilotPlanner

    app = PilotPlanner(case, trials=2_000, draw=True)
    assert count_widgets(app.widget) > 5
    assert not raw_tags(app.widget)
    assert shown_escaped(app.widget)


def test_voila_app(case, tmp_path):
    from salesworkbench.apps.value_case_app import ValueCaseApp

    app = ValueCaseApp(case, trials=2_000)
    assert count_widgets(app.widget) > 5
    assert not raw_tags(app.widget)
    assert shown_escaped(app.widget)
    # a file that cannot be read: the error (which quotes the file) is escaped too
    bad = tmp_path / f"{'x' * 3}.yaml"
    bad.write_text(f"name: {IMG}\nname: again\n", encoding="utf-8")
    error = ValueCaseApp.from_file(bad)
    assert "appears twice" in error.message and not raw_tags(error.widget)


def hostile_crm():
    crm = _fixtures("test_forecast_explorer").crm(400)
    crm["account"] = [f"Acct {i} {IMG}" for i in range(len(crm))]
    crm["owner"] = np.where(crm["owner"] == "Ann", f"Ann {SCRIPT}", f"Bob {IMG}")
    crm["product"] = f"Core {IMG}"
    crm["segment"] = np.where(crm["segment"] == "SMB", f"SMB {IMG}", f"Ent {SCRIPT}")
    crm["stage"] = crm["stage"].replace({"Proposal": f"Proposal {IMG}"})
    return crm


def test_forecast_explorer():
    from salesworkbench.ui import ForecastExplorer

    AS_OF = _fixtures("test_forecast_explorer").AS_OF
    for grouping in ("none", "segment", "owner"):
        app = ForecastExplorer(
            hostile_crm(), as_of=AS_OF, grouping=grouping, trials=200, seed=1, draw=True
        )
        assert not raw_tags(app.widget), grouping


def test_win_rate_browser():
    from salesworkbench.ui import WinRateBrowser

    crm = hostile_crm()
    app = WinRateBrowser(crm, draw=True)
    for grouping in app.controls["group_by"].options:
        app.controls["group_by"].value = grouping
        assert not raw_tags(app.widget), grouping


def test_territory_explorer():
    from salesworkbench.ui import TerritoryExplorer

    rng = np.random.default_rng(7)
    accounts = _fixtures("test_territory_explorer").accounts.__wrapped__()
    accounts["name"] = [f"Company {i} {IMG}" for i in range(len(accounts))]
    accounts["owner"] = rng.choice([f"ann {SCRIPT}", f"bob {IMG}"], len(accounts))
    accounts["sector"] = rng.choice([f"Tech {IMG}", "Retail"], len(accounts))
    app = TerritoryExplorer(accounts, draw=True, label_top=5)
    assert not raw_tags(app.widget)


def test_team_explorer():
    from salesworkbench.team import analyse_team
    from salesworkbench.ui import TeamExplorer

    team = _fixtures("test_team")
    opp, hist, reps = team.make_team(n=300)
    rename = {r: f"{r} {IMG}" for r in reps["rep"]} if "rep" in reps else {}
    for frame in (opp, hist, reps):
        for column in ("owner", "rep"):
            if column in frame:
                frame[column] = frame[column].map(lambda r: rename.get(r, f"{r} {IMG}"))
    opp["product"] = opp["product"].astype(str) + f" {SCRIPT}"
    opp["account"] = opp["account"].astype(str) + f" {IMG}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an = analyse_team(opp, hist, reps, as_of=team.AS_OF, stage_order=team.STAGES)
        app = TeamExplorer(an, opp, prize_trials=100, draw=True)
    assert not raw_tags(app.widget)


def test_plan_checks_browser(tmp_path):
    from salesworkbench.datasets import AS_OF, data_path
    from salesworkbench.plans import load_plan
    from salesworkbench.ui import PlanChecksBrowser

    account = load_plan(data_path("plans/account_plan_example.yaml"))
    opportunity = load_plan(data_path("plans/opportunity_plan_example.yaml"))
    account.name = f"Acme {IMG}"
    opportunity.name = f"Deal {SCRIPT}"
    app = PlanChecksBrowser([account], [opportunity], as_of=pd.Timestamp("2030-01-01"), draw=True)
    for check in app.controls["check"].options:
        app.controls["check"].value = check
        assert not raw_tags(app.widget), check
    assert AS_OF is not None
