"""Fair rep measures: :func:`analyse_team`, its :class:`TeamAnalysis` and :func:`group_table`.

:func:`analyse_team` measures every rep (and, with :func:`group_table`, every team, manager or
region): deals worked, win rate, won deal size, cycle time, pipeline created, stage-to-stage
conversion, value-case and power-sponsor shares, quota attainment and, where pipeline
snapshots exist, forecast accuracy (commit vs actual). Small samples shrink towards the team
(:mod:`salesworkbench.team.shrinkage`): win rates and shares with conjugate Beta posteriors
(rep win rates equal the history model's ``rates("owner")``), deal size and cycle time with a
normal-normal model on the log scale. The win rate is also shown *mix-adjusted* (indirect
standardisation on segment x product) and *counting deals that never close*
(``win_rate_h``: won within ``horizon_days`` of creation, lost as a competing risk, open deals
censored; :mod:`salesworkbench.team.outcomes`).

Deal size and cycle time
------------------------
Won deal sizes are skewed, so they are summarised on the log scale: ``deal_size_raw`` is the
rep's *geometric mean* won deal and ``deal_size`` its shrunk value ``exp(posterior mean log)``,
which always lies between the rep's own geometric mean and the team's (a weighted average on
the log scale). ``deal_size_mean_raw`` keeps the arithmetic mean for reference. (The mean of a
log-normal, ``exp(mu + s2 / 2)``, is not used: with the large pooled log variance of real CRM
data it lands far outside the range of the data.)

Cycle time is the *survival median days to win*: the time by which half of the rep's eventual
wins closed, counting the rep's open deals as censored (Aalen-Johansen, lost deals competing),
not a mean of won deals only: won cycles are often bimodal (quick renewals and long new-logo
deals), where a geometric mean describes no deal. It is shrunk towards the team's survival
median on the log scale, with the sampling variance of a log median taken as
``(pi / 2) s2 / n_won`` (``s2`` the pooled within-rep variance of log days to win: the normal
approximation of a median's variance).

Mix adjustment
--------------
Expected wins ``E_r`` = sum over the rep's closed deals of the team's win rate in the deal's
segment x product cell; ``O_r / E_r`` has the conjugate ``Gamma(c + O_r, c + E_r)`` posterior
(prior mean 1, ``c = k m`` pseudo-wins) and the mix-adjusted rate is ``m O_r / E_r``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from salesworkbench.errors import DataError, DataWarning, warn_note
from salesworkbench.pipeline import DEFAULT_PRIOR_STRENGTH, HistoryModel, beta_posterior
from salesworkbench.schemas import OPPORTUNITIES
from salesworkbench.team.accuracy import forecast_accuracy
from salesworkbench.team.outcomes import days_to_win, deal_outcomes, default_horizon, win_within
from salesworkbench.team.shrinkage import _beta_table, _z, lognormal_shrinkage, normal_shrinkage
from salesworkbench.team.stages import (
    _conversion_counts,
    _funnel,
    _infer_stage_order,
    _stages_reached,
    _transitions,
)

__all__ = [
    "GROUP_COLUMNS",
    "GROUP_NOISE",
    "MEASURES",
    "TeamAnalysis",
    "analyse_team",
    "group_table",
]


#: Measures reps can be ranked by (column of the rep table, higher is better unless noted).
MEASURES: dict[str, tuple[str, bool, str]] = {
    "win_rate": ("win_rate", True, "win rate (shrunk)"),
    "mix_adjusted_win_rate": ("mix_adj_win_rate", True, "win rate adjusted for segment/product"),
    "deal_size": ("deal_size", True, "typical won deal (shrunk geometric mean)"),
    "cycle_time": ("cycle_days", False, "survival median days to win (shrunk; lower better)"),
    "win_rate_within": ("win_rate_h", True, "won within the horizon, open deals counted"),
    "deal_size_index": ("deal_size_index", True, "won deal size relative to product norm"),
    "cycle_index": ("cycle_index", False, "cycle time relative to product norm (lower better)"),
    "value_per_deal": ("value_per_deal", True, "win rate x typical won deal (per deal)"),
    "value_case_share": ("value_case_share", True, "share of deals with a value case"),
    "power_sponsor_share": ("power_sponsor_share", True, "share of deals with a power sponsor"),
}


def _rows(mask) -> list[int]:
    return (np.flatnonzero(np.asarray(mask)) + 2).tolist()


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
    horizon_days: float = 365.0
    stage_history: pd.DataFrame | None = field(default=None, repr=False)
    #: results that depend only on the analysis and a seed (held-out splits), kept for reuse
    cache: dict = field(default_factory=dict, repr=False, compare=False)
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
            "win_rate_h",
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
    horizon_days: float | None = None,
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
    horizon_days : float, optional
        Horizon of the win rate that counts never-closed deals (``win_rate_h``: won within
        this many days of creation). Default: the days by which 90% of the team's eventual
        wins closed (open deals censored), so the rate is close to "ever won" while a deal
        open for much longer than a won deal ever took counts as not won.

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
    if horizon_days is not None and not (np.isfinite(horizon_days) and horizon_days > 0):
        raise ValueError(f"horizon_days must be a positive number of days, got {horizon_days!r}")
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
    out = deal_outcomes(allk, as_of)
    allk["cr_days"], allk["cr_code"] = out["days"].to_numpy(), out["code"].to_numpy()
    if horizon_days is None:
        horizon_days = default_horizon(allk["cr_days"], allk["cr_code"])
        notes.append(
            f"win rate counting never-closed deals (win_rate_h): won within {horizon_days:g} days"
            " of creation, the time by which 90% of the team's eventual wins closed"
        )

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
        parts = [closed[c].astype(object).fillna("(blank)").astype(str) for c in mix_cols]
        cell = parts[0]
        for part in parts[1:]:
            cell = cell + " | " + part
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
        float(horizon_days),
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
        horizon_days=float(horizon_days),
        stage_history=stage_history if has_history else None,
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
    horizon: float,
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
    # win rate within the horizon, never-closed deals counted (Aalen-Johansen per group)
    keys_a = allk[key].astype(object).to_numpy()
    ph, neff = win_within(allk["cr_days"], allk["cr_code"], keys_a, idx, horizon)
    team_h, _ = win_within(
        allk["cr_days"], allk["cr_code"], np.zeros(len(allk)), pd.Index([0]), horizon
    )
    m_h = float(np.clip(team_h[0], 1e-6, 1 - 1e-6)) if np.isfinite(team_h[0]) else m_all
    hh = np.nan_to_num(ph * neff)
    a_h, b_h = beta_posterior(hh, neff, m_h, k)
    t["win_rate_h_raw"] = ph
    t["win_rate_h_n"] = neff
    t["win_rate_h"] = a_h / (a_h + b_h)
    t["win_rate_h_lo"] = stats.beta.ppf(lo_q, a_h, b_h)
    t["win_rate_h_hi"] = stats.beta.ppf(hi_q, a_h, b_h)
    # deal size: geometric mean, normal-normal shrinkage of the mean log
    keys = closed[key].astype(object).to_numpy()
    sh = lognormal_shrinkage(closed["won_amount"].to_numpy(float), keys, level).reindex(idx)
    mu = float(sh["mu"].dropna().iloc[0]) if sh["mu"].notna().any() else np.nan
    tau2 = float(sh["tau2"].dropna().iloc[0]) if sh["tau2"].notna().any() else np.nan
    post = sh["post_mean_log"].fillna(mu).to_numpy(float)
    sd = sh["post_sd_log"].fillna(math.sqrt(tau2) if tau2 == tau2 else np.nan).to_numpy(float)
    amt = closed.groupby(closed[key].astype(object))["won_amount"]
    t["deal_size_raw"] = np.exp(sh["mean_log"].to_numpy(float))
    t["deal_size_mean_raw"] = amt.mean().reindex(idx)
    t["deal_size_n"] = sh["n"].fillna(0).to_numpy(int)
    t["deal_size"] = np.exp(post)
    t["deal_size_lo"] = np.exp(post - z * sd)
    t["deal_size_hi"] = np.exp(post + z * sd)
    t["deal_size_log_mean"] = post
    # cycle time: survival median days to win, shrunk on the log scale
    med = days_to_win(allk["cr_days"], allk["cr_code"], keys_a, idx)
    team_med = days_to_win(allk["cr_days"], allk["cr_code"], np.zeros(len(allk)), pd.Index([0]))[0]
    cyc = lognormal_shrinkage(closed["cycle_days"].to_numpy(float), keys, level).reindex(idx)
    s2c = float(cyc["s2"].dropna().iloc[0]) if cyc["s2"].notna().any() else np.nan
    n_won = cyc["n"].fillna(0).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.log(np.where(med > 0, med, np.nan))
        var = np.where(n_won > 0, math.pi / 2 * s2c / n_won, np.inf)
    mu_c = math.log(team_med) if np.isfinite(team_med) and team_med > 0 else np.nan
    post_c, sd_c, _ = normal_shrinkage(ylog, var, mu_c)
    t["cycle_days_raw"] = med
    t["cycle_days_n"] = n_won.astype(int)
    t["cycle_days"] = np.exp(post_c)
    t["cycle_days_lo"] = np.exp(post_c - z * sd_c)
    t["cycle_days_hi"] = np.exp(post_c + z * sd_c)
    t["cycle_days_log_mean"] = post_c
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
    # each rep's start: the reps table, else their first closed deal's creation, else as_of
    first_created = closed.groupby(closed["owner"].astype(object))["created"].min()
    start = pd.Series(first_created.reindex(idx).to_numpy(), index=idx).fillna(as_of)
    if rep_info is not None and "start_date" in rep_info.columns:
        known = pd.to_datetime(rep_info["start_date"]).reindex(idx)
        start = known.where(idx.isin(rep_info.index), start)
    ramped = pd.Series(
        [s + pd.DateOffset(months=ramp_months) for s in start], index=idx, dtype="M8[ns]"
    )
    q_start = np.array([q.start_time for q in quarters], dtype="M8[ns]")
    q_end = np.array([q.end_time for q in quarters], dtype="M8[ns]")
    ok = (q_start[None, :] >= ramped.to_numpy()[:, None]) & (q_end[None, :] < as_of.to_datetime64())
    r_i, q_i = np.nonzero(ok)
    reps_ = idx.to_numpy()[r_i]
    qs = [quarters[j] for j in q_i]
    keys = pd.MultiIndex.from_arrays([pd.Index(reps_, dtype=object), pd.PeriodIndex(qs, freq="Q")])
    book = bq.reindex(keys).fillna(0.0).to_numpy(float) if len(keys) else np.zeros(0)
    return pd.DataFrame({"rep": reps_, "quarter": [str(q) for q in qs], "bookings": book})


#: The columns :func:`group_table` shows by default (those present, in this order).
GROUP_COLUMNS = (
    "reps",
    "closed",
    "won",
    "win_rate",
    "win_rate_lo",
    "win_rate_hi",
    "mix_effect",
    "deal_size",
    "cycle_days",
    "value_per_deal",
    "pipeline_per_quarter",
    "attainment",
)

#: Float noise tolerance of :func:`group_table`: a value smaller than this share of its
#: column's largest magnitude is set to 0 (sums of shrunk rates leave ``-1.04e-10``).
GROUP_NOISE = 1e-9


def _focus(table: pd.DataFrame, all_columns: bool) -> pd.DataFrame:
    """Zero the float noise and, unless ``all_columns``, keep :data:`GROUP_COLUMNS`."""
    out = table.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c].dtype):
            x = out[c].to_numpy(dtype="float64", copy=True)
            finite = np.abs(x[np.isfinite(x)])
            if finite.size and finite.max() > 0:
                x[np.abs(x) < GROUP_NOISE * finite.max()] = 0.0
                out[c] = x
    if not all_columns:
        out = out[[c for c in GROUP_COLUMNS if c in out.columns]]
    out.attrs["formats"] = {
        c: "percent"
        for c in out.columns
        if c.startswith(("win_rate", "mix_adj", "value_case_share", "power_sponsor"))
        or c == "attainment"
    }
    return out


def group_table(
    analysis: TeamAnalysis, by: str = "team", *, all_columns: bool = False
) -> pd.DataFrame:
    """The measures of :func:`analyse_team` per team, manager, region or territory.

    Each group pools its reps' deals; groups shrink towards the whole team like reps do.
    ``by="rep"`` gives the reps.

    Parameters
    ----------
    analysis : TeamAnalysis
    by : str, default "team"
        A column of the reps table, or "rep".
    all_columns : bool, default False
        Every measure with its raw figures, counts and intervals (about 60 columns); by
        default a focused set (:data:`GROUP_COLUMNS`: reps, deals, the win rate with its
        interval, mix effect, deal size, cycle, value per deal, pipeline, attainment).

    Returns
    -------
    DataFrame
        One row per group. Float noise below :data:`GROUP_NOISE` of a column's largest
        magnitude is 0; ``attrs["formats"]`` marks the rate columns as percentages for
        :func:`salesworkbench.render.format_table`.
    """
    if by in ("rep", "owner"):
        return _focus(analysis.reps, all_columns)
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
        analysis.horizon_days,
    )
    t["reps"] = g.groupby(g).size().reindex(idx).fillna(0).astype(int)
    return _focus(t, all_columns)
