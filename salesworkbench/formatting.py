"""Number formatting for value statements and reports (e.g. ``GBP 2.5M``)."""

from __future__ import annotations

import math

__all__ = ["format_money", "format_number", "format_percent"]

_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def format_number(x: float, digits: int = 3) -> str:
    """Format ``x`` with ``digits`` significant figures and a K/M/B/T suffix.

    Examples
    --------
    >>> format_number(2_500_000), format_number(500_000), format_number(2_000_000)
    ('2.5M', '500K', '2M')
    >>> format_number(999_999), format_number(-1234), format_number(42)
    ('1M', '-1.23K', '42')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    a = abs(x)
    # round to significant figures first so 999,999 becomes 1M, not 1000K
    exponent = math.floor(math.log10(a))
    a = round(a, digits - 1 - exponent)
    for size, suffix in _UNITS:
        if a >= size:
            scaled = a / size
            text = f"{scaled:.{max(digits - 1 - math.floor(math.log10(scaled)), 0)}f}"
            text = text.rstrip("0").rstrip(".") if "." in text else text
            return f"{sign}{text}{suffix}"
    decimals = max(digits - 1 - math.floor(math.log10(a)), 0)
    text = f"{a:.{decimals}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{sign}{text}"


def format_money(x: float, currency: str = "", digits: int = 3) -> str:
    """Format an amount of money for a statement: ``"GBP 2.5M"``, ``"GBP 500K"``.

    Parameters
    ----------
    x : float
        The amount.
    currency : str
        ISO code or symbol put in front ("" for none).
    digits : int, default 3
        Significant figures.

    Examples
    --------
    >>> format_money(2.5e6, "GBP"), format_money(5e5, "GBP"), format_money(-1.2e6, "GBP")
    ('GBP 2.5M', 'GBP 500K', 'GBP -1.2M')
    """
    text = format_number(x, digits)
    return f"{currency} {text}" if currency else text


def format_percent(p: float, digits: int = 0) -> str:
    """Format a probability as a percentage, e.g. ``0.934 -> "93%"``."""
    if p is None or math.isnan(p):
        return "n/a"
    return f"{100 * p:.{digits}f}%"
