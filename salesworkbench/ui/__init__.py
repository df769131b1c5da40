"""ipywidgets apps, one per notebook, on one base class (:class:`~salesworkbench.ui.base.App`).

Each app calls the core packages, draws through :mod:`salesworkbench.plotting` and is testable
without a browser: set ``app.controls[name].value`` (or ``app.set(...)``) and read
``app.result``. Importing this package imports neither ipywidgets nor matplotlib; an app does
when it is built.
"""

from salesworkbench.ui.base import App, View, error_html, make_control
from salesworkbench.ui.forecast_explorer import ForecastExplorer
from salesworkbench.ui.options_comparison import OptionsComparison
from salesworkbench.ui.pilot_planner import PilotPlanner
from salesworkbench.ui.plan_checks import ALL_CHECKS, PlanChecksBrowser
from salesworkbench.ui.quickstart import WIN_RATE_GROUPINGS, WinRateBrowser
from salesworkbench.ui.realisation_explorer import RealisationExplorer
from salesworkbench.ui.rollup_explorer import RollupExplorer
from salesworkbench.ui.team_explorer import TeamExplorer
from salesworkbench.ui.territory_explorer import TerritoryExplorer
from salesworkbench.ui.value_explorer import ValueCaseExplorer

__all__ = [
    "ALL_CHECKS",
    "WIN_RATE_GROUPINGS",
    "App",
    "ForecastExplorer",
    "OptionsComparison",
    "PilotPlanner",
    "PlanChecksBrowser",
    "RealisationExplorer",
    "RollupExplorer",
    "TeamExplorer",
    "TerritoryExplorer",
    "ValueCaseExplorer",
    "View",
    "WinRateBrowser",
    "error_html",
    "make_control",
]
