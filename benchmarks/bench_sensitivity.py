"""Speed of Sobol indices and of a ValueCaseExplorer update on the telecom value case.

Prints figures and their ratio to a baseline measured in the same run:

- Sobol indices at n = 2**13 base samples (target < 1 s), against one ``simulate`` of the same
  number of model evaluations (n * (d + 2)).
- One explorer update at 10**5 trials when a range slider moves (rebuild the case, simulate,
  tornado, value statement, redraw and PNG render; target < 0.3 s), against the bare
  ``simulate`` of 10**5 trials.

Each figure is the best of several runs, as wall-clock time and as this process's CPU time: on a
shared machine the CPU time shows what the code costs when it does not wait for a core.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

from salesworkbench.ui.value_explorer import ValueCaseExplorer
from salesworkbench.value import ValueCase, sobol

CASE = Path(__file__).resolve().parents[1] / "data" / "value_cases" / "telecom_arpu.yaml"


def best_of(fn, repeat: int = 7) -> tuple[float, float]:
    """Best wall-clock and best CPU time (seconds) of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def row(label: str, t: tuple[float, float], note: str = "") -> None:
    print(f"  {label:<44s} {t[0]:6.3f} s wall {t[1]:6.3f} s cpu  {note}")


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
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
    row("sobol (indices + 200 bootstrap resamples)", t_sobol, "(target < 1 s)")
    row(f"simulate {evaluations:,} trials", t_sim)
    print(
        f"  ratio sobol / simulate: {t_sobol[0] / t_sim[0]:.1f} (wall), "
        f"{t_sobol[1] / t_sim[1]:.1f} (cpu)"
    )

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
    row("full update incl. redraw and PNG render", t_update, "(target < 0.3 s)")
    row("same without drawing", t_compute)
    row(f"bare simulate of {trials:,} trials", t_sim1)
    print(
        f"  ratio full update / simulate: {t_update[0] / t_sim1[0]:.1f} (wall), "
        f"{t_update[1] / t_sim1[1]:.1f} (cpu)"
    )


if __name__ == "__main__":
    main()
