"""Probability distributions for value-case assumptions.

Every assumption in a value case is a :class:`Distribution` built from its YAML mapping by
:func:`make_distribution`, which validates the parameters and names the assumption and key in
any error. Sampling is *inverse-transform*: uniforms are pushed through the quantile function
(:meth:`Distribution.ppf`). That keeps name-keyed random streams, Iman-Conover rank
correlation and quasi-Monte Carlo (Sobol points) simple: they all just supply the uniforms.

Kinds and their keys
--------------------
``fixed(value)``, ``uniform(min, max)``, ``triangular(min, mode, max)``,
``pert(min, mode, max[, lambda=4])``, ``normal(mean, sd)``, ``lognormal(p10, p90)`` or
``lognormal(mean, sd)``, ``beta(alpha, beta[, min=0, max=1])``, ``bernoulli(p)``,
``discrete(values, probs)``, ``percentiles(p10, p50, p90)``.

``percentiles`` fits elicited P10/P50/P90: a normal when they are symmetric (P90 - P50 equal to
P50 - P10 within 1e-9 relative), otherwise a three-parameter (shifted) lognormal, mirrored
when the long tail is on the left. The shifted lognormal reproduces all three quantiles
*exactly* (closed form: with ``r = (P90 - P50) / (P50 - P10)`` the log-sd is
``ln(r) / z90``), so no least-squares compromise is needed; note its finite end (the shift)
can fall below zero for strongly skewed inputs.

The most likely value (used by :meth:`ValueCase.base_case`) is the mode where one is defined
(triangular, PERT, normal, lognormal, beta with both shapes > 1, the likeliest value of a
discrete or Bernoulli assumption) and the median otherwise (uniform). For ``percentiles`` it is
the elicited P50: that is the number the expert gave as their best guess.

PERT and beta quantiles use scipy's UNU.RAN fast numerical inversion
(:class:`scipy.stats.sampling.NumericalInversePolynomial`, u-resolution 1e-12) for arrays of
20,000 or more values, which is about 50 times faster than the exact ``betaincinv``; smaller
arrays (and shapes outside [1, 10]) use the exact inverse.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import special, stats

from salesworkbench.errors import ValueCaseError

__all__ = [
    "DISTRIBUTIONS",
    "JUDGEMENT_KEYS",
    "MIXTURE_COMPONENT_KINDS",
    "Distribution",
    "make_distribution",
]

#: Parameter keys per kind: (required, optional).
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fixed": (("value",), ()),
    "uniform": (("min", "max"), ()),
    "triangular": (("min", "mode", "max"), ()),
    "pert": (("min", "mode", "max"), ("lambda",)),
    "normal": (("mean", "sd"), ()),
    "lognormal": ((), ("p10", "p90", "mean", "sd")),
    "beta": (("alpha", "beta"), ("min", "max")),
    "bernoulli": (("p",), ()),
    "discrete": (("values", "probs"), ()),
    "percentiles": (("p10", "p50", "p90"), ()),
    "gamma": (("shape", "scale"), ()),
    "weibull": (("shape", "scale"), ()),
    "mixture": (("components",), ("weights",)),
    "pooled": (("judgements",), ()),
}
#: Kinds a mixture component (or a pooled judgement) may have: continuous, not nested.
MIXTURE_COMPONENT_KINDS = (
    "uniform",
    "triangular",
    "pert",
    "normal",
    "lognormal",
    "beta",
    "percentiles",
    "gamma",
    "weibull",
)
#: Keys of one expert's judgement in a ``pooled`` assumption.
JUDGEMENT_KEYS = ("expert", "p10", "p50", "p90", "weight")
_PARAM_KEYS = {k for req, opt in DISTRIBUTIONS.values() for k in (*req, *opt)}
_Z90 = float(special.ndtri(0.9))
_PINV_MIN_SIZE = 20_000
_PINV_RESOLUTION = 1e-12


class _BetaPdf:
    """Standard beta density in pure Python (fast scalar calls for UNU.RAN set-up)."""

    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = a, b
        self.lbeta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    def pdf(self, x: float) -> float:
        if x <= 0.0 or x >= 1.0:
            return 0.0
        return math.exp((self.a - 1) * math.log(x) + (self.b - 1) * math.log1p(-x) - self.lbeta)

    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)


class Distribution:
    """A validated, frozen distribution for one assumption.

    Parameters
    ----------
    kind : str
        One of :data:`DISTRIBUTIONS`.
    spec : dict
        The YAML mapping it was built from (``dist`` plus parameters, no unit/source).
    frozen : scipy frozen distribution or None
        Used for moments (and quantiles unless a faster exact form exists).
    """

    def __init__(
        self,
        kind: str,
        spec: dict,
        frozen: Any = None,
        *,
        value: float | None = None,
        support: tuple[np.ndarray, np.ndarray] | None = None,
        mirror: bool = False,
        mode: float | None = None,
        loc: float = 0.0,
        scale: float = 1.0,
        beta_shapes: tuple[float, float] | None = None,
        components: tuple[list[Distribution], np.ndarray] | None = None,
    ) -> None:
        self.kind = kind
        self.spec = spec
        self.frozen = frozen
        self._value = value
        self._support = support  # discrete: (sorted values, cumulative probs)
        self._mirror = mirror
        self._mode = mode
        self._loc = loc
        self._scale = scale
        self._beta_shapes = beta_shapes
        self._components = components  # mixture: (distributions, weights summing to 1)
        self._pinv: Any = None

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.spec.items() if k != "dist")
        return f"Distribution({self.kind}: {params})"

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_pinv"] = None  # rebuilt on demand in the receiving process
        return state

    @property
    def is_fixed(self) -> bool:
        """True when the assumption has a single value (no uncertainty)."""
        return self.kind == "fixed"

    # ----------------------------------------------------------------- quantiles
    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        """Quantile function, vectorised over ``q`` in [0, 1]."""
        q = np.asarray(q, dtype=float)
        kind = self.kind
        if kind == "fixed":
            return np.full(q.shape, self._value, dtype=float)
        if kind == "uniform":
            return self._loc + self._scale * q
        if kind == "normal" or (kind == "percentiles" and self.frozen.dist.name == "norm"):
            return self._loc + self._scale * special.ndtri(q)
        if kind == "triangular":
            return self._triangular_ppf(q)
        if self._beta_shapes is not None:
            return self._loc + self._scale * self._beta_ppf(q)
        if self._support is not None:
            values, cum = self._support
            idx = np.searchsorted(cum, q, side="left")
            return values[np.minimum(idx, len(values) - 1)]
        if self._components is not None:
            return self._mixture_ppf(q)
        if self._mirror:
            return -self.frozen.ppf(1.0 - q)
        return self.frozen.ppf(q)

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        """Cumulative distribution function, vectorised over ``x``."""
        x = np.asarray(x, dtype=float)
        if self.kind == "fixed":
            return (x >= self._value).astype(float)
        if self._support is not None:
            values, cum = self._support
            idx = np.searchsorted(values, x, side="right")
            return np.where(idx > 0, np.concatenate([[0.0], cum])[idx], 0.0)
        if self._components is not None:
            comps, w = self._components
            return sum(wi * c.cdf(x) for c, wi in zip(comps, w, strict=True))
        if self._mirror:
            return self.frozen.sf(-x)
        return self.frozen.cdf(x)

    def pdf(self, x: np.ndarray | float) -> np.ndarray:
        """Probability density (continuous kinds only), vectorised over ``x``."""
        x = np.asarray(x, dtype=float)
        if self.kind == "fixed" or self._support is not None:
            raise ValueCaseError(f"a {self.kind} distribution has no density")
        if self._components is not None:
            comps, w = self._components
            return sum(wi * c.pdf(x) for c, wi in zip(comps, w, strict=True))
        if self._mirror:
            return self.frozen.pdf(-x)
        return self.frozen.pdf(x)

    def _mixture_ppf(self, q: np.ndarray) -> np.ndarray:
        """Quantiles of a mixture: vectorised safeguarded Newton on the mixture CDF.

        The mixture's q-quantile lies between the smallest and the largest component
        q-quantile (the mixture CDF there is at most, and at least, q), which brackets every
        root; Newton steps that leave the bracket (or meet a flat stretch) are replaced by
        bisection. Converges to ``|F(x) - q| <= 1e-12`` or a bracket of 1e-13 relative width.
        """
        comps, w = self._components
        shape = q.shape
        qf = q.ravel()
        cq = np.stack([c.ppf(qf) for c in comps])
        lo, hi = cq.min(axis=0), cq.max(axis=0)
        x = np.clip(w @ np.where(np.isfinite(cq), cq, 0.0), lo, hi)  # weighted start
        x = np.where(qf <= 0, lo, np.where(qf >= 1, hi, x))
        active = np.flatnonzero((hi > lo) & np.isfinite(lo) & np.isfinite(hi))
        for _ in range(100):
            if active.size == 0:
                break
            xa, qa = x[active], qf[active]
            err = self.cdf(xa) - qa
            la, ha = lo[active], hi[active]
            la = np.where(err < 0, xa, la)
            ha = np.where(err > 0, xa, ha)
            lo[active], hi[active] = la, ha
            dens = self.pdf(xa)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = xa - err / dens
            ok = np.isfinite(step) & (step > la) & (step < ha)
            new = np.where(ok, step, 0.5 * (la + ha))
            x[active] = new
            width = ha - la
            scale = np.maximum(np.abs(new), 1e-300)
            done = (np.abs(err) <= 1e-12) | (width <= 1e-13 * scale)
            if done.all():
                x[active] = np.where(np.abs(err) <= 1e-12, xa, new)
                break
            x[active[done]] = np.where(np.abs(err[done]) <= 1e-12, xa[done], new[done])
            active = active[~done]
        return x.reshape(shape)

    def _triangular_ppf(self, q: np.ndarray) -> np.ndarray:
        a, c = self._loc, self._loc + self._scale
        m = self._mode
        width = c - a
        fc = (m - a) / width
        left = a + np.sqrt(q * width * (m - a))
        right = c - np.sqrt((1.0 - q) * width * (c - m))
        return np.where(q < fc, left, right)

    def _beta_ppf(self, q: np.ndarray) -> np.ndarray:
        a, b = self._beta_shapes
        # UNU.RAN's set-up is fast and accurate for shapes above 2, but for a shape at or below 2
        # with a skewed partner (e.g. PERT (4.2, 1.8)) it can spend a minute and then fail:
        # those shapes use the exact inverse (slower per draw, never stuck).
        if q.size >= _PINV_MIN_SIZE and 2.0 < a <= 10.0 and 2.0 < b <= 10.0:
            if self._pinv is None:
                self._pinv = _make_pinv(a, b)
            if self._pinv is not False:
                return self._pinv.ppf(q)
        return special.betaincinv(a, b, q)

    def rvs(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``size`` values by pushing ``rng.random(size)`` through :meth:`ppf`."""
        return self.ppf(rng.random(size))

    # ----------------------------------------------------------------- moments
    def mean(self) -> float:
        """Expected value."""
        if self.kind == "fixed":
            return float(self._value)
        if self._support is not None:
            values, probs = self._discrete_pmf()
            return float(np.dot(values, probs))
        if self._components is not None:
            comps, w = self._components
            return float(sum(wi * c.mean() for c, wi in zip(comps, w, strict=True)))
        m = float(self.frozen.mean())
        return -m if self._mirror else m

    def sd(self) -> float:
        """Standard deviation."""
        if self.kind == "fixed":
            return 0.0
        if self._support is not None:
            values, probs = self._discrete_pmf()
            mu = np.dot(values, probs)
            return float(np.sqrt(np.dot((values - mu) ** 2, probs)))
        if self._components is not None:
            comps, w = self._components
            mu = self.mean()
            second = sum(wi * (c.sd() ** 2 + c.mean() ** 2) for c, wi in zip(comps, w, strict=True))
            return float(math.sqrt(max(second - mu**2, 0.0)))
        return float(self.frozen.std())

    def median(self) -> float:
        """Median (0.5 quantile)."""
        if self.kind == "fixed":
            return float(self._value)
        if self.kind == "percentiles":
            return float(self.spec_number("p50"))
        return float(self.ppf(np.array([0.5]))[0])

    def most_likely(self) -> float:
        """Mode where defined, else the median (see module notes)."""
        if self._mode is not None:
            return float(self._mode)
        return self.median()

    def _discrete_pmf(self) -> tuple[np.ndarray, np.ndarray]:
        values, cum = self._support
        return values, np.diff(np.concatenate([[0.0], cum]))

    def spec_number(self, key: str) -> float:
        """A numeric parameter of :attr:`spec` as float."""
        return float(self.spec[key])


@functools.lru_cache(maxsize=64)
def _make_pinv(a: float, b: float) -> Any:
    """UNU.RAN inverse of the standard Beta(a, b) (cached: sliders revisit the same shapes)."""
    from scipy.stats.sampling import NumericalInversePolynomial

    center = (a - 1) / (a + b - 2) if a + b > 2 else 0.5
    center = min(max(center, 1e-6), 1 - 1e-6)
    try:
        return NumericalInversePolynomial(
            _BetaPdf(a, b), u_resolution=_PINV_RESOLUTION, center=center
        )
    except Exception:  # UNU.RAN could not set up: fall back to the exact inverse
        return False


# --------------------------------------------------------------------------- building
def _number(spec: Mapping, key: str, name: str) -> float:
    if key not in spec:
        raise ValueCaseError(f"assumption {name!r}: missing key {key!r}")
    return _as_number(spec[key], f"assumption {name!r}: {key!r}")


def _as_number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or raw is None:
        raise ValueCaseError(f"{where} must be a number, got {raw!r}")
    if isinstance(raw, numbers.Real):
        x = float(raw)
    elif isinstance(raw, str):
        # YAML 1.1 reads "1e6" (no dot) as a string; accept any numeric text.
        try:
            x = float(raw.replace("_", ""))
        except ValueError:
            raise ValueCaseError(f"{where} must be a number, got {raw!r}") from None
    else:
        raise ValueCaseError(f"{where} must be a number, got {raw!r}")
    if not math.isfinite(x):
        raise ValueCaseError(f"{where} must be a finite number, got {raw!r}")
    return x


def _check_order(name: str, a: float, m: float, c: float) -> None:
    if not a <= m:
        raise ValueCaseError(f"assumption {name!r}: min ({a:g}) must be <= mode ({m:g})")
    if not m <= c:
        raise ValueCaseError(f"assumption {name!r}: mode ({m:g}) must be <= max ({c:g})")
    if not a < c:
        raise ValueCaseError(
            f"assumption {name!r}: min ({a:g}) must be < max ({c:g}); "
            "use dist: fixed for a known value"
        )


def make_distribution(spec: Mapping | float | int, name: str) -> Distribution:
    """Build and validate the distribution for assumption ``name`` from its YAML mapping.

    Parameters
    ----------
    spec : mapping or number
        ``{"dist": kind, <parameters>}``; ``unit``, ``source`` and keys that are no
        distribution parameter are ignored here (the value case keeps them). A bare number is
        a fixed value.
    name : str
        The assumption's name, used in error messages.

    Returns
    -------
    Distribution

    Raises
    ------
    ValueCaseError
        Naming the assumption and the key at fault (unknown dist, missing key, non-numeric
        value, min > mode, sd <= 0, probabilities not summing to 1, ...).
    """
    if not isinstance(spec, Mapping):
        if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
            spec = {"dist": "fixed", "value": spec}
        else:
            raise ValueCaseError(
                f"assumption {name!r}: expected a mapping such as "
                f"{{dist: pert, min: ..., mode: ..., max: ...}} or a number, got {spec!r}"
            )
    if "dist" not in spec:
        raise ValueCaseError(
            f"assumption {name!r}: missing key 'dist' (one of {', '.join(DISTRIBUTIONS)})"
        )
    kind = spec["dist"]
    if not isinstance(kind, str) or kind.lower() not in DISTRIBUTIONS:
        raise ValueCaseError(
            f"assumption {name!r}: unknown dist {kind!r}; known: {', '.join(DISTRIBUTIONS)}"
        )
    kind = kind.lower()
    required, optional = DISTRIBUTIONS[kind]
    stray = [k for k in spec if k in _PARAM_KEYS and k not in required and k not in optional]
    if stray:
        raise ValueCaseError(
            f"assumption {name!r}: key {stray[0]!r} does not apply to dist {kind!r} "
            f"(its keys: {', '.join((*required, *optional))})"
        )
    params = {"dist": spec["dist"]}
    params.update({k: spec[k] for k in (*required, *optional) if k in spec})
    builder = _BUILDERS[kind]
    return builder(params, name)


def _fixed(p: dict, name: str) -> Distribution:
    v = _number(p, "value", name)
    return Distribution("fixed", p, None, value=v, mode=v)


def _uniform(p: dict, name: str) -> Distribution:
    a, c = _number(p, "min", name), _number(p, "max", name)
    if not a < c:
        raise ValueCaseError(f"assumption {name!r}: min ({a:g}) must be < max ({c:g})")
    return Distribution("uniform", p, stats.uniform(a, c - a), loc=a, scale=c - a)


def _triangular(p: dict, name: str) -> Distribution:
    a, m, c = (_number(p, k, name) for k in ("min", "mode", "max"))
    _check_order(name, a, m, c)
    frozen = stats.triang((m - a) / (c - a), loc=a, scale=c - a)
    return Distribution("triangular", p, frozen, mode=m, loc=a, scale=c - a)


def _pert(p: dict, name: str) -> Distribution:
    a, m, c = (_number(p, k, name) for k in ("min", "mode", "max"))
    lam = _number(p, "lambda", name) if "lambda" in p else 4.0
    _check_order(name, a, m, c)
    if not lam > 0:
        raise ValueCaseError(f"assumption {name!r}: lambda ({lam:g}) must be > 0")
    alpha = 1 + lam * (m - a) / (c - a)
    beta = 1 + lam * (c - m) / (c - a)
    frozen = stats.beta(alpha, beta, loc=a, scale=c - a)
    return Distribution("pert", p, frozen, mode=m, loc=a, scale=c - a, beta_shapes=(alpha, beta))


def _normal(p: dict, name: str) -> Distribution:
    mu, sd = _number(p, "mean", name), _number(p, "sd", name)
    if not sd > 0:
        raise ValueCaseError(f"assumption {name!r}: sd ({sd:g}) must be > 0")
    return Distribution("normal", p, stats.norm(mu, sd), mode=mu, loc=mu, scale=sd)


def _lognormal(p: dict, name: str) -> Distribution:
    if "p10" in p or "p90" in p:
        if "mean" in p or "sd" in p:
            raise ValueCaseError(
                f"assumption {name!r}: give either p10 and p90 or mean and sd, not both"
            )
        lo, hi = _number(p, "p10", name), _number(p, "p90", name)
        if not 0 < lo:
            raise ValueCaseError(f"assumption {name!r}: p10 ({lo:g}) must be > 0")
        if not lo < hi:
            raise ValueCaseError(f"assumption {name!r}: p10 ({lo:g}) must be < p90 ({hi:g})")
        mu = 0.5 * (math.log(lo) + math.log(hi))
        sigma = (math.log(hi) - math.log(lo)) / (2 * _Z90)
    elif "mean" in p or "sd" in p:
        mean, sd = _number(p, "mean", name), _number(p, "sd", name)
        if not mean > 0:
            raise ValueCaseError(f"assumption {name!r}: mean ({mean:g}) must be > 0")
        if not sd > 0:
            raise ValueCaseError(f"assumption {name!r}: sd ({sd:g}) must be > 0")
        sigma = math.sqrt(math.log1p((sd / mean) ** 2))
        mu = math.log(mean) - 0.5 * sigma**2
    else:
        raise ValueCaseError(f"assumption {name!r}: missing key 'p10' and 'p90' (or mean, sd)")
    frozen = stats.lognorm(sigma, scale=math.exp(mu))
    return Distribution("lognormal", p, frozen, mode=math.exp(mu - sigma**2))


def _beta(p: dict, name: str) -> Distribution:
    a, b = _number(p, "alpha", name), _number(p, "beta", name)
    lo = _number(p, "min", name) if "min" in p else 0.0
    hi = _number(p, "max", name) if "max" in p else 1.0
    for key, v in (("alpha", a), ("beta", b)):
        if not v > 0:
            raise ValueCaseError(f"assumption {name!r}: {key} ({v:g}) must be > 0")
    if not lo < hi:
        raise ValueCaseError(f"assumption {name!r}: min ({lo:g}) must be < max ({hi:g})")
    mode = lo + (hi - lo) * (a - 1) / (a + b - 2) if a > 1 and b > 1 else None
    frozen = stats.beta(a, b, loc=lo, scale=hi - lo)
    return Distribution("beta", p, frozen, mode=mode, loc=lo, scale=hi - lo, beta_shapes=(a, b))


def _discrete_support(
    values: np.ndarray, probs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    order = np.argsort(values, kind="stable")
    v, pr = values[order], probs[order]
    # merge repeated values
    uniq, inv = np.unique(v, return_inverse=True)
    pm = np.bincount(inv, weights=pr)
    cum = np.cumsum(pm)
    cum[-1] = 1.0
    mode = float(values[int(np.argmax(probs))])
    return uniq, cum, mode


def _bernoulli(p: dict, name: str) -> Distribution:
    prob = _number(p, "p", name)
    if not 0 <= prob <= 1:
        raise ValueCaseError(f"assumption {name!r}: p ({prob:g}) must be between 0 and 1")
    values, cum, _ = _discrete_support(np.array([0.0, 1.0]), np.array([1 - prob, prob]))
    mode = 1.0 if prob > 0.5 else 0.0
    return Distribution("bernoulli", p, stats.bernoulli(prob), support=(values, cum), mode=mode)


def _discrete(p: dict, name: str) -> Distribution:
    for key in ("values", "probs"):
        if key not in p:
            raise ValueCaseError(f"assumption {name!r}: missing key {key!r}")
        if isinstance(p[key], str | bytes) or not hasattr(p[key], "__len__"):
            raise ValueCaseError(f"assumption {name!r}: {key!r} must be a list of numbers")
    values = np.array(
        [_as_number(v, f"assumption {name!r}: 'values'[{i}]") for i, v in enumerate(p["values"])]
    )
    probs = np.array(
        [_as_number(v, f"assumption {name!r}: 'probs'[{i}]") for i, v in enumerate(p["probs"])]
    )
    if len(values) == 0:
        raise ValueCaseError(f"assumption {name!r}: 'values' is empty")
    if len(values) != len(probs):
        raise ValueCaseError(
            f"assumption {name!r}: 'values' has {len(values)} entries but 'probs' has {len(probs)}"
        )
    if (probs < 0).any():
        raise ValueCaseError(f"assumption {name!r}: 'probs' must not be negative")
    total = probs.sum()
    if abs(total - 1.0) > 1e-6:
        raise ValueCaseError(f"assumption {name!r}: 'probs' sum to {total:g}, not 1")
    uniq, cum, mode = _discrete_support(values, probs)
    pmf = np.diff(np.concatenate([[0.0], cum]))
    frozen = stats.rv_discrete(values=(uniq, pmf)) if len(uniq) > 1 else None
    return Distribution("discrete", p, frozen, support=(uniq, cum), mode=mode)


def _percentiles(p: dict, name: str) -> Distribution:
    lo, mid, hi = (_number(p, k, name) for k in ("p10", "p50", "p90"))
    if not lo < mid:
        raise ValueCaseError(f"assumption {name!r}: p10 ({lo:g}) must be < p50 ({mid:g})")
    if not mid < hi:
        raise ValueCaseError(f"assumption {name!r}: p50 ({mid:g}) must be < p90 ({hi:g})")
    up, down = hi - mid, mid - lo
    if abs(up - down) <= 1e-9 * max(abs(up), abs(down)):
        sd = (hi - lo) / (2 * _Z90)
        return Distribution("percentiles", p, stats.norm(mid, sd), mode=mid, loc=mid, scale=sd)
    ratio = up / down
    if ratio > 1:  # long right tail: X = shift + exp(mu + sigma Z)
        sigma = math.log(ratio) / _Z90
        scale = up / (math.exp(sigma * _Z90) - 1)
        shift = mid - scale
        frozen = stats.lognorm(sigma, loc=shift, scale=scale)
        return Distribution("percentiles", p, frozen, mode=mid)
    # long left tail: -X is a shifted lognormal
    sigma = math.log(1 / ratio) / _Z90
    scale = down / (math.exp(sigma * _Z90) - 1)
    shift = -mid - scale
    frozen = stats.lognorm(sigma, loc=shift, scale=scale)
    return Distribution("percentiles", p, frozen, mirror=True, mode=mid)


def _gamma_like(kind: str, p: dict, name: str) -> Distribution:
    k, theta = _number(p, "shape", name), _number(p, "scale", name)
    for key, v in (("shape", k), ("scale", theta)):
        if not v > 0:
            raise ValueCaseError(f"assumption {name!r}: {key} ({v:g}) must be > 0")
    if kind == "gamma":
        frozen = stats.gamma(k, scale=theta)
        mode = (k - 1) * theta if k >= 1 else 0.0
    else:
        frozen = stats.weibull_min(k, scale=theta)
        mode = theta * ((k - 1) / k) ** (1 / k) if k > 1 else 0.0
    return Distribution(kind, p, frozen, mode=mode)


def _gamma(p: dict, name: str) -> Distribution:
    return _gamma_like("gamma", p, name)


def _weibull(p: dict, name: str) -> Distribution:
    return _gamma_like("weibull", p, name)


def _weights(raw: Any, n: int, where: str) -> np.ndarray:
    if isinstance(raw, str | bytes) or not hasattr(raw, "__len__"):
        raise ValueCaseError(f"{where} must be a list of numbers, got {raw!r}")
    if len(raw) != n:
        raise ValueCaseError(f"{where} has {len(raw)} entries but there are {n} components")
    w = np.array([_as_number(v, f"{where}[{i}]") for i, v in enumerate(raw)])
    if (w < 0).any():
        raise ValueCaseError(f"{where} must not be negative, got {list(raw)}")
    if not w.sum() > 0:
        raise ValueCaseError(f"{where} must not all be zero")
    return w / w.sum()


def _mixture(p: dict, name: str) -> Distribution:
    raw = p["components"]
    if isinstance(raw, str | bytes) or not isinstance(raw, list) or not raw:
        raise ValueCaseError(
            f"assumption {name!r}: 'components' must be a non-empty list of distributions, "
            f"e.g. [{{dist: percentiles, p10: ..., p50: ..., p90: ...}}, ...]"
        )
    comps = []
    for i, spec in enumerate(raw):
        label = f"{name}, component {i + 1}"
        if not isinstance(spec, Mapping):
            raise ValueCaseError(f"assumption {label!r}: expected a mapping, got {spec!r}")
        kind = str(spec.get("dist", "")).lower()
        if kind not in MIXTURE_COMPONENT_KINDS:
            raise ValueCaseError(
                f"assumption {label!r}: a mixture component must be one of "
                f"{', '.join(MIXTURE_COMPONENT_KINDS)}, got dist {spec.get('dist')!r}"
            )
        extra = [k for k in spec if k != "dist" and k not in _PARAM_KEYS]
        if extra:
            raise ValueCaseError(f"assumption {label!r}: unknown key {extra[0]!r}")
        comps.append(make_distribution(spec, label))
    if "weights" in p:
        w = _weights(p["weights"], len(comps), f"assumption {name!r}: 'weights'")
    else:
        w = np.full(len(comps), 1.0 / len(comps))
    return Distribution("mixture", p, None, components=(comps, w))


def _pooled(p: dict, name: str) -> Distribution:
    raw = p["judgements"]
    if isinstance(raw, str | bytes) or not isinstance(raw, list) or not raw:
        raise ValueCaseError(
            f"assumption {name!r}: 'judgements' must be a non-empty list of "
            "{expert: ..., p10: ..., p50: ..., p90: ..., weight: ...}"
        )
    comps, weights, experts = [], [], []
    for i, j in enumerate(raw):
        if not isinstance(j, Mapping):
            raise ValueCaseError(
                f"assumption {name!r}: judgement #{i + 1} must be a mapping with p10, p50, "
                f"p90, got {j!r}"
            )
        expert = j.get("expert", f"expert {i + 1}")
        if not isinstance(expert, str) or not expert.strip():
            raise ValueCaseError(
                f"assumption {name!r}: judgement #{i + 1}: 'expert' must be text, got {expert!r}"
            )
        label = f"{name}, expert {expert}"
        unknown = [k for k in j if k not in JUDGEMENT_KEYS]
        if unknown:
            raise ValueCaseError(
                f"assumption {label!r}: unknown key {unknown[0]!r} in a judgement "
                f"(its keys: {', '.join(JUDGEMENT_KEYS)})"
            )
        if expert in experts:
            raise ValueCaseError(f"assumption {name!r}: expert {expert!r} is listed twice")
        experts.append(expert)
        comps.append(
            make_distribution(
                {"dist": "percentiles", **{k: j.get(k) for k in ("p10", "p50", "p90") if k in j}},
                label,
            )
        )
        weights.append(j.get("weight"))
    given = [w is not None for w in weights]
    if any(given) and not all(given):
        raise ValueCaseError(
            f"assumption {name!r}: give a 'weight' for every judgement or for none "
            "(none = equal weights)"
        )
    if all(given):
        w = _weights(weights, len(comps), f"assumption {name!r}: judgement weights")
    else:
        w = np.full(len(comps), 1.0 / len(comps))
    return Distribution("pooled", p, None, components=(comps, w))


_BUILDERS = {
    "fixed": _fixed,
    "uniform": _uniform,
    "triangular": _triangular,
    "pert": _pert,
    "normal": _normal,
    "lognormal": _lognormal,
    "beta": _beta,
    "bernoulli": _bernoulli,
    "discrete": _discrete,
    "percentiles": _percentiles,
    "gamma": _gamma,
    "weibull": _weibull,
    "mixture": _mixture,
    "pooled": _pooled,
}
