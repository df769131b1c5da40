"""The value case report: run the analyses a reviewer asks for, draw the figures, write the page.

:func:`value_report` simulates the case and runs the tornado, rank correlations, Sobol'
indices and the pilot plan, draws the figures (embedded as PNG images) and writes one
self-contained HTML file (laid out by :mod:`salesworkbench.report.layout`), then prints it to
PDF where Chromium is installed (:mod:`salesworkbench.report.pdf`).
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench import __version__
from salesworkbench._files import atomic_write
from salesworkbench.defaults import PILOT_TRIALS, VALUE_TRIALS
from salesworkbench.render import figure_data_uri, fit_tick_labels
from salesworkbench.report.layout import OUTPUT_LABELS, ReportFigure, value_case_page
from salesworkbench.report.pdf import ChromiumNotFoundError, find_chromium, html_to_pdf

if TYPE_CHECKING:
    from salesworkbench.value import ValueCase, ValueSimulation

__all__ = ["ValueReport", "value_report"]


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def _draw(
    key: str,
    title: str,
    caption: str,
    draw: Callable[[Any], Any],
    size: tuple[float, float] = (6.4, 3.6),
    dpi: int = 150,
) -> ReportFigure:
    """Draw with ``draw(ax)`` on a fresh Agg figure (no pyplot state) and embed it as a PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    draw(fig.add_subplot())
    overlaps = fit_tick_labels(fig)  # tilts crowded x labels; what still overlaps is recorded
    # constrained layout already fits the labels: no tight crop; a bare figure needs no closing
    return ReportFigure(
        key,
        title,
        caption,
        figure_data_uri(fig, dpi=dpi, tight=False, close=False),
        overlaps=overlaps,
    )


#: Short names of the outputs for figure titles.
_SHORT = {
    "npv": "NPV",
    "roi": "ROI",
    "payback_years": "payback",
    "total_benefits": "benefits",
    "total_investment": "investment",
}


def _retitle(ax, title: str):
    ax.set_title(title, fontsize="medium")
    return ax


def _headroom(ax, share: float = 0.12):
    """Room above the tallest bar for its label (so it does not run into the title)."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + share * (hi - lo))
    ax.title.set_fontsize("medium")
    return ax


def _tilt(ax):
    for label in ax.get_xticklabels():
        label.set_rotation(45)
        label.set_horizontalalignment("right")
        label.set_fontsize("small")
    return ax


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------
@dataclass
class ValueReport:
    """What :func:`value_report` wrote and computed.

    Attributes
    ----------
    html : pathlib.Path
        The HTML report.
    pdf : pathlib.Path or None
        The PDF, or None when none was printed (see ``pdf_skipped``).
    pdf_skipped : str or None
        Why there is no PDF.
    simulation : ValueSimulation
    tornado, rank_correlation, sobol, pilots : pandas.DataFrame
        The analyses shown in the report.
    notes : list of str
        Caveats printed in the report's method section (e.g. warnings raised on the way).
    cash_flows : pandas.DataFrame or None
        The cash flows by year per scenario
        (:func:`~salesworkbench.value.cashflow_table.cash_flow_table`).
    figures : dict of str to ReportFigure
        The figures, each with the labels that still overlapped after fitting (``overlaps``;
        empty when every label is clear).
    """

    html: Path
    pdf: Path | None
    pdf_skipped: str | None
    simulation: ValueSimulation
    tornado: pd.DataFrame
    rank_correlation: pd.DataFrame
    sobol: pd.DataFrame
    pilots: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    cash_flows: pd.DataFrame | None = None
    figures: dict[str, ReportFigure] = field(default_factory=dict)


def _read_case(path: str | os.PathLike) -> ValueCase:
    """Read a value case file; errors name the file (a missing file, or not text at all)."""
    from salesworkbench.errors import ValueCaseError
    from salesworkbench.value import ValueCase

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{path}: file not found (a value case, YAML)")
    try:
        return ValueCase.from_yaml(p)
    except UnicodeDecodeError as exc:
        raise ValueCaseError(
            f"{path}: not a text (UTF-8) file, so not a value case ({exc.reason} at byte "
            f"{exc.start})"
        ) from None


def _as_case(case_or_path: Any) -> tuple[ValueCase, str]:
    if isinstance(case_or_path, str | os.PathLike):
        return _read_case(case_or_path), Path(case_or_path).name
    if hasattr(case_or_path, "simulate") and hasattr(case_or_path, "assumptions"):
        return case_or_path, "<ValueCase>"
    raise TypeError(
        f"value_report needs a ValueCase or the path of a value case file, got "
        f"{type(case_or_path).__name__}"
    )


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def value_report(
    case_or_path: ValueCase | str | os.PathLike,
    out: str | os.PathLike = "build/report.html",
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    pdf: bool | str | os.PathLike | None = None,
    *,
    output: str = "npv",
    sobol_n: int = 2**12,
    pilot_trials: int = PILOT_TRIALS,
    pilot_costs: Mapping[str, Any] | None = None,
    date: _dt.date | str | None = None,
    progress: bool | None = None,
) -> ValueReport:
    """Write a self-contained HTML report of a value case, and a PDF of it where possible.

    The report holds the value statement; key figures (expected value, P(value > 0), NPV, ROI,
    payback); the results table; the value distribution, cumulative curve and benefits vs
    investment waterfall; the assumptions with their distributions, P10/most likely/P90, units
    and sources; the benefit and investment lines; what drives the value (tornado, rank
    correlation, Sobol' indices); and the pilot recommendation from
    :func:`salesworkbench.voi.plan_pilots`. Figures are embedded PNG images: the file has no
    external references.

    Parameters
    ----------
    case_or_path : ValueCase or path
        The value case, or its YAML file.
    out : path-like, default "build/report.html"
        The HTML file (written atomically; folders are created).
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS` (100,000)
        Monte Carlo trials of the simulation.
    seed : int, default 0
        Seed for every random step; the same seed gives the same report.
    pdf : bool, path or None
        None: print a PDF (``out`` with ``.pdf``) when Chromium is found, else skip it (the
        reason is in ``pdf_skipped``). True: the PDF is required (:class:`PdfError` without
        Chromium). False: no PDF. A path: print the PDF there (required).
    output : str, default "npv"
        The output the sensitivity analyses and tornado look at.
    sobol_n : int, default 4096
        Base sample of the Sobol' indices (a power of 2).
    pilot_trials : int, default :data:`~salesworkbench.defaults.PILOT_TRIALS` (20,000)
        Trials of the pilot (value of information) analysis.
    pilot_costs : mapping, optional
        Pilot costs for :func:`~salesworkbench.voi.plan_pilots` (``fixed``, ``per_unit``,
        ``delay``, ``scale`` and per-assumption overrides); default: free pilots.
    date : date or str, optional
        Date printed on the report (default today).
    progress : bool, optional
        Progress bar over the report's steps on stderr (default on; False turns it off).

    Returns
    -------
    ValueReport
        Paths written and the analyses shown.

    Raises
    ------
    FileNotFoundError
        The case file does not exist.
    ValueCaseError
        The case file is not a valid value case.
    ValueError
        A bad parameter (named in the message).
    PdfError
        A PDF was required but Chromium is missing or failed (the HTML is written first).

    Examples
    --------
    >>> from salesworkbench.datasets import data_path
    >>> from salesworkbench.report import value_report
    >>> rep = value_report(data_path("value_cases/telecom_arpu.yaml"), "build/telecom.html",
    ...                    trials=20_000, pdf=False)  # doctest: +SKIP
    >>> rep.html  # doctest: +SKIP
    PosixPath('build/telecom.html')
    """
    from tqdm.auto import tqdm

    from salesworkbench.plotting.sensitivity import plot_rank_correlation, plot_sobol, plot_tornado
    from salesworkbench.plotting.voi import plot_evppi
    from salesworkbench.value import cash_flow_table, rank_correlation, sobol, tornado
    from salesworkbench.voi import plan_pilots

    trials = _check_positive_int("trials", trials)
    pilot_trials = _check_positive_int("pilot_trials", pilot_trials)
    sobol_n = _check_positive_int("sobol_n", sobol_n)
    if sobol_n & (sobol_n - 1):
        raise ValueError(f"sobol_n must be a power of 2 (e.g. 4096), got {sobol_n}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
    seed = int(seed)
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"out: the report is an HTML file (*.html), got {str(out)!r}")
    if isinstance(pdf, str | os.PathLike):
        pdf_target: Path | None = Path(pdf)
        pdf_required = True
    elif pdf is None or pdf is True:
        pdf_target = out.with_suffix(".pdf")
        pdf_required = pdf is True
    elif pdf is False:
        pdf_target, pdf_required = None, False
    else:
        raise ValueError(f"pdf must be None, True, False or a path, got {pdf!r}")
    chromium = find_chromium() if pdf_target is not None else None
    if pdf_required and chromium is None:
        raise ChromiumNotFoundError(
            "a PDF was asked for but Chromium was not found: install it (Debian/Ubuntu: "
            "apt-get install chromium) or set SALESWORKBENCH_CHROMIUM"
        )
    if date is None:
        date = _dt.date.today()
    date_text = date.isoformat() if isinstance(date, _dt.date) else str(date)

    case, source = _as_case(case_or_path)
    from salesworkbench.value import OUTPUTS

    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    cur = case.currency or ""
    notes: list[str] = []
    steps = ["simulate", "tornado", "rank correlation", "Sobol", "pilots", "figures", "HTML"]
    if pdf_target is not None and chromium is not None:
        steps.append("PDF")
    bar = tqdm(
        total=len(steps), desc="report", unit="step", disable=progress is False, file=sys.stderr
    )

    def step(i: int) -> None:
        bar.set_postfix_str(steps[i], refresh=False)
        if i:
            bar.update(1)

    def caught(records: list) -> None:
        for w in records:
            msg = " ".join(str(w.message).split())
            if msg not in notes:
                notes.append(msg)

    try:
        step(0)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            sim = case.simulate(trials, seed=seed, progress=False)
            summary = sim.summary
            flows = cash_flow_table(case, sim)
            payback = sim.payback()
            statement = case.value_statement(sim)
            step(1)
            tor = tornado(case, output=output)
            step(2)
            rc = rank_correlation(sim, output=output)
            step(3)
            sob = sobol(case, n=sobol_n, seed=seed, output=output)
            step(4)
            psim = sim if pilot_trials == trials else None
            plan = plan_pilots(
                case,
                trials=pilot_trials,
                seed=seed,
                costs=pilot_costs,
                simulation=psim,
                progress=False,
            )
        caught(rec)
        step(5)
        # assumptions by their labels in every figure and table
        titles = {n: a.title for n, a in case.assumptions.items()}
        tor_l, rc_l, sob_l, plan_l = (t.rename(index=titles) for t in (tor, rc, sob, plan))
        plan_l.attrs = dict(plan.attrs)
        from salesworkbench.plotting.value import (
            plot_cumulative,
            plot_value_distribution,
            plot_waterfall,
        )

        figs = {
            "distribution": _draw(
                "distribution",
                "Distribution of value",
                f"Value (total benefits - total investment{', ' + cur if cur else ''}) over "
                f"{trials:,} simulated outcomes, with P10, P50 and P90 and the chance the value "
                "is positive.",
                lambda ax: plot_value_distribution(sim, ax=ax),
                size=(7.2, 3.0),
            ),
            "cumulative": _draw(
                "cumulative",
                "Cumulative probability",
                "Chance that the value comes out at or below each amount; read P(value <= 0) "
                "where the curve crosses zero.",
                lambda ax: _headroom(plot_cumulative(sim, ax=ax), 0.0),
                size=(5.2, 3.6),
            ),
            "waterfall": _draw(
                "waterfall",
                "Benefits versus investment",
                "Each benefit and investment line (expected, the mean over the trials) adding up "
                "to the expected value.",
                lambda ax: _headroom(plot_waterfall(case, ax=ax, simulation=sim)),
                size=(5.2, 3.6),
            ),
            "tornado": _draw(
                "tornado",
                "Tornado",
                f"Swing of {OUTPUT_LABELS.get(output, output).lower()} as each assumption moves to "
                "its P10 and P90 while the others stay at their most likely value.",
                lambda ax: plot_tornado(tor_l, ax=ax, currency=cur),
                size=(7.2, 0.9 + 0.42 * max(len(tor), 1)),
            ),
            "rank_correlation": _draw(
                "rank_correlation",
                "Rank correlation",
                "Spearman correlation of each assumption with "
                f"{OUTPUT_LABELS.get(output, output).lower()} over the simulation.",
                lambda ax: _retitle(
                    plot_rank_correlation(rc_l, ax=ax),
                    f"Rank correlation with {_SHORT.get(output, output)}",
                ),
                size=(5.2, 0.9 + 0.36 * max(len(rc), 1)),
            ),
            "sobol": _draw(
                "sobol",
                "Sobol' indices",
                "Share of the variance explained by each assumption alone (S1) and with its "
                "interactions (ST), with 95% confidence intervals.",
                lambda ax: _tilt(
                    _retitle(
                        plot_sobol(sob_l, ax=ax), f"Sobol' indices of {_SHORT.get(output, output)}"
                    )
                ),
                size=(5.2, 3.4),
            ),
        }
        uncertain_plan = plan.dropna(subset=["evppi"])
        if len(uncertain_plan):
            figs["evppi"] = _draw(
                "evppi",
                "Value of information",
                "What learning each assumption exactly would be worth (EVPPI, with ±2 "
                "standard errors); the dashed line is the value of perfect information on "
                "everything (EVPI).",
                lambda ax: plot_evppi(plan_l, currency=cur, ax=ax),
                size=(7.2, 0.9 + 0.36 * len(uncertain_plan)),
            )
        step(6)
        page = value_case_page(
            case=case,
            source=source,
            summary=summary,
            statement=statement,
            tor=tor_l,
            rc=rc_l,
            sob=sob_l,
            plan=plan_l,
            flows=flows,
            payback=payback,
            figs=figs,
            notes=notes,
            meta={
                "trials": trials,
                "seed": seed,
                "sobol_n": sobol_n,
                "pilot_trials": pilot_trials,
                "output": output,
                "free_pilots": not pilot_costs,
                "version": __version__,
                "date": date_text,
            },
        )
        with atomic_write(out) as fh:
            fh.write(page)
        pdf_path = None
        skipped = None
        if pdf_target is None:
            skipped = "not asked for (pdf=False)"
        elif chromium is None:
            skipped = "Chromium not found (install the chromium package to get a PDF)"
        else:
            step(7)
            pdf_path = html_to_pdf(out, pdf_target, chromium=chromium)
        bar.update(bar.total - bar.n)
    finally:
        bar.close()
    return ValueReport(
        html=out,
        pdf=pdf_path,
        pdf_skipped=skipped,
        simulation=sim,
        tornado=tor,
        rank_correlation=rc,
        sobol=sob,
        pilots=plan,
        notes=notes,
        cash_flows=flows,
        figures=figs,
    )
