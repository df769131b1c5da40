"""The value case report's page: its sections, tables, figures and stylesheet, as one HTML page.

:func:`value_case_page` lays out what :func:`~salesworkbench.report.value_report` computed.
Numbers go through :mod:`salesworkbench.formatting` and every user-supplied text through
:func:`salesworkbench.render.escape`, so a case named ``<script>`` shows as text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench.formatting import format_money, format_number, format_percent, format_value
from salesworkbench.render import escape, html_page, html_table

if TYPE_CHECKING:
    from salesworkbench.value import ValueCase

__all__ = ["CSS", "OUTPUT_LABELS", "ReportFigure", "value_case_page"]

#: How the report names each output of a value case.
OUTPUT_LABELS = {
    "total_benefits": "Total benefits",
    "total_investment": "Total investment",
    "value": "Value (benefits - investment)",
    "npv": "Net present value",
    "roi": "Return on investment",
    "payback_years": "Payback (years)",
}
_MONEY = ("total_benefits", "total_investment", "value", "npv")


@dataclass
class ReportFigure:
    """A figure of the report: a PNG as a ``data:`` URI, with its title and caption.

    Attributes
    ----------
    key : str
        Short name; the figure's HTML id is ``fig-KEY``.
    title, caption : str
        Shown under the figure (escaped).
    uri : str
        ``data:image/png;base64,...`` (see :func:`salesworkbench.render.figure_data_uri`).
    overlaps : list of (str, str)
        Labels that overlapped when the figure was drawn (empty when every label is clear).
    """

    key: str
    title: str
    caption: str
    uri: str
    overlaps: list = field(default_factory=list)

    def html(self, wide: bool = False) -> str:
        """The ``<figure>`` element; ``wide`` spans the page."""
        cls = "fig wide" if wide else "fig"
        return (
            f'<figure class="{cls}" id="fig-{escape(self.key)}">'
            f'<img alt="{escape(self.title)}" src="{escape(self.uri)}">'
            f"<figcaption><b>{escape(self.title)}.</b> {escape(self.caption)}</figcaption></figure>"
        )


def _years(v: Any, digits: int = 3) -> str:
    """A number of years: ``"never"`` when the payback never comes."""
    if v is not None and isinstance(v, float | np.floating) and math.isinf(v) and v > 0:
        return "never"
    return format_number(v, digits)


def _count(v: Any) -> str:
    """A whole count with thousands separators (a pilot size: ``"1,000"``)."""
    return f"{int(v):,}"


def _number(v: Any, digits: int = 3) -> str:
    """A figure in a table cell, through the one formatter; text that is no number stays text.

    YAML reads ``2.0e6`` as text: it shows as the number it stands for.
    """
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return v
    return format_number(v, digits)


#: Distribution parameters in the assumption's own units (shown in its ``format``).
_VALUED = frozenset({"value", "min", "max", "mode", "mean", "sd", "p10", "p50", "p90", "values"})


def _value(v: Any, kind: str | None, currency: str, digits: int = 3) -> str:
    """A value in an assumption's ``format`` (text that is no number stays text)."""
    if kind is None or isinstance(v, dict):
        return _number(v, digits) if not isinstance(v, dict) else str(v)
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return v
    return format_value(v, kind, currency, digits)


def _dist_text(dist: Any, kind_of_value: str | None = None, currency: str = "") -> str:
    """A distribution in words, e.g. ``pert(min 90K, mode 100K, max 120K)``.

    Parameters are the user's inputs: they get four significant figures, one more than results.
    Those in the assumption's units follow its ``format`` (``pert(min 2%, mode 3%, max 5%)``).
    """
    spec = dict(getattr(dist, "spec", {}) or {})
    kind = str(spec.pop("dist", getattr(dist, "kind", "?")))
    parts = []
    for k, v in spec.items():
        fmt = kind_of_value if k in _VALUED else None
        if isinstance(v, list | tuple):
            v = "[" + ", ".join(_value(x, fmt, currency, 4) for x in v) + "]"
        else:
            v = _value(v, fmt, currency, 4)
        parts.append(f"{k} {v}")
    return f"{kind}({', '.join(parts)})" if parts else kind


def _assumption_rows(case: ValueCase) -> list[list[str]]:
    rows = []
    cur = case.currency or ""
    for name, a in case.assumptions.items():
        d = a.dist
        fmt = getattr(a, "format", None)

        def f(v: Any, fmt: str | None = fmt) -> str:
            return _value(v, fmt, cur)

        if d.is_fixed:
            lo = hi = ""
            ml = f(d.most_likely())
        else:
            q = np.asarray(d.ppf(np.array([0.1, 0.9])), dtype=float)
            lo, hi, ml = f(q[0]), f(q[1]), f(d.most_likely())
        rows.append(
            [
                getattr(a, "title", name),
                _dist_text(d, fmt, cur),
                lo,
                ml,
                hi,
                a.unit or "",
                a.source or "",
            ]
        )
    return rows


def _line_rows(case: ValueCase) -> list[list[str]]:
    d = case.to_dict()
    rows = []
    for kind, key in (("benefit", "benefits"), ("investment", "investments")):
        for line in d.get(key) or []:
            if "years" in line:
                when = line["years"]
                when = (
                    ", ".join(_number(y) for y in when) if isinstance(when, list) else _number(when)
                )
                when = f"years {when}" if kind == "benefit" else when
            else:
                when = f"year {_number(line.get('year', 0))}"
            rows.append([kind, line.get("name", ""), str(line.get("formula", "")), when])
    return rows


def _summary_rows(summary: pd.DataFrame, currency: str, horizon: int) -> list[list[str]]:
    rows = []
    for out in summary.index:
        r = summary.loc[out]
        if out in _MONEY:
            f = lambda v: format_money(v, currency)  # noqa: E731
        elif out == "roi":
            f = lambda v: format_percent(v, 0)  # noqa: E731
        else:  # payback: beyond the horizon is all the simulation knows; no mean of "never"
            f = lambda v: f">{horizon}" if _years(v) == "never" else _years(v)  # noqa: E731
        rows.append(
            [
                OUTPUT_LABELS.get(out, out),
                f(r["mean"]) if out != "payback_years" else "",
                f(r["p10"]),
                f(r["p50"]),
                f(r["p90"]),
                format_percent(r["prob_positive"], 1) if out != "payback_years" else "",
            ]
        )
    return rows


_CF_HEADER = [
    "year",
    "benefits",
    "investment",
    "net",
    "cumulative",
    "discounted",
    "cumulative discounted",
]


def _cash_flow_rows(flows: pd.DataFrame, currency: str) -> list[list[str]]:
    """The expected scenario year by year, then its total."""
    exp = flows[flows["scenario"] == "expected"]
    if exp.empty:
        exp = flows[flows["scenario"] == "base case"]

    def m(v: Any) -> str:
        return format_money(v, "")  # the currency is in the caption: narrow columns

    rows = [
        [
            str(int(r.year)),
            m(r.benefits),
            m(r.investment),
            m(r.net),
            m(r.cumulative),
            m(r.discounted),
            m(r.cumulative_discounted),
        ]
        for r in exp.itertuples()
    ]
    rows.append(
        [
            "total",
            m(exp["benefits"].sum()),
            m(exp["investment"].sum()),
            m(exp["net"].sum()),
            "",
            m(exp["discounted"].sum()),
            "",
        ]
    )
    return rows


def _scenario_rows(flows: pd.DataFrame, currency: str) -> tuple[list[str], list[list[str]]]:
    """Net cash flow by year per scenario, with value, NPV and IRR."""
    years = sorted(flows["year"].unique())
    header = ["scenario", *(f"year {y}" for y in years), "value", "NPV", "IRR"]
    names = {"expected": "expected (mean)", "base case": "base case (most likely)"}
    irr = flows.attrs.get("irr", {})
    rows = []
    for scenario, g in flows.groupby("scenario", sort=False):
        r = irr.get(scenario, float("nan"))
        rows.append(
            [
                names.get(scenario, str(scenario)),
                *(format_money(v, "") for v in g["net"]),
                format_money(g["cumulative"].iloc[-1], ""),
                format_money(g["cumulative_discounted"].iloc[-1], ""),
                "none" if not np.isfinite(r) else format_percent(r, 1),
            ]
        )
    return header, rows


def _driver_rows(tor: pd.DataFrame, rc: pd.DataFrame, sob: pd.DataFrame, currency: str):
    names = list(tor.index) + [n for n in rc.index if n not in tor.index]
    rows = []
    for n in names:
        rows.append(
            [
                n,
                format_money(tor.loc[n, "swing"], currency) if n in tor.index else "",
                f"{rc.loc[n, 'spearman']:+.2f}" if n in rc.index else "",
                f"{sob.loc[n, 'S1']:.2f} ± {sob.loc[n, 'S1_conf']:.2f}" if n in sob.index else "",
                f"{sob.loc[n, 'ST']:.2f} ± {sob.loc[n, 'ST_conf']:.2f}" if n in sob.index else "",
            ]
        )
    return rows


def _statement_html(statement: str) -> str:
    """The value statement: paragraphs, with ``- `` lines as a bullet list."""
    out: list[str] = []
    items: list[str] = []
    for line in statement.splitlines():
        text = line.strip()
        if text.startswith(("- ", "* ")):
            items.append(f"<li>{escape(text[2:])}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if text:
            out.append(f"<p>{escape(text)}</p>")
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return "".join(out)


def _pilot_text(plan: pd.DataFrame, currency: str, free: bool = False) -> str:
    a = plan.attrs
    decision = a.get("current_decision", "")
    p = a.get("prob_value_positive", float("nan"))
    evpi = a.get("evpi", float("nan"))
    best = plan[plan["recommendation"] == "pilot"]
    lead = (
        f"On today's evidence the decision is to <b>{escape(decision)}</b>, with a "
        f"{format_percent(p)} chance that the value is positive. Perfect information about every "
        f"assumption would be worth at most {escape(format_money(evpi, currency))} (EVPI): "
    )
    if len(best):
        nm = best.index[0]
        r = best.iloc[0]
        design = "measurement" if r["design"] == "normal" else "yes/no trial"
        return lead + (
            f"the pilot worth running is on <b>{escape(nm)}</b>: a {design} of "
            f"<b>{int(r['optimal_n'])}</b> observations, costing "
            f"{escape(format_money(r['cost'], currency))}, expected to be worth "
            f"{escape(format_money(r['evsi'], currency))} in better decisions (expected net "
            f"benefit {escape(format_money(r['enbs'], currency))})."
            + (
                f" If the pilot's result comes out {escape(r['flip'])} "
                f"{escape(_number(r['threshold']))} {escape(plan.loc[nm, 'unit'])}, the decision "
                "changes from today's."
                if r.get("flip") in ("below", "above") and np.isfinite(r["threshold"])
                else ""
            )
            + (
                " No pilot costs were given, so every pilot is free and the largest one "
                "considered comes out best: state the costs for a real pilot size."
                if free
                else ""
            )
        )
    if evpi <= 0 or plan.empty or (plan["recommendation"] == "no pilot needed").all():
        return lead + "the decision is clear on today's evidence: <b>no pilot is needed</b>."
    return lead + "no pilot is worth its cost: <b>decide now</b> on today's evidence."


def _cash_flow_html(flows: pd.DataFrame | None, currency: str, rate: str) -> str:
    """The cash-flow section: the expected year by year, then every scenario's net cash flow."""
    if flows is None or flows.empty:
        return ""
    header, rows = _scenario_rows(flows, currency)
    n = len(header)
    return "".join(
        [
            '<section id="cashflow"><div class="keep"><h2>Cash flow by year</h2>',
            "<p>Expected (mean) cash flow"
            + (f" in {escape(currency)}" if currency else "")
            + f"; year 0 is up front. Discounted at {escape(rate)} a year to year 0.</p>",
            html_table(_CF_HEADER, _cash_flow_rows(flows, currency), num_cols=range(1, 7)),
            '</div><div class="keep">',
            "<p>Net cash flow by year in each scenario"
            + (f" ({escape(currency)})" if currency else "")
            + ", with its value, NPV and internal rate of return (IRR).</p>",
            html_table(header, rows, num_cols=range(1, n), cls="scenarios"),
            "</div></section>",
        ]
    )


#: The report's stylesheet (A4 print layout; no fonts, images or links from outside).
CSS = """
@page { size: A4; margin: 14mm 13mm 16mm 13mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif;
       font-size: 10pt; line-height: 1.4; color: #1f2933; margin: 0 auto; max-width: 190mm;
       padding: 8mm 0; }
h1 { font-size: 19pt; margin: 0 0 2pt 0; color: #102a43; }
h2 { font-size: 13pt; margin: 16pt 0 6pt 0; padding-bottom: 2pt; color: #102a43;
     border-bottom: 1.5pt solid #4f81bd; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 10pt 0 4pt 0; break-after: avoid; }
p { margin: 4pt 0 6pt 0; }
.sub { color: #52606d; margin-bottom: 8pt; }
.statement { background: #f0f4f8; border-left: 4pt solid #4f81bd; padding: 8pt 12pt;
             margin: 6pt 0 10pt 0; font-size: 10pt; }
.statement p { margin: 2pt 0 4pt 0; }
.statement ul { margin: 2pt 0 2pt 0; padding-left: 14pt; font-size: 9pt; }
.statement li { margin: 1pt 0; break-inside: avoid; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6pt; margin: 8pt 0;
         break-inside: avoid; }
.card { border: 0.75pt solid #bcccdc; border-radius: 4pt; padding: 6pt 8pt; }
.card .k { font-size: 8pt; color: #52606d; text-transform: uppercase; letter-spacing: 0.03em; }
.card .v { font-size: 14pt; font-weight: bold; color: #102a43; }
.card .n { font-size: 8pt; color: #52606d; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt 0; font-size: 8.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th { background: #d9e2ec; text-align: left; padding: 3pt 5pt; font-weight: bold; }
td { padding: 2.5pt 5pt; border-bottom: 0.5pt solid #d9e2ec; vertical-align: top;
     overflow-wrap: break-word; }
td:first-child { white-space: nowrap; }
th.num, td.num { text-align: right; white-space: nowrap; }
table.assumptions td:nth-child(2) { font-size: 7.5pt; color: #334e68; }
table.assumptions td:nth-child(6) { font-size: 8pt; min-width: 22mm; }
table.assumptions td:nth-child(7) { font-size: 8pt; }
table.scenarios { font-size: 8pt; }
table.scenarios th, table.scenarios td { padding: 2.5pt 3pt; }
table.lines td:nth-child(3) { font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; }
.figs { display: grid; grid-template-columns: 1fr 1fr; gap: 8pt; }
figure { margin: 4pt 0 8pt 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; display: block; }
figure.wide img { width: 86%; margin: 0 auto; }
figcaption { font-size: 8pt; color: #52606d; margin-top: 2pt; }
.rec { background: #f0fff4; border-left: 4pt solid #2f855a; padding: 8pt 12pt;
       break-inside: avoid; }
.notes { font-size: 8pt; color: #52606d; }
.notes li { margin-bottom: 2pt; }
.keep { break-inside: avoid; page-break-inside: avoid; }
.pagebreak { break-before: page; page-break-before: always; }
footer { break-before: avoid; margin-top: 8pt; font-size: 7.5pt; color: #829ab1;
         border-top: 0.5pt solid #d9e2ec; padding-top: 4pt; }
"""


def value_case_page(
    *,
    case: ValueCase,
    source: str,
    summary: pd.DataFrame,
    statement: str,
    tor: pd.DataFrame,
    rc: pd.DataFrame,
    sob: pd.DataFrame,
    plan: pd.DataFrame,
    figs: dict[str, ReportFigure],
    notes: list[str],
    meta: dict[str, Any],
    flows: pd.DataFrame | None = None,
    payback: pd.Series | None = None,
) -> str:
    """The report of a value case as one self-contained HTML page.

    Parameters
    ----------
    case : ValueCase
        The case.
    source : str
        Where the case came from (its file name), printed in the footer.
    summary : DataFrame
        The simulation's summary (one row per output).
    statement : str
        The value statement (``- `` lines become a bullet list).
    tor, rc, sob, plan : DataFrame
        Tornado, rank correlations, Sobol' indices and the pilot plan.
    figs : dict of str to ReportFigure
        The figures by key (``distribution``, ``cumulative``, ``waterfall``, ``tornado``,
        ``rank_correlation``, ``sobol`` and, where some assumption is uncertain, ``evppi``).
    notes : list of str
        Caveats added to the method section.
    meta : dict
        ``trials``, ``seed``, ``sobol_n``, ``pilot_trials``, ``output``, ``free_pilots``,
        ``version`` and ``date``.
    flows : DataFrame, optional
        Cash flows by year per scenario
        (:func:`~salesworkbench.value.cashflow_table.cash_flow_table`).
    payback : Series, optional
        The payback summary (:meth:`ValueSimulation.payback`).
    """
    cur = case.currency or ""
    rate = format_percent(case.discount_rate, 1).replace(".0%", "%")
    h = case.horizon_years
    val = summary.loc["value"]
    npv = summary.loc["npv"]
    customer = case.customer if case.customer and case.customer != "the customer" else ""
    title = f"{case.name} - {customer}" if customer else str(case.name)
    irr = (flows.attrs.get("irr", {}) if flows is not None else {}).get("expected", float("nan"))
    if payback is None:
        pb = summary.loc["payback_years"]
        payback = pd.Series({"median": pb["p50"], "prob_within_horizon": float("nan")})
    median_pb = _years(payback["median"], 2)
    median_pb = f"beyond {h} years" if median_pb == "never" else f"{median_pb} years"
    cards = [
        (
            "Expected value",
            format_money(val["mean"], cur),
            f"P10 {format_money(val['p10'], cur)} to P90 {format_money(val['p90'], cur)}",
        ),
        (
            "P(value > 0)",
            format_percent(val["prob_positive"], 1),
            f"over {meta['trials']:,} trials",
        ),
        (
            "Expected NPV",
            format_money(npv["mean"], cur),
            f"at {rate} a year"
            + (f"; IRR {format_percent(irr, 1)}" if np.isfinite(irr) else "; no IRR"),
        ),
        (
            "Payback, median",
            median_pb,
            f"{format_percent(payback['prob_within_horizon'])} chance within {h} years"
            if pd.notna(payback["prob_within_horizon"])
            else "",
        ),
    ]
    card_html = "".join(
        f'<div class="card"><div class="k">{escape(k)}</div><div class="v">{escape(v)}</div>'
        f'<div class="n">{escape(n)}</div></div>'
        for k, v, n in cards
    )
    corr = getattr(case, "correlations", None) or []
    corr_html = (
        "<p>Rank correlations between assumptions: "
        + "; ".join(f"{escape(a)} and {escape(b)}: {float(r):+.2f}" for a, b, r in corr)
        + ".</p>"
        if corr
        else ""
    )
    plan_rows = []
    for nm, r in plan.iterrows():
        has = pd.notna(r.get("design")) and r.get("design")
        plan_rows.append(
            [
                nm,
                format_money(r["evppi"], cur),
                r["design"] if has else "",
                _count(r["optimal_n"]) if has and r["optimal_n"] else "",
                format_money(r["evsi"], cur) if has else "",
                format_money(r["cost"], cur) if has else "",
                format_money(r["enbs"], cur) if has else "",
                r["recommendation"],
            ]
        )
    f = figs
    out_label = OUTPUT_LABELS.get(meta["output"], meta["output"]).lower()
    method = [
        f"Monte Carlo simulation of {meta['trials']:,} trials, seed {meta['seed']}; the same "
        "seed gives the same figures.",
        "Value = total benefits - total investment (undiscounted, the sales model's "
        f"definition); NPV discounts every line at {rate} a year to year 0 over a "
        f"{h}-year horizon.",
        "Tornado: one assumption at a time at its P10 and P90, the others at their most "
        f"likely value. Sensitivity figures look at {out_label}.",
        f"Sobol' indices: Saltelli design with {meta['sobol_n']:,} base samples and bootstrap "
        "intervals; they treat assumptions as independent.",
        "Cash flows by year: the expected scenario is the mean over the trials, year by year, so "
        "it adds up to the expected value and NPV; P10, P50 and P90 are the average of the "
        "trials within one percentile point of that percentile of value (whole scenarios, "
        "so their years add up); the base case puts every assumption at its most likely value. "
        "IRR is the rate at which a scenario's NPV is zero ('none' where its cash flows never "
        "turn, or turn more than once).",
        "Payback: the time until the cumulative cash flow turns positive (a year's benefits "
        "taken to accrue evenly), as the median over the trials with the chance it comes "
        "within the horizon; trials that do not pay back within the horizon make a mean "
        "meaningless.",
        f"Pilot plan: value of information (EVPPI, EVSI) on {meta['pilot_trials']:,} trials, "
        "net benefit = NPV of investing against doing nothing.",
        *notes,
    ]
    parts = [
        f"<header><h1>{escape(case.name)}</h1>",
        '<div class="sub">'
        + (f"Value case for <b>{escape(customer)}</b> &middot; " if customer else "")
        + (f"amounts in {escape(cur)} &middot; " if cur else "")
        + f"{h}-year horizon &middot; discount rate {rate} &middot; {escape(meta['date'])}"
        + "</div></header>",
        '<section id="statement"><h2>Value statement</h2>',
        f'<div class="statement">{_statement_html(statement)}</div>',
        f'<div class="cards">{card_html}</div></section>',
        '<section id="results"><h2>Results</h2>',
        html_table(
            ["", "expected (mean)", "P10", "P50", "P90", "P(> 0)"],
            _summary_rows(summary, cur, h),
            num_cols=(1, 2, 3, 4, 5),
        ),
        f"<p>Payback: median {escape(median_pb)}"
        + (
            f"; {escape(format_percent(payback['prob_within_horizon']))} chance of paying back "
            f"within the {h}-year horizon."
            if pd.notna(payback["prob_within_horizon"])
            else "."
        )
        + "</p>",
        "<p>The expected value (the mean over all simulated outcomes) is the figure used "
        "throughout this report. The P50 is the median outcome: half come out above it, half "
        "below. The base case puts every assumption at its most likely value; it is shown "
        "only where labelled so.</p>",
        f["distribution"].html(wide=True),
        f'<div class="figs">{f["cumulative"].html()}{f["waterfall"].html()}</div>',
        "</section>",
        _cash_flow_html(flows, cur, rate),
        '<section id="assumptions"><h2>Assumptions</h2>',
        "<p>Each assumption with its range (P10 and P90 of its distribution), most likely "
        "value, unit and source. Fixed assumptions have no range.</p>",
        html_table(
            ["assumption", "distribution", "P10", "most likely", "P90", "unit", "source"],
            _assumption_rows(case),
            num_cols=(2, 3, 4),
            cls="assumptions",
        ),
        corr_html,
        "<h3>Benefit and investment lines</h3>",
        html_table(["", "line", "formula", "when"], _line_rows(case), cls="lines"),
        "</section>",
        '<section id="sensitivity"><div class="keep"><h2>What drives the value</h2>',
        f"<p>Which assumptions move {escape(out_label)} most: the ones to firm up with the "
        "customer first.</p>",
        f["tornado"].html(wide=True),
        "</div>",
        f'<div class="figs">{f["rank_correlation"].html()}{f["sobol"].html()}</div>',
        '<div class="keep">',
        html_table(
            ["assumption", "tornado swing", "rank correlation", "Sobol' S1", "Sobol' ST"],
            _driver_rows(tor, rc, sob, cur),
            num_cols=(1, 2, 3, 4),
        ),
        "</div></section>",
        '<section id="pilots"><div class="keep"><h2>Pilot recommendation</h2>',
        f'<div class="rec">{_pilot_text(plan, cur, free=meta["free_pilots"])}</div></div>',
        f["evppi"].html(wide=True) if "evppi" in f else "",
        '<div class="keep">',
        html_table(
            [
                "assumption",
                "EVPPI",
                "design",
                "pilot size",
                "EVSI",
                "cost",
                "net benefit",
                "recommendation",
            ],
            plan_rows,
            num_cols=(1, 3, 4, 5, 6),
        ),
        "</div></section>",
        '<section id="method"><h2>How these figures were made</h2><ul class="notes">',
        *(f"<li>{escape(m)}</li>" for m in method),
        "</ul>",
        f"<footer>Generated by salesworkbench {escape(meta['version'])} from {escape(source)} on "
        f"{escape(meta['date'])}.</footer></section>",
    ]
    body = "\n".join(p for p in parts if p)
    return html_page(f"{title}: value case report", body, css=CSS)
