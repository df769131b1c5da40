"""Tests of the forecast backtest."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from salesworkbench.defaults import BACKTEST_TRIALS
from salesworkbench.pipeline import BacktestResult, backtest, pipeline_at
from salesworkbench.schemas import OPPORTUNITIES

TODAY = pd.Timestamp("2026-10-01")


def simulated_crm(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A CRM whose deals follow the forecast's own model: p by product, iid cycle times."""
    rng = np.random.default_rng(seed)
    product = rng.choice(["small", "big"], n)
    p_win = np.where(product == "small", 0.2, 0.55)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "D")
    cycle = rng.gamma(3.0, 20.0, n).round().astype(int) + 1
    close = created + pd.to_timedelta(cycle, "D")
    won = rng.random(n) < p_win
    status = np.where(close < TODAY, np.where(won, "won", "lost"), "open")
    df = pd.DataFrame(
        {
            "opportunity_id": [f"D{i:05d}" for i in range(n)],
            "account": "acc",
            "stage": np.where(status == "open", "Proposal", np.where(won, "Won", "Lost")),
            "status": status,
            "amount": rng.lognormal(9, 0.6, n).round(),
            "created": created,
            "close_date": close,
            "owner": "rep",
            "product": product,
        }
    )
    return OPPORTUNITIES.coerce(df)


@pytest.fixture(scope="module")
def crm():
    return simulated_crm()


CUTOFFS = pd.date_range("2024-10-01", "2026-07-01", freq="QS")


def test_backtest_columns_and_consistency(crm):
    bt = backtest(crm, CUTOFFS, horizon="quarter", trials=1000, seed=1)
    assert isinstance(bt, BacktestResult) and isinstance(bt, pd.DataFrame)
    for col in ("cutoff", "actual", "mean", "p10", "p50", "p90", "error", "inside_p10_p90"):
        assert col in bt.columns
    assert len(bt) == len(CUTOFFS)
    assert np.allclose(bt["error"], bt["actual"] - bt["mean"])
    assert (
        bt["inside_p10_p90"] == ((bt["actual"] >= bt["p10"]) & (bt["actual"] <= bt["p90"]))
    ).all()
    assert (bt["p10"] <= bt["p50"]).all() and (bt["p50"] <= bt["p90"]).all()
    # the pipeline forecast cannot include deals created after the cut-off
    assert (bt["actual"] <= bt["actual_all"] + 1e-9).all()
    again = backtest(crm, CUTOFFS, horizon="quarter", trials=1000, seed=1)
    pd.testing.assert_frame_equal(pd.DataFrame(bt), pd.DataFrame(again))


def test_calibrated_when_the_world_follows_the_model(crm):
    monthly = pd.date_range("2024-10-01", "2026-08-01", freq="MS")
    bt = backtest(crm, monthly, horizon="month", trials=2000, seed=2, group_by="product")
    assert isinstance(bt.summary, pd.DataFrame) and bt.summary.columns.tolist() == ["value"]
    s = bt.summary["value"]
    assert s["cutoffs"] == len(monthly) and s["coverage_p10_p90"] == bt.coverage
    # 23 cut-offs, nominal 80% coverage: at least 14 inside has probability > 0.97 (binomial)
    assert s["coverage_p10_p90"] >= 14 / 23
    # no systematic bias: mean error within 10% of the mean forecast
    assert abs(s["bias"]) < 0.1 * bt["mean"].mean()
    rel = bt.reliability(bins=10)
    used = rel[rel["deals"] > 400]
    # predicted win probability vs observed win rate: within 0.1 (a deal is scored at every
    # monthly cut-off it was open at, so ~500 rows are ~150 independent deals: 3 SE ~ 0.1)
    assert np.all(np.abs(used["predicted"] - used["observed"]) < 0.1)
    assert len(used) >= 2  # the two products' rates are told apart
    assert rel["deals"].sum() == s["deals_scored"]


def test_pipeline_at_uses_only_what_was_known():
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": ["A", "B", "C", "D"],
                "account": "x",
                "stage": ["Won", "Lost", "Negotiation", "Prospecting"],
                "status": ["won", "lost", "open", "open"],
                "amount": [100.0, 0.0, 300.0, 400.0],
                "original_amount": [120.0, 250.0, 300.0, 400.0],
                "created": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-01", "2026-05-01"]),
                "close_date": pd.to_datetime(
                    ["2026-03-01", "2026-05-01", "2026-09-01", "2026-12-01"]
                ),
                "owner": "o",
                "product": "p",
            }
        )
    )
    p = pipeline_at(opps, "2026-04-01")
    assert p["opportunity_id"].tolist() == ["B", "C"]  # A closed before, D created after
    assert (p["status"] == "open").all()
    assert p["stage"].isna().all() and p["close_date"].isna().all()  # would leak the outcome
    assert p["amount"].tolist() == [250.0, 300.0]  # lost at 0: the original amount
    hist = pd.DataFrame(
        {
            "change_id": ["h1", "h2", "h3", "h4"],
            "opportunity_id": ["B", "B", "C", "C"],
            "changed": pd.to_datetime(["2026-01-01", "2026-05-01", "2026-02-01", "2026-04-15"]),
            "stage": ["Qualification", "Lost", "Proposal", "Negotiation"],
            "amount": [240.0, 0.0, 310.0, 300.0],
            "close_date": pd.to_datetime(["2026-04-20", "2026-05-01", "2026-06-30", "2026-09-01"]),
        }
    )
    p = pipeline_at(opps, "2026-04-01", hist)
    assert p["stage"].tolist() == ["Qualification", "Proposal"]
    assert p["amount"].tolist() == [240.0, 310.0]
    assert p["close_date"].tolist() == [pd.Timestamp("2026-04-20"), pd.Timestamp("2026-06-30")]


def test_bad_horizon_and_empty_cutoffs(crm):
    with pytest.raises(ValueError, match="horizon"):
        backtest(crm, CUTOFFS, horizon="week")
    with pytest.raises(ValueError, match="cutoffs"):
        backtest(crm, [])
    assert inspect.signature(backtest).parameters["trials"].default == BACKTEST_TRIALS
