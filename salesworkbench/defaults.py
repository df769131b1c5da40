"""Default Monte Carlo trial counts: one named default per kind of work, in one place.

Every function, widget, CLI subcommand and report takes its default from here, so "how many
trials was this?" has one answer. Each figure is chosen so the Monte Carlo error is small
against what the result is used for, while a widget update or a notebook stays fast:

- ``VALUE_TRIALS`` (100,000): a value case. The standard error of P(value > 0) is at most
  0.0016, well below the one decimal place a statement shows; a simulation takes about 30 ms.
- ``PILOT_TRIALS`` (20,000): pilot planning (EVPPI/EVSI by regression). The regression error
  dominates the Monte Carlo error beyond this; larger runs only cost time.
- ``FORECAST_TRIALS`` (10,000): a pipeline forecast. P10/P90 of the bookings are then within
  about 1% of their limit values.
- ``BACKTEST_TRIALS`` (2,000): each cut-off of a backtest. Coverage is counted over cut-offs,
  so many cheap forecasts beat few precise ones.

Interactive widgets may use fewer trials for responsiveness; they say so on screen.
"""

from __future__ import annotations

__all__ = ["BACKTEST_TRIALS", "FORECAST_TRIALS", "PILOT_TRIALS", "VALUE_TRIALS"]

#: Trials for simulating a value case.
VALUE_TRIALS: int = 100_000
#: Trials behind pilot-test planning (EVPPI, EVSI).
PILOT_TRIALS: int = 20_000
#: Trials for a pipeline forecast (bookings per period).
FORECAST_TRIALS: int = 10_000
#: Trials for each cut-off of a backtest.
BACKTEST_TRIALS: int = 2_000
