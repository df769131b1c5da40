"""RollupExplorer: pick a level and a node of the forecast roll-up; see its band and children.

The roll-up is computed once (:func:`salesworkbench.pipeline.forecast` with ``hierarchy=``);
the app only selects from it. Tests and notebooks drive it without a browser::

    app = RollupExplorer(result, calls=scored_calls)
    app.set(level="team", node="North East")
    app.result["rows"], app.result["children"], app.result["calls"]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from salesworkbench.render import escape
from salesworkbench.ui.base import App, error_html

__all__ = ["RollupExplorer"]

_SHOW = ["period", "mean", "p10", "p50", "p90", "children_p10", "quota", "p_quota", "open_deals"]


class RollupExplorer(App):
    """Browse a forecast's roll-up: one node's bands per period, its children, its calls.

    Parameters
    ----------
    result : ForecastResult
        A forecast with a roll-up (``hierarchy=``).
    calls : DataFrame, optional
        Calls scored against the same forecast (:func:`salesworkbench.pipeline.score_calls`).
    level, node : str, optional
        Starting level (default the top level below the total) and node (its first).
    draw : bool
        Draw the node's fan chart into ``self.out``; False only computes.

    Attributes
    ----------
    controls : dict
        ``level`` and ``node`` (dropdowns; the node list follows the level).
    result : dict
        ``level``, ``node``, ``rows`` (the node's roll-up rows), ``children`` (its children's
        rows for the first period), ``calls`` (its calls, if given) and ``error``.
    """

    def __init__(
        self,
        result,
        calls: pd.DataFrame | None = None,
        *,
        level: str | None = None,
        node: str | None = None,
        draw: bool = True,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        if result.rollup is None:
            raise ValueError("RollupExplorer needs a forecast with a roll-up (hierarchy=)")
        self.rollup = result.rollup
        self.calls = calls
        levels = list(dict.fromkeys(self.rollup["level"]))
        level = level or (levels[-2] if len(levels) > 1 else levels[0])
        if level not in levels:
            raise ValueError(f"level must be one of {', '.join(levels)}, got {level!r}")
        names = self._names(level)
        node = node if node is not None else names[0]
        self.result: dict[str, Any] = {"error": None}
        c = self.add_controls(
            {
                "level": {
                    "kind": "Dropdown",
                    "options": levels,
                    "value": level,
                    "description": "level",
                },
                "node": {
                    "kind": "Dropdown",
                    "options": names,
                    "value": node,
                    "description": "node",
                },
            },
            on_change=self._changed,
            description_width="60px",
        )
        self.status = widgets.HTML()
        self.out = widgets.Output()
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Forecast by team and region</b>"),
                widgets.HBox([c["level"], c["node"]]),
                self.status,
                self.out,
            ]
        )
        self.update()

    def _names(self, level: str) -> list[str]:
        return list(dict.fromkeys(self.rollup.loc[self.rollup["level"] == level, "name"]))

    def _changed(self, change: dict) -> None:
        if change["owner"] is self.controls["level"]:
            names = self._names(change["new"])
            with self.silent():
                node = self.controls["node"]
                keep = node.value if node.value in names else names[0]
                node.options = names
                node.value = keep
        if not self.silenced:
            self.update()

    def set(self, **values: Any) -> Any:
        """Set ``level`` and/or ``node`` (the node list follows the level first)."""
        if "level" in values:
            with self.silent():
                self.controls["level"].value = values["level"]
        return super().set(**{k: v for k, v in values.items() if k != "level"})

    def update(self) -> dict[str, Any]:
        """Select the node's rows, its children and its calls; redraw."""
        self.params = p = self.values()
        r = self.rollup
        rows = r[(r["level"] == p["level"]) & (r["name"] == p["node"])]
        if rows.empty:
            self.result["error"] = f"no node {p['node']!r} at level {p['level']!r}"
            self.status.value = error_html(self.result["error"])
            return self.result
        first = rows.iloc[0]
        kids = r[(r["parent"] == p["node"]) & (r["period"] == first["period"])]
        kids = kids[kids["level"] != p["level"]]
        calls = None
        if self.calls is not None:
            calls = self.calls[
                (self.calls["level"] == p["level"]) & (self.calls["name"] == p["node"])
            ]
        cols = [c for c in _SHOW if c in rows.columns]
        self.result.update(
            error=None,
            level=p["level"],
            node=p["node"],
            rows=rows[cols].reset_index(drop=True),
            children=kids[["level", "name", *cols]].reset_index(drop=True),
            calls=calls,
        )
        pq = (
            f", P(quota) {first['p_quota']:.0%}"
            if "p_quota" in rows and pd.notna(first.get("p_quota"))
            else ""
        )
        self.status.value = escape(
            f"{p['level']} {p['node']}, {first['period']}: mean {first['mean']:,.0f}, "
            f"P10-P90 {first['p10']:,.0f} - {first['p90']:,.0f}{pq}; "
            f"{len(kids)} children, whose P10s add up to only {first['children_p10']:,.0f}"
            if len(kids)
            else f"{p['level']} {p['node']}, {first['period']}: mean {first['mean']:,.0f}, "
            f"P10-P90 {first['p10']:,.0f} - {first['p90']:,.0f}{pq}"
        )
        if self.draw:
            self._draw()
        return self.result

    def _draw(self) -> None:
        import matplotlib.pyplot as plt

        from salesworkbench.plotting.pacing import node_fan

        fig, ax = plt.subplots(figsize=(6, 3.2))
        node_fan(self.rollup, self.result["node"], self.result["level"], ax=ax)
        ax.legend(fontsize=7, loc="upper right")
        fig.tight_layout()
        objs: list[Any] = [fig, self.result["children"].round(0)]
        if self.result["calls"] is not None and len(self.result["calls"]):
            objs.append(self.result["calls"])
        self.show(self.out, *objs)
