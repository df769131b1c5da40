"""The pipeline: history, forecast, health, backtests and the value chain (reverse funnel).

One module per step, in reading order:

- :mod:`~salesworkbench.pipeline.periods`: which months/quarters a forecast covers
  (:func:`forecast_periods`, :func:`next_period`, :func:`period_bounds`);
- :mod:`~salesworkbench.pipeline.history`: :class:`HistoryModel`, what closed deals teach
  (win rates with Beta shrinkage, time to close, slippage), and :func:`check_opportunities`;
- :mod:`~salesworkbench.pipeline.forecasting`: :func:`forecast`, the Monte Carlo of the open
  pipeline, and its :class:`ForecastResult`;
- :mod:`~salesworkbench.pipeline.health`: :func:`coverage_ratio`, :func:`sales_velocity`,
  :func:`pipeline_waterfall`;
- :mod:`~salesworkbench.pipeline.backtesting`: :func:`backtest`, the forecast at past cut-offs;
- :mod:`~salesworkbench.pipeline.funnel`: the reverse funnel from a revenue objective to leads.
"""

from salesworkbench.pipeline.backtesting import (
    BacktestResult,
    backtest,
    pipeline_at,
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
    DEFAULT_PRIOR_STRENGTH,
    GROUP_COLUMNS,
    HistoryModel,
    beta_posterior,
    check_opportunities,
    group_columns,
)
from salesworkbench.pipeline.outcomes import win_rates
from salesworkbench.pipeline.periods import forecast_periods, next_period, period_bounds

__all__ = [
    "BacktestResult",
    "DEFAULT_PRIOR_STRENGTH",
    "FUNNEL_STEPS",
    "ForecastResult",
    "FunnelPlan",
    "GROUP_COLUMNS",
    "HistoryModel",
    "backtest",
    "beta_posterior",
    "check_opportunities",
    "conversion_rates",
    "coverage_ratio",
    "forecast",
    "forecast_periods",
    "group_columns",
    "next_period",
    "objective_from_arpu",
    "period_bounds",
    "pipeline_at",
    "pipeline_waterfall",
    "reverse_funnel",
    "sales_velocity",
    "win_rates",
]
