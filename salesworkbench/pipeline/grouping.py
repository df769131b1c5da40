"""``group_by="auto"``: the grouping of the win curves, chosen by walk-forward error.

Before the fit date, at up to :data:`INNER_CUTOFFS` month starts whose month has ended by then,
the pipeline open at each month start is forecast (expected won value within the month) from
curves fitted on what was known the day before, once per candidate grouping (none, product,
segment, owner, territory: the columns the data has, with 2 to :data:`MAX_GROUPS` values), and
compared with what those deals won in the month. The grouping with the smallest total absolute
error wins; a grouping must beat no grouping by :data:`MIN_GAIN` (relative) to be picked, so
noise does not split the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.pipeline.curves import (
    MAX_DAYS,
    _grid_curves,
    risk_curves,
    window_probability,
)

__all__ = ["INNER_CUTOFFS", "MAX_GROUPS", "MIN_GAIN", "choose_group_by"]

#: Month starts the choice is scored on (the latest ones before the fit date).
INNER_CUTOFFS = 6
#: A candidate column with more distinct values than this is not tried.
MAX_GROUPS = 60
#: Relative error reduction a grouping needs over no grouping to be picked.
MIN_GAIN = 0.05
#: Closed deals needed before an inner cut-off for it to be scored.
MIN_CLOSED = 30


def _day_number(ts: pd.Timestamp) -> float:
    """``periods._days`` of one timestamp: whole days since 1970-01-01, as a float."""
    return float(np.datetime64(ts, "ns").astype("datetime64[D]").astype(np.int64))


class _GroupCodes:
    """A candidate column coded once, for ``risk_curves``' groups at each cut-off.

    ``risk_curves`` makes one group per distinct (non-missing) key among the rows it is fitted
    on, sorted by their text, and a deal's curve row is its group's position + 1 (0: missing or
    unknown key). Coding the whole column once, sorted the same way, gives those rows for any
    subset of rows by a lookup instead of a ``value_counts`` and an index per fit.
    """

    def __init__(self, column: pd.Series):
        self.values = column.astype(object).to_numpy()
        uniq = pd.Series(self.values).value_counts().index
        self.groups = pd.Index(sorted(uniq, key=str))
        self.code = self.groups.get_indexer(pd.Index(pd.Series(self.values, dtype=object)))
        # two keys with the same text would sort by count in risk_curves: not coded here
        self.ok = len({str(g) for g in self.groups}) == len(self.groups)

    def rows(self, fit: np.ndarray, deals: np.ndarray):
        """Groups, curve rows of the ``fit`` rows and of the ``deals`` rows (or None, None...)."""
        if not self.ok:
            return None, None, None
        cf = self.code[fit]
        present = np.unique(cf[cf >= 0])
        lut = np.zeros(len(self.groups) + 1, np.intp)  # lut[-1]: missing key -> 0
        lut[present] = np.arange(1, present.size + 1)
        return present.size, lut[cf], lut[self.code[deals]]


def choose_group_by(
    opportunities: pd.DataFrame,
    as_of,
    candidates,
    prior_strength: float,
    *,
    force: bool = False,
) -> tuple[str | None, pd.Series, str]:
    """Pick the grouping with the smallest walk-forward error before ``as_of``.

    Returns
    -------
    choice : str or None
    errors : Series
        Relative absolute error (sum |forecast - actual| / sum actual) per candidate
        (``"none"`` for no grouping).
    reason : str
        One sentence saying what was picked and why.

    With ``force=True`` the single candidate (or none, for an empty list) is kept whatever
    the errors (to measure a given grouping). ``errors.attrs["log_errors"]`` holds the chosen
    grouping's log(actual / forecast) at each scored cut-off (the model's own walk-forward
    errors, used to size the band) and ``errors.attrs["luck_variance"]`` the relative variance
    each deal's own luck explains at that cut-off.
    """
    a = pd.Timestamp(as_of).normalize()
    cands = [
        c
        for c in candidates
        if c in opportunities.columns and 2 <= opportunities[c].nunique() <= MAX_GROUPS
    ]
    if not cands and not force:
        return None, pd.Series({"none": np.nan}), "group_by='auto': no grouping column to try"
    last = (a + pd.Timedelta(days=1)).to_period("M").start_time
    starts = pd.date_range(end=last - pd.offsets.MonthBegin(1), periods=INNER_CUTOFFS, freq="MS")
    err = {c: 0.0 for c in ["none", *cands]}
    logs: dict[str, list[float]] = {c: [] for c in err}
    luck: dict[str, list[float]] = {c: [] for c in err}
    total, used = 0.0, 0
    # the columns once, as numpy (the same values and arithmetic as ``outcomes_at`` and
    # ``WinModel.place`` / ``probabilities``, without a DataFrame per cut-off and candidate)
    amt_all = opportunities["amount"].to_numpy(float)
    status = opportunities["status"].astype(object).to_numpy()
    created = opportunities["created"].to_numpy("datetime64[ns]")
    close = opportunities["close_date"].to_numpy("datetime64[ns]")
    has_created = ~np.isnat(created)
    has_close = ~np.isnat(close)
    is_closed = np.isin(status, ["won", "lost"])
    is_won = status == "won"
    keys = {cand: _GroupCodes(opportunities[cand]) for cand in err if cand != "none"}
    is_open_status = status == "open"
    epoch, day = np.datetime64(0, "ns"), np.timedelta64(1, "D")
    for c in starts:
        end = c + pd.offsets.MonthEnd(0)
        if end > a:
            continue
        # outcomes_at(opportunities, c - 1 day)
        cut = np.datetime64(c - pd.Timedelta(days=1), "ns")
        keep = has_created & (created <= cut)
        closed = is_closed[keep] & has_close[keep] & (close[keep] <= cut)
        end_k = np.where(closed, close[keep], cut)
        dur = np.maximum((end_k - created[keep]) / day, 0.0)
        code = np.where(closed, np.where(is_won[keep], 1, 2), 0).astype(np.intp)
        if int((code > 0).sum()) < MIN_CLOSED:
            continue
        c64 = np.datetime64(c, "ns")
        is_open = has_created & (created <= c64) & (is_open_status | (close >= c64))
        if not is_open.any():
            continue
        amt = amt_all[is_open].copy()
        won_amt = amt_all[keep][code == 1]
        fill = float(np.nanmedian(won_amt)) if won_amt.size else 0.0
        amt = np.where(np.isnan(amt) | (amt <= 0), fill, amt)
        e64 = np.datetime64(end, "ns")
        won_in = is_won[is_open] & (close[is_open] >= c64) & (close[is_open] <= e64)
        actual = float(amt_all[is_open][won_in].sum())
        s, e = _day_number(c), _day_number(end)
        # WinModel.place / probabilities of the open deals at c (created <= c: no fill, clip)
        base = np.floor((np.minimum(created[is_open], c64) - epoch) / day)
        today = np.floor((c64 - epoch) / day)
        age = today - base
        lo = np.maximum(np.asarray([s], float)[None, :], today) - base[:, None]
        hi = np.asarray([e], float)[None, :] - base[:, None]
        # risk_curves' day grid, shared by every candidate at this cut-off
        d = np.clip(np.floor(dur), 0, MAX_DAYS).astype(np.intp)
        T = int(d.max()) + 2 if d.size else 2
        ones = np.ones((1, d.size))
        for cand in err:
            if cand == "none":
                G, row, rows = 0, np.zeros(d.size, np.intp), np.zeros(len(amt), np.intp)
            else:
                G, row, rows = keys[cand].rows(keep, is_open)
            if G is None:  # keys whose text collides: the general path
                rc = risk_curves(dur, code, keys[cand].values[keep], prior_strength=prior_strength)
                F, S, rows = rc.F, rc.S, rc.rows_of(keys[cand].values[is_open])
            else:
                F, S = _grid_curves(d, code, row, G, T, prior_strength, ones)
                F, S = F[0], S[0]
            p = window_probability(F, S, rows, age, lo, hi, 1.0)[:, 0]
            fc = float(np.sum(p * amt))
            err[cand] += abs(fc - actual)
            if fc > 0 and actual > 0:
                logs[cand].append(float(np.log(actual / fc)))
                # the part of that error each deal's own luck explains (relative variance)
                luck[cand].append(float(np.sum(amt**2 * p * (1 - p))) / fc**2)
        total += actual
        used += 1
    if used == 0 or total <= 0:
        return (
            None,
            pd.Series({k: np.nan for k in err}),
            (
                "group_by='auto': too little history before the fit date to compare groupings; "
                "no grouping"
            ),
        )
    rel = pd.Series(err) / total
    if force:
        pick = cands[0] if cands else None
        rel.attrs["log_errors"] = np.asarray(logs[pick or "none"])
        rel.attrs["luck_variance"] = np.asarray(luck[pick or "none"])
        return pick, rel, f"walk-forward error {rel[pick or 'none']:.0%} over {used} cut-offs"
    best = rel.drop("none").idxmin()
    pick = best if rel[best] < (1 - MIN_GAIN) * rel["none"] else None
    others = ", ".join(f"{k} {v:.0%}" for k, v in rel.items() if k not in ("none", best))
    if pick is None:
        reason = (
            f"group_by='auto' kept no grouping: walk-forward error {rel['none']:.0%} over {used} "
            f"monthly cut-offs; the best grouping, {best}, gave {rel[best]:.0%} (others: "
            f"{others or '-'})"
        )
    else:
        reason = (
            f"group_by='auto' picked {pick!r}: walk-forward error {rel[pick]:.0%} against "
            f"{rel['none']:.0%} without grouping over {used} monthly cut-offs (others: "
            f"{others or '-'})"
        )
    rel.attrs["log_errors"] = np.asarray(logs[pick or "none"])
    rel.attrs["luck_variance"] = np.asarray(luck[pick or "none"])
    return pick, rel, reason
