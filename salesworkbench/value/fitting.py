"""Fit an assumption's distribution to observed data (a reference customer's monthly savings).

:func:`fit_distribution` fits every candidate by maximum likelihood (``scipy.stats`` fitting
where it exists), ranks them by AIC and gives, for each, BIC, a Kolmogorov-Smirnov p-value and
the YAML spec of the fit in the case file's own catalogue
(:mod:`salesworkbench.value.distributions`), so a fit goes straight into a case.

Candidates
----------
``normal`` (mean, sd), ``lognormal``, ``gamma`` and ``weibull`` (positive data only, no shift),
``beta`` on scaled bounds, ``triangular`` and ``pert``. The bounded three (beta, triangular,
PERT) take their range from the data: the sample minimum and maximum widened by one
average gap, ``(max - min) / (n - 1)``, on each side (a sample seldom holds the true ends);
beta then fits its two shapes, triangular and PERT their mode. The bounds count as fitted
parameters in AIC and BIC (beta 4, triangular and PERT 3, the others 2). For data strictly
between 0 and 1 (a share) beta is also fitted on the natural bounds 0 and 1 (2 parameters), and
the better of the two by AIC is kept.

The KS p-value uses the fitted parameters, so it is optimistic (a Lilliefors-type correction
would lower it); read it as "is this fit clearly wrong", not as a test. Parameters in the specs
are rounded to 6 significant figures, and the log-likelihood, AIC, BIC and KS figures are those
of the rounded spec, i.e. of exactly what goes into the case.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from salesworkbench.errors import ValueCaseError
from salesworkbench.value.distributions import Distribution, make_distribution

__all__ = ["FIT_CANDIDATES", "MIN_FIT_SAMPLE", "DistributionFit", "fit_distribution"]

#: The distributions :func:`fit_distribution` tries, in the order of ties.
FIT_CANDIDATES = ("normal", "lognormal", "gamma", "weibull", "beta", "triangular", "pert")
#: Fewer values than this are refused: elicit or pool judgements instead.
MIN_FIT_SAMPLE = 10
_MODE_GRID = 201


def _r(x: float) -> float:
    return float(f"{float(x):.6g}")


def _bounds(x: np.ndarray) -> tuple[float, float]:
    lo, hi = float(x.min()), float(x.max())
    pad = (hi - lo) / (len(x) - 1)
    return _r(lo - pad), _r(hi + pad)


def _positive(x: np.ndarray, kind: str) -> None:
    if not (x > 0).all():
        raise ValueError(f"{kind} needs positive data ({int((x <= 0).sum())} values are <= 0)")


def _fit_normal(x: np.ndarray) -> tuple[dict, int]:
    return {"dist": "normal", "mean": _r(x.mean()), "sd": _r(x.std())}, 2


def _fit_lognormal(x: np.ndarray) -> tuple[dict, int]:
    _positive(x, "lognormal")
    lx = np.log(x)
    mu, s = float(lx.mean()), float(lx.std())  # the MLE (scipy's lognorm.fit with floc=0)
    mean = math.exp(mu + s * s / 2)
    return {"dist": "lognormal", "mean": _r(mean), "sd": _r(mean * math.sqrt(math.expm1(s * s)))}, 2


def _fit_gamma(x: np.ndarray) -> tuple[dict, int]:
    _positive(x, "gamma")
    a, _, scale = stats.gamma.fit(x, floc=0)
    return {"dist": "gamma", "shape": _r(a), "scale": _r(scale)}, 2


def _fit_weibull(x: np.ndarray) -> tuple[dict, int]:
    _positive(x, "weibull")
    c, _, scale = stats.weibull_min.fit(x, floc=0)
    return {"dist": "weibull", "shape": _r(c), "scale": _r(scale)}, 2


def _fit_beta(x: np.ndarray) -> tuple[dict, int]:
    lo, hi = _bounds(x)
    a, b, _, _ = stats.beta.fit(x, floc=lo, fscale=hi - lo)
    best = {"dist": "beta", "alpha": _r(a), "beta": _r(b), "min": lo, "max": hi}, 4
    if x.min() > 0 and x.max() < 1:  # a share: also try the natural bounds 0 and 1
        a1, b1, _, _ = stats.beta.fit(x, floc=0, fscale=1)
        unit = {"dist": "beta", "alpha": _r(a1), "beta": _r(b1)}, 2
        ll = [
            float(np.sum(stats.beta.logpdf(x, s["alpha"], s["beta"], s.get("min", 0.0),
                                           s.get("max", 1.0) - s.get("min", 0.0))))
            - k
            for s, k in (best, unit)
        ]  # fmt: skip
        if ll[1] >= ll[0]:  # better by AIC
            best = unit
    return best


def _best_mode(x: np.ndarray, lo: float, hi: float, loglik: Any) -> float:
    """The mode maximising ``loglik(mode)``: a grid of sample quantiles, then Brent nearby."""
    cands = np.unique(np.quantile(x, np.linspace(0, 1, _MODE_GRID)))
    ll = np.array([loglik(m) for m in cands])
    i = int(np.nanargmax(ll))
    a, b = cands[max(i - 1, 0)], cands[min(i + 1, len(cands) - 1)]
    best = float(cands[i])
    if b > a:
        res = optimize.minimize_scalar(lambda m: -loglik(m), bounds=(a, b), method="bounded")
        if res.success and -res.fun > ll[i]:
            best = float(res.x)
    return min(max(best, lo), hi)


def _fit_triangular(x: np.ndarray) -> tuple[dict, int]:
    lo, hi = _bounds(x)

    def loglik(m: float) -> float:
        c = (m - lo) / (hi - lo)
        return float(np.sum(stats.triang.logpdf(x, c, loc=lo, scale=hi - lo)))

    m = _r(_best_mode(x, lo, hi, loglik))
    return {"dist": "triangular", "min": lo, "mode": m, "max": hi}, 3


def _fit_pert(x: np.ndarray) -> tuple[dict, int]:
    lo, hi = _bounds(x)
    z = (x - lo) / (hi - lo)
    lz, l1z = np.log(z), np.log1p(-z)

    def loglik(m: float) -> float:
        a = 1 + 4 * (m - lo) / (hi - lo)
        b = 1 + 4 * (hi - m) / (hi - lo)
        lbeta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
        return float(
            (a - 1) * lz.sum() + (b - 1) * l1z.sum() - len(x) * (lbeta + math.log(hi - lo))
        )

    m = _r(_best_mode(x, lo, hi, loglik))
    return {"dist": "pert", "min": lo, "mode": m, "max": hi}, 3


_FITTERS = {
    "normal": _fit_normal,
    "lognormal": _fit_lognormal,
    "gamma": _fit_gamma,
    "weibull": _fit_weibull,
    "beta": _fit_beta,
    "triangular": _fit_triangular,
    "pert": _fit_pert,
}


@dataclass
class DistributionFit:
    """Candidate distributions fitted to data, best (lowest AIC) first.

    Attributes
    ----------
    data : numpy.ndarray
        The values fitted (sorted).
    summary : pandas.DataFrame
        Index ``dist``; columns ``k`` (parameters), ``loglik``, ``aic``, ``delta_aic``,
        ``bic``, ``ks_pvalue`` and ``spec`` (the YAML mapping of the fit), ranked by AIC.
    skipped : dict
        Candidate -> why it was not fitted (e.g. lognormal on data with zeros).
    """

    data: np.ndarray = field(repr=False)
    summary: pd.DataFrame
    skipped: dict[str, str]
    name: str = "x"

    @property
    def best(self) -> str:
        """The candidate with the lowest AIC."""
        return str(self.summary.index[0])

    def spec(self, dist: str | None = None) -> dict:
        """The YAML spec of a fit (default: the best), ready for a case's ``assumptions``."""
        dist = self.best if dist is None else dist
        if dist not in self.summary.index:
            raise ValueCaseError(f"no fit {dist!r}; have {', '.join(self.summary.index)}")
        return dict(self.summary.loc[dist, "spec"])

    def distribution(self, dist: str | None = None) -> Distribution:
        """The fitted :class:`~salesworkbench.value.Distribution` (default: the best)."""
        return make_distribution(self.spec(dist), self.name)

    def plot(self, ax: Any = None, top: int | None = 4) -> Any:
        """Histogram of the data with the ``top`` best fits' densities."""
        from salesworkbench.plotting.negotiation import plot_fits

        return plot_fits(self, ax=ax, top=top)

    def plot_qq(self, dist: str | None = None, ax: Any = None) -> Any:
        """QQ plot of the data against a fit (default: the best)."""
        from salesworkbench.plotting.negotiation import plot_qq

        return plot_qq(self, dist=dist, ax=ax)


def fit_distribution(
    data: Sequence[float] | np.ndarray | pd.Series,
    candidates: Sequence[str] | None = None,
    *,
    name: str = "x",
) -> DistributionFit:
    """Fit candidate distributions to observed data and rank them by AIC.

    Parameters
    ----------
    data : array_like
        At least :data:`MIN_FIT_SAMPLE` finite values (missing values are dropped).
    candidates : sequence of str, optional
        A subset of :data:`FIT_CANDIDATES` (default: all of them).
    name : str, default "x"
        The assumption the data is for (used in messages).

    Returns
    -------
    DistributionFit

    Raises
    ------
    ValueCaseError
        Too few values (with advice), infinite values, constant data, an unknown candidate, or
        no candidate could be fitted.
    """
    x = np.asarray(pd.Series(data, dtype=float).dropna(), dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueCaseError(
            f"{name}: the data hold {int((~np.isfinite(x)).sum())} infinite values"
        )
    if len(x) < MIN_FIT_SAMPLE:
        raise ValueCaseError(
            f"{name}: only {len(x)} value{'s' if len(x) != 1 else ''} - too few to fit a "
            f"distribution (at least {MIN_FIT_SAMPLE}; 30 or more to tell the candidates "
            "apart). With so little data, ask the people who know for a P10, P50 and P90 "
            "(dist: percentiles) and pool several of them with pool_experts."
        )
    if np.ptp(x) == 0:
        raise ValueCaseError(f"{name}: every value is {x[0]:g}; use dist: fixed")
    cands = list(FIT_CANDIDATES if candidates is None else candidates)
    unknown = [c for c in cands if c not in _FITTERS]
    if unknown or not cands:
        raise ValueCaseError(
            f"unknown candidate {unknown[0] if unknown else None!r}; "
            f"choose from {', '.join(FIT_CANDIDATES)}"
        )
    x = np.sort(x)
    n = len(x)
    rows, skipped = [], {}
    for kind in cands:
        try:
            with np.errstate(all="ignore"):
                spec, k = _FITTERS[kind](x)
                dist = make_distribution(spec, name)
                ll = float(np.sum(np.log(dist.pdf(x))))
        except (ValueError, ValueCaseError, RuntimeError, FloatingPointError) as exc:
            skipped[kind] = str(exc)
            continue
        if not math.isfinite(ll):
            skipped[kind] = "the fitted density is zero at some data points"
            continue
        ks = float(stats.kstest(x, dist.cdf).pvalue)
        rows.append(
            {
                "dist": kind,
                "k": k,
                "loglik": ll,
                "aic": 2 * k - 2 * ll,
                "bic": k * math.log(n) - 2 * ll,
                "ks_pvalue": ks,
                "spec": spec,
            }
        )
    if not rows:
        raise ValueCaseError(
            f"{name}: no candidate could be fitted: "
            + "; ".join(f"{k}: {v}" for k, v in skipped.items())
        )
    table = pd.DataFrame(rows).set_index("dist").sort_values("aic", kind="stable")
    table.insert(3, "delta_aic", table["aic"] - table["aic"].iloc[0])
    return DistributionFit(x, table, skipped, name)
