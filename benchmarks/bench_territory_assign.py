"""Benchmark: optimal vs greedy account assignment (issue 19).

Instances: the sample (500 accounts x 12 reps, within their territory) and a synthetic 5,000
accounts x 30 reps (5 territories of 6 reps). For each: greedy's time and objective, then the
optimal method at a few time limits with its objective, HiGHS's MIP gap and the parts. Times are
printed as ratios to greedy's in the same run, so they compare across machines. Target: under
30 s for the large instance (time limit 25 s, returning the best solution and its gap).

Run: ``.venv/bin/python benchmarks/bench_territory_assign.py [--quick]``.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

from salesworkbench._random import named_stream
from salesworkbench.datasets import load_accounts, load_reps
from salesworkbench.territory import assign_accounts, compare_assignments, segment

SEED = 2024


def make_instance(n: int, reps: int, territories: int, seed: int = SEED):
    """Synthetic segmented accounts and reps with owners, some of them overloaded."""
    rng = named_stream(seed, "bench_territory_assign", n, reps)
    terr = np.array([f"T{i}" for i in range(territories)])
    rep_terr = terr[np.arange(reps) % territories]
    rep_names = np.array([f"rep{i:02d}" for i in range(reps)])
    acc_terr = terr[rng.integers(0, territories, n)]
    seg = rng.choice(["Alpha", "Beta", "Delta"], size=n, p=[0.1, 0.45, 0.45])
    pot = np.clip(rng.normal(60, 15, n), 0, 100)
    # owners: a rep of the same territory, drawn unevenly (some reps own far more)
    owner = np.empty(n, dtype=object)
    for t in terr:
        idx = np.flatnonzero(acc_terr == t)
        mine = rep_names[rep_terr == t]
        w = rng.gamma(2.0, 1.0, mine.size)
        owner[idx] = rng.choice(mine, size=idx.size, p=w / w.sum())
    acc = pd.DataFrame(
        {
            "account_id": [f"A{i:05d}" for i in range(n)],
            "segment": seg,
            "priority": np.argsort(np.argsort(-pot - 100 * (seg == "Alpha"))) + 1,
            "potential": pot,
            "owner": owner,
            "territory": acc_terr,
        }
    )
    hours = n * (0.1 * 16 + 0.45 * 6) / reps / 0.8  # 80% utilisation on average
    rp = pd.DataFrame({"rep": rep_names, "territory": rep_terr, "hours": round(hours)})
    return acc, rp


def run(name: str, acc: pd.DataFrame, reps: pd.DataFrame, limits) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        _, lg = assign_accounts(acc, reps, method="greedy", match_on="territory")
        tg = time.perf_counter() - t
        loads = {"greedy": lg}
        for lim in limits:
            _, lo = assign_accounts(acc, reps, match_on="territory", time_limit=lim)
            loads[f"optimal {lim:g} s"] = lo
    print(f"\n{name}: {len(acc):,} accounts x {len(reps)} reps (match_on territory)")
    print(f"  greedy: {tg * 1e3:.1f} ms")
    tab = compare_assignments(loads)
    show = tab.loc[["objective", "potential_spread", "hours_spread", "moves", "mip_gap"]]
    with pd.option_context("display.width", 140, "display.float_format", "{:.4f}".format):
        print(show.to_string())
    for k, lo in loads.items():
        if k == "greedy":
            continue
        info = lo.attrs["objective"]
        s = info["seconds"]
        cand = info["candidates"]
        ratio = info["objective"] / lg.attrs["objective"]["objective"]
        print(
            f"  {k:<16s} {s:7.2f} s ({s / tg:8.0f} x greedy)  status {info['status']}, "
            f"gap {info['mip_gap']:.2%}, objective {ratio:.2f}"
            f" x greedy's, {info['pairs']:,} x variables"
            + (f" (owner + {cand} candidate reps per account)" if cand else " (all eligible reps)")
        )


def main(quick: bool = False) -> None:
    print(f"pandas {pd.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
    acc = segment(load_accounts())
    run("sample", acc, load_reps(), [1.0] if quick else [1.0, 5.0, 20.0])
    big, big_reps = make_instance(5_000, 30, 5)
    run("large", big, big_reps, [5.0] if quick else [5.0, 25.0])


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
