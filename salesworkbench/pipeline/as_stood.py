"""The CRM as it stood at a cut-off: nothing known only later.

A forecast or backtest "as of" a date must see the deals as they were then. :func:`as_stood`
rebuilds them from today's export (and the stage history, where there is one):

- deals created on or after the cut-off are left out; deals closed on or after it are open;
- stage, amount and expected close date come from each deal's last stage-history change
  before the cut-off; without history they are blank (today's values would reveal the
  outcome), except the amount, which is today's (a lost deal's 0 is unknown, not zero);
- the CRM probability is blank (it follows the stage, and the export has only today's);
- any other date on or after the cut-off is blank.

:func:`pipeline_at` and :func:`opportunities_at` are the two halves; :func:`runs_past` says
whether a table needs rebuilding at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.pipeline.history import check_opportunities

__all__ = ["as_stood", "opportunities_at", "pipeline_at", "runs_past"]

_CLOSED = ("won", "lost")


def as_stood(
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
        # each deal's row by reindex, not Series.map: with no history rows before the cut-off
        # ``last`` is empty, and pandas maps with an empty mapper by casting it to float64,
        # which fails for the datetime close_date ("Cannot cast DatetimeArray to float64");
        # the stage keeps the table's dtype even when every deal's is blank
        at = last.reindex(pipe["opportunity_id"].to_numpy())
        pipe["stage"] = at["stage"].astype(o["stage"].dtype).set_axis(pipe.index)
        if "close_date" in at.columns:
            pipe["close_date"] = at["close_date"].to_numpy()
        if "amount" in at.columns:
            hist_amt = at["amount"].to_numpy(float)
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
    return as_stood(opportunities, cutoff, stage_history)[1]


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
    return as_stood(opportunities, cutoff, stage_history)[0]


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
