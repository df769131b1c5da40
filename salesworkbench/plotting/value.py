"""Plots of a value case: value distribution, cumulative curve, benefits vs investment waterfall.

Every function takes ``ax=None`` (the current Axes is used), imports matplotlib inside the
function and returns the Axes.
"""

from __future__ import annotations

import numpy as np

from salesworkbench.formatting import format_money, format_percent
from salesworkbench.plotting.style import (
    LINE_COLOUR,
    NEGATIVE_COLOUR,
    POSITIVE_COLOUR,
    format_ticks,
)

__all__ = [
    "plot_cumulative",
    "plot_value_distribution",
    "plot_waterfall",
    "update_value_distribution",
]

_QUANTILES = (("P10", 10, ":"), ("P50", 50, "-"), ("P90", 90, ":"))
#: Vertical offset (points below the top of the Axes) of each percentile's label.
_LEVEL = {"P10": -12, "P50": -24, "P90": -36}
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

    See Also
    --------
    update_value_distribution : put a new simulation into the same chart (fast, for widgets).
    """
    ax = _axes(ax)
    currency = sim.case.currency
    for part, colour in (("negative", NEGATIVE_COLOUR), ("positive", POSITIVE_COLOUR)):
        ax.stairs([0.0], [0.0, 1.0], fill=True, color=colour, alpha=0.8, gid=f"value:{part}")
    for q, _, style in _QUANTILES:
        ax.axvline(0, color=LINE_COLOUR, linestyle=style, linewidth=1.2, gid=f"value:{q}")
        ax.annotate(
            q,
            (0, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, _LEVEL[q]),  # one line each: the labels never run into each other
            textcoords="offset points",
            fontsize="small",
            gid=f"value:{q}:label",
        )
    ax.axvline(0, color=NEGATIVE_COLOUR, linewidth=0.8, gid="value:zero")
    label = _LABELS.get(output, output)
    ax.set_xlabel(f"{label} ({currency})" if output in _MONEY and currency else label)
    ax.set_ylabel("share of trials")
    format_ticks(ax.xaxis, _fmt(output, currency))
    return update_value_distribution(sim, ax, output=output, bins=bins)


def update_value_distribution(sim, ax, output: str = "value", bins: int = 60):
    """Put a new simulation into a histogram drawn by :func:`plot_value_distribution`.

    Moves the existing steps, percentile lines and labels instead of drawing from scratch (a
    widget stays fast). On an Axes without such a histogram it draws one.

    Parameters
    ----------
    sim : ValueSimulation
        The new simulation (same output as the chart).
    ax : matplotlib Axes
        The Axes of the chart.
    output : str, default "value"
    bins : int

    Returns
    -------
    matplotlib.axes.Axes
    """
    art = {a.get_gid(): a for a in (*ax.patches, *ax.lines, *ax.texts) if a.get_gid()}
    if "value:positive" not in art:
        return plot_value_distribution(sim, output=output, bins=bins, ax=ax)
    x = np.asarray(sim.samples[output], dtype=float)
    finite = x[np.isfinite(x)]
    fmt = _fmt(output, sim.case.currency)
    counts, edges = np.histogram(finite, bins=bins)
    share = counts / max(len(x), 1)
    m = int(np.count_nonzero(0.5 * (edges[:-1] + edges[1:]) < 0))  # bins centred below 0
    for part, keep, values, at in (
        ("negative", m > 0, share[:m], edges[: m + 1]),
        ("positive", m < share.size, share[m:], edges[m:]),
    ):
        art[f"value:{part}"].set_visible(keep)
        if keep:
            art[f"value:{part}"].set_data(values, at)
    quantiles = np.percentile(x, [pct for _, pct, _ in _QUANTILES])
    pad = 0.05 * (edges[-1] - edges[0] or 1.0)
    lo, hi = edges[0] - pad, edges[-1] + pad
    for (q, _, _), v in zip(_QUANTILES, quantiles, strict=True):
        shown = bool(np.isfinite(v))
        line, text = art[f"value:{q}"], art[f"value:{q}:label"]
        line.set_visible(shown)
        text.set_visible(shown)
        if shown:
            line.set_xdata([v, v])
            text.xy = (v, 1.0)
            text.set_text(f"{q} {fmt(v)}")
            # in the right half the label reads leftwards from its line, so it stays inside
            right_half = v > lo + 0.5 * (hi - lo)
            text.set_horizontalalignment("right" if right_half else "left")
            text.xyann = (-3 if right_half else 3, _LEVEL[q])
    art["value:zero"].set_visible(
        output in _MONEY and finite.size > 0 and finite.min() < 0 < finite.max()
    )
    ax.set_xlim(lo, hi)
    # headroom above the tallest bar: the percentile labels sit there, clear of the bars
    ax.set_ylim(0, 1.3 * max(float(share.max(initial=0.0)), 1e-12))
    label = _LABELS.get(output, output)
    p_pos = float(np.mean(x > 0))
    chance = format_percent(p_pos)
    chance = chance if chance[0] in "<>" else f"= {chance}"  # "P(value > 0) >99.9%"
    ax.set_title(f"{sim.case.name or 'Value case'}: P({label} > 0) {chance}")
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
    ax.plot(x[idx], (idx + 1) / n, color=POSITIVE_COLOUR, linewidth=1.8)
    currency = sim.case.currency
    fmt = _fmt(output, currency)
    label = _LABELS.get(output, output)
    if output in _MONEY and x[0] < 0 < x[-1]:
        p_neg = float(np.mean(x <= 0))
        ax.axvline(0, color=NEGATIVE_COLOUR, linewidth=0.8)
        ax.axhline(p_neg, color=NEGATIVE_COLOUR, linewidth=0.8, linestyle=":")
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
    format_ticks(ax.xaxis, fmt)
    return ax


def plot_waterfall(case, values=None, ax=None, *, simulation=None):
    """Benefits vs investment waterfall: each line's total over the horizon, adding up to value.

    Parameters
    ----------
    case : ValueCase
    values : mapping, optional
        Assumption values; default the base case (most likely values).
    ax : matplotlib Axes, optional
    simulation : ValueSimulation, optional
        A simulation of ``case``: the bars are then each line's expected (mean) total over the
        trials, adding up to the expected value (the headline of the report).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    expected = simulation is not None
    if expected:
        names = list(case.assumptions)
        draws = simulation.samples
        if not all(n in draws for n in names):
            draws = case.sample(simulation.trials, simulation.seed, simulation.chunk_size)
        row = case.evaluate(draws[names], lines=True).mean()
    else:
        if values is None:
            base = case.base_case()
            values = {n: base[n] for n in case.assumptions}
        row = case.evaluate(values, lines=True).iloc[0]
    steps = [(line.name, float(row[f"benefit:{line.name}"])) for line in case.benefits]
    steps += [(line.name, -float(row[f"investment:{line.name}"])) for line in case.investments]
    fmt = lambda v: format_money(v, case.currency)  # noqa: E731  (the headline's 3 figures)
    level = 0.0
    labels = []
    for i, (name, amount) in enumerate(steps):
        colour = POSITIVE_COLOUR if amount >= 0 else NEGATIVE_COLOUR
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
    ax.bar(k, total, color=LINE_COLOUR, width=0.6)
    ax.annotate(
        fmt(total),
        (k, total),
        xytext=(0, 3 if total >= 0 else -10),
        textcoords="offset points",
        ha="center",
        fontsize="small",
        fontweight="bold",
    )
    labels.append("Expected value" if expected else "Value")
    ax.axhline(0, color="#666666", linewidth=0.8)
    ax.margins(y=0.12)
    ax.set_xticks(range(len(labels)))
    crowded = len(labels) > 4
    ax.set_xticklabels(
        [_wrap(s, 12 if crowded else 14) for s in labels],
        fontsize="x-small" if crowded else "small",
    )
    h = case.horizon_years
    what = "Expected benefits" if expected else "Benefits"
    ax.set_title(f"{what} over {h} year{'s' if h != 1 else ''} vs investment")
    ax.set_ylabel(case.currency or "amount")
    format_ticks(ax.yaxis, fmt)
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
