"""Tests of the TerritoryExplorer widget app and the territory plots (no browser)."""

from __future__ import annotations

import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from salesworkbench.plotting.territory import (
    SEGMENT_COLOURS,
    plot_segment_bars,
    plot_segment_matrix,
    update_segment_bars,
    update_segment_matrix,
)
from salesworkbench.territory import TerritoryPlan, coverage_plan, segment
from salesworkbench.ui.territory_explorer import TerritoryExplorer


@pytest.fixture
def accounts():
    rng = np.random.default_rng(7)
    n = 60
    acc = pd.DataFrame(
        {
            "account_id": [f"A{i:03d}" for i in range(n)],
            "name": [f"Company {i}" for i in range(n)],
            "sector": rng.choice(["Tech", "Retail", "Health"], n),
            "owner": rng.choice(["ann", "bob"], n),
            "revenue": rng.lognormal(4, 1.5, n),
            "employees": rng.lognormal(5, 1, n),
            "growth": rng.normal(0.05, 0.1, n),
            "wallet": rng.lognormal(1, 1, n),
            "current_spend": rng.lognormal(-1, 1, n),
            "install_base": rng.lognormal(0, 1, n),
            "recurring_revenue": rng.lognormal(-1, 1, n),
            "recent_projects": rng.poisson(1.0, n).astype(float),
            "satisfaction": rng.uniform(2, 10, n),
            "key_players_engaged": rng.poisson(2, n).astype(float),
            "last_activity": pd.Timestamp("2026-09-01")
            - pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
        }
    )
    acc.loc[[3, 17], "revenue"] = np.nan  # two accounts cannot be assessed
    return acc


@pytest.fixture
def app(accounts):
    return TerritoryExplorer(accounts, draw=False)


def test_controls_built_from_the_model(app):
    names = set(app.controls)
    assert {"potential_high", "potential_low", "relationship_high"} <= names
    assert {"potential.revenue", "potential.white_space", "relationship.satisfaction"} <= names
    assert {"reps.account_executive", "hours.account_executive", "message.Alpha"} <= names
    assert "potential.sector_fit" not in names  # no sector profile: driver not in use


def test_initial_result_matches_core(app, accounts):
    expected = segment(accounts)
    pd.testing.assert_series_equal(app.result["segmented"]["segment"], expected["segment"])
    assert app.result["error"] is None
    assert app.result["summary"]["accounts"].sum() == len(accounts)


def test_threshold_slider_resegments(app, accounts):
    app.controls["potential_high"].value = 55
    expected = segment(accounts, potential_high=55)
    pd.testing.assert_series_equal(app.result["segmented"]["segment"], expected["segment"])
    assert app.params["thresholds"]["potential_high"] == 55.0
    assert app.result["segmented"].attrs["territory"]["potential_high"] == 55.0


def test_weight_slider_rescores(app, accounts):
    before = app.result["segmented"]["potential"].copy()
    app.controls["potential.white_space"].value = 0.0
    expected = segment(accounts, potential_weights={"white_space": 0.0})
    np.testing.assert_allclose(app.result["segmented"]["potential"], expected["potential"])
    assert not np.allclose(before.dropna(), app.result["segmented"]["potential"].dropna())


def test_capacity_inputs_change_coverage(app):
    app.controls["reps.account_executive"].value = 0
    cov = app.result["coverage"]
    ae = cov[cov["role"] == "account_executive"]
    assert (ae["hours_allocated"] == 0).all()
    assert (ae["status"] == "under-covered").all()
    app.controls["reps.account_executive"].value = 100
    cov = app.result["coverage"]
    ae = cov[cov["role"] == "account_executive"]
    assert (ae["status"] == "covered").all()
    assert app.result["capacity"].loc["account_executive", "status"] == "spare"
    expected = coverage_plan(app.result["segmented"], app.coverage, app.params["capacity"])
    pd.testing.assert_frame_equal(cov, expected)


def test_thresholds_out_of_order_reported_not_raised(app):
    good = app.result["segmented"]
    app.controls["potential_low"].value = 90  # above potential_high = 70
    assert "potential_low" in app.result["error"]
    assert "potential_high" in app.result["error"]
    assert "potential_low" in app.status.value
    assert app.result["segmented"] is good  # last good result kept
    app.controls["potential_low"].value = 20
    assert app.result["error"] is None


def test_all_zero_weights_reported(app):
    app.set(**{f"potential__{d.name}": 0.0 for d in app.prepared.drivers["potential"]})
    assert "all zero" in app.result["error"]


def test_set_updates_once_and_checks_names(app, accounts):
    calls = []
    original = app.update

    def counting():
        calls.append(1)
        return original()

    app.update = counting
    app.set(potential_high=60, potential_low=40, relationship_high=30)
    assert calls == [1]
    expected = segment(accounts, 60, 40, 30)
    pd.testing.assert_series_equal(app.result["segmented"]["segment"], expected["segment"])
    with pytest.raises(KeyError, match="bogus"):
        app.set(bogus=1)


def test_plan_from_app_uses_current_settings(app, tmp_path):
    app.controls["message.Beta"].value = "Cross-sell managed service"
    app.controls["hours.inside_sales"].value = 123.0
    plan = app.plan(name="Q1 plan")
    assert isinstance(plan, TerritoryPlan)
    assert plan.messaging["Beta"] == "Cross-sell managed service"
    assert plan.capacity["inside_sales"]["hours_per_rep"] == 123.0
    assert "Cross-sell managed service" in plan.to_markdown()


def test_drawing_app_updates_figure(accounts):
    app = TerritoryExplorer(accounts, draw=True, label_top=3)
    ax_m = app._fig.axes[0]
    dots = next(c for c in ax_m.collections if c.get_gid() == "territory:accounts")
    assert len(dots.get_offsets()) == len(accounts) - 2
    assert len([t for t in ax_m.texts if t.get_gid() == "territory:label"]) == 3
    app.controls["potential_high"].value = 40
    counts = app.result["summary"]["accounts"]
    line = next(ln for ln in ax_m.lines if ln.get_gid() == "territory:potential_high")
    assert list(line.get_ydata()) == [40, 40]
    legend = [t.get_text() for t in ax_m.get_legend().get_texts()]
    assert legend[0] == f"Alpha ({counts['Alpha']})"
    assert legend[-1] == "insufficient data (2, Delta)"
    # drawn by widget state (no display messages): a PNG and the coverage table
    png = app.out.outputs[0]["data"]["image/png"]
    assert len(png) > 1000
    assert "text/html" in app.tables.outputs[0]["data"]


# ---------------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------------


def test_matrix_plot(accounts):
    seg = segment(accounts, 60, 30, 50)
    fig, ax = plt.subplots()
    out = plot_segment_matrix(seg, ax=ax, label_top=3, size="wallet")
    assert out is ax
    assert ax.get_xlabel() == "current relationship (0-100)"
    assert ax.get_ylabel() == "business potential (0-100)"
    ys = {ln.get_gid(): ln.get_ydata() for ln in ax.lines}
    assert list(ys["territory:potential_high"]) == [60, 60]
    assert list(ys["territory:potential_low"]) == [30, 30]
    assert list(ys["territory:relationship_high"]) == [30, 60]
    dots = next(c for c in ax.collections if c.get_gid() == "territory:accounts")
    crosses = next(c for c in ax.collections if c.get_gid() == "territory:insufficient")
    assert len(crosses.get_offsets()) == 2
    assert (crosses.get_offsets()[:, 1] < 0).all()  # drawn apart, below the matrix
    alpha = seg["segment"].eq("Alpha") & ~seg["insufficient_data"]
    colours = dots.get_facecolor()
    expected = matplotlib.colors.to_rgba(SEGMENT_COLOURS["Alpha"], 0.7)
    assert np.isclose(colours, expected).all(axis=1).sum() == alpha.sum()
    assert len([t for t in ax.texts if t.get_gid() == "territory:label"]) == 3
    plt.close(fig)


def test_matrix_update_equals_fresh_plot(accounts):
    a = segment(accounts, 70, 30, 50)
    b = segment(accounts, 50, 20, 60)
    fig, (ax1, ax2) = plt.subplots(1, 2)
    plot_segment_matrix(a, ax=ax1)
    update_segment_matrix(b, ax1)
    plot_segment_matrix(b, ax=ax2)
    for gid in ("territory:accounts", "territory:insufficient"):
        c1 = next(c for c in ax1.collections if c.get_gid() == gid)
        c2 = next(c for c in ax2.collections if c.get_gid() == gid)
        np.testing.assert_allclose(c1.get_offsets(), c2.get_offsets())
        np.testing.assert_allclose(c1.get_facecolor(), c2.get_facecolor())
    plt.close(fig)


def test_matrix_needs_thresholds():
    frame = pd.DataFrame(
        {
            "account_id": ["a"],
            "potential": [50.0],
            "relationship": [50.0],
            "segment": ["Beta"],
            "priority": [1],
        }
    )
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="potential_high"):
        plot_segment_matrix(frame, ax=ax)
    plot_segment_matrix(frame, ax=ax, potential_high=70, potential_low=30, relationship_high=50)
    plt.close(fig)


def test_bar_plots(accounts):
    seg = segment(accounts)
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3)
    plot_segment_bars(seg, ax=ax1)
    counts = seg["segment"].value_counts().reindex(["Alpha", "Beta", "Delta"]).tolist()
    assert [p.get_height() for p in ax1.patches] == counts
    assert ax1.get_title() == "Accounts per segment"
    plot_segment_bars(seg, ax=ax2, value="white_space")
    ws = (seg["wallet"] - seg["current_spend"]).clip(lower=0)
    assert ax2.patches[0].get_height() == pytest.approx(ws[seg["segment"] == "Alpha"].sum())
    plot_segment_bars(seg, ax=ax3, stacked_by="insufficient_data")
    assert ax3.get_legend() is not None
    seg2 = segment(accounts, potential_high=40)
    update_segment_bars(seg2, ax1)
    counts2 = seg2["segment"].value_counts().reindex(["Alpha", "Beta", "Delta"]).tolist()
    assert [p.get_height() for p in ax1.patches] == counts2
    labels = [t.get_text() for t in ax1.texts if t.get_gid() == "territory:bar_label"]
    assert labels == [str(k) for k in counts2]
    with pytest.raises(KeyError, match="turnover"):
        plot_segment_bars(seg, ax=ax1, value="turnover")
    plt.close(fig)


# -- assignment and quotas (issue 19) -----------------------------------------------------------


def test_explorer_assigns_and_sets_quotas(accounts):
    reps = pd.DataFrame({"rep": ["ann", "bob", "cat"], "hours": [400.0, 400.0, 400.0]})
    app = TerritoryExplorer(accounts, draw=False, reps=reps, objective=900_000, time_limit=None)
    for name in ("assign.method", "assign.max_moves", "quota.objective", "quota.method"):
        assert name in app.controls
    # optimal, no limit (slider at its maximum)
    res = app.assign()
    assert res["assign_error"] is None
    o = res["load"].attrs["objective"]
    assert o["method"] == "optimal"
    q = res["quotas"].summary["quota"]
    assert q.sum() == 900_000
    cmp = res["comparison"]
    assert cmp.loc["objective", "optimal"] <= cmp.loc["objective", "greedy"] + 1e-9
    # max moves 0: every account owned by a rep stays with its owner
    app.controls["assign.max_moves"].value = 0
    res = app.assign()
    asg = res["assignment"]
    owned = asg["owner"].isin(reps["rep"])
    assert (asg.loc[owned, "assigned_rep"] == asg.loc[owned, "owner"]).all()
    assert res["load"].attrs["objective"]["moves"] == 0
    # greedy switch
    app.controls["assign.method"].value = "greedy"
    app.controls["quota.objective"].value = 1_234_567
    res = app.assign()
    assert res["load"].attrs["objective"]["method"] == "greedy"
    assert res["quotas"].summary["quota"].sum() == 1_234_567
    assert "greedy" in app.assign_status.value
    # the history split is offered only with a history
    assert list(app.controls["quota.method"].options) == ["potential"]


def test_explorer_reports_an_infeasible_move_limit(accounts):
    # every account needs 1 hour; ann owns many but has 1 hour: all but one must move
    cov = {s: {"account_executive": 1.0} for s in ("Alpha", "Beta", "Delta")}
    reps = pd.DataFrame({"rep": ["ann", "bob"], "hours": [1.0, 1000.0]})
    who = "ann"
    app = TerritoryExplorer(accounts, draw=True, reps=reps, coverage=cov, time_limit=None)
    app.controls["assign.max_moves"].value = 0
    res = app.assign()
    assert "max_moves=0 is infeasible" in res["assign_error"]
    assert who in app.assign_status.value
    app.controls["assign.max_moves"].value = app.controls["assign.max_moves"].max
    res = app.assign()
    assert res["assign_error"] is None
    plt.close("all")


def test_explorer_without_reps_has_no_assignment(accounts):
    app = TerritoryExplorer(accounts, draw=False)
    assert "assign.method" not in app.controls
    with pytest.raises(ValueError, match="no reps"):
        app.assign()
