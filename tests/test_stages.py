"""Landmark competing-risk curves per stage (``salesworkbench.pipeline.stages``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesworkbench.pipeline import HistoryModel, forecast
from salesworkbench.pipeline.periods import _days
from salesworkbench.schemas import OPPORTUNITIES

TODAY = pd.Timestamp("2026-01-01")
P_MOVE = 0.5  # share of deals that leave stage A for B (the rest are lost in A)
P_B = 0.6  # share of deals in B that are won
MEAN_A, MEAN_B = 30.0, 40.0  # exponential days in A and in B (memoryless: known closed forms)


def two_stage_crm(n: int = 5000, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deals sit in A (Exp(30) days), move to B with probability 0.5 (else lost), then sit in B
    (Exp(40) days) and are won with probability 0.6. So a deal in B at any age in it wins with
    probability 0.6, within h days with 0.6 (1 - exp(-h / 40)); a deal in A wins with 0.3."""
    rng = np.random.default_rng(seed)
    created = TODAY - pd.to_timedelta(rng.integers(1, 3 * 365, n), "D")
    t_a = np.ceil(rng.exponential(MEAN_A, n)).astype(int)
    move = rng.random(n) < P_MOVE
    t_b = np.ceil(rng.exponential(MEAN_B, n)).astype(int)
    won = move & (rng.random(n) < P_B)
    entered_b = created + pd.to_timedelta(t_a, "D")
    close = entered_b + pd.to_timedelta(np.where(move, t_b, 0), "D")
    is_closed = close < TODAY
    status = np.where(is_closed, np.where(won, "won", "lost"), "open")
    in_b = move & (entered_b < TODAY)
    stage = np.where(is_closed, np.where(won, "Won", "Lost"), np.where(in_b, "B", "A"))
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": [f"D{i:05d}" for i in range(n)],
                "account": "acc",
                "stage": stage,
                "status": status,
                "amount": 1000.0,
                "owner": "rep",
                "product": "p",
                "created": created,
                "close_date": pd.Series(close).where(is_closed, TODAY + pd.Timedelta(days=30)),
            }
        )
    )
    ids = opps["opportunity_id"].to_numpy()
    rows = [pd.DataFrame({"opportunity_id": ids, "changed": created, "stage": "A"})]
    rows.append(
        pd.DataFrame({"opportunity_id": ids[in_b], "changed": entered_b[in_b], "stage": "B"})
    )
    rows.append(
        pd.DataFrame(
            {
                "opportunity_id": ids[is_closed],
                "changed": close[is_closed],
                "stage": stage[is_closed],
            }
        )
    )
    hist = pd.concat(rows, ignore_index=True)
    hist = hist[hist["changed"] < TODAY].reset_index(drop=True)
    hist.insert(0, "change_id", [f"h{i}" for i in range(len(hist))])
    return opps, hist


@pytest.fixture(scope="module")
def crm2():
    return two_stage_crm()


def test_stage_curves_recover_known_win_rate(crm2):
    """Open deals in B: P(won) = 0.6 at every age in B; the age-only curves mix A and B."""
    opps, hist = crm2
    model = HistoryModel.fit(opps, hist, group_by=None, as_of=TODAY - pd.Timedelta(days=1))
    open_ = opps[opps["status"] == "open"].reset_index(drop=True)
    in_b = (open_["stage"] == "B").to_numpy()
    in_a = (open_["stage"] == "A").to_numpy()
    p_stage, ok = model.stage_model.eventual(open_, TODAY)
    assert ok.all()
    p_age = model.win_model.eventual(open_, TODAY)
    # ~2,500 B spells: the mean over the open B deals is within a few standard errors of 0.6
    assert abs(p_stage[in_b].mean() - P_B) < 0.04
    assert abs(p_stage[in_a].mean() - P_MOVE * P_B) < 0.04
    # the age-only model cannot tell them apart: far from both
    assert abs(p_age[in_b].mean() - P_B) > 0.1
    assert abs(p_age[in_a].mean() - P_MOVE * P_B) > 0.05

    # within a window: P(won within the next 30 days | in B) = 0.6 (1 - exp(-30 / 40))
    d = float(_days(pd.Series([TODAY]))[0])
    q, _ = model.stage_model.probabilities(open_, TODAY, [d], [d + 29])
    want = P_B * (1 - np.exp(-30 / MEAN_B))
    assert abs(q[in_b, 0].mean() - want) < 0.04


def test_forecast_timing_stage_uses_stage_curves(crm2):
    opps, hist = crm2
    model = HistoryModel.fit(opps, hist, group_by=None, as_of=TODAY - pd.Timedelta(days=1))
    open_ = opps[opps["status"] == "open"].reset_index(drop=True)
    res = forecast(
        open_, model, 1, freq="quarter", as_of=TODAY, timing="stage", trials=200, seed=1,
        new_deals=False,
    )  # fmt: skip
    tab = res.deals.set_index("opportunity_id")
    p_b = tab.loc[open_.loc[open_["stage"] == "B", "opportunity_id"], "win_prob"]
    assert abs(p_b.mean() - P_B) < 0.04
    # a quarter (90 days) from 1 January: 0.6 (1 - exp(-90 / 40)) for deals in B
    cols = [c for c in tab.columns if c.startswith("prob_")]
    assert cols


def test_stage_spells_censor_at_fit_date(crm2):
    """Spells use history rows on or before the fit date only; a running spell is censored."""
    opps, hist = crm2
    cut = TODAY - pd.Timedelta(days=200)
    m1 = HistoryModel.fit(opps, hist, group_by=None, as_of=cut)
    h2 = hist.copy()
    late = h2["changed"] > cut
    h2.loc[late, "stage"] = "A"  # rewrite everything after the fit date
    m2 = HistoryModel.fit(opps, h2, group_by=None, as_of=cut)
    pd.testing.assert_frame_equal(m1.stage_model.spells, m2.stage_model.spells)
    sp = m1.stage_model.spells
    assert (sp["entry"] + sp["to_end"] <= float(_days(pd.Series([cut]))[0])).all()
