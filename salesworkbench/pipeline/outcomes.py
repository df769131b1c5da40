"""Outcomes of closed deals: win rate and deal counts by a grouping column."""

from __future__ import annotations

import pandas as pd

__all__ = ["win_rates"]


def win_rates(opportunities: pd.DataFrame, group_by: str) -> pd.DataFrame:
    """Return closed deals, wins and win rate per group, highest win rate first.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities; open deals are left out (they have no outcome yet).
    group_by : str
        A column of ``opportunities`` (e.g. ``"product"``, ``"segment"``, ``"owner"``).

    Returns
    -------
    DataFrame
        Index the group (as text); columns ``closed_deals``, ``won`` and ``win_rate`` (rounded
        to three decimals).

    Raises
    ------
    ValueError
        ``group_by`` is not a column.

    Examples
    --------
    >>> opps = pd.DataFrame({"status": ["won", "lost", "open"], "product": ["A", "A", "B"]})
    >>> win_rates(opps, "product").loc["A"].tolist()
    [2.0, 1.0, 0.5]
    """
    if group_by not in opportunities.columns:
        raise ValueError(
            f"group_by={group_by!r} is not a column of the opportunities; choose one of "
            f"{', '.join(map(str, opportunities.columns))}"
        )
    closed = opportunities[opportunities["status"].isin(["won", "lost"])]
    won = (closed["status"] == "won").rename("won")
    table = won.groupby(closed[group_by].astype(str), observed=True).agg(["size", "sum"])
    table.columns = ["closed_deals", "won"]
    table["win_rate"] = (table["won"] / table["closed_deals"]).round(3)
    return table.sort_values("win_rate", ascending=False)
