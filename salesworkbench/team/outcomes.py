"""Deal outcomes as competing risks: win rates that count open deals, survival cycle times.

A deal is *won*, *lost* or still *open* at the analysis date. A win rate of closed deals only
ignores the deals that never close, and a cycle time of won deals only ignores the slow deals
still open; both flatter some reps more than others. These helpers put every deal of a group
(rep, stars, rest) through :func:`salesworkbench.survival.aalen_johansen` with *won* as the
event of interest, *lost* as the competing event and *open* as censored at its age on the
analysis date, all groups at once (a one-hot weight matrix, no loop over groups or deals):

* win rate within ``H`` days: the cumulative incidence of a win at ``H`` days after creation,
  ``F_won(H)``. A deal open for longer than ``H`` counts as not won within ``H`` (as lost, for
  this rate); a younger open deal is censored. Its *effective* number of deals is the number
  whose ``H``-day outcome is known (closed by ``H``, or followed for ``H`` days), used for
  shrinkage and the interval ``sqrt(F (1 - F) / n_eff)``;
* days to win: the median days to win *of the deals that win*, ``F_won(t) = F_won(t_max) / 2``
  (:func:`salesworkbench.survival.cif_quantile`), where open deals count as censored.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from salesworkbench.survival import aalen_johansen_curves

__all__: list[str] = []  # helpers of the team package (private)


def deal_outcomes(deals: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Days from creation to close (or to ``as_of`` if open) and the outcome code per deal.

    ``code`` is 1 won, 2 lost, 0 open (censored). Deals closed after ``as_of`` count as open
    at ``as_of``; deals without a created date get NaN days (left out by the estimators).
    """
    status = deals["status"].astype(object).to_numpy()
    close = deals["close_date"]
    closed = np.isin(status, ["won", "lost"]) & (close <= as_of).to_numpy()
    end = close.where(closed, as_of)
    days = (end - deals["created"]).dt.total_seconds().to_numpy(float) / 86400.0
    code = np.where(closed, np.where(status == "won", 1, 2), 0)
    return pd.DataFrame(
        {"days": np.clip(days, 0.0, None), "code": code.astype(int)}, index=deals.index
    )


def _onehot(keys, idx: pd.Index) -> np.ndarray:
    pos = idx.get_indexer(pd.Index(np.asarray(keys, object)))
    w = np.zeros((len(idx), len(pos)))
    ok = pos >= 0
    w[pos[ok], np.flatnonzero(ok)] = 1.0
    return w


def group_curves(days, code, keys, idx: pd.Index):
    """Aalen-Johansen curves of every group in ``idx``: times, survival and CIF (G x T)."""
    days = np.asarray(days, float)
    ok = np.isfinite(days)
    w = _onehot(np.asarray(keys, object)[ok], idx)
    times, _, _, surv, cif, _, _ = aalen_johansen_curves(days[ok], np.asarray(code, int)[ok], w)
    return times, np.atleast_2d(surv), np.atleast_2d(cif)


def win_within(days, code, keys, idx: pd.Index, horizon: float):
    """Per group: ``F_won(horizon)`` and the effective number of deals (see module doc)."""
    days = np.asarray(days, float)
    code = np.asarray(code, int)
    times, _, cif = group_curves(days, code, keys, idx)
    j = np.searchsorted(times, horizon, side="right") - 1
    p = cif[:, j] if j >= 0 else np.zeros(len(idx))
    known = np.isfinite(days) & ((code > 0) | (days >= horizon))
    n_eff = _onehot(np.asarray(keys, object), idx) @ known.astype(float)
    p = np.where(n_eff > 0, p, np.nan)
    return p, n_eff


def days_to_win(days, code, keys, idx: pd.Index, p: float = 0.5) -> np.ndarray:
    """Per group: the time by which a share ``p`` of its eventual wins closed (NaN: no wins)."""
    times, _, cif = group_curves(days, code, keys, idx)
    if times.size == 0:
        return np.full(len(idx), np.nan)
    end = cif[:, -1:]
    hit = cif >= p * end * (1 - 1e-12)
    first = np.argmax(hit, axis=1)
    return np.where(end[:, 0] > 0, times[first], np.nan)


def default_horizon(days, code) -> float:
    """Days by which 90% of the team's eventual wins closed (whole days, at least 1)."""
    one = pd.Index(["team"])
    t = days_to_win(days, code, np.full(len(np.asarray(days)), "team", object), one, 0.9)[0]
    return float(max(1.0, math.ceil(t))) if np.isfinite(t) else 365.0
