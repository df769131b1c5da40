"""Market analysis: potential and current business by sector, region, segment or any column.

:func:`market_analysis` groups the accounts by any column(s); :func:`segment_summary` is the
same table per segment, with all three segments listed.
"""

from __future__ import annotations

import pandas as pd

from salesworkbench.territory.segments import SEGMENTS

__all__ = ["market_analysis", "segment_summary"]

#: Money columns summed per group.
_COLUMNS_MONEY = ("revenue", "wallet", "current_spend", "install_base", "recurring_revenue")


def _with_white_space(accounts: pd.DataFrame) -> pd.DataFrame:
    a = accounts
    if "wallet" in a and "white_space" not in a:
        spend = a["current_spend"].fillna(0) if "current_spend" in a else 0.0
        a = a.assign(white_space=(a["wallet"] - spend).clip(lower=0))
    return a


def _aggregate(a: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    keys = [by] if isinstance(by, str) else list(by)
    wanted = [
        *keys,
        "segment",
        "insufficient_data",
        "potential",
        "relationship",
        "white_space",
        *_COLUMNS_MONEY,
    ]
    a = _with_white_space(a[[c for c in dict.fromkeys(wanted) if c in a]])
    g = a.groupby(by, observed=True, dropna=False, sort=True)
    out = pd.DataFrame({"accounts": g.size()})
    if "segment" in a and by != "segment":
        counts = pd.crosstab(
            [a[b] for b in ([by] if isinstance(by, str) else by)], a["segment"], dropna=False
        )
        for s in SEGMENTS:
            out[s] = counts[s].reindex(out.index).fillna(0).astype("int64") if s in counts else 0
    if "insufficient_data" in a:
        out["insufficient_data"] = g["insufficient_data"].sum().astype("int64")
    for c in ("potential", "relationship"):
        if c in a:
            out[f"mean_{c}"] = g[c].mean()
    for c in ("white_space", *_COLUMNS_MONEY):
        if c in a:
            out[c] = g[c].sum(min_count=1)
    if "wallet" in a and "current_spend" in a:
        out["share_of_wallet"] = out["current_spend"] / out["wallet"].where(out["wallet"] > 0)
    return out


def market_analysis(accounts: pd.DataFrame, by: str | list[str] = "sector") -> pd.DataFrame:
    """Potential and current business by sector, region, segment or any column(s).

    Parameters
    ----------
    accounts : DataFrame
        Segmented accounts (from :func:`~salesworkbench.territory.segment`); plain accounts
        work too (without the segment columns).
    by : str or list of str
        Grouping column(s).

    Returns
    -------
    DataFrame
        One row per group: ``accounts``, counts per segment, ``insufficient_data``,
        ``mean_potential``, ``mean_relationship`` and the sums of ``white_space`` (wallet -
        current spend), revenue, wallet, current spend, install base, recurring revenue, and
        ``share_of_wallet`` = current spend / wallet. Blank groups are kept (as NaN).
    """
    missing = [b for b in ([by] if isinstance(by, str) else by) if b not in accounts]
    if missing:
        raise KeyError(f"market_analysis: no column {', '.join(missing)} to group by")
    return _aggregate(accounts, by)


def segment_summary(accounts: pd.DataFrame) -> pd.DataFrame:
    """Counts, potential and current business per segment (all three segments listed).

    Returns
    -------
    DataFrame
        Index Alpha, Beta, Delta: ``accounts``, ``share`` of accounts, ``insufficient_data``,
        mean scores, total white space and current business columns.
    """
    if "segment" not in accounts:
        raise KeyError("segment_summary needs segmented accounts (a 'segment' column)")
    out = _aggregate(accounts, "segment").reindex(list(SEGMENTS))
    out["accounts"] = out["accounts"].fillna(0).astype("int64")
    out.insert(1, "share", out["accounts"] / max(len(accounts), 1))
    out.index.name = "segment"
    return out
