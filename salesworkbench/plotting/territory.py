"""Plots of territory segmentation (:mod:`salesworkbench.territory`).

Every function takes the segmented accounts and ``ax=None`` (the current Axes is used),
imports matplotlib inside the function and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SEGMENT_COLOURS", "plot_segment_bars", "plot_segment_matrix"]

#: Colour of each segment (colour-blind safe: blue, orange, grey).
SEGMENT_COLOURS = {"Alpha": "#1f77b4", "Beta": "#ff7f0e", "Delta": "#7f7f7f"}
_INSUFFICIENT_COLOUR = "#d62728"


def _axes(ax):
    import matplotlib.pyplot as plt

    return plt.gca() if ax is None else ax


def _thresholds(accounts: pd.DataFrame, potential_high, potential_low, relationship_high):
    th = dict(accounts.attrs.get("territory", {}))
    out = {
        "potential_high": potential_high
        if potential_high is not None
        else th.get("potential_high"),
        "potential_low": potential_low if potential_low is not None else th.get("potential_low"),
        "relationship_high": relationship_high
        if relationship_high is not None
        else th.get("relationship_high"),
    }
    missing = [k for k, v in out.items() if v is None]
    if missing:
        raise ValueError(
            f"give {', '.join(missing)} (the accounts do not record the thresholds they were "
            "segmented with)"
        )
    return out


def plot_segment_matrix(
    accounts: pd.DataFrame,
    ax=None,
    *,
    potential_high: float | None = None,
    potential_low: float | None = None,
    relationship_high: float | None = None,
    label_top: int = 0,
    size: str | None = None,
):
    """Potential x relationship matrix: one dot per account, coloured by segment.

    Accounts with insufficient data to assess potential have no potential score; they are
    drawn apart, in a strip below the matrix (x = relationship), with their count.

    Parameters
    ----------
    accounts : DataFrame
        Segmented accounts (:func:`salesworkbench.territory.segment`).
    ax : matplotlib Axes, optional
    potential_high, potential_low, relationship_high : float, optional
        Threshold lines; by default those the accounts were segmented with.
    label_top : int
        Label the first ``label_top`` accounts by priority with their name (or id).
    size : str, optional
        Column scaling the dots (e.g. ``"wallet"``); square-root scaled.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    th = _thresholds(accounts, potential_high, potential_low, relationship_high)
    p = accounts["potential"].to_numpy(dtype="float64", na_value=np.nan)
    r = accounts["relationship"].to_numpy(dtype="float64", na_value=np.nan)
    insufficient = (
        accounts["insufficient_data"].to_numpy(dtype=bool)
        if "insufficient_data" in accounts
        else np.isnan(p)
    ) | np.isnan(p)
    seg = accounts["segment"].astype(str).to_numpy()
    if size is not None:
        v = pd.to_numeric(accounts[size], errors="coerce").to_numpy(dtype="float64")
        top = np.nanmax(v) if np.isfinite(v).any() else 1.0
        s = 8 + 120 * np.sqrt(np.nan_to_num(v, nan=0.0).clip(0) / (top or 1.0))
    else:
        s = np.full(len(p), 18.0)
    r_plot = np.nan_to_num(r, nan=0.0)
    for name, colour in SEGMENT_COLOURS.items():
        m = (seg == name) & ~insufficient
        ax.scatter(
            r_plot[m],
            p[m],
            s=s[m],
            c=colour,
            alpha=0.7,
            edgecolors="none",
            label=f"{name} ({int(m.sum())})",
        )
    strip = -9.0
    n_ins = int(insufficient.sum())
    if n_ins:
        ax.scatter(
            r_plot[insufficient],
            np.full(n_ins, strip),
            s=s[insufficient],
            marker="x",
            c=_INSUFFICIENT_COLOUR,
            alpha=0.8,
            linewidths=1,
            label=f"insufficient data ({n_ins}, Delta)",
        )
        ax.axhspan(-14, -4, color="#f2f2f2", zorder=0)
        ax.text(
            1,
            strip + 3.2,
            "potential cannot be assessed",
            fontsize=8,
            color=_INSUFFICIENT_COLOUR,
            va="bottom",
        )
    ph, pl, rh = th["potential_high"], th["potential_low"], th["relationship_high"]
    line = {"color": "black", "lw": 0.9, "ls": "--"}
    ax.axhline(ph, **line)
    ax.axhline(pl, **line)
    ax.plot([rh, rh], [pl, ph], **line)
    box = {"fontsize": 10, "fontweight": "bold", "alpha": 0.55}
    ax.text(50, (ph + 100) / 2, "Alpha", ha="center", va="center", **box)
    ax.text((rh + 100) / 2, (pl + ph) / 2, "Beta", ha="center", va="center", **box)
    ax.text(rh / 2, (pl + ph) / 2, "Delta", ha="center", va="center", **box)
    ax.text(50, pl / 2, "Delta", ha="center", va="center", **box)
    if label_top:
        order = np.argsort(accounts["priority"].to_numpy())[:label_top]
        names = (accounts["name"] if "name" in accounts else accounts["account_id"]).astype(str)
        for i in order:
            if not insufficient[i]:
                ax.annotate(
                    names.iloc[i],
                    (r_plot[i], p[i]),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
    ax.set_xlim(-2, 102)
    ax.set_ylim(-14 if n_ins else -2, 102)
    ax.set_xlabel("current relationship (0-100)")
    ax.set_ylabel("business potential (0-100)")
    ax.set_title("Territory segmentation: potential x relationship")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return ax


def plot_segment_bars(
    accounts: pd.DataFrame,
    ax=None,
    *,
    value: str = "accounts",
    stacked_by: str | None = None,
):
    """Bar chart per segment: account counts, or the sum of a column (e.g. ``white_space``).

    Parameters
    ----------
    accounts : DataFrame
        Segmented accounts.
    ax : matplotlib Axes, optional
    value : str
        ``"accounts"`` (counts) or a numeric column to sum.
    stacked_by : str, optional
        Column splitting each bar (e.g. ``"insufficient_data"`` or ``"region"``).

    Returns
    -------
    matplotlib Axes
    """
    from .. import territory

    ax = _axes(ax)
    if value != "accounts" and value not in accounts:
        spend = accounts["current_spend"].fillna(0) if "current_spend" in accounts else 0
        if value == "white_space" and "wallet" in accounts:
            accounts = accounts.assign(white_space=(accounts["wallet"] - spend).clip(lower=0))
        else:
            raise KeyError(f"plot_segment_bars: no column {value!r}")
    segs = list(territory.SEGMENTS)
    col = "_one" if value == "accounts" else value
    data = accounts.assign(_one=1)
    if stacked_by is None:
        totals = data.groupby("segment", observed=False)[col].sum().reindex(segs).fillna(0)
        bars = ax.bar(segs, totals.to_numpy(), color=[SEGMENT_COLOURS[s] for s in segs])
        ax.bar_label(bars, labels=[_short(v) for v in totals.to_numpy()], fontsize=8)
    else:
        table = (
            data.groupby(["segment", stacked_by], observed=False)[col]
            .sum()
            .unstack(stacked_by)
            .reindex(segs)
            .fillna(0)
        )
        bottom = np.zeros(len(segs))
        for k in table.columns:
            ax.bar(segs, table[k].to_numpy(), bottom=bottom, label=f"{stacked_by}={k}")
            bottom += table[k].to_numpy()
        ax.legend(fontsize=8, frameon=False)
    if value != "accounts":
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _short(v)))
    ax.set_ylabel("accounts" if value == "accounts" else value.replace("_", " "))
    ax.set_title(
        "Accounts per segment" if value == "accounts" else f"{value.replace('_', ' ')} per segment"
    )
    return ax


def _short(x: float) -> str:
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.0f}"
