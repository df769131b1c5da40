"""Value of information: which assumption a pilot should test, and how big the pilot should be.

Read in this order:

- :mod:`~salesworkbench.voi.information`: EVPI, EVPPI and EVSI of any table of simulated net
  benefits (rows = simulations, columns = decision options), and their results
  (:class:`EVPPIResult`, :class:`EVSIResult`).
- :mod:`~salesworkbench.voi.pilots`: pilot economics (:class:`PilotCosts`, :func:`enbs`) and
  :func:`plan_pilots`, which ranks a value case's assumptions as pilot candidates.
- :mod:`~salesworkbench.voi.updating`: after the pilot, the conjugate updates and
  :func:`update_after_pilot` (the case with the tested assumption updated, re-simulated).
- :mod:`~salesworkbench.voi.regression`: the nonparametric regression behind EVPPI and EVSI
  (internal).

The method and its checks are described in ``docs/pilots.md``.
"""

from salesworkbench.voi.information import EVPPIResult, EVSIResult, evpi, evppi, evsi
from salesworkbench.voi.pilots import (
    DEFAULT_SD_FACTOR,
    RANK_TOLERANCE,
    PilotCosts,
    enbs,
    n_grid,
    plan_pilots,
)
from salesworkbench.voi.updating import PilotUpdate, update_after_pilot, update_beta, update_normal

__all__ = [
    "DEFAULT_SD_FACTOR",
    "EVPPIResult",
    "EVSIResult",
    "PilotCosts",
    "PilotUpdate",
    "RANK_TOLERANCE",
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
