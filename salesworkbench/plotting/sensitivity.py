"""Plots of the sensitivity tables in :mod:`salesworkbench.value`.

Every function takes the table the analysis returned and ``ax=None`` (the current Axes is used),
imports matplotlib inside the function and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.formatting import format_number
from salesworkbench.plotting.style import NEGATIVE_COLOUR, POSITIVE_COLOUR, money_axis

__all__ = [
    "plot_convergence",
    "plot_rank_correlation",
    "plot_sobol",
    "plot_spider",
    "plot_tornado",
    "update_tornado",
]


def _axes(ax):
    import matplotlib.pyplot as plt

    return plt.gca() if ax is None else ax


def _output_label(output: str, currency: str | None) -> str:
    money = output in {"value", "npv", "total_benefits", "total_investment"}
    label = {"npv": "NPV", "roi": "ROI", "payback_years": "payback (years)"}.get(
        output, output.replace("_", " ")
    )
    return f"{label} ({currency})" if money and currency else label


def plot_tornado(
    table: pd.DataFrame,
    ax=None,
    currency: str | None = None,
    max_bars: int | None = 12,
):
    """Tornado chart of :func:`~salesworkbench.value.tornado`: widest swing on top.

    Parameters
    ----------
    table : pandas.DataFrame
        The tornado table.
    ax : matplotlib Axes, optional
        Where to draw; the current Axes by default.
    currency : str, optional
        Prefix for money ticks (e.g. "GBP").
    max_bars : int or None, default 12
        Show only the widest swings.

    Returns
    -------
    matplotlib.axes.Axes

    See Also
    --------
    update_tornado : put a new table into the same chart (fast, for widgets).
    """
    ax = _axes(ax)
    output = table.attrs.get("output", "npv")
    low_q = table.attrs.get("low", 0.1)
    high_q = table.attrs.get("high", 0.9)
    y = np.arange(len(_shown(table, max_bars)))
    zeros = np.zeros(len(y))
    low = ax.barh(y, zeros, color=NEGATIVE_COLOUR, label=f"assumption at P{round(100 * low_q)}")
    high = ax.barh(y, zeros, color=POSITIVE_COLOUR, label=f"assumption at P{round(100 * high_q)}")
    for bar in low:
        bar.set_gid("tornado:low")
    for bar in high:
        bar.set_gid("tornado:high")
    ax.axvline(0, color="black", lw=1, gid="tornado:base")
    if output != "roi":
        money_axis(ax.xaxis, currency)
    ax.set_xlabel(_output_label(output, currency))
    ax.set_title(f"Tornado: swing of {_output_label(output, None)} around the base case")
    ax.legend(loc="lower right", fontsize="small")
    return update_tornado(table, ax, currency=currency, max_bars=max_bars)


def update_tornado(
    table: pd.DataFrame,
    ax,
    currency: str | None = None,
    max_bars: int | None = 12,
):
    """Put a new tornado table into a chart drawn by :func:`plot_tornado`.

    Moves the existing bars, base line and labels instead of drawing from scratch (a widget
    stays fast). On an Axes without a tornado, or with a different number of bars, it draws
    one (clearing the Axes).

    Parameters
    ----------
    table : pandas.DataFrame
        The tornado table.
    ax : matplotlib Axes
        The Axes of the chart.
    currency, max_bars
        As in :func:`plot_tornado` (used only when it draws anew).

    Returns
    -------
    matplotlib.axes.Axes
    """
    shown = _shown(table, max_bars)
    low = [p for p in ax.patches if p.get_gid() == "tornado:low"]
    high = [p for p in ax.patches if p.get_gid() == "tornado:high"]
    base_line = [ln for ln in ax.lines if ln.get_gid() == "tornado:base"]
    if not base_line or len(low) != len(shown):
        if base_line:
            ax.clear()
        return plot_tornado(table, ax=ax, currency=currency, max_bars=max_bars)
    base = float(table.attrs.get("base", table["base"].iloc[0] if len(table) else 0.0))
    lows = shown["output_low"].to_numpy(dtype=float)
    highs = shown["output_high"].to_numpy(dtype=float)
    for bar, end in (*zip(low, lows, strict=True), *zip(high, highs, strict=True)):
        bar.set_x(base)
        bar.set_width(end - base)
    base_line[0].set_xdata([base, base])
    labels = [
        f"{name}\n({format_number(row.input_low)} to {format_number(row.input_high)})"
        for name, row in shown.iterrows()
    ]
    ax.set_yticks(np.arange(len(shown)), labels)
    ends = np.concatenate([[base], lows, highs])
    span = float(ends.max() - ends.min()) or max(abs(base), 1.0)
    ax.set_xlim(ends.min() - 0.05 * span, ends.max() + 0.05 * span)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    return ax


def _shown(table: pd.DataFrame, max_bars: int | None) -> pd.DataFrame:
    """The rows a tornado shows, widest swing on top (last)."""
    shown = table.head(max_bars) if max_bars else table
    return shown.iloc[::-1]


def plot_spider(table: pd.DataFrame, ax=None, currency: str | None = None):
    """Spider chart of :func:`~salesworkbench.value.spider`: output vs percentile.

    Parameters
    ----------
    table : pandas.DataFrame
        The spider table (index percentile, one column per assumption).
    ax : matplotlib Axes, optional
        Where to draw.
    currency : str, optional
        Prefix for money ticks.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    output = table.attrs.get("output", "npv")
    pct = 100 * np.asarray(table.index, dtype=float)
    for name in table.columns:
        ax.plot(pct, table[name], marker="o", ms=3, label=str(name))
    if "base" in table.attrs:
        ax.axhline(table.attrs["base"], color="grey", lw=1, ls="--", label="base case")
    ax.set_xlabel("percentile of the assumption (others at base case)")
    ax.set_ylabel(_output_label(output, currency))
    if output != "roi":
        money_axis(ax.yaxis, currency)
    ax.set_title(f"Spider: {_output_label(output, None)} across each assumption's range")
    ax.legend(fontsize="small")
    return ax


def plot_sobol(table: pd.DataFrame, ax=None):
    """Bar chart of Sobol' indices (first order and total) with confidence intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesworkbench.value.sobol` (columns S1, S1_conf, ST, ST_conf).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    order = table.sort_values("ST", ascending=False, kind="stable")
    x = np.arange(len(order))
    width = 0.4
    for at, index, colour, label in (
        (x - width / 2, "S1", POSITIVE_COLOUR, "first order S1 (alone)"),
        (x + width / 2, "ST", "#9bbb59", "total ST (with interactions)"),
    ):
        ax.bar(
            at,
            order[index],
            width,
            yerr=order[f"{index}_conf"],
            capsize=3,
            color=colour,
            label=label,
        )
    ax.set_xticks(x, [str(i) for i in order.index], rotation=30, ha="right")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel("share of output variance")
    output = table.attrs.get("output")
    ax.set_title("Sobol' indices" + (f" of {_output_label(output, None)}" if output else ""))
    ax.legend(fontsize="small")
    return ax


def plot_rank_correlation(table: pd.DataFrame, ax=None):
    """Horizontal bars of Spearman correlations from :func:`rank_correlation`.

    Parameters
    ----------
    table : pandas.DataFrame
        The rank-correlation table (column ``spearman``).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    shown = table.iloc[::-1]
    colours = [POSITIVE_COLOUR if v >= 0 else NEGATIVE_COLOUR for v in shown["spearman"]]
    ax.barh(np.arange(len(shown)), shown["spearman"], color=colours)
    ax.set_yticks(np.arange(len(shown)), [str(i) for i in shown.index])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel("Spearman rank correlation with " + table.attrs.get("output", "output"))
    ax.set_title("Rank correlation of each assumption with the outcome")
    return ax


def plot_convergence(
    table: pd.DataFrame, quantity: str = "mean", ax=None, currency: str | None = None
):
    """Running estimate with its confidence band as trials grow (log scale).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesworkbench.value.convergence`.
    quantity : {"mean", "prob_positive"}
        Which estimate to draw.
    ax : matplotlib Axes, optional
        Where to draw.
    currency : str, optional
        Prefix for money ticks (for the mean).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if quantity not in ("mean", "prob_positive"):
        raise ValueError(f"quantity must be 'mean' or 'prob_positive', got {quantity!r}")
    ax = _axes(ax)
    output = table.attrs.get("output", "value")
    level = round(100 * table.attrs.get("confidence_level", 0.95))
    trials = np.asarray(table.index, dtype=float)
    if quantity == "mean":
        est, lo, hi = table["mean"], table["mean_low"], table["mean_high"]
        label = f"mean {_output_label(output, None)}"
        ax.set_ylabel(_output_label(output, currency))
        if output != "roi":
            money_axis(ax.yaxis, currency)
    else:
        est, lo, hi = table["prob_positive"], table["prob_low"], table["prob_high"]
        label = f"P({output} > 0)"
        ax.set_ylabel(label)
        ax.set_ylim(max(0.0, float(lo.min()) - 0.005), min(1.0, float(hi.max()) + 0.005))
    ax.fill_between(trials, lo, hi, color=POSITIVE_COLOUR, alpha=0.25, label=f"{level}% interval")
    ax.plot(trials, est, color=POSITIVE_COLOUR, marker="o", ms=3, label=label)
    ax.axhline(float(est.iloc[-1]), color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("trials")
    ax.set_title(f"Convergence of the {label}" if quantity == "mean" else f"Convergence of {label}")
    ax.legend(fontsize="small")
    return ax
