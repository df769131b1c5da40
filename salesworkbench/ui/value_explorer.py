"""ValueCaseExplorer: move each uncertain assumption's range and watch the value case respond.

The maths lives in :mod:`salesworkbench.value` and :mod:`salesworkbench.value`; this
class only builds controls from the case, keeps the current parameters in ``self.params`` and
stores what it computed in ``self.result``. Tests (and notebooks) drive it without a browser::

    app = ValueCaseExplorer(case, trials=20_000)
    app.controls["arpu_after"].value = (23.0, 27.0)   # new min and max
    app.controls["trials"].value = 50_000
    app.result["prob_positive"]
"""

from __future__ import annotations

import base64
import copy
import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from salesworkbench.errors import ValueCaseError
from salesworkbench.value import tornado

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


def _same(a: Any, b: Any) -> bool:
    """Equal parameters, reading numeric text ("2.0e6") as the number it is."""
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return a == b


def _nice_step(span: float) -> float:
    raw = span / 200.0 if span > 0 else 0.01
    return float(10 ** math.floor(math.log10(raw)))


class ValueCaseExplorer:
    """Interactive explorer of a value case: range sliders, trials, histogram, tornado, statement.

    Parameters
    ----------
    case : ValueCase
        The case to explore (not modified; each update simulates a copy).
    trials : int, default 100_000
        Monte Carlo trials per update (a slider too).
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
        ``{"trials": int, "assumptions": {name: spec}}``: the current settings.
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
        trials: int = 100_000,
        seed: int = 0,
        output: str = "value",
        tornado_output: str = "npv",
        draw: bool = True,
    ) -> None:
        import ipywidgets as widgets

        self.case = case
        self.seed = seed
        self.output = output
        self.tornado_output = tornado_output
        self.draw = draw
        self.params: dict[str, Any] = {"trials": int(trials), "assumptions": {}}
        self.controls: dict[str, Any] = {}
        self.result: dict[str, Any] = {}
        self._fig = None
        self._keys: dict[str, tuple[str, ...]] = {}
        self._pool: dict[str, Any] = dict(case.assumptions)

        style = {"description_width": "120px"}
        layout = widgets.Layout(width="520px")
        for name, assumption in case.assumptions.items():
            dist = assumption.dist
            if dist.is_fixed:
                continue
            spec = dict(dist.spec)
            keys = _slider_keys(spec)
            unit = f" ({assumption.unit})" if getattr(assumption, "unit", None) else ""
            if keys is None:
                self.params["assumptions"][name] = spec
                continue
            if len(keys) == 2:
                lo_key, hi_key = keys
                lo, hi = float(spec[lo_key]), float(spec[hi_key])
                span = hi - lo
                bound_lo, bound_hi = lo - span, hi + span
                if lo >= 0:
                    bound_lo = max(bound_lo, 0.0)
                if 0 <= lo and hi <= 1:
                    bound_hi = min(bound_hi, 1.0)
                control = widgets.FloatRangeSlider(
                    value=(lo, hi),
                    min=bound_lo,
                    max=bound_hi,
                    step=_nice_step(bound_hi - bound_lo),
                    description=name,
                    tooltip=f"{lo_key} / {hi_key}{unit}",
                    continuous_update=False,
                    readout_format=".3g",
                    style=style,
                    layout=layout,
                )
            else:
                (key,) = keys
                value = float(spec[key])
                top = 1.0 if key == "p" else 3 * value
                control = widgets.FloatSlider(
                    value=value,
                    min=0.0,
                    max=top,
                    step=_nice_step(top),
                    description=f"{name} {key}",
                    tooltip=f"{key}{unit}",
                    continuous_update=False,
                    readout_format=".3g",
                    style=style,
                    layout=layout,
                )
            self._keys[name] = keys
            self.params["assumptions"][name] = spec
            self.controls[name] = control
            control.observe(self._on_change, names="value")

        self.controls["trials"] = widgets.IntSlider(
            value=int(trials),
            min=1_000,
            max=max(1_000_000, int(trials)),
            step=1_000,
            description="trials",
            continuous_update=False,
            style=style,
            layout=layout,
        )
        self.controls["trials"].observe(self._on_change, names="value")
        self.headline = widgets.HTML()
        self.statement = widgets.HTML()
        self.out = widgets.Output()
        self.widget = widgets.VBox(
            [
                widgets.HTML(f"<b>{case.name}</b>: move an assumption's range to see the effect"),
                *self.controls.values(),
                self.headline,
                self.out,
                self.statement,
            ]
        )
        self.update()

    # ---------------------------------------------------------------- wiring
    def _on_change(self, change: dict) -> None:
        self.update()

    def _read_controls(self) -> None:
        self.params["trials"] = int(self.controls["trials"].value)
        for name, control in self.controls.items():
            if name == "trials":
                continue
            spec = dict(self.params["assumptions"][name])
            keys = self._keys[name]
            if len(keys) == 2:
                lo, hi = (float(v) for v in control.value)
                spec[keys[0]], spec[keys[1]] = lo, hi
                if "mode" in spec:  # keep the most likely value inside the new range
                    spec["mode"] = float(np.clip(float(spec["mode"]), lo, hi))
                if "p50" in spec and not lo < float(spec["p50"]) < hi:
                    spec["p50"] = (lo + hi) / 2.0  # elicited P50 must stay strictly inside
            else:
                spec[keys[0]] = float(control.value)
            self.params["assumptions"][name] = spec

    def current_case(self) -> ValueCase:
        """The case with the current slider settings applied (the original if none moved)."""
        from salesworkbench.value import ValueCase

        data = self.case.to_dict()
        changed = False
        for name in self.controls:
            if name == "trials":
                continue
            spec = self.params["assumptions"][name]
            original = self.case.assumptions[name].dist.spec
            if all(_same(spec.get(k), original.get(k)) for k in set(spec) | set(original)):
                continue
            old = data["assumptions"][name]
            meta = (
                {k: v for k, v in old.items() if k not in original} if isinstance(old, dict) else {}
            )
            data["assumptions"][name] = {**copy.deepcopy(spec), **meta}
            changed = True
        if not changed:
            return self.case
        case = ValueCase.from_dict(data, source=getattr(self.case, "source", "<explorer>"))
        # reuse distribution objects whose parameters did not change: they keep their fitted
        # fast quantile functions (a PERT's numerical inverse takes ~0.1 s to set up)
        for name, assumption in case.assumptions.items():
            cached = self._pool.get(name)
            if cached is not None and all(
                _same(assumption.dist.spec.get(k), cached.dist.spec.get(k))
                for k in set(assumption.dist.spec) | set(cached.dist.spec)
            ):
                case.assumptions[name] = cached
            else:
                self._pool[name] = assumption
        return case

    def update(self) -> dict[str, Any]:
        """Re-read the controls, re-simulate, recompute the tornado and redraw.

        Returns
        -------
        dict
            ``self.result``.
        """
        self._read_controls()
        try:
            case = self.current_case()
        except ValueCaseError as exc:  # e.g. a range slider squeezed to a point
            self.result = {**self.result, "error": str(exc)}
            self.headline.value = f"<span style='color:#c0504d'>{exc}</span>"
            return self.result
        sim = case.simulate(trials=self.params["trials"], seed=self.seed, progress=False)
        summary = sim.summary
        prob = float(sim.prob_positive(self.output))
        tor = tornado(case, output=self.tornado_output)
        statement = case.value_statement(sim)
        self.result = {
            "case": case,
            "simulation": sim,
            "summary": summary,
            "prob_positive": prob,
            "tornado": tor,
            "statement": statement,
        }
        row = summary.loc[self.output]
        self.headline.value = (
            f"<b>P({self.output} &gt; 0) = {prob:.1%}</b> &nbsp; mean {row['mean']:,.0f}, "
            f"P10 {row['p10']:,.0f}, P90 {row['p90']:,.0f} {case.currency} "
            f"({self.params['trials']:,} trials)"
        )
        self.statement.value = "<pre style='white-space: pre-wrap'>" + statement + "</pre>"
        if self.draw:
            self._redraw()
        return self.result

    # ---------------------------------------------------------------- drawing
    # The figure is built once; each update moves the existing artists (histogram steps,
    # percentile lines, tornado bars) instead of clearing the axes: rebuilding axes and ticks
    # costs several times more than the simulation itself.
    def _build_figure(self) -> None:
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        from salesworkbench.plotting.sensitivity import _HIGH_COLOUR, _LOW_COLOUR, _money_axis

        currency = self.case.currency
        fig, (ax_h, ax_t) = plt.subplots(1, 2, figsize=(11, 3.8), dpi=80)
        plt.close(fig)  # shown through the Output widget only
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.16, top=0.86, wspace=0.32)
        art: dict[str, Any] = {"fig": fig, "ax_h": ax_h, "ax_t": ax_t}
        art["neg"] = ax_h.stairs(
            [0.0], [0.0, 1.0], fill=True, color=_LOW_COLOUR, label=f"{self.output} < 0"
        )
        art["pos"] = ax_h.stairs(
            [0.0], [0.0, 1.0], fill=True, color=_HIGH_COLOUR, label=f"{self.output} >= 0"
        )
        art["lines"] = []
        for label in ("P10", "P50", "P90"):
            line = ax_h.axvline(0, color="black", lw=1, ls="-" if label == "P50" else "--")
            text = ax_h.annotate(
                label,
                (0, 1),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="bottom",
                fontsize="small",
            )
            art["lines"].append((line, text))
        ax_h.axvline(0, color="grey", lw=1)
        _money_axis(ax_h.xaxis, currency)
        ax_h.set_xlabel(f"{self.output} ({currency})")
        ax_h.set_ylabel("share of trials")
        ax_h.set_yticks([])  # counts carry no message; fewer labels also render faster
        ax_h.xaxis.set_major_locator(MaxNLocator(5))
        ax_t.xaxis.set_major_locator(MaxNLocator(5))
        ax_h.legend(fontsize="small", loc="upper left")
        k = max(1, len(self.result["tornado"]))
        art["low"] = ax_t.barh(np.arange(k), np.zeros(k), color=_LOW_COLOUR, label="at P10")
        art["high"] = ax_t.barh(np.arange(k), np.zeros(k), color=_HIGH_COLOUR, label="at P90")
        art["base"] = ax_t.axvline(0, color="black", lw=1)
        _money_axis(ax_t.xaxis, currency)
        ax_t.set_xlabel(f"{self.tornado_output.upper()} ({currency})")
        ax_t.set_title(f"Tornado: {self.tornado_output.upper()} with one assumption at P10 / P90")
        ax_t.legend(fontsize="small", loc="lower right")
        self._fig = fig
        self._art = art

    def _redraw(self) -> None:
        if self._fig is None:
            self._build_figure()
        self._draw_histogram()
        self._draw_tornado()
        # rendered here rather than through ui._output.show: a fixed layout without
        # bbox_inches="tight" renders once instead of twice (about 2.5x faster per update)
        buf = io.BytesIO()
        self._fig.savefig(buf, format="png", dpi=80, pil_kwargs={"compress_level": 1})
        self.out.outputs = (
            {
                "output_type": "display_data",
                "data": {
                    "image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
                    "text/plain": "<Figure: value distribution and tornado>",
                },
                "metadata": {},
            },
        )

    def _draw_histogram(self) -> None:
        art = self._art
        ax = art["ax_h"]
        y = np.asarray(self.result["simulation"].samples[self.output], dtype=float)
        y = y[np.isfinite(y)]
        counts, edges = np.histogram(y, bins=60)
        m = int(np.searchsorted(edges[:-1], 0.0, side="left"))  # bins starting below 0
        art["neg"].set_visible(m > 0)
        if m > 0:
            art["neg"].set_data(counts[:m], edges[: m + 1])
        art["pos"].set_visible(m < counts.size)
        if m < counts.size:
            art["pos"].set_data(counts[m:], edges[m:])
        for (line, text), q in zip(art["lines"], np.percentile(y, [10, 50, 90]), strict=True):
            line.set_xdata([q, q])
            text.xy = (q, 1)
        pad = 0.02 * (edges[-1] - edges[0])
        ax.set_xlim(min(edges[0], 0) - pad, max(edges[-1], 0) + pad)
        ax.set_ylim(0, 1.08 * counts.max())
        ax.set_title(f"P({self.output} > 0) = {self.result['prob_positive']:.1%}", pad=14)

    def _draw_tornado(self) -> None:
        art = self._art
        ax = art["ax_t"]
        table = self.result["tornado"].iloc[::-1]  # widest swing on top
        base = float(table.attrs.get("base", 0.0))
        ends = [base]
        for i, (low_bar, high_bar) in enumerate(zip(art["low"], art["high"], strict=True)):
            if i < len(table):
                lo, hi = float(table["output_low"].iloc[i]), float(table["output_high"].iloc[i])
            else:
                lo = hi = base
            low_bar.set_x(base)
            low_bar.set_width(lo - base)
            high_bar.set_x(base)
            high_bar.set_width(hi - base)
            ends += [lo, hi]
        art["base"].set_xdata([base, base])
        ax.set_yticks(np.arange(len(table)), [str(n) for n in table.index])
        span = max(ends) - min(ends) or max(abs(base), 1.0)
        ax.set_xlim(min(ends) - 0.05 * span, max(ends) + 0.05 * span)
        ax.set_ylim(-0.6, len(art["low"]) - 0.4)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
