"""``salesworkbench value``: simulate a value case and print its summary and value statement."""

from __future__ import annotations

import argparse
import math
import textwrap

import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench.cli.common import (
    PROG,
    Output,
    add_command,
    add_common_options,
    check_memory,
    note,
    read_value_case,
)
from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.spreadsheet import neutralise_frame

__all__ = ["EXAMPLES", "add_parser"]

EXAMPLES = f"""\
examples:
  {PROG} value data/value_cases/telecom_arpu.yaml
  {PROG} value case.yaml --trials 200000 --seed 7 --format json --out build/value.json
  {PROG} value case.yaml --samples build/samples.csv --format csv

The table gives mean, sd, P10/P50/P90 and P(> 0) of each output (value = benefits -
investment, undiscounted; npv discounted; roi; payback_years) and the value statement.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``value`` subcommand to ``subparsers``."""
    p = add_command(
        subparsers,
        "value",
        "simulate a value case: value, NPV, ROI, payback and P(value > 0)",
        "Simulate a value case (YAML) and summarise its value (benefits - investment), NPV, "
        "ROI and payback, with the value statement.",
        EXAMPLES,
    )
    p.add_argument("case", metavar="CASE.yaml", help="value case file")
    p.add_argument(
        "--samples",
        metavar="FILE",
        help="also write every simulated trial (assumptions and outputs) as CSV",
    )
    add_common_options(p, seed_option=True, trials=VALUE_TRIALS)
    p.set_defaults(run=_run)
    return p


def _run(args: argparse.Namespace) -> Output:
    from salesworkbench.value.simulation import result_bytes

    case = read_value_case(args.case)
    per_trial = result_bytes(case, 1)
    check_memory(per_trial * args.trials, f"--trials {args.trials:,}", per_trial)
    sim = case.simulate(args.trials, seed=args.seed, progress=args.progress)
    summary = sim.summary
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

    return pd.DataFrame(
        {c: [cell(o, c, summary.loc[o, c]) for o in summary.index] for c in summary.columns},
        index=summary.index,
    )
