"""Simple forecasts to hold the model against, to see whether the Monte Carlo earns its keep.

A backtest (:func:`~salesworkbench.pipeline.backtest`) computes these three beside the model,
from the same data as it stood at each cut-off, and reports their errors side by side:

- :func:`stage_weighted_forecast`: the spreadsheet forecast. Each open deal's probability
  (the CRM's probability of its stage where given, see :func:`crm_stage_probabilities`; else
  the win rate of deals sitting in that stage learned before the cut-off; else the overall
  win rate) times its amount, summed over the
  deals whose expected close date falls in the period. A deal without an expected close date
  is assumed to close a median won cycle after its creation (and, if that date has passed, at
  the cut-off).
- :func:`naive_forecast`: last period's bookings. The won amount in the period-long window
  just before the cut-off, as the forecast of the next period's *total* bookings (new deals
  included), so it is compared with the total, not with the pipeline part.
- :func:`km_forecast`: Kaplan-Meier timing times win rate. The time from creation to close
  (won or lost) by Kaplan-Meier, with the deals open at the cut-off censored at their age
  (:func:`salesworkbench.survival.kaplan_meier`), gives each open deal's chance of closing in
  the period given its age; times the win rate of the deals closed before the cut-off, times
  its amount. It treats timing and outcome as independent, which a competing-risks model does
  not need to.

All three are point forecasts (no band). They take the tables *as they stood at the cut-off*
(see :func:`~salesworkbench.pipeline.pipeline_at`); they never look at later data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salesworkbench.pipeline.history import HistoryModel
from salesworkbench.pipeline.periods import (
    MONTHS_PER_PERIOD,
    _day,
    _days,
    _freq_code,
    period_bounds,
)
from salesworkbench.pipeline.prices import typical_amounts
from salesworkbench.survival import kaplan_meier

__all__ = [
    "BASELINES",
    "crm_stage_probabilities",
    "km_forecast",
    "naive_forecast",
    "stage_weighted_forecast",
]

#: The baselines a backtest reports, name -> (description, what it forecasts).
BASELINES: dict[str, tuple[str, str]] = {
    "stage_weighted": ("stage-weighted (probability x amount by expected close)", "pipeline"),
    "km_win_rate": ("Kaplan-Meier timing x win rate", "pipeline"),
    "naive": ("last period's bookings (naive)", "total"),
}


def _amounts(pipeline: pd.DataFrame, model: HistoryModel) -> np.ndarray:
    """Open amounts; a blank amount is imputed exactly as the forecast does.

    The product's list price where the model has one, else the product's median won amount,
    else the overall median: so a baseline and the model differ in their probabilities only,
    not in what an unpriced deal is worth. (The overall median of a mix of products is far
    below a typical won deal: on the Maven export, 1,049 against a mean of 2,137.)
    """
    amount = pipeline["amount"].to_numpy(float).copy()
    miss = np.isnan(amount)
    if miss.any():
        amount[miss] = typical_amounts(pipeline.loc[miss], model)
    return amount


def crm_stage_probabilities(opportunities: pd.DataFrame) -> dict[str, float]:
    """The CRM's probability of each open stage, read off today's open deals (median).

    CRMs set a deal's probability from its stage (a setting, e.g. Proposal 50%); a backtest
    cannot read a deal's probability at a cut-off (the export has only today's), but it can
    apply the stage setting to the deal's stage then. Stages without open deals today, or a
    table without ``probability``, give nothing (the stage-weighted baseline then uses the
    historical rate of the stage).

    Returns
    -------
    dict of str to float
        Stage -> probability.
    """
    if "probability" not in opportunities.columns:
        return {}
    o = opportunities[opportunities["status"].astype(object) == "open"]
    med = o.groupby(o["stage"].astype(object))["probability"].median().dropna()
    return {str(k): float(v) for k, v in med.items()}


def stage_weighted_forecast(
    pipeline: pd.DataFrame,
    model: HistoryModel,
    period,
    as_of,
    stage_probabilities: Mapping[str, float] | None = None,
) -> float:
    """Stage-weighted forecast of ``period``: probability x amount of deals closing in it.

    Parameters
    ----------
    pipeline : DataFrame
        The open deals as they stood at ``as_of`` (:func:`~salesworkbench.pipeline.pipeline_at`).
    model : HistoryModel
        Fitted on the deals closed before ``as_of`` (stage and overall win rates, cycle times).
    period : period-like
        The forecast period.
    as_of : date
        The cut-off.
    stage_probabilities : mapping, optional
        The CRM's probability of each stage (:func:`crm_stage_probabilities`); used where the
        deal has no ``probability`` of its own.

    Returns
    -------
    float
        Expected bookings of the pipeline in ``period``.
    """
    n = len(pipeline)
    if n == 0:
        return 0.0
    p = np.full(n, float(model.overall["mean"]))
    if model.by_stage_open is not None and "stage" in pipeline.columns:
        st = pipeline["stage"].astype(object).map(model.by_stage_open["mean"]).to_numpy(float)
        p = np.where(np.isnan(st), p, st)
    if stage_probabilities:
        sp = pipeline["stage"].astype(object).map(dict(stage_probabilities)).to_numpy(float)
        p = np.where(np.isnan(sp), p, sp)
    if "probability" in pipeline.columns:
        cp = pipeline["probability"].to_numpy(float)
        p = np.where(np.isnan(cp), p, cp)
    a = _day(as_of)
    close = _days(pipeline["close_date"])
    if np.isnan(close).any():
        med = float(np.median(model.cycle_days)) if model.cycle_days.size else 0.0
        guess = np.maximum(_days(pipeline["created"]) + med, a)
        close = np.where(np.isnan(close), guess, close)
    start, end = period_bounds(period)
    inside = (close >= _day(start)) & (close <= _day(end))
    return float(np.sum((p * _amounts(pipeline, model))[inside]))


def naive_forecast(opportunities: pd.DataFrame, as_of, horizon: str = "quarter") -> float:
    """Last period's bookings: won amount closed in the period-long window before ``as_of``.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities (only deals won before ``as_of`` are used).
    as_of : date
        The cut-off; the window is ``[as_of - one period, as_of)``.
    horizon : {"quarter", "month", "year"}
        Period length.

    Returns
    -------
    float
        The forecast of the next period's total bookings.
    """
    c = pd.Timestamp(as_of).normalize()
    start = c - pd.DateOffset(months=MONTHS_PER_PERIOD[_freq_code(horizon, "horizon")])
    o = opportunities
    won = (
        (o["status"].astype(object) == "won") & (o["close_date"] >= start) & (o["close_date"] < c)
    ).to_numpy()
    return float(np.nansum(o["amount"].to_numpy(float)[won]))


def km_forecast(
    opportunities: pd.DataFrame,
    pipeline: pd.DataFrame,
    model: HistoryModel,
    period,
    as_of,
) -> float:
    """Kaplan-Meier timing x win rate: expected bookings of the pipeline in ``period``.

    Parameters
    ----------
    opportunities : DataFrame
        The deals as they stood at ``as_of``: closed ones (close date before ``as_of``) give
        the closing times and the win rate; open ones are censored at their age.
    pipeline : DataFrame
        The open deals at ``as_of`` (their age and amount).
    model : HistoryModel
        Fitted at ``as_of`` (what a deal without an amount is worth, as in the forecast).
    period : period-like
        The forecast period.
    as_of : date
        The cut-off (the start of that day).

    Returns
    -------
    float
        ``sum amount_i * win_rate * P(close in period | open at age a_i)``.
    """
    if len(pipeline) == 0:
        return 0.0
    a = _day(as_of)
    o = opportunities
    status = o["status"].astype(object).to_numpy()
    created = _days(o["created"])
    close = _days(o["close_date"])
    closed = np.isin(status, ["won", "lost"]) & (close < a) & ~np.isnan(created)
    is_open = ~np.isin(status, ["won", "lost"]) & (created < a)
    dur = np.concatenate([close[closed] - created[closed], a - created[is_open]])
    obs = np.concatenate([np.ones(closed.sum(), bool), np.zeros(is_open.sum(), bool)])
    n_closed = int(closed.sum())
    if n_closed == 0:
        return 0.0
    win_rate = float(np.mean(status[closed] == "won"))
    km = kaplan_meier(np.maximum(dur, 0.0), obs)
    times, surv = km["time"].to_numpy(), km["survival"].to_numpy()

    def s(t):  # S(t) = P(T > t), 1 before the first time
        i = np.searchsorted(times, t, side="right") - 1
        return np.where(i >= 0, surv[np.maximum(i, 0)], 1.0)

    pc = _days(pipeline["created"])
    ok = ~np.isnan(pc)
    start, end = period_bounds(period)
    age = a - pc[ok]  # days open at the start of the cut-off day: T >= age
    s_age = s(age - 1)
    closes = s(_day(start) - pc[ok] - 1) - s(_day(end) - pc[ok])
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = np.where(s_age > 0, closes / s_age, 0.0)
    amount = _amounts(pipeline, model)[ok]
    return float(np.sum(amount * win_rate * np.clip(prob, 0.0, 1.0)))
