"""Errors and warnings users read: one place for their wording.

Row numbers in messages are *spreadsheet rows*: the header is row 1 and the first data row is
row 2, so a user can go straight to the cell in Excel or a text editor.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

__all__ = [
    "DataError",
    "DataWarning",
    "LifecycleError",
    "ValueCaseError",
    "format_rows",
    "warn_note",
]


def format_rows(rows: Iterable[int], limit: int = 10) -> str:
    """Format row numbers for a message, e.g. ``"rows 3, 7, 9"`` or ``"row 4"``.

    Parameters
    ----------
    rows : iterable of int
        Spreadsheet row numbers (header = row 1).
    limit : int, default 10
        At most this many numbers are listed; the rest are counted.
    """
    rows = sorted({int(r) for r in rows})
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"rows {shown}{more}"


class DataError(ValueError):
    """Input data that cannot be used as it is.

    The message names the file, the row number(s) and the column where they are known, so
    that the user can find and fix the cell.

    Parameters
    ----------
    problem : str
        What is wrong, in a user's words.
    file : str, optional
        The file (or table name) that holds the bad data.
    rows : sequence of int, optional
        Spreadsheet row numbers (header = row 1).
    column : str, optional
        The column as named in the user's file.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        rows: Sequence[int] | None = None,
        column: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.rows = list(rows) if rows is not None else []
        self.column = column
        where = []
        if file:
            where.append(str(file))
        if column is not None:
            where.append(f"column {column!r}")
        if self.rows:
            where.append(format_rows(self.rows))
        super().__init__(f"{', '.join(where)}: {problem}" if where else problem)


class DataWarning(UserWarning):
    """A fixable oddity in input data (counted and reported, never silently changed)."""


def warn_note(notes: list[str], message: str, stacklevel: int = 3) -> None:
    """Record ``message`` in a result's ``notes`` and also issue it as a :class:`DataWarning`.

    Results keep their notes (shown in notebooks and reports); the warning reaches users who
    call the API directly. ``stacklevel`` 3 points at the caller of the function that warns.
    """
    notes.append(message)
    warnings.warn(message, DataWarning, stacklevel=stacklevel)


class LifecycleError(ValueError):
    """An illegal move in the sales lifecycle (e.g. from lead straight to won)."""


class ValueCaseError(ValueError):
    """A value case that cannot be used: names the assumption, line or formula at fault."""
