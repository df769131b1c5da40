"""Benchmark: Monte Carlo forecast of 10,000 open deals x the default trials (10,000).

Prints the forecast time, its ratio to drawing the same number of raw uniform random numbers
(10^8, numpy Generator, float32 as the forecast uses, and float64) in the same run, and the peak
memory the forecast allocates (tracemalloc, which numpy reports to).
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pandas as pd
from _timing import best_of

from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import DataWarning
from salesworkbench.pipeline import HistoryModel, forecast
from salesworkbench.schemas import OPPORTUNITIES

N_OPEN, N_CLOSED, TRIALS, PERIODS = 10_000, 5_000, FORECAST_TRIALS, 2
AS_OF = pd.Timestamp("2026-10-01")


def make_crm(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = N_OPEN + N_CLOSED
    is_open = np.arange(n) < N_OPEN
    created = AS_OF - pd.to_timedelta(
        np.where(is_open, rng.integers(1, 200, n), rng.integers(60, 900, n)), "D"
    )
    close = np.where(
        is_open,
        AS_OF + pd.to_timedelta(rng.integers(1, 200, n), "D"),
        # closed deals closed before AS_OF (a table running past it is rebuilt as of then)
        np.minimum(
            created + pd.to_timedelta(rng.integers(5, 400, n), "D"), AS_OF - pd.Timedelta(days=1)
        ),
    )
    status = np.where(is_open, "open", np.where(rng.random(n) < 0.35, "won", "lost"))
    return OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": [f"D{i:06d}" for i in range(n)],
                "account": "acc",
                "stage": np.where(is_open, "Proposal", status),
                "status": status,
                "amount": rng.lognormal(10, 1, n).round(),
                "created": created,
                "close_date": pd.to_datetime(close),
                "owner": rng.choice([f"rep{i}" for i in range(20)], n),
                "product": rng.choice(["a", "b", "c"], n),
            }
        )
    )


def main() -> None:
    opps = make_crm()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model = HistoryModel.fit(opps, group_by="product", as_of=AS_OF)

    size = N_OPEN * TRIALS
    rng = np.random.default_rng(1)
    block = 10_000_000  # draw in blocks so the baseline itself fits in memory

    def raw(dtype):
        for _ in range(size // block):
            rng.random(block, dtype=dtype)

    t_raw32 = best_of(lambda: raw(np.float32))
    t_raw64 = best_of(lambda: raw(np.float64))

    def run():
        return forecast(
            opps, model, periods=PERIODS, trials=TRIALS, seed=7, as_of=AS_OF, progress=False
        )

    t_fc = best_of(run)
    tracemalloc.start()
    res = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    raw_bytes = size * 4
    assert len(res.deals) == N_OPEN, "every open deal must be simulated"

    print(f"forecast: {N_OPEN:,} open deals x {TRIALS:,} trials, {PERIODS} periods")
    print(f"  forecast time             {t_fc:8.2f} s")
    print(
        f"  raw draws, 1e8 float32    {t_raw32:8.2f} s   ratio forecast/raw = {t_fc / t_raw32:.2f}"
    )
    print(
        f"  raw draws, 1e8 float64    {t_raw64:8.2f} s   ratio forecast/raw = {t_fc / t_raw64:.2f}"
    )
    print(
        f"  peak memory (tracemalloc) {peak / 2**20:8.1f} MiB "
        f"({peak / raw_bytes:.3f} of the {raw_bytes / 2**20:,.0f} MiB the draws would take "
        "held at once)"
    )
    mc = res.summary.loc[res.summary.index[0]]
    print(
        f"  check: MC mean {mc['mean']:,.0f} vs exact {mc['expected']:,.0f} "
        f"(diff {abs(mc['mean'] - mc['expected']) / (mc['sd'] / np.sqrt(TRIALS)):.1f} SE)"
    )


if __name__ == "__main__":
    main()
