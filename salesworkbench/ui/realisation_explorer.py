"""RealisationExplorer: the customer's actual placed within the case's own range.

A year after go-live the customer reports actuals. Pick a version of the case (the straw-man,
the case after a pilot, the signed case), an assumption or a benefit or investment line, and
enter or slide the actual: the app shows its percentile within the case's distribution, the
case's P10, P50 and P90, whether it is inside the P10-P90 band, and realised value to date
against the case, with the distribution drawn and the actual marked.

The maths lives in :mod:`salesworkbench.value.realisation` (:func:`realisation`,
:func:`case_distribution`); the app simulates each version once (per trials and seed) and
re-uses the simulation, so moving the actual only re-places it. Tests and notebooks drive it
without a browser::

    app = RealisationExplorer(store.history("the prospect"), actuals, trials=20_000)
    app.controls["name"].value = "adoption"
    app.controls["actual"].value = 0.66
    app.result["percentile"], app.result["inside"], app.result["value_to_date"]
    app.set(version=app.controls["version"].options[0], name="adoption", actual=0.7)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError
from salesworkbench.formatting import format_money, format_number, format_percent
from salesworkbench.render import escape
from salesworkbench.ui.base import App, error_html
from salesworkbench.value.realisation import case_distribution, realisation
from salesworkbench.value.versions import CaseVersion, VersionStore

if TYPE_CHECKING:
    from salesworkbench.value import ValueCase, ValueSimulation

__all__ = ["RealisationExplorer"]

#: Outcomes of the case the slider spans (an actual outside them widens it).
_SPAN = (0.001, 0.999)


def _label(item: Any, position: int) -> str:
    if isinstance(item, CaseVersion):
        return f"v{item.id} {item.date}: {item.note}" if item.note else f"v{item.id} {item.date}"
    return str(item.name) if getattr(item, "name", "") else f"case {position + 1}"


def _versions(cases: Any, key: str | None) -> dict[str, ValueCase]:
    """Label -> case, from a case, a version, a store, or a sequence or mapping of them."""
    if isinstance(cases, VersionStore):
        ids = cases.versions(key).index
        if not len(ids):
            of = f" of {key!r}" if key else ""
            raise ValueCaseError(f"{cases.path}: no stored versions{of}")
        cases = [cases.load(int(i)) for i in ids]
    if isinstance(cases, Mapping):
        items = [(str(k), v) for k, v in cases.items()]
    elif isinstance(cases, Sequence) and not isinstance(cases, str):
        items = [(_label(v, i), v) for i, v in enumerate(cases)]
    else:
        items = [(_label(cases, 0), cases)]
    if not items:
        raise ValueCaseError("RealisationExplorer needs at least one case or version")
    out: dict[str, ValueCase] = {}
    for label, item in items:
        case = item.case if isinstance(item, CaseVersion) else item
        if not hasattr(case, "assumptions"):
            raise ValueCaseError(f"not a value case or a stored version: {item!r}")
        unique, n = label, 2
        while unique in out:
            unique, n = f"{label} ({n})", n + 1
        out[unique] = case
    return out


def _choices(case: ValueCase) -> list[tuple[str, str]]:
    """(label, key) of what an actual can be reported for: uncertain assumptions, then lines."""
    out = [(n, n) for n, a in case.assumptions.items() if not a.dist.is_fixed]
    for kind, group in (("benefit", case.benefits), ("investment", case.investments)):
        out += [(f"{kind}: {ln.name}", f"{kind}:{ln.name}") for ln in group]
    return out


def _row_name(key: str) -> str:
    """The row of :attr:`Realisation.table` an actual's key lands in."""
    kind, _, rest = key.partition(":")
    return f"{kind}: {rest}" if rest and kind in ("benefit", "investment") else key


def _same_target(case: ValueCase, key: str, other: str) -> bool:
    """Whether two actual names mean the same assumption or line of ``case``."""
    if key == other:
        return True
    kind, _, rest = key.partition(":")
    return bool(rest) and other == rest and other not in case.assumptions


def _nice_step(span: float) -> float:
    raw = span / 400.0 if span > 0 and math.isfinite(span) else 0.01
    return float(10 ** math.floor(math.log10(raw)))


class RealisationExplorer(App):
    """Interactive placing of a customer's actual within a value case's own distribution.

    Parameters
    ----------
    cases : ValueCase, CaseVersion, VersionStore, or a sequence or mapping of them
        The case, or its versions (a store: every version, or those of ``key``; a mapping:
        label -> case). The dropdown lists them in order; the last is shown first.
    actuals : mapping, optional
        What the customer reported, name -> actual (as :func:`realisation` takes them). The
        actual of the chosen assumption or line is the control's; the rest stay as reported
        and make realised value to date.
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
        Trials of each version's simulation (simulated once per version, trials and seed).
    seed : int, default 0
    years : int, default 1
        Years the actuals cover (a control too).
    key : str, optional
        With a :class:`~salesworkbench.value.versions.VersionStore`: the history to show.
    version : str, optional
        The version shown first (a label of the dropdown; default the last).
    name : str, optional
        The assumption or line shown first (default the first reported uncertain one, else the
        case's first uncertain assumption).
    draw : bool, default True
        Draw into ``self.out``; False only computes.

    Attributes
    ----------
    controls : dict of str -> ipywidgets widget
        ``version`` (dropdown of labels), ``name`` (assumption, or ``"benefit:<line>"`` /
        ``"investment:<line>"``), ``actual`` (the value typed), ``actual_slider`` (the same
        value on a slider over the case's range) and ``years``.
    params : dict
        ``version``, ``name``, ``actual``, ``years``, ``trials``, ``seed``.
    result : dict
        ``realisation`` (the :class:`~salesworkbench.value.realisation.Realisation`), ``row``
        (its table's row of the chosen actual), ``percentile``, ``p10``, ``p50``, ``p90``,
        ``inside``, ``unit``, ``value_to_date`` (dict or None), ``table``, ``notes`` and
        ``message`` (why nothing could be computed, if so).
    cases : dict of str -> ValueCase
        The versions by label.
    widget : ipywidgets.VBox
    """

    def __init__(
        self,
        cases: Any,
        actuals: Mapping[str, float] | None = None,
        trials: int = VALUE_TRIALS,
        seed: int = 0,
        *,
        years: int = 1,
        key: str | None = None,
        version: str | None = None,
        name: str | None = None,
        draw: bool = True,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self.cases = _versions(cases, key)
        self.actuals = {str(k): v for k, v in dict(actuals or {}).items()}
        self.trials = int(trials)
        self.seed = int(seed)
        self._sims: dict[tuple, ValueSimulation] = {}
        self._samples: dict[tuple, np.ndarray] = {}
        self._fig = None
        labels = list(self.cases)
        first = labels[-1] if version is None else version
        if first not in self.cases:
            raise KeyError(f"no version {first!r}; versions: {', '.join(labels)}")
        case = self.cases[first]
        choices = _choices(case)
        if not choices:
            raise ValueCaseError(f"value case {case.name!r} has nothing uncertain to report")
        if name is None:
            keys = [k for _, k in choices]
            reported = [k for k in keys if any(_same_target(case, k, a) for a in self.actuals)]
            name = (reported or keys)[0]
        horizon = max(c.horizon_years for c in self.cases.values())
        self.add_controls(
            {
                "version": {
                    "kind": "Dropdown",
                    "options": labels,
                    "value": first,
                    "description": "version",
                },
                "name": {
                    "kind": "Dropdown",
                    "options": choices,
                    "value": name,
                    "description": "actual of",
                },
                "actual_slider": {
                    "kind": "FloatSlider",
                    "value": 0.0,
                    "min": -1.0,
                    "max": 1.0,
                    "step": 0.01,
                    "readout_format": ".4g",
                    "description": "slide",
                },
                "actual": {"kind": "FloatText", "value": 0.0, "description": "actual"},
                "years": {
                    "kind": "BoundedIntText",
                    "value": int(years),
                    "min": 1,
                    "max": int(horizon),
                    "description": "years reported",
                },
            },
            description_width="110px",
            width="420px",
        )
        self.controls["actual_slider"].layout.width = "560px"
        with self.silent():
            self.controls["actual"].value = self._default_actual()
        self.headline = widgets.HTML()
        self.out = widgets.Output()
        self.table_out = widgets.Output()
        ctl = self.controls
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Realised value</b>: an actual within the case's own range"),
                widgets.HBox([ctl["version"], ctl["name"]]),
                widgets.HBox([ctl["actual"], ctl["years"]]),
                ctl["actual_slider"],
                self.headline,
                self.out,
                self.table_out,
            ]
        )
        self.update()

    # ---------------------------------------------------------------- core calls (cached)
    @property
    def case(self) -> ValueCase:
        """The case of the version shown."""
        return self.cases[self.controls["version"].value]

    def simulation(self, label: str | None = None) -> ValueSimulation:
        """A version's simulation at the app's trials and seed (simulated once, then kept)."""
        label = self.controls["version"].value if label is None else label
        key = (label, self.trials, self.seed)
        if key not in self._sims:
            self._sims[key] = self.cases[label].simulate(
                self.trials, seed=self.seed, progress=False
            )
        return self._sims[key]

    def _sample(self, label: str, name: str, years: int) -> np.ndarray:
        key = (label, name, years, self.trials, self.seed)
        if key not in self._samples:
            self._samples[key] = case_distribution(
                self.cases[label],
                name,
                self.trials,
                self.seed,
                years=years,
                simulation=self.simulation(label),
            )
        return self._samples[key]

    def _reported(self, case: ValueCase, name: str) -> float | None:
        for key, value in self.actuals.items():
            if _same_target(case, name, key):
                return float(value)
        return None

    def _default_actual(self) -> float:
        """The reported actual of the chosen name, else the case's median (4 figures)."""
        case, name = self.case, self.controls["name"].value
        reported = self._reported(case, name)
        if reported is not None:
            return reported
        years = int(self.controls["years"].value)
        median = float(np.median(self._sample(self.controls["version"].value, name, years)))
        return float(f"{median:.4g}")

    def actuals_for(self, case: ValueCase, name: str, actual: float) -> dict[str, float]:
        """The reported actuals with ``name``'s replaced by ``actual`` (what the core gets).

        The replaced one keeps its place (the table's rows stay in the reported order); a name
        not reported comes last.
        """
        out: dict[str, float] = {}
        for key, value in self.actuals.items():
            if _same_target(case, name, key):
                out[name] = actual
            else:
                out[key] = value
        out.setdefault(name, actual)
        return out

    # ---------------------------------------------------------------- wiring
    def _refresh_names(self) -> bool:
        """Options of ``name`` for the version shown; True if the chosen name had to change."""
        choices = _choices(self.case)
        name = self.controls["name"]
        old = name.value
        keys = [k for _, k in choices]
        with self.silent():
            name.options = choices
            name.value = old if old in keys else keys[0]
        return name.value != old

    def _on_change(self, change: dict) -> None:
        if self.silenced:
            return
        owner = change.get("owner")
        with self.silent():
            if owner is self.controls["actual_slider"]:
                self.controls["actual"].value = float(change["new"])
            elif owner is self.controls["version"]:
                if self._refresh_names():
                    self.controls["actual"].value = self._default_actual()
            elif owner is self.controls["name"]:
                self.controls["actual"].value = self._default_actual()
        self.update()

    def set(self, **values: Any) -> dict[str, Any]:
        """Set several controls, then update once (see :meth:`App.set`).

        A new ``version`` brings its own list of names; a new ``name`` without an ``actual``
        brings its reported actual (or the case's median), as choosing it in the dropdown
        does. ``actual_slider`` alone sets ``actual``.
        """
        for key in values:
            if key not in self.controls:
                raise KeyError(f"no control {key!r}; controls: {', '.join(self.controls)}")
        values = dict(values)
        if "actual_slider" in values:
            values.setdefault("actual", values.pop("actual_slider"))
        with self.silent():
            if "years" in values:
                self.controls["years"].value = values.pop("years")
            reset = False
            if "version" in values:
                self.controls["version"].value = values.pop("version")
                reset = self._refresh_names()
            if "name" in values:
                reset = reset or values["name"] != self.controls["name"].value
                self.controls["name"].value = values.pop("name")
            if reset and "actual" not in values:
                self.controls["actual"].value = self._default_actual()
        return super().set(**values)

    def _sync_slider(self, sample: np.ndarray, actual: float) -> None:
        """Slider range: the case's outcomes (and the actual), a step of about 1/400 of it."""
        finite = sample[np.isfinite(sample)]
        lo, hi = (float(v) for v in np.quantile(finite, _SPAN)) if len(finite) else (0.0, 1.0)
        lo, hi = min(lo, actual), max(hi, actual)
        pad = 0.05 * (hi - lo) if hi > lo else max(abs(actual) * 0.1, 1.0)
        lo, hi = lo - pad, hi + pad
        step = _nice_step(hi - lo)
        lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
        slider = self.controls["actual_slider"]
        with self.silent():
            if lo > slider.max:
                slider.max, slider.min = hi, lo
            else:
                slider.min, slider.max = lo, hi
            slider.step = step
            # thousands with separators (104,030), smaller figures to 4 significant (0.6612)
            slider.readout_format = ",.0f" if max(abs(lo), abs(hi)) >= 1000 else ".4g"
            slider.value = min(max(actual, lo), hi)

    # ---------------------------------------------------------------- the app's work
    def update(self) -> dict[str, Any]:
        """Place the current actual within the chosen version's distribution.

        Returns
        -------
        dict
            ``self.result``.
        """
        label = self.controls["version"].value
        name = self.controls["name"].value
        actual = float(self.controls["actual"].value)
        years = int(self.controls["years"].value)
        case = self.cases[label]
        self.params = {
            "version": label,
            "name": name,
            "actual": actual,
            "years": years,
            "trials": self.trials,
            "seed": self.seed,
        }
        self.result = {"message": ""}
        try:
            if not math.isfinite(actual):
                raise ValueCaseError(f"actual {name!r} must be a finite number, got {actual!r}")
            sample = self._sample(label, name, years)
            real = realisation(
                case,
                self.actuals_for(case, name, actual),
                self.trials,
                self.seed,
                years=years,
                simulation=self.simulation(label),
            )
        except ValueCaseError as exc:
            self.result["message"] = str(exc)
            self.headline.value = error_html(exc)
            return self.result
        row = real.table.loc[_row_name(name)]
        self.result.update(
            {
                "realisation": real,
                "row": row,
                "actual": float(row["actual"]),
                "percentile": float(row["percentile"]),
                "p10": float(row["p10"]),
                "p50": float(row["p50"]),
                "p90": float(row["p90"]),
                "inside": bool(row["inside"]),
                "unit": row["unit"],
                "value_to_date": real.value_to_date,
                "table": real.table,
                "notes": list(real.notes),
            }
        )
        self._sync_slider(sample, actual)
        self.headline.value = self._headline(case, label)
        if self.draw:
            self._redraw(sample)
        return self.result

    def _figure(self, x: float, money: bool, unit: str) -> str:
        return format_money(x, self.case.currency) if money else f"{format_number(x, 4)}{unit}"

    def _headline(self, case: ValueCase, label: str) -> str:
        r, p = self.result, self.params
        money = r["row"]["kind"] != "assumption"
        unit = "" if money or not r["unit"] else f" {escape(r['unit'])}"

        def fig(x: float) -> str:
            return escape(self._figure(x, money, ""))

        where = "inside" if r["inside"] else "<b>outside</b>"
        text = (
            f"<b>{escape(case.name)}</b> ({escape(label)}): "
            f"<b>{escape(_row_name(p['name']))}</b> actual {fig(r['actual'])}{unit} sits at the "
            f"<b>{escape(format_percent(r['percentile']))}</b> percentile of the case's "
            f"distribution (P10 {fig(r['p10'])}, P50 {fig(r['p50'])}, P90 {fig(r['p90'])}): "
            f"{where} the P10-P90 band."
        )
        v = r["value_to_date"]
        years = "year 1" if p["years"] == 1 else f"years 1-{p['years']}"
        if v is None:
            why = "; ".join(r["notes"]) or "not every line can be valued from the actuals"
            return text + f"<br>Realised value to date: not known ({escape(why)})."
        cur = case.currency
        return text + (
            f"<br>Realised value to date ({years}): "
            f"<b>{escape(format_money(v['actual'], cur))}</b> at the "
            f"{escape(format_percent(v['percentile']))} percentile of the case's "
            f"{escape(format_money(v['p10'], cur))} to {escape(format_money(v['p90'], cur))} "
            f"(P10-P90; P50 {escape(format_money(v['p50'], cur))})."
        )

    def _redraw(self, sample: np.ndarray) -> None:
        """Redraw the one figure this app keeps (distribution and actual; all actuals)."""
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        from salesworkbench.plotting.versions import plot_actual_in_range, plot_realisation

        if self._fig is None:
            self._fig = Figure(figsize=(11, 3.6))  # not pyplot's: shown in self.out only
            self._fig.subplots(1, 2, width_ratios=[1.2, 1])
            self._fig.subplots_adjust(left=0.03, right=0.99, bottom=0.16, top=0.88, wspace=0.42)
        ax_d, ax_p = self._fig.axes
        for ax in (ax_d, ax_p):
            ax.clear()
        r = self.result
        plot_actual_in_range(sample, r["row"], name=_row_name(self.params["name"]), ax=ax_d)
        plot_realisation(r["realisation"], ax=ax_p)
        # less text to render (text is most of a redraw): the left legend explains the band
        ax_p.get_legend().remove()
        ax_p.set_xlabel("percentile within the case's distribution")
        for ax in (ax_d, ax_p):
            ax.xaxis.set_major_locator(MaxNLocator(5))
        self.show(self.out, self._fig, dpi=80, tight=False)
        table = r["table"].drop(columns="kind").copy()
        for col in ("actual", "p10", "p50", "p90"):
            table[col] = table[col].map(lambda x: format_number(x, 4))
        table["percentile"] = table["percentile"].map(format_percent)
        self.show(self.table_out, table)
