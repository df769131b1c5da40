"""What the stars do differently: :func:`pick_stars` and :func:`stars_vs_rest`.

:func:`stars_vs_rest` splits the reps at a quantile of a chosen shrunk measure (ranked by the
pessimistic end of its credible interval, so luck on a few deals does not make a star) and
gives, per measure, the difference between stars and the rest with an interval, a standardised
effect size (Cohen's h for shares, Hedges' g for log sizes and cycle times) and the funnel of
each group side by side. The intervals are analytic (deals taken as independent) or, with
``interval="reps"``, a cluster bootstrap over reps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from salesworkbench._random import named_stream
from salesworkbench.team.measures import TeamAnalysis, _measure
from salesworkbench.team.shrinkage import _z
from salesworkbench.team.stages import _funnel, _transitions

__all__ = ["StarsComparison", "pick_stars", "stars_vs_rest"]


@dataclass
class StarsComparison:
    """Result of :func:`stars_vs_rest`.

    Attributes
    ----------
    stars, rest : list of str
        Reps in the top group and the others (reps without closed deals are never stars).
    measure : str
        The shrunk measure the reps were ranked by; ``scores`` holds it per rep.
    effects : DataFrame
        One row per measure: ``stars`` and ``rest`` (pooled deal-level values), ``difference``
        (stars - rest: percentage points for shares, ratio of geometric means for sizes and
        cycle times) with ``diff_lo``/``diff_hi``, the standardised ``effect`` (Cohen's h or
        Hedges' g) with ``effect_lo``/``effect_hi``, ``n_stars`` and ``n_rest``.
    funnel : DataFrame
        The funnel of each group side by side (share of closed deals reaching each stage and
        conversion to the next).
    """

    stars: list[str]
    rest: list[str]
    measure: str
    quantile: float
    scores: pd.Series
    effects: pd.DataFrame
    funnel: pd.DataFrame | None
    level: float


def pick_stars(
    analysis: TeamAnalysis,
    measure: str = "win_rate",
    quantile: float = 0.75,
    rank_by: str = "bound",
) -> tuple[list[str], list[str], pd.Series]:
    """The stars: the top ``1 - quantile`` share of reps (at least one) by a shrunk measure.

    ``rank_by="bound"`` (default) ranks by the pessimistic end of the credible interval (the
    lower bound, or the upper one where lower is better), so a rep is a star only when the
    data are sure of it: a new rep with 3 wins out of 3 has a wide interval and does not make
    it. ``rank_by="mean"`` ranks by the posterior mean. Reps without closed deals are never
    stars. Returns the stars, the rest and the score of every rep.
    """
    col, higher, _ = _measure(measure)
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1 (e.g. 0.75), got {quantile!r}")
    if rank_by not in ("bound", "mean"):
        raise ValueError(f"rank_by must be 'bound' or 'mean', got {rank_by!r}")
    if col not in analysis.reps.columns:
        raise ValueError(f"measure {measure!r} is not available in this data (no column {col})")
    if rank_by == "bound":
        col = f"{col}_lo" if higher else f"{col}_hi"
    eligible = analysis.reps[analysis.reps["closed"] > 0]
    if eligible.empty:
        raise ValueError("no rep has closed deals: there is no record to rank reps by")
    score = eligible[col].astype(float)
    score = score if higher else -score
    n_star = max(1, int(round((1 - quantile) * len(score))))
    ranked = score.sort_values(ascending=False, kind="stable")
    stars = list(ranked.index[:n_star])
    rest = [r for r in analysis.reps.index if r not in stars]
    return stars, rest, analysis.reps[col].rename(f"score ({measure}, {rank_by})")


def _share_effect(x1: np.ndarray, x2: np.ndarray, z: float) -> dict:
    n1, n2 = len(x1), len(x2)
    p1, p2 = float(np.mean(x1)), float(np.mean(x2))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))
    se_h = math.sqrt(1 / n1 + 1 / n2)
    return {
        "kind": "share",
        "stars": p1,
        "rest": p2,
        "difference": p1 - p2,
        "diff_lo": p1 - p2 - z * se,
        "diff_hi": p1 - p2 + z * se,
        "effect": h,
        "effect_lo": h - z * se_h,
        "effect_hi": h + z * se_h,
        "n_stars": n1,
        "n_rest": n2,
    }


def _log_effect(y1: np.ndarray, y2: np.ndarray, z: float, level: float) -> dict:
    n1, n2 = len(y1), len(y2)
    diff = float(np.mean(y1) - np.mean(y2))
    v1, v2 = float(np.var(y1, ddof=1)), float(np.var(y2, ddof=1))
    if v1 + v2 > 0:
        ci = stats.ttest_ind(y1, y2, equal_var=False).confidence_interval(confidence_level=level)
        lo, hi = float(ci.low), float(ci.high)
    else:  # no spread at all (e.g. one list price): the difference is known exactly
        lo = hi = diff
    sp = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    g = j * diff / sp if sp > 0 else float("nan")  # no standardised size without spread
    se_g = math.sqrt((n1 + n2) / (n1 * n2) + g**2 / (2 * (n1 + n2)))
    return {
        "kind": "ratio",
        "stars": float(np.exp(np.mean(y1))),
        "rest": float(np.exp(np.mean(y2))),
        "difference": math.exp(diff),
        "diff_lo": math.exp(lo),
        "diff_hi": math.exp(hi),
        "effect": g,
        "effect_lo": g - z * se_g,
        "effect_hi": g + z * se_g,
        "n_stars": n1,
        "n_rest": n2,
    }


def _rep_sums(v: np.ndarray, owners: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per rep: count, sum and sum of squares of ``v`` (rows where ``mask``)."""
    df = pd.DataFrame({"o": owners[mask], "v": v[mask]})
    df["v2"] = df["v"] ** 2
    g = df.groupby("o", sort=True).agg(n=("v", "size"), s=("v", "sum"), q=("v2", "sum"))
    return g.to_numpy(float)


def _rep_bootstrap(
    v, owners, s_mask, r_mask, kind: str, level: float, n_boot: int, seed, name: str
) -> dict:
    """Cluster (rep) bootstrap percentile intervals of the difference and the effect size."""
    rng = named_stream(seed, f"team.stars_vs_rest.{name}")
    pooled = []
    for mask in (s_mask, r_mask):
        sums = _rep_sums(v, owners, mask)
        k = len(sums)
        counts = rng.multinomial(k, np.full(k, 1.0 / k), size=n_boot)
        pooled.append(counts @ sums)  # (n_boot, 3): n, sum, sum of squares
    (n1, s1, q1), (n2, s2, q2) = (p.T for p in pooled)
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m2 = s1 / n1, s2 / n2
        if kind == "share":
            diff = m1 - m2
            eff = 2 * np.arcsin(np.sqrt(np.clip(m1, 0, 1))) - 2 * np.arcsin(
                np.sqrt(np.clip(m2, 0, 1))
            )
        else:
            v1 = (q1 - n1 * m1**2) / (n1 - 1)
            v2 = (q2 - n2 * m2**2) / (n2 - 1)
            sp = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
            diff = np.exp(m1 - m2)
            eff = (1 - 3 / (4 * (n1 + n2) - 9)) * (m1 - m2) / sp
    qs = [100 * (1 - level) / 2, 100 * (1 + level) / 2]

    def pct(x):
        x = x[np.isfinite(x)]
        return np.percentile(x, qs) if x.size else (np.nan, np.nan)

    dlo, dhi = pct(diff)
    elo, ehi = pct(eff)
    return {"diff_lo": dlo, "diff_hi": dhi, "effect_lo": elo, "effect_hi": ehi}


def stars_vs_rest(
    analysis: TeamAnalysis,
    measure: str = "win_rate",
    quantile: float = 0.75,
    *,
    rank_by: str = "bound",
    level: float | None = None,
    interval: str = "deals",
    n_boot: int = 2000,
    seed: int | None = 0,
) -> StarsComparison:
    """Which measures separate the top reps from the others, with intervals.

    Reps are ranked by a *shrunk* measure (so a rep with 3 wins out of 3 does not rank top on
    luck); the top ``1 - quantile`` share (at least one rep) are the stars. Each measure is then
    compared on the pooled deals of the two groups:

    * shares (win rate, value case, power sponsor, each stage-to-stage conversion): difference
      in percentage points with a Wald interval, and Cohen's ``h = 2 asin sqrt(p1) -
      2 asin sqrt(p2)`` with standard error ``sqrt(1/n1 + 1/n2)``;
    * won deal size and cycle time (log scale): ratio of geometric means with Welch's interval,
      and Hedges' ``g`` with its large-sample standard error.

    ``interval="deals"`` (default) gives these analytic intervals, which treat deals as
    independent; deals of one rep are alike, so read them as a lower bound on the uncertainty.
    ``interval="reps"`` replaces them with a cluster bootstrap over reps: ``n_boot`` times,
    the reps of each group are resampled with replacement and their deals pooled, and the
    interval is the percentile range of the difference and of the effect size (seeded by
    ``seed``, one named stream per measure). It answers "would another set of reps like these
    show the same gap?"; with few stars it is wide, and that width is honest.
    """
    if interval not in ("deals", "reps"):
        raise ValueError(f"interval must be 'deals' or 'reps', got {interval!r}")
    if not (isinstance(n_boot, int | np.integer) and n_boot >= 100):
        raise ValueError(f"n_boot must be an integer of at least 100, got {n_boot!r}")
    level = analysis.level if level is None else level
    z = _z(level)
    stars, rest, scores = pick_stars(analysis, measure, quantile, rank_by)
    d = analysis.deals
    a = analysis.all_deals
    in_s = d["owner"].isin(stars).to_numpy()
    in_r = d["owner"].isin(rest).to_numpy()
    a_s = a["owner"].isin(stars).to_numpy()
    a_r = a["owner"].isin(rest).to_numpy()
    rows: dict[str, dict] = {}
    own_d = d["owner"].astype(object).to_numpy()
    own_a = a["owner"].astype(object).to_numpy()

    def share(name, x, s_mask, r_mask, owners):
        x = np.asarray(x, float)
        ok = ~np.isnan(x)
        x1, x2 = x[s_mask & ok], x[r_mask & ok]
        if len(x1) and len(x2):
            rows[name] = _share_effect(x1, x2, z)
            if interval == "reps":
                rows[name].update(
                    _rep_bootstrap(
                        x, owners, s_mask & ok, r_mask & ok, "share", level, n_boot, seed, name
                    )
                )

    def logm(name, x, s_mask, r_mask, owners):
        x = np.asarray(x, float)
        ok = np.isfinite(x) & (x > 0)
        y = np.log(np.where(ok, x, 1.0))
        y1, y2 = y[s_mask & ok], y[r_mask & ok]
        if len(y1) > 1 and len(y2) > 1:
            rows[name] = _log_effect(y1, y2, z, level)
            if interval == "reps":
                rows[name].update(
                    _rep_bootstrap(
                        y, owners, s_mask & ok, r_mask & ok, "ratio", level, n_boot, seed, name
                    )
                )

    share("win rate", d["won"], in_s, in_r, own_d)
    logm("won deal size", d["won_amount"], in_s, in_r, own_d)
    logm("cycle time (won)", d["cycle_days"], in_s, in_r, own_d)
    share("value case share", a["vc"], a_s, a_r, own_a)
    share("power sponsor share", a["ps"], a_s, a_r, own_a)
    if analysis.stage_order:
        for x, y in _transitions(analysis.stage_order):
            ra = (d[f"reached_{x}"] == 1).to_numpy()
            rb = d["won"].astype(float) if y == "Won" else d[f"reached_{y}"]
            share(f"{x} > {y}", np.where(ra, rb, np.nan), in_s, in_r, own_d)
    eff = pd.DataFrame.from_dict(rows, orient="index")
    eff.index.name = "measure"
    eff["interval"] = interval
    funnel = None
    if analysis.stage_order:
        fs = _funnel(d[in_s], analysis.stage_order)
        fr = _funnel(d[in_r], analysis.stage_order)
        funnel = pd.concat({"stars": fs, "rest": fr}, axis=1).swaplevel(axis=1)[
            ["deals", "share", "conversion"]
        ]
    return StarsComparison(
        stars=stars,
        rest=rest,
        measure=measure,
        quantile=float(quantile),
        scores=scores,
        effects=eff,
        funnel=funnel,
        level=level,
    )
