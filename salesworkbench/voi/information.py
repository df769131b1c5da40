"""EVPI, EVPPI and EVSI of any table of simulated net benefits, and their results.

Works on any probabilistic net-benefit table (rows = simulations, columns = decision options),
so a consultant can bring model runs from anywhere; :mod:`salesworkbench.voi.pilots` and
:mod:`salesworkbench.voi.updating` add the value-case layer.

Methods
-------
- **EVPI**: ``E[max_k NB_k] - max_k E[NB_k]`` over the simulations.
- **EVPPI** (Strong, Oakley & Brennan 2014, *Med Decis Making* 34:311): regress each option's
  *incremental* net benefit (vs the first option, or vs 0 for a single column) on the named
  inputs; EVPPI = mean of the row-wise max of the fitted values - max of their means. The
  regression (penalised spline for one input, tensor spline for two, random-feature ridge for
  three or more, smoothing by GCV) is described in :mod:`salesworkbench.voi.regression`.
- **EVSI** (Strong, Oakley, Brennan & Breeze 2015, *Med Decis Making* 35:570): for every
  simulated value of the tested assumption, simulate the pilot's summary statistic (the mean of
  ``n`` normal observations, a proportion among ``n``, or anything a user-supplied generator
  returns) and regress the net benefit on it, as for EVPPI.

Guarantees
----------
- Estimates are never negative: ``mean(max) >= max(mean)`` holds for any fitted values.
- A group's EVPPI is never smaller than any member's: the group estimate is reported as the
  maximum of the group regression and each member's own regression (``result.raw`` keeps the
  group regression's own figure). All EVPPI/EVSI figures are also capped at the EVPI, which
  they cannot exceed in theory (regression noise can push an estimate slightly above it).
- Net benefit and inputs must describe the same simulations: DataFrames with different indexes
  are aligned by index when they hold the same labels, otherwise an error; arrays must have the
  same number of rows. Nothing is computed on misaligned data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from salesworkbench._random import named_stream
from salesworkbench.voi.regression import _Fit, _fit_inputs, _one_blas_thread

__all__ = ["EVPPIResult", "EVSIResult", "evpi", "evppi", "evsi"]


# --------------------------------------------------------------------------- input checks


def _as_net_benefit(net_benefit: Any) -> tuple[np.ndarray, list[str], pd.Index | None]:
    """Return (array n x k with k >= 2, option names, index) from a table or array."""
    index = None
    if isinstance(net_benefit, pd.Series):
        net_benefit = net_benefit.to_frame(name=net_benefit.name or "invest")
    if isinstance(net_benefit, pd.DataFrame):
        names = [str(c) for c in net_benefit.columns]
        index = net_benefit.index
        try:
            arr = net_benefit.to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"net_benefit: every column must be numeric ({', '.join(names)})"
            ) from exc
    else:
        try:
            arr = np.asarray(net_benefit, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError("net_benefit must be numeric (rows = simulations)") from exc
        if arr.ndim == 1:
            arr = arr[:, None]
        names = [f"option {j}" for j in range(arr.shape[1] if arr.ndim == 2 else 0)]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(
            "net_benefit must be a table: rows = simulations, columns = decision options "
            f"(got an array of shape {arr.shape})"
        )
    if arr.shape[0] < 2:
        raise ValueError(
            f"net_benefit holds {arr.shape[0]} simulation(s); value of information needs many "
            "(thousands) of simulations of the uncertain assumptions"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        j = int(np.argmax(bad.any(axis=0)))
        rows = np.flatnonzero(bad[:, j])
        raise ValueError(
            f"net_benefit column {names[j]!r} has {len(rows)} missing or infinite value(s) "
            f"(first at simulation {int(rows[0])}); remove or fix those simulations in both "
            "net_benefit and inputs"
        )
    if arr.shape[1] == 1:
        arr = np.column_stack([np.zeros(arr.shape[0]), arr])
        names = ["do nothing", names[0]]
    return arr, names, index


def _as_inputs(inputs: Any, names: Sequence[str], n: int, nb_index: pd.Index | None) -> np.ndarray:
    """Return the named input columns (n x d), aligned to the net-benefit rows."""
    if isinstance(inputs, pd.Series):
        inputs = inputs.to_frame()
    if not isinstance(inputs, pd.DataFrame):
        arr = np.asarray(inputs, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        inputs = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
        if nb_index is not None and len(inputs) == len(nb_index):
            inputs.index = nb_index
    names = list(names)
    unknown = [nm for nm in names if nm not in inputs.columns]
    if unknown:
        raise KeyError(
            f"unknown input name(s) {', '.join(map(repr, unknown))}; the inputs table has "
            f"{', '.join(map(str, inputs.columns))}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"input names repeated in {names}")
    if len(inputs) != n:
        raise ValueError(
            f"inputs has {len(inputs)} rows but net_benefit has {n}: both must hold the same "
            "simulations, row for row (or DataFrames with the same index)"
        )
    if nb_index is not None and not inputs.index.equals(nb_index):
        if inputs.index.has_duplicates or nb_index.has_duplicates:
            raise ValueError(
                "inputs and net_benefit indexes differ and cannot be aligned (duplicate labels)"
            )
        if not inputs.index.sort_values().equals(nb_index.sort_values()):
            raise ValueError(
                "inputs and net_benefit have different indexes (different simulations); "
                "pass tables of the same simulations, or arrays in the same row order"
            )
        inputs = inputs.loc[nb_index]
    sub = inputs[names]
    try:
        x = sub.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"inputs {names} must be numeric") from exc
    bad = ~np.isfinite(x)
    if bad.any():
        j = int(np.argmax(bad.any(axis=0)))
        rows = np.flatnonzero(bad[:, j])
        raise ValueError(
            f"input {names[j]!r} has {len(rows)} missing or infinite value(s) (first at "
            f"simulation {int(rows[0])})"
        )
    return x


def _evpi_arr(nb: np.ndarray) -> float:
    return max(float(nb.max(axis=1).mean() - nb.mean(axis=0).max()), 0.0)


def evpi(net_benefit: Any) -> float:
    """Expected value of perfect information.

    Parameters
    ----------
    net_benefit : DataFrame, Series or array
        Rows = simulations, columns = decision options. A single column means "invest (this
        column) vs do nothing (0)".

    Returns
    -------
    float
        ``E[max over options] - max over options of E``, in the net benefit's unit.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> round(evpi(rng.normal(1, 5**0.5, 10**6)), 2)  # closed form 0.4798
    0.48
    """
    nb, _, _ = _as_net_benefit(net_benefit)
    return _evpi_arr(nb)


# --------------------------------------------------------------------------- EVPPI


@dataclass
class EVPPIResult:
    """EVPPI of one assumption or a group, with its diagnostics.

    Attributes
    ----------
    value : float
        The EVPPI (>= 0, >= each member's, <= EVPI), in the net benefit's unit.
    se : float
        Approximate standard error: regression-coefficient uncertainty (Strong et al. 2014)
        combined with the Monte Carlo error of the mean.
    r2 : dict
        Regression R^2 of each option's incremental net benefit (vs the reference option).
    method : str
        The regression used.
    names : list of str
        The input(s).
    evpi : float
        The EVPI of the same table (an upper bound).
    raw : float
        The group regression's own estimate before the member and EVPI bounds.
    members : dict
        Member EVPPIs (groups only).
    fitted : ndarray
        Fitted incremental net benefits (simulations x options-1), for residual checks.
    summary : DataFrame
        One row: ``evppi``, ``se``, ``evpi``, ``r2`` (the smallest) and ``method``.
    """

    value: float
    se: float
    r2: dict[str, float]
    method: str
    names: list[str]
    evpi: float
    raw: float
    n_sim: int
    members: dict[str, float] = field(default_factory=dict)
    fitted: np.ndarray | None = field(default=None, repr=False)

    def __float__(self) -> float:
        return float(self.value)

    @property
    def summary(self) -> pd.DataFrame:
        """One row (the input names joined by " + "): evppi, se, evpi, min R^2, method."""
        row = {
            "evppi": self.value,
            "se": self.se,
            "evpi": self.evpi,
            "r2": min(self.r2.values()) if self.r2 else np.nan,
            "method": self.method,
        }
        return pd.DataFrame([row], index=pd.Index([" + ".join(self.names)], name="inputs"))


def _voi_from_fits(
    fits: Sequence[_Fit], draws: int, rng: np.random.Generator, chunk: int = 20_000
) -> tuple[float, float, np.ndarray]:
    """Value from fitted incremental NBs (reference option = 0) and its standard error.

    The standard error combines the Monte Carlo error of the mean with the spread of the value
    over draws of the regression coefficients from their approximate posterior (Strong et al.
    2014, section 3.4).
    """
    g = np.column_stack([np.zeros(len(fits[0].fitted))] + [f.fitted for f in fits])
    gmax = g.max(axis=1)
    value = float(gmax.mean() - g.mean(axis=0).max())
    n = g.shape[0]
    best = int(np.argmax(g.mean(axis=0)))
    se_mc = float((gmax - g[:, best]).std() / math.sqrt(n))
    se_reg = 0.0
    if draws:
        zs = [f.cov_factor @ rng.standard_normal((f.cov_factor.shape[1], draws)) for f in fits]
        sum_max = np.zeros(draws)
        sums = np.zeros((len(fits) + 1, draws))
        xs = fits[0].train_x
        for s in range(0, n, chunk):
            xb = xs[s : s + chunk]
            full = fits[0].design
            design = full[s : s + chunk] if full is not None else fits[0].design_fn(xb)
            stack = np.stack(
                [np.zeros((len(xb), draws))]
                + [
                    f.fitted[s : s + chunk][:, None] + design @ z
                    for f, z in zip(fits, zs, strict=True)
                ]
            )
            sum_max += stack.max(axis=0).sum(axis=0)
            sums += stack.sum(axis=1)
        vals = sum_max / n - (sums / n).max(axis=0)
        se_reg = float(np.std(vals))
    return max(value, 0.0), math.sqrt(se_mc**2 + se_reg**2), g


def _evppi_core(
    nb: np.ndarray, x: np.ndarray, *, method: str | None, seed: int, se_draws: int
) -> tuple[float, float, dict[int, float], str, np.ndarray]:
    inc = nb[:, 1:] - nb[:, [0]]
    fits, mname = _fit_inputs(x, inc, method=method, seed=seed)
    value, se, g = _voi_from_fits(fits, se_draws, np.random.default_rng(seed))
    return value, se, {j: f.r2 for j, f in enumerate(fits)}, mname, g


@_one_blas_thread
def evppi(
    net_benefit: Any,
    inputs: Any,
    names: str | Sequence[str],
    method: str | None = None,
    *,
    se_draws: int = 100,
    seed: int = 0,
) -> EVPPIResult:
    """Expected value of partial perfect information of one assumption or a group.

    Parameters
    ----------
    net_benefit : DataFrame, Series or array
        Rows = simulations, columns = decision options (one column: invest vs 0).
    inputs : DataFrame or array
        The sampled assumptions for the same simulations (same row order, or the same index).
    names : str or sequence of str
        The assumption (or group of assumptions) learnt perfectly.
    method : {None, "spline", "tensor", "rff"}
        Regression; default by group size (1: spline, 2: tensor spline, 3+: random-feature
        ridge).
    se_draws : int, default 100
        Coefficient draws for the standard error (0 skips the regression part).
    seed : int, default 0
        Seed for the random features and the standard-error draws.

    Returns
    -------
    EVPPIResult
        ``float(result)`` is the EVPPI.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = pd.DataFrame({"p1": rng.normal(1, 1, 20_000), "p2": rng.normal(0, 2, 20_000)})
    >>> round(float(evppi(p.p1 - p.p2, p, "p1")), 2)  # closed form 0.0833
    0.08
    """
    nb, options, index = _as_net_benefit(net_benefit)
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ValueError("names: give at least one input")
    x = _as_inputs(inputs, names, nb.shape[0], index)
    total = _evpi_arr(nb)
    value, se, r2, mname, g = _evppi_core(nb, x, method=method, seed=seed, se_draws=se_draws)
    raw = value
    members: dict[str, float] = {}
    if len(names) > 1:
        for j, nm in enumerate(names):
            mv, mse, _, _, _ = _evppi_core(nb, x[:, [j]], method=None, seed=seed, se_draws=0)
            members[nm] = mv
            if mv > value:
                value, se = mv, max(se, mse)
    value = min(value, total)
    return EVPPIResult(
        value=value,
        se=se,
        r2={options[j + 1]: v for j, v in r2.items()},
        method=mname,
        names=names,
        evpi=total,
        raw=raw,
        n_sim=nb.shape[0],
        members=members,
        fitted=g[:, 1:],
    )


# --------------------------------------------------------------------------- EVSI


def _pilot_statistic(
    design: str | Callable,
    theta: np.ndarray,
    n: int,
    *,
    sd: float | np.ndarray | None,
    known_sd: bool,
    z: np.ndarray,
    u: np.ndarray,
    rng: np.random.Generator,
    counts: dict[int, np.ndarray] | None = None,
) -> np.ndarray:
    """Simulated pilot summary statistic(s) for each parameter value (n_sim x m)."""
    if callable(design):
        out = np.asarray(design(theta, n, rng), dtype=float)
        if out.ndim == 1:
            out = out[:, None]
        if out.shape[0] != len(theta):
            raise ValueError(
                f"the pilot generator returned {out.shape[0]} rows for {len(theta)} "
                "simulations; it must return one summary (row) per simulated parameter value"
            )
        if not np.isfinite(out).all():
            raise ValueError("the pilot generator returned missing or infinite values")
        return out
    if design == "normal":
        xbar = theta + sd * z / math.sqrt(n)
        if known_sd:
            return xbar[:, None]
        # Sample sd of n observations: sd * sqrt(chi2_{n-1} / (n-1)); common random numbers.
        s = sd * np.sqrt(stats.chi2.ppf(u, n - 1) / (n - 1))
        return np.column_stack([xbar, s])
    if design == "binomial":
        if counts is None or n not in counts:
            raise AssertionError("binomial counts are simulated by evsi")
        return (counts[n] / n)[:, None]
    raise ValueError(f"unknown pilot design {design!r}; use 'normal', 'binomial' or a callable")


@dataclass
class EVSIResult:
    """EVSI of a pilot on one assumption, for each pilot size.

    Attributes
    ----------
    table : DataFrame
        Indexed by pilot size ``n``: ``evsi``, ``se``, ``r2``, and ``threshold`` (the observed
        pilot result at which the best option changes; NaN if it never changes within the
        simulated results) and ``flip`` ("below"/"above": on which side of the threshold the
        decision differs from today's). Also available as ``summary``.
    name, design : str
        The tested assumption and the pilot design.
    evppi : float
        EVPPI of the assumption (the limit of EVSI as n grows).
    evpi : float
    options : list of str
    current : str
        Today's best option (highest mean net benefit).
    """

    table: pd.DataFrame
    name: str
    design: str
    evppi: float
    evpi: float
    options: list[str]
    current: str

    def __float__(self) -> float:
        if len(self.table) != 1:
            raise TypeError("EVSIResult holds several pilot sizes; use .table['evsi']")
        return float(self.table["evsi"].iloc[0])

    @property
    def summary(self) -> pd.DataFrame:
        """The result by pilot size: :attr:`table`."""
        return self.table

    @property
    def values(self) -> pd.Series:
        """EVSI by pilot size."""
        return self.table["evsi"]


def _thresholds(fits: Sequence[_Fit], lo: float, hi: float) -> list[float]:
    """Pilot results at which argmax over options (fits vs 0) changes, by root-finding."""
    grid = np.linspace(lo, hi, 401)
    g = np.column_stack([np.zeros_like(grid)] + [f.predict(grid[:, None]) for f in fits])
    best = g.argmax(axis=1)
    out = []
    for i in np.flatnonzero(best[1:] != best[:-1]):
        a, b = best[i], best[i + 1]

        def diff(t, a=a, b=b):
            t = np.array([[t]])
            ga = 0.0 if a == 0 else fits[a - 1].predict(t)[0]
            gb = 0.0 if b == 0 else fits[b - 1].predict(t)[0]
            return ga - gb

        try:
            out.append(float(optimize.brentq(diff, grid[i], grid[i + 1], xtol=1e-10 * (hi - lo))))
        except ValueError:
            out.append(float(0.5 * (grid[i] + grid[i + 1])))
    return out


@_one_blas_thread
def evsi(
    net_benefit: Any,
    inputs: Any,
    name: str,
    n: int | Sequence[int],
    design: str | Callable = "normal",
    sd: float | str | None = None,
    *,
    known_sd: bool = True,
    seed: int = 0,
    se_draws: int = 0,
) -> EVSIResult:
    """Expected value of sample information of a pilot that measures one assumption.

    Regression method of Strong et al. (2015): for each simulated value of the assumption,
    simulate the pilot's summary statistic, regress each option's incremental net benefit on
    it, and take ``mean(max fitted) - max(mean fitted)``.

    Parameters
    ----------
    net_benefit : DataFrame, Series or array
        Rows = simulations, columns = options (one column: invest vs 0).
    inputs : DataFrame
        The sampled assumptions, rows aligned with ``net_benefit``.
    name : str
        The assumption the pilot measures (its simulated values are the "true" values).
    n : int or sequence of int
        Pilot size(s): observations (normal) or accounts/trials (binomial).
    design : {"normal", "binomial"} or callable
        ``"normal"``: the pilot reports the mean of ``n`` observations with sd ``sd``;
        ``"binomial"``: the proportion of successes among ``n`` (the assumption must lie in
        [0, 1]; the pilots of the sizes asked for are nested, each extending the next smaller
        one, so the curve is smooth but a size's figure depends on the sizes asked); a
        callable ``f(theta, n, rng) -> array`` returns the summary statistic(s) (one row per
        simulation) for true values ``theta``.
    sd : float or str, optional
        For ``"normal"``: the sd of one observation, or the name of an input column holding
        it (uncertain sd). Required for the normal design.
    known_sd : bool, default True
        False: the pilot also estimates the sd; the summary is (mean, sample sd) and the
        regression uses both.
    seed : int, default 0
        Seed of the simulated pilot data; the same noise is used for every ``n`` (common
        random numbers), so the EVSI curve is smooth in ``n``.
    se_draws : int, default 0
        Coefficient draws for the regression part of the standard error.

    Returns
    -------
    EVSIResult
    """
    nb, options, index = _as_net_benefit(net_benefit)
    if not isinstance(name, str):
        raise TypeError(f"name must be one assumption name (a string), got {name!r}")
    theta = _as_inputs(inputs, [name], nb.shape[0], index)[:, 0]
    sizes = np.atleast_1d(np.asarray(n))
    if sizes.ndim != 1 or len(sizes) == 0 or not np.all(np.mod(sizes, 1) == 0) or (sizes < 1).any():
        raise ValueError(f"n: pilot sizes must be positive whole numbers, got {n!r}")
    sizes = sizes.astype(int)
    sd_arr: float | np.ndarray | None = None
    dname = design if isinstance(design, str) else getattr(design, "__name__", "custom")
    if design == "normal":
        if sd is None:
            raise ValueError(
                f"sd: the normal pilot design for {name!r} needs the sd of one observation "
                "(a number, or the name of an input column holding it)"
            )
        if isinstance(sd, str):
            sd_arr = _as_inputs(inputs, [sd], nb.shape[0], index)[:, 0]
            if (sd_arr <= 0).any():
                raise ValueError(f"sd column {sd!r} must be positive")
        else:
            sd_arr = float(sd)
            if not sd_arr > 0 or not math.isfinite(sd_arr):
                raise ValueError(f"sd must be a positive number, got {sd!r}")
        if not known_sd and (sizes < 2).any():
            raise ValueError("n: a pilot that estimates the sd needs n >= 2")
    elif design == "binomial":
        if theta.min() < 0 or theta.max() > 1:
            raise ValueError(
                f"binomial pilot: assumption {name!r} must be a proportion in [0, 1] "
                f"(its simulated values range {theta.min():.4g} to {theta.max():.4g})"
            )
    elif not callable(design):
        raise ValueError(f"unknown pilot design {design!r}; use 'normal', 'binomial' or a callable")
    rng_seed = seed if isinstance(seed, int) else 0
    stream = named_stream(rng_seed, f"evsi:{name}")
    z = stream.standard_normal(nb.shape[0])
    u = stream.uniform(size=nb.shape[0])
    counts: dict[int, np.ndarray] | None = None
    if design == "binomial":
        # Nested pilots: the pilot of each size extends the next smaller one in ``sizes``
        # (common random numbers keep the EVSI curve smooth in n).
        brng = named_stream(rng_seed, f"evsi-binomial:{name}")
        counts, running, prev = {}, np.zeros(len(theta)), 0
        for size in sorted(set(sizes.tolist())):
            running = running + brng.binomial(size - prev, theta)
            counts[size], prev = running, size
    total = _evpi_arr(nb)
    limit, _, _, _, _ = _evppi_core(nb, theta[:, None], method=None, seed=rng_seed, se_draws=0)
    limit = min(limit, total)
    inc = nb[:, 1:] - nb[:, [0]]
    current = options[int(np.argmax(nb.mean(axis=0)))]
    rows = []
    for size in sizes:
        gen_rng = named_stream(rng_seed, f"evsi-gen:{name}", int(size))
        t = _pilot_statistic(
            design,
            theta,
            int(size),
            sd=sd_arr,
            known_sd=known_sd,
            z=z,
            u=u,
            rng=gen_rng,
            counts=counts,
        )
        fits, _ = _fit_inputs(t, inc, seed=rng_seed)
        value, se, _ = _voi_from_fits(fits, se_draws, np.random.default_rng(rng_seed))
        value = min(value, total)
        thr, flip = np.nan, ""
        if t.shape[1] == 1:
            cuts = _thresholds(fits, float(t.min()), float(t.max()))
            if cuts:
                thr = cuts[0]
                # which side differs from today's choice
                g_lo = [0.0] + [f.predict(np.array([[t.min()]]))[0] for f in fits]
                flip = "below" if options[int(np.argmax(g_lo))] != current else "above"
        rows.append(
            {
                "n": int(size),
                "evsi": value,
                "se": se,
                "r2": min(f.r2 for f in fits),
                "threshold": thr,
                "flip": flip,
            }
        )
    table = pd.DataFrame(rows).set_index("n")
    return EVSIResult(table, name, dname, limit, total, options, current)
