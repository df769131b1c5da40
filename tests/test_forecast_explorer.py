"""ForecastExplorer driven from code (no browser), and the forecast plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from salesworkbench.pipeline import (
    HistoryModel,
    backtest,
    forecast,
    pipeline_waterfall,
    reverse_funnel,
)
from salesworkbench.schemas import OPPORTUNITIES

pytest.importorskip("ipywidgets")
from salesworkbench.ui.forecast_explorer import ForecastExplorer

AS_OF = pd.Timestamp("2026-06-01")


def crm(n: int = 800, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-06-01") + pd.to_timedelta(rng.integers(0, 720, n), "D")
    close = created + pd.to_timedelta(rng.integers(10, 120, n), "D")
    segment = rng.choice(["Enterprise", "SMB"], n)
    won = rng.random(n) < np.where(segment == "SMB", 0.5, 0.25)
    status = np.where(close <= AS_OF, np.where(won, "won", "lost"), "open")
    return OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": [f"O{i}" for i in range(n)],
                "account": "a",
                "stage": np.where(status == "open", "Proposal", status),
                "status": status,
                "amount": rng.lognormal(10, 0.5, n).round(),
                "created": created,
                "close_date": close,
                "owner": rng.choice(["Ann", "Bob"], n),
                "product": "Core",
                "segment": segment,
            }
        )
    )


@pytest.fixture
def app():
    return ForecastExplorer(
        crm(),
        as_of=AS_OF,
        quota=300_000,
        objective=1_000_000,
        grouping="none",
        trials=500,
        seed=1,
        draw=False,
    )


def test_controls_drive_the_result(app):
    assert set(app.controls) == {"period", "quota", "objective", "confidence", "grouping"}
    base = app.result["summary"]
    assert base.index.tolist() == ["2026Q2", "2026Q3", "total"]
    app.controls["quota"].value = 100_000
    s = app.result["summary"]
    assert s.loc["2026Q3", "quota"] == 100_000
    assert s.loc["2026Q3", "p_quota"] >= base.loc["2026Q3", "p_quota"]
    b = app.result["forecast"].bookings[:, 1]
    assert s.loc["2026Q3", "p_quota"] == pytest.approx(np.mean(b >= 100_000))
    app.controls["period"].value = "month"
    assert app.result["summary"].index.tolist() == ["2026-06", "2026-07", "total"]
    assert app.params["period"] == "month"


def test_no_quota_leaves_p_quota_blank():
    """An export without quotas (quota=None) starts the app; P(quota) is blank, not an error."""
    a = ForecastExplorer(crm(), as_of=AS_OF, quota=None, grouping="none", trials=200, draw=False)
    assert a.controls["quota"].value == 0
    assert a.result["error"] is None
    assert a.result["summary"]["p_quota"].isna().all()
    assert "P(>= quota)" not in a.status.value
    a.controls["quota"].value = 100_000
    assert a.result["summary"]["p_quota"].notna().all() and "P(>= quota)" in a.status.value


def test_grouping_and_objective(app):
    opps = app.opportunities
    needed = app.result["plan"].table.loc["opportunities", "needed"]
    app.controls["objective"].value = 2_000_000
    assert app.result["plan"].table.loc["opportunities", "needed"] > needed
    lo = app.result["plan"].table.loc["opportunities", "needed"]
    app.controls["confidence"].value = 0.95
    assert app.result["plan"].table.loc["opportunities", "needed"] > lo
    app.controls["grouping"].value = "segment"
    model = app.result["model"]
    assert model.group_by == "segment" and set(model.by_group.index) == {"Enterprise", "SMB"}
    # same as calling the core functions directly with the same settings
    direct = forecast(
        opps,
        HistoryModel.fit(opps, group_by="segment", as_of=AS_OF),
        periods=2,
        trials=500,
        seed=1,
        quota=300_000,
        as_of=AS_OF,
    )
    assert np.array_equal(direct.bookings, app.result["forecast"].bookings)


def test_set_many_and_bad_names(app):
    r = app.set(quota=50_000, confidence=0.6)
    assert r["summary"].loc["2026Q2", "quota"] == 50_000 and app.params["confidence"] == 0.6
    assert "(500 trials)" in app.status.value  # the forecast and the funnel use the same trials
    with pytest.raises(KeyError, match="no control 'quotas'"):
        app.set(quotas=1)
    with pytest.raises(ValueError, match="grouping must be one of"):
        ForecastExplorer(crm(100), grouping="region", draw=False)


def test_draws_into_output():
    a = ForecastExplorer(crm(), as_of=AS_OF, trials=200, seed=1, grouping="none", draw=True)
    assert len(a.out.outputs) == 1 and "image/png" in a.out.outputs[0]["data"]
    a.controls["quota"].value = 10.0
    assert len(a.out.outputs) == 1


# ----------------------------------------------------------------------------- plots


def test_plots_return_axes_with_labels():
    from salesworkbench.plotting import forecast as fp

    opps = crm()
    model = HistoryModel.fit(opps, as_of=AS_OF)
    res = forecast(opps, model, trials=300, seed=1, quota=200_000, as_of=AS_OF)
    fig, axes = plt.subplots(2, 3)
    ax = fp.fan_chart(res, ax=axes[0, 0])
    assert ax is axes[0, 0] and ax.get_ylabel() == "bookings"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026Q2", "2026Q3"]
    ax = fp.deal_contribution_chart(res, top=5, ax=axes[0, 1])
    assert len(ax.get_yticks()) == 5
    plan = reverse_funnel(1e6, {"lead_to_qualified": 0.4, "opportunity_to_won": 0.3}, deal_size=2e4)
    ax = fp.funnel_chart(plan, ax=axes[0, 2])
    assert "80% confidence" in ax.get_title()
    bt = backtest(opps, pd.date_range("2025-07-01", "2026-04-01", freq="QS"), trials=200, seed=1)
    ax = fp.reliability_plot(bt, ax=axes[1, 0])
    assert ax.get_xlabel() == "predicted P(won by the period end)"
    w = pipeline_waterfall(opps, opps)
    ax = fp.waterfall_chart(w, ax=axes[1, 1])
    assert len(ax.patches) == len(w)
    plt.close(fig)
