"""Quotas that add up to the objective: top-down by potential, bottom-up by history, or a blend.

:func:`set_quotas` splits a revenue objective (a number, or the
:class:`~salesworkbench.pipeline.FunnelPlan` of the value chain) across reps or territories:

- ``"potential"``: in proportion to the potential assigned (the ``potential`` column of
  :func:`~salesworkbench.territory.assign_accounts`' output, or another column such as
  ``wallet``);
- ``"history"``: in proportion to each rep's ramp-adjusted bookings: bookings per ramped quarter
  from :func:`salesworkbench.team.analyse_team` (reps without a ramped quarter get the team's
  average ramped productivity), times the share of the quota period the rep is ramped;
- ``"blend"``: ``a`` x the potential shares + ``1 - a`` x the history shares.

Floors and caps are met by water-filling (the shares scale by one factor, clipped to
``[floor, cap]``, the factor chosen so the total is the objective); quotas are then rounded to
whole ``unit`` s by the largest-remainder method, so they sum exactly to the objective.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesworkbench.errors import DataWarning

__all__ = ["QUOTA_METHODS", "QuotaPlan", "set_quotas"]

#: Ways to split the objective.
QUOTA_METHODS = ("potential", "history", "blend")


@dataclass
class QuotaPlan:
    """Result of :func:`set_quotas`.

    Attributes
    ----------
    summary : DataFrame
        One row per rep (index ``rep``): ``potential``, ``history`` (ramp-adjusted bookings per
        quota period), ``ramp`` (share of the period the rep is ramped), ``share`` (the split
        before floors and caps), ``floor``, ``cap``, ``quota`` and ``bound`` ("floor", "cap" or
        "").
    fairness : DataFrame
        Per rep: ``quota_per_potential`` (relative to the team's: 1 = the team's average),
        ``last_year_bookings``, ``quota_per_last_year``, ``forecast_mean`` and
        ``p_attainment`` (P(bookings >= quota) in the period from the pipeline forecast; NaN
        without a pipeline).
    chain : DataFrame
        The value chain in one table: the objective and, from a FunnelPlan, marketing's leads,
        telemarketing's qualified leads and sales' opportunities and wins, then each rep's
        quota with their share of opportunities and wins.
    objective : float
        The objective split (rounded to ``unit``).
    method : str
    notes : list of str
    """

    summary: pd.DataFrame
    fairness: pd.DataFrame
    chain: pd.DataFrame
    objective: float
    method: str
    period: pd.Period | None = None
    notes: list[str] = field(default_factory=list)

    def plot(self, ax=None):
        """Quota per rep with P(attainment) (plotting.territory.plot_quotas)."""
        from salesworkbench.plotting.territory import plot_quotas

        return plot_quotas(self, ax=ax)


def _per_rep(values, names, what: str) -> pd.Series | None:
    if values is None:
        return None
    if isinstance(values, int | float):
        return pd.Series(float(values), index=names)
    s = pd.Series(dict(values) if isinstance(values, Mapping) else values, dtype=float)
    unknown = sorted(set(map(str, s.index)) - set(names))
    if unknown:
        raise ValueError(f"{what}: unknown rep(s) {', '.join(unknown)}")
    return s.reindex(names)


def _reps_and_potential(assignment_or_reps, potential: str) -> tuple[list[str], pd.Series | None]:
    x = assignment_or_reps
    if isinstance(x, pd.DataFrame):
        if "assigned_rep" in x.columns:  # assignment table: one row per account
            if potential not in x.columns:
                raise KeyError(
                    f"the assignment has no {potential!r} column: merge it from the accounts or "
                    "pass potential= the column to use"
                )
            reps = x["assigned_rep"].dropna().astype(str)
            val = pd.to_numeric(x.loc[reps.index, potential], errors="coerce").fillna(0.0)
            pot = val.groupby(reps).sum()
            names = sorted(pot.index)
            return names, pot.reindex(names)
        if "rep" in x.columns:
            t = x.set_index("rep")
        elif x.index.name == "rep":  # the load table
            t = x
        else:
            raise KeyError("give an assignment (assigned_rep), a load table or reps (rep)")
        names = [str(i) for i in t.index]
        pot = (
            pd.Series(pd.to_numeric(t[potential], errors="coerce").to_numpy(float), index=names)
            if potential in t.columns
            else None
        )
        return names, pot
    names = [str(n) for n in x]
    if len(set(names)) != len(names):
        raise ValueError("duplicate rep names")
    return names, None


def _history(history, names: list[str], period: pd.Period | None, notes: list[str]):
    """Ramp-adjusted bookings per quota period, the ramp share, last year's bookings."""
    from salesworkbench.team import TeamAnalysis

    n_q = 1.0
    if period is not None:
        n_q = {"Q": 1.0, "M": 1 / 3, "Y": 4.0}.get(period.freqstr[0], 1.0)
    if isinstance(history, TeamAnalysis):
        t = history.reps
        bpq = t["bookings_per_quarter"].reindex(names)
        rq = t["ramped_quarters"].reindex(names).fillna(0)
        allq = t["bookings_per_quarter"] * t["ramped_quarters"]
        avg = float(allq.sum() / t["ramped_quarters"].sum()) if t["ramped_quarters"].sum() else 0.0
        unramped = [n for n in names if not rq.get(n, 0) > 0]
        if unramped:
            notes.append(
                f"{len(unramped)} rep(s) without a ramped quarter ({', '.join(unramped[:10])}): "
                f"the team's average ramped bookings per quarter ({avg:,.0f}) used"
            )
        base = bpq.where(rq > 0, avg).fillna(avg)
        ramp = pd.Series(1.0, index=names)
        info = history.rep_info
        if period is not None and info is not None and "start_date" in info.columns:
            p0, p1 = period.start_time, period.end_time
            for n in names:
                if n in info.index and pd.notna(info.loc[n, "start_date"]):
                    ramped = pd.Timestamp(info.loc[n, "start_date"]) + pd.DateOffset(
                        months=history.ramp_months
                    )
                    ramp[n] = float(np.clip((p1 - ramped) / (p1 - p0), 0.0, 1.0))
        d = history.deals
        won = d[(d["status"].astype(object) == "won")]
        last = won[(won["close_date"] > history.as_of - pd.DateOffset(years=1))]
        ly = last.groupby(last["owner"].astype(object))["amount"].sum().reindex(names).fillna(0)
        return base * n_q * ramp, ramp, ly
    s = _per_rep(history, names, "history")
    if s is None or s.isna().any():
        missing = [] if s is None else list(s.index[s.isna()])
        raise ValueError(f"history: no bookings for rep(s) {', '.join(missing[:10])}")
    return s, pd.Series(1.0, index=names), pd.Series(np.nan, index=names)


def _water_fill(objective: float, w: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``clip(lam * w, lo, hi)`` summing to ``objective`` (zero-weight reps fill last, evenly)."""
    if lo.sum() > objective + 1e-9 or hi.sum() < objective - 1e-9:
        raise ValueError(
            f"floors sum to {lo.sum():,.0f} and caps to {hi.sum():,.0f}: the objective "
            f"{objective:,.0f} must lie between them"
        )
    pos = w > 0
    if not pos.any():
        w, pos = np.ones_like(w), np.ones_like(w, bool)

    def total(lam, ww):
        return np.clip(lam * ww, lo, hi).sum()

    wp = np.where(pos, w, 0.0)
    lam_hi = 1.0
    while total(lam_hi, wp) < objective and lam_hi < 1e300:
        if np.all(np.clip(lam_hi * wp, lo, hi)[pos] >= hi[pos]):
            break
        lam_hi *= 2
    if total(lam_hi, wp) >= objective - 1e-9:
        lam_lo = 0.0
        for _ in range(200):
            mid = (lam_lo + lam_hi) / 2
            if total(mid, wp) < objective:
                lam_lo = mid
            else:
                lam_hi = mid
        q = np.clip(lam_hi * wp, lo, hi)
        # the bisection leaves a tiny excess: take it off the reps strictly inside their bounds
        excess = q.sum() - objective
        free = (q > lo) & (q < hi) & pos
        if free.any():
            q[free] -= excess * q[free] / q[free].sum()
        return q
    # the weighted reps are all capped: the rest goes evenly to the zero-weight reps
    q = np.where(pos, hi, lo)
    return _fill_rest(objective, q, ~pos, lo, hi)


def _fill_rest(objective, q, rest, lo, hi):
    q = q.copy()
    q[rest] = _water_fill(objective - q[~rest].sum(), np.ones(int(rest.sum())), lo[rest], hi[rest])
    return q


def _largest_remainder(
    q: np.ndarray, total_units: int, lo_u: np.ndarray, hi_u: np.ndarray, names: Sequence[str]
) -> np.ndarray:
    """Whole units summing to ``total_units``: floor, then +1 to the largest remainders."""
    base = np.clip(np.floor(q + 1e-9), lo_u, hi_u).astype(np.int64)
    frac = q - base
    diff = int(total_units - base.sum())
    order = sorted(range(len(q)), key=lambda i: (-frac[i], names[i]))
    while diff > 0:
        moved = False
        for i in order:
            if diff == 0:
                break
            if base[i] < hi_u[i]:
                base[i] += 1
                diff -= 1
                moved = True
        if not moved:
            raise ValueError("caps too low to reach the objective in whole units")
    for i in reversed(order):
        if diff == 0:
            break
        while diff < 0 and base[i] > lo_u[i]:
            base[i] -= 1
            diff += 1
    if diff != 0:
        raise ValueError("floors too high for the objective in whole units")
    return base


def set_quotas(
    objective,
    assignment_or_reps,
    method: str = "potential",
    *,
    weights: float | Mapping[str, float] | None = None,
    floor: float | Mapping[str, float] | None = None,
    cap: float | Mapping[str, float] | None = None,
    history=None,
    potential: str = "potential",
    pipeline: pd.DataFrame | None = None,
    model=None,
    period=None,
    unit: float = 1.0,
    trials: int | None = None,
    seed: int | None = None,
) -> QuotaPlan:
    """Split a revenue objective across reps (or territories) into quotas that add up exactly.

    Parameters
    ----------
    objective : float or FunnelPlan
        The revenue objective for ``period``, or the
        :class:`~salesworkbench.pipeline.FunnelPlan` of
        :func:`~salesworkbench.pipeline.reverse_funnel` (its objective is used and its levels
        head the ``chain`` table).
    assignment_or_reps : DataFrame or sequence of str
        The assignment of :func:`~salesworkbench.territory.assign_accounts` (summed by
        ``assigned_rep``), its ``load`` table, a reps table (column ``rep``), or rep names
        (``method="history"`` only).
    method : {"potential", "history", "blend"}
    weights : float or mapping, optional
        For ``"blend"``: the potential's weight ``a`` (0.5 by default) or
        ``{"potential": x, "history": y}``.
    floor, cap : float or mapping rep -> amount, optional
        Least and most quota per rep.
    history : TeamAnalysis or mapping rep -> bookings, optional
        For ``"history"``/``"blend"`` and the fairness table: the result of
        :func:`salesworkbench.team.analyse_team` (ramp-adjusted bookings, last year's bookings)
        or bookings per period.
    potential : str
        Column summed as potential (e.g. ``"wallet"`` for a currency measure).
    pipeline : DataFrame, optional
        Opportunities (open ones are forecast) for P(attainment), with ``model``.
    model : HistoryModel, optional
        Fitted history (default: ``history.model`` when ``history`` is a TeamAnalysis).
    period : str or Period, optional
        The quota period, e.g. ``"2027Q1"``: the ramp share and the forecast use it (default:
        the quarter after the history's ``as_of``, :func:`salesworkbench.pipeline.next_period`).
    unit : float
        Quotas are whole multiples of this (1: currency units; 1000: thousands).
    trials, seed
        Forecast trials (default :data:`~salesworkbench.defaults.FORECAST_TRIALS`) and seed.

    Returns
    -------
    QuotaPlan
    """
    from salesworkbench.pipeline import FunnelPlan

    funnel = objective if isinstance(objective, FunnelPlan) else None
    obj = float(funnel.objective if funnel is not None else objective)
    if not (math.isfinite(obj) and obj > 0):
        raise ValueError(f"objective must be a positive amount, got {objective!r}")
    if method not in QUOTA_METHODS:
        raise ValueError(f"method must be one of {', '.join(QUOTA_METHODS)}; got {method!r}")
    if not unit > 0:
        raise ValueError(f"unit must be > 0, got {unit!r}")
    notes: list[str] = []
    units = int(round(obj / unit))
    if abs(units * unit - obj) > 1e-6 * max(1.0, obj):
        notes.append(f"objective {obj:,.2f} rounded to whole units of {unit:g}")
    obj_r = units * unit
    names, pot = _reps_and_potential(assignment_or_reps, potential)
    if not names:
        raise ValueError("no reps to set quotas for")
    if period is None:
        from salesworkbench.pipeline import next_period

        src = model if model is not None else history
        if src is not None and hasattr(src, "as_of"):
            period = next_period(src.as_of, "quarter")
    per = pd.Period(period) if period is not None and not isinstance(period, pd.Period) else period
    hist = ramp = last_year = None
    if history is not None:
        hist, ramp, last_year = _history(history, names, per, notes)
    # shares
    a = 0.5
    if method == "blend":
        if isinstance(weights, Mapping):
            wp, wh = float(weights.get("potential", 0)), float(weights.get("history", 0))
            if wp < 0 or wh < 0 or wp + wh <= 0:
                raise ValueError(f"weights must be >= 0 and not both 0, got {weights!r}")
            a = wp / (wp + wh)
        elif weights is not None:
            a = float(weights)
            if not 0 <= a <= 1:
                raise ValueError(f"weights (the potential's share) must be in [0, 1], got {a!r}")
    elif weights is not None:
        raise ValueError("weights apply to method='blend' only")
    need_pot = method in ("potential", "blend") and a > 0 or method == "potential"
    need_hist = method == "history" or (method == "blend" and a < 1)
    if need_pot and pot is None:
        raise ValueError(f"method={method!r} needs potential: no {potential!r} per rep given")
    if need_hist and hist is None:
        raise ValueError(f"method={method!r} needs history= (a TeamAnalysis or bookings)")
    if pot is not None and (pot < 0).any():
        raise ValueError(f"negative potential for rep(s) {', '.join(pot.index[pot < 0])}")

    def norm(s):
        s = s.fillna(0.0).clip(lower=0)
        return s / s.sum() if s.sum() > 0 else pd.Series(1.0 / len(s), index=s.index)

    if method == "potential":
        share = norm(pot)
    elif method == "history":
        share = norm(hist)
    else:
        share = a * norm(pot) if a > 0 else 0.0
        share = share + ((1 - a) * norm(hist) if a < 1 else 0.0)
    lo = _per_rep(floor, names, "floor")
    hi = _per_rep(cap, names, "cap")
    lo = lo.fillna(0.0) if lo is not None else pd.Series(0.0, index=names)
    hi = hi.fillna(np.inf) if hi is not None else pd.Series(np.inf, index=names)
    bad = lo.index[lo > hi]
    if len(bad):
        raise ValueError(f"floor above cap for rep(s) {', '.join(bad)}")
    if (lo < 0).any():
        raise ValueError(f"negative floor for rep(s) {', '.join(lo.index[lo < 0])}")
    raw = _water_fill(obj_r, share.to_numpy(float), lo.to_numpy(float), hi.to_numpy(float))
    lo_u = np.ceil(lo.to_numpy(float) / unit - 1e-9)
    hi_u = np.floor(np.where(np.isinf(hi), 1e18, hi.to_numpy(float)) / unit + 1e-9)
    q = _largest_remainder(raw / unit, units, lo_u, hi_u, names) * unit
    summary = pd.DataFrame(index=pd.Index(names, name="rep"))
    summary["potential"] = pot if pot is not None else np.nan
    summary["history"] = hist if hist is not None else np.nan
    summary["ramp"] = ramp if ramp is not None else np.nan
    summary["share"] = share.to_numpy(float)
    summary["floor"] = lo.to_numpy(float)
    summary["cap"] = hi.replace(np.inf, np.nan).to_numpy(float)  # NaN: no cap
    summary["quota"] = q.astype(float)
    summary["bound"] = np.where(
        np.isclose(q, summary["floor"]) & (summary["floor"] > 0),
        "floor",
        np.where(np.isclose(q, summary["cap"]), "cap", ""),
    )
    fair = _fairness(summary, last_year, pipeline, model, history, per, trials, seed, notes)
    chain = _chain(funnel, obj_r, summary)
    return QuotaPlan(
        summary=summary,
        fairness=fair,
        chain=chain,
        objective=obj_r,
        method=method,
        period=per,
        notes=notes,
    )


def _fairness(summary, last_year, pipeline, model, history, period, trials, seed, notes):
    from salesworkbench.defaults import FORECAST_TRIALS

    q = summary["quota"]
    f = pd.DataFrame(index=summary.index)
    f["quota"] = q
    pot = summary["potential"]
    with np.errstate(divide="ignore", invalid="ignore"):
        team = q.sum() / pot.sum() if pot.notna().any() and pot.sum() > 0 else np.nan
        f["quota_per_potential"] = (q / pot) / team
        f["last_year_bookings"] = last_year if last_year is not None else np.nan
        f["quota_per_last_year"] = q / f["last_year_bookings"]
    f["forecast_mean"] = np.nan
    f["p_attainment"] = np.nan
    if model is None and history is not None and hasattr(history, "model"):
        model = history.model
    if pipeline is None:
        notes.append("no pipeline given: P(attainment) not computed")
        return f
    if model is None:
        raise ValueError("P(attainment) needs model= (a fitted HistoryModel) or history=")
    from salesworkbench.pipeline import forecast

    is_open = pipeline["status"].astype(object) == "open"
    op = pipeline[is_open]
    stale = 0
    for rep in summary.index:
        deals = op[op["owner"].astype(object) == rep]
        if deals.empty:
            f.loc[rep, ["forecast_mean", "p_attainment"]] = [0.0, float(q[rep] <= 0)]
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # counted once below
            res = forecast(
                deals,
                model,
                periods=[period],
                quota=float(q[rep]),
                trials=trials or FORECAST_TRIALS,
                seed=seed,
                new_deals=False,  # the rep's open deals only, not the company's new deals
            )
        stale += len(res.stale)
        f.loc[rep, "forecast_mean"] = float(res.summary.loc["total", "mean"])
        f.loc[rep, "p_attainment"] = float(res.summary.loc["total", "p_quota"])
    if stale:
        notes.append(
            f"{stale} stale open deals left out of the reps' forecasts (see "
            "salesworkbench.pipeline.forecast, stale_after)",
        )
    notes.append(
        f"P(attainment): share of forecast trials in which the rep's open pipeline books at "
        f"least the quota in {period} (open deals only: new deals created in the period are "
        "not in it, so this is a lower bound)"
    )
    return f


def _chain(funnel, objective: float, summary: pd.DataFrame) -> pd.DataFrame:
    rows = [{"level": "CEO", "owner": "CEO", "measure": "revenue objective", "target": objective}]
    opp = won = None
    if funnel is not None:
        t = funnel.table
        labels = {
            "leads": "leads",
            "qualified_leads": "qualified leads",
            "opportunities": "opportunities",
            "won_deals": "won deals",
        }
        for level, row in t.iterrows():
            rows.append(
                {
                    "level": level,
                    "owner": row["owner"],
                    "measure": f"{labels.get(level, level)} needed "
                    f"({funnel.confidence:.0%} confidence)",
                    "target": float(row["needed"]),
                }
            )
        opp = float(t.loc["opportunities", "needed"]) if "opportunities" in t.index else None
        won = float(t.loc["won_deals", "needed"]) if "won_deals" in t.index else None
    for rep, row in summary.iterrows():
        share = row["quota"] / objective
        rows.append({"level": "quota", "owner": rep, "measure": "quota", "target": row["quota"]})
        if opp is not None:
            rows.append(
                {
                    "level": "quota",
                    "owner": rep,
                    "measure": "opportunities (share of quota)",
                    "target": math.ceil(opp * share - 1e-9),
                }
            )
        if won is not None:
            rows.append(
                {
                    "level": "quota",
                    "owner": rep,
                    "measure": "won deals (share of quota)",
                    "target": math.ceil(won * share - 1e-9),
                }
            )
    return pd.DataFrame(rows)
