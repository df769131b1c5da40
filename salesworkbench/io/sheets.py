"""Reading a CSV or Excel file as a table of text cells, exactly as the user sees it.

:func:`read_raw` is the first step of every importer (:mod:`salesworkbench.io`). It never
shifts a column or invents a value: every problem with the *shape* of the file is either
refused with a :class:`~salesworkbench.errors.DataError` naming the file and the spreadsheet
row (header = row 1), or handled and reported in the notes it returns.

CSV
    The encoding is UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order
    mark (Excel's "Unicode text"); a file that is not UTF-8 is read as Windows-1252 (Latin-1)
    with a note naming the first line concerned, unless ``encoding`` is given. The delimiter
    (comma, semicolon, tab or bar) is sniffed from the first lines unless given; anything but a
    comma is noted. A row with more fields than the header is refused, unless the extra
    fields are empty (a trailing delimiter, noted); a row with fewer fields is refused; a header
    naming a column twice is refused; blank lines are skipped (noted) without renumbering the
    rows after them.

Excel (.xlsx, .xlsm)
    The first sheet unless ``sheet`` is given; other sheets left unread are noted. A formula
    without a saved value (a file written by a program that does not calculate) is refused
    naming its rows; formulas with saved values are read and noted. A merged cell, which
    leaves the cells under its first row blank, is refused naming its range.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError, format_rows

__all__ = ["DELIMITERS", "RawTable", "cell_to_text", "column_letter", "read_raw"]

#: Delimiters :func:`read_raw` sniffs, with the names used in notes.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


@dataclass
class RawTable:
    """A file read as text.

    Attributes
    ----------
    frame : DataFrame
        Every cell a string (blank = ``""``); columns named as in the header row (stripped);
        the index is the spreadsheet row number of each row.
    source : str
        The file, for messages.
    notes : list of str
        What was done to read it (delimiter, encoding, skipped blank rows, ...).
    """

    frame: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)


def column_letter(position: int) -> str:
    """Spreadsheet column letter of a 0-based column position (0 -> A, 26 -> AA)."""
    letters = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_to_text(value: object) -> str:
    """One cell as text: blank for None/NaN, ISO for dates, unambiguous decimals for floats.

    A float with exactly three decimals (``1.234``) would read like a number with a thousands
    separator, so it gets a trailing zero (``1.2340``), which keeps its value and settles the
    decimal separator.
    """
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        v = float(value)
        if np.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        text = repr(v)
        return text + "0" if re.search(r"\.\d{3}$", text) else text
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def read_raw(
    path: str | os.PathLike,
    *,
    sheet: str | int | None = None,
    skiprows: int = 0,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> RawTable:
    """Read a CSV or Excel file as text cells (see the module docstring).

    Parameters
    ----------
    path : path-like
        ``.csv``/``.txt``/``.tsv`` or ``.xlsx``/``.xlsm``.
    sheet : str or int, optional
        Excel sheet name or 0-based index (default: the first sheet).
    skiprows : int, default 0
        Rows above the header (title lines of some report exports).
    delimiter : str, optional
        CSV delimiter; sniffed when not given.
    encoding : str, optional
        CSV encoding; detected when not given.

    Raises
    ------
    DataError
        Missing or unreadable file, unsupported type, or a malformed table; the message
        names the file, the row(s) and what to do.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise DataError("file not found", file=source)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path, source, sheet, skiprows)
    if suffix == ".xls":
        raise DataError(
            "old .xls workbooks are not supported; save it as .xlsx or export it as CSV",
            file=source,
        )
    if suffix in (".csv", ".txt", ".tsv", ""):
        return _read_csv(path, source, skiprows, delimiter, encoding)
    raise DataError(f"unsupported file type {suffix!r}; use .csv or .xlsx", file=source)


# ------------------------------------------------------------------------------------ CSV


def _decode(data: bytes, source: str, encoding: str | None, notes: list[str]) -> str:
    if encoding is not None:
        try:
            return data.decode(encoding)
        except LookupError:
            raise DataError(f"unknown encoding {encoding!r}", file=source) from None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise DataError(
                f"line {line}: not {encoding} text ({exc.reason}); check the encoding",
                file=source,
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError(f"not valid UTF-16 text: {exc.reason}", file=source) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
    try:
        text, name = data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        text, name = data.decode("latin-1"), "Latin-1"
    lines = text.splitlines()
    odd = [ln for ln in lines if any(ord(c) > 127 for c in ln)]
    example = next((w for w in re.findall(r"\S+", odd[0]) if any(ord(c) > 127 for c in w)), "")
    notes.append(
        f"not UTF-8 text (first at line {line}): read as {name}, {len(odd)} line(s) hold "
        f"accented or other non-ASCII characters, e.g. {example[:40]!r}; if they look wrong, "
        "save the file as 'CSV UTF-8' or pass encoding="
    )
    return text


def _sniff(text: str, skiprows: int) -> str:
    sample = text[:65536]
    truncated = len(text) > len(sample)
    best, best_score = ",", None
    for cand in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=cand)
        try:
            rows = [r for r in islice(reader, skiprows, skiprows + 40) if any(r)]
        except csv.Error:
            continue
        if truncated and len(rows) > 2:
            rows = rows[:-1]
        if not rows:
            continue
        width = len(rows[0])
        consistent = np.mean([len(r) in (width, width + 1) for r in rows])
        score = (width > 1, consistent >= 0.9, width)
        if best_score is None or score > best_score:
            best, best_score = cand, score
    return best


def _read_csv(
    path: Path, source: str, skiprows: int, delimiter: str | None, encoding: str | None
) -> RawTable:
    notes: list[str] = []
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot be read: {exc.strerror}", file=source) from None
    text = _decode(data, source, encoding, notes)
    if delimiter is None:
        delimiter = _sniff(text, skiprows)
        if delimiter != ",":
            notes.append(
                f"read as a {DELIMITERS[delimiter]}-delimited file (pass delimiter= if wrong)"
            )
    counts = _field_counts(text, delimiter)
    frame = None
    if counts is not None and len(counts):
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=None,
                names=range(max(int(counts.max()), 1)),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                engine="c",
            )
        except (pd.errors.ParserError, ValueError):
            frame = None
        if frame is not None and len(frame) != len(counts):
            frame = None  # quotes the fast count did not read as the parser did
    if frame is None:  # the csv module: slower, the same result
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:
            raise DataError(f"cannot be read as a table: {exc}", file=source) from None
        counts = np.fromiter(
            (len(r) if "".join(r).strip() else 0 for r in rows), dtype=np.int64, count=len(rows)
        )
        width = max(int(counts.max()), 1) if len(rows) else 1
        frame = _frame([r + [""] * (width - len(r)) for r in rows], width)
    return _shape(frame.iloc[skiprows:], counts[skiprows:], skiprows + 1, source, notes)


def _field_counts(text: str, delimiter: str) -> np.ndarray | None:
    """Fields per record, counted on the bytes (quotes respected); None if not countable."""
    if len(delimiter) != 1 or ord(delimiter) > 127:
        return None
    if "\n" not in text and "\r" in text:
        return None  # old Mac line endings: leave them to the csv module
    b = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    if not b.size:
        return np.zeros(0, dtype=np.int64)
    quote = b == 34
    if quote.any():  # inside a quoted value after an odd number of quotes (uint8 wraps evenly)
        outside = (np.cumsum(quote, dtype=np.uint8) & 1) == 0
        newline = (b == 10) & outside
        delim = (b == ord(delimiter)) & outside
    else:
        newline = b == 10
        delim = b == ord(delimiter)
    ends = np.flatnonzero(newline)
    if not newline[-1]:
        ends = np.append(ends, b.size)
    starts = np.concatenate([[0], ends[:-1] + 1])
    where = np.flatnonzero(delim)
    length = ends - starts
    cr_only = (length == 1) & (b[np.minimum(starts, b.size - 1)] == 13)
    fields = np.searchsorted(where, ends) - np.searchsorted(where, starts) + 1
    counts = np.where((length == 0) | cr_only, 0, fields).astype(np.int64)
    # a record of delimiters, quotes and spaces only is a blank row: mark it with 0 fields
    content = ~(delim | newline | (b == 13) | (b == 32) | (b == 9) | quote)
    has_content = np.logical_or.reduceat(content, np.minimum(starts, b.size - 1))
    return np.where((length > 0) & has_content, counts, 0)


def _frame(rows: list[list[str]], width: int) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
    columns = list(zip(*rows, strict=True))
    return pd.DataFrame({i: pd.array(col, dtype="str") for i, col in enumerate(columns)})


def _shape(
    table: pd.DataFrame, lengths: np.ndarray, header_row: int, source: str, notes: list[str]
) -> RawTable:
    """Check a table of records (header first, columns by position) and name its columns."""
    if not len(table) or not any(str(c).strip() for c in table.iloc[0]):
        raise DataError(
            f"no header row at row {header_row} (the file is empty, or pass skiprows= to skip "
            "title lines)",
            file=source,
        )
    header = [str(c).strip() for c in table.iloc[0]][: int(lengths[0])]
    width = len(header)
    data = table.iloc[1:]
    lengths = np.asarray(lengths[1:])
    numbers = np.arange(len(data)) + header_row + 1
    blank = lengths == 0
    long_rows = (lengths > width) & ~blank
    if long_rows.any():
        extra = np.zeros(len(data), dtype=bool)
        for i in range(width, data.shape[1]):
            extra |= (data.iloc[:, i].fillna("").str.strip() != "").to_numpy()
        extra_filled = long_rows & extra
        if extra_filled.any():
            first = int(np.flatnonzero(extra_filled)[0])
            raise DataError(
                f"cannot be read as a table: {lengths[first]} fields in a row but the header "
                f"names {width} columns; "
                "a value holding the delimiter must be quoted (or the header lacks a name)",
                file=source,
                rows=numbers[extra_filled].tolist(),
            )
        notes.append(
            f"{int(long_rows.sum())} row(s) end with an extra empty field (a trailing "
            "delimiter the header lacks); ignored, no column shifted"
        )
    short = (lengths < width) & ~blank
    if short.any():
        first = int(np.flatnonzero(short)[0])
        raise DataError(
            f"cannot be read as a table: only {lengths[first]} fields but the header names "
            f"{width} columns; the row is "
            f"broken (a line break inside an unquoted value?) - fix or quote it",
            file=source,
            rows=numbers[short].tolist(),
        )
    frame = data.iloc[:, :width]
    if blank.any():
        notes.append(f"{int(blank.sum())} blank row(s) skipped ({format_rows(numbers[blank])})")
        frame = frame[~blank]
        numbers = numbers[~blank]
    frame = frame.copy()
    frame.index = pd.Index(numbers, name="row")
    frame.columns = range(width)
    return RawTable(_name_columns(frame, header, source, notes), source, notes)


def _name_columns(
    frame: pd.DataFrame, header: list[str], source: str, notes: list[str]
) -> pd.DataFrame:
    unnamed = [i for i, h in enumerate(header) if h == ""]
    drop = []
    for i in unnamed:
        filled = frame[i].astype(str).str.strip() != ""
        if filled.any():
            raise DataError(
                f"column {column_letter(i)} has values but no name in the header row; name it "
                "(or delete the column)",
                file=source,
                rows=frame.index[filled.to_numpy()].tolist(),
            )
        drop.append(i)
    if drop:
        frame = frame.drop(columns=drop)
        notes.append(
            f"{len(drop)} column(s) with no name and no values ignored "
            f"({', '.join(column_letter(i) for i in drop)})"
        )
    names = [h for i, h in enumerate(header) if i not in drop]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if i in drop:
            continue
        if h in seen:
            raise DataError(
                f"the header names {h!r} twice (columns {column_letter(seen[h])} and "
                f"{column_letter(i)}); rename or delete one",
                file=source,
            )
        seen[h] = i
    frame.columns = names
    return frame


# ---------------------------------------------------------------------------------- Excel


def _read_excel(path: Path, source: str, sheet: str | int | None, skiprows: int) -> RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    notes: list[str] = []
    try:
        wb = openpyxl.load_workbook(path, data_only=False)
        wbv = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise DataError(f"not a readable Excel workbook: {exc}", file=source) from None
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise DataError(f"not a readable Excel workbook: {exc}", file=source) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise DataError(f"no sheet {sheet}; the workbook has {names}", file=source)
            name = names[sheet]
        elif sheet in names:
            name = sheet
        else:
            raise DataError(f"no sheet {sheet!r}; the workbook has {names}", file=source)
        others = [n for n in names if n != name]
        if others:
            notes.append(
                f"sheet {name!r} read; other sheet(s) {', '.join(map(repr, others))} not read "
                "(pass sheet= to read another)"
            )
        source = f"{source} [{name}]" if others else source
        ws, wsv = wb[name], wbv[name]
        header_row = skiprows + 1
        values = [list(r) for r in wsv.iter_rows(min_row=1, values_only=True)]
        formulas = [
            (c.row, c.column)
            for row in ws.iter_rows(min_row=header_row)
            for c in row
            if c.data_type == "f"
        ]
        merged = [r for r in ws.merged_cells.ranges if r.max_row >= header_row]
    finally:
        wbv.close()
    width = max((len(r) for r in values), default=0)
    rows = [[cell_to_text(v) for v in r] + [""] * (width - len(r)) for r in values]
    while rows and not any(c.strip() for c in rows[-1]):  # trailing empty rows
        rows.pop()
    while width and all(not r[width - 1].strip() for r in rows[skiprows:]):
        width -= 1
        rows = [r[:width] for r in rows]
    header = [c.strip() for c in rows[skiprows]] if len(rows) > skiprows else []
    if merged:
        rng = merged[0]
        col = rng.min_col - 1
        label = header[col] if col < len(header) and header[col] else column_letter(col)
        raise DataError(
            f"merged cells {', '.join(r.coord for r in merged[:5])}: the cells under the first "
            "row of a merged range are blank in the file; unmerge them and fill in the values",
            file=source,
            column=label,
            rows=list(range(max(rng.min_row, header_row), rng.max_row + 1)),
        )
    if formulas:
        missing = [(r, c) for r, c in formulas if r - 1 < len(values) and _blank(values, r, c)]
        if missing:
            col = missing[0][1] - 1
            label = header[col] if col < len(header) and header[col] else column_letter(col)
            raise DataError(
                f"{len(missing)} formula cell(s) have no saved value (the workbook was written "
                "by a program that does not calculate); open it in Excel and save it, or "
                "replace the formulas by values",
                file=source,
                column=label,
                rows=[r for r, c in missing if c - 1 == col],
            )
        notes.append(
            f"{len(formulas)} cell(s) hold formulas; the values Excel last calculated were read"
        )
    frame = _frame(rows, width)
    lengths = np.fromiter(
        (width if "".join(r).strip() else 0 for r in rows), dtype=np.int64, count=len(rows)
    )
    return _shape(frame.iloc[skiprows:], lengths[skiprows:], header_row, source, notes)


def _blank(values: list[list], row: int, col: int) -> bool:
    r = values[row - 1]
    return col - 1 >= len(r) or r[col - 1] is None
