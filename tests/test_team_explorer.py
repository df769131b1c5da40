"""TeamExplorer wiring (no browser) and the team figures."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from salesworkbench.errors import DataWarning
from salesworkbench.plotting.team import (
    effect_sizes,
    funnel_compare,
    prize_fan,
    rep_forest,
)
from salesworkbench.team import analyse_team, pick_stars, prize, stars_vs_rest
from salesworkbench.ui.team_explorer import TeamExplorer

# the synthetic team of test_team.py, loaded by path (works with any pytest import mode)
_spec = importlib.util.spec_from_file_location(
    "_team_fixtures", Path(__file__).with_name("test_team.py")
)
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
AS_OF, STAGES, make_team = _fixtures.AS_OF, _fixtures.STAGES, _fixtures.make_team


@pytest.fixture(scope="module")
def setup():
    opp, hist, reps = make_team(n=600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an = analyse_team(opp, hist, reps, as_of=AS_OF, stage_order=STAGES)
    return opp, an


def test_controls_drive_the_result(setup):
    opp, an = setup
    app = TeamExplorer(an, opp, prize_trials=300, draw=False)
    assert set(app.controls) == {"measure", "grouping", "quantile", "lever", "intervals", "gap"}
    assert app.result["stars"] == pick_stars(an, "win_rate", 0.75)[0]
    app.controls["quantile"].value = 0.8
    assert app.params["quantile"] == 0.8
    assert app.result["stars"] == pick_stars(an, "win_rate", 0.8)[0]
    app.controls["measure"].value = "value_case_share"
    assert app.result["stars"] == pick_stars(an, "value_case_share", 0.8)[0]
    assert app.result["comparison"].measure == "value_case_share"
    # the table follows the grouping and is sorted by the measure
    app.controls["grouping"].value = "team"
    assert list(app.result["table"].index) == sorted(
        ["North", "South"],
        key=lambda t: -app.result["table"].loc[t, "value_case_share"],
    )
    # the prize equals a direct call with the same settings and seed
    direct = prize(an, opp, measure="value_case_share", quantile=0.8, trials=300, seed=0)
    np.testing.assert_array_equal(
        app.result["prize"].extra["all levers"], direct.extra["all levers"]
    )
    app.controls["gap"].value = 0.0
    assert not app.result["prize"].extra["all levers"].any()
    assert "0.00M more" in app.result["headline"]
    assert "300 trials" in app.result["headline"]  # fewer than a forecast's: said on screen


def test_lever_runs_only_its_scenario_and_grouping_reuses_the_prize(setup):
    opp, an = setup
    app = TeamExplorer(an, opp, prize_trials=200, draw=False)
    assert list(app.result["prize"].extra) == ["all levers"]
    app.controls["lever"].value = "conversion"
    assert list(app.result["prize"].extra) == ["conversion"]
    assert "(conversion)" in app.result["headline"]
    direct = prize(an, opp, trials=200, seed=0, levers=("conversion",))
    np.testing.assert_array_equal(
        app.result["prize"].extra["conversion"], direct.extra["conversion"]
    )
    before = app.result["prize"]
    app.controls["grouping"].value = "manager"
    assert app.result["prize"] is before  # the table changed, not the what-if


def test_interval_toggle_switches_to_the_rep_bootstrap(setup):
    opp, an = setup
    app = TeamExplorer(an, opp, prize_trials=0, draw=False)
    assert app.result["comparison"].effects["interval"].eq("deals").all()
    app.controls["intervals"].value = "reps"
    eff = app.result["comparison"].effects
    direct = stars_vs_rest(an, "win_rate", 0.75, interval="reps", seed=0).effects
    np.testing.assert_array_equal(eff["effect_lo"], direct["effect_lo"])
    assert app.result["prize"] is None  # prize_trials=0 skips the what-if


def test_bad_settings_are_named(setup):
    opp, an = setup
    with pytest.raises(ValueError, match="measure must be one of"):
        TeamExplorer(an, opp, measure="charm", draw=False)
    with pytest.raises(ValueError, match="grouping must be one of"):
        TeamExplorer(an, opp, grouping="planet", draw=False)


def test_draws_without_a_browser(setup):
    opp, an = setup
    app = TeamExplorer(an, opp, prize_trials=200, draw=True)
    assert len(app.figure.axes) == 3  # forest plot, effect sizes, prize fan
    kinds = [list(o["data"]) for o in app.out.outputs]
    assert kinds == [["text/plain"], ["image/png", "text/plain"]]  # headline, figure
    no_prize = TeamExplorer(an, None, draw=False)
    assert no_prize.result["prize"] is None


def test_plots_return_axes(setup):
    import matplotlib.pyplot as plt

    opp, an = setup
    comp = stars_vs_rest(an, "win_rate", 0.8)
    ax = rep_forest(an.reps, "win_rate", stars=comp.stars, reference=0.4)
    assert len(ax.get_yticklabels()) == len(an.reps)
    ax = effect_sizes(comp)
    assert len(ax.get_yticklabels()) == len(comp.effects)
    funnel_compare(comp)
    res = prize(an, opp, trials=200, seed=0, quantile=0.8)
    ax = prize_fan(res)
    assert ax.get_ylabel().startswith("cumulative")
    with pytest.raises(KeyError, match="no scenario"):
        prize_fan(res, "magic")
    plt.close("all")
