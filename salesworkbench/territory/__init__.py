"""Territory plans: scoring, Alpha/Beta/Delta segments, coverage, assignment and the plan.

Read the modules in this order:

- :mod:`~salesworkbench.territory.drivers`: what a score is made of (:class:`Driver`,
  :class:`ScoreModel`, :data:`DEFAULT_MODEL`).
- :mod:`~salesworkbench.territory.checks`: checks of the accounts table, with errors that
  name the accounts and rows.
- :mod:`~salesworkbench.territory.scoring`: the potential and relationship scores
  (:func:`prepare`, :func:`score`, :func:`explain`).
- :mod:`~salesworkbench.territory.segments`: the Alpha/Beta/Delta rules, priorities and
  reasons (:func:`segment`, :func:`classify`).
- :mod:`~salesworkbench.territory.relationship`: relationship columns from won deals.
- :mod:`~salesworkbench.territory.profile`: the customer profile and qualification.
- :mod:`~salesworkbench.territory.market`: potential and business by sector, region, segment.
- :mod:`~salesworkbench.territory.coverage`: hours needed per segment against capacity.
- :mod:`~salesworkbench.territory.assign`: which rep covers which account (greedy or optimal);
  the mixed-integer program is in :mod:`~salesworkbench.territory.optimal` and the
  balance-continuity frontier in :mod:`~salesworkbench.territory.tradeoff`.
- :mod:`~salesworkbench.territory.quotas`: quotas that add up to the objective.
- :mod:`~salesworkbench.territory.plan`: :class:`TerritoryPlan`, all of it, and its exports.
"""

from salesworkbench.territory.assign import assign_accounts, compare_assignments
from salesworkbench.territory.checks import (
    check_account_ids,
    date_column,
    numeric_column,
    score_column,
)
from salesworkbench.territory.coverage import (
    DEFAULT_CAPACITY,
    DEFAULT_COVERAGE,
    capacity_summary,
    coverage_plan,
)
from salesworkbench.territory.drivers import DEFAULT_MODEL, Driver, ScoreModel
from salesworkbench.territory.market import market_analysis, segment_summary
from salesworkbench.territory.optimal import DEFAULT_WEIGHTS, InfeasibleAssignment
from salesworkbench.territory.plan import DEFAULT_MESSAGING, TerritoryPlan
from salesworkbench.territory.profile import CustomerProfile
from salesworkbench.territory.quotas import QUOTA_METHODS, QuotaPlan, set_quotas
from salesworkbench.territory.relationship import relationship_from_deals
from salesworkbench.territory.scoring import PreparedDrivers, explain, prepare, score
from salesworkbench.territory.segments import SEGMENTS, classify, segment
from salesworkbench.territory.tradeoff import TradeoffResult, tradeoff

__all__ = [
    "CustomerProfile",
    "DEFAULT_CAPACITY",
    "DEFAULT_COVERAGE",
    "DEFAULT_MESSAGING",
    "DEFAULT_MODEL",
    "DEFAULT_WEIGHTS",
    "Driver",
    "InfeasibleAssignment",
    "PreparedDrivers",
    "QUOTA_METHODS",
    "QuotaPlan",
    "SEGMENTS",
    "ScoreModel",
    "TerritoryPlan",
    "TradeoffResult",
    "assign_accounts",
    "capacity_summary",
    "check_account_ids",
    "classify",
    "compare_assignments",
    "coverage_plan",
    "date_column",
    "explain",
    "market_analysis",
    "numeric_column",
    "prepare",
    "relationship_from_deals",
    "score",
    "score_column",
    "segment",
    "segment_summary",
    "set_quotas",
    "tradeoff",
]
