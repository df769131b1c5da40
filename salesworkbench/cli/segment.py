"""``salesworkbench segment``: score accounts and segment them into Alpha, Beta and Delta."""

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
    note,
    score,
)

__all__ = [
    "COLUMNS",
    "EXAMPLES",
    "add_assign_options",
    "add_parser",
    "add_segment_options",
    "positive_or_zero_int",
    "read_reps",
    "run_assignment",
    "segmented",
]

EXAMPLES = f"""\
examples:
  {PROG} segment data/accounts.csv
  {PROG} segment export.csv --mapping crm_columns.yaml --format csv --out build/segments.csv
  {PROG} segment data/accounts.csv --potential-high 75 --relationship-high 40 --summary
  {PROG} segment data/accounts.csv --format json | jq '.[] | select(.segment == "Alpha")'
  {PROG} segment accounts.csv --deals pipeline.csv --deals-mapping crm.yaml --summary
  {PROG} segment data/accounts.csv --assign optimal --reps data/reps.csv --match-on territory
  {PROG} segment data/accounts.csv --assign optimal --reps data/reps.csv --max-moves 20

Accounts are listed in priority order (1 = work first: Alpha by relationship, then Beta,
then Delta). A mapping file holds 'file column: canonical column' pairs (YAML), or sections
('columns:', 'stages:', 'accounts:', 'opportunities:') so one file serves both exports.
--deals derives the relationship (install base, current spend, recent projects, last
activity) from won deals, for an account export that has only firmographics.
"""

#: The columns shown by default (``--all-columns`` keeps every input column).
COLUMNS = (
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


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``segment`` subcommand to ``subparsers``."""
    p = add_command(
        subparsers,
        "segment",
        "score accounts and segment them into Alpha, Beta and Delta",
        "Score accounts for potential and relationship and segment them into Alpha (high "
        "potential), Beta (moderate potential, strong relationship) and Delta (the rest).",
        EXAMPLES,
    )
    add_segment_options(p)
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
    add_assign_options(p)
    add_common_options(p, seed_option=False, trials=None)
    p.set_defaults(run=_run)
    return p


def add_assign_options(p: argparse.ArgumentParser, required: bool = False) -> None:
    """Options of the account -> rep assignment (``segment --assign`` and ``quotas``)."""
    g = p.add_argument_group("assignment to reps")
    g.add_argument(
        "--assign",
        choices=("optimal", "greedy"),
        default="optimal" if required else None,
        help="assign the accounts to the reps of --reps: optimal (mixed-integer program, "
        "HiGHS) or greedy (priority order); prints the assignment instead of the segments"
        + (" (default optimal)" if required else ""),
    )
    g.add_argument(
        "--reps",
        metavar="REPS.csv",
        required=required,
        help="reps table: column rep, optional hours, lat/lon and the --match-on column",
    )
    g.add_argument(
        "--match-on",
        metavar="COLUMN",
        help="column an account and its rep must share (e.g. territory)",
    )
    g.add_argument(
        "--max-moves",
        type=positive_or_zero_int,
        metavar="N",
        help="optimal: at most N accounts change from an eligible current owner",
    )
    g.add_argument(
        "--time-limit",
        type=non_negative,
        default=10.0,
        metavar="S",
        help="optimal: stop after S seconds with the best assignment and its MIP gap (default 10)",
    )
    g.add_argument(
        "--role",
        default="account_executive",
        help="role whose hours are assigned (default account_executive)",
    )


def positive_or_zero_int(text: str) -> int:
    """An integer >= 0 (argparse type)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return v


def read_reps(path: str) -> pd.DataFrame:
    """The reps table of ``--reps`` (CSV or Excel) with a ``rep`` column."""
    from salesworkbench.errors import DataError

    input_file(path, "a reps table, CSV or Excel")
    reps = (
        pd.read_excel(path)
        if str(path).lower().endswith((".xlsx", ".xls"))
        else (pd.read_csv(path))
    )
    if "rep" not in reps.columns:
        raise DataError("the reps table needs a 'rep' column", file=path, column="rep")
    return reps


def run_assignment(args: argparse.Namespace, seg: pd.DataFrame):
    """Assign ``seg`` to the reps of ``args``; notes the objective's parts on stderr."""
    from salesworkbench.territory import assign_accounts

    reps = read_reps(args.reps)
    opts = {"max_moves": args.max_moves, "time_limit": args.time_limit or None}
    if args.assign == "greedy":
        opts = {}
    asg, load = assign_accounts(
        seg, reps, role=args.role, match_on=args.match_on, method=args.assign, **opts
    )
    o = load.attrs["objective"]
    note(
        f"{args.assign} assignment: worst rep {o['potential_spread']:.1%} off a fair share of "
        f"potential and {o['hours_spread']:.1%} of hours; {o['moves']} of {o['movable']} "
        f"accounts move; {o['uncovered']} uncovered; status {o['status']}"
        + (f", MIP gap {o['mip_gap']:.2%}" if o["mip_gap"] == o["mip_gap"] else "")
    )
    return asg, load


def add_segment_options(p: argparse.ArgumentParser) -> None:
    """Add the accounts file and the scoring options (``segment``, ``territory``)."""
    p.add_argument("accounts", metavar="ACCOUNTS.csv", help="account export (CSV or Excel)")
    p.add_argument(
        "--mapping",
        metavar="FILE",
        help="column-mapping file (YAML: 'file column: canonical column') or a preset name",
    )
    p.add_argument(
        "--deals",
        metavar="FILE",
        help="opportunity export: derive the relationship columns (install base, current "
        "spend, recent projects, last activity) from its won deals, matched by account id or "
        "name; columns the accounts already have are kept unless --overwrite-relationship",
    )
    p.add_argument(
        "--deals-mapping",
        metavar="FILE",
        help="mapping for --deals when it differs from --mapping",
    )
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="with --deals: end of the look-back windows (default: the latest won deal)",
    )
    p.add_argument(
        "--overwrite-relationship",
        action="store_true",
        help="with --deals: replace relationship columns the accounts already have",
    )
    p.add_argument(
        "--potential-high",
        type=score,
        default=70,
        metavar="X",
        help="potential score (0-100) from which an account is Alpha (default 70)",
    )
    p.add_argument(
        "--potential-low",
        type=score,
        default=30,
        metavar="X",
        help="potential score below which an account has little or none (default 30)",
    )
    p.add_argument(
        "--relationship-high",
        type=score,
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


def _with_relationship(
    accounts: pd.DataFrame, args: argparse.Namespace, as_of: pd.Timestamp | None
) -> pd.DataFrame:
    """The accounts with relationship columns from ``--deals`` (as the API does)."""
    from salesworkbench.io import read_opportunities
    from salesworkbench.territory import relationship_from_deals

    deals = read_opportunities(
        args.deals, mapping=mapping_option(args.deals_mapping or args.mapping)
    )
    out = relationship_from_deals(
        accounts, deals, as_of=as_of, overwrite=args.overwrite_relationship
    )
    out.attrs = dict(accounts.attrs)
    won = int((deals["status"].astype(object) == "won").sum())
    with_business = int((out["install_base"] > 0).sum())
    note(
        f"relationship from {won} won deals in {args.deals}: {with_business} of {len(out)} "
        "accounts have business on record"
    )
    return out


def segmented(args: argparse.Namespace) -> pd.DataFrame:
    """Read, score and segment the accounts as :func:`add_segment_options`' flags say."""
    from salesworkbench.io import read_accounts
    from salesworkbench.territory import segment

    if args.potential_low > args.potential_high:
        raise ValueError(
            f"--potential-low ({args.potential_low:g}) must not be above --potential-high "
            f"({args.potential_high:g})"
        )
    input_file(args.accounts, "an account export, CSV or Excel")
    if args.deals is None and (args.deals_mapping or args.as_of or args.overwrite_relationship):
        raise ValueError("--deals-mapping, --as-of and --overwrite-relationship need --deals FILE")
    as_of = date_option(args.as_of, "--as-of")
    if args.deals:
        input_file(args.deals, "--deals: an opportunity export")
        mapping_option(args.deals_mapping)
    accounts = read_accounts(args.accounts, mapping=mapping_option(args.mapping))
    if args.deals:
        accounts = _with_relationship(accounts, args, as_of)
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
    return seg


def _run(args: argparse.Namespace) -> Output:
    if args.assign and not args.reps:
        raise ValueError("--assign needs --reps REPS.csv")
    if args.max_moves is not None and args.assign != "optimal":
        raise ValueError("--max-moves needs --assign optimal")
    seg = segmented(args)
    counts = seg["segment"].value_counts().reindex(seg["segment"].cat.categories, fill_value=0)
    if args.assign:
        asg, load = run_assignment(args, seg)
        if args.summary:
            return Output(load.drop(columns=["fair_potential", "fair_hours"], errors="ignore"))
        return Output(asg, index=False)
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
        out = out[[c for c in COLUMNS if c in out.columns]]
    return Output(out.reset_index(drop=True), index=False)
