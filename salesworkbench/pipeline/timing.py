"""When a deal that wins closes: conditional empirical time-to-close distributions.

From creation, a won deal's cycle time; from its current stage, the time from entering it; from
its expected close date, how far the close fell from the expected close date *as the CRM
showed it while the deal was open* (:func:`close_date_offsets`): a deal seen at a cut-off
carries the expected close date of that moment, not its first one, and a date that stood for
months is more likely to be the one a cut-off sees than one changed the next day, so each
value counts for the days it stood. Each distribution is conditioned on what is known at the
cut-off: the deal is still open, so the offset is at least the time already elapsed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError, warn_note
from salesworkbench.pipeline.periods import _day, _days
from salesworkbench.pipeline.stage_history import days_stood

__all__ = ["MIN_STAGE_DEALS", "MIN_TAIL", "close_date_offsets"]

#: Fewer than this many historical cycle times beyond a deal's age: use the tail instead.
MIN_TAIL = 10
#: Won deals whose expected dates were shown in a stage, needed to time that stage's deals by
#: their own offsets (else by the offsets of all stages).
MIN_STAGE_DEALS = 30


def _note_no_created(missing: np.ndarray, notes: list[str], excluded: dict[str, int]) -> None:
    """Count and note the open deals without a created date (timed as if created today)."""
    excluded["open deals without created date (age taken as 0)"] = int(missing.sum())
    warn_note(
        notes,
        f"{int(missing.sum())} open deals have no created date: treated as "
        "created today (age 0) for timing",
    )


def _timing_cdf(deals, model, as_of, ends, timing, notes, excluded) -> np.ndarray:
    """P(closed by the end of each period | won, open at ``as_of``), shape (deals, periods).

    ``ends``: the last day of each period (days since the epoch).
    """
    n = len(deals)
    a = _day(as_of)
    ends = np.asarray(ends, float)
    if model.cycle_days.size == 0:
        raise DataError(
            "no won deals with created and close dates: cannot learn the time to close",
            column="created",
        )
    created = _days(deals["created"])
    nocreated = np.isnan(created)
    if nocreated.any():
        _note_no_created(nocreated, notes, excluded)
        created = np.where(nocreated, a, created)
    created = np.minimum(created, a)
    base = created.copy()
    offsets_of = _created_offsets(deals, model, np.arange(n))
    if timing == "stage":
        # reindex, not Series.map: pandas casts an empty mapper (no stage history before the
        # as-of date) to float64, which fails for these dates
        entered = model.stage_entered.reindex(deals["opportunity_id"].to_numpy())
        ent = _days(entered)
        offsets_of = []
        rest = np.ones(n, bool)
        for s, arr in model.stage_days.items():
            sel = (deals["stage"].astype(object) == s).to_numpy() & ~np.isnan(ent)
            if arr.size >= 5 and sel.any():
                idx = np.flatnonzero(sel)
                base[idx] = np.minimum(ent[idx], a)
                offsets_of.append((idx, arr * model.cycle_scale, None))
                rest[idx] = False
        if rest.any():
            offsets_of += _created_offsets(deals, model, np.flatnonzero(rest))
            notes.append(
                f"{int(rest.sum())} open deals timed from creation (no stage entry "
                "date or too few won examples of their stage)"
            )
    elif timing == "close_date":
        exp = _days(deals["close_date"])
        noexp = np.isnan(exp)
        none = (np.zeros(1), np.ones(1), 0)  # no offsets learned: the expected date itself
        table = model.close_offsets or {None: none}
        pooled = table[None] if table[None][0].size else none
        stage = (
            deals["stage"].astype(object).to_numpy()
            if "stage" in deals.columns
            else np.full(n, None, object)
        )
        own = {s: v for s, v in table.items() if s is not None and v[2] >= MIN_STAGE_DEALS}
        mine = pd.Series(stage, dtype=object).isin(list(own)).to_numpy() & ~noexp
        offsets_of = [
            (np.flatnonzero(mine & (stage == s)), v[0] * model.cycle_scale, v[1])
            for s, v in own.items()
        ]
        offsets_of.append(
            (np.flatnonzero(~mine & ~noexp), pooled[0] * model.cycle_scale, pooled[1])
        )
        base[~noexp] = exp[~noexp]
        if noexp.any():
            offsets_of += _created_offsets(deals, model, np.flatnonzero(noexp))
            excluded["open deals without expected close date (timed from creation)"] = int(
                noexp.sum()
            )
            warn_note(
                notes,
                f"{int(noexp.sum())} open deals have no expected close date: timed from creation",
            )
    F = np.zeros((n, ends.size))
    for idx, offs, weights in offsets_of:
        if idx.size == 0:
            continue
        age = a - base[idx]
        limits = ends[None, :] - base[idx][:, None]
        if weights is None:
            F[idx] = _conditional_cdf(np.sort(offs), age, limits)
        else:  # sorted, weighted offsets (from the expected close date)
            F[idx] = _conditional_cdf(offs, age, limits, weights)
    return np.clip(np.maximum.accumulate(F, axis=1), 0.0, 1.0)


def _created_offsets(deals, model, idx) -> list[tuple[np.ndarray, np.ndarray, None]]:
    """Cycle-time distributions for deals ``idx``: their group's where it has one (unweighted)."""
    out = []
    rest = np.ones(idx.size, bool)
    if model.cycle_by_group and model.group_by in deals.columns:
        g = deals[model.group_by].astype(object).to_numpy()[idx]
        for key, arr in model.cycle_by_group.items():
            sel = g == key
            if sel.any():
                out.append((idx[sel], arr * model.cycle_scale, None))
                rest &= ~sel
    if rest.any():
        out.append((idx[rest], model.cycle_days * model.cycle_scale, None))
    return out


def close_date_offsets(
    won: pd.DataFrame, stage_history: pd.DataFrame, as_of, *, by_stage: bool = False
):
    """Days from the expected close date, as it stood while the deal was open, to the close.

    For every won deal closed on or before ``as_of`` and every expected close date its stage
    history showed before the close: ``close - expected`` (negative: it closed early), with
    the number of days that expected date stood (from its change to the next change of the
    expected date, or to the close) as its weight. A cut-off finds a deal's expected date with
    a chance proportional to how long it stood, so the weighted offsets are what a deal seen
    at a random cut-off has ahead of it.

    Parameters
    ----------
    won : DataFrame
        Won deals: ``opportunity_id``, ``close_date``.
    stage_history : DataFrame
        Canonical stage history (``opportunity_id, changed, close_date``; ``stage`` for
        ``by_stage``).
    as_of : date
        Only deals closed and changes made on or before it are used.
    by_stage : bool
        Also split the offsets by the stage the deal was in when the date was shown: a date
        set in discovery is a looser promise than one set in contract review.

    Returns
    -------
    offsets, weights : ndarray
        Sorted offsets (days) and their weights (days, at least 1); empty without history.
        With ``by_stage``, a dict instead: stage -> ``(offsets, weights, deals)`` for every
        stage, and ``None`` -> all stages pooled.
    """
    empty = np.array([], float)
    nothing = (empty, empty)
    if stage_history is None or "close_date" not in stage_history.columns or not len(won):
        return {None: (*nothing, 0)} if by_stage else nothing
    a = pd.Timestamp(as_of)
    close = won.loc[won["close_date"] <= a].set_index("opportunity_id")["close_date"]
    close = close[~close.index.duplicated()]
    cols = ["opportunity_id", "changed", "close_date"]
    h = stage_history[cols + (["stage"] if "stage" in stage_history.columns else [])]
    h = h.dropna(subset=cols)
    h = h[h["opportunity_id"].isin(close.index)]
    closes = _days(h["opportunity_id"].map(close))
    changed = _days(h["changed"])
    keep = changed < closes  # what the CRM showed while the deal was open
    h, closes, changed = h[keep], closes[keep], changed[keep]
    if not len(h):
        return {None: (*nothing, 0)} if by_stage else nothing
    order = np.lexsort((changed, h["opportunity_id"].to_numpy()))
    ids = h["opportunity_id"].to_numpy()[order]
    changed, closes = changed[order], closes[order]
    expected = _days(h["close_date"])[order]
    weights = days_stood(ids, changed, closes)
    offsets = closes - expected
    o = np.argsort(offsets, kind="stable")
    if not by_stage:
        return offsets[o], weights[o]
    out = {None: (offsets[o], weights[o], len(np.unique(ids)))}
    if "stage" in h.columns:
        stage = h["stage"].astype(object).to_numpy()[order][o]
        offs, wts, who = offsets[o], weights[o], ids[o]
        for s in pd.unique(stage[pd.notna(stage)]):
            k = stage == s
            out[s] = (offs[k], wts[k], len(np.unique(who[k])))
    return out


def _conditional_cdf(
    offsets: np.ndarray,
    age: np.ndarray,
    limits: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """P(offset <= limit | offset >= age) under the empirical distribution ``offsets``.

    ``offsets`` sorted (days from a deal's base date to its close), each counted once or with
    its weight; ``age`` (n,) days already elapsed since the base date; ``limits`` (n, K) days
    from the base date to each period end. When fewer than ``MIN_TAIL`` offsets are at least
    ``age`` (the deal is older than almost all history), the remaining time is drawn from the
    spread of the longest ``MIN_TAIL`` offsets above their smallest value (unweighted), added
    to the age.
    """
    m = offsets.size
    cum = (
        np.arange(m + 1, dtype=float)
        if weights is None
        else np.concatenate([[0.0], np.cumsum(weights)])
    )
    j = np.searchsorted(offsets, age, side="left")
    cnt = m - j
    need = min(MIN_TAIL, m)
    upto = np.searchsorted(offsets, limits, side="right")
    beyond = np.maximum(cum[m] - cum[j], 1e-300)
    main = np.clip(cum[upto] - cum[j][:, None], 0.0, None) / beyond[:, None]
    tail = offsets[m - need :] - offsets[m - need]
    tail_cdf = np.searchsorted(tail, limits - age[:, None], side="right") / need
    return np.where((cnt >= need)[:, None], main, tail_cdf)
