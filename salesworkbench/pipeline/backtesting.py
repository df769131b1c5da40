"""Backtests: would the forecast have been right in the past, and better than simple rules.

For each cut-off date, :func:`backtest` rebuilds the CRM as it stood at the start of that day
(:func:`pipeline_at`), fits the history model on what had closed before it, forecasts the
**next whole period starting on or after the cut-off** (a cut-off on 2017-04-01 forecasts
2017Q2, one on 2017-06-30 forecasts 2017Q3: the rest of the current period is in-quarter
pacing, not a forecast of a period), and compares with what was booked. Three simple
forecasts (:mod:`~salesworkbench.pipeline.baselines`) are computed from the same data in the
same call, so the table shows at a glance whether the model earns its keep.

Nothing known only later is used
--------------------------------
At a cut-off each deal is as it stood then: stage, amount and expected close date from the
last stage-history change before the cut-off; without stage history the stage, expected close
date and forecast category are blank (their current values would reveal the outcome), and the
CRM probability always is (it follows the stage; the export has only today's). Deals created
on or after the cut-off are left out, deals closed on or after it are open, and any other date
of a deal that lies on or after the cut-off is blank. The history
model sees the same table, so the open stage names and the dates deals entered their stages
are those of the cut-off, not today's. Fields a CRM export keeps no history of (owner,
product, segment) are today's values: the backtest cannot rebuild them.

Errors, bands and calibration
-----------------------------
``pct_error = (forecast - actual) / actual``: positive means over-forecast, relative to what
was booked. The simulated P10-P90 band holds what the forecast models (its notes say what);
with ``calibrate=True`` its spread around the mean is scaled, conformal-style, by a factor
learned from the model's own errors at the *earlier* cut-offs whose period had ended by the
cut-off (no look-ahead): the factor that would have made the band hold the actual in 80% of
those periods (split-conformal quantile, see :func:`conformal_factor`). Above 1 the band is
widened, below 1 narrowed; with
fewer than :data:`MIN_CALIBRATION` such cut-offs it is left as simulated (factor 1). A
widened P10 stops at 0 (bookings are never negative). The factor used at each cut-off is
reported.

The reliability table and the Brier score score every deal open at every cut-off on the event
"won by the end of the forecast period": deals still open then (or lost, or won later) count
as not won, and how many were still open is reported.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from salesworkbench._random import named_stream
from salesworkbench.defaults import BACKTEST_TRIALS
from salesworkbench.errors import DataError, DataWarning
from salesworkbench.pipeline.as_stood import as_stood, opportunities_at, pipeline_at, runs_past
from salesworkbench.pipeline.baselines import (
    BASELINES,
    km_forecast,
    naive_forecast,
    stage_weighted_forecast,
)
from salesworkbench.pipeline.forecasting import forecast
from salesworkbench.pipeline.history import HistoryModel, check_opportunities
from salesworkbench.pipeline.periods import _freq_code, period_bounds
from salesworkbench.pipeline.probabilities import TIMINGS
from salesworkbench.pipeline.rates import DEFAULT_PRIOR_STRENGTH
from salesworkbench.pipeline.timing_choice import choose_timing

__all__ = [
    "BacktestResult",
    "backtest",
    "conformal_factor",
    "opportunities_at",
    "pipeline_at",
    "runs_past",
    "target_period",
]

#: Nominal coverage of the P10-P90 band.
NOMINAL = 0.8
#: Weight of a past cut-off's score relative to the next one's, per cut-off of age (see
#: :func:`conformal_factor`); 1: plain split-conformal, every earlier cut-off alike.
DECAY = 1.0
#: Earlier cut-offs with a known outcome needed before the band is calibrated: with fewer, the
#: conformal 80% quantile of the errors does not exist (it needs ceil(0.8 (n + 1)) <= n).
MIN_CALIBRATION = 4

_CLOSED = ("won", "lost")


# ----------------------------------------------------------------------------------------------
# the CRM as it stood at a cut-off
# ----------------------------------------------------------------------------------------------


def target_period(cutoff, horizon: str = "quarter") -> pd.Period:
    """The period a cut-off forecasts: the next whole period starting on or after it.

    Examples
    --------
    >>> target_period("2017-04-01"), target_period("2017-06-30")
    (Period('2017Q2', 'Q-DEC'), Period('2017Q3', 'Q-DEC'))
    """
    c = pd.Timestamp(cutoff).normalize()
    per = c.to_period(_freq_code(horizon, "horizon"))
    return per if per.start_time == c else per + 1


# ----------------------------------------------------------------------------------------------
# the result
# ----------------------------------------------------------------------------------------------


class BacktestResult(pd.DataFrame):
    """One row per cut-off (a DataFrame), with per-deal predictions and the baselines.

    Columns: ``cutoff, period, period_start, period_end, open_deals, timing, stale_deals``
    (``timing``: the one the forecast used at that cut-off); the total
    (every deal won in the period, new deals included) ``actual, mean, p10, p50, p90``; the
    part from deals open at the cut-off ``pipeline_actual, pipeline_mean, pipeline_p10,
    pipeline_p50, pipeline_p90``; ``error`` and ``pipeline_error`` (forecast - actual),
    ``pct_error`` and ``pipeline_pct_error`` (error / actual), ``inside_p10_p90`` and
    ``pipeline_inside_p10_p90``; the calibration factor applied to each band
    (``calibration``, ``pipeline_calibration``; 1 = the simulated band) and the uncalibrated
    bands (``*_raw``); the baselines ``stage_weighted``, ``km_win_rate`` (pipeline) and
    ``naive`` (total). Total columns are blank when the forecast does not model new deals.

    Attributes
    ----------
    deals : DataFrame
        Every deal open at every cut-off: ``win_prob``, ``prob_in_period``,
        ``prob_by_horizon`` (won by the end of the forecast period), ``stale`` (flagged stale
        by the forecast; probability 0 where the forecast leaves such deals out),
        ``status_at_horizon`` (won, lost or open at the end of
        the period) and ``won_by_horizon``, ``won_in_period``.
    comparison : DataFrame
        Model and baselines side by side (see :meth:`compare`).
    notes : list of str
        What the backtest did that a reader should know.
    """

    _metadata = ["deals", "comparison", "notes"]

    @property
    def _constructor(self):
        return BacktestResult

    @property
    def coverage(self) -> float:
        """Share of cut-offs whose pipeline actual fell inside P10-P90 (nominal 0.80)."""
        return float(self["pipeline_inside_p10_p90"].mean())

    def reliability(self, bins: int = 10) -> pd.DataFrame:
        """Predicted vs observed "won by the end of the forecast period", in equal-width bins.

        Every deal open at every cut-off is scored; deals still open at the end of the period
        count as not won (``open_at_horizon`` per bin, and the total in
        ``attrs["open_at_horizon"]``). Empty bins are dropped.

        Returns
        -------
        DataFrame
            ``low, high, predicted, observed, deals, open_at_horizon``.
        """
        d = self.deals
        edges = np.linspace(0, 1, bins + 1)
        b = np.clip(np.digitize(d["prob_by_horizon"], edges[1:-1]), 0, bins - 1)
        g = d.assign(bin=b, open_h=(d["status_at_horizon"] == "open").astype(int)).groupby("bin")
        out = pd.DataFrame({"low": edges[:-1], "high": edges[1:]})
        out["predicted"] = g["prob_by_horizon"].mean().reindex(range(bins)).to_numpy()
        out["observed"] = g["won_by_horizon"].mean().reindex(range(bins)).to_numpy()
        out["deals"] = g.size().reindex(range(bins), fill_value=0).to_numpy()
        out["open_at_horizon"] = g["open_h"].sum().reindex(range(bins), fill_value=0).to_numpy()
        out = out[out["deals"] > 0].reset_index(drop=True)
        out.attrs["open_at_horizon"] = int((d["status_at_horizon"] == "open").sum())
        out.attrs["event"] = "won by the end of the forecast period"
        return out

    def compare(self) -> pd.DataFrame:
        """Model and baselines side by side, each against what it forecasts.

        Rows: the model's pipeline part, the stage-weighted and Kaplan-Meier baselines
        (against the pipeline actual), the model's total and the naive baseline (against the
        total actual). Columns: ``forecast`` (what it forecasts: pipeline or total),
        ``mae_pct`` (mean of |forecast - actual| / actual), ``bias_pct`` (mean of
        (forecast - actual) / actual), ``coverage_p10_p90`` (where a band exists) and
        ``cutoffs`` (with an actual > 0).
        """
        rows = {}

        def score(name, fc, target, inside=None):
            act = self["pipeline_actual" if target == "pipeline" else "actual"]
            ok = (act > 0) & fc.notna()
            pct = (fc[ok] - act[ok]) / act[ok]
            rows[name] = {
                "forecast": target,
                "mae_pct": float(pct.abs().mean()) if ok.any() else np.nan,
                "bias_pct": float(pct.mean()) if ok.any() else np.nan,
                "coverage_p10_p90": float(inside[fc.notna()].mean())
                if inside is not None and fc.notna().any()
                else np.nan,
                "cutoffs": int(ok.sum()),
            }

        score("model", self["pipeline_mean"], "pipeline", self["pipeline_inside_p10_p90"])
        for key in ("stage_weighted", "km_win_rate"):
            score(BASELINES[key][0], self[key], "pipeline")
        score("model (total, with new deals)", self["mean"], "total", self["inside_p10_p90"])
        score(BASELINES["naive"][0], self["naive"], "total")
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")

    @property
    def summary(self) -> pd.DataFrame:
        """Calibration over the cut-offs, one ``value`` column by name.

        ``cutoffs``; for the pipeline part and the total: ``coverage_p10_p90`` (against
        ``nominal_coverage`` 0.8), ``mae_pct`` (mean |forecast - actual| / actual),
        ``bias_pct`` and ``bias`` (mean forecast - actual, in money); ``calibration_last``
        (the band factor at the last cut-off); ``brier_score`` of "won by the end of the
        period", ``deals_scored`` and ``deals_open_at_horizon`` (scored as not won).
        """
        d = self.deals
        brier = float(np.mean((d["prob_by_horizon"] - d["won_by_horizon"]) ** 2))
        s = {"cutoffs": len(self), "nominal_coverage": NOMINAL}
        for pre, lab in (("pipeline_", "pipeline"), ("", "total")):
            pct = self[f"{pre}pct_error"]
            s[f"{lab}_coverage_p10_p90"] = float(self[f"{pre}inside_p10_p90"].mean())
            s[f"{lab}_mae_pct"] = float(pct.abs().mean())
            s[f"{lab}_bias_pct"] = float(pct.mean())
            s[f"{lab}_bias"] = float(self[f"{pre}error"].mean())
        s["calibration_last"] = float(self["pipeline_calibration"].iloc[-1])
        s["brier_score"] = brier
        s["deals_scored"] = len(d)
        s["deals_open_at_horizon"] = int((d["status_at_horizon"] == "open").sum())
        return pd.Series(s, name="value").to_frame()


# ----------------------------------------------------------------------------------------------
# calibration
# ----------------------------------------------------------------------------------------------


def _band_scores(actual, mean, p10, p90) -> np.ndarray:
    """How much the band around the mean must stretch to hold the actual (1 = just inside)."""
    actual, mean, p10, p90 = (np.asarray(x, float) for x in (actual, mean, p10, p90))
    up, down = p90 - mean, mean - p10
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(actual >= mean, (actual - mean) / up, (mean - actual) / down)
    r = np.where(np.isnan(r), 0.0, r)  # actual == mean on a zero-width band
    return r


def conformal_factor(
    scores,
    level: float = NOMINAL,
    min_cutoffs: int = MIN_CALIBRATION,
    decay: float = DECAY,
):
    """Band calibration factor from past band scores (weighted split-conformal quantile).

    A score is how far the band's spread around the mean had to be scaled to just hold the
    actual (1: on the band's edge); ``scores`` are in time order, oldest first. Score ``i`` of
    ``n`` has weight ``decay ** (n + 1 - i)`` (the latest ``decay``), the coming period weight 1
    (Barber, Candes, Ramdas and Tibshirani 2023, *Conformal prediction beyond
    exchangeability*, Ann. Statist. 51(2)): the factor is the smallest score whose share of
    the total weight, counting the scores up to it, reaches ``level``. ``decay=1`` (the
    default) is plain split-conformal: the ``ceil(level (n + 1))``-th smallest score, a band
    that holds the next actual with probability at least ``level`` if the errors are
    exchangeable; ``decay < 1`` counts recent periods more, for errors that drift. Above 1
    the factor widens the band, below 1 it narrows it. 1.0 (no calibration) with fewer than
    ``min_cutoffs`` scores, or when the weight of the scores cannot reach ``level``.

    Returns
    -------
    factor : float
    used : int
        Number of past cut-offs behind it.
    """
    s = np.asarray(scores, float)
    s = s[~np.isnan(s)]
    n = s.size
    if n < max(min_cutoffs, 1):
        return 1.0, n
    if not 0 < decay <= 1:
        raise ValueError(f"decay must be in (0, 1], got {decay!r}")
    w = decay ** np.arange(n, 0, -1, dtype=float)  # oldest decay^n ... latest decay^1
    order = np.argsort(s, kind="stable")
    share = np.cumsum(w[order]) / (w.sum() + 1.0)
    k = int(np.searchsorted(share, level - 1e-12))  # first share >= level
    if k >= n:
        return 1.0, n
    return float(s[order][k]), n


def _calibrate(out: pd.DataFrame, pre: str, enabled: bool, min_cutoffs: int) -> None:
    mean = out[f"{pre}mean"].to_numpy(float)
    raw = {q: out[f"{pre}{q}_raw"].to_numpy(float) for q in ("p10", "p50", "p90")}
    scores = _band_scores(out[f"{pre}actual"], mean, raw["p10"], raw["p90"])
    ends = out["period_end"].to_numpy()
    cuts = out["cutoff"].to_numpy()
    fac = np.ones(len(out))
    used = np.zeros(len(out), int)
    for i in range(len(out)):
        if not enabled or np.isnan(mean[i]):
            continue
        past = (ends < cuts[i]) & ~np.isnan(mean)  # periods over before this cut-off
        fac[i], used[i] = conformal_factor(scores[past], NOMINAL, min_cutoffs)
    for q, v in raw.items():  # bookings are never negative (as forecast(calibration=) does)
        out[f"{pre}{q}"] = np.maximum(mean + fac * (v - mean), 0.0)
    out[f"{pre}calibration"] = fac
    out[f"{pre}calibration_cutoffs"] = used


# ----------------------------------------------------------------------------------------------
# the backtest
# ----------------------------------------------------------------------------------------------


def _forecast_supports(name: str) -> bool:
    return name in inspect.signature(forecast).parameters


def backtest(
    opportunities: pd.DataFrame,
    cutoffs: Sequence,
    horizon: str = "quarter",
    trials: int = BACKTEST_TRIALS,
    seed: int | None = None,
    *,
    stage_history: pd.DataFrame | None = None,
    group_by: str | None = "auto",
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
    stage_order: Sequence[str] | None = None,
    timing: str = "auto",
    stale_after: float | None = 90,
    calibrate: bool = True,
    min_calibration: int = MIN_CALIBRATION,
    stage_probabilities: Mapping[str, float] | None = None,
    progress: bool = False,
) -> BacktestResult:
    """Forecast the period after each cut-off from what was known then; compare with actuals.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities as they stand now (closed deals have their real outcome).
    cutoffs : sequence of dates
        Cut-off dates (the start of each day). Each forecasts the next whole period starting
        on or after it (:func:`target_period`).
    horizon : {"quarter", "month", "year"}
        Length of the forecast period.
    trials : int, default :data:`~salesworkbench.defaults.BACKTEST_TRIALS`
        Monte Carlo trials per cut-off.
    seed : int, optional
        Seed; each cut-off gets its own named stream.
    stage_history : DataFrame, optional
        Canonical stage history: rebuilds stage, amount and expected close date at the cut-off
        and enables stage win rates and timing from the stage or expected close date.
    group_by, prior_strength, stage_order
        Passed to :meth:`HistoryModel.fit`, refitted at each cut-off; ``group_by="auto"``
        (default) lets the model choose a grouping where it can (else no grouping).
    timing : {"auto", "created", "stage", "close_date"}
        Timing passed to :func:`forecast`; ``stage`` and ``close_date`` need
        ``stage_history`` (without it, ``created`` is used). ``auto`` (default) lets each
        cut-off's model pick on what was known before the cut-off
        (:mod:`~salesworkbench.pipeline.timing_choice`); the ``timing`` column says which.
    stale_after : float or None
        Passed to :func:`forecast`.
    calibrate : bool, default True
        Scale each band's spread by the conformal factor of the model's errors at earlier
        cut-offs whose period had ended (:func:`conformal_factor`; widens or narrows); the
        factor is in ``calibration``, the simulated band in the ``*_raw`` columns.
    min_calibration : int
        Earlier cut-offs needed before calibrating (default :data:`MIN_CALIBRATION`).
    stage_probabilities : mapping, optional
        The CRM's probability of each stage, for the stage-weighted baseline (e.g.
        :func:`~salesworkbench.pipeline.baselines.crm_stage_probabilities`; a setting, not
        an outcome). Without it the baseline uses each stage's win rate before the cut-off.
    progress : bool
        Show a progress bar over cut-offs.

    Returns
    -------
    BacktestResult
        A DataFrame (one row per cut-off) with ``.coverage``, ``.compare()`` /
        ``.comparison``, ``.reliability()``, ``.summary`` and the per-deal predictions in
        ``.deals``.
    """
    check_opportunities(opportunities, opportunities.attrs.get("source", "opportunities"))
    f = _freq_code(horizon, "horizon")
    if len(cutoffs) == 0:
        raise ValueError("cutoffs: give at least one cut-off date")
    if timing != "auto" and timing not in TIMINGS:
        raise ValueError(f"timing must be 'auto' or one of {', '.join(TIMINGS)}, got {timing!r}")
    from tqdm.auto import tqdm

    cuts = sorted(pd.Timestamp(c).normalize() for c in cutoffs)
    new_deals = _forecast_supports("new_deals")
    auto = inspect.signature(HistoryModel.fit).parameters["group_by"].default == "auto"
    now = opportunities.set_index("opportunity_id")
    now_status = now["status"].astype(object)
    now_close = now["close_date"]
    now_amount = now["amount"]
    won_now = now_status == "won"
    rows, deal_rows = [], []
    timing_scores: dict = {}
    for i, c in enumerate(tqdm(cuts, disable=not progress, desc="backtest")):
        target = target_period(c, f)
        periods = pd.period_range(min(c.to_period(f), target), target, freq=f)
        start, end = period_bounds(target)
        table, pipe = as_stood(opportunities, c, stage_history)
        hist = None
        if stage_history is not None:
            hist = stage_history[(stage_history["changed"] < c).to_numpy()]
        sub = None if seed is None else int(named_stream(seed, "backtest", i).integers(2**62))
        opts = dict(
            periods=periods,
            trials=trials,
            seed=sub,
            as_of=c,
            timing=timing if stage_history is not None or timing == "auto" else "created",
            stale_after=stale_after,
            progress=False,
        )
        if new_deals:
            opts["new_deals"] = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            try:
                model = HistoryModel.fit(
                    table,
                    hist,
                    group_by=group_by if group_by != "auto" or auto else None,
                    as_of=c - pd.Timedelta(days=1),
                    prior_strength=prior_strength,
                    stage_order=stage_order,
                )
            except DataError as exc:
                raise DataError(
                    f"cut-off {c.date()}: {exc.problem}", file=exc.file, column=exc.column
                ) from exc
            if opts["timing"] == "auto":  # inner cut-offs scored once for all cut-offs
                choose_timing(model, f, cache=timing_scores)
            res = forecast(pipe, model, **opts)
        lab = str(target)
        b = (res.bookings_pipeline if new_deals else res.bookings)[:, -1]
        ids = pipe["opportunity_id"]
        cd = ids.map(now_close)
        won_in = (
            (ids.map(won_now).to_numpy(bool)) & (cd >= start).to_numpy() & (cd <= end).to_numpy()
        )
        allwon = won_now & (now_close >= start) & (now_close <= end)
        row = {
            "cutoff": c,
            "period": lab,
            "period_start": start,
            "period_end": end,
            "open_deals": len(pipe),
            "timing": res.timing,
            "stale_deals": len(res.stale),
            "actual": float(now_amount[allwon].sum()),
            "mean": np.nan,
            "p10_raw": np.nan,
            "p50_raw": np.nan,
            "p90_raw": np.nan,
            "pipeline_actual": float(ids[won_in].map(now_amount).sum()),
            "pipeline_mean": float(b.mean()),
        }
        row.update(
            zip(
                ("pipeline_p10_raw", "pipeline_p50_raw", "pipeline_p90_raw"),
                np.percentile(b, [10, 50, 90]),
                strict=True,
            )
        )
        if new_deals:
            bt_ = res.bookings[:, -1]
            row["mean"] = float(bt_.mean())
            row.update(
                zip(
                    ("p10_raw", "p50_raw", "p90_raw"), np.percentile(bt_, [10, 50, 90]), strict=True
                )
            )
        row["stage_weighted"] = stage_weighted_forecast(pipe, model, target, c, stage_probabilities)
        row["km_win_rate"] = km_forecast(table, pipe, model, target, c)
        row["naive"] = naive_forecast(table, c, horizon)
        rows.append(row)
        deal_rows.append(_deal_rows(res, pipe, c, start, end, now_status, now_close))
    out = pd.DataFrame(rows)
    for pre in ("", "pipeline_"):
        _calibrate(out, pre, calibrate, min_calibration)
        out[f"{pre}error"] = out[f"{pre}mean"] - out[f"{pre}actual"]
        out[f"{pre}pct_error"] = out[f"{pre}error"] / out[f"{pre}actual"].where(
            out[f"{pre}actual"] > 0
        )
        out[f"{pre}inside_p10_p90"] = (out[f"{pre}actual"] >= out[f"{pre}p10"]) & (
            out[f"{pre}actual"] <= out[f"{pre}p90"]
        )
        if out[f"{pre}mean"].isna().all():
            out[f"{pre}inside_p10_p90"] = np.nan
    result = BacktestResult(out)
    result.deals = pd.concat(deal_rows, ignore_index=True)
    result.notes = _notes(result, new_deals, calibrate, min_calibration)
    result.comparison = result.compare()
    return result


def _deal_rows(res, pipe, c, start, end, now_status, now_close) -> pd.DataFrame:
    probs = [col for col in res.deals.columns if col.startswith("prob_")]
    ids = pipe["opportunity_id"].to_numpy()
    got = res.deals.set_index("opportunity_id").reindex(ids)  # deals left out: blank, so 0
    p = np.nan_to_num(got[probs].to_numpy(float))
    st = now_status.reindex(ids).to_numpy(object)
    cd = now_close.reindex(ids).to_numpy("datetime64[ns]")
    s_, e_ = np.datetime64(start, "ns"), np.datetime64(end, "ns")
    decided = np.isin(st, _CLOSED) & (cd <= e_)
    won = st == "won"
    stale = res.stale["opportunity_id"].to_numpy() if len(res.stale) else []
    return pd.DataFrame(
        {
            "cutoff": c,
            "opportunity_id": ids,
            "win_prob": np.nan_to_num(got["win_prob"].to_numpy(float)),
            "prob_in_period": p[:, -1],
            "prob_by_horizon": p.sum(axis=1),
            "stale": np.isin(ids, stale),
            "status_at_horizon": np.where(decided, st, "open"),
            "won_by_horizon": (decided & won).astype(float),
            "won_in_period": (won & (cd >= s_) & (cd <= e_)).astype(float),
        }
    )


def _notes(out: BacktestResult, new_deals: bool, calibrate: bool, k: int) -> list[str]:
    notes = []
    if not new_deals:
        notes.append(
            "this forecast does not model deals created after the cut-off: the total columns "
            "(mean, p10, p50, p90) are blank; the pipeline columns are the forecast"
        )
    if calibrate:
        n = int((out["pipeline_calibration_cutoffs"] >= k).sum())
        notes.append(
            f"bands calibrated at {n} of {len(out)} cut-offs (each from the errors of at least "
            f"{k} earlier cut-offs whose period had ended); factor at the last cut-off "
            f"{out['pipeline_calibration'].iloc[-1]:.2f}"
        )
    used = out["timing"].value_counts()
    notes.append(
        "timing used: "
        + ", ".join(f"{t} at {n} cut-off{'s' if n != 1 else ''}" for t, n in used.items())
    )
    open_h = int((out.deals["status_at_horizon"] == "open").sum())
    notes.append(
        f"{open_h} of {len(out.deals)} deal-rows were still open at the end of their forecast "
        "period: scored as not won by then"
    )
    return notes
