"""The forecast report: bookings per period against quota, the deals that carry it, as one page.

:func:`forecast_report` lays out a :class:`~salesworkbench.pipeline.ForecastResult` (and,
optionally, a backtest) as one self-contained HTML file, figures embedded, and prints it to
PDF where Chromium is installed. :func:`frame_html` and :func:`write_report` are shared with
the territory report.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench import __version__
from salesworkbench._files import atomic_write
from salesworkbench.formatting import format_money, format_number, format_percent
from salesworkbench.render import escape, html_page, html_table
from salesworkbench.report.layout import CSS, ReportFigure
from salesworkbench.report.pdf import ChromiumNotFoundError, find_chromium, html_to_pdf

if TYPE_CHECKING:
    from salesworkbench.pipeline import BacktestResult, ForecastResult

__all__ = [
    "REPORT_CSS",
    "ReportFiles",
    "cell_text",
    "forecast_report",
    "frame_html",
    "write_report",
]

#: Columns shown as percentages (shares and probabilities).
PERCENT_COLUMNS = frozenset(
    {
        "p_quota",
        "coverage",
        "share",
        "utilisation",
        "win_prob",
        "prob_in_period",
        "variance_share",
        "mae_pct",
        "bias_pct",
        "coverage_p10_p90",
        "share_of_wallet",
    }
)


@dataclass
class ReportFiles:
    """What a report wrote: the HTML, the PDF (or None) and why there is no PDF."""

    html: Path
    pdf: Path | None
    pdf_skipped: str | None


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def cell_text(column: str, value: Any, currency: str = "") -> str:
    """One table cell through the one formatter: ``n/a`` for a missing number, never 0."""
    if _missing(value):
        return "n/a"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | _dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if column in PERCENT_COLUMNS or column.startswith("p_"):
            return format_percent(float(value), 1)
        return format_money(float(value), currency) if currency else format_number(float(value))
    return str(value)


def frame_html(
    frame: pd.DataFrame,
    *,
    index: bool = False,
    money: Iterable[str] = (),
    currency: str = "",
    drop_empty: bool = True,
) -> str:
    """A DataFrame as an escaped HTML table, numbers through :mod:`salesworkbench.formatting`.

    Rows and columns with no value at all are dropped (``drop_empty``); a missing figure
    shows ``n/a``. Tables of more than 8 columns get the class ``wide`` (smaller type).
    Columns in ``money`` get the ``currency`` in front.
    """
    df = frame.reset_index() if index else frame
    if drop_empty and len(df.columns):
        df = df.dropna(how="all").dropna(axis=1, how="all")
    money = set(money)
    cols = [str(c) for c in df.columns]
    rows = [
        [cell_text(c, v, currency if c in money else "") for c, v in zip(cols, row, strict=True)]
        for row in df.itertuples(index=False, name=None)
    ]
    nums = [
        i
        for i, c in enumerate(df.columns)
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]
    cls = "wide" if len(cols) > 8 else ""
    return html_table([c.replace("_", " ") for c in cols], rows, num_cols=nums, cls=cls)


#: The shared report stylesheet, plus smaller type for wide tables so they fit A4.
REPORT_CSS = (
    CSS + "\ntable.wide { font-size: 7pt; } table.wide td, table.wide th { padding: 2pt 3pt; }\n"
)


def _figure(key: str, title: str, caption: str, draw: Callable[[Any], Any]) -> ReportFigure:
    """Draw on a fresh Agg figure (no pyplot state) and embed it as a PNG."""
    from salesworkbench.report.valuecase import _draw

    return _draw(key, title, caption, draw)


def write_report(
    page: str, out: str | os.PathLike, pdf: bool | str | os.PathLike | None = None
) -> ReportFiles:
    """Write ``page`` atomically to ``out`` (``*.html``) and print a PDF of it where asked.

    ``pdf``: None prints one beside the HTML when Chromium is found (else the reason is in
    ``pdf_skipped``); True requires it (:class:`ChromiumNotFoundError` without Chromium,
    raised before anything is written); False skips it; a path prints it there (required).
    """
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"out: the report is an HTML file (*.html), got {str(out)!r}")
    if pdf is None or pdf is True:
        target: Path | None = out.with_suffix(".pdf")
    elif pdf is False:
        target = None
    else:
        target = Path(pdf)
    required = pdf is not None and pdf is not False
    chromium = find_chromium() if target is not None else None
    if required and chromium is None:
        raise ChromiumNotFoundError(
            "a PDF was asked for but Chromium was not found: install it (Debian/Ubuntu: "
            "apt-get install chromium) or set SALESWORKBENCH_CHROMIUM"
        )
    with atomic_write(out) as fh:
        fh.write(page)
    if target is None:
        return ReportFiles(out, None, "not asked for")
    if chromium is None:
        return ReportFiles(out, None, "Chromium not found (install it to get a PDF)")
    return ReportFiles(out, html_to_pdf(out, target, chromium=chromium), None)


def _header(title: str, sub: str, date: _dt.date | str | None) -> str:
    when = (date or _dt.date.today()).__str__()
    return (
        f"<h1>{escape(title)}</h1><p class='sub'>{escape(sub)} &middot; {escape(when)} "
        f"&middot; salesworkbench {escape(__version__)}</p>"
    )


def _cards(cards: Sequence[tuple[str, str, str]]) -> str:
    items = "".join(
        f"<div class='card'><div class='k'>{escape(k)}</div><div class='v'>{escape(v)}</div>"
        f"<div class='n'>{escape(n)}</div></div>"
        for k, v, n in cards
    )
    return f"<div class='cards'>{items}</div>"


def forecast_report(
    result: ForecastResult,
    out: str | os.PathLike = "build/forecast.html",
    *,
    title: str = "Bookings forecast",
    source: str = "",
    currency: str = "",
    notes: Sequence[str] = (),
    backtest: BacktestResult | None = None,
    top: int = 15,
    pdf: bool | str | os.PathLike | None = None,
    date: _dt.date | str | None = None,
) -> ReportFiles:
    """Write a self-contained HTML report of a forecast (and a PDF where possible).

    The page holds the headline (expected bookings of the first period, its P10-P90 and the
    chance of making quota), the summary per period, the fan chart against quota, the deals
    that carry the forecast, the backtest beside the baselines when given, and every note
    the forecast raised. User text (file names, deal ids, accounts) is escaped.

    Parameters
    ----------
    result : ForecastResult
        From :func:`salesworkbench.pipeline.forecast`.
    out : path-like
        The HTML file (``*.html``; written atomically).
    title, source : str
        Title, and where the data came from (shown under it).
    currency : str
        Put in front of amounts in sentences and cards (e.g. ``"GBP"``).
    notes : sequence of str
        Extra notes (e.g. how the exports were rebuilt), shown before the forecast's own.
    backtest : BacktestResult, optional
        Shown as the model's track record beside the baselines.
    top : int
        Deals listed (largest expected contribution first).
    pdf : bool, path or None
        See :func:`write_report`.
    date : date or str, optional
        Date printed on the report (default today).
    """
    from salesworkbench.plotting.forecast import deal_contribution_chart, fan_chart

    s = result.summary
    first = s.iloc[0]
    periods = s.drop(index="total", errors="ignore")
    quota_known = "quota" in s and pd.notna(first.get("quota"))
    cards = [
        (
            f"expected {periods.index[0]}",
            format_money(first["mean"], currency),
            f"P10-P90 {format_number(first['p10'])} to {format_number(first['p90'])}",
        ),
        (
            "P(bookings >= quota)",
            format_percent(first["p_quota"], 1) if quota_known else "n/a",
            f"quota {format_money(first['quota'], currency)}" if quota_known else "no quota",
        ),
        ("open deals", f"{len(result.deals):,}", f"{len(result.stale):,} stale left out"),
        ("trials", f"{result.trials:,}", f"seed {result.seed}"),
    ]
    fan = _figure(
        "fan",
        "Bookings per period",
        "P10-P90 band, median and mean of the simulated bookings; the dashed line is quota.",
        lambda ax: fan_chart(result, ax=ax, stage_weighted=s["stage_weighted"].notna().any()),
    )
    parts = [
        _header(title, source or "forecast", date),
        f"<p>Forecast as of {escape(f'{result.as_of:%Y-%m-%d}')}: the open pipeline simulated "
        f"{escape(f'{result.trials:,}')} times from win rates and cycle times learned from "
        "closed deals.</p>",
        _cards(cards),
        "<h2>Bookings per period</h2>",
        frame_html(
            s.drop(columns=["start", "end"], errors="ignore").rename_axis("period"),
            index=True,
            currency=currency,
        ),
        fan.html(wide=True),
    ]
    if len(result.deals):
        deals = result.deals.head(top)
        cols = [
            c
            for c in ("opportunity_id", "account", "stage", "amount", "win_prob", "expected")
            if c in deals.columns
        ]
        carry = _figure(
            "deals",
            "The deals that carry the forecast",
            "Amount and expected bookings of the largest expected contributions.",
            lambda ax: deal_contribution_chart(result, top=top, ax=ax),
        )
        parts += [
            f"<h2>The {len(deals)} deals that carry the forecast</h2>",
            frame_html(deals[cols]),
            carry.html(wide=True),
        ]
    if backtest is not None:
        parts += [
            "<h2>Track record: the forecast at past cut-offs</h2>",
            frame_html(backtest.comparison, index=True),
        ]
    all_notes = [*notes, *result.notes]
    if all_notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in all_notes)
        parts += ["<h2>Notes on the data</h2>", f"<ul>{items}</ul>"]
    return write_report(html_page(title, "\n".join(parts), css=REPORT_CSS), out, pdf)
