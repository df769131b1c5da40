"""Speed of Sobol indices and of a ValueCaseExplorer update on the telecom value case.

Prints figures and their ratio to a baseline measured in the same run:

- Sobol indices at n = 2**13 base samples (target < 1 s), against one ``simulate`` of the same
  number of model evaluations (n * (d + 2)).
- One explorer update at 10**5 trials (simulate + tornado + redraw, target < 0.3 s), against
  the bare ``simulate`` of 10**5 trials.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

from salesworkbench.sensitivity import sobol
from salesworkbench.ui.value_explorer import ValueCaseExplorer
from salesworkbench.valuecase import ValueCase

CASE = Path(__file__).resolve().parents[1] / "data" / "value_cases" / "telecom_arpu.yaml"


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    case = ValueCase.from_yaml(CASE)
    n = 2**13
    d = sum(not a.dist.is_fixed for a in case.assumptions.values())
    evaluations = n * (d + 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # correlations ignored by Sobol
        sobol(case, n=n)  # warm up
        t_sobol = best_of(lambda: sobol(case, n=n, seed=0))
    t_sim = best_of(lambda: case.simulate(trials=evaluations, seed=0, progress=False))
    print(f"telecom case: {d} uncertain assumptions, n = 2**13 -> {evaluations:,} model runs")
    print(f"  sobol (indices + 200 bootstrap resamples) {t_sobol:.3f} s   (target < 1 s)")
    print(f"  simulate {evaluations:,} trials            {t_sim:.3f} s")
    print(f"  ratio sobol / simulate                     {t_sobol / t_sim:.2f}")

    trials = 100_000
    app = ValueCaseExplorer(case, trials=trials, seed=0)
    # each timed update moves a range slider (a real user's action): the case is rebuilt,
    # simulated, the tornado and statement recomputed, the figure redrawn and PNG-encoded
    name = next(n for n, c in app.controls.items() if isinstance(c.value, tuple))
    lo, hi = app.controls[name].value
    settings = [(lo, hi - 0.1 * (hi - lo)), (lo, hi)]
    step = iter(range(10**9))

    def move_slider():
        app.controls[name].value = settings[next(step) % 2]

    move_slider()  # warm up
    t_update = best_of(move_slider)
    app.draw = False
    t_compute = best_of(move_slider)
    t_sim1 = best_of(lambda: case.simulate(trials=trials, seed=0, progress=False))
    print(f"explorer update at {trials:,} trials (moving the {name!r} range slider)")
    print(f"  full update incl. redraw and PNG render    {t_update:.3f} s   (target < 0.3 s)")
    print(f"  simulate + tornado + statement, no drawing {t_compute:.3f} s")
    print(f"  bare simulate                              {t_sim1:.3f} s")
    print(f"  ratio full update / simulate               {t_update / t_sim1:.2f}")


if __name__ == "__main__":
    main()
