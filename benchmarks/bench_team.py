"""Speed of the team analysis and of the prize what-if on the bundled sample.

Prints figures and their ratio to a baseline measured in the same run, one pipeline forecast
(``forecast``, the same trials and seed) of the sample's open deals:

- the full rep analysis (``analyse_team``: history model, shrinkage, mix adjustment, funnel,
  stage conversions) and ``stars_vs_rest``; the rep (cluster) bootstrap of ``stars_vs_rest``;
- the prize (``prize``: baseline + each lever + all levers, through the forecast's Monte Carlo);
- one TeamExplorer update (a control change: stars, effects, combined prize, no drawing);
- at scale: ``analyse_team`` + ``stars_vs_rest`` (split halves, survival measures) on a
  synthetic team of 20,000 deals and 100 reps, as a ratio to one forecast of its open deals.

Run: ``.venv/bin/python benchmarks/bench_team.py``.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd

os.environ.setdefault("MPLBACKEND", "Agg")

from _timing import best_of

from salesworkbench.datasets import AS_OF, load_opportunities, load_reps, load_stage_history
from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import DataWarning
from salesworkbench.pipeline import forecast
from salesworkbench.schemas import OPPORTUNITIES
from salesworkbench.team import analyse_team, prize, stars_vs_rest
from salesworkbench.ui.team_explorer import TeamExplorer

TRIALS = FORECAST_TRIALS


def synthetic_team(n: int = 20_000, n_reps: int = 100, seed: int = 0) -> pd.DataFrame:
    """Opportunities of ``n_reps`` reps with rep-specific win rates, a few products, open deals."""
    rng = np.random.default_rng(seed)
    skill = rng.normal(0, 0.4, n_reps)
    rep = rng.integers(0, n_reps, n)
    product = rng.choice(["Core", "Addon", "Services", "Platform"], n)
    base = pd.Series({"Core": -0.5, "Addon": 0.2, "Services": 0.0, "Platform": -1.0})
    p = 1 / (1 + np.exp(-(base[product].to_numpy() + skill[rep])))
    created = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "D")
    close = created + pd.to_timedelta(np.round(rng.lognormal(np.log(50), 0.7, n)) + 1, "D")
    as_of = pd.Timestamp("2025-10-01")
    status = np.where(close <= as_of, np.where(rng.random(n) < p, "won", "lost"), "open")
    df = pd.DataFrame(
        {
            "opportunity_id": [f"S{i:06d}" for i in range(n)],
            "account": [f"A{i % 3000}" for i in range(n)],
            "stage": np.where(status == "open", "Proposal", status),
            "status": status,
            "amount": np.round(rng.lognormal(9, 1.2, n)),
            "created": created,
            "close_date": close,
            "owner": [f"Rep {r:03d}" for r in rep],
            "product": product,
        }
    )
    return OPPORTUNITIES.coerce(df)


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

    big = synthetic_team()
    as_of = pd.Timestamp("2025-10-01")
    big_team = analyse_team(big, as_of=as_of)
    n_open = int((big["status"].astype(object) == "open").sum())
    t_bfc = best_of(lambda: forecast(big, big_team.model, 2, trials=TRIALS, seed=0, progress=False))
    t_ban = best_of(lambda: stars_vs_rest(analyse_team(big, as_of=as_of)))
    print(
        f"synthetic: {len(big):,} opportunities, 100 reps, {n_open:,} open deals; "
        f"{TRIALS:,} trials, 2 quarters"
    )
    print(f"  baseline forecast                        {t_bfc:.3f} s   (1.0)")
    print(f"  rep analysis + stars vs rest             {t_ban:.3f} s   ({t_ban / t_bfc:.1f}x)")


if __name__ == "__main__":
    main()
