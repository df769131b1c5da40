"""The ``salesworkbench`` command line: the notebooks' analyses for scripts and automation.

Subcommands call the same functions the notebooks use::

    salesworkbench segment ACCOUNTS.csv                 Alpha/Beta/Delta segmentation
    salesworkbench value CASE.yaml                      Monte Carlo value of a value case
    salesworkbench pilots CASE.yaml                     which assumption to pilot, how big
    salesworkbench forecast PIPELINE.csv --history HISTORY.csv    bookings forecast
    salesworkbench report value CASE.yaml --out build/report.html  HTML (and PDF) report

Results go to stdout (or ``--out FILE``) as a readable table, CSV or JSON (``--format``); with
CSV and JSON, stdout holds nothing else, so it can be piped into other tools. Progress bars,
notes on the data and errors go to stderr. Exit codes: 0 success, 2 bad input (a missing or
malformed file, a bad flag or parameter), with a one-line message naming the file, row, column,
assumption or parameter at fault.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from salesworkbench._files import atomic_write
from salesworkbench.errors import DataError, DataWarning, ValueCaseError
from salesworkbench.spreadsheet import neutralise_frame

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "build_parser", "main"]

EXIT_OK = 0
#: Exit code when a step failed for another reason (e.g. Chromium could not print the PDF).
EXIT_FAILED = 1
#: Exit code for bad input: a missing or malformed file, an unknown flag, a bad parameter.
EXIT_BAD_INPUT = 2

PROG = "salesworkbench"
FORMATS = ("table", "csv", "json")


# --------------------------------------------------------------------------------------------
# argument parsing
# --------------------------------------------------------------------------------------------
class UsageError(Exception):
    """A bad command line (reported on one line, exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that reports errors on one line and never calls ``sys.exit`` itself."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        number = float(text.replace("_", ""))  # 100000, 100_000 and 1e5 all work
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number.is_integer()):
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}")
    value = int(number)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative whole number, got {text!r}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {text!r}")
    return value


def _score(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a score from 0 to 100, got {text!r}")
    return value


def _power_of_two(text: str) -> int:
    value = _positive_int(text)
    if value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of 2 (e.g. 4096, 8192), got {text!r}")
    return value


def _numbers(text: str) -> list[float]:
    """Comma-separated numbers, e.g. ``--quota 3e6,3.5e6``."""
    return [_non_negative(part.strip()) for part in text.split(",") if part.strip()]


EXAMPLES = {
    "main": f"""\
examples:
  {PROG} segment data/accounts.csv --format csv > segments.csv
  {PROG} value data/value_cases/telecom_arpu.yaml --trials 100000 --seed 1
  {PROG} pilots data/value_cases/field_service_app.yaml --cost-fixed 20000 --cost-per-unit 50
  {PROG} forecast data/opportunities.csv --history data/opportunities.csv --as-of 2026-10-01
  {PROG} report value data/value_cases/telecom_arpu.yaml --out build/report.html --pdf

Run '{PROG} COMMAND --help' for a command's options. Exit codes: 0 ok, 2 bad input,
1 another failure (e.g. Chromium could not print a PDF). The sample files are under
data/ in the repository; in an installed package, find them with
  python -c "from salesworkbench.datasets import data_path; print(data_path('accounts.csv'))"
""",
    "segment": f"""\
examples:
  {PROG} segment data/accounts.csv
  {PROG} segment export.csv --mapping crm_columns.yaml --format csv --out build/segments.csv
  {PROG} segment data/accounts.csv --potential-high 75 --relationship-high 40 --summary
  {PROG} segment data/accounts.csv --format json | jq '.[] | select(.segment == "Alpha")'

Accounts are listed in priority order (1 = work first: Alpha by relationship, then Beta,
then Delta). A mapping file holds 'file column: canonical column' pairs (YAML).
""",
    "value": f"""\
examples:
  {PROG} value data/value_cases/telecom_arpu.yaml
  {PROG} value case.yaml --trials 200000 --seed 7 --format json --out build/value.json
  {PROG} value case.yaml --samples build/samples.csv --format csv

The table gives mean, sd, P10/P50/P90 and P(> 0) of each output (value = benefits -
investment, undiscounted; npv discounted; roi; payback_years) and the value statement.
""",
    "pilots": f"""\
examples:
  {PROG} pilots data/value_cases/field_service_app.yaml
  {PROG} pilots case.yaml --cost-fixed 20000 --cost-per-unit 50 --scale 10 --format csv
  {PROG} pilots case.yaml --trials 50000 --max-n 500 --format json

One row per uncertain assumption, best pilot first: EVPPI (what perfect knowledge of it is
worth), the best pilot design and size, its EVSI, cost and expected net benefit (ENBS).
""",
    "forecast": f"""\
examples:
  {PROG} forecast data/opportunities.csv --history data/opportunities.csv --as-of 2026-10-01
  {PROG} forecast pipeline.csv --history closed.csv --stage-history stages.csv \\
      --timing stage --quota 3000000 --periods 4 --freq quarter
  {PROG} forecast pipeline.csv --history closed.csv --mapping salesforce --deals --format csv

PIPELINE holds the open deals (closed rows in it are left out); HISTORY the closed deals the
win rates and cycle times are learned from (the same export may serve as both). --mapping is a
mapping file or a preset (salesforce, hubspot) used for both files unless --history-mapping
is given.
""",
    "report": f"""\
examples:
  {PROG} report value data/value_cases/telecom_arpu.yaml --out build/report.html
  {PROG} report value case.yaml --out build/case.html --pdf --trials 200000 --seed 3
""",
    "report value": f"""\
examples:
  {PROG} report value data/value_cases/telecom_arpu.yaml --out build/report.html
  {PROG} report value case.yaml --out build/case.html --pdf
  {PROG} report value case.yaml --out build/case.html --no-pdf --trials 20000
  {PROG} report value case.yaml --cost-fixed 20000 --cost-per-unit 50

The HTML file is self-contained (figures embedded), so it can be mailed as it is. The PDF
(same name, .pdf) is printed by headless Chromium where it is installed: --pdf requires it,
--no-pdf skips it, and by default it is made when Chromium is found.
""",
}


def _common(p: argparse.ArgumentParser, *, seed: bool, trials: int | None, out: bool = True):
    """Add the options every analysis shares."""
    if trials is not None:
        p.add_argument(
            "--trials",
            type=_positive_int,
            default=trials,
            metavar="N",
            help=f"Monte Carlo trials (default {trials:,})",
        )
    if seed:
        p.add_argument(
            "--seed",
            type=_seed,
            default=0,
            metavar="N",
            help="random seed; the same seed gives the same numbers (default 0)",
        )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="output format: a readable table, or clean CSV / JSON for other tools (default table)",
    )
    if out:
        p.add_argument("--out", metavar="FILE", help="write the result to FILE instead of stdout")
    p.add_argument(
        "--no-progress",
        dest="progress",
        action="store_const",
        const=False,
        default=None,
        help="never show a progress bar (by default one is shown on stderr for long runs)",
    )


def _cost_options(p: argparse.ArgumentParser) -> None:
    """Pilot cost options (pilots, report value)."""
    for flag, default, help_ in (
        ("--cost-fixed", 0.0, "set-up cost of a pilot, in the case's currency (default 0)"),
        ("--cost-per-unit", 0.0, "cost per pilot observation (default 0)"),
        (
            "--cost-delay",
            0.0,
            "cost of deciding later, e.g. benefits forgone meanwhile (default 0)",
        ),
        ("--scale", 1.0, "how many decisions like this one the information serves (default 1)"),
    ):
        p.add_argument(flag, type=_non_negative, default=default, metavar="X", help=help_)


def _costs(args: argparse.Namespace) -> dict[str, float]:
    return {
        "fixed": args.cost_fixed,
        "per_unit": args.cost_per_unit,
        "delay": args.cost_delay,
        "scale": args.scale,
    }


def _fill(text: str) -> str:
    import textwrap

    return textwrap.fill(text, 88)


def _sub(subparsers, name: str, help_: str, description: str, key: str | None = None):
    return subparsers.add_parser(
        name,
        help=help_,
        description=_fill(description),
        epilog=EXAMPLES[key or name],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (also used to document the command line)."""
    from salesworkbench import __version__

    parser = _Parser(
        prog=PROG,
        description=_fill(
            "salesworkbench: territory segmentation, value cases, pilot planning and "
            "pipeline forecasts from the command line."
        ),
        epilog=EXAMPLES["main"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    # segment ------------------------------------------------------------------------------
    p = _sub(
        sub,
        "segment",
        "score accounts and segment them into Alpha, Beta and Delta",
        "Score accounts for potential and relationship and segment them into Alpha (high "
        "potential), Beta (moderate potential, strong relationship) and Delta (the rest).",
    )
    p.add_argument("accounts", metavar="ACCOUNTS.csv", help="account export (CSV or Excel)")
    p.add_argument(
        "--mapping",
        metavar="FILE",
        help="column-mapping file (YAML: 'file column: canonical column') or a preset name",
    )
    p.add_argument(
        "--potential-high",
        type=_score,
        default=70,
        metavar="X",
        help="potential score (0-100) from which an account is Alpha (default 70)",
    )
    p.add_argument(
        "--potential-low",
        type=_score,
        default=30,
        metavar="X",
        help="potential score below which an account has little or none (default 30)",
    )
    p.add_argument(
        "--relationship-high",
        type=_score,
        default=50,
        metavar="X",
        help="relationship score (0-100) that counts as strong (default 50)",
    )
    p.add_argument(
        "--scores",
        choices=("auto", "supplied", "compute"),
        default="auto",
        help="use potential/relationship columns in the file (supplied), compute "
        "them from the drivers (compute), or supplied when present (auto)",
    )
    p.add_argument(
        "--summary",
        action="store_true",
        help="print the number of accounts per segment instead of the accounts",
    )
    p.add_argument(
        "--all-columns",
        action="store_true",
        help="keep every input column (default: ids, scores, bands, segment)",
    )
    _common(p, seed=False, trials=None)
    p.set_defaults(run=_cmd_segment)

    # value --------------------------------------------------------------------------------
    p = _sub(
        sub,
        "value",
        "simulate a value case: value, NPV, ROI, payback and P(value > 0)",
        "Simulate a value case (YAML) and summarise its value (benefits - investment), NPV, "
        "ROI and payback, with the value statement.",
    )
    p.add_argument("case", metavar="CASE.yaml", help="value case file")
    p.add_argument(
        "--samples",
        metavar="FILE",
        help="also write every simulated trial (assumptions and outputs) as CSV",
    )
    _common(p, seed=True, trials=100_000)
    p.set_defaults(run=_cmd_value)

    # pilots -------------------------------------------------------------------------------
    p = _sub(
        sub,
        "pilots",
        "rank a value case's assumptions as pilot candidates (value of information)",
        "Which uncertain assumption is worth testing in a pilot before the customer decides, "
        "and how big the pilot should be (EVPPI, EVSI, expected net benefit of sampling).",
    )
    p.add_argument("case", metavar="CASE.yaml", help="value case file")
    p.add_argument(
        "--max-n",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="largest pilot size considered (default 1000)",
    )
    _cost_options(p)
    _common(p, seed=True, trials=20_000)
    p.set_defaults(run=_cmd_pilots)

    # forecast -----------------------------------------------------------------------------
    p = _sub(
        sub,
        "forecast",
        "Monte Carlo bookings forecast of the open pipeline",
        "Learn win rates and cycle times from closed deals (--history) and simulate the open "
        "deals in PIPELINE: bookings per period with P10/P50/P90 and P(bookings >= quota).",
    )
    p.add_argument("pipeline", metavar="PIPELINE.csv", help="opportunity export with open deals")
    p.add_argument(
        "--history",
        required=True,
        metavar="HISTORY.csv",
        help="opportunity export with closed (won/lost) deals to learn from",
    )
    p.add_argument(
        "--stage-history",
        metavar="FILE",
        help="stage-history export (enables win rate by stage and --timing stage)",
    )
    p.add_argument(
        "--mapping",
        metavar="FILE",
        help="column-mapping file (YAML with 'columns' and 'stages' sections) or a "
        "preset (salesforce, hubspot)",
    )
    p.add_argument(
        "--history-mapping",
        metavar="FILE",
        help="mapping for HISTORY.csv when it differs from --mapping",
    )
    p.add_argument(
        "--periods",
        type=_positive_int,
        default=2,
        metavar="N",
        help="number of periods, starting with the one holding --as-of (default 2)",
    )
    p.add_argument(
        "--freq",
        choices=("month", "quarter", "year"),
        default="quarter",
        help="period length (default quarter)",
    )
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="forecast date, YYYY-MM-DD (default: the latest close in HISTORY)",
    )
    p.add_argument(
        "--quota",
        type=_numbers,
        metavar="X[,X...]",
        help="quota per period: one number for all, or one per period",
    )
    p.add_argument(
        "--timing",
        choices=("created", "stage", "close_date"),
        default="created",
        help="time-to-close model: from creation (default), from entering the "
        "current stage (needs --stage-history) or from the expected close date",
    )
    p.add_argument(
        "--group-by",
        metavar="COLUMN",
        help="learn win rates by this column too (segment, product, owner, ...)",
    )
    p.add_argument(
        "--win-prob",
        choices=("history", "crm"),
        default="history",
        help="win probabilities learned from history (default) or the CRM's probability column",
    )
    p.add_argument(
        "--stale-after",
        type=_non_negative,
        default=90.0,
        metavar="DAYS",
        help="leave out open deals whose expected close passed more than DAYS ago (default 90)",
    )
    p.add_argument("--keep-stale", action="store_true", help="keep stale deals in the forecast")
    p.add_argument(
        "--deals",
        action="store_true",
        help="print each open deal's contribution instead of the period summary",
    )
    _common(p, seed=True, trials=10_000)
    p.set_defaults(run=_cmd_forecast)

    # report -------------------------------------------------------------------------------
    p = _sub(sub, "report", "write a shareable HTML/PDF report", "Write a shareable report.")
    rsub = p.add_subparsers(dest="report_kind", metavar="KIND", required=True)
    p = _sub(
        rsub,
        "value",
        "report of a value case",
        "Write a self-contained HTML report of a value case (value statement, assumptions with "
        "units and sources, results, figures, sensitivity and the pilot recommendation) and, "
        "where Chromium is installed, a PDF of it.",
        key="report value",
    )
    p.add_argument("case", metavar="CASE.yaml", help="value case file")
    p.add_argument(
        "--out",
        default="build/report.html",
        metavar="FILE",
        help="HTML file to write (default build/report.html)",
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
    p.add_argument(
        "--sobol-n",
        type=_power_of_two,
        default=2**12,
        metavar="N",
        help="base sample of the Sobol' indices, a power of 2 (default 4096)",
    )
    p.add_argument(
        "--pilot-trials",
        type=_positive_int,
        default=20_000,
        metavar="N",
        help="trials of the pilot analysis (default 20,000)",
    )
    _cost_options(p)
    _common(p, seed=True, trials=100_000, out=False)
    p.set_defaults(run=_cmd_report_value)
    return parser


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------
@dataclass
class Output:
    """What a command produced: a table, a JSON document and lines for the readable form."""

    frame: pd.DataFrame
    document: Any = None  # JSON; default: the frame's records
    header: list[str] = field(default_factory=list)  # lines above the table (format table)
    footer: list[str] = field(default_factory=list)  # lines below it
    index: bool = True  # write the index as a column in CSV/JSON
    display: pd.DataFrame | None = None  # preformatted text cells for format table
    text: str | None = None  # the whole readable form, when a table does not fit


def _jsonable(value: Any) -> Any:
    """Plain JSON types: NaN and infinities become null, dates ISO strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value if isinstance(value, str) else str(value)


def records(frame: pd.DataFrame, index: bool = True) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-ready row dicts (index first, as a column)."""
    flat = frame.reset_index() if index else frame
    cols = [str(c) for c in flat.columns]
    return [
        {c: _jsonable(v) for c, v in zip(cols, row, strict=True)}
        for row in flat.itertuples(index=False, name=None)
    ]


def _formatter(series: pd.Series) -> Callable[[Any], str] | None:
    """A readable number format for one column of a table."""
    if not pd.api.types.is_float_dtype(series.dtype):
        return None
    finite = series[np.isfinite(series.to_numpy(dtype=float, na_value=np.nan))]
    big = finite.abs().max() if len(finite) else 0.0
    if len(finite) and (finite.abs() <= 1).all():
        fmt = "{:.3f}"
    elif big >= 1000:
        fmt = "{:,.0f}"
    else:
        fmt = "{:.3g}"

    def format_one(v: Any) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, float) and math.isinf(v):
            return "never" if v > 0 else "-inf"
        return fmt.format(v)

    return format_one


def table_text(frame: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as an aligned, readable text table (for ``--format table``)."""
    if frame.empty:
        return "(no rows)"
    formatters = {c: f for c in frame.columns if (f := _formatter(frame[c])) is not None}
    shown = frame.copy()
    for c in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[c].dtype):
            shown[c] = shown[c].dt.strftime("%Y-%m-%d").fillna("")
    return shown.to_string(index=index, formatters=formatters, na_rep="", max_colwidth=60)


def render(output: Output, fmt: str) -> str:
    """The text written to stdout or ``--out`` for ``fmt``."""
    if fmt == "csv":
        buf = io.StringIO()
        frame = output.frame.copy()
        for c in frame.columns:
            if pd.api.types.is_float_dtype(frame[c].dtype):
                frame[c] = frame[c].replace([np.inf, -np.inf], np.nan)
        frame = neutralise_frame(frame, index=output.index)
        frame.to_csv(buf, index=output.index, lineterminator="\n", date_format="%Y-%m-%d")
        return buf.getvalue()
    if fmt == "json":
        doc = (
            output.document if output.document is not None else records(output.frame, output.index)
        )
        return json.dumps(_jsonable(doc), indent=2, ensure_ascii=False) + "\n"
    if output.text is not None:
        return output.text if output.text.endswith("\n") else output.text + "\n"
    shown = output.display if output.display is not None else output.frame
    parts = [*output.header, table_text(shown, output.index), *output.footer]
    return "\n".join(parts) + "\n"


def _write(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            with atomic_write(out) as fh:
                fh.write(text)
        except OSError as exc:
            raise OSError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
        note(f"wrote {out}")


def note(message: str) -> None:
    """A note for the user on stderr (never on stdout, which may be piped)."""
    print(f"{PROG}: {message}", file=sys.stderr)


def _input_file(path: str, what: str) -> Path:
    """Check an input file exists (FileNotFoundError naming it and what it should be)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{path}: file not found ({what})")
    if p.is_dir():
        raise FileNotFoundError(f"{path}: is a directory, not a file ({what})")
    return p


def _mapping(value: str | None) -> str | None:
    """A ``--mapping`` value: a preset name or an existing file."""
    if value is None:
        return None
    from salesworkbench.io import MAPPINGS

    if value in MAPPINGS:
        return value
    _input_file(value, f"--mapping: a mapping file or one of {', '.join(MAPPINGS)}")
    return value


def _load_case(path: str):
    _input_file(path, "a value case, YAML")
    from salesworkbench.report import load_case

    return load_case(path)


# --------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------
SEGMENT_COLUMNS = (
    "account_id",
    "name",
    "territory",
    "owner",
    "potential",
    "relationship",
    "potential_band",
    "relationship_band",
    "segment",
    "priority",
    "reason",
)


def _cmd_segment(args: argparse.Namespace) -> Output:
    from salesworkbench.io import read_accounts
    from salesworkbench.territory import segment

    if args.potential_low > args.potential_high:
        raise ValueError(
            f"--potential-low ({args.potential_low:g}) must not be above --potential-high "
            f"({args.potential_high:g})"
        )
    _input_file(args.accounts, "an account export, CSV or Excel")
    accounts = read_accounts(args.accounts, mapping=_mapping(args.mapping))
    seg = segment(
        accounts,
        potential_high=args.potential_high,
        potential_low=args.potential_low,
        relationship_high=args.relationship_high,
        scores=args.scores,
        source=args.accounts,
    )
    counts = seg["segment"].value_counts().reindex(seg["segment"].cat.categories, fill_value=0)
    note(
        f"{len(seg)} accounts: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + (
            f", {int(seg['insufficient_data'].sum())} with insufficient data to assess potential"
            if seg["insufficient_data"].any()
            else ""
        )
    )
    if args.summary:
        table = pd.DataFrame(
            {
                "accounts": counts,
                "share": counts / max(len(seg), 1),
                "mean_potential": seg.groupby("segment", observed=False)["potential"].mean(),
                "mean_relationship": seg.groupby("segment", observed=False)["relationship"].mean(),
            }
        )
        table.index.name = "segment"
        table.index = table.index.astype(str)
        return Output(table)
    out = seg.sort_values("priority", kind="stable")
    if not args.all_columns:
        out = out[[c for c in SEGMENT_COLUMNS if c in out.columns]]
    return Output(out.reset_index(drop=True), index=False)


def _cmd_value(args: argparse.Namespace) -> Output:
    case = _load_case(args.case)
    sim = case.simulate(args.trials, seed=args.seed, progress=args.progress)
    summary = sim.summary()
    summary.index.name = "output"
    if args.samples:
        with atomic_write(args.samples, newline="") as fh:
            neutralise_frame(sim.samples).to_csv(fh, index=False, lineterminator="\n")
        note(f"wrote {len(sim.samples):,} trials to {args.samples}")
    statement = case.value_statement(sim)
    base = case.base_case()
    doc = {
        "name": case.name,
        "customer": case.customer,
        "currency": case.currency,
        "trials": args.trials,
        "seed": args.seed,
        "statement": statement,
        "summary": {
            out: {c: summary.loc[out, c] for c in summary.columns} for out in summary.index
        },
        "base_case": {str(k): v for k, v in base.items()},
    }
    header = [
        f"{case.name} - {case.customer} ({case.currency}; {args.trials:,} trials, "
        f"seed {args.seed})",
        "",
        *_wrap(statement),
        "",
    ]
    return Output(summary, document=doc, header=header, display=_summary_display(summary))


def _wrap(text: str, width: int = 100) -> list[str]:
    """Wrap paragraphs for a terminal; ``- `` bullet lines get a hanging indent."""
    import textwrap

    lines = []
    for line in text.splitlines():
        bullet = line.startswith("- ")
        lines.extend(textwrap.wrap(line, width, subsequent_indent="  " if bullet else "") or [""])
    return lines


def _summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    """A value summary as text: money with separators, ROI in %, payback in years."""

    def cell(output: str, column: str, v: float) -> str:
        if v is None or math.isnan(v):
            return ""
        if column == "prob_positive":
            return f"{v:.3f}"
        if math.isinf(v):
            return "never" if v > 0 else "-inf"
        if output == "roi":
            return f"{v:.1%}"
        if output == "payback_years":
            return f"{v:.2f}"
        return f"{v:,.0f}"

    shown = pd.DataFrame(
        {c: [cell(o, c, summary.loc[o, c]) for o in summary.index] for c in summary.columns},
        index=summary.index,
    )
    return shown


def _cmd_pilots(args: argparse.Namespace) -> Output:
    from salesworkbench.voi import plan_pilots

    case = _load_case(args.case)
    costs = _costs(args)
    if args.max_n < 2:
        raise ValueError(f"--max-n must be at least 2, got {args.max_n}")
    plan = plan_pilots(
        case,
        trials=args.trials,
        seed=args.seed,
        costs=costs,
        max_n=args.max_n,
        progress=args.progress,
    )
    a = plan.attrs
    doc = {
        "name": case.name,
        "customer": case.customer,
        "currency": case.currency,
        "trials": args.trials,
        "seed": args.seed,
        "evpi": a.get("evpi"),
        "current_decision": a.get("current_decision"),
        "mean_npv": a.get("mean_npv"),
        "prob_value_positive": a.get("prob_value_positive"),
        "costs": costs,
        "plan": records(plan),
    }
    best = plan[plan["recommendation"] == "pilot"]
    verdict = (
        f"best pilot: {best.index[0]} (n = {int(best['optimal_n'].iloc[0])}, expected net "
        f"benefit {case.currency} {best['enbs'].iloc[0]:,.0f})"
        if len(best)
        else "no pilot is worth its cost: decide now"
    )
    header = [
        f"{case.name} - {case.customer}: current decision '{a.get('current_decision')}', "
        f"P(value > 0) = {a.get('prob_value_positive', float('nan')):.3f}, "
        f"EVPI = {case.currency} {a.get('evpi', float('nan')):,.0f}",
        verdict,
        "",
    ]
    return Output(plan, document=doc, header=header)


def _read_opps(path: str, mapping: str | None, what: str) -> pd.DataFrame:
    from salesworkbench.io import read_opportunities

    _input_file(path, what)
    return read_opportunities(path, mapping=_mapping(mapping))


def _cmd_forecast(args: argparse.Namespace) -> Output:
    from salesworkbench.pipeline import HistoryModel, forecast

    as_of = None
    if args.as_of:
        try:
            as_of = pd.Timestamp(args.as_of)
        except ValueError:
            raise ValueError(f"--as-of: not a date (YYYY-MM-DD): {args.as_of!r}") from None
    quota = None
    if args.quota:
        if len(args.quota) not in (1, args.periods):
            raise ValueError(
                f"--quota: give one number or one per period ({args.periods}), "
                f"got {len(args.quota)}"
            )
        quota = args.quota[0] if len(args.quota) == 1 else args.quota
    # every input checked before any is read, so a typo is the only message
    _input_file(args.pipeline, "PIPELINE: an opportunity export")
    _input_file(args.history, "--history: an opportunity export with closed deals")
    if args.stage_history:
        _input_file(args.stage_history, "--stage-history: a stage-history export")
    _mapping(args.mapping)
    _mapping(args.history_mapping)
    pipeline = _read_opps(args.pipeline, args.mapping, "PIPELINE: an opportunity export")
    if Path(args.history).resolve() == Path(args.pipeline).resolve() and (
        args.history_mapping is None
    ):
        history = pipeline
    else:
        history = _read_opps(
            args.history,
            args.history_mapping or args.mapping,
            "--history: an opportunity export with closed deals",
        )
    stage_history = None
    if args.stage_history:
        from salesworkbench.io import read_stage_history

        _input_file(args.stage_history, "--stage-history: a stage-history export")
        stage_history = read_stage_history(args.stage_history)
    model = HistoryModel.fit(history, stage_history, group_by=args.group_by, as_of=as_of)
    result = forecast(
        pipeline,
        model,
        args.periods,
        freq=args.freq,
        trials=args.trials,
        seed=args.seed,
        quota=quota,
        as_of=as_of,
        timing=args.timing,
        win_prob=args.win_prob,
        stale_after=None if args.keep_stale else args.stale_after,
        progress=args.progress,
    )
    summary = result.summary.copy()
    summary.index = summary.index.astype(str)
    summary.index.name = "period"
    doc = {
        "as_of": result.as_of,
        "trials": result.trials,
        "seed": result.seed,
        "periods": [str(p) for p in result.periods],
        "summary": records(summary),
        "stale_deals": len(result.stale),
        "notes": list(result.notes),
    }
    if args.deals:
        deals = result.deals.reset_index(drop=True)
        doc = {**doc, "deals": records(deals, index=False)}
        header = [f"{len(deals)} open deals, largest expected contribution first", ""]
        return Output(deals, document=doc["deals"], header=header, index=False)
    header = [
        f"Bookings forecast as of {result.as_of:%Y-%m-%d} ({result.trials:,} trials, seed "
        f"{result.seed})",
        "",
    ]
    return Output(summary, document=doc, header=header)


_FREE = argparse.Namespace(cost_fixed=0.0, cost_per_unit=0.0, cost_delay=0.0, scale=1.0)


def _cmd_report_value(args: argparse.Namespace) -> Output:
    from salesworkbench.report import value_report

    if Path(args.out).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--out: the report is HTML; name it *.html, got {args.out!r}")
    _input_file(args.case, "a value case, YAML")
    rep = value_report(
        args.case,
        out=args.out,
        trials=args.trials,
        seed=args.seed,
        pdf=args.pdf,
        sobol_n=args.sobol_n,
        pilot_trials=args.pilot_trials,
        pilot_costs=_costs(args) if _costs(args) != _costs(_FREE) else None,
        progress=args.progress,
    )
    files = pd.DataFrame(
        {"file": [str(rep.html)] + ([str(rep.pdf)] if rep.pdf else [])},
        index=pd.Index(["html"] + (["pdf"] if rep.pdf else []), name="kind"),
    )
    if rep.pdf is None and args.pdf is None:
        note(f"no PDF: {rep.pdf_skipped}")
    doc = {"html": str(rep.html), "pdf": str(rep.pdf) if rep.pdf else None}
    text = "\n".join(f"{kind.upper()}: {path}" for kind, path in files["file"].items())
    return Output(files, document=doc, text=text)


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    elif isinstance(exc, FileNotFoundError) and exc.filename and exc.strerror:
        text = f"{exc.filename}: {exc.strerror.lower()}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _hint(exc: BaseException) -> str:
    """A command-line hint for errors whose fix differs from the Python API's."""
    if isinstance(exc, DataError) and exc.column is not None and "unknown stage" in exc.problem:
        return " (on the command line: map it in a 'stages:' section of the --mapping file)"
    return ""


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    kind = "note" if issubclass(category, DataWarning) else category.__name__
    print(f"{PROG}: {kind}: {_one_line(Exception(str(message)))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (without the program name); default ``sys.argv[1:]``.

    Examples
    --------
    >>> from salesworkbench.cli import main
    >>> main(["value", "case.yaml", "--format", "json"])  # doctest: +SKIP
    0
    """
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help and --version
            return int(exc.code or 0) if isinstance(exc.code, int | None) else EXIT_BAD_INPUT
        with warnings.catch_warnings():
            warnings.simplefilter("always", DataWarning)
            warnings.showwarning = _show_warning
            output = args.run(args)
            text = render(output, args.format)
            _write(text, getattr(args, "out", None) if args.command != "report" else None)
    except UsageError as exc:
        print(_one_line(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (DataError, ValueCaseError, ValueError, KeyError, OSError, yaml.YAMLError) as exc:
        # OSError covers FileNotFoundError, IsADirectoryError, PermissionError on --out ...
        print(f"{PROG}: error: {_one_line(exc)}{_hint(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:
        from salesworkbench.report import ChromiumNotFoundError, PdfError

        if isinstance(exc, ChromiumNotFoundError):
            print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if isinstance(exc, PdfError):  # the HTML is written; printing it failed
            print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_FAILED
        raise
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
