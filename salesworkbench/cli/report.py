"""``salesworkbench report value``: a shareable HTML (and PDF) report, or deck, of a value case."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from salesworkbench.cli.common import (
    PROG,
    Output,
    add_command,
    add_common_options,
    add_cost_options,
    check_memory,
    input_file,
    note,
    pilot_costs,
    positive_int,
    power_of_two,
    read_value_case,
)
from salesworkbench.defaults import FORECAST_TRIALS, PILOT_TRIALS, VALUE_TRIALS

__all__ = [
    "EXAMPLES",
    "FORECAST_EXAMPLES",
    "TERRITORY_EXAMPLES",
    "VALUE_EXAMPLES",
    "add_parser",
]

EXAMPLES = f"""\
examples:
  {PROG} report value data/value_cases/telecom_arpu.yaml --out build/report.html
  {PROG} report value case.yaml --out build/case.html --pdf --trials 200000 --seed 3
  {PROG} report value case.yaml --out build/case.html --pptx
  {PROG} report forecast data/opportunities.csv --history data/opportunities.csv \
      --quota 4.5M --out build/forecast.html
  {PROG} report territory data/accounts.csv --reps data/reps.csv --out build/territory.html
"""

FORECAST_EXAMPLES = f"""\
examples:
  {PROG} report forecast data/opportunities.csv --history data/opportunities.csv \
      --stage-history data/stage_history.csv --quota 4.5M --out build/forecast.html
  {PROG} report forecast export.csv --history export.csv --mapping crm.yaml \
      --list-prices products.csv --as-of 2017-10-01 --out build/forecast.html --no-pdf

The same options as 'forecast'; the page holds the summary per period, the fan chart against
quota, the deals that carry the forecast and every note on the data. PDF as for 'report value'.
"""

TERRITORY_EXAMPLES = f"""\
examples:
  {PROG} report territory data/accounts.csv --out build/territory.html
  {PROG} report territory accounts.csv --deals pipeline.csv --deals-mapping crm.yaml \
      --reps sales_teams.csv --out build/territory.html --pdf

The same options as 'territory'; the page holds the rules, segments with the potential x
relationship matrix, market, coverage against capacity, messaging, the Alpha accounts and,
with --reps, the rep workload. PDF as for 'report value'.
"""

VALUE_EXAMPLES = f"""\
examples:
  {PROG} report value data/value_cases/telecom_arpu.yaml --out build/report.html
  {PROG} report value case.yaml --out build/case.html --pdf
  {PROG} report value case.yaml --out build/case.html --no-pdf --trials 20000
  {PROG} report value case.yaml --cost-fixed 20000 --cost-per-unit 50
  {PROG} report value case.yaml --out build/case.html --pptx build/case-deck.pptx

The HTML file is self-contained (figures embedded), so it can be mailed as it is. The PDF
(same name, .pdf) is printed by headless Chromium where it is installed: --pdf requires it,
--no-pdf skips it, and by default it is made when Chromium is found.
"""

_SOBOL_N = 2**12


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand (and its kinds: ``report value``) to ``subparsers``."""
    report = add_command(
        subparsers,
        "report",
        "write a shareable HTML/PDF report",
        "Write a shareable report.",
        EXAMPLES,
    )
    kinds = report.add_subparsers(dest="report_kind", metavar="KIND", required=True)
    p = add_command(
        kinds,
        "value",
        "report of a value case",
        "Write a self-contained HTML report of a value case (value statement, assumptions with "
        "units and sources, results, figures, sensitivity and the pilot recommendation) and, "
        "where Chromium is installed, a PDF of it.",
        VALUE_EXAMPLES,
    )
    p.add_argument("case", metavar="CASE.yaml", help="value case file")
    _out_and_pdf(p, "build/report.html")
    p.add_argument(
        "--pptx",
        nargs="?",
        const=True,
        default=None,
        metavar="DECK.pptx",
        help="also write a PowerPoint deck (default FILE with .pptx)",
    )
    p.add_argument(
        "--sobol-n",
        type=power_of_two,
        default=_SOBOL_N,
        metavar="N",
        help=f"base sample of the Sobol' indices, a power of 2 (default {_SOBOL_N})",
    )
    p.add_argument(
        "--pilot-trials",
        type=positive_int,
        default=PILOT_TRIALS,
        metavar="N",
        help=f"trials of the pilot analysis (default {PILOT_TRIALS:,})",
    )
    add_cost_options(p)
    add_common_options(p, seed_option=True, trials=VALUE_TRIALS, out=False)
    p.set_defaults(run=_run_value, writes_files=True)
    _add_forecast(kinds)
    _add_territory(kinds)
    return report


def _out_and_pdf(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--out", default=default, metavar="FILE", help=f"HTML file to write (default {default})"
    )
    pdf = p.add_mutually_exclusive_group()
    pdf.add_argument(
        "--pdf",
        dest="pdf",
        action="store_const",
        const=True,
        default=None,
        help="also print a PDF (FILE with .pdf); fail if Chromium is missing",
    )
    pdf.add_argument(
        "--no-pdf", dest="pdf", action="store_const", const=False, help="do not print a PDF"
    )


def _add_forecast(kinds) -> None:
    from salesworkbench.cli.forecast import add_forecast_options

    p = add_command(
        kinds,
        "forecast",
        "report of a pipeline forecast",
        "Write a self-contained HTML report of a bookings forecast (summary per period, fan "
        "chart against quota, the deals that carry it, notes on the data) and, where Chromium "
        "is installed, a PDF of it.",
        FORECAST_EXAMPLES,
    )
    add_forecast_options(p)
    p.add_argument("--title", default="Bookings forecast", help="title of the report")
    _out_and_pdf(p, "build/forecast.html")
    add_common_options(p, seed_option=True, trials=FORECAST_TRIALS, out=False)
    p.set_defaults(run=_run_forecast, writes_files=True)


def _add_territory(kinds) -> None:
    from salesworkbench.cli.territory import add_plan_options

    p = add_command(
        kinds,
        "territory",
        "report of a territory plan",
        "Write a self-contained HTML report of a territory plan (rules, segments and their "
        "matrix, coverage against capacity, messaging, Alpha accounts, rep workload) and, "
        "where Chromium is installed, a PDF of it.",
        TERRITORY_EXAMPLES,
    )
    add_plan_options(p)
    p.add_argument(
        "--top", type=positive_int, default=20, metavar="N", help="Alpha accounts listed"
    )
    _out_and_pdf(p, "build/territory.html")
    add_common_options(p, seed_option=False, trials=None, out=False)
    p.set_defaults(run=_run_territory, writes_files=True, summary=False, all_columns=False)


def _files(rep, pdf_flag) -> Output:
    files = pd.DataFrame(
        {"file": [str(rep.html)] + ([str(rep.pdf)] if rep.pdf else [])},
        index=pd.Index(["html"] + (["pdf"] if rep.pdf else []), name="kind"),
    )
    if rep.pdf is None and pdf_flag is None:
        note(f"no PDF: {rep.pdf_skipped}")
    doc = {"html": str(rep.html), "pdf": str(rep.pdf) if rep.pdf else None}
    text = "\n".join(f"{kind.upper()}: {path}" for kind, path in files["file"].items())
    return Output(files, document=doc, text=text)


def _check_html(out: str) -> None:
    if Path(out).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--out: the report is HTML; name it *.html, got {out!r}")


def _run_forecast(args: argparse.Namespace) -> Output:
    from salesworkbench.cli.forecast import run_forecast
    from salesworkbench.report import forecast_report

    _check_html(args.out)
    result, notes = run_forecast(args)
    currency = ""
    rep = forecast_report(
        result,
        args.out,
        title=args.title,
        source=args.pipeline,
        currency=currency,
        notes=notes,
        pdf=args.pdf,
    )
    return _files(rep, args.pdf)


def _run_territory(args: argparse.Namespace) -> Output:
    from salesworkbench.cli.territory import build_plan
    from salesworkbench.report import territory_report

    _check_html(args.out)
    plan = build_plan(args)
    rep = territory_report(plan, args.out, top=args.top, source=args.accounts, pdf=args.pdf)
    return _files(rep, args.pdf)


_FREE = argparse.Namespace(cost_fixed=0.0, cost_per_unit=0.0, cost_delay=0.0, scale=1.0)


def _run_value(args: argparse.Namespace) -> Output:
    from salesworkbench.report import value_report
    from salesworkbench.value.simulation import result_bytes

    if Path(args.out).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--out: the report is HTML; name it *.html, got {args.out!r}")
    if isinstance(args.pptx, str) and Path(args.pptx).suffix.lower() != ".pptx":
        raise ValueError(f"--pptx: the deck is PowerPoint; name it *.pptx, got {args.pptx!r}")
    input_file(args.case, "a value case, YAML")
    case = read_value_case(args.case)  # the file's errors first, then the size of the run
    per_trial = result_bytes(case, 1)
    check_memory(per_trial * args.trials, f"--trials {args.trials:,}", per_trial)
    check_memory(
        2 * per_trial * args.pilot_trials, f"--pilot-trials {args.pilot_trials:,}", 2 * per_trial
    )
    costs = pilot_costs(args)
    rep = value_report(
        args.case,
        out=args.out,
        trials=args.trials,
        seed=args.seed,
        pdf=args.pdf,
        sobol_n=args.sobol_n,
        pilot_trials=args.pilot_trials,
        pilot_costs=costs if costs != pilot_costs(_FREE) else None,
        progress=args.progress,
    )
    kinds = {"html": str(rep.html)}
    if rep.pdf:
        kinds["pdf"] = str(rep.pdf)
    if args.pptx:
        from salesworkbench.report import value_pptx

        deck = Path(args.out).with_suffix(".pptx") if args.pptx is True else Path(args.pptx)
        kinds["pptx"] = str(value_pptx(rep.simulation.case, deck, simulation=rep.simulation).path)
    files = pd.DataFrame({"file": list(kinds.values())}, index=pd.Index(list(kinds), name="kind"))
    if rep.pdf is None and args.pdf is None:
        note(f"no PDF: {rep.pdf_skipped}")
    doc = {"html": str(rep.html), "pdf": str(rep.pdf) if rep.pdf else None}
    if args.pptx:
        doc["pptx"] = kinds["pptx"]
    text = "\n".join(f"{kind.upper()}: {path}" for kind, path in files["file"].items())
    return Output(files, document=doc, text=text)
