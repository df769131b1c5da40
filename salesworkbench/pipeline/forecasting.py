"""The pipeline forecast: the open pipeline and the deals not yet created, simulated together.

:func:`forecast` takes the open deals and a fitted
:class:`~salesworkbench.pipeline.HistoryModel` (see :mod:`salesworkbench.pipeline.history`).
The :class:`ForecastResult` has per-period mean, P10/P50/P90, P(bookings >= quota), the means
from the pipeline and from new deals, each deal's contribution, and the stage-weighted forecast
beside it.

Model, in one paragraph
-----------------------
Win and loss are competing risks over deal age (:mod:`~salesworkbench.pipeline.curves`): an
open deal of age ``a`` in group ``g`` wins within period ``k`` with probability
``q_ik = (F_g(e_k) - F_g(s_k - 1)) / S_g(a - 1)`` from the Aalen-Johansen curves fitted on won,
lost and still-open deals, so old deals fade as the data say. Each deal has a categorical outcome
per trial ("won in period 1", ..., "won in period K", "not won within the periods"); the
simulation draws one uniform number per deal and trial and compares it with the cumulative
thresholds. Deals created after ``as_of`` add Poisson numbers of wins with resampled sizes
(:mod:`~salesworkbench.pipeline.new_deals`). The band also holds the uncertainty of the learned
curves, a shared period shock and an optional calibration factor
(:mod:`~salesworkbench.pipeline.uncertainty`); with ``uncertainty="deal"`` each deal's
contribution has the exact mean ``a q`` and variance ``a^2 q (1 - q)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesworkbench._random import named_stream
from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import warn_note
from salesworkbench.pipeline.amounts import ALL, MIN_DEALS, realisation_ratios
from salesworkbench.pipeline.history import HistoryModel, check_opportunities
from salesworkbench.pipeline.periods import PERIOD_NAMES, _day, forecast_periods
from salesworkbench.pipeline.prices import typical_amounts
from salesworkbench.pipeline.probabilities import TIMINGS, deal_probabilities
from salesworkbench.pipeline.rollup import UNASSIGNED, Hierarchy, new_deal_shares, rollup_table
from salesworkbench.pipeline.simulation import (
    DEAL_BLOCK,
    TRIAL_BLOCK,
    NewDeals,
    RateDraws,
    simulate_pipeline,
)
from salesworkbench.pipeline.timing_choice import choose_timing
from salesworkbench.pipeline.uncertainty import MAX_SHOCK, calibrate, period_shock

__all__ = ["ForecastResult", "forecast"]

#: Walk-forward errors (monthly cut-offs before the fit date) needed to size the shock by them.
MIN_WALK_FORWARD = 3

#: Block sizes of the Monte Carlo (see :mod:`salesworkbench.pipeline.simulation`).
BLOCKS = (TRIAL_BLOCK, DEAL_BLOCK)


# ----------------------------------------------------------------------------------------------
# forecast
# ----------------------------------------------------------------------------------------------


@dataclass
class ForecastResult:
    """Result of :func:`forecast`.

    Attributes
    ----------
    summary : DataFrame
        One row per period plus ``total``: mean, sd, p10, p50, p90 (of all bookings),
        from_pipeline and from_new_deals (their means; they add up to ``mean``), quota,
        p_quota (share of trials with bookings >= quota), expected (closed-form mean under the
        learned rates), stage_weighted, pipeline (open amount with expected close in the
        period), coverage (pipeline / quota).
    deals : DataFrame
        One row per open deal: amount (as recorded), booked_ratio (what a win books per unit
        recorded, see :mod:`~salesworkbench.pipeline.amounts`; 1 without stage history of
        amounts), win_prob, probability of winning within each period (``prob_<period>``),
        expected value per period and in total (``amount * booked_ratio * prob``), variance
        and share of the forecast's variance; sorted by expected value.
    bookings : ndarray
        Simulated bookings, shape (trials, periods): ``bookings_pipeline + bookings_new``.
    bookings_pipeline, bookings_new : ndarray
        The two parts, trial by trial.
    categories : DataFrame or None
        Commit / best case / pipeline amounts per period (where the data has forecast
        categories).
    stale : DataFrame
        Open deals flagged stale (see ``stale_after``; kept in the forecast): clean them up.
    notes : list of str
        What was excluded or imputed, with counts; what the band holds; the grouping chosen.
    calibration : float
        The factor the band was widened by (1.0: none).
    shock : float
        Sigma of the shared period shock used (0: none).
    group_by : str or None
        The grouping of the win curves.
    timing : str
        The timing used (``created``, ``stage`` or ``close_date``; with ``timing="auto"``
        the one picked, and why in ``notes``).
    rollup : DataFrame or None
        With ``hierarchy``: one row per node of the hierarchy and period (see
        :mod:`salesworkbench.pipeline.rollup`): ``level, name, parent, period, mean, p10,
        p50, p90`` (all bookings, from the same trials as ``summary``), ``children_p10`` and
        ``children_p90`` (the sums of the children's percentiles: percentiles do not add),
        ``from_pipeline``, ``from_new_deals``, ``open_deals`` and, where quotas are given,
        ``quota`` and ``p_quota``.
    rollup_nodes : DataFrame or None
        ``level, name, parent`` per node, in the order of ``rollup_bookings``' second axis.
    rollup_bookings : ndarray or None
        Simulated bookings per trial, node and period (trials, nodes, periods).
    """

    periods: pd.PeriodIndex
    as_of: pd.Timestamp
    summary: pd.DataFrame
    deals: pd.DataFrame
    bookings: np.ndarray
    categories: pd.DataFrame | None
    stale: pd.DataFrame
    notes: list[str]
    excluded: dict[str, int]
    trials: int
    seed: int | None
    bookings_pipeline: np.ndarray | None = None
    bookings_new: np.ndarray | None = None
    calibration: float = 1.0
    shock: float = 0.0
    group_by: str | None = None
    timing: str = "created"
    rollup: pd.DataFrame | None = None
    rollup_nodes: pd.DataFrame | None = None
    rollup_bookings: np.ndarray | None = None

    def node_bookings(self, name: str, level: str | None = None) -> np.ndarray:
        """Simulated bookings of one node of the roll-up, per trial and period.

        Raises
        ------
        KeyError
            No roll-up, or no such node (the message lists the levels).
        """
        if self.rollup_nodes is None:
            raise KeyError("no roll-up: call forecast(..., hierarchy=table)")
        sel = self.rollup_nodes["name"] == str(name)
        if level is not None:
            sel &= self.rollup_nodes["level"] == level
        hits = np.flatnonzero(sel.to_numpy())
        if hits.size != 1:
            levels = ", ".join(self.rollup_nodes["level"].unique())
            what = "ambiguous (give level)" if hits.size else "not found"
            raise KeyError(f"node {name!r} {what}; levels: {levels}")
        return self.rollup_bookings[:, hits[0], :]


def forecast(
    open_pipeline: pd.DataFrame,
    history_model: HistoryModel,
    periods: int | Sequence = 2,
    *,
    freq: str = "quarter",
    trials: int = FORECAST_TRIALS,
    seed: int | None = None,
    quota: float | Sequence[float] | None = None,
    as_of=None,
    timing: str = "auto",
    win_prob: str | np.ndarray = "history",
    stale_after: float | None = 90,
    progress: bool | None = None,
    new_deals: bool = True,
    uncertainty: str = "full",
    calibration: float | None = None,
    stage_history: pd.DataFrame | None = None,
    hierarchy: pd.DataFrame | Hierarchy | None = None,
    rollup_quota: Mapping[str, float] | None = None,
    executor: Executor | None = None,
) -> ForecastResult:
    """Monte Carlo bookings forecast: the open pipeline plus deals not yet created.

    Parameters
    ----------
    open_pipeline : DataFrame
        Canonical opportunities; rows whose status is not ``open`` are left out (counted). A
        full export that runs past ``as_of`` (deals created or closed on or after it; see
        :func:`~salesworkbench.pipeline.backtesting.runs_past`) is first rebuilt as it stood
        at the start of that day with :func:`~salesworkbench.pipeline.pipeline_at`. On the
        history model's own ``as_of`` day (the default) the table may hold that day, whose
        closes the model was fitted on: it is rebuilt as it stood at the end of the day.
    history_model : HistoryModel
        Fitted on the history (closed and still-open deals).
    periods : int or sequence of periods
        Number of periods from the one holding ``as_of``, or explicit ``pd.Period`` s.
    freq : {"quarter", "month", "year"}
        Period length when ``periods`` is an int.
    trials : int, default :data:`~salesworkbench.defaults.FORECAST_TRIALS`
        Monte Carlo trials.
    seed : int, optional
        Seed; the same seed gives the same result.
    quota : float or sequence, optional
        Quota per period (one number for all periods, or one per period).
    as_of : date, optional
        Forecast date (default: the history model's ``as_of``). Deals close on or after it.
    timing : {"auto", "created", "stage", "close_date"}
        When a deal that wins closes (see :mod:`~salesworkbench.pipeline.probabilities`).
        ``created``: win probability *and* timing from the competing-risk curves of the
        deal's group at its age. ``stage``: both from the landmark curves of its current stage
        at its age in the stage (needs stage history). ``close_date``: the chance from those
        curves, the timing from the expected close date the CRM shows and how far closes fell
        from the expected dates shown while earlier won deals were open (needs expected close
        dates in the stage history). ``auto`` (default): chosen on the history before the
        model's fit date, the expected close date where it told which deals won better than
        stage or age, else the timing with the smallest walk-forward error
        (:mod:`~salesworkbench.pipeline.timing_choice`), ``created`` without stage history;
        ``result.timing`` and ``notes`` say which and why.
    win_prob : "history", "crm" or array
        Win probabilities: the history model's, the CRM's ``probability`` column, or given
        (timing given a win then comes from the curves, ``P(won in period) / P(won)``, or
        from the expected close date with ``timing="close_date"``). With
        ``timing="stage"`` and no stage curves, "history" is the closed-deal rate by stage
        and group (:meth:`HistoryModel.win_probability`).
    stale_after : float or None, default 90
        A reported flag only: open deals whose expected close date passed more than this many
        days ago, or older than the longest won cycle, are listed in ``result.stale`` (clean
        them up in the CRM). They stay in the forecast; the curves give old deals the low
        chance the data say they have.
    progress : bool, optional
        Show a progress bar (default: when the run is large).
    new_deals : bool, default True
        Add bookings from deals created after ``as_of`` that close won within the periods
        (see :mod:`salesworkbench.pipeline.new_deals`). Its mean is ``summary.from_new_deals``.
    uncertainty : {"full", "deal"}
        ``full``: the band also holds the uncertainty of the learned rates and timing (a
        Bayesian bootstrap of the history per block of trials) and a shared period shock
        estimated from the history (see :mod:`salesworkbench.pipeline.uncertainty`).
        ``deal``: each deal's luck only (rates and timing as learned).
    calibration : float, optional
        Widen (> 1) or narrow each period's spread around its mean by this factor, e.g. the
        conformal factor from walk-forward errors; reported as ``result.calibration``.
    stage_history : DataFrame, optional
        Used with a full export and ``as_of`` to rebuild each deal's stage as of then.
    hierarchy : DataFrame or Hierarchy, optional
        Roll the forecast up the sales hierarchy (``result.rollup``): owners (as in the
        ``owner`` column) in the first column, higher levels in the next ones, e.g.
        ``reps[["rep", "team", "region"]]``; an optional ``quota`` column holds each rep's
        quota per period. The per-trial work is one group-sum per block (no second
        simulation); see :mod:`salesworkbench.pipeline.rollup` for how new deals are split.
    rollup_quota : mapping, optional
        Node name -> quota per period, for any level (overrides the ``quota`` column).
    executor : concurrent.futures.Executor, optional
        Runs the simulation's trial blocks (e.g. ``ThreadPoolExecutor(2)``, or a Dask
        cluster's ``distributed.Client(...).get_executor()``). Same seed, same result with
        or without it.

    Returns
    -------
    ForecastResult
    """
    model = history_model
    if not isinstance(model, HistoryModel):
        raise TypeError("history_model must be a HistoryModel (use HistoryModel.fit)")
    if not (isinstance(trials, int | np.integer) and trials >= 1):
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    if timing != "auto" and timing not in TIMINGS:
        raise ValueError(f"timing must be 'auto' or one of {', '.join(TIMINGS)}, got {timing!r}")
    if uncertainty not in ("full", "deal"):
        raise ValueError(f"uncertainty must be 'full' or 'deal', got {uncertainty!r}")
    if calibration is not None and not (np.isfinite(calibration) and calibration > 0):
        raise ValueError(f"calibration must be a positive factor, got {calibration!r}")
    source = (
        open_pipeline.attrs.get("source", "open pipeline")
        if isinstance(open_pipeline, pd.DataFrame)
        else "open pipeline"
    )
    check_opportunities(open_pipeline, source)
    notes: list[str] = []
    excluded: dict[str, int] = {}
    as_of = pd.Timestamp(as_of if as_of is not None else model.as_of).normalize()
    pidx = forecast_periods(as_of, periods, freq)

    # what the table may hold: what was known at the start of as_of, or, on the model's own
    # as_of day, what the model was fitted on (closes through the end of that day)
    from salesworkbench.pipeline.as_stood import pipeline_at, runs_past

    model_day = as_of == pd.Timestamp(model.as_of).normalize()
    known_to = as_of + pd.Timedelta(days=1) if model_day else as_of
    if runs_past(open_pipeline, known_to):
        n_rows = len(open_pipeline)
        open_pipeline = pipeline_at(open_pipeline, known_to, stage_history)
        day = "the model's as_of: at the end" if model_day else "at the start"
        notes.append(
            f"the table runs past {as_of.date()} ({day} of that day): the pipeline was rebuilt "
            f"as it stood then ({len(open_pipeline)} deals open of {n_rows} rows; see "
            "pipeline_at)"
        )
    is_open = (open_pipeline["status"].astype(object) == "open").to_numpy()
    if (~is_open).any():
        excluded["not open (won or lost)"] = int((~is_open).sum())
        notes.append(
            f"{int((~is_open).sum())} won/lost rows left out: only open deals are forecast"
        )
    deals = open_pipeline.loc[is_open].reset_index(drop=True)
    n = len(deals)

    # -- amounts
    amount = deals["amount"].to_numpy(float).copy()
    miss = np.isnan(amount)
    if miss.any():
        amount[miss] = typical_amounts(deals.loc[miss], model)
        warn_note(
            notes,
            f"{int(miss.sum())} open deals have no amount: their product's list price "
            "(if given) or median won amount (or the overall median) is used",
        )
        excluded["open deals with amount imputed"] = int(miss.sum())
    amount = amount * model.deal_size_scale
    # what a win books: a recorded amount times what won deals booked against what they showed
    # (an imputed amount comes from won deals: booked already)
    booked_ratio = np.where(miss, 1.0, realisation_ratios(deals, model.amount_ratio))
    booked = amount * booked_ratio
    if model.amount_ratio is not None and (~miss).any():
        notes.append(_realisation_note(model.amount_ratio, booked_ratio[~miss]))

    # -- stale: a reported flag
    stale = deals.iloc[:0]
    if stale_after is not None:
        overdue = (as_of - deals["close_date"]).dt.days.to_numpy(float)
        age = (as_of - deals["created"]).dt.days.to_numpy(float)
        longest = model.cycle_days.max() * model.cycle_scale if model.cycle_days.size else np.inf
        is_stale = (overdue > stale_after) | (age > longest)
        if is_stale.any():
            stale = deals.loc[is_stale].reset_index(drop=True)
            excluded["stale open deals (flagged, kept)"] = int(is_stale.sum())
            warn_note(
                notes,
                f"{int(is_stale.sum())} open deals are stale (expected close more than "
                f"{stale_after:g} days ago, or older than the longest won cycle, "
                f"{longest:.0f} days): kept in the forecast with the low chance their age "
                "gives them; see result.stale and clean them up in the CRM",
            )

    # -- win probabilities and timing: q[i, k] = P(deal i won within period k)
    starts = np.array([max(_day(pr.start_time), _day(as_of)) for pr in pidx], float)
    ends = np.array([_day(pr.end_time) for pr in pidx], float)
    auto_timing = timing == "auto"
    if auto_timing:
        timing = choose_timing(model, pidx.freqstr[0])
        notes.append(model.timing_choice[pidx.freqstr[0]]["reason"])
    curves = (
        isinstance(win_prob, str)
        and win_prob == "history"
        and timing == "created"
        and model.win_model is not None
    )
    p, q = deal_probabilities(
        deals,
        model,
        as_of,
        starts,
        ends,
        timing,
        win_prob,
        notes,
        excluded,
        source=source,
        rows=np.flatnonzero(is_open) + 2,
    )
    exp_k = booked[:, None] * q

    # -- new deals and the extras in the band
    nd = NewDeals(model, as_of, starts, ends) if new_deals else None
    full = uncertainty == "full"
    sigma, shock_note = 0.0, "period shock: off (uncertainty='deal')"
    if full:
        won = model.closed[model.closed["status"].astype(object) == "won"]
        sigma, shock_note = period_shock(
            won["close_date"], won["amount"].to_numpy(float), model.as_of, pidx.freqstr[0]
        )
    # the model's own walk-forward errors: of the timing used over one-period windows where
    # timing="auto" scored it, else of the curves from creation over one-month windows
    wf, luck, window = None, None, "a month"
    choice = model.timing_choice.get(pidx.freqstr[0]) if auto_timing else None
    if choice is not None and choice.get("log_errors") is not None:
        wf, luck = choice["log_errors"], choice["luck_variance"]
        window = f"a {PERIOD_NAMES[pidx.freqstr[0]]}"
    elif model.group_errors is not None:
        wf = model.group_errors.attrs.get("log_errors")
        luck = model.group_errors.attrs.get("luck_variance")
    if full and wf is not None and len(wf) >= MIN_WALK_FORWARD:
        luck = np.zeros(len(wf)) if luck is None else luck
        s_wf = float(np.sqrt(max(0.0, np.mean(np.square(wf)) - np.mean(luck))))
        s_wf = min(s_wf, MAX_SHOCK)
        if s_wf > sigma:
            shock_note += (
                f"; raised to {s_wf:.2f}: the model's own walk-forward log errors over "
                f"{window} at {len(wf)} monthly cut-offs before {model.as_of.date()}, beyond "
                "what deal luck explains"
            )
            sigma = s_wf
    draws = RateDraws(model, deals, as_of, starts, ends, nd, seed) if (full and curves) else None

    # -- Monte Carlo
    thr0 = np.minimum(np.cumsum(q, axis=1), 1.0)
    hier = None
    if hierarchy is not None:
        hier = (
            hierarchy
            if isinstance(hierarchy, Hierarchy)
            else Hierarchy.from_table(hierarchy, rollup_quota)
        )
        owners = deals["owner"] if "owner" in deals.columns else pd.Series([None] * n)
        codes = hier.leaf_codes(owners)
        S, SG = simulate_pipeline(
            booked,
            thr0,
            trials,
            seed,
            progress,
            draws,
            groups=codes,
            n_groups=hier.n_leaves + 1,
            executor=executor,
        )
        # per period from the cumulative sums, in place (np.diff with prepend copies SG twice)
        leaf_pipe = SG
        leaf_pipe[:, :, 1:] = np.diff(SG, axis=2)
    else:
        S = simulate_pipeline(booked, thr0, trials, seed, progress, draws, executor=executor)
    pipe_b = np.diff(np.concatenate([np.zeros((trials, 1)), S], axis=1), axis=1)
    new_b = nd.simulate(trials, seed, model, draws) if nd is not None else None
    if hier is not None:
        shares = new_deal_shares(model.closed, hier, as_of, pidx.freqstr[0])
        leaf_new = (
            new_b[:, None, :] * shares[None, :, None]
            if new_b is not None
            else np.zeros_like(leaf_pipe)
        )
    total_b = pipe_b + (new_b if new_b is not None else 0.0)
    if sigma > 0:
        # one shock per trial, shared by all deals and periods (a good or bad run persists;
        # and raising a win rate never lowers a trial's total)
        z = named_stream(seed, "forecast.shock").standard_normal((trials, 1))
        mult = np.exp(sigma * z - sigma**2 / 2)
        pipe_b, total_b = pipe_b * mult, total_b * mult
        new_b = new_b * mult if new_b is not None else None
        if hier is not None:
            leaf_pipe, leaf_new = leaf_pipe * mult[:, :, None], leaf_new * mult[:, :, None]
    factor = 1.0 if calibration is None else float(calibration)
    if factor != 1.0:
        r = calibrate(total_b, factor)
        pipe_b, total_b = pipe_b * r, total_b * r
        new_b = new_b * r if new_b is not None else None
        if hier is not None:
            leaf_pipe, leaf_new = leaf_pipe * r[:, None, :], leaf_new * r[:, None, :]
    bookings = total_b
    parts = [
        "each deal's luck",
        *(["the learned rates and timing (bootstrap)"] if draws is not None else []),
        *([f"a shared period shock (sigma {sigma:.2f})"] if sigma > 0 else []),
        *(["new deals' arrivals and sizes"] if nd is not None else []),
        *([f"a calibration factor of {factor:.2f}"] if factor != 1.0 else []),
    ]
    notes.append("the band holds " + ", ".join(parts))
    notes.append(shock_note)
    if nd is not None:
        notes.append(f"new deals: {nd.rate.note}")

    summary = _summary(
        pidx, as_of, bookings, pipe_b, new_b, exp_k, nd, quota, deals, amount, model, notes
    )
    table = _deal_table(deals, amount, booked_ratio, p, q, exp_k, [str(x) for x in pidx])
    cats = None
    if "forecast_category" in deals.columns and deals["forecast_category"].notna().any():
        cats = _categories(deals, amount, pidx)
    roll = roll_b = roll_nodes = None
    if hier is not None:
        open_deals = np.bincount(codes, minlength=hier.n_leaves + 1)
        roll, roll_b, roll_nodes = rollup_table(
            leaf_pipe, leaf_new, hier, [str(x) for x in pidx], open_deals
        )
        un = int(open_deals[-1])
        if un:
            excluded[f"open deals {UNASSIGNED} (no owner, or owner not in the hierarchy)"] = un
            warn_note(
                notes,
                f"{un} open deals have no owner or an owner not in the hierarchy: rolled up "
                f"under {UNASSIGNED!r} at every level",
            )
        top = shares.argsort()[::-1][:3]
        names = [*hier.leaf_of, UNASSIGNED]
        notes.append(
            "roll-up: new deals (not yet created) split over the reps by their share of "
            "new-deal bookings (deals created and won in the same period) over the last "
            "periods; largest: "
            + ", ".join(f"{names[i]} {shares[i]:.0%}" for i in top if shares[i] > 0)
        )
    for msg in model.notes:
        notes.append(f"history: {msg}")
    return ForecastResult(
        periods=pidx,
        as_of=as_of,
        summary=summary,
        deals=table,
        bookings=bookings,
        stale=stale,
        categories=cats,
        notes=notes,
        excluded=excluded,
        trials=int(trials),
        seed=seed,
        bookings_pipeline=pipe_b,
        bookings_new=new_b if new_b is not None else np.zeros_like(pipe_b),
        calibration=factor,
        shock=float(sigma),
        group_by=model.group_by,
        timing=timing,
        rollup=roll,
        rollup_nodes=roll_nodes,
        rollup_bookings=roll_b,
    )


def _summary(pidx, as_of, bookings, pipe_b, new_b, exp_k, nd, quota, deals, amount, model, notes):
    K = len(pidx)
    trials = bookings.shape[0]
    quotas = _quotas(quota, K)
    exp_close = deals["close_date"]
    if exp_close.isna().any():
        notes.append(
            f"{int(exp_close.isna().sum())} open deals have no expected close date: left out "
            "of the stage-weighted and pipeline columns (the simulation times them)"
        )
    inper = [((exp_close >= pr.start_time) & (exp_close <= pr.end_time)).to_numpy() for pr in pidx]
    pipe = np.array([amount[m].sum() for m in inper])
    sw_p = _stage_weight_probability(deals, model)
    stage_weighted = np.array([(sw_p * amount)[m].sum() for m in inper])
    new_exp = nd.expected * model.deal_size_scale if nd is not None else np.zeros(K)
    new_exp = new_exp * model.win_rate_scale
    total = bookings.sum(axis=1)
    rows = []
    for k in range(K + 1):
        sel = slice(k, k + 1) if k < K else slice(0, K)
        b = bookings[:, k] if k < K else total
        qk = quotas[k] if k < K else (np.sum(quotas) if quota is not None else np.nan)
        pct = np.percentile(b, [10, 50, 90])
        rows.append(
            {
                "start": max(pidx[k].start_time, as_of) if k < K else as_of,
                "end": pidx[k].end_time.normalize() if k < K else pidx[-1].end_time.normalize(),
                "mean": b.mean(),
                "sd": b.std(ddof=1) if trials > 1 else 0.0,
                "p10": pct[0],
                "p50": pct[1],
                "p90": pct[2],
                "from_pipeline": pipe_b[:, sel].sum(1).mean(),
                "from_new_deals": new_b[:, sel].sum(1).mean() if new_b is not None else 0.0,
                "quota": qk,
                "p_quota": float(np.mean(b >= qk)) if not np.isnan(qk) else np.nan,
                "expected": exp_k[:, sel].sum() + new_exp[sel].sum(),
                "stage_weighted": stage_weighted[sel].sum(),
                "pipeline": pipe[sel].sum(),
            }
        )
    summary = pd.DataFrame(rows, index=pd.Index([*(str(x) for x in pidx), "total"], name="period"))
    summary["coverage"] = summary["pipeline"] / summary["quota"]
    return summary


def _realisation_note(ratio: pd.DataFrame, used: np.ndarray) -> str:
    """One sentence on how open amounts were scaled to what wins book."""
    overall = ratio.loc[ALL]
    stages = ratio.drop(ALL)
    own = stages[stages["deals"] >= MIN_DEALS]
    by = ", ".join(f"{k} {v:.2f}" for k, v in own["ratio"].items())
    return (
        f"open amounts scaled to what a win books: {int(overall['deals'])} won deals before the "
        f"fit date booked {overall['ratio']:.2f} x the amount they showed while open"
        + (f" (by stage shown: {by})" if by else "")
        + f"; the recorded open amounts were scaled by {used.min():.2f}-{used.max():.2f}"
        " (the pipeline and stage-weighted columns show the amounts as recorded)"
    )


def _deal_table(deals, amount, booked_ratio, p, q, exp_k, labels) -> pd.DataFrame:
    qs = q.sum(1)
    var_tot = (amount * booked_ratio) ** 2 * qs * (1 - qs)
    keep = [
        c
        for c in (
            "opportunity_id",
            "name",
            "account",
            "owner",
            "product",
            "stage",
            "created",
            "close_date",
            "forecast_category",
        )
        if c in deals.columns
    ]
    table = deals[keep].copy()
    table["amount"] = amount
    table["booked_ratio"] = booked_ratio
    table["win_prob"] = p
    for k, lab in enumerate(labels):
        table[f"prob_{lab}"] = q[:, k]
        table[f"expected_{lab}"] = exp_k[:, k]
    table["expected"] = exp_k.sum(1)
    table["variance"] = var_tot
    vsum = var_tot.sum()
    table["variance_share"] = var_tot / vsum if vsum > 0 else 0.0
    return table.sort_values("expected", ascending=False, kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# inputs: quotas, missing amounts, the stage-weighted probability
# ----------------------------------------------------------------------------------------------


def _quotas(quota, K: int) -> np.ndarray:
    if quota is None:
        return np.full(K, np.nan)
    qa = np.atleast_1d(np.asarray(quota, float))
    if qa.size == 1:
        qa = np.full(K, qa[0])
    if qa.size != K or np.any(qa < 0) or np.isnan(qa).any():
        raise ValueError(
            f"quota must be one non-negative number or {K} (one per period), got {quota!r}"
        )
    return qa


def _stage_weight_probability(deals: pd.DataFrame, model: HistoryModel) -> np.ndarray:
    """CRM probability where given, else the stage's historical rate, else overall."""
    p = np.full(len(deals), float(model.overall["mean"]))
    if model.by_stage_open is not None:
        st = deals["stage"].astype(object).map(model.by_stage_open["mean"]).to_numpy(float)
        p = np.where(np.isnan(st), p, st)
    if "probability" in deals.columns:
        cp = deals["probability"].to_numpy(float)
        p = np.where(np.isnan(cp), p, cp)
    return p


# ----------------------------------------------------------------------------------------------
# forecast categories
# ----------------------------------------------------------------------------------------------


def _categories(deals, amount, pidx) -> pd.DataFrame:
    cat = deals["forecast_category"].astype(object).str.lower().str.replace(" ", "_")
    rows = []
    for per in pidx:
        inp = (deals["close_date"] >= per.start_time) & (deals["close_date"] <= per.end_time)
        inp = inp.to_numpy()
        by = {
            c: amount[inp & (cat == c).to_numpy()].sum()
            for c in ("commit", "best_case", "pipeline", "omitted")
        }
        rows.append(
            {
                "period": str(per),
                "commit": by["commit"],
                "best_case": by["commit"] + by["best_case"],
                "pipeline": by["commit"] + by["best_case"] + by["pipeline"],
                "omitted": by["omitted"],
                "uncategorised": amount[inp & cat.isna().to_numpy()].sum(),
            }
        )
    return pd.DataFrame(rows).set_index("period")
