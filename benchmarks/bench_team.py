"""Speed of the team analysis and of the prize what-if on the bundled sample.

Prints figures and their ratio to a baseline measured in the same run, one pipeline forecast
(``forecast``, the same trials and seed) of the sample's open deals:

- the full rep analysis (``analyse_team``: history model, shrinkage, mix adjustment, funnel,
  stage conversions) and ``stars_vs_rest``; the rep (cluster) bootstrap of ``stars_vs_rest``;
- the prize (``prize``: baseline + each lever + all levers, through the forecast's Monte Carlo);
- one TeamExplorer update (a control change: stars, effects, combined prize, no drawing).

Run: ``.venv/bin/python benchmarks/bench_team.py``.
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("MPLBACKEND", "Agg")

from _timing import best_of

from salesworkbench.datasets import AS_OF, load_opportunities, load_reps, load_stage_history
from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import DataWarning
from salesworkbench.pipeline import forecast
from salesworkbench.team import analyse_team, prize, stars_vs_rest
from salesworkbench.ui.team_explorer import TeamExplorer

TRIALS = FORECAST_TRIALS


def main() -> None:
    warnings.simplefilter("ignore", DataWarning)
    opp, hist, reps = load_opportunities(), load_stage_history(), load_reps()
    team = analyse_team(opp, hist, reps, as_of=AS_OF)  # warm up
    n_open = int((opp["status"].astype(object) == "open").sum())
    t_fc = best_of(
        lambda: forecast(opp, team.model, 2, trials=TRIALS, seed=0, timing="stage", progress=False)
    )
    t_an = best_of(lambda: stars_vs_rest(analyse_team(opp, hist, reps, as_of=AS_OF)))
    t_bs = best_of(lambda: stars_vs_rest(team, interval="reps", n_boot=2000, seed=0))
    t_pr = best_of(lambda: prize(team, opp, trials=TRIALS, seed=0))
    app = TeamExplorer(team, opp, prize_trials=TRIALS, draw=False)
    values = iter([0.8, 0.75] * 10)
    t_ui = best_of(lambda: setattr(app.controls["quantile"], "value", next(values)))

    print(
        f"sample: {len(opp):,} opportunities, {len(hist):,} stage changes, {len(reps)} reps, "
        f"{n_open} open deals; {TRIALS:,} trials, 2 quarters"
    )
    print(f"  baseline forecast                        {t_fc:.3f} s   (1.0)")
    print(f"  rep analysis + stars vs rest             {t_an:.3f} s   ({t_an / t_fc:.1f}x)")
    print(f"  stars vs rest, rep bootstrap (2,000)     {t_bs:.3f} s   ({t_bs / t_fc:.1f}x)")
    print(f"  prize (3 levers + all, with baseline)    {t_pr:.3f} s   ({t_pr / t_fc:.1f}x)")
    print(f"  explorer update (combined prize)         {t_ui:.3f} s   ({t_ui / t_fc:.1f}x)")


if __name__ == "__main__":
    main()
