"""Plots of a value case: value distribution, cumulative curve, benefits vs investment waterfall.

Every function takes ``ax=None`` (the current Axes is used), imports matplotlib inside the
function and returns the Axes.
"""

from __future__ import annotations

import numpy as np

from salesworkbench.formatting import format_money, format_percent

__all__ = ["plot_cumulative", "plot_value_distribution", "plot_waterfall"]

_POS = "#4f81bd"
_NEG = "#c0504d"
_LINE = "#333333"
_LABELS = {
    "value": "value",
    "npv": "NPV",
    "total_benefits": "total benefits",
    "total_investment": "total investment",
    "roi": "ROI",
    "payback_years": "payback (years)",
}
_MONEY = {"value", "npv", "total_benefits", "total_investment"}


def _axes(ax):
    import matplotlib.pyplot as plt

    return plt.gca() if ax is None else ax


def _fmt(output: str, currency: str):
    if output in _MONEY:
        return lambda v: format_money(v, currency, digits=2)
    return lambda v: f"{v:.3g}"


def _money_axis(axis, fmt) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))


def plot_value_distribution(sim, output: str = "value", bins: int = 60, ax=None):
    """Histogram of a simulated output with P10/P50/P90 lines and P(output > 0) in the title.

    Parameters
    ----------
    sim : ValueSimulation
        From :meth:`ValueCase.simulate`.
    output : str, default "value"
        Any column of ``sim.samples`` (e.g. "npv").
    bins : int
        Histogram bins.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    x = np.asarray(sim.samples[output], dtype=float)
    finite = x[np.isfinite(x)]
    currency = sim.case.currency
    fmt = _fmt(output, currency)
    counts, edges = np.histogram(finite, bins=bins)
    centres = 0.5 * (edges[:-1] + edges[1:])
    colours = [_POS if c >= 0 else _NEG for c in centres]
    ax.bar(centres, counts / max(len(x), 1), width=np.diff(edges), color=colours, alpha=0.8)
    p10, p50, p90 = np.percentile(x, [10, 50, 90])
    for q, v, style in (("P10", p10, ":"), ("P50", p50, "-"), ("P90", p90, ":")):
        if np.isfinite(v):
            ax.axvline(v, color=_LINE, linestyle=style, linewidth=1.2)
            ax.annotate(
                f"{q} {fmt(v)}",
                (v, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                fontsize="small",
            )
    if output in _MONEY and finite.size and finite.min() < 0 < finite.max():
        ax.axvline(0, color=_NEG, linewidth=0.8)
    label = _LABELS.get(output, output)
    p_pos = float(np.mean(x > 0))
    ax.set_title(f"{sim.case.name or 'Value case'}: P({label} > 0) = {format_percent(p_pos)}")
    ax.set_xlabel(f"{label} ({currency})" if output in _MONEY and currency else label)
    ax.set_ylabel("share of trials")
    _money_axis(ax.xaxis, fmt)
    return ax


def plot_cumulative(sim, output: str = "value", ax=None):
    """Cumulative probability curve of a simulated output: P(output <= x).

    Parameters
    ----------
    sim : ValueSimulation
    output : str, default "value"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    x = np.sort(np.asarray(sim.samples[output], dtype=float))
    n = len(x)
    # at most ~2000 points are drawn: the curve is smooth at that resolution
    idx = np.unique(np.linspace(0, n - 1, min(n, 2000)).astype(int))
    ax.plot(x[idx], (idx + 1) / n, color=_POS, linewidth=1.8)
    currency = sim.case.currency
    fmt = _fmt(output, currency)
    label = _LABELS.get(output, output)
    if output in _MONEY and x[0] < 0 < x[-1]:
        p_neg = float(np.mean(x <= 0))
        ax.axvline(0, color=_NEG, linewidth=0.8)
        ax.axhline(p_neg, color=_NEG, linewidth=0.8, linestyle=":")
        ax.annotate(
            f"P({label} <= 0) = {format_percent(p_neg)}",
            (0, p_neg),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize="small",
        )
    for q in (0.1, 0.5, 0.9):
        ax.axhline(q, color="#999999", linewidth=0.5, linestyle="--")
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"{label} ({currency})" if output in _MONEY and currency else label)
    ax.set_ylabel(f"P({label} <= x)")
    ax.set_title(f"Cumulative probability of {label}")
    _money_axis(ax.xaxis, fmt)
    return ax


def plot_waterfall(case, values=None, ax=None):
    """Benefits vs investment waterfall: each line's total over the horizon, adding up to value.

    Parameters
    ----------
    case : ValueCase
    values : mapping, optional
        Assumption values; default the base case (most likely values).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    if values is None:
        base = case.base_case()
        values = {n: base[n] for n in case.assumptions}
    row = case.evaluate(values, lines=True).iloc[0]
    steps = [(line.name, float(row[f"benefit:{line.name}"])) for line in case.benefits]
    steps += [(line.name, -float(row[f"investment:{line.name}"])) for line in case.investments]
    fmt = _fmt("value", case.currency)
    level = 0.0
    labels = []
    for i, (name, amount) in enumerate(steps):
        colour = _POS if amount >= 0 else _NEG
        ax.bar(i, amount, bottom=level, color=colour, width=0.6)
        ax.annotate(
            fmt(amount),
            (i, level + amount),
            xytext=(0, 3 if amount >= 0 else -10),
            textcoords="offset points",
            ha="center",
            fontsize="small",
        )
        if i:
            ax.plot([i - 1.3, i - 0.3], [level, level], color="#999999", linewidth=0.6)
        level += amount
        labels.append(name)
    total = float(row["value"])
    k = len(steps)
    ax.bar(k, total, color=_LINE, width=0.6)
    ax.annotate(
        fmt(total),
        (k, total),
        xytext=(0, 3 if total >= 0 else -10),
        textcoords="offset points",
        ha="center",
        fontsize="small",
        fontweight="bold",
    )
    labels.append("Value")
    ax.axhline(0, color="#666666", linewidth=0.8)
    ax.margins(y=0.12)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels([_wrap(s) for s in labels], fontsize="small")
    h = case.horizon_years
    ax.set_title(f"Benefits over {h} year{'s' if h != 1 else ''} vs investment")
    ax.set_ylabel(case.currency or "amount")
    _money_axis(ax.yaxis, fmt)
    return ax


def _wrap(text: str, width: int = 14) -> str:
    words, lines, cur = str(text).split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "\n".join(lines)
