"""RollupExplorer driven from code (no browser), and the roll-up and pacing plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from test_rollup import AS_OF, REPS, crm  # tests/ is on sys.path (rootdir-less test modules)

pytest.importorskip("ipywidgets")
from salesworkbench.pipeline import HistoryModel, calls_from_categories, forecast, score_calls
from salesworkbench.plotting import node_fan, pacing_chart, rollup_fans
from salesworkbench.ui import RollupExplorer


@pytest.fixture(scope="module")
def result():
    opps = crm()
    model = HistoryModel.fit(opps, group_by=None, as_of=AS_OF - pd.Timedelta(days=1))
    res = forecast(opps, model, periods=2, trials=1000, seed=2, as_of=AS_OF, hierarchy=REPS)
    calls = score_calls(calls_from_categories(opps, "2026Q2", AS_OF, REPS), res)
    return res, calls


def test_pick_level_and_node(result):
    res, calls = result
    app = RollupExplorer(res, calls, draw=False)
    assert app.result["level"] == "region" and app.result["node"] == "North"
    out = app.set(level="team", node="West")
    assert out["node"] == "West" and list(app.controls["node"].options)[:2] == ["East", "West"]
    kids = out["children"]
    assert set(kids["name"]) == {"Cat", "Dan"}
    row = out["rows"].iloc[0]
    np.testing.assert_allclose(row["mean"], kids["mean"].sum(), rtol=1e-12)
    assert out["calls"]["commit_percentile"].notna().all()
    # changing the level alone moves the node to that level's first
    app.controls["level"].value = "rep"
    assert app.result["node"] == "Ann" and app.result["children"].empty
    assert "Ann" in app.status.value


def test_draws_and_escapes(result):
    res, _ = result
    roll = res.rollup.copy()
    roll.loc[roll["name"] == "Ann", "name"] = "<b>Ann</b>"
    res2 = type(res).__new__(type(res))
    res2.rollup = roll
    app = RollupExplorer(res2, level="rep", node="<b>Ann</b>", draw=True)
    assert "&lt;b&gt;" in app.status.value and "<b>Ann" not in app.status.value
    assert any("image/png" in o["data"] for o in app.out.outputs)
    with pytest.raises(ValueError, match="level"):
        RollupExplorer(res, level="planet", draw=False)


def test_plots(result):
    res, _ = result
    axes = rollup_fans(res.rollup, "team")
    assert len(axes) == 3  # East, West, unassigned
    plt.close("all")
    ax = node_fan(res.rollup, "North", "region")
    assert ax.get_title() == "region: North"
    plt.close("all")
    pace = pd.DataFrame(
        {
            "date": pd.date_range("2026-01-01", periods=3, freq="7D"),
            "booked": [0, 10, 20],
            "p10": [5, 15, 20],
            "p50": [20, 22, 20],
            "p90": [40, 30, 20],
            "p_quota": [0.4, 0.2, 0.0],
        }
    )
    pace.attrs.update(period="2026Q1", quota=25, actual=20)
    ax = pacing_chart(pace)
    assert "2026Q1" in ax.get_title()
    plt.close("all")
