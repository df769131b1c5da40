"""Markdown and HTML documents built from hostile text show it as text.

Account and opportunity plans, territory plans and the value report are filled with
``<img onerror>`` and ``<script>`` payloads in every text field; no raw tag may come out.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from salesworkbench.datasets import data_path
from salesworkbench.plans import load_plan
from salesworkbench.plans.rendering import to_html, to_markdown
from salesworkbench.value import ValueCase

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_hostile_widgets", HERE / "test_widgets_escape.py")
_w = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_w)
IMG, SCRIPT, RAW_TAG = _w.IMG, _w.SCRIPT, _w.RAW_TAG


def poison(obj, counter: list[int]):
    """Append a payload to every text field of a plan record (recursively); count them."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, str) and f.type in ("str", str, "str | None"):
                counter[0] += 1
                setattr(obj, f.name, f"{value} {IMG if counter[0] % 2 else SCRIPT}")
            else:
                poison(value, counter)
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            if isinstance(item, str):
                counter[0] += 1
                obj[i] = f"{item} {SCRIPT}"
            else:
                poison(item, counter)


@pytest.mark.parametrize("name", ["account_plan_example", "opportunity_plan_example"])
def test_plans_markdown_and_html(name):
    plan = load_plan(data_path(f"plans/{name}.yaml"))
    counter = [0]
    poison(plan, counter)
    assert counter[0] > 20  # the payload went into many fields
    md = to_markdown(plan, charts=False)
    html = to_html(plan, charts=False)
    assert "&lt;img" in md + html  # the text is shown, as text
    assert not RAW_TAG.search(md), RAW_TAG.search(md)
    assert not RAW_TAG.search(html), RAW_TAG.search(html)


def test_territory_plan_markdown_and_html():
    from salesworkbench.ui import TerritoryExplorer

    accounts = _w._fixtures("test_territory_explorer").accounts.__wrapped__()
    accounts["name"] = [f"Company {i} {IMG}" for i in range(len(accounts))]
    accounts["sector"] = f"Tech {SCRIPT}"
    plan = TerritoryExplorer(accounts, draw=False).plan(name=f"FY27 {IMG}")
    for text in (plan.to_markdown(), plan.to_html()):
        assert "&lt;" in text and not RAW_TAG.search(text)


def test_value_report_html(tmp_path):
    from salesworkbench.report import value_report

    case = ValueCase.from_dict(_w.hostile_case_dict())
    rep = value_report(
        case, out=tmp_path / "r.html", trials=2_000, pdf=False, sobol_n=2**8, pilot_trials=500
    )
    html = Path(rep.html).read_text(encoding="utf-8")
    assert "&lt;img" in html
    # the report has figures as <img> tags of its own: look for the payloads themselves
    found = re.search(r"<img src=x|<script>window", html)
    assert not found, html[max(found.start() - 200, 0) : found.end() + 50] if found else ""
