"""Plots of account and opportunity plans (:mod:`salesworkbench.plans`).

Every function takes ``ax=None`` (the current Axes is used), imports matplotlib inside the
function and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["STATUS_COLOURS", "plot_scorecard", "plot_white_space"]

#: Colours of scorecard statuses (colour-blind safe: blue met, orange gap, grey unknown).
STATUS_COLOURS = {"met": "#1f77b4", "gap": "#ff7f0e", "unknown": "#bbbbbb"}
_SPEND_COLOUR = "#1f77b4"
_SPACE_COLOUR = "#ff7f0e"


def _axes(ax):
    import matplotlib.pyplot as plt

    return plt.gca() if ax is None else ax


def plot_white_space(white_space, ax=None, *, currency: str = ""):
    """Horizontal bars per offering: current spend plus white space = the wallet.

    Parameters
    ----------
    white_space : WhiteSpace or DataFrame
        From :func:`salesworkbench.plans.white_space` (or its ``table``).
    ax : Axes, optional
    currency : str
        Shown in the axis label.

    Returns
    -------
    Axes
        Offerings from the largest white space (top) down; each bar is labelled with the share
        of wallet.
    """
    from matplotlib.ticker import FuncFormatter

    ax = _axes(ax)
    table = white_space.table if hasattr(white_space, "table") else pd.DataFrame(white_space)
    t = table.iloc[::-1]
    y = np.arange(len(t))
    spend = t["current_spend"].to_numpy(float)
    space = t["white_space"].to_numpy(float)
    ax.barh(y, spend, color=_SPEND_COLOUR, label="current spend")
    ax.barh(y, space, left=spend, color=_SPACE_COLOUR, label="white space")
    ax.set_yticks(y, t["offering"].astype(str).tolist())
    top = float(np.nanmax(spend + space)) if len(t) else 1.0
    for yi, s, w, sow in zip(y, spend, space, t["share_of_wallet"].to_numpy(float), strict=True):
        label = "n/a" if np.isnan(sow) else f"{sow:.0%} of wallet"
        ax.text(s + w + 0.01 * top, yi, label, va="center", fontsize=8)
    ax.set_xlim(0, top * 1.25 if top > 0 else 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
    ax.set_xlabel(f"annual amount{f' ({currency})' if currency else ''}")
    ax.set_title("White space and share of wallet by offering")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return ax


def plot_scorecard(scorecard: pd.DataFrame, ax=None):
    """The qualification scorecard as a row of coloured cells (met / gap / unknown).

    Parameters
    ----------
    scorecard : DataFrame
        From :func:`salesworkbench.plans.qualification_scorecard`.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    from matplotlib.patches import Patch, Rectangle

    ax = _axes(ax)
    n = len(scorecard)
    for i, (title, status) in enumerate(
        zip(scorecard["criterion"], scorecard["status"], strict=True)
    ):
        ax.add_patch(
            Rectangle((i + 0.05, 0.05), 0.9, 0.9, color=STATUS_COLOURS.get(status, "#bbbbbb"))
        )
        ink = "white" if status == "met" else "black"
        ax.text(i + 0.5, 0.6, str(title), ha="center", va="center", fontsize=9, color=ink)
        ax.text(
            i + 0.5,
            0.3,
            str(status),
            ha="center",
            va="center",
            fontsize=9,
            weight="bold",
            color=ink,
        )
    ax.set_xlim(0, max(n, 1))
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    score = scorecard.attrs.get("score", int((scorecard["status"] == "met").sum()))
    ax.set_title(f"Qualification scorecard: {score} of {n} met")
    ax.legend(
        handles=[Patch(color=c, label=k) for k, c in STATUS_COLOURS.items()],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    return ax
