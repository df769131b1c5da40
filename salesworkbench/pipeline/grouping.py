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

from salesworkbench.pipeline.curves import WinModel, outcomes_at
from salesworkbench.pipeline.periods import _days

__all__ = ["INNER_CUTOFFS", "MAX_GROUPS", "MIN_GAIN", "choose_group_by"]

#: Month starts the choice is scored on (the latest ones before the fit date).
INNER_CUTOFFS = 6
#: A candidate column with more distinct values than this is not tried.
MAX_GROUPS = 60
#: Relative error reduction a grouping needs over no grouping to be picked.
MIN_GAIN = 0.05
#: Closed deals needed before an inner cut-off for it to be scored.
MIN_CLOSED = 30


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
    amt_all = opportunities["amount"].to_numpy(float)
    status = opportunities["status"].astype(object).to_numpy()
    close = opportunities["close_date"]
    for c in starts:
        end = c + pd.offsets.MonthEnd(0)
        if end > a:
            continue
        world, dur, code = outcomes_at(opportunities, c - pd.Timedelta(days=1))
        if int((code > 0).sum()) < MIN_CLOSED:
            continue
        created = opportunities["created"]
        is_open = (created <= c) & (
            (pd.Series(status, index=opportunities.index) == "open") | (close >= c)
        )
        pipe = opportunities.loc[is_open.to_numpy()]
        if not len(pipe):
            continue
        amt = amt_all[is_open.to_numpy()].copy()
        won_amt = world.loc[code == 1, "amount"].to_numpy(float)
        fill = float(np.nanmedian(won_amt)) if won_amt.size else 0.0
        amt = np.where(np.isnan(amt) | (amt <= 0), fill, amt)
        won_in = (
            (pipe["status"].astype(object) == "won")
            & (pipe["close_date"] >= c)
            & (pipe["close_date"] <= end)
        ).to_numpy()
        actual = float(pipe["amount"].to_numpy(float)[won_in].sum())
        s, e = _days(pd.Series([c]))[0], _days(pd.Series([end]))[0]
        for cand in err:
            key = None if cand == "none" else cand
            m = WinModel.fit(world, dur, code, key, prior_strength)
            p = m.probabilities(pipe, c, [s], [e])[:, 0]
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
