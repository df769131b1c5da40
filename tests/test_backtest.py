"""Tests of the forecast backtest."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from salesworkbench.defaults import BACKTEST_TRIALS
from salesworkbench.errors import DataError
from salesworkbench.pipeline import BacktestResult, backtest, opportunities_at, pipeline_at
from salesworkbench.pipeline.backtesting import conformal_factor, target_period
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
    for col in (
        "cutoff",
        "period",
        *("actual", "mean", "p10", "p50", "p90"),
        *("pipeline_actual", "pipeline_mean", "pipeline_p10", "pipeline_p50", "pipeline_p90"),
        *("error", "pct_error", "pipeline_error", "pipeline_pct_error"),
        *("inside_p10_p90", "pipeline_inside_p10_p90", "pipeline_calibration"),
        *("stage_weighted", "km_win_rate", "naive"),
    ):
        assert col in bt.columns, col
    assert len(bt) == len(CUTOFFS)
    # issue 13: errors are forecast - actual, relative to the actual (not to the forecast)
    assert np.allclose(bt["pipeline_error"], bt["pipeline_mean"] - bt["pipeline_actual"])
    assert np.allclose(
        bt["pipeline_pct_error"],
        (bt["pipeline_mean"] - bt["pipeline_actual"]) / bt["pipeline_actual"],
    )
    p10, p90 = bt["pipeline_p10"], bt["pipeline_p90"]
    inside = (bt["pipeline_actual"] >= p10) & (bt["pipeline_actual"] <= p90)
    assert (bt["pipeline_inside_p10_p90"] == inside).all()
    assert (p10 <= bt["pipeline_p50"]).all() and (bt["pipeline_p50"] <= p90).all()
    # the pipeline part cannot include deals created after the cut-off
    assert (bt["pipeline_actual"] <= bt["actual"] + 1e-9).all()
    assert (bt["period"] == [str(c.to_period("Q")) for c in CUTOFFS]).all()
    again = backtest(crm, CUTOFFS, horizon="quarter", trials=1000, seed=1)
    pd.testing.assert_frame_equal(pd.DataFrame(bt), pd.DataFrame(again))
    # the comparison table is computed in the same call
    cmp = bt.comparison
    assert cmp.index.tolist() == [
        "model",
        "stage-weighted (probability x amount by expected close)",
        "Kaplan-Meier timing x win rate",
        "model (total, with new deals)",
        "last period's bookings (naive)",
    ]
    assert cmp.loc["model", "mae_pct"] == pytest.approx(bt["pipeline_pct_error"].abs().mean())
    assert cmp.loc["model", "coverage_p10_p90"] == bt.coverage
    assert np.isnan(cmp.loc["Kaplan-Meier timing x win rate", "coverage_p10_p90"])
    naive_pct = (bt["naive"] - bt["actual"]) / bt["actual"]
    assert cmp.loc["last period's bookings (naive)", "bias_pct"] == pytest.approx(naive_pct.mean())


def test_a_cutoff_forecasts_the_next_whole_period(crm):
    assert target_period("2026-04-01") == pd.Period("2026Q2")
    assert target_period("2026-06-30") == pd.Period("2026Q3")
    assert target_period("2026-06-30", "month") == pd.Period("2026-07")
    assert target_period("2026-01-01", "year") == pd.Period("2026")
    bt = backtest(crm, ["2026-06-30"], trials=500, seed=3)
    row = bt.iloc[0]
    assert row["period"] == "2026Q3"
    assert row["period_start"] == pd.Timestamp("2026-07-01")
    assert row["period_end"] == pd.Timestamp("2026-09-30")
    c = pd.Timestamp("2026-06-30")
    won = crm["status"].astype(object) == "won"
    open_then = (crm["created"] < c) & (crm["close_date"] >= c)
    in_q3 = (crm["close_date"] >= "2026-07-01") & (crm["close_date"] <= "2026-09-30")
    assert row["pipeline_actual"] == pytest.approx(crm.loc[won & open_then & in_q3, "amount"].sum())
    assert row["actual"] == pytest.approx(crm.loc[won & in_q3, "amount"].sum())
    # the forecast covers Q3 only: a deal's chance of closing on 30 June is not in it
    d = bt.deals
    assert (d["prob_in_period"] <= d["prob_by_horizon"] + 1e-12).all()
    assert (d["prob_in_period"] < d["prob_by_horizon"] - 1e-9).any()


def test_calibrated_when_the_world_follows_the_model(crm):
    monthly = pd.date_range("2024-10-01", "2026-08-01", freq="MS")
    bt = backtest(crm, monthly, horizon="month", trials=2000, seed=2, group_by="product")
    assert isinstance(bt.summary, pd.DataFrame) and bt.summary.columns.tolist() == ["value"]
    s = bt.summary["value"]
    assert s["cutoffs"] == len(monthly) and s["pipeline_coverage_p10_p90"] == bt.coverage
    # 23 cut-offs, nominal 80% coverage: at least 14 inside has probability > 0.97 (binomial)
    assert s["pipeline_coverage_p10_p90"] >= 14 / 23
    # no systematic bias: mean error within 10% of the mean forecast
    assert abs(s["pipeline_bias"]) < 0.1 * bt["pipeline_mean"].mean()
    rel = bt.reliability(bins=10)
    used = rel[rel["deals"] > 400]
    # predicted vs observed "won by the end of the month": within 0.1 (a deal is scored at every
    # monthly cut-off it was open at, so ~500 rows are ~150 independent deals: 3 SE ~ 0.1)
    assert np.all(np.abs(used["predicted"] - used["observed"]) < 0.1)
    assert len(used) >= 2  # the two products' rates are told apart
    assert rel["deals"].sum() == s["deals_scored"] == len(bt.deals)


def test_reliability_and_brier_count_deals_still_open_at_the_horizon(crm):
    bt = backtest(crm, CUTOFFS, horizon="quarter", trials=500, seed=4)
    d = bt.deals
    s = bt.summary["value"]
    still_open = d["status_at_horizon"] == "open"
    # plenty of deals are still open at the end of the quarter: they are scored as not won
    assert still_open.sum() > 0 and s["deals_open_at_horizon"] == still_open.sum()
    assert (d.loc[still_open, "won_by_horizon"] == 0).all()
    assert s["deals_scored"] == len(d)
    assert s["brier_score"] == pytest.approx(
        ((d["prob_by_horizon"] - d["won_by_horizon"]) ** 2).mean()
    )
    rel = bt.reliability(bins=20)
    assert (rel["deals"] > 0).all()  # empty bins dropped
    assert rel["deals"].sum() == len(d)
    assert rel["open_at_horizon"].sum() == rel.attrs["open_at_horizon"] == still_open.sum()
    # won by the horizon: won, with a close date no later than the period end
    now = crm.set_index("opportunity_id")
    ends = d["cutoff"].map(dict(zip(bt["cutoff"], bt["period_end"], strict=True)))
    cd = d["opportunity_id"].map(now["close_date"])
    won = d["opportunity_id"].map(now["status"].astype(object)) == "won"
    assert (d["won_by_horizon"] == (won & (cd <= ends)).astype(float)).all()
    assert "still open" in " ".join(bt.notes)


def test_conformal_factor():
    assert conformal_factor([5.0, 6.0, 7.0]) == (1.0, 3)  # too few earlier cut-offs
    # decay=1, plain split-conformal. n = 4: ceil(0.8 * 5) = 4th smallest
    assert conformal_factor([0.5, 3.0, 2.0, 1.5], decay=1.0) == (3.0, 4)
    # n = 9: ceil(0.8 * 10) = 8th smallest
    assert conformal_factor(np.arange(1, 10) / 2, decay=1.0) == (4.0, 9)
    # a band wider than the errors is narrowed: ceil(0.8 * 6) = 5th smallest
    assert conformal_factor([0.1, 0.2, 0.3, 0.4, 0.5], decay=1.0) == (0.5, 5)


def test_weighted_conformal_factor_by_hand():
    """Scores 4, 1, 2, 3, 0.5 (oldest first), decay 0.5: weights 1/32, 1/16, 1/8, 1/4, 1/2 and
    1 for the coming period, total 63/32. Sorted: 0.5 (16/63), 1 (2/63), 2 (4/63), 3 (8/63),
    4 (1/63): cumulative 16, 18, 22, 30, 31 of 63; none reaches 0.8 -> no calibration."""
    assert conformal_factor([4.0, 1.0, 2.0, 3.0, 0.5], decay=0.5) == (1.0, 5)
    # decay 0.9 on 20 scores: the recent large errors decide, not the old small ones
    old, recent = np.full(10, 0.1), np.full(10, 2.0)
    f, n = conformal_factor(np.concatenate([old, recent]), decay=0.9)
    assert (f, n) == (2.0, 20)
    w = 0.9 ** np.arange(20, 0, -1)
    assert w[:10].sum() / (w.sum() + 1) < 0.8  # the old ones alone do not reach 80%
    assert conformal_factor(np.concatenate([old, recent]), decay=1.0)[0] == 2.0
    assert conformal_factor(np.concatenate([recent, old]), decay=0.9)[0] == 2.0
    assert conformal_factor(np.concatenate([recent, old[:4]]), decay=0.5)[0] == 1.0
    with pytest.raises(ValueError, match="decay"):
        conformal_factor(np.ones(5), decay=0)


def test_calibration_uses_only_periods_over_before_the_cutoff(crm):
    monthly = pd.date_range("2025-01-01", "2026-06-01", freq="MS")
    raw = backtest(crm, monthly, "quarter", trials=300, seed=5, calibrate=False)
    cal = backtest(crm, monthly, "quarter", trials=300, seed=5, min_calibration=4)
    assert (raw["pipeline_calibration"] == 1).all()
    assert np.allclose(raw["pipeline_mean"], cal["pipeline_mean"])
    for i, r in cal.iterrows():
        past = raw[raw["period_end"] < r["cutoff"]]
        assert r["pipeline_calibration_cutoffs"] == len(past)
        if len(past) < 4:
            assert r["pipeline_calibration"] == 1.0
            continue
        m, a = past["pipeline_mean"], past["pipeline_actual"]
        score = np.where(
            a >= m, (a - m) / (past["pipeline_p90"] - m), (m - a) / (m - past["pipeline_p10"])
        )
        f, _ = conformal_factor(score)
        assert r["pipeline_calibration"] == pytest.approx(f)
        for q in ("p10", "p50", "p90"):
            assert r[f"pipeline_{q}"] == pytest.approx(
                max(
                    0.0, r["pipeline_mean"] + f * (raw.loc[i, f"pipeline_{q}"] - r["pipeline_mean"])
                )
            )
    assert (cal["pipeline_calibration"] != 1).any()


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


def test_pipeline_at_blanks_amounts_an_export_sets_at_the_close():
    """Open deals without any amount (Maven's close_value): amounts are set at the close.

    Today's amount of a deal open at the cut-off is then known only if it went on to be won,
    so keeping it would tell the forecast which deals win: every rebuilt amount is blank
    (imputed as the forecast does), or the original amount where the export keeps one.
    """
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": ["A", "B", "C", "D"],
                "account": "x",
                "stage": ["Won", "Won", "Lost", "Engaging"],
                "status": ["won", "won", "lost", "open"],
                "amount": [100.0, 200.0, 0.0, np.nan],
                "created": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-02-01", "2026-03-01"]),
                "close_date": pd.to_datetime(["2026-03-01", "2026-05-01", "2026-05-01", None]),
                "owner": "o",
                "product": "p",
            }
        )
    )
    p = pipeline_at(opps, "2026-04-01")
    assert p["opportunity_id"].tolist() == ["B", "C", "D"]
    assert p["amount"].isna().all()  # B's 200 was set when it was won, after the cut-off
    then = opportunities_at(opps, "2026-04-01")
    assert then.set_index("opportunity_id").loc["A", "amount"] == 100.0  # closed before: kept
    opps["original_amount"] = [90.0, 180.0, 150.0, 120.0]
    assert pipeline_at(opps, "2026-04-01")["amount"].tolist() == [180.0, 150.0, 120.0]
    opps["amount"] = [100.0, 200.0, 0.0, 50.0]  # open deals carry amounts: today's are kept
    assert pipeline_at(opps, "2026-04-01")["amount"].tolist() == [200.0, 150.0, 50.0]


def test_pipeline_at_cutoff_day_later_dates_and_open_stages():
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": ["A", "B", "C"],
                "account": "x",
                "stage": ["Won", "Proposal", "Lost"],
                "status": ["won", "open", "lost"],
                "amount": [100.0, 200.0, 0.0],
                "created": pd.to_datetime(["2026-01-01", "2026-04-01", "2026-02-01"]),
                "close_date": pd.to_datetime(["2026-04-01", "2026-06-01", "2026-05-01"]),
                "owner": "o",
                "product": "p",
                "probability": [1.0, 0.5, 0.0],
                "engaged": pd.to_datetime(["2026-03-31", "2026-04-02", "2026-04-01"]),
            }
        )
    )
    p = pipeline_at(opps, "2026-04-01")
    # the pipeline at the start of 1 April: B was created that day, A closed that day (open then)
    assert p["opportunity_id"].tolist() == ["A", "C"]
    assert p["engaged"].tolist() == [pd.Timestamp("2026-03-31"), pd.NaT]  # set later: blank
    assert p["probability"].isna().all()  # follows the stage, which changed since
    assert np.isnan(p["amount"].iloc[1])  # lost at 0, no original amount: unknown
    assert p.attrs["open_stages"] == []
    hist = pd.DataFrame(
        {
            "change_id": ["h1", "h2", "h3"],
            "opportunity_id": ["A", "C", "C"],
            "changed": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-04-01"]),
            "stage": ["Negotiation", "Discovery", "Lost"],
        }
    )
    p = pipeline_at(opps, "2026-04-01", hist)
    assert p["stage"].tolist() == ["Negotiation", "Discovery"]  # the change on 1 April: later
    assert p.attrs["open_stages"] == ["Discovery", "Negotiation"]


def crm_with_history(n: int = 1500, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A CRM and its stage history: two open stages, pushed close dates, amounts revised."""
    opps = simulated_crm(n, seed)
    rng = np.random.default_rng(seed)
    rows = []
    for r in opps.itertuples():
        mid = r.created + (r.close_date - r.created) / 2
        first_close = r.created + pd.Timedelta(days=int(rng.integers(20, 90)))
        rows.append((r.opportunity_id, r.created, "Discovery", r.amount * 0.8, first_close))
        rows.append((r.opportunity_id, mid.normalize(), "Proposal", r.amount, r.close_date))
        if r.status != "open":
            rows.append((r.opportunity_id, r.close_date, r.stage, r.amount, r.close_date))
    hist = pd.DataFrame(
        rows, columns=["opportunity_id", "changed", "stage", "amount", "close_date"]
    )
    hist = hist[hist["changed"] < TODAY].reset_index(drop=True)
    hist.insert(0, "change_id", [f"h{i}" for i in range(len(hist))])
    return opps, hist


@pytest.mark.parametrize("timing", ["created", "stage", "close_date"])
def test_no_look_ahead(timing):
    """Changing anything about a deal after the cut-off leaves the backtest's forecast alone."""
    opps, hist = crm_with_history()
    cutoffs = pd.date_range("2026-01-01", "2026-09-01", freq="MS")
    c = cutoffs[-1]
    kw = dict(
        horizon="month",
        trials=300,
        seed=9,
        stage_history=hist,
        group_by="product",
        timing=timing,
        min_calibration=3,
    )
    before = backtest(opps, cutoffs, **kw)

    later = opps.copy()
    open_at_c = ((later["created"] < c) & (later["close_date"] >= c)).to_numpy()
    created_after = (later["created"] >= c).to_numpy()
    st = later["status"].astype(object).to_numpy()
    flip = {"won": "lost", "lost": "won", "open": "won"}
    new_status = np.where(open_at_c, [flip[x] for x in st], st)
    later["status"] = pd.Categorical(new_status, categories=opps["status"].cat.categories)
    later.loc[open_at_c, "stage"] = np.where(new_status[open_at_c] == "won", "Won", "Lost")
    later.loc[open_at_c, "amount"] = np.where(
        new_status[open_at_c] == "won", later.loc[open_at_c, "amount"] * 3, 0.0
    )
    later.loc[open_at_c, "close_date"] = later.loc[open_at_c, "close_date"] + pd.Timedelta(days=17)
    later.loc[created_after, "amount"] *= 5
    later = later[~(created_after & (np.arange(len(later)) % 2 == 0))]  # and some never existed
    h2 = hist.copy()
    after = h2["changed"] >= c
    h2.loc[after, "stage"] = "Negotiation"
    h2.loc[after, "amount"] *= 7
    h2.loc[after, "close_date"] = h2.loc[after, "close_date"] + pd.Timedelta(days=40)
    extra = opps.loc[open_at_c, ["opportunity_id"]].assign(
        changed=c + pd.Timedelta(days=3), stage="Proposal", amount=1.0, close_date=c
    )
    extra.insert(0, "change_id", [f"x{i}" for i in range(len(extra))])
    h2 = pd.concat([h2, extra], ignore_index=True)
    h2 = h2[h2["opportunity_id"].isin(later["opportunity_id"])]
    kw["stage_history"] = h2
    after_bt = backtest(later, cutoffs, **kw)

    forecast_cols = [
        *("pipeline_mean", "pipeline_p10", "pipeline_p50", "pipeline_p90"),
        *("pipeline_calibration", "open_deals", "stale_deals"),
        *("stage_weighted", "km_win_rate", "naive"),
    ]
    pd.testing.assert_frame_equal(
        pd.DataFrame(before[forecast_cols]), pd.DataFrame(after_bt[forecast_cols])
    )
    pcols = ["cutoff", "opportunity_id", "win_prob", "prob_in_period", "prob_by_horizon", "stale"]
    pd.testing.assert_frame_equal(before.deals[pcols], after_bt.deals[pcols])
    # ... while the outcome it is scored against did change
    assert before["pipeline_actual"].iloc[-1] != after_bt["pipeline_actual"].iloc[-1]


@pytest.mark.parametrize("timing", ["created", "stage", "close_date"])
def test_backtest_cutoffs_before_the_stage_history_starts(timing):
    """Cut-offs before the first history row (or of an as-stood table): deals rebuilt blank.

    No history row precedes the early cut-offs, so no deal open then has a stage, amount or
    expected close date from the history: these stay blank (the stage keeps its dtype), the
    backtest runs (it raised "Cannot cast DatetimeArray to dtype float64"), and a cut-off
    before any deal closed is a DataError naming the column, not a TypeError.
    """
    opps, hist = crm_with_history()
    late = hist[hist["changed"] >= pd.Timestamp("2026-03-01")]
    cutoffs = pd.date_range("2026-01-01", "2026-04-01", freq="MS")
    p = pipeline_at(opps, cutoffs[0], late)
    assert len(p) and p["stage"].isna().all() and p["close_date"].isna().all()
    assert p["stage"].dtype == opps["stage"].dtype
    kw = dict(horizon="month", trials=200, seed=3, timing=timing, min_calibration=2)
    cut = cutoffs[-1] + pd.offsets.MonthBegin(1)
    as_stood = opportunities_at(opps, cut, late)
    bt = backtest(as_stood, cutoffs, stage_history=late[late["changed"] < cut], **kw)
    assert len(bt) == len(cutoffs) and (bt["open_deals"] > 0).all()
    assert np.isfinite(bt["pipeline_mean"]).all()
    with pytest.raises(DataError, match="no deals closed") as err:
        backtest(as_stood, ["2023-10-01"], stage_history=late, **kw)
    assert err.value.column == "close_date"


def test_bad_horizon_and_empty_cutoffs(crm):
    with pytest.raises(ValueError, match="horizon"):
        backtest(crm, CUTOFFS, horizon="week")
    with pytest.raises(ValueError, match="cutoffs"):
        backtest(crm, [])
    assert inspect.signature(backtest).parameters["trials"].default == BACKTEST_TRIALS
