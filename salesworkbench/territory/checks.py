"""Checks of an accounts table, with errors that name the column, spreadsheet rows and accounts.

Scoring (:func:`~salesworkbench.territory.prepare`), segmentation with supplied scores and
:func:`~salesworkbench.territory.relationship_from_deals` read the accounts table through
these functions, so a bad file is reported the same way whichever step reads it first.
Row numbers are spreadsheet rows (the header is row 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError
from salesworkbench.schemas import ACCOUNTS, NON_NEGATIVE

__all__ = ["check_account_ids", "date_column", "numeric_column", "score_column"]

#: Raw columns that cannot be negative (a negative value is a data error naming the account).
NONNEGATIVE = tuple(c for c in ACCOUNTS.names if c in NON_NEGATIVE)


def _ids_at(accounts: pd.DataFrame, mask: np.ndarray, limit: int = 5) -> str:
    """The ids of the accounts where ``mask`` is True, as text (the first ``limit`` and a count)."""
    ids = accounts["account_id"].to_numpy()[mask]
    shown = ", ".join(map(str, ids[:limit]))
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def check_account_ids(accounts: pd.DataFrame, source: str) -> None:
    """Check that ``accounts`` is a DataFrame with a unique, never blank ``account_id``.

    Parameters
    ----------
    accounts : DataFrame
        The accounts table.
    source : str
        Name of the table in error messages (e.g. the file name).

    Raises
    ------
    TypeError
        ``accounts`` is not a DataFrame.
    DataError
        ``account_id`` missing, blank or duplicated (names the rows and ids).
    """
    if not isinstance(accounts, pd.DataFrame):
        raise TypeError(f"accounts must be a pandas DataFrame, got {type(accounts).__name__}")
    if "account_id" not in accounts.columns:
        raise DataError(
            "missing required column(s) account_id; the accounts table needs a unique "
            "account_id (map your CRM's account column to it)",
            file=source,
        )
    key = accounts["account_id"]
    blank = key.isna().to_numpy()
    if blank.any():
        raise DataError(
            "blank account_id",
            file=source,
            column="account_id",
            rows=(np.flatnonzero(blank) + 2).tolist(),
        )
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError(
            f"duplicate account id(s) {', '.join(map(str, key[dup].unique()[:5]))}",
            file=source,
            column="account_id",
            rows=(np.flatnonzero(dup) + 2).tolist(),
        )


def numeric_column(accounts: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Return ``column`` as float64 (blanks are NaN), checked.

    Raises
    ------
    DataError
        Non-numbers, infinite values, negative sizes or money (:data:`NONNEGATIVE` columns),
        or ``satisfaction`` outside 0-10; the message names the accounts and rows.
    """
    s = accounts[column]
    if pd.api.types.is_bool_dtype(s) or not (
        pd.api.types.is_numeric_dtype(s) or s.dtype == object or pd.api.types.is_string_dtype(s)
    ):
        raise DataError(f"must be numeric, has dtype {s.dtype}", file=source, column=column)
    if pd.api.types.is_numeric_dtype(s):
        values = s.to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        bad = np.isnan(values) & s.notna().to_numpy()
        if bad.any():
            examples = ", ".join(repr(v) for v in s[bad].unique()[:3])
            raise DataError(
                f"non-numeric value(s) {examples} for account(s) {_ids_at(accounts, bad)}",
                file=source,
                column=column,
                rows=(np.flatnonzero(bad) + 2).tolist(),
            )
    inf = np.isinf(values)
    if inf.any():
        raise DataError(
            f"infinite value for account(s) {_ids_at(accounts, inf)}",
            file=source,
            column=column,
            rows=(np.flatnonzero(inf) + 2).tolist(),
        )
    if column in NONNEGATIVE:
        neg = values < 0
        if neg.any():
            raise DataError(
                f"negative {column} for account(s) {_ids_at(accounts, neg)}",
                file=source,
                column=column,
                rows=(np.flatnonzero(neg) + 2).tolist(),
            )
    if column == "satisfaction":
        out = (values < 0) | (values > 10)
        if out.any():
            raise DataError(
                f"satisfaction must be 0 to 10; account(s) {_ids_at(accounts, out)} are outside",
                file=source,
                column=column,
                rows=(np.flatnonzero(out) + 2).tolist(),
            )
    return values


def date_column(accounts: pd.DataFrame, column: str, source: str) -> pd.Series:
    """Return ``column`` as datetimes (ISO 8601 text is parsed; blanks are NaT).

    Raises
    ------
    DataError
        A value that is not a date (names the accounts and rows).
    """
    s = accounts[column]
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    d = pd.to_datetime(s, errors="coerce", format="ISO8601")
    bad = d.isna().to_numpy() & s.notna().to_numpy()
    if bad.any():
        raise DataError(
            f"not a date: {', '.join(repr(v) for v in s[bad].unique()[:3])} for account(s) "
            f"{_ids_at(accounts, bad)}",
            file=source,
            column=column,
            rows=(np.flatnonzero(bad) + 2).tolist(),
        )
    return d


def score_column(accounts: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Return a supplied 0-100 score column (``potential`` or ``relationship``) as float64.

    Raises
    ------
    DataError
        As :func:`numeric_column`, or a score outside 0-100 (names the accounts and rows).
    """
    v = numeric_column(accounts, column, source)
    out = (v < 0) | (v > 100)
    if out.any():
        raise DataError(
            f"{column} scores must be 0 to 100; account(s) {_ids_at(accounts, out)} are outside",
            file=source,
            column=column,
            rows=(np.flatnonzero(out) + 2).tolist(),
        )
    return v
