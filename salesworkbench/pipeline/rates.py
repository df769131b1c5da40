"""Win rates as Beta posteriors: a group's record shrunk towards the rate one level up.

:func:`beta_posterior` is the conjugate update; :func:`rate_table` gives a table of them per key
(a stage, a product, an owner), with a 90% credible interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["DEFAULT_PRIOR_STRENGTH", "beta_posterior", "rate_table"]

#: Prior strength (in pseudo-deals) of the Beta prior that pulls a group's win rate towards the
#: rate one level up (overall, or the stage's rate). A group with n closed deals gets weight
#: n / (n + 10) on its own record: 10 deals count half, 90 deals count 90%.
DEFAULT_PRIOR_STRENGTH = 10.0


def beta_posterior(
    wins: float | np.ndarray,
    n: float | np.ndarray,
    prior_mean: float | np.ndarray,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> tuple[np.ndarray, np.ndarray]:
    """Conjugate Beta posterior of a win rate.

    Prior ``Beta(k m, k (1 - m))`` with mean ``m`` (the rate one level up) and strength ``k``
    pseudo-deals; after ``w`` wins in ``n`` closed deals the posterior is
    ``Beta(k m + w, k (1 - m) + n - w)`` with mean ``(k m + w) / (k + n)``.

    Parameters
    ----------
    wins, n : float or array
        Wins and closed deals (won + lost) of the group.
    prior_mean : float or array
        The rate the group shrinks towards, strictly between 0 and 1.
    prior_strength : float
        ``k``, in pseudo-deals (> 0).

    Returns
    -------
    alpha, beta : ndarray
        Posterior Beta parameters.
    """
    if not prior_strength > 0:
        raise ValueError(f"prior_strength must be > 0 pseudo-deals, got {prior_strength!r}")
    m = np.clip(np.asarray(prior_mean, float), 1e-6, 1 - 1e-6)
    w = np.asarray(wins, float)
    n = np.asarray(n, float)
    return prior_strength * m + w, prior_strength * (1 - m) + (n - w)


def rate_table(
    keys: pd.Series,
    won: np.ndarray,
    prior_mean,
    prior_strength: float,
    name: str,
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """Win rate per key as a Beta posterior shrunk towards ``prior_mean``.

    Parameters
    ----------
    keys : Series
        The key of each closed deal (blank keys are left out).
    won : ndarray
        Whether each deal was won.
    prior_mean : float or callable
        The rate the keys shrink towards, or a function of the index of keys giving one each.
    prior_strength : float
        ``k``, in pseudo-deals.
    name : str
        Name of the index.
    weights : ndarray, optional
        A weight per deal (then wins and deals are weighted sums, not rounded).

    Returns
    -------
    DataFrame
        ``wins, losses, n, observed, prior_mean, alpha, beta, mean, p05, p95`` per key.
    """
    w8 = np.ones(len(won)) if weights is None else np.asarray(weights, float)
    df = pd.DataFrame(
        {name: keys.astype(object).to_numpy(), "won": won.astype(float) * w8, "w": w8}
    )
    df = df[pd.notna(df[name])]
    g = df.groupby(name, sort=True)[["won", "w"]].sum()
    g.columns = ["wins", "n"]
    g["losses"] = g["n"] - g["wins"]
    g["observed"] = g["wins"] / g["n"]
    pm = prior_mean(g.index) if callable(prior_mean) else np.full(len(g), prior_mean)
    a, b = beta_posterior(g["wins"].to_numpy(), g["n"].to_numpy(), pm, prior_strength)
    g["prior_mean"] = pm
    g["alpha"], g["beta"] = a, b
    g["mean"] = a / (a + b)
    g["p05"] = stats.beta.ppf(0.05, a, b)
    g["p95"] = stats.beta.ppf(0.95, a, b)
    if weights is None:
        g[["wins", "n", "losses"]] = g[["wins", "n", "losses"]].round().astype(int)
    cols = ["wins", "losses", "n", "observed", "prior_mean", "alpha", "beta", "mean", "p05", "p95"]
    return g[cols]
