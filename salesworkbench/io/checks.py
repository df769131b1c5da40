"""Checking the values of a canonical table as the importers do (for tables built in code)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError
from salesworkbench.schemas import NON_NEGATIVE, OPPORTUNITIES, Schema

__all__ = ["check_values"]


def check_values(frame: pd.DataFrame, schema: Schema, *, source: str | None = None) -> None:
    """Check the values of a canonical table as the importers do.

    Numbers must be finite; :data:`~salesworkbench.schemas.NON_NEGATIVE` columns not
    negative; probabilities within 0-1 and satisfaction within 0-10; an opportunity's close
    date not before its created date. Rows are numbered as in a spreadsheet of the table
    (first row = row 2).

    Raises
    ------
    DataError
        Naming the table, the column and the rows.
    """
    source = source or f"{schema.entity} table"
    rows = np.arange(len(frame)) + 2

    def fail(problem: str, column: str, mask: np.ndarray) -> DataError:
        return DataError(problem, file=source, column=column, rows=rows[mask].tolist())

    for c in schema.columns:
        if c.name not in frame.columns or c.dtype not in ("float", "int"):
            continue
        arr = pd.to_numeric(frame[c.name], errors="coerce").astype("float64").to_numpy()
        bad = np.isinf(arr)
        if bad.any():
            raise fail("not a finite number", c.name, bad)
        if c.name in NON_NEGATIVE and (arr < 0).any():
            raise fail(f"negative {c.name}", c.name, arr < 0)
        if c.name == "probability" and ((arr < 0) | (arr > 1)).any():
            raise fail("probability outside 0-1", c.name, (arr < 0) | (arr > 1))
        if c.name == "satisfaction" and ((arr < 0) | (arr > 10)).any():
            raise fail("satisfaction must be on a 0-10 scale", c.name, (arr < 0) | (arr > 10))
    if schema is OPPORTUNITIES and {"created", "close_date"} <= set(frame.columns):
        before = (frame["close_date"] < frame["created"]).to_numpy()
        if before.any():
            raise fail("close date before created date", "close_date", before)
