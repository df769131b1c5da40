"""The sales team: rep measures, stars against the rest, the prize and forecast accuracy."""

from salesworkbench.team.analysis import (
    LEVERS,
    MEASURES,
    PrizeResult,
    StarsComparison,
    TeamAnalysis,
    analyse_team,
    capacity,
    forecast_accuracy,
    group_table,
    lognormal_shrinkage,
    pick_stars,
    prize,
    stars_vs_rest,
    team_what_if,
)

__all__ = [
    "LEVERS",
    "MEASURES",
    "PrizeResult",
    "StarsComparison",
    "TeamAnalysis",
    "analyse_team",
    "capacity",
    "forecast_accuracy",
    "group_table",
    "lognormal_shrinkage",
    "pick_stars",
    "prize",
    "stars_vs_rest",
    "team_what_if",
]
