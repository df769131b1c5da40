"""ValueCaseExplorer driven as a user would, without a browser."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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


# ------------------------------------------------------------------ the negotiation tab
TRIALS = 8_000


@pytest.fixture
def ours(case):
    """Our offer: the node cost fixed at our quote (a price is a decision, not an uncertainty)."""
    return case.with_assumption("node_cost", {"dist": "fixed", "value": 2e6, "unit": "GBP"})


def test_negotiation_tab_shows_what_the_core_computes(ours):
    from salesworkbench.value import break_even, stress_table, walk_away

    app = ValueCaseExplorer(ours, trials=TRIALS, seed=3, draw=False, bounds={"adoption": (0, 1)})
    assert app.controls["negotiation.price"].value == "node_cost"  # the assumption in GBP
    assert app.controls["negotiation.assumption"].value == "arpu_after"  # top of the tornado
    app.set(negotiation__assumption="adoption", negotiation__target=0.7)
    assert app.params["negotiation"] == {"assumption": "adoption", "price": "node_cost",
                                         "target": 0.7}  # fmt: skip
    neg = app.result["negotiation"]
    be = break_even(ours, "adoption", trials=TRIALS, seed=3, bounds=(0, 1))
    wa = walk_away(ours, "node_cost", 0.7, trials=TRIALS, seed=3)
    st = stress_table(ours, trials=TRIALS, seed=3)
    assert neg["break_even"].found and neg["break_even"].value == be.value
    assert neg["walk_away"].found and neg["walk_away"].value == wa.value
    pd.testing.assert_frame_equal(neg["stress_table"].summary, st.summary)
    assert neg["errors"] == []
    # the common draws are the trials the explorer simulated
    sim_mean = app.result["summary"].loc["value", "mean"]
    assert neg["draws"].outputs("value").mean() == pytest.approx(sim_mean, rel=1e-12)
    # the headline says it in words, with the figures of the core
    text = app.neg_headline.value
    assert be.sentence in text and wa.sentence in text
    assert "adoption is rank-correlated with arpu_after" in text  # the core's note
    assert st.summary.loc[0, "assumption"] in app.neg_table.value


def test_target_slider_moves_the_walk_away_without_resimulating(ours):
    app = ValueCaseExplorer(ours, trials=TRIALS, draw=False)
    sim, draws = app.result["simulation"], app.result["negotiation"]["draws"]
    at_80 = app.result["negotiation"]["walk_away"].value
    app.controls["negotiation.target"].value = 0.9  # a user drags the target slider
    assert app.result["simulation"] is sim  # the explorer's simulation is kept
    assert app.result["negotiation"]["draws"] is draws  # and the common draws re-used
    at_90 = app.result["negotiation"]["walk_away"].value
    assert at_90 < at_80  # a safer target: a lower price
    app.controls["negotiation.target"].value = 0.8
    assert app.result["negotiation"]["walk_away"].value == at_80


def test_moving_an_assumption_moves_the_break_even(ours):
    from salesworkbench.value import break_even

    app = ValueCaseExplorer(ours, trials=TRIALS, draw=False, bounds={"adoption": (0, 1)})
    app.set(negotiation__assumption="adoption")
    before = app.result["negotiation"]["break_even"].value
    app.controls["arpu_after"].value = (23.0, 26.0)  # a more cautious ARPU
    moved = app.result["case"]
    after = app.result["negotiation"]["break_even"]
    assert after.value > before  # lower ARPU: more adoption needed to break even
    assert after.value == break_even(moved, "adoption", trials=TRIALS, bounds=(0, 1)).value


def test_a_refusal_of_the_core_is_shown_not_raised():
    from salesworkbench.value import ValueCase

    hump = ValueCase.from_dict(
        {
            "name": "hump",
            "currency": "GBP",
            "assumptions": {
                "x": {"dist": "uniform", "min": 0, "max": 1},
                "e": {"dist": "normal", "mean": 0, "sd": 0.2},
            },
            "benefits": [{"name": "b", "formula": "4 * x * (1 - x) + e"}],
            "investments": [{"name": "i", "formula": "0.8"}],
        }
    )
    app = ValueCaseExplorer(hump, trials=5_000, price="x", assumption="x")
    neg = app.result["negotiation"]
    assert neg["walk_away"] is None and "not monotone" in neg["errors"][0]
    assert "not monotone" in app.neg_headline.value
    assert neg["break_even"] is not None and neg["stress_table"] is not None
    app.tabs.selected_index = 1  # the figure draws what there is
    assert "image/png" in app.neg_out.outputs[0]["data"]


def test_a_squeezed_range_is_reported_in_the_negotiation_tab_too(ours):
    app = ValueCaseExplorer(ours, trials=5_000, draw=False)
    app.controls["adoption"].value = (0.7, 0.7)
    assert "adoption" in app.neg_headline.value and "error" in app.result


def test_negotiation_figure_draws_when_the_tab_shows(ours):
    app = ValueCaseExplorer(ours, trials=5_000)
    assert app.neg_out.outputs == ()  # hidden tab: not drawn yet
    app.tabs.selected_index = 1
    ax_b, ax_w, ax_s = app._neg_fig.axes
    assert ax_b.get_title().startswith("Break-even") and ax_w.get_title().startswith("Walk-away")
    before = app.neg_out.outputs[0]["data"]["image/png"]
    app.set(negotiation__target=0.95)
    after = app.neg_out.outputs[0]["data"]["image/png"]
    assert after != before
    fig = app._neg_fig
    app.controls["margin"].value = (0.4, 0.5)  # the explorer's sliders redraw this tab too
    assert app._neg_fig is fig and app.neg_out.outputs[0]["data"]["image/png"] != after


def test_negotiation_settings_are_checked(ours):
    from salesworkbench.errors import ValueCaseError

    with pytest.raises(ValueCaseError, match="price 'fee'"):
        ValueCaseExplorer(ours, trials=5_000, draw=False, price="fee")
    with pytest.raises(ValueCaseError, match="bounds given for 'nope'"):
        ValueCaseExplorer(ours, trials=5_000, draw=False, bounds={"nope": (0, 1)})
    with pytest.raises(KeyError):
        ValueCaseExplorer(ours, trials=5_000, draw=False).set(negotiation__nope=1)


def test_user_text_is_escaped_in_every_html_widget():
    from salesworkbench.value import ValueCase

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
    app = ValueCaseExplorer(case, trials=2_000, assumption="u", price="fee")
    app.tabs.selected_index = 1
    html = [app.widget.children[0].value, app.headline.value, app.statement.value,
            app.neg_headline.value, app.neg_table.value]  # fmt: skip
    for text in html:
        assert "<img" not in text and "<script" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in app.widget.children[0].value
    assert "&lt;img" in app.neg_table.value  # u's unit, in the stress table's values


def test_the_customer_facing_app_has_no_negotiation_tab(case):
    from salesworkbench.apps.value_case_app import ValueCaseApp

    app = ValueCaseApp(case, trials=2_000)
    assert app.explorer.tabs is None
    assert not any(n.startswith("negotiation.") for n in app.explorer.controls)
