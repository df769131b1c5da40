"""The pipeline: history, forecast, health, backtests and the value chain (reverse funnel).

One module per step, in reading order:

- :mod:`~salesworkbench.pipeline.periods`: which months/quarters a forecast covers
  (:func:`forecast_periods`, :func:`next_period`, :func:`period_bounds`);
- :mod:`~salesworkbench.pipeline.history`: :class:`HistoryModel`, what closed deals teach
  (win rates with Beta shrinkage, time to close, slippage), and :func:`check_opportunities`;
  :mod:`~salesworkbench.pipeline.rates`: :func:`beta_posterior`, the shrinkage itself;
  :mod:`~salesworkbench.pipeline.stage_history`: what the stage history teaches;
  :mod:`~salesworkbench.pipeline.prices`: :func:`list_price_of`, what a deal at 0 is worth;
- :mod:`~salesworkbench.pipeline.forecasting`: :func:`forecast`, the Monte Carlo of the open
  pipeline, and its :class:`ForecastResult`; :mod:`~salesworkbench.pipeline.probabilities`,
  each deal's chance within each period; :mod:`~salesworkbench.pipeline.timing`, when a
  deal that wins closes (from creation, stage or expected close date);
  :mod:`~salesworkbench.pipeline.timing_choice`, which of those, judged on the history
  before the fit date;
- :mod:`~salesworkbench.pipeline.health`: :func:`coverage_ratio`, :func:`sales_velocity`,
  :func:`pipeline_waterfall`;
- :mod:`~salesworkbench.pipeline.backtesting`: :func:`backtest`, the forecast at past cut-offs,
  beside the baselines of :mod:`~salesworkbench.pipeline.baselines`;
  :mod:`~salesworkbench.pipeline.as_stood`: :func:`pipeline_at` and :func:`opportunities_at`,
  the CRM as it stood on a date;
- :mod:`~salesworkbench.pipeline.rollup`, :mod:`~salesworkbench.pipeline.calls`,
  :mod:`~salesworkbench.pipeline.pacing`: the forecast by rep, team and region from the same
  trials, submitted calls scored against it, and in-quarter pacing;
- :mod:`~salesworkbench.pipeline.funnel`: the reverse funnel from a revenue objective to leads.
"""

from salesworkbench.pipeline.as_stood import opportunities_at, pipeline_at
from salesworkbench.pipeline.backtesting import BacktestResult, backtest, target_period
from salesworkbench.pipeline.calls import (
    actuals_by_node,
    adjust_call,
    call_calibration,
    calls_from_categories,
    effective_calls,
    read_calls,
    score_calls,
)
from salesworkbench.pipeline.forecasting import ForecastResult, forecast
from salesworkbench.pipeline.funnel import (
    FUNNEL_STEPS,
    FunnelPlan,
    conversion_rates,
    objective_from_arpu,
    reverse_funnel,
)
from salesworkbench.pipeline.health import coverage_ratio, pipeline_waterfall, sales_velocity
from salesworkbench.pipeline.history import (
    GROUP_COLUMNS,
    HistoryModel,
    check_opportunities,
    group_columns,
)
from salesworkbench.pipeline.outcomes import win_rates
from salesworkbench.pipeline.pacing import pacing
from salesworkbench.pipeline.periods import forecast_periods, next_period, period_bounds
from salesworkbench.pipeline.prices import list_price_of
from salesworkbench.pipeline.rates import DEFAULT_PRIOR_STRENGTH, beta_posterior
from salesworkbench.pipeline.rollup import Hierarchy

__all__ = [
    "BacktestResult",
    "DEFAULT_PRIOR_STRENGTH",
    "FUNNEL_STEPS",
    "ForecastResult",
    "FunnelPlan",
    "GROUP_COLUMNS",
    "Hierarchy",
    "HistoryModel",
    "actuals_by_node",
    "adjust_call",
    "backtest",
    "beta_posterior",
    "call_calibration",
    "calls_from_categories",
    "check_opportunities",
    "conversion_rates",
    "coverage_ratio",
    "effective_calls",
    "forecast",
    "forecast_periods",
    "list_price_of",
    "group_columns",
    "next_period",
    "objective_from_arpu",
    "opportunities_at",
    "pacing",
    "period_bounds",
    "pipeline_at",
    "pipeline_waterfall",
    "read_calls",
    "reverse_funnel",
    "sales_velocity",
    "score_calls",
    "win_rates",
    "target_period",
]
