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
those periods (split-conformal quantile). Above 1 the band is widened, below 1 narrowed; with
fewer than :data:`MIN_CALIBRATION` such cut-offs it is left as simulated (factor 1). A
widened P10 stops at 0 (bookings are never negative). The factor used at each cut-off is
reported.

The reliability table and the Brier score score every deal open at every cut-off on the event
"won by the end of the forecast period": deals still open then (or lost, or won later) count
as not won, and how many were still open is reported.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from salesworkbench._random import named_stream
from salesworkbench.defaults import BACKTEST_TRIALS
from salesworkbench.errors import DataError, DataWarning
from salesworkbench.pipeline.baselines import (
    BASELINES,
    km_forecast,
    naive_forecast,
    stage_weighted_forecast,
)
from salesworkbench.pipeline.forecasting import forecast
from salesworkbench.pipeline.history import (
    DEFAULT_PRIOR_STRENGTH,
    HistoryModel,
    check_opportunities,
)
from salesworkbench.pipeline.periods import _freq_code, period_bounds

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


def _as_stood(
    opportunities: pd.DataFrame, cutoff, stage_history: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(all deals known at the cut-off, the open ones), both rebuilt as they stood."""
    c = pd.Timestamp(cutoff).normalize()
    o = opportunities
    status = o["status"].astype(object).to_numpy()
    known = (o["created"] < c).to_numpy()
    is_closed = np.isin(status, _CLOSED)
    closed_before = is_closed & (o["close_date"] < c).to_numpy()
    undated = is_closed & o["close_date"].isna().to_numpy()  # closed, but when is unknown
    open_mask = known & ~closed_before & ~undated
    pipe = o.loc[open_mask].copy()
    lost_now = status[open_mask] == "lost"
    pipe["status"] = pd.Categorical(["open"] * len(pipe), categories=o["status"].cat.categories)
    # amount: a lost deal's 0 means unknown; its original amount where the export keeps one
    amount = pipe["amount"].to_numpy(float).copy()
    zero = lost_now & (amount == 0)
    if _amount_set_at_close(o):  # no deal open then had one: today's would reveal the outcome
        zero = np.ones(len(pipe), bool)
    if "original_amount" in pipe.columns:
        amount = np.where(zero, pipe["original_amount"].to_numpy(float), amount)
    else:
        amount = np.where(zero, np.nan, amount)
    pipe["amount"] = amount
    if "probability" in pipe.columns:  # set from the stage, which changed since
        pipe["probability"] = np.nan
    pipe["stage"] = pd.Series(pd.NA, index=pipe.index, dtype=o["stage"].dtype)
    pipe["close_date"] = pd.NaT
    if "forecast_category" in pipe.columns:
        pipe["forecast_category"] = pd.Series(
            pd.NA, index=pipe.index, dtype=o["forecast_category"].dtype
        )
    for col in pipe.columns:  # any other date set on or after the cut-off was not known then
        if col not in ("created", "close_date") and pd.api.types.is_datetime64_any_dtype(pipe[col]):
            pipe.loc[pipe[col] >= c, col] = pd.NaT
    if stage_history is not None and len(stage_history):
        h = stage_history[(stage_history["changed"] < c).to_numpy()]
        h = h[h["opportunity_id"].isin(pipe["opportunity_id"])]
        last = h.sort_values("changed", kind="stable").groupby("opportunity_id").last()
        ids = pipe["opportunity_id"]
        pipe["stage"] = ids.map(last["stage"]).astype(o["stage"].dtype).to_numpy()
        if "close_date" in last.columns:
            pipe["close_date"] = ids.map(last["close_date"]).to_numpy()
        if "amount" in last.columns:
            hist_amt = ids.map(last["amount"]).to_numpy(float)
            pipe["amount"] = np.where(np.isnan(hist_amt), pipe["amount"], hist_amt)
    pipe = pipe.reset_index(drop=True)
    stages = sorted(pipe["stage"].dropna().astype(str).unique())
    table = pd.concat([o.loc[known & (closed_before | undated)], pipe], ignore_index=True)
    for frame in (pipe, table):
        frame.attrs = {"source": f"pipeline at {c.date()}", "open_stages": stages}
    return table, pipe


def _amount_set_at_close(opportunities: pd.DataFrame) -> bool:
    """Whether the export records a deal's amount only when it closes.

    True when it has open deals and none of them has an amount (e.g. the Maven CRM's
    ``close_value``): then a deal open at a cut-off had no amount then either, and keeping
    today's (known only for the deals that went on to close, and 0 for the lost ones) would
    tell the forecast which deals win.
    """
    is_open = (opportunities["status"].astype(object) == "open").to_numpy()
    return bool(is_open.any()) and bool(
        np.isnan(opportunities["amount"].to_numpy(float)[is_open]).all()
    )


def pipeline_at(
    opportunities: pd.DataFrame, cutoff, stage_history: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The open pipeline as it stood at the start of the day ``cutoff``.

    Deals created before the cut-off that had not closed before it, all with status ``open``
    (deals closed on or after the cut-off are shown open; deals created on or after it are
    left out).

    - With ``stage_history``: stage, amount and expected close date from each deal's last
      change before the cut-off (the last non-blank value of each).
    - Without it (or for a deal without history rows then): stage, expected close date and
      forecast category are blank, since their current values would reveal the outcome; the
      amount is today's, except that a lost deal's 0 (unknown) becomes its
      ``original_amount``, or blank (to be imputed) without one. An export whose open deals
      have no amount at all records amounts at the close (e.g. Maven's ``close_value``):
      then every deal's amount is its ``original_amount``, or blank, since today's is known
      only for the deals that went on to be won.
    - The CRM ``probability`` is blank: it follows the stage and the export has only today's.
    - Any other date of the deal on or after the cut-off (e.g. ``engaged``) is blank.
    - ``attrs["open_stages"]``: the open stage names of that time (the stages the pipeline's
      deals were in).

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities as they stand now.
    cutoff : date
        The cut-off (the pipeline at the start of that day).
    stage_history : DataFrame, optional
        Canonical stage history.

    Returns
    -------
    DataFrame
        Canonical opportunities, all open.
    """
    check_opportunities(opportunities, opportunities.attrs.get("source", "opportunities"))
    return _as_stood(opportunities, cutoff, stage_history)[1]


def opportunities_at(
    opportunities: pd.DataFrame, cutoff, stage_history: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every deal known at the start of the day ``cutoff``, as it stood then.

    The deals closed before the cut-off as they are, and the open pipeline of that time
    (:func:`pipeline_at`); deals created on or after the cut-off are left out. What a history
    model fitted "as of" the cut-off should see (the open stage names and the stages deals
    were in come from this table, not from today's).

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities as they stand now.
    cutoff : date
        The cut-off.
    stage_history : DataFrame, optional
        Canonical stage history.

    Returns
    -------
    DataFrame
        Canonical opportunities; ``attrs["open_stages"]`` as in :func:`pipeline_at`.
    """
    check_opportunities(opportunities, opportunities.attrs.get("source", "opportunities"))
    return _as_stood(opportunities, cutoff, stage_history)[0]


def runs_past(opportunities: pd.DataFrame, cutoff) -> bool:
    """Whether a table holds what was not known at the start of ``cutoff``.

    True when a deal was created on or after the cut-off, or closed on or after it: then the
    table must be rebuilt (:func:`opportunities_at`, :func:`pipeline_at`) before a forecast
    as of the cut-off.
    """
    c = pd.Timestamp(cutoff).normalize()
    st = opportunities["status"].astype(object)
    late_close = st.isin(_CLOSED) & (opportunities["close_date"] >= c)
    return bool(((opportunities["created"] >= c) | late_close).any())


# ----------------------------------------------------------------------------------------------
# the result
# ----------------------------------------------------------------------------------------------


class BacktestResult(pd.DataFrame):
    """One row per cut-off (a DataFrame), with per-deal predictions and the baselines.

    Columns: ``cutoff, period, period_start, period_end, open_deals, stale_deals``; the total
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


def conformal_factor(scores, level: float = NOMINAL, min_cutoffs: int = MIN_CALIBRATION):
    """Band calibration factor from past band scores (split-conformal quantile).

    A score is how far the band's spread around the mean had to be scaled to just hold the
    actual (1: on the band's edge). The factor is the ``ceil(level (n + 1))``-th smallest of
    the ``n`` scores: a band scaled by it holds the next actual with probability at least
    ``level`` if the errors are exchangeable. Above 1 it widens the band, below 1 it narrows
    it. 1.0 (no calibration) with fewer than ``min_cutoffs`` scores.

    Returns
    -------
    factor : float
    used : int
        Number of past cut-offs behind it.
    """
    s = np.sort(np.asarray(scores, float)[~np.isnan(np.asarray(scores, float))])
    n = s.size
    if n < max(min_cutoffs, 1):
        return 1.0, n
    k = math.ceil(level * (n + 1))
    if k > n:
        return 1.0, n
    return float(s[k - 1]), n


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
    timing: str = "created",
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
    timing : {"created", "stage", "close_date"}
        Timing model passed to :func:`forecast`; ``stage`` and ``close_date`` need
        ``stage_history`` (without it, ``created`` is used).
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
    if timing not in ("created", "stage", "close_date"):
        raise ValueError(f"timing must be 'created', 'stage' or 'close_date', got {timing!r}")
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
    for i, c in enumerate(tqdm(cuts, disable=not progress, desc="backtest")):
        target = target_period(c, f)
        periods = pd.period_range(min(c.to_period(f), target), target, freq=f)
        start, end = period_bounds(target)
        table, pipe = _as_stood(opportunities, c, stage_history)
        hist = None
        if stage_history is not None:
            hist = stage_history[(stage_history["changed"] < c).to_numpy()]
        sub = None if seed is None else int(named_stream(seed, "backtest", i).integers(2**62))
        opts = dict(
            periods=periods,
            trials=trials,
            seed=sub,
            as_of=c,
            timing=timing if stage_history is not None else "created",
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
    open_h = int((out.deals["status_at_horizon"] == "open").sum())
    notes.append(
        f"{open_h} of {len(out.deals)} deal-rows were still open at the end of their forecast "
        "period: scored as not won by then"
    )
    return notes
