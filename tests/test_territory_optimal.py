"""Optimal assignment (MILP), the trade-off frontier and quotas (issue 19)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

from salesworkbench._random import named_stream
from salesworkbench.errors import DataWarning
from salesworkbench.territory import (
    InfeasibleAssignment,
    assign_accounts,
    compare_assignments,
    set_quotas,
    tradeoff,
)

COVERAGE = {"Alpha": {"ae": 10.0}, "Beta": {"ae": 4.0}, "Delta": {"ae": 0.0}}
HOURS = {"Alpha": 10.0, "Beta": 4.0, "Delta": 0.0}


@pytest.fixture(scope="module")
def sample_segmented():
    from salesworkbench.datasets import load_accounts
    from salesworkbench.territory import segment

    return segment(load_accounts())


@pytest.fixture(scope="module")
def sample_reps():
    from salesworkbench.datasets import load_reps

    return load_reps()


EXACT = {"time_limit": None, "mip_rel_gap": 1e-9}
TOL = 1e-6  # solver objective vs brute force (HiGHS feasibility tolerance ~1e-7)


def small(seed: int, n: int = 8, groups: bool = False):
    """n accounts x 3 reps with random segments, potential, owners and capacities."""
    rng = named_stream(seed, "test_territory_optimal")
    seg = rng.choice(["Alpha", "Beta", "Delta"], size=n, p=[0.3, 0.4, 0.3])
    acc = pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(n)],
            "segment": seg,
            "priority": np.arange(1, n + 1),
            "potential": rng.uniform(10, 100, n).round(1),
            "owner": rng.choice(["ann", "bob", "cat", "dan"], size=n),  # dan is not a rep
        }
    )
    reps = pd.DataFrame({"rep": ["ann", "bob", "cat"], "hours": rng.choice([14.0, 20.0, 30.0], 3)})
    if groups:
        acc["territory"] = rng.choice(["N", "S"], size=n)
        reps["territory"] = ["N", "N", "S"]
    return acc, reps


def brute_force(acc, reps, weights=None, max_moves=None, match_on=None):
    """Minimum objective over all 3^n assignments (numpy; independent of the solver code)."""
    w = {"potential": 1.0, "hours": 1.0, "moves": 1.0} | dict(weights or {})
    names = list(reps["rep"])
    m, n = len(names), len(acc)
    h = acc["segment"].map(HOURS).to_numpy(float)
    p = acc["potential"].to_numpy(float)
    cap = reps["hours"].to_numpy(float)
    ch = np.array(list(itertools.product(range(m), repeat=n)))  # (m^n, n)
    onehot = ch[:, :, None] == np.arange(m)[None, None, :]  # (K, n, m)
    hours = (onehot * h[None, :, None]).sum(1)
    pot = (onehot * p[None, :, None]).sum(1)
    ok = (hours <= cap + 1e-9).all(1)
    if match_on:
        ag, rg = acc[match_on].to_numpy(), reps[match_on].to_numpy()
        ok &= (ag[None, :] == rg[ch]).all(1)
        groups = [(ag == g, rg == g) for g in np.unique(rg)]
    else:
        groups = [(np.ones(n, bool), np.ones(m, bool))]
    spreads = []
    for v, tot in ((p, pot), (h, hours)):
        dev = np.zeros((len(ch), m))
        for ga, gr in groups:
            share = cap[gr] / cap[gr].sum()
            fair = share * v[ga].sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                dev[:, gr] = np.where(fair > 0, np.abs(tot[:, gr] - fair) / fair, 0.0)
        spreads.append(dev.max(1))
    own = np.array([names.index(o) if o in names else -1 for o in acc["owner"]])
    elig = own >= 0
    if match_on:
        elig &= np.array([o >= 0 and ag[i] == rg[o] for i, o in enumerate(own)])
    elig &= np.array([o >= 0 and h[i] <= cap[o] for i, o in enumerate(own)])
    moves = ((ch != own[None, :]) & elig[None, :]).sum(1)
    n_owned = max(int(elig.sum()), 1)
    obj = w["potential"] * spreads[0] + w["hours"] * spreads[1] + w["moves"] * moves / n_owned
    if max_moves is not None:
        ok &= moves <= max_moves
    best = np.flatnonzero(ok)[np.argmin(obj[ok])]
    return float(obj[best]), int(moves[best])


@pytest.mark.parametrize("seed", range(6))
def test_solver_matches_brute_force(seed):
    acc, reps = small(seed)
    best, _ = brute_force(acc, reps)
    asg, load = assign_accounts(acc, reps, coverage=COVERAGE, role="ae", **EXACT)
    info = load.attrs["objective"]
    assert info["status"] == "optimal" and info["uncovered"] == 0
    assert info["objective"] == pytest.approx(best, abs=TOL)
    assert info["solver_objective"] == pytest.approx(best, abs=TOL)


@pytest.mark.parametrize("seed", range(3))
def test_solver_matches_brute_force_with_groups_weights_and_move_limit(seed):
    acc, reps = small(seed + 10, groups=True)
    reps["hours"] = 40.0
    w = {"potential": 2.0, "hours": 0.5, "moves": 0.3}
    for mm in (0, 1, None):
        best, moves = brute_force(acc, reps, w, max_moves=mm, match_on="territory")
        asg, load = assign_accounts(
            acc,
            reps,
            coverage=COVERAGE,
            role="ae",
            match_on="territory",
            weights=w,
            max_moves=mm,
            **EXACT,
        )
        info = load.attrs["objective"]
        assert info["objective"] == pytest.approx(best, abs=TOL), mm
        if mm is not None:
            assert info["moves"] <= mm


def test_capacity_and_match_on_hold_on_the_sample(sample_segmented, sample_reps):
    asg, load = assign_accounts(
        sample_segmented, sample_reps, match_on="territory", node_limit=1, time_limit=None
    )
    assert (load["hours"] <= load["capacity_hours"] + 1e-9).all()
    terr = sample_segmented.set_index("account_id")["territory"]
    rep_terr = sample_reps.set_index("rep")["territory"]
    got = asg.dropna(subset=["assigned_rep"])
    assert (got["account_id"].map(terr).to_numpy() == got["assigned_rep"].map(rep_terr)).all()
    assert asg["assigned_rep"].notna().all()
    info = load.attrs["objective"]
    assert info["status"] in ("optimal", "stopped at limit") and info["mip_gap"] >= 0
    # the load table shows the objective's parts
    for col in ("potential_deviation", "hours_deviation", "moved_in", "moved_out"):
        assert col in load
    assert load["moved_out"].sum() == info["moves"]
    assert abs(load["potential_deviation"]).max() == pytest.approx(info["potential_spread"])


def test_max_moves_zero_moves_nobody_eligible(sample_segmented, sample_reps):
    asg, load = assign_accounts(
        sample_segmented, sample_reps, match_on="territory", max_moves=0, node_limit=1
    )
    acc = sample_segmented.set_index("account_id")
    rep_terr = sample_reps.set_index("rep")["territory"]
    owner = asg["owner"].astype(object)
    eligible = owner.isin(rep_terr.index) & (
        owner.map(rep_terr).to_numpy() == asg["account_id"].map(acc["territory"]).to_numpy()
    )
    assert eligible.sum() > 400
    assert (asg.loc[eligible, "assigned_rep"] == asg.loc[eligible, "owner"]).all()
    assert load.attrs["objective"]["moves"] == 0


def test_max_moves_infeasible_names_the_overloaded_reps():
    acc, reps = small(3)
    acc["owner"] = "ann"
    reps["hours"] = [5.0, 100.0, 100.0]
    acc["segment"] = "Beta"
    with pytest.raises(InfeasibleAssignment, match=r"ann: 32 h of 5"):
        assign_accounts(acc, reps, coverage=COVERAGE, role="ae", max_moves=0)
    with pytest.raises(ValueError, match="max_moves"):
        assign_accounts(acc, reps, coverage=COVERAGE, role="ae", max_moves=-1)
    with pytest.raises(ValueError, match="max_moves needs method='optimal'"):
        assign_accounts(acc, reps, coverage=COVERAGE, role="ae", max_moves=1, method="greedy")


@pytest.mark.parametrize("seed", range(4))
def test_optimal_never_worse_than_greedy(seed):
    acc, reps = small(seed + 20, n=10)
    reps["hours"] = 60.0
    _, lg = assign_accounts(acc, reps, coverage=COVERAGE, role="ae", method="greedy")
    g = lg.attrs["objective"]
    _, lo = assign_accounts(acc, reps, coverage=COVERAGE, role="ae", **EXACT)
    assert lo.attrs["objective"]["objective"] <= g["objective"] + TOL
    # with greedy's moves as the limit, the balance alone is never worse than greedy's
    w = {"moves": 0.0}
    _, lb = assign_accounts(
        acc, reps, coverage=COVERAGE, role="ae", weights=w, max_moves=g["moves"], **EXACT
    )
    b = lb.attrs["objective"]
    assert b["moves"] <= g["moves"]
    assert (
        b["potential_spread"] + b["hours_spread"] <= g["potential_spread"] + g["hours_spread"] + TOL
    )


def test_optimal_beats_greedy_on_the_sample(sample_segmented, sample_reps):
    _, lg = assign_accounts(sample_segmented, sample_reps, method="greedy", match_on="territory")
    _, lo = assign_accounts(sample_segmented, sample_reps, match_on="territory", node_limit=1)
    tab = compare_assignments({"greedy": lg, "optimal": lo})
    assert tab.loc["objective", "optimal"] < tab.loc["objective", "greedy"]
    assert tab.loc["potential_spread", "optimal"] < tab.loc["potential_spread", "greedy"]


def test_infeasible_instance_reports_under_coverage_with_accounts_named():
    acc, reps = small(5)
    acc["segment"] = ["Alpha"] * 6 + ["Beta"] * 2
    reps["hours"] = [10.0, 10.0, 12.0]  # 68 h needed, 32 h available
    with pytest.warns(DataWarning, match=r"left uncovered .*: a"):
        asg, load = assign_accounts(acc, reps, coverage=COVERAGE, role="ae", **EXACT)
    un = asg[asg["assigned_rep"].isna()]
    assert len(un) > 0
    assert un["note"].str.contains("uncovered").all()
    assert (load["hours"] <= load["capacity_hours"]).all()
    info = load.attrs["objective"]
    assert info["uncovered"] == len(un) and info["phases"] == ["under-coverage"]
    # as many hours as possible (10 + 10 + max(10, 4 + 4) = 30 h), top priorities first
    assert load["hours"].sum() == pytest.approx(30.0)
    covered = set(asg.loc[asg["assigned_rep"].notna(), "account_id"])
    assert covered == {"a0", "a1", "a2"}
    # an account whose territory has no rep is uncovered and says why
    acc2, reps2 = small(6, groups=True)
    acc2.loc[0, "territory"] = "W"
    with pytest.warns(DataWarning, match="a0"):
        asg2, _ = assign_accounts(
            acc2, reps2, coverage=COVERAGE, role="ae", match_on="territory", **EXACT
        )
    assert asg2.set_index("account_id").loc["a0", "note"].startswith("no rep in this territory")


def test_compactness_uses_coordinates_and_needs_them():
    acc, reps = small(7, n=6)
    acc["segment"] = "Delta"
    acc["potential"] = 50.0
    acc["owner"] = "dan"  # nobody owns: only balance and distance matter
    acc["lat"] = [51.5, 51.5, 53.5, 53.5, 55.9, 55.9]
    acc["lon"] = [-0.1, -0.1, -2.2, -2.2, -3.2, -3.2]
    reps["lat"] = [55.9, 51.5, 53.5]
    reps["lon"] = [-3.2, -0.1, -2.2]
    asg, load = assign_accounts(
        acc, reps, coverage=COVERAGE, role="ae", weights={"compactness": 1.0}, **EXACT
    )
    got = asg.set_index("account_id")["assigned_rep"]
    assert list(got) == ["bob", "bob", "cat", "cat", "ann", "ann"]
    assert "mean_distance" in load and load.attrs["objective"]["compactness"] < 0.01
    with pytest.raises(ValueError, match="'lat' and 'lon'"):
        assign_accounts(
            acc.drop(columns=["lat", "lon"]), reps, coverage=COVERAGE, weights={"compactness": 1}
        )


def test_time_limit_returns_best_solution_and_gap(sample_segmented, sample_reps):
    _, lo = assign_accounts(sample_segmented, sample_reps, time_limit=0.5)
    info = lo.attrs["objective"]
    assert info["status"] in ("stopped at limit", "optimal", "no solution in time: greedy's kept")
    if info["status"] == "stopped at limit":
        assert 0 <= info["mip_gap"] < 1
    assert lo["accounts"].sum() == len(sample_segmented)


def test_tradeoff_frontier(sample_segmented):
    acc = sample_segmented[sample_segmented["territory"] == "North East"]
    reps = ["Amelia Hart", "Oliver Bennett", "Daniel Kim"]
    res = tradeoff(acc, reps, points=4, node_limit=200, time_limit=None)
    s = res.summary
    assert s.index[0] == "greedy" and s.index[-1] == "unlimited"
    lim = s.dropna(subset=["max_moves"])
    assert (lim["moves"] <= lim["max_moves"]).all()
    # more moves allowed never makes the (proven or near) balance much worse
    assert lim["balance"].iloc[-1] <= lim["balance"].iloc[0] + 1e-9
    ax = res.plot()
    assert ax.get_xlabel().startswith("accounts moved")
    import matplotlib.pyplot as plt

    plt.close("all")


# -- quotas ------------------------------------------------------------------------------------


def test_quotas_sum_exactly_and_respect_floors_and_caps():
    reps = pd.DataFrame({"rep": list("abcdefg"), "potential": [1, 2, 3, 5, 8, 13, 0.0]})
    obj = 1_000_001
    plan = set_quotas(obj, reps, floor=50_000, cap={"f": 300_000})
    q = plan.summary["quota"]
    assert q.sum() == obj and (q == q.round()).all()
    assert (q >= 50_000).all() and q["f"] <= 300_000
    assert plan.summary.loc["g", "bound"] == "floor" and plan.summary.loc["f", "bound"] == "cap"
    # top-down: proportional to potential among the unbound reps
    free = plan.summary[plan.summary["bound"] == ""]
    ratio = free["quota"] / free["potential"]
    assert ratio.max() - ratio.min() < 1 / free["potential"].min() + 1e-9
    # rounding to thousands still sums exactly
    p2 = set_quotas(3_000_000, reps, unit=1000, cap=900_000)
    assert p2.summary["quota"].sum() == 3_000_000 and (p2.summary["quota"] % 1000 == 0).all()
    assert (p2.summary["quota"] <= 900_000).all()
    with pytest.raises(ValueError, match="floors sum"):
        set_quotas(100_000, reps, floor=50_000)
    with pytest.raises(ValueError, match="caps"):
        set_quotas(1_000_000, reps, cap=10_000)
    with pytest.raises(ValueError, match="floor above cap.*f"):
        set_quotas(1_000_000, reps, floor={"f": 10}, cap={"f": 5})


def test_quotas_history_and_blend_from_mapping():
    reps = pd.DataFrame({"rep": ["a", "b"], "potential": [1.0, 3.0]})
    h = {"a": 300.0, "b": 100.0}
    p = set_quotas(400, reps, "history", history=h)
    assert p.summary["quota"].tolist() == [300, 100]
    b = set_quotas(400, reps, "blend", history=h, weights=0.5)
    assert b.summary["quota"].tolist() == [200, 200]
    b2 = set_quotas(400, reps, "blend", history=h, weights={"potential": 1, "history": 0})
    assert b2.summary["quota"].tolist() == [100, 300]
    with pytest.raises(ValueError, match="needs history"):
        set_quotas(400, reps, "history")
    with pytest.raises(ValueError, match="unknown rep"):
        set_quotas(400, reps, "history", history={"a": 1, "zed": 2})


def test_quotas_from_the_value_chain_with_team_and_forecast(sample_segmented, sample_reps):
    from salesworkbench.datasets import load_opportunities
    from salesworkbench.pipeline import conversion_rates, reverse_funnel
    from salesworkbench.team import analyse_team

    opp = load_opportunities()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        team = analyse_team(opp, reps=sample_reps)
    asg, _ = assign_accounts(sample_segmented, sample_reps, method="greedy", match_on="territory")
    won = opp.loc[opp["status"].astype(object) == "won", "amount"]
    fp = reverse_funnel(3_000_000, conversion_rates(opportunities=opp), deal_size=won.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        plan = set_quotas(
            fp, asg, "blend", history=team, pipeline=opp, floor=80_000, trials=500, seed=3
        )
    assert plan.summary["quota"].sum() == 3_000_000
    assert (plan.summary["quota"] >= 80_000).all()
    f = plan.fairness
    assert f["p_attainment"].between(0, 1).all()
    # each rep's forecast is their own open deals only, never the company's new deals too
    is_open = opp["status"].astype(object) == "open"
    own = opp[is_open].groupby(opp.loc[is_open, "owner"].astype(object))["amount"].sum()
    assert (f["forecast_mean"] <= own.reindex(f.index).fillna(0) + 1e-6).all()
    assert f["last_year_bookings"].gt(0).sum() >= 10
    # new reps (no ramped quarter) are on the team average, scaled by their ramp share
    assert (plan.summary["ramp"] <= 1).all() and any("ramped quarter" in n for n in plan.notes)
    chain = plan.chain
    assert chain.iloc[0]["measure"] == "revenue objective"
    assert "won deals needed (80% confidence)" in set(chain["measure"])
    quota_rows = chain[(chain["level"] == "quota") & (chain["measure"] == "quota")]
    assert quota_rows["target"].sum() == 3_000_000
