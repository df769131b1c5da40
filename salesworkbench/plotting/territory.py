"""Plots of territory segmentation (:mod:`salesworkbench.territory`).

Every function takes the segmented accounts and ``ax=None`` (the current Axes is used),
imports matplotlib inside the function and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.formatting import format_number
from salesworkbench.plotting.style import format_ticks

__all__ = [
    "SEGMENT_COLOURS",
    "plot_segment_bars",
    "plot_quotas",
    "plot_segment_matrix",
    "plot_tradeoff",
    "update_segment_bars",
    "update_segment_matrix",
]

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


def _matrix_frame(ax) -> None:
    """Draw the matrix without data: its empty artists, found by gid, and its axes.

    The dots, the crosses and strip of accounts that cannot be assessed, the threshold lines
    and the region names; :func:`update_segment_matrix` puts the data in.
    """
    ax.scatter([], [], edgecolors="none", gid="territory:accounts")
    ax.scatter(
        [],
        [],
        marker="x",
        c=_INSUFFICIENT_COLOUR,
        alpha=0.8,
        linewidths=1,
        gid="territory:insufficient",
    )
    ax.axhspan(-14, -4, color="#f2f2f2", zorder=0, gid="territory:strip")
    ax.text(
        1,
        -5.8,
        "potential cannot be assessed",
        fontsize=8,
        color=_INSUFFICIENT_COLOUR,
        va="bottom",
        gid="territory:strip_text",
    )
    line = {"color": "black", "lw": 0.9, "ls": "--"}
    for name in ("potential_high", "potential_low", "relationship_high"):
        ax.plot([], [], gid=f"territory:{name}", **line)
    box = {"fontsize": 10, "fontweight": "bold", "alpha": 0.55, "ha": "center", "va": "center"}
    for i, name in enumerate(("Alpha", "Beta", "Delta", "Delta")):
        ax.text(50, 50, name, gid=f"territory:region{i}", **box)
    ax.set_xlim(-2, 102)
    ax.set_xlabel("current relationship (0-100)")
    ax.set_ylabel("business potential (0-100)")
    ax.set_title("Territory segmentation: potential x relationship")


def _artists(ax) -> dict:
    """The Axes' artists that have a gid, by gid."""
    return {
        a.get_gid(): a for a in (*ax.collections, *ax.lines, *ax.texts, *ax.patches) if a.get_gid()
    }


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
    drawn apart, as crosses in a strip below the matrix (x = relationship), with their count
    in the legend. Accounts without relationship data are drawn at relationship 0.

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

    See Also
    --------
    update_segment_matrix : redraw the same Axes with new data (fast, for widgets).
    """
    ax = _axes(ax)
    _matrix_frame(ax)
    return update_segment_matrix(
        accounts,
        ax,
        potential_high=potential_high,
        potential_low=potential_low,
        relationship_high=relationship_high,
        label_top=label_top,
        size=size,
    )


def update_segment_matrix(
    accounts: pd.DataFrame,
    ax,
    *,
    potential_high: float | None = None,
    potential_low: float | None = None,
    relationship_high: float | None = None,
    label_top: int = 0,
    size: str | None = None,
):
    """Put new accounts or thresholds into a matrix drawn by :func:`plot_segment_matrix`.

    Updates the existing artists instead of drawing from scratch (an interactive app stays
    fast on thousands of accounts). On an Axes without a matrix it draws one.
    """
    from matplotlib.colors import to_rgba_array
    from matplotlib.lines import Line2D

    art = _artists(ax)
    if "territory:accounts" not in art:
        _matrix_frame(ax)
        art = _artists(ax)
    th = _thresholds(accounts, potential_high, potential_low, relationship_high)
    p = accounts["potential"].to_numpy(dtype="float64", na_value=np.nan)
    r = np.nan_to_num(accounts["relationship"].to_numpy(dtype="float64", na_value=np.nan))
    insufficient = np.isnan(p)
    if "insufficient_data" in accounts:
        insufficient |= accounts["insufficient_data"].to_numpy(dtype=bool)
    code = pd.Categorical(accounts["segment"], categories=list(SEGMENT_COLOURS)).codes
    if size is not None:
        v = pd.to_numeric(accounts[size], errors="coerce").to_numpy(dtype="float64")
        top = np.nanmax(v) if np.isfinite(v).any() else 1.0
        s = 8 + 120 * np.sqrt(np.nan_to_num(v, nan=0.0).clip(0) / (top or 1.0))
    else:
        s = np.full(len(p), 18.0)
    colours = to_rgba_array(list(SEGMENT_COLOURS.values()), alpha=0.7)
    ok = ~insufficient
    dots = art["territory:accounts"]
    dots.set_offsets(np.column_stack([r[ok], p[ok]]))
    dots.set_facecolor(colours[code[ok]])
    dots.set_sizes(s[ok])
    n_ins = int(insufficient.sum())
    crosses = art["territory:insufficient"]
    crosses.set_offsets(np.column_stack([r[insufficient], np.full(n_ins, -9.0)]))
    crosses.set_sizes(s[insufficient])
    art["territory:strip"].set_visible(n_ins > 0)
    art["territory:strip_text"].set_visible(n_ins > 0)
    ph, pl, rh = th["potential_high"], th["potential_low"], th["relationship_high"]
    art["territory:potential_high"].set_data([-2, 102], [ph, ph])
    art["territory:potential_low"].set_data([-2, 102], [pl, pl])
    art["territory:relationship_high"].set_data([rh, rh], [pl, ph])
    for i, xy in enumerate(
        (
            (50, (ph + 100) / 2),
            ((rh + 100) / 2, (pl + ph) / 2),
            (rh / 2, (pl + ph) / 2),
            (50, pl / 2),
        )
    ):
        art[f"territory:region{i}"].set_position(xy)
    for t in [t for t in ax.texts if t.get_gid() == "territory:label"]:
        t.remove()
    if label_top:
        order = np.argsort(accounts["priority"].to_numpy(), kind="stable")[:label_top]
        names = (accounts["name"] if "name" in accounts else accounts["account_id"]).astype(str)
        for i in order:
            if ok[i]:
                ax.annotate(
                    names.iloc[i],
                    (r[i], p[i]),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                    gid="territory:label",
                )
    counts = np.bincount(code[ok], minlength=3)
    handles = [
        Line2D([], [], ls="", marker="o", color=c, alpha=0.7, label=f"{n} ({k})")
        for (n, c), k in zip(SEGMENT_COLOURS.items(), counts, strict=True)
    ]
    if n_ins:
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="x",
                color=_INSUFFICIENT_COLOUR,
                label=f"insufficient data ({n_ins}, Delta)",
            )
        )
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
    )
    ax.set_ylim(-14 if n_ins else -2, 102)
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
    from salesworkbench import territory

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
        for b, s in zip(bars, segs, strict=True):
            b.set_gid(f"territory:bar:{s}")
        for t in ax.bar_label(bars, labels=[_short(v) for v in totals.to_numpy()], fontsize=8):
            t.set_gid("territory:bar_label")
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
        format_ticks(ax.yaxis, _short)
    ax.set_ylabel("accounts" if value == "accounts" else value.replace("_", " "))
    ax.set_title(
        "Accounts per segment" if value == "accounts" else f"{value.replace('_', ' ')} per segment"
    )
    return ax


def update_segment_bars(accounts: pd.DataFrame, ax):
    """Put new counts into an account-count chart drawn by :func:`plot_segment_bars`.

    Changes the bar heights and labels in place (fast, for widgets); on an Axes without
    such a chart it draws one.
    """
    bars = {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("territory:")}
    segs = list(SEGMENT_COLOURS)
    if any(f"territory:bar:{s}" not in bars for s in segs):
        ax.clear()
        return plot_segment_bars(accounts, ax)
    counts = pd.Categorical(accounts["segment"], categories=segs).value_counts().to_numpy()
    labels = [t for t in ax.texts if t.get_gid() == "territory:bar_label"]
    for t in labels:
        t.remove()
    for s, k in zip(segs, counts, strict=True):
        b = bars[f"territory:bar:{s}"]
        b.set_height(k)
        ax.annotate(
            _short(k),
            (b.get_x() + b.get_width() / 2, k),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            gid="territory:bar_label",
        )
    ax.set_ylim(0, max(1, counts.max()) * 1.08)
    return ax


def _short(x: float) -> str:
    """A count or sum in full below 10,000 ("1,234"), else short ("80K", "2.5M")."""
    return f"{x:,.0f}" if abs(x) < 10_000 else format_number(x)


def plot_tradeoff(result, ax=None):
    """The balance-continuity frontier of :func:`salesworkbench.territory.tradeoff`.

    x: accounts moved from their current owner; y: the largest relative deviation of a rep from
    a fair share (potential and hours, in %). Greedy is drawn as a separate point.
    """
    ax = _axes(ax)
    s = result.summary
    opt = s[(s.index != "greedy") & (s["status"] != "infeasible")].sort_values("moves")
    for col, mark, label in (
        ("potential_spread", "o-", "potential"),
        ("hours_spread", "s--", "hours"),
    ):
        ax.plot(opt["moves"], 100 * opt[col], mark, label=f"optimal: {label}")
    if "greedy" in s.index:
        g = s.loc["greedy"]
        for col, mark, label, face in (
            ("potential_spread", "o", "potential", {}),
            ("hours_spread", "s", "hours", {"mfc": "none"}),
        ):
            ax.plot(
                [g["moves"]],
                [100 * g[col]],
                mark,
                color="#d62728",
                label=f"greedy: {label}",
                **face,
            )
    ax.set_xlabel("accounts moved from their current owner")
    ax.set_ylabel("worst rep's deviation from fair share (%)")
    ax.set_title("Balance against continuity")
    ax.legend(frameon=False, fontsize="small")
    ax.set_ylim(bottom=0)
    return ax


def plot_quotas(plan, ax=None):
    """Quota per rep (:func:`salesworkbench.territory.set_quotas`), with P(attainment).

    Bars: quotas; markers: P(attainment) on the right axis where the fairness table has it.
    """
    ax = _axes(ax)
    t = plan.summary
    x = np.arange(len(t))
    ax.bar(x, t["quota"], color="#1f77b4", label="quota")
    ax.set_xticks(x, [str(i) for i in t.index], rotation=45, ha="right")
    ax.set_ylabel("quota")
    format_ticks(ax.yaxis, _short)
    ax.set_title(f"Quotas ({plan.method}): {_short(plan.objective)} split across {len(t)}")
    fair = plan.fairness
    if "p_attainment" in fair and fair["p_attainment"].notna().any():
        ax2 = ax.twinx()
        ax2.plot(
            x,
            100 * fair["p_attainment"].reindex(t.index),
            "o",
            color="#ff7f0e",
            label="P(attainment)",
        )
        ax2.set_ylim(0, 100)
        ax2.set_ylabel("P(attainment) from the pipeline (%)")
    return ax
