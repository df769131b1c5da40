"""Which assumptions drive a value case: tornado, spider, rank correlation, Sobol, convergence.

Four complementary views of the same question, from quickest to most thorough:

- :func:`tornado`: one assumption at a time moved to its P10 and P90 while every other one
  stays at its most likely value (the base case). Easy to read, blind to interactions.
- :func:`spider`: the output traced across the whole percentile range of each assumption.
- :func:`rank_correlation`: Spearman correlation between each assumption and the output over a
  Monte Carlo simulation (sees correlations between assumptions, not interactions).
- :func:`sobol`: variance-based first-order and total indices (Saltelli 2010 design and
  estimator from :func:`scipy.stats.sobol_indices`), with bootstrap confidence intervals. Works
  on a :class:`~salesworkbench.value.ValueCase` or on any vectorised Python model.

:func:`convergence` tells whether a simulation ran enough trials.

Fixed assumptions (``dist: fixed``) have no range: tornado and spider leave them out; rank
correlation and Sobol report 0 for them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from salesworkbench._random import as_generator, named_stream
from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError
from salesworkbench.value.cashflows import OUTPUTS

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase
    from salesworkbench.value.simulation import ValueSimulation

__all__ = [
    "convergence",
    "rank_correlation",
    "sobol",
    "spider",
    "tornado",
]

SPIDER_PERCENTILES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _is_case(obj: Any) -> bool:
    return hasattr(obj, "assumptions") and hasattr(obj, "evaluate")


def _case_outputs(case: ValueCase) -> tuple[str, ...]:
    return tuple(OUTPUTS)


def _check_output(case: ValueCase, output: str) -> None:
    outputs = _case_outputs(case)
    if output not in outputs:
        raise ValueCaseError(
            f"unknown output {output!r} for value case {case.name!r}; "
            f"choose one of {', '.join(outputs)}"
        )


def _check_unit_interval(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be a probability strictly between 0 and 1, got {value!r}")
    return value


def _uncertain(case: ValueCase) -> list[str]:
    return [name for name, a in case.assumptions.items() if not a.dist.is_fixed]


def _base_values(case: ValueCase) -> dict[str, float]:
    return {name: float(a.dist.most_likely()) for name, a in case.assumptions.items()}


def _evaluate(case: ValueCase, values: Mapping[str, Any], output: str) -> np.ndarray:
    return np.asarray(case.evaluate(values)[output], dtype=float)


# --------------------------------------------------------------------------------------------
# one at a time: tornado and spider
# --------------------------------------------------------------------------------------------
def tornado(
    case: ValueCase, low: float = 0.1, high: float = 0.9, output: str = "npv"
) -> pd.DataFrame:
    """One-at-a-time swing of an output as each uncertain assumption moves to its P10 and P90.

    Every other assumption stays at its most likely value (the base case). Correlations between
    assumptions are ignored here (see :func:`rank_correlation` for a view that keeps them).

    Parameters
    ----------
    case : ValueCase
        The value case.
    low, high : float, default 0.1 and 0.9
        The percentiles each assumption is moved to.
    output : str, default "npv"
        One of the case's outputs (``value``, ``npv``, ``roi``, ...).

    Returns
    -------
    pandas.DataFrame
        Indexed by assumption, sorted by swing (largest first), with columns ``input_low``,
        ``input_high`` (the assumption at ``low`` / ``high``), ``output_low``, ``output_high``
        (the output there), ``swing`` (``|output_high - output_low|``) and ``base`` (the output
        in the base case). ``attrs`` holds ``output``, ``base``, ``low`` and ``high``.
    """
    _check_output(case, output)
    low = _check_unit_interval("low", low)
    high = _check_unit_interval("high", high)
    if low >= high:
        raise ValueError(f"low ({low}) must be below high ({high})")
    base = _base_values(case)
    names = _uncertain(case)
    k = len(names)
    # row 0 = base case, then (low, high) for each assumption: one vectorised evaluation
    values = {name: np.full(2 * k + 1, v) for name, v in base.items()}
    inputs = np.empty((k, 2))
    for i, name in enumerate(names):
        inputs[i] = case.assumptions[name].dist.ppf(np.array([low, high]))
        values[name][1 + 2 * i : 3 + 2 * i] = inputs[i]
    out = _evaluate(case, values, output)
    base_out = float(out[0])
    table = pd.DataFrame(
        {
            "input_low": inputs[:, 0] if k else [],
            "input_high": inputs[:, 1] if k else [],
            "output_low": out[1::2],
            "output_high": out[2::2],
        },
        index=pd.Index(names, name="assumption"),
    )
    table["swing"] = (table["output_high"] - table["output_low"]).abs()
    table["base"] = base_out
    table = table.sort_values("swing", ascending=False, kind="stable")
    table.attrs.update(output=output, base=base_out, low=low, high=high)
    return table


def spider(
    case: ValueCase,
    percentiles: Sequence[float] = SPIDER_PERCENTILES,
    output: str = "npv",
) -> pd.DataFrame:
    """Output as each uncertain assumption sweeps its percentiles, the others at base case.

    Parameters
    ----------
    case : ValueCase
        The value case.
    percentiles : sequence of float
        Percentiles (strictly between 0 and 1) of each assumption to evaluate at.
    output : str, default "npv"
        One of the case's outputs.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``percentile``; one column per uncertain assumption holding the output with
        that assumption at that percentile. Columns are ordered by range of the output (widest
        first). ``attrs`` holds ``output`` and ``base``.
    """
    _check_output(case, output)
    q = np.asarray(percentiles, dtype=float)
    if q.ndim != 1 or q.size == 0:
        raise ValueError("percentiles must be a non-empty list of numbers between 0 and 1")
    for p in q:
        _check_unit_interval("each percentile", p)
    base = _base_values(case)
    names = _uncertain(case)
    m = q.size
    values = {name: np.full(m * len(names) + 1, v) for name, v in base.items()}
    for i, name in enumerate(names):
        values[name][1 + i * m : 1 + (i + 1) * m] = case.assumptions[name].dist.ppf(q)
    out = _evaluate(case, values, output)
    table = pd.DataFrame(
        out[1:].reshape(len(names), m).T,
        index=pd.Index(q, name="percentile"),
        columns=pd.Index(names, name="assumption"),
    )
    order = (table.max() - table.min()).sort_values(ascending=False, kind="stable").index
    table = table[order]
    table.attrs.update(output=output, base=float(out[0]))
    return table


# --------------------------------------------------------------------------------------------
# rank correlation
# --------------------------------------------------------------------------------------------
def rank_correlation(
    sim: ValueSimulation | pd.DataFrame,
    output: str = "npv",
    inputs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Spearman rank correlation of each assumption with an output over a simulation.

    Parameters
    ----------
    sim : ValueSimulation or pandas.DataFrame
        A simulation (its ``samples`` are used) or a samples table.
    output : str, default "npv"
        The output column.
    inputs : sequence of str, optional
        The assumption columns; by default the case's assumptions (for a simulation) or every
        column that is not a standard output (for a table).

    Returns
    -------
    pandas.DataFrame
        Indexed by assumption, column ``spearman``, sorted by absolute correlation (largest
        first). A fixed (constant) assumption gets 0.
    """
    if isinstance(sim, pd.DataFrame):
        samples = sim
        default_inputs = None
    else:
        samples = sim.samples
        default_inputs = list(sim.case.assumptions)
    if output not in samples.columns:
        raise ValueCaseError(
            f"unknown output {output!r}; the simulation has columns {', '.join(samples.columns)}"
        )
    if inputs is None:
        if default_inputs is None:
            skip = set(OUTPUTS) | {output}
            default_inputs = [
                c
                for c in samples.columns
                if c not in skip and not str(c).startswith(("benefit:", "investment:"))
            ]
        inputs = default_inputs
    missing = [c for c in inputs if c not in samples.columns]
    if missing:
        raise ValueCaseError(
            f"no samples for assumption(s) {', '.join(map(repr, missing))}; pass their column "
            "names, or simulate with keep_inputs=True so the draws are kept"
        )
    y = stats.rankdata(np.asarray(samples[output], dtype=float))
    rho = {}
    for name in inputs:
        x = np.asarray(samples[name], dtype=float)
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            rho[name] = 0.0
        else:
            rho[name] = float(np.corrcoef(stats.rankdata(x), y)[0, 1])
    table = pd.DataFrame({"spearman": pd.Series(rho, dtype=float)})
    table.index.name = "assumption"
    order = table["spearman"].abs().sort_values(ascending=False, kind="stable").index
    table = table.loc[order]
    table.attrs["output"] = output
    return table


# --------------------------------------------------------------------------------------------
# Sobol indices
# --------------------------------------------------------------------------------------------
def _saltelli_weighted(
    f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Saltelli (2010) S1 and ST for many resamples at once, given as row weights.

    The estimators are those of :func:`scipy.stats.sobol_indices` (Table 2 (b) and (f) of
    Saltelli et al. 2010, variance from the A and B runs). A bootstrap resample is a vector of
    counts over the ``n`` base rows, so every mean is a weighted sum and all resamples reduce
    to one matrix product. With ``weights`` all ones this gives scipy's point estimates.

    Parameters
    ----------
    f_a, f_b : ndarray, shape (n,)
        Output at the A and B rows (centred on their common mean, as scipy does).
    f_ab : ndarray, shape (d, n)
        Output at the AB rows (A with column j taken from B).
    weights : ndarray, shape (r, n)
        Counts of each base row in each of ``r`` resamples (rows sum to ``n``).

    Returns
    -------
    s1, st : ndarray, shape (r, d)
    """
    n = f_a.shape[0]
    cols = np.vstack(
        [f_a**2 + f_b**2, f_a + f_b, f_b * (f_ab - f_a), 0.5 * (f_a - f_ab) ** 2]
    ).T  # (n, 2 d + 2)
    means = (weights @ cols) / n
    var = means[:, 0] / 2.0 - (means[:, 1] / 2.0) ** 2
    d = f_ab.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = means[:, 2 : 2 + d] / var[:, None]
        st = means[:, 2 + d :] / var[:, None]
    return np.nan_to_num(s1, nan=0.0, posinf=0.0, neginf=0.0), np.nan_to_num(
        st, nan=0.0, posinf=0.0, neginf=0.0
    )


def _bootstrap_conf(
    f_a: np.ndarray,
    f_b: np.ndarray,
    f_ab: np.ndarray,
    rng: np.random.Generator,
    n_resamples: int,
    confidence_level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Half-widths of percentile bootstrap intervals of S1 and ST (resampling base rows).

    scipy's ``SobolResult.bootstrap`` uses BCa intervals whose jackknife step costs O(n^2)
    (about 12 s at n = 2**13 on two cores); this percentile bootstrap reduces each resample to
    a weighted sum (:func:`_saltelli_weighted`) and takes milliseconds.
    """
    n = f_a.shape[0]
    batch = max(1, min(n_resamples, int(2e6 // n)))
    s1_parts, st_parts = [], []
    done = 0
    while done < n_resamples:
        size = min(batch, n_resamples - done)
        idx = rng.integers(0, n, size=(size, n)) + (n * np.arange(size))[:, None]
        counts = np.bincount(idx.ravel(), minlength=size * n).reshape(size, n)
        s1, st = _saltelli_weighted(f_a, f_b, f_ab, counts.astype(float))
        s1_parts.append(s1)
        st_parts.append(st)
        done += size
    alpha = (1.0 - confidence_level) / 2.0
    s1_q = np.quantile(np.vstack(s1_parts), [alpha, 1.0 - alpha], axis=0)
    st_q = np.quantile(np.vstack(st_parts), [alpha, 1.0 - alpha], axis=0)
    return (s1_q[1] - s1_q[0]) / 2.0, (st_q[1] - st_q[0]) / 2.0


def _check_power_of_two(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise ValueError(f"n must be an integer power of 2 (e.g. 2**13 = 8192), got {n!r}")
    n = int(n)
    if n < 2 or n & (n - 1):
        lower = 2 ** max(1, int(math.log2(max(n, 2))))
        raise ValueError(
            f"n must be a power of 2 for the Sobol' sequence (got n={n}); "
            f"use e.g. n={lower} or n={2 * lower}"
        )
    return n


def _as_distribution(spec: Any, name: str) -> Any:
    """A YAML-style spec (dict) -> Distribution; anything with ``ppf`` is used as it is."""
    if isinstance(spec, Mapping):
        from salesworkbench.value.distributions import make_distribution

        return make_distribution(dict(spec), name)
    if hasattr(spec, "ppf"):
        return spec
    raise ValueCaseError(
        f"input {name!r}: expected a distribution spec such as "
        f"{{'dist': 'uniform', 'min': 0, 'max': 1}} or an object with a ppf method, got {spec!r}"
    )


def _dist_is_fixed(dist: Any) -> bool:
    fixed = getattr(dist, "is_fixed", None)
    if fixed is not None:
        return bool(fixed)
    q = np.asarray(dist.ppf(np.array([0.001, 0.5, 0.999])), dtype=float)
    return bool(np.ptp(q) == 0)


def _model_from_case(
    case: ValueCase, inputs: Any, output: str
) -> tuple[Callable[[dict[str, np.ndarray]], np.ndarray], dict[str, Any]]:
    _check_output(case, output)
    known = list(case.assumptions)
    base = _base_values(case)
    if inputs is None:
        dists = {name: case.assumptions[name].dist for name in known}
    elif isinstance(inputs, Mapping):
        unknown = [k for k in inputs if k not in case.assumptions]
        if unknown:
            raise ValueCaseError(
                f"unknown input(s) {', '.join(map(repr, unknown))} for value case {case.name!r}; "
                f"its assumptions are {', '.join(known)}"
            )
        dists = {name: _as_distribution(spec, name) for name, spec in inputs.items()}
    else:
        if isinstance(inputs, str):
            inputs = [inputs]
        unknown = [k for k in inputs if k not in case.assumptions]
        if unknown:
            raise ValueCaseError(
                f"unknown input(s) {', '.join(map(repr, unknown))} for value case {case.name!r}; "
                f"its assumptions are {', '.join(known)}"
            )
        dists = {name: case.assumptions[name].dist for name in inputs}
    if case.correlations:
        pairs = "; ".join(f"{a}~{b} {r:+.2f}" for a, b, r in case.correlations)
        warnings.warn(
            f"Sobol indices treat the assumptions as independent; the correlations of value case "
            f"{case.name!r} ({pairs}) are ignored here (rank_correlation keeps them)",
            UserWarning,
            stacklevel=3,
        )

    def model(values: dict[str, np.ndarray]) -> np.ndarray:
        full: dict[str, Any] = {name: base[name] for name in known}
        full.update(values)
        return _evaluate(case, full, output)

    return model, dists


def _call_model(
    func: Callable[[dict[str, np.ndarray]], Any], values: dict[str, np.ndarray], output: str, m: int
) -> np.ndarray:
    result = func(values)
    if isinstance(result, pd.DataFrame | Mapping):
        if output not in result:
            raise ValueCaseError(
                f"unknown output {output!r}: the model returned {', '.join(map(str, result))}"
            )
        result = result[output]
    y = np.asarray(result, dtype=float)
    if y.ndim == 0:
        y = np.full(m, float(y))
    y = y.reshape(-1)
    if y.shape[0] != m:
        raise ValueError(
            f"the model must be vectorised: given arrays of {m} values it returned {y.shape[0]}"
        )
    return y


def sobol(
    model_or_case: ValueCase | Callable[[dict[str, np.ndarray]], Any],
    inputs: Mapping[str, Any] | Sequence[str] | None = None,
    n: int = 2**13,
    seed: int | None = 0,
    output: str = "npv",
    *,
    confidence_level: float = 0.95,
    n_resamples: int = 200,
) -> pd.DataFrame:
    """First-order and total Sobol' indices with bootstrap confidence intervals.

    The indices come from :func:`scipy.stats.sobol_indices` (Saltelli 2010 design on a
    scrambled Sobol' sequence; ``n * (d + 2)`` model runs for ``d`` uncertain inputs).
    Confidence intervals come from a percentile bootstrap over the ``n`` base rows.

    Parameters
    ----------
    model_or_case : ValueCase or callable
        A value case, or a vectorised model: a function taking a dict of named numpy arrays
        (one per input, all the same length) and returning an array of that length (or a
        mapping / DataFrame of outputs, from which ``output`` is taken).
    inputs : dict or list of str, optional
        For a model: required, ``{name: spec}`` where ``spec`` is a distribution in the YAML
        form (``{"dist": "uniform", "min": 0, "max": 1}``) or any object with a ``ppf`` method
        (e.g. a frozen scipy distribution). For a value case: None (every assumption), a list
        of assumption names to vary (the rest stay at their most likely value), or a dict of
        specs for the assumptions to vary with new distributions (again the rest stay at their
        most likely value).
    n : int, default 2**13
        Base sample size; a power of 2.
    seed : int or None, default 0
        Seed for the scrambled Sobol' sequence and the bootstrap.
    output : str, default "npv"
        The output to analyse (for a value case, or a model returning several outputs).
    confidence_level : float, default 0.95
        Level of the bootstrap intervals.
    n_resamples : int, default 200
        Bootstrap resamples.

    Returns
    -------
    pandas.DataFrame
        Indexed by input (in the given order), columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf``
        (``*_conf`` is the half-width of the confidence interval). Fixed inputs get 0.
        ``attrs`` holds ``output``, ``n``, ``evaluations`` and ``variance``.

    Notes
    -----
    Sobol' indices assume independent inputs: a value case's correlations are ignored (with a
    warning). ``S1`` is the share of output variance an input explains on its own; ``ST`` adds
    its interactions. ``ST - S1`` large means the input matters through combinations.

    Examples
    --------
    >>> import numpy as np
    >>> spec = {"dist": "uniform", "min": -np.pi, "max": np.pi}
    >>> def ishigami(x):
    ...     return np.sin(x["x1"]) + 7 * np.sin(x["x2"]) ** 2 + 0.1 * x["x3"] ** 4 * np.sin(x["x1"])
    >>> sobol(ishigami, {"x1": spec, "x2": spec, "x3": spec}).round(2)  # doctest: +SKIP
    """
    n = _check_power_of_two(n)
    confidence_level = _check_unit_interval("confidence_level", confidence_level)
    if _is_case(model_or_case):
        func, dists = _model_from_case(model_or_case, inputs, output)
    elif callable(model_or_case):
        if not isinstance(inputs, Mapping) or not inputs:
            raise ValueError(
                "sobol(model, inputs): for a model function, inputs must be a dict "
                "{name: distribution spec}, e.g. {'x1': {'dist': 'uniform', 'min': 0, 'max': 1}}"
            )
        func = model_or_case
        dists = {name: _as_distribution(spec, name) for name, spec in inputs.items()}
    else:
        raise TypeError(
            f"sobol() takes a ValueCase or a vectorised function, got {type(model_or_case)!r}"
        )

    names = list(dists)
    fixed = {name: _dist_is_fixed(dists[name]) for name in names}
    varied = [name for name in names if not fixed[name]]
    constants = {
        name: float(np.asarray(dists[name].ppf(np.array([0.5])), dtype=float)[0])
        for name in names
        if fixed[name]
    }
    d = len(varied)
    if isinstance(seed, int | np.integer) or seed is None:
        qmc_rng = named_stream(None if seed is None else int(seed), "sobol:sequence")
        boot_rng = named_stream(None if seed is None else int(seed), "sobol:bootstrap")
    else:
        qmc_rng = as_generator(seed)
        boot_rng = qmc_rng

    result = pd.DataFrame(
        0.0, index=pd.Index(names, name="input"), columns=["S1", "S1_conf", "ST", "ST_conf"]
    )
    result.attrs.update(output=output, n=n, evaluations=0, variance=0.0)
    if d == 0:
        return result

    # A and B from one 2d-dimensional scrambled Sobol' sequence (as scipy does), pushed
    # through each input's quantile function
    u = qmc.Sobol(d=2 * d, rng=qmc_rng, bits=64).random(n).T.reshape(2, d, n)
    # keep the uniforms off the exact 0 / 1 so unbounded ppfs stay finite
    np.clip(u, 1e-12, 1.0 - 1e-12, out=u)
    x = np.empty_like(u)
    for j, name in enumerate(varied):
        x[:, j] = np.asarray(dists[name].ppf(u[:, j]), dtype=float)
    a, b = x[0], x[1]
    # all model runs in one call: A, B, then AB_j (A with column j taken from B)
    stacked = np.tile(a, (1, d + 2))
    stacked[:, n : 2 * n] = b
    for j in range(d):
        stacked[j, (2 + j) * n : (3 + j) * n] = b[j]
    m = stacked.shape[1]
    values: dict[str, np.ndarray] = {name: stacked[j] for j, name in enumerate(varied)}
    values.update({name: np.full(m, c) for name, c in constants.items()})
    y = _call_model(func, values, output, m)
    bad = ~np.isfinite(y)
    if bad.any():
        raise ValueCaseError(
            f"output {output!r} is not finite in {int(bad.sum())} of {m} model runs "
            f"(e.g. payback_years is inf where a case never pays back); Sobol indices need a "
            f"finite output such as 'npv' or 'value'"
        )
    f_a, f_b, f_ab = y[:n], y[n : 2 * n], y[2 * n :].reshape(d, n)
    # shapes (s, n), (s, n), (d, s, n) with one output (s = 1)
    # shapes (s, n), (s, n), (d, s, n) with one output (s = 1); scipy cannot take d = 1
    # (its result squeezes to a scalar), so a single input gets a dummy constant companion
    # (f_AB = f_A, indices exactly 0) that is dropped again below
    f_ab_in = f_ab if d > 1 else np.vstack([f_ab, f_a[None]])
    res = stats.sobol_indices(
        func={"f_A": f_a[None], "f_B": f_b[None], "f_AB": f_ab_in[:, None]}, n=n
    )
    mean = np.mean(np.concatenate([f_a, f_b]))
    s1_conf, st_conf = _bootstrap_conf(
        f_a - mean, f_b - mean, f_ab - mean, boot_rng, n_resamples, confidence_level
    )
    result.loc[varied, "S1"] = np.asarray(res.first_order, dtype=float).reshape(-1)[:d]
    result.loc[varied, "ST"] = np.asarray(res.total_order, dtype=float).reshape(-1)[:d]
    result.loc[varied, "S1_conf"] = s1_conf
    result.loc[varied, "ST_conf"] = st_conf
    result.attrs.update(evaluations=m, variance=float(np.var(np.concatenate([f_a, f_b]))))
    return result


# --------------------------------------------------------------------------------------------
# convergence
# --------------------------------------------------------------------------------------------
def _checkpoints(total: int, start: int = 100) -> np.ndarray:
    if total <= start:
        return np.array([total])
    pts = np.unique(
        np.concatenate(
            [
                np.round(np.outer(10.0 ** np.arange(0, 10), [1, 2, 5]).ravel()).astype(np.int64),
                [total],
            ]
        )
    )
    return pts[(pts >= start) & (pts <= total)]


def convergence(
    case_or_sim: ValueCase | ValueSimulation,
    output: str = "value",
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    checkpoints: Sequence[int] | None = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """How the mean and P(output > 0) settle as the number of trials grows.

    Uses the running mean of one simulation's trials, with standard errors
    ``sd / sqrt(n)`` for the mean and ``sqrt(p (1 - p) / n)`` for the probability.

    Parameters
    ----------
    case_or_sim : ValueCase or ValueSimulation
        A simulation, or a case to simulate with ``trials`` and ``seed``.
    output : str, default "value"
        The output to follow.
    trials, seed : int
        Used only when a case is given (``trials`` defaults to
        :data:`salesworkbench.defaults.VALUE_TRIALS`).
    checkpoints : sequence of int, optional
        Trial counts to report; by default 100, 200, 500, 1000, ... and the total.
    confidence_level : float, default 0.95
        Level of the reported intervals: ``mean_low``/``mean_high`` are ``mean -/+ z mean_se``;
        ``prob_low``/``prob_high`` are the Wilson score interval (which, unlike
        ``p -/+ z prob_se``, stays informative when all trials so far are positive).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``trials``, columns ``mean``, ``mean_se``, ``mean_low``, ``mean_high``,
        ``prob_positive``, ``prob_se``, ``prob_low``, ``prob_high``. ``attrs`` holds ``output``.
        Enough trials have been run when the standard errors are small beside the decision
        they inform (e.g. ``mean_se`` below 1% of the mean, ``prob_se`` below 0.005).
    """
    if _is_case(case_or_sim):
        _check_output(case_or_sim, output)
        sim = case_or_sim.simulate(trials=trials, seed=seed, progress=False)
    else:
        sim = case_or_sim
    samples = sim.samples
    if output not in samples.columns:
        raise ValueCaseError(
            f"unknown output {output!r}; the simulation has columns {', '.join(samples.columns)}"
        )
    confidence_level = _check_unit_interval("confidence_level", confidence_level)
    y = np.asarray(samples[output], dtype=float)
    total = y.size
    if checkpoints is None:
        pts = _checkpoints(total)
    else:
        pts = np.asarray(sorted({int(c) for c in checkpoints}), dtype=np.int64)
        if pts.size == 0 or pts[0] < 2 or pts[-1] > total:
            raise ValueError(f"checkpoints must lie between 2 and the number of trials ({total})")
    positive = np.cumsum(y > 0)[pts - 1]
    finite = np.isfinite(y)
    if finite.all():
        s1 = np.cumsum(y)[pts - 1]
        s2 = np.cumsum((y - y[0]) ** 2)[pts - 1]
        s_shift = np.cumsum(y - y[0])[pts - 1]
        mean = s1 / pts
        var = (s2 - s_shift**2 / pts) / (pts - 1)
        mean_se = np.sqrt(np.maximum(var, 0.0) / pts)
    else:  # e.g. payback_years with inf: the mean is not defined
        mean = np.full(pts.size, np.nan)
        mean_se = np.full(pts.size, np.nan)
    p = positive / pts
    p_se = np.sqrt(p * (1 - p) / pts)
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    # Wilson score interval: unlike p +/- z se it does not collapse to a point when no (or
    # every) trial so far is positive
    centre = (p + z**2 / (2 * pts)) / (1 + z**2 / pts)
    half = z * np.sqrt(p * (1 - p) / pts + z**2 / (4 * pts**2)) / (1 + z**2 / pts)
    table = pd.DataFrame(
        {
            "mean": mean,
            "mean_se": mean_se,
            "mean_low": mean - z * mean_se,
            "mean_high": mean + z * mean_se,
            "prob_positive": p,
            "prob_se": p_se,
            "prob_low": np.clip(centre - half, 0, 1),
            "prob_high": np.clip(centre + half, 0, 1),
        },
        index=pd.Index(pts, name="trials"),
    )
    table.attrs.update(output=output, confidence_level=confidence_level)
    return table
