"""Nonparametric regression behind EVPPI and EVSI (internal to :mod:`salesworkbench.voi`).

Each option's incremental net benefit is regressed on one or more inputs (the assumptions learnt
perfectly for EVPPI, the simulated pilot results for EVSI). :func:`_fit_inputs` picks the fit
by the number of inputs:

- one input: a penalised regression spline (cubic B-splines on quantile knots,
  second-difference penalty), or one indicator per value for an input with few distinct values
  (group means, lightly smoothed by a first-difference penalty);
- two inputs: a tensor-product penalised spline (one penalty per direction);
- three or more: ridge regression on linear terms plus random Fourier features of the inputs'
  rank-normal scores (an approximate Gaussian-process fit whose cost grows linearly with the
  number of simulations).

Every fit chooses its smoothing by generalised cross-validation (GCV) and returns a
:class:`_Fit`: the fitted values, R^2, effective degrees of freedom and an approximate
coefficient covariance (for the standard errors in :mod:`salesworkbench.voi.information`).

:func:`_one_blas_thread` wraps the public entry points (``evppi``, ``evsi``, ``plan_pilots``)
so these small regressions run BLAS on one thread.

Nothing here is public: the names start with ``_`` and are shared only within ``voi``.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse, stats
from scipy.interpolate import BSpline

__all__: list[str] = []

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


# --------------------------------------------------------------------------- bases (1-2 inputs)


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


# --------------------------------------------------------------------------- penalised fit


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


# --------------------------------------------------------------------------- by input count


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
