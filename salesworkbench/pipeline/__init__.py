"""The pipeline: history, forecast, health, backtests and the value chain (reverse funnel)."""

from salesworkbench.pipeline.backtesting import (
    BacktestResult,
    backtest,
    pipeline_at,
)
from salesworkbench.pipeline.forecasting import (
    DEFAULT_PRIOR_STRENGTH,
    ForecastResult,
    HistoryModel,
    beta_posterior,
    check_opportunities,
    coverage_ratio,
    forecast,
    forecast_periods,
    pipeline_waterfall,
    sales_velocity,
)
from salesworkbench.pipeline.funnel import (
    FUNNEL_STEPS,
    FunnelPlan,
    conversion_rates,
    objective_from_arpu,
    reverse_funnel,
)
from salesworkbench.pipeline.outcomes import win_rates

__all__ = [
    "BacktestResult",
    "DEFAULT_PRIOR_STRENGTH",
    "FUNNEL_STEPS",
    "ForecastResult",
    "FunnelPlan",
    "HistoryModel",
    "backtest",
    "beta_posterior",
    "check_opportunities",
    "conversion_rates",
    "coverage_ratio",
    "forecast",
    "forecast_periods",
    "objective_from_arpu",
    "pipeline_at",
    "pipeline_waterfall",
    "reverse_funnel",
    "sales_velocity",
    "win_rates",
]
