"""ValueCaseExplorer driven as a user would, without a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesworkbench.ui.value_explorer import NEGOTIATION_CONTROLS, ValueCaseExplorer
from salesworkbench.value import ValueCase

TELECOM = Path(__file__).resolve().parents[1] / "data" / "value_cases" / "telecom_arpu.yaml"


@pytest.fixture
def case():
    return ValueCase.from_yaml(TELECOM)


def test_controls_built_from_the_uncertain_assumptions(case):
    app = ValueCaseExplorer(case, trials=5_000)
    uncertain = [n for n, a in case.assumptions.items() if not a.dist.is_fixed]
    assert set(app.controls) == set(uncertain) | {"trials", *NEGOTIATION_CONTROLS}
    plain = ValueCaseExplorer(case, trials=5_000, draw=False, negotiation=False)
    assert set(plain.controls) == set(uncertain) | {"trials"} and plain.tabs is None
    assert "negotiation" not in plain.result and "negotiation" not in plain.params
    assert app.result["simulation"].trials == 5_000
    assert 0.0 <= app.result["prob_positive"] <= 1.0
    assert app.result["statement"].startswith("We believe")
    assert list(app.result["tornado"].index)[0] in uncertain


def test_moving_a_range_resimulates_with_the_new_range(case):
    app = ValueCaseExplorer(case, trials=5_000, draw=False)
    before = app.result["summary"].loc["value", "mean"]
    spec = case.assumptions["arpu_after"].dist.spec
    new = (float(spec["min"]) - 2.0, float(spec["max"]) - 2.0)
    app.controls["arpu_after"].value = new
    simulated = app.result["case"].assumptions["arpu_after"].dist.spec
    assert (simulated["min"], simulated["max"]) == pytest.approx(new)
    assert app.params["assumptions"]["arpu_after"]["min"] == pytest.approx(new[0])
    assert app.result["summary"].loc["value", "mean"] < before
    # the most likely value was kept inside the new range
    assert new[0] <= simulated["mode"] <= new[1]
    # the original case is untouched
    assert case.assumptions["arpu_after"].dist.spec["min"] == spec["min"]


def test_sd_slider_and_trials(case):
    app = ValueCaseExplorer(case, trials=5_000)
    sd = app.controls["node_cost"].value
    app.controls["node_cost"].value = 2 * sd
    assert app.result["case"].assumptions["node_cost"].dist.spec["sd"] == pytest.approx(2 * sd)
    app.controls["trials"].value = 8_000
    assert app.result["simulation"].trials == 8_000
    assert app.params["trials"] == 8_000


def test_same_settings_same_result(case):
    a = ValueCaseExplorer(case, trials=5_000, seed=1, draw=False)
    b = ValueCaseExplorer(case, trials=5_000, seed=1, draw=False)
    assert a.result["prob_positive"] == b.result["prob_positive"]


def test_a_squeezed_range_is_reported_not_raised(case):
    app = ValueCaseExplorer(case, trials=5_000, draw=False)
    good = app.result["prob_positive"]
    app.controls["adoption"].value = (0.7, 0.7)
    assert "'adoption'" in app.result["error"] and "min" in app.result["error"]
    assert "adoption" in app.headline.value
    assert app.result["prob_positive"] == good  # the last good result is kept
    app.controls["adoption"].value = (0.5, 0.9)
    assert "error" not in app.result
    assert app.result["case"].assumptions["adoption"].dist.spec["min"] == pytest.approx(0.5)


def test_draws_through_plotting_into_one_kept_figure(case):
    app = ValueCaseExplorer(case, trials=5_000)
    fig = app._fig
    ax_h, ax_t = fig.axes
    assert any(p.get_gid() == "value:positive" for p in ax_h.patches)  # plot_value_distribution
    assert any(p.get_gid() == "tornado:high" for p in ax_t.patches)  # plot_tornado
    assert "image/png" in app.out.outputs[0]["data"]
    before = app.out.outputs[0]["data"]["image/png"]
    app.set(adoption=(0.3, 0.6), trials=6_000)
    assert app._fig is fig and app.result["simulation"].trials == 6_000
    assert app.out.outputs[0]["data"]["image/png"] != before
    assert f"{app.result['prob_positive']:.0%}" in ax_h.get_title()


def test_defaults_and_settings_that_come_back(case):
    from salesworkbench.defaults import VALUE_TRIALS

    app = ValueCaseExplorer(case, draw=False)
    assert app.params["trials"] == VALUE_TRIALS and f"{VALUE_TRIALS:,} trials" in app.headline.value
    assert app.current_case() is case  # nothing moved: the case itself
    original = app.controls["arpu_after"].value
    app.controls["arpu_after"].value = (20.0, 25.0)
    assert app.params["assumptions"]["arpu_after"]["mode"] == 25.0  # kept inside the range
    app.controls["arpu_after"].value = original
    assert app.params["assumptions"]["arpu_after"]["mode"] == 26  # the file's mode again
    assert app.result["case"] is case
