"""Tests of the backtest baselines against hand-computed values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from salesworkbench.errors import DataWarning
from salesworkbench.pipeline import HistoryModel
from salesworkbench.pipeline.baselines import (
    BASELINES,
    crm_stage_probabilities,
    km_forecast,
    naive_forecast,
    stage_weighted_forecast,
)
from salesworkbench.schemas import OPPORTUNITIES

CUT = pd.Timestamp("2026-04-01")


def table(rows) -> pd.DataFrame:
    """Canonical opportunities from (id, status, stage, amount, created, close_date) rows."""
    df = pd.DataFrame(
        rows, columns=["opportunity_id", "status", "stage", "amount", "created", "close_date"]
    )
    df["created"] = pd.to_datetime(df["created"])
    df["close_date"] = pd.to_datetime(df["close_date"])
    return OPPORTUNITIES.coerce(df.assign(account="a", owner="o", product="p"))


def fit(opps) -> HistoryModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return HistoryModel.fit(opps, as_of=CUT - pd.Timedelta(days=1))


def test_naive_is_last_period_bookings():
    opps = table(
        [
            ("a", "won", "Won", 100.0, "2025-10-01", "2025-12-31"),  # before the window
            ("b", "won", "Won", 200.0, "2025-11-01", "2026-01-01"),  # first day of the window
            ("c", "won", "Won", 400.0, "2025-12-01", "2026-03-31"),  # last day
            ("d", "lost", "Lost", 800.0, "2026-01-01", "2026-02-01"),  # lost
            ("e", "won", "Won", 1600.0, "2026-01-01", "2026-04-01"),  # on the cut-off: later
        ]
    )
    assert naive_forecast(opps, CUT, "quarter") == 600.0
    assert naive_forecast(opps, CUT, "month") == 400.0
    assert naive_forecast(opps, "2026-07-01", "quarter") == 1600.0


def test_stage_weighted_by_expected_close():
    closed = [
        (
            f"w{i}",
            "won",
            "Won",
            100.0,
            "2025-01-01",
            pd.Timestamp("2025-01-01") + pd.Timedelta(40, "D"),
        )
        for i in range(3)
    ] + [(f"l{i}", "lost", "Lost", 100.0, "2025-01-01", "2025-03-01") for i in range(3)]
    model = fit(table(closed))
    p_all = float(model.overall["mean"])
    pipe = table(
        [
            ("x", "open", "Proposal", 1000.0, "2026-03-01", "2026-05-15"),  # in Q2
            ("y", "open", "Proposal", 2000.0, "2026-03-01", "2026-07-15"),  # Q3: left out
            ("z", "open", "Proposal", 4000.0, "2026-03-20", None),  # 20 Mar + 40 days: Q2
            ("q", "open", "Proposal", 8000.0, "2025-06-01", None),  # overdue: the cut-off, Q2
        ]
    )
    got = stage_weighted_forecast(pipe, model, "2026Q2", CUT)
    assert got == pytest.approx(p_all * (1000 + 4000 + 8000))
    pipe["probability"] = [0.5, 0.5, 0.25, 0.0]  # the CRM's probability where given
    got = stage_weighted_forecast(pipe, model, "2026Q2", CUT)
    assert got == pytest.approx(500 + 1000)
    # a blank amount takes the median won amount
    pipe.loc[0, "amount"] = np.nan
    assert stage_weighted_forecast(pipe, model, "2026Q2", CUT) == pytest.approx(50 + 1000)


def test_km_timing_times_win_rate_by_hand():
    # closed before the cut-off after 10, 20, 30, 40 days (two won); one deal open, age 15
    start = pd.Timestamp("2026-01-01")
    rows = [
        (f"c{d}", st, st.title(), 100.0, start, start + pd.Timedelta(days=d))
        for d, st in ((10, "won"), (20, "lost"), (30, "won"), (40, "lost"))
    ]
    created = CUT - pd.Timedelta(days=15)
    rows.append(("o", "open", "Proposal", 1000.0, created, None))
    opps = table(rows)
    pipe = opps[opps["status"].astype(object) == "open"].reset_index(drop=True)
    model = fit(opps)
    # KM of the time to close (won or lost), the open deal censored at 15:
    # S(10) = 4/5, S(20) = 4/5 * 2/3, S(30) = 4/5 * 1/3, S(40) = 0; win rate 2/4
    S = {14: 0.8, 19: 0.8, 20: 0.8 * 2 / 3, 44: 0.0}
    # April: ages 15 to 44, P(close | open at 15) = (S(14) - S(44)) / S(14) = 1
    assert km_forecast(opps, pipe, model, "2026-04", CUT) == pytest.approx(500.0)
    # 6 April only (age 20): (S(19) - S(20)) / S(14) = 1/3
    day = pd.Period("2026-04-06", "D")
    assert (day.start_time - created).days == 20
    want = 1000 * 0.5 * (S[19] - S[20]) / S[14]
    assert km_forecast(opps, pipe, model, day, CUT) == pytest.approx(want)
    assert want == pytest.approx(1000 / 6)
    # May: ages 45 and more, beyond every close seen
    assert km_forecast(opps, pipe, model, "2026-05", CUT) == pytest.approx(0.0)
    # deals closed on or after the cut-off are not history: only the table as it stood counts
    later = table([*rows[:4], ("late", "won", "Won", 100.0, start, CUT), rows[4]])
    assert km_forecast(later, pipe, model, day, CUT) == pytest.approx(want)


def test_baselines_registry():
    assert set(BASELINES) == {"stage_weighted", "km_win_rate", "naive"}
    assert {v[1] for v in BASELINES.values()} == {"pipeline", "total"}


def test_crm_stage_probabilities_feed_the_stage_weighted_baseline():
    opps = table(
        [
            ("a", "open", "Proposal", 100.0, "2026-03-01", "2026-05-01"),
            ("b", "open", "Proposal", 100.0, "2026-03-01", "2026-05-01"),
            ("c", "open", "Discovery", 100.0, "2026-03-01", "2026-05-01"),
            ("w", "won", "Won", 100.0, "2025-01-01", "2025-02-01"),
            ("l", "lost", "Lost", 100.0, "2025-01-01", "2025-02-01"),
        ]
    )
    assert crm_stage_probabilities(opps) == {}
    opps["probability"] = [0.5, 0.5, 0.1, 1.0, 0.0]
    probs = crm_stage_probabilities(opps)
    assert probs == {"Proposal": 0.5, "Discovery": 0.1}  # open stages only
    pipe = opps.iloc[:3].copy()
    pipe["probability"] = np.nan  # at a cut-off the deal's own probability is unknown
    model = fit(opps)
    assert stage_weighted_forecast(pipe, model, "2026Q2", CUT, probs) == pytest.approx(110.0)
    p_all = float(model.overall["mean"])
    assert stage_weighted_forecast(pipe, model, "2026Q2", CUT) == pytest.approx(300 * p_all)
