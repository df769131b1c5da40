"""OptionsComparison: our offer, a competitor's and doing nothing, side by side on the same trials.

The maths lives in :mod:`salesworkbench.value` (:func:`~salesworkbench.value.compare` and
:func:`~salesworkbench.value.acceptability_curve`) and the figures in
:mod:`salesworkbench.plotting.negotiation`; this class only wires controls to them. Tests (and
notebooks) drive it without a browser::

    app = OptionsComparison(
        {"status quo": status_quo, "competitor": competitor, "our offer": ours},
        price="node_cost", prices=(1.5e6, 4e6),
    )
    app.controls["baseline"].value = "status quo"
    app.set(prices=(1e6, 3e6), output="npv")
    app.result["summary"], app.result["difference"], app.result["curve"].summary
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError
from salesworkbench.formatting import format_money, format_number, format_percent
from salesworkbench.render import escape, html_table
from salesworkbench.ui.base import App, error_html
from salesworkbench.ui.value_explorer import default_price
from salesworkbench.value import OUTPUTS, acceptability_curve, compare

if TYPE_CHECKING:
    from salesworkbench.value import AcceptabilityCurve, Comparison, ValueCase

__all__ = ["OptionsComparison"]

#: Results kept per app (comparisons by output and trials, curves also by price range).
_KEPT = 4
_MONEY_OUTPUTS = ("value", "npv", "total_benefits", "total_investment")
_TABLE_CSS = (
    "<style>.sw-options td.num, .sw-options th.num {text-align: right}"
    " .sw-options td, .sw-options th {padding: 1px 8px}</style>"
)


def _remember(store: dict, key: tuple, compute) -> Any:
    """``store[key]``, computed once; the oldest entries go beyond :data:`_KEPT`."""
    if key in store:
        store[key] = store.pop(key)  # most recently used last
    else:
        while len(store) >= _KEPT:
            store.pop(next(iter(store)))
        store[key] = compute()
    return store[key]


class OptionsComparison(App):
    """Options compared on common random numbers, with the acceptability curve of our price.

    Parameters
    ----------
    options : mapping of str -> ValueCase
        At least two options, e.g. ``{"status quo": ..., "competitor": ..., "our offer": ...}``.
        Same-named assumptions share their draws (see :func:`~salesworkbench.value.compare`).
    option : str, optional
        The option whose price moves in the acceptability curve (default: the last one).
    price : str, optional
        Its assumption to move (default: :func:`~salesworkbench.ui.value_explorer.default_price`,
        e.g. a fee in the case's currency).
    prices : (float, float), optional
        The starting range of the curve (default: half to twice the price's most likely
        value).
    baseline : str, optional
        The option differences are taken against (default: the first).
    output : str, default "value"
        One of :data:`~salesworkbench.value.OUTPUTS`.
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
    seed : int, default 0
    points : int, default 41
        Prices on the acceptability curve.
    draw : bool, default True
        Draw into ``self.out``; False only computes.

    Attributes
    ----------
    controls : dict of str -> ipywidgets widget
        ``baseline`` and ``output`` (dropdowns), ``prices`` (a range slider over the curve's
        price range) and ``trials``.
    params : dict
        ``baseline``, ``output``, ``prices`` (low, high), ``trials``, and the fixed ``option``,
        ``price`` and ``seed``.
    result : dict
        ``comparison`` (:class:`~salesworkbench.value.Comparison`), ``summary`` (mean, P10,
        P50, P90, P(output > 0), P(best) per option), ``difference`` (each option minus the
        baseline), ``curve`` (:class:`~salesworkbench.value.AcceptabilityCurve`) and ``error``
        (None, or the message of a setting the core refused).
    widget : ipywidgets.VBox
        The app to display.
    """

    def __init__(
        self,
        options: Mapping[str, ValueCase],
        *,
        option: str | None = None,
        price: str | None = None,
        prices: Sequence[float] | None = None,
        baseline: str | None = None,
        output: str = "value",
        trials: int = VALUE_TRIALS,
        seed: int = 0,
        points: int = 41,
        draw: bool = True,
    ) -> None:
        import ipywidgets as widgets

        super().__init__(draw=draw)
        self.options = dict(options)
        if len(self.options) < 2:
            raise ValueCaseError("OptionsComparison needs at least two options")
        names = list(self.options)
        self.option = names[-1] if option is None else option
        if self.option not in self.options:
            raise ValueCaseError(f"option {self.option!r} is not one of {', '.join(names)}")
        case = self.options[self.option]
        self.price = default_price(case) if price is None else price
        if self.price not in case.assumptions:
            raise ValueCaseError(f"option {self.option!r} has no assumption {self.price!r}")
        baseline = names[0] if baseline is None else baseline
        if baseline not in self.options:
            raise ValueCaseError(f"baseline {baseline!r} is not one of {', '.join(names)}")
        if output not in OUTPUTS:
            raise ValueCaseError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")
        self.seed = int(seed)
        self.points = int(points)
        self.currency = case.currency
        lo, hi = self._price_range(case, self.price, prices)
        self._comparisons: dict[tuple, Comparison] = {}
        self._curves: dict[tuple, AcceptabilityCurve] = {}
        self._fig = None

        self.add_controls(
            {
                "baseline": {
                    "kind": "Dropdown",
                    "options": names,
                    "value": baseline,
                    "description": "compare against",
                },
                "output": {
                    "kind": "Dropdown",
                    "options": list(OUTPUTS),
                    "value": output,
                    "description": "output",
                },
                "prices": {
                    "kind": "FloatRangeSlider",
                    "value": (lo, hi),
                    "min": 0.0 if lo >= 0 else lo - (hi - lo),
                    "max": hi + (hi - lo),
                    "step": (hi - lo) / 100,
                    "readout_format": ".3s",
                    "description": f"{self.price.replace('_', ' ')} range",
                    "layout": {"width": "520px"},
                },
                "trials": {
                    "kind": "IntSlider",
                    "value": int(trials),
                    "min": 1_000,
                    "max": max(1_000_000, int(trials)),
                    "step": 1_000,
                    "description": "trials",
                    "layout": {"width": "520px"},
                },
            },
            description_width="130px",
        )
        self.headline = widgets.HTML()
        self.table = widgets.HTML()
        self.out = widgets.Output()
        c = self.controls
        title = ", ".join(escape(n) for n in names)
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    f"<b>Options side by side</b>: {title} (the acceptability curve moves "
                    f"{escape(self.price.replace('_', ' '))} of {escape(self.option)})"
                ),
                widgets.HBox([c["baseline"], c["output"]]),
                c["prices"],
                c["trials"],
                self.headline,
                self.table,
                self.out,
            ]
        )
        self.update()

    @staticmethod
    def _price_range(
        case: ValueCase, price: str, prices: Sequence[float] | None
    ) -> tuple[float, float]:
        """The curve's starting range: as given, or half to twice the price's likely value."""
        if prices is not None:
            lo, hi = (float(p) for p in prices)
        else:
            v = float(case.assumptions[price].dist.most_likely())
            lo, hi = sorted((0.5 * v, 2.0 * v))
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueCaseError(f"prices must be (low, high) with low < high, got {prices}")
        return lo, hi

    # ---------------------------------------------------------------- the work
    def update(self) -> dict[str, Any]:
        """Re-read the controls, compare the options, recompute the curve and redraw.

        A comparison is kept per (output, trials) and a curve per (output, trials, price
        range): picking another baseline only takes other differences.

        Returns
        -------
        dict
            ``self.result``.
        """
        c = self.controls
        output, trials = c["output"].value, int(c["trials"].value)
        lo, hi = (float(v) for v in c["prices"].value)
        self.params = {
            "baseline": c["baseline"].value,
            "output": output,
            "prices": (lo, hi),
            "trials": trials,
            "option": self.option,
            "price": self.price,
            "seed": self.seed,
        }
        try:
            base = _remember(
                self._comparisons,
                (output, trials),
                lambda: compare(self.options, trials, self.seed, output),
            )
            cmp = dataclasses.replace(base, baseline=self.params["baseline"])
            xs = np.linspace(lo, hi, self.points) if hi > lo else np.array([lo])
            curve = _remember(
                self._curves,
                (output, trials, lo, hi),
                lambda: acceptability_curve(
                    self.options, self.option, self.price, xs, trials, self.seed, output
                ),
            )
        except ValueCaseError as exc:
            self.result = {**self.result, "error": str(exc)}
            self.headline.value = error_html(exc)
            return self.result
        self.result = {
            "comparison": cmp,
            "summary": cmp.summary,
            "difference": cmp.difference,
            "curve": curve,
            "error": None,
        }
        self.headline.value = self._headline()
        self.table.value = self._tables()
        if self.draw:
            self._redraw()
        return self.result

    # ---------------------------------------------------------------- text
    def _fmt(self, x: float) -> str:
        if self.params["output"] in _MONEY_OUTPUTS:
            return format_money(x, self.currency)
        return format_number(x)

    def _headline(self) -> str:
        """Which option is best how often, and ours against the baseline (escaped)."""
        summary, diff = self.result["summary"], self.result["difference"]
        output, baseline = self.params["output"], self.params["baseline"]
        best = summary["p_best"].idxmax()
        lines = [
            f"<b>{escape(best)}</b> gives the highest {escape(output)} in "
            f"{format_percent(summary.loc[best, 'p_best'], 1)} of "
            f"{self.params['trials']:,} trials"
        ]
        if self.option != baseline:
            d = diff.loc[self.option]
            lines.append(
                f"<b>{escape(self.option)}</b> minus <b>{escape(baseline)}</b>: mean "
                f"{escape(self._fmt(d['mean']))} (P10 {escape(self._fmt(d['p10']))}, P90 "
                f"{escape(self._fmt(d['p90']))}); better in "
                f"{format_percent(d['prob_better'], 1)} of trials"
            )
        shared = self.result["comparison"].shared
        if shared:
            lines.append(
                "<span style='color:#7f7f7f'>same draws in every option for: "
                f"{escape(', '.join(shared))}</span>"
            )
        return "<br>".join(lines)

    def _tables(self) -> str:
        """The summary and the differences, formatted; every cell is escaped."""
        output, baseline = self.params["output"], self.params["baseline"]
        summary, diff = self.result["summary"], self.result["difference"]
        f = self._fmt
        rows = [
            (
                name,
                f(r["mean"]),
                f(r["p10"]),
                f(r["p50"]),
                f(r["p90"]),
                format_percent(r["prob_positive"], 1),
                format_percent(r["p_best"], 1),
            )
            for name, r in summary.iterrows()
        ]
        head = ("option", f"mean {output}", "P10", "P50", "P90", f"P({output} > 0)", "P(best)")
        drows = [
            (f"{name} - {baseline}", f(r["mean"]), f(r["p10"]), f(r["p90"]),
             format_percent(r["prob_better"], 1))
            for name, r in diff.iterrows()
        ]  # fmt: skip
        dhead = ("difference", "mean", "P10", "P90", f"P(better than {baseline})")
        return (
            _TABLE_CSS
            + html_table(head, rows, num_cols=range(1, 7), cls="sw-options")
            + "<br>"
            + html_table(dhead, drows, num_cols=range(1, 5), cls="sw-options")
        )

    # ---------------------------------------------------------------- drawing
    def _redraw(self) -> None:
        """The options' distributions and the acceptability curve in the one kept figure."""
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        from salesworkbench.plotting.negotiation import plot_acceptability, plot_options

        if self._fig is None:
            self._fig = Figure(figsize=(12, 3.8))
            self._fig.subplots(1, 2)
            self._fig.subplots_adjust(left=0.05, right=0.99, bottom=0.16, top=0.9, wspace=0.2)
        ax_o, ax_a = self._fig.axes
        for ax in (ax_o, ax_a):
            ax.clear()
        plot_options(self.result["comparison"], ax=ax_o)
        ax_o.set_title(f"{self.params['output']} of each option", fontsize=10)
        plot_acceptability(self.result["curve"], ax=ax_a)
        case = self.options[self.option]
        if case.assumptions[self.price].dist.is_fixed:
            now = float(case.assumptions[self.price].dist.most_likely())
            lo, hi = self.params["prices"]
            if lo <= now <= hi:
                ax_a.axvline(now, color="#7f7f7f", ls=":", lw=1)
        for ax in (ax_o, ax_a):
            ax.xaxis.set_major_locator(MaxNLocator(5))
        self.show(self.out, self._fig, dpi=80, tight=False)
