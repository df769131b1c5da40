"""TeamExplorer: pick the measure, the grouping and the star quantile; see who the stars are.

The maths lives in :mod:`salesworkbench.team`; this class only builds the controls, keeps the
current parameters in ``self.params`` and stores what it computed in ``self.result``. Tests (and
notebooks) drive it without a browser::

    app = TeamExplorer(analysis, opportunities, draw=False)
    app.controls["measure"].value = "mix_adjusted_win_rate"
    app.controls["quantile"].value = 0.8
    app.result["stars"]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from salesworkbench.team import LEVERS, MEASURES, TeamAnalysis, group_table, prize, stars_vs_rest
from salesworkbench.ui.base import App

__all__ = ["TeamExplorer"]

_GROUPINGS = ("rep", "team", "manager", "region", "territory")


class TeamExplorer(App):
    """Interactive team-performance explorer.

    Parameters
    ----------
    analysis : TeamAnalysis
        From :func:`salesworkbench.team.analyse_team`.
    opportunities : DataFrame, optional
        The opportunities the analysis used; needed for the prize (the what-if forecast).
    measure, grouping, quantile : str, str, float
        Initial settings.
    prize_trials : int, default 2000
        Monte Carlo trials of the prize, fewer than a forecast's
        :data:`~salesworkbench.defaults.FORECAST_TRIALS` so an update stays quick (the
        headline says how many); 0 skips the prize. Only the chosen lever's scenario is
        simulated on each update.
    seed : int, default 0
        Seed of the prize (same settings, same numbers).
    draw : bool, default True
        Draw figures into ``self.out``; False only computes.

    Attributes
    ----------
    controls : dict of str -> widget
        ``measure`` (Dropdown), ``grouping`` (Dropdown), ``quantile`` (FloatSlider),
        ``lever`` (Dropdown: the what-if lever, or all levers together), ``intervals``
        (ToggleButtons: effect-size intervals by deal, or by a bootstrap over reps) and ``gap``
        (FloatSlider, share of the gap to the stars closed).
    params : dict
        The current settings.
    result : dict
        After each update: ``table`` (the grouping's table sorted by the measure),
        ``stars``, ``rest``, ``comparison`` (StarsComparison), ``prize`` (PrizeResult or None)
        and ``headline`` (one sentence).
    widget : ipywidgets.VBox
    figure : matplotlib Figure or None
        The last figure drawn (forest plot, effect sizes and, with the prize, the fan chart).
    """

    def __init__(
        self,
        analysis: TeamAnalysis,
        opportunities: pd.DataFrame | None = None,
        *,
        measure: str = "win_rate",
        grouping: str = "rep",
        quantile: float = 0.75,
        prize_trials: int = 2000,
        periods: int = 2,
        seed: int = 0,
        draw: bool = True,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self.analysis = analysis
        self.opportunities = opportunities
        self.prize_trials = int(prize_trials)
        self.periods = periods
        self.seed = seed
        self.figure = None
        groupings = ["rep"]
        if analysis.rep_info is not None:
            groupings += [g for g in _GROUPINGS[1:] if g in analysis.rep_info.columns]
        measures = [m for m, (col, _, _) in MEASURES.items() if col in analysis.reps.columns]
        if measure not in measures:
            raise ValueError(f"measure must be one of {', '.join(measures)}; got {measure!r}")
        if grouping not in groupings:
            raise ValueError(f"grouping must be one of {', '.join(groupings)}; got {grouping!r}")
        c = self.add_controls(
            {
                "measure": {
                    "kind": "Dropdown",
                    "options": [(MEASURES[m][2], m) for m in measures],
                    "value": measure,
                    "description": "rank by",
                },
                "grouping": {
                    "kind": "Dropdown",
                    "options": groupings,
                    "value": grouping,
                    "description": "table by",
                },
                "quantile": {
                    "kind": "FloatSlider",
                    "value": quantile,
                    "min": 0.5,
                    "max": 0.95,
                    "step": 0.05,
                    "description": "star quantile",
                },
                "lever": {
                    "kind": "Dropdown",
                    "options": [*LEVERS, "all levers"],
                    "value": "all levers",
                    "description": "prize lever",
                },
                "intervals": {
                    "kind": "ToggleButtons",
                    "options": [("by deal", "deals"), ("by rep (bootstrap)", "reps")],
                    "value": "deals",
                    "description": "effect intervals",
                },
                "gap": {
                    "kind": "FloatSlider",
                    "value": 1.0,
                    "min": 0.0,
                    "max": 1.0,
                    "step": 0.1,
                    "description": "gap closed",
                },
            },
            description_width="110px",
        )
        self.out = widgets.Output()
        self.widget = widgets.VBox(
            [
                widgets.HBox([c["measure"], c["grouping"]]),
                widgets.HBox([c["quantile"], c["gap"]]),
                widgets.HBox([c["lever"], c["intervals"]]),
                self.out,
            ]
        )
        self.update()

    def update(self) -> dict[str, Any]:
        """Read the controls, recompute stars, effects and (if its settings changed) the prize.

        Returns
        -------
        dict
            ``self.result``.
        """
        self.params = p = self.values()
        col, higher, label = MEASURES[p["measure"]]
        table = group_table(self.analysis, p["grouping"], all_columns=True)
        if col in table.columns:
            table = table.sort_values(col, ascending=not higher, kind="stable")
        comp = stars_vs_rest(
            self.analysis, p["measure"], p["quantile"], interval=p["intervals"], seed=self.seed
        )
        res = None
        recompute = (
            self.prize_trials > 0
            and self.opportunities is not None
            and self._prize_key() != self.result.get("_prize_key")
        )
        if recompute:
            res = prize(
                self.analysis,
                self.opportunities,
                measure=p["measure"],
                quantile=p["quantile"],
                gap=p["gap"],
                levers=LEVERS if p["lever"] == "all levers" else (p["lever"],),
                each=False,
                periods=self.periods,
                trials=self.prize_trials,
                seed=self.seed,
            )
        elif self.prize_trials > 0 and self.opportunities is not None:
            res = self.result.get("prize")
        headline = f"Stars by {label} (top {1 - p['quantile']:.0%}): {', '.join(comp.stars)}."
        if res is not None:
            row = res.summary.loc[(p["lever"], "total")]
            headline += (
                f" If the others closed {p['gap']:.0%} of the gap ({p['lever']}), the open "
                f"pipeline would book {row['extra_p50'] / 1e6:.2f}M more (P10 "
                f"{row['extra_p10'] / 1e6:.2f}M, P90 {row['extra_p90'] / 1e6:.2f}M; "
                f"{self.prize_trials:,} trials)."
            )
        self.result = {
            "table": table,
            "stars": comp.stars,
            "rest": comp.rest,
            "comparison": comp,
            "prize": res,
            "headline": headline,
            "_prize_key": self._prize_key() if res is not None else None,
        }
        if self.draw:
            self._draw()
        return self.result

    def _prize_key(self) -> tuple:
        p = self.params
        return (p["measure"], p["quantile"], p["gap"], p["lever"])

    def _draw(self) -> None:
        import matplotlib.pyplot as plt

        from salesworkbench.plotting.team import effect_sizes, prize_fan, rep_forest

        p = self.params
        col, higher, _ = MEASURES[p["measure"]]
        table = self.result["table"]
        n = 3 if self.result["prize"] is not None else 2
        fig, axes = plt.subplots(1, n, figsize=(6 * n, 0.35 * len(table) + 2.5))
        if f"{col}_lo" in table.columns:
            stars = self.result["stars"] if p["grouping"] == "rep" else None
            rep_forest(table, col, stars=stars, higher_is_better=higher, ax=axes[0])
        else:
            axes[0].text(0.5, 0.5, f"no interval for {col}", ha="center")
        effect_sizes(self.result["comparison"], ax=axes[1])
        if n == 3:
            prize_fan(self.result["prize"], p["lever"], ax=axes[2])
        fig.tight_layout()
        self.figure = fig
        self.show(self.out, self.result["headline"], fig)
