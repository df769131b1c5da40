"""The territory report: a :class:`~salesworkbench.territory.TerritoryPlan` as one shareable page.

:func:`territory_report` lays out the plan (rules, segments with the potential x relationship
matrix, market, coverage against capacity, messaging, the Alpha accounts and, with reps, the
assignment's workload) as one self-contained HTML file and prints it to PDF where Chromium is
installed. Every account name, sector, message and note is escaped.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import TYPE_CHECKING

from salesworkbench.render import escape, html_page
from salesworkbench.report.forecast import (
    REPORT_CSS,
    ReportFiles,
    _figure,
    _header,
    frame_html,
    write_report,
)

if TYPE_CHECKING:
    from salesworkbench.territory import TerritoryPlan

__all__ = ["territory_report"]


def territory_report(
    plan: TerritoryPlan,
    out: str | os.PathLike = "build/territory.html",
    *,
    top: int = 20,
    source: str = "",
    notes: list[str] | tuple[str, ...] = (),
    pdf: bool | str | os.PathLike | None = None,
    date: _dt.date | str | None = None,
) -> ReportFiles:
    """Write a self-contained HTML report of a territory plan (and a PDF where possible).

    Parameters
    ----------
    plan : TerritoryPlan
        The plan (segmented accounts; with ``reps`` the assignment and workload are shown).
    out : path-like
        The HTML file (``*.html``; written atomically).
    top : int
        Alpha accounts listed (the full list belongs in the CSV/Excel export).
    source : str
        Where the accounts came from (shown under the title).
    notes : sequence of str
        Notes on the data shown at the end.
    pdf : bool, path or None
        See :func:`~salesworkbench.report.forecast.write_report`.
    date : date or str, optional
        Date printed on the report (default today).
    """
    from salesworkbench.plotting.territory import plot_segment_matrix

    sections = plan.sections()
    th = plan.thresholds
    parts = [_header(plan.name, source or "territory plan", date)]
    if th:
        rules = [
            f"Alpha: potential >= {th['potential_high']:g}, prioritised by relationship",
            f"Beta: potential {th['potential_low']:g} to {th['potential_high']:g} and "
            f"relationship >= {th['relationship_high']:g}",
            f"Delta: the rest (potential < {th['potential_low']:g}, insufficient data, or "
            f"moderate potential with relationship < {th['relationship_high']:g})",
        ]
        parts += ["<h2>Segmentation rules</h2>", "<ul>"]
        parts += [f"<li>{escape(r)}</li>" for r in rules]
        parts.append("</ul>")
    matrix = _figure(
        "matrix",
        "Potential against relationship",
        "One dot per account, coloured by segment; crosses below: not enough data to assess "
        "potential.",
        lambda ax: plot_segment_matrix(plan.accounts, ax=ax),
    )
    parts += [
        "<h2>Segments</h2>",
        frame_html(sections["segment_summary"]),
        matrix.html(wide=True),
    ]
    if "profile" in sections:
        parts += ["<h2>Customer profile</h2>", frame_html(sections["profile"])]
    for key, table in sections.items():
        if key.startswith("market_by_"):
            parts += [
                f"<h2>Market by {escape(key[len('market_by_') :])}</h2>",
                frame_html(table),
            ]
    parts += [
        "<h2>Coverage: hours per quarter by segment and role</h2>",
        frame_html(sections["coverage"]),
        "<h2>Capacity by role</h2>",
        frame_html(sections["capacity"]),
        "<h2>Messaging</h2>",
        "<ul>",
        *(
            f"<li><b>{escape(seg)}</b>: {escape(msg)}</li>"
            for seg, msg in zip(
                sections["messaging"]["segment"], sections["messaging"]["message"], strict=True
            )
        ),
        "</ul>",
    ]
    alpha = sections["alpha_accounts"]
    parts += [
        f"<h2>Alpha accounts by priority (top {min(top, len(alpha))} of {len(alpha)})</h2>",
        frame_html(alpha.head(top)),
    ]
    if "rep_load" in sections:
        a = sections["assignment"]
        parts += [
            "<h2>Assignment: rep workload</h2>",
            f"<p>{len(a):,} accounts; {int(a['kept_owner'].sum()):,} kept their owner; "
            f"{int(a['assigned_rep'].isna().sum()):,} left unassigned (no rep has the hours).</p>",
            frame_html(sections["rep_load"]),
        ]
    all_notes = [*notes, *([plan.notes] if plan.notes else [])]
    if all_notes:
        parts += ["<h2>Notes</h2>", "<ul>", *(f"<li>{escape(n)}</li>" for n in all_notes), "</ul>"]
    return write_report(html_page(plan.name, "\n".join(parts), css=REPORT_CSS), out, pdf)
