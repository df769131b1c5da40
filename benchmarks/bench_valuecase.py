"""Speed and memory of ValueCase.simulate on the telecom example.

Run: .venv/bin/python benchmarks/bench_valuecase.py [--quick]

Prints, at 10^6 trials: trials per second and the ratio of ``simulate`` time to the time it
takes just to draw the same input distributions in the same process (uniforms from the same
name-keyed streams pushed through the same quantile functions: the floor). For context it also
prints the ratio against two other baselines (scipy frozen ``ppf`` and numpy's own generators).
Then the time of a 10^5-trial simulate (a widget update), a run on a 2-thread executor, and the
peak traced memory (tracemalloc) of a 10^7-trial run with chunking.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from salesworkbench._random import named_stream
from salesworkbench.value import ValueCase
from salesworkbench.value.simulation import DEFAULT_CHUNK_SIZE

CASE = Path(__file__).resolve().parents[1] / "data" / "value_cases" / "telecom_arpu.yaml"


def best(fn, repeat, clock=time.perf_counter):
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times), statistics.median(times)


def raw_draws(case, trials, seed=0, chunk=DEFAULT_CHUNK_SIZE):
    """The floor: the same uniforms through the same quantile functions, nothing else."""
    for i, start in enumerate(range(0, trials, chunk)):
        n = min(chunk, trials - start)
        for name, a in case.assumptions.items():
            if not a.dist.is_fixed:
                a.dist.ppf(named_stream(seed, name, i).random(n))


def scipy_draws(case, trials, seed=0):
    """Naive baseline: scipy frozen distributions' ppf on uniforms."""
    rng = np.random.default_rng(seed)
    for a in case.assumptions.values():
        if not a.dist.is_fixed:
            a.dist.frozen.ppf(rng.random(trials))


def numpy_draws(case, trials, seed=0):
    """numpy's own generators for the same distributions (no ppf)."""
    rng = np.random.default_rng(seed)
    for a in case.assumptions.values():
        d, s = a.dist, a.dist.spec
        if d.kind == "pert":
            al, be = d._beta_shapes
            lo, hi = float(s["min"]), float(s["max"])
            lo + (hi - lo) * rng.beta(al, be, trials)
        elif d.kind == "triangular":
            rng.triangular(float(s["min"]), float(s["mode"]), float(s["max"]), trials)
        elif d.kind == "uniform":
            rng.uniform(float(s["min"]), float(s["max"]), trials)
        elif d.kind == "normal":
            rng.normal(float(s["mean"]), float(s["sd"]), trials)


def main(quick: bool = False) -> None:
    case = ValueCase.from_yaml(CASE)
    trials = 10**6
    repeat = 3 if quick else 5
    case.simulate(trials, progress=False)  # warm up (quantile set-up, imports)
    raw_draws(case, trials)

    sim_best, sim_med = best(lambda: case.simulate(trials, progress=False), repeat)
    raw_best, raw_med = best(lambda: raw_draws(case, trials), repeat)
    print(f"telecom case, {trials:,} trials, {len(case.assumptions)} assumptions")
    print(f"  simulate            : {sim_best:.3f} s (median {sim_med:.3f})")
    print(f"  trials per second   : {trials / sim_best:,.0f}")
    print(f"  raw draws (floor)   : {raw_best:.3f} s (median {raw_med:.3f})")
    print(f"  ratio simulate / raw draws : {sim_best / raw_best:.2f}  (target <= 1.2)")
    # CPU time is steadier than wall time when other work shares the machine
    sim_cpu, _ = best(lambda: case.simulate(trials, progress=False), repeat, time.process_time)
    raw_cpu, _ = best(lambda: raw_draws(case, trials), repeat, time.process_time)
    print(
        f"  CPU time: simulate {sim_cpu:.3f} s, raw draws {raw_cpu:.3f} s, "
        f"ratio {sim_cpu / raw_cpu:.2f}"
    )
    if not quick:
        sp, _ = best(lambda: scipy_draws(case, trials), 1)
        npd, _ = best(lambda: numpy_draws(case, trials), 3)
        print(f"  [context] scipy frozen ppf draws: {sp:.3f} s -> ratio {sim_best / sp:.2f}")
        print(f"  [context] numpy generator draws : {npd:.3f} s -> ratio {sim_best / npd:.2f}")
    with ThreadPoolExecutor(2) as ex:
        thr, _ = best(lambda: case.simulate(trials, progress=False, executor=ex), repeat)
    print(f"  simulate on ThreadPoolExecutor(2): {thr:.3f} s ({trials / thr:,.0f} trials/s)")

    small, small_med = best(lambda: case.simulate(100_000, progress=False), 5 if quick else 11)
    print(f"10^5 trials: simulate {small * 1000:.0f} ms (median {small_med * 1000:.0f} ms)")

    big = 10**6 if quick else 10**7
    tracemalloc.start()
    t0 = time.perf_counter()
    sim = case.simulate(big, progress=False)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = sim.samples.to_numpy().nbytes
    del sim
    tracemalloc.start()
    sim = case.simulate(big, progress=False, keep_inputs=False)
    _, peak_lean = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lean = sim.samples.to_numpy().nbytes
    del sim
    mb = 1024**2
    print(f"{big:,} trials in chunks of {DEFAULT_CHUNK_SIZE:,}: {elapsed:.1f} s")
    print(
        f"  peak traced memory {peak / mb:,.0f} MB = result table {result / mb:,.0f} MB "
        f"+ working memory {(peak - result) / mb:,.0f} MB"
    )
    print(
        f"  keep_inputs=False: peak {peak_lean / mb:,.0f} MB = outputs {lean / mb:,.0f} MB "
        f"+ working memory {(peak_lean - lean) / mb:,.0f} MB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 10^6 memory run")
    main(parser.parse_args().quick)
