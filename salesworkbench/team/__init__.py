"""The sales team: fair rep measures, what the stars do differently, and the prize.

The sales model asks what makes high performers successful and whether that practice can turn
ordinary performers into stars. This package answers it from the CRM history in four steps,
one module each (read them in this order):

1. :mod:`~salesworkbench.team.measures`: :func:`analyse_team` measures every rep (and
   :func:`group_table` every team, manager or region) with raw figures beside shrunk ones and
   their credible intervals. The shrinkage itself is in :mod:`~salesworkbench.team.shrinkage`;
   the funnel (stages reached, stage-to-stage conversion) in :mod:`~salesworkbench.team.stages`;
   commit vs actual from pipeline snapshots in :mod:`~salesworkbench.team.accuracy`
   (:func:`forecast_accuracy`).
2. :mod:`~salesworkbench.team.stars`: :func:`pick_stars` and :func:`stars_vs_rest` split the
   reps at a quantile of a shrunk measure and give, per measure, the gap between stars and the
   rest with an interval and a standardised effect size.
3. :mod:`~salesworkbench.team.what_if`: :func:`prize` runs the reps below the stars, lifted to
   the stars' conversion, cycle time or deal size, through the pipeline forecast's Monte Carlo
   (:func:`team_what_if`), on the baseline's random numbers.
4. :func:`capacity` (same module) turns the extra bookings into extra reps of average ramped
   productivity.
"""

from salesworkbench.team.accuracy import forecast_accuracy
from salesworkbench.team.measures import MEASURES, TeamAnalysis, analyse_team, group_table
from salesworkbench.team.shrinkage import lognormal_shrinkage
from salesworkbench.team.stars import (
    SPLITS,
    ShuffleCheck,
    StarsComparison,
    pick_stars,
    shuffle_check,
    stars_vs_rest,
)
from salesworkbench.team.what_if import LEVERS, PrizeResult, capacity, prize, team_what_if

__all__ = [
    "LEVERS",
    "MEASURES",
    "PrizeResult",
    "SPLITS",
    "ShuffleCheck",
    "StarsComparison",
    "TeamAnalysis",
    "analyse_team",
    "capacity",
    "forecast_accuracy",
    "group_table",
    "lognormal_shrinkage",
    "pick_stars",
    "prize",
    "shuffle_check",
    "stars_vs_rest",
    "team_what_if",
]
