"""Backtests: would the forecast have been right in the past.

For each cut-off date, :func:`backtest` rebuilds the pipeline as it stood then (deals created by
the cut-off and not yet closed), fits the history model on what had closed before it, forecasts
the period that starts at the cut-off, and compares with what those deals actually booked.
Over several cut-offs, a well-calibrated forecast has the actual inside its P10-P90 band about
80% of the time, and deals given a 30% chance win about 30% of the time (reliability table).

Without stage history the cut-off pipeline has no stage and no expected close date (both are
only known as they are *now*, which would leak the outcome), so win rates come from the group
or overall rate and timing from creation. With stage history, each deal's stage, amount and
expected close date are taken from its last change before the cut-off.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesworkbench._random import named_stream
from salesworkbench.defaults import BACKTEST_TRIALS
from salesworkbench.errors import DataError, DataWarning
from salesworkbench.pipeline.forecasting import forecast
from salesworkbench.pipeline.history import (
    DEFAULT_PRIOR_STRENGTH,
    HistoryModel,
    check_opportunities,
)
from salesworkbench.pipeline.periods import _freq_code, period_bounds

__all__ = ["BacktestResult", "backtest", "pipeline_at"]


class BacktestResult(pd.DataFrame):
    """One row per cut-off (a DataFrame), with the per-deal predictions in ``.deals``.

    Columns: ``cutoff, period, period_end, open_deals, actual, mean, p10, p50, p90, error``
    (actual - mean), ``pct_error``, ``inside_p10_p90``, ``actual_all`` (all deals won in the
    period, including those created after the cut-off, which the pipeline forecast cannot
    know about).

    Attributes
    ----------
    deals : DataFrame
        Every open deal at every cut-off: ``win_prob``, ``prob_in_period``, ``outcome`` (1 won,
        0 lost, blank still open) and ``won_in_period``.
    coverage : float
        Share of cut-offs whose actual fell inside P10-P90.
    summary : DataFrame
        Calibration over the cut-offs, one ``value`` column by name.
    """

    _metadata = ["deals"]

    @property
    def _constructor(self):
        return BacktestResult

    @property
    def coverage(self) -> float:
        """Share of cut-offs whose actual fell inside P10-P90 (nominal 0.80)."""
        return float(self["inside_p10_p90"].mean())

    def reliability(self, bins: int = 10) -> pd.DataFrame:
        """Predicted win probability vs observed win rate, in equal-width bins.

        Uses every deal of every cut-off that has closed since (still-open deals are counted
        in ``unresolved``, not used).
        """
        d = self.deals
        resolved = d[d["outcome"].notna()]
        edges = np.linspace(0, 1, bins + 1)
        b = np.clip(np.digitize(resolved["win_prob"], edges[1:-1]), 0, bins - 1)
        g = resolved.assign(bin=b).groupby("bin")
        out = pd.DataFrame(
            {
                "low": edges[:-1],
                "high": edges[1:],
            }
        )
        out["predicted"] = g["win_prob"].mean().reindex(range(bins)).to_numpy()
        out["observed"] = g["outcome"].mean().reindex(range(bins)).to_numpy()
        out["deals"] = g.size().reindex(range(bins), fill_value=0).to_numpy()
        out.attrs["unresolved"] = int(d["outcome"].isna().sum())
        return out

    @property
    def summary(self) -> pd.DataFrame:
        """Calibration over the cut-offs, one ``value`` column by name.

        ``cutoffs``, ``coverage_p10_p90`` (against ``nominal_coverage`` 0.8), ``bias`` (mean
        actual - forecast), ``mean_abs_pct_error``, ``brier_score`` of the deals' win
        probabilities, ``deals_scored`` and ``deals_unresolved`` (still open, not scored).
        """
        d = self.deals
        resolved = d[d["outcome"].notna()]
        brier = float(np.mean((resolved["win_prob"] - resolved["outcome"]) ** 2))
        return pd.Series(
            {
                "cutoffs": len(self),
                "coverage_p10_p90": self.coverage,
                "nominal_coverage": 0.8,
                "bias": float(self["error"].mean()),
                "mean_abs_pct_error": float(self["pct_error"].abs().mean()),
                "brier_score": brier,
                "deals_scored": len(resolved),
                "deals_unresolved": int(d["outcome"].isna().sum()),
            },
            name="value",
        ).to_frame()


def pipeline_at(
    opportunities: pd.DataFrame, cutoff, stage_history: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The open pipeline as it stood at the start of ``cutoff``.

    Deals created on or before the cut-off that had not closed before it, with status
    ``open``. Stage, amount and expected close date come from the last stage-history change
    before the cut-off where given; otherwise stage and close date are blank (their current
    values would reveal the outcome) and lost deals' amount 0 is replaced by
    ``original_amount`` (or left blank, to be imputed).
    """
    c = pd.Timestamp(cutoff).normalize()
    o = opportunities
    mask = (o["created"] <= c) & ((o["status"].astype(object) == "open") | (o["close_date"] >= c))
    pipe = o.loc[mask.to_numpy()].copy()
    pipe["status"] = pd.Categorical(["open"] * len(pipe), categories=["open", "won", "lost"])
    amount = pipe["amount"].to_numpy(float).copy()
    zero = amount == 0
    if "original_amount" in pipe.columns:
        orig = pipe["original_amount"].to_numpy(float)
        amount = np.where(zero, orig, amount)
    else:
        amount = np.where(zero, np.nan, amount)
    pipe["amount"] = amount
    pipe["stage"] = pd.Series(pd.NA, index=pipe.index, dtype=pipe["stage"].dtype)
    pipe["close_date"] = pd.NaT
    if "probability" in pipe.columns:
        pipe["probability"] = np.nan
    if "forecast_category" in pipe.columns:
        pipe["forecast_category"] = pd.Series(
            pd.NA, index=pipe.index, dtype=pipe["forecast_category"].dtype
        )
    if stage_history is not None and len(stage_history):
        h = stage_history[stage_history["changed"] < c]
        h = h[h["opportunity_id"].isin(pipe["opportunity_id"])]
        last = h.sort_values("changed", kind="stable").groupby("opportunity_id").last()
        ids = pipe["opportunity_id"]
        pipe["stage"] = ids.map(last["stage"]).astype(pipe["stage"].dtype).to_numpy()
        if "close_date" in last.columns:
            pipe["close_date"] = ids.map(last["close_date"]).to_numpy()
        if "amount" in last.columns:
            hist_amt = ids.map(last["amount"]).to_numpy(float)
            pipe["amount"] = np.where(np.isnan(hist_amt), pipe["amount"], hist_amt)
    pipe = pipe.reset_index(drop=True)
    pipe.attrs["source"] = f"pipeline at {c.date()}"
    return pipe


def backtest(
    opportunities: pd.DataFrame,
    cutoffs: Sequence,
    horizon: str = "quarter",
    trials: int = BACKTEST_TRIALS,
    seed: int | None = None,
    *,
    stage_history: pd.DataFrame | None = None,
    group_by: str | None = None,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
    stage_order: Sequence[str] | None = None,
    timing: str = "created",
    stale_after: float | None = 90,
    progress: bool = False,
) -> BacktestResult:
    """Forecast the period after each cut-off from what was known then; compare with actuals.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities as they stand now (closed deals have their real outcome).
    cutoffs : sequence of dates
        Cut-off dates; best at period starts (a mid-period cut-off forecasts the rest of the
        period holding it).
    horizon : {"quarter", "month", "year"}
        Length of the forecast period.
    trials : int, default :data:`~salesworkbench.defaults.BACKTEST_TRIALS`
        Monte Carlo trials per cut-off.
    seed : int, optional
        Seed; each cut-off gets its own named stream.
    stage_history : DataFrame, optional
        Canonical stage history: rebuilds stage, amount and expected close date at the cut-off
        and enables stage-reached win rates and timing from the expected close date.
    group_by, prior_strength, stage_order
        Passed to :meth:`HistoryModel.fit`.
    timing : {"created", "stage", "close_date"}
        Timing model passed to :func:`forecast`; ``stage`` and ``close_date`` need
        ``stage_history`` (without it, ``created`` is used).
    stale_after : float or None
        Passed to :func:`forecast`.
    progress : bool
        Show a progress bar over cut-offs.

    Returns
    -------
    BacktestResult
        A DataFrame (one row per cut-off) with ``.coverage``, ``.reliability()``,
        ``.summary`` and the per-deal predictions in ``.deals``.
    """
    check_opportunities(opportunities, opportunities.attrs.get("source", "opportunities"))
    f = _freq_code(horizon, "horizon")
    if len(cutoffs) == 0:
        raise ValueError("cutoffs: give at least one cut-off date")
    from tqdm.auto import tqdm

    rows, deal_rows = [], []
    for i, cutoff in enumerate(tqdm(list(cutoffs), disable=not progress, desc="backtest")):
        c = pd.Timestamp(cutoff).normalize()
        period = c.to_period(f)
        end = period_bounds(period)[1]
        hist = None
        if stage_history is not None:
            hist = stage_history[stage_history["changed"] < c]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            try:
                model = HistoryModel.fit(
                    opportunities,
                    hist,
                    group_by=group_by,
                    as_of=c - pd.Timedelta(days=1),
                    prior_strength=prior_strength,
                    stage_order=stage_order,
                )
            except DataError as exc:
                raise DataError(
                    f"cut-off {c.date()}: {exc.problem}", file=exc.file, column=exc.column
                ) from exc
            pipe = pipeline_at(opportunities, c, stage_history)
            sub = None if seed is None else int(named_stream(seed, "backtest", i).integers(2**62))
            res = forecast(
                pipe,
                model,
                periods=[period],
                trials=trials,
                seed=sub,
                as_of=c,
                timing=timing if stage_history is not None else "created",
                stale_after=stale_after,
                progress=False,
            )
        lab = str(period)
        now = opportunities.set_index("opportunity_id")
        ids = pipe["opportunity_id"]
        st = ids.map(now["status"].astype(object))
        cd = ids.map(now["close_date"])
        won_in = (st == "won").to_numpy() & (cd >= c).to_numpy() & (cd <= end).to_numpy()
        actual = float(ids[won_in].map(now["amount"]).sum())
        allwon = (
            (now["status"].astype(object) == "won")
            & (now["close_date"] >= c)
            & (now["close_date"] <= end)
        )
        srow = res.summary.loc[lab]
        rows.append(
            {
                "cutoff": c,
                "period": lab,
                "period_end": end,
                "open_deals": len(res.deals),
                "stale_deals": len(res.stale),
                "actual": actual,
                "mean": srow["mean"],
                "p10": srow["p10"],
                "p50": srow["p50"],
                "p90": srow["p90"],
                "actual_all": float(now.loc[allwon, "amount"].sum()),
            }
        )
        d = res.deals[["opportunity_id", "win_prob", f"prob_{lab}"]].rename(
            columns={f"prob_{lab}": "prob_in_period"}
        )
        fin = d["opportunity_id"].map(now["status"].astype(object))
        dcd = d["opportunity_id"].map(now["close_date"])
        d = d.assign(
            cutoff=c,
            outcome=np.where(fin == "open", np.nan, (fin == "won").astype(float)),
            won_in_period=((fin == "won") & (dcd >= c) & (dcd <= end)).astype(float),
        )
        deal_rows.append(d)
    out = BacktestResult(pd.DataFrame(rows))
    out["error"] = out["actual"] - out["mean"]
    out["pct_error"] = out["error"] / out["mean"].where(out["mean"] > 0)
    out["inside_p10_p90"] = (out["actual"] >= out["p10"]) & (out["actual"] <= out["p90"])
    out.deals = pd.concat(deal_rows, ignore_index=True)
    return out
