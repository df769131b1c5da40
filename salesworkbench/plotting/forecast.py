"""Forecast figures: fan chart against quota, deal contribution, funnel, reliability, waterfall.

Every function takes ``ax=None`` (current Axes), imports matplotlib inside, returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.formatting import format_number
from salesworkbench.plotting.style import money_axis

__all__ = [
    "deal_contribution_chart",
    "fan_chart",
    "funnel_chart",
    "reliability_plot",
    "waterfall_chart",
]


def _ax(ax):
    import matplotlib.pyplot as plt

    return ax if ax is not None else plt.gca()


def fan_chart(result, quota=None, ax=None, *, stage_weighted: bool = True):
    """Bookings per period: P10-P90 band, P50 line, mean, quota and stage-weighted forecast.

    The mean is drawn as a stacked bar of its two parts, the open pipeline and deals not yet
    created (when the forecast has new deals, see ``forecast(new_deals=...)``).

    Parameters
    ----------
    result : ForecastResult
        From :func:`salesworkbench.pipeline.forecast`.
    quota : float or sequence, optional
        Quota per period; default the result's quota (if it has one).
    """
    ax = _ax(ax)
    s = result.summary.drop(index="total")
    x = np.arange(len(s))
    if "from_pipeline" in s.columns and (s["from_new_deals"] > 0).any():
        # the mean in two parts: today's pipeline, and deals not yet created
        ax.bar(x, s["from_pipeline"], width=0.5, color="lightsteelblue", label="mean: pipeline")
        ax.bar(
            x,
            s["from_new_deals"],
            width=0.5,
            bottom=s["from_pipeline"],
            color="palegreen",
            label="mean: new deals",
        )
    ax.fill_between(x, s["p10"], s["p90"], color="tab:blue", alpha=0.25, label="P10-P90")
    ax.plot(x, s["p50"], "o-", color="tab:blue", label="P50 (median)")
    ax.plot(x, s["mean"], "D", color="navy", ms=5, label="mean")
    if stage_weighted:
        ax.plot(x, s["stage_weighted"], "s", color="tab:orange", ms=6, label="stage-weighted")
    q = (
        s["quota"].to_numpy(float)
        if quota is None
        else np.broadcast_to(np.asarray(quota, float), (len(s),))
    )
    if np.isfinite(q).any():
        ax.hlines(q, x - 0.4, x + 0.4, colors="tab:red", linestyles="--", label="quota")
        for xi, p in zip(x, s["p_quota"], strict=True):
            if np.isfinite(p) and quota is None:
                ax.annotate(
                    f"P(>= quota) {p:.0%}",
                    (xi, s["p90"].iloc[xi]),
                    xytext=(0, 6),
                    textcoords="offset points",
                    ha="center",
                    fontsize=8,
                )
    ax.set_xticks(x, s.index)
    ax.set_xlim(-0.6, len(s) - 0.4)
    money_axis(ax.yaxis)
    ax.set_xlabel("period")
    ax.set_ylabel("bookings")
    ax.set_title("Bookings forecast: spread per period")
    ax.legend(fontsize=8, loc="best")
    return ax


def deal_contribution_chart(result, top: int = 15, ax=None):
    """The deals that carry the forecast: expected value, labelled with their variance share."""
    ax = _ax(ax)
    d = result.deals.head(top).iloc[::-1]
    label = d["opportunity_id"].astype(str)
    if "account" in d.columns:
        label = label + "  " + d["account"].fillna("(no account)").astype(str)
    y = np.arange(len(d))
    ax.barh(y, d["amount"], color="lightgrey", label="amount")
    ax.barh(y, d["expected"], color="tab:blue", label="expected value")
    for yi, (e, v) in enumerate(zip(d["expected"], d["variance_share"], strict=True)):
        ax.annotate(
            f"{v:.0%} of variance",
            (e, yi),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    ax.set_yticks(y, label, fontsize=8)
    money_axis(ax.xaxis)
    ax.set_xlabel("amount / expected bookings in the forecast horizon")
    ax.set_title(f"Top {len(d)} deals by expected value")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def funnel_chart(plan, ax=None, *, confidence_label: bool = True):
    """The reverse funnel: entries needed at each level, centred bars, widest at the top."""
    ax = _ax(ax)
    t = plan.table
    n = len(t)
    widths = t["needed"].to_numpy(float)
    avg = t["needed_on_average"].to_numpy(float)
    y = np.arange(n)[::-1]
    colours = ["#9ecae1", "#6baed6", "#3182bd", "#08519c"][-n:]
    ax.barh(y, widths, left=-widths / 2, color=colours, edgecolor="white", height=0.8)
    ax.barh(
        y,
        avg,
        left=-avg / 2,
        fill=False,
        edgecolor="k",
        linestyle=":",
        height=0.8,
        label="needed on average",
    )
    for yi, (lvl, row) in zip(y, t.iterrows(), strict=True):
        txt = f"{lvl.replace('_', ' ')}: {row['needed']:,.0f}"
        if pd.notna(row.get("enter_by")):
            txt += f"  (by {pd.Timestamp(row['enter_by']).date()})"
        ax.text(
            0,
            yi,
            txt,
            ha="center",
            va="center",
            fontsize=8,
            color="white" if yi < n / 2 else "black",
        )
    ax.set_yticks([])
    ax.set_xticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    title = f"Reverse funnel for {format_number(plan.objective)}"
    if confidence_label:
        title += f" at {plan.confidence:.0%} confidence"
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def reliability_plot(backtest_result, bins: int = 10, ax=None):
    """Predicted vs observed P(won by the end of the forecast period) (diagonal = calibrated).

    Deals still open at the period end count as not won (:meth:`BacktestResult.reliability`).
    """
    ax = _ax(ax)
    rel = backtest_result.reliability(bins=bins)
    used = rel[rel["deals"] > 0]
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
    sizes = 20 + 200 * used["deals"] / max(used["deals"].max(), 1)
    ax.scatter(
        used["predicted"],
        used["observed"],
        s=sizes,
        color="tab:blue",
        zorder=3,
        label="deals binned by prediction",
    )
    for _, r in used.iterrows():
        ax.annotate(
            f"n={int(r['deals'])}",
            (r["predicted"], r["observed"]),
            xytext=(5, -10),
            textcoords="offset points",
            fontsize=7,
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted P(won by the period end)")
    ax.set_ylabel("observed share won by the period end")
    ax.set_title(f"Reliability (P10-P90 coverage {backtest_result.coverage:.0%}, nominal 80%)")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def waterfall_chart(waterfall: pd.DataFrame, ax=None):
    """Pipeline waterfall between two snapshots (from :func:`pipeline_waterfall`)."""
    ax = _ax(ax)
    w = waterfall["amount"]
    steps = list(w.index)
    level, bottoms, heights, colours = 0.0, [], [], []
    for s in steps:
        v = float(w[s])
        if s in ("start", "end"):
            bottoms.append(0.0)
            heights.append(v)
            colours.append("tab:grey")
            level = v
        else:
            bottoms.append(level if v >= 0 else level + v)
            heights.append(abs(v))
            colours.append("tab:green" if v >= 0 else "tab:red")
            level += v
    x = np.arange(len(steps))
    ax.bar(x, heights, bottom=bottoms, color=colours)
    ax.set_xticks(x, [s.replace("_", " ") for s in steps], rotation=30, ha="right")
    money_axis(ax.yaxis)
    ax.set_ylabel("open pipeline")
    ax.set_title("Pipeline waterfall")
    return ax
