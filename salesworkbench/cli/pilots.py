"""``salesworkbench pilots``: which assumption of a value case to pilot, and how big."""

from __future__ import annotations

import argparse

from salesworkbench.cli.common import (
    PROG,
    Output,
    add_command,
    add_common_options,
    add_cost_options,
    check_memory,
    pilot_costs,
    positive_int,
    read_value_case,
    records,
)
from salesworkbench.defaults import PILOT_TRIALS
from salesworkbench.formatting import format_money, format_percent

__all__ = ["EXAMPLES", "add_parser"]

EXAMPLES = f"""\
examples:
  {PROG} pilots data/value_cases/field_service_app.yaml
  {PROG} pilots case.yaml --cost-fixed 20000 --cost-per-unit 50 --scale 10 --format csv
  {PROG} pilots case.yaml --trials 50000 --max-n 500 --format json

One row per uncertain assumption, best pilot first: EVPPI (what perfect knowledge of it is
worth), the best pilot design and size, its EVSI, cost and expected net benefit (ENBS).
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``pilots`` subcommand to ``subparsers``."""
    p = add_command(
        subparsers,
        "pilots",
        "rank a value case's assumptions as pilot candidates (value of information)",
        "Which uncertain assumption is worth testing in a pilot before the customer decides, "
        "and how big the pilot should be (EVPPI, EVSI, expected net benefit of sampling).",
        EXAMPLES,
    )
    p.add_argument("case", metavar="CASE.yaml", help="value case file")
    p.add_argument(
        "--max-n",
        type=positive_int,
        default=1000,
        metavar="N",
        help="largest pilot size considered (default 1000)",
    )
    add_cost_options(p)
    add_common_options(p, seed_option=True, trials=PILOT_TRIALS)
    p.set_defaults(run=_run)
    return p


def _run(args: argparse.Namespace) -> Output:
    from salesworkbench.value.simulation import result_bytes
    from salesworkbench.voi import plan_pilots

    case = read_value_case(args.case)
    per_trial = 2 * result_bytes(case, 1)  # the simulation and the pilot analysis's arrays
    check_memory(per_trial * args.trials, f"--trials {args.trials:,}", per_trial)
    costs = pilot_costs(args)
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
    cur = case.currency or ""
    verdict = (
        f"best pilot: {best.index[0]} (n = {int(best['optimal_n'].iloc[0])}, expected net "
        f"benefit {format_money(best['enbs'].iloc[0], cur)})"
        if len(best)
        else "no pilot is worth its cost: decide now"
    )
    header = [
        f"{case.name} - {case.customer}: current decision '{a.get('current_decision')}', "
        f"P(value > 0) = {format_percent(a.get('prob_value_positive'), 1)}, "
        f"EVPI = {format_money(a.get('evpi'), cur)}",
        verdict,
        "",
    ]
    return Output(plan, document=doc, header=header)
