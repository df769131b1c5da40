"""``salesworkbench quotas``: split a revenue objective into rep quotas that add up exactly."""

from __future__ import annotations

import argparse

import pandas as pd

from salesworkbench.cli.common import (
    PROG,
    Output,
    add_command,
    add_common_options,
    input_file,
    mapping_option,
    money,
    non_negative,
    note,
)
from salesworkbench.cli.segment import add_assign_options, run_assignment

__all__ = ["EXAMPLES", "add_parser"]

EXAMPLES = f"""\
examples:
  {PROG} quotas data/accounts.csv --reps data/reps.csv --objective 4000000
  {PROG} quotas data/accounts.csv --reps data/reps.csv --objective 4M --match-on territory \\
      --method blend --history data/opportunities.csv --floor 100000 --cap 600000
  {PROG} quotas data/accounts.csv --reps data/reps.csv --objective 4e6 --potential wallet

The accounts are segmented and assigned to the reps (--assign, default optimal), then the
objective is split: by assigned potential (--method potential), by ramp-adjusted bookings from
--history (history), or half each (blend). Quotas are whole --unit s and sum to the objective
exactly. With --history the table adds last year's bookings and P(attainment) from the open
pipeline of that file.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``quotas`` subcommand to ``subparsers``."""
    p = add_command(
        subparsers,
        "quotas",
        "split a revenue objective into rep quotas (potential, history or blend)",
        "Assign accounts to reps and split a revenue objective into quotas that add up "
        "exactly, with a fairness table (quota per potential, per last year's bookings, "
        "P(attainment)).",
        EXAMPLES,
    )
    p.add_argument("accounts", metavar="ACCOUNTS.csv", help="account export (CSV or Excel)")
    p.add_argument("--mapping", metavar="FILE", help="column-mapping file for the accounts")
    p.add_argument(
        "--objective",
        type=money,
        required=True,
        metavar="AMOUNT",
        help="revenue objective (4000000, 4,000,000, 4M)",
    )
    p.add_argument(
        "--method",
        choices=("potential", "history", "blend"),
        default="potential",
        help="split by assigned potential, by ramp-adjusted bookings, or a blend",
    )
    p.add_argument(
        "--blend",
        type=non_negative,
        default=0.5,
        metavar="A",
        help="blend: the potential's weight in [0, 1] (default 0.5)",
    )
    p.add_argument(
        "--history",
        metavar="OPPORTUNITIES.csv",
        help="opportunity export: bookings history and the open pipeline",
    )
    p.add_argument("--potential", default="potential", help="account column summed as potential")
    p.add_argument("--floor", type=money, metavar="AMOUNT", help="least quota per rep (e.g. 150k)")
    p.add_argument("--cap", type=money, metavar="AMOUNT", help="most quota per rep (e.g. 1.2M)")
    p.add_argument(
        "--unit", type=money, default=1.0, metavar="AMOUNT", help="round quotas to this unit (1k)"
    )
    p.add_argument("--period", help="quota period, e.g. 2027Q1 (default: the history's quarter)")
    add_assign_options(p, required=True)
    add_common_options(p, seed_option=True, trials=None)
    p.set_defaults(run=_run)
    return p


def _run(args: argparse.Namespace) -> Output:
    import warnings

    from salesworkbench.errors import DataWarning
    from salesworkbench.io import read_accounts, read_opportunities
    from salesworkbench.team import analyse_team
    from salesworkbench.territory import segment, set_quotas

    if args.method != "potential" and not args.history:
        raise ValueError(f"--method {args.method} needs --history OPPORTUNITIES.csv")
    if not 0 <= args.blend <= 1:
        raise ValueError(f"--blend must be in [0, 1], got {args.blend:g}")
    input_file(args.accounts, "an account export, CSV or Excel")
    accounts = read_accounts(args.accounts, mapping=mapping_option(args.mapping))
    if args.potential != "potential" and args.potential not in accounts.columns:
        raise ValueError(f"--potential {args.potential!r}: no such account column")
    seg = segment(accounts, source=args.accounts)
    asg, _ = run_assignment(args, seg)
    if args.potential != "potential":
        asg = asg.drop(columns="potential").merge(
            seg[["account_id", args.potential]].rename(columns={args.potential: "potential"}),
            on="account_id",
            how="left",
        )
    team = opp = None
    if args.history:
        from salesworkbench.cli.segment import read_reps

        input_file(args.history, "an opportunity export, CSV or Excel")
        opp = read_opportunities(args.history)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            team = analyse_team(opp, reps=read_reps(args.reps))
    plan = set_quotas(
        args.objective,
        asg,
        args.method,
        weights=args.blend if args.method == "blend" else None,
        floor=args.floor,
        cap=args.cap,
        history=team,
        pipeline=opp,
        period=args.period,
        unit=args.unit or 1.0,
        seed=args.seed,
    )
    for n in plan.notes:
        note(n)
    table = plan.summary.join(plan.fairness.drop(columns="quota"))
    note(f"quotas sum to {plan.summary['quota'].sum():,.0f} ({plan.method})")
    return Output(pd.DataFrame(table))
