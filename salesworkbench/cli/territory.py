"""``salesworkbench territory``: the territory plan (segments, coverage, capacity, assignment)."""

from __future__ import annotations

import argparse

import pandas as pd

from salesworkbench.cli.common import (
    PROG,
    Output,
    add_command,
    add_common_options,
    non_negative,
    note,
    records,
    table_text,
)
from salesworkbench.cli.segment import add_segment_options, segmented

__all__ = ["EXAMPLES", "SECTIONS", "add_parser", "add_plan_options", "build_plan"]

EXAMPLES = f"""\
examples:
  {PROG} territory data/accounts.csv
  {PROG} territory data/accounts.csv --reps data/reps.csv --match-on territory
  {PROG} territory accounts.csv --deals pipeline.csv --deals-mapping crm.yaml \\
      --reps sales_teams.csv --show assignment --format csv --out build/assignment.csv
  {PROG} territory data/accounts.csv --allocation proportional --show coverage

The plan scores and segments the accounts (as 'segment' does), then says how many hours each
segment needs per role against the team's capacity and, with --reps, which rep covers which
account (current owners kept where they have the hours). 'report territory' writes the same
plan as a shareable HTML page.
"""

#: The plan's sections that --show can pick (those needing --reps marked in the help).
SECTIONS = (
    "summary",
    "segment_summary",
    "coverage",
    "capacity",
    "accounts",
    "alpha_accounts",
    "assignment",
    "rep_load",
)


def add_plan_options(p: argparse.ArgumentParser) -> None:
    """Add the accounts, scoring and plan options (``territory``, ``report territory``)."""
    add_segment_options(p)
    p.add_argument(
        "--reps",
        metavar="FILE",
        help="reps (CSV: rep, and optionally hours per quarter and the --match-on column; a "
        "'sales_agent' or 'owner' column is read as rep): adds the assignment of accounts to "
        "reps and each rep's workload",
    )
    p.add_argument(
        "--match-on",
        metavar="COLUMN",
        help="with --reps: a column (e.g. territory) an account and its rep must share",
    )
    p.add_argument(
        "--assign",
        choices=("optimal", "greedy"),
        default="optimal",
        help="with --reps: optimal assignment (mixed-integer program, default) or greedy "
        "(accounts in priority order)",
    )
    p.add_argument(
        "--hours-per-rep",
        type=non_negative,
        metavar="H",
        help="selling hours per account executive per quarter (default 300)",
    )
    p.add_argument(
        "--allocation",
        choices=("priority", "proportional"),
        default="priority",
        help="how each role's hours go to the segments: Alpha's need first (priority, "
        "default) or in proportion to need",
    )
    p.add_argument("--name", default="Territory plan", help="title of the plan")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``territory`` subcommand to ``subparsers``."""
    p = add_command(
        subparsers,
        "territory",
        "territory plan: segments, coverage hours against capacity, assignment to reps",
        "Build the territory plan: segment the accounts, the hours each segment needs per "
        "role against the team's capacity, and with --reps which rep covers which account.",
        EXAMPLES,
    )
    add_plan_options(p)
    p.add_argument(
        "--show",
        choices=SECTIONS,
        default="summary",
        help="the section CSV/JSON hold (default summary: segments, coverage, capacity and, "
        "with --reps, the rep workload; assignment and rep_load need --reps)",
    )
    add_common_options(p, seed_option=False, trials=None)
    p.set_defaults(run=_run, summary=False, all_columns=False)
    return p


def build_plan(args: argparse.Namespace):
    """The :class:`~salesworkbench.territory.TerritoryPlan` the flags describe."""
    from salesworkbench.cli.team import read_reps
    from salesworkbench.territory import DEFAULT_CAPACITY, TerritoryPlan

    if args.reps is None and args.match_on:
        raise ValueError("--match-on needs --reps FILE")
    reps = read_reps(args.reps) if args.reps else None
    if reps is not None and "hours" in reps:
        reps["hours"] = pd.to_numeric(reps["hours"], errors="coerce")
    seg = segmented(args)
    capacity = {k: dict(v) for k, v in DEFAULT_CAPACITY.items()}
    ae = capacity["account_executive"]
    if args.hours_per_rep is not None:
        ae["hours_per_rep"] = args.hours_per_rep
    if reps is not None:
        ae["reps"] = len(reps)
    if args.match_on and args.match_on not in seg.columns:
        raise ValueError(f"--match-on {args.match_on}: the accounts have no such column")
    if args.match_on and args.match_on not in reps.columns:
        raise ValueError(f"--match-on {args.match_on}: {args.reps} has no such column")
    options: dict = {"method": args.assign}
    if args.match_on:
        options["match_on"] = args.match_on
    return TerritoryPlan(
        accounts=seg,
        name=args.name,
        capacity=capacity,
        allocation=args.allocation,
        reps=reps,
        assign_options=options,
    )


def _run(args: argparse.Namespace) -> Output:
    if args.show in ("assignment", "rep_load") and args.reps is None:
        raise ValueError(f"--show {args.show} needs --reps FILE")
    plan = build_plan(args)
    sections = plan.sections()
    if "assignment" in sections:
        a = sections["assignment"]
        unassigned = int(a["assigned_rep"].isna().sum())
        kept = int(a["kept_owner"].sum()) if "kept_owner" in a else 0
        note(
            f"{len(a)} accounts assigned to {len(sections['rep_load'])} reps: {kept} kept their "
            f"owner, {unassigned} left unassigned (no rep has the hours)"
        )
    shown = ["segment_summary", "coverage", "capacity"] + (
        ["rep_load"] if "rep_load" in sections else []
    )
    titles = {
        "segment_summary": "Segments",
        "coverage": "Hours needed and allocated per quarter, by segment and role",
        "capacity": "Capacity by role (hours per quarter)",
        "rep_load": "Rep workload",
    }
    parts = [plan.name, ""]
    for key in shown:
        parts += [titles[key], "", table_text(sections[key], index=False), ""]
    text = "\n".join(parts)
    if args.show == "summary":
        doc = {key: records(sections[key], index=False) for key in shown}
        return Output(sections["segment_summary"], document=doc, index=False, text=text)
    frame = sections[args.show]
    return Output(frame, document=records(frame, index=False), index=False)
