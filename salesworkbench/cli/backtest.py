"""``salesworkbench backtest``: the forecast at past cut-offs against what happened."""

from __future__ import annotations

import argparse
import re

import numpy as np
import pandas as pd

from salesworkbench.cli.common import (
    PROG,
    Output,
    add_command,
    add_common_options,
    input_file,
    mapping_option,
    non_negative,
    note,
    read_list_prices,
    read_stage_history_file,
    records,
    table_text,
)
from salesworkbench.cli.forecast import add_list_prices_option
from salesworkbench.defaults import BACKTEST_TRIALS

__all__ = ["COLUMNS", "EXAMPLES", "add_parser", "parse_cutoffs"]

EXAMPLES = f"""\
examples:
  {PROG} backtest data/opportunities.csv --cutoffs quarterly:2025-01-01..2026-07-01 \\
      --stage-history data/stage_history.csv
  {PROG} backtest export.csv --mapping crm.yaml --cutoffs 2017-04-01,2017-07-01,2017-10-01 \\
      --list-prices products.csv --horizon quarter
  {PROG} backtest data/opportunities.csv --cutoffs monthly:2025-06-01..2026-06-01 \\
      --horizon month --show comparison --format csv

Each cut-off rebuilds the export as it stood at the start of that day (deals created later
left out, deals closed later open again) and forecasts the next whole period from what was
known then; the actual is what was won in it. The comparison puts the model beside simple
baselines (stage-weighted pipeline, Kaplan-Meier win rate, naive last period).
"""

#: The columns of the backtest table shown by default.
COLUMNS = (
    "period",
    "open_deals",
    "pipeline_actual",
    "pipeline_mean",
    "pipeline_p10",
    "pipeline_p90",
    "pipeline_inside_p10_p90",
    "actual",
    "mean",
    "p10",
    "p90",
    "stage_weighted",
    "km_win_rate",
    "naive",
)

_STEPS = {"monthly": "MS", "quarterly": "QS", "yearly": "YS"}
_RANGE = re.compile(r"^(monthly|quarterly|yearly):(\S+?)\.\.(\S+)$")


def parse_cutoffs(text: str) -> list[pd.Timestamp]:
    """Cut-off dates: ``2017-04-01,2017-07-01`` or a range ``quarterly:2017-01-01..2017-10-01``.

    A range steps by month, quarter or year from the first date to the last (both included:
    the first date must start its period, e.g. a quarter's first day).
    """
    t = text.strip()
    m = _RANGE.match(t)
    try:
        if m:
            kind, start, end = m.groups()
            first, last = pd.Timestamp(start), pd.Timestamp(end)
            if last < first:
                raise argparse.ArgumentTypeError(f"the range ends before it starts: {text!r}")
            days = pd.date_range(first, last, freq=_STEPS[kind])
            if len(days) == 0 or days[0] != first:
                raise argparse.ArgumentTypeError(
                    f"{start} does not start a {kind[:-2]} period (e.g. "
                    f"{pd.Timestamp(start).to_period(_STEPS[kind][0]).start_time:%Y-%m-%d})"
                )
            return list(days)
        cuts = [pd.Timestamp(p.strip()) for p in t.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be dates YYYY-MM-DD separated by commas, or a range such as "
            f"quarterly:2017-01-01..2017-10-01, got {text!r}"
        ) from None
    if not cuts:
        raise argparse.ArgumentTypeError("give at least one cut-off date")
    return sorted(set(cuts))


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``backtest`` subcommand to ``subparsers``."""
    p = add_command(
        subparsers,
        "backtest",
        "the forecast at past cut-offs against what was won, beside baselines",
        "Forecast the period after each cut-off from the export as it stood then, compare "
        "with what was won, and put the model beside simple baselines. Prints one row per "
        "cut-off and the comparison (mean absolute % error, bias, P10-P90 coverage).",
        EXAMPLES,
    )
    p.add_argument("opportunities", metavar="OPPORTUNITIES.csv", help="opportunity export")
    p.add_argument(
        "--cutoffs",
        required=True,
        type=parse_cutoffs,
        metavar="DATES",
        help="cut-off dates YYYY-MM-DD separated by commas, or a range "
        "monthly|quarterly|yearly:FIRST..LAST (e.g. quarterly:2017-01-01..2017-10-01)",
    )
    p.add_argument(
        "--horizon",
        choices=("month", "quarter", "year"),
        default="quarter",
        help="length of the forecast period (default quarter)",
    )
    p.add_argument("--mapping", metavar="FILE", help="column-mapping file or preset")
    p.add_argument(
        "--stage-history",
        metavar="FILE",
        help="stage-history export: rebuilds stage, amount and expected close at each cut-off",
    )
    p.add_argument(
        "--timing",
        choices=("auto", "created", "stage", "close_date"),
        default="auto",
        help="time-to-close model (stage and close_date need --stage-history; default auto: "
        "each cut-off's model picks on what was known before the cut-off)",
    )
    p.add_argument(
        "--group-by",
        metavar="COLUMN",
        default="auto",
        help="learn win rates by this column too (default: the model chooses)",
    )
    p.add_argument(
        "--stale-after",
        type=non_negative,
        default=90.0,
        metavar="DAYS",
        help="leave out deals whose expected close passed more than DAYS ago (default 90)",
    )
    p.add_argument(
        "--no-calibrate",
        dest="calibrate",
        action="store_false",
        help="show the simulated P10-P90 bands without calibrating them on earlier cut-offs",
    )
    add_list_prices_option(p)
    p.add_argument(
        "--show",
        choices=("cutoffs", "comparison", "summary", "reliability", "deals"),
        default="cutoffs",
        help="what CSV/JSON hold and the table leads with: one row per cut-off (default, "
        "with the comparison below it in the table), the comparison with baselines, the "
        "calibration summary, the reliability of win probabilities, or every deal scored",
    )
    p.add_argument("--all-columns", action="store_true", help="every column of the backtest")
    add_common_options(p, seed_option=True, trials=BACKTEST_TRIALS)
    p.set_defaults(run=_run)
    return p


def _priced(opps: pd.DataFrame, prices: dict[str, float]) -> pd.DataFrame:
    """Lost deals at 0 get the list price as ``original_amount`` (what the history uses).

    :func:`~salesworkbench.pipeline.backtest` refits the history model at every cut-off and
    takes no price list; the model reads a lost deal's ``original_amount`` first, so filling
    it has the effect of ``HistoryModel.fit(list_prices=)`` on the closed deals.
    """
    from salesworkbench.pipeline import list_price_of

    lost0 = ((opps["status"].astype(object) == "lost") & (opps["amount"] == 0)).to_numpy()
    orig = (
        opps["original_amount"].to_numpy(float)
        if "original_amount" in opps
        else np.full(len(opps), np.nan)
    )
    lp = list_price_of(opps["product"], prices) if "product" in opps else np.full(len(opps), np.nan)
    use = lost0 & ~(orig > 0) & (lp > 0)
    out = opps.copy()
    out["original_amount"] = np.where(use, lp, orig)
    note(
        f"--list-prices: {int(use.sum())} of {int(lost0.sum())} lost deals at 0 priced from "
        f"the list, {int((lost0 & ~(orig > 0) & ~use).sum())} stay unknown"
    )
    return out


def _run(args: argparse.Namespace) -> Output:
    from salesworkbench.io import read_opportunities
    from salesworkbench.pipeline import backtest

    input_file(args.opportunities, "OPPORTUNITIES: an opportunity export")
    if args.stage_history:
        input_file(args.stage_history, "--stage-history: a stage-history export")
    mapping_option(args.mapping)
    if args.timing not in ("auto", "created") and not args.stage_history:
        raise ValueError(f"--timing {args.timing} needs --stage-history FILE")
    prices = read_list_prices(args.list_prices) if args.list_prices else None
    opps = read_opportunities(args.opportunities, mapping=mapping_option(args.mapping))
    if prices is not None:
        opps = _priced(opps, prices)
    stages = (
        read_stage_history_file(args.stage_history, args.mapping) if args.stage_history else None
    )
    group_by = None if args.group_by in ("none", "") else args.group_by
    if group_by not in (None, "auto") and group_by not in opps.columns:
        raise ValueError(f"--group-by {group_by}: no such column in {args.opportunities}")
    bt = backtest(
        opps,
        args.cutoffs,
        args.horizon,
        trials=args.trials,
        seed=args.seed,
        stage_history=stages,
        group_by=group_by,
        timing=args.timing,
        stale_after=args.stale_after,
        calibrate=args.calibrate,
        progress=args.progress is not False,
    )
    for line in bt.notes:
        note(f"note: {line}")
    last = pd.concat([opps["created"], opps["close_date"]]).max()
    late = bt["period_end"] > last
    if late.any():
        note(
            f"note: the export ends {last:%Y-%m-%d}: {int(late.sum())} cut-off(s) forecast a "
            "period that ends later, so their actuals are incomplete (read them as such)"
        )
    table = pd.DataFrame(bt).set_index("cutoff")
    table.index = table.index.strftime("%Y-%m-%d")
    if not args.all_columns:
        table = table[[c for c in COLUMNS if c in table.columns]]
    table = table.dropna(axis=1, how="all")  # e.g. totals when new deals are not modelled
    comparison = bt.comparison
    views = {
        "cutoffs": table,
        "comparison": comparison,
        "summary": bt.summary,
        "reliability": bt.reliability(),
        "deals": bt.deals,
    }
    frame = views[args.show]
    index = args.show != "deals"
    doc = {
        "horizon": args.horizon,
        "trials": args.trials,
        "seed": args.seed,
        "cutoffs": records(table),
        "comparison": records(comparison),
        "summary": records(bt.summary),
        "notes": list(bt.notes),
    }
    if args.show != "cutoffs":
        doc = records(frame, index)
    text = None
    if args.show == "cutoffs":
        text = "\n".join(
            [
                f"Backtest: {len(table)} cut-offs, each forecasting the next {args.horizon} "
                f"({args.trials:,} trials, seed {args.seed})",
                "",
                table_text(table),
                "",
                "Model beside baselines (mae_pct: mean |forecast - actual| / actual):",
                "",
                table_text(comparison),
            ]
        )
    return Output(frame, document=doc, index=index, text=text)
