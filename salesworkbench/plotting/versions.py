"""Plots of a value case through the sale: the version waterfall and realised value.

Every function takes ``ax=None`` (the current Axes is used), imports matplotlib inside the
function and returns the Axes.
"""

from __future__ import annotations

import numpy as np

from salesworkbench.formatting import format_money, format_percent

__all__ = [
    "plot_actual_in_range",
    "plot_calibration",
    "plot_realisation",
    "plot_version_waterfall",
]

_POS = "#4f81bd"
_NEG = "#c0504d"
_TOTAL = "#7f7f7f"


def _axes(ax):
    import matplotlib.pyplot as plt

    return plt.gca() if ax is None else ax


def _wrap(text: str, width: int = 16) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def plot_version_waterfall(diff, ax=None):
    """Waterfall of the movement in mean value from an old version of a case to a new one.

    Parameters
    ----------
    diff : CaseDiff
        From :func:`salesworkbench.value.versions.diff`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.ticker import FuncFormatter

    ax = _axes(ax)
    wf = diff.waterfall
    cur = diff.currency

    def money(v):
        return format_money(v, cur, digits=2)

    start, end = float(wf["mean"].iloc[0]), float(wf["mean"].iloc[-1])
    labels = ["old case"]
    bottoms, heights, colours = [0.0], [start], [_TOTAL]
    level = start
    for _, row in wf.iloc[1:].iterrows():
        d = float(row["delta_mean"])
        labels.append(row["step"])
        bottoms.append(level if d >= 0 else level + d)
        heights.append(abs(d))
        colours.append(_POS if d >= 0 else _NEG)
        level += d
    labels.append("new case")
    bottoms.append(0.0)
    heights.append(end)
    colours.append(_TOTAL)
    x = np.arange(len(labels))
    ax.bar(x, heights, bottom=bottoms, color=colours, width=0.6)
    for i in range(1, len(labels) - 1):
        d = float(wf["delta_mean"].iloc[i])
        ax.annotate(
            ("+" if d >= 0 else "") + money(d),
            (x[i], bottoms[i] + heights[i]),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize="small",
        )
    for i in (0, len(labels) - 1):
        ax.annotate(
            money(heights[i]),
            (x[i], max(heights[i], 0)),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize="small",
        )
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_xticks(x, [_wrap(t) for t in labels], fontsize="small")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: money(v)))
    label = "value" if diff.output == "value" else diff.output
    ax.set_ylabel(f"mean {label} ({cur})" if cur else f"mean {label}")
    p0 = float(wf["prob_positive"].iloc[0])
    p1 = float(wf["prob_positive"].iloc[-1])
    ax.set_title(
        f"What moved the case: P({label} > 0) {format_percent(p0)} -> {format_percent(p1)}",
        fontsize="medium",
    )
    return ax


def plot_realisation(real, ax=None):
    """Each actual placed within the case's P10-P90 range, on the percentile scale.

    Parameters
    ----------
    real : Realisation
        From :func:`salesworkbench.value.realisation.realisation`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    table = real.table
    y = np.arange(len(table))[::-1]
    ax.axvspan(0.1, 0.9, color=_POS, alpha=0.15, label="case P10-P90")
    ax.axvline(0.5, color="#333333", linewidth=0.8, linestyle="--", label="case P50")
    pct = table["percentile"].to_numpy(dtype=float)
    inside = (pct >= 0.1) & (pct <= 0.9)
    ax.scatter(pct[inside], y[inside], color=_POS, zorder=3, label="actual (inside)")
    ax.scatter(pct[~inside], y[~inside], color=_NEG, zorder=3, label="actual (outside)")
    ax.set_yticks(y, [_wrap(n, 28) for n in table.index], fontsize="small")
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("percentile of the actual within the case's distribution (0.5 = as expected)")
    ax.set_title("Realised value against the case", fontsize="medium")
    ax.legend(fontsize="x-small", loc="lower right")
    return ax


def plot_actual_in_range(sample, row, name: str = "", bins: int = 60, ax=None):
    """One actual marked on the case's own distribution, with the case's P10-P90 band.

    Parameters
    ----------
    sample : array-like
        The case's simulated outcomes of the assumption or line (from
        :func:`salesworkbench.value.realisation.case_distribution`).
    row : mapping or pandas.Series
        ``actual``, ``p10``, ``p50``, ``p90``, ``percentile`` and optionally ``unit`` (a row of
        :attr:`Realisation.table <salesworkbench.value.realisation.Realisation.table>`).
    name : str, optional
        What the actual is (the title).
    bins : int, default 60
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    x = np.asarray(sample, dtype=float)
    x = x[np.isfinite(x)]
    actual = float(row["actual"])
    p10, p50, p90 = (float(row[k]) for k in ("p10", "p50", "p90"))
    pct = float(row["percentile"])
    inside = 0.1 <= pct <= 0.9
    if len(x) and np.ptp(x) > 0:  # one filled outline, not a bar per bin: quick to redraw
        density, edges = np.histogram(x, bins=bins, density=True)
        ax.stairs(density, edges, fill=True, color=_TOTAL, alpha=0.6, label="case outcomes")
    elif len(x):  # a fixed figure: one bar
        ax.axvline(float(x[0]), color=_TOTAL, linewidth=3, alpha=0.6, label="case outcome")
    ax.axvspan(p10, p90, color=_POS, alpha=0.15, label="case P10-P90")
    ax.axvline(p50, color="#333333", linewidth=0.8, linestyle="--", label="case P50")
    colour = _POS if inside else _NEG
    ax.axvline(actual, color=colour, linewidth=2.2, label=f"actual ({format_percent(pct)})")
    unit = str(row.get("unit", "") or "")
    ax.set_xlabel(unit)
    ax.set_yticks([])
    where = "inside" if inside else "outside"
    ax.set_title(
        f"{_wrap(name, 40)}: actual at the {format_percent(pct)} percentile ({where} P10-P90)"
        if name
        else f"actual at the {format_percent(pct)} percentile ({where} P10-P90)",
        fontsize="medium",
    )
    ax.legend(fontsize="x-small", loc="upper right")
    return ax


def plot_calibration(cal, bins: int = 10, ax=None):
    """Histogram of the actuals' percentiles (flat when the ranges were right).

    Parameters
    ----------
    cal : Calibration
        From :func:`salesworkbench.value.realisation.calibration`.
    bins : int, default 10
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    pct = cal.table["percentile"].to_numpy(dtype=float)
    ax.hist(pct, bins=np.linspace(0, 1, bins + 1), color=_POS, alpha=0.8, weights=None)
    ax.axhline(
        len(pct) / bins, color="#333333", linestyle="--", linewidth=0.8, label="well calibrated"
    )
    ax.set_xlabel("percentile of the actual within its case's distribution")
    ax.set_ylabel("actuals")
    ax.set_title(
        f"P10-P90 ranges held {format_percent(cal.coverage)} of the time (target 80%)",
        fontsize="medium",
    )
    ax.legend(fontsize="x-small")
    return ax
