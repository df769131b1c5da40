"""salesworkbench: territory plans, value cases, pilots and pipeline forecasts for a sales team.

The public names below are the workbench's main entry points; each lives in a module named
after its idea (``territory``, ``valuecase``, ``sensitivity``, ``voi``, ``forecast``, ``plans``,
``team``), where the rest of its API is. Importing the package never imports matplotlib or
ipywidgets: plots live in :mod:`salesworkbench.plotting`, widget apps in :mod:`salesworkbench.ui`.
"""

from importlib import metadata as _metadata

from salesworkbench import datasets
from salesworkbench.errors import DataError, DataWarning, LifecycleError, ValueCaseError
from salesworkbench.io import read_accounts, read_leads, read_opportunities, read_stage_history
from salesworkbench.model import Account, KeyPlayer, Lead, Opportunity, Qualification, Stage
from salesworkbench.pipeline import ForecastResult, HistoryModel, backtest, forecast, reverse_funnel
from salesworkbench.plans import AccountPlan, OpportunityPlan, PlanError, load_plan, manager_checks
from salesworkbench.snapshots import SnapshotStore
from salesworkbench.team import analyse_team, prize
from salesworkbench.territory import TerritoryPlan, segment
from salesworkbench.value import (
    ValueCase,
    ValueSimulation,
    rank_correlation,
    sobol,
    spider,
    straw_man,
    tornado,
)
from salesworkbench.voi import evpi, evppi, evsi, plan_pilots

try:  # pyproject.toml holds the one version literal; an install records it in the metadata
    __version__: str = _metadata.version("salesworkbench")
except _metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Account",
    "AccountPlan",
    "DataError",
    "DataWarning",
    "ForecastResult",
    "HistoryModel",
    "KeyPlayer",
    "Lead",
    "LifecycleError",
    "Opportunity",
    "OpportunityPlan",
    "PlanError",
    "Qualification",
    "SnapshotStore",
    "Stage",
    "TerritoryPlan",
    "ValueCase",
    "ValueCaseError",
    "ValueSimulation",
    "__version__",
    "analyse_team",
    "backtest",
    "datasets",
    "evpi",
    "evppi",
    "evsi",
    "forecast",
    "load_plan",
    "manager_checks",
    "plan_pilots",
    "prize",
    "rank_correlation",
    "read_accounts",
    "read_leads",
    "read_opportunities",
    "read_stage_history",
    "reverse_funnel",
    "segment",
    "sobol",
    "spider",
    "straw_man",
    "tornado",
]
