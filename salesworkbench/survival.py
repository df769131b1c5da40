"""Survival with censoring and competing risks: Kaplan-Meier and Aalen-Johansen.

A deal is a survival problem: it is created, stays open for a while and then closes *won* or
*lost*, or is still open at the analysis date (censored: we know it lasted at least that
long, not how it ends). Ignoring the open deals (a win rate of closed deals only, a cycle time
of won deals only) over-states the speed and often the win rate, because the deals that drag
on are the ones that have not closed yet. This module gives the two estimators that use them
properly, vectorised with numpy (one sort, then cumulative sums; no Python loop over deals):

* :func:`kaplan_meier`: the survival curve ``S(t) = P(T > t)`` of one kind of event with right
  censoring, with Greenwood's variance; :func:`km_quantile` / :func:`km_median` read
  quantiles off it.
* :func:`aalen_johansen`: the cumulative incidence ``F_k(t) = P(T <= t, cause = k)`` of one
  event type (e.g. won) when another (lost) competes with it and open deals are censored;
  :func:`cif_quantile` reads the time by which a share of the eventual events of that type
  happened (e.g. the median days to win of deals that win) and
  :func:`conditional_probability` gives ``P(event k in (a, a + h] | still open at age a)``
  for arrays of ages and horizons: what a forecast needs for each open deal.

Estimators
----------
At the distinct times ``t_1 < t_2 < ...`` with ``n_j`` subjects at risk (duration ``>= t_j``),
``d_j`` events of any cause and ``d_kj`` of cause ``k``:

* Kaplan-Meier: ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)``; Greenwood
  ``Var S(t) = S(t)^2 sum_{t_j <= t} d_j / (n_j (n_j - d_j))``.
* Aalen-Johansen: ``F_k(t) = sum_{t_j <= t} S(t_{j-1}) d_kj / n_j`` with ``S`` the all-cause
  Kaplan-Meier curve; ``S(t) + sum_k F_k(t) = 1`` at every ``t``.

Censoring at ``t_j`` counts the subject as at risk at ``t_j`` (events before censorings at tied
times, the usual convention). Weights (e.g. bootstrap counts) multiply each subject's
contribution to ``n_j`` and ``d_j``.

Why hand-written
----------------
lifelines (the reference implementation in Python) pins ``pandas<3``, and salesworkbench
requires ``pandas>=3``, so lifelines cannot be a dependency. The tests compare these functions
with hand-computed tables and with reference values computed by lifelines 0.30.3
(``KaplanMeierFitter``, ``AalenJohansenFitter``) in a separate environment, pasted as literals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "aalen_johansen",
    "aalen_johansen_curves",
    "cif_quantile",
    "conditional_probability",
    "kaplan_meier",
    "km_median",
    "km_quantile",
    "survival_quantile",
]


def _check(durations, name: str = "durations") -> np.ndarray:
    t = np.asarray(durations, float)
    if t.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {t.shape}")
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite and >= 0; {int(bad.sum())} value(s) are not "
            f"(first at position {i}: {t[i]!r})"
        )
    return t


def _weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, float)
    if w.shape[-1:] != (n,) or w.ndim > 2:
        raise ValueError(f"weights must have shape ({n},) or (B, {n}), got {w.shape}")
    if not np.all(np.isfinite(w) & (w >= 0)):
        raise ValueError("weights must be finite and >= 0")
    return w


def _counts(t: np.ndarray, codes: np.ndarray, w: np.ndarray, n_causes: int):
    """Distinct times and, per time, weighted at-risk, censored and per-cause event counts.

    ``codes`` holds 0 (censored) or 1..n_causes. ``w`` is (n,) or (B, n); the counts then have
    a leading axis of length B.
    """
    order = np.argsort(t, kind="stable")
    ts, cs = t[order], codes[order]
    ws = w[..., order]
    times, start = np.unique(ts, return_index=True)
    onehot = np.zeros((n_causes + 1, len(ts)))
    onehot[cs, np.arange(len(ts))] = 1.0
    # (..., causes + 1, n) -> per distinct time by reduceat along the deals axis
    per = np.add.reduceat(ws[..., None, :] * onehot, start, axis=-1) if len(ts) else None
    if per is None:
        shape = (*w.shape[:-1], n_causes + 1, 0)
        per = np.zeros(shape)
    total = per.sum(axis=-2)  # leaving the risk set at each time
    at_risk = np.flip(np.cumsum(np.flip(total, -1), axis=-1), -1)
    return times, at_risk, per[..., 0, :], per[..., 1:, :]


def kaplan_meier(durations, observed, weights=None) -> pd.DataFrame:
    """Kaplan-Meier survival curve with Greenwood's variance.

    Parameters
    ----------
    durations : array of float
        Time to the event, or to censoring (>= 0, finite).
    observed : array of bool
        True where the event happened at ``durations``; False where the subject was censored
        (still open at the analysis date).
    weights : array of float, optional
        Non-negative weight of each subject (default 1).

    Returns
    -------
    DataFrame
        One row per distinct duration, sorted: ``time``, ``at_risk`` (weighted count with
        duration ``>= time``), ``events``, ``censored``, ``survival`` (``S(time)``, just after
        the step) and ``variance`` (Greenwood). The variance is NaN once the curve has reached
        0 (the last subjects all had the event: Greenwood's formula divides by zero there).
        ``S`` before the first row is 1.
    """
    t = _check(durations)
    e = np.asarray(observed).astype(bool)
    if e.shape != t.shape:
        raise ValueError(f"observed must have the shape of durations {t.shape}, got {e.shape}")
    w = _weights(weights, len(t))
    if w.ndim != 1:
        raise ValueError("kaplan_meier takes one weight per subject (shape (n,))")
    times, n, cens, ev = _counts(t, e.astype(int), w, 1)
    d = ev[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(n > 0, d / n, 0.0)
        surv = np.cumprod(1.0 - h)
        gw = np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0))
        var = np.where(surv > 0, surv**2 * gw, np.nan)
    return pd.DataFrame(
        {
            "time": times,
            "at_risk": n,
            "events": d,
            "censored": cens,
            "survival": surv,
            "variance": var,
        }
    )


def _step(times: np.ndarray, values: np.ndarray, at, before: float) -> np.ndarray:
    """Right-continuous step function through (times, values), ``before`` left of times[0]."""
    at = np.asarray(at, float)
    i = np.searchsorted(times, at, side="right") - 1
    v = np.concatenate([[before], values])
    return v[i + 1]


def km_quantile(durations, observed, p: float = 0.5, weights=None) -> float:
    """The ``p``-quantile of the time to the event: the first time ``S(t) <= 1 - p``.

    Parameters
    ----------
    durations, observed, weights
        As :func:`kaplan_meier`.
    p : float
        Share of subjects with the event (0.5: the median), strictly between 0 and 1.

    Returns
    -------
    float
        The quantile (the same definition as lifelines' ``qth_survival_time``). ``inf`` when
        the curve never falls to ``1 - p``: too many subjects are censored before that many
        events happened, so the data only say the quantile lies beyond the last follow-up.
        NaN when there are no subjects.
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    t = _check(durations)
    if len(t) == 0:
        return float("nan")
    km = kaplan_meier(t, observed, weights)
    return survival_quantile(km["time"].to_numpy(), km["survival"].to_numpy(), p)


def survival_quantile(times: np.ndarray, survival: np.ndarray, p: float = 0.5) -> float:
    """First time a survival curve is ``<= 1 - p`` (``inf`` if never); see :func:`km_quantile`."""
    hit = np.flatnonzero(np.asarray(survival) <= 1 - p + 1e-12)
    return float(times[hit[0]]) if hit.size else float("inf")


def km_median(durations, observed, weights=None) -> float:
    """The survival median: :func:`km_quantile` with ``p = 0.5`` (``inf`` if never reached)."""
    return km_quantile(durations, observed, 0.5, weights)


def _codes(event, event_of_interest, censored_value):
    ev = np.asarray(event, object)
    cens = np.array([x is None or x != x or x == censored_value for x in ev.ravel()], bool)
    cens = cens.reshape(ev.shape)
    interest = ~cens & (ev == event_of_interest)
    # 0 censored, 1 event of interest, 2 any competing event
    return np.where(cens, 0, np.where(interest, 1, 2)).astype(int)


def aalen_johansen(
    durations,
    event,
    event_of_interest,
    *,
    censored=None,
    weights=None,
) -> pd.DataFrame:
    """Cumulative incidence of one event type with competing events and censoring.

    Parameters
    ----------
    durations : array of float
        Time to the event, or to censoring (>= 0, finite).
    event : array
        The event of each subject (e.g. ``"won"``, ``"lost"``); ``censored`` (default None,
        also NaN) marks a subject still open at its duration. Every other value is a
        competing event.
    event_of_interest
        The value of ``event`` whose cumulative incidence is wanted (e.g. ``"won"``).
    censored : optional
        The value of ``event`` meaning censored (default None; NaN always means censored).
    weights : array of float, optional
        Non-negative weight of each subject (default 1).

    Returns
    -------
    DataFrame
        One row per distinct duration, sorted: ``time``, ``at_risk``, ``events`` (of
        interest), ``competing``, ``censored``, ``survival`` (all-cause Kaplan-Meier: still
        open), ``cif`` (``P(T <= time, event of interest)``) and ``cif_competing`` (all
        competing events together), so ``survival + cif + cif_competing = 1``. All three
        are 1, 0 and 0 before the first row.
    """
    t = _check(durations)
    codes = _codes(event, event_of_interest, censored)
    if codes.shape != t.shape:
        raise ValueError(f"event must have the shape of durations {t.shape}, got {codes.shape}")
    w = _weights(weights, len(t))
    if w.ndim != 1:
        raise ValueError("aalen_johansen takes one weight per subject (shape (n,))")
    times, n, cens, surv, cif, cif2, ev = aalen_johansen_curves(t, codes, w)
    return pd.DataFrame(
        {
            "time": times,
            "at_risk": n,
            "events": ev[0],
            "competing": ev[1],
            "censored": cens,
            "survival": surv,
            "cif": cif,
            "cif_competing": cif2,
        }
    )


def aalen_johansen_curves(t: np.ndarray, codes: np.ndarray, w: np.ndarray):
    """Aalen-Johansen estimate as plain arrays, for many weightings at once.

    The vectorised core behind :func:`aalen_johansen`, for callers that need the curves for
    many groups or bootstrap replicates in one pass (the team and pipeline packages).

    Parameters
    ----------
    t : ndarray, shape (n,)
        Durations.
    codes : ndarray of int, shape (n,)
        0 = censored (still open), 1 = the event of interest (won), 2 = the competing event
        (lost).
    w : ndarray, shape (n,) or (B, n)
        Case weights; with shape (B, n) every output gains a leading axis of length B (one
        curve per row of weights, e.g. per group or bootstrap replicate).

    Returns
    -------
    tuple
        ``(times, at_risk, censored, survival, cif, cif_competing, events)``: the distinct
        times, the weighted number at risk just before each, the weighted censored count, the
        overall survival S(t), the cumulative incidence of event 1 and of event 2, and the
        weighted event counts per type, each evaluated at ``times``.
    """
    times, n, cens, ev = _counts(t, codes, w, 2)
    d = ev.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1.0 - d / n, 1.0), axis=-1)
        before = np.concatenate([np.ones((*surv.shape[:-1], 1)), surv[..., :-1]], axis=-1)
        haz = np.where(n[..., None, :] > 0, ev / n[..., None, :], 0.0)
    inc = np.cumsum(before[..., None, :] * haz, axis=-1)
    return times, n, cens, surv, inc[..., 0, :], inc[..., 1, :], ev


def cif_quantile(table: pd.DataFrame, p: float = 0.5, *, relative: bool = True) -> float:
    """Time by which a share ``p`` of the events of interest happened, from an AJ table.

    With ``relative=True`` (default) the share is of the cumulative incidence reached at the
    end of follow-up: the first time ``cif(t) >= p * cif(t_max)``, e.g. with ``p = 0.5`` the
    median days to win *of the deals that win*, counting the still-open ones as censored (a
    deal still open can yet win late, and is not dropped as a won-deals-only median drops it).
    With ``relative=False``: the first time ``cif(t) >= p`` (``inf`` if never: fewer than a
    share ``p`` of subjects have the event within the follow-up). NaN when no event of interest
    happened at all.
    """
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p!r}")
    cif = table["cif"].to_numpy(float)
    if cif.size == 0 or cif[-1] <= 0:
        return float("nan")
    target = p * cif[-1] if relative else p
    hit = np.flatnonzero(cif >= target * (1 - 1e-12))
    return float(table["time"].to_numpy(float)[hit[0]]) if hit.size else float("inf")


def conditional_probability(table: pd.DataFrame, ages, horizons) -> np.ndarray:
    """``P(event of interest in (a, a + h] | still open at age a)`` from an AJ table.

    Equal to ``(cif(a + h) - cif(a)) / survival(a)``, elementwise for broadcastable arrays of
    ages ``a`` and horizons ``h`` (e.g. one age per open deal and one horizon per period end).

    Parameters
    ----------
    table : DataFrame
        The result of :func:`aalen_johansen` (or a table with ``time``, ``survival``, ``cif``).
    ages, horizons : array of float
        Ages (>= 0) of the open subjects and horizons (>= 0).

    Returns
    -------
    ndarray
        Probabilities in [0, 1]. NaN where ``survival(a) = 0`` (no subject in the data stayed
        open that long, so the data say nothing about such a subject). Beyond the last
        observed time the curves are flat, so horizons reaching past it count only the events
        seen within the follow-up (a lower bound).
    """
    a = np.asarray(ages, float)
    h = np.asarray(horizons, float)
    if np.any(~np.isfinite(a) | (a < 0)):
        raise ValueError("ages must be finite and >= 0")
    if np.any(np.isnan(h) | (h < 0)):
        raise ValueError("horizons must be >= 0 (inf allowed)")
    times = table["time"].to_numpy(float)
    cif = table["cif"].to_numpy(float)
    surv = table["survival"].to_numpy(float)
    s_a = _step(times, surv, a, 1.0)
    c_a = _step(times, cif, a, 0.0)
    c_b = _step(times, cif, a + h, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(s_a > 0, (c_b - c_a) / s_a, np.nan)
    return np.clip(out, 0.0, 1.0)
