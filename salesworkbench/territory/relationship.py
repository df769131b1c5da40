"""The relationship columns (install base, spend, projects, last activity) from won deals.

For CRM exports whose account table has only firmographics, :func:`relationship_from_deals`
derives the relationship drivers from the deal history before scoring.
"""

from __future__ import annotations

import warnings

import pandas as pd

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.territory.checks import check_account_ids

__all__ = ["relationship_from_deals"]


def relationship_from_deals(
    accounts: pd.DataFrame,
    opportunities: pd.DataFrame,
    *,
    as_of: object = None,
    recent_months: int = 24,
    spend_months: int = 12,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Fill the relationship columns of accounts from won deals.

    For CRM exports whose account table has no relationship data (only firmographics), the
    relationship is derived from the deal history (canonical
    :data:`~salesworkbench.schemas.OPPORTUNITIES` table):

    * ``install_base``: total amount of all won deals closed on or before ``as_of``;
    * ``current_spend``: amount won in the ``spend_months`` before ``as_of``;
    * ``recent_projects``: number of deals won in the ``recent_months`` before ``as_of``;
    * ``last_activity``: close date of the latest won deal on or before ``as_of``.

    Deals closed after ``as_of`` are not counted at all (a territory plan as of a past date
    must not see later business).

    Deals match an account by ``account_id`` or, failing that, by ``name`` (ignoring case and
    surrounding spaces). Accounts without won deals get 0 (and no ``last_activity``): the CRM
    records no business with them.

    Parameters
    ----------
    accounts : DataFrame
        Canonical accounts table (``account_id``, and ``name`` for matching by name).
    opportunities : DataFrame
        Canonical opportunities (``account, status, amount, close_date``).
    as_of : date-like, optional
        End of the look-back windows; defaults to the latest close date of a won deal.
    recent_months, spend_months : int
        Look-back windows.
    overwrite : bool
        Replace relationship columns the accounts already have (default: only fill blanks).

    Returns
    -------
    DataFrame
        A copy of ``accounts`` with the four columns filled.

    Warns
    -----
    DataWarning
        Won deals whose account matches no account (counted, with examples), and won deals
        with no amount (counted as deals, not as money).
    """
    need = [c for c in ("account", "status", "amount", "close_date") if c not in opportunities]
    if need:
        raise DataError(f"missing required column(s) {', '.join(need)}", file="opportunities")
    check_account_ids(accounts, "accounts table")
    won = opportunities[opportunities["status"].astype("string") == "won"]
    close = pd.to_datetime(won["close_date"])
    as_of = pd.Timestamp(as_of) if as_of is not None else close.max()
    # "as of" means as of: deals closed after it do not exist yet (install base, last activity)
    known = (close <= as_of).to_numpy()
    won, close = won.loc[known], close.loc[known]

    def norm(s: pd.Series) -> pd.Series:
        return s.astype("string").str.strip().str.lower()

    ids = accounts["account_id"].astype("string")
    lookup = dict(zip(norm(ids), ids, strict=True))
    if "name" in accounts:
        names = norm(accounts["name"])
        dup = names[names.duplicated() & names.notna()].unique()
        if len(dup):
            warnings.warn(
                f"{len(dup)} account name(s) appear more than once ({', '.join(dup[:3])}); "
                "won deals naming them are counted for the first such account",
                DataWarning,
                stacklevel=2,
            )
        for nm, i in zip(names, ids, strict=True):
            if pd.notna(nm):
                lookup.setdefault(nm, i)
    key = norm(won["account"]).map(lookup)
    unmatched = key.isna()
    if unmatched.any():
        ex = ", ".join(
            map(repr, won.loc[unmatched, "account"].astype("string").fillna("<blank>").unique()[:3])
        )
        warnings.warn(
            f"{int(unmatched.sum())} won deal(s) match no account ({ex}); they are not counted "
            "in any relationship",
            DataWarning,
            stacklevel=2,
        )
    amount = pd.to_numeric(won["amount"], errors="coerce")
    if amount.isna().any():
        warnings.warn(
            f"{int(amount.isna().sum())} won deal(s) have no amount; they count as projects but "
            "add nothing to install base or spend",
            DataWarning,
            stacklevel=2,
        )
    deals = pd.DataFrame({"account_id": key, "amount": amount.fillna(0.0), "close": close})
    deals = deals[~unmatched.to_numpy()]
    spend_from = as_of - pd.DateOffset(months=spend_months)
    recent_from = as_of - pd.DateOffset(months=recent_months)
    in_spend = (deals["close"] > spend_from) & (deals["close"] <= as_of)
    in_recent = (deals["close"] > recent_from) & (deals["close"] <= as_of)
    g = deals.assign(
        spend=deals["amount"].where(in_spend, 0.0), recent=in_recent.astype("float64")
    ).groupby("account_id")
    agg = pd.DataFrame(
        {
            "install_base": g["amount"].sum(),
            "current_spend": g["spend"].sum(),
            "recent_projects": g["recent"].sum(),
            "last_activity": g["close"].max(),
        }
    )
    agg = agg.reindex(ids.to_numpy())
    for c in ("install_base", "current_spend", "recent_projects"):
        agg[c] = agg[c].fillna(0.0)
    out = accounts.copy()
    for c in agg.columns:
        new = agg[c].to_numpy()
        if c in out.columns and not overwrite:
            out[c] = out[c].where(out[c].notna(), pd.Series(new, index=out.index))
        else:
            out[c] = new
    return out
