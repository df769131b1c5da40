"""ValueCaseExplorer: move each uncertain assumption's range and watch the value case respond.

The maths lives in :mod:`salesworkbench.value` (:func:`~salesworkbench.value.with_values`
makes the case the sliders describe; :func:`~salesworkbench.value.break_even`,
:func:`~salesworkbench.value.walk_away` and :func:`~salesworkbench.value.stress_table` answer the
negotiation's questions) and the figures in :mod:`salesworkbench.plotting`; this class builds
controls from the case, keeps the current parameters in ``self.params`` and stores what it
computed in ``self.result``. Tests (and notebooks) drive it without a browser::

    app = ValueCaseExplorer(case, trials=20_000)
    app.controls["arpu_after"].value = (23.0, 27.0)   # new min and max
    app.controls["trials"].value = 50_000
    app.result["prob_positive"]
    app.set(negotiation__target=0.9)                  # the "Negotiation" tab's controls
    app.result["negotiation"]["walk_away"].value
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError
from salesworkbench.formatting import format_money, format_number, format_percent
from salesworkbench.render import escape, html_table
from salesworkbench.ui.base import App, error_html
from salesworkbench.value import (
    break_even,
    common_draws,
    stress_table,
    tornado,
    walk_away,
    with_values,
)
from salesworkbench.value.negotiation import format_assumption_value

if TYPE_CHECKING:
    from salesworkbench.value import CommonDraws, ValueCase

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


#: Common draws kept per explorer: one per (slider settings, trials); moving a negotiation
#: control, or back to a recent setting, re-uses them.
_DRAWS_KEPT = 4
#: The controls of the "Negotiation" tab.
NEGOTIATION_CONTROLS = ("negotiation.assumption", "negotiation.price", "negotiation.target")
_MONEY_OUTPUTS = ("value", "npv", "total_benefits", "total_investment")


def _freeze(values: dict[str, dict[str, float]]) -> tuple:
    """Slider values as a hashable key."""
    return tuple(sorted((n, tuple(sorted(v.items()))) for n, v in values.items()))


def default_price(case: ValueCase) -> str:
    """The assumption a walk-away is asked of by default: our price.

    The first assumption in the case's currency (a fee, a node cost), else the first fixed
    assumption, else the first one.
    """
    cur = (case.currency or "").strip().lower()
    for name, a in case.assumptions.items():
        if cur and (a.unit or "").strip().lower() == cur:
            return name
    fixed = [n for n, a in case.assumptions.items() if a.dist.is_fixed]
    return fixed[0] if fixed else next(iter(case.assumptions))


class ValueCaseExplorer(App):
    """Interactive explorer of a value case: range sliders, trials, histogram, tornado, statement.

    A second tab, "Negotiation", answers the negotiation's questions on the case the sliders
    describe: the break-even of an assumption picked from a list, the walk-away value of our
    price at a target chance of positive value (a slider), and the stress table (each
    uncertain assumption's worst and best decile).

    Parameters
    ----------
    case : ValueCase
        The case to explore (not modified; each update simulates a copy).
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
        Monte Carlo trials per update (a slider too; the headline shows it).
    seed : int, default 0
        Seed for every simulation (the same settings always give the same picture).
    output : str, default "value"
        The output shown in the histogram and P(output > 0), and the one the negotiation tab
        analyses.
    tornado_output : str, default "npv"
        The output of the tornado chart.
    draw : bool, default True
        Draw figures into ``self.out``; False only computes (faster, for scripted use).
    negotiation : bool, default True
        Show the "Negotiation" tab. A customer-facing app passes False: the walk-away price is
        ours, not the customer's.
    assumption : str, optional
        The assumption whose break-even is shown first (default: the top of the tornado).
    price : str, optional
        The assumption whose walk-away value is shown first (default:
        :func:`default_price`, e.g. a fee in the case's currency).
    target : float, default 0.8
        The starting target chance of positive value for the walk-away.
    bounds : mapping of str -> (float, float), optional
        Search ranges for the break-even and walk-away of named assumptions (e.g.
        ``{"adoption": (0, 1)}``); others use the core's defaults (the plausible range, or a
        widening range around a fixed value).

    Attributes
    ----------
    controls : dict of str -> ipywidgets widget
        One control per uncertain assumption (a ``FloatRangeSlider`` over min/max, P10/P90, or
        a ``FloatSlider`` over sd / p) plus ``"trials"``; with the negotiation tab also
        ``"negotiation.assumption"``, ``"negotiation.price"`` (dropdowns of every assumption)
        and ``"negotiation.target"`` (a slider); set them from code with
        ``app.set(negotiation__target=0.9)``.
    params : dict
        ``{"trials": int, "assumptions": {name: spec}}``: the current settings (the specs as
        simulated, e.g. with a mode kept inside a moved range); with the negotiation tab also
        ``"negotiation": {"assumption", "price", "target"}``.
    result : dict
        After each update: ``case`` (the case simulated), ``simulation``, ``summary``,
        ``prob_positive``, ``tornado`` and ``statement``; with the negotiation tab also
        ``negotiation``: a dict with ``draws`` (the :class:`~salesworkbench.value.CommonDraws`
        of the case, those of ``simulation``), ``break_even`` (a
        :class:`~salesworkbench.value.BreakEven`), ``walk_away`` (a
        :class:`~salesworkbench.value.WalkAway`), ``stress_table`` (a
        :class:`~salesworkbench.value.StressTable`) and ``errors`` (messages of analyses the
        core refused, whose entry is then None). When the settings do not make a valid case
        (e.g. a range squeezed to a point), ``error`` holds the message, the headline shows
        it, and the last good results stay.
    widget : ipywidgets.VBox
        The app to display: the title over an ``ipywidgets.Tab`` (``self.tabs``) with the
        explorer and the negotiation view.
    """

    def __init__(
        self,
        case: ValueCase,
        trials: int = VALUE_TRIALS,
        seed: int = 0,
        output: str = "value",
        tornado_output: str = "npv",
        draw: bool = True,
        *,
        negotiation: bool = True,
        assumption: str | None = None,
        price: str | None = None,
        target: float = 0.8,
        bounds: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self.case = case
        self.seed = seed
        self.output = output
        self.tornado_output = tornado_output
        self.negotiation = negotiation
        self.bounds = {k: tuple(v) for k, v in (bounds or {}).items()}
        for name in self.bounds:
            if name not in case.assumptions:
                raise ValueCaseError(f"bounds given for {name!r}, which is not an assumption")
        self._fig = None
        self._neg_fig = None
        self._keys: dict[str, tuple[str, ...]] = {}
        self._cache: dict[str, Any] = {}  # assumptions with fitted quantile functions
        self._uncertain = [n for n, a in case.assumptions.items() if not a.dist.is_fixed]
        self._key: tuple | None = None  # the slider settings of the last good simulation
        self._draws: dict[tuple, dict[str, Any]] = {}  # key -> draws and analyses made on them
        self._neg_drawn: tuple | None = None  # what the negotiation figure shows

        specs: dict[str, Any] = {}
        for name in self._uncertain:
            assumption_ = case.assumptions[name]
            spec = dict(assumption_.dist.spec)
            keys = _slider_keys(spec)
            if keys is None:
                continue
            unit = f" ({assumption_.unit})" if getattr(assumption_, "unit", None) else ""
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
        explorer = widgets.VBox([*self.controls.values(), self.headline, self.out, self.statement])
        title = widgets.HTML(
            f"<b>{escape(case.name)}</b>: move an assumption's range to see the effect"
        )
        if negotiation:
            self._add_negotiation_controls(assumption, price, target)
            self.neg_headline = widgets.HTML()
            self.neg_out = widgets.Output()
            self.neg_table = widgets.HTML()
            c = self.controls
            view = widgets.VBox(
                [
                    widgets.HBox([c["negotiation.assumption"], c["negotiation.price"]]),
                    c["negotiation.target"],
                    self.neg_headline,
                    self.neg_out,
                    self.neg_table,
                ]
            )
            self.tabs = widgets.Tab(children=[explorer, view], titles=["Explorer", "Negotiation"])
            self.tabs.observe(self._on_tab, names="selected_index")
            self.widget = widgets.VBox([title, self.tabs])
        else:
            self.tabs = None
            self.widget = widgets.VBox([title, explorer])
        self.update()

    def _add_negotiation_controls(
        self, assumption: str | None, price: str | None, target: float
    ) -> None:
        names = list(self.case.assumptions)
        if assumption is None:
            top = list(tornado(self.case, output=self.output).index)
            assumption = top[0] if top else names[0]
        price = default_price(self.case) if price is None else price
        for what, name in (("assumption", assumption), ("price", price)):
            if name not in self.case.assumptions:
                raise ValueCaseError(f"{what} {name!r} is not an assumption of the case")
        if not 0.0 < float(target) < 1.0:
            raise ValueCaseError(f"target must be strictly between 0 and 1, got {target}")
        self.add_controls(
            {
                "negotiation.assumption": {
                    "kind": "Dropdown",
                    "options": names,
                    "value": assumption,
                    "description": "break-even of",
                },
                "negotiation.price": {
                    "kind": "Dropdown",
                    "options": names,
                    "value": price,
                    "description": "walk-away of",
                },
                "negotiation.target": {
                    "kind": "FloatSlider",
                    "value": float(target),
                    "min": 0.5,
                    "max": 0.99,
                    "step": 0.01,
                    "readout_format": ".0%",
                    "description": f"target P({self.output} > 0)",
                    "layout": {"width": "560px"},
                    "style": {"description_width": "160px"},
                },
            },
            description_width="120px",
        )

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

        The simulation, tornado and statement are recomputed only when an assumption slider or
        the trials moved (a negotiation control alone re-uses them); the negotiation analyses
        re-use the case's common draws (kept for the last few settings).

        Returns
        -------
        dict
            ``self.result``.
        """
        values = self._slider_values()
        trials = int(self.controls["trials"].value)
        key = (trials, _freeze(values))
        moved = key != self._key or "error" in self.result
        if moved:
            self.params = {
                "trials": trials,
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
                if self.negotiation:
                    self.neg_headline.value = error_html(exc)
                return self.result
            self._simulate(case, trials)
            self._key = key
        if self.negotiation:
            self.params["negotiation"] = {
                n.split(".", 1)[1]: self.controls[n].value for n in NEGOTIATION_CONTROLS
            }
            self.result["negotiation"] = self._negotiate(key)
        if self.draw:
            if moved:
                self._redraw()
            if self.negotiation and self.tabs.selected_index == 1:
                self._redraw_negotiation()
        return self.result

    def _simulate(self, case: ValueCase, trials: int) -> None:
        """Simulate ``case``; store the results and fill the headline and statement."""
        self.params["assumptions"] = {
            n: dict(case.assumptions[n].dist.spec) for n in self._uncertain
        }
        sim = case.simulate(trials=trials, seed=self.seed, progress=False)
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
            f"({trials:,} trials)"
        )
        self.statement.value = f"<pre style='white-space: pre-wrap'>{escape(statement)}</pre>"

    # ---------------------------------------------------------------- negotiation
    def _on_tab(self, change: dict) -> None:
        if change["new"] == 1 and self.draw and self._neg_drawn != self._neg_key():
            self._redraw_negotiation()

    def _neg_key(self) -> tuple:
        return (self._key, *(self.controls[n].value for n in NEGOTIATION_CONTROLS))

    def _memo(self, key: tuple, what: tuple, compute) -> Any:
        """``compute()`` once per (draws key, what); a refusal is kept as its message."""
        store = self._draws[key]
        if what not in store:
            try:
                store[what] = compute()
            except ValueCaseError as exc:
                store[what] = exc
        return store[what]

    def _negotiate(self, key: tuple) -> dict[str, Any]:
        """Break-even, walk-away and stress table of the current case on its common draws."""
        case = self.result["case"]
        if key not in self._draws:
            while len(self._draws) >= _DRAWS_KEPT:
                self._draws.pop(next(iter(self._draws)))
            self._draws[key] = {"draws": common_draws(case, key[0], self.seed)}
        else:
            self._draws[key] = self._draws.pop(key)  # most recently used last
        d: CommonDraws = self._draws[key]["draws"]
        name = self.controls["negotiation.assumption"].value
        price = self.controls["negotiation.price"].value
        target = float(self.controls["negotiation.target"].value)
        out = self.output
        found = {
            "break_even": self._memo(
                key,
                ("break_even", name),
                lambda: break_even(case, name, out, draws=d, bounds=self.bounds.get(name)),
            ),
            "walk_away": self._memo(
                key,
                ("walk_away", price, target),
                lambda: walk_away(case, price, target, out, draws=d, bounds=self.bounds.get(price)),
            ),
            "stress_table": self._memo(
                key, ("stress_table",), lambda: stress_table(case, out, draws=d)
            ),
        }
        errors = [str(v) for v in found.values() if isinstance(v, Exception)]
        neg = {
            "draws": d,
            **{k: None if isinstance(v, Exception) else v for k, v in found.items()},
            "errors": errors,
        }
        self.neg_headline.value = self._negotiation_html(neg)
        self.neg_table.value = self._stress_html(neg["stress_table"])
        return neg

    def _negotiation_html(self, neg: dict[str, Any]) -> str:
        """The negotiation tab's sentences, escaped (names and units are user text)."""
        lines = []
        be, wa, st = neg["break_even"], neg["walk_away"], neg["stress_table"]
        if be is not None:
            text = be.sentence if be.found else be.message
            if be.found and not math.isnan(be.prob_worse):
                text += (
                    f" (chance {be.assumption} falls on the losing side: "
                    f"{format_percent(be.prob_worse, 1)})"
                )
            lines.append(f"<b>Break-even:</b> {escape(text)}")
        if wa is not None:
            text = wa.sentence
            if wa.found:
                se = format_assumption_value(wa.case, wa.assumption, wa.se)
                text += f" (walk-away {format_assumption_value(wa.case, wa.assumption, wa.value)}"
                text += f", Monte Carlo standard error {se})"
            lines.append(f"<b>Walk-away:</b> {escape(text)}")
        if st is not None:
            base = format_percent(st.baseline["prob_positive"], 1)
            lines.append(
                f"<b>Stress test:</b> P({escape(self.output)} &gt; 0) = {base} over all "
                f"{st.trials:,} trials; below, each uncertain assumption in its worst and best "
                f"{format_percent(st.tail)}"
            )
        lines += [error_html(e) for e in neg["errors"]]
        notes = {r.note for r in (be, wa) if r is not None and r.note}
        lines += [f"<span style='color:#7f7f7f'>{escape(n)}</span>" for n in sorted(notes)]
        return "<br>".join(lines)

    def _stress_html(self, st: Any) -> str:
        """The stress table, formatted: each cell goes through the escaping table builder."""
        if st is None:
            return ""
        case = st.case
        money = self.output in _MONEY_OUTPUTS
        fmt = (lambda x: format_money(x, case.currency)) if money else format_number
        rows = [
            (
                r.assumption,
                r.band,
                f"{format_assumption_value(case, r.assumption, r.input_low)} to "
                f"{format_assumption_value(case, r.assumption, r.input_high)}",
                fmt(r.mean),
                fmt(r.p10),
                format_percent(r.prob_positive, 1),
                f"{100 * r.delta_prob:+.1f} pts",
            )
            for r in st.summary.itertuples()
        ]
        header = (
            "assumption",
            "band",
            "its values",
            f"mean {self.output}",
            "P10",
            f"P({self.output} > 0)",
            "change",
        )
        table = html_table(header, rows, num_cols=(3, 4, 5, 6), cls="sw-stress")
        return (
            "<style>.sw-stress td.num, .sw-stress th.num {text-align: right}"
            " .sw-stress td, .sw-stress th {padding: 1px 8px}</style>" + table
        )

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

    def _redraw_negotiation(self) -> None:
        """Break-even curve, walk-away curve and stress bars in the negotiation tab's figure.

        Drawn only while the tab is showing (switching to it draws what is missing).
        """
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        from salesworkbench.plotting.negotiation import (
            plot_break_even,
            plot_stress_table,
            plot_walk_away,
        )

        neg = self.result.get("negotiation")
        if neg is None:
            return
        if self._neg_fig is None:
            self._neg_fig = Figure(figsize=(13, 3.8))
            self._neg_fig.subplots(1, 3)
            self._neg_fig.subplots_adjust(left=0.06, right=0.99, bottom=0.16, top=0.88, wspace=0.45)
        for ax in self._neg_fig.axes:
            ax.clear()
        ax_b, ax_w, ax_s = self._neg_fig.axes
        for ax, result, plot in (
            (ax_b, neg["break_even"], plot_break_even),
            (ax_w, neg["walk_away"], plot_walk_away),
            (ax_s, neg["stress_table"], plot_stress_table),
        ):
            if result is None:
                ax.set_axis_off()
                continue
            ax.set_axis_on()
            plot(result, ax=ax)
            ax.xaxis.set_major_locator(MaxNLocator(4))
        # the sentences are in the headline above; short titles here
        for ax, what in ((ax_b, "Break-even"), (ax_w, "Walk-away")):
            if ax.axison:
                ax.set_title(f"{what}: {ax.get_xlabel()}", fontsize=10)
        self.show(self.neg_out, self._neg_fig, dpi=80, tight=False)
        self._neg_drawn = self._neg_key()
