"""WinRateBrowser: the quickstart's widget, win rate and deal counts by a chosen grouping.

The numbers come from :func:`win_rates`, a pure function; the class only holds the controls,
keeps the current grouping in ``self.params`` and the table it computed in ``self.result``::

    app = WinRateBrowser(opportunities)
    app.controls["group_by"].value = "segment"
    app.result
"""

from __future__ import annotations

import pandas as pd

__all__ = ["GROUPINGS", "WinRateBrowser", "win_rates"]

#: Columns of the canonical opportunity table a user can group win rates by.
GROUPINGS = ("product", "segment", "owner", "territory", "has_value_case", "has_power_sponsor")


def win_rates(opportunities: pd.DataFrame, group_by: str) -> pd.DataFrame:
    """Return closed deals, wins and win rate per group, highest win rate first.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities; open deals are left out (they have no outcome yet).
    group_by : str
        A column of ``opportunities``.
    """
    if group_by not in opportunities.columns:
        raise ValueError(
            f"group_by={group_by!r} is not a column; choose one of {', '.join(GROUPINGS)}"
        )
    closed = opportunities[opportunities["status"].isin(["won", "lost"])]
    won = (closed["status"] == "won").rename("won")
    table = won.groupby(closed[group_by].astype(str), observed=True).agg(["size", "sum"])
    table.columns = ["closed_deals", "won"]
    table["win_rate"] = (table["won"] / table["closed_deals"]).round(3)
    return table.sort_values("win_rate", ascending=False)


class WinRateBrowser:
    """A dropdown to pick the grouping, a bar chart and the table of win rates.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities.
    group_by : str, default "product"
        The first grouping shown.
    draw : bool, default True
        Draw into ``self.out``; False only computes.
    """

    def __init__(
        self, opportunities: pd.DataFrame, group_by: str = "product", draw: bool = True
    ) -> None:
        import ipywidgets as widgets

        self.opportunities = opportunities
        self.draw = draw
        options = [g for g in GROUPINGS if g in opportunities.columns]
        self.controls = {
            "group_by": widgets.Dropdown(options=options, value=group_by, description="Group by")
        }
        self.out = widgets.Output()
        self.widget = widgets.VBox([self.controls["group_by"], self.out])
        self.params: dict = {}
        self.result: pd.DataFrame | None = None
        self.controls["group_by"].observe(self._on_change, names="value")
        self.update()

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> pd.DataFrame:
        """Recompute the table for the current grouping and redraw."""
        self.params = {"group_by": self.controls["group_by"].value}
        self.result = win_rates(self.opportunities, self.params["group_by"])
        if self.draw:
            self._redraw()
        return self.result

    def _redraw(self) -> None:
        import matplotlib.pyplot as plt

        from salesworkbench.ui._output import show

        fig, ax = plt.subplots(figsize=(7, 0.35 * len(self.result) + 1.2))
        self.result["win_rate"].iloc[::-1].plot.barh(ax=ax, color="#4C72B0")
        ax.set(xlabel="win rate (closed deals)", ylabel="", xlim=(0, 1))
        ax.set_title(f"Win rate by {self.params['group_by']}")
        fig.tight_layout()
        show(self.out, fig, self.result)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
