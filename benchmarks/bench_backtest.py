"""Benchmark: the walk-forward backtest, model against baselines, on two generators; and speed.

1. The bundled sample (``salesworkbench.datasets``), quarterly and monthly cut-offs.
2. The second synthetic generator (:mod:`salesworkbench.datasets.second_sample`), built on other
   assumptions than ours (bimodal cycle lengths, 30% of lost deals never closed in the CRM,
   trend and seasonality), read through the importer with its mapping file, quarterly and
   monthly cut-offs. ``second_sample.truth()`` (what really happened) checks that the CRM's
   bookings are the real ones.

For each it prints, side by side, the model's pipeline forecast and the baselines (stage-weighted,
Kaplan-Meier timing x win rate: against the bookings of the deals open at the cut-off) and the
model's total and the naive baseline (last period's bookings: against all bookings): mean
absolute error relative to the actual, bias relative to the actual (the mean of the cut-offs'
relative errors), the pooled bias (total forecast over total actual, minus 1: the mean of
ratios runs high when some actuals are small, even for an unbiased forecast) and P10-P90
coverage where there is a band, and which timing the model used at how many cut-offs
(``timing="auto"``: picked at each cut-off from the history before it, see
:mod:`salesworkbench.pipeline.timing_choice`). Targets (issue
13): coverage 70-90% on both generators, MAE no worse than the best baseline. On the bundled
sample the stage-weighted baseline is also shown with stage win rates learned from the history
instead of the CRM's stage settings. (Those settings are not right stage by stage on our
generator: at the cut-offs up to 2025-07, whose deals have mostly closed since, open
Prospecting deals went on to win 2.3 times what 10% of their amount says, Qualification deals
1.3 times what 20% says and Proposal deals 12% less than 50% says; summed over the deals dated
in a quarter the errors largely cancel.) ``bench_backtest_seeds.py`` runs the same backtest on
many samples of both generators.

3. Speed: a 12-cut-off quarterly backtest of 6,000 deals with 2,000 trials, as a ratio to
drawing the same number of raw float32 uniforms (12 x open deals x trials) in the same run.
Target: under 5 s on the project machine.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best_of

from salesworkbench.datasets import generate, load_opportunities, load_stage_history, second_sample
from salesworkbench.defaults import BACKTEST_TRIALS
from salesworkbench.errors import DataWarning
from salesworkbench.io import read_opportunities, read_stage_history
from salesworkbench.pipeline import backtest
from salesworkbench.pipeline.baselines import BASELINES, crm_stage_probabilities
from salesworkbench.schemas import OPPORTUNITIES

SEED = 13

#: Cut-off dates of each generator's backtests, by horizon.
CUTOFFS = {
    "bundled": {
        "quarter": pd.date_range("2024-10-01", "2026-07-01", freq="QS"),
        "month": pd.date_range("2024-10-01", "2026-09-01", freq="MS"),
    },
    "second": {
        "quarter": pd.date_range("2021-01-01", "2023-04-01", freq="QS"),
        "month": pd.date_range("2021-01-01", "2023-06-01", freq="MS"),
    },
}
LABELS = {"quarter": "quarterly", "month": "monthly"}
#: Each generator's files: deals, stage history, mapping (None: canonical columns).
FILES = {
    "bundled": (generate, "opportunities.csv", "stage_history.csv", None),
    "second": (second_sample, "deals.csv", "deal_history.csv", "mapping.yaml"),
}


def read_sample(name: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One sample of a generator, written to a temporary folder and read through the importer."""
    module, deals, history, mapping = FILES[name]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        module.write(out, seed)
        m = out / mapping if mapping else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            return (
                read_opportunities(out / deals, mapping=m),
                read_stage_history(out / history, mapping=m),
            )


def best_baseline(cmp: pd.DataFrame) -> tuple[str, float]:
    """The baseline of the pipeline part with the smallest MAE, and that MAE."""
    base = cmp[cmp["forecast"] == "pipeline"].drop(index="model")["mae_pct"]
    return str(base.idxmin()), float(base.min())


def show(title: str, bt) -> None:
    """Print the comparison table of one backtest."""
    cmp = bt.comparison
    print(f"\n-- {title}: {len(bt)} cut-offs, {bt['period'].iloc[0]} to {bt['period'].iloc[-1]}")
    print(f"   {'method':<58}{'vs':>9}{'MAE/actual':>12}{'bias':>9}{'pooled':>9}{'P10-P90':>9}")
    column = {
        "model": "pipeline_mean",
        "model (total, with new deals)": "mean",
        **{BASELINES[k][0]: k for k in BASELINES},
    }
    for name, r in cmp.iterrows():
        cov = "" if np.isnan(r["coverage_p10_p90"]) else f"{r['coverage_p10_p90']:.0%}"
        mae = "n/a" if np.isnan(r["mae_pct"]) else f"{r['mae_pct']:.0%}"
        bias = "n/a" if np.isnan(r["bias_pct"]) else f"{r['bias_pct']:+.0%}"
        act = bt["pipeline_actual" if r["forecast"] == "pipeline" else "actual"]
        pooled = bt[column[name]].sum() / act.sum() - 1
        print(f"   {name:<58}{r['forecast']:>9}{mae:>12}{bias:>9}{pooled:>+9.0%}{cov:>9}")
    fac = bt["pipeline_calibration"]
    print(
        f"   band calibration factor: {fac.min():.2f}-{fac.max():.2f} "
        f"(1 = simulated band; {int((fac > 1).sum())} cut-offs widened, "
        f"{int((fac < 1).sum())} narrowed)"
    )
    pipe = cmp[cmp["forecast"] == "pipeline"]
    _, best = best_baseline(cmp)
    cov = pipe.loc["model", "coverage_p10_p90"]
    print(
        f"   targets: coverage 70-90% -> {cov:.0%} "
        f"{'met' if 0.7 <= cov <= 0.9 else 'NOT met'}; MAE <= best baseline ({best:.0%}) -> "
        f"{'met' if pipe.loc['model', 'mae_pct'] <= best else 'NOT met'}"
    )
    for note in bt.notes:
        print(f"   note: {note}")


def bundled() -> None:
    """The bundled sample, quarterly and monthly."""
    opps, hist = load_opportunities(), load_stage_history()
    for horizon, cuts in CUTOFFS["bundled"].items():
        bt = backtest(
            opps,
            cuts,
            horizon,
            seed=SEED,
            stage_history=hist,
            stage_probabilities=crm_stage_probabilities(opps),
        )
        show(f"bundled sample, {LABELS[horizon]}", bt)
        # the stage-weighted baseline above applies the CRM's stage settings (10/20/50/75%),
        # which suit our generator's quarters well (see the module text); with each stage's win
        # rate learned from the history before the cut-off instead:
        learned = backtest(opps, cuts, horizon, trials=200, seed=SEED, stage_history=hist)
        sw = learned["stage_weighted"]
        act = learned["pipeline_actual"]
        err = ((sw - act) / act)[act > 0]
        print(
            f"   stage-weighted with stage win rates learned before each cut-off (not the CRM's "
            f"settings): MAE {err.abs().mean():.0%}, bias {err.mean():+.0%}"
        )


def second() -> None:
    """The second generator, through the importer, quarterly and monthly."""
    opps, hist = read_sample("second", second_sample.DEFAULT_SEED)
    truth = second_sample.truth().set_index("opportunity_id")
    for horizon, cuts in CUTOFFS["second"].items():
        bt = backtest(opps, cuts, horizon, seed=SEED, stage_history=hist)
        # the CRM's bookings are the real ones (never-closed deals are all lost in truth)
        real = [
            truth.loc[
                truth["won"]
                & (truth["outcome_date"] >= r.period_start)
                & (truth["outcome_date"] <= r.period_end),
                "amount",
            ].sum()
            for r in bt.itertuples()
        ]
        assert np.allclose(real, bt["actual"]), "CRM bookings differ from what really happened"
        show(f"second generator, {LABELS[horizon]}", bt)
    never = int(truth["never_closed"].sum())
    print(f"   ({never:,} of {len(truth):,} deals were never closed in the CRM)")


def speed_crm(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """6,000 deals over three years, about 12% open at the end."""
    rng = np.random.default_rng(seed)
    today = pd.Timestamp("2026-10-01")
    created = pd.Timestamp("2023-07-01") + pd.to_timedelta(rng.integers(0, 1188, n), "D")
    close = created + pd.to_timedelta(rng.gamma(2.0, 40.0, n).round().astype(int) + 1, "D")
    won = rng.random(n) < np.where(rng.random(n) < 0.5, 0.25, 0.5)
    status = np.where(close < today, np.where(won, "won", "lost"), "open")
    return OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": [f"D{i:05d}" for i in range(n)],
                "account": "acc",
                "stage": np.where(status == "open", "Proposal", status),
                "status": status,
                "amount": rng.lognormal(9, 0.7, n).round(),
                "created": created,
                "close_date": close,
                "owner": rng.choice([f"rep{i}" for i in range(12)], n),
                "product": rng.choice(["a", "b", "c"], n),
            }
        )
    )


def speed() -> None:
    """12 quarterly cut-offs, 6,000 deals, BACKTEST_TRIALS trials; ratio to raw draws."""
    opps = speed_crm()
    cuts = pd.date_range("2023-10-01", "2026-07-01", freq="QS")
    assert len(cuts) == 12
    bt = backtest(opps, cuts, "quarter", BACKTEST_TRIALS, seed=1, group_by="product")
    draws = int(bt["open_deals"].sum()) * BACKTEST_TRIALS
    rng = np.random.default_rng(1)
    t_raw = best_of(lambda: rng.random(draws, dtype=np.float32))
    t_bt = best_of(
        lambda: backtest(opps, cuts, "quarter", BACKTEST_TRIALS, seed=1, group_by="product"),
        repeat=2,
    )
    print(
        f"\n-- speed: {len(cuts)} cut-offs, {len(opps):,} deals, {BACKTEST_TRIALS:,} trials "
        f"({int(bt['open_deals'].sum()):,} open deal-cut-offs)"
    )
    print(f"   backtest (model + 3 baselines)  {t_bt:8.2f} s   target < 5 s")
    print(
        f"   raw float32 draws, {draws:.2e}   {t_raw:8.3f} s   ratio backtest/raw = "
        f"{t_bt / t_raw:.1f}"
    )


def main() -> None:
    t0 = time.perf_counter()
    bundled()
    second()
    speed()
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
