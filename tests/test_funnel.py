"""Tests of the value chain and reverse funnel against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesworkbench.pipeline import conversion_rates, objective_from_arpu, reverse_funnel
from salesworkbench.schemas import LEADS, OPPORTUNITIES


def test_objective_from_arpu_matches_the_sales_model_example():
    # 100,000 users from 22 to 26 a month, for a year
    assert objective_from_arpu(100_000, 22, 26, 12) == 4_800_000
    with pytest.raises(ValueError, match="arpu_target"):
        objective_from_arpu(10, 26, 22)


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.95])
def test_fixed_deal_size_gives_negative_binomial_quantile(confidence):
    rates = {"lead_to_qualified": 0.4, "qualified_to_opportunity": 0.5, "opportunity_to_won": 0.3}
    plan = reverse_funnel(1_000_000, rates, deal_size=40_000, confidence=confidence)
    wins = math.ceil(1_000_000 / 40_000)  # 25
    t = plan.table
    assert t.loc["won_deals", "needed"] == wins
    for level, rho in (("opportunities", 0.3), ("qualified_leads", 0.15), ("leads", 0.06)):
        # smallest n with P(Binomial(n, rho) >= W) >= confidence = W + NegBinom quantile
        assert t.loc[level, "needed"] == wins + stats.nbinom.ppf(confidence, wins, rho)
        assert t.loc[level, "needed_on_average"] == pytest.approx(1_000_000 / 40_000 / rho)
        n = int(t.loc[level, "needed"])
        assert stats.binom.sf(wins - 1, n, rho) >= confidence > stats.binom.sf(wins - 1, n - 1, rho)


def test_deal_size_risk_needs_more_and_is_seeded():
    rng = np.random.default_rng(1)
    sizes = rng.lognormal(10, 1.0, 500)
    rates = {"opportunity_to_won": 0.35}
    fixed = reverse_funnel(2e6, rates, deal_size=sizes.mean(), confidence=0.9)
    risky = reverse_funnel(2e6, rates, deal_sizes=sizes, confidence=0.9, seed=3, trials=4000)
    again = reverse_funnel(2e6, rates, deal_sizes=sizes, confidence=0.9, seed=3, trials=4000)
    assert risky.table.loc["opportunities", "needed"] > fixed.table.loc["opportunities", "needed"]
    pd.testing.assert_frame_equal(risky.table, again.table)
    # check the reported count by brute-force simulation of the whole chain (MC tolerance 0.02)
    n = int(risky.table.loc["opportunities", "needed"])
    sim = np.random.default_rng(9)
    wins = sim.binomial(n, 0.35, 4000)
    reached = np.array([sim.choice(sizes, w).sum() >= 2e6 for w in wins])
    assert reached.mean() == pytest.approx(0.9, abs=0.02)


def test_timing_window_and_bad_parameters():
    rates = pd.DataFrame(
        {"rate": [0.5, 0.5, 0.25], "median_days": [5.0, 20.0, 60.0]},
        index=["lead_to_qualified", "qualified_to_opportunity", "opportunity_to_won"],
    )
    plan = reverse_funnel(1e5, rates, deal_size=1e4, start="2027-01-01", deadline="2027-03-31")
    t = plan.table
    assert t.loc["opportunities", "enter_by"] == pd.Timestamp("2027-01-30")  # 60 days earlier
    assert t.loc["leads", "enter_from"] == pd.Timestamp("2027-01-01") - pd.Timedelta(days=85)
    with pytest.raises(ValueError, match="confidence"):
        reverse_funnel(1e5, rates, deal_size=1e4, confidence=1.2)
    with pytest.raises(ValueError, match="opportunity_to_won"):
        reverse_funnel(1e5, {"lead_to_qualified": 0.2}, deal_size=1e4)
    with pytest.raises(ValueError, match=r"rates\['lead_to_qualified'\]"):
        reverse_funnel(1e5, {"lead_to_qualified": 1.5, "opportunity_to_won": 0.2}, deal_size=1)


def test_conversion_rates_count_undecided_leads():
    today = pd.Timestamp("2026-10-01")
    leads = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(8)],
            "source": "web",
            "created": pd.to_datetime(["2026-01-01"] * 6 + ["2026-09-30", "2026-09-29"]),
            "state": [
                "qualified_opportunity",
                "qualified_opportunity",
                "suspect",
                "disqualified",
                "disqualified",
                "new",
                "new",
                "qualified_lead",
            ],
            "qualified": pd.to_datetime(
                [
                    "2026-01-05",
                    "2026-01-07",
                    "2026-01-09",
                    "2026-01-10",
                    None,
                    None,
                    None,
                    "2026-09-30",
                ]
            ),
            "opportunity_id": ["O1", "O2", None, None, None, None, None, None],
        }
    )
    leads = LEADS.coerce(leads)
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": ["O1", "O2", "O3"],
                "account": "a",
                "stage": ["Won", "Lost", "Open"],
                "status": ["won", "lost", "open"],
                "amount": 1.0,
                "created": pd.to_datetime(["2026-01-20", "2026-01-27", "2026-02-01"]),
                "close_date": pd.to_datetime(["2026-03-01", "2026-03-01", "2026-12-01"]),
                "owner": "o",
                "product": "p",
            }
        )
    )
    cr = conversion_rates(leads, opps, as_of=today)
    # lead -> qualified: 5 qualified of 7 decided; the 1-day-old 'new' lead is undecided
    assert cr.loc["lead_to_qualified", ["converted", "decided", "undecided"]].tolist() == [5, 7, 1]
    # qualified -> opportunity: 2 of 4 decided (the suspect waited past the usual time);
    # the lead qualified yesterday is undecided
    row = cr.loc["qualified_to_opportunity"]
    assert (row["converted"], row["decided"], row["undecided"]) == (2, 4, 1)
    assert row["median_days"] == 17.5  # 15 and 20 days from qualification to opportunity
    # opportunity -> won, competing risks (issue 13): O2 lost at day 33 (3 at risk: S = 2/3),
    # O1 won at day 40 (2 at risk: F = 2/3 x 1/2 = 1/3), O3 open since 242 days (censored).
    # Wins / closed would say 1/2, counting the open deal as undecided forever.
    assert cr.loc["opportunity_to_won", "rate"] == pytest.approx(1 / 3)
    assert cr.loc["opportunity_to_won", "undecided"] == 1


def test_won_rate_uncertainty_widens_the_plan_and_fixed_rates_stay_negative_binomial():
    # deals created monthly; half closed (60% won), the old open ones never close
    n = 300
    rng = np.random.default_rng(3)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 600, n), "D")
    closes = rng.random(n) < 0.7
    won = rng.random(n) < 0.6
    close = created + pd.to_timedelta(rng.integers(10, 90, n), "D")
    today = pd.Timestamp("2026-01-01")
    closes &= np.asarray(close <= today)
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": [f"O{i}" for i in range(n)],
                "account": "a",
                "stage": np.where(closes, np.where(won, "Won", "Lost"), "Open"),
                "status": np.where(closes, np.where(won, "won", "lost"), "open"),
                "amount": 1.0,
                "created": created,
                "close_date": pd.Series(close).where(closes),
                "owner": "o",
                "product": "p",
            }
        )
    )
    cr = conversion_rates(opportunities=opps, as_of=today)
    row = cr.loc["opportunity_to_won"]
    # the competing-risk rate is below wins / closed, and its bootstrap interval brackets it
    assert row["rate"] < row["converted"] / row["decided"]
    assert row["rate_p05"] < row["rate"] < row["rate_p95"]
    sure = reverse_funnel(100.0, {"opportunity_to_won": row["rate"]}, deal_size=1.0)
    unsure = reverse_funnel(100.0, cr, deal_size=1.0)
    rho = row["rate"]
    assert sure.table.loc["opportunities", "needed"] == 100 + stats.nbinom.ppf(0.8, 100, rho)
    assert unsure.table.loc["opportunities", "needed"] > sure.table.loc["opportunities", "needed"]
    assert unsure.probability("opportunities", 10_000) > 0.99
