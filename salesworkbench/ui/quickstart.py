"""WinRateBrowser: the quickstart's widget, win rate and deal counts by a chosen grouping.

The numbers come from :func:`salesworkbench.pipeline.win_rates`; the app only holds the
dropdown, keeps the current grouping in ``self.params`` and the table in ``self.result``::

    app = WinRateBrowser(opportunities)
    app.controls["group_by"].value = "segment"
    app.result
"""

from __future__ import annotations

import pandas as pd

from salesworkbench.pipeline import win_rates
from salesworkbench.ui.base import App

__all__ = ["WIN_RATE_GROUPINGS", "WinRateBrowser"]

#: Columns of the canonical opportunity table a user can group win rates by.
WIN_RATE_GROUPINGS = (
    "product",
    "segment",
    "owner",
    "territory",
    "has_value_case",
    "has_power_sponsor",
)


class WinRateBrowser(App):
    """A dropdown to pick the grouping, a bar chart and the table of win rates.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities.
    group_by : str, default "product"
        The first grouping shown.
    draw : bool, default True
        Draw into ``self.out``; False only computes.

    Attributes
    ----------
    controls : dict
        ``group_by`` (Dropdown of the :data:`WIN_RATE_GROUPINGS` the opportunities have).
    params : dict
        ``{"group_by": ...}``.
    result : DataFrame
        :func:`~salesworkbench.pipeline.win_rates` for the current grouping.
    """

    def __init__(
        self, opportunities: pd.DataFrame, group_by: str = "product", draw: bool = True
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self.opportunities = opportunities
        options = [g for g in WIN_RATE_GROUPINGS if g in opportunities.columns]
        self.add_controls(
            {
                "group_by": {
                    "kind": "Dropdown",
                    "options": options,
                    "value": group_by,
                    "description": "Group by",
                }
            }
        )
        self.out = widgets.Output()
        self.widget = widgets.VBox([self.controls["group_by"], self.out])
        self.result: pd.DataFrame | None = None
        self.update()

    def update(self) -> pd.DataFrame:
        """Recompute the table for the current grouping and redraw."""
        self.params = self.values()
        self.result = win_rates(self.opportunities, self.params["group_by"])
        if self.draw:
            self._redraw()
        return self.result

    def _redraw(self) -> None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 0.35 * len(self.result) + 1.2))
        self.result["win_rate"].iloc[::-1].plot.barh(ax=ax, color="#4C72B0")
        ax.set(xlabel="win rate (closed deals)", ylabel="", xlim=(0, 1))
        ax.set_title(f"Win rate by {self.params['group_by']}")
        fig.tight_layout()
        self.show(self.out, fig, self.result)
