"""Pilot economics and the pilot plan for a value case.

- :class:`PilotCosts` and :func:`enbs`: what a pilot of each size costs and what it earns after
  paying for itself (expected net benefit of sampling, ``scale * EVSI(n) - cost(n)``).
- :func:`plan_pilots`: for every uncertain assumption of a value case, the EVPPI, the best
  pilot design and size, its ENBS and the pilot result at which the decision flips; ranked.

The value-of-information figures come from :mod:`salesworkbench.voi.information`; what to
believe after the pilot is :mod:`salesworkbench.voi.updating`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salesworkbench.defaults import PILOT_TRIALS
from salesworkbench.voi.information import EVSIResult, evpi, evppi, evsi
from salesworkbench.voi.regression import _one_blas_thread

__all__ = ["DEFAULT_SD_FACTOR", "RANK_TOLERANCE", "PilotCosts", "enbs", "n_grid", "plan_pilots"]

#: :func:`plan_pilots` ranks by ENBS and EVPPI rounded to multiples of this fraction of the
#: EVPI, so figures that differ only by floating-point noise (far smaller) rank as equal and
#: keep the case's order; a difference that matters is far larger.
RANK_TOLERANCE = 1e-6
#: Without a stated observation sd, a normal pilot's single observation is taken to have this
#: many times the assumption's current sd (today's belief worth about 25 pilot observations).
DEFAULT_SD_FACTOR = 5.0


# --------------------------------------------------------------------------- pilot economics


@dataclass
class PilotCosts:
    """What a pilot costs and how much decision volume its information serves.

    ``cost(n) = fixed + per_unit * n + delay`` for a pilot of size ``n`` > 0 (no pilot: 0).

    Attributes
    ----------
    fixed : float
        Set-up cost (currency).
    per_unit : float
        Cost per observation / account in the pilot.
    delay : float
        Cost of deciding later (e.g. the benefits forgone while the pilot runs), currency.
    scale : float
        Population factor: how many decisions like this one the information serves (e.g. the
        number of similar customers), multiplying the EVSI.
    """

    fixed: float = 0.0
    per_unit: float = 0.0
    delay: float = 0.0
    scale: float = 1.0

    def __post_init__(self) -> None:
        for key in ("fixed", "per_unit", "delay", "scale"):
            v = getattr(self, key)
            if not isinstance(v, int | float | np.number) or not math.isfinite(v) or v < 0:
                raise ValueError(f"pilot costs: {key} must be a non-negative number, got {v!r}")

    def cost(self, n: Any) -> np.ndarray:
        """Cost of pilots of size(s) ``n``."""
        n = np.asarray(n, dtype=float)
        return np.where(n > 0, self.fixed + self.per_unit * n + self.delay, 0.0)

    @classmethod
    def coerce(cls, costs: PilotCosts | Mapping[str, float] | None) -> PilotCosts:
        """Build from a mapping (keys fixed, per_unit, delay, scale) or None (all free)."""
        if costs is None:
            return cls()
        if isinstance(costs, cls):
            return costs
        unknown = set(costs) - {"fixed", "per_unit", "delay", "scale"}
        if unknown:
            raise KeyError(
                f"unknown pilot cost key(s) {sorted(unknown)}; use fixed, per_unit, delay, scale"
            )
        return cls(**{k: float(v) for k, v in costs.items()})


def enbs(result: EVSIResult, costs: PilotCosts | Mapping[str, float] | None) -> pd.DataFrame:
    """Expected net benefit of sampling by pilot size: ``scale * EVSI(n) - cost(n)``.

    Parameters
    ----------
    result : EVSIResult
    costs : PilotCosts or mapping

    Returns
    -------
    DataFrame
        Indexed by n: ``evsi``, ``scaled_evsi``, ``cost``, ``enbs``, ``optimal`` (bool, True on
        the size with the highest ENBS when that ENBS is positive).
    """
    c = PilotCosts.coerce(costs)
    t = result.table[["evsi"]].copy()
    t["scaled_evsi"] = c.scale * t["evsi"]
    t["cost"] = c.cost(t.index.to_numpy())
    t["enbs"] = t["scaled_evsi"] - t["cost"]
    t["optimal"] = False
    if (t["enbs"] > 0).any():
        t.loc[t["enbs"].idxmax(), "optimal"] = True
    return t


# --------------------------------------------------------------------------- plan for a case


def n_grid(max_n: int, points: int = 24) -> np.ndarray:
    """Pilot sizes from 2 to ``max_n``, roughly evenly spaced on a log scale."""
    if not (isinstance(max_n, int | np.integer) and max_n >= 2):
        raise ValueError(f"max_n must be a whole number >= 2, got {max_n!r}")
    return np.unique(np.round(np.geomspace(2, max_n, points)).astype(int))


@_one_blas_thread
def plan_pilots(
    case: Any,
    trials: int = PILOT_TRIALS,
    seed: int = 0,
    costs: PilotCosts | Mapping[str, Any] | None = None,
    *,
    designs: Mapping[str, Mapping[str, Any]] | None = None,
    max_n: int = 1000,
    negligible: float = 0.01,
    simulation: Any = None,
    progress: bool | None = None,
    cache: dict | None = None,
) -> pd.DataFrame:
    """Rank the case's uncertain assumptions as pilot candidates.

    For each assumption: EVPPI; for each applicable pilot design (normal measurement; binomial
    for assumptions in [0, 1]) the EVSI over pilot sizes up to ``max_n`` and the ENBS; the best
    design and size; and the decision threshold (the pilot result at which the invest/don't
    decision flips, in the assumption's unit, from the regression fit at the optimal size).

    Parameters
    ----------
    case : ValueCase
    trials : int, default :data:`~salesworkbench.defaults.PILOT_TRIALS`
        Simulation size (net benefit = the case's NPV vs do nothing).
    seed : int, default 0
    costs : PilotCosts or mapping, optional
        Costs for every pilot; a mapping may also hold per-assumption overrides under the
        assumption's name, e.g. ``{"fixed": 20e3, "per_unit": 50, "adoption": {"per_unit": 500}}``.
    designs : mapping, optional
        Per assumption: ``{"design": "normal"|"binomial", "sd": float}``. Without it the normal
        design's observation sd defaults to 5 x the assumption's current sd (today's belief is
        worth about 25 pilot observations); state the real figure when you know it.
    max_n : int, default 1000
        Largest pilot considered.
    negligible : float, default 0.01
        Assumptions whose EVPPI is below this fraction of the EVPI are marked "no pilot
        needed" and not analysed further; so are all of them when the decision is not in doubt
        (EVPI below 0.1% of the mean absolute NPV: perfect information would hardly change
        anything).
    simulation : ValueSimulation, optional
        Reuse an existing simulation instead of running one.
    progress : bool, optional
        tqdm progress bar over assumptions (default: only for long runs).
    cache : dict, optional
        Reuse EVPPI/EVSI results between calls on the same simulation (costs only change the
        ENBS); the :class:`~salesworkbench.ui.pilot_planner.PilotPlanner` widget passes one.

    Returns
    -------
    DataFrame
        One row per uncertain assumption, columns: ``unit``, ``evppi``, ``evppi_se``, ``r2``,
        ``design``, ``sd``, ``optimal_n``, ``evsi``, ``cost``, ``enbs``, ``threshold``,
        ``flip``, ``recommendation``. Attributes ``.attrs`` hold ``evpi``,
        ``current_decision``, ``mean_npv``, ``prob_value_positive`` and ``trials``.

    Notes
    -----
    Rows are ranked by ENBS (assumptions without one last), then by EVPPI, both highest first,
    after rounding both to multiples of :data:`RANK_TOLERANCE` times the EVPI; rows that are
    then equal keep the case's assumption order. So assumptions whose EVPPI is zero up to
    floating-point noise (which differs between machines and BLAS builds) are listed in the
    order the case defines them, the same everywhere.
    """
    from tqdm.auto import tqdm

    costs_map: dict[str, Any] = {}
    base_costs = costs
    if isinstance(costs, Mapping):
        base = {k: v for k, v in costs.items() if not isinstance(v, Mapping)}
        costs_map = {k: v for k, v in costs.items() if isinstance(v, Mapping)}
        unknown = set(costs_map) - set(case.assumptions)
        if unknown:
            raise KeyError(f"costs: unknown assumption(s) {sorted(unknown)}")
        base_costs = base
    base = PilotCosts.coerce(base_costs)
    designs = dict(designs or {})
    unknown = set(designs) - set(case.assumptions)
    if unknown:
        raise KeyError(f"designs: unknown assumption(s) {sorted(unknown)}")
    if not (isinstance(max_n, int | np.integer) and max_n >= 2):
        raise ValueError(f"max_n must be a whole number >= 2, got {max_n!r}")
    sim = simulation if simulation is not None else case.simulate(trials, seed=seed, progress=False)
    samples = sim.samples
    nb = samples["npv"].to_numpy(dtype=float)
    uncertain = [
        nm for nm, a in case.assumptions.items() if not a.dist.is_fixed and samples[nm].std() > 0
    ]
    total = evpi(nb)
    mean_npv = float(nb.mean())
    clear = total <= 1e-3 * float(np.abs(nb).mean())
    current = "invest" if mean_npv > 0 else "do not invest"
    grid = n_grid(int(max_n))
    rows = []
    show = progress if progress is not None else len(samples) * len(uncertain) > 2e6
    for nm in tqdm(uncertain, disable=not show, desc="pilot plan"):
        a = case.assumptions[nm]
        theta = samples[nm].to_numpy(dtype=float)
        cache = {} if cache is None else cache
        key = ("evppi", nm)
        if key not in cache:
            cache[key] = evppi(nb, samples, nm, se_draws=30, seed=seed)
        ev = cache[key]
        row: dict[str, Any] = {
            "assumption": nm,
            "unit": a.unit or "",
            "evppi": ev.value,
            "evppi_se": ev.se,
            "r2": min(ev.r2.values()),
        }
        c = PilotCosts.coerce({**vars(base), **costs_map.get(nm, {})})
        cheapest = float(c.cost(1))
        if clear or ev.value < negligible * total or ev.value <= 0:
            rows.append({**row, "recommendation": "no pilot needed"})
            continue
        if c.scale * ev.value <= cheapest:
            rows.append(
                {
                    **row,
                    "recommendation": "no pilot: perfect information is worth less than "
                    "the cheapest pilot",
                }
            )
            continue
        spec = designs.get(nm, {})
        cands = (
            [spec["design"]]
            if "design" in spec
            else (["normal", "binomial"] if theta.min() >= 0 and theta.max() <= 1 else ["normal"])
        )
        best = None
        for dname in cands:
            sd = (
                spec.get("sd", DEFAULT_SD_FACTOR * float(theta.std()))
                if dname == "normal"
                else None
            )
            key = ("evsi", nm, dname, sd, tuple(grid))
            if key not in cache:
                cache[key] = evsi(nb, samples, nm, grid, design=dname, sd=sd, seed=seed)
            res = cache[key]
            e = enbs(res, c)
            i = e["enbs"].idxmax()
            cand = (float(e.loc[i, "enbs"]), dname, sd, int(i), res, e)
            if best is None or cand[0] > best[0]:
                best = cand
        val, dname, sd, n_opt, res, e = best
        worth = val > 0
        rows.append(
            {
                **row,
                "design": dname,
                "sd": sd if sd is not None else np.nan,
                "optimal_n": n_opt if worth else 0,
                "evsi": float(res.table.loc[n_opt, "evsi"]),
                "cost": float(e.loc[n_opt, "cost"]),
                "enbs": val,
                "threshold": float(res.table.loc[n_opt, "threshold"]),
                "flip": res.table.loc[n_opt, "flip"],
                "recommendation": "pilot" if worth else "no pilot: costs more than it is worth",
            }
        )
    cols = [
        "assumption",
        "unit",
        "evppi",
        "evppi_se",
        "r2",
        "design",
        "sd",
        "optimal_n",
        "evsi",
        "cost",
        "enbs",
        "threshold",
        "flip",
        "recommendation",
    ]
    plan = pd.DataFrame(rows, columns=cols)  # rows in the case's assumption order
    plan = plan.iloc[_plan_order(plan["enbs"], plan["evppi"], total)]
    plan = plan.set_index("assumption")
    plan.attrs.update(
        {
            "evpi": total,
            "current_decision": current,
            "mean_npv": mean_npv,
            "prob_value_positive": float((samples["value"] > 0).mean()),
            "trials": len(samples),
        }
    )
    return plan


def _plan_order(enbs_values: pd.Series, evppi_values: pd.Series, total: float) -> np.ndarray:
    """Row positions of a pilot plan, best first (see :func:`plan_pilots`, Notes).

    ENBS (missing: last) then EVPPI, highest first, each rounded to multiples of
    ``RANK_TOLERANCE * total`` (``total``: the EVPI); ties keep the rows' order, which is the
    case's assumption order.
    """
    step = RANK_TOLERANCE * total

    def key(values: pd.Series) -> np.ndarray:
        v = values.to_numpy(dtype=float)
        v = np.round(v / step) if step > 0 else np.where(np.isnan(v), np.nan, 0.0)
        return np.where(np.isnan(v), -np.inf, v)

    position = np.arange(len(evppi_values))
    # np.lexsort sorts by its last key first: ENBS, then EVPPI (both descending), then position
    return np.lexsort((position, -key(evppi_values), -key(enbs_values)))
