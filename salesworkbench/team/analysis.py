"""Sales team performance: fair rep comparisons, what the stars do differently, and the prize.

The sales model asks what makes high performers successful and whether that practice can turn
ordinary performers into stars. This module answers it from the CRM history in four steps:

1. :func:`analyse_team` measures every rep (and, with :func:`group_table`, every team, manager or
   region): deals worked, win rate, won deal size, cycle time, pipeline created, stage-to-stage
   conversion, value-case and power-sponsor shares, quota attainment and, where pipeline
   snapshots exist, forecast accuracy (commit vs actual). Small samples shrink towards the
   team: win rates and shares with conjugate Beta posteriors (the forecast's
   :func:`salesworkbench.pipeline.beta_posterior`; rep win rates equal the history model's
   ``rates("owner")``), deal size and
   cycle time with a normal-normal model on the log scale. The win rate is also shown
   *mix-adjusted* (indirect standardisation on segment x product).
2. :func:`stars_vs_rest` splits the reps at a quantile of a chosen shrunk measure (ranked by the
   pessimistic end of its credible interval, so luck on a few deals does not make a star) and
   gives, per
   measure, the difference between stars and the rest with an interval, a standardised effect
   size (Cohen's h for shares, Hedges' g for log sizes and cycle times) and the funnel of each
   group side by side.
3. :func:`prize` runs a what-if through the pipeline forecast's Monte Carlo
   (:func:`salesworkbench.pipeline.forecast`, same seed, so the scenario and the baseline share
   their random numbers): reps below the stars reach the stars' conversion, cycle time or deal
   size, one lever at a time and all together; the extra bookings per period come with
   P10/P50/P90. With no change the scenario *is* the baseline forecast, draw for draw.
4. :func:`capacity` turns the extra bookings into the number of extra reps of average ramped
   productivity that would deliver the same.

Shrinkage formulas
------------------
Rates: ``Beta(k m + w, k (1 - m) + n - w)`` with ``m`` the team rate and ``k`` the prior strength
in pseudo-deals (posterior mean ``(k m + w) / (k + n)``). Log deal size and log cycle time: rep
``r`` has ``n_r`` won deals with mean log ``y_r``; within-rep variance ``s2`` (pooled),
between-rep variance ``tau2`` (method of moments, DerSimonian-Laird); the posterior of the rep's
log mean is normal with precision ``n_r / s2 + 1 / tau2`` and mean
``(n_r y_r / s2 + mu / tau2) / precision`` where ``mu`` is the team's mean log.
Mix adjustment: expected wins ``E_r`` = sum over the rep's closed deals of the team's win rate in
the deal's segment x product cell; ``O_r / E_r`` has the conjugate ``Gamma(c + O_r, c + E_r)``
posterior (prior mean 1, ``c = k m`` pseudo-wins) and the mix-adjusted rate is ``m O_r / E_r``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from salesworkbench._random import named_stream
from salesworkbench.errors import DataError, DataWarning, warn_note
from salesworkbench.pipeline import (
    DEFAULT_PRIOR_STRENGTH,
    ForecastResult,
    HistoryModel,
    beta_posterior,
    forecast,
)
from salesworkbench.schemas import OPPORTUNITIES

__all__ = [
    "LEVERS",
    "MEASURES",
    "PrizeResult",
    "StarsComparison",
    "TeamAnalysis",
    "analyse_team",
    "capacity",
    "forecast_accuracy",
    "group_table",
    "lognormal_shrinkage",
    "pick_stars",
    "prize",
    "stars_vs_rest",
    "team_what_if",
]

#: Measures reps can be ranked by (column of the rep table, higher is better unless noted).
MEASURES: dict[str, tuple[str, bool, str]] = {
    "win_rate": ("win_rate", True, "win rate (shrunk)"),
    "mix_adjusted_win_rate": ("mix_adj_win_rate", True, "win rate adjusted for segment/product"),
    "deal_size": ("deal_size", True, "average won deal (shrunk, GBP)"),
    "cycle_time": ("cycle_days", False, "median days to win (shrunk; lower is better)"),
    "deal_size_index": ("deal_size_index", True, "won deal size relative to product norm"),
    "cycle_index": ("cycle_index", False, "cycle time relative to product norm (lower better)"),
    "value_per_deal": ("value_per_deal", True, "win rate x average won deal (GBP per deal)"),
    "value_case_share": ("value_case_share", True, "share of deals with a value case"),
    "power_sponsor_share": ("power_sponsor_share", True, "share of deals with a power sponsor"),
}

#: What-if levers of :func:`prize`.
LEVERS = ("conversion", "cycle_time", "deal_size")

_Z = {0.8: 1.2815515655446004, 0.9: 1.6448536269514722, 0.95: 1.959963984540054}


def _z(level: float) -> float:
    return _Z.get(level, float(stats.norm.ppf(0.5 + level / 2)))


def _rows(mask) -> list[int]:
    return (np.flatnonzero(np.asarray(mask)) + 2).tolist()


# ----------------------------------------------------------------------------------------------
# shrinkage
# ----------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------
# the analysis
# ----------------------------------------------------------------------------------------------


@dataclass
class TeamAnalysis:
    """Result of :func:`analyse_team`.

    Attributes
    ----------
    reps : DataFrame
        One row per rep (index ``rep``): raw and shrunk measures with ``_lo``/``_hi`` credible
        bounds (``level``), team/manager/region from the reps table. See ``docs/team.md`` for
        the column list.
    conversion : DataFrame or None
        Stage-to-stage conversion per rep (rows: rep; columns: ``"A>B"`` transitions), shrunk
        to the team's conversion; raw counts in ``conversion_counts``.
    funnel_team : DataFrame or None
        The team's funnel: closed deals reaching each stage, and conversion to the next.
    deals : DataFrame
        The closed deals with the derived columns the analysis used (``won``, ``cycle_days``,
        ``log_amount``, stages reached ``reached_<stage>``, ``expected_win`` of the mix).
    model : HistoryModel
        The pipeline forecast's history model fitted with ``group_by="owner"``.
    forecast_accuracy : DataFrame or None
        Commit vs actual per rep and snapshot (None without snapshots; see ``notes``).
    notes : list of str
        What was excluded, imputed or not available, with counts.
    excluded : dict
        Counts by reason.
    """

    reps: pd.DataFrame
    conversion: pd.DataFrame | None
    conversion_counts: pd.DataFrame | None
    funnel_team: pd.DataFrame | None
    deals: pd.DataFrame = field(repr=False)
    all_deals: pd.DataFrame = field(repr=False)
    model: HistoryModel = field(repr=False)
    stage_order: list[str] | None
    rep_info: pd.DataFrame | None
    forecast_accuracy: pd.DataFrame | None
    as_of: pd.Timestamp
    prior_strength: float
    level: float
    mix_by: tuple[str, ...]
    ramp_months: int
    warmup_days: int
    notes: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)

    def table(self, measure: str = "win_rate") -> pd.DataFrame:
        """The rep table sorted by a shrunk measure (best first), the headline columns only."""
        col, higher, _ = _measure(measure)
        cols = [
            "team",
            "deals_worked",
            "closed",
            "won",
            "win_rate_raw",
            "win_rate",
            "win_rate_lo",
            "win_rate_hi",
            "mix_effect",
            "mix_adj_win_rate",
            "deal_size_raw",
            "deal_size",
            "cycle_days_raw",
            "cycle_days",
            "value_case_share_raw",
            "power_sponsor_share_raw",
            "pipeline_per_quarter",
            "attainment",
        ]
        cols = [c for c in cols if c in self.reps.columns]
        return self.reps.sort_values(col, ascending=not higher, kind="stable")[cols]


def _measure(measure: str) -> tuple[str, bool, str]:
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    return MEASURES[measure]


def _check_reps(reps: pd.DataFrame | None) -> pd.DataFrame | None:
    if reps is None:
        return None
    if not isinstance(reps, pd.DataFrame):
        raise TypeError(f"reps: expected a pandas DataFrame, got {type(reps).__name__}")
    if "rep" not in reps.columns:
        raise DataError(
            "the reps table needs a 'rep' column (the owner name used in opportunities)",
            file="reps",
            column="rep",
        )
    blank = reps["rep"].isna().to_numpy()
    if blank.any():
        raise DataError("blank rep name", file="reps", column="rep", rows=_rows(blank))
    dup = reps["rep"].duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError("duplicate rep", file="reps", column="rep", rows=_rows(dup))
    if "quota_per_quarter" in reps.columns:
        q = pd.to_numeric(reps["quota_per_quarter"], errors="coerce").to_numpy(float)
        bad = ~np.isnan(q) & (q < 0)
        if bad.any():
            raise DataError(
                "negative quota", file="reps", column="quota_per_quarter", rows=_rows(bad)
            )
    return reps.set_index("rep")


def _stages_reached(
    history: pd.DataFrame,
    deal_ids: np.ndarray,
    open_stages: set[str],
    stage_order: Sequence[str] | None,
    as_of: pd.Timestamp,
) -> tuple[pd.DataFrame, list[str]]:
    """Boolean table deal x open stage: whether the deal reached the stage by ``as_of``.

    Deals without any history row get NaN (unknown). A deal that reached a later stage of
    ``stage_order`` counts as having reached the earlier ones (CRMs let reps skip stages).
    """
    need = [c for c in ("opportunity_id", "changed", "stage") if c not in history.columns]
    if need:
        raise DataError(f"stage history lacks column(s) {', '.join(need)}", file="stage history")
    h = history[(history["changed"] <= as_of) & history["opportunity_id"].isin(deal_ids)]
    stages = set(open_stages) | set(stage_order or [])
    pairs = h.loc[h["stage"].isin(stages), ["opportunity_id", "stage"]].drop_duplicates()
    if stage_order is None:
        counts = pairs.groupby("stage")["opportunity_id"].nunique()
        order = list(counts.sort_values(ascending=False, kind="stable").index)
    else:
        order = list(stage_order)
    index = pd.Index(deal_ids, name="opportunity_id")
    row = index.get_indexer(pairs["opportunity_id"])
    col = pd.Index(order).get_indexer(pairs["stage"])
    ok = (row >= 0) & (col >= 0)
    tab = np.zeros((len(index), len(order)))
    tab[row[ok], col[ok]] = 1.0
    # reaching a later stage implies the earlier ones
    tab = np.maximum.accumulate(tab[:, ::-1], axis=1)[:, ::-1]
    has = index.isin(h["opportunity_id"].unique())
    tab[~has] = np.nan
    return pd.DataFrame(tab, index=index, columns=order), order


def _infer_stage_order(history: pd.DataFrame, open_stages: set[str]) -> list[str]:
    """Open stages ordered by how many deals reached them (a funnel narrows)."""
    if "stage" not in history.columns or "opportunity_id" not in history.columns:
        raise DataError("stage history lacks column(s) opportunity_id, stage", file="stage history")
    h = history[history["stage"].isin(open_stages)]
    counts = h.groupby(h["stage"].astype(object))["opportunity_id"].nunique()
    return list(counts.sort_values(ascending=False, kind="stable").index)


def _transitions(order: list[str]) -> list[tuple[str, str]]:
    return [*zip(order[:-1], order[1:], strict=True), (order[-1], "Won")] if order else []


def _conversion_counts(deals: pd.DataFrame, key: str, order: list[str]) -> pd.DataFrame:
    """Per key and transition: deals that reached the first stage and how many went on."""
    rows = []
    for a, b in _transitions(order):
        ra = deals[f"reached_{a}"]
        rb = deals["won"].astype(float) if b == "Won" else deals[f"reached_{b}"]
        sel = ra == 1.0
        d = pd.DataFrame({key: deals.loc[sel, key], "x": rb[sel]})
        g = d.groupby(key, sort=True)["x"].agg(["sum", "count"])
        g["transition"] = f"{a}>{b}"
        rows.append(g.reset_index())
    if not rows:
        return pd.DataFrame(columns=[key, "transition", "sum", "count"])
    return pd.concat(rows, ignore_index=True).rename(columns={"sum": "hits", "count": "n"})


def _quarters_between(start: pd.Timestamp, end: pd.Timestamp) -> float:
    return max((end - start).days, 0) / 91.3125


def analyse_team(
    opportunities: pd.DataFrame,
    stage_history: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    *,
    as_of=None,
    stage_order: Sequence[str] | None = None,
    mix_by: Sequence[str] = ("segment", "product"),
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
    level: float = 0.9,
    ramp_months: int = 6,
    warmup_days: int = 365,
    snapshots=None,
) -> TeamAnalysis:
    """Measure every rep fairly: raw figures beside shrunk ones with credible intervals.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities (all statuses).
    stage_history : DataFrame, optional
        Canonical stage history: enables stage-to-stage conversion and the funnel.
    reps : DataFrame, optional
        One row per rep: ``rep`` and optionally ``team``, ``manager``, ``region``,
        ``territory``, ``start_date``, ``quota_per_quarter`` (as
        :func:`salesworkbench.datasets.load_reps`).
    as_of : date, optional
        Analysis date (default: the latest close date of a closed deal).
    stage_order : sequence of str, optional
        Open stages in funnel order (default: ordered by how many deals reached them).
    mix_by : sequence of str
        Columns whose combination defines the mix cells of the mix-adjusted win rate (those
        missing from the data are skipped, and said so in ``notes``).
    prior_strength : float
        Pseudo-deals of the Beta priors (as in the forecast's history model).
    level : float
        Credible level of all intervals (0.9: 5th to 95th percentile).
    ramp_months : int
        Months after a rep's start date before their quarters count as *ramped*.
    warmup_days : int
        Quarters starting less than this many days after the first deal in the data are not
        used for bookings per quarter (deals created before the export window are missing).
    snapshots : SnapshotStore, optional
        Pipeline snapshots for forecast accuracy (commit vs actual).

    Returns
    -------
    TeamAnalysis

    Raises
    ------
    DataError
        Not a canonical table, no closed deals, a reps table without ``rep`` or with blank or
        duplicate names (rows named).

    Warns
    -----
    DataWarning
        Deals without an owner, reps without closed deals, owners missing from the reps table
        (each with a count); they are kept and reported, never dropped silently.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    source = opportunities.attrs.get("source", "opportunities")
    OPPORTUNITIES.validate(opportunities, source=source)
    rep_info = _check_reps(reps)
    notes: list[str] = []
    excluded: dict[str, int] = {}
    has_history = stage_history is not None and len(stage_history) > 0
    open_stages = set(
        opportunities.loc[opportunities["status"].astype(object) == "open", "stage"].dropna()
    )
    if has_history and stage_order is None:
        stage_order = _infer_stage_order(stage_history, open_stages)
        notes.append(
            "stage order inferred from how many deals reached each stage: "
            + " > ".join(stage_order)
            + " (pass stage_order to set it)"
        )
    model = HistoryModel.fit(
        opportunities,
        stage_history,
        group_by="owner",
        as_of=as_of,
        prior_strength=prior_strength,
        stage_order=stage_order,
    )
    as_of = model.as_of
    for k, v in model.excluded.items():
        excluded[f"history: {k}"] = v
    notes.extend(f"history: {n}" for n in model.notes)
    closed = model.closed.reset_index(drop=True).copy()
    # deals worked by as_of (a deal without a created date counts as worked: kept, not dropped)
    allk = opportunities[~(opportunities["created"] > as_of)].copy()
    nocreated = int(allk["created"].isna().sum())
    if nocreated:
        excluded["deals without created date (counted as worked)"] = nocreated
        warn_note(
            notes,
            f"{nocreated} deals have no created date: counted as worked and in pipeline "
            "created, left out of cycle times",
        )
    closed["won"] = (closed["status"].astype(object) == "won").to_numpy()

    # -- bad input: no owner, reps without closed deals, owners not in the reps table
    no_owner_all = allk["owner"].isna().to_numpy()
    if no_owner_all.any():
        no_owner_closed = int(closed["owner"].isna().sum())
        excluded["deals without owner"] = int(no_owner_all.sum())
        warn_note(
            notes,
            f"{int(no_owner_all.sum())} deals have no owner ({no_owner_closed} of them closed; "
            f"{source} column 'owner', rows "
            + ", ".join(map(str, _rows(opportunities["owner"].isna())[:10]))
            + "): counted in the team rates, not in any rep's row",
        )
    owners = sorted(set(allk["owner"].dropna().astype(str)))
    if rep_info is not None:
        unknown = [o for o in owners if o not in rep_info.index]
        if unknown:
            excluded["owners not in the reps table"] = len(unknown)
            warn_note(
                notes,
                f"{len(unknown)} deal owner(s) are not in the reps table ("
                + ", ".join(unknown[:10])
                + "): shown without team, manager, region or quota",
            )
        owners = sorted(set(owners) | set(rep_info.index.astype(str)))
    idx = pd.Index(owners, name="rep")
    n_closed = closed.groupby(closed["owner"].astype(object))["won"].size().reindex(idx)
    no_closed = [r for r in idx if not (n_closed.get(r, 0) > 0)]
    if no_closed:
        excluded["reps without closed deals"] = len(no_closed)
        warn_note(
            notes,
            f"{len(no_closed)} rep(s) have no closed deals ("
            + ", ".join(no_closed[:10])
            + "): their rates show the team's prior, with its full width",
        )

    # -- derived per-deal columns
    created = closed["created"]
    cyc = (closed["close_date"] - created).dt.days.to_numpy(float)
    closed["cycle_days"] = np.where(closed["won"], np.clip(cyc, 0.5, None), np.nan)
    amt = closed["amount"].to_numpy(float)
    closed["won_amount"] = np.where(closed["won"] & (amt > 0), amt, np.nan)

    # -- size and cycle relative to the product's norm (log scale), for mix-fair levers
    prod = closed["product"].astype(object).fillna("(blank)")
    for col, out in (("won_amount", "size_resid"), ("cycle_days", "cycle_resid")):
        lg = np.log(closed[col].to_numpy(float))
        norm = pd.Series(lg).groupby(prod.to_numpy()).transform("mean").to_numpy(float)
        closed[out] = np.exp(lg - norm)

    # -- mix cells
    mix_cols = [c for c in mix_by if c in closed.columns]
    skipped = [c for c in mix_by if c not in closed.columns]
    if skipped:
        notes.append(f"mix adjustment: no column(s) {', '.join(skipped)} in the data; skipped")
    m_all = float(model.overall["mean"])
    k = float(prior_strength)
    if mix_cols:
        cell = closed[mix_cols].astype(object).fillna("(blank)").astype(str).agg(" | ".join, 1)
        cg = closed.groupby(cell)["won"].agg(["sum", "count"])
        a, b = beta_posterior(cg["sum"].to_numpy(), cg["count"].to_numpy(), m_all, k)
        rate = pd.Series(a / (a + b), index=cg.index)
        closed["expected_win"] = cell.map(rate).to_numpy(float)
    else:
        closed["expected_win"] = m_all

    # -- stages reached (closed deals)
    order: list[str] | None = None
    if has_history:
        reached, order = _stages_reached(
            stage_history,
            closed["opportunity_id"].to_numpy(),
            open_stages,
            stage_order,
            as_of,
        )
        for s in order:
            closed[f"reached_{s}"] = reached[s].to_numpy()
        nohist = int(np.isnan(reached.iloc[:, 0].to_numpy()).sum()) if order else 0
        if nohist:
            excluded["closed deals without stage history (funnel)"] = nohist
            warn_note(notes, f"{nohist} closed deals have no stage history: left out of the funnel")
    else:
        notes.append("no stage history: stage-to-stage conversion and funnel not available")

    allk["vc"] = (
        (allk["has_value_case"].astype(object) == "yes").where(allk["has_value_case"].notna())
        if "has_value_case" in allk.columns
        else np.nan
    )
    allk["ps"] = (
        (allk["has_power_sponsor"].astype(object) == "yes").where(allk["has_power_sponsor"].notna())
        if "has_power_sponsor" in allk.columns
        else np.nan
    )
    for col, what in (("has_value_case", "value case"), ("has_power_sponsor", "power sponsor")):
        if col not in allk.columns:
            notes.append(f"no column {col}: share of deals with a {what} not available")

    table, conv, conv_counts = _measure_table(
        closed,
        allk,
        "owner",
        idx,
        model,
        k,
        level,
        order,
        rep_info,
        as_of,
        ramp_months,
        warmup_days,
    )
    if rep_info is not None:
        for c in ("team", "manager", "region", "territory", "start_date", "quota_per_quarter"):
            if c in rep_info.columns:
                table[c] = rep_info[c].reindex(table.index)
    funnel = _funnel(closed, order) if order else None

    acc = None
    if snapshots is None:
        notes.append(
            "no pipeline snapshots given: forecast accuracy (commit vs actual) not available"
        )
    else:
        acc = forecast_accuracy(snapshots, opportunities, as_of=as_of)
        if acc is None:
            notes.append(
                "the snapshot store holds no snapshot of a finished quarter: forecast accuracy "
                "(commit vs actual) not available"
            )
        else:
            per = acc.groupby("rep")[["commit", "actual"]].sum()
            table["commit"] = per["commit"].reindex(table.index)
            table["actual_vs_commit"] = (per["actual"] / per["commit"]).reindex(table.index)
    return TeamAnalysis(
        reps=table,
        conversion=conv,
        conversion_counts=conv_counts,
        funnel_team=funnel,
        deals=closed,
        all_deals=allk,
        model=model,
        stage_order=order,
        rep_info=rep_info,
        forecast_accuracy=acc,
        as_of=as_of,
        prior_strength=k,
        level=level,
        mix_by=tuple(mix_cols),
        ramp_months=int(ramp_months),
        warmup_days=int(warmup_days),
        notes=notes,
        excluded=excluded,
    )


def _measure_table(
    closed: pd.DataFrame,
    allk: pd.DataFrame,
    key: str,
    idx: pd.Index,
    model: HistoryModel,
    k: float,
    level: float,
    order: list[str] | None,
    rep_info: pd.DataFrame | None,
    as_of: pd.Timestamp,
    ramp_months: int,
    warmup_days: int,
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """Every measure for the groups ``idx`` of column ``key`` (owner, team, ...)."""
    z = _z(level)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    m_all = float(model.overall["mean"])
    t = pd.DataFrame(index=idx)
    t["deals_worked"] = allk.groupby(allk[key].astype(object)).size().reindex(idx).fillna(0)
    t["open"] = (
        allk[allk["status"].astype(object) == "open"].groupby(key).size().reindex(idx).fillna(0)
    )
    # win rate: conjugate Beta towards the team rate (as HistoryModel.rates)
    wr = _beta_table(closed[key], closed["won"].to_numpy(float), m_all, k, level)
    wr = wr.reindex(idx)
    n = wr["n"].fillna(0).to_numpy(float)
    w = wr["hits"].fillna(0).to_numpy(float)
    a, b = beta_posterior(w, n, m_all, k)
    t["closed"], t["won"] = n, w
    t["win_rate_raw"] = np.where(n > 0, w / np.maximum(n, 1), np.nan)
    t["win_rate"] = a / (a + b)
    t["win_rate_lo"] = stats.beta.ppf(lo_q, a, b)
    t["win_rate_hi"] = stats.beta.ppf(hi_q, a, b)
    # mix-adjusted: observed / expected wins at the team's cell rates, Gamma-Poisson shrinkage
    e = closed.groupby(closed[key].astype(object))["expected_win"].sum().reindex(idx).fillna(0)
    e = e.to_numpy(float)
    c0 = k * m_all
    t["expected_wins"] = e
    t["mix_effect"] = np.where(n > 0, e / np.maximum(n, 1) / m_all, np.nan)
    t["mix_adj_win_rate_raw"] = np.where(e > 0, m_all * w / np.where(e > 0, e, 1), np.nan)
    t["mix_adj_win_rate"] = m_all * (c0 + w) / (c0 + e)
    t["mix_adj_win_rate_lo"] = m_all * stats.gamma.ppf(lo_q, c0 + w, scale=1 / (c0 + e))
    t["mix_adj_win_rate_hi"] = m_all * stats.gamma.ppf(hi_q, c0 + w, scale=1 / (c0 + e))
    # deal size and cycle time: normal-normal shrinkage of log values
    for name, col, stat in (
        ("deal_size", "won_amount", "mean"),
        ("cycle_days", "cycle_days", "median"),
    ):
        vals = closed[col].to_numpy(float)
        keys = closed[key].astype(object).to_numpy()
        sh = lognormal_shrinkage(vals, keys, level).reindex(idx)
        s2 = float(sh["s2"].dropna().iloc[0]) if sh["s2"].notna().any() else np.nan
        mu = float(sh["mu"].dropna().iloc[0]) if sh["mu"].notna().any() else np.nan
        tau2 = float(sh["tau2"].dropna().iloc[0]) if sh["tau2"].notna().any() else np.nan
        post = sh["post_mean_log"].fillna(mu).to_numpy(float)
        sd = sh["post_sd_log"].fillna(math.sqrt(tau2) if tau2 == tau2 else np.nan)
        sd = sd.to_numpy(float)
        shift = s2 / 2 if stat == "mean" else 0.0
        raw = closed.groupby(closed[key].astype(object))[col]
        t[f"{name}_raw"] = (raw.mean() if stat == "mean" else raw.median()).reindex(idx)
        t[f"{name}_n"] = sh["n"].fillna(0).to_numpy(int)
        t[name] = np.exp(post + shift)
        t[f"{name}_lo"] = np.exp(post - z * sd + shift)
        t[f"{name}_hi"] = np.exp(post + z * sd + shift)
        t[f"{name}_log_mean"] = post
    # the same relative to each product's norm (1 = the team's typical deal of that product)
    for name, col in (("deal_size_index", "size_resid"), ("cycle_index", "cycle_resid")):
        sh = lognormal_shrinkage(
            closed[col].to_numpy(float), closed[key].astype(object).to_numpy(), level
        ).reindex(idx)
        mu = float(sh["mu"].dropna().iloc[0]) if sh["mu"].notna().any() else 0.0
        tau = float(np.sqrt(sh["tau2"].dropna().iloc[0])) if sh["tau2"].notna().any() else 0.0
        post = sh["post_mean_log"].fillna(mu).to_numpy(float)
        sd = sh["post_sd_log"].fillna(tau).to_numpy(float)
        t[name] = np.exp(post)
        t[f"{name}_lo"] = np.exp(post - z * sd)
        t[f"{name}_hi"] = np.exp(post + z * sd)
        t[f"{name}_log_mean"] = post
    t["value_per_deal"] = t["win_rate"] * t["deal_size"]
    t["value_per_deal_lo"] = t["win_rate_lo"] * t["deal_size_lo"]
    t["value_per_deal_hi"] = t["win_rate_hi"] * t["deal_size_hi"]
    # value case / power sponsor shares over all deals worked
    for name, col in (("value_case_share", "vc"), ("power_sponsor_share", "ps")):
        x = allk[col].astype(float)
        if x.notna().any():
            prior = float(x.mean())
            bt = _beta_table(allk[key], x.to_numpy(float), prior, k, level).reindex(idx)
            nn = bt["n"].fillna(0).to_numpy(float)
            hh = bt["hits"].fillna(0).to_numpy(float)
            aa, bb = beta_posterior(hh, nn, prior, k)
            t[f"{name}_raw"] = bt["observed"]
            t[name] = aa / (aa + bb)
            t[f"{name}_lo"] = stats.beta.ppf(lo_q, aa, bb)
            t[f"{name}_hi"] = stats.beta.ppf(hi_q, aa, bb)
    # pipeline created per active quarter, bookings per ramped quarter, attainment
    first = allk["created"].min()
    start = pd.Series(first, index=idx)
    if rep_info is not None and "start_date" in rep_info.columns and key == "owner":
        sd_ = pd.to_datetime(rep_info["start_date"]).reindex(idx)
        start = pd.concat([start, sd_], axis=1).max(axis=1)
    active_q = np.array([_quarters_between(s, as_of) for s in start])
    created_amt = allk.groupby(allk[key].astype(object))["amount"].sum().reindex(idx).fillna(0)
    created_n = t["deals_worked"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["pipeline_per_quarter"] = np.where(active_q > 0, created_amt / active_q, np.nan)
        t["deals_per_quarter"] = np.where(active_q > 0, created_n / active_q, np.nan)
    if key == "owner":
        bq = _ramped_bookings(closed, rep_info, idx, as_of, ramp_months, warmup_days, first)
        per = bq.groupby("rep")["bookings"].agg(["mean", "size"]).reindex(idx)
        t["bookings_per_quarter"] = per["mean"]
        t["ramped_quarters"] = per["size"].fillna(0).astype(int)
        if rep_info is not None and "quota_per_quarter" in rep_info.columns:
            quota = pd.to_numeric(rep_info["quota_per_quarter"], errors="coerce").reindex(idx)
            t["attainment"] = t["bookings_per_quarter"] / quota
    for c in ("deals_worked", "open", "closed", "won"):
        t[c] = t[c].astype(int)
    conv = conv_counts = None
    if order:
        cc = _conversion_counts(closed, key, order)
        conv_counts = cc
        team = cc.groupby("transition")[["hits", "n"]].sum()
        team_rate = team["hits"] / team["n"]
        cols = {}
        for tr in [f"{x}>{y}" for x, y in _transitions(order)]:
            sub = cc[cc["transition"] == tr].set_index(key).reindex(idx)
            hh = sub["hits"].fillna(0).to_numpy(float)
            nn = sub["n"].fillna(0).to_numpy(float)
            pm = float(team_rate.get(tr, m_all))
            aa, bb = beta_posterior(hh, nn, min(max(pm, 1e-6), 1 - 1e-6), k)
            cols[tr] = aa / (aa + bb)
            t[f"conv_{tr}_raw"] = np.where(nn > 0, hh / np.maximum(nn, 1), np.nan)
        conv = pd.DataFrame(cols, index=idx)
    return t, conv, conv_counts


def _ramped_bookings(closed, rep_info, idx, as_of, ramp_months, warmup_days, first) -> pd.DataFrame:
    """Bookings per rep and full quarter once the rep is ramped (zeros included)."""
    q0 = (first + pd.Timedelta(days=warmup_days)).to_period("Q")
    if q0.start_time < first + pd.Timedelta(days=warmup_days):
        q0 = q0 + 1
    q1 = as_of.to_period("Q") - 1  # the last quarter that ended before as_of
    quarters = pd.period_range(q0, q1, freq="Q") if q1 >= q0 else pd.PeriodIndex([], freq="Q")
    won = closed[closed["won"]]
    bq = won.groupby([won["owner"].astype(object), won["close_date"].dt.to_period("Q")])[
        "amount"
    ].sum()
    rows = []
    for r in idx:
        if rep_info is not None and "start_date" in rep_info.columns and r in rep_info.index:
            st = pd.Timestamp(rep_info.loc[r, "start_date"])
        else:
            sel = closed["owner"] == r
            st = closed.loc[sel, "created"].min() if sel.any() else as_of
        ramped = st + pd.DateOffset(months=ramp_months)
        for q in quarters:
            if q.start_time >= ramped and q.end_time < as_of:
                rows.append((r, str(q), float(bq.get((r, q), 0.0))))
    return pd.DataFrame(rows, columns=["rep", "quarter", "bookings"])


def _funnel(deals: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Closed deals reaching each stage and won, with the share of the start and conversion."""
    d = deals[deals[f"reached_{order[0]}"].notna()]
    counts = [len(d)] + [int((d[f"reached_{s}"] == 1).sum()) for s in order] + [int(d["won"].sum())]
    steps = ["closed deals", *order, "Won"]
    out = pd.DataFrame({"deals": counts}, index=pd.Index(steps, name="step"))
    base = max(counts[0], 1)
    out["share"] = out["deals"] / base
    prev = np.r_[np.nan, out["deals"].to_numpy(float)[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["conversion"] = out["deals"].to_numpy(float) / prev
    return out


def group_table(analysis: TeamAnalysis, by: str = "team") -> pd.DataFrame:
    """The measures of :func:`analyse_team` per team, manager, region or territory.

    Each group pools its reps' deals; groups shrink towards the whole team like reps do.
    ``by="rep"`` returns the rep table.
    """
    if by in ("rep", "owner"):
        return analysis.reps
    if analysis.rep_info is None or by not in analysis.rep_info.columns:
        have = [] if analysis.rep_info is None else list(analysis.rep_info.columns)
        raise DataError(
            f"cannot group by {by!r}: the reps table has no such column "
            f"(it has: {', '.join(map(str, have)) or 'no reps table given'})",
            file="reps",
            column=by,
        )
    g = analysis.rep_info[by]
    closed = analysis.deals.copy()
    allk = analysis.all_deals.copy()
    closed["_grp"] = closed["owner"].map(g)
    allk["_grp"] = allk["owner"].map(g)
    unmapped = int(closed["_grp"].isna().sum())
    if unmapped:
        warnings.warn(
            f"{unmapped} closed deals belong to no {by} (no owner, or owner not in the reps "
            "table): counted in the team rates only",
            DataWarning,
            stacklevel=2,
        )
    idx = pd.Index(sorted(g.dropna().astype(str).unique()), name=by)
    t, _, _ = _measure_table(
        closed,
        allk,
        "_grp",
        idx,
        analysis.model,
        analysis.prior_strength,
        analysis.level,
        analysis.stage_order,
        None,
        analysis.as_of,
        analysis.ramp_months,
        analysis.warmup_days,
    )
    t["reps"] = g.groupby(g).size().reindex(idx).fillna(0).astype(int)
    return t


# ----------------------------------------------------------------------------------------------
# stars vs the rest
# ----------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------
# what-if through the pipeline forecast
# ----------------------------------------------------------------------------------------------


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
    trials: int = 10_000,
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
    opts = dict(periods=periods, freq=freq, trials=trials, seed=seed, timing=timing, quota=quota)
    if baseline is None:
        baseline = forecast(opportunities, model, stale_after=stale_after, progress=False, **opts)
    is_open = (opportunities["status"].astype(object) == "open").to_numpy()
    deals = opportunities.loc[is_open].reset_index(drop=True)
    if len(baseline.stale):
        deals = deals[~deals["opportunity_id"].isin(baseline.stale["opportunity_id"])]
        deals = deals.reset_index(drop=True)
    wm = _per_deal(win_rate, deals, "win_rate")
    cm = _per_deal(cycle_time, deals, "cycle_time")
    sm = _per_deal(deal_size, deals, "deal_size")
    if np.all(wm == 1) and np.all(cm == 1) and np.all(sm == 1):
        return baseline.bookings.copy(), baseline
    p = np.clip(model.win_probability(deals) * wm, 0.0, 1.0)
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


def _lever_multipliers(
    analysis: TeamAnalysis, comp: StarsComparison, deals: pd.DataFrame, gap: float
) -> tuple[dict[str, pd.Series], pd.DataFrame, dict[str, object]]:
    reps = analysis.reps
    d = analysis.deals
    k = analysis.prior_strength
    in_s = d["owner"].isin(comp.stars).to_numpy()
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
    if srates is not None and cells is not None:
        order = [x for x in (analysis.stage_order or []) if x in srates.index]
        order += [x for x in srates.index if x not in order]
        cell_stage = cells.index.get_level_values(0)
        for st in order:
            pm = float(srates.loc[st, "mean"])
            sub = cells[cell_stage == st].droplevel(0) if (cell_stage == st).any() else None
            if sub is None:
                sub = pd.DataFrame(columns=["wins", "n"], dtype=float)
            sw = sub.reindex(comp.stars)[["wins", "n"]].fillna(0).sum()
            a, b = beta_posterior(sw["wins"], sw["n"], pm, k)
            stage_target[st] = float(a / (a + b))
            for r in rest:
                w_, n_ = (sub.loc[r, "wins"], sub.loc[r, "n"]) if r in sub.index else (0, 0)
                a, b = beta_posterior(w_, n_, pm, k)
                rep_stage[(r, st)] = float(a / (a + b))
    bg = model.by_group if model.by_group is not None else pd.DataFrame(columns=["wins", "n"])
    sw = bg.reindex(comp.stars)[["wins", "n"]].fillna(0).sum()
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
    trials: int = 10_000,
    seed: int = 0,
    timing: str | None = None,
    stale_after: float | None = 90,
    quota=None,
    progress: bool = False,
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
    comp = stars_vs_rest(analysis, measure, quantile, rank_by=rank_by)
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
    base = forecast(opportunities, analysis.model, progress=False, **opts)
    is_open = (opportunities["status"].astype(object) == "open").to_numpy()
    deals = opportunities.loc[is_open]
    deals = deals[~deals["opportunity_id"].isin(base.stale["opportunity_id"])]
    noown = int(deals["owner"].isna().sum())
    if noown:
        notes.append(f"{noown} open deals without owner: simulated unchanged")
    lev, per_rep, targets = _lever_multipliers(analysis, comp, deals.reset_index(drop=True), gap)
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


# ----------------------------------------------------------------------------------------------
# forecast accuracy from snapshots
# ----------------------------------------------------------------------------------------------


def forecast_accuracy(
    store, opportunities: pd.DataFrame, *, as_of=None, category: str = "commit"
) -> pd.DataFrame | None:
    """Commit vs actual per rep for each stored snapshot of a finished quarter.

    For a snapshot taken on day ``d``: *commit* is the amount of the rep's open deals in
    forecast category ``category`` with an expected close from ``d`` to the end of ``d``'s
    quarter; *actual* is what the rep booked in that window (won deals of ``opportunities``).

    Returns
    -------
    DataFrame or None
        Columns ``snapshot, quarter, rep, commit, actual, error`` (actual - commit) and
        ``ratio`` (actual / commit); None when the store has no snapshot of a quarter that has
        ended by ``as_of`` (nothing is invented).
    """
    dates = list(store.dates()) if store is not None else []
    won = opportunities[opportunities["status"].astype(object) == "won"]
    closed = opportunities["status"].astype(object).isin(["won", "lost"])
    as_of = (
        pd.Timestamp(as_of)
        if as_of is not None
        else opportunities.loc[closed.to_numpy(), "close_date"].max()
    )
    rows = []
    for day in dates:
        q = day.to_period("Q")
        end = q.end_time.normalize()
        if end >= as_of:
            continue
        snap = store.load(day)
        if "forecast_category" not in snap.columns:
            continue
        o = snap[snap["status"].astype(object) == "open"]
        cat = o["forecast_category"].astype(object).str.lower().str.replace(" ", "_")
        inq = (o["close_date"] >= day) & (o["close_date"] <= end) & (cat == category)
        commit = o[inq.to_numpy()].groupby(o["owner"].astype(object))["amount"].sum()
        wq = won[(won["close_date"] >= day) & (won["close_date"] <= end)]
        actual = wq.groupby(wq["owner"].astype(object))["amount"].sum()
        for rep in sorted(set(commit.index) | set(actual.index)):
            c, a = float(commit.get(rep, 0.0)), float(actual.get(rep, 0.0))
            rows.append(
                {
                    "snapshot": day,
                    "quarter": str(q),
                    "rep": rep,
                    "commit": c,
                    "actual": a,
                    "error": a - c,
                    "ratio": a / c if c > 0 else np.nan,
                }
            )
    if not rows:
        return None
    return pd.DataFrame(rows)
