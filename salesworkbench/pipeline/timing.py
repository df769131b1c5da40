"""When a deal that wins closes: conditional empirical time-to-close distributions."""

from __future__ import annotations

import numpy as np

from salesworkbench.errors import DataError, warn_note
from salesworkbench.pipeline.periods import _day, _days

__all__ = ["MIN_TAIL"]

#: Fewer than this many historical cycle times beyond a deal's age: use the tail instead.
MIN_TAIL = 10


def _timing_cdf(deals, model, as_of, pidx, timing, notes, excluded) -> np.ndarray:
    n = len(deals)
    a = _day(as_of)
    ends = np.array([_day(pr.end_time) for pr in pidx], float)
    if model.cycle_days.size == 0:
        raise DataError(
            "no won deals with created and close dates: cannot learn the time to close",
            column="created",
        )
    created = _days(deals["created"])
    nocreated = np.isnan(created)
    if nocreated.any():
        excluded["open deals without created date (age taken as 0)"] = int(nocreated.sum())
        warn_note(
            notes,
            f"{int(nocreated.sum())} open deals have no created date: treated as "
            "created today (age 0) for timing",
        )
        created = np.where(nocreated, a, created)
    created = np.minimum(created, a)
    base = created.copy()
    offsets_of = _created_offsets(deals, model, np.arange(n))
    if timing == "stage":
        entered = deals["opportunity_id"].map(model.stage_entered)
        ent = _days(entered)
        offsets_of = []
        rest = np.ones(n, bool)
        for s, arr in model.stage_days.items():
            sel = (deals["stage"].astype(object) == s).to_numpy() & ~np.isnan(ent)
            if arr.size >= 5 and sel.any():
                idx = np.flatnonzero(sel)
                base[idx] = np.minimum(ent[idx], a)
                offsets_of.append((idx, arr * model.cycle_scale))
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
        slip = model.slip_days * model.cycle_scale if model.slip_days.size else np.zeros(1)
        idx = np.flatnonzero(~noexp)
        base[idx] = exp[idx]
        offsets_of = [(idx, slip)]
        if noexp.any():
            offsets_of += _created_offsets(deals, model, np.flatnonzero(noexp))
            excluded["open deals without expected close date (timed from creation)"] = int(
                noexp.sum()
            )
            warn_note(
                notes,
                f"{int(noexp.sum())} open deals have no expected close date: timed from creation",
            )
    F = np.zeros((n, len(pidx)))
    for idx, offs in offsets_of:
        if idx.size == 0:
            continue
        age = a - base[idx]
        limits = ends[None, :] - base[idx][:, None]
        F[idx] = _conditional_cdf(np.sort(offs), age, limits)
    return np.clip(np.maximum.accumulate(F, axis=1), 0.0, 1.0)


def _created_offsets(deals, model, idx) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cycle-time distributions for deals ``idx``: their group's where it has one."""
    out = []
    rest = np.ones(idx.size, bool)
    if model.cycle_by_group and model.group_by in deals.columns:
        g = deals[model.group_by].astype(object).to_numpy()[idx]
        for key, arr in model.cycle_by_group.items():
            sel = g == key
            if sel.any():
                out.append((idx[sel], arr * model.cycle_scale))
                rest &= ~sel
    if rest.any():
        out.append((idx[rest], model.cycle_days * model.cycle_scale))
    return out


def _conditional_cdf(offsets: np.ndarray, age: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """P(offset <= limit | offset >= age) under the empirical distribution ``offsets``.

    ``offsets`` sorted (days from a deal's base date to its close); ``age`` (n,) days already
    elapsed since the base date; ``limits`` (n, K) days from the base date to each period end.
    When fewer than ``MIN_TAIL`` offsets are at least ``age`` (the deal is older than almost all
    history), the remaining time is drawn from the spread of the longest ``MIN_TAIL`` offsets
    above their smallest value, added to the age.
    """
    m = offsets.size
    j = np.searchsorted(offsets, age, side="left")
    cnt = m - j
    need = min(MIN_TAIL, m)
    upto = np.searchsorted(offsets, limits, side="right")
    main = np.clip(upto - j[:, None], 0, None) / np.maximum(cnt, 1)[:, None]
    tail = offsets[m - need :] - offsets[m - need]
    tail_cdf = np.searchsorted(tail, limits - age[:, None], side="right") / need
    return np.where((cnt >= need)[:, None], main, tail_cdf)
