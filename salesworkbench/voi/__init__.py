"""Value of information: which assumption a pilot should test, and how big the pilot should be."""

from salesworkbench.voi.information import (
    DEFAULT_SD_FACTOR,
    EVPPIResult,
    EVSIResult,
    PilotCosts,
    PilotUpdate,
    enbs,
    evpi,
    evppi,
    evsi,
    n_grid,
    plan_pilots,
    update_after_pilot,
    update_beta,
    update_normal,
)

__all__ = [
    "DEFAULT_SD_FACTOR",
    "EVPPIResult",
    "EVSIResult",
    "PilotCosts",
    "PilotUpdate",
    "enbs",
    "evpi",
    "evppi",
    "evsi",
    "n_grid",
    "plan_pilots",
    "update_after_pilot",
    "update_beta",
    "update_normal",
]
