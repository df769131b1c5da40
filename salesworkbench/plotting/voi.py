"""Value-of-information figures: EVPPI bars, EVSI and ENBS against pilot size."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salesworkbench.formatting import format_number
from salesworkbench.plotting.style import money_axis

__all__ = ["plot_enbs", "plot_evppi"]


def _axes(ax):
    import matplotlib.pyplot as plt

    return ax if ax is not None else plt.gca()


def plot_evppi(
    evppi: pd.DataFrame | pd.Series | Mapping[str, float],
    *,
    evpi: float | None = None,
    currency: str = "",
    ax=None,
):
    """Horizontal bars of each assumption's EVPPI (with +-2 se when known), EVPI as a line.

    Parameters
    ----------
    evppi : DataFrame, Series or mapping
        A pilot plan from :func:`salesworkbench.voi.plan_pilots` (columns ``evppi`` and
        ``evppi_se``; its ``attrs["evpi"]`` is used), or EVPPI by assumption.
    evpi : float, optional
        Drawn as a dashed line (the most any information can be worth).
    currency : str
        Axis label unit.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    se = None
    if isinstance(evppi, pd.DataFrame):
        if evpi is None:
            evpi = evppi.attrs.get("evpi")
        se = evppi["evppi_se"] if "evppi_se" in evppi else None
        values = evppi["evppi"]
    else:
        values = pd.Series(evppi, dtype=float)
    order = values.sort_values().index
    values = values.loc[order]
    y = np.arange(len(values))
    xerr = 2 * se.loc[order].to_numpy() if se is not None else None
    ax.barh(y, values.to_numpy(), xerr=xerr, color="tab:blue", alpha=0.8, capsize=3)
    ax.set_yticks(y, [str(i) for i in values.index])
    if evpi is not None:
        ax.axvline(evpi, color="black", ls="--", lw=1, label=f"EVPI {format_number(evpi)}")
        ax.legend(loc="lower right")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(5))
    money_axis(ax.xaxis)
    ax.set_xlabel(f"EVPPI ({currency})" if currency else "EVPPI")
    ax.set_title("Value of learning each assumption exactly")
    return ax


def plot_enbs(
    table: pd.DataFrame,
    *,
    evppi: float | None = None,
    currency: str = "",
    title: str | None = None,
    ax=None,
):
    """Scaled EVSI, pilot cost and ENBS against pilot size, with the optimum marked.

    Parameters
    ----------
    table : DataFrame
        From :func:`salesworkbench.voi.enbs` (index n; columns ``scaled_evsi``, ``cost``,
        ``enbs``, ``optimal``).
    evppi : float, optional
        The (scaled) EVPPI, drawn as the ceiling EVSI approaches.
    currency : str
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    n = table.index.to_numpy()
    ax.plot(n, table["scaled_evsi"], marker=".", label="EVSI (scaled)")
    ax.plot(n, table["cost"], color="tab:red", ls=":", label="pilot cost")
    ax.plot(n, table["enbs"], color="tab:green", marker=".", label="ENBS = EVSI - cost")
    if evppi is not None:
        ax.axhline(evppi, color="grey", ls="--", lw=1, label="EVPPI (ceiling)")
    ax.axhline(0, color="black", lw=0.5)
    opt = table.index[table["optimal"]] if "optimal" in table else []
    if len(opt):
        best = opt[0]
        ax.plot([best], [table.loc[best, "enbs"]], "o", ms=9, mfc="none", mec="black")
        ax.annotate(
            f"optimum n = {best:,}, ENBS {format_number(table.loc[best, 'enbs'])}",
            (best, table.loc[best, "enbs"]),
            textcoords="offset points",
            xytext=(0, 12),
            ha="center",
            fontsize="small",
        )
    if n.min() > 0 and n.max() / n.min() > 20:
        ax.set_xscale("log")
    money_axis(ax.yaxis)
    ax.set_xlabel("pilot size n")
    ax.set_ylabel(currency or "value")
    ax.set_title(title or "Is a bigger pilot worth it?")
    ax.legend(loc="best", fontsize="small")
    return ax
