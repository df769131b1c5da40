"""Small samples shrunk towards the team: log-normal and Beta posteriors, interval quantiles.

A rep with five deals should not top a table on luck. Every rep measure of
:func:`salesworkbench.team.analyse_team` is therefore a posterior that pulls the rep's own figure
towards the team's, the more the fewer deals the rep has.

Shrinkage formulas
------------------
Rates: ``Beta(k m + w, k (1 - m) + n - w)`` with ``m`` the team rate and ``k`` the prior strength
in pseudo-deals (posterior mean ``(k m + w) / (k + n)``; the forecast's
:func:`salesworkbench.pipeline.beta_posterior`). Log deal size and log cycle time: rep
``r`` has ``n_r`` won deals with mean log ``y_r``; within-rep variance ``s2`` (pooled),
between-rep variance ``tau2`` (method of moments, DerSimonian-Laird); the posterior of the rep's
log mean is normal with precision ``n_r / s2 + 1 / tau2`` and mean
``(n_r y_r / s2 + mu / tau2) / precision`` where ``mu`` is the team's mean log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from salesworkbench.pipeline import beta_posterior

__all__ = ["lognormal_shrinkage", "normal_shrinkage"]

#: Normal quantiles of the common central levels (exact to the last digit, no scipy call).
_Z = {0.8: 1.2815515655446004, 0.9: 1.6448536269514722, 0.95: 1.959963984540054}


def _z(level: float) -> float:
    """The normal quantile ``z`` of a central interval ``mean +- z sd`` at credible ``level``."""
    return _Z.get(level, float(stats.norm.ppf(0.5 + level / 2)))


def lognormal_shrinkage(values: np.ndarray, groups: np.ndarray, level: float = 0.9) -> pd.DataFrame:
    """Normal-normal shrinkage of each group's mean log value towards the overall mean log.

    Parameters
    ----------
    values : array
        Positive values (won deal amounts, cycle days); non-positive and NaN values are ignored.
    groups : array
        Group of each value (e.g. the rep).
    level : float
        Credible level of the intervals.

    Returns
    -------
    DataFrame
        Per group: ``n``, ``mean_log`` (raw), ``post_mean_log``, ``post_sd_log``, ``weight``
        (share of the group's own data in the posterior mean), ``s2`` (pooled within variance),
        ``tau2`` (between-group variance) and ``mu`` (team mean log).
    """
    v = np.asarray(values, float)
    g = pd.Series(np.asarray(groups, object))
    ok = np.isfinite(v) & (v > 0) & g.notna().to_numpy()
    df = pd.DataFrame({"g": g[ok].to_numpy(), "y": np.log(v[ok])})
    agg = df.groupby("g", sort=True)["y"].agg(["count", "mean", "var"])
    agg.columns = ["n", "mean_log", "var"]
    n = agg["n"].to_numpy(float)
    ybar = agg["mean_log"].to_numpy(float)
    dof = np.clip(n - 1, 0, None)
    s2 = float(np.nansum(agg["var"].to_numpy(float) * dof) / dof.sum()) if dof.sum() > 0 else 1.0
    s2 = max(s2, 1e-12)  # all values equal: no spread within groups
    mu = float(df["y"].mean()) if len(df) else np.nan
    # DerSimonian-Laird between-group variance
    w = n / s2
    if len(n) > 1:
        mu_w = np.sum(w * ybar) / w.sum()
        q = np.sum(w * (ybar - mu_w) ** 2)
        c = w.sum() - np.sum(w**2) / w.sum()
        tau2 = max((q - (len(n) - 1)) / c, 0.0) if c > 0 else 0.0
    else:
        tau2 = 0.0
    tau2 = max(tau2, 1e-12)
    prec = n / s2 + 1 / tau2
    post = (n * ybar / s2 + mu / tau2) / prec
    out = agg[["n"]].copy()
    out["n"] = out["n"].astype(int)
    out["mean_log"] = ybar
    out["post_mean_log"] = post
    out["post_sd_log"] = np.sqrt(1 / prec)
    out["weight"] = (n / s2) / prec
    out["s2"], out["tau2"], out["mu"] = s2, tau2, mu
    return out


def _beta_table(
    keys: pd.Series, hits: np.ndarray, prior_mean: float, k: float, level: float
) -> pd.DataFrame:
    """Beta-shrunk shares by key (the conjugate formula of :func:`beta_posterior`)."""
    d = pd.DataFrame({"k": keys.astype(object).to_numpy(), "x": np.asarray(hits, float)})
    d = d[d["k"].notna() & d["x"].notna()]
    g = d.groupby("k", sort=True)["x"].agg(["sum", "count"])
    g.columns = ["hits", "n"]
    a, b = beta_posterior(g["hits"].to_numpy(), g["n"].to_numpy(), prior_mean, k)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    g["observed"] = g["hits"] / g["n"]
    g["mean"] = a / (a + b)
    g["lo"] = stats.beta.ppf(lo, a, b)
    g["hi"] = stats.beta.ppf(hi, a, b)
    return g


def normal_shrinkage(
    estimates: np.ndarray, variances: np.ndarray, mu: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Shrink group estimates with known sampling variances towards ``mu`` (normal-normal).

    The between-group variance ``tau2`` is DerSimonian-Laird's. Groups with a NaN estimate or
    an infinite variance get the prior (``mu``, ``sqrt(tau2)``). The posterior mean is a
    weighted average of the group's estimate and ``mu``, so it always lies between them.

    Returns
    -------
    post_mean, post_sd : ndarray
    tau2 : float
    """
    y = np.asarray(estimates, float)
    v = np.asarray(variances, float)
    ok = np.isfinite(y) & np.isfinite(v) & (v > 0)
    w = np.where(ok, 1.0 / np.where(ok, v, 1.0), 0.0)
    tau2 = 0.0
    if ok.sum() > 1:
        mu_w = np.sum(w[ok] * y[ok]) / w[ok].sum()
        q = np.sum(w[ok] * (y[ok] - mu_w) ** 2)
        c = w[ok].sum() - np.sum(w[ok] ** 2) / w[ok].sum()
        tau2 = max((q - (ok.sum() - 1)) / c, 0.0) if c > 0 else 0.0
    tau2 = max(tau2, 1e-12)
    prec = w + 1.0 / tau2
    post = (w * np.where(ok, y, 0.0) + mu / tau2) / prec
    return post, np.sqrt(1.0 / prec), float(tau2)
