"""The ``salesworkbench`` command line: the notebooks' analyses for scripts and automation.

Subcommands call the same functions the notebooks use::

    salesworkbench segment ACCOUNTS.csv                 Alpha/Beta/Delta segmentation
    salesworkbench segment ACCOUNTS.csv --assign optimal --reps REPS.csv   accounts -> reps
    salesworkbench quotas ACCOUNTS.csv --reps REPS.csv --objective 4e6      rep quotas
    salesworkbench territory ACCOUNTS.csv --reps R.csv  territory plan and assignment
    salesworkbench value CASE.yaml                      Monte Carlo value of a value case
    salesworkbench pilots CASE.yaml                     which assumption to pilot, how big
    salesworkbench forecast PIPELINE.csv --history HISTORY.csv    bookings forecast
    salesworkbench backtest EXPORT.csv --cutoffs ...    the forecast at past cut-offs
    salesworkbench team EXPORT.csv --reps R.csv         rep table, stars against the rest
    salesworkbench report value|forecast|territory ...  HTML (and PDF) reports
    salesworkbench notebook run 04 -p NAME VALUE        a notebook with parameters

Results go to stdout (or ``--out FILE``) as a readable table, CSV or JSON (``--format``); with
CSV and JSON, stdout holds nothing else, so it can be piped into other tools. Progress bars,
notes on the data and errors go to stderr. Exit codes: 0 success, 2 bad input (a missing or
malformed file, a bad flag or parameter), with a one-line message naming the file, row, column,
assumption or parameter at fault; 1 another failure (Chromium could not print a PDF, a
notebook cell raised).

The modules:

- :mod:`~salesworkbench.cli.program`: :func:`main` and the parser assembled from the
  subcommands.
- :mod:`~salesworkbench.cli.common`: what the subcommands share (argument types, common
  options, output as table/CSV/JSON, input file checks).
- one module per subcommand: :mod:`~salesworkbench.cli.segment`,
  :mod:`~salesworkbench.cli.territory`, :mod:`~salesworkbench.cli.quotas`,
  :mod:`~salesworkbench.cli.value`, :mod:`~salesworkbench.cli.pilots`,
  :mod:`~salesworkbench.cli.forecast`, :mod:`~salesworkbench.cli.backtest`,
  :mod:`~salesworkbench.cli.team`, :mod:`~salesworkbench.cli.report` and
  :mod:`~salesworkbench.cli.notebook`; each has an
  ``add_parser(subparsers)`` that adds its parser and the function that runs it (which
  returns an :class:`~salesworkbench.cli.common.Output`).

The package exports the entry point (``salesworkbench = "salesworkbench.cli:main"``); the
modules are the command line's inner parts.
"""

from salesworkbench.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from salesworkbench.cli.program import build_parser, main

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "build_parser", "main"]
