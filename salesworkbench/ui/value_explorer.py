"""ValueCaseExplorer: move each uncertain assumption's range and watch the value case respond.

The maths lives in :mod:`salesworkbench.value` (:func:`~salesworkbench.value.with_values`
makes the case the sliders describe) and the figures in :mod:`salesworkbench.plotting`; this
class builds controls from the case, keeps the current parameters in ``self.params`` and stores
what it computed in ``self.result``. Tests (and notebooks) drive it without a browser::

    app = ValueCaseExplorer(case, trials=20_000)
    app.controls["arpu_after"].value = (23.0, 27.0)   # new min and max
    app.controls["trials"].value = 50_000
    app.result["prob_positive"]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError
from salesworkbench.render import escape
from salesworkbench.ui.base import App, error_html
from salesworkbench.value import tornado, with_values

if TYPE_CHECKING:
    from salesworkbench.value import ValueCase

__all__ = ["ValueCaseExplorer"]


def _slider_keys(spec: dict) -> tuple[str, ...] | None:
    """Which parameters of a spec a slider edits: ``(low, high)``, ``(sd,)``/``(p,)`` or None."""
    for pair in (("min", "max"), ("p10", "p90")):
        if all(k in spec for k in pair):
            return pair
    for key in ("sd", "p"):
        if key in spec:
            return (key,)
    return None  # e.g. discrete: simulated as in the file, no slider


def _nice_step(span: float) -> float:
    raw = span / 200.0 if span > 0 else 0.01
    return float(10 ** math.floor(math.log10(raw)))


def _slider_spec(name: str, spec: dict, keys: tuple[str, ...], unit: str) -> dict[str, Any]:
    """A range slider over (low, high) with room either side, or a slider over sd / p."""
    common = {"readout_format": ".3g", "tooltip": f"{' / '.join(keys)}{unit}"}
    if len(keys) == 2:
        lo, hi = float(spec[keys[0]]), float(spec[keys[1]])
        span = hi - lo
        bound_lo, bound_hi = lo - span, hi + span
        if lo >= 0:
            bound_lo = max(bound_lo, 0.0)
        if 0 <= lo and hi <= 1:
            bound_hi = min(bound_hi, 1.0)
        return {
            "kind": "FloatRangeSlider",
            "value": (lo, hi),
            "min": bound_lo,
            "max": bound_hi,
            "step": _nice_step(bound_hi - bound_lo),
            "description": name,
            **common,
        }
    (key,) = keys
    value = float(spec[key])
    top = 1.0 if key == "p" else 3 * value
    return {
        "kind": "FloatSlider",
        "value": value,
        "min": 0.0,
        "max": top,
        "step": _nice_step(top),
        "description": f"{name} {key}",
        **common,
    }


class ValueCaseExplorer(App):
    """Interactive explorer of a value case: range sliders, trials, histogram, tornado, statement.

    Parameters
    ----------
    case : ValueCase
        The case to explore (not modified; each update simulates a copy).
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
        Monte Carlo trials per update (a slider too; the headline shows it).
    seed : int, default 0
        Seed for every simulation (the same settings always give the same picture).
    output : str, default "value"
        The output shown in the histogram and P(output > 0).
    tornado_output : str, default "npv"
        The output of the tornado chart.
    draw : bool, default True
        Draw figures into ``self.out``; False only computes (faster, for scripted use).

    Attributes
    ----------
    controls : dict of str -> ipywidgets widget
        One control per uncertain assumption (a ``FloatRangeSlider`` over min/max, P10/P90, or
        a ``FloatSlider`` over sd / p) plus ``"trials"``.
    params : dict
        ``{"trials": int, "assumptions": {name: spec}}``: the current settings (the specs as
        simulated, e.g. with a mode kept inside a moved range).
    result : dict
        After each update: ``case`` (the case simulated), ``simulation``, ``summary``,
        ``prob_positive``, ``tornado`` and ``statement``. When the settings do not make a valid
        case (e.g. a range squeezed to a point), ``error`` holds the message, the headline
        shows it, and the last good results stay.
    widget : ipywidgets.VBox
        The app to display.
    """

    def __init__(
        self,
        case: ValueCase,
        trials: int = VALUE_TRIALS,
        seed: int = 0,
        output: str = "value",
        tornado_output: str = "npv",
        draw: bool = True,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self.case = case
        self.seed = seed
        self.output = output
        self.tornado_output = tornado_output
        self._fig = None
        self._keys: dict[str, tuple[str, ...]] = {}
        self._cache: dict[str, Any] = {}  # assumptions with fitted quantile functions
        self._uncertain = [n for n, a in case.assumptions.items() if not a.dist.is_fixed]

        specs: dict[str, Any] = {}
        for name in self._uncertain:
            assumption = case.assumptions[name]
            spec = dict(assumption.dist.spec)
            keys = _slider_keys(spec)
            if keys is None:
                continue
            unit = f" ({assumption.unit})" if getattr(assumption, "unit", None) else ""
            self._keys[name] = keys
            specs[name] = _slider_spec(name, spec, keys, unit)
        specs["trials"] = {
            "kind": "IntSlider",
            "value": int(trials),
            "min": 1_000,
            "max": max(1_000_000, int(trials)),
            "step": 1_000,
            "description": "trials",
        }
        self.add_controls(specs, description_width="120px", width="520px")
        self.headline = widgets.HTML()
        self.statement = widgets.HTML()
        self.out = widgets.Output()
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    f"<b>{escape(case.name)}</b>: move an assumption's range to see the effect"
                ),
                *self.controls.values(),
                self.headline,
                self.out,
                self.statement,
            ]
        )
        self.update()

    # ---------------------------------------------------------------- the case
    def _slider_values(self) -> dict[str, dict[str, float]]:
        """The parameters the sliders set, by assumption."""
        values = {}
        for name, keys in self._keys.items():
            value = self.controls[name].value
            numbers = value if len(keys) == 2 else (value,)
            values[name] = {k: float(v) for k, v in zip(keys, numbers, strict=True)}
        return values

    def current_case(self) -> ValueCase:
        """The case with the current slider settings applied (the original if none moved).

        Raises
        ------
        ValueCaseError
            The settings do not make a valid case (see :func:`~salesworkbench.value.with_values`).
        """
        return with_values(self.case, self._slider_values(), cache=self._cache)

    def update(self) -> dict[str, Any]:
        """Re-read the controls, re-simulate, recompute the tornado and redraw.

        Returns
        -------
        dict
            ``self.result``.
        """
        values = self._slider_values()
        self.params = {
            "trials": int(self.controls["trials"].value),
            "assumptions": {
                n: {**self.case.assumptions[n].dist.spec, **values.get(n, {})}
                for n in self._uncertain
            },
        }
        try:
            case = self.current_case()
        except ValueCaseError as exc:  # e.g. a range slider squeezed to a point
            self.result = {**self.result, "error": str(exc)}
            self.headline.value = error_html(exc)
            return self.result
        self.params["assumptions"] = {
            n: dict(case.assumptions[n].dist.spec) for n in self._uncertain
        }
        sim = case.simulate(trials=self.params["trials"], seed=self.seed, progress=False)
        summary = sim.summary
        prob = float(sim.prob_positive(self.output))
        statement = case.value_statement(sim)
        self.result = {
            "case": case,
            "simulation": sim,
            "summary": summary,
            "prob_positive": prob,
            "tornado": tornado(case, output=self.tornado_output),
            "statement": statement,
        }
        row = summary.loc[self.output]
        self.headline.value = (
            f"<b>P({self.output} &gt; 0) = {prob:.1%}</b> &nbsp; mean {row['mean']:,.0f}, "
            f"P10 {row['p10']:,.0f}, P90 {row['p90']:,.0f} {escape(case.currency)} "
            f"({self.params['trials']:,} trials)"
        )
        self.statement.value = f"<pre style='white-space: pre-wrap'>{escape(statement)}</pre>"
        if self.draw:
            self._redraw()
        return self.result

    # ---------------------------------------------------------------- drawing
    def _redraw(self) -> None:
        """Put the new results into the one figure this app keeps, and show it.

        The plotting functions' ``update_*`` forms move the existing artists (histogram steps,
        percentile lines, tornado bars) instead of drawing anew, and the figure has fixed
        margins so it renders once without cropping: rebuilding axes and cropping cost several
        times more than the simulation itself.
        """
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        from salesworkbench.plotting.sensitivity import update_tornado
        from salesworkbench.plotting.value import update_value_distribution

        if self._fig is None:
            self._fig = Figure(figsize=(11, 3.8))  # not pyplot's: shown in self.out only
            self._fig.subplots(1, 2)
            self._fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.9, wspace=0.35)
        ax_h, ax_t = self._fig.axes
        update_value_distribution(self.result["simulation"], ax_h, output=self.output)
        update_tornado(self.result["tornado"], ax_t, currency=self.case.currency)
        for ax in (ax_h, ax_t):  # a few ticks: readable at this size, and quicker to draw
            ax.xaxis.set_major_locator(MaxNLocator(5))
        self.show(self.out, self._fig, dpi=80, tight=False)
