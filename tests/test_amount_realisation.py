"""What a won deal books against the amount it showed while open (pipeline.amounts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesworkbench.errors import DataWarning
from salesworkbench.pipeline import HistoryModel, forecast
from salesworkbench.pipeline.amounts import (
    ALL,
    MIN_DEALS,
    amount_realisation,
    realisation_ratios,
)
from salesworkbench.schemas import OPPORTUNITIES, STAGE_HISTORY

D = pd.Timestamp


def _history(rows):
    return STAGE_HISTORY.coerce(
        pd.DataFrame(
            [
                {
                    "change_id": f"C{i}",
                    "opportunity_id": o,
                    "changed": D(c),
                    "stage": s,
                    "amount": a,
                }
                for i, (o, c, s, a) in enumerate(rows)
            ]
        )
    )


def _won(rows):
    return pd.DataFrame(
        [{"opportunity_id": o, "close_date": D(c), "amount": a} for o, c, a in rows]
    )


def test_ratio_by_hand_weighs_each_amount_by_the_days_it_stood():
    # shown 100 for 10 days (Jan 1-11), then 80 for 30 days (Jan 11 - Feb 10), booked 80;
    # the closing row and a row after the close do not count
    hist = _history(
        [
            ("A", "2025-01-01", "Prospecting", 100.0),
            ("A", "2025-01-11", "Proposal", 80.0),
            ("A", "2025-02-10", "Closed Won", 80.0),
        ]
    )
    t = amount_realisation(_won([("A", "2025-02-10", 80.0)]), hist, "2025-12-31")
    assert t.loc["Prospecting", "ratio"] == pytest.approx(80 / 100, abs=1e-12)
    assert t.loc["Proposal", "ratio"] == pytest.approx(1.0, abs=1e-12)
    assert t.loc[ALL, "ratio"] == pytest.approx((10 * 80 + 30 * 80) / (10 * 100 + 30 * 80))
    assert t.loc[ALL, "deals"] == 1 and t.loc[ALL, "rows"] == 2
    # one deal is fewer than MIN_DEALS: every stage uses the overall ratio
    assert (t["used"] == t.loc[ALL, "ratio"]).all()


def test_a_blank_amount_keeps_the_last_one_and_a_stage_with_enough_deals_keeps_its_own():
    rows, won = [], []
    for i in range(MIN_DEALS):
        o = f"D{i}"
        rows += [
            (o, "2025-01-01", "Prospecting", 100.0),
            (o, "2025-01-21", "Negotiation", np.nan),  # amount unchanged: still 100
            (o, "2025-01-31", "Closed Won", 90.0),
        ]
        won.append((o, "2025-01-31", 90.0))
    rows += [("E", "2025-01-01", "Proposal", 50.0), ("E", "2025-01-31", "Closed Won", 100.0)]
    won.append(("E", "2025-01-31", 100.0))
    t = amount_realisation(_won(won), _history(rows), "2025-12-31")
    assert t.loc["Prospecting", "used"] == pytest.approx(0.9)
    assert t.loc["Negotiation", "used"] == pytest.approx(0.9)
    overall = (MIN_DEALS * 30 * 90 + 30 * 100) / (MIN_DEALS * 30 * 100 + 30 * 50)
    assert t.loc["Proposal", "ratio"] == pytest.approx(2.0)
    assert t.loc["Proposal", "used"] == pytest.approx(overall)
    deals = pd.DataFrame({"stage": ["Prospecting", "Proposal", "Unknown", None]})
    r = realisation_ratios(deals, t)
    np.testing.assert_allclose(r, [0.9, overall, overall, overall])
    np.testing.assert_array_equal(realisation_ratios(deals, None), np.ones(4))


def test_nothing_after_as_of_and_unit_changes_are_left_out_and_counted():
    hist = _history(
        [
            ("A", "2025-01-01", "Proposal", 100.0),
            ("A", "2025-02-01", "Closed Won", 90.0),
            ("B", "2025-01-01", "Proposal", 100.0),  # closes after as_of
            ("B", "2025-08-01", "Closed Won", 10.0),
            ("C", "2025-01-01", "Proposal", 10.0),  # 10 -> 10,000: a unit change
            ("C", "2025-02-01", "Closed Won", 10_000.0),
        ]
    )
    won = _won([("A", "2025-02-01", 90.0), ("B", "2025-08-01", 10.0), ("C", "2025-02-01", 1e4)])
    excluded: dict[str, int] = {}
    t = amount_realisation(won, hist, "2025-06-30", excluded)
    assert t.loc[ALL, "deals"] == 1
    assert t.loc[ALL, "ratio"] == pytest.approx(0.9)
    assert sum(excluded.values()) == 1
    assert amount_realisation(won, hist.drop(columns="amount"), "2025-06-30") is None
    assert amount_realisation(won, None, "2025-06-30") is None


def _world(n=400, seed=3):
    """Won deals that book 80% of what they showed; a few open deals."""
    rng = np.random.default_rng(seed)
    created = D("2024-01-01") + pd.to_timedelta(rng.integers(0, 500, n), "D")
    cycle = rng.integers(20, 120, n)
    close = created + pd.to_timedelta(cycle, "D")
    today = D("2025-06-01")
    won = rng.random(n) < 0.5
    status = np.where(close < today, np.where(won, "won", "lost"), "open")
    shown = rng.uniform(1_000, 5_000, n).round()
    ids = [f"O{i:04d}" for i in range(n)]
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": ids,
                "account": "acc",
                "owner": "rep",
                "product": "p",
                "stage": np.where(status == "open", "Proposal", np.where(won, "Won", "Lost")),
                "status": status,
                "amount": np.where(status == "won", 0.8 * shown, shown),
                "created": created,
                "close_date": np.where(status == "open", close + pd.Timedelta(days=30), close),
            }
        )
    )
    rows = [(o, c, "Proposal", a) for o, c, a in zip(ids, created, shown, strict=True)]
    rows += [
        (o, c, "Won" if s == "won" else "Lost", a)
        for o, c, s, a in zip(ids, close, status, opps["amount"], strict=True)
        if s != "open"
    ]
    return opps, _history(rows), today


def test_forecast_scales_recorded_amounts_to_what_wins_book_and_says_so():
    opps, hist, today = _world()
    model = HistoryModel.fit(opps, hist, as_of=today)
    assert model.amount_ratio.loc[ALL, "ratio"] == pytest.approx(0.8, abs=1e-9)
    plain = HistoryModel.fit(opps, as_of=today)
    assert plain.amount_ratio is None
    kw = {"periods": 2, "trials": 2000, "seed": 5, "timing": "created", "new_deals": False}
    r = forecast(opps, model, **kw)
    r0 = forecast(opps, plain, **kw)
    d = r.deals.set_index("opportunity_id")
    d0 = r0.deals.set_index("opportunity_id").loc[d.index]
    np.testing.assert_allclose(d["booked_ratio"], 0.8)
    np.testing.assert_allclose(d["amount"], d0["amount"])  # shown as recorded
    np.testing.assert_allclose(
        d["expected"],
        d["amount"] * 0.8 * d0["prob_" + str(r.periods[0])]
        + d["amount"] * 0.8 * d0["prob_" + str(r.periods[1])],
        rtol=1e-9,
    )
    assert r.summary.loc["total", "expected"] == pytest.approx(
        0.8 * r0.summary.loc["total", "expected"], rel=1e-9
    )
    assert r.summary.loc["total", "pipeline"] == r0.summary.loc["total", "pipeline"]
    assert any("booked 0.80 x the amount they showed" in n for n in r.notes)
    assert not any("booked" in n for n in r0.notes)


def test_an_imputed_amount_is_not_scaled():
    opps, hist, today = _world()
    model = HistoryModel.fit(opps, hist, as_of=today)
    open_ = opps[opps["status"].astype(object) == "open"].copy()
    open_.loc[open_.index[0], "amount"] = np.nan
    with pytest.warns(DataWarning, match="no amount"):
        r = forecast(open_, model, periods=1, trials=100, seed=1, timing="created", new_deals=False)
    d = r.deals.set_index("opportunity_id")
    assert d.loc[open_["opportunity_id"].iloc[0], "booked_ratio"] == 1.0
    np.testing.assert_allclose(d.drop(open_["opportunity_id"].iloc[0])["booked_ratio"], 0.8)
