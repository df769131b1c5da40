"""Render account and opportunity plans as Markdown or self-contained HTML documents.

The documents follow the plan's sections in the sales model's order. A section (or a field
inside one) that has not been filled in is shown as a **gap to fill**, never hidden, so a plan
review starts from what is missing. Computed analyses sit in their sections: the white space
and share of wallet (with a bar chart), the opportunity portfolio with forecast figures (when a
:class:`~salesworkbench.plans.Portfolio` is passed), the qualification scorecard (with a chart)
and the value case's headline figures with P(value > 0) (simulated with the trials and seed
given, and stated in the text).

Charts are PNGs embedded as base64 ``data:`` URIs, so one file holds everything; matplotlib is
imported only inside the rendering functions (and only when ``charts=True``). Every piece of
text is escaped with :mod:`salesworkbench.render` (``<script>`` in a plan shows as text, in
Markdown as in HTML), which also supplies the tables, the HTML page and the figure encoder.

Examples
--------
>>> from salesworkbench.plans import load_plan, write_html
>>> write_html(load_plan("data/plans/account_plan_example.yaml"), "account_plan.html")
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.plans.analyses import (
    Portfolio,
    ValueCaseSummary,
    access_flags,
    qualification_scorecard,
    value_case_summary,
    white_space,
)
from salesworkbench.plans.records import AccountPlan, OpportunityPlan
from salesworkbench.plans.serial import PlanError
from salesworkbench.render import (
    escape,
    escape_markdown,
    figure_base64,
    html_page,
    html_table,
    markdown_table,
)

__all__ = ["to_html", "to_markdown", "write_html", "write_markdown"]


# ----------------------------------------------------------------------------------------------
# document blocks: a tiny intermediate form both emitters share
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Block:
    kind: str  # "h2", "h3", "p", "kv", "list", "table", "gap", "img", "note"
    body: object = None
    alt: str = ""


def _gap(what: str) -> _Block:
    return _Block("gap", what)


def _fmt(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float | np.floating):
        if math.isinf(v):
            return "inf"
        if abs(v) >= 1000 or float(v).is_integer():
            return f"{v:,.0f}"
        return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"
    if isinstance(v, list):
        return "; ".join(_fmt(x) for x in v)
    return str(v)


def _kv(pairs: list[tuple[str, object]]) -> _Block:
    """Key-value lines; empty values are shown as gaps to fill."""
    return _Block("kv", [(k, _fmt(v)) for k, v in pairs])


def _para(value: str, gap: str) -> _Block:
    """A paragraph, or the gap to fill when the text is empty."""
    return _Block("p", value) if value else _gap(gap)


def _text(title: str, value: str) -> list[_Block]:
    return [_Block("h3", title), _para(value, f"{title}: not written")]


def _bullets(title: str, items: list) -> list[_Block]:
    return [
        _Block("h3", title),
        _Block("list", [_fmt(i) for i in items]) if items else _gap(f"{title}: none listed"),
    ]


def _records(items: list, columns: list[str] | None = None) -> pd.DataFrame:
    rows = [dataclasses.asdict(i) for i in items]
    frame = pd.DataFrame(rows)
    if columns is not None:
        frame = frame.reindex(columns=columns)
    return frame


def _table(items: list, gap: str, frame: Callable[[list], pd.DataFrame] = _records) -> _Block:
    """The items as a table (``frame(items)``), or the gap to fill when there are none."""
    return _Block("table", frame(items)) if items else _gap(gap)


def _table_with_total(items: list, gap: str, total: Callable[[pd.DataFrame], str]) -> list[_Block]:
    """The items as a table and the sentence ``total(table)``, or the gap to fill."""
    if not items:
        return [_gap(gap)]
    t = _records(items)
    return [_Block("table", t), _Block("p", total(t))]


def _unless_none(record: Any, gap: str, blocks: Callable[[Any], list[_Block]]) -> list[_Block]:
    """``blocks(record)``, or the gap to fill when the section's record is missing."""
    return [_gap(gap)] if record is None else blocks(record)


def _png(draw, size: tuple[float, float] = (7, 3.2)) -> str:
    """Draw with ``draw(ax)`` on a new figure and return the PNG as base64 text.

    Uses :class:`matplotlib.figure.Figure` directly (no pyplot), so rendering neither changes
    the notebook's backend nor shows the figure.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100)
    ax = fig.subplots()
    draw(ax)
    fig.tight_layout()
    return figure_base64(fig, dpi=100, tight=False, close=False)


def _completeness(plan) -> list[_Block]:
    gaps = plan.gaps()
    n = len(plan.SECTIONS)
    blocks = [_Block("p", f"{n - len(gaps)} of {n} sections filled in.")]
    if gaps:
        blocks.append(_Block("note", "Gaps to fill: " + ", ".join(gaps) + "."))
    return blocks


def _actions_table(actions, as_of: dt.date | None) -> pd.DataFrame:
    t = _records(actions, ["action", "owner", "due", "status", "notes"])
    if as_of is not None:
        t["overdue"] = [a.is_overdue(as_of) for a in actions]
    return t


# ----------------------------------------------------------------------------------------------
# account plan
# ----------------------------------------------------------------------------------------------


def _account_blocks(
    plan: AccountPlan,
    *,
    portfolio: Portfolio | None,
    as_of: dt.date | None,
    charts: bool,
) -> list[_Block]:
    b: list[_Block] = [
        _kv(
            [
                ("Account", f"{plan.account_id}"),
                ("Owner", plan.owner),
                ("Segment", plan.segment),
                ("Currency", plan.currency),
                ("Updated", plan.updated),
            ]
        ),
        *_completeness(plan),
    ]
    T = plan.SECTIONS
    cur = plan.currency

    # profile
    b.append(_Block("h2", T["profile"]))
    p = plan.profile
    if p is None:
        b.append(_gap("no account profile"))
    else:
        b.append(
            _kv(
                [
                    ("Company", p.company),
                    ("Sector", p.sector),
                    ("Region", p.region),
                    (f"Annual revenue ({cur})", p.annual_revenue),
                    ("Employees", p.employees),
                    (
                        "Revenue growth",
                        None if p.revenue_growth is None else f"{p.revenue_growth:.1%}",
                    ),
                ]
            )
        )
        b += _text("Financials", p.financials)
        b += _bullets("Their offerings", p.offerings)
        b += _text("Market analysis", p.market_analysis)
        b += _bullets("Competition", p.competition)
        b.append(_Block("h3", "Executive biographies"))
        b.append(_table(p.executives, "none recorded"))
        b += _bullets("Likely business issues", p.business_issues)
        b += _bullets("Potential capabilities required", p.capabilities_required)

    # install base, recurring revenue
    b.append(_Block("h2", T["install_base"]))
    b += _table_with_total(
        plan.install_base,
        "no install base recorded",
        lambda t: f"Total installed: {_fmt(float(t['value'].fillna(0).sum()))} {cur}.",
    )
    b.append(_Block("h2", T["recurring_revenue"]))
    b += _table_with_total(
        plan.recurring_revenue,
        "no recurring revenues recorded",
        lambda t: f"Total recurring: {_fmt(float(t['annual_amount'].sum()))} {cur}/year.",
    )

    # satisfaction
    b.append(_Block("h2", T["satisfaction"]))
    b += _unless_none(
        plan.satisfaction,
        "no satisfaction level recorded",
        lambda s: [
            _kv([("Score (0-10)", s.score), ("Measured", s.measured), ("Source", s.source)]),
            *_bullets("Issues raised", s.issues),
        ],
    )

    b.append(_Block("h2", T["recent_projects"]))
    b.append(_table(plan.recent_projects, "no recent projects recorded"))

    b.append(_Block("h2", T["key_players"]))
    if plan.key_players:
        kp = access_flags(_as_opportunity(plan))
        b.append(_Block("table", kp))
    else:
        b.append(_gap("no key players listed"))

    b.append(_Block("h2", T["account_team"]))
    b.append(_table(plan.account_team, "no account team or coverage recorded"))
    b.append(_Block("h2", T["initiatives"]))
    b.append(_table(plan.initiatives, "no current initiatives recorded"))

    # white space
    b.append(_Block("h2", T["wallet"]))
    if plan.wallet:
        ws = white_space(plan)
        t = ws.table.copy()
        t["share_of_wallet"] = [_pct(x) for x in t["share_of_wallet"]]
        t["share_of_white_space"] = [_pct(x) for x in t["share_of_white_space"]]
        b.append(_Block("table", t))
        b.append(
            _Block(
                "p",
                f"Wallet {_fmt(ws.wallet)} {cur}, current spend {_fmt(ws.current_spend)} {cur}: "
                f"share of wallet {_pct(ws.share_of_wallet)}, white space "
                f"{_fmt(ws.white_space)} {cur}. Biggest gaps: "
                f"{', '.join(ws.biggest_gaps) or 'none'}.",
            )
        )
        for n in ws.notes:
            b.append(_Block("note", n))
        if charts:
            from salesworkbench.plotting.plans import plot_white_space

            b.append(
                _Block(
                    "img",
                    _png(lambda ax: plot_white_space(ws, ax, currency=cur)),
                    "White space by offering",
                )
            )
    else:
        b.append(_gap("no wallet by offering: white space and share of wallet not computed"))

    # portfolio
    b.append(_Block("h2", "Current and future opportunities: total opportunity portfolio"))
    if portfolio is None:
        b.append(
            _gap(
                "current opportunities not pulled from the pipeline "
                "(render with portfolio=opportunity_portfolio(plan, opportunities))"
            )
        )
    else:
        sm = portfolio.summary.iloc[0]
        n_open, n_stale = int(sm["open_deals"]), int(sm["stale_deals"])
        b.append(
            _Block("h3", f"Open opportunities in the pipeline (as of {_fmt(portfolio.as_of)})")
        )
        if len(portfolio.open_deals):
            b.append(_Block("table", portfolio.open_deals))
            fc = portfolio.forecast
            span = (
                f"{fc.periods[0]} to {fc.periods[-1]}, {fc.trials:,} trials, seed {fc.seed}"
                if fc is not None
                else ""
            )
            b.append(
                _Block(
                    "p",
                    f"{n_open} open deals worth {_fmt(sm['open_pipeline'])} {cur} "
                    f"({n_stale} stale, {_fmt(sm['stale_pipeline'])} {cur}, counted with the low "
                    f"chance their age gives them). Expected bookings {_fmt(sm['expected'])} {cur} "
                    f"(P10 {_fmt(sm['p10'])}, P50 {_fmt(sm['p50'])}, P90 {_fmt(sm['p90'])}; "
                    f"{span}). Won in the last 12 months: {_fmt(sm['won_12m'])} {cur}.",
                )
            )
        else:
            b.append(_gap("no open opportunities in the pipeline"))
    b.append(_Block("h3", T["future_opportunities"]))
    b += _table_with_total(
        plan.future_opportunities,
        "no future opportunities identified",
        lambda t: (
            f"Estimated future opportunities: "
            f"{_fmt(float(t['estimated_amount'].fillna(0).sum()))} {cur}."
        ),
    )
    if plan.opportunity_plans:
        b += _bullets("Opportunity plans", plan.opportunity_plans)

    b.append(_Block("h2", T["action_plan"]))
    b.append(_table(plan.action_plan, "no actions planned", lambda a: _actions_table(a, as_of)))
    b.append(_Block("h2", T["resource_plan"]))
    b.append(_table(plan.resource_plan, "no resources planned"))
    return b


def _as_opportunity(plan: AccountPlan) -> OpportunityPlan:
    """A throwaway opportunity plan holding the account's key players (for access flags)."""
    return OpportunityPlan(name=plan.name, account_id=plan.account_id, key_players=plan.key_players)


def _pct(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


# ----------------------------------------------------------------------------------------------
# opportunity plan
# ----------------------------------------------------------------------------------------------


def _value_blocks(
    plan: OpportunityPlan,
    value: ValueCaseSummary | None,
    trials: int,
    seed: int,
) -> list[_Block]:
    b: list[_Block] = []
    vp = plan.value_proposition
    if vp is None:
        return [_gap("no value proposition")]
    b.append(
        _kv(
            [
                ("We believe the customer should be able to", vp.goal),
                ("Through the ability", vp.capability),
                ("As a result of", vp.as_a_result_of),
                ("Value case file", vp.value_case),
            ]
        )
    )
    if not vp.value_case and value is None:
        b.append(
            _gap("no value case linked: build one (Value = Total Benefits - Total Investment)")
        )
        return b
    if value is None:
        try:
            value = value_case_summary(plan, trials=trials, seed=seed)
        except (PlanError, ValueError) as exc:
            b.append(_Block("note", f"value case not simulated: {exc}"))
            return b
    h = value.headline()
    cur = value.currency
    rows = [
        (f"Mean value ({cur})", h["value_mean"]),
        (
            f"Value P10 / P50 / P90 ({cur})",
            f"{_fmt(h['value_p10'])} / {_fmt(h['value_p50'])} / {_fmt(h['value_p90'])}",
        ),
    ]
    if "npv_mean" in h:
        rows.append((f"Mean NPV ({cur})", h["npv_mean"]))
    if "roi_mean" in h:
        rows.append(("Mean ROI", h["roi_mean"]))
    if "payback_years_p50" in h:
        rows.append(("Median payback (years)", h["payback_years_p50"]))
    rows.append(("P(value > 0)", f"{value.prob_positive:.2f}"))
    rows.append(("Simulation", f"{value.trials:,} trials, seed {value.seed}"))
    b.append(_Block("h3", f"Value case: {value.name}"))
    b.append(_kv(rows))
    b.append(_Block("p", value.sentence() + "."))
    return b


def _opportunity_blocks(
    plan: OpportunityPlan,
    *,
    value: ValueCaseSummary | None,
    trials: int,
    seed: int,
    as_of: dt.date | None,
    charts: bool,
) -> list[_Block]:
    T = plan.SECTIONS
    b: list[_Block] = [
        _kv(
            [
                ("Account", plan.account_id),
                ("Opportunity", plan.opportunity_id),
                ("Owner", plan.owner),
                ("Currency", plan.currency),
                ("Updated", plan.updated),
            ]
        ),
        *_completeness(plan),
    ]
    b.append(_Block("h2", T["business_pain"]))
    bp = plan.business_pain
    b.append(
        _kv([("Issue", bp.issue), ("Impact", bp.impact), ("Whose pain", bp.owner)])
        if bp is not None
        else _gap("the business pain or issue is not stated")
    )
    b.append(_Block("h2", T["value_proposition"]))
    b += _value_blocks(plan, value, trials, seed)
    b.append(_Block("h2", T["customer_rules"]))
    b.append(
        _Block("list", plan.customer_rules) if plan.customer_rules else _gap("no customer rules")
    )
    b.append(_Block("h2", T["analysis_and_presentation"]))
    b.append(_para(plan.analysis_and_presentation, "analysis and presentation not planned"))
    b.append(_Block("h2", T["compelling"]))
    c = plan.compelling
    b.append(
        _kv(
            [
                ("Compelling?", c.is_compelling),
                ("Compelling event", c.compelling_event),
                ("Event date", c.event_date),
                ("Why", c.reason),
            ]
        )
        if c is not None
        else _gap("not yet judged whether the customer must act")
    )
    b.append(_Block("h2", T["key_players"]))
    if plan.key_players:
        kp = access_flags(plan)
        b.append(_Block("table", kp))
        flagged = kp[kp["flag"] != ""]
        if len(flagged):
            b.append(
                _Block(
                    "note",
                    "Access to key personnel: "
                    + "; ".join(
                        f"{n} ({f})" for n, f in zip(flagged["name"], flagged["flag"], strict=True)
                    ),
                )
            )
    else:
        b.append(_gap("no key players listed"))
    b.append(_Block("h2", T["coverage_strategy"]))
    b.append(_para(plan.coverage_strategy, "no coverage strategy"))

    b.append(_Block("h2", T["qualification"]))
    sc = qualification_scorecard(plan)
    if plan.qualification is None:
        b.append(_gap("in the market, budget and timeframe not recorded"))
    b.append(_Block("table", sc[["criterion", "status", "evidence"]]))
    gaps = sc.attrs["gaps"]
    b.append(
        _Block(
            "p",
            f"Score {sc.attrs['score']} of {len(sc)}. "
            + (f"Gaps: {', '.join(gaps)}." if gaps else "Fully qualified."),
        )
    )
    if charts:
        from salesworkbench.plotting.plans import plot_scorecard

        b.append(
            _Block(
                "img", _png(lambda ax: plot_scorecard(sc, ax), (7, 2.2)), "Qualification scorecard"
            )
        )
    q = plan.qualification
    if q is not None and q.evidence:
        b.append(_Block("p", f"Evidence: {q.evidence}"))

    def actions(items: list) -> pd.DataFrame:
        return _actions_table(items, as_of)

    b.append(_Block("h2", T["solution_status"]))
    b += _unless_none(
        plan.solution_status,
        "solution creation not started or not recorded",
        lambda s: [
            _kv([("Status", s.status), ("Description", s.description)]),
            *_bullets("Open items", s.open_items),
        ],
    )

    b.append(_Block("h2", T["evaluation_plan"]))
    b += _unless_none(
        plan.evaluation_plan,
        "no evaluation plan or buying process",
        lambda e: [
            *_text("Buying process", e.buying_process),
            *_bullets("Decision criteria", e.decision_criteria),
            _Block("h3", "Evaluation steps"),
            _table(e.steps, "no steps", actions),
        ],
    )

    b.append(_Block("h2", T["competitive_strategy"]))
    b += _unless_none(
        plan.competitive_strategy,
        "no competitive strategy",
        lambda cs: [
            *_text("Strategy", cs.strategy),
            *_bullets("Our strengths", cs.our_strengths),
            *_bullets("Our weaknesses", cs.our_weaknesses),
            _Block("h3", "Competitors: strength and position"),
            _table(cs.competitors, "no competitors analysed"),
        ],
    )

    b.append(_Block("h2", T["negotiation_and_close"]))
    b += _unless_none(
        plan.negotiation_and_close,
        "no negotiation and close strategy",
        lambda n: [
            _kv(
                [
                    ("Strategy", n.strategy),
                    ("Target close", n.target_close),
                    ("Walk-away position", n.walk_away),
                ]
            ),
            *_bullets("Concessions we can trade", n.concessions),
        ],
    )

    b.append(_Block("h2", T["implementation_plan"]))
    b += _unless_none(
        plan.implementation_plan,
        "no implementation plan",
        lambda ip: [
            *_text("Summary", ip.summary),
            _Block("h3", "Milestones"),
            _table(ip.milestones, "no milestones", actions),
        ],
    )
    return b


# ----------------------------------------------------------------------------------------------
# emitters
# ----------------------------------------------------------------------------------------------


def _blocks(plan, *, portfolio, value, trials, seed, as_of, charts) -> list[_Block]:
    as_of = pd.Timestamp(as_of).date() if as_of is not None else None
    if isinstance(plan, AccountPlan):
        return _account_blocks(plan, portfolio=portfolio, as_of=as_of, charts=charts)
    if isinstance(plan, OpportunityPlan):
        return _opportunity_blocks(
            plan, value=value, trials=trials, seed=seed, as_of=as_of, charts=charts
        )
    raise TypeError(f"expected an AccountPlan or OpportunityPlan, got {type(plan).__name__}")


def _title(plan) -> str:
    kind = "Account plan" if isinstance(plan, AccountPlan) else "Opportunity plan"
    return f"{kind}: {plan.name}"


def _numeric(df: pd.DataFrame, col) -> bool:
    s = df[col]
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def to_markdown(
    plan: AccountPlan | OpportunityPlan,
    *,
    portfolio: Portfolio | None = None,
    value: ValueCaseSummary | None = None,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    as_of=None,
    charts: bool = True,
) -> str:
    """Render a plan as Markdown.

    Every piece of text is escaped with :func:`salesworkbench.render.escape_markdown`, so
    markup or raw HTML in a plan (``<script>``, ``<img onerror=...>``) shows as text.

    Parameters
    ----------
    plan : AccountPlan or OpportunityPlan
    portfolio : Portfolio, optional
        Account plans: the opportunity portfolio from
        :func:`~salesworkbench.plans.opportunity_portfolio` (else shown as a gap).
    value : ValueCaseSummary, optional
        Opportunity plans: the value case figures; by default the linked value case is
        simulated with ``trials`` and ``seed``.
    trials, seed : int
        Monte Carlo trials (default :data:`salesworkbench.defaults.VALUE_TRIALS`) and seed for
        the value case (stated in the document).
    as_of : date, optional
        Flags actions overdue as of this date.
    charts : bool
        Embed the charts as base64 PNG images (``data:`` URIs).

    Returns
    -------
    str
        The Markdown document.
    """
    md = escape_markdown
    lines = [f"# {md(_title(plan))}", ""]
    for bl in _blocks(
        plan,
        portfolio=portfolio,
        value=value,
        trials=trials,
        seed=seed,
        as_of=as_of,
        charts=charts,
    ):
        if bl.kind == "h2":
            lines += [f"## {md(bl.body)}", ""]
        elif bl.kind == "h3":
            lines += [f"### {md(bl.body)}", ""]
        elif bl.kind == "p":
            lines += [md(bl.body), ""]
        elif bl.kind == "note":
            lines += [f"> {md(bl.body)}", ""]
        elif bl.kind == "gap":
            lines += [f"> **Gap to fill:** {md(bl.body)}.", ""]
        elif bl.kind == "kv":
            lines += [f"- **{md(k)}:** {md(v) if v else '_(gap to fill)_'}" for k, v in bl.body]
            lines.append("")
        elif bl.kind == "list":
            lines += [f"- {md(x)}" for x in bl.body]
            lines.append("")
        elif bl.kind == "table":
            df = bl.body
            lines += [markdown_table(df, formatters={str(c): _fmt for c in df.columns}), ""]
        elif bl.kind == "img":
            lines += [f"![{md(bl.alt)}](data:image/png;base64,{bl.body})", ""]
    return "\n".join(lines)


_CSS = (
    "body{font-family:sans-serif;margin:2em;max-width:72em;line-height:1.4}"
    "table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:90%}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}th.num,td.num{text-align:right}"
    ".gap{background:#fff4e0;border-left:4px solid #ff7f0e;padding:.4em .8em}"
    ".note{background:#eef4fb;border-left:4px solid #1f77b4;padding:.4em .8em}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}"
    "dd{margin:0}.empty{color:#b35c00;font-style:italic}img{max-width:100%}"
)


def to_html(
    plan: AccountPlan | OpportunityPlan,
    *,
    portfolio: Portfolio | None = None,
    value: ValueCaseSummary | None = None,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    as_of=None,
    charts: bool = True,
) -> str:
    """Render a plan as one self-contained HTML page (charts embedded, no external files).

    Every piece of text is escaped with :func:`salesworkbench.render.escape`; the page is
    :func:`salesworkbench.render.html_page` (no scripts, no external links). Parameters are
    those of :func:`to_markdown`.

    Returns
    -------
    str
        The HTML document.
    """
    e = escape
    title = _title(plan)
    parts = [f"<h1>{e(title)}</h1>"]
    for bl in _blocks(
        plan,
        portfolio=portfolio,
        value=value,
        trials=trials,
        seed=seed,
        as_of=as_of,
        charts=charts,
    ):
        if bl.kind in ("h2", "h3"):
            parts.append(f"<{bl.kind}>{e(bl.body)}</{bl.kind}>")
        elif bl.kind == "p":
            parts.append(f"<p>{e(bl.body)}</p>")
        elif bl.kind == "note":
            parts.append(f'<p class="note">{e(bl.body)}</p>')
        elif bl.kind == "gap":
            parts.append(f'<p class="gap"><strong>Gap to fill:</strong> {e(bl.body)}.</p>')
        elif bl.kind == "kv":
            items = [
                f"<dt>{e(k)}</dt><dd>{e(v)}</dd>"
                if v
                else f'<dt>{e(k)}</dt><dd class="empty">gap to fill</dd>'
                for k, v in bl.body
            ]
            parts.append("<dl>" + "".join(items) + "</dl>")
        elif bl.kind == "list":
            parts.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in bl.body) + "</ul>")
        elif bl.kind == "table":
            df = bl.body
            rows = [[_fmt(v) for v in row] for row in df.itertuples(index=False, name=None)]
            nums = [i for i, c in enumerate(df.columns) if _numeric(df, c)]
            parts.append(html_table([str(c) for c in df.columns], rows, num_cols=nums))
        elif bl.kind == "img":
            parts.append(f'<p><img alt="{e(bl.alt)}" src="data:image/png;base64,{bl.body}"></p>')
    return html_page(title, "\n".join(parts), css=_CSS)


def _write(text: str, path: str | os.PathLike) -> Path:
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return Path(path)


def write_markdown(plan: AccountPlan | OpportunityPlan, path: str | os.PathLike, **kw) -> Path:
    """Write :func:`to_markdown` to ``path`` atomically; keywords as :func:`to_markdown`."""
    return _write(to_markdown(plan, **kw), path)


def write_html(plan: AccountPlan | OpportunityPlan, path: str | os.PathLike, **kw) -> Path:
    """Write :func:`to_html` to ``path`` atomically; keywords as :func:`to_markdown`."""
    return _write(to_html(plan, **kw), path)
