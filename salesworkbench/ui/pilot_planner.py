"""PilotPlanner: which assumption to pilot, how big a pilot pays, and what its result changes.

The maths lives in :mod:`salesworkbench.voi`; this class builds the controls, keeps the current
settings in ``self.params`` and stores what it computed in ``self.result``. Tests and notebooks
drive it without a browser::

    app = PilotPlanner(case, trials=20_000)
    app.controls["assumption"].value = "adoption"
    app.controls["design"].value = "binomial"
    app.controls["per_unit"].value = 250.0
    app.result["optimal_n"], app.result["enbs"]
    app.controls["observed"].value = 0.31
    app.controls["pilot_n"].value = 60
    app.controls["apply"].click()
    app.result["update"].table
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from salesworkbench.defaults import PILOT_TRIALS
from salesworkbench.render import escape
from salesworkbench.ui.base import App, error_html
from salesworkbench.voi import (
    DEFAULT_SD_FACTOR,
    PilotCosts,
    enbs,
    evsi,
    n_grid,
    plan_pilots,
    update_after_pilot,
)

if TYPE_CHECKING:
    from salesworkbench.value import ValueCase

__all__ = ["PilotPlanner"]


class PilotPlanner(App):
    """Interactive pilot planner for a value case.

    Parameters
    ----------
    case : ValueCase
        The case (not modified; a pilot result is applied to a copy).
    trials : int, default :data:`~salesworkbench.defaults.PILOT_TRIALS`
        Simulations used for every value-of-information figure.
    seed : int, default 0
    costs : PilotCosts or mapping, optional
        Starting pilot costs (fixed, per_unit, delay, scale).
    max_n : int, default 1000
        Largest pilot size considered (a control too).
    designs : dict, optional
        Per assumption ``{"design": ..., "sd": ...}`` as in
        :func:`~salesworkbench.voi.plan_pilots`; sets the plan and the controls' defaults.
    draw : bool, default True
        Draw figures into ``self.out``; False only computes.

    Attributes
    ----------
    controls : dict of str -> ipywidgets widget
        ``assumption``, ``design``, ``sd`` (sd of one normal observation), ``fixed``,
        ``per_unit``, ``delay``, ``scale``, ``max_n``; and for the pilot result ``observed``,
        ``pilot_n`` and the ``apply`` button.
    params : dict
        The current settings.
    result : dict
        ``plan`` (ranked pilot plan), ``evsi`` (EVSIResult of the chosen assumption and design),
        ``enbs`` (table by pilot size), ``optimal_n``, ``enbs_max``, ``threshold``, ``flip``,
        ``message`` (why nothing could be computed, if so) and, after ``apply``, ``update``
        (a :class:`~salesworkbench.voi.PilotUpdate`).
    widget : ipywidgets.VBox
    """

    def __init__(
        self,
        case: ValueCase,
        trials: int = PILOT_TRIALS,
        seed: int = 0,
        costs: PilotCosts | dict | None = None,
        max_n: int = 1000,
        designs: dict | None = None,
        draw: bool = True,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self.case = case
        self.trials = int(trials)
        self.seed = seed
        self.simulation = case.simulate(self.trials, seed=seed, progress=False)
        self._cache: dict = {}
        self.designs = dict(designs or {})
        c = PilotCosts.coerce(costs)
        samples = self.simulation.samples
        self.uncertain = [
            nm
            for nm, a in case.assumptions.items()
            if not a.dist.is_fixed and float(samples[nm].std()) > 0
        ]
        if not self.uncertain:
            raise ValueError(f"value case {case.name!r} has no uncertain assumption to pilot")
        plan = self._plan(c, int(max_n))
        first = plan.index[0] if len(plan) else self.uncertain[0]

        cur = case.currency

        def amount(description: str, value: float) -> dict:
            return {"kind": "FloatText", "value": float(value), "description": description}

        self.add_controls(
            {
                "assumption": {
                    "kind": "Dropdown",
                    "options": self.uncertain,
                    "value": first,
                    "description": "assumption to test",
                },
                "design": {
                    "kind": "Dropdown",
                    "options": ["normal", "binomial"],
                    "value": "normal",
                    "description": "pilot design",
                },
                "sd": amount("sd of one observation", 1.0),
                "fixed": amount(f"fixed cost ({cur})", c.fixed),
                "per_unit": amount(f"cost per unit ({cur})", c.per_unit),
                "delay": amount(f"delay cost ({cur})", c.delay),
                "scale": amount("decisions served", c.scale),
                "max_n": {
                    "kind": "BoundedIntText",
                    "value": int(max_n),
                    "min": 2,
                    "max": 1_000_000,
                    "description": "max pilot size",
                },
            },
            description_width="150px",
            width="420px",
        )
        # the pilot's result is read when the button is pressed, not on every keystroke
        self.add_controls(
            {
                "observed": amount("pilot result", 0.0),
                "pilot_n": {
                    "kind": "BoundedIntText",
                    "value": 10,
                    "min": 1,
                    "max": 10_000_000,
                    "description": "pilot size run",
                },
                "apply": widgets.Button(description="Apply pilot result", button_style="primary"),
            },
            on_change=None,
            description_width="150px",
            width="420px",
        )
        self.controls["apply"].on_click(self._on_apply)
        self._set_defaults_for(first)
        self.headline = widgets.HTML()
        self.out = widgets.Output()
        self.plan_out = widgets.Output()
        self.update_out = widgets.Output()
        ctl = self.controls
        self.widget = widgets.VBox(
            [
                widgets.HTML(f"<b>{escape(case.name)}</b>: plan a pilot"),
                widgets.HBox(
                    [
                        widgets.VBox([ctl["assumption"], ctl["design"], ctl["sd"], ctl["max_n"]]),
                        widgets.VBox([ctl["fixed"], ctl["per_unit"], ctl["delay"], ctl["scale"]]),
                    ]
                ),
                self.headline,
                self.out,
                self.plan_out,
                widgets.HTML("<b>After the pilot</b>: enter its result"),
                widgets.HBox([ctl["observed"], ctl["pilot_n"], ctl["apply"]]),
                self.update_out,
            ]
        )
        self.update()

    # ---------------------------------------------------------------- core calls
    def _costs(self) -> PilotCosts:
        return PilotCosts(
            fixed=float(self.controls["fixed"].value),
            per_unit=float(self.controls["per_unit"].value),
            delay=float(self.controls["delay"].value),
            scale=float(self.controls["scale"].value),
        )

    def _plan(self, costs: PilotCosts, max_n: int):
        plan = plan_pilots(
            self.case,
            costs=costs,
            max_n=max_n,
            seed=self.seed,
            designs=self.designs,
            simulation=self.simulation,
            cache=self._cache,
        )
        self.result["plan"] = plan
        return plan

    def _theta(self, name: str) -> np.ndarray:
        return self.simulation.samples[name].to_numpy(dtype=float)

    def _set_defaults_for(self, name: str) -> None:
        """Design, sd and a plausible pilot result for a newly chosen assumption."""
        theta = self._theta(name)
        plan = self.result.get("plan")
        design = "normal"
        if plan is not None and name in plan.index and isinstance(plan.loc[name, "design"], str):
            design = plan.loc[name, "design"]
        with self.silent():
            self.controls["design"].value = design
            sd = self.designs.get(name, {}).get("sd", DEFAULT_SD_FACTOR * theta.std())
            self.controls["sd"].value = float(f"{sd:.3g}")
            self.controls["observed"].value = float(f"{np.mean(theta):.4g}")

    # ---------------------------------------------------------------- wiring
    def _on_change(self, change: dict) -> None:
        if self.silenced:
            return
        if change.get("owner") is self.controls["assumption"]:
            self._set_defaults_for(change["new"])
        self.update()

    def set(self, **values: Any) -> dict[str, Any]:
        """Set several controls, then update once (see :meth:`App.set`).

        A new ``assumption`` first brings its own design, sd and plausible pilot result, as
        choosing it in the dropdown does; values given alongside it win.
        """
        if "assumption" in values:
            with self.silent():
                self.controls["assumption"].value = values["assumption"]
            self._set_defaults_for(values["assumption"])
        return super().set(**values)

    def _on_apply(self, _button: Any = None) -> None:
        self.apply_pilot()

    def update(self) -> dict[str, Any]:
        """Recompute the EVSI/ENBS curves and the plan from the current controls.

        Returns
        -------
        dict
            ``self.result``.
        """
        name = self.controls["assumption"].value
        design = self.controls["design"].value
        sd = float(self.controls["sd"].value)
        max_n = int(self.controls["max_n"].value)
        self.params = {
            "assumption": name,
            "design": design,
            "sd": sd if design == "normal" else None,
            "max_n": max_n,
            "costs": vars(self._costs()).copy(),
        }
        for key in ("evsi", "enbs", "optimal_n", "enbs_max", "threshold", "flip"):
            self.result.pop(key, None)
        self.result["message"] = ""
        try:
            costs = self._costs()
            grid = n_grid(max_n)
            key = ("evsi", name, design, sd if design == "normal" else None, tuple(grid))
            if key not in self._cache:
                self._cache[key] = evsi(
                    self.simulation.samples["npv"],
                    self.simulation.samples,
                    name,
                    grid,
                    design=design,
                    sd=sd if design == "normal" else None,
                    seed=self.seed,
                )
            res = self._cache[key]
            table = enbs(res, costs)
            self._plan(costs, max_n)
        except (ValueError, KeyError) as exc:
            self.result["message"] = str(exc)
            self.headline.value = error_html(exc)
            return self.result
        best = table["enbs"].idxmax()
        worth = bool(table["optimal"].any())
        self.result.update(
            {
                "evsi": res,
                "enbs": table,
                "optimal_n": int(best) if worth else 0,
                "enbs_max": float(table.loc[best, "enbs"]) if worth else 0.0,
                "threshold": float(res.table.loc[best, "threshold"]),
                "flip": res.table.loc[best, "flip"],
            }
        )
        self.headline.value = self._headline()
        if self.draw:
            self._redraw()
        return self.result

    def _headline(self) -> str:
        r, cur = self.result, escape(self.case.currency)
        name = self.params["assumption"]
        plan = r["plan"]
        head = (
            f"Today: <b>{plan.attrs['current_decision']}</b>, P(value &gt; 0) = "
            f"{plan.attrs['prob_value_positive']:.2f}, EVPI {cur} {plan.attrs['evpi']:,.0f}. "
        )
        if r["optimal_n"] == 0:
            return head + f"A pilot on <b>{name}</b> does not pay for itself at these costs."
        thr = r["threshold"]
        flip = (
            f"; the decision flips if the result comes out {r['flip']} {thr:.4g}"
            if np.isfinite(thr)
            else ""
        )
        return head + (
            f"Best pilot on <b>{name}</b> ({self.params['design']}): n = {r['optimal_n']:,}, "
            f"ENBS {cur} {r['enbs_max']:,.0f}{flip}."
        )

    def _redraw(self) -> None:
        import matplotlib.pyplot as plt

        from salesworkbench.plotting.voi import plot_enbs, plot_evppi

        r = self.result
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        plot_evppi(r["plan"], currency=self.case.currency, ax=axes[0])
        plot_enbs(
            r["enbs"],
            evppi=self._costs().scale * r["evsi"].evppi,
            currency=self.case.currency,
            title=f"Pilot on {self.params['assumption']} ({self.params['design']})",
            ax=axes[1],
        )
        fig.tight_layout()
        self.show(self.out, fig)  # closes the figure
        self.show(self.plan_out, r["plan"].round(3))

    def apply_pilot(self) -> None:
        """Apply ``observed`` / ``pilot_n`` to the chosen assumption and re-simulate."""
        name = self.params["assumption"]
        try:
            upd = update_after_pilot(
                self.case,
                name,
                float(self.controls["observed"].value),
                int(self.controls["pilot_n"].value),
                design=self.params["design"],
                sd=self.params["sd"],
                trials=self.trials,
                seed=self.seed,
            )
        except (ValueError, KeyError) as exc:
            self.result["update"] = None
            self.result["message"] = str(exc)
            if self.draw:
                self.show(self.update_out, str(exc))
            return
        self.result["update"] = upd
        if self.draw:
            verdict = "Decision changed." if upd.decision_changed else "Decision unchanged."
            self.show(self.update_out, upd.table, f"{verdict} {name}: {upd.posterior}")
