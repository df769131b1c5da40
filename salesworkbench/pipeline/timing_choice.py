"""``timing="auto"``: time deals from creation, stage or expected close, as the data say.

Which of the timings of :mod:`~salesworkbench.pipeline.probabilities` forecasts best differs
between CRMs: where reps keep expected close dates honest, the date tells more than the deal's
age; where stages are entered with care, the stage does; where neither is kept, the age since
creation is all there is. :func:`choose_timing` measures it on the history the model was fitted
on, with nothing from after the fit date:

- at up to :data:`INNER_CUTOFFS` month starts ``c`` whose window ``[c, c + one period)`` ended
  on or before the fit date, the pipeline is rebuilt as it stood at ``c``
  (:func:`~salesworkbench.pipeline.as_stood.as_stood`, stage history included);
- a history model is fitted on what was known the day before ``c`` (the same grouping);
- each candidate timing gives each deal of that pipeline its chance of winning within the
  window, and the deals' outcomes in it score them two ways: the window's won value against its
  forecast, and deal by deal.

Two questions are answered, with the evidence each needs:

1. **Do the expected close dates carry information?** Deal by deal, with the value-weighted
   Brier score ``sum(amount * (q - won)**2) / sum(amount)`` pooled over the windows (``q`` the
   deal's chance of winning within the window, ``won`` whether it did). Hundreds of deal
   outcomes answer this; if ``close_date`` scores lower than every other candidate, it is used.
   Where reps keep the dates, the date is the most specific timing there is; where the dates
   are noise, ``close_date`` scores no better than ``stage``, whose chances it shares.
2. **Otherwise, which timing forecasts the totals best?** The one (``close_date`` still
   among them) with the smallest mean absolute error of the window totals relative to the
   actual (the backtest's measure) is used; a timing other than ``created`` must beat it by
   :data:`MIN_GAIN` (relative), so noise does not switch it.

Why not the totals alone: only :data:`INNER_CUTOFFS` windows, overlapping, scored by models
fitted on shorter histories than the forecast's own. On both generators, whose dates are
kept, the totals alone picked ``stage`` or ``created`` at about half the quarterly cut-offs,
and the forecast's error was larger for it on average (``docs/forecasting.md`` has the
figures).

Candidates: ``created`` always; ``stage`` with stage history; ``close_date`` with expected close
dates in the stage history of at least :data:`MIN_CLOSE_OFFSETS` won deals.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.pipeline.amounts import realisation_ratios
from salesworkbench.pipeline.as_stood import as_stood
from salesworkbench.pipeline.periods import MONTHS_PER_PERIOD, PERIOD_NAMES, _day
from salesworkbench.pipeline.prices import typical_amounts
from salesworkbench.pipeline.probabilities import deal_probabilities

__all__ = [
    "INNER_CUTOFFS",
    "MIN_CLOSE_OFFSETS",
    "MIN_GAIN",
    "candidate_timings",
    "choose_timing",
    "timing_errors",
]

#: Month starts the choice is scored on (the latest ones whose window had ended).
INNER_CUTOFFS = 12
#: Relative error reduction a timing needs over ``created`` to be picked.
MIN_GAIN = 0.05
#: Expected-close offsets (history rows of won deals) needed to try ``close_date``.
MIN_CLOSE_OFFSETS = 30
#: Closed deals needed before an inner cut-off for it to be scored.
MIN_CLOSED = 30


def candidate_timings(model) -> list[str]:
    """The timings the model's data can support (``created`` first)."""
    out = ["created"]
    if model.stage_model is not None:
        out.append("stage")
    offs = model.close_offsets
    if offs is not None and offs[None][0].size >= MIN_CLOSE_OFFSETS:
        out.append("close_date")
    return out


def timing_errors(
    model, freq_code: str, candidates, *, cache: dict | None = None
) -> tuple[pd.Series, int]:
    """Walk-forward error of each candidate timing before the model's fit date.

    Parameters
    ----------
    model : HistoryModel
        Fitted with its stage history (``model.stage_history``) and ``model.world``.
    freq_code : {"M", "Q", "Y"}
        The forecast period: each inner window is one period long.
    candidates : sequence of str
        Timings to score.
    cache : dict, optional
        Scores of inner cut-offs already computed, reused by key (inner cut-off, period
        length, grouping, prior, list prices, candidates). A backtest passes one dict through
        its cut-offs in date order: an inner cut-off's pipeline and its window's outcome are
        the same from every later cut-off whose fit date is past the window, so each is
        scored once, from the earliest cut-off that needs it (never with later data).

    Returns
    -------
    errors : Series
        Mean of ``|forecast - actual| / actual`` over the scored windows per candidate (the
        backtest's measure; NaN when nothing was scored). ``attrs["log_errors"]`` and
        ``attrs["luck_variance"]``: per candidate, ``log(actual / forecast)`` at each scored
        window and the relative variance each deal's own luck explains there (what the
        forecast sizes its period shock by). ``attrs["brier"]``: per candidate, the
        value-weighted Brier score of each deal's chance of winning within the window, pooled
        over the scored windows (``sum(amount * (q - won)**2) / sum(amount)``).
    used : int
        Inner cut-offs scored.
    """
    a = pd.Timestamp(model.as_of).normalize()
    months = MONTHS_PER_PERIOD[freq_code]
    first_open = (a + pd.Timedelta(days=1)) - pd.DateOffset(months=months)
    last = first_open.to_period("M").start_time
    if last + pd.DateOffset(months=months) - pd.Timedelta(days=1) > a:
        last -= pd.offsets.MonthBegin(1)
    starts = pd.date_range(end=last, periods=INNER_CUTOFFS, freq="MS")
    candidates = tuple(candidates)
    prices = tuple(sorted(model.list_prices.items())) if model.list_prices else None
    err = dict.fromkeys(candidates, 0.0)
    brier, weight = dict.fromkeys(candidates, 0.0), 0.0
    logs: dict[str, list[float]] = {t: [] for t in candidates}
    luck: dict[str, list[float]] = {t: [] for t in candidates}
    used = 0
    for c in starts:
        key = (c, months, model.group_by, model.prior_strength, prices, candidates)
        if cache is not None and key in cache:
            scored = cache[key]
        else:
            scored = _score_window(model, c, months, candidates)
            if cache is not None:
                cache[key] = scored
        if scored is None:
            continue
        actual = scored["actual"]
        weight += scored["weight"]
        for t in candidates:
            fc, var, b = scored[t]
            err[t] += abs(fc / actual - 1.0)
            brier[t] += b
            if fc > 0:
                logs[t].append(float(np.log(actual / fc)))
                luck[t].append(var / fc**2)
        used += 1
    if used == 0:
        out = pd.Series(dict.fromkeys(candidates, np.nan))
    else:
        out = pd.Series(err) / used
    out.attrs["brier"] = pd.Series(
        {t: brier[t] / weight if weight > 0 else np.nan for t in candidates}
    )
    out.attrs["log_errors"] = {t: np.asarray(v) for t, v in logs.items()}
    out.attrs["luck_variance"] = {t: np.asarray(v) for t, v in luck.items()}
    return out, used


def _score_window(model, c: pd.Timestamp, months: int, candidates) -> dict | None:
    """Each candidate's forecast of the pipeline at ``c`` over ``months``, and the actual.

    Returns ``{"actual": a, "weight": w, timing: (forecast, variance from each deal's luck,
    Brier sum), ...}``, or None when the cut-off cannot be scored (too few closed deals, no
    pipeline, nothing won). The Brier sum is ``sum(amount * (q - won)**2)`` over the deals, with
    ``q`` the deal's chance of winning within the window and ``won`` whether it did; ``w`` is
    ``sum(amount)``.
    """
    from salesworkbench.pipeline.history import HistoryModel

    table, hist = model.world, model.stage_history
    end = c + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    h = hist[(hist["changed"] < c).to_numpy()] if hist is not None else None
    known, pipe = as_stood(table, c, h)
    closed = known["status"].astype(object).isin(["won", "lost"]).to_numpy()
    if int(closed.sum()) < MIN_CLOSED or not len(pipe):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            inner = HistoryModel.fit(
                known,
                h,
                group_by=model.group_by,
                as_of=c - pd.Timedelta(days=1),
                prior_strength=model.prior_strength,
                list_prices=model.list_prices,
            )
        except DataError:
            return None
    now = table.set_index("opportunity_id").reindex(pipe["opportunity_id"].to_numpy())
    status, close = now["status"].astype(object), now["close_date"]
    won_in = ((status == "won") & (close >= c) & (close <= end)).to_numpy()
    amount = pipe["amount"].to_numpy(float).copy()
    miss = np.isnan(amount)
    if miss.any():
        amount[miss] = typical_amounts(pipe.loc[miss], inner)
    # the actual is what the wins booked (known by the fit date: they closed before it); the
    # forecast scales recorded amounts to it as the forecast does
    final = now["amount"].to_numpy(float)
    actual = float(np.where(np.isnan(final), amount, final)[won_in].sum())
    if actual <= 0:
        return None
    amount = amount * np.where(miss, 1.0, realisation_ratios(pipe, inner.amount_ratio))
    s, e = np.array([_day(c)], float), np.array([_day(end)], float)
    usable = candidate_timings(inner)  # a timing the earlier data cannot support: created
    out: dict = {"actual": actual, "weight": float(amount.sum())}
    y = won_in.astype(float)
    for t in candidates:
        _, q = deal_probabilities(pipe, inner, c, s, e, t if t in usable else "created")
        qk = q[:, 0]
        out[t] = (
            float(np.sum(amount * qk)),
            float(np.sum(amount**2 * qk * (1 - qk))),
            float(np.sum(amount * (qk - y) ** 2)),
        )
    return out


def _dates_sort_deals(brier: pd.Series) -> bool:
    """Whether ``close_date`` has the lowest Brier score, strictly, of all candidates."""
    if "close_date" not in brier.index or len(brier) < 2 or brier.isna().any():
        return False
    return bool(brier["close_date"] < brier.drop("close_date").min())


def _listed(scores: pd.Series) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in scores.items())


def choose_timing(model, freq_code: str, *, cache: dict | None = None) -> str:
    """The timing to use, chosen on the history before the model's fit date (module text).

    The choice, the errors and one sentence of reason are kept in
    ``model.timing_choice[freq_code]`` (``timing``, ``errors``, ``reason``, and the picked
    timing's ``log_errors`` and ``luck_variance``, see :func:`timing_errors`), so a model makes
    it once per period length.

    Parameters
    ----------
    model : HistoryModel
        The fitted history model.
    freq_code : {"M", "Q", "Y"}
        The forecast's period length.
    cache : dict, optional
        Passed to :func:`timing_errors` (a backtest's scores of inner cut-offs).

    Returns
    -------
    str
        ``created``, ``stage`` or ``close_date``.
    """
    if freq_code in model.timing_choice:
        return model.timing_choice[freq_code]["timing"]
    cands = candidate_timings(model)
    if len(cands) == 1 or model.world is None:
        pick, errors = "created", pd.Series({"created": np.nan})
        reason = (
            "timing='auto' used 'created' (age since creation): no stage history with "
            "stages or expected close dates to try other timings"
        )
    else:
        errors, used = timing_errors(model, freq_code, cands, cache=cache)
        if errors.isna().all():
            pick = "created"
            reason = (
                "timing='auto' used 'created' (age since creation): too little history before "
                f"{pd.Timestamp(model.as_of).date()} to compare timings"
            )
        else:
            brier = errors.attrs["brier"]
            listed = ", ".join(f"{k} {v:.0%}" for k, v in errors.items())
            scored = f"at {used} monthly cut-offs before {pd.Timestamp(model.as_of).date()}"
            period = PERIOD_NAMES[freq_code]
            if _dates_sort_deals(brier):
                pick = "close_date"
                reason = (
                    "timing='auto' picked 'close_date': the expected close dates told which "
                    f"deals would win within a {period} better than stage or age did "
                    f"(value-weighted Brier score {_listed(brier)}, {scored}; walk-forward "
                    f"error of the pipeline's won value: {listed})"
                )
            else:
                best = errors.drop("created").idxmin()
                pick = best if errors[best] < (1 - MIN_GAIN) * errors["created"] else "created"
                reason = (
                    f"timing='auto' picked {pick!r}: walk-forward error of the pipeline's won "
                    f"value within a {period} {scored}: {listed}"
                )
                if "close_date" in brier.index:
                    reason += (
                        "; the expected close dates did not tell the winners better than "
                        f"stage or age (value-weighted Brier score {_listed(brier)})"
                    )
    model.timing_choice[freq_code] = {
        "timing": pick,
        "errors": errors,
        "reason": reason,
        "log_errors": errors.attrs.get("log_errors", {}).get(pick),
        "luck_variance": errors.attrs.get("luck_variance", {}).get(pick),
    }
    return pick
