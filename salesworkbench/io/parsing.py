"""Reading dates and numbers from text cells without guessing silently.

The importers (:mod:`salesworkbench.io`) hand every cell over as text. This module turns a
column of text into dates or numbers, vectorised, under one rule: a value never quietly
becomes another value. Where the reading depends on a convention (day/month order, decimal
separator, percent scale, currency) the convention is detected per column from the values that
settle it, reported in a note, and a column that contradicts itself is refused naming the
rows. Problems are raised as :class:`CellError` (a message plus a boolean mask of the bad
cells); the importer turns that into a :class:`~salesworkbench.errors.DataError` that names
the file, the rows and the column.

Dates
-----
``2026-04-03`` (ISO, with or without a time), ``2026/04/03``, ``03/04/2026``, ``03.04.2026``,
``03-04-2026`` (also with two-digit years and a time of day) and dates with a month name
(``3 Apr 2026``, ``April 3, 2026``). For the numeric day/month forms the order is taken from
the values that settle it (a first number above 12 means day first, a second number above 12
means month first); a column holding both is refused. A column where every value could be
read either way is refused unless the caller states ``dayfirst`` or ``date_format``, except
dotted dates (``03.04.2026``), which are day-first by universal convention (noted). A bare
year, a month without a day, an impossible date (``2026-13-01``, ``30/02/2026``) or an
Excel serial number is refused.

Numbers
-------
Thousands separators (``,`` ``.`` space, apostrophe), the decimal separator (``.`` or ``,``,
detected per column or given), currency codes and symbols (``USD 1,000``, ``€1.234,50``),
accounting negatives (``(120)``) and percentages. Non-finite values (``inf``, ``1e400``) are
refused. A value with exactly three digits after its only separator (``1,000``, ``1.500``) is
ambiguous; when nothing in the column settles it, it is read with the separator as a
thousands separator (3 decimals are not how amounts are written), and the note says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesworkbench.errors import format_rows

__all__ = [
    "CURRENCY_CODES",
    "CURRENCY_SYMBOLS",
    "MONEY_COLUMNS",
    "SHARE_COLUMNS",
    "CellError",
    "NumberReading",
    "parse_dates",
    "parse_numbers",
]

#: Numeric columns that hold money (a currency code or symbol is allowed, and checked).
MONEY_COLUMNS = frozenset(
    {
        "amount",
        "original_amount",
        "revenue",
        "wallet",
        "current_spend",
        "install_base",
        "recurring_revenue",
    }
)
#: Columns that are shares (fractions): ``50%`` is read as 0.5.
SHARE_COLUMNS = frozenset({"probability", "growth"})
#: Currency symbols and the ISO code they are read as.
CURRENCY_SYMBOLS = {"$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY"}
#: ISO 4217 codes recognised next to a number.
CURRENCY_CODES = frozenset(
    "USD EUR GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF INR CNY HKD SGD ZAR BRL MXN "
    "RUB TRY ILS AED SAR KRW TWD THB MYR IDR PHP".split()
)


class CellError(ValueError):
    """Some cells of a column cannot be read.

    Parameters
    ----------
    problem : str
        What is wrong and what to do.
    mask : ndarray of bool
        The bad cells (positions in the column).
    """

    def __init__(self, problem: str, mask: np.ndarray) -> None:
        super().__init__(problem)
        self.problem = problem
        self.mask = np.asarray(mask, dtype=bool)


RowsOf = Callable[[np.ndarray], list[int]]


def _examples(text: pd.Series, mask: np.ndarray, n: int = 3) -> str:
    return ", ".join(repr(v) for v in pd.unique(text.to_numpy()[mask])[:n])


# ---------------------------------------------------------------------------------- dates

_ISO = (
    r"^(?P<y>\d{4})(?P<s>[-/])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_NUMERIC = (
    r"^(?P<a>\d{1,2})(?P<s>[/.\-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})\.?"
    r"(?:[T ]+\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?)?$"
)
_MONTH_NAME = (
    r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?=[\s,.\-/]|\d|$)"
)


def _ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Dates from year, month, day arrays; NaT where the date does not exist."""
    frame = pd.DataFrame({"year": y, "month": m, "day": d})
    return pd.to_datetime(frame, errors="coerce").to_numpy(dtype="datetime64[ns]")


def parse_dates(
    text: pd.Series,
    blank: np.ndarray,
    *,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    rows_of: RowsOf | None = None,
    notes: list[str] | None = None,
    label: str = "",
) -> pd.Series:
    """Read a column of text dates.

    Parameters
    ----------
    text : Series of str
        The cells, stripped; blank cells are ``""``.
    blank : ndarray of bool
        Which cells are blank (they become NaT).
    dayfirst : bool, optional
        The day/month order of numeric dates, if the user stated it. Values that contradict
        it (e.g. ``04/13/2026`` with ``dayfirst=True``) are refused.
    date_format : str, optional
        An explicit :func:`~datetime.datetime.strptime` format; every value must match it.
    rows_of : callable, optional
        Maps a mask to spreadsheet row numbers, for notes.
    notes : list of str, optional
        Where to record the order used and other conventions.
    label : str
        How notes refer to the column (e.g. ``"column 'Close Date'"``).

    Returns
    -------
    Series of datetime64[ns]
        Normalised to midnight (time of day and time zones dropped).

    Raises
    ------
    CellError
        Values that are not dates, contradict each other or could be read two ways.
    """
    notes = notes if notes is not None else []
    rows_of = rows_of or (lambda mask: (np.flatnonzero(mask) + 2).tolist())
    prefix = f"{label}: " if label else ""
    s = text.astype(str)
    n = len(s)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    todo = ~np.asarray(blank, dtype=bool)
    if date_format is not None:
        parsed = pd.to_datetime(s.where(todo, None), format=date_format, errors="coerce")
        bad = parsed.isna().to_numpy() & todo
        if bad.any():
            raise CellError(
                f"not a date in the stated format {date_format!r}: {_examples(s, bad)}", bad
            )
        out = _strip_time(parsed).to_numpy(dtype="datetime64[ns]")
        return pd.Series(out, index=text.index)
    if not todo.any():
        return pd.Series(out, index=text.index)
    # fast path: plain ISO dates, the usual case
    fast = pd.to_datetime(s.where(todo, None), format="%Y-%m-%d", errors="coerce")
    if not (fast.isna().to_numpy() & todo).any():
        return pd.Series(fast.to_numpy(dtype="datetime64[ns]"), index=text.index)
    iso = s.str.extract(_ISO)
    is_iso = iso["y"].notna().to_numpy() & todo
    if is_iso.any():
        y, m, d = (iso[c].to_numpy()[is_iso].astype(int) for c in ("y", "m", "d"))
        out[is_iso] = _ymd(y, m, d)
        # a time zone offset may move the date; read it with pandas and compare
        tz = s.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).to_numpy() & is_iso
        if tz.any():
            stamps = pd.to_datetime(s[tz], errors="coerce", utc=True, format="ISO8601")
            out[tz] = stamps.dt.tz_localize(None).dt.normalize().to_numpy()
    rest = todo & ~is_iso
    if rest.any():
        num = s.where(rest, "").str.extract(_NUMERIC)
        is_num = num["a"].notna().to_numpy() & rest
        if is_num.any():
            out[is_num] = _day_month(s, num, is_num, dayfirst, rows_of, notes, prefix)
        named = rest & ~is_num
        if named.any():
            has_name = s.str.contains(_MONTH_NAME, regex=True).to_numpy()
            has_day = s.str.contains(r"(?<!\d)\d{1,2}(?!\d)", regex=True).to_numpy()
            has_year = s.str.contains(r"(?<!\d)\d{4}(?!\d)", regex=True).to_numpy()
            ok = named & has_name & has_day & has_year
            if ok.any():
                parsed = pd.to_datetime(
                    s.where(ok, None), errors="coerce", format="mixed", dayfirst=bool(dayfirst)
                )
                out[ok] = _strip_time(parsed).to_numpy(dtype="datetime64[ns]")[ok]
    bad = todo & np.isnat(out)
    if bad.any():
        raise CellError(
            f"not a date: {_examples(s, bad)} (write dates as yyyy-mm-dd, e.g. 2026-04-03; "
            "a bare year, a month without a day or an impossible date cannot be read)",
            bad,
        )
    return pd.Series(out, index=text.index)


def _strip_time(values: pd.Series) -> pd.Series:
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.dt.normalize()


def _day_month(
    s: pd.Series,
    num: pd.DataFrame,
    is_num: np.ndarray,
    dayfirst: bool | None,
    rows_of: RowsOf,
    notes: list[str],
    prefix: str,
) -> np.ndarray:
    a = pd.to_numeric(num["a"], errors="coerce").to_numpy()[is_num].astype(int)
    b = pd.to_numeric(num["b"], errors="coerce").to_numpy()[is_num].astype(int)
    ytext = num["y"].to_numpy()[is_num]
    y = np.array([int(v) for v in ytext])
    short = np.array([len(v) == 2 for v in ytext], dtype=bool)
    y = np.where(short, np.where(y < 70, 2000 + y, 1900 + y), y)
    sep = num["s"].to_numpy()[is_num]
    full = np.flatnonzero(is_num)

    def mask_of(sub: np.ndarray) -> np.ndarray:
        m = np.zeros(len(s), dtype=bool)
        m[full[sub]] = True
        return m

    day_first_only = (a > 12) & (b <= 12)
    month_first_only = (b > 12) & (a <= 12)
    if dayfirst is None:
        if day_first_only.any() and month_first_only.any():
            d_rows, m_rows = mask_of(day_first_only), mask_of(month_first_only)
            raise CellError(
                "mixes day-first dates (e.g. "
                f"{_examples(s, d_rows, 1)} at {format_rows(rows_of(d_rows), 5)}) and "
                f"month-first dates (e.g. {_examples(s, m_rows, 1)} at "
                f"{format_rows(rows_of(m_rows), 5)}); fix the rows that do not match the "
                "file's convention",
                d_rows if d_rows.sum() <= m_rows.sum() else m_rows,
            )
        if day_first_only.any():
            order, why = (
                True,
                f"{int(day_first_only.sum())} value(s) such as "
                + _examples(s, mask_of(day_first_only), 1),
            )
        elif month_first_only.any():
            order, why = (
                False,
                f"{int(month_first_only.sum())} value(s) such as "
                + _examples(s, mask_of(month_first_only), 1),
            )
        elif (sep == ".").all():
            order, why = True, "dotted dates are day-first by convention"
        else:
            amb = mask_of(np.ones(len(a), dtype=bool))
            raise CellError(
                f"every date could be day-first or month-first (e.g. {_examples(s, amb, 1)}); "
                "say which: dayfirst=True (dd/mm/yyyy) or dayfirst=False (mm/dd/yyyy), or "
                "'dayfirst: true' in the mapping file, or give date_format",
                amb,
            )
        words = "day-first (dd/mm/yyyy)" if order else "month-first (mm/dd/yyyy)"
        notes.append(f"{prefix}{int(is_num.sum())} dates read {words}: {why}")
    else:
        order = bool(dayfirst)
    day, month = (a, b) if order else (b, a)
    values = _ymd(y, month, day)
    if short.any():
        notes.append(
            f"{prefix}{int(short.sum())} dates have two-digit years, read as 1970-2069 "
            f"(e.g. {_examples(s, mask_of(short), 1)})"
        )
    bad = np.isnat(values)
    if bad.any():
        words = "day-first" if order else "month-first"
        stated = "as stated" if dayfirst is not None else "as the other values show"
        raise CellError(
            f"not a valid {words} date ({stated}): {_examples(s, mask_of(bad))}", mask_of(bad)
        )
    return values


# -------------------------------------------------------------------------------- numbers


@dataclass
class NumberReading:
    """What :func:`parse_numbers` found besides the values.

    Attributes
    ----------
    values : ndarray of float
        The numbers (NaN where blank).
    currency : ndarray of object
        The ISO code marked on each cell (``None`` where unmarked).
    notes : list of str
        What was read by convention.
    """

    values: np.ndarray
    currency: np.ndarray
    notes: list[str] = field(default_factory=list)


_INF = r"(?i)^[-+]?(?:inf|infinity)$"


def parse_numbers(
    text: pd.Series,
    blank: np.ndarray,
    *,
    name: str,
    decimal: str | None = None,
    rows_of: RowsOf | None = None,
    label: str = "",
) -> NumberReading:
    """Read a column of text numbers (see the module docstring for the forms accepted).

    Parameters
    ----------
    text : Series of str
        The cells, stripped; blank cells are ``""``.
    blank : ndarray of bool
        Which cells are blank (NaN).
    name : str
        The canonical column name: money columns (:data:`MONEY_COLUMNS`) may carry a
        currency; share columns (:data:`SHARE_COLUMNS`) read ``%`` as a fraction.
    decimal : {".", ","}, optional
        The decimal separator, if stated; otherwise detected from the column.
    rows_of : callable, optional
        Maps a mask to spreadsheet row numbers.
    label : str
        How notes refer to the column.

    Raises
    ------
    CellError
        Not a number, non-finite, a decimal separator that contradicts the column's, a
        percentage outside a share column, a currency outside a money column, or a
        probability column mixing fractions and percentages.
    """
    rows_of = rows_of or (lambda mask: (np.flatnonzero(mask) + 2).tolist())
    prefix = f"{label}: " if label else ""
    notes: list[str] = []
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    s = text.astype(str)
    todo = ~np.asarray(blank, dtype=bool)
    fast = _plain_numbers(s, todo) if decimal != "," else None
    if fast is not None:
        if name == "probability":
            fast = _probability_scale(fast, todo, s, rows_of, notes, prefix)
        return NumberReading(fast, np.full(len(s), None, dtype=object), notes)
    # currency: a code or symbol before or after the number (sign may come first)
    cur = s.str.extract(
        r"^[-+(]?\s*(?P<pre>[A-Z]{3}|[$£€¥])|(?P<post>[A-Z]{3}|[$£€¥])\s*\)?$", expand=True
    )
    code = cur["pre"].fillna(cur["post"]).to_numpy(dtype=object)
    marked = pd.notna(code) & todo
    code = np.where(marked, code, None)
    if marked.any():
        code = np.array([CURRENCY_SYMBOLS.get(c, c) for c in code], dtype=object)
        unknown = marked & ~np.isin(code, list(CURRENCY_CODES))
        if unknown.any():
            raise CellError(f"not a number: {_examples(s, unknown)}", unknown)
        if name not in MONEY_COLUMNS:
            raise CellError(
                f"a currency in a column that is not money: {_examples(s, marked)}", marked
            )
    core = s.str.replace(r"[A-Z]{3}|[$£€¥]", "", regex=True) if marked.any() else s
    core = core.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    pct = core.str.endswith("%").to_numpy() & todo
    if pct.any():
        if name not in SHARE_COLUMNS:
            raise CellError(
                f"a percentage in a column that is not a share: {_examples(s, pct)}", pct
            )
        core = core.str.replace(r"%$", "", regex=True)
    paren = core.str.match(r"^\(.*\)$").to_numpy() & todo
    if paren.any():
        core = core.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    infinite = core.str.match(_INF).to_numpy() & todo
    if infinite.any():
        raise CellError(f"not a finite number: {_examples(s, infinite)}", infinite)
    sep = _decimal_of(core, todo, decimal, s, rows_of, notes, prefix)
    if sep == ",":
        grouped = r"\d{1,3}(?:\.\d{2,3})*\.\d{3}"
        numeric = core.str.fullmatch(rf"[-+]?(?:\d+|{grouped})(?:,\d+)?(?:[eE][-+]?\d+)?|[-+]?,\d+")
        plain = core.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        grouped = r"\d{1,3}(?:,\d{2,3})*,\d{3}"
        numeric = core.str.fullmatch(
            rf"[-+]?(?:\d+|{grouped})(?:\.\d*)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?"
        )
        plain = core.str.replace(",", "", regex=False)
    bad = ~numeric.to_numpy(dtype=bool, na_value=False) & todo
    if bad.any():
        raise CellError(f"not a number: {_examples(s, bad)}", bad)
    values = pd.to_numeric(plain.where(todo, None), errors="coerce").to_numpy(dtype="float64")
    nonfinite = ~np.isfinite(values) & todo
    if nonfinite.any():
        raise CellError(f"not a finite number (too large): {_examples(s, nonfinite)}", nonfinite)
    if pct.any():
        values = np.where(pct, values / 100.0, values)
        notes.append(f"{prefix}{int(pct.sum())} percentage(s) read as fractions (50% = 0.5)")
    if name == "probability":
        values = _probability_scale(values, todo & ~pct, s, rows_of, notes, prefix)
    return NumberReading(values, code, notes)


def _plain_numbers(s: pd.Series, todo: np.ndarray) -> np.ndarray | None:
    """Values if every cell is a plain finite number with no doubt about its decimals."""
    values = pd.to_numeric(s.where(todo, None), errors="coerce").to_numpy(dtype="float64")
    if (~np.isfinite(values) & todo).any():
        return None
    dot = s.str.contains(".", regex=False).to_numpy() & todo
    if dot.any():
        exponent = s.str.contains("e", case=False, regex=False).to_numpy()
        decimals = (s.str.len() - s.str.find(".") - 1).to_numpy()
        if not (dot & ((decimals != 3) | exponent)).any():
            return None  # only "1.500"-like values: decide with the full rules
    return np.where(todo, values, np.nan)


def _decimal_of(
    core: pd.Series,
    todo: np.ndarray,
    decimal: str | None,
    s: pd.Series,
    rows_of: RowsOf,
    notes: list[str],
    prefix: str,
) -> str:
    """The column's decimal separator: stated, settled by the values, or '.' (noted)."""
    has_dot = core.str.contains(".", regex=False).to_numpy() & todo
    has_comma = core.str.contains(",", regex=False).to_numpy() & todo
    if not (has_dot | has_comma).any():
        return decimal or "."
    last_dot = core.str.rfind(".").to_numpy()
    last_comma = core.str.rfind(",").to_numpy()
    n_dot = core.str.count(r"\.").to_numpy()
    n_comma = core.str.count(",").to_numpy()
    # how many characters follow the only separator (exponent excluded)
    mantissa = core.str.replace(r"[eE][-+]?\d+$", "", regex=True).str.len().to_numpy()
    both = has_dot & has_comma
    dot_dec = (both & (last_dot > last_comma)) | (
        has_dot & ~has_comma & (n_dot == 1) & (mantissa - last_dot - 1 != 3)
    )
    comma_dec = (both & (last_comma > last_dot)) | (
        has_comma & ~has_dot & (n_comma == 1) & (mantissa - last_comma - 1 != 3)
    )
    # several of one separator and none of the other: that one groups thousands
    dot_dec |= has_comma & ~has_dot & (n_comma > 1)
    comma_dec |= has_dot & ~has_comma & (n_dot > 1)
    if decimal is not None:
        against = comma_dec if decimal == "." else dot_dec
        if against.any():
            raise CellError(
                f"has {'comma' if decimal == '.' else 'dot'} decimals "
                f"({_examples(s, against)}) but the decimal separator was stated as "
                f"{decimal!r}",
                against,
            )
        return decimal
    if dot_dec.any() and comma_dec.any():
        minority = comma_dec if comma_dec.sum() <= dot_dec.sum() else dot_dec
        raise CellError(
            "mixes decimal separators: dot decimals (e.g. "
            f"{_examples(s, dot_dec, 1)} at {format_rows(rows_of(dot_dec), 5)}) and comma "
            f"decimals (e.g. {_examples(s, comma_dec, 1)} at "
            f"{format_rows(rows_of(comma_dec), 5)}); use one, or state decimal=",
            minority,
        )
    if comma_dec.any():
        notes.append(
            f"{prefix}decimal comma (e.g. {_examples(s, comma_dec, 1)}); '.' read as a "
            "thousands separator"
        )
        return ","
    if dot_dec.any():
        return "."
    ambiguous = (has_dot | has_comma) & todo
    if has_dot.any() and has_comma.any():
        raise CellError(
            f"groups thousands with both '.' (e.g. {_examples(s, has_dot, 1)}) and ',' (e.g. "
            f"{_examples(s, has_comma, 1)}); use one, or state decimal=",
            has_dot if has_dot.sum() <= has_comma.sum() else has_comma,
        )
    notes.append(
        f"{prefix}{int(ambiguous.sum())} value(s) such as {_examples(s, ambiguous, 1)} read "
        "with the separator as a thousands separator (nothing in the column shows a decimal "
        "separator); pass decimal=',' or decimal='.' if that is wrong"
    )
    # only the thousands reading remains: "1,000" = 1000 and "1.500" = 1500
    return "," if has_dot.any() else "."


def _probability_scale(
    values: np.ndarray,
    plain: np.ndarray,
    s: pd.Series,
    rows_of: RowsOf,
    notes: list[str],
    prefix: str,
) -> np.ndarray:
    """Probabilities given as 0-1 or 0-100: one scale per column, or refused."""
    v = np.where(plain, values, np.nan)
    above = plain & (v > 1)
    if not above.any():
        return values
    fraction = plain & (v > 0) & (v < 1)
    if fraction.any():
        raise CellError(
            "mixes fractions (e.g. "
            f"{_examples(s, fraction, 1)}) and percentages (e.g. {_examples(s, above, 1)} at "
            f"{format_rows(rows_of(above), 5)}); write every probability on one scale",
            fraction,
        )
    notes.append(
        f"{prefix}{int(plain.sum())} probabilities read as percentages (0-100) because "
        f"values such as {_examples(s, above, 1)} are above 1"
    )
    return np.where(plain, values / 100.0, values)


# ------------------------------------------------------------------------------ currencies

_SYMBOL_MATCHES = {
    "$": {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD"},
    "¥": {"JPY", "CNY"},
}


def _iso(code: object) -> object:
    return "USD" if code == "$" else "JPY" if code == "¥" else code


def _same_currency(marked: np.ndarray, stated: np.ndarray) -> np.ndarray:
    out = np.zeros(len(marked), dtype=bool)
    for i, (m, s) in enumerate(zip(marked, stated, strict=True)):
        s = str(s).upper() if s is not None and not pd.isna(s) else s
        out[i] = m == s or s in _SYMBOL_MATCHES.get(m, ())
    return out


def _first(values: np.ndarray, mask: np.ndarray) -> str:
    return str(values[np.flatnonzero(mask)[0]])
