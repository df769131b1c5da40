"""After the pilot: update the tested assumption with the pilot's result and re-simulate.

- :func:`update_normal`, :func:`update_beta`: the conjugate updates (normal mean with known
  observation sd; beta-binomial).
- :func:`update_after_pilot`: replaces a value case's assumption by its posterior in a copy of
  the case, simulates both, and reports whether the invest / don't-invest decision changed
  (a :class:`PilotUpdate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salesworkbench.defaults import PILOT_TRIALS

__all__ = ["PilotUpdate", "update_after_pilot", "update_beta", "update_normal"]


def update_normal(
    prior_mean: float, prior_sd: float, xbar: float, n: int, sd: float
) -> tuple[float, float]:
    """Conjugate normal update of a mean with known observation sd.

    Prior N(m0, s0^2), n observations with mean ``xbar`` and sd ``sd``: posterior mean
    ``w * xbar + (1 - w) * m0`` with ``w = s0^2 / (s0^2 + sd^2 / n)``, posterior variance
    ``1 / (1/s0^2 + n/sd^2)``.

    Returns
    -------
    (posterior mean, posterior sd)
    """
    for key, v in (("prior_sd", prior_sd), ("sd", sd)):
        if not v > 0:
            raise ValueError(f"{key} must be positive, got {v!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    w = prior_sd**2 / (prior_sd**2 + sd**2 / n)
    post_var = 1.0 / (1.0 / prior_sd**2 + n / sd**2)
    return float(w * xbar + (1 - w) * prior_mean), float(math.sqrt(post_var))


def update_beta(alpha: float, beta: float, successes: int, n: int) -> tuple[float, float]:
    """Conjugate beta-binomial update: Beta(a, b) and s successes in n -> Beta(a+s, b+n-s)."""
    if not (alpha > 0 and beta > 0):
        raise ValueError(f"alpha and beta must be positive, got {alpha!r}, {beta!r}")
    if not (0 <= successes <= n):
        raise ValueError(f"successes must be between 0 and n={n}, got {successes!r}")
    return float(alpha + successes), float(beta + n - successes)


def _beta_from_moments(mean: float, sd: float, name: str) -> tuple[float, float]:
    var = sd**2
    if not (0 < mean < 1) or not (0 < var < mean * (1 - mean)):
        raise ValueError(
            f"assumption {name!r}: mean {mean:.4g}, sd {sd:.4g} cannot be matched by a beta "
            "distribution (needs a proportion strictly inside (0, 1))"
        )
    k = mean * (1 - mean) / var - 1
    return mean * k, (1 - mean) * k


@dataclass
class PilotUpdate:
    """The value case after a pilot result.

    Attributes
    ----------
    case : ValueCase
        A copy of the case with the tested assumption replaced by its posterior.
    prior, posterior : dict
        The assumption's spec before (as a moment-matched conjugate prior) and after.
    name : str
        The tested assumption.
    table : DataFrame
        Rows ``before`` and ``after``: mean NPV, mean value, P(value > 0), P(NPV > 0), the
        assumption's mean and the decision. Also available as ``summary``.
    decision_changed : bool
    """

    case: Any
    name: str
    prior: dict
    posterior: dict
    table: pd.DataFrame
    decision_changed: bool

    @property
    def summary(self) -> pd.DataFrame:
        """Before and after the pilot: :attr:`table`."""
        return self.table


def update_after_pilot(
    case: Any,
    name: str,
    observed: float,
    n: int,
    design: str = "normal",
    sd: float | None = None,
    *,
    trials: int = PILOT_TRIALS,
    seed: int = 0,
) -> PilotUpdate:
    """Update the tested assumption with a pilot's result and re-simulate the case.

    The assumption's current distribution is replaced by a moment-matched conjugate prior
    (normal with its mean and sd for the normal design; beta for the binomial design), updated
    with the pilot (:func:`update_normal` / :func:`update_beta`), and written back into a copy
    of the case with ``case.with_assumption``.

    Parameters
    ----------
    case : ValueCase
    name : str
        The tested assumption.
    observed : float
        The pilot's result: the mean of the observations (normal) or the proportion of
        successes (binomial, rounded to a whole number of successes out of ``n``), in the
        assumption's unit.
    n : int
        Pilot size.
    design : {"normal", "binomial"}
    sd : float, optional
        Sd of one observation (normal design; required).
    trials : int, default :data:`~salesworkbench.defaults.PILOT_TRIALS`
        Simulations of the case before and after (the same seed for both).
    seed : int, default 0

    Returns
    -------
    PilotUpdate
    """
    if name not in case.assumptions:
        raise KeyError(f"unknown assumption {name!r}; the case has {', '.join(case.assumptions)}")
    if not (isinstance(n, int | np.integer) and n >= 1):
        raise ValueError(f"n: pilot size must be a positive whole number, got {n!r}")
    a = case.assumptions[name]
    mean, prior_sd = float(a.dist.mean()), float(a.dist.sd())
    if not prior_sd > 0:
        raise ValueError(f"assumption {name!r} is fixed: a pilot cannot change it")
    keep = {}
    if getattr(a, "unit", None):
        keep["unit"] = a.unit
    if design == "normal":
        if sd is None:
            raise ValueError(f"sd: the normal pilot on {name!r} needs the sd of one observation")
        pm, ps = update_normal(mean, prior_sd, float(observed), int(n), float(sd))
        prior = {"dist": "normal", "mean": mean, "sd": prior_sd}
        post = {"dist": "normal", "mean": pm, "sd": ps}
        src = f"pilot: mean {observed:.6g} over {n} observations (sd {sd:.6g})"
    elif design == "binomial":
        if not 0 <= observed <= 1:
            raise ValueError(f"observed: a binomial pilot reports a proportion, got {observed!r}")
        al, be = _beta_from_moments(mean, prior_sd, name)
        s = int(round(observed * n))
        pa, pb = update_beta(al, be, s, int(n))
        prior = {"dist": "beta", "alpha": al, "beta": be}
        post = {"dist": "beta", "alpha": pa, "beta": pb}
        src = f"pilot: {s} of {n} ({observed:.3g})"
    else:
        raise ValueError(f"unknown pilot design {design!r}; use 'normal' or 'binomial'")
    new_case = case.with_assumption(name, {**post, **keep, "source": src})
    rows = {}
    for label, c in (("before", case), ("after", new_case)):
        sim = c.simulate(trials, seed=seed, progress=False)
        s = sim.samples
        mean_npv = float(s["npv"].mean())
        rows[label] = {
            "mean_npv": mean_npv,
            "mean_value": float(s["value"].mean()),
            "prob_value_positive": float(sim.prob_positive("value")),
            "prob_npv_positive": float((s["npv"] > 0).mean()),
            f"mean_{name}": float(s[name].mean()),
            "decision": "invest" if mean_npv > 0 else "do not invest",
        }
    table = pd.DataFrame(rows).T
    changed = table.loc["before", "decision"] != table.loc["after", "decision"]
    return PilotUpdate(new_case, name, prior, post, table, bool(changed))
