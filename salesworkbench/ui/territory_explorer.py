"""TerritoryExplorer: move thresholds, weights and capacity; watch the segments and coverage.

The logic lives in :mod:`salesworkbench.territory`; this class builds controls, keeps the
current settings in ``self.params`` and stores what it computed in ``self.result``. Tests (and
notebooks) drive it without a browser::

    app = TerritoryExplorer(accounts)
    app.controls["potential_high"].value = 65
    app.controls["potential.white_space"].value = 0.5     # a driver weight
    app.controls["reps.account_executive"].value = 10
    app.result["summary"], app.result["coverage"]

With ``reps`` it also assigns the accounts and splits a revenue objective into quotas, on
request (an optimal solve takes seconds, so it does not run on every slider move)::

    app = TerritoryExplorer(accounts, reps=reps, match_on="territory", objective=4e6)
    app.set(assign__method="optimal", assign__max_moves=20)
    app.assign()                      # also the "assign & set quotas" button
    app.result["load"].attrs["objective"], app.result["quotas"].summary
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from salesworkbench.territory import (
    DEFAULT_CAPACITY,
    DEFAULT_COVERAGE,
    DEFAULT_MESSAGING,
    QUOTA_METHODS,
    SEGMENTS,
    ScoreModel,
    TerritoryPlan,
    assign_accounts,
    capacity_summary,
    compare_assignments,
    coverage_plan,
    prepare,
    segment,
    segment_summary,
    set_quotas,
)
from salesworkbench.ui.base import App, error_html

__all__ = ["TerritoryExplorer"]

_THRESHOLDS = ("potential_high", "potential_low", "relationship_high")


class TerritoryExplorer(App):
    """Interactive territory segmentation: threshold and weight sliders, capacity inputs.

    Parameters
    ----------
    accounts : DataFrame
        Canonical accounts (checked and transformed once, at construction).
    potential_high, potential_low, relationship_high : float
        Starting thresholds.
    model : ScoreModel, optional
        Score drivers (default model); one weight slider per driver in use.
    coverage : mapping, optional
        Hours per account per quarter by segment and role (:data:`DEFAULT_COVERAGE`).
    capacity : mapping, optional
        ``{role: {"reps": n, "hours_per_rep": h}}`` (:data:`DEFAULT_CAPACITY`); one reps
        input and one hours input per role.
    allocation : str or mapping
        See :func:`~salesworkbench.territory.coverage_plan`.
    draw : bool
        Draw the potential x relationship matrix into ``self.out``; False only computes.
    label_top : int
        Accounts labelled on the matrix (by priority).
    dpi : int
        Resolution of the figure shown in the app.
    reps : DataFrame or sequence of str, optional
        Reps to assign the accounts to (:func:`~salesworkbench.territory.assign_accounts`);
        adds the assignment and quota controls.
    match_on : str, optional
        Column an account and its rep must share (e.g. ``"territory"``).
    objective : float, optional
        Revenue objective to split into quotas (default: 1,000,000).
    history : TeamAnalysis or mapping, optional
        Bookings history for the ``history`` and ``blend`` quota splits.
    time_limit : float
        Seconds for an optimal solve (the status line shows the MIP gap).

    Attributes
    ----------
    controls : dict of str -> ipywidgets widget
        ``potential_high``, ``potential_low``, ``relationship_high`` (sliders 0-100);
        ``potential.<driver>`` and ``relationship.<driver>`` (weight sliders 0-1);
        ``reps.<role>`` and ``hours.<role>`` (capacity inputs); ``message.<segment>``
        (messaging text areas); with ``reps``: ``assign.method`` (greedy or optimal),
        ``assign.max_moves`` (slider; its maximum means no limit), ``quota.objective``,
        ``quota.method`` and the ``assign.run`` button.
    params : dict
        Current settings: ``thresholds``, ``potential_weights``, ``relationship_weights``,
        ``capacity``, ``messaging``.
    result : dict
        After each update: ``segmented`` (accounts with scores and segments), ``summary``
        (:func:`segment_summary`), ``coverage`` (:func:`coverage_plan`), ``capacity``
        (:func:`capacity_summary`), ``alpha`` (Alpha accounts by priority) and ``error``
        (None, or the message of a setting that cannot be used, e.g. thresholds out of
        order; the other entries then keep their last good values). After :meth:`assign`:
        ``assignment``, ``load`` (with the objective's parts in ``attrs["objective"]``),
        ``comparison`` (greedy beside the chosen method), ``quotas`` (a
        :class:`~salesworkbench.territory.QuotaPlan`) and ``assign_error``.
    widget : ipywidgets.VBox
        The app to display.
    """

    def __init__(
        self,
        accounts: pd.DataFrame,
        potential_high: float = 70,
        potential_low: float = 30,
        relationship_high: float = 50,
        *,
        model: ScoreModel | None = None,
        coverage: Mapping[str, Mapping[str, float]] | None = None,
        capacity: Mapping[str, Mapping[str, float]] | None = None,
        allocation: str | Mapping[str, float] = "priority",
        draw: bool = True,
        label_top: int = 0,
        dpi: int = 72,
        reps=None,
        match_on: str | None = None,
        objective: float | None = None,
        history=None,
        time_limit: float = 5.0,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self.accounts = accounts
        self.prepared = prepare(accounts, model)
        self.coverage = {k: dict(v) for k, v in (coverage or DEFAULT_COVERAGE).items()}
        self.allocation = allocation
        self.label_top = label_top
        self.dpi = dpi
        self.result: dict[str, Any] = {"error": None}
        self._fig = None
        self.reps = reps
        self.match_on = match_on
        self.history = history
        self.time_limit = time_limit

        start = {
            "potential_high": potential_high,
            "potential_low": potential_low,
            "relationship_high": relationship_high,
        }
        slider = {"kind": "FloatSlider", "min": 0.0, "max": 100.0, "step": 1.0}
        wide = {"description_width": "150px", "width": "420px"}
        self.add_controls(
            {
                name: {
                    **slider,
                    "value": float(start[name]),
                    "description": name.replace("_", " "),
                    "readout_format": ".0f",
                }
                for name in _THRESHOLDS
            },
            **wide,
        )
        weight_boxes = []
        for part in ("potential", "relationship"):
            weights = self.add_controls(
                {
                    f"{part}.{d.name}": {
                        **slider,
                        "value": float(d.weight),
                        "max": 1.0,
                        "step": 0.05,
                        "description": d.title,
                        "readout_format": ".2f",
                    }
                    for d in self.prepared.drivers[part]
                },
                **wide,
            )
            weight_boxes.append(
                widgets.VBox([widgets.HTML(f"<b>{part} weights</b>"), *weights.values()])
            )
        cap_rows = [widgets.HTML("<b>capacity per quarter</b>")]
        for role, spec in (capacity or DEFAULT_CAPACITY).items():
            reps = self.add_controls(
                {
                    f"reps.{role}": {
                        "kind": "BoundedIntText",
                        "value": int(spec.get("reps", 0)),
                        "min": 0,
                        "max": 10_000,
                        "description": f"{role.replace('_', ' ')} reps",
                    }
                },
                description_width="150px",
                width="260px",
            )
            hours = self.add_controls(
                {
                    f"hours.{role}": {
                        "kind": "BoundedFloatText",
                        "value": float(spec.get("hours_per_rep", 0.0)),
                        "min": 0.0,
                        "max": 10_000.0,
                        "step": 10.0,
                        "description": "hours per rep",
                    }
                },
                description_width="100px",
                width="200px",
            )
            cap_rows.append(widgets.HBox([*reps.values(), *hours.values()]))
        # messaging is text for the plan: it changes params, not the segmentation
        messages = self.add_controls(
            {
                f"message.{seg}": {
                    "kind": "Textarea",
                    "value": DEFAULT_MESSAGING.get(seg, ""),
                    "description": seg,
                    "layout": widgets.Layout(width="640px", height="60px"),
                }
                for seg in SEGMENTS
            },
            on_change=self._on_message,
        )

        self.status = widgets.HTML()
        self.out = widgets.Output()
        self.tables = widgets.Output()
        self.assign_status = widgets.HTML()
        self.assign_out = widgets.Output()
        assign_box = widgets.VBox([])
        if self.reps is not None:
            quota_methods = [m for m in QUOTA_METHODS if m == "potential" or history is not None]
            ctl = self.add_controls(
                {
                    "assign.method": {
                        "kind": "ToggleButtons",
                        "options": ["greedy", "optimal"],
                        "value": "optimal",
                        "description": "assignment",
                    },
                    "assign.max_moves": {
                        "kind": "IntSlider",
                        "value": len(accounts),
                        "min": 0,
                        "max": len(accounts),
                        "description": "max moves",
                    },
                    "quota.objective": {
                        "kind": "BoundedFloatText",
                        "value": float(objective if objective is not None else 1_000_000),
                        "min": 0.0,
                        "max": 1e15,
                        "step": 10_000.0,
                        "description": "objective",
                    },
                    "quota.method": {
                        "kind": "Dropdown",
                        "options": quota_methods,
                        "value": "potential",
                        "description": "quota split",
                    },
                },
                on_change=None,  # applied by assign(): an optimal solve takes seconds
                description_width="100px",
            )
            run = widgets.Button(description="assign & set quotas")
            run.on_click(lambda _b: self.assign())
            self.controls["assign.run"] = run
            assign_box = widgets.VBox(
                [
                    widgets.HTML(
                        "<b>assignment and quotas</b> (max moves at its maximum: no limit)"
                    ),
                    widgets.HBox([ctl["assign.method"], ctl["assign.max_moves"]]),
                    widgets.HBox([ctl["quota.objective"], ctl["quota.method"], run]),
                    self.assign_status,
                    self.assign_out,
                ]
            )
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    "<b>Territory segmentation</b>: move thresholds, weights and capacity"
                ),
                widgets.HBox(
                    [widgets.VBox([self.controls[k] for k in _THRESHOLDS]), widgets.VBox(cap_rows)]
                ),
                widgets.HBox(weight_boxes),
                self.status,
                self.out,
                self.tables,
                assign_box,
                widgets.VBox([widgets.HTML("<b>messaging strategy</b>"), *messages.values()]),
            ]
        )
        self.update()

    # ---------------------------------------------------------------- wiring
    def _on_message(self, change: dict) -> None:
        self.params["messaging"] = self._messaging()

    def _messaging(self) -> dict[str, str]:
        return {s: self.controls[f"message.{s}"].value for s in SEGMENTS}

    def _read_controls(self) -> None:
        c = self.controls
        self.params = {
            "thresholds": {k: float(c[k].value) for k in _THRESHOLDS},
            "potential_weights": {
                d.name: float(c[f"potential.{d.name}"].value)
                for d in self.prepared.drivers["potential"]
            },
            "relationship_weights": {
                d.name: float(c[f"relationship.{d.name}"].value)
                for d in self.prepared.drivers["relationship"]
            },
            "capacity": {
                k.split(".", 1)[1]: {
                    "reps": int(c[k].value),
                    "hours_per_rep": float(c["hours." + k[5:]].value),
                }
                for k in c
                if k.startswith("reps.")
            },
            "messaging": self._messaging(),
        }

    def update(self) -> dict[str, Any]:
        """Re-read the controls, re-segment, recompute coverage and redraw.

        Returns
        -------
        dict
            ``self.result``.
        """
        self._read_controls()
        p = self.params
        try:
            seg = segment(
                self.accounts,
                **p["thresholds"],
                potential_weights=p["potential_weights"],
                relationship_weights=p["relationship_weights"],
                scores="compute",
                prepared=self.prepared,
            )
        except ValueError as exc:  # thresholds out of order, all weights zero
            self.result = {**self.result, "error": str(exc)}
            self.status.value = error_html(exc)
            return self.result
        cov = coverage_plan(seg, self.coverage, p["capacity"], allocation=self.allocation)
        cap = capacity_summary(cov, p["capacity"])
        summary = segment_summary(seg)
        alpha = seg[seg["segment"] == "Alpha"].sort_values("priority")
        self.result = {
            "segmented": seg,
            "summary": summary,
            "coverage": cov,
            "capacity": cap,
            "alpha": alpha,
            "error": None,
        }
        counts = summary["accounts"]
        flags = cov[cov["status"] != "covered"]
        flag_text = "; ".join(
            f"{r.segment} {r.role.replace('_', ' ')}: {r.status} ({r.coverage:.0%})"
            for r in flags.itertuples()
        )
        self.status.value = (
            f"Alpha {counts['Alpha']}, Beta {counts['Beta']}, Delta {counts['Delta']} "
            f"({int(seg['insufficient_data'].sum())} with insufficient data)"
            + (f" &nbsp; {error_html(flag_text)}" if flag_text else " &nbsp; every segment covered")
        )
        if self.draw:
            self._redraw()
        return self.result

    def assign(self) -> dict[str, Any]:
        """Assign the current segmentation to the reps and split the objective into quotas.

        Uses ``assign.method``, ``assign.max_moves`` (its maximum: no limit),
        ``quota.objective`` and ``quota.method``; the account executives' hours per rep come
        from the capacity inputs. Greedy is always computed too, for the comparison.

        Returns
        -------
        dict
            ``self.result`` with ``assignment``, ``load``, ``comparison``, ``quotas`` and
            ``assign_error`` (None or the message, e.g. an infeasible max moves).
        """
        import warnings

        if self.reps is None:
            raise ValueError("no reps: create the explorer with reps=...")
        seg = self.result.get("segmented")
        if seg is None:
            raise ValueError(f"no segmentation yet: {self.result.get('error')}")
        c = self.controls
        method = c["assign.method"].value
        mm = int(c["assign.max_moves"].value)
        max_moves = None if mm >= c["assign.max_moves"].max or method == "greedy" else mm
        role = "account_executive"
        hours = self.params["capacity"].get(role, {}).get("hours_per_rep", 300.0)
        opts = {"coverage": self.coverage, "role": role, "hours_per_rep": float(hours)}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # under-coverage shows in the status line
                _, greedy = assign_accounts(
                    seg, self.reps, method="greedy", match_on=self.match_on, **opts
                )
                asg, load = (
                    assign_accounts(seg, self.reps, method="greedy", match_on=self.match_on, **opts)
                    if method == "greedy"
                    else assign_accounts(
                        seg,
                        self.reps,
                        match_on=self.match_on,
                        max_moves=max_moves,
                        time_limit=self.time_limit,
                        **opts,
                    )
                )
            quotas = set_quotas(
                float(c["quota.objective"].value),
                asg,
                c["quota.method"].value,
                history=self.history,
            )
        except ValueError as exc:  # infeasible max moves, floors/caps, no potential
            self.result = {**self.result, "assign_error": str(exc)}
            self.assign_status.value = error_html(exc)
            return self.result
        comparison = compare_assignments({"greedy": greedy, method: load})
        self.result = {
            **self.result,
            "assignment": asg,
            "load": load,
            "comparison": comparison,
            "quotas": quotas,
            "assign_error": None,
        }
        o = load.attrs["objective"]
        gap = "" if o["mip_gap"] != o["mip_gap"] else f", MIP gap {o['mip_gap']:.1%}"
        self.assign_status.value = (
            f"{method}: worst rep {o['potential_spread']:.1%} off a fair share of potential, "
            f"{o['hours_spread']:.1%} of hours; {o['moves']} accounts move; "
            f"{o['uncovered']} uncovered; {o['status']}{gap}"
        )
        if self.draw:
            table = quotas.summary[["potential", "share", "quota"]].join(
                quotas.fairness[["quota_per_potential"]]
            )
            self.show(self.assign_out, comparison, table.round(3))
        return self.result

    def plan(self, **fields) -> TerritoryPlan:
        """A :class:`TerritoryPlan` of the current settings (``fields``: name, reps, ...)."""
        if self.result.get("segmented") is None:
            raise ValueError(f"no segmentation yet: {self.result.get('error')}")
        return TerritoryPlan(
            self.result["segmented"],
            coverage=self.coverage,
            capacity=self.params["capacity"],
            allocation=self.allocation,
            messaging=self._messaging(),
            **fields,
        )

    # ---------------------------------------------------------------- drawing
    def _redraw(self) -> None:
        from matplotlib.figure import Figure

        from salesworkbench.plotting.territory import update_segment_matrix

        if self._fig is None:
            # one chart, kept and updated in place: the segment counts are in the legend and
            # the status line (a second chart cost a quarter of every redraw); a bare Figure
            # (not pyplot's) is shown through the Output widget only
            self._fig = Figure(figsize=(9.5, 5))
            self._fig.add_subplot()
            # fixed margins: tight cropping or tight_layout would cost a full draw per update
            self._fig.subplots_adjust(left=0.08, right=0.72, bottom=0.11, top=0.92)
        update_segment_matrix(self.result["segmented"], self._fig.axes[0], label_top=self.label_top)
        self.show(self.out, self._fig, dpi=self.dpi, tight=False)
        self.show(self.tables, self.result["coverage"].round(2))
