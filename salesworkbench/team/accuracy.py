"""Forecast accuracy from pipeline snapshots: each rep's commit against what they booked."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["forecast_accuracy"]


def forecast_accuracy(
    store, opportunities: pd.DataFrame, *, as_of=None, category: str = "commit"
) -> pd.DataFrame | None:
    """Commit vs actual per rep for each stored snapshot of a finished quarter.

    For a snapshot taken on day ``d``: *commit* is the amount of the rep's open deals in
    forecast category ``category`` with an expected close from ``d`` to the end of ``d``'s
    quarter; *actual* is what the rep booked in that window (won deals of ``opportunities``).

    Returns
    -------
    DataFrame or None
        Columns ``snapshot, quarter, rep, commit, actual, error`` (actual - commit) and
        ``ratio`` (actual / commit); None when the store has no snapshot of a quarter that has
        ended by ``as_of`` (nothing is invented).
    """
    dates = list(store.dates()) if store is not None else []
    won = opportunities[opportunities["status"].astype(object) == "won"]
    closed = opportunities["status"].astype(object).isin(["won", "lost"])
    as_of = (
        pd.Timestamp(as_of)
        if as_of is not None
        else opportunities.loc[closed.to_numpy(), "close_date"].max()
    )
    rows = []
    for day in dates:
        q = day.to_period("Q")
        end = q.end_time.normalize()
        if end >= as_of:
            continue
        snap = store.load(day)
        if "forecast_category" not in snap.columns:
            continue
        o = snap[snap["status"].astype(object) == "open"]
        cat = o["forecast_category"].astype(object).str.lower().str.replace(" ", "_")
        inq = (o["close_date"] >= day) & (o["close_date"] <= end) & (cat == category)
        commit = o[inq.to_numpy()].groupby(o["owner"].astype(object))["amount"].sum()
        wq = won[(won["close_date"] >= day) & (won["close_date"] <= end)]
        actual = wq.groupby(wq["owner"].astype(object))["amount"].sum()
        for rep in sorted(set(commit.index) | set(actual.index)):
            c, a = float(commit.get(rep, 0.0)), float(actual.get(rep, 0.0))
            rows.append(
                {
                    "snapshot": day,
                    "quarter": str(q),
                    "rep": rep,
                    "commit": c,
                    "actual": a,
                    "error": a - c,
                    "ratio": a / c if c > 0 else np.nan,
                }
            )
    if not rows:
        return None
    return pd.DataFrame(rows)
