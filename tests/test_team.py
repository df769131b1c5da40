"""Tests of salesworkbench.team: shrinkage formulas, fair ranking, effect sizes, the prize."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.pipeline import forecast
from salesworkbench.schemas import OPPORTUNITIES, STAGE_HISTORY
from salesworkbench.snapshots import SnapshotStore
from salesworkbench.team import (
    analyse_team,
    capacity,
    forecast_accuracy,
    group_table,
    lognormal_shrinkage,
    pick_stars,
    prize,
    shuffle_check,
    stars_vs_rest,
    team_what_if,
)
from salesworkbench.team.stars import _log_effect, _share_effect

AS_OF = pd.Timestamp("2026-04-01")
#: forecast options of the team what-ifs: the open pipeline, each deal's luck (issue 13)
PIPELINE_ONLY = dict(new_deals=False, uncertainty="deal")
STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation"]
SKILL = {"Ann": 0.60, "Bob": 0.40, "Cid": 0.30, "Dee": 0.35, "Eve": 0.45}


def make_team(seed: int = 0, n: int = 900, newbie: bool = True):
    """Opportunities, stage history and reps with known rates (canonical schemas)."""
    rng = np.random.default_rng(seed)
    owners = rng.choice(list(SKILL), n)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 800, n), "D")
    cycle = np.round(rng.lognormal(np.log(60), 0.4, n)).astype(int) + 1
    close = created + pd.to_timedelta(cycle, "D")
    p = np.array([SKILL[o] for o in owners])
    won = rng.random(n) < p
    status = np.where(close <= AS_OF, np.where(won, "won", "lost"), "open")
    product = rng.choice(["Big", "Small"], n)
    amount = np.round(rng.lognormal(np.where(product == "Big", 11, 9), 0.5))
    df = pd.DataFrame(
        {
            "opportunity_id": [f"O{i:04d}" for i in range(n)],
            "account": [f"A{i % 70}" for i in range(n)],
            "stage": np.where(status == "open", rng.choice(STAGES, n), status),
            "status": status,
            "amount": amount,
            "created": created,
            "close_date": close,
            "owner": owners,
            "product": product,
            "segment": rng.choice(["Enterprise", "SMB"], n),
            "has_value_case": np.where(
                rng.random(n) < np.where(owners == "Ann", 0.6, 0.2), "yes", "no"
            ),
            "has_power_sponsor": rng.choice(["yes", "no"], n),
        }
    )
    if newbie:  # a new rep with 3 wins out of 3 and one open deal
        extra = df.iloc[:4].copy()
        extra["opportunity_id"] = ["N1", "N2", "N3", "N4"]
        extra["owner"] = "New"
        extra["status"] = ["won", "won", "won", "open"]
        extra["stage"] = ["won", "won", "won", "Proposal"]
        extra["created"] = pd.Timestamp("2026-01-05")
        extra["close_date"] = [pd.Timestamp("2026-03-01")] * 3 + [pd.Timestamp("2026-05-01")]
        df = pd.concat([df, extra], ignore_index=True)
    opp = OPPORTUNITIES.coerce(df)
    # stage history: every deal starts at Prospecting; won deals pass all stages; lost deals
    # stop at a random stage; open deals reached their current stage
    rows = []
    for r in opp.itertuples():
        if r.status == "won":
            top = 4
        elif r.status == "lost":
            top = 1 + int(rng.integers(0, 4))
        else:
            top = STAGES.index(r.stage) + 1
        for j in range(top):
            rows.append((r.opportunity_id, r.created + pd.Timedelta(days=j), STAGES[j]))
        if r.status != "open":
            rows.append((r.opportunity_id, r.close_date, "won" if r.status == "won" else "lost"))
    hist = pd.DataFrame(rows, columns=["opportunity_id", "changed", "stage"])
    hist.insert(0, "change_id", [f"C{i:06d}" for i in range(len(hist))])
    hist = STAGE_HISTORY.coerce(hist)
    reps = pd.DataFrame(
        {
            "rep": [*SKILL, "New"],
            "team": ["North", "North", "North", "South", "South", "South"],
            "manager": ["Mo", "Mo", "Mo", "Li", "Li", "Li"],
            "region": "UK",
            "start_date": pd.to_datetime(["2020-01-01"] * 5 + ["2026-01-01"]),
            "quota_per_quarter": [200_000.0] * 5 + [100_000.0],
        }
    )
    return opp, hist, reps


@pytest.fixture(scope="module")
def team():
    opp, hist, reps = make_team()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an = analyse_team(opp, hist, reps, as_of=AS_OF, stage_order=STAGES)
    return opp, hist, reps, an


# ----------------------------------------------------------------------------------- shrinkage


def test_win_rate_shrinkage_matches_conjugate_formula(team):
    _, _, _, an = team
    k, m = an.prior_strength, float(an.model.overall["mean"])
    t = an.reps
    w, n = t["won"].to_numpy(float), t["closed"].to_numpy(float)
    np.testing.assert_allclose(t["win_rate"], (k * m + w) / (k + n), rtol=1e-12)
    a, b = k * m + w, k * (1 - m) + n - w
    np.testing.assert_allclose(t["win_rate_lo"], stats.beta.ppf(0.05, a, b), rtol=1e-10)
    np.testing.assert_allclose(t["win_rate_hi"], stats.beta.ppf(0.95, a, b), rtol=1e-10)
    # the same numbers as the forecast's history model (no second model)
    rates = an.model.rates("owner")
    np.testing.assert_allclose(t.loc[rates.index, "win_rate"], rates["mean"], rtol=1e-12)


def test_lognormal_shrinkage_matches_normal_normal_formula():
    rng = np.random.default_rng(3)
    groups = np.repeat(["a", "b", "c", "d"], [200, 50, 5, 1])
    mus = {"a": 0.0, "b": 0.5, "c": 1.0, "d": 2.0}
    y = np.array([rng.normal(mus[g], 0.8) for g in groups])
    out = lognormal_shrinkage(np.exp(y), groups)
    df = pd.DataFrame({"g": groups, "y": y})
    agg = df.groupby("g")["y"].agg(["count", "mean", "var"])
    dof = agg["count"] - 1
    s2 = float((agg["var"].fillna(0) * dof).sum() / dof.sum())
    w = agg["count"] / s2
    mu_w = (w * agg["mean"]).sum() / w.sum()
    q = (w * (agg["mean"] - mu_w) ** 2).sum()
    c = w.sum() - (w**2).sum() / w.sum()
    tau2 = max((q - 3) / c, 0)
    mu = y.mean()
    prec = agg["count"] / s2 + 1 / tau2
    post = (agg["count"] * agg["mean"] / s2 + mu / tau2) / prec
    np.testing.assert_allclose(out["s2"].iloc[0], s2, rtol=1e-12)
    np.testing.assert_allclose(out["tau2"].iloc[0], tau2, rtol=1e-12)
    np.testing.assert_allclose(out["post_mean_log"], post, rtol=1e-12)
    np.testing.assert_allclose(out["post_sd_log"], np.sqrt(1 / prec), rtol=1e-12)
    # a big group keeps its own mean, a group of one moves most of the way to the team
    assert out.loc["a", "weight"] > 0.95 and out.loc["d", "weight"] < 0.6


def test_deal_size_is_a_shrunk_geometric_mean_between_rep_and_team(team):
    _, _, _, an = team
    d = an.deals
    sh = lognormal_shrinkage(d["won_amount"].to_numpy(float), d["owner"].astype(object).to_numpy())
    np.testing.assert_allclose(
        an.reps.loc[sh.index, "deal_size"], np.exp(sh["post_mean_log"]), rtol=1e-12
    )
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(
        an.reps.loc[sh.index, "deal_size_lo"],
        np.exp(sh["post_mean_log"] - z * sh["post_sd_log"]),
        rtol=1e-9,
    )
    won = d[d["won"]]
    raw = np.exp(np.log(won["amount"]).groupby(won["owner"].astype(object)).mean())
    np.testing.assert_allclose(an.reps.loc[raw.index, "deal_size_raw"], raw, rtol=1e-12)
    mean = won.groupby(won["owner"].astype(object))["amount"].mean()
    np.testing.assert_allclose(an.reps.loc[mean.index, "deal_size_mean_raw"], mean, rtol=1e-12)
    # the shrunk size lies between the rep's own geometric mean and the team's, for every rep
    team_gm = math.exp(np.log(won["amount"]).mean())
    r = an.reps.loc[raw.index]
    lo = np.minimum(r["deal_size_raw"], team_gm) * (1 - 1e-12)
    hi = np.maximum(r["deal_size_raw"], team_gm) * (1 + 1e-12)
    assert ((r["deal_size"] >= lo) & (r["deal_size"] <= hi)).all()


def test_lognormal_shrinkage_between_raw_and_team_on_skewed_sizes():
    # heavy-tailed sizes (log sd 1.5, as real CRM data): exp(post + s2/2) would leave the range
    rng = np.random.default_rng(7)
    reps_ = np.repeat([f"R{i}" for i in range(30)], rng.integers(3, 60, 30))
    vals = np.exp(
        rng.normal(8 + rng.normal(0, 0.3, 30)[np.unique(reps_, return_inverse=True)[1]], 1.5)
    )
    sh = lognormal_shrinkage(vals, reps_)
    post, own, team_ = sh["post_mean_log"], sh["mean_log"], np.log(vals).mean()
    assert (
        (post - np.minimum(own, team_) >= -1e-12) & (np.maximum(own, team_) - post >= -1e-12)
    ).all()
    assert (sh["weight"] > 0).all() and (sh["weight"] < 1).all()


def test_cycle_time_is_the_survival_median_of_days_to_win():
    # one rep; days to close (W won, L lost, O open at as_of), as the hand table of
    # tests/test_survival.py: 2W 3L 3W 3O 5W 5O 7L 8W 8W 10O. Wins: F_W = 1/10, 2/10, 19/60,
    # 19/60, 73/120 at t = 2, 3, 5, 7, 8; half of the eventual 73/120 is reached at t = 5.
    # A won-deals-only median would be 6.5 (2, 3, 5, 8, 8 -> 5; geometric mean 4.4).
    days = [2, 3, 3, 3, 5, 5, 7, 8, 8, 10]
    outcome = ["won", "lost", "won", "open", "won", "open", "lost", "won", "won", "open"]
    as_of = pd.Timestamp("2025-06-01")
    created = [as_of - pd.Timedelta(days=10 + i) for i in range(10)]
    close = [
        c + pd.Timedelta(days=t) if o != "open" else pd.NaT
        for c, t, o in zip(created, days, outcome, strict=True)
    ]
    # open deals are censored at their age on as_of: give them exactly their listed age
    created = [
        as_of - pd.Timedelta(days=t) if o == "open" else c
        for c, t, o in zip(created, days, outcome, strict=True)
    ]
    df = pd.DataFrame(
        {
            "opportunity_id": [f"D{i}" for i in range(10)],
            "owner": "Ann",
            "status": outcome,
            "stage": [
                "Won" if o == "won" else "Lost" if o == "lost" else "Proposal" for o in outcome
            ],
            "account": "A",
            "amount": 1000.0,
            "created": created,
            "close_date": close,
            "product": "P",
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an = analyse_team(OPPORTUNITIES.coerce(df), as_of=as_of)
    assert an.reps.loc["Ann", "cycle_days_raw"] == 5.0
    # win rate within 8 days counting never-closed deals: F_W(8) = 73/120
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an8 = analyse_team(OPPORTUNITIES.coerce(df), as_of=as_of, horizon_days=8)
    assert an8.reps.loc["Ann", "win_rate_h_raw"] == pytest.approx(73 / 120, rel=1e-12)


def test_mix_adjusted_win_rate_is_observed_over_expected():
    # Ann sells only the easy product (team rate 0.6), Bob only the hard one (0.2); both win at
    # their product's team rate, so neither is better once the mix is taken into account
    rows = []
    for i in range(400):
        easy = i < 200
        owner = "Ann" if easy else "Bob"
        won = (i % 10) < (6 if easy else 2)
        rows.append((f"X{i}", owner, "Easy" if easy else "Hard", "won" if won else "lost"))
    df = pd.DataFrame(rows, columns=["opportunity_id", "owner", "product", "status"])
    df = df.assign(
        account="A",
        stage=df["status"],
        amount=1000.0,
        created=pd.Timestamp("2025-01-01"),
        close_date=pd.Timestamp("2025-03-01"),
    )
    opp = OPPORTUNITIES.coerce(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an = analyse_team(opp, mix_by=("product",), prior_strength=10)
    t = an.reps
    k, m = 10.0, float(an.model.overall["mean"])
    # expected wins: each deal at its product's (Beta-shrunk) team rate
    p_easy = (k * m + 120) / (k + 200)
    p_hard = (k * m + 40) / (k + 200)
    np.testing.assert_allclose(t.loc["Ann", "expected_wins"], 200 * p_easy, rtol=1e-12)
    np.testing.assert_allclose(t.loc["Bob", "expected_wins"], 200 * p_hard, rtol=1e-12)
    c = k * m
    np.testing.assert_allclose(
        t.loc["Ann", "mix_adj_win_rate"], m * (c + 120) / (c + 200 * p_easy), rtol=1e-12
    )
    # raw rates are 0.6 vs 0.2; mix-adjusted both are near the team rate (within the small
    # pull of the Beta-shrunk cell rates towards the overall rate)
    assert t.loc["Ann", "win_rate_raw"] == pytest.approx(0.6)
    assert abs(t.loc["Ann", "mix_adj_win_rate"] - t.loc["Bob", "mix_adj_win_rate"]) < 0.03
    assert t.loc["Ann", "mix_effect"] > 1.4 and t.loc["Bob", "mix_effect"] < 0.6


def test_conversion_shrinks_to_team_transition_rate(team):
    _, _, _, an = team
    cc = an.conversion_counts
    tr = "Proposal>Negotiation"
    sub = cc[cc["transition"] == tr].set_index("owner")
    team_rate = sub["hits"].sum() / sub["n"].sum()
    k = an.prior_strength
    expect = (k * team_rate + sub["hits"]) / (k + sub["n"])
    np.testing.assert_allclose(an.conversion.loc[sub.index, tr], expect, rtol=1e-12)
    # funnel: won deals reached every stage in this data, so the last conversion is the win
    f = an.funnel_team
    assert f.loc["Won", "deals"] == int(an.deals["won"].sum())
    assert f.loc["Prospecting", "deals"] == len(an.deals)


# ------------------------------------------------------------------------------- fair ranking


def test_rep_with_few_deals_never_ranks_top_on_raw_rate_alone(team):
    _, _, _, an = team
    t = an.reps
    assert t.loc["New", "win_rate_raw"] == 1.0
    assert t["win_rate_raw"].idxmax() == "New"  # raw rate would make her the star
    for q in (0.5, 0.75, 0.8):
        stars, rest, _ = pick_stars(an, "win_rate", q)
        assert "New" not in stars and "New" in rest
    assert pick_stars(an, "win_rate", 0.8)[0] == ["Ann"]
    # shrinkage pulls 3/3 from 1.00 to near the team (k m + 3) / (k + 3) ...
    k, m = an.prior_strength, float(an.model.overall["mean"])
    assert t.loc["New", "win_rate"] == pytest.approx((k * m + 3) / (k + 3), rel=1e-12)
    assert t.loc["New", "win_rate"] < 0.6
    # ... but ranked by the mean alone she can still edge out a rep with 90 wins in 162; the
    # default ranking by the lower credible bound is what keeps luck out of the top
    assert t.loc["New", "win_rate_lo"] < t.loc["Ann", "win_rate_lo"]
    assert t.loc["New", "win_rate_hi"] - t.loc["New", "win_rate_lo"] > 0.3  # wide interval


def test_stars_on_the_sample_data_are_the_built_in_ones():
    from salesworkbench.datasets import AS_OF as SAMPLE_AS_OF
    from salesworkbench.datasets import load_opportunities, load_reps, load_stage_history

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an = analyse_team(
            load_opportunities(), load_stage_history(), load_reps(), as_of=SAMPLE_AS_OF
        )
    stars, _, _ = pick_stars(an, "win_rate", 0.75)
    assert set(stars) == {"Amelia Hart", "Ravi Patel", "Grace Okafor"}
    assert an.reps["win_rate_raw"].idxmax() == "Isla Murray"  # 3 of 3
    assert "Isla Murray" not in stars
    for measure in ("mix_adjusted_win_rate", "deal_size_index", "value_per_deal"):
        assert "Isla Murray" not in pick_stars(an, measure, 0.75)[0]


def test_effect_sizes_match_closed_forms():
    x1 = np.r_[np.ones(60), np.zeros(40)]
    x2 = np.r_[np.ones(90), np.zeros(210)]
    e = _share_effect(x1, x2, stats.norm.ppf(0.95))
    h = 2 * math.asin(math.sqrt(0.6)) - 2 * math.asin(math.sqrt(0.3))
    assert e["effect"] == pytest.approx(h, rel=1e-12)
    se_h = math.sqrt(1 / 100 + 1 / 300)
    assert e["effect_hi"] - e["effect"] == pytest.approx(1.6448536 * se_h, rel=1e-6)
    se = math.sqrt(0.6 * 0.4 / 100 + 0.3 * 0.7 / 300)
    assert e["diff_lo"] == pytest.approx(0.3 - 1.6448536 * se, rel=1e-6)
    rng = np.random.default_rng(1)
    y1, y2 = rng.normal(1.0, 1.0, 80), rng.normal(0.5, 1.2, 120)
    e = _log_effect(y1, y2, stats.norm.ppf(0.95), 0.9)
    ci = stats.ttest_ind(y1, y2, equal_var=False).confidence_interval(0.9)
    assert e["diff_lo"] == pytest.approx(math.exp(ci.low), rel=1e-12)
    assert e["difference"] == pytest.approx(math.exp(y1.mean() - y2.mean()), rel=1e-12)
    sp = math.sqrt((79 * y1.var(ddof=1) + 119 * y2.var(ddof=1)) / 198)
    g = (1 - 3 / (4 * 200 - 9)) * (y1.mean() - y2.mean()) / sp
    assert e["effect"] == pytest.approx(g, rel=1e-12)


def test_stars_vs_rest_finds_the_built_in_difference(team):
    _, _, _, an = team
    comp = stars_vs_rest(an, "win_rate", 0.8, split="none")
    assert comp.stars == ["Ann"]
    eff = comp.effects
    d = an.deals
    # the win rate is standardised to the team's product mix
    mix = d["product"].value_counts(normalize=True)
    by = d.groupby([d["owner"] == "Ann", "product"])["won"].mean()
    p1 = float((by[True] * mix).sum() / mix.sum())
    p2 = float((by[False] * mix).sum() / mix.sum())
    assert eff.loc["win rate", "stars"] == pytest.approx(p1)
    assert eff.loc["win rate", "rest"] == pytest.approx(p2)
    assert eff.loc["win rate", "effect_lo"] > 0  # a real difference (0.60 vs ~0.38)
    assert eff.loc["value case share", "effect_lo"] > 0  # Ann builds more value cases
    # the power sponsor share is the same for everyone in this data: the interval holds 0
    assert (
        eff.loc["power sponsor share", "effect_lo"]
        < 0
        < eff.loc["power sponsor share", "effect_hi"]
    )
    # funnels side by side add up to the team's funnel
    f = comp.funnel
    np.testing.assert_array_equal(
        f["deals"]["stars"] + f["deals"]["rest"], an.funnel_team["deals"].to_numpy()
    )


def test_rep_bootstrap_intervals():
    # two stars winning 7 of 10 each, three others winning 3 of 10 each: resampling reps
    # cannot change either group's pooled rate, so the cluster interval collapses to the point
    rows = []
    for rep, wins in (("S1", 7), ("S2", 7), ("R1", 3), ("R2", 3), ("R3", 3)):
        for j in range(10):
            rows.append((f"{rep}-{j}", rep, "won" if j < wins else "lost"))
    df = pd.DataFrame(rows, columns=["opportunity_id", "owner", "status"])
    df = df.assign(
        account="A",
        stage=df["status"],
        amount=np.where(df["status"] == "won", 1000.0, 500.0),
        created=pd.Timestamp("2025-01-01"),
        close_date=pd.Timestamp("2025-03-01"),
        product="P",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an = analyse_team(OPPORTUNITIES.coerce(df))
    comp = stars_vs_rest(
        an, "win_rate", 0.6, rank_by="mean", interval="reps", n_boot=500, split="none"
    )
    assert sorted(comp.stars) == ["S1", "S2"]
    row = comp.effects.loc["win rate"]
    assert row["diff_lo"] == pytest.approx(0.4) and row["diff_hi"] == pytest.approx(0.4)
    h = 2 * math.asin(math.sqrt(0.7)) - 2 * math.asin(math.sqrt(0.3))
    assert row["effect_lo"] == pytest.approx(h) and row["effect_hi"] == pytest.approx(h)
    assert comp.effects["interval"].eq("reps").all()


def test_rep_bootstrap_is_wider_than_deal_intervals_and_seeded(team):
    _, _, _, an = team
    deals = stars_vs_rest(an, "win_rate", 0.6)
    reps1 = stars_vs_rest(an, "win_rate", 0.6, interval="reps", seed=4)
    reps2 = stars_vs_rest(an, "win_rate", 0.6, interval="reps", seed=4)
    reps3 = stars_vs_rest(an, "win_rate", 0.6, interval="reps", seed=5)
    pd.testing.assert_frame_equal(reps1.effects, reps2.effects)
    assert not reps1.effects.equals(reps3.effects)
    # reps differ for real in this data (0.30 to 0.60): between-rep spread widens the interval
    w_deals = deals.effects.loc["win rate", "diff_hi"] - deals.effects.loc["win rate", "diff_lo"]
    w_reps = reps1.effects.loc["win rate", "diff_hi"] - reps1.effects.loc["win rate", "diff_lo"]
    assert w_reps > w_deals
    with pytest.raises(ValueError, match="interval must be"):
        stars_vs_rest(an, interval="bayes")


def test_group_table_pools_reps(team):
    _, _, reps, an = team
    g = group_table(an, "team")
    north = an.reps.loc[["Ann", "Bob", "Cid"]]
    assert g.loc["North", "closed"] == north["closed"].sum()
    assert g.loc["North", "won"] == north["won"].sum()
    assert g.loc["North", "reps"] == 3
    with pytest.raises(DataError, match="column 'division'"):
        group_table(an, "division")


# ------------------------------------------------------------------------------------ the prize


def test_what_if_with_no_change_is_the_baseline_forecast_exactly(team):
    opp, _, _, an = team
    # the what-ifs work on the open pipeline with each deal's luck (issue 13: no new deals)
    base = forecast(
        opp, an.model, 2, trials=3000, seed=7, timing="stage", progress=False, **PIPELINE_ONLY
    )
    b, _ = team_what_if(an.model, opp, trials=3000, seed=7, timing="stage")
    np.testing.assert_array_equal(b, base.bookings)
    res = prize(an, opp, trials=3000, seed=7, gap=0.0)
    for name, x in res.extra.items():
        np.testing.assert_array_equal(res.bookings[name], base.bookings, err_msg=name)
        assert not x.any()
    np.testing.assert_array_equal(res.baseline.bookings, base.bookings)


def test_what_if_keeps_each_deals_random_numbers(team):
    opp, _, _, an = team
    opts = dict(trials=2000, seed=3, timing="stage")
    base = forecast(opp, an.model, 2, progress=False, **opts, **PIPELINE_ONLY)
    ids = opp.loc[opp["status"].astype(object) == "open", "opportunity_id"]
    # doubling every amount doubles every trial exactly (same draws)
    b, _ = team_what_if(an.model, opp, deal_size=pd.Series(2.0, index=ids), **opts)
    np.testing.assert_array_equal(b, 2 * base.bookings)
    # a faster cycle for one rep's deals only: the mean matches the exact expectation of the
    # two parts (the rep's deals with the faster model, the others unchanged)
    ann = opp.loc[(opp["owner"] == "Ann") & (opp["status"].astype(object) == "open")]
    b, _ = team_what_if(
        an.model, opp, cycle_time=pd.Series(0.5, index=ann["opportunity_id"]), **opts
    )
    live = opp  # stale deals are only flagged now, they stay in the forecast (issue 13)
    is_ann = (live["owner"] == "Ann").to_numpy()
    part = dict(progress=False, stale_after=None, **opts, **PIPELINE_ONLY)
    fast = forecast(
        live.assign(amount=np.where(is_ann, live["amount"], 0.0)),
        an.model.what_if(cycle_time=0.5),
        2,
        **part,
    )
    slow = forecast(live.assign(amount=np.where(is_ann, 0.0, live["amount"])), an.model, 2, **part)
    exact = (
        fast.summary["expected"].iloc[:2].to_numpy() + slow.summary["expected"].iloc[:2].to_numpy()
    )
    se = b.std(axis=0) / math.sqrt(b.shape[0])
    assert np.all(np.abs(b.mean(axis=0) - exact) < 4 * se + 1e-6)


def test_prize_is_reproducible_and_positive(team):
    opp, _, _, an = team
    r1 = prize(an, opp, trials=2000, seed=11, measure="win_rate", quantile=0.8)
    r2 = prize(an, opp, trials=2000, seed=11, measure="win_rate", quantile=0.8)
    pd.testing.assert_frame_equal(r1.summary, r2.summary)
    r3 = prize(an, opp, trials=2000, seed=12, measure="win_rate", quantile=0.8)
    assert not r1.summary.equals(r3.summary)
    s = r1.summary
    assert set(s.index.get_level_values(0)) == {
        "conversion",
        "cycle_time",
        "deal_size",
        "all levers",
    }
    # more conversion and bigger deals can only add bookings in every trial
    assert (r1.extra["conversion"].sum(axis=1) >= -1e-6).all()
    assert (r1.extra["deal_size"].sum(axis=1) >= -1e-6).all()
    # deal size and cycle time do not depend on the rep here: measured on the held-out half,
    # the stars are not better on them, so those levers add (next to) nothing
    assert (
        s.loc[("all levers", "total"), "extra_mean"]
        >= s.loc[("conversion", "total"), "extra_mean"] - 1e-6
    )
    # the stars themselves are never changed
    assert "Ann" not in r1.multipliers.index
    assert (r1.multipliers >= 0).all().all()
    assert (r1.multipliers["cycle_time"] <= 1).all() and (r1.multipliers["deal_size"] >= 1).all()
    # half the gap gives less than the whole gap
    half = prize(an, opp, trials=2000, seed=11, quantile=0.8, gap=0.5, levers=("conversion",))
    assert (
        0
        < half.summary.loc[("conversion", "total"), "extra_mean"]
        < s.loc[("conversion", "total"), "extra_mean"]
    )
    with pytest.raises(ValueError, match="lever"):
        prize(an, opp, levers=("charm",))


def test_conversion_lever_lifts_open_deals_to_the_stars_rate(team):
    opp, _, _, an = team
    r = prize(an, opp, trials=200, seed=0, quantile=0.8, levers=("conversion",))
    assert r.comparison.stars == ["Ann"]
    targets = r.targets["conversion"]
    open_ = opp[opp["status"].astype(object) == "open"].reset_index(drop=True)
    p = an.model.win_probability(open_)
    checked = 0
    for (rep, stage), m in r.multipliers.filter(like="conversion ").stack().items():
        stage = stage.removeprefix("conversion ")
        at = np.flatnonzero((open_["owner"] == rep) & (open_["stage"] == stage))
        if m > 1 and at.size:
            # a weaker rep's deal wins, after the lift, exactly as the stars' deals there
            assert p[at[0]] * m == pytest.approx(targets[stage], rel=1e-9)
            checked += 1
        elif at.size:  # never lowered: the rep already does as well as the stars there
            assert m == 1 and p[at[0]] >= targets.get(stage, 0) - 1e-12
    assert checked >= 2


def test_capacity_divides_by_ramped_productivity(team):
    opp, _, _, an = team
    r = prize(an, opp, trials=1000, seed=1, quantile=0.8, levers=("conversion",))
    cap = capacity(r, an)
    # productivity by hand: won amounts per rep and full quarter after a 6-month ramp
    d = an.deals[an.deals["won"]]
    quarters = pd.period_range("2025Q1", "2026Q1", freq="Q")  # warm-up 365 days from 2024-01-01
    reps = list(SKILL)  # ramped long ago; New is not ramped by 2026Q1
    tot = sum(
        d.loc[(d["owner"] == rep) & (d["close_date"].dt.to_period("Q") == q), "amount"].sum()
        for rep in reps
        for q in quarters
    )
    prod = tot / (len(reps) * len(quarters))
    assert cap["productivity_per_quarter"].iloc[0] == pytest.approx(prod, rel=1e-12)
    np.testing.assert_allclose(cap["reps_p50"], cap["extra_p50"] / prod, rtol=1e-12)


# ------------------------------------------------------------------------------------ bad input


def test_missing_owner_and_reps_without_closed_deals_are_counted_not_dropped():
    opp, hist, reps = make_team(n=300, newbie=False)
    opp = opp.copy()
    opp.loc[[5, 17, 42], "owner"] = pd.NA
    reps = pd.concat(
        [reps, pd.DataFrame({"rep": ["Zed"], "team": ["South"], "manager": ["Li"]})],
        ignore_index=True,
    )
    with pytest.warns(DataWarning) as rec:
        an = analyse_team(opp, hist, reps, as_of=AS_OF)
    msgs = [str(w.message) for w in rec]
    assert any("3 deals have no owner" in m and "rows 7, 19, 44" in m for m in msgs)
    assert any("rep(s) have no closed deals (New, Zed)" in m for m in msgs), msgs
    assert an.excluded["deals without owner"] == 3
    assert an.excluded["reps without closed deals"] == 2
    # the deals without owner still count in the team rate, and every rep has a row
    assert an.model.overall["n"] == int(opp["status"].isin(["won", "lost"]).sum())
    assert an.reps.loc["Zed", "closed"] == 0
    m = float(an.model.overall["mean"])
    assert an.reps.loc["Zed", "win_rate"] == pytest.approx(m)
    assert math.isnan(an.reps.loc["Zed", "win_rate_raw"])
    assert "Zed" not in pick_stars(an, "win_rate", 0.5)[0]
    # the prize runs and leaves ownerless deals unchanged
    r = prize(an, opp, trials=500, seed=0, levers=("conversion",))
    assert r.summary.loc[("conversion", "total"), "extra_mean"] >= 0


def test_deals_without_created_date_are_kept_and_counted():
    opp, hist, reps = make_team(n=300, newbie=False)
    opp = opp.copy()
    won_rows = opp.index[opp["status"].astype(object) == "won"][:2]
    opp.loc[won_rows, "created"] = pd.NaT
    with pytest.warns(DataWarning, match="2 deals have no created date"):
        an = analyse_team(opp, hist, reps, as_of=AS_OF)
    assert an.excluded["deals without created date (counted as worked)"] == 2
    assert an.reps["deals_worked"].sum() == (opp["created"] <= AS_OF).sum() + 2
    assert an.deals["cycle_days"].notna().sum() == an.deals["won"].sum() - 2


def test_owners_missing_from_reps_table_are_reported():
    opp, hist, reps = make_team(n=300, newbie=False)
    with pytest.warns(
        DataWarning, match=r"2 deal owner\(s\) are not in the reps table \(Dee, Eve\)"
    ):
        an = analyse_team(opp, hist, reps[reps["rep"].isin(["Ann", "Bob", "Cid"])], as_of=AS_OF)
    assert an.excluded["owners not in the reps table"] == 2
    assert pd.isna(an.reps.loc["Dee", "team"])


def test_bad_reps_table_names_rows_and_column():
    opp, hist, reps = make_team(n=200, newbie=False)
    dup = pd.concat([reps, reps.iloc[[1]]], ignore_index=True)
    with pytest.raises(DataError, match=r"column 'rep', rows 3, 8: duplicate rep"):
        analyse_team(opp, hist, dup)
    with pytest.raises(DataError, match="column 'rep'"):
        analyse_team(opp, hist, reps.rename(columns={"rep": "name"}))
    neg = reps.assign(quota_per_quarter=[1.0, -5.0, 1.0, 1.0, 1.0, 1.0])
    with pytest.raises(DataError, match=r"column 'quota_per_quarter', row 3: negative quota"):
        analyse_team(opp, hist, neg)
    with pytest.raises(ValueError, match="measure must be one of"):
        pick_stars(analyse_team(opp, as_of=AS_OF), "charisma")
    with pytest.raises(ValueError, match="quantile"):
        pick_stars(analyse_team(opp, as_of=AS_OF), "win_rate", 1.5)


def test_no_closed_deals_names_column():
    opp, _, _ = make_team(n=50, newbie=False)
    opp = opp[opp["status"].astype(object) == "open"].reset_index(drop=True)
    with pytest.raises(DataError, match="status"):
        analyse_team(opp)


# --------------------------------------------------------------------------- forecast accuracy


def test_forecast_accuracy_commit_vs_actual(tmp_path, team):
    opp, hist, reps, _ = team
    snap_day = pd.Timestamp("2025-10-01")
    o = opp.copy()
    # the pipeline as it stood: deals closing in 2025Q4 were open, two of Ann's in commit
    q4 = (o["close_date"] >= snap_day) & (o["close_date"] <= pd.Timestamp("2025-12-31"))
    snap = o[q4 & (o["created"] < snap_day)].copy()
    snap["status"] = pd.Categorical(["open"] * len(snap), categories=["open", "won", "lost"])
    ann = snap.index[snap["owner"] == "Ann"][:2]
    snap["forecast_category"] = "pipeline"
    snap.loc[ann, "forecast_category"] = "commit"
    snap = OPPORTUNITIES.coerce(snap.reset_index(drop=True))
    store = SnapshotStore(tmp_path / "snap.sqlite")
    assert forecast_accuracy(store, o, as_of=AS_OF) is None  # nothing stored: nothing invented
    store.save(snap, snap_day)
    acc = forecast_accuracy(store, o, as_of=AS_OF)
    row = acc.set_index("rep").loc["Ann"]
    assert row["commit"] == pytest.approx(opp.loc[ann, "amount"].sum())
    won = o[(o["status"].astype(object) == "won") & q4 & (o["owner"] == "Ann")]
    assert row["actual"] == pytest.approx(won["amount"].sum())
    assert row["ratio"] == pytest.approx(row["actual"] / row["commit"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an = analyse_team(opp, hist, reps, as_of=AS_OF, snapshots=store)
        an0 = analyse_team(opp, hist, reps, as_of=AS_OF)
    assert an.reps.loc["Ann", "actual_vs_commit"] == pytest.approx(row["ratio"])
    assert any("forecast accuracy (commit vs actual) not available" in n for n in an0.notes)


def planted_team(seed: int = 0, n_reps: int = 40, per_rep: int = 200, edge: float = 0.2):
    """Reps whose win rate is the product's base rate, plus ``edge`` for the first quarter."""
    rng = np.random.default_rng(seed)
    reps_ = [f"R{i:02d}" for i in range(n_reps)]
    star = {r: i < n_reps // 4 for i, r in enumerate(reps_)}
    owner = np.repeat(reps_, per_rep)
    n = len(owner)
    product = rng.choice(["Core", "Addon"], n, p=[0.6, 0.4])
    p = np.where(product == "Core", 0.25, 0.40) + edge * np.array([star[o] for o in owner])
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
    close = created + pd.to_timedelta(rng.integers(10, 120, n), "D")
    status = np.where(close <= AS_OF, np.where(rng.random(n) < p, "won", "lost"), "open")
    df = pd.DataFrame(
        {
            "opportunity_id": [f"P{i:05d}" for i in range(n)],
            "account": "A",
            "stage": np.where(status == "open", "Proposal", status),
            "status": status,
            "amount": np.round(rng.lognormal(9, 1.0, n)),
            "created": created,
            "close_date": close,
            "owner": owner,
            "product": product,
        }
    )
    return OPPORTUNITIES.coerce(df), [r for r in reps_ if star[r]]


def test_planted_star_effect_is_found_with_an_interval_covering_it():
    opp, true_stars = planted_team()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        an = analyse_team(opp, as_of=AS_OF)
    comp = stars_vs_rest(an, "win_rate", 0.75, seed=3)
    assert len(set(comp.stars) & set(true_stars)) >= 9  # 10 planted, picked on half the deals
    row = comp.effects.loc["win rate"]
    assert row["diff_lo"] > 0
    assert row["diff_lo"] <= 0.2 <= row["diff_hi"]  # mix-standardised: the planted +0.2
    # the measured half is the other half: no deal is both picked on and measured on
    assert comp.split == "half"
    n_meas = len(comp.measured_ids)
    assert abs(n_meas - len(opp) / 2) <= 40  # one odd deal per rep at most


def test_shuffled_outcomes_show_no_edge_when_picked_and_measured_apart():
    from salesworkbench import datasets

    opp, hist, reps_ = (
        datasets.load_opportunities(),
        datasets.load_stage_history(),
        datasets.load_reps(),
    )
    held = shuffle_check(opp, hist, reps_, n_shuffles=10, seed=1, as_of=datasets.AS_OF)
    runs = held.runs[held.runs["measure"] == "win rate"]
    assert len(runs) == 10
    assert runs["holds_zero"].sum() >= 8
    # picking and measuring on the same deals manufactures an edge: the mean shuffled edge is
    # positive by several standard errors
    same = shuffle_check(
        opp, hist, reps_, n_shuffles=10, seed=1, split="none", as_of=datasets.AS_OF
    )
    edge = same.runs.loc[same.runs["measure"] == "win rate", "difference"]
    assert edge.mean() > 3 * edge.std(ddof=1) / math.sqrt(len(edge))
    assert abs(runs["difference"].mean()) < edge.mean()
    assert set(held.summary.columns) >= {"mean_edge", "sd_edge", "holds_zero"}


def test_split_is_seeded_and_validated(team):
    _, _, _, an = team
    a = stars_vs_rest(an, "win_rate", 0.8, seed=5)
    b = stars_vs_rest(an, "win_rate", 0.8, seed=5)
    c = stars_vs_rest(an, "win_rate", 0.8, seed=6)
    pd.testing.assert_frame_equal(a.effects, b.effects)
    assert not a.measured_ids.equals(c.measured_ids)
    with pytest.raises(ValueError, match="split must be"):
        stars_vs_rest(an, split="later")


def test_group_table_focused_by_default(team):
    from salesworkbench.team.measures import GROUP_COLUMNS

    _, _, _, an = team
    g = group_table(an, "team")
    assert set(g.columns) <= set(GROUP_COLUMNS) and len(g.columns) <= len(GROUP_COLUMNS)
    full = group_table(an, "team", all_columns=True)
    assert len(full.columns) > 40
    floats = full.select_dtypes("float")
    tiny = (floats.abs() > 0) & (floats.abs() < 1e-9 * floats.abs().max())
    assert not tiny.any().any()  # no -1.04e-10 noise
