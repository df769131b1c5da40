"""Plots of the sensitivity tables in :mod:`salesworkbench.value`.

Every function takes the table the analysis returned and ``ax=None`` (the current Axes is used),
imports matplotlib inside the function and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "plot_convergence",
    "plot_rank_correlation",
    "plot_sobol",
    "plot_spider",
    "plot_tornado",
]

_LOW_COLOUR = "#c0504d"
_HIGH_COLOUR = "#4f81bd"


def _axes(ax):
    import matplotlib.pyplot as plt

    return plt.gca() if ax is None else ax


def _money(x: float, currency: str | None = None) -> str:
    """Short money label: 2500000 -> '2.5M', 500000 -> '500K'."""
    sign = "-" if x < 0 else ""
    x = abs(float(x))
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if x >= scale:
            text = f"{x / scale:.3g}{suffix}"
            break
    else:
        text = f"{x:.3g}"
    return f"{sign}{currency + ' ' if currency else ''}{text}"


def _money_axis(axis, currency: str | None) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: _money(v, currency)))


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
    """
    ax = _axes(ax)
    output = table.attrs.get("output", "npv")
    low_q = table.attrs.get("low", 0.1)
    high_q = table.attrs.get("high", 0.9)
    base = float(table.attrs.get("base", table["base"].iloc[0] if len(table) else 0.0))
    shown = table.head(max_bars) if max_bars else table
    shown = shown.iloc[::-1]  # widest at the top
    y = np.arange(len(shown))
    ax.barh(
        y,
        shown["output_low"] - base,
        left=base,
        color=_LOW_COLOUR,
        label=f"assumption at P{round(100 * low_q)}",
    )
    ax.barh(
        y,
        shown["output_high"] - base,
        left=base,
        color=_HIGH_COLOUR,
        label=f"assumption at P{round(100 * high_q)}",
    )
    ax.axvline(base, color="black", lw=1)
    labels = [
        f"{name}\n({_money(row.input_low)} to {_money(row.input_high)})"
        for name, row in shown.iterrows()
    ]
    ax.set_yticks(y, labels)
    if output != "roi":
        _money_axis(ax.xaxis, currency)
    ax.set_xlabel(_output_label(output, currency))
    ax.set_title(f"Tornado: swing of {_output_label(output, None)} around the base case")
    ax.legend(loc="lower right", fontsize="small")
    return ax


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
        _money_axis(ax.yaxis, currency)
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
    ax.bar(
        x - width / 2,
        order["S1"],
        width,
        yerr=order["S1_conf"],
        capsize=3,
        color=_HIGH_COLOUR,
        label="first order S1 (alone)",
    )
    ax.bar(
        x + width / 2,
        order["ST"],
        width,
        yerr=order["ST_conf"],
        capsize=3,
        color="#9bbb59",
        label="total ST (with interactions)",
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
    colours = [_HIGH_COLOUR if v >= 0 else _LOW_COLOUR for v in shown["spearman"]]
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
            _money_axis(ax.yaxis, currency)
    else:
        est, lo, hi = table["prob_positive"], table["prob_low"], table["prob_high"]
        label = f"P({output} > 0)"
        ax.set_ylabel(label)
        ax.set_ylim(max(0.0, float(lo.min()) - 0.005), min(1.0, float(hi.max()) + 0.005))
    ax.fill_between(trials, lo, hi, color=_HIGH_COLOUR, alpha=0.25, label=f"{level}% interval")
    ax.plot(trials, est, color=_HIGH_COLOUR, marker="o", ms=3, label=label)
    ax.axhline(float(est.iloc[-1]), color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("trials")
    ax.set_title(f"Convergence of the {label}" if quantity == "mean" else f"Convergence of {label}")
    ax.legend(fontsize="small")
    return ax
