"""The forecast rolled up the hierarchy, submitted calls scored, and in-quarter pacing."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.pipeline import (
    Hierarchy,
    HistoryModel,
    actuals_by_node,
    adjust_call,
    call_calibration,
    calls_from_categories,
    effective_calls,
    forecast,
    pacing,
    read_calls,
    score_calls,
)
from salesworkbench.schemas import OPPORTUNITIES
from salesworkbench.snapshots import SnapshotStore

AS_OF = pd.Timestamp("2026-06-01")
REPS = pd.DataFrame(
    {
        "rep": ["Ann", "Bob", "Cat", "Dan"],
        "team": ["East", "East", "West", "West"],
        "region": ["North", "North", "North", "North"],
        "quota": [100_000.0, 150_000.0, 120_000.0, 80_000.0],
    }
)


def crm(n: int = 900, seed: int = 0, owners=("Ann", "Bob", "Cat", "Dan", "Zed", None)):
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-06-01") + pd.to_timedelta(rng.integers(0, 720, n), "D")
    close = created + pd.to_timedelta(rng.integers(10, 150, n), "D")
    won = rng.random(n) < 0.4
    status = np.where(close < AS_OF, np.where(won, "won", "lost"), "open")
    p = np.array([0.3, 0.25, 0.2, 0.15, 0.06, 0.04])[: len(owners)]
    return OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": [f"O{i}" for i in range(n)],
                "account": "a",
                "stage": np.where(status == "open", "Proposal", status),
                "status": status,
                "amount": rng.lognormal(10, 0.5, n).round(),
                "created": created,
                "close_date": close,
                "owner": rng.choice(np.array(owners, dtype=object), n, p=p / p.sum()),
                "product": "Core",
                "forecast_category": np.where(
                    status == "won", "commit", rng.choice(["commit", "best_case", "pipeline"], n)
                ),
            }
        )
    )


@pytest.fixture(scope="module")
def fitted():
    opps = crm()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model = HistoryModel.fit(opps, group_by=None, as_of=AS_OF - pd.Timedelta(days=1))
    return opps, model


def run(opps, model, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return forecast(opps, model, periods=2, trials=3000, seed=5, as_of=AS_OF, **kw)


@pytest.fixture(scope="module")
def rolled(fitted):
    return run(*fitted, hierarchy=REPS)


def test_parent_mean_is_sum_of_children_exactly(rolled):
    roll = rolled.rollup
    for per in ("2026Q2", "2026Q3", "total"):
        r = roll[roll["period"] == per]
        for _, parent in r[r["level"] != "rep"].iterrows():
            kids = r[(r["parent"] == parent["name"]) & (r["level"] != parent["level"])]
            kids = kids[kids["level"] == _child_level(parent["level"])]
            assert len(kids)
            np.testing.assert_allclose(parent["mean"], kids["mean"].sum(), rtol=1e-12)
    # trial by trial too, and the top node is the forecast's own bookings
    nodes, B = rolled.rollup_nodes, rolled.rollup_bookings
    top = np.flatnonzero(nodes["level"] == "total")[0]
    reps = np.flatnonzero(nodes["level"] == "rep")
    np.testing.assert_allclose(B[:, top], B[:, reps].sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(B[:, top], rolled.bookings, rtol=1e-9)


def _child_level(level):
    return {"team": "rep", "region": "team", "total": "region"}[level]


def test_rollup_matches_plain_forecast(fitted, rolled):
    """Same trials and seed as without a roll-up (only float32 summation order differs)."""
    plain = run(*fitted)
    np.testing.assert_allclose(plain.summary["mean"], rolled.summary["mean"], rtol=1e-6)
    np.testing.assert_allclose(plain.bookings, rolled.bookings, rtol=1e-5, atol=1e-3)


def test_parent_p10_at_least_sum_of_children_p10(rolled):
    roll = rolled.rollup
    parents = roll[roll["level"].isin(["team", "region", "total"])]
    assert (parents["p10"] >= parents["children_p10"] - 1e-9).all()
    assert (parents["p90"] <= parents["children_p90"] + 1e-9).all()
    # strictly above where there is more than one child with a spread
    top = parents[(parents["level"] == "total") & (parents["period"] == "2026Q3")].iloc[0]
    reg = roll[(roll["level"] == "region") & (roll["period"] == "2026Q3")]
    assert top["children_p10"] == pytest.approx(reg["p10"].sum())
    team = parents[(parents["name"] == "East") & (parents["period"] == "2026Q3")].iloc[0]
    assert team["p10"] > team["children_p10"]


def test_unassigned_counted(fitted, rolled):
    opps, _ = fitted
    is_open = opps["status"] == "open"
    expected = int((is_open & ~opps["owner"].isin(REPS["rep"])).sum())
    assert expected > 0
    roll = rolled.rollup
    un = roll[(roll["name"] == "unassigned") & (roll["period"] == "2026Q2")]
    assert set(un["level"]) == {"rep", "team", "region"}
    assert (un["open_deals"] == expected).all()
    assert rolled.excluded[next(k for k in rolled.excluded if "unassigned" in k)] == expected
    top = roll[(roll["level"] == "total") & (roll["period"] == "2026Q2")].iloc[0]
    assert top["open_deals"] == int(is_open.sum())
    assert un["mean"].iloc[0] > 0


def test_quota_per_rep_and_mapping(fitted, rolled):
    roll = rolled.rollup
    east = roll[(roll["name"] == "East") & (roll["period"] == "2026Q2")].iloc[0]
    assert east["quota"] == 250_000
    b = rolled.node_bookings("East", "team")[:, 0]
    assert east["p_quota"] == pytest.approx(np.mean(b >= 250_000))
    r2 = run(*fitted, hierarchy=REPS, rollup_quota={"North": 1e6})
    north = r2.rollup[(r2.rollup["name"] == "North") & (r2.rollup["period"] == "2026Q2")]
    assert north["quota"].iloc[0] == 1e6


def test_executor_gives_identical_results(fitted, rolled):
    with ThreadPoolExecutor(2) as ex:
        r = run(*fitted, hierarchy=REPS, executor=ex)
    np.testing.assert_array_equal(r.rollup_bookings, rolled.rollup_bookings)
    np.testing.assert_array_equal(r.bookings, rolled.bookings)


def test_hierarchy_errors():
    bad = pd.DataFrame({"rep": ["a", "b"], "team": ["T", "T"], "region": ["N", "S"]})
    with pytest.raises(DataError, match="more than one region"):
        Hierarchy.from_table(bad)
    with pytest.raises(DataError, match="blank"):
        Hierarchy.from_table(pd.DataFrame({"rep": ["a", None], "team": ["T", "T"]}))
    with pytest.raises(DataError, match="not a node"):
        Hierarchy.from_table(REPS, quota={"Nobody": 1.0})


# ---------------------------------------------------------------------------------- calls


def test_call_percentile_matches_hand_computation():
    """A 10-trial, one-rep case computed by hand."""
    from salesworkbench.pipeline.forecasting import ForecastResult

    trials = np.array([10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    nodes = pd.DataFrame(
        {"level": ["rep", "total"], "name": ["Ann", "total"], "parent": ["total", None]}
    )
    res = ForecastResult.__new__(ForecastResult)
    res.periods = pd.PeriodIndex(["2026Q2"], freq="Q")
    res.rollup_nodes = nodes
    res.rollup_bookings = np.stack([trials, trials], axis=1)[:, :, None]
    calls = read_calls(
        pd.DataFrame(
            {
                "period": ["2026Q2", "2026Q2"],
                "name": ["Ann", "Ann"],
                "commit": [40.0, 15.0],
                "best_case": [75.0, 200.0],
                "booked": [5.0, 0.0],
            }
        ),
        as_of="2026-05-01",
    )
    s = score_calls(calls, res)
    # booked 5 + trials = 15, 25, ..., 105; commit 40: 3 of 10 at or below, 7 at or above
    assert s.loc[0, "commit_percentile"] == pytest.approx(0.3)
    assert s.loc[0, "commit_p_reach"] == pytest.approx(0.7)
    # best case 75: 15..75 -> 7 at or below (75 itself included), 4 at or above
    assert s.loc[0, "best_case_percentile"] == pytest.approx(0.7)
    assert s.loc[0, "best_case_p_reach"] == pytest.approx(0.4)
    # no booked: commit 15 -> 1 at or below (10), 9 above; best case 200 -> all below, none
    assert s.loc[1, "commit_percentile"] == pytest.approx(0.1)
    assert s.loc[1, "commit_p_reach"] == pytest.approx(0.9)
    assert s.loc[1, "best_case_percentile"] == 1.0 and s.loc[1, "best_case_p_reach"] == 0.0
    assert s.loc[0, "mean"] == pytest.approx(60.0)


def test_calls_from_categories_hand_case(fitted):
    opps, _ = fitted
    c = calls_from_categories(opps, "2026Q2", AS_OF, REPS)
    o = opps
    start, end = pd.Timestamp("2026-04-01"), pd.Timestamp("2026-06-30")
    ann = o["owner"] == "Ann"
    booked = o.loc[
        ann & (o["status"] == "won") & o["close_date"].between(start, AS_OF - pd.Timedelta(days=1)),
        "amount",
    ].sum()
    op = ann & (o["status"] == "open") & o["close_date"].between(start, end)
    commit = booked + o.loc[op & (o["forecast_category"] == "commit"), "amount"].sum()
    best = commit + o.loc[op & (o["forecast_category"] == "best_case"), "amount"].sum()
    row = c[(c["name"] == "Ann") & (c["level"] == "rep")].iloc[0]
    assert (row["booked"], row["commit"], row["best_case"]) == pytest.approx((booked, commit, best))
    east = c[c["name"] == "East"].iloc[0]
    reps = c[(c["parent"] == "East") & (c["level"] == "rep")]
    assert east["commit"] == pytest.approx(reps["commit"].sum())
    top = c[c["level"] == "total"].iloc[0]
    assert top["booked"] == pytest.approx(
        o.loc[
            (o["status"] == "won") & o["close_date"].between(start, AS_OF - pd.Timedelta(days=1)),
            "amount",
        ].sum()
    )


def test_adjustment_scored_and_stored(fitted, rolled, tmp_path):
    opps, _ = fitted
    c = calls_from_categories(opps, "2026Q2", AS_OF, REPS)
    with pytest.raises(ValueError, match="note"):
        adjust_call(c, "East", "2026Q2", commit=1.0, note=" ")
    adj = adjust_call(c, "East", "2026Q2", commit=200_000, note="big deal slipping", by="Meg")
    eff = effective_calls(adj)
    assert len(eff) == len(c)
    assert eff.loc[eff["name"] == "East", "commit"].iloc[0] == 200_000
    s = score_calls(adj, rolled)
    east = s[s["name"] == "East"]
    assert list(east["kind"]) == ["submitted", "adjusted"]
    assert east["commit_percentile"].notna().all()
    store = SnapshotStore(tmp_path / "s.sqlite")
    store.save_calls(adj, AS_OF)
    with pytest.raises(FileExistsError):
        store.save_calls(adj, AS_OF)
    store.save_calls(adj, AS_OF, replace=True)
    back = store.load_calls(AS_OF)
    assert back.loc[back["kind"] == "adjusted", "note"].iloc[0] == "big deal slipping"
    np.testing.assert_allclose(back["commit"], adj["commit"])
    assert store.call_dates() == [AS_OF]
    with pytest.raises(KeyError, match="stored dates"):
        store.load_calls("2020-01-01")


def test_read_calls_refuses_bad_values():
    with pytest.raises(DataError, match="non-negative"):
        read_calls(
            pd.DataFrame({"period": ["2026Q2"], "name": ["A"], "commit": [-1]}), as_of="2026-04-01"
        )
    with pytest.raises(DataError, match="'commit'"):
        read_calls(pd.DataFrame({"period": ["2026Q2"], "name": ["A"]}), as_of="2026-04-01")


def test_calibration_over_past_periods(fitted):
    opps, _ = fitted
    pers = pd.period_range("2025Q3", "2026Q1", freq="Q")
    calls = pd.concat(
        [
            read_calls(
                pd.DataFrame({"period": [str(p)], "name": ["Ann"], "commit": [c]}),
                as_of=p.start_time,
            )
            for p, c in zip(pers, [1.0, 1e9, 2.0], strict=True)
        ]
    )
    act = actuals_by_node(opps, pers, REPS)
    a = act[(act["name"] == "Ann") & (act["level"] == "rep")]["actual"].to_numpy()
    cal = call_calibration(calls, act).iloc[0]
    assert cal["periods"] == 3
    assert cal["commit_met"] == pytest.approx(2 / 3)
    assert cal["commit_bias"] == pytest.approx((1.0 + 1e9 + 2.0 - a.sum()) / a.sum())


# ---------------------------------------------------------------------------------- pacing


@pytest.fixture(scope="module")
def paced(fitted):
    opps, _ = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return pacing(
            opps, "2026Q1", 400_000, every=30, trials=400, seed=3, group_by=None, today=AS_OF
        )


def test_pacing_ends_on_the_actual(fitted, paced):
    opps, _ = fitted
    won = (opps["status"] == "won") & opps["close_date"].between("2026-01-01", "2026-03-31")
    actual = opps.loc[won, "amount"].sum()
    last = paced.iloc[-1]
    assert last["final"] and last["date"] == pd.Timestamp("2026-04-01")
    assert last["booked"] == pytest.approx(actual)
    assert last[["mean", "p10", "p50", "p90"]].tolist() == pytest.approx([actual] * 4)
    assert last["p_quota"] == float(actual >= 400_000)
    assert paced.attrs["actual"] == pytest.approx(actual)
    assert paced["booked"].is_monotonic_increasing
    assert (paced["p10"] >= paced["booked"] - 1e-6).all()
    assert paced["date"].iloc[0] == pd.Timestamp("2026-01-01")


def test_pacing_uses_nothing_after_each_date(fitted, paced):
    opps, _ = fitted
    d = paced["date"].iloc[1]
    later = opps.copy()
    # a deal open at d that was lost after it now wins in the period; a deal created after d
    open_at_d = (later["created"] < d) & (later["close_date"] >= d) & (later["status"] == "lost")
    i = np.flatnonzero(open_at_d.to_numpy())[0]
    st = later["status"].astype(object)
    st.iloc[i] = "won"
    later["status"] = pd.Categorical(st, categories=opps["status"].cat.categories)
    later.loc[later.index[i], "close_date"] = d + pd.Timedelta(days=3)
    j = np.flatnonzero((later["created"] > d).to_numpy())[0]
    later.loc[later.index[j], "amount"] = 5e7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        again = pacing(
            later, "2026Q1", 400_000, every=30, trials=400, seed=3, group_by=None, today=AS_OF
        )
    cols = ["booked", "mean", "p10", "p50", "p90", "p_quota", "open_deals"]
    pd.testing.assert_series_equal(again.loc[1, cols], paced.loc[1, cols])
    assert again["booked"].iloc[-1] != paced["booked"].iloc[-1]  # the change does matter later


def test_pacing_stops_at_today(fitted):
    opps, _ = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        p = pacing(opps, "2026Q2", 400_000, trials=200, seed=1, group_by=None, today=AS_OF)
    assert p["date"].max() == AS_OF and not p["final"].any()
    assert pd.isna(p.attrs["actual"])
