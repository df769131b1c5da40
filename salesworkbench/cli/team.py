"""``salesworkbench team``: the rep table (fair, shrunk measures) and the stars against the rest."""

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
    note,
    read_stage_history_file,
    records,
    table_text,
)

__all__ = ["EXAMPLES", "REP_ALIASES", "add_parser", "read_reps"]

EXAMPLES = f"""\
examples:
  {PROG} team data/opportunities.csv --reps data/reps.csv --stage-history data/stage_history.csv
  {PROG} team export.csv --mapping crm.yaml --reps sales_teams.csv --measure deal_size
  {PROG} team data/opportunities.csv --show stars --format csv
  {PROG} team data/opportunities.csv --split none --quantile 0.8

The rep table ranks reps by a shrunk measure (a rep with 3 wins out of 3 does not top it on
luck) with its credible interval. The stars are picked on one random half of each rep's deals
and compared with the rest on the other half (held out), so the gap is not the selection
itself; --split none uses all deals for both.
"""

#: Column names a reps file may use for the rep (renamed to ``rep``) and for the region.
REP_ALIASES = {
    "rep": "rep",
    "owner": "rep",
    "sales_agent": "rep",
    "sales_rep": "rep",
    "name": "rep",
    "regional_office": "region",
}


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``team`` subcommand to ``subparsers``."""
    from salesworkbench.team import MEASURES

    p = add_command(
        subparsers,
        "team",
        "rep table with shrunk measures, and the stars against the rest",
        "Measure every rep fairly (raw figures beside shrunk ones with credible intervals) "
        "and compare the top reps with the others, measure by measure, on held-out deals.",
        EXAMPLES,
    )
    p.add_argument("opportunities", metavar="OPPORTUNITIES.csv", help="opportunity export")
    p.add_argument("--mapping", metavar="FILE", help="column-mapping file or preset")
    p.add_argument(
        "--reps",
        metavar="FILE",
        help="reps (CSV: rep, and optionally team, manager, region, start_date, "
        "quota_per_quarter; a 'sales_agent' or 'owner' column is read as rep)",
    )
    p.add_argument("--stage-history", metavar="FILE", help="stage-history export (the funnel)")
    p.add_argument("--as-of", metavar="DATE", help="analysis date (default: the latest close)")
    p.add_argument(
        "--measure",
        choices=tuple(MEASURES),
        default="win_rate",
        help="shrunk measure that ranks the reps and picks the stars (default win_rate)",
    )
    p.add_argument(
        "--quantile",
        type=_share,
        default=0.75,
        metavar="Q",
        help="reps above this quantile of the measure are the stars (default 0.75)",
    )
    p.add_argument(
        "--split",
        choices=("half", "none"),
        default="half",
        help="pick the stars on half of each rep's deals and measure on the other (half, "
        "default) or use all deals for both (none: the gap includes the selection)",
    )
    p.add_argument(
        "--show",
        choices=("reps", "stars"),
        default="reps",
        help="what CSV/JSON hold: the rep table (default) or the stars-vs-rest effects; the "
        "readable table shows both",
    )
    add_common_options(p, seed_option=True, trials=None)
    p.set_defaults(run=_run)
    return p


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number between 0 and 1, got {text!r}"
        ) from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (e.g. 0.75), got {text!r}")
    return value


def read_reps(path: str) -> pd.DataFrame:
    """Read a reps file; the rep column may be called rep, owner, sales_agent or name."""
    from salesworkbench.errors import DataError
    from salesworkbench.io import read_table

    input_file(path, "--reps: a reps table, CSV")
    raw = read_table(path)
    raw.columns = [str(c).strip() for c in raw.columns]
    renames, taken = {}, set(raw.columns)
    for col in raw.columns:
        target = REP_ALIASES.get(col.lower())
        if target and target not in taken and target not in renames.values():
            renames[col] = target
    reps = raw.rename(columns=renames).replace("", pd.NA)
    if "rep" not in reps.columns:
        raise DataError(
            f"a reps table needs a rep column (rep, owner or sales_agent); the file has "
            f"{', '.join(map(repr, raw.columns))}",
            file=path,
        )
    if "start_date" in reps:
        reps["start_date"] = pd.to_datetime(reps["start_date"], errors="coerce")
    if "quota_per_quarter" in reps:
        text = reps["quota_per_quarter"].astype("string").str.replace(",", "", regex=False)
        reps["quota_per_quarter"] = pd.to_numeric(text, errors="coerce")
    reps["rep"] = reps["rep"].astype("string").str.strip()
    return reps


def _run(args: argparse.Namespace) -> Output:
    from salesworkbench.io import read_opportunities
    from salesworkbench.team import MEASURES, analyse_team, stars_vs_rest

    input_file(args.opportunities, "OPPORTUNITIES: an opportunity export")
    if args.stage_history:
        input_file(args.stage_history, "--stage-history: a stage-history export")
    as_of = date_option(args.as_of, "--as-of")
    reps = read_reps(args.reps) if args.reps else None
    opps = read_opportunities(args.opportunities, mapping=mapping_option(args.mapping))
    stages = (
        read_stage_history_file(args.stage_history, args.mapping) if args.stage_history else None
    )
    analysis = analyse_team(opps, stages, reps, as_of=as_of)
    comparison = stars_vs_rest(
        analysis, args.measure, args.quantile, seed=args.seed, split=args.split
    )
    table = analysis.table(args.measure)
    table.index.name = "rep"
    table.insert(0, "star", table.index.isin(comparison.stars))
    effects = comparison.summary.copy()
    effects.index.name = "measure"
    label = MEASURES[args.measure][2]
    held = (
        "picked on half of each rep's deals, measured on the other half"
        if args.split == "half"
        else "picked and measured on all deals (the gap includes the selection)"
    )
    doc = {
        "as_of": analysis.as_of,
        "measure": args.measure,
        "stars": comparison.stars,
        "rest": comparison.rest,
        "split": args.split,
        "reps": records(table),
        "stars_vs_rest": records(effects),
        "notes": list(analysis.notes),
    }
    note(
        f"{len(table)} reps as of {analysis.as_of:%Y-%m-%d}; stars by {label}: "
        + (", ".join(comparison.stars) or "none")
    )
    text = "\n".join(
        [
            f"Reps by {label}, best first ({int(analysis.level * 100)}% credible intervals)",
            "",
            table_text(table),
            "",
            f"Stars ({len(comparison.stars)}) against the rest ({len(comparison.rest)}): {held}",
            "(difference: percentage points for shares, a ratio for sizes and days)",
            "",
            table_text(effects),
        ]
    )
    if args.show == "stars":
        return Output(effects, document=records(effects), text=text)
    return Output(table, document=doc, text=text)
