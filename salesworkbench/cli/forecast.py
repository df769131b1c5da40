"""``salesworkbench forecast``: Monte Carlo bookings forecast of the open pipeline."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from salesworkbench.cli.common import (
    PROG,
    Output,
    add_command,
    add_common_options,
    check_memory,
    date_option,
    input_file,
    mapping_option,
    money_list,
    non_negative,
    note,
    positive_int,
    read_list_prices,
    read_stage_history_file,
    records,
)
from salesworkbench.defaults import FORECAST_TRIALS

__all__ = [
    "EXAMPLES",
    "MAX_PERIODS",
    "add_forecast_options",
    "add_list_prices_option",
    "add_parser",
    "run_forecast",
]

#: Most periods a forecast covers, by ``--freq``: twenty years.
MAX_PERIODS = {"month": 240, "quarter": 80, "year": 20}

EXAMPLES = f"""\
examples:
  {PROG} forecast data/opportunities.csv --history data/opportunities.csv --as-of 2026-10-01
  {PROG} forecast pipeline.csv --history closed.csv --stage-history stages.csv \\
      --timing stage --quota 3000000 --periods 4 --freq quarter
  {PROG} forecast pipeline.csv --history closed.csv --mapping salesforce --deals --format csv
  {PROG} forecast export.csv --history export.csv --mapping crm.yaml --list-prices products.csv \
      --quota 2.5M --as-of 2017-10-01
  {PROG} forecast data/opportunities.csv --history data/opportunities.csv --as-of 2026-10-01 \\
      --rollup data/reps.csv

PIPELINE holds the open deals (closed rows in it are left out); HISTORY the closed deals the
win rates and cycle times are learned from (the same export may serve as both). --mapping is a
mapping file or a preset (salesforce, hubspot) used for both files unless --history-mapping
is given.
"""

_PIPELINE = "PIPELINE: an opportunity export"
_HISTORY = "--history: an opportunity export with closed deals"
_STAGES = "--stage-history: a stage-history export"


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``forecast`` subcommand to ``subparsers``."""
    p = add_command(
        subparsers,
        "forecast",
        "Monte Carlo bookings forecast of the open pipeline",
        "Learn win rates and cycle times from closed deals (--history) and simulate the open "
        "deals in PIPELINE: bookings per period with P10/P50/P90 and P(bookings >= quota).",
        EXAMPLES,
    )
    add_forecast_options(p)
    p.add_argument(
        "--deals",
        action="store_true",
        help="print each open deal's contribution instead of the period summary",
    )
    p.add_argument(
        "--rollup",
        metavar="REPS.csv",
        help="roll the forecast up a hierarchy: owners (as in the owner column) in the first "
        "column, then the levels above; by default the columns team and region where the file "
        "has them (else every column); a 'quota' (or 'quota_per_<freq>') column gives each "
        "rep's quota per period. Prints one row per node and period",
    )
    p.add_argument(
        "--levels",
        type=lambda s: [c.strip() for c in s.split(",") if c.strip()],
        metavar="COL[,COL...]",
        help="with --rollup: the hierarchy's columns, owner first (e.g. rep,team,region)",
    )
    add_common_options(p, seed_option=True, trials=FORECAST_TRIALS)
    p.set_defaults(run=_run)
    return p


def add_forecast_options(p: argparse.ArgumentParser) -> None:
    """Add the files and the forecast's options (``forecast``, ``report forecast``)."""
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
        type=positive_int,
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
        help="forecast date, YYYY-MM-DD (default: the latest close in HISTORY); an export "
        "that runs past it (deals created or closed on or after it) is first rebuilt as it "
        "stood at the start of that day: deals created later left out, deals closed later "
        "open, stage, amount and expected close from --stage-history (without it, stage and "
        "expected close blank)",
    )
    p.add_argument(
        "--quota",
        type=money_list,
        metavar="X[;X...]",
        help="quota per period: one amount for all, or one per period (2.5M, 900k, "
        "2,500,000; several separated by ';' or spaces: '3M;3.5M')",
    )
    add_list_prices_option(p)
    p.add_argument(
        "--timing",
        choices=("auto", "created", "stage", "close_date"),
        default="auto",
        help="time-to-close model: auto (default: chosen on the history before the fit date; "
        "the notes say which and why), from creation, from entering the current stage or from "
        "the expected close date (stage and close_date need --stage-history)",
    )
    p.add_argument(
        "--group-by",
        metavar="COLUMN",
        default="auto",
        help="learn win rates by this column too (segment, product, owner, ...); 'auto' "
        "(default, as the library) picks the grouping with the lowest walk-forward error, "
        "'none' learns one set of rates",
    )
    p.add_argument(
        "--win-prob",
        choices=("history", "crm"),
        default="history",
        help="win probabilities learned from history (default) or the CRM's probability column",
    )
    p.add_argument(
        "--stale-after",
        type=non_negative,
        default=90.0,
        metavar="DAYS",
        help="flag open deals whose expected close passed more than DAYS ago (default 90), or "
        "older than the longest won cycle: counted in the notes and kept in the forecast with "
        "the low chance their age gives them",
    )
    p.add_argument(
        "--keep-stale", action="store_true", help="do not flag stale deals (they count either way)"
    )


def add_list_prices_option(p: argparse.ArgumentParser) -> None:
    """Add ``--list-prices FILE`` (forecast, backtest)."""
    p.add_argument(
        "--list-prices",
        metavar="FILE",
        help="price list (CSV: product, list_price; sales_price or price also read): a lost "
        "deal recorded at 0 counts at its product's list price, as does an open deal "
        "without an amount (product names match case-, space- and punctuation-blind)",
    )


def _read_opps(path: str, mapping: str | None, what: str) -> pd.DataFrame:
    from salesworkbench.io import read_opportunities

    input_file(path, what)
    return read_opportunities(path, mapping=mapping_option(mapping))


def _as_it_stood(pipeline, history, stage_history, as_of):
    """Rebuild the exports as they stood at the start of ``as_of`` when they run past it."""
    from salesworkbench.errors import warn_note
    from salesworkbench.pipeline import opportunities_at, pipeline_at
    from salesworkbench.pipeline.as_stood import runs_past

    if not (runs_past(pipeline, as_of) or runs_past(history, as_of)):
        return pipeline, history, stage_history, []
    n_rows = len(pipeline)
    same = pipeline is history
    history = opportunities_at(history, as_of, stage_history)
    pipeline = pipeline_at(pipeline, as_of, stage_history) if not same else history
    if stage_history is not None:
        stage_history = stage_history[(stage_history["changed"] < as_of.normalize()).to_numpy()]
    how = (
        "stage, amount and expected close from the stage history"
        if stage_history is not None
        else "no stage history: stage and expected close blank"
    )
    notes: list[str] = []
    n_open = int((pipeline["status"].astype(object) == "open").sum())
    warn_note(
        notes,
        f"the exports run past {as_of:%Y-%m-%d}: rebuilt as they stood at the start of that "
        f"day ({n_open} deals open then, of {n_rows} rows; {how})",
    )
    return pipeline, history, stage_history, notes


def _hierarchy(path: str, levels: list[str] | None, freq: str) -> pd.DataFrame:
    """The --rollup table: its level columns (owner first) and a ``quota`` column if any."""
    input_file(path, "--rollup: a table of reps and their team, region...")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = list(table.columns)
    if levels is None:
        levels = [cols[0], *(c for c in ("team", "region") if c in cols[1:])]
        if len(levels) == 1:
            levels = [c for c in cols if not c.startswith("quota")]
    missing = [c for c in levels if c not in cols]
    if missing:
        raise ValueError(
            f"--levels: no column(s) {', '.join(missing)} in {path}; columns: {', '.join(cols)}"
        )
    out = table[levels].copy()
    for q in ("quota", f"quota_per_{freq}"):
        if q in cols:
            out["quota"] = pd.to_numeric(table[q], errors="raise")
            break
    return out


def run_forecast(args: argparse.Namespace):
    """Read the exports, fit the history model and run the forecast the flags describe.

    Returns
    -------
    result : ForecastResult
    notes : list of str
        How the exports were rebuilt (``--as-of``) and what the summary leaves blank.
    """
    from salesworkbench.pipeline import HistoryModel, forecast

    as_of = date_option(args.as_of, "--as-of")
    if args.periods > MAX_PERIODS[args.freq]:
        raise ValueError(
            f"--periods {args.periods:,}: a forecast covers at most twenty years, "
            f"{MAX_PERIODS[args.freq]} periods of a {args.freq}; forecast fewer periods"
        )
    per_trial = 16 * args.periods  # bookings and the quota comparison, per period
    check_memory(per_trial * args.trials, f"--trials {args.trials:,}", per_trial)
    quota = None
    if args.quota:
        if len(args.quota) not in (1, args.periods):
            raise ValueError(
                f"--quota: give one number or one per period ({args.periods}), "
                f"got {len(args.quota)}"
            )
        quota = args.quota[0] if len(args.quota) == 1 else args.quota
    # every input checked before any is read, so a typo is the only message
    input_file(args.pipeline, _PIPELINE)
    input_file(args.history, _HISTORY)
    if args.stage_history:
        input_file(args.stage_history, _STAGES)
    mapping_option(args.mapping)
    mapping_option(args.history_mapping)
    list_prices = read_list_prices(args.list_prices) if args.list_prices else None
    pipeline = _read_opps(args.pipeline, args.mapping, _PIPELINE)
    if Path(args.history).resolve() == Path(args.pipeline).resolve() and (
        args.history_mapping is None
    ):
        history = pipeline
    else:
        history = _read_opps(args.history, args.history_mapping or args.mapping, _HISTORY)
    rollup = getattr(args, "rollup", None)
    hierarchy = _hierarchy(rollup, args.levels, args.freq) if rollup else None
    stage_history = None
    if args.stage_history:
        stage_history = read_stage_history_file(
            args.stage_history, args.history_mapping or args.mapping
        )
    fit_as_of, rebuilt = as_of, []
    if as_of is not None:
        pipeline, history, stage_history, rebuilt = _as_it_stood(
            pipeline, history, stage_history, as_of
        )
        if rebuilt:
            fit_as_of = as_of.normalize() - pd.Timedelta(days=1)  # closed before that day
    group_by = None if args.group_by.lower() == "none" else args.group_by
    model = HistoryModel.fit(
        history,
        stage_history,
        group_by=group_by,
        as_of=fit_as_of,
        list_prices=list_prices,
    )

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
        hierarchy=hierarchy,
    )
    open_deals = pipeline[(pipeline["status"].astype(object) == "open").to_numpy()]
    if len(open_deals) and open_deals["close_date"].isna().all():
        # no open deal has an expected close date: these columns are unknown, not 0
        result.summary[["stage_weighted", "pipeline", "coverage"]] = float("nan")
        text = (
            "no open deal has an expected close date: stage_weighted, pipeline and coverage "
            "are blank (unknown), not 0"
        )
        note(text)
        rebuilt = [*rebuilt, text]
    return result, rebuilt


def _run(args: argparse.Namespace) -> Output:
    result, rebuilt = run_forecast(args)
    summary = result.summary.copy()
    summary.index = summary.index.astype(str)
    summary.index.name = "period"
    doc = {
        "as_of": result.as_of,
        "trials": result.trials,
        "seed": result.seed,
        "periods": [str(p) for p in result.periods],
        "timing": result.timing,
        "group_by": result.group_by,
        "summary": records(summary),
        "stale_deals": len(result.stale),
        "notes": rebuilt + list(result.notes),
    }
    if result.rollup is not None:
        roll = result.rollup.reset_index(drop=True)
        levels = ", ".join(dict.fromkeys(roll["level"].astype(str)))
        header = [
            f"Bookings forecast by {levels} "
            f"as of {result.as_of:%Y-%m-%d} ({result.trials:,} trials, seed {result.seed}); "
            "a parent's mean is the sum of its children's, its P10 is not (children_p10)",
            "",
        ]
        doc["rollup"] = records(roll, index=False)
        return Output(roll, document=doc, header=header, index=False)
    if args.deals:
        deals = result.deals.reset_index(drop=True)
        header = [f"{len(deals)} open deals, largest expected contribution first", ""]
        return Output(deals, document=records(deals, index=False), header=header, index=False)
    how = next((n for n in result.notes if n.startswith("timing='auto'")), None)
    header = [
        f"Bookings forecast as of {result.as_of:%Y-%m-%d} ({result.trials:,} trials, seed "
        f"{result.seed}; timing {result.timing}, grouping {result.group_by or 'none'})",
        *([how] if how else []),
        "",
    ]
    return Output(summary, document=doc, header=header)
