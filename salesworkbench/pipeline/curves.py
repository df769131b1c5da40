"""Win and loss as competing risks over deal age, per group, on a daily grid.

A deal is created, stays open and closes won or lost, or is still open at the fit date
(censored). :class:`RiskCurves` holds, per group, the Aalen-Johansen cumulative incidence of a
win ``F(t) = P(won by day t)`` and the all-cause survival ``S(t) = P(still open after day t)``
(days counted from a base date: creation, or entry into a stage). An open deal of age ``a``
then wins with duration in ``[x, y]`` with probability

    P(x <= T <= y, won | T >= a) = (F(y) - F(x - 1)) / S(a - 1),

which is what the forecast needs for each deal and period: a deal older than every won cycle
gets ``F`` flat, so (close to) nothing; deals that drag on without closing lower ``S`` only
slowly and so keep a low chance, because the data say so.

Estimator
---------
Per day ``t`` and group ``g``: ``n_g(t)`` deals at risk (duration ``>= t``), ``d1_g(t)`` wins,
``d2_g(t)`` losses. The discrete cause-specific hazards are shrunk towards the overall hazards
``h1(t), h2(t)`` by a Beta (Dirichlet) prior of ``k`` pseudo-deals at every day,

    h1_g(t) = (d1_g(t) + k h1(t)) / (n_g(t) + k),

so a group with few deals at some age follows the overall curve there. Then
``S_g(t) = prod_{s <= t} (1 - h1_g(s) - h2_g(s))`` and ``F_g(t) = sum_{s <= t} S_g(s - 1)
h1_g(s)``: the Aalen-Johansen estimator (with ``k = 0`` exactly
:func:`salesworkbench.survival.aalen_johansen` at integer durations). Weights (Bayesian
bootstrap draws of the history, one row per draw) give the curves' uncertainty in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MAX_DAYS",
    "RiskCurves",
    "WinModel",
    "eventual_probability",
    "outcomes_at",
    "risk_curves",
    "window_probability",
]

#: Durations are capped at this many days (ten years): the grid length.
MAX_DAYS = 3650


@dataclass
class RiskCurves:
    """Competing-risk curves (won vs lost, open deals censored) per group.

    Attributes
    ----------
    groups : Index
        Group labels; row ``g + 1`` of ``F``/``S`` is group ``g``, row 0 the overall curve.
    F, S : ndarray
        Shape ``(len(groups) + 1, T)``: cumulative incidence of a win by day ``t`` and
        all-cause survival after day ``t``, point estimates (unit weights).
    duration, code, row, unit : ndarray
        The data: days from the base date to the close (or to the fit date), 0 censored / 1 won
        / 2 lost, the row of the curve (0: no group), and the bootstrap unit (deal) of each.
    n_units : int
        Bootstrap units (deals); a deal with several spells (stages) is one unit.
    prior_strength : float
        ``k``, pseudo-deals per day of the shrinkage towards the overall hazards.
    """

    groups: pd.Index
    F: np.ndarray
    S: np.ndarray
    duration: np.ndarray
    code: np.ndarray
    row: np.ndarray
    unit: np.ndarray
    n_units: int
    prior_strength: float

    @property
    def days(self) -> int:
        """Grid length T (days 0 .. T-1)."""
        return self.F.shape[-1]

    def rows_of(self, keys) -> np.ndarray:
        """Curve row of each key (0, the overall curve, for unknown or missing keys)."""
        if len(self.groups) == 0 or keys is None:
            return np.zeros(0 if keys is None else len(keys), np.intp)
        pos = self.groups.get_indexer(pd.Index(pd.Series(keys, dtype=object)))
        return (pos + 1).astype(np.intp)

    def draw(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Curves under unit weights of shape ``(B, n_units)``: ``F, S`` of shape (B, G+1, T)."""
        w = np.asarray(weights, float)[:, self.unit]
        return _grid_curves(
            self.duration, self.code, self.row, len(self.groups), self.days,
            self.prior_strength, w,
        )  # fmt: skip

    def table(self, row: int = 0) -> pd.DataFrame:
        """The curves of one row as a table: day, survival, cif (won), cif of a loss."""
        F, S = self.F[row], self.S[row]
        return pd.DataFrame(
            {"day": np.arange(self.days), "survival": S, "cif": F, "cif_lost": 1 - S - F}
        )


def risk_curves(
    duration,
    code,
    keys=None,
    *,
    prior_strength: float = 10.0,
    unit=None,
    n_units: int | None = None,
    min_deals: int = 1,
) -> RiskCurves:
    """Fit :class:`RiskCurves` from durations (days), outcomes and optional group keys.

    Parameters
    ----------
    duration : array
        Days from the base date to the close, or to the fit date for open deals (>= 0; rounded
        down, capped at :data:`MAX_DAYS`).
    code : array of int
        0 still open (censored), 1 won, 2 lost.
    keys : array, optional
        Group of each deal (None/NaN: only in the overall curve).
    prior_strength : float
        Pseudo-deals per day of the shrinkage of group hazards towards the overall ones.
    unit, n_units : optional
        Bootstrap unit of each row (default: each row its own unit).
    min_deals : int
        Groups with fewer rows are folded into the overall curve only.
    """
    d = np.clip(np.floor(np.asarray(duration, float)), 0, MAX_DAYS).astype(np.intp)
    c = np.asarray(code, np.intp)
    groups = pd.Index([])
    row = np.zeros(d.size, np.intp)
    if keys is not None:
        k = pd.Series(np.asarray(keys, object))
        counts = k.value_counts()
        keep = counts[counts >= min_deals].index
        groups = pd.Index(sorted(keep, key=str))
        row = (groups.get_indexer(pd.Index(k.where(k.isin(keep)))) + 1).astype(np.intp)
    T = int(d.max()) + 2 if d.size else 2
    unit = np.arange(d.size) if unit is None else np.asarray(unit, np.intp)
    n_units = int(d.size if n_units is None else n_units)
    F, S = _grid_curves(d, c, row, len(groups), T, prior_strength, np.ones((1, d.size)))
    return RiskCurves(groups, F[0], S[0], d, c, row, unit, n_units, float(prior_strength))


def _grid_curves(d, c, row, G, T, k, w) -> tuple[np.ndarray, np.ndarray]:
    """Shrunk Aalen-Johansen curves on the day grid for B weight rows at once."""
    B = w.shape[0]
    R = G + 1
    flat = (np.arange(B)[:, None] * (R * T) + (row * T + d)[None, :]).ravel()
    size = B * R * T
    wf = w.ravel()
    leave = np.bincount(flat, weights=wf, minlength=size).reshape(B, R, T)
    e1 = np.bincount(flat, weights=wf * np.tile(c == 1, B), minlength=size).reshape(B, R, T)
    e2 = np.bincount(flat, weights=wf * np.tile(c == 2, B), minlength=size).reshape(B, R, T)
    n = np.flip(np.cumsum(np.flip(leave, -1), -1), -1)
    n_all, e1_all, e2_all = n.sum(1), e1.sum(1), e2.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h1_all = np.where(n_all > 0, e1_all / n_all, 0.0)
        h2_all = np.where(n_all > 0, e2_all / n_all, 0.0)
        h1 = np.empty((B, R, T))
        h2 = np.empty((B, R, T))
        h1[:, 0], h2[:, 0] = h1_all, h2_all
        if G:
            ng = n[:, 1:] + k
            h1[:, 1:] = np.where(ng > 0, (e1[:, 1:] + k * h1_all[:, None]) / ng, 0.0)
            h2[:, 1:] = np.where(ng > 0, (e2[:, 1:] + k * h2_all[:, None]) / ng, 0.0)
    S = np.cumprod(np.clip(1.0 - h1 - h2, 0.0, 1.0), axis=-1)
    before = np.concatenate([np.ones((B, R, 1)), S[..., :-1]], axis=-1)
    F = np.cumsum(before * h1, axis=-1)
    return F, S


def _at(curve: np.ndarray, rows: np.ndarray, idx: np.ndarray, below: float) -> np.ndarray:
    """``curve[..., rows, idx]`` with ``below`` for idx < 0 and the last value beyond the grid.

    ``curve`` (R, T) or (B, R, T); ``rows`` (n,); ``idx`` (n,) or (n, K). Result (n[, K]) or
    (B, n[, K]).
    """
    T = curve.shape[-1]
    i = np.clip(idx, 0, T - 1)
    r = rows if idx.ndim == 1 else rows[:, None]
    v = curve[..., r, i]
    return np.where(idx < 0, below, v)


def window_index(age, lo, hi, scale: float = 1.0):
    """Grid indices of ``age``, ``lo``, ``hi`` under a cycle-time multiplier (see below)."""
    a = np.ceil(np.asarray(age, float) / scale).astype(np.intp)
    lo_ = np.ceil(np.asarray(lo, float) / scale).astype(np.intp)
    hi_ = np.floor(np.asarray(hi, float) / scale).astype(np.intp)
    lo_ = np.maximum(lo_, a if lo_.ndim == 1 else a[:, None])
    return a, lo_, hi_


def window_from_index(F, S, rows, a, lo_, hi_) -> np.ndarray:
    """:func:`window_probability` on indices from :func:`window_index`."""
    s_a = _at(S, rows, a - 1, 1.0)
    f_hi = _at(F, rows, hi_, 0.0)
    f_lo = _at(F, rows, lo_ - 1, 0.0)
    if lo_.ndim == 2:
        s_a = s_a[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where((s_a > 1e-12) & (hi_ >= lo_), (f_hi - f_lo) / s_a, 0.0)
    return np.clip(p, 0.0, 1.0)


def window_probability(F, S, rows, age, lo, hi, scale: float = 1.0) -> np.ndarray:
    """P(won with duration in ``[lo, hi]`` | open at ``age``) per deal (and period).

    Parameters
    ----------
    F, S : ndarray
        Curves (R, T) or draws (B, R, T).
    rows : ndarray of int
        Curve row of each deal.
    age : ndarray
        Days from the base date to today (the deal is open today: duration >= age).
    lo, hi : ndarray
        Duration windows (days), shape (n,) or (n, K); ``hi < lo`` gives 0.
    scale : float
        Cycle-time multiplier: durations are ``scale`` times the learned ones.
    """
    return window_from_index(F, S, rows, *window_index(age, lo, hi, scale))


def eventual_probability(F, S, rows, age, scale: float = 1.0) -> np.ndarray:
    """P(won at any time | open at ``age``), within the data's follow-up."""
    big = np.full(np.shape(age), float(MAX_DAYS * 10))
    return window_probability(F, S, rows, age, np.zeros_like(big), big, scale)


# ----------------------------------------------------------------------------------------------
# deals on the curves: the world as it stood at a date, and each open deal's probabilities
# ----------------------------------------------------------------------------------------------


def outcomes_at(opportunities: pd.DataFrame, as_of) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Deals created on or before ``as_of`` with their outcome as known then.

    Returns the rows (created known, on or before ``as_of``), the days from creation to the
    close (closed on or before ``as_of``) or to ``as_of`` (still open then: censored), and the
    code 0 open / 1 won / 2 lost. A deal closed after ``as_of`` counts as open: nothing after
    the date is used.
    """
    a = pd.Timestamp(as_of)
    o = opportunities
    created = o["created"]
    keep = (created.notna() & (created <= a)).to_numpy()
    w = o.loc[keep]
    st = w["status"].astype(object).to_numpy()
    cd = w["close_date"]
    closed = np.isin(st, ["won", "lost"]) & (cd.notna() & (cd <= a)).to_numpy()
    end = np.where(closed, cd.to_numpy("datetime64[ns]"), np.datetime64(a, "ns"))
    dur = (end - w["created"].to_numpy("datetime64[ns]")) / np.timedelta64(1, "D")
    code = np.where(closed, np.where(st == "won", 1, 2), 0)
    return w.reset_index(drop=True), np.maximum(dur, 0.0), code.astype(np.intp)


@dataclass
class WinModel:
    """Competing-risk curves from creation, grouped by one column (or none).

    Attributes
    ----------
    curves : RiskCurves
    key : str or None
        Column of the open deals that picks their curve (None: the overall curve).
    """

    curves: RiskCurves
    key: str | None

    @classmethod
    def fit(cls, world, duration, code, key=None, prior_strength=10.0) -> WinModel:
        """Curves from :func:`outcomes_at` output, grouped by ``key`` (a column) if given."""
        keys = None
        if key is not None and key in world.columns:
            keys = world[key].astype(object).to_numpy()
        rc = risk_curves(duration, code, keys, prior_strength=prior_strength)
        return cls(rc, key if keys is not None else None)

    def place(self, deals: pd.DataFrame, as_of) -> tuple[np.ndarray, np.ndarray]:
        """Curve row and creation day (days since the epoch) of each open deal."""
        rows = (
            self.curves.rows_of(deals[self.key].astype(object).to_numpy())
            if self.key is not None and self.key in deals.columns
            else np.zeros(len(deals), np.intp)
        )
        a = pd.Timestamp(as_of)
        cr = deals["created"].fillna(a).clip(upper=a)
        base = (cr.to_numpy("datetime64[ns]") - np.datetime64(0, "ns")) / np.timedelta64(1, "D")
        return rows, np.floor(base)

    def probabilities(
        self, deals, as_of, starts, ends, *, F=None, S=None, scale: float = 1.0
    ) -> np.ndarray:
        """P(won within [starts_k, ends_k]) per open deal and period (days since the epoch).

        ``F, S`` default to the point estimates; draws (B, R, T) give (B, n, K).
        """
        rows, base = self.place(deals, as_of)
        today = np.floor(
            (np.datetime64(pd.Timestamp(as_of), "ns") - np.datetime64(0, "ns"))
            / np.timedelta64(1, "D")
        )
        age = today - base
        lo = np.maximum(np.asarray(starts, float)[None, :], today) - base[:, None]
        hi = np.asarray(ends, float)[None, :] - base[:, None]
        F = self.curves.F if F is None else F
        S = self.curves.S if S is None else S
        return window_probability(F, S, rows, age, lo, hi, scale)

    def eventual(self, deals, as_of, *, scale: float = 1.0) -> np.ndarray:
        """P(won at any time | open at its age today) per deal (point estimates)."""
        rows, base = self.place(deals, as_of)
        today = np.floor(
            (np.datetime64(pd.Timestamp(as_of), "ns") - np.datetime64(0, "ns"))
            / np.timedelta64(1, "D")
        )
        return eventual_probability(self.curves.F, self.curves.S, rows, today - base, scale)
