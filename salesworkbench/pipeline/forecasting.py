"""The pipeline forecast: simulate the open pipeline with what the history model learned.

:func:`forecast` takes the open deals and a fitted
:class:`~salesworkbench.pipeline.HistoryModel` (see :mod:`salesworkbench.pipeline.history`). In
each trial each deal wins or loses and, if it wins, closes on a date drawn from the timing model,
so deals can slip out of a period. The :class:`ForecastResult` has per-period mean, P10/P50/P90,
P(bookings >= quota), each deal's contribution, and the stage-weighted forecast beside it.

Model, in one paragraph
-----------------------
Deal *i* wins with probability ``p_i`` (its Beta posterior mean) independently of the others;
given a win, it closes ``T`` days after its base date (creation, entry into its current stage,
or its expected close date plus a slip), where ``T`` is drawn from the empirical distribution of
won deals *conditional on the deal still being open today* (``T >= age``). So each deal has a
categorical outcome per trial: "won in period 1", ..., "won in period K", "won later" or "lost",
with probabilities ``p_i * q_ik``. The simulation draws one uniform number per deal and trial
and compares it with the cumulative thresholds ``p_i * F_ik``; the expected value and variance of
each deal's contribution are exact (``a p q`` and ``a^2 p q (1 - p q)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesworkbench._random import named_stream
from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import DataError, warn_note
from salesworkbench.pipeline.history import HistoryModel, _price_lookup, check_opportunities
from salesworkbench.pipeline.periods import _day, _days, forecast_periods

__all__ = ["ForecastResult", "forecast"]

#: Trial and deal block sizes of the Monte Carlo. Fixed (not tuned to memory) so the same seed
#: gives the same draws on every machine; each block uses its own named stream.
TRIAL_BLOCK = 512
DEAL_BLOCK = 4096

#: Fewer than this many historical cycle times beyond a deal's age: use the tail instead.
MIN_TAIL = 10

# ----------------------------------------------------------------------------------------------
# forecast
# ----------------------------------------------------------------------------------------------


@dataclass
class ForecastResult:
    """Result of :func:`forecast`.

    Attributes
    ----------
    summary : DataFrame
        One row per period plus ``total``: mean, sd, p10, p50, p90, quota, p_quota (share of
        trials with bookings >= quota), expected (exact mean), stage_weighted, pipeline (open
        amount with expected close in the period), coverage (pipeline / quota).
    deals : DataFrame
        One row per open deal: amount, win_prob, probability of winning within each period
        (``prob_<period>``), expected value per period and in total, variance and share of the
        forecast's variance; sorted by expected value.
    bookings : ndarray
        Simulated bookings, shape (trials, periods).
    categories : DataFrame or None
        Commit / best case / pipeline amounts per period (where the data has forecast
        categories).
    stale : DataFrame
        Open deals left out as stale (see ``stale_after``): clean them up in the CRM.
    notes : list of str
        What was excluded or imputed, with counts.
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
    timing: str = "created",
    win_prob: str | np.ndarray = "history",
    stale_after: float | None = 90,
    progress: bool | None = None,
) -> ForecastResult:
    """Monte Carlo bookings forecast of the open pipeline.

    Parameters
    ----------
    open_pipeline : DataFrame
        Canonical opportunities; rows whose status is not ``open`` are left out (counted).
    history_model : HistoryModel
        Fitted on closed deals.
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
    timing : {"created", "stage", "close_date"}
        Base of the time-to-close model: the deal's creation date (cycle times of won deals,
        conditional on the deal's age), entry into its current stage (needs stage history; falls
        back to creation for stages with fewer than 5 won examples), or its expected close date
        plus a slip learned from close-date history (no history: closes exactly on it).
    win_prob : "history", "crm" or array
        Win probabilities: the history model's, the CRM's ``probability`` column, or given.
    stale_after : float or None, default 90
        Open deals whose expected close date passed more than this many days ago, or that are
        older than the longest cycle of any won deal, are *stale* (in real CRMs usually lost
        but never closed out): left out of the simulation, listed in ``result.stale`` and
        counted in a DataWarning. None keeps them.
    progress : bool, optional
        Show a progress bar (default: when the run is large).

    Returns
    -------
    ForecastResult
    """
    model = history_model
    if not isinstance(model, HistoryModel):
        raise TypeError("history_model must be a HistoryModel (use HistoryModel.fit)")
    if not (isinstance(trials, int | np.integer) and trials >= 1):
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    if timing not in ("created", "stage", "close_date"):
        raise ValueError(f"timing must be 'created', 'stage' or 'close_date', got {timing!r}")
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
    K = len(pidx)

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
        fill = _typical_amounts(deals.loc[miss], model)
        amount[miss] = fill
        warn_note(
            notes,
            f"{int(miss.sum())} open deals have no amount: their product's list price "
            "(if given) or median won amount (or the overall median) is used",
        )
        excluded["open deals with amount imputed"] = int(miss.sum())
    amount = amount * model.deal_size_scale

    # -- win probabilities
    if isinstance(win_prob, str) and win_prob == "history":
        p = model.win_probability(deals)
    elif isinstance(win_prob, str) and win_prob == "crm":
        if "probability" not in deals.columns:
            raise DataError(
                "win_prob='crm' needs a 'probability' column", file=source, column="probability"
            )
        p = deals["probability"].to_numpy(float)
        nop = np.isnan(p)
        if nop.any():
            raise DataError(
                "blank CRM probability",
                file=source,
                column="probability",
                rows=(np.flatnonzero(is_open)[nop] + 2).tolist(),
            )
        p = np.clip(p * model.win_rate_scale, 0, 1)
    else:
        p = np.asarray(win_prob, float)
        if p.shape != (n,) or np.any((p < 0) | (p > 1)) or np.isnan(p).any():
            raise ValueError(f"win_prob must be 'history', 'crm' or {n} numbers in [0, 1]")
        p = np.clip(p * model.win_rate_scale, 0, 1)

    stale = deals.iloc[:0]
    if stale_after is not None:
        overdue = (as_of - deals["close_date"]).dt.days.to_numpy(float)
        age = (as_of - deals["created"]).dt.days.to_numpy(float)
        longest = model.cycle_days.max() * model.cycle_scale if model.cycle_days.size else np.inf
        is_stale = (overdue > stale_after) | (age > longest)
        if is_stale.any():
            stale = deals.loc[is_stale].reset_index(drop=True)
            deals = deals.loc[~is_stale].reset_index(drop=True)
            amount, p = amount[~is_stale], p[~is_stale]
            n = len(deals)
            excluded["stale open deals"] = int(is_stale.sum())
            warn_note(
                notes,
                f"{int(is_stale.sum())} open deals are stale (expected close more than "
                f"{stale_after:g} days ago, or older than the longest won cycle, "
                f"{longest:.0f} days): left out of the forecast, see result.stale",
            )

    # -- timing: F[i, k] = P(close by end of period k | win), closes on/after as_of
    F = _timing_cdf(deals, model, as_of, pidx, timing, notes, excluded)
    q = np.diff(np.concatenate([np.zeros((n, 1)), F], axis=1), axis=1)  # per period

    # -- exact moments
    pq = p[:, None] * q
    exp_k = amount[:, None] * pq

    # -- Monte Carlo
    S = _simulate(amount, p[:, None] * F, trials, seed, progress)
    bookings = np.diff(np.concatenate([np.zeros((trials, 1)), S], axis=1), axis=1)

    # -- summaries
    labels = [str(x) for x in pidx]
    quotas = _quotas(quota, K)
    exp_close = deals["close_date"]
    if exp_close.isna().any():
        notes.append(
            f"{int(exp_close.isna().sum())} open deals have no expected close date: left out "
            "of the stage-weighted and pipeline columns (the simulation times them)"
        )
    pipe = np.array(
        [
            amount[((exp_close >= per.start_time) & (exp_close <= per.end_time)).to_numpy()].sum()
            for per in pidx
        ]
    )
    sw_p = _stage_weight_probability(deals, model)
    stage_weighted = np.array(
        [
            (sw_p * amount)[
                ((exp_close >= per.start_time) & (exp_close <= per.end_time)).to_numpy()
            ].sum()
            for per in pidx
        ]
    )
    total = bookings.sum(axis=1)
    rows = []
    for k in range(K + 1):
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
                "quota": qk,
                "p_quota": float(np.mean(b >= qk)) if not np.isnan(qk) else np.nan,
                "expected": exp_k[:, k].sum() if k < K else exp_k.sum(),
                "stage_weighted": stage_weighted[k] if k < K else stage_weighted.sum(),
                "pipeline": pipe[k] if k < K else pipe.sum(),
            }
        )
    summary = pd.DataFrame(rows, index=pd.Index([*labels, "total"], name="period"))
    summary["coverage"] = summary["pipeline"] / summary["quota"]

    var_tot = amount**2 * pq.sum(1) * (1 - pq.sum(1))
    keep = [
        c
        for c in (
            "opportunity_id",
            "name",
            "account",
            "owner",
            "product",
            "stage",
            "close_date",
            "forecast_category",
        )
        if c in deals.columns
    ]
    table = deals[keep].copy()
    table["amount"] = amount
    table["win_prob"] = p
    for k, lab in enumerate(labels):
        table[f"prob_{lab}"] = pq[:, k]
        table[f"expected_{lab}"] = exp_k[:, k]
    table["expected"] = exp_k.sum(1)
    table["variance"] = var_tot
    vsum = var_tot.sum()
    table["variance_share"] = var_tot / vsum if vsum > 0 else 0.0
    table = table.sort_values("expected", ascending=False, kind="stable").reset_index(drop=True)

    cats = None
    if "forecast_category" in deals.columns and deals["forecast_category"].notna().any():
        cats = _categories(deals, amount, pidx)
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
    )


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


def _typical_amounts(deals: pd.DataFrame, model: HistoryModel) -> np.ndarray:
    overall = float(np.median(model.deal_sizes)) if model.deal_sizes.size else 0.0
    if "product" not in deals.columns:
        return np.full(len(deals), overall)
    won = model.closed[model.closed["status"].astype(object) == "won"]
    med = won.groupby(won["product"].astype(object))["amount"].median()
    fill = deals["product"].astype(object).map(med).to_numpy(float)
    if model.list_prices:
        lp = _price_lookup(deals["product"], model.list_prices)
        fill = np.where(np.isnan(lp), fill, lp)
    return np.where(np.isnan(fill), overall, fill)


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
# timing: conditional empirical distributions
# ----------------------------------------------------------------------------------------------


def _timing_cdf(deals, model, as_of, pidx, timing, notes, excluded) -> np.ndarray:
    n = len(deals)
    a = _day(as_of)
    ends = np.array([_day(pr.end_time) for pr in pidx], float)
    if model.cycle_days.size == 0:
        raise DataError(
            "no won deals with created and close dates: cannot learn the time to close",
            column="created",
        )
    created = _days(deals["created"])
    nocreated = np.isnan(created)
    if nocreated.any():
        excluded["open deals without created date (age taken as 0)"] = int(nocreated.sum())
        warn_note(
            notes,
            f"{int(nocreated.sum())} open deals have no created date: treated as "
            "created today (age 0) for timing",
        )
        created = np.where(nocreated, a, created)
    created = np.minimum(created, a)
    base = created.copy()
    offsets_of = _created_offsets(deals, model, np.arange(n))
    if timing == "stage":
        entered = deals["opportunity_id"].map(model.stage_entered)
        ent = _days(entered)
        offsets_of = []
        rest = np.ones(n, bool)
        for s, arr in model.stage_days.items():
            sel = (deals["stage"].astype(object) == s).to_numpy() & ~np.isnan(ent)
            if arr.size >= 5 and sel.any():
                idx = np.flatnonzero(sel)
                base[idx] = np.minimum(ent[idx], a)
                offsets_of.append((idx, arr * model.cycle_scale))
                rest[idx] = False
        if rest.any():
            offsets_of += _created_offsets(deals, model, np.flatnonzero(rest))
            notes.append(
                f"{int(rest.sum())} open deals timed from creation (no stage entry "
                "date or too few won examples of their stage)"
            )
    elif timing == "close_date":
        exp = _days(deals["close_date"])
        noexp = np.isnan(exp)
        slip = model.slip_days * model.cycle_scale if model.slip_days.size else np.zeros(1)
        idx = np.flatnonzero(~noexp)
        base[idx] = exp[idx]
        offsets_of = [(idx, slip)]
        if noexp.any():
            offsets_of += _created_offsets(deals, model, np.flatnonzero(noexp))
            excluded["open deals without expected close date (timed from creation)"] = int(
                noexp.sum()
            )
            warn_note(
                notes,
                f"{int(noexp.sum())} open deals have no expected close date: timed from creation",
            )
    F = np.zeros((n, len(pidx)))
    for idx, offs in offsets_of:
        if idx.size == 0:
            continue
        age = a - base[idx]
        limits = ends[None, :] - base[idx][:, None]
        F[idx] = _conditional_cdf(np.sort(offs), age, limits)
    return np.clip(np.maximum.accumulate(F, axis=1), 0.0, 1.0)


def _created_offsets(deals, model, idx) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cycle-time distributions for deals ``idx``: their group's where it has one."""
    out = []
    rest = np.ones(idx.size, bool)
    if model.cycle_by_group and model.group_by in deals.columns:
        g = deals[model.group_by].astype(object).to_numpy()[idx]
        for key, arr in model.cycle_by_group.items():
            sel = g == key
            if sel.any():
                out.append((idx[sel], arr * model.cycle_scale))
                rest &= ~sel
    if rest.any():
        out.append((idx[rest], model.cycle_days * model.cycle_scale))
    return out


def _conditional_cdf(offsets: np.ndarray, age: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """P(offset <= limit | offset >= age) under the empirical distribution ``offsets``.

    ``offsets`` sorted (days from a deal's base date to its close); ``age`` (n,) days already
    elapsed since the base date; ``limits`` (n, K) days from the base date to each period end.
    When fewer than ``MIN_TAIL`` offsets are at least ``age`` (the deal is older than almost all
    history), the remaining time is drawn from the spread of the longest ``MIN_TAIL`` offsets
    above their smallest value, added to the age.
    """
    m = offsets.size
    j = np.searchsorted(offsets, age, side="left")
    cnt = m - j
    need = min(MIN_TAIL, m)
    upto = np.searchsorted(offsets, limits, side="right")
    main = np.clip(upto - j[:, None], 0, None) / np.maximum(cnt, 1)[:, None]
    tail = offsets[m - need :] - offsets[m - need]
    tail_cdf = np.searchsorted(tail, limits - age[:, None], side="right") / need
    return np.where((cnt >= need)[:, None], main, tail_cdf)


# ----------------------------------------------------------------------------------------------
# Monte Carlo
# ----------------------------------------------------------------------------------------------


def _simulate(amount, thresholds, trials, seed, progress) -> np.ndarray:
    """Cumulative bookings S[t, k] = sum of amounts of deals won by the end of period k.

    One uniform number per deal and trial; deal i is won by the end of period k when
    ``u < p_i F_ik``. Blocks of TRIAL_BLOCK trials x DEAL_BLOCK deals, each with its own named
    stream, bound the memory to a few tens of MB whatever the size. The comparison is written
    into a float32 buffer and weighted by the amounts (float32 sums within a block).
    """
    n, K = thresholds.shape
    S = np.zeros((trials, K))
    if n == 0:
        return S
    amt32 = amount.astype(np.float32)
    thr32 = thresholds.astype(np.float32)
    n_tb = math.ceil(trials / TRIAL_BLOCK)
    n_db = math.ceil(n / DEAL_BLOCK)
    if progress is None:
        progress = n * trials > 5e7
    from tqdm.auto import tqdm

    buf = np.empty((min(n, DEAL_BLOCK), min(trials, TRIAL_BLOCK)), np.float32)
    for tb in tqdm(range(n_tb), disable=not progress, desc="forecast", leave=False):
        t0, t1 = tb * TRIAL_BLOCK, min(trials, (tb + 1) * TRIAL_BLOCK)
        for db in range(n_db):
            d0, d1 = db * DEAL_BLOCK, min(n, (db + 1) * DEAL_BLOCK)
            rng = named_stream(seed, "forecast.outcome", tb, db)
            u = rng.random((d1 - d0, TRIAL_BLOCK), dtype=np.float32)[:, : t1 - t0]
            b = buf[: d1 - d0, : t1 - t0]
            for k in range(K):
                np.less(u, thr32[d0:d1, k : k + 1], out=b, casting="unsafe")
                # einsum, not BLAS gemv: no thread start-up per block (10x faster here)
                S[t0:t1, k] += np.einsum("i,ij->j", amt32[d0:d1], b)
    return S


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
