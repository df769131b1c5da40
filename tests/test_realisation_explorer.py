"""RealisationExplorer driven as a user would, without a browser: its numbers are the core's."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from salesworkbench.ui import RealisationExplorer
from salesworkbench.value import ValueCase, VersionStore, case_distribution, realisation

TELECOM = Path(__file__).resolve().parents[1] / "data" / "value_cases" / "telecom_arpu.yaml"
TRIALS = 5_000
SEED = 3
ACTUALS = {"users": 104_000, "arpu_after": 25.1, "margin": 0.53, "adoption": 0.66,
           "node_cost": 2_150_000}  # fmt: skip
LINE = "benefit:Profit from ARPU uplift"


@pytest.fixture(scope="module")
def case():
    return ValueCase.from_yaml(TELECOM)


@pytest.fixture(scope="module")
def store(case, tmp_path_factory):
    store = VersionStore(tmp_path_factory.mktemp("versions") / "v.sqlite")
    straw = case.with_assumption("adoption", {"dist": "uniform", "min": 0.3, "max": 0.9})
    straw.save_version(store, "straw-man", date="2026-01-15")
    case.save_version(store, "signed", date="2026-07-20")
    return store


def assert_matches_core(app, case, actuals, name, years=1):
    """The app's numbers are those of realisation() on the same case and actuals."""
    core = realisation(case, actuals, TRIALS, SEED, years=years)
    row = core.table.loc[name]
    r = app.result
    assert r["message"] == ""
    for key in ("actual", "percentile", "p10", "p50", "p90"):
        assert r[key] == pytest.approx(float(row[key]), rel=1e-12, abs=1e-12), key
    assert r["inside"] == bool(row["inside"])
    assert (r["value_to_date"] is None) == (core.value_to_date is None)
    if core.value_to_date is not None:
        assert r["value_to_date"] == pytest.approx(core.value_to_date, rel=1e-12)
    assert list(r["table"].index) == list(core.table.index)


def test_opens_on_the_last_version_and_the_first_reported_actual(store, case):
    app = RealisationExplorer(store, ACTUALS, TRIALS, SEED, draw=False)
    assert app.controls["version"].options == ("v1 2026-01-15: straw-man", "v2 2026-07-20: signed")
    assert app.params["version"] == "v2 2026-07-20: signed"
    assert app.params["name"] == "users" and app.params["actual"] == ACTUALS["users"]
    keys = [k for _, k in app.controls["name"].options]
    uncertain = [n for n, a in case.assumptions.items() if not a.dist.is_fixed]
    assert keys[: len(uncertain)] == uncertain and LINE in keys
    assert_matches_core(app, case, ACTUALS, "users")


def test_typing_and_sliding_the_actual_give_the_cores_numbers(store, case):
    app = RealisationExplorer(store, ACTUALS, TRIALS, SEED, name="adoption", draw=False)
    app.controls["actual"].value = 0.95
    assert_matches_core(app, case, {**ACTUALS, "adoption": 0.95}, "adoption")
    assert app.controls["actual_slider"].value == pytest.approx(0.95)
    app.controls["actual_slider"].value = 0.7
    assert app.controls["actual"].value == pytest.approx(0.7)
    assert_matches_core(app, case, {**ACTUALS, "adoption": 0.7}, "adoption")
    app.set(actual_slider=0.72)
    assert app.params["actual"] == pytest.approx(0.72)
    # an actual far outside the case's range: the slider widens to hold it, percentile 0
    app.set(actual=0.01)
    assert app.result["percentile"] == 0.0 and not app.result["inside"]
    assert app.controls["actual_slider"].min <= 0.01 <= app.controls["actual_slider"].max


def test_a_line_and_a_version_and_years(store, case):
    app = RealisationExplorer(store, ACTUALS, TRIALS, SEED, draw=False)
    app.controls["name"].value = LINE  # not reported: starts at the case's median
    median = float(np.median(case_distribution(case, LINE, TRIALS, SEED)))
    assert app.params["actual"] == pytest.approx(median, rel=1e-3)
    app.controls["actual"].value = 1_500_000.0
    assert_matches_core(
        app, case, {**ACTUALS, LINE: 1_500_000.0}, "benefit: Profit from ARPU uplift"
    )
    straw = store.load(1).case
    app.controls["version"].value = "v1 2026-01-15: straw-man"
    assert app.params["name"] == LINE and app.params["actual"] == 1_500_000.0
    assert_matches_core(
        app, straw, {**ACTUALS, LINE: 1_500_000.0}, "benefit: Profit from ARPU uplift"
    )
    app.set(name="adoption", years=2)  # a new name brings its reported actual
    assert app.params["actual"] == ACTUALS["adoption"]
    assert_matches_core(app, straw, ACTUALS, "adoption", years=2)


def test_one_simulation_per_version_and_slider_moves_do_not_simulate(store, monkeypatch):
    app = RealisationExplorer(store, ACTUALS, TRIALS, SEED, name="adoption", draw=False)
    calls = []
    real = ValueCase.simulate
    monkeypatch.setattr(
        ValueCase, "simulate", lambda self, *a, **k: calls.append(1) or real(self, *a, **k)
    )
    for x in (0.6, 0.7, 0.8):
        app.controls["actual_slider"].value = x
    app.set(name=LINE)
    assert calls == []
    app.set(version=app.controls["version"].options[0])
    app.set(version=app.controls["version"].options[1])
    assert len(calls) == 1  # the straw-man, once; the signed case was kept
    assert app.simulation() is app.simulation(app.params["version"])


def test_a_single_case_no_actuals_and_no_value_to_date(case):
    app = RealisationExplorer(case, trials=TRIALS, seed=SEED, draw=False)
    assert app.controls["version"].options == (case.name,)
    name = next(n for n, a in case.assumptions.items() if not a.dist.is_fixed)
    assert app.params["name"] == name
    assert app.result["value_to_date"] is None
    assert "no value to date" in app.headline.value
    assert_matches_core(app, case, {name: app.params["actual"]}, name)


def test_bad_input_is_reported_not_raised(case):
    app = RealisationExplorer(case, ACTUALS, TRIALS, SEED, draw=False)
    app.set(actual=math.nan)
    assert "finite" in app.result["message"] and "color:#c0504d" in app.headline.value
    app.set(actual=100_000.0)
    assert app.result["message"] == ""
    before = dict(app.params)
    with pytest.raises(KeyError, match="no control 'nope'"):
        app.set(actual=1.0, nope=2)
    assert app.controls["actual"].value == before["actual"]


def test_draws_the_distribution_and_the_table(case):
    app = RealisationExplorer({"signed": case}, ACTUALS, TRIALS, SEED, name="adoption")
    assert app.out.outputs and "image/png" in app.out.outputs[0]["data"]
    first = app.out.outputs[0]["data"]["image/png"]
    assert "text/html" in app.table_out.outputs[0]["data"]
    app.controls["actual_slider"].value = 0.9
    assert app.out.outputs[0]["data"]["image/png"] != first


def test_plot_actual_in_range_returns_its_axes(case):
    import matplotlib.pyplot as plt

    from salesworkbench.plotting.versions import plot_actual_in_range

    real = realisation(case, {"adoption": 0.2}, TRIALS, SEED)
    fig, ax = plt.subplots()
    sample = case_distribution(case, "adoption", TRIALS, SEED)
    assert plot_actual_in_range(sample, real.table.loc["adoption"], "adoption", ax=ax) is ax
    assert "outside" in ax.get_title()
    plt.close(fig)


def html_values(widget) -> list[str]:
    """The values of every HTML widget inside ``widget`` (what the browser sets as innerHTML)."""
    import ipywidgets as widgets

    if isinstance(widget, widgets.HTML | widgets.HTMLMath):
        return [widget.value]
    return [v for child in getattr(widget, "children", ()) for v in html_values(child)]


def test_user_text_is_escaped_in_every_html_widget(tmp_path):
    evil = "<img src=x onerror=alert(1)>"
    case = ValueCase.from_dict(
        {
            "name": evil,
            "customer": evil,
            "currency": "GBP",
            "assumptions": {
                "fee": {"dist": "fixed", "value": 10, "unit": "<script>x()</script>"},
                "u": {"dist": "uniform", "min": 5, "max": 20, "unit": evil},
            },
            "benefits": [{"name": evil, "formula": "u"}],
            "investments": [{"name": "i", "formula": "fee"}],
        }
    )
    case.save_version(tmp_path / "v.sqlite", evil, date="2026-01-01")
    app = RealisationExplorer(VersionStore(tmp_path / "v.sqlite"), {"u": 7.0}, 2_000)
    for name in ("u", f"benefit:{evil}"):
        app.set(name=name)
        for text in html_values(app.widget):
            assert "<img" not in text and "<script" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in app.headline.value
        table = app.table_out.outputs[0]["data"]["text/html"]
        assert "<img" not in table
