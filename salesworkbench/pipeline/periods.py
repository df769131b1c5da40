"""Forecast periods: which months, quarters or years a forecast covers, and the one after.

A forecast, a backtest and a reverse-funnel deadline all speak in calendar periods
(``pd.Period``). The rules live here so every caller picks the same periods:

- :func:`forecast_periods`: ``n`` periods starting with the one holding the forecast date;
- :func:`next_period`: the period after the one holding the forecast date (the first whole
  period still ahead, e.g. the deadline period of a reverse funnel);
- :func:`period_bounds`: a period's first and last day, as dates (``Period.end_time`` is the
  last nanosecond of the last day).

``freq`` is ``"month"``, ``"quarter"`` or ``"year"`` (or ``"m"``, ``"q"``, ``"y"``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "MONTHS_PER_PERIOD",
    "PERIOD_NAMES",
    "forecast_periods",
    "next_period",
    "period_bounds",
]

_FREQ = {"quarter": "Q", "q": "Q", "month": "M", "m": "M", "year": "Y", "y": "Y"}
#: Months in a period of each frequency code.
MONTHS_PER_PERIOD = {"M": 1, "Q": 3, "Y": 12}
#: The name of a period of each frequency code.
PERIOD_NAMES = {"M": "month", "Q": "quarter", "Y": "year"}


def _freq_code(freq: str, what: str = "freq") -> str:
    """The pandas period code (``Q``, ``M``, ``Y``) of ``freq``; ``what`` names the argument."""
    f = _FREQ.get(str(freq).lower())
    if f is None:
        raise ValueError(f"{what} must be 'month', 'quarter' or 'year', got {freq!r}")
    return f


def _days(s: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Dates as float days since 1970-01-01 (NaT -> NaN)."""
    arr = pd.to_datetime(pd.Series(s)).to_numpy("datetime64[ns]")
    out = arr.astype("datetime64[D]").astype(np.int64).astype(float)
    out[np.isnat(arr)] = np.nan
    return out


def _day(ts) -> float:
    """One date as float days since 1970-01-01 (the time of day is dropped)."""
    return float(np.datetime64(pd.Timestamp(ts).normalize().date(), "D").astype(np.int64))


def forecast_periods(as_of, periods: int | Sequence = 2, freq: str = "quarter") -> pd.PeriodIndex:
    """The forecast periods: ``periods`` months/quarters starting with the one holding ``as_of``.

    Parameters
    ----------
    as_of : date
        Forecast date.
    periods : int, sequence of period-likes or PeriodIndex
        How many periods, or the periods themselves (returned as a ``PeriodIndex``).
    freq : {"quarter", "month", "year"}
        Period length when ``periods`` is an int.

    Returns
    -------
    PeriodIndex

    Examples
    --------
    >>> list(forecast_periods("2026-10-01", 2).astype(str))
    ['2026Q4', '2027Q1']
    """
    if isinstance(periods, pd.PeriodIndex):
        return periods
    if not isinstance(periods, int | np.integer):
        return pd.PeriodIndex([pd.Period(p) for p in periods])
    f = _freq_code(freq)
    if periods < 1:
        raise ValueError(f"periods must be at least 1, got {periods!r}")
    return pd.period_range(pd.Timestamp(as_of).to_period(f), periods=int(periods), freq=f)


def next_period(as_of, freq: str = "quarter") -> pd.Period:
    """The period after the one holding ``as_of``: the first whole period still ahead.

    The second period of ``forecast_periods(as_of, n, freq)`` for any ``n``; e.g. the period a
    reverse funnel plans for while the current one is being closed.

    Parameters
    ----------
    as_of : date
        Forecast date.
    freq : {"quarter", "month", "year"}
        Period length.

    Returns
    -------
    Period

    Examples
    --------
    >>> next_period("2026-10-01", "quarter")
    Period('2027Q1', 'Q-DEC')
    >>> period_bounds(next_period("2026-10-15", "month"))
    (Timestamp('2026-11-01 00:00:00'), Timestamp('2026-11-30 00:00:00'))
    """
    return pd.Timestamp(as_of).to_period(_freq_code(freq)) + 1


def period_bounds(period) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of ``period`` (both at midnight).

    Parameters
    ----------
    period : period-like
        A ``pd.Period`` or a string such as ``"2026Q4"``.

    Returns
    -------
    start, end : Timestamp
        E.g. the ``start`` and ``deadline`` of :func:`~salesworkbench.pipeline.reverse_funnel`.
    """
    per = pd.Period(period)
    return per.start_time, per.end_time.normalize()
