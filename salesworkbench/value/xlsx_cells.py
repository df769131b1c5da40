"""Writing the cells of an xlsx sheet safely: numbers as numbers, all else as quote-prefixed text.

Used by :mod:`salesworkbench.value.excel`. Every text cell is written as a string (``data_type
"s"``) with Excel's *quote prefix*, so text starting with ``=``, ``+``, ``-`` or ``@`` stays text
(no formula injection) and round-trips exactly; characters XML cannot hold are dropped. Lists
are written as comma-separated numbers (``1, 2, 3``). openpyxl is imported inside the functions.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "HEADER_FILL",
    "clean_text",
    "header_row",
    "list_text",
    "number_or_text",
    "number_text",
    "put",
]

#: Background of the header row.
HEADER_FILL = "DCE6F1"


def list_text(values: Sequence[Any]) -> str:
    """A list as comma-separated text, ``1, 2, 3``."""
    return ", ".join(number_text(v) for v in values)


def number_text(v: Any) -> str:
    """A number as short exact text (``3``, not ``3.0``); anything else as ``str``."""
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        f = float(v)
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    return str(v)


def put(ws: Any, row: int, col: int, value: Any, *, number_format: str | None = None) -> Any:
    """Write one cell: numbers as numbers, everything else as (quote-prefixed) text."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, numbers.Real):
        cell.value = float(value) if not isinstance(value, numbers.Integral) else int(value)
        if number_format is None:
            f = float(value)
            number_format = "#,##0" if f.is_integer() and abs(f) >= 1000 else "General"
        cell.number_format = number_format
        return cell
    if isinstance(value, Mapping | list | tuple):
        value = json.dumps(value)
    text = clean_text(str(value))
    cell.value = text
    cell.data_type = "s"  # openpyxl makes "=..." a formula: this cell is text, always
    cell.quotePrefix = True  # stays text when the customer edits the cell
    return cell


def number_or_text(text: str) -> Any:
    """``text`` as a finite float when it reads as one (``2.0e6``, ``1_000``), else as it is."""
    try:
        x = float(text.replace("_", ""))
    except ValueError:
        return text
    return x if math.isfinite(x) else text


def clean_text(text: str) -> str:
    """Drop characters XML (hence xlsx) cannot hold; keep everything else as it is."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)


def header_row(ws: Any, columns: Sequence[str], widths: Mapping[str, float] | None = None) -> None:
    """Bold, shaded column names in row 1, column widths, and the panes frozen below it."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    for j, name in enumerate(columns, start=1):
        cell = put(ws, 1, j, name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        width = (widths or {}).get(name, max(10, len(name) + 2))
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "B2"
