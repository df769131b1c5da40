"""Benchmark: the forecast rolled up rep -> team -> region, 200,000 open deals x 10,000 trials.

500 reps in 50 teams in 5 regions. Prints, in the same run: the plain forecast of the same deals
(no roll-up), the roll-up, their ratio (target: 1.3 or less), both again with the trial blocks
on a ``ThreadPoolExecutor`` (2 threads), and the roll-up's peak memory (tracemalloc, which numpy
reports to; target under 1 GB).
"""

from __future__ import annotations

import time
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import DataWarning
from salesworkbench.pipeline import HistoryModel, forecast
from salesworkbench.schemas import OPPORTUNITIES

N_OPEN, N_CLOSED, TRIALS, PERIODS = 200_000, 20_000, FORECAST_TRIALS, 1
N_REPS, N_TEAMS, N_REGIONS = 500, 50, 5
AS_OF = pd.Timestamp("2026-10-01")


def make_crm(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = N_OPEN + N_CLOSED
    is_open = np.arange(n) < N_OPEN
    created = AS_OF - pd.to_timedelta(
        np.where(is_open, rng.integers(1, 200, n), rng.integers(60, 900, n)), "D"
    )
    close = np.where(
        is_open,
        AS_OF + pd.to_timedelta(rng.integers(1, 200, n), "D"),
        np.minimum(
            created + pd.to_timedelta(rng.integers(5, 400, n), "D"), AS_OF - pd.Timedelta(days=1)
        ),
    )
    status = np.where(is_open, "open", np.where(rng.random(n) < 0.35, "won", "lost"))
    reps = [f"rep{i:03d}" for i in range(N_REPS)]
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": [f"D{i:07d}" for i in range(n)],
                "account": "acc",
                "stage": np.where(is_open, "Proposal", status),
                "status": status,
                "amount": rng.lognormal(10, 1, n).round(),
                "created": created,
                "close_date": pd.to_datetime(close),
                "owner": rng.choice(reps, n),
                "product": rng.choice(["a", "b", "c"], n),
            }
        )
    )
    hier = pd.DataFrame(
        {
            "rep": reps,
            "team": [f"team{i // (N_REPS // N_TEAMS):02d}" for i in range(N_REPS)],
            "region": [f"region{i // (N_REPS // N_REGIONS)}" for i in range(N_REPS)],
        }
    )
    return opps, hier


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    opps, hier = make_crm()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model = HistoryModel.fit(opps, group_by="product", as_of=AS_OF - pd.Timedelta(days=1))

    def run(h=None, ex=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            return forecast(
                opps,
                model,
                periods=PERIODS,
                trials=TRIALS,
                seed=7,
                as_of=AS_OF,
                progress=False,
                hierarchy=h,
                executor=ex,
            )

    # interleaved, best of two each: the machine is shared, so load drifts during the run
    t_plain, t_roll = np.inf, np.inf
    for _ in range(2):
        t, plain = timed(run)
        t_plain = min(t_plain, t)
        t, roll = timed(lambda: run(hier))
        t_roll = min(t_roll, t)
    with ThreadPoolExecutor(2) as ex:
        t_plain2, _ = timed(lambda: run(None, ex))
        t_roll2, roll2 = timed(lambda: run(hier, ex))
    tracemalloc.start()
    run(hier)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert np.array_equal(roll.rollup_bookings, roll2.rollup_bookings)
    r = roll.rollup
    top = r[r["level"] == "total"].iloc[0]
    print(
        f"roll-up: {N_OPEN:,} open deals x {TRIALS:,} trials, {N_REPS} reps / {N_TEAMS} teams / "
        f"{N_REGIONS} regions ({len(roll.rollup_nodes)} nodes)"
    )
    print(f"  plain forecast            {t_plain:8.2f} s")
    ratio = t_roll / t_plain
    print(f"  roll-up forecast          {t_roll:8.2f} s   ratio roll-up/plain = {ratio:.2f}")
    print(f"  plain, 2 threads          {t_plain2:8.2f} s")
    print(
        f"  roll-up, 2 threads        {t_roll2:8.2f} s   ratio roll-up/plain = "
        f"{t_roll2 / t_plain2:.2f} (same result as without threads: yes)"
    )
    print(f"  peak memory (tracemalloc) {peak / 2**20:8.1f} MiB")
    print(
        f"  check: total mean {top['mean']:,.0f} = sum of regions "
        f"{r.loc[r['level'] == 'region', 'mean'].sum():,.0f}; "
        f"plain {plain.summary['mean'].iloc[0]:,.0f}"
    )


if __name__ == "__main__":
    main()
