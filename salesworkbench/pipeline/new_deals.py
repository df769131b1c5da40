"""Deals not yet created: bookings from deals created after ``as_of`` that close won in time.

New deals arrive as a Poisson process with a daily rate ``lambda(d)`` learned from the
history's monthly creation counts (a Poisson regression with a log-linear trend, kept only
when it is clear, |z| > 2, on a year or more of months, and month-of-year seasonality on two
years or more). A deal created on day ``d`` wins within period ``k`` with probability
``F(e_k - d) - F(max(s_k, d) - d - 1)`` from the overall win curve from creation
(:mod:`~salesworkbench.pipeline.curves`), so by Poisson thinning the number of new wins in
period ``k`` is Poisson with mean

    mu_k = sum_d lambda(d) [F(e_k - d) - F(max(s_k, d) - d - 1)],

and each win is worth an amount resampled from the won deals. The expected new-deal bookings
are ``mu_k x mean won amount``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CreationRate", "fit_creation_rate", "new_deal_means"]

#: Months of creation history the rate is fitted on (the latest ones).
RATE_MONTHS = 36


@dataclass
class CreationRate:
    """Deals created per day, with trend and seasonality where the history supports them.

    Attributes
    ----------
    log_level : float
        Log of deals per month at the last complete month (season removed).
    trend : float
        Change of the log monthly rate per month (0: no clear trend).
    season : ndarray
        12 log multipliers by calendar month (zeros: none).
    months : int
        Complete months fitted.
    created : int
        Deals created in those months (the rate's precision: a Gamma(created) draw per trial
        block gives its uncertainty).
    last_month : Period
        The last complete month.
    note : str
    """

    log_level: float
    trend: float
    season: np.ndarray
    months: int
    created: int
    last_month: pd.Period
    note: str

    def daily(self, days: np.ndarray) -> np.ndarray:
        """Expected creations on each day (days since 1970-01-01)."""
        dates = pd.to_datetime(np.asarray(days, float), unit="D")
        per = dates.to_period("M")
        # months after the last complete month: (p - last_month).n for monthly periods
        ahead = (per.asi8 - pd.Period(self.last_month, "M").ordinal).astype(float)
        lift = np.clip(self.trend * ahead, np.log(0.5), np.log(2.0))
        month = np.asarray(dates.month) - 1
        return np.exp(self.log_level + lift + self.season[month]) / np.asarray(
            dates.days_in_month, float
        )


def _poisson_fit(X: np.ndarray, y: np.ndarray, ridge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson regression by IRLS with a ridge penalty; coefficients and standard errors."""
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(y.mean(), 1e-9))
    for _ in range(50):
        mu = np.exp(X @ beta)
        H = X.T @ (X * mu[:, None]) + np.diag(ridge)
        step = np.linalg.solve(H, X.T @ (y - mu) - ridge * beta)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9:
            break
    cov = np.linalg.inv(X.T @ (X * np.exp(X @ beta)[:, None]) + np.diag(ridge))
    return beta, np.sqrt(np.diag(cov))


def fit_creation_rate(created: pd.Series, as_of) -> CreationRate:
    """Fit :class:`CreationRate` on creation dates up to ``as_of`` (complete months only)."""
    a = pd.Timestamp(as_of).normalize()
    c = pd.to_datetime(created).dropna()
    c = c[c <= a]
    last = (a + pd.Timedelta(days=1)).to_period("M") - 1
    if c.empty:
        return CreationRate(-np.inf, 0.0, np.zeros(12), 0, 0, last, "no creation dates")
    first = c.min().to_period("M") + 1  # the first month is usually partial
    first = max(first, last - (RATE_MONTHS - 1))
    months = pd.period_range(first, last, freq="M")  # empty when first > last
    if len(months) < 3:
        days = max((a - c.min()).days + 1, 1)
        rate = len(c) / days * 30.4
        return CreationRate(
            np.log(max(rate, 1e-9)), 0.0, np.zeros(12), 0, len(c), last,
            "less than three complete months of creations: a flat rate",
        )  # fmt: skip
    counts = c.dt.to_period("M").value_counts().reindex(months, fill_value=0)
    y = counts.to_numpy(float)
    M = len(y)
    t = np.arange(M, dtype=float) - (M - 1)
    cols = [np.ones(M), t]
    ridge = [0.0, 0.0]
    seasonal = M >= 24
    if seasonal:
        moy = np.asarray(months.month) - 1
        for m in range(1, 12):
            cols.append((moy == m).astype(float))
            ridge.append(1.0)
    X = np.column_stack(cols)
    ridge = np.maximum(np.asarray(ridge), 1e-8)
    try:
        beta, se = _poisson_fit(X, y, ridge)
    except np.linalg.LinAlgError:  # degenerate counts: a flat rate
        beta, se = np.r_[np.log(max(y.mean(), 1e-9)), np.zeros(X.shape[1] - 1)], np.ones(X.shape[1])
    trend_ok = M >= 12 and abs(beta[1]) > 2 * se[1]
    if not trend_ok:
        X2 = np.delete(X, 1, axis=1)
        b2, _ = _poisson_fit(X2, y, np.delete(ridge, 1))
        beta = np.insert(b2, 1, 0.0)
    season = np.zeros(12)
    if seasonal:
        season[1:] = beta[2:]
        season -= season.mean()
    log_level = beta[0] + (beta[2:].mean() * 11 / 12 if seasonal else 0.0)
    parts = [f"{y[-min(12, M) :].mean():.1f} deals created a month (last {min(12, M)} months)"]
    parts.append(f"trend {np.expm1(beta[1] * 12):+.0%} a year" if trend_ok else "no clear trend")
    parts.append("month-of-year seasonality" if seasonal else "no seasonality (under 2 years)")
    return CreationRate(float(log_level), float(beta[1]), season, M, int(y.sum()), last,
                        ", ".join(parts))  # fmt: skip


def new_deal_means(
    rate: CreationRate,
    F: np.ndarray,
    today: float,
    starts: np.ndarray,
    ends: np.ndarray,
    scale: float = 1.0,
    *,
    daily: np.ndarray | None = None,
) -> np.ndarray:
    """Expected new wins ``mu_k`` per period (``F`` the overall win curve, (T,) or (B, T)).

    ``today``, ``starts``, ``ends`` in days since 1970-01-01; deals are created from ``today``
    to the last period's end; ``scale`` multiplies cycle times. ``daily``: ``rate.daily`` of
    those days if already computed (callers with many curve draws pass it once).
    """
    if not np.isfinite(rate.log_level):
        return np.zeros((*F.shape[:-1], len(ends)))
    d = np.arange(today, ends[-1] + 1)
    lam = rate.daily(d) if daily is None else daily
    T = F.shape[-1]
    lo = np.maximum(np.asarray(starts, float)[None, :], d[:, None]) - d[:, None]
    hi = np.asarray(ends, float)[None, :] - d[:, None]
    lo_ = np.ceil(lo / scale).astype(np.intp)
    hi_ = np.floor(hi / scale).astype(np.intp)
    f_hi = np.where(hi_ < 0, 0.0, F[..., np.clip(hi_, 0, T - 1)])
    f_lo = np.where(lo_ - 1 < 0, 0.0, F[..., np.clip(lo_ - 1, 0, T - 1)])
    p = np.where(hi_ >= lo_, f_hi - f_lo, 0.0)
    return np.einsum("d,...dk->...k", lam, p)
