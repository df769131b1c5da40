"""salesworkbench: territory plans, value cases, pilots and pipeline forecasts for a sales team."""

from .errors import DataError, DataWarning, LifecycleError, ValueCaseError

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "DataWarning",
    "LifecycleError",
    "ValueCaseError",
    "__version__",
]
