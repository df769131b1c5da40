"""The arithmetic of a value case: cash flows per year and the outputs built from them.

Benefit lines are amounts per year counted in years 1..``horizon_years`` (optionally scaled by
per-year ramp factors); investment lines are amounts at a year (0 = up front). Then

* ``value = total_benefits - total_investment`` (undiscounted, the sales model's definition);
* ``npv`` discounts a year-``t`` amount by ``(1 + discount_rate) ** t`` (benefits at the end of
  their year, investments at their year, year 0 undiscounted);
* ``roi = value / total_investment`` (inf or nan when there is no investment);
* ``payback_years`` is the first time the cumulative undiscounted cash flow reaches zero,
  interpolated linearly within the year (a year's benefits are taken to accrue evenly); it is
  0 when nothing is owed up front and ``inf`` where the case never pays back within the horizon
  (NaN where the cash flows are not numbers: NaN or infinite).

The functions here work on an *environment*: assumption name -> scalar or 1-d array (all arrays
of one length), so one call evaluates a whole chunk of Monte Carlo trials. Users call
:meth:`ValueCase.evaluate <salesworkbench.value.ValueCase.evaluate>` (which checks the values
and returns a table); the simulation engine calls :func:`_outputs` on each chunk of draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase

__all__ = ["OUTPUTS"]

#: The outputs of a value case, in the order of every results table.
OUTPUTS = ("total_benefits", "total_investment", "value", "npv", "roi", "payback_years")


def _year_amounts(case: ValueCase, env: Mapping[str, Any], kind: str) -> list[Any]:
    """Amounts per year 0..horizon (scalars or arrays) of the benefit or investment lines."""
    out: list[Any] = [0.0] * (case.horizon_years + 1)
    group = case.benefits if kind == "benefit" else case.investments
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for line in group:
            amount = line.formula(env)
            for t in np.flatnonzero(line.factors):
                c = line.factors[t]
                out[t] = out[t] + (amount if c == 1.0 else c * amount)
    return out


def _outputs(
    case: ValueCase, env: Mapping[str, Any], lines: bool = False, year1: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The outputs (scalars or arrays) and, on request, line totals and year-1 benefits.

    Every line's formula is evaluated once. Totals and NPV are accumulated line by line (a
    line's amount times the sum of its factors, or their discounted sum), keeping constant
    parts as scalars; per-year flows are only built for the payback time.

    Parameters
    ----------
    case : ValueCase
    env : mapping
        Assumption name -> scalar or 1-d array.
    lines : bool, default False
        Also give each line's total over the horizon, keyed ``"benefit:<name>"`` and
        ``"investment:<name>"``.
    year1 : bool, default False
        Also give the benefits of year 1, keyed ``"year_1"`` (the sum
        :func:`_year_amounts` gives for year 1, added in the same order).

    Returns
    -------
    outputs : dict
        :data:`OUTPUTS` -> scalar or array.
    extra : dict
        The line totals and year-1 benefits asked for.
    """
    h = case.horizon_years
    disc = (1.0 + case.discount_rate) ** -np.arange(h + 1.0)
    extra: dict[str, Any] = {}
    totals = {"benefit": [0.0, 0.0], "investment": [0.0, 0.0]}  # arrays, scalars
    pv = {"benefit": [0.0, 0.0], "investment": [0.0, 0.0]}
    flows: list[list[Any]] = [[0.0, 0.0] for _ in range(h + 1)]
    first_year: Any = 0.0

    def add(x: Any, y: Any) -> Any:
        return y if type(x) is float and x == 0.0 else x + y

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for line in (*case.benefits, *case.investments):
            amount = line.formula(env)
            slot = 1 if np.ndim(amount) == 0 else 0
            sign = 1.0 if line.kind == "benefit" else -1.0
            f = line.factors
            total, present = float(f.sum()), float(f @ disc)
            acc = totals[line.kind]
            acc[slot] = add(acc[slot], amount if total == 1.0 else total * amount)
            acc = pv[line.kind]
            acc[slot] = add(acc[slot], amount if present == 1.0 else present * amount)
            for t in np.flatnonzero(f):
                c = sign * f[t]
                cell = flows[t]
                if c == 1.0:
                    cell[slot] = add(cell[slot], amount)
                elif c == -1.0:
                    cell[slot] = cell[slot] - amount
                else:
                    cell[slot] = add(cell[slot], c * amount)
            if year1 and line.kind == "benefit" and f[1] != 0:
                c = f[1]
                first_year = first_year + (amount if c == 1.0 else c * amount)
            if lines:
                extra[f"{line.kind}:{line.name}"] = amount * total

        def join(pair: list[Any]) -> Any:
            arr, const = pair
            if np.ndim(arr) == 0:
                return arr + const
            return arr + const if const != 0.0 else arr

        tb, ti = join(totals["benefit"]), join(totals["investment"])
        value = tb - ti
        npv = join(pv["benefit"]) - join(pv["investment"])
        roi = np.true_divide(value, ti)  # numpy: a case with no investment gives inf/nan
        flow = [join(cell) for cell in flows]
        cum = [flow[0]]
        for t in range(1, h + 1):
            cum.append(cum[-1] + flow[t])
        payback: Any = np.inf
        for t in range(h, 0, -1):  # backwards, so the earliest year that pays back wins
            # a year with no cash flow (a plain 0.0 when every line is fixed) gives inf/nan, never
            # ZeroDivisionError; such a year is never the one picked
            payback = np.where(cum[t] >= 0, (t - 1) - np.true_divide(cum[t - 1], flow[t]), payback)
        payback = np.where(cum[0] >= 0, 0.0, payback)
        # a trial whose cash flows hold no number (NaN, inf) has no payback time either
        payback = np.where(np.isfinite(cum[h]), payback, np.nan)
    if year1:
        extra["year_1"] = first_year
    outputs = {
        "total_benefits": tb,
        "total_investment": ti,
        "value": value,
        "npv": npv,
        "roi": roi,
        "payback_years": payback,
    }
    return outputs, extra
