"""Cash flows of a value case by year, the internal rate of return and the payback summary.

:func:`cash_flow_table` gives benefits, investment, net, cumulative and discounted cash flow
for each year 0..horizon, in five scenarios:

* ``expected``: the mean over the simulated trials, year by year. This is the headline: its
  total is the expected (mean) value, its discounted total the expected NPV, because means add
  up year by year;
* ``P10``, ``P50``, ``P90``: coherent scenarios, not per-year percentiles (which would not add
  up). The trials are ranked by their value; a scenario is the year-by-year mean of the trials
  whose rank lies within ``window`` (default 1 percentile point) either side of the percentile,
  so its total is the percentile of value to within the spread of that window;
* ``base case``: every assumption at its most likely value.

:func:`irr` finds the internal rate of return of one stream of cash flows with
:func:`scipy.optimize.brentq` on the NPV polynomial. The table's IRRs are those of each
scenario's cash flows. For the expected scenario that is the IRR of the expected cash flows,
not the mean of per-trial IRRs: NPV is linear in the cash flows, so the expected cash flows'
NPV at any rate is the expected NPV at that rate, and their IRR is the rate at which the
expected NPV is zero. A mean of per-trial IRRs has no such meaning (and is undefined as soon
as one trial has no IRR, e.g. a trial whose cash flows never turn positive).

:func:`payback_summary` summarises the per-trial payback times by their median and the chance
of paying back within the horizon: trials that never pay back make a mean meaningless.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench.value.cashflows import _year_amounts

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase
    from salesworkbench.value.simulation import ValueSimulation

__all__ = ["CASH_FLOW_COLUMNS", "SCENARIOS", "cash_flow_table", "irr", "payback_summary"]

#: The scenarios of :func:`cash_flow_table`, in order.
SCENARIOS = ("expected", "P10", "P50", "P90", "base case")

#: The columns of :func:`cash_flow_table`.
CASH_FLOW_COLUMNS = (
    "benefits",
    "investment",
    "net",
    "cumulative",
    "discounted",
    "cumulative_discounted",
)

# rates searched for a sign change of the NPV: -99% to +100,000%
_GRID = np.concatenate([np.linspace(-0.99, 1.0, 400), np.geomspace(1.0, 1000.0, 400)[1:]])


def _npv(rate: float, flows: np.ndarray) -> float:
    return float(np.sum(flows * (1.0 + rate) ** -np.arange(len(flows), dtype=float)))


def irr(flows: Sequence[float] | np.ndarray) -> float:
    """Internal rate of return: the rate at which the NPV of ``flows`` is zero.

    ``flows[t]`` falls at the end of year ``t`` (``flows[0]`` is today, undiscounted), the same
    convention as the case's NPV. The NPV is evaluated on a grid of rates from -99% to
    +100,000% a year; where it changes sign exactly once, :func:`scipy.optimize.brentq`
    refines the root (to ``xtol=1e-12``).

    Parameters
    ----------
    flows : sequence of float
        Net cash flow per year.

    Returns
    -------
    float
        The IRR as a fraction (0.1 = 10% a year), or NaN where none exists (the flows never
        change sign, or all are zero) or it is not unique (the NPV crosses zero more than once,
        which needs more than one change of sign in the flows).

    Examples
    --------
    >>> round(irr([-100, 110]), 10)
    0.1
    >>> round(irr([-100, 60, 60]), 6)  # 60x^2 + 60x - 100 = 0 with x = 1/(1+r)
    0.130662
    >>> irr([100, 50])
    nan
    """
    from scipy.optimize import brentq

    f = np.asarray(flows, dtype=float)
    if f.ndim != 1 or not np.all(np.isfinite(f)) or not (np.any(f > 0) and np.any(f < 0)):
        return float("nan")
    scale = float(np.max(np.abs(f)))
    f = f / scale
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.array([_npv(r, f) for r in _GRID])
    ok = np.isfinite(values)
    grid, values = _GRID[ok], values[ok]
    exact = grid[values == 0.0]
    sign = np.sign(values)
    changes = np.flatnonzero(sign[:-1] * sign[1:] < 0)
    if len(changes) + len(exact) != 1:
        return float("nan")
    if len(exact):
        return float(exact[0])
    i = changes[0]
    return float(brentq(_npv, grid[i], grid[i + 1], args=(f,), xtol=1e-12, maxiter=200))


def _flows(case: ValueCase, env: dict[str, Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Benefits and investment per year 0..horizon: arrays of shape (horizon + 1, n)."""
    ben = _year_amounts(case, env, "benefit")
    inv = _year_amounts(case, env, "investment")
    shape = (case.horizon_years + 1, n)
    b = np.empty(shape)
    i = np.empty(shape)
    for t in range(shape[0]):
        b[t] = np.broadcast_to(np.asarray(ben[t], dtype=float), (n,))
        i[t] = np.broadcast_to(np.asarray(inv[t], dtype=float), (n,))
    return b, i


def _rows(case: ValueCase, scenario: str, ben: np.ndarray, inv: np.ndarray) -> pd.DataFrame:
    net = ben - inv
    disc = (1.0 + case.discount_rate) ** -np.arange(len(net), dtype=float)
    return pd.DataFrame(
        {
            "scenario": scenario,
            "year": np.arange(len(net)),
            "benefits": ben,
            "investment": inv,
            "net": net,
            "cumulative": np.cumsum(net),
            "discounted": net * disc,
            "cumulative_discounted": np.cumsum(net * disc),
        }
    )


def cash_flow_table(
    case: ValueCase, simulation: ValueSimulation | None = None, window: float = 0.01
) -> pd.DataFrame:
    """Benefits, investment, net, cumulative and discounted cash flow by year, per scenario.

    Parameters
    ----------
    case : ValueCase
    simulation : ValueSimulation, optional
        A simulation of ``case``; without one only the base case is given. When it was run
        with ``keep_inputs=False`` the draws are made again with :meth:`ValueCase.sample`
        (the same seed and chunk size give the same draws).
    window : float, default 0.01
        Half-width, as a share of the trials, of the band of trials averaged into the P10,
        P50 and P90 scenarios (see the module notes).

    Returns
    -------
    pandas.DataFrame
        One row per scenario and year: ``scenario`` (see :data:`SCENARIOS`), ``year``
        (0 = up front) and :data:`CASH_FLOW_COLUMNS`. ``discounted`` is the year's net cash
        flow discounted to year 0 at the case's rate, so the last ``cumulative_discounted`` of
        a scenario is its NPV and the last ``cumulative`` its value. ``attrs["irr"]`` maps each
        scenario to the IRR of its net cash flows (NaN where there is none, see :func:`irr`).
    """
    if not 0 < window < 0.5:
        raise ValueError(f"window must be between 0 and 0.5, got {window!r}")
    frames = []
    if simulation is not None:
        names = list(case.assumptions)
        samples = simulation.samples
        if all(n in samples for n in names):
            draws = samples[names]
        else:
            draws = case.sample(simulation.trials, simulation.seed, simulation.chunk_size)
        n = len(draws)
        env = {c: draws[c].to_numpy() for c in names}
        ben, inv = _flows(case, env, n)
        frames.append(_rows(case, "expected", ben.mean(axis=1), inv.mean(axis=1)))
        order = np.argsort(simulation.samples["value"].to_numpy(), kind="stable")
        half = max(int(round(window * n)), 0)
        for label, q in (("P10", 0.1), ("P50", 0.5), ("P90", 0.9)):
            centre = int(round(q * (n - 1)))
            pick = order[max(centre - half, 0) : min(centre + half, n - 1) + 1]
            frames.append(_rows(case, label, ben[:, pick].mean(axis=1), inv[:, pick].mean(axis=1)))
    base = case.base_case()
    ben, inv = _flows(case, {n: float(base[n]) for n in case.assumptions}, 1)
    frames.append(_rows(case, "base case", ben[:, 0], inv[:, 0]))
    table = pd.concat(frames, ignore_index=True)
    table.attrs["irr"] = {
        s: irr(g["net"].to_numpy()) for s, g in table.groupby("scenario", sort=False)
    }
    return table


def payback_summary(simulation: ValueSimulation) -> pd.Series:
    """The payback time of a simulation: its median and the chance it falls within the horizon.

    Parameters
    ----------
    simulation : ValueSimulation

    Returns
    -------
    pandas.Series
        ``median``, ``p10``, ``p90`` (years; ``inf`` where more than that share of the trials
        never pays back within the horizon), ``prob_within_horizon`` (share of trials that pay
        back by the end of the horizon) and ``horizon_years``.
    """
    x = simulation.samples["payback_years"].to_numpy()
    h = simulation.case.horizon_years
    finite = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        p10, p50, p90 = (
            np.percentile(x, [10, 50, 90], method="inverted_cdf") if len(x) else [math.nan] * 3
        )
    return pd.Series(
        {
            "median": float(p50),
            "p10": float(p10),
            "p90": float(p90),
            "prob_within_horizon": float(np.mean(finite & (x <= h))) if len(x) else math.nan,
            "horizon_years": float(h),
        }
    )
