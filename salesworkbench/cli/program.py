"""The program: the argument parser assembled from the subcommands, and :func:`main`.

:func:`main` turns every failure a user can fix into one line on stderr and an exit code (0
success, 2 bad input, 1 another failure such as Chromium failing to print a PDF).
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Sequence

import yaml

from salesworkbench import __version__
from salesworkbench.cli import (
    backtest,
    forecast,
    notebook,
    pacing,
    pilots,
    quotas,
    report,
    segment,
    team,
    territory,
    value,
)
from salesworkbench.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    PROG,
    Parser,
    UsageError,
    fill,
    render_output,
    write_output,
)
from salesworkbench.errors import DataError, DataWarning, ValueCaseError

__all__ = ["EXAMPLES", "SUBCOMMANDS", "build_parser", "main"]

#: The subcommand modules, in the order ``--help`` lists them; each adds its own parser.
SUBCOMMANDS = (
    segment,
    territory,
    quotas,
    value,
    pilots,
    forecast,
    pacing,
    backtest,
    team,
    report,
    notebook,
)

EXAMPLES = f"""\
examples:
  {PROG} segment data/accounts.csv --format csv > segments.csv
  {PROG} value data/value_cases/telecom_arpu.yaml --trials 100000 --seed 1
  {PROG} pilots data/value_cases/field_service_app.yaml --cost-fixed 20000 --cost-per-unit 50
  {PROG} forecast data/opportunities.csv --history data/opportunities.csv --as-of 2026-10-01
  {PROG} backtest data/opportunities.csv --cutoffs quarterly:2025-01-01..2026-07-01
  {PROG} team data/opportunities.csv --reps data/reps.csv
  {PROG} territory data/accounts.csv --reps data/reps.csv --match-on territory
  {PROG} report value data/value_cases/telecom_arpu.yaml --out build/report.html --pdf
  {PROG} report forecast data/opportunities.csv --history data/opportunities.csv --out f.html
  {PROG} notebook run 04 -p AS_OF 2026-07-01 --out build/run

Run '{PROG} COMMAND --help' for a command's options. Exit codes: 0 ok, 2 bad input,
1 another failure (e.g. Chromium could not print a PDF). The sample files are under
data/ in the repository; in an installed package, find them with
  python -c "from salesworkbench.datasets import data_path; print(data_path('accounts.csv'))"
"""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (also used to document the command line)."""
    parser = Parser(
        prog=PROG,
        description=fill(
            "salesworkbench: territory plans, value cases, pilot planning, pipeline forecasts "
            "and backtests, the sales team, reports and the notebooks from the command line."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in SUBCOMMANDS:
        command.add_parser(subparsers)
    return parser


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    elif isinstance(exc, FileNotFoundError) and exc.filename and exc.strerror:
        text = f"{exc.filename}: {exc.strerror.lower()}"
    else:
        text = str(exc) or type(exc).__name__
    text = _cli_syntax(text)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


#: Hints in the Python API's syntax, and what the command line says instead.
_CLI_SYNTAX = (
    (
        re.compile(r"[Pp]ass mapping=\{.*?\}\}? to name them"),
        "Name them in a --mapping FILE (YAML: 'columns: {file column: canonical column}')",
    ),
    (
        re.compile(r"pass mapping=\{'<one of them>': ('[^']*')\}\}? to say which"),
        r"say which in the --mapping FILE ('columns: {<one of them>: \1}')",
    ),
    (
        re.compile(r"with mapping=\{'<file column>': ('[^']*')\}\}?"),
        r"in the --mapping FILE ('columns: {<file column>: \1}')",
    ),
    (
        re.compile(r"[Pp]ass stages=\{.*?\}\}?(?=[ ,.;)]|$)"),
        "map them in a 'stages:' section of the --mapping FILE (YAML: 'stages: {Stage: open}')",
    ),
    (re.compile(r"pass currency= for other dollars"), "other dollars need a currency column"),
    (re.compile(r"\bgroup_by=(\S+) is not a column"), r"--group-by \1 is not a column"),
    (re.compile(r"\blist_prices=\S*"), "--list-prices FILE"),
)


def _cli_syntax(text: str) -> str:
    """Rewrite hints written for the Python API (``mapping={...}``) in the CLI's own syntax."""
    for pattern, replacement in _CLI_SYNTAX:
        text = pattern.sub(replacement, text)
    return text


def _hint(exc: BaseException) -> str:
    """A command-line hint for errors whose fix differs from the Python API's."""
    if (
        isinstance(exc, DataError)
        and exc.column is not None
        and "unknown stage" in exc.problem
        and "stages:" not in _cli_syntax(exc.problem)
    ):
        return " (on the command line: map it in a 'stages:' section of the --mapping file)"
    return ""


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    kind = "note" if issubclass(category, DataWarning) else category.__name__
    print(f"{PROG}: {kind}: {_one_line(Exception(str(message)))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input, 1 another failure).

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
            text = render_output(output, args.format)
            # a command that writes its own files (report) uses --out for them, not its result
            out = None if getattr(args, "writes_files", False) else getattr(args, "out", None)
            write_output(text, out)
    except UsageError as exc:
        print(_one_line(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except notebook.NotebookFailed as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
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
