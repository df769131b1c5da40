"""Figures for sales team performance: rep forest plot, stars vs rest, funnel, prize fan chart.

Every function takes ``ax=None`` (a new figure is made when None) and returns the Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesworkbench.plotting.style import money_axis

if TYPE_CHECKING:
    from salesworkbench.team import PrizeResult, StarsComparison

__all__ = ["effect_sizes", "funnel_compare", "prize_fan", "rep_forest"]

_RAW = {
    "win_rate": "win_rate_raw",
    "mix_adj_win_rate": "mix_adj_win_rate_raw",
    "deal_size": "deal_size_raw",
    "cycle_days": "cycle_days_raw",
    "value_case_share": "value_case_share_raw",
    "power_sponsor_share": "power_sponsor_share_raw",
}
_LABEL = {
    "win_rate": "win rate",
    "mix_adj_win_rate": "mix-adjusted win rate",
    "deal_size": "typical won deal (geometric mean)",
    "cycle_days": "survival median days to win",
    "deal_size_index": "won deal vs product norm (x)",
    "cycle_index": "cycle vs product norm (x)",
    "value_per_deal": "value per closed deal (GBP)",
    "value_case_share": "share of deals with a value case",
    "power_sponsor_share": "share of deals with a power sponsor",
}


def _ax(ax, size=(7, 4.5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def rep_forest(
    table: pd.DataFrame,
    column: str = "win_rate",
    *,
    stars=None,
    reference: float | None = None,
    higher_is_better: bool = True,
    ax=None,
):
    """Forest plot: each rep's shrunk value with its credible interval, the raw value beside.

    Parameters
    ----------
    table : DataFrame
        The rep (or team) table of :func:`salesworkbench.team.analyse_team` /
        :func:`~salesworkbench.team.group_table`, with ``column``, ``column_lo``, ``column_hi``
        and, where it exists, the raw value.
    column : str
        The measure's column (``win_rate``, ``mix_adj_win_rate``, ``deal_size``, ...).
    stars : sequence of str, optional
        Rows to highlight.
    reference : float, optional
        A vertical reference line (e.g. the team rate).
    higher_is_better : bool
        Sort order (best at the top).
    """
    ax = _ax(ax, (7, 0.35 * len(table) + 1.5))
    t = table.sort_values(column, ascending=higher_is_better, kind="stable")
    y = np.arange(len(t))
    stars = set(stars or [])
    colour = ["tab:orange" if r in stars else "tab:blue" for r in t.index]
    lo, hi = t[f"{column}_lo"].to_numpy(float), t[f"{column}_hi"].to_numpy(float)
    mid = t[column].to_numpy(float)
    ax.hlines(y, lo, hi, colors=colour, lw=2)
    ax.scatter(mid, y, c=colour, zorder=3, label="shrunk (with interval)")
    raw = _RAW.get(column)
    if raw and raw in t.columns:
        ax.scatter(
            t[raw].to_numpy(float),
            y,
            marker="x",
            c="0.35",
            zorder=4,
            label="raw",
        )
    if reference is not None:
        ax.axvline(reference, color="0.5", ls="--", lw=1, label="team")
    labels = [
        f"{r}  (n={int(n)})" if "closed" in t.columns else str(r)
        for r, n in zip(t.index, t.get("closed", pd.Series(0, index=t.index)), strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.set_xlabel(_LABEL.get(column, column))
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax


def effect_sizes(comparison: StarsComparison, ax=None):
    """Standardised effect of being a star on each measure (Cohen's h / Hedges' g), with intervals.

    Positive means the stars have more of it (for cycle time: longer; a negative cycle effect is
    a faster cycle). Around 0.2 is small, 0.5 medium, 0.8 large.
    """
    ax = _ax(ax, (7, 0.4 * len(comparison.effects) + 1.5))
    e = comparison.effects.iloc[::-1]
    y = np.arange(len(e))
    sig = (e["effect_lo"] > 0) | (e["effect_hi"] < 0)
    colour = np.where(sig, "tab:orange", "0.6")
    ax.hlines(y, e["effect_lo"], e["effect_hi"], colors=colour, lw=2)
    ax.scatter(e["effect"], y, c=colour, zorder=3)
    ax.axvline(0, color="0.3", lw=1)
    for v in (0.2, 0.5, 0.8):
        ax.axvline(v, color="0.85", lw=0.8, zorder=0)
        ax.axvline(-v, color="0.85", lw=0.8, zorder=0)
    ax.set_yticks(y, list(e.index))
    ax.set_xlabel(
        f"effect size, stars - rest (Cohen's h for shares, Hedges' g for log size/cycle); "
        f"{comparison.level:.0%} intervals"
    )
    ax.set_title(f"Stars ({', '.join(comparison.stars)}) vs the rest", fontsize=10)
    return ax


def funnel_compare(comparison: StarsComparison, ax=None):
    """The funnel of stars and the rest side by side: share of closed deals reaching each step."""
    ax = _ax(ax)
    if comparison.funnel is None:
        ax.text(0.5, 0.5, "no stage history: no funnel", ha="center", transform=ax.transAxes)
        return ax
    f = comparison.funnel["share"].iloc[1:]
    x = np.arange(len(f))
    w = 0.38
    ax.bar(x - w / 2, f["stars"], w, label="stars", color="tab:orange")
    ax.bar(x + w / 2, f["rest"], w, label="rest", color="tab:blue")
    for i, (a, b) in enumerate(zip(f["stars"], f["rest"], strict=True)):
        ax.text(i - w / 2, a + 0.01, f"{a:.0%}", ha="center", fontsize=8)
        ax.text(i + w / 2, b + 0.01, f"{b:.0%}", ha="center", fontsize=8)
    ax.set_xticks(x, list(f.index))
    ax.set_ylabel("share of closed deals reaching the step")
    ax.set_ylim(0, 1.1)
    ax.legend(frameon=False)
    return ax


def prize_fan(result: PrizeResult, scenario: str = "all levers", *, cumulative=True, ax=None):
    """Fan chart of the extra bookings of a what-if scenario by period (P10-P90, P25-P75, P50).

    The median of each single lever is drawn as a dashed line for comparison.
    """
    ax = _ax(ax)
    labels = [str(p) for p in result.baseline.periods]
    x = np.arange(len(labels))

    def path(arr):
        return np.cumsum(arr, axis=1) if cumulative else arr

    if scenario not in result.extra:
        raise KeyError(f"no scenario {scenario!r}; have {', '.join(result.extra)}")
    ex = path(result.extra[scenario])
    p = np.percentile(ex, [10, 25, 50, 75, 90], axis=0)
    ax.fill_between(x, p[0], p[4], color="tab:orange", alpha=0.2, label="P10-P90")
    ax.fill_between(x, p[1], p[3], color="tab:orange", alpha=0.35, label="P25-P75")
    ax.plot(x, p[2], color="tab:orange", marker="o", lw=2, label=f"{scenario}: P50")
    others = ["tab:blue", "tab:green", "tab:purple", "tab:brown", "tab:gray"]
    for colour, (name, arr) in zip(
        others, [(n, a) for n, a in result.extra.items() if n != scenario], strict=False
    ):
        ax.plot(
            x,
            np.percentile(path(arr), 50, axis=0),
            ls="--",
            marker=".",
            color=colour,
            label=f"{name}: P50",
        )
    ax.axhline(0, color="0.4", lw=0.8)
    ax.set_xticks(x, labels)
    ax.set_ylabel(("cumulative " if cumulative else "") + "extra bookings (GBP)")
    ax.set_title(
        f"The prize: reps below the stars reach the stars' level ({result.gap:.0%} of the gap)",
        fontsize=10,
    )
    money_axis(ax.yaxis)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return ax
