"""What the stage history teaches: win rates by stage, time from stage to close, slippage.

:func:`learn_stage_history` is the stage-history part of
:meth:`~salesworkbench.pipeline.HistoryModel.fit`: the win rate of deals that reached each open
stage and of deals found sitting in it (monthly snapshots), the days from (last) entering a
stage to a won close, how often and how far expected close dates were pushed, and when each
deal entered the stage it is in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError
from salesworkbench.pipeline.periods import _days
from salesworkbench.pipeline.rates import rate_table

__all__ = ["days_stood", "learn_stage_history", "no_slippage", "open_stage_names"]


def days_stood(ids: np.ndarray, changed: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Days each stage-history row's values stood: to the deal's next row, or to its close.

    A cut-off finds a value the CRM showed with a chance in proportion to these days, so they
    weigh what deals seen at a cut-off have ahead of them (expected close offsets, booked over
    shown amounts).

    Parameters
    ----------
    ids : ndarray
        The rows' deals, sorted by deal and then by ``changed``.
    changed : ndarray
        Day of each row (days since the epoch), every one before its deal's close.
    close : ndarray
        Day each row's deal closed.

    Returns
    -------
    ndarray
        Days, at least 1 (a value changed the day it was set still stood that day).
    """
    same_next = np.append(ids[1:] == ids[:-1], False)
    until = np.where(same_next, np.append(changed[1:], 0.0), close)
    return np.maximum(until - changed, 1.0)


def open_stage_names(opportunities: pd.DataFrame, stage_order) -> set:
    """The open stages: those open deals are in now, and any named in ``stage_order``."""
    is_open = opportunities["status"].astype(object) == "open"
    return set(opportunities.loc[is_open, "stage"].dropna()) | set(stage_order or [])


def no_slippage(deals_with_history: int = 0) -> pd.Series:
    """The slippage summary when no expected close dates were recorded."""
    return pd.Series(
        {
            "deals_with_history": int(deals_with_history),
            "pushed_share": np.nan,
            "pushes_per_deal": np.nan,
            "median_push_days": np.nan,
        }
    )


def learn_stage_history(
    history, closed, won, opportunities, as_of, p_all, k, group_by, stage_order, excluded
):
    """What the stage history teaches, for :meth:`HistoryModel.fit`.

    Parameters
    ----------
    history : DataFrame
        Canonical stage history.
    closed : DataFrame
        The closed deals the model learns from; ``won`` says which were won.
    won : ndarray
    opportunities : DataFrame
        All deals (open stage names, each open deal's current stage).
    as_of : Timestamp
        Only changes on or before it are used.
    p_all : float
        The overall win rate (what stage rates shrink towards).
    k : float
        Prior strength, in pseudo-deals.
    group_by : str or None
        The grouping of the cell rates (stage x group).
    stage_order : sequence of str or None
        Open stages in funnel order (a deal that reached a later one reached the earlier).
    excluded : dict
        Rows left out, counted by reason (updated in place).

    Returns
    -------
    tuple
        ``by_stage`` (win rate by stage reached), ``by_stage_open`` (by stage a deal sits in),
        ``cell`` (stage x group wins and deals), ``stage_days`` (stage -> days from last
        entering it to the close, won deals), ``slip`` (days from a won deal's first expected
        close date to its close), ``slippage`` (pushed share, pushes per deal, median push) and
        ``stage_entered`` (when each deal entered its current stage).
    """
    h = history.copy()
    need = [c for c in ("opportunity_id", "changed", "stage") if c not in h.columns]
    if need:
        raise DataError(f"stage history lacks column(s) {', '.join(need)}", file="stage history")
    h = h[h["changed"] <= as_of].sort_values(["opportunity_id", "changed"], kind="stable")
    known = set(opportunities["opportunity_id"])
    orphan = ~h["opportunity_id"].isin(known)
    if orphan.any():
        excluded["stage history rows of unknown opportunities"] = int(orphan.sum())
        h = h[~orphan]
    closed_ids = closed["opportunity_id"].to_numpy()
    won_of = pd.Series(won, index=closed_ids)
    # stage reached: open stages seen in the history (closing stages are not "reached")
    open_stages = open_stage_names(opportunities, stage_order)
    hc = h[h["opportunity_id"].isin(closed_ids)]
    reached = hc[["opportunity_id", "stage"]].drop_duplicates()
    if stage_order:
        order = {s: i for i, s in enumerate(stage_order)}
        top = reached["stage"].map(order).groupby(reached["opportunity_id"]).max().dropna()
        extra = [(oid, s) for oid, t in top.items() for s in stage_order[: int(t) + 1]]
        reached = pd.concat([reached, pd.DataFrame(extra, columns=["opportunity_id", "stage"])])
        reached = reached.drop_duplicates()
    closing = ~reached["stage"].isin(open_stages)
    reached = reached[~closing]
    by_stage = None
    if len(reached):
        rw = won_of.reindex(reached["opportunity_id"]).to_numpy(bool)
        by_stage = rate_table(reached["stage"], rw, p_all, k, "stage")
    # win rate of a deal *sitting* in a stage: monthly snapshots of the closed deals while they
    # were open, each deal weighted 1 in total (slow, dying deals sit longer in early stages, so
    # "reached" rates overstate the chances of a deal found there today)
    by_stage_open = cell = None
    hcs = hc.sort_values("changed", kind="stable")
    if len(hcs):
        start = hcs["changed"].min().to_period("M").start_time
        dates = pd.date_range(start, as_of, freq="MS")
        cl = closed[["opportunity_id", "created", "close_date"]].assign(won=won)
        if group_by is not None:
            cl[group_by] = closed[group_by].astype(object).to_numpy()
        grid = cl.merge(pd.DataFrame({"snap": dates}), how="cross")
        grid = grid[(grid["created"] <= grid["snap"]) & (grid["snap"] < grid["close_date"])]
        grid["snap"] = grid["snap"].astype("datetime64[ns]")
        grid = grid.sort_values("snap", kind="stable")
        at = pd.merge_asof(
            grid,
            hcs[["opportunity_id", "changed", "stage"]]
            .rename(columns={"changed": "snap"})
            .astype({"snap": "datetime64[ns]"}),
            on="snap",
            by="opportunity_id",
        )
        at = at[at["stage"].isin(open_stages)]
        if len(at):
            wt = 1.0 / at.groupby("opportunity_id")["snap"].transform("size").to_numpy(float)
            wn = at["won"].to_numpy(bool)
            by_stage_open = rate_table(at["stage"], wn, p_all, k, "stage", weights=wt)
            if group_by is not None:
                tmp = pd.DataFrame(
                    {
                        "stage": at["stage"].to_numpy(),
                        group_by: at[group_by].to_numpy(),
                        "won": wn * wt,
                        "w": wt,
                    }
                ).dropna()
                cell = tmp.groupby(["stage", group_by])[["won", "w"]].sum()
                cell.columns = ["wins", "n"]
    # time from (last) entering a stage to close, won deals
    close_of = closed.set_index("opportunity_id")["close_date"]
    hw = hc[hc["opportunity_id"].isin(closed_ids[won])]
    last_entry = hw.groupby(["opportunity_id", "stage"])["changed"].max().reset_index()
    last_entry = last_entry[last_entry["stage"].isin(open_stages)]
    d = _days(close_of.reindex(last_entry["opportunity_id"])) - _days(last_entry["changed"])
    stage_days = {
        s: np.sort(d[(last_entry["stage"] == s).to_numpy() & ~np.isnan(d)])
        for s in last_entry["stage"].unique()
    }
    # slippage: expected close date changes
    slip = np.array([], float)
    slippage = no_slippage(hc["opportunity_id"].nunique())
    if "close_date" in h.columns:
        hcd = hc.dropna(subset=["close_date"])
        if len(hcd):
            cd = _days(hcd["close_date"])
            same = hcd["opportunity_id"].to_numpy()
            step = np.diff(cd)
            cont = same[1:] == same[:-1]
            push = cont & (step > 0)
            ids = same[1:][push]
            n_ids = hcd["opportunity_id"].nunique()
            first = hcd.groupby("opportunity_id")["close_date"].first()
            wid = first.index.intersection(closed_ids[won])
            slip = _days(close_of.reindex(wid)) - _days(first.reindex(wid))
            slip = slip[~np.isnan(slip)]
            slippage = pd.Series(
                {
                    "deals_with_history": int(n_ids),
                    "pushed_share": len(set(ids)) / n_ids,
                    "pushes_per_deal": push.sum() / n_ids,
                    "median_push_days": float(np.median(step[push])) if push.any() else 0.0,
                }
            )
    # when each deal entered its current stage (for open deals' timing from stage)
    cur = opportunities.set_index("opportunity_id")["stage"]
    hh = h.assign(current=h["opportunity_id"].map(cur))
    hh = hh[hh["stage"] == hh["current"]]
    stage_entered = hh.groupby("opportunity_id")["changed"].max()
    return by_stage, by_stage_open, cell, stage_days, slip, slippage, stage_entered
