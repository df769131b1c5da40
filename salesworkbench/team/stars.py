"""What the stars do differently: :func:`pick_stars`, :func:`stars_vs_rest`, :func:`shuffle_check`.

:func:`stars_vs_rest` splits the reps at a quantile of a chosen shrunk measure (ranked by the
pessimistic end of its credible interval, so luck on a few deals does not make a star) and
gives, per measure, the difference between stars and the rest with an interval, a standardised
effect size (Cohen's h for shares, Hedges' g for log sizes and cycle times) and the funnel of
each group side by side. The intervals are analytic (deals taken as independent) or, with
``interval="reps"``, a cluster bootstrap over reps.

Pick on one half, measure on the other
--------------------------------------
Reps picked as stars *for* their win rate will show a higher win rate on the same deals even
when nobody is better than anyone else: the pick selects the lucky ones. So by default
(``split="half"``) each rep's deals are split at random into two halves (seeded, half each, all
deal statuses alike); the stars are picked on the first half and every effect is measured on
the second, whose luck is independent of the pick. A random half was chosen over an earlier
window because it keeps every rep (new reps have no early window), keeps the two halves alike
in season, trend and product mix, and needs no choice of cut-off date; the price is that each
effect rests on half the deals, so intervals are wider. They are honest: on data where won and
lost are shuffled at random, the interval of the win-rate edge holds zero about as often as
its level says (:func:`shuffle_check` runs that check). ``split="none"`` picks and measures on
the same deals (the old behaviour): the edge it reports includes the selection effect.

Measures that fit the data
--------------------------
* win rate (closed deals): standardised to the team's product mix (each group's rate per
  product, weighted by the team's share of closed deals in that product), so stars selling an
  easier product do not look better for it;
* win rate within the horizon counting never-closed deals (:mod:`~salesworkbench.team.outcomes`,
  Aalen-Johansen, open deals censored), interval by bootstrap;
* won deal size relative to the product's norm (ratio of geometric means, within product);
* days to win: survival median of each group (open deals censored), ratio with a bootstrap
  interval;
* value case and power sponsor shares, stage-to-stage conversions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from salesworkbench._random import named_stream
from salesworkbench.errors import DataWarning
from salesworkbench.survival import aalen_johansen_curves
from salesworkbench.team.measures import TeamAnalysis, _measure, _measure_table, analyse_team
from salesworkbench.team.shrinkage import _z
from salesworkbench.team.stages import _funnel, _transitions

__all__ = [
    "SPLITS",
    "ShuffleCheck",
    "StarsComparison",
    "pick_stars",
    "shuffle_check",
    "stars_vs_rest",
]

#: How :func:`stars_vs_rest` separates picking the stars from measuring them.
SPLITS = ("half", "none")


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
        conversion to the next), on the measured deals.
    split : str
        ``"half"``: stars picked on one random half of each rep's deals, effects measured on
        the other; ``"none"``: both on all deals.
    measured_ids : Index
        ``opportunity_id`` of the deals the effects were measured on.
    """

    stars: list[str]
    rest: list[str]
    measure: str
    quantile: float
    scores: pd.Series
    effects: pd.DataFrame
    funnel: pd.DataFrame | None
    level: float
    split: str = "half"
    measured_ids: pd.Index | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """The effects table: difference with its interval and the effect size per measure."""
        cols = ["stars", "rest", "difference", "diff_lo", "diff_hi", "effect", "effect_lo"]
        return self.effects[[*cols, "effect_hi", "holds_zero"]]


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

    This ranks on all of the analysis' deals; :func:`stars_vs_rest` by default ranks on one
    half of each rep's deals and measures on the other (see the module docstring).
    """
    return _rank(analysis.reps, measure, quantile, rank_by)


def _rank(table: pd.DataFrame, measure: str, quantile: float, rank_by: str):
    col, higher, _ = _measure(measure)
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1 (e.g. 0.75), got {quantile!r}")
    if rank_by not in ("bound", "mean"):
        raise ValueError(f"rank_by must be 'bound' or 'mean', got {rank_by!r}")
    if col not in table.columns:
        raise ValueError(f"measure {measure!r} is not available in this data (no column {col})")
    if rank_by == "bound":
        col = f"{col}_lo" if higher else f"{col}_hi"
    eligible = table[table["closed"] > 0]
    if eligible.empty:
        raise ValueError("no rep has closed deals: there is no record to rank reps by")
    score = eligible[col].astype(float)
    score = score if higher else -score
    n_star = max(1, int(round((1 - quantile) * len(score))))
    ranked = score.sort_values(ascending=False, kind="stable")
    stars = list(ranked.index[:n_star])
    rest = [r for r in table.index if r not in stars]
    return stars, rest, table[col].rename(f"score ({measure}, {rank_by})")


def _share_result(p1: float, p2: float, se: float, n1: int, n2: int, z: float) -> dict:
    """Stars' and rest's shares, their difference with its interval and Cohen's h with its.

    ``se`` is the standard error of the difference; h's is ``sqrt(1/n1 + 1/n2)``.
    """
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
        "n_stars": int(n1),
        "n_rest": int(n2),
    }


def _share_effect(x1: np.ndarray, x2: np.ndarray, z: float) -> dict:
    n1, n2 = len(x1), len(x2)
    p1, p2 = float(np.mean(x1)), float(np.mean(x2))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return _share_result(p1, p2, se, n1, n2, z)


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


def _split_halves(all_deals: pd.DataFrame, seed) -> np.ndarray:
    """True for the deals of the *measured* half: half of each rep's deals, at random."""
    rng = named_stream(seed, "team.stars_vs_rest.split")
    owner = all_deals["owner"].astype(object).fillna("(no owner)").to_numpy()
    u = rng.random(len(owner))
    g = pd.Series(u).groupby(owner)
    rank = g.rank(method="first").to_numpy()
    cnt = g.transform("size").to_numpy()
    coin = pd.Series(rng.random(len(owner))).groupby(owner).transform("first").to_numpy() < 0.5
    n_pick = cnt // 2 + (cnt % 2) * coin
    return rank > n_pick


def _std_share(x, cells, s_mask, r_mask, weights: pd.Series, z: float) -> dict | None:
    """Shares of two groups standardised to ``weights`` over cells (direct standardisation)."""
    ok = ~np.isnan(x)
    out = {}
    for name, m in (("s", s_mask & ok), ("r", r_mask & ok)):
        g = pd.DataFrame({"c": cells[m], "x": x[m]}).groupby("c")["x"].agg(["sum", "count"])
        out[name] = g
    common = out["s"].index.intersection(out["r"].index).intersection(weights.index)
    if len(common) == 0:
        return None
    w = weights.reindex(common).to_numpy(float)
    w = w / w.sum()
    res = []
    for name in ("s", "r"):
        g = out[name].reindex(common)
        p = (g["sum"] / g["count"]).to_numpy(float)
        res.append((float(w @ p), float(np.sum(w**2 * p * (1 - p) / g["count"])), g["count"].sum()))
    (p1, v1, n1), (p2, v2, n2) = res
    return _share_result(p1, p2, math.sqrt(v1 + v2), n1, n2, z)


def _boot_weights(rng, owners: np.ndarray, interval: str, b: int) -> np.ndarray:
    """(b, n) bootstrap weights: Poisson(1) per deal, or multinomial counts per rep."""
    if interval == "deals":
        return rng.poisson(1.0, size=(b, len(owners))).astype(float)
    reps, pos = np.unique(owners.astype(str), return_inverse=True)
    counts = rng.multinomial(len(reps), np.full(len(reps), 1.0 / len(reps)), size=b)
    return counts[:, pos].astype(float)


def _cr_stats(days, code, w, horizon: float):
    """CIF of a win at ``horizon`` and the relative median days to win, per row of ``w``."""
    times, _, _, _, cif, _, _ = aalen_johansen_curves(days, code, w)
    cif = np.atleast_2d(cif)
    j = np.searchsorted(times, horizon, side="right") - 1
    at_h = cif[:, j] if j >= 0 else np.zeros(len(cif))
    end = cif[:, -1:]
    first = np.argmax(cif >= 0.5 * end * (1 - 1e-12), axis=1)
    med = np.where(end[:, 0] > 0, times[first], np.nan)
    return at_h, med


def _cr_effects(a, s_mask, r_mask, horizon, interval, n_boot, seed, level, z) -> dict:
    """Win rate within the horizon (never-closed counted) and days to win, stars vs rest."""
    days = a["cr_days"].to_numpy(float)
    code = a["cr_code"].to_numpy(int)
    owners = a["owner"].astype(object).to_numpy()
    ok = np.isfinite(days)
    qs = [100 * (1 - level) / 2, 100 * (1 + level) / 2]
    b = int(min(n_boot, 400))
    rng = named_stream(seed, "team.stars_vs_rest.survival")
    est, boots, n = {}, {}, {}
    for g, m in (("s", s_mask & ok), ("r", r_mask & ok)):
        if not m.any():
            return {}
        est[g] = [float(v[0]) for v in _cr_stats(days[m], code[m], np.ones((1, m.sum())), horizon)]
        hs, ms = [], []
        for start in range(0, b, 100):  # chunks bound the memory: (100, deals, 3) at most
            w = _boot_weights(rng, owners[m], interval, min(100, b - start))
            h_, m_ = _cr_stats(days[m], code[m], w, horizon)
            hs.append(h_)
            ms.append(m_)
        boots[g] = (np.concatenate(hs), np.concatenate(ms))
        n[g] = int(m.sum())
    rows = {}
    (h1, m1), (h2, m2) = est["s"], est["r"]
    dh = boots["s"][0] - boots["r"][0]
    hh = 2 * np.arcsin(np.sqrt(np.clip(boots["s"][0], 0, 1))) - 2 * np.arcsin(
        np.sqrt(np.clip(boots["r"][0], 0, 1))
    )
    eff = 2 * math.asin(math.sqrt(h1)) - 2 * math.asin(math.sqrt(h2))
    rows["win rate, never-closed counted"] = {
        "kind": "share",
        "stars": h1,
        "rest": h2,
        "difference": h1 - h2,
        **dict(zip(("diff_lo", "diff_hi"), np.percentile(dh, qs), strict=True)),
        "effect": eff,
        **dict(zip(("effect_lo", "effect_hi"), np.percentile(hh, qs), strict=True)),
        "n_stars": n["s"],
        "n_rest": n["r"],
    }
    won = code == 1
    y1, y2 = (
        np.log(np.clip(days[s_mask & won & ok], 0.5, None)),
        np.log(np.clip(days[r_mask & won & ok], 0.5, None)),
    )
    if np.isfinite(m1) and np.isfinite(m2) and len(y1) > 1 and len(y2) > 1:
        sp = math.sqrt(
            ((len(y1) - 1) * np.var(y1, ddof=1) + (len(y2) - 1) * np.var(y2, ddof=1))
            / (len(y1) + len(y2) - 2)
        )
        lr = np.log(np.clip(boots["s"][1], 0.5, None) / np.clip(boots["r"][1], 0.5, None))
        lr = lr[np.isfinite(lr)]
        lo, hi = np.percentile(lr, qs) if lr.size else (np.nan, np.nan)
        d = math.log(max(m1, 0.5) / max(m2, 0.5))
        rows["days to win (survival median)"] = {
            "kind": "ratio",
            "stars": m1,
            "rest": m2,
            "difference": math.exp(d),
            "diff_lo": math.exp(lo),
            "diff_hi": math.exp(hi),
            "effect": d / sp if sp > 0 else np.nan,
            "effect_lo": lo / sp if sp > 0 else np.nan,
            "effect_hi": hi / sp if sp > 0 else np.nan,
            "n_stars": int(len(y1)),
            "n_rest": int(len(y2)),
        }
    return rows


def _pick_half(analysis: TeamAnalysis, seed, level: float):
    """The measured half (all deals, closed deals) and the rep table of the picking half."""
    d_all, a_all = analysis.deals, analysis.all_deals
    meas_a = _split_halves(a_all, seed)
    ids = pd.Index(a_all["opportunity_id"].to_numpy()[meas_a])
    meas_d = d_all["opportunity_id"].isin(ids).to_numpy()
    table, _, _ = _measure_table(
        d_all[~meas_d],
        a_all[~meas_a],
        "owner",
        analysis.reps.index,
        analysis.model,
        analysis.prior_strength,
        level,
        analysis.stage_order,
        analysis.rep_info,
        analysis.as_of,
        analysis.ramp_months,
        analysis.warmup_days,
        analysis.horizon_days,
    )
    return meas_a, meas_d, table


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
    split: str = "half",
) -> StarsComparison:
    """Which measures separate the top reps from the others, with intervals.

    Reps are ranked by a *shrunk* measure (so a rep with 3 wins out of 3 does not rank top on
    luck); the top ``1 - quantile`` share (at least one rep) are the stars. With
    ``split="half"`` (default) they are ranked on a random half of each rep's deals and every
    effect is measured on the other half (the module docstring says why); with
    ``split="none"`` both use all deals and the effects include the selection effect. Each
    measure is compared on the pooled measured deals of the two groups:

    * shares (win rate, value case, power sponsor, each stage-to-stage conversion): difference
      in percentage points with a Wald interval, and Cohen's ``h = 2 asin sqrt(p1) -
      2 asin sqrt(p2)`` with standard error ``sqrt(1/n1 + 1/n2)``; the win rate of closed deals
      is standardised to the team's product mix;
    * won deal size relative to the product's norm (log scale): ratio of geometric means with
      Welch's interval, and Hedges' ``g`` with its large-sample standard error;
    * win rate within ``analysis.horizon_days`` counting never-closed deals, and the survival
      median days to win: Aalen-Johansen estimates (open deals censored) with percentile
      intervals from ``min(n_boot, 400)`` bootstrap replicates (Poisson weights per deal, or
      rep counts with ``interval="reps"``); the days-to-win effect is the log ratio over the
      pooled sd of log days to win.

    ``interval="deals"`` (default) gives these analytic intervals, which treat deals as
    independent; deals of one rep are alike, so read them as a lower bound on the uncertainty.
    ``interval="reps"`` replaces them with a cluster bootstrap over reps: ``n_boot`` times,
    the reps of each group are resampled with replacement and their deals pooled, and the
    interval is the percentile range of the difference and of the effect size (seeded by
    ``seed``, one named stream per measure). The rep bootstrap of the win rate resamples the
    pooled (not mix-standardised) rate. ``seed`` also draws the split.

    ``holds_zero`` in the effects says whether the interval of the difference contains no
    difference (0 for shares, 1 for ratios).
    """
    if interval not in ("deals", "reps"):
        raise ValueError(f"interval must be 'deals' or 'reps', got {interval!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    if not (isinstance(n_boot, int | np.integer) and n_boot >= 100):
        raise ValueError(f"n_boot must be an integer of at least 100, got {n_boot!r}")
    level = analysis.level if level is None else level
    z = _z(level)
    d_all, a_all = analysis.deals, analysis.all_deals
    if split == "half":
        key = ("split", seed, level)
        if seed is not None and key in analysis.cache:
            meas_a, meas_d, table = analysis.cache[key]
        else:
            meas_a, meas_d, table = _pick_half(analysis, seed, level)
            if seed is not None:
                analysis.cache[key] = (meas_a, meas_d, table)
        ids = pd.Index(a_all["opportunity_id"].to_numpy()[meas_a])
        d, a = d_all[meas_d], a_all[meas_a]
    else:
        table, d, a = analysis.reps, d_all, a_all
        ids = pd.Index(a_all["opportunity_id"].to_numpy())
    stars, rest, scores = _rank(table, measure, quantile, rank_by)
    in_s = d["owner"].isin(stars).to_numpy()
    in_r = d["owner"].isin(rest).to_numpy()
    a_s = a["owner"].isin(stars).to_numpy()
    a_r = a["owner"].isin(rest).to_numpy()
    rows: dict[str, dict] = {}
    own_d = d["owner"].astype(object).to_numpy()
    own_a = a["owner"].astype(object).to_numpy()

    def share(name, x, s_mask, r_mask, owners, cells=None, weights=None):
        x = np.asarray(x, float)
        ok = ~np.isnan(x)
        x1, x2 = x[s_mask & ok], x[r_mask & ok]
        if len(x1) and len(x2):
            row = _std_share(x, cells, s_mask, r_mask, weights, z) if cells is not None else None
            rows[name] = row or _share_effect(x1, x2, z)
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

    prod_all = d_all["product"].astype(object).fillna("(blank)")
    mix = prod_all.value_counts(normalize=True)  # the team's product mix (closed deals)
    cells = d["product"].astype(object).fillna("(blank)").to_numpy()
    share("win rate", d["won"], in_s, in_r, own_d, cells, mix)
    rows.update(_cr_effects(a, a_s, a_r, analysis.horizon_days, interval, n_boot, seed, level, z))
    logm("won deal size (vs product norm)", d["size_resid"], in_s, in_r, own_d)
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
    null = np.where(eff["kind"] == "share", 0.0, 1.0)
    eff["holds_zero"] = (eff["diff_lo"] <= null) & (null <= eff["diff_hi"])
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
        split=split,
        measured_ids=ids,
    )


@dataclass
class ShuffleCheck:
    """Result of :func:`shuffle_check`: the edges the method reports when outcomes are random.

    Attributes
    ----------
    runs : DataFrame
        One row per shuffle (index ``shuffle``) and measure: ``difference``, ``diff_lo``,
        ``diff_hi``, ``holds_zero``.
    measure, split : str
        The ranking measure and the split of :func:`stars_vs_rest` that was checked.
    """

    runs: pd.DataFrame
    measure: str
    split: str
    level: float

    @property
    def summary(self) -> pd.DataFrame:
        """Per measure: shuffles, mean and sd of the null edge, share of intervals holding 0."""
        g = self.runs.groupby("measure", sort=False)
        return pd.DataFrame(
            {
                "shuffles": g.size(),
                "mean_edge": g["difference"].mean(),
                "sd_edge": g["difference"].std(ddof=1),
                "holds_zero": g["holds_zero"].sum().astype(int),
                "share_holds_zero": g["holds_zero"].mean(),
            }
        )


def shuffle_check(
    opportunities: pd.DataFrame,
    stage_history: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    *,
    n_shuffles: int = 10,
    seed: int = 0,
    within: str | None = "product",
    measure: str = "win_rate",
    quantile: float = 0.75,
    split: str = "half",
    measures: tuple[str, ...] = ("win rate",),
    **analyse_kw,
) -> ShuffleCheck:
    """The edge :func:`stars_vs_rest` reports when outcomes are random (shuffled).

    Each shuffle permutes *won* and *lost* among the closed deals (within each ``within``
    value, e.g. product, so each product keeps its win rate; None: across all), so no rep is
    better than another; the team is analysed afresh (:func:`analyse_team` with
    ``analyse_kw``) and :func:`stars_vs_rest` run with ``measure``, ``quantile`` and
    ``split``. A method free of selection bias reports an edge near zero whose interval holds
    zero in about ``level`` of the shuffles. Each shuffle ``i`` uses the named stream
    ``("team.shuffle_check", i)`` of ``seed``; the split uses ``seed + i``.
    """
    if not (isinstance(n_shuffles, int | np.integer) and n_shuffles >= 1):
        raise ValueError(f"n_shuffles must be a positive integer, got {n_shuffles!r}")
    if within is not None and within not in opportunities.columns:
        raise ValueError(f"within: no column {within!r} in the opportunities")
    status = opportunities["status"].astype(object)
    closed = status.isin(["won", "lost"]).to_numpy()
    groups = (
        opportunities[within].astype(object).fillna("(blank)").to_numpy()
        if within is not None
        else np.zeros(len(opportunities), object)
    )
    rows = []
    level = analyse_kw.get("level", 0.9)
    for i in range(n_shuffles):
        rng = named_stream(seed, "team.shuffle_check", i)
        st = status.to_numpy().copy()
        for g in pd.unique(groups[closed]):
            pos = np.flatnonzero(closed & (groups == g))
            st[pos] = st[rng.permutation(pos)]
        opp = opportunities.copy()
        opp["status"] = pd.Series(st, index=opp.index).astype(opportunities["status"].dtype)
        opp.attrs = dict(opportunities.attrs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            team = analyse_team(opp, stage_history, reps, **analyse_kw)
            comp = stars_vs_rest(team, measure, quantile, split=split, seed=seed + i)
        eff = comp.effects
        for name in eff.index:
            if any(name.startswith(m) for m in measures):
                r = eff.loc[name]
                rows.append(
                    (i, name, r["difference"], r["diff_lo"], r["diff_hi"], bool(r["holds_zero"]))
                )
    runs = pd.DataFrame(
        rows, columns=["shuffle", "measure", "difference", "diff_lo", "diff_hi", "holds_zero"]
    ).set_index("shuffle")
    return ShuffleCheck(runs=runs, measure=measure, split=split, level=level)
