"""The shared look of the plots: the two signal colours and money on an axis.

- :data:`POSITIVE_COLOUR` (blue) marks what is good for the case: value above zero, an
  assumption at its high end in a tornado, a positive correlation.
- :data:`NEGATIVE_COLOUR` (red) marks the opposite: value below zero, an assumption at its low
  end, a negative correlation.
- :data:`LINE_COLOUR` (near black) is for reference lines and totals.
- :func:`money_axis` labels an axis's ticks like the rest of the workbench ("GBP 2.5M", "80K",
  "1.2B": :func:`salesworkbench.formatting.format_money`); :func:`format_ticks` takes any
  one-argument formatter.

Plot functions use these so a figure in a notebook, a report and a widget look the same;
widgets that draw their own figures import them from here.
"""

from __future__ import annotations

from collections.abc import Callable

from salesworkbench.formatting import format_money

__all__ = ["LINE_COLOUR", "NEGATIVE_COLOUR", "POSITIVE_COLOUR", "format_ticks", "money_axis"]

#: Value above zero; an assumption at its high end; a positive correlation.
POSITIVE_COLOUR = "#4f81bd"
#: Value below zero; an assumption at its low end; a negative correlation.
NEGATIVE_COLOUR = "#c0504d"
#: Reference lines and totals.
LINE_COLOUR = "#333333"


def format_ticks(axis, fmt: Callable[[float], str]) -> None:
    """Label the major ticks of ``axis`` (``ax.xaxis`` or ``ax.yaxis``) with ``fmt(value)``."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _pos: fmt(value)))


def money_axis(axis, currency: str | None = None, digits: int = 3) -> None:
    """Label the ticks of ``axis`` as money: ``"GBP 2.5M"``, or ``"2.5M"`` without a currency.

    Parameters
    ----------
    axis : matplotlib Axis
        ``ax.xaxis`` or ``ax.yaxis``.
    currency : str, optional
        Put in front of each tick label ("" or None for none).
    digits : int, default 3
        Significant figures (:func:`~salesworkbench.formatting.format_money`).
    """
    format_ticks(axis, lambda value: format_money(value, currency or "", digits))
