"""Plots for the value case at the negotiating table.

Break-even and walk-away curves, stress tests, options side by side with the acceptability
curve, distribution fits (histogram and QQ plot) and pooled expert judgements. Every function
takes ``ax=None`` (the current Axes is used), imports matplotlib inside the function and
returns the Axes.
"""

from __future__ import annotations

import numpy as np

from salesworkbench.formatting import format_money, format_number, format_percent

__all__ = [
    "plot_acceptability",
    "plot_break_even",
    "plot_fits",
    "plot_options",
    "plot_pool",
    "plot_qq",
    "plot_stress",
    "plot_stress_table",
    "plot_walk_away",
]

_BLUE = "#4f81bd"
_RED = "#c0504d"
_GREY = "#7f7f7f"
_COLOURS = ("#4f81bd", "#c0504d", "#9bbb59", "#8064a2", "#f79646", "#4bacc6", "#7f7f7f")
_MONEY_OUTPUTS = {"value", "npv", "total_benefits", "total_investment"}


def _axes(ax):
    import matplotlib.pyplot as plt

    return plt.gca() if ax is None else ax


def _money_axis(axis, currency: str) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _p: format_money(v, currency, digits=2)))


def _money_axis_if(axis, output: str, currency: str) -> None:
    """Money ticks on ``axis`` when ``output`` is an amount of money."""
    if output in _MONEY_OUTPUTS:
        _money_axis(axis, currency)


def _colour(i: int) -> str:
    return _COLOURS[i % len(_COLOURS)]


def _x_axis_for(ax, case, name: str) -> None:
    from matplotlib.ticker import FuncFormatter

    from salesworkbench.value.negotiation import format_assumption_value

    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _p: format_assumption_value(case, name, v))
    )


def _mark_and_label(ax, result, marker: str, ylabel: str) -> None:
    """The found value as a dashed line, the axes' labels and the assumption's ticks.

    Shared by the curves of the output against one assumption (break-even, walk-away).
    """
    if result.found:
        ax.axvline(result.value, color=_RED, ls="--", lw=1.5, label=marker)
    ax.set_xlabel(result.assumption.replace("_", " "))
    ax.set_ylabel(ylabel)
    _x_axis_for(ax, result.case, result.assumption)


def plot_break_even(result, ax=None):
    """Mean output against the assumption, the zero line and the break-even.

    Parameters
    ----------
    result : BreakEven
        From :func:`salesworkbench.value.break_even`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    c = result.curve
    ax.plot(c["x"], c["mean"], color=_BLUE, lw=2, label=f"mean {result.output}")
    ax.axhline(0, color=_GREY, lw=1)
    _mark_and_label(ax, result, result.sentence, f"mean {result.output}")
    _money_axis_if(ax.yaxis, result.output, result.case.currency)
    ax.set_title("Break-even" if result.found else result.message, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_walk_away(result, ax=None):
    """P(output > 0) against the assumption, the target and the walk-away value.

    Parameters
    ----------
    result : WalkAway
        From :func:`salesworkbench.value.walk_away`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    c = result.curve
    ax.plot(c["x"], c["prob_positive"], color=_BLUE, lw=2, label=f"P({result.output} > 0)")
    ax.axhline(result.target, color=_GREY, ls=":", lw=1, label=f"target {result.target:.0%}")
    _mark_and_label(ax, result, "walk-away", f"P({result.output} > 0)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(result.sentence if result.found else result.message, fontsize=9, wrap=True)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_stress(result, ax=None):
    """Cumulative distribution of the output in all trials and in the stressed ones.

    Parameters
    ----------
    result : Stress
        From :func:`salesworkbench.value.stress`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    band = f"{result.assumption} in its {result.lower:.0%}-{result.upper:.0%} band"
    for y, label, colour in (
        (result.everything, "all trials", _BLUE),
        (result.stressed, band, _RED),
    ):
        x = np.sort(y)
        ax.plot(x, np.arange(1, len(x) + 1) / len(x), color=colour, lw=2, label=label)
    ax.axvline(0, color=_GREY, lw=1)
    ax.set_ylabel("cumulative probability")
    ax.set_xlabel(result.output)
    _money_axis_if(ax.xaxis, result.output, result.case.currency)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_stress_table(table, ax=None):
    """Change in P(output > 0) when each assumption sits in its bottom or top tail.

    Parameters
    ----------
    table : StressTable
        From :func:`salesworkbench.value.stress_table`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    s = table.summary
    names = list(dict.fromkeys(s["assumption"]))
    low = s[s["band"].str.startswith("bottom")].set_index("assumption")["delta_prob"]
    high = s[s["band"].str.startswith("top")].set_index("assumption")["delta_prob"]
    worst = {n: min(low.get(n, 0.0), high.get(n, 0.0)) for n in names}
    order = sorted(names, key=lambda n: worst[n], reverse=True)  # worst at the top
    y = np.arange(len(order))
    pct = format_percent(table.tail)
    ax.barh(y, [low.get(n, 0.0) for n in order], height=0.4, align="edge", color=_RED,
            label=f"bottom {pct}")  # fmt: skip
    ax.barh(y - 0.4, [high.get(n, 0.0) for n in order], height=0.4, align="edge", color=_BLUE,
            label=f"top {pct}")  # fmt: skip
    ax.set_yticks(y)
    ax.set_yticklabels([n.replace("_", " ") for n in order])
    ax.axvline(0, color=_GREY, lw=1)
    base = table.baseline["prob_positive"]
    ax.set_xlabel(f"change in P({table.output} > 0) from {format_percent(base, 1)}")
    ax.legend(fontsize=8, loc="best")
    ax.set_title("Stress test: each assumption in its tails", fontsize=10)
    return ax


def plot_options(comparison, ax=None, bins: int = 80):
    """The options' distributions of the output, overlaid, with P(best) in the legend.

    Parameters
    ----------
    comparison : Comparison
        From :func:`salesworkbench.value.compare`.
    ax : matplotlib Axes, optional
    bins : int

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    summ = comparison.summary
    y = comparison.samples
    lo, hi = np.percentile(y.to_numpy(), [0.5, 99.5])
    edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
    currency = next(iter(comparison.options.values())).currency
    for i, name in enumerate(y.columns):
        x = y[name].to_numpy()
        colour = _colour(i)
        label = f"{name}: P(best) {format_percent(summ.loc[name, 'p_best'])}"
        if np.ptp(x) == 0:
            ax.axvline(x[0], color=colour, lw=2, label=label)
        else:
            ax.hist(x, bins=edges, density=True, histtype="step", lw=2, color=colour, label=label)
    ax.axvline(0, color=_GREY, lw=1)
    ax.set_xlabel(comparison.output)
    ax.set_ylabel("density")
    ax.set_yticks([])
    _money_axis_if(ax.xaxis, comparison.output, currency)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_acceptability(curve, ax=None):
    """P(each option is best) against one assumption of one option (our price).

    Parameters
    ----------
    curve : AcceptabilityCurve
        From :func:`salesworkbench.value.acceptability_curve`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    t = curve.summary
    for i, name in enumerate(t.columns):
        lw = 2.5 if name == curve.option else 1.5
        ax.plot(t.index, t[name], color=_colour(i), lw=lw, label=name)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"{curve.assumption.replace('_', ' ')} of {curve.option}")
    ax.set_ylabel("P(best)")
    if curve.currency:
        _money_axis(ax.xaxis, curve.currency)
    ax.legend(fontsize=8, loc="best")
    ax.set_title("Acceptability curve", fontsize=10)
    return ax


def plot_fits(fit, ax=None, top: int | None = 4, bins: int = 50):
    """Histogram of the data with the densities of the best fits.

    Parameters
    ----------
    fit : DistributionFit
        From :func:`salesworkbench.value.fit_distribution`.
    ax : matplotlib Axes, optional
    top : int or None, default 4
        How many fits to draw (None: all).
    bins : int

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    x = fit.data
    ax.hist(x, bins=bins, density=True, color="#dddddd", edgecolor="#bbbbbb", label="data")
    grid = np.linspace(x.min() - 0.05 * np.ptp(x), x.max() + 0.05 * np.ptp(x), 400)
    names = list(fit.summary.index)[: top if top else None]
    for i, name in enumerate(names):
        with np.errstate(all="ignore"):
            dens = fit.distribution(name).pdf(grid)
        aic = fit.summary.loc[name, "delta_aic"]
        ax.plot(grid, dens, color=_colour(i), lw=2 if i == 0 else 1.2,
                label=f"{name} (dAIC {format_number(aic)})")  # fmt: skip
    ax.set_xlabel(fit.name.replace("_", " "))
    ax.set_ylabel("density")
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_qq(fit, dist: str | None = None, ax=None):
    """Data quantiles against a fit's quantiles, with the identity line.

    Parameters
    ----------
    fit : DistributionFit
    dist : str, optional
        The fit to check (default: the best).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    dist = fit.best if dist is None else dist
    x = fit.data
    n = len(x)
    q = (np.arange(1, n + 1) - 0.5) / n
    theo = fit.distribution(dist).ppf(q)
    ax.plot(theo, x, ".", ms=3, color=_BLUE, alpha=0.6)
    lo, hi = min(theo.min(), x.min()), max(theo.max(), x.max())
    ax.plot([lo, hi], [lo, hi], color=_RED, lw=1)
    ax.set_xlabel(f"{dist} quantiles")
    ax.set_ylabel("data quantiles")
    ax.set_title(f"QQ plot: {dist}", fontsize=10)
    return ax


def plot_pool(pool, ax=None, kind: str = "cdf"):
    """Each expert's distribution (thin) and the linear opinion pool (thick).

    Parameters
    ----------
    pool : ExpertPool
        From :func:`salesworkbench.value.pool_experts`.
    ax : matplotlib Axes, optional
    kind : {"cdf", "pdf"}

    Returns
    -------
    matplotlib Axes
    """
    if kind not in ("cdf", "pdf"):
        raise ValueError(f"kind must be 'cdf' or 'pdf', got {kind!r}")
    ax = _axes(ax)
    d = pool.distribution
    lo, hi = d.ppf(np.array([0.005, 0.995]))
    grid = np.linspace(lo, hi, 400)
    for i, (name, comp, w) in enumerate(
        zip(pool.experts, pool.components, pool.weights, strict=True)
    ):
        y = comp.cdf(grid) if kind == "cdf" else comp.pdf(grid)
        ax.plot(grid, y, color=_colour(i + 1), lw=1.2,
                label=f"{name} (weight {w:.2f})")  # fmt: skip
    y = d.cdf(grid) if kind == "cdf" else d.pdf(grid)
    ax.plot(grid, y, color="#000000", lw=2.5, label="pooled")
    ax.set_xlabel(pool.name.replace("_", " "))
    ax.set_ylabel("cumulative probability" if kind == "cdf" else "density")
    ax.legend(fontsize=8, loc="best")
    return ax
