"""Value of information: is a pilot worth running, on which assumption, and how big.

Works on any probabilistic net-benefit table (rows = simulations, columns = decision options),
so a consultant can bring model runs from anywhere; :func:`plan_pilots` and
:func:`update_after_pilot` add the value-case layer.

Methods
-------
- **EVPI**: ``E[max_k NB_k] - max_k E[NB_k]`` over the simulations.
- **EVPPI** (Strong, Oakley & Brennan 2014, *Med Decis Making* 34:311): regress each option's
  *incremental* net benefit (vs the first option, or vs 0 for a single column) on the named
  inputs; EVPPI = mean of the row-wise max of the fitted values - max of their means. The fit is
  a penalised regression spline (cubic B-splines on quantile knots, second-difference penalty,
  smoothing chosen by generalised cross-validation) for one input, a tensor-product penalised
  spline for two, and for three or more inputs a ridge regression on linear terms plus random
  Fourier features of the rank-normal scores (an approximate Gaussian-process fit that scales
  linearly in the number of simulations), again tuned by GCV. Inputs with few distinct values
  get one indicator per value (group means, lightly smoothed).
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

import contextlib
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize, sparse, stats
from scipy.interpolate import BSpline

from salesworkbench._random import named_stream

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

_DESIGNS = ("normal", "binomial")
#: Without a stated observation sd, a normal pilot's single observation is taken to have this
#: many times the assumption's current sd (today's belief worth about 25 pilot observations).
DEFAULT_SD_FACTOR = 5.0
# design matrices up to this many elements are kept in memory (else rebuilt chunk by chunk)
_CACHE_ELEMENTS = 20_000_000


# --------------------------------------------------------------------------- BLAS threads


def _one_blas_thread(fn):
    """Run ``fn`` with BLAS limited to one thread (if threadpoolctl is installed).

    The regressions here use small matrices (at most ~150 columns); on a busy 2-core machine a
    multi-threaded OpenBLAS spends most of its time waiting for its threads (measured: 10-60x
    slower than one thread), so one thread is both faster and kinder to other work.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - optional speed-up
            ctx = contextlib.nullcontext()
        else:
            ctx = threadpool_limits(limits=1, user_api="blas")
        with ctx:
            return fn(*args, **kwargs)

    return wrapper


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


# --------------------------------------------------------------------------- regression


def _diff_penalty(k: int, order: int) -> np.ndarray:
    if k <= order:
        return np.zeros((k, k))
    d = np.diff(np.eye(k), n=order, axis=0)
    return d.T @ d


@dataclass
class _Marginal:
    """One input's basis: B-spline on quantile knots, or indicators for a discrete input."""

    kind: str
    knots: np.ndarray  # spline knot vector, or the distinct values
    degree: int
    penalty: np.ndarray

    @property
    def size(self) -> int:
        return self.penalty.shape[0]

    def design(self, x: np.ndarray) -> sparse.csr_array:
        """Sparse design matrix (a fixed number of non-zeros per row: 1 or degree + 1)."""
        x = np.asarray(x, dtype=float).reshape(-1)
        n = len(x)
        if self.kind == "discrete":
            pos = np.clip(np.searchsorted(self.knots, x), 0, len(self.knots) - 1)
            # nearest distinct value (x between values only comes from predictions)
            left = np.clip(pos - 1, 0, len(self.knots) - 1)
            pick = np.where(np.abs(self.knots[left] - x) < np.abs(self.knots[pos] - x), left, pos)
            return sparse.csr_array((np.ones(n), pick, np.arange(n + 1)), shape=(n, self.size))
        lo, hi = self.knots[self.degree], self.knots[-self.degree - 1]
        # clipped to the knot span here, so scipy's (slow, pure-Python) bounds check is off
        b = BSpline.design_matrix(np.clip(x, lo, hi), self.knots, self.degree, extrapolate=True)
        return sparse.csr_array(b)


def _row_kron(a: sparse.csr_array, b: sparse.csr_array) -> sparse.csr_array:
    """Row-wise Kronecker product of two designs with fixed non-zeros per row (tensor basis)."""
    n = a.shape[0]
    ka, kb = a.nnz // n, b.nnz // n
    data = (a.data.reshape(n, ka)[:, :, None] * b.data.reshape(n, kb)[:, None, :]).ravel()
    idx = (
        a.indices.reshape(n, ka)[:, :, None] * b.shape[1] + b.indices.reshape(n, kb)[:, None, :]
    ).ravel()
    return sparse.csr_array(
        (data, idx, np.arange(0, n * ka * kb + 1, ka * kb)), shape=(n, a.shape[1] * b.shape[1])
    )


def _crossprod(x) -> np.ndarray:
    """X'X as a dense array (sparse product for sparse designs: measured fastest)."""
    return _dense(x.T @ x)


def _dense(m) -> np.ndarray:
    return m.toarray() if sparse.issparse(m) else np.asarray(m)


def _marginal(x: np.ndarray, n_knots: int) -> _Marginal:
    values = np.unique(x)
    if len(values) <= max(n_knots + 4, 12):
        return _Marginal("discrete", values, 0, _diff_penalty(len(values), 1))
    inner = np.unique(np.quantile(x, np.linspace(0.0, 1.0, n_knots + 2)))
    degree = 3
    t = np.r_[[inner[0]] * degree, inner, [inner[-1]] * degree]
    k = len(t) - degree - 1
    return _Marginal("spline", t, degree, _diff_penalty(k, 2))


@dataclass
class _Fit:
    """A fitted penalised regression of one response on the design ``design_fn(train_x)``."""

    design_fn: Callable[[np.ndarray], np.ndarray]
    train_x: np.ndarray
    coef: np.ndarray
    intercept: float
    fitted: np.ndarray
    r2: float
    edf: float
    cov_factor: np.ndarray  # L with Cov(coef) ~= L @ L.T
    design: np.ndarray | None = None  # design matrix at train_x, kept when small enough

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.design_fn(np.asarray(x, dtype=float)) @ self.coef + self.intercept


def _gram(design_fn, x: np.ndarray, y: np.ndarray, chunk: int):
    """X'X and X'Y, built in chunks of rows to bound memory."""
    xtx = 0.0
    xty = 0.0
    for start in range(0, len(x), chunk):
        xb = design_fn(x[start : start + chunk])
        xtx = xtx + _crossprod(xb)
        xty = xty + np.asarray(xb.T @ y[start : start + chunk])
    return np.asarray(xtx), np.asarray(xty)


def _penalised_fit(
    design_fn: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    penalties: Sequence[np.ndarray],
    *,
    chunk: int = 20_000,
) -> list[_Fit]:
    """Fit each column of ``y`` by penalised least squares, smoothing chosen by GCV.

    With ``X'X = R'R`` and ``R^-T P R^-1 = U diag(s) U'``, the fit for every smoothing
    parameter ``lam`` is diagonal in ``U``, so the GCV score is evaluated on a fine grid of
    ``lam`` at almost no cost. Two penalties (tensor product) add an outer grid over their
    ratio.
    """
    n = len(x)
    ym = y.mean(axis=0)
    ys = y.std(axis=0)
    ys = np.where(ys > 0, ys, 1.0)
    yz = (y - ym) / ys
    first = design_fn(x[:chunk])
    full = None
    if n <= chunk:
        full = first
    elif sparse.issparse(first):  # a few non-zeros per row: the whole design is small
        full = design_fn(x)
    elif n * first.shape[1] <= _CACHE_ELEMENTS:
        full = np.concatenate(
            [first] + [design_fn(x[s0 : s0 + chunk]) for s0 in range(chunk, n, chunk)]
        )
    if full is not None:
        xtx, xty = _crossprod(full), np.asarray(full.T @ yz)
    else:
        xtx, xty = _gram(design_fn, x, yz, chunk)
    yty = (yz**2).sum(axis=0)
    k = xtx.shape[0]
    scale = np.trace(xtx) / k
    r = np.linalg.cholesky(xtx + 1e-9 * scale * np.eye(k)).T  # upper: xtx ~= r.T @ r
    r_inv = linalg.solve_triangular(r, np.eye(k), lower=False)
    pens = [p * scale / max(np.trace(p) / k, 1e-300) for p in penalties]
    ratios = [None] if len(pens) == 1 else list(10.0 ** np.linspace(-3, 3, 13))
    lams = 10.0 ** np.linspace(-8, 6, 141)
    best: list[tuple | None] = [None] * y.shape[1]
    for ratio in ratios:
        pen = pens[0] if ratio is None else pens[0] + ratio * pens[1]
        m = r_inv.T @ pen @ r_inv
        s, u = np.linalg.eigh(0.5 * (m + m.T))
        s = np.clip(s, 0.0, None)
        q = u.T @ (r_inv.T @ xty)  # k x m
        shrink = 1.0 / (1.0 + lams[:, None] * s[None, :])  # L x k
        edf = shrink.sum(axis=1)
        ok = edf < n - 1
        for j in range(y.shape[1]):
            q2 = q[:, j] ** 2
            rss = np.maximum(yty[j] - 2 * shrink @ q2 + shrink**2 @ q2, 0.0)
            gcv = np.where(ok, n * rss / np.maximum(n - edf, 1.0) ** 2, np.inf)
            i = int(np.argmin(gcv))
            if best[j] is None or gcv[i] < best[j][0]:
                best[j] = (gcv[i], lams[i], u, s, q[:, j], edf[i], rss[i])
    fits = []
    for j in range(y.shape[1]):
        _, lam, u, s, qj, edf, rss = best[j]
        shrink = 1.0 / (1.0 + lam * s)
        coef = r_inv @ (u @ (shrink * qj)) * ys[j]
        sigma = math.sqrt(rss / max(n - edf, 1.0)) * ys[j]
        cov_factor = sigma * (r_inv @ (u * np.sqrt(shrink)))
        if full is not None:
            fitted = full @ coef + ym[j]
        else:
            fitted = (
                np.concatenate([design_fn(x[s0 : s0 + chunk]) @ coef for s0 in range(0, n, chunk)])
                + ym[j]
            )
        r2 = 1.0 - rss / yty[j] if yty[j] > 0 else 0.0
        fits.append(
            _Fit(design_fn, x, coef, float(ym[j]), fitted, float(r2), float(edf), cov_factor, full)
        )
    return fits


def _fit_inputs(
    x: np.ndarray, y: np.ndarray, *, method: str | None = None, seed: int = 0
) -> tuple[list[_Fit], str]:
    """Regress every column of ``y`` on the columns of ``x``; return fits and method name."""
    n, d = x.shape
    if method is None:
        method = "spline" if d == 1 else "tensor" if d == 2 else "rff"
    if method == "spline":
        if d != 1:
            raise ValueError(f"method 'spline' takes one input, got {d}")
        m = _marginal(x[:, 0], int(np.clip(n // 300, 8, 25)))
        fits = _penalised_fit(m.design, x, y, [m.penalty])
        return fits, "penalised spline (GCV)" if m.kind == "spline" else "group means (GCV)"
    if method == "tensor":
        if d != 2:
            raise ValueError(f"method 'tensor' takes two inputs, got {d}")
        kk = int(np.clip(n // 2000, 5, 8))
        m1, m2 = _marginal(x[:, 0], kk), _marginal(x[:, 1], kk)
        p1 = np.kron(m1.penalty, np.eye(m2.size))
        p2 = np.kron(np.eye(m1.size), m2.penalty)

        def design(xx):
            xx = np.atleast_2d(xx)
            return _row_kron(m1.design(xx[:, 0]), m2.design(xx[:, 1]))

        return _penalised_fit(design, x, y, [p1, p2], chunk=10_000), "tensor spline (GCV)"
    if method == "rff":
        return _fit_rff(x, y, seed=seed), "random-feature ridge (GCV)"
    raise ValueError(f"unknown method {method!r}; use 'spline', 'tensor' or 'rff'")


def _fit_rff(x: np.ndarray, y: np.ndarray, *, seed: int = 0, features: int = 150) -> list[_Fit]:
    """Ridge on linear terms + random Fourier features of the inputs' rank-normal scores.

    An approximation of a Gaussian-process regression (squared-exponential kernel) whose cost
    grows linearly with the number of simulations. The length-scale is picked among three by
    GCV on at most 20,000 simulations, then the model is fitted to all of them.
    """
    n, d = x.shape
    sorted_cols = [np.sort(x[:, j]) for j in range(d)]

    def zscore(xx: np.ndarray) -> np.ndarray:
        xx = np.atleast_2d(xx)
        out = np.empty(xx.shape)
        for j in range(d):
            lo = np.searchsorted(sorted_cols[j], xx[:, j], side="left")
            hi = np.searchsorted(sorted_cols[j], xx[:, j], side="right")
            out[:, j] = stats.norm.ppf(np.clip((lo + hi) / (2 * n), 0.5 / n, 1 - 0.5 / n))
        return out

    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((d, features))
    b0 = rng.uniform(0, 2 * np.pi, features)
    pen = np.zeros((1 + d + features, 1 + d + features))
    pen[1 + d :, 1 + d :] = np.eye(features)

    def make_design(ell: float):
        w = w0 / ell

        def design(xx):
            z = zscore(xx)
            return np.column_stack(
                [np.ones(len(z)), z, math.sqrt(2.0 / features) * np.cos(z @ w + b0)]
            )

        return design

    sub = np.arange(n) if n <= 20_000 else rng.choice(n, 20_000, replace=False)
    best = None
    for ell in (0.5 * math.sqrt(d), 1.0 * math.sqrt(d), 2.0 * math.sqrt(d)):
        fits = _penalised_fit(make_design(ell), x[sub], y[sub], [pen])
        score = sum(1.0 - f.r2 for f in fits)
        if best is None or score < best[0]:
            best = (score, ell)
    return _penalised_fit(make_design(best[1]), x, y, [pen])


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

    def to_series(self) -> pd.Series:
        """One-row summary: evppi, se, evpi, min R^2, method."""
        return pd.Series(
            {
                "evppi": self.value,
                "se": self.se,
                "evpi": self.evpi,
                "r2": min(self.r2.values()) if self.r2 else np.nan,
                "method": self.method,
            },
            name=" + ".join(self.names),
        )


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
        decision differs from today's).
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


# --------------------------------------------------------------------------- after the pilot


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
    table : DataFrame
        Before/after: mean NPV, mean value, P(value > 0), decision.
    decision_changed : bool
    """

    case: Any
    name: str
    prior: dict
    posterior: dict
    table: pd.DataFrame
    decision_changed: bool


def update_after_pilot(
    case: Any,
    name: str,
    observed: float,
    n: int,
    design: str = "normal",
    sd: float | None = None,
    *,
    trials: int = 20_000,
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
    trials, seed : int
        For the re-simulation (the same for before and after).

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


# --------------------------------------------------------------------------- plan for a case


def n_grid(max_n: int, points: int = 24) -> np.ndarray:
    """Pilot sizes from 2 to ``max_n``, roughly evenly spaced on a log scale."""
    if not (isinstance(max_n, int | np.integer) and max_n >= 2):
        raise ValueError(f"max_n must be a whole number >= 2, got {max_n!r}")
    return np.unique(np.round(np.geomspace(2, max_n, points)).astype(int))


@_one_blas_thread
def plan_pilots(
    case: Any,
    trials: int = 20_000,
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
    trials, seed : int
        Simulation size and seed (net benefit = the case's NPV vs do nothing).
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
        One row per uncertain assumption, ranked by ENBS then EVPPI, columns: ``unit``,
        ``evppi``, ``evppi_se``, ``r2``, ``design``, ``sd``, ``optimal_n``, ``evsi``, ``cost``,
        ``enbs``, ``threshold``, ``flip``, ``recommendation``. Attributes ``.attrs`` hold
        ``evpi``, ``current_decision`` and ``prob_value_positive``.
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
    plan = pd.DataFrame(rows, columns=cols)
    plan["_rank"] = plan["enbs"].fillna(-np.inf)
    plan = plan.sort_values(["_rank", "evppi"], ascending=False).drop(columns="_rank")
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
