"""PlanChecksBrowser: a sales manager's checks over the plans, with the bar set by a slider.

The checks are :func:`salesworkbench.plans.manager_checks`; this class only holds the controls
(the P(value > 0) threshold and which check to list), keeps them in ``self.params`` and the
table in ``self.result``::

    app = PlanChecksBrowser(account_plans, opportunity_plans, as_of=AS_OF, summaries=summaries)
    app.controls["threshold"].value = 0.5
    app.result
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from salesworkbench.plans import DEFAULT_THRESHOLD, manager_checks
from salesworkbench.ui.base import App

__all__ = ["ALL_CHECKS", "PlanChecksBrowser"]

#: The ``check`` dropdown's entry that lists every finding.
ALL_CHECKS = "all checks"


class PlanChecksBrowser(App):
    """Run the manager checks and list what they find.

    Parameters
    ----------
    account_plans, opportunity_plans : sequences of plans
        The plans to check.
    as_of : date-like
        The date actions are overdue against.
    accounts, opportunities : DataFrame, optional
        Segmented accounts (for "Alpha accounts without a plan") and the pipeline (for deals
        without a power sponsor).
    summaries : mapping, optional
        Value case results per opportunity plan name, so moving the threshold never
        re-simulates a case.
    threshold : float
        Starting P(value > 0) bar.
    draw : bool, default True
        Draw into ``self.out``; False only computes.

    Attributes
    ----------
    controls : dict
        ``threshold`` (FloatSlider, the P(value > 0) bar) and ``check`` (Dropdown: all checks,
        or one check that found something).
    params : dict
        ``threshold`` and ``check``.
    checks : DataFrame
        Everything the checks found at the current threshold.
    result : DataFrame
        The rows of ``checks`` listed (all, or the chosen check's).
    """

    def __init__(
        self,
        account_plans: Sequence = (),
        opportunity_plans: Sequence = (),
        *,
        as_of,
        accounts: pd.DataFrame | None = None,
        opportunities: pd.DataFrame | None = None,
        summaries: Mapping[str, Any] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        draw: bool = True,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self._inputs = {
            "account_plans": list(account_plans),
            "opportunity_plans": list(opportunity_plans),
            "as_of": as_of,
            "accounts": accounts,
            "opportunities": opportunities,
            "summaries": summaries,
        }
        self.add_controls(
            {
                "threshold": {
                    "kind": "FloatSlider",
                    "value": threshold,
                    "min": 0.5,
                    "max": 0.99,
                    "step": 0.01,
                    "description": "P(value>0) bar",
                    "readout_format": ".0%",
                    "style": {"description_width": "120px"},
                }
            }
        )
        self.add_controls(
            {
                "check": {
                    "kind": "Dropdown",
                    "options": [ALL_CHECKS],
                    "value": ALL_CHECKS,
                    "description": "list",
                }
            },
            on_change=self._on_check,
        )
        self.out = widgets.Output()
        self.widget = widgets.VBox(
            [widgets.HBox([self.controls["threshold"], self.controls["check"]]), self.out]
        )
        self.checks = pd.DataFrame()
        self.result = pd.DataFrame()
        self.update()

    def _on_check(self, _change) -> None:
        if not self.silenced:
            self._select()

    def update(self) -> pd.DataFrame:
        """Re-run the checks at the current threshold and list the chosen check's findings."""
        self.checks = manager_checks(
            self._inputs["account_plans"],
            self._inputs["opportunity_plans"],
            as_of=self._inputs["as_of"],
            accounts=self._inputs["accounts"],
            opportunities=self._inputs["opportunities"],
            summaries=self._inputs["summaries"],
            threshold=float(self.controls["threshold"].value),
        )
        found = sorted(self.checks["check"].unique()) if len(self.checks) else []
        check = self.controls["check"]
        with self.silent():
            current = check.value
            check.options = [ALL_CHECKS, *found]
            check.value = current if current in found else ALL_CHECKS
        return self._select()

    def _select(self) -> pd.DataFrame:
        self.params = {
            "threshold": float(self.controls["threshold"].value),
            "check": self.controls["check"].value,
        }
        table = self.checks
        if self.params["check"] != ALL_CHECKS:
            table = table[table["check"] == self.params["check"]]
        self.result = table
        if self.draw:
            counts = self.checks["check"].value_counts() if len(self.checks) else pd.Series()
            summary = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "all clear"
            self.show(self.out, summary, table.head(15))
        return self.result
