"""Realised value: the customer's actuals placed within the case's own uncertainty.

After the sale the customer reports actuals, per assumption (adoption reached 0.71) or per
benefit or investment line (the year's profit from the ARPU uplift). :func:`realisation` puts
each actual within the distribution the case gave it: its P10, P50, P90 and the **percentile**
of the actual (the probability-integral transform, 0.5 = as expected, 0.05 = worse than all but
5% of the case's outcomes). Realised value to date (benefits minus investment over the years
reported) is placed the same way.

Across many closed cases, :func:`calibration` asks whether the consultants' ranges were honest:
if they were, 80% of actuals fall within their case's P10-P90 and the percentiles are spread
evenly over 0-1; ranges that were too narrow hold less often.

Finally a realised case becomes a reference customer for the next straw-man
(:meth:`Realisation.as_reference`, :func:`realised_references`), closing the loop of the sales
model: straw-man, pilot, sale, realised value, next straw-man.

Percentiles
-----------
For an assumption the percentile is the closed-form distribution function of its distribution
(exact, no simulation): ``F(x)`` for continuous ones and the mid-distribution ``F(x-) +
P(X = x) / 2`` where the distribution has an atom (fixed, discrete, Bernoulli), so an actual equal
to a fixed assumption sits at 0.5. For a line and for value to date it is the same mid-rank
within the case's simulation (``trials`` outcomes, Monte Carlo standard error at most
``0.5 / sqrt(trials)``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special, stats

from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase
    from salesworkbench.value.distributions import Distribution
    from salesworkbench.value.simulation import ValueSimulation

__all__ = [
    "Calibration",
    "Realisation",
    "calibration",
    "case_distribution",
    "distribution_cdf",
    "realisation",
    "realised_references",
]

_COLUMNS = ["kind", "actual", "p10", "p50", "p90", "percentile", "inside", "unit"]


def distribution_cdf(dist: Distribution, x: float | np.ndarray) -> np.ndarray:
    """Mid-distribution function of an assumption's distribution: ``F(x-) + P(X = x) / 2``.

    For continuous distributions this is ``F(x)``, in closed form (regularised incomplete beta
    for PERT and beta, the normal integral for normal and symmetric percentiles, scipy's
    lognormal and triangular CDFs otherwise).

    Parameters
    ----------
    dist : Distribution
    x : float or array

    Returns
    -------
    numpy.ndarray
        Values in [0, 1], the shape of ``x``.
    """
    x = np.asarray(x, dtype=float)
    kind = dist.kind
    if kind == "fixed":
        v = dist._value
        return np.where(x < v, 0.0, np.where(x > v, 1.0, 0.5))
    if dist._support is not None:  # discrete, bernoulli
        values, cum = dist._support
        pmf = np.diff(np.concatenate([[0.0], cum]))
        below = np.searchsorted(values, x, side="left")
        before = np.where(below > 0, cum[np.maximum(below - 1, 0)], 0.0)
        at = np.where(
            (below < len(values)) & (values[np.minimum(below, len(values) - 1)] == x),
            pmf[np.minimum(below, len(values) - 1)],
            0.0,
        )
        return np.clip(before + 0.5 * at, 0.0, 1.0)
    if kind == "uniform":
        return np.clip((x - dist._loc) / dist._scale, 0.0, 1.0)
    if kind == "normal" or (kind == "percentiles" and dist.frozen.dist.name == "norm"):
        return special.ndtr((x - dist._loc) / dist._scale)
    if dist._beta_shapes is not None:  # pert, beta
        a, b = dist._beta_shapes
        return special.betainc(a, b, np.clip((x - dist._loc) / dist._scale, 0.0, 1.0))
    if dist._mirror:
        return 1.0 - dist.frozen.cdf(-x)
    return np.asarray(dist.frozen.cdf(x), dtype=float)


def _mid_rank(sample: np.ndarray, x: float) -> float:
    s = np.sort(sample)
    lo = np.searchsorted(s, x, side="left")
    hi = np.searchsorted(s, x, side="right")
    return float((lo + 0.5 * (hi - lo)) / len(s))


def _check_actual(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueCaseError(f"actual {name!r} must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueCaseError(f"actual {name!r} must be a finite number, got {value!r}")
    return float(value)


def _resolve(case: ValueCase, actuals: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    """Actual names -> (kind, name): an assumption, 'benefit:x' / 'investment:x', or a line."""
    lines = {"benefit": [ln.name for ln in case.benefits]}
    lines["investment"] = [ln.name for ln in case.investments]
    out: dict[tuple[str, str], float] = {}
    for key, value in actuals.items():
        key = str(key)
        kind, _, rest = key.partition(":")
        if rest and kind in lines and rest in lines[kind]:
            target = (kind, rest)
        elif key in case.assumptions:
            target = ("assumption", key)
        elif key in lines["benefit"]:
            target = ("benefit", key)
        elif key in lines["investment"]:
            target = ("investment", key)
        else:
            known = [*case.assumptions, *lines["benefit"], *lines["investment"]]
            raise ValueCaseError(
                f"actual {key!r} is neither an assumption nor a line of {case.name!r}; known: "
                f"{', '.join(known)}"
            )
        out[target] = _check_actual(key, value)
    return out


def _check_years(case: ValueCase, years: Any) -> int:
    if isinstance(years, bool) or not isinstance(years, numbers.Integral):
        raise ValueCaseError(f"years must be a whole number, got {years!r}")
    if not 1 <= years <= case.horizon_years:
        raise ValueCaseError(f"years must be 1..horizon_years ({case.horizon_years}), got {years}")
    return int(years)


def _simulation(
    case: ValueCase, trials: int, seed: int, simulation: ValueSimulation | None
) -> ValueSimulation:
    """The case's simulation: ``simulation`` when it is the case's at ``trials`` and ``seed``."""
    if simulation is None:
        return case.simulate(trials, seed=seed, progress=False)
    if simulation.trials != trials or simulation.seed != seed:
        raise ValueCaseError(
            f"the simulation given has trials={simulation.trials}, seed={simulation.seed}; "
            f"expected trials={trials}, seed={seed}"
        )
    if simulation.case is not case and simulation.case.to_dict() != case.to_dict():
        raise ValueCaseError(f"the simulation given is not of the case {case.name!r}")
    missing = [n for n in case.assumptions if n not in simulation.samples.columns]
    if missing:
        raise ValueCaseError(
            f"the simulation given has no samples of {', '.join(missing)} (keep_inputs=False?)"
        )
    return simulation


def _line_amount(line: Any, env: Mapping[str, np.ndarray], trials: int, years: int) -> np.ndarray:
    """A line's simulated amount over years 0..years (undiscounted), one per trial."""
    share = float(line.factors[: years + 1].sum())
    return np.broadcast_to(np.asarray(line.formula(env), dtype=float), (trials,)) * share


def case_distribution(
    case: ValueCase,
    name: str,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    *,
    years: int = 1,
    simulation: ValueSimulation | None = None,
) -> np.ndarray:
    """The case's own simulated outcomes of an assumption, a line, or value to date.

    What :func:`realisation` places an actual within: the percentiles of a line and of value
    to date are taken over these outcomes (an assumption's percentile is exact, from its
    distribution, and these are its draws).

    Parameters
    ----------
    case : ValueCase
    name : str
        An assumption, a benefit or investment line (``"benefit:<name>"`` when a line shares
        an assumption's name), or ``"value to date"``.
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
    seed : int, default 0
    years : int, default 1
        Years of benefits a line's amount and value to date cover.
    simulation : ValueSimulation, optional
        ``case.simulate(trials, seed=seed)`` to re-use (not simulated again).

    Returns
    -------
    numpy.ndarray
        ``trials`` outcomes, in the simulation's order.
    """
    years = _check_years(case, years)
    sim = _simulation(case, int(trials), int(seed), simulation)
    if name == "value to date":
        env = {n: sim.samples[n].to_numpy() for n in case.assumptions}
        total = np.zeros(sim.trials)
        for line in case.benefits:
            total = total + _line_amount(line, env, sim.trials, years)
        for line in case.investments:
            total = total - _line_amount(line, env, sim.trials, years)
        return total
    ((kind, target),) = _resolve(case, {name: 0.0})
    if kind == "assumption":
        return sim.samples[target].to_numpy(dtype=float)
    env = {n: sim.samples[n].to_numpy() for n in case.assumptions}
    group = case.benefits if kind == "benefit" else case.investments
    line = next(ln for ln in group if ln.name == target)
    return np.array(_line_amount(line, env, sim.trials, years))


@dataclass
class Realisation:
    """Actuals against a case (from :func:`realisation`).

    Attributes
    ----------
    case : ValueCase
    table : pandas.DataFrame
        Indexed by name: ``kind`` (assumption, benefit, investment, value to date), ``actual``,
        the case's ``p10``, ``p50``, ``p90``, the ``percentile`` of the actual within the case's
        distribution, ``inside`` (within P10-P90) and ``unit``.
    years : int
        Years of benefits the actuals cover (value to date counts investments of years 0..years
        and benefits of years 1..years, undiscounted).
    value_to_date : dict or None
        ``actual``, ``p10``, ``p50``, ``p90``, ``mean``, ``percentile`` of realised value to date;
        None when some line is neither reported nor computable from reported assumptions.
    trials, seed : int
    notes : list of str
    """

    case: ValueCase
    table: pd.DataFrame
    years: int
    value_to_date: dict[str, float] | None
    trials: int
    seed: int
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        """The table (one row per actual, and value to date)."""
        return self.table

    def plot(self, ax: Any = None) -> Any:
        """Each actual on the case's percentile scale (see ``plotting.versions``)."""
        from salesworkbench.plotting.versions import plot_realisation

        return plot_realisation(self, ax=ax)

    def as_reference(
        self,
        customer: str | None = None,
        industry: str = "",
        year: int | None = None,
        drivers: Mapping[str, float] | None = None,
    ) -> pd.Series:
        """The realised case as a reference customer's row (for ``straw_man``).

        Parameters
        ----------
        customer : str, optional
            Default: the case's customer.
        industry : str
        year : int, optional
            The year the solution went live.
        drivers : mapping, optional
            Size drivers (e.g. ``subscribers``, ``sites``) the straw-man re-scales by.

        Returns
        -------
        pandas.Series
            ``customer``, ``industry``, ``year``, the realised assumption values (reported ones,
            and the fixed ones of the case), ``benefit_per_year`` when benefits were reported,
            then ``drivers``.
        """
        row: dict[str, Any] = {
            "customer": customer or self.case.customer,
            "industry": industry,
            "year": year,
        }
        t = self.table
        for name, a in self.case.assumptions.items():  # facts of the case (e.g. ARPU before)
            if a.dist.is_fixed:
                row[name] = float(a.dist._value)
        for name, r in t[t["kind"] == "assumption"].iterrows():
            row[name] = float(r["actual"])
        ben = t[t["kind"] == "benefit"]
        if len(ben) == len(self.case.benefits) and len(ben):
            row["benefit_per_year"] = float(ben["actual"].sum()) / self.years
        row.update({k: float(v) for k, v in (drivers or {}).items()})
        return pd.Series(row, name=row["customer"])


def realisation(
    case: ValueCase,
    actuals: Mapping[str, float] | pd.Series,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    *,
    years: int = 1,
    simulation: ValueSimulation | None = None,
) -> Realisation:
    """Place the customer's actuals within the case's own distribution.

    Parameters
    ----------
    case : ValueCase
        The signed case.
    actuals : mapping or Series
        Name -> actual: assumption names (their realised value), benefit or investment line
        names (the amount over the ``years`` reported; ``"benefit:<name>"`` when a line shares an
        assumption's name).
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
        Trials of the simulation behind the lines' and value's distributions.
    seed : int, default 0
    years : int, default 1
        Years of benefits the actuals cover (1 = a year after go-live).
    simulation : ValueSimulation, optional
        ``case.simulate(trials, seed=seed)`` to re-use, e.g. by an app that places one actual
        after another (the result is the same as without it).

    Returns
    -------
    Realisation
    """
    years = _check_years(case, years)
    got = _resolve(case, dict(actuals))
    rows: dict[str, dict[str, Any]] = {}
    for (kind, name), x in got.items():
        if kind != "assumption":
            continue
        a = case.assumptions[name]
        p10, p50, p90 = (float(v) for v in a.dist.ppf(np.array([0.1, 0.5, 0.9])))
        if a.dist.kind == "percentiles":
            p50 = a.dist.median()
        pct = float(distribution_cdf(a.dist, x))
        rows[name] = {
            "kind": "assumption",
            "actual": x,
            "p10": p10,
            "p50": p50,
            "p90": p90,
            "percentile": pct,
            "unit": a.unit or "",
        }
    notes: list[str] = []
    sim = _simulation(case, int(trials), int(seed), simulation)
    env = {n: sim.samples[n].to_numpy() for n in case.assumptions}
    # a fixed assumption (a fact, e.g. ARPU before) is taken as it is unless reported
    actual_env = {n: a.dist._value for n, a in case.assumptions.items() if a.dist.is_fixed}
    actual_env.update({n: x for (kind, n), x in got.items() if kind == "assumption"})
    total_sim = np.zeros(trials)
    total_actual: float | None = 0.0
    computed: list[str] = []
    for kind, group in (("benefit", case.benefits), ("investment", case.investments)):
        sign = 1.0 if kind == "benefit" else -1.0
        for line in group:
            share = float(line.factors[: years + 1].sum())
            amount = _line_amount(line, env, trials, years)
            total_sim = total_sim + sign * amount
            if (kind, line.name) in got:
                x = got[(kind, line.name)]
                p10, p50, p90 = (float(v) for v in np.percentile(amount, [10, 50, 90]))
                rows[f"{kind}: {line.name}"] = {
                    "kind": kind,
                    "actual": x,
                    "p10": p10,
                    "p50": p50,
                    "p90": p90,
                    "percentile": _mid_rank(amount, x),
                    "unit": case.currency,
                }
            elif all(n in actual_env for n in line.formula.names) and total_actual is not None:
                x = float(line.formula(actual_env)) * share
                computed.append(line.name)
            else:
                x = None
                if total_actual is not None:
                    notes.append(
                        f"no value to date: {kind} {line.name!r} is not reported and needs "
                        f"assumptions not reported ("
                        f"{', '.join(n for n in line.formula.names if n not in actual_env)})"
                    )
            total_actual = None if x is None or total_actual is None else total_actual + sign * x
    value_to_date = None
    if total_actual is not None:
        if computed:
            notes.append(
                "value to date: lines not reported were computed from the reported assumptions "
                f"(and the fixed ones): {', '.join(computed)}"
            )
        p10, p50, p90 = (float(v) for v in np.percentile(total_sim, [10, 50, 90]))
        pct = _mid_rank(total_sim, total_actual)
        value_to_date = {
            "actual": total_actual,
            "p10": p10,
            "p50": p50,
            "p90": p90,
            "mean": float(total_sim.mean()),
            "percentile": pct,
        }
        rows["value to date"] = {
            "kind": "value to date",
            "actual": total_actual,
            "p10": p10,
            "p50": p50,
            "p90": p90,
            "percentile": pct,
            "unit": case.currency,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    if table.empty:
        table = pd.DataFrame(columns=_COLUMNS)
    table["inside"] = (table["percentile"] >= 0.1) & (table["percentile"] <= 0.9)
    table.index.name = "name"
    return Realisation(
        case, table[_COLUMNS], int(years), value_to_date, int(trials), int(seed), notes
    )


# --------------------------------------------------------------------------- calibration
@dataclass
class Calibration:
    """Were the cases' P10-P90 ranges right about 80% of the time? (from :func:`calibration`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per actual: ``case``, ``name``, ``kind``, ``actual``, ``percentile``, ``inside``.
    coverage : float
        Share of actuals within their case's P10-P90 (0.8 when the ranges are right).
    below_p10, above_p90 : float
        Shares below P10 and above P90 (0.1 each when right; unequal shares mean bias).
    interval : tuple of float
        Wilson 95% interval of the coverage.
    p_value : float
        Two-sided exact binomial test of coverage = 0.8.
    verdict : str
        "about right", "too narrow" or "too wide" (at the 5% level).
    by_name : pandas.DataFrame
        Coverage, count and mean percentile per assumption or line name.
    """

    table: pd.DataFrame
    coverage: float
    below_p10: float
    above_p90: float
    interval: tuple[float, float]
    p_value: float
    verdict: str
    by_name: pd.DataFrame

    @property
    def summary(self) -> pd.DataFrame:
        """One row: n, coverage, its interval, below P10, above P90, p-value, verdict."""
        return pd.DataFrame(
            [
                {
                    "n": len(self.table),
                    "coverage": self.coverage,
                    "low": self.interval[0],
                    "high": self.interval[1],
                    "below_p10": self.below_p10,
                    "above_p90": self.above_p90,
                    "p_value": self.p_value,
                    "verdict": self.verdict,
                }
            ]
        )

    def plot(self, ax: Any = None) -> Any:
        """Histogram of the percentiles (see ``plotting.versions.plot_calibration``)."""
        from salesworkbench.plotting.versions import plot_calibration

        return plot_calibration(self, ax=ax)


def calibration(
    closed: Iterable[tuple[Any, ValueCase, Mapping[str, float]]]
    | Mapping[Any, tuple[ValueCase, Mapping[str, float]]]
    | pd.DataFrame,
    cases: Mapping[Any, ValueCase] | None = None,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    *,
    years: int = 1,
) -> Calibration:
    """How often actuals fell within their case's P10-P90, across many closed cases.

    Parameters
    ----------
    closed : DataFrame, mapping or iterable
        A table with columns ``case``, ``name``, ``actual`` (one row per actual; then ``cases``
        maps the ``case`` ids to their ValueCase); or ``{case_id: (case, actuals)}``; or
        ``(case_id, case, actuals)`` triples.
    cases : mapping, optional
        Case id -> ValueCase, with a table.
    trials, seed : int
        For line actuals (assumption actuals need no simulation).
    years : int, default 1
        Years the line actuals cover.

    Returns
    -------
    Calibration
    """
    items: list[tuple[Any, ValueCase, dict[str, float]]] = []
    if isinstance(closed, pd.DataFrame):
        missing = [c for c in ("case", "name", "actual") if c not in closed.columns]
        if missing:
            raise ValueCaseError(f"the closed-cases table needs column(s) {', '.join(missing)}")
        if cases is None:
            raise ValueCaseError("pass cases= (case id -> ValueCase) with a table of actuals")
        for cid, group in closed.groupby("case", sort=False):
            if cid not in cases:
                raise ValueCaseError(f"closed-cases table: no case {cid!r} in cases=")
            items.append((cid, cases[cid], dict(zip(group["name"], group["actual"], strict=True))))
    elif isinstance(closed, Mapping):
        items = [(cid, c, dict(a)) for cid, (c, a) in closed.items()]
    else:
        items = [(cid, c, dict(a)) for cid, c, a in closed]
    if not items:
        raise ValueCaseError("calibration needs at least one closed case with actuals")
    rows = []
    for cid, case, actuals in items:
        got = _resolve(case, actuals)
        if all(kind == "assumption" for kind, _ in got):  # closed form, no simulation
            for (_, name), x in got.items():
                pct = float(distribution_cdf(case.assumptions[name].dist, x))
                rows.append((cid, name, "assumption", x, pct))
            continue
        real = realisation(case, actuals, trials, seed, years=years)
        for name, r in real.table.iterrows():
            if r["kind"] != "value to date":
                rows.append((cid, name, r["kind"], r["actual"], r["percentile"]))
    table = pd.DataFrame(rows, columns=["case", "name", "kind", "actual", "percentile"])
    table["inside"] = (table["percentile"] >= 0.1) & (table["percentile"] <= 0.9)
    n, k = len(table), int(table["inside"].sum())
    coverage = k / n
    ci = stats.binomtest(k, n, 0.8).proportion_ci(0.95, method="wilson")
    p_value = float(stats.binomtest(k, n, 0.8).pvalue)
    verdict = "about right" if p_value >= 0.05 else ("too narrow" if coverage < 0.8 else "too wide")
    by_name = table.groupby("name", sort=False).agg(
        n=("inside", "size"), coverage=("inside", "mean"), mean_percentile=("percentile", "mean")
    )
    return Calibration(
        table=table,
        coverage=coverage,
        below_p10=float((table["percentile"] < 0.1).mean()),
        above_p90=float((table["percentile"] > 0.9).mean()),
        interval=(float(ci.low), float(ci.high)),
        p_value=p_value,
        verdict=verdict,
        by_name=by_name,
    )


def realised_references(rows: Iterable[pd.Series | Mapping[str, Any]]) -> pd.DataFrame:
    """A reference-customer table from realised cases (rows of :meth:`Realisation.as_reference`).

    The result has the layout :func:`~salesworkbench.value.read_reference_customers` returns,
    so :func:`~salesworkbench.value.nearest_reference` and
    :func:`~salesworkbench.value.straw_man` take it as they are.
    """
    from salesworkbench.value.strawman import REFERENCE_COLUMNS

    table = pd.DataFrame([dict(r) for r in rows])
    missing = [c for c in REFERENCE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueCaseError(f"realised references need {', '.join(missing)}")
    if table["customer"].duplicated().any():
        dup = table.loc[table["customer"].duplicated(), "customer"].tolist()
        raise ValueCaseError(f"realised references: customer names must be unique ({dup})")
    return table.reset_index(drop=True)
