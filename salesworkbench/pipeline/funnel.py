"""The value chain and the reverse funnel: from a revenue objective back to leads.

In the sales model a CEO objective (say, raise average revenue per user) becomes a revenue
objective, then a *sales* objective (opportunities to convert) and a *marketing* objective
(leads to generate). :func:`conversion_rates` learns the funnel's conversion rates and times from
history; :func:`reverse_funnel` turns an objective into how many leads, qualified leads and
opportunities are needed, and by when they must enter the funnel, to reach the objective with
a chosen probability (e.g. 80%), not just on average.

Method
------
Each level converts independently, so the wins from ``n`` entries at a level are
``Binomial(n, rho)`` where ``rho`` is the product of the conversion rates from that level to a
win (binomial thinning). With ``G(w)`` = P(``w`` won deals add up to at least the objective),

    P(objective reached | n entries) = sum_w Binomial(w; n, rho) G(w),

and the number needed is the smallest ``n`` for which that reaches the confidence level (found
by bisection; it increases with ``n``). With a fixed deal size ``G`` is a step at
``ceil(objective / size)`` and the answer is the negative-binomial quantile
``W + NegBinom.ppf(confidence; W, rho)``. With ``deal_sizes`` (e.g. the won amounts of the
history), ``G`` is estimated by Monte Carlo sums of resampled deal sizes (seeded).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from salesworkbench._random import named_stream
from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import DataError
from salesworkbench.pipeline.curves import outcomes_at, risk_curves

__all__ = [
    "FUNNEL_STEPS",
    "FunnelPlan",
    "conversion_rates",
    "objective_from_arpu",
    "reverse_funnel",
]

#: Bayesian bootstrap draws behind the opportunity-to-won rate's uncertainty.
RATE_DRAWS = 400
#: Quantile nodes of the rate's Beta distribution averaged over in :func:`reverse_funnel`.
RATE_NODES = 32

#: The funnel's steps: (step name, from level, to level, who owns the objective).
FUNNEL_STEPS = (
    ("lead_to_qualified", "leads", "qualified_leads", "marketing"),
    ("qualified_to_opportunity", "qualified_leads", "opportunities", "telemarketing"),
    ("opportunity_to_won", "opportunities", "won_deals", "sales"),
)
_LEVELS = ("leads", "qualified_leads", "opportunities", "won_deals")
_OWNER = {
    "leads": "marketing",
    "qualified_leads": "telemarketing",
    "opportunities": "sales",
    "won_deals": "sales",
}


def objective_from_arpu(
    users: float, arpu_now: float, arpu_target: float, months: int = 12
) -> float:
    """Revenue objective of a CEO's average-revenue-per-user goal.

    ``users x (arpu_target - arpu_now) x months``; e.g. 100,000 users from 22 to 26 a month for
    a year is 4.8 million of new revenue to win.
    """
    if users <= 0 or months <= 0:
        raise ValueError("users and months must be positive")
    if arpu_target <= arpu_now:
        raise ValueError(f"arpu_target ({arpu_target}) must exceed arpu_now ({arpu_now})")
    return float(users) * (arpu_target - arpu_now) * months


def _days_between(a: pd.Series, b: pd.Series) -> np.ndarray:
    d = (pd.to_datetime(b) - pd.to_datetime(a)).dt.days.to_numpy(float)
    return d[~np.isnan(d)]


def conversion_rates(
    leads: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    *,
    as_of=None,
    patience: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Funnel conversion rates and times learned from history.

    Parameters
    ----------
    leads : DataFrame, optional
        Canonical leads (``created``, ``state``, ``qualified`` date, ``opportunity_id``).
    opportunities : DataFrame, optional
        Canonical opportunities (for opportunity -> won and the linked opportunities' dates).
    as_of : date, optional
        Today (default: the latest date in the data).
    patience : float
        A lead still waiting longer than this quantile of the conversion times seen counts as
        not converted; younger ones are *undecided* and left out (counted).
    seed : int, optional
        Seed of the bootstrap behind the opportunity-to-won rate's interval.

    Returns
    -------
    DataFrame
        One row per step (``lead_to_qualified``, ``qualified_to_opportunity``,
        ``opportunity_to_won``) with ``converted``, ``decided``, ``undecided`` (left out),
        ``rate`` and ``median_days`` (time to the next level). Opportunity to won is the
        competing-risk (Aalen-Johansen) probability of winning within the data's follow-up,
        with open deals censored, not wins / closed (which treats the open deals that will
        never close as undecided forever and overstates the rate); its ``rate_p05``,
        ``rate_p95`` (Bayesian bootstrap) and ``alpha``, ``beta`` (a Beta with the bootstrap's
        mean and variance, used by :func:`reverse_funnel`) give its uncertainty.
    """
    rows = {}
    if leads is not None:
        for c in ("created", "state"):
            if c not in leads.columns:
                raise DataError(f"leads need a {c!r} column", file="leads", column=c)
        dates = [leads["created"].max()]
        if opportunities is not None:
            dates.append(opportunities["created"].max())
        today = pd.Timestamp(as_of) if as_of is not None else max(d for d in dates if pd.notna(d))
        state = leads["state"].astype(object)
        qdate = (
            leads["qualified"]
            if "qualified" in leads.columns
            else pd.Series(pd.NaT, index=leads.index)
        )
        was_q = qdate.notna() | state.isin(["qualified_lead", "suspect", "qualified_opportunity"])
        has_opp = (
            leads["opportunity_id"].notna()
            if "opportunity_id" in leads.columns
            else state.eq("qualified_opportunity")
        )
        # lead -> qualified
        d1 = _days_between(leads.loc[qdate.notna(), "created"], qdate[qdate.notna()])
        wait1 = np.quantile(d1, patience) if d1.size else np.inf
        age = (today - leads["created"]).dt.days
        undecided1 = ~was_q & ~state.eq("disqualified") & (age <= wait1)
        rows["lead_to_qualified"] = _step(was_q.sum(), (~undecided1).sum(), undecided1.sum(), d1)
        # qualified -> opportunity
        d2 = np.array([])
        if opportunities is not None and "opportunity_id" in leads.columns:
            created_of = opportunities.set_index("opportunity_id")["created"]
            lk = leads[has_opp & qdate.notna()]
            d2 = _days_between(lk["qualified"], lk["opportunity_id"].map(created_of))
        wait2 = np.quantile(d2, patience) if d2.size else np.inf
        qage = (today - qdate).dt.days
        undecided2 = was_q & ~has_opp & ~state.eq("disqualified") & (qage.fillna(0) <= wait2)
        rows["qualified_to_opportunity"] = _step(
            (was_q & has_opp).sum(), (was_q & ~undecided2).sum(), undecided2.sum(), d2
        )
    if opportunities is not None:
        st = opportunities["status"].astype(object)
        won = st.eq("won")
        closed = st.isin(["won", "lost"])
        w = opportunities[won]
        d3 = _days_between(w["created"], w["close_date"])
        rows["opportunity_to_won"] = _step(won.sum(), closed.sum(), (~closed).sum(), d3)
        rows["opportunity_to_won"].update(_won_rate(opportunities, as_of, seed=seed))
    if not rows:
        raise ValueError("give leads, opportunities or both")
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "step"
    return out


def _won_rate(opportunities: pd.DataFrame, as_of, seed) -> dict:
    """Aalen-Johansen P(won) from creation, with a Bayesian-bootstrap interval and Beta fit."""
    today = pd.Timestamp(as_of) if as_of is not None else opportunities["created"].max()
    cd = opportunities["close_date"].where(
        opportunities["status"].astype(object).isin(["won", "lost"])
    )
    if cd.notna().any():
        today = max(today, cd.max()) if as_of is None else today
    world, dur, code = outcomes_at(opportunities, today)
    if not (code > 0).any():
        return {}
    rc = risk_curves(dur, code)
    rate = float(rc.F[0, -1])
    wts = named_stream(seed, "funnel.won_rate").exponential(size=(RATE_DRAWS, rc.n_units))
    draws = rc.draw(wts)[0][:, 0, -1]
    m, v = float(draws.mean()), float(draws.var(ddof=1))
    k = m * (1 - m) / v - 1 if v > 0 else 1e9
    return {
        "rate": rate,
        "rate_p05": float(np.quantile(draws, 0.05)),
        "rate_p95": float(np.quantile(draws, 0.95)),
        "alpha": max(m * k, 1e-3),
        "beta": max((1 - m) * k, 1e-3),
    }


def _step(converted, decided, undecided, days) -> dict:
    converted, decided = int(converted), int(decided)
    return {
        "converted": converted,
        "decided": decided,
        "undecided": int(undecided),
        "rate": converted / decided if decided else np.nan,
        "median_days": float(np.median(days)) if len(days) else np.nan,
    }


@dataclass
class FunnelPlan:
    """Result of :func:`reverse_funnel`.

    Attributes
    ----------
    table : DataFrame
        One row per level (leads, qualified_leads, opportunities, won_deals): ``owner``,
        ``rate_to_next``, ``rate_to_won``, ``needed_on_average`` (objective / (deal size x
        rate)), ``needed`` (at the confidence level), ``days_to_close`` (typical time from
        entering this level to a win), ``enter_from`` and ``enter_by`` (the window in which the
        entries must arrive to close within the objective's period) and, given ``as_of``,
        ``on_time`` (False: at the typical pace it is already too late for this level).
    objective, confidence : float
    wins_needed : int
        Wins needed at the confidence level (deal-size risk only, before conversion risk).
    """

    table: pd.DataFrame
    objective: float
    confidence: float
    deal_size: float
    wins_needed: int
    start: pd.Timestamp | None
    deadline: pd.Timestamp | None
    method: str

    def probability(self, level: str, n: int) -> float:
        """P(reaching the objective) with ``n`` entries at ``level`` (uses the stored G)."""
        rho = self._nodes.get(level, float(self.table.loc[level, "rate_to_won"]))
        return float(_p_reach(n, rho, self._g))

    _g: np.ndarray = None  # type: ignore[assignment]
    _nodes: dict = None  # type: ignore[assignment]


def _rates_of(rates) -> dict[str, float]:
    if isinstance(rates, pd.DataFrame):
        rates = rates["rate"]
    r = dict(rates)
    out = {}
    for step, *_ in FUNNEL_STEPS:
        if step in r:
            v = float(r[step])
            if not 0 < v <= 1:
                raise ValueError(f"rates[{step!r}] must be in (0, 1], got {v!r}")
            out[step] = v
    if "opportunity_to_won" not in out:
        raise ValueError("rates need at least 'opportunity_to_won'")
    return out


def _g_of(objective: float, deal_size: float, deal_sizes, trials: int, seed) -> np.ndarray:
    """G[w] = P(w won deals add up to >= objective), w = 0 .. len(G)-1 (G = 1 beyond)."""
    if deal_sizes is None:
        w_needed = max(1, math.ceil(objective / deal_size - 1e-12))
        g = np.zeros(w_needed + 1)
        g[w_needed] = 1.0
        return g
    sizes = np.asarray(deal_sizes, float)
    sizes = sizes[np.isfinite(sizes) & (sizes > 0)]
    if sizes.size < 2:
        raise ValueError("deal_sizes: give at least two positive amounts")
    rng = named_stream(seed, "funnel.deal_sizes")
    w_max = int(math.ceil(3 * objective / sizes.mean())) + 20
    total = np.zeros(trials)
    g = [0.0]
    for _ in range(w_max):
        total += rng.choice(sizes, size=trials)
        g.append(float(np.mean(total >= objective)))
        if g[-1] >= 1.0:
            break
    g[-1] = 1.0  # beyond the simulated range every trial is counted as reaching it
    return np.maximum.accumulate(np.array(g))


def _p_reach(n: int, rho, g: np.ndarray) -> float:
    """P(reach | n entries), averaged over ``rho`` nodes when ``rho`` is an array."""
    r = np.atleast_1d(np.asarray(rho, float))[None, :]
    w = np.arange(g.size - 1)[:, None]
    p = np.sum(stats.binom.pmf(w, n, r) * g[:-1, None], axis=0) + stats.binom.sf(
        g.size - 2, n, r[0]
    )
    return float(np.mean(p))


def _needed(rho, g: np.ndarray, confidence: float) -> int:
    r_min = float(np.min(np.atleast_1d(rho)))
    lo, hi = 0, max(1, int(math.ceil((g.size - 1) / max(np.mean(rho), 1e-9))))
    if r_min <= 0:
        raise ValueError("a conversion rate of 0 cannot reach the objective")
    while _p_reach(hi, rho, g) < confidence:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _p_reach(mid, rho, g) >= confidence:
            hi = mid
        else:
            lo = mid
    return hi if _p_reach(lo, rho, g) < confidence else lo


def reverse_funnel(
    objective: float,
    rates: Mapping[str, float] | pd.DataFrame,
    deal_size: float | None = None,
    *,
    deal_sizes: Sequence[float] | np.ndarray | None = None,
    confidence: float = 0.8,
    days: Mapping[str, float] | None = None,
    start=None,
    deadline=None,
    as_of=None,
    trials: int = FORECAST_TRIALS,
    seed: int | None = None,
) -> FunnelPlan:
    """How many leads, qualified leads and opportunities an objective needs, and by when.

    Parameters
    ----------
    objective : float
        Revenue to win (e.g. from :func:`objective_from_arpu`).
    rates : mapping or DataFrame
        Conversion rates by step (``lead_to_qualified``, ``qualified_to_opportunity``,
        ``opportunity_to_won``), entered or from :func:`conversion_rates` (whose
        ``median_days`` are then used for ``days``, and whose ``alpha``, ``beta`` of the
        opportunity-to-won rate add its uncertainty: ``needed`` then averages the chance of
        reaching the objective over that rate's Beta distribution).
    deal_size : float, optional
        Average won deal; default the mean of ``deal_sizes``.
    deal_sizes : array, optional
        Won deal amounts to resample: adds deal-size risk (otherwise every win is worth
        ``deal_size``).
    confidence : float
        Required probability of reaching the objective, in (0, 1).
    days : mapping, optional
        Typical days per step (same keys as ``rates``).
    start, deadline : date, optional
        The objective's period: entries must arrive between ``start - days_to_close`` and
        ``deadline - days_to_close``.
    as_of : date, optional
        Today: adds ``on_time`` (whether ``enter_by`` is still ahead) to the table.
    trials : int, default :data:`~salesworkbench.defaults.FORECAST_TRIALS`
        Monte Carlo trials for deal-size risk (used with ``deal_sizes`` only).
    seed : int, optional
        Seed for the deal-size resampling.

    Returns
    -------
    FunnelPlan
    """
    if not objective > 0:
        raise ValueError(f"objective must be a positive amount, got {objective!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.8), got {confidence!r}")
    r = _rates_of(rates)
    if days is None and isinstance(rates, pd.DataFrame) and "median_days" in rates.columns:
        days = rates["median_days"].to_dict()
    days = dict(days or {})
    if deal_size is None:
        if deal_sizes is None:
            raise ValueError("give deal_size or deal_sizes")
        deal_size = float(np.nanmean(np.asarray(deal_sizes, float)))
    if not deal_size > 0:
        raise ValueError(f"deal_size must be positive, got {deal_size!r}")
    g = _g_of(objective, deal_size, deal_sizes, trials, seed)
    # uncertainty of the opportunity-to-won rate (from conversion_rates): Beta quantile nodes
    unc = None
    if isinstance(rates, pd.DataFrame) and {"alpha", "beta"} <= set(rates.columns):
        ab = rates.loc["opportunity_to_won", ["alpha", "beta"]].to_numpy(float)
        if np.all(np.isfinite(ab)):
            qs = (np.arange(RATE_NODES) + 0.5) / RATE_NODES
            unc = stats.beta.ppf(qs, ab[0], ab[1]) / (ab[0] / ab.sum())
    nodes: dict[str, np.ndarray] = {}
    rows = []
    rho, cum_days = 1.0, 0.0
    for level in reversed(_LEVELS):
        step = next((s for s, frm, *_ in FUNNEL_STEPS if frm == level), None)
        if step is not None:
            if step not in r:
                break
            rho *= r[step]
            cum_days += float(days.get(step, np.nan))
        if unc is not None and level != "won_deals":
            nodes[level] = np.clip(rho * unc, 1e-9, 1.0)
        rows.append(
            {
                "level": level,
                "owner": _OWNER[level],
                "rate_to_won_p05": float(np.quantile(nodes[level], 0.05))
                if level in nodes
                else rho,
                "rate_to_won_p95": float(np.quantile(nodes[level], 0.95))
                if level in nodes
                else rho,
                "rate_to_next": r.get(step, np.nan) if step else np.nan,
                "rate_to_won": rho,
                "needed_on_average": objective / (deal_size * rho),
                "needed": _needed(nodes.get(level, rho), g, confidence),
                "days_to_close": cum_days,
            }
        )
    table = pd.DataFrame(rows[::-1]).set_index("level")
    start = pd.Timestamp(start) if start is not None else None
    deadline = pd.Timestamp(deadline) if deadline is not None else None
    lag = pd.to_timedelta(table["days_to_close"].round(), unit="D")
    table["enter_from"] = (start - lag) if start is not None else pd.NaT
    table["enter_by"] = (deadline - lag) if deadline is not None else pd.NaT
    if as_of is not None and deadline is not None:
        table["on_time"] = table["enter_by"] >= pd.Timestamp(as_of)
    wins = int(table.loc["won_deals", "needed"])
    plan = FunnelPlan(
        table=table,
        objective=float(objective),
        confidence=float(confidence),
        deal_size=float(deal_size),
        wins_needed=wins,
        start=start,
        deadline=deadline,
        method="binomial" if deal_sizes is None else "binomial + resampled sizes",
    )
    plan._g = g
    plan._nodes = nodes
    return plan
