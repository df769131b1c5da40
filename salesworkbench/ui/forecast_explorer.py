"""ForecastExplorer: period, quota, objective, confidence and win-rate grouping in one app.

The logic lives in :mod:`salesworkbench.pipeline`; this class builds the controls, keeps the
current settings in ``self.params`` and stores what it computed in ``self.result``. Tests and
notebooks drive it without a browser::

    app = ForecastExplorer(opportunities, stage_history, leads)
    app.controls["quota"].value = 4_000_000
    app.controls["grouping"].value = "segment"
    app.result["summary"], app.result["plan"].table
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd

from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import DataWarning
from salesworkbench.pipeline import (
    HistoryModel,
    conversion_rates,
    forecast,
    group_columns,
    next_period,
    period_bounds,
    reverse_funnel,
)
from salesworkbench.ui.base import App, error_html

__all__ = ["ForecastExplorer"]


class ForecastExplorer(App):
    """Interactive pipeline forecast and reverse funnel.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities (closed history and open pipeline).
    stage_history : DataFrame, optional
        Canonical stage history (stage-based win rates, slippage; ``timing="stage"`` or
        ``"close_date"``).
    leads : DataFrame, optional
        Canonical leads (funnel conversion rates); without them the funnel starts at
        opportunities.
    as_of : date, optional
        Forecast date (default: the latest close date of the closed deals).
    periods : int
        Periods to forecast.
    quota, objective : float
        Starting quota per period (None or 0: no quota, P(quota) left blank) and revenue
        objective for the reverse funnel.
    confidence : float
        Starting confidence level of the reverse funnel.
    grouping : str
        Starting win-rate grouping (``none``, ``product``, ``segment``, ``owner``...).
    trials : int, default :data:`~salesworkbench.defaults.FORECAST_TRIALS`
        Monte Carlo trials of the forecast and of the reverse funnel (shown in the status line).
    seed : int
        Seed of both (same seed, same figures).
    timing : str, optional
        Timing model (default ``auto``, as :func:`~salesworkbench.pipeline.forecast`: chosen
        once on the history before the fit date, see
        :mod:`~salesworkbench.pipeline.timing_choice`).
    stage_order : sequence of str, optional
        Open stages in funnel order (see :meth:`HistoryModel.fit`).
    draw : bool
        Draw the fan chart and funnel into ``self.out``; False only computes.

    Attributes
    ----------
    controls : dict of str -> widget
        ``period`` (month/quarter), ``quota``, ``objective``, ``confidence``, ``grouping``.
    params : dict
        Current settings.
    result : dict
        ``model`` (HistoryModel), ``forecast`` (ForecastResult), ``summary`` (its per-period
        table), ``deals`` (top deals), ``rates`` (funnel conversion rates), ``plan``
        (FunnelPlan) and ``error`` (None or the message of a setting that cannot be used).
    widget : ipywidgets.VBox
        The app to display.
    """

    def __init__(
        self,
        opportunities: pd.DataFrame,
        stage_history: pd.DataFrame | None = None,
        leads: pd.DataFrame | None = None,
        *,
        as_of=None,
        periods: int = 2,
        quota: float | None = 5_000_000.0,
        objective: float = 5_000_000.0,
        confidence: float = 0.8,
        grouping: str = "product",
        trials: int = FORECAST_TRIALS,
        seed: int = 0,
        timing: str | None = None,
        stage_order: Sequence[str] | None = None,
        draw: bool = True,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self.opportunities = opportunities
        self.stage_history = stage_history
        self.leads = leads
        self.as_of = as_of
        self.periods = periods
        self.trials = int(trials)
        self.seed = seed
        self.timing = timing or "auto"
        self.stage_order = stage_order
        self._models: dict[str, HistoryModel] = {}
        self._rates: dict[pd.Timestamp, pd.DataFrame] = {}
        self.result: dict[str, Any] = {"error": None}

        groupings = ["none", *group_columns(opportunities)]
        if grouping not in groupings:
            raise ValueError(f"grouping must be one of {', '.join(groupings)}, got {grouping!r}")
        c = self.add_controls(
            {
                "period": {
                    "kind": "Dropdown",
                    "options": ["quarter", "month"],
                    "value": "quarter",
                    "description": "period",
                },
                "quota": {
                    "kind": "BoundedFloatText",
                    "value": float(quota or 0.0),  # 0: no quota (P(quota) left blank)
                    "min": 0.0,
                    "max": 1e12,
                    "step": 100_000.0,
                    "description": "quota per period",
                },
                "objective": {
                    "kind": "BoundedFloatText",
                    "value": float(objective),
                    "min": 1.0,
                    "max": 1e12,
                    "step": 100_000.0,
                    "description": "revenue objective",
                },
                "confidence": {
                    "kind": "FloatSlider",
                    "value": float(confidence),
                    "min": 0.5,
                    "max": 0.99,
                    "step": 0.01,
                    "description": "confidence",
                    "readout_format": ".0%",
                },
                "grouping": {
                    "kind": "Dropdown",
                    "options": groupings,
                    "value": grouping,
                    "description": "win rates by",
                },
            },
            description_width="130px",
        )
        self.status = widgets.HTML()
        self.out = widgets.Output()
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Pipeline forecast and reverse funnel</b>"),
                widgets.HBox(
                    [
                        widgets.VBox([c["period"], c["quota"], c["grouping"]]),
                        widgets.VBox([c["objective"], c["confidence"]]),
                    ]
                ),
                self.status,
                self.out,
            ]
        )
        self.update()

    def model(self, grouping: str) -> HistoryModel:
        """The history model for a grouping (fitted once, then reused)."""
        if grouping not in self._models:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)  # reported in model.notes
                self._models[grouping] = HistoryModel.fit(
                    self.opportunities,
                    self.stage_history,
                    group_by=None if grouping == "none" else grouping,
                    as_of=self.as_of,
                    stage_order=self.stage_order,
                )
        return self._models[grouping]

    def update(self) -> dict[str, Any]:
        """Re-read the controls, re-run the forecast and the reverse funnel, redraw.

        Returns
        -------
        dict
            ``self.result``.
        """
        self.params = p = self.values()
        try:
            model = self.model(p["grouping"])
            as_of = pd.Timestamp(self.as_of) if self.as_of is not None else model.as_of
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)  # kept in result.notes
                res = forecast(
                    self.opportunities,
                    model,
                    periods=self.periods,
                    freq=p["period"],
                    trials=self.trials,
                    seed=self.seed,
                    quota=p["quota"] or None,
                    as_of=as_of,
                    timing=self.timing,
                    progress=False,
                )
                if as_of not in self._rates:
                    self._rates[as_of] = conversion_rates(
                        self.leads, self.opportunities, as_of=as_of
                    )
                rates = self._rates[as_of]
            # the funnel plans for the period after the one under way
            start, deadline = period_bounds(next_period(as_of, p["period"]))
            plan = reverse_funnel(
                p["objective"],
                rates,
                deal_sizes=model.deal_sizes,
                confidence=p["confidence"],
                start=start,
                deadline=deadline,
                seed=self.seed,
                trials=self.trials,
            )
        except (ValueError, KeyError) as exc:
            self.result["error"] = str(exc)
            self.status.value = error_html(exc)
            return self.result
        self.result.update(
            error=None,
            model=model,
            forecast=res,
            summary=res.summary,
            deals=res.deals.head(10),
            rates=rates,
            plan=plan,
        )
        first = res.summary.iloc[0]
        self.status.value = (
            f"{len(res.deals)} open deals ({len(res.stale)} stale: flagged, kept); "
            f"{res.summary.index[0]}: mean {first['mean']:,.0f}, P10-P90 "
            f"{first['p10']:,.0f} - {first['p90']:,.0f}"
            + (f", P(>= quota) {first['p_quota']:.0%}" if pd.notna(first.get("p_quota")) else "")
            + "; "
            f"objective needs {plan.table.loc['opportunities', 'needed']:,.0f} opportunities "
            f"({self.trials:,} trials)"
        )
        if self.draw:
            self._draw()
        return self.result

    def _draw(self) -> None:
        import matplotlib.pyplot as plt

        from salesworkbench.plotting.forecast import fan_chart, funnel_chart

        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        fan_chart(self.result["forecast"], ax=a1)
        funnel_chart(self.result["plan"], ax=a2)
        fig.tight_layout()
        self.show(self.out, fig)
