"""Value-of-information speed: EVPPI and EVSI at 10^4 and 10^5 simulations, and a full pilot plan.

The plans run at the default ``PILOT_TRIALS`` and at 100,000 trials.

Figures are printed as seconds and as ratios to baselines measured in the same run:
``np.mean`` over the net-benefit table (the floor of any estimator) and a plain least-squares fit
(``np.linalg.lstsq``) of the net benefit on a 30-column design of the same length (what one
unpenalised regression costs). Target: a plan for the telecom case, all assumptions, < 10 s.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best_of
from threadpoolctl import threadpool_limits

from salesworkbench.defaults import PILOT_TRIALS
from salesworkbench.voi import evppi, evsi, n_grid, plan_pilots

ROOT = Path(__file__).resolve().parents[1]


def arrays(n: int) -> None:
    rng = np.random.default_rng(1)
    p = pd.DataFrame({"p1": rng.normal(1, 1, n), "p2": rng.normal(0, 2, n)})
    nb = pd.DataFrame({"t1": np.zeros(n), "t2": p["p1"] - p["p2"]})
    arr = nb.to_numpy()
    design = np.column_stack([p["p1"].to_numpy() ** j for j in range(30)]) / 10.0
    t_mean = best_of(lambda: arr.mean(axis=0), 5)
    # the voi functions run BLAS on one thread (threadpoolctl); so does the baseline
    with threadpool_limits(limits=1, user_api="blas"):
        t_lstsq = best_of(lambda: np.linalg.lstsq(design, arr[:, 1], rcond=None), 3)
    rows = {
        "EVPPI 1 input (spline, se)": best_of(lambda: evppi(nb, p, "p1")),
        "EVPPI 1 input (no se)": best_of(lambda: evppi(nb, p, "p1", se_draws=0)),
        "EVPPI 2 inputs (tensor)": best_of(lambda: evppi(nb, p, ["p1", "p2"], se_draws=0), 1),
        "EVSI normal, 1 size": best_of(lambda: evsi(nb, p, "p1", n=50, sd=1.0)),
        "EVSI normal, 16 sizes": best_of(lambda: evsi(nb, p, "p1", n=n_grid(1000, 16), sd=1.0), 1),
    }
    print(
        f"\n{n:,} simulations: np.mean {t_mean * 1e3:.2f} ms, lstsq (30 cols, 1 thread) "
        f"{t_lstsq * 1e3:.1f} ms"
    )
    for label, t in rows.items():
        print(f"  {label:30s} {t:7.3f} s   x{t / t_lstsq:7.1f} lstsq   x{t / t_mean:9.0f} mean")


def plans() -> None:
    try:
        from salesworkbench.value import ValueCase
    except ImportError:  # pragma: no cover
        print("\nValueCase not available: plan benchmark skipped")
        return
    for fname, costs in (
        ("telecom_arpu.yaml", {"fixed": 20_000, "per_unit": 20, "delay": 50_000}),
        ("field_service_app.yaml", {"fixed": 20_000, "per_unit": 100, "delay": 10_000}),
    ):
        path = ROOT / "data" / "value_cases" / fname
        if not path.exists():
            print(f"\n{fname} missing: skipped")
            continue
        case = ValueCase.from_yaml(path)
        for trials in (PILOT_TRIALS, 100_000):
            t_sim = best_of(lambda c=case, t=trials: c.simulate(t, seed=0, progress=False), 1)
            t0 = time.perf_counter()
            plan = plan_pilots(case, trials=trials, seed=0, costs=costs, progress=False)
            t = time.perf_counter() - t0
            n_unc = len(plan)
            n_pilot = int((plan["recommendation"] == "pilot").sum())
            print(
                f"\nplan {fname} at {trials:,} trials, {n_unc} uncertain assumptions "
                f"({n_pilot} worth a pilot): {t:.2f} s (target < 10 s); "
                f"x{t / t_sim:.1f} the simulation itself"
            )
            # Upper bound: EVPPI and full EVSI curves (24 sizes, every applicable design) for
            # every uncertain assumption, as if none could be ruled out early.
            sim = case.simulate(trials, seed=0, progress=False)
            s = sim.samples
            t0 = time.perf_counter()
            for name in plan.index:
                evppi(s["npv"], s, name)
                theta = s[name]
                evsi(s["npv"], s, name, n_grid(1000), sd=5 * float(theta.std()))
                if theta.min() >= 0 and theta.max() <= 1:
                    evsi(s["npv"], s, name, n_grid(1000), design="binomial")
            t_all = time.perf_counter() - t0
            print(f"  every assumption fully analysed (no early exit): {t_all:.2f} s")


if __name__ == "__main__":
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    for n in (10_000, 100_000):
        arrays(n)
    plans()
