"""``salesworkbench pacing``: in-quarter pacing, the period re-forecast at each date through it."""

from __future__ import annotations

import argparse

import pandas as pd

from salesworkbench.cli.common import (
    PROG,
    Output,
    add_command,
    add_common_options,
    date_option,
    input_file,
    mapping_option,
    non_negative,
    records,
)
from salesworkbench.defaults import BACKTEST_TRIALS

__all__ = ["EXAMPLES", "add_parser"]

EXAMPLES = f"""\
examples:
  {PROG} pacing data/opportunities.csv --period 2026Q3 --quota 5050000 \\
      --stage-history data/stage_history.csv
  {PROG} pacing export.csv --mapping salesforce --period 2026Q4 --quota 3e6 --every day

OPPORTUNITIES is the full export as it stands now (closed deals with their outcome). At each
date (the period's first day, then every --every) the CRM is rebuilt as it stood at the start
of that day and the rest of the period forecast; the last row of a finished period is the
actual. A period still running stops at --today (default: the day after the export's latest
date).
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``pacing`` subcommand to ``subparsers``."""
    p = add_command(
        subparsers,
        "pacing",
        "in-quarter pacing: booked so far, the final number's band and P(quota) by date",
        "Re-forecast a period at each date through it from what was known then: booked so far, "
        "P10/P50/P90 of the final bookings (booked plus the rest, deals not yet created "
        "included) and P(bookings >= quota).",
        EXAMPLES,
    )
    p.add_argument("opportunities", metavar="OPPORTUNITIES.csv", help="full opportunity export")
    p.add_argument("--period", required=True, help="the period, e.g. 2026Q3 or 2026-11")
    p.add_argument("--quota", type=non_negative, metavar="X", help="the period's quota")
    p.add_argument(
        "--every",
        default="week",
        help="spacing of the dates: week (default), day, month or a number of days",
    )
    p.add_argument("--stage-history", metavar="FILE", help="stage-history export")
    p.add_argument(
        "--mapping", metavar="FILE", help="column-mapping file or preset (salesforce, hubspot)"
    )
    p.add_argument("--today", metavar="DATE", help="stop at this date (YYYY-MM-DD)")
    p.add_argument(
        "--group-by",
        default="auto",
        metavar="COLUMN",
        help="win curves by this column, 'none', or 'auto' (default: chosen at the first date)",
    )
    add_common_options(p, seed_option=True, trials=BACKTEST_TRIALS)
    p.set_defaults(run=_run)
    return p


def _run(args: argparse.Namespace) -> Output:
    from salesworkbench.io import read_opportunities, read_stage_history
    from salesworkbench.pipeline import pacing

    try:
        period = pd.Period(args.period)
    except ValueError:
        raise ValueError(
            f"--period: not a period (e.g. 2026Q3, 2026-11): {args.period!r}"
        ) from None
    every = args.every
    if every not in ("day", "week", "month"):
        try:
            every = int(every)
        except ValueError:
            raise ValueError(
                f"--every: day, week, month or a number of days, got {every!r}"
            ) from None
    today = date_option(args.today, "--today")
    input_file(args.opportunities, "OPPORTUNITIES: an opportunity export")
    if args.stage_history:
        input_file(args.stage_history, "--stage-history: a stage-history export")
    opps = read_opportunities(args.opportunities, mapping=mapping_option(args.mapping))
    hist = read_stage_history(args.stage_history) if args.stage_history else None
    pace = pacing(
        opps,
        period,
        args.quota,
        every=every,
        trials=args.trials,
        seed=args.seed,
        stage_history=hist,
        today=today,
        group_by=None if args.group_by == "none" else args.group_by,
        progress=args.progress,
    )
    a = pace.attrs
    doc = {
        "period": a["period"],
        "quota": a["quota"],
        "actual": a["actual"],
        "today": a["today"],
        "trials": args.trials,
        "seed": args.seed,
        "rows": records(pace, index=False),
        "notes": a["notes"],
    }
    last = pace.iloc[-1]
    state = (
        f"actual {last['booked']:,.0f}"
        if last["final"]
        else f"at {last['date']:%Y-%m-%d}: booked {last['booked']:,.0f}, P50 {last['p50']:,.0f}"
    )
    header = [f"Pacing of {a['period']} ({args.trials:,} trials per date; {state})", ""]
    return Output(pace, document=doc, header=header, index=False)
