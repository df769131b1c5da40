"""Speed of the negotiation analyses (salesworkbench.value.negotiation, .options).

Prints figures and their ratio to a baseline measured in the same run, the bare
``simulate`` of the same number of trials:

- a stress table (both tails of every assumption) of a 10-assumption case at 10**5 trials
  (target < 2 s), common random numbers drawn once;
- ``walk_away`` on the price at 10**5 trials (target < 1 s): the grid of prices is one
  broadcast evaluation, then bisection on the same trials;
- ``break_even`` at 10**5 trials, and an acceptability curve of 41 prices over three options.

Each figure is the best of several runs, as wall-clock time and as this process's CPU time: on
a shared machine the CPU time shows what the code costs when it does not wait for a core.
"""

from __future__ import annotations

import os
import time

from salesworkbench.value import (
    ValueCase,
    acceptability_curve,
    break_even,
    stress_table,
    walk_away,
)

TRIALS = 100_000


def best_of(fn, repeat: int = 5) -> tuple[float, float]:
    """Best wall-clock and best CPU time (seconds) of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def ten_assumption_case() -> ValueCase:
    """Our offer: ten uncertain assumptions (two correlated), a fixed licence fee."""
    return ValueCase.from_dict(
        {
            "name": "ten assumptions",
            "currency": "GBP",
            "horizon_years": 3,
            "discount_rate": 0.08,
            "assumptions": {
                "users": {"dist": "pert", "min": 90_000, "mode": 100_000, "max": 120_000},
                "adoption": {"dist": "uniform", "min": 0.5, "max": 0.9, "unit": "share of users"},
                "arpu_uplift": {"dist": "triangular", "min": 1.0, "mode": 3.0, "max": 4.0},
                "margin": {"dist": "pert", "min": 0.4, "mode": 0.55, "max": 0.6},
                "churn_cut": {"dist": "beta", "alpha": 2, "beta": 8},
                "churn_value": {"dist": "lognormal", "p10": 100_000, "p90": 400_000},
                "ops_saving": {"dist": "normal", "mean": 300_000, "sd": 60_000},
                "ramp": {"dist": "percentiles", "p10": 0.6, "p50": 0.8, "p90": 0.9},
                "integration": {"dist": "gamma", "shape": 4, "scale": 50_000},
                "overrun": {"dist": "weibull", "shape": 2, "scale": 0.1},
                "licence_fee": {"dist": "fixed", "value": 1_500_000, "unit": "GBP"},
            },
            "correlations": [["adoption", "arpu_uplift", 0.4]],
            "benefits": [
                {"name": "ARPU", "formula": "users * adoption * arpu_uplift * 12 * margin * ramp"},
                {"name": "churn", "formula": "churn_cut * churn_value * 10"},
                {"name": "operations", "formula": "ops_saving"},
            ],
            "investments": [
                {"name": "licence", "formula": "licence_fee"},
                {"name": "integration", "formula": "integration * (1 + overrun)"},
            ],
        }
    )


def row(label: str, t: tuple[float, float], base: tuple[float, float], note: str = "") -> None:
    print(
        f"  {label:<46s} {t[0]:6.3f} s wall {t[1]:6.3f} s cpu  "
        f"{t[0] / base[0]:5.1f} x simulate  {note}"
    )


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    case = ten_assumption_case()
    d = sum(not a.dist.is_fixed for a in case.assumptions.values())
    case.simulate(TRIALS, progress=False)  # warm up (UNU.RAN set-up of the beta quantiles)
    base = best_of(lambda: case.simulate(TRIALS, seed=0, progress=False))
    print(f"{d} uncertain assumptions, {TRIALS:,} trials")
    row("simulate (baseline)", base, base)
    t = best_of(lambda: stress_table(case, trials=TRIALS, seed=0))
    row(f"stress_table ({2 * d} rows)", t, base, "(target < 2 s)")
    t = best_of(lambda: walk_away(case, "licence_fee", 0.8, trials=TRIALS, seed=0))
    row("walk_away on the licence fee", t, base, "(target < 1 s)")
    t = best_of(lambda: break_even(case, "adoption", trials=TRIALS, seed=0, bounds=(0, 1)))
    row("break_even on adoption", t, base)
    rival = case.with_assumption("licence_fee", {"dist": "fixed", "value": 1_200_000})
    rival = rival.with_assumption("adoption", {"dist": "uniform", "min": 0.4, "max": 0.8})
    nothing = ValueCase.from_dict(
        {"assumptions": {"zero": 0}, "benefits": [{"name": "none", "formula": "zero"}]}
    )
    options = {"status quo": nothing, "competitor": rival, "ours": case}
    prices = [1_000_000 + 25_000 * i for i in range(41)]
    t = best_of(lambda: acceptability_curve(options, "ours", "licence_fee", prices, TRIALS, 0), 3)
    row("acceptability curve (41 prices, 3 options)", t, base)


if __name__ == "__main__":
    main()
