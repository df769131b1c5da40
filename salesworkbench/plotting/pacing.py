"""Roll-up and pacing figures: the forecast per node, and "are we going to make it".

Every function takes ``ax=None`` (current Axes), imports matplotlib inside, returns the Axes
(:func:`rollup_fans` returns an array of them: one per node).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.plotting.style import money_axis

__all__ = ["node_fan", "pacing_chart", "rollup_fans"]


def _ax(ax):
    import matplotlib.pyplot as plt

    return ax if ax is not None else plt.gca()


def node_fan(rollup: pd.DataFrame, name: str, level: str | None = None, ax=None):
    """One node's bookings per period: P10-P90 band, P50, mean (pipeline + new deals), quota.

    Parameters
    ----------
    rollup : DataFrame
        ``ForecastResult.rollup``.
    name, level : str
        The node (``level`` where the name is on several levels).
    """
    ax = _ax(ax)
    r = rollup[(rollup["name"] == name) & (rollup["period"] != "total")]
    if level is not None:
        r = r[r["level"] == level]
    if r.empty:
        raise KeyError(f"no node {name!r} in the roll-up")
    x = np.arange(len(r))
    ax.bar(x, r["from_pipeline"], width=0.5, color="lightsteelblue", label="mean: pipeline")
    ax.bar(
        x,
        r["from_new_deals"],
        width=0.5,
        bottom=r["from_pipeline"],
        color="palegreen",
        label="mean: new deals",
    )
    ax.fill_between(x, r["p10"], r["p90"], color="tab:blue", alpha=0.25, label="P10-P90")
    ax.plot(x, r["p50"], "o-", color="tab:blue", label="P50")
    if "quota" in r.columns and r["quota"].notna().any():
        ax.plot(x, r["quota"], "_", color="crimson", ms=30, mew=2, label="quota")
    ax.set_xticks(x, r["period"])
    ax.set_title(f"{r['level'].iloc[0]}: {name}", fontsize=10)
    money_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    return ax


def rollup_fans(rollup: pd.DataFrame, level: str, axes=None, *, sharey: bool = True):
    """Small multiples: one :func:`node_fan` per node of ``level`` (e.g. per region).

    Returns
    -------
    ndarray of Axes
    """
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(rollup.loc[rollup["level"] == level, "name"]))
    if not names:
        raise KeyError(f"no level {level!r} in the roll-up")
    if axes is None:
        cols = min(len(names), 4)
        rows = -(-len(names) // cols)
        _, axes = plt.subplots(
            rows, cols, figsize=(3.4 * cols, 2.8 * rows), sharey=sharey, squeeze=False
        )
    axes = np.asarray(axes).ravel()
    for name, ax in zip(names, axes, strict=False):
        node_fan(rollup, name, level, ax=ax)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="upper left")
    return axes[: len(names)]


def pacing_chart(pace: pd.DataFrame, ax=None):
    """Pacing through a period: booked so far, the P10-P90 band of the final number, quota.

    The band narrows onto the actual as the period runs; P(quota) is on the right axis.

    Parameters
    ----------
    pace : DataFrame
        From :func:`salesworkbench.pipeline.pacing`.
    """
    ax = _ax(ax)
    d = pace["date"]
    ax.fill_between(
        d, pace["p10"], pace["p90"], color="tab:blue", alpha=0.25, label="final bookings P10-P90"
    )
    ax.plot(d, pace["p50"], "-", color="tab:blue", label="final bookings P50")
    ax.plot(d, pace["booked"], "o-", color="black", ms=3, label="booked so far")
    q = pace.attrs.get("quota", np.nan)
    if q is not None and np.isfinite(q):
        ax.axhline(q, color="crimson", lw=1.5, ls="--", label="quota")
    act = pace.attrs.get("actual", np.nan)
    if act is not None and np.isfinite(act):
        ax.plot(d.iloc[-1], act, "*", color="darkgreen", ms=12, label="actual")
    money_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.set_title(f"{pace.attrs.get('period', '')}: are we going to make it?")
    handles, labels = ax.get_legend_handles_labels()
    if pace["p_quota"].notna().any():
        ax2 = ax.twinx()
        ax2.plot(d, pace["p_quota"], "s--", color="darkorange", ms=3, label="P(quota), right")
        ax2.set_ylim(-0.02, 1.02)
        ax2.yaxis.set_major_formatter(_pct_formatter())
        ax2.set_ylabel("P(reaching quota)")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, fontsize=8, loc="upper left")
    ax.figure.autofmt_xdate()
    return ax


def _pct_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)
