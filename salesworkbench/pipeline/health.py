"""Pipeline health: coverage, sales velocity, and how the pipeline moved between snapshots.

Three quick checks beside the forecast: :func:`coverage_ratio` (open pipeline dated in a period
over quota), :func:`sales_velocity` (open deals x win rate x average won deal / cycle length)
and :func:`pipeline_waterfall` (new, won, lost, pushed, pulled-in ... between two snapshots).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.pipeline.history import HistoryModel, check_opportunities

__all__ = ["coverage_ratio", "pipeline_waterfall", "sales_velocity"]


def coverage_ratio(open_pipeline: pd.DataFrame, quota: float, period) -> float:
    """Open pipeline with an expected close date in ``period``, divided by ``quota``.

    A common rule of thumb wants about 3x coverage at a 30% win rate; compare with
    ``1 / win rate`` from the history model.

    Parameters
    ----------
    open_pipeline : DataFrame
        Canonical opportunities; only rows with status ``open`` count.
    quota : float
        Quota of the period (> 0).
    period : period-like
        E.g. ``"2026Q4"`` or a ``pd.Period``.

    Returns
    -------
    float
    """
    if not quota > 0:
        raise ValueError(f"quota must be positive, got {quota!r}")
    per = pd.Period(period)
    d = open_pipeline[open_pipeline["status"].astype(object) == "open"]
    inp = (d["close_date"] >= per.start_time) & (d["close_date"] <= per.end_time)
    return float(d.loc[inp, "amount"].sum()) / float(quota)


def sales_velocity(open_pipeline: pd.DataFrame, history_model: HistoryModel) -> pd.Series:
    """Sales velocity: open deals x win rate x average won deal / cycle length (per day).

    Parameters
    ----------
    open_pipeline : DataFrame
        Canonical opportunities; the rows with status ``open`` are counted.
    history_model : HistoryModel
        Gives the win rate, the average won deal and the mean cycle length (with its what-if
        multipliers).

    Returns
    -------
    Series
        ``open_deals``, ``win_rate``, ``average_deal``, ``cycle_days``, ``per_day`` and
        ``per_month`` (30.44 days).
    """
    n = int((open_pipeline["status"].astype(object) == "open").sum())
    wr, size, cyc = history_model.win_rate, history_model.typical_deal, history_model.cycle_length
    per_day = n * wr * size / cyc if cyc > 0 else float("nan")
    return pd.Series(
        {
            "open_deals": n,
            "win_rate": wr,
            "average_deal": size,
            "cycle_days": cyc,
            "per_day": per_day,
            "per_month": per_day * 30.44,
        }
    )


def pipeline_waterfall(before: pd.DataFrame, after: pd.DataFrame, period=None) -> pd.DataFrame:
    """How the open pipeline moved between two snapshots.

    Parameters
    ----------
    before, after : DataFrame
        Canonical opportunity snapshots, earlier and later.
    period : period-like, optional
        Only the pipeline expected to close in this period (e.g. ``"2026Q4"``); deals moved out
        of it count as *pushed*, deals moved into it as *pulled in*. Default: all open deals.

    Returns
    -------
    DataFrame
        Steps ``start, new, won, lost, pushed, pulled_in, amount_change, removed, end`` with
        ``amount`` and ``deals``; start + the signed steps = end (checked).
    """
    for name, f in (("before", before), ("after", after)):
        check_opportunities(f, f"{name} snapshot")
    per = pd.Period(period) if period is not None else None

    def window(f):
        o = (f["status"].astype(object) == "open").to_numpy().copy()
        if per is not None:
            o &= (
                (f["close_date"] >= per.start_time) & (f["close_date"] <= per.end_time)
            ).to_numpy()
        return f.loc[o].set_index("opportunity_id")

    b, a = window(before), window(after)
    bst = before.set_index("opportunity_id")
    ast = after.set_index("opportunity_id")
    astat = ast["status"].astype(object)
    amt_b = b["amount"].fillna(0.0)
    amt_a = a["amount"].fillna(0.0)
    steps = {}

    def put(name, ids, amount):
        steps[name] = (float(amount) + 0.0, len(ids))  # + 0.0 turns -0.0 into 0.0

    put("start", b.index, amt_b.sum())
    new = a.index.difference(bst.index[bst["status"].astype(object) == "open"])
    put("new", new, amt_a.reindex(new).sum())
    won = b.index.intersection(astat.index[astat == "won"])
    put("won", won, -amt_b.reindex(won).sum())
    lost = b.index.intersection(astat.index[astat == "lost"])
    put("lost", lost, -amt_b.reindex(lost).sum())
    still_open = b.index.intersection(astat.index[astat == "open"])
    pushed = still_open.difference(a.index)
    put("pushed", pushed, -amt_b.reindex(pushed).sum())
    pulled = a.index.difference(new).difference(b.index)
    put("pulled_in", pulled, amt_a.reindex(pulled).sum())
    both = b.index.intersection(a.index)
    put(
        "amount_change",
        both[(amt_a.reindex(both) != amt_b.reindex(both)).to_numpy()],
        (amt_a.reindex(both) - amt_b.reindex(both)).sum(),
    )
    removed = b.index.difference(ast.index)
    put("removed", removed, -amt_b.reindex(removed).sum())
    put("end", a.index, amt_a.sum())
    out = pd.DataFrame(steps, index=["amount", "deals"]).T
    out["deals"] = out["deals"].astype(int)
    out.index.name = "step"
    flow = out["amount"].iloc[:-1].sum()
    if not np.isclose(flow, out.loc["end", "amount"], rtol=1e-9, atol=1e-6):  # pragma: no cover
        raise AssertionError(f"waterfall does not add up: {flow} vs {out.loc['end', 'amount']}")
    return out
