"""What a won deal books against the amount the CRM showed while it was open.

Amounts move before a deal closes: discounts in the final negotiation, scope cut or added. A
forecast that multiplies the amount shown today by a chance of winning is biased by however
much won deals typically book against what they showed. With a stage history that records
amounts, :func:`amount_realisation` measures it on the deals won before the fit date:

- every history row of a won deal before its close shows an amount ``A`` that stood for ``d``
  days (to the next change of the deal, or to the close); a cut-off finds it with a chance
  proportional to ``d``;
- the ratio of a stage is ``sum(d * B) / sum(d * A)`` over the rows in that stage, ``B`` the
  amount the deal booked: a ratio of sums, so that it scales expected *value* without bias
  (a mean of per-deal ratios would weigh a small deal's swing like a large one's);
- a stage with fewer than :data:`MIN_DEALS` won deals uses the ratio over all stages.

:func:`realisation_ratios` gives each open deal its stage's ratio; the forecast multiplies
recorded amounts by it (an amount imputed from won deals is a booked amount already).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.pipeline.periods import _days
from salesworkbench.pipeline.stage_history import days_stood

__all__ = ["ALL", "MAX_SWING", "MIN_DEALS", "amount_realisation", "realisation_ratios"]

#: Won deals a stage needs for a ratio of its own (else the ratio over all stages is used).
MIN_DEALS = 30
#: A row whose booked amount is more than this many times its shown amount, or less than its
#: inverse, is left out (and counted): a currency or unit change, not a negotiation.
MAX_SWING = 20.0

#: The row of :func:`amount_realisation`'s table that pools all stages.
ALL = "(all stages)"


def amount_realisation(
    won: pd.DataFrame,
    stage_history: pd.DataFrame | None,
    as_of,
    excluded: dict[str, int] | None = None,
) -> pd.DataFrame | None:
    """Booked over shown amount of won deals, per stage the amount was shown in.

    Parameters
    ----------
    won : DataFrame
        Won deals: ``opportunity_id``, ``close_date``, ``amount`` (the amount booked).
    stage_history : DataFrame or None
        Canonical stage history (``opportunity_id, changed, stage, amount``); a blank amount
        on a row keeps the deal's last one.
    as_of : date
        Only deals closed and rows changed on or before it are used.
    excluded : dict, optional
        Collects rows left out, with the reason as key.

    Returns
    -------
    DataFrame or None
        Indexed by stage, plus a last row ``"(all stages)"``: ``deals`` (won deals with rows
        there), ``rows``, ``shown`` and ``booked`` (day-weighted sums), ``ratio``
        (``booked / shown``) and ``used`` (the stage's own ratio, or the overall one when the
        stage has fewer than :data:`MIN_DEALS` deals). None without a history holding amounts
        of won deals.
    """
    excluded = {} if excluded is None else excluded
    if stage_history is None or "amount" not in stage_history.columns or not len(won):
        return None
    a = pd.Timestamp(as_of)
    w = won.loc[(won["close_date"] <= a).to_numpy()]
    w = w.loc[w["amount"].to_numpy(float) > 0]
    booked = w.drop_duplicates("opportunity_id").set_index("opportunity_id")
    h = stage_history.loc[stage_history["opportunity_id"].isin(booked.index).to_numpy()]
    h = h.loc[(h["changed"] <= a).to_numpy()]
    h = h.sort_values(["opportunity_id", "changed"], kind="stable")
    close = _days(h["opportunity_id"].map(booked["close_date"]))
    changed = _days(h["changed"])
    before = changed < close  # what the CRM showed while the deal was open
    h, close, changed = h.loc[before], close[before], changed[before]
    shown = h.groupby("opportunity_id")["amount"].ffill().to_numpy(float)
    ids = h["opportunity_id"].to_numpy()
    days = days_stood(ids, changed, close)
    b = h["opportunity_id"].map(booked["amount"]).to_numpy(float)
    keep = shown > 0
    swing = keep & ((b > MAX_SWING * shown) | (b * MAX_SWING < shown))
    if swing.any():
        excluded[f"history rows whose amount changed more than {MAX_SWING:g}x by the close"] = int(
            swing.sum()
        )
    keep &= ~swing
    if not keep.any():
        return None
    d = pd.DataFrame(
        {
            "stage": h["stage"].astype(object).to_numpy()[keep],
            "opportunity_id": ids[keep],
            "shown": (days * shown)[keep],
            "booked": (days * b)[keep],
        }
    )
    per = d.groupby("stage", sort=True).agg(
        deals=("opportunity_id", "nunique"),
        rows=("opportunity_id", "size"),
        shown=("shown", "sum"),
        booked=("booked", "sum"),
    )
    total = pd.DataFrame(
        {
            "deals": [d["opportunity_id"].nunique()],
            "rows": [len(d)],
            "shown": [d["shown"].sum()],
            "booked": [d["booked"].sum()],
        },
        index=[ALL],
    )
    table = pd.concat([per, total])
    table.index.name = "stage"
    table["ratio"] = table["booked"] / table["shown"]
    overall = float(table.loc[ALL, "ratio"])
    table["used"] = np.where(table["deals"] >= MIN_DEALS, table["ratio"], overall)
    table.loc[ALL, "used"] = overall
    return table


def realisation_ratios(deals: pd.DataFrame, table: pd.DataFrame | None) -> np.ndarray:
    """Each open deal's booked-over-shown ratio: its stage's, else the overall one; 1 without."""
    n = len(deals)
    if table is None:
        return np.ones(n)
    overall = float(table.loc[ALL, "used"])
    if "stage" not in deals.columns:
        return np.full(n, overall)
    r = deals["stage"].astype(object).map(table["used"].drop(ALL)).to_numpy(float)
    return np.where(np.isnan(r), overall, r)
