"""The prize: what the open pipeline would book if the reps below the stars caught up.

:func:`prize` runs a what-if through the pipeline forecast's Monte Carlo
(:func:`salesworkbench.pipeline.forecast`, same seed, so the scenario and the baseline share
their random numbers): reps below the stars reach the stars' conversion, cycle time or deal
size, one lever at a time and all together; the extra bookings per period come with
P10/P50/P90. With no change the scenario *is* the baseline forecast, draw for draw.
:func:`team_what_if` is the engine: per-deal multipliers of win probability, cycle time and
amount. :func:`capacity` turns the extra bookings into the number of extra reps of average
ramped productivity that would deliver the same.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import DataWarning
from salesworkbench.pipeline import ForecastResult, HistoryModel, beta_posterior, forecast
from salesworkbench.schemas import OPPORTUNITIES
from salesworkbench.team.measures import TeamAnalysis
from salesworkbench.team.stars import StarsComparison, stars_vs_rest

__all__ = ["LEVERS", "PrizeResult", "capacity", "prize", "team_what_if"]


#: What-if levers of :func:`prize`.
LEVERS = ("conversion", "cycle_time", "deal_size")


def _per_deal(spec, deals: pd.DataFrame, name: str) -> np.ndarray:
    """Multipliers per open deal from a Series/mapping keyed by opportunity_id (missing -> 1)."""
    if spec is None:
        return np.ones(len(deals))
    s = pd.Series(spec, dtype=float) if not isinstance(spec, pd.Series) else spec.astype(float)
    m = deals["opportunity_id"].map(s).to_numpy(float)
    m = np.where(np.isnan(m), 1.0, m)
    bad = ~(np.isfinite(m) & (m > 0))
    if bad.any():
        raise ValueError(f"team_what_if: {name} multipliers must be positive and finite")
    return m


def team_what_if(
    model: HistoryModel,
    opportunities: pd.DataFrame,
    *,
    win_rate=None,
    cycle_time=None,
    deal_size=None,
    periods: int | Sequence = 2,
    freq: str = "quarter",
    trials: int = FORECAST_TRIALS,
    seed: int | None = 0,
    timing: str = "created",
    stale_after: float | None = 90,
    quota=None,
    baseline: ForecastResult | None = None,
) -> tuple[np.ndarray, ForecastResult]:
    """Simulate the open pipeline with per-deal changes, on the baseline forecast's draws.

    Parameters
    ----------
    model : HistoryModel
        The baseline history model (no what-if multipliers of its own).
    opportunities : DataFrame
        Canonical opportunities; the open ones are simulated.
    win_rate, cycle_time, deal_size : Series or mapping, optional
        Multiplier per ``opportunity_id`` (missing deals: 1) of the deal's win probability
        (capped at 1), its time to close and its amount.
    periods, freq, trials, seed, timing, stale_after, quota
        As :func:`salesworkbench.pipeline.forecast`.
    baseline : ForecastResult, optional
        The baseline forecast with these settings, if already run.

    Returns
    -------
    bookings : ndarray (trials, periods)
        Simulated bookings under the change. With no change they equal
        ``baseline.bookings`` exactly; with changes each deal keeps its random number, so
        ``bookings - baseline.bookings`` is the effect of the change alone in each trial.
    baseline : ForecastResult

    Notes
    -----
    The forecast takes per-deal win probabilities and amounts, but one cycle-time multiplier
    per model. Deals with different cycle multipliers are therefore simulated in one run per
    multiplier, each with the other deals' amounts set to 0, so every deal keeps its position
    and its random numbers; the runs' bookings add up (to float32 rounding of the sums).
    """
    if (model.win_rate_scale, model.cycle_scale, model.deal_size_scale) != (1.0, 1.0, 1.0):
        raise ValueError("team_what_if needs the baseline model (no what_if multipliers)")
    # the open pipeline with each deal's luck only (issue 13's new deals and band extras are
    # the same with and without a rep's change, and would be counted once per part here)
    opts = dict(
        periods=periods,
        freq=freq,
        trials=trials,
        seed=seed,
        timing=timing,
        quota=quota,
        new_deals=False,
        uncertainty="deal",
    )
    if baseline is None:
        baseline = forecast(opportunities, model, stale_after=stale_after, progress=False, **opts)
    is_open = (opportunities["status"].astype(object) == "open").to_numpy()
    deals = opportunities.loc[is_open].reset_index(drop=True)
    wm = _per_deal(win_rate, deals, "win_rate")
    cm = _per_deal(cycle_time, deals, "cycle_time")
    sm = _per_deal(deal_size, deals, "deal_size")
    if np.all(wm == 1) and np.all(cm == 1) and np.all(sm == 1):
        return baseline.bookings.copy(), baseline
    # each deal's win probability as the baseline had it (curves by age, or stage rates)
    base_p = baseline.deals.set_index("opportunity_id")["win_prob"]
    p = np.clip(deals["opportunity_id"].map(base_p).to_numpy(float) * wm, 0.0, 1.0)
    amount = deals["amount"].to_numpy(float) * sm
    # the runs need only the required columns (win probabilities are given)
    deals = deals[[c for c in OPPORTUNITIES.required if c in deals.columns]]
    total = np.zeros_like(baseline.bookings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # already reported by the baseline run
        for c in np.unique(cm):
            sel = cm == c
            part = deals.assign(amount=np.where(sel, amount, 0.0))
            m = model if c == 1.0 else model.what_if(cycle_time=float(c))
            res = forecast(part, m, stale_after=None, win_prob=p, progress=False, **opts)
            total += res.bookings
    return total, baseline


@dataclass
class PrizeResult:
    """Result of :func:`prize`.

    Attributes
    ----------
    summary : DataFrame
        One row per scenario and period (and ``total``): baseline mean, mean and P10/P50/P90 of
        the extra bookings, and the uplift on the baseline.
    extra : dict of str -> ndarray
        Extra bookings per trial (trials, periods) of each scenario.
    multipliers : DataFrame
        The change applied to each rep below the stars, per lever.
    baseline : ForecastResult
        The unchanged forecast (same seed).
    comparison : StarsComparison
    targets : dict
        The stars' level of each lever.
    """

    summary: pd.DataFrame
    extra: dict[str, np.ndarray]
    bookings: dict[str, np.ndarray]
    multipliers: pd.DataFrame
    baseline: ForecastResult
    comparison: StarsComparison
    targets: dict[str, object]
    gap: float
    notes: list[str]


def _measured_model(
    analysis: TeamAnalysis, comp: StarsComparison, opportunities: pd.DataFrame
) -> HistoryModel | None:
    """The history model of the deals the stars were measured on (None: picked on all)."""
    if comp.split == "none" or comp.measured_ids is None:
        return None
    key = ("measured_model", id(opportunities), len(opportunities), hash(tuple(comp.measured_ids)))
    if key in analysis.cache:
        return analysis.cache[key]
    part = opportunities[opportunities["opportunity_id"].isin(comp.measured_ids)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # reported by the full analysis
        model = HistoryModel.fit(
            part,
            analysis.stage_history,
            group_by="owner",
            as_of=analysis.as_of,
            prior_strength=analysis.prior_strength,
            stage_order=analysis.stage_order,
        )
    analysis.cache[key] = model
    return model


def _lever_multipliers(
    analysis: TeamAnalysis,
    comp: StarsComparison,
    deals: pd.DataFrame,
    gap: float,
    measured_model: HistoryModel | None = None,
) -> tuple[dict[str, pd.Series], pd.DataFrame, dict[str, object]]:
    reps = analysis.reps
    d = analysis.deals
    k = analysis.prior_strength
    in_s = d["owner"].isin(comp.stars).to_numpy()
    if comp.measured_ids is not None and comp.split != "none":
        in_s = in_s & d["opportunity_id"].isin(comp.measured_ids).to_numpy()
    rest = [r for r in comp.rest if r in reps.index]
    targets: dict[str, object] = {}
    per_rep = pd.DataFrame(index=pd.Index(rest, name="rep"))
    # conversion: the forecast's own win rates of a deal found sitting in a stage (stage x
    # owner cells shrunk to the stage rate, as HistoryModel.win_probability uses them), the
    # stars pooled vs the rep: the rep's open deals then win like the stars' deals did from
    # the same stage (their remaining stage-to-stage conversions)
    model = analysis.model
    m_all = float(model.overall["mean"])
    stage_target: dict[str, float] = {}
    rep_stage: dict[tuple[str, str], float] = {}
    srates, cells = model.by_stage_open, model.cell_rates
    # the stars' level is measured on the deals they were not picked on (see stars_vs_rest)
    smodel = measured_model if measured_model is not None else model
    s_cells = smodel.cell_rates
    if srates is not None and cells is not None:
        order = [x for x in (analysis.stage_order or []) if x in srates.index]
        order += [x for x in srates.index if x not in order]
        cell_stage = cells.index.get_level_values(0)
        for st in order:
            pm = float(srates.loc[st, "mean"])
            sub = cells[cell_stage == st].droplevel(0) if (cell_stage == st).any() else None
            if sub is None:
                sub = pd.DataFrame(columns=["wins", "n"], dtype=float)
            s_sub = None
            if s_cells is not None:
                s_stage = s_cells.index.get_level_values(0)
                s_sub = s_cells[s_stage == st].droplevel(0) if (s_stage == st).any() else None
            if s_sub is None:
                s_sub = pd.DataFrame(columns=["wins", "n"], dtype=float)
            sw = s_sub.reindex(comp.stars)[["wins", "n"]].fillna(0).sum()
            a, b = beta_posterior(sw["wins"], sw["n"], pm, k)
            stage_target[st] = float(a / (a + b))
            for r in rest:
                w_, n_ = (sub.loc[r, "wins"], sub.loc[r, "n"]) if r in sub.index else (0, 0)
                a, b = beta_posterior(w_, n_, pm, k)
                rep_stage[(r, st)] = float(a / (a + b))
    bg = model.by_group if model.by_group is not None else pd.DataFrame(columns=["wins", "n"])
    sbg = smodel.by_group if smodel.by_group is not None else bg
    sw = sbg.reindex(comp.stars)[["wins", "n"]].fillna(0).sum()
    a, b = beta_posterior(sw["wins"], sw["n"], m_all, k)
    overall_target = float(a / (a + b))
    rep_overall = (
        bg["mean"].reindex(rest).fillna(m_all) if "mean" in bg else pd.Series(m_all, index=rest)
    )
    targets["conversion"] = {**stage_target, "(stage unknown)": overall_target}
    for st in stage_target:
        per_rep[f"conversion {st}"] = [
            max(1.0, stage_target[st] / rep_stage[(r, st)]) for r in rest
        ]
    per_rep["conversion (stage unknown)"] = [
        max(1.0, overall_target / float(rep_overall[r])) for r in rest
    ]
    # cycle time and deal size: stars' pooled geometric mean vs the rep's shrunk one
    for lever, col, index, better_low in (
        ("cycle_time", "cycle_resid", "cycle_index", True),
        ("deal_size", "size_resid", "deal_size_index", False),
    ):
        x = d.loc[in_s, col].to_numpy(float)
        x = x[np.isfinite(x) & (x > 0)]
        tlog = float(np.mean(np.log(x))) if x.size else np.nan
        targets[lever] = float(np.exp(tlog))
        rlog = reps.loc[rest, f"{index}_log_mean"].to_numpy(float)
        ratio = np.exp(tlog - rlog)
        ratio = np.minimum(ratio, 1.0) if better_low else np.maximum(ratio, 1.0)
        per_rep[lever] = np.where(np.isfinite(ratio), ratio, 1.0)
    # blend by the share of the gap closed
    per_rep = 1.0 + gap * (per_rep - 1.0)
    owner = deals["owner"].astype(object)
    is_rest = owner.isin(rest).to_numpy()
    stage = deals["stage"].astype(object)
    conv = np.ones(len(deals))
    for i in np.flatnonzero(is_rest):
        r, s = owner.iloc[i], stage.iloc[i]
        colname = f"conversion {s}" if f"conversion {s}" in per_rep.columns else None
        conv[i] = per_rep.loc[r, colname or "conversion (stage unknown)"]
    ids = deals["opportunity_id"].to_numpy()
    cyc = np.where(is_rest, owner.map(per_rep["cycle_time"]).to_numpy(float), 1.0)
    size = np.where(is_rest, owner.map(per_rep["deal_size"]).to_numpy(float), 1.0)
    levers = {
        "conversion": pd.Series(conv, index=ids),
        "cycle_time": pd.Series(np.nan_to_num(cyc, nan=1.0), index=ids),
        "deal_size": pd.Series(np.nan_to_num(size, nan=1.0), index=ids),
    }
    return levers, per_rep, targets


def prize(
    analysis: TeamAnalysis,
    opportunities: pd.DataFrame,
    *,
    measure: str = "win_rate",
    quantile: float = 0.75,
    rank_by: str = "bound",
    levers: Sequence[str] = LEVERS,
    gap: float = 1.0,
    each: bool = True,
    periods: int | Sequence = 2,
    freq: str = "quarter",
    trials: int = FORECAST_TRIALS,
    seed: int = 0,
    timing: str | None = None,
    stale_after: float | None = 90,
    quota=None,
    progress: bool = False,
    split: str = "half",
) -> PrizeResult:
    """What the open pipeline would book if the reps below the stars caught up.

    The stars are picked as in :func:`stars_vs_rest`. Each rep below them is lifted, on their
    open deals only, to the stars' level of each lever (never lowered where already better):

    * ``conversion``: the deal's win probability is multiplied by the stars' P(win | reached
      the deal's current stage) over the rep's (both shrunk), i.e. the remaining
      stage-to-stage conversions become the stars';
    * ``cycle_time``: the deal's time to close is multiplied by the stars' geometric-mean cycle
      over the rep's (shrunk);
    * ``deal_size``: the deal's amount is multiplied by the stars' geometric-mean won deal over
      the rep's (shrunk).

    With ``split="half"`` (default) the stars are picked on one random half of each rep's
    deals and their level of each lever (the targets) is measured on the other half, as in
    :func:`stars_vs_rest`: the stars' level on the deals they were picked for includes their
    luck, and a prize built on it promises bookings no coaching can deliver. The reps'
    own levels use all their deals. ``split="none"``: picked and measured on all deals.

    Each lever alone and all together are run through the forecast's Monte Carlo with the same
    seed as the baseline, so the extra bookings per trial measure the change, not the noise.

    Parameters
    ----------
    gap : float, default 1
        Share of the gap closed (0: no change, the baseline exactly; 0.5: half-way).
    each : bool, default True
        Run each lever alone as well as all together (False: only the combined scenario,
        named after the lever when there is one, else ``"all levers"``).
    timing : str, optional
        Forecast timing base (default ``"stage"`` with stage history, else ``"created"``).
    periods, freq, trials, seed, stale_after, quota
        As :func:`salesworkbench.pipeline.forecast`.
    """
    unknown = [lv for lv in levers if lv not in LEVERS]
    if unknown:
        raise ValueError(f"unknown lever(s) {unknown}; choose from {', '.join(LEVERS)}")
    if not (np.isfinite(gap) and gap >= 0):
        raise ValueError(f"gap must be a share >= 0 (1 = close the whole gap), got {gap!r}")
    timing = timing or ("stage" if analysis.stage_order else "created")
    comp = stars_vs_rest(analysis, measure, quantile, rank_by=rank_by, split=split, seed=seed)
    notes: list[str] = []
    opts = dict(
        periods=periods,
        freq=freq,
        trials=trials,
        seed=seed,
        timing=timing,
        stale_after=stale_after,
        quota=quota,
    )
    base = forecast(
        opportunities, analysis.model, progress=False, new_deals=False, uncertainty="deal", **opts
    )
    is_open = (opportunities["status"].astype(object) == "open").to_numpy()
    deals = opportunities.loc[is_open]
    deals = deals[~deals["opportunity_id"].isin(base.stale["opportunity_id"])]
    noown = int(deals["owner"].isna().sum())
    if noown:
        notes.append(f"{noown} open deals without owner: simulated unchanged")
    mm = _measured_model(analysis, comp, opportunities)
    lev, per_rep, targets = _lever_multipliers(
        analysis, comp, deals.reset_index(drop=True), gap, mm
    )
    scenarios = [(lv, [lv]) for lv in levers] if each or len(levers) == 1 else []
    if len(levers) > 1:
        scenarios.append(("all levers", list(levers)))
    from tqdm.auto import tqdm

    extra: dict[str, np.ndarray] = {}
    books: dict[str, np.ndarray] = {"baseline": base.bookings}
    for name, use in tqdm(scenarios, disable=not progress, desc="prize", leave=False):
        kw = {lv: lev[lv] for lv in use}
        b, _ = team_what_if(
            analysis.model,
            opportunities,
            win_rate=kw.get("conversion"),
            cycle_time=kw.get("cycle_time"),
            deal_size=kw.get("deal_size"),
            baseline=base,
            **opts,
        )
        books[name] = b
        extra[name] = b - base.bookings
    labels = [str(p) for p in base.periods]
    rows = []
    for name, x in extra.items():
        for j, lab in enumerate([*labels, "total"]):
            xj = x[:, j] if j < len(labels) else x.sum(axis=1)
            bj = base.bookings[:, j] if j < len(labels) else base.bookings.sum(axis=1)
            pct = np.percentile(xj, [10, 50, 90])
            rows.append(
                {
                    "scenario": name,
                    "period": lab,
                    "baseline_mean": bj.mean(),
                    "extra_mean": xj.mean(),
                    "extra_p10": pct[0],
                    "extra_p50": pct[1],
                    "extra_p90": pct[2],
                    "uplift": xj.mean() / bj.mean() if bj.mean() > 0 else np.nan,
                }
            )
    summary = pd.DataFrame(rows).set_index(["scenario", "period"])
    return PrizeResult(
        summary=summary,
        extra=extra,
        bookings=books,
        multipliers=per_rep,
        baseline=base,
        comparison=comp,
        targets=targets,
        gap=float(gap),
        notes=notes + base.notes,
    )


def capacity(result: PrizeResult, analysis: TeamAnalysis) -> pd.DataFrame:
    """Extra reps of average ramped productivity that would book the same extra.

    Productivity is the mean bookings of a ramped rep-quarter (all reps' full quarters after
    ``ramp_months`` in the analysed window, zero quarters included). Per scenario and period:
    extra bookings (mean, P10/P50/P90) divided by that.
    """
    prod = _productivity(analysis)
    if not prod > 0:
        raise ValueError(
            "no ramped rep-quarters to measure average productivity: no full quarter lies after "
            f"the ramp (ramp_months={analysis.ramp_months}) and the warm-up "
            f"(warmup_days={analysis.warmup_days}) and before as_of "
            f"({analysis.as_of.date()}); give reps' start dates or lower those parameters"
        )
    out = result.summary[["extra_mean", "extra_p10", "extra_p50", "extra_p90"]].copy()
    for c in ("mean", "p10", "p50", "p90"):
        out[f"reps_{c}"] = out[f"extra_{c}"] / prod
    out["productivity_per_quarter"] = prod
    return out


def _productivity(analysis: TeamAnalysis) -> float:
    r = analysis.reps
    if "bookings_per_quarter" not in r.columns:
        return float("nan")
    w = r["ramped_quarters"].to_numpy(float)
    b = r["bookings_per_quarter"].fillna(0).to_numpy(float)
    return float(np.sum(w * b) / np.sum(w)) if np.sum(w) > 0 else float("nan")
