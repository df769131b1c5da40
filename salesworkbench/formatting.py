"""The one number formatter: money, numbers and percentages as every face shows them.

One style everywhere (value statements, reports, the command line, plots, widgets):

- amounts get three significant figures and an upper-case K/M/B/T suffix: ``"80K"``,
  ``"2.5M"``, ``"1.2B"``; money puts the currency in front: ``"GBP 2.5M"``;
- a missing value (None, NaN, ``pd.NA``) is ``"n/a"``, never ``0``;
- a probability is never rounded to a certainty: ``0.9996`` is ``">99.9%"`` and ``0.0004`` is
  ``"<0.1%"``; only exactly 1 and 0 are ``"100%"`` and ``"0%"``.

The core's value statement uses it too, so it lives here rather than in
:mod:`salesworkbench.render` (which re-exports it for the faces).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["format_money", "format_number", "format_percent", "format_value"]


_MISSING = "n/a"  # what a missing value shows as

_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def _as_float(x: Any) -> float | None:
    """``x`` as a float, or None when it is missing (None, NaN, ``pd.NA``, ``pd.NaT``)."""
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None  # pd.NA, pd.NaT and other "no value" markers refuse float()
    return None if math.isnan(value) else value


def _trim(text: str) -> str:
    """Drop trailing zeros after a decimal point: ``"2.50"`` -> ``"2.5"``, ``"3.0"`` -> ``"3"``."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_number(x: Any, digits: int = 3) -> str:
    """Format ``x`` with ``digits`` significant figures and a K/M/B/T suffix.

    Parameters
    ----------
    x : float
        The number; None, NaN or ``pd.NA`` show as ``"n/a"``.
    digits : int, default 3
        Significant figures.

    Returns
    -------
    str
        E.g. ``"2.5M"``, ``"80K"``, ``"1.2B"``, ``"42"``, ``"0.035"``, ``"inf"``.

    Examples
    --------
    >>> format_number(2_500_000), format_number(500_000), format_number(2_000_000)
    ('2.5M', '500K', '2M')
    >>> format_number(999_999), format_number(-1234), format_number(42)
    ('1M', '-1.23K', '42')
    >>> format_number(1.2e9), format_number(80_000), format_number(None)
    ('1.2B', '80K', 'n/a')
    """
    value = _as_float(x)
    if value is None:
        return _MISSING
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    a = abs(value)
    # round to significant figures first so 999,999 becomes 1M, not 1000K
    exponent = math.floor(math.log10(a))
    a = round(a, digits - 1 - exponent)
    for size, suffix in _UNITS:
        if a >= size:
            scaled = a / size
            decimals = max(digits - 1 - math.floor(math.log10(scaled)), 0)
            return f"{sign}{_trim(f'{scaled:.{decimals}f}')}{suffix}"
    decimals = max(digits - 1 - math.floor(math.log10(a)), 0)
    return f"{sign}{_trim(f'{a:.{decimals}f}')}"


def format_money(x: Any, currency: str = "", digits: int = 3) -> str:
    """Format an amount of money for a statement: ``"GBP 2.5M"``, ``"GBP 500K"``.

    Amounts under half a currency unit (floating-point noise such as ``1e-9``) show as ``0``.

    Parameters
    ----------
    x : float
        The amount; None, NaN or ``pd.NA`` show as ``"n/a"`` (without the currency).
    currency : str
        ISO code or symbol put in front ("" for none).
    digits : int, default 3
        Significant figures.

    Examples
    --------
    >>> format_money(2.5e6, "GBP"), format_money(5e5, "GBP"), format_money(-1.2e6, "GBP")
    ('GBP 2.5M', 'GBP 500K', 'GBP -1.2M')
    >>> format_money(float("nan"), "GBP"), format_money(1e-9, "GBP")
    ('n/a', 'GBP 0')
    """
    value = _as_float(x)
    if value is None:
        return _MISSING
    text = format_number(0.0 if abs(value) < 0.5 else value, digits)
    return f"{currency} {text}" if currency else text


def format_percent(p: Any, digits: int = 0) -> str:
    """Format a probability (or any share) as a percentage: ``0.934`` -> ``"93%"``.

    A probability strictly between 0 and 1 is never shown as a certainty: where the rounded
    text would read 100% (or 0%), one more decimal is tried, and if that still rounds to a
    certainty the text is ``">99.9%"`` (or ``"<0.1%"``) with ``max(digits, 1)`` decimals.

    Parameters
    ----------
    p : float
        The probability (1 = 100%); None, NaN, ``pd.NA`` and infinities show as ``"n/a"``.
    digits : int, default 0
        Decimals of the percentage.

    Examples
    --------
    >>> format_percent(0.934), format_percent(0.08, 1), format_percent(1.0), format_percent(0)
    ('93%', '8.0%', '100%', '0%')
    >>> format_percent(0.996), format_percent(0.9996), format_percent(0.0004, 1)
    ('99.6%', '>99.9%', '<0.1%')
    """
    value = _as_float(p)
    if value is None or math.isinf(value):
        return _MISSING
    text = f"{100 * value:.{digits}f}"
    if not 0 < value < 1 or _is_certain(text) is None:
        return f"{text}%"
    more = max(digits, 1)
    text = f"{100 * value:.{more}f}"
    certain = _is_certain(text)
    if certain is None:
        return f"{text}%"
    bound = 10.0**-more
    return f">{100 - bound:.{more}f}%" if certain else f"<{bound:.{more}f}%"


def _is_certain(text: str) -> bool | None:
    """True if ``text`` reads 100, False if it reads 0, None otherwise."""
    number = float(text)
    if number == 100:
        return True
    if number == 0:
        return False
    return None


def format_value(x: Any, kind: str | None = None, currency: str = "", digits: int = 3) -> str:
    """Format a value the way its ``kind`` says (an assumption's ``format``).

    Parameters
    ----------
    x : float
        The value; None, NaN or ``pd.NA`` show as ``"n/a"``.
    kind : {"percent", "money", "number"} or None
        ``percent`` shows a share as a percentage with ``digits`` significant figures
        (``0.035`` -> ``"3.5%"``), ``money`` as :func:`format_money` with ``currency``,
        anything else as :func:`format_number`.
    currency : str
        For ``money``.
    digits : int, default 3
        Significant figures.

    Examples
    --------
    >>> share = "percent"
    >>> format_value(0.035, share), format_value(0.4, share), format_value(0.0549, share)
    ('3.5%', '40%', '5.49%')
    >>> format_value(18_000, "money", "EUR"), format_value(31.5), format_value(None, "percent")
    ('EUR 18K', '31.5', 'n/a')
    """
    value = _as_float(x)
    if value is None:
        return _MISSING
    if kind == "percent":
        return f"{format_number(100 * value, digits)}%"
    if kind == "money":
        return format_money(value, currency, digits)
    return format_number(value, digits)
