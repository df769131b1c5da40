"""Tests of salesworkbench.pipeline against closed forms and on awkward exports."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesworkbench.defaults import FORECAST_TRIALS
from salesworkbench.errors import DataError, DataWarning
from salesworkbench.pipeline import (
    DEFAULT_PRIOR_STRENGTH,
    HistoryModel,
    beta_posterior,
    coverage_ratio,
    forecast,
    forecast_periods,
    group_columns,
    next_period,
    period_bounds,
    pipeline_waterfall,
    reverse_funnel,
    sales_velocity,
)
from salesworkbench.pipeline.timing import MIN_TAIL, _conditional_cdf
from salesworkbench.schemas import OPPORTUNITIES

DATA = Path(__file__).parent / "data"
AS_OF = pd.Timestamp("2026-06-01")


def make_opportunities(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Closed history and open pipeline with known structure (canonical schema)."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 880, n), "D")
    cycle = rng.integers(10, 120, n)
    close = created + pd.to_timedelta(cycle, "D")
    segment = rng.choice(["Enterprise", "SMB", "Tiny"], n, p=[0.5, 0.45, 0.05])
    p_win = np.where(segment == "Enterprise", 0.25, 0.45)
    status = np.where(close <= AS_OF, np.where(rng.random(n) < p_win, "won", "lost"), "open")
    amount = rng.lognormal(10, 0.5, n).round()
    df = pd.DataFrame(
        {
            "opportunity_id": [f"O{i:04d}" for i in range(n)],
            "account": [f"A{i % 50}" for i in range(n)],
            "stage": np.where(status == "open", "Proposal", status),
            "status": status,
            "amount": amount,
            "created": created,
            "close_date": close,
            "owner": rng.choice(["Ann", "Bob", "Cid"], n),
            "product": rng.choice(["Core", "Addon"], n),
            "segment": segment,
            "probability": np.where(status == "open", 0.5, np.where(status == "won", 1.0, 0.0)),
        }
    )
    return OPPORTUNITIES.coerce(df)


def open_deals(amounts, close_dates, created="2026-05-01", probability=None) -> pd.DataFrame:
    n = len(amounts)
    df = pd.DataFrame(
        {
            "opportunity_id": [f"P{i}" for i in range(n)],
            "account": "X",
            "stage": "Proposal",
            "status": "open",
            "amount": np.asarray(amounts, float),
            "created": pd.Timestamp(created),
            "close_date": pd.to_datetime(list(close_dates)),
            "owner": "Ann",
            "product": "Core",
        }
    )
    if probability is not None:
        df["probability"] = np.asarray(probability, float)
    return OPPORTUNITIES.coerce(df)


@pytest.fixture(scope="module")
def history():
    opps = make_opportunities()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model = HistoryModel.fit(opps, group_by="segment", as_of=AS_OF)
    return opps, model


# --------------------------------------------------------------------------- closed forms


def test_fixed_probabilities_no_timing_uncertainty_match_closed_form(history):
    _, model = history
    rng = np.random.default_rng(5)
    n = 200
    amounts = rng.lognormal(9, 1, n)
    p = rng.uniform(0.05, 0.95, n)
    deals = open_deals(amounts, ["2026-08-15"] * n)
    trials = 40_000
    # timing="close_date" with no close-date history: each deal closes exactly on its date;
    # the extras (new deals, rate draws, period shock) off: each deal's luck only
    res = forecast(
        deals,
        model,
        periods=2,
        trials=trials,
        seed=3,
        win_prob=p,
        timing="close_date",
        as_of=AS_OF,
        new_deals=False,
        uncertainty="deal",
    )
    mu = float(np.sum(p * amounts))
    var = float(np.sum(amounts**2 * p * (1 - p)))
    b = res.bookings[:, 1]
    # exact mean column is the closed form
    assert res.summary.loc["2026Q2", "expected"] == 0.0
    assert res.summary.loc["2026Q3", "expected"] == pytest.approx(mu, rel=1e-12)
    # Monte Carlo within 4 standard errors of the mean; variance within 4 SE (~ sqrt(2/T))
    assert abs(b.mean() - mu) < 4 * np.sqrt(var / trials)
    assert b.var(ddof=1) == pytest.approx(var, rel=4 * np.sqrt(2 / trials))
    # per-deal variance shares add to one and equal a^2 p (1-p) / total
    share = res.deals.set_index("opportunity_id")["variance_share"]
    assert share.sum() == pytest.approx(1.0)
    expect = amounts**2 * p * (1 - p) / var
    assert np.allclose(share.reindex([f"P{i}" for i in range(n)]).to_numpy(), expect)


def test_deal_certain_to_close_after_the_period_contributes_nothing(history):
    _, model = history
    deals = open_deals([1000.0, 50.0], ["2026-06-20", "2026-11-02"])
    res = forecast(
        deals,
        model,
        periods=3,
        freq="month",
        trials=2000,
        seed=1,
        win_prob=np.array([1.0, 1.0]),
        timing="close_date",
        as_of=AS_OF,
        new_deals=False,
        uncertainty="deal",
    )
    s = res.summary
    assert np.all(res.bookings[:, 0] == 1000.0)  # June
    assert np.all(res.bookings[:, 1:] == 0.0)  # July, August: the November deal is later
    assert s.loc["2026-07", "mean"] == 0.0 and s.loc["2026-08", "p90"] == 0.0
    late = res.deals.set_index("opportunity_id").loc["P1"]
    assert late["expected"] == 0.0 and late["variance"] == 0.0


def test_beta_posterior_matches_conjugate_formula(history):
    opps, model = history
    k = DEFAULT_PRIOR_STRENGTH
    closed = opps[opps["status"] != "open"]
    m = float(model.overall["mean"])
    for seg, g in closed.groupby("segment"):
        w, n = int((g["status"] == "won").sum()), len(g)
        row = model.by_group.loc[seg]
        assert row["alpha"] == pytest.approx(k * m + w)
        assert row["beta"] == pytest.approx(k * (1 - m) + n - w)
        assert row["mean"] == pytest.approx((k * m + w) / (k + n), rel=1e-12)
    # overall: Jeffreys prior
    w, n = int((closed["status"] == "won").sum()), len(closed)
    assert model.overall["mean"] == pytest.approx((w + 0.5) / (n + 1))
    # the small group is pulled towards the overall rate, not left at its raw rate
    tiny = model.by_group.loc["Tiny"]
    assert abs(tiny["mean"] - m) < abs(tiny["observed"] - m) or tiny["observed"] == m
    a, b = beta_posterior(3, 3, 0.4, prior_strength=10)
    assert (a, b) == (pytest.approx(7.0), pytest.approx(6.0))


def test_beta_posterior_rejects_bad_prior_strength():
    with pytest.raises(ValueError, match="prior_strength"):
        beta_posterior(1, 2, 0.5, prior_strength=0)


def test_monte_carlo_mean_matches_exact_expectation_with_history_timing(history):
    opps, model = history
    trials = 20_000
    res = forecast(opps, model, periods=2, trials=trials, seed=11, as_of=AS_OF)
    for per in ("2026Q2", "2026Q3"):
        row = res.summary.loc[per]
        se = row["sd"] / np.sqrt(trials)
        assert abs(row["mean"] - row["expected"]) < 4 * se
    # exact per-deal expectations add up to the period's expected bookings from the pipeline
    pipe = forecast(opps, model, periods=2, trials=100, seed=11, as_of=AS_OF, new_deals=False)
    assert res.deals["expected_2026Q2"].sum() == pytest.approx(
        pipe.summary.loc["2026Q2", "expected"]
    )


def test_conditional_cdf_matches_brute_force():
    rng = np.random.default_rng(2)
    offsets = np.sort(rng.integers(1, 200, 300).astype(float))
    age = np.array([0.0, 50.0, 150.0, 198.0, 400.0])
    limits = np.array([[30.0, 90.0], [60.0, 120.0], [160.0, 250.0], [210.0, 260.0], [405.0, 900.0]])
    got = _conditional_cdf(offsets, age, limits)
    for i, a in enumerate(age):
        kept = offsets[offsets >= a]
        if kept.size >= MIN_TAIL:
            want = [(kept <= lim).mean() for lim in limits[i]]
        else:  # older than (almost) all history: the tail's spread added to the age
            tail = offsets[-MIN_TAIL:] - offsets[-MIN_TAIL]
            want = [(a + tail <= lim).mean() for lim in limits[i]]
        assert got[i] == pytest.approx(want)


# --------------------------------------------------------------------------- seeds, what-if


def test_same_seed_same_result_and_what_if_baseline_is_exact(history):
    opps, model = history
    a = forecast(opps, model, trials=3000, seed=7, as_of=AS_OF)
    b = forecast(opps, model, trials=3000, seed=7, as_of=AS_OF)
    c = forecast(opps, model, trials=3000, seed=8, as_of=AS_OF)
    same = forecast(
        opps,
        model.what_if(win_rate=1.0, cycle_time=1.0, deal_size=1.0),
        trials=3000,
        seed=7,
        as_of=AS_OF,
    )
    assert np.array_equal(a.bookings, b.bookings)
    assert np.array_equal(a.bookings, same.bookings)
    assert not np.array_equal(a.bookings, c.bookings)
    up = forecast(opps, model.what_if(win_rate=1.2), trials=3000, seed=7, as_of=AS_OF)
    assert np.all(up.bookings.sum(1) >= a.bookings.sum(1) - 1e-6)  # monotone coupling
    big = forecast(opps, model.what_if(deal_size=2.0), trials=3000, seed=7, as_of=AS_OF)
    assert np.allclose(big.bookings, 2 * a.bookings, rtol=1e-5)
    with pytest.raises(ValueError, match="cycle_time"):
        model.what_if(cycle_time=0)


def test_more_trials_than_one_block_are_reproducible(history):
    opps, model = history
    a = forecast(opps, model, trials=1100, seed=1, as_of=AS_OF)
    b = forecast(opps, model, trials=1100, seed=1, as_of=AS_OF)
    assert np.array_equal(a.bookings, b.bookings) and a.bookings.shape == (1100, 2)


def test_quota_probability_and_refit_by_owner(history):
    opps, model = history
    res = forecast(opps, model, trials=4000, seed=2, quota=[50_000, 80_000], as_of=AS_OF)
    s = res.summary
    assert s.loc["2026Q2", "p_quota"] == pytest.approx(np.mean(res.bookings[:, 0] >= 50_000))
    assert s.loc["total", "quota"] == 130_000
    by_owner = model.refit(group_by="owner")
    assert set(by_owner.by_group.index) == {"Ann", "Bob", "Cid"}
    assert by_owner.rates("product").index.tolist() == ["Addon", "Core"]
    with pytest.raises(ValueError, match="quota"):
        forecast(opps, model, trials=10, seed=2, quota=[1, 2, 3], as_of=AS_OF)


# --------------------------------------------------------------------------- bad input


def test_close_before_created_names_row_and_column():
    opps = make_opportunities(50)
    opps.loc[7, "close_date"] = opps.loc[7, "created"] - pd.Timedelta(days=3)
    with pytest.raises(DataError, match=r"'close_date'.*row 9.*before created"):
        HistoryModel.fit(opps)


def test_duplicate_ids_name_rows():
    opps = make_opportunities(50)
    opps.loc[4, "opportunity_id"] = opps.loc[2, "opportunity_id"]
    with pytest.raises(DataError, match=r"'opportunity_id'.*rows 4, 6.*duplicate"):
        HistoryModel.fit(opps)


def test_unknown_group_column_and_blank_crm_probability(history):
    opps, model = history
    with pytest.raises(DataError, match="group_by='region'.*product, segment, owner$"):
        HistoryModel.fit(opps, group_by="region")
    assert group_columns(opps) == ["product", "segment", "owner"]
    assert group_columns(opps.assign(territory="North")) == [
        "product",
        "segment",
        "owner",
        "territory",
    ]
    deals = open_deals([1.0, 2.0, 3.0], ["2026-07-01"] * 3, probability=[0.2, np.nan, 0.5])
    with pytest.raises(DataError, match=r"'probability'.*row 3"):
        forecast(deals, model, win_prob="crm", trials=10, seed=1, as_of=AS_OF)


def test_excluded_rows_are_counted_and_warned(history):
    opps, model = history
    pipe = opps.copy()
    is_open = np.flatnonzero((pipe["status"] == "open").to_numpy())
    pipe.loc[is_open[:3], "amount"] = np.nan
    pipe.loc[is_open[3], "created"] = AS_OF - pd.Timedelta(days=250)
    pipe.loc[is_open[3], "close_date"] = AS_OF - pd.Timedelta(days=200)  # stale
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        res = forecast(pipe, model, trials=100, seed=1, as_of=AS_OF)
    messages = [str(w.message) for w in caught if w.category is DataWarning]
    assert any("3 open deals have no amount" in m for m in messages)
    assert any("1 open deals are stale" in m for m in messages)
    n_closed = int((pipe["status"] != "open").sum())
    assert res.excluded["not open (won or lost)"] == n_closed
    assert res.excluded["open deals with amount imputed"] == 3
    # issue 13: stale is a reported flag; the deal stays in, with the low chance of its age
    assert res.excluded["stale open deals (flagged, kept)"] == 1 and len(res.stale) == 1
    assert len(res.deals) == len(is_open)
    old = res.deals.set_index("opportunity_id").loc[pipe.loc[is_open[3], "opportunity_id"]]
    assert old["win_prob"] < 0.05


def test_lost_deals_with_amount_zero_are_unknown_not_zero():
    opps = make_opportunities(300)
    lost = np.flatnonzero((opps["status"] == "lost").to_numpy())
    opps["original_amount"] = np.nan
    opps.loc[lost[:10], "amount"] = 0.0
    opps.loc[lost[:4], "original_amount"] = 12_345.0
    with pytest.warns(DataWarning, match="10 lost deals have amount 0"):
        model = HistoryModel.fit(opps, list_prices={"core": 999.0})
    la = model.lost_amounts
    assert la["lost_with_amount_0"] == 10 and la["recovered_from_original_amount"] == 4
    core = (opps.loc[lost[4:10], "product"] == "Core").sum()
    assert la["recovered_from_list_price"] == core and la["unknown"] == 6 - core
    assert (model.closed["amount"] == 0).sum() == 0


# --------------------------------------------------------------------------- health


def test_coverage_and_velocity_closed_form(history):
    _, model = history
    deals = open_deals([100.0, 200.0, 300.0], ["2026-07-01", "2026-09-30", "2026-10-01"])
    assert coverage_ratio(deals, 150.0, "2026Q3") == pytest.approx(2.0)
    v = sales_velocity(deals, model)
    want = 3 * model.win_rate * model.typical_deal / model.cycle_length
    assert v["per_day"] == pytest.approx(want)
    assert v["per_month"] == pytest.approx(want * 30.44)


def test_waterfall_steps_add_up_exactly():
    before = open_deals(
        [100, 200, 300, 400, 500, 600],
        ["2026-07-10", "2026-08-10", "2026-08-20", "2026-09-01", "2026-11-01", "2026-09-15"],
    )
    after = before.copy()
    after["status"] = pd.Categorical(
        ["won", "lost", "open", "open", "open", "open"], categories=["open", "won", "lost"]
    )
    after.loc[2, "close_date"] = pd.Timestamp("2026-12-01")  # pushed out of Q3
    after.loc[3, "amount"] = 450.0  # amount change
    after.loc[4, "close_date"] = pd.Timestamp("2026-09-20")  # pulled into Q3
    new = open_deals([70.0], ["2026-09-25"]).assign(opportunity_id="NEW")
    after = OPPORTUNITIES.coerce(pd.concat([after.iloc[:5], new], ignore_index=True))  # P5 gone
    w = pipeline_waterfall(before, after, period="2026Q3")
    a = w["amount"]
    assert a["start"] == 100 + 200 + 300 + 400 + 600
    assert (a["won"], a["lost"], a["pushed"]) == (-100, -200, -300)
    assert (a["pulled_in"], a["amount_change"], a["new"], a["removed"]) == (500, 50, 70, -600)
    assert a["end"] == 450 + 500 + 70
    assert a.drop("end").sum() == a["end"]
    assert w.loc["new", "deals"] == 1


def test_forecast_periods():
    p = forecast_periods("2026-10-01", 2, "quarter")
    assert [str(x) for x in p] == ["2026Q4", "2027Q1"]
    with pytest.raises(ValueError, match="freq"):
        forecast_periods("2026-10-01", 2, "week")


@pytest.mark.parametrize("freq", ["quarter", "month", "year", "q", "M"])
@pytest.mark.parametrize("as_of", ["2026-10-01", "2026-12-31", "2027-02-14 15:30"])
def test_next_period_is_the_second_forecast_period(as_of, freq):
    nxt = next_period(as_of, freq)
    assert nxt == forecast_periods(as_of, 2, freq)[1]
    assert nxt == forecast_periods(as_of, 1, freq)[-1] + 1
    start, end = period_bounds(nxt)
    assert start == nxt.start_time and start > pd.Timestamp(as_of)
    assert end == nxt.end_time.normalize() and end.hour == 0 and end.to_period(nxt.freq) == nxt


def test_next_period_and_bounds_examples():
    assert next_period("2026-10-01") == pd.Period("2027Q1", "Q")
    assert str(next_period("2026-10-15", "month")) == "2026-11"
    assert period_bounds("2026Q4") == (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-12-31"))
    assert period_bounds(next_period("2026-10-15", "month")) == (
        pd.Timestamp("2026-11-01"),
        pd.Timestamp("2026-11-30"),
    )
    with pytest.raises(ValueError, match="freq must be 'month', 'quarter' or 'year'"):
        next_period("2026-10-01", "week")


def test_defaults_and_history_summary_is_a_frame(history):
    opps, model = history
    assert inspect.signature(forecast).parameters["trials"].default == FORECAST_TRIALS
    assert inspect.signature(reverse_funnel).parameters["trials"].default == FORECAST_TRIALS
    s = model.summary
    assert isinstance(s, pd.DataFrame) and s.columns.tolist() == ["value"]
    assert s.loc["closed deals", "value"] == model.overall["n"]
    assert s.loc["win rate", "value"] == model.overall["mean"]
    assert s.loc["won deal size (mean)", "value"] == pytest.approx(model.typical_deal)


# --------------------------------------------------------------------------- stage history


def test_stage_history_gives_stage_rates_and_slippage():
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": ["A", "B", "C", "D"],
                "account": "x",
                "stage": ["Won", "Lost", "Won", "Negotiation"],
                "status": ["won", "lost", "won", "open"],
                "amount": [10.0, 20.0, 30.0, 40.0],
                "created": pd.to_datetime(["2026-01-01"] * 4),
                "close_date": pd.to_datetime(
                    ["2026-03-01", "2026-02-01", "2026-04-01", "2026-07-01"]
                ),
                "owner": "o",
                "product": "p",
            }
        )
    )
    h = pd.DataFrame(
        {
            "change_id": [f"h{i}" for i in range(9)],
            "opportunity_id": ["A", "A", "A", "B", "B", "C", "C", "C", "D"],
            "changed": pd.to_datetime(
                [
                    "2026-01-01",
                    "2026-02-01",
                    "2026-03-01",
                    "2026-01-01",
                    "2026-02-01",
                    "2026-01-01",
                    "2026-03-01",
                    "2026-04-01",
                    "2026-02-10",
                ]
            ),
            "stage": [
                "Prospecting",
                "Negotiation",
                "Won",
                "Prospecting",
                "Lost",
                "Prospecting",
                "Prospecting",
                "Won",
                "Negotiation",
            ],
            "close_date": pd.to_datetime(
                [
                    "2026-02-15",
                    "2026-03-01",
                    "2026-03-01",
                    "2026-03-01",
                    "2026-02-01",
                    "2026-02-01",
                    "2026-03-15",
                    "2026-04-01",
                    "2026-07-01",
                ]
            ),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        m = HistoryModel.fit(opps, h, stage_order=["Prospecting", "Negotiation"])
    assert m.by_stage.loc["Prospecting", ["wins", "n"]].tolist() == [2, 3]
    assert m.by_stage.loc["Negotiation", ["wins", "n"]].tolist() == [1, 1]
    # A pushed once (Feb 15 -> Mar 1), B pulled in, C pushed twice: 2 of 3 deals pushed
    assert m.slippage["pushed_share"] == pytest.approx(2 / 3)
    assert m.slippage["pushes_per_deal"] == pytest.approx(3 / 3)
    # won deals close 14 (A) and 59 (C) days after their first expected date
    assert m.slip_days.tolist() == [14.0, 59.0]
    assert m.stage_entered["D"] == pd.Timestamp("2026-02-10")
    # in-stage rates from monthly snapshots, each deal weighted 1: A is seen at Prospecting and
    # Negotiation (1/2 each), B once at Prospecting, C three times at Prospecting (1/3 each)
    assert m.by_stage_open.loc["Prospecting", ["wins", "n"]].tolist() == pytest.approx([1.5, 2.5])
    assert m.by_stage_open.loc["Negotiation", ["wins", "n"]].tolist() == pytest.approx([0.5, 0.5])
    assert sorted(m.stage_days["Prospecting"].tolist()) == [31.0, 59.0]


# --------------------------------------------------------------------------- another CRM's shape


def test_crm_export_of_another_shape():
    io = pytest.importorskip("salesworkbench.io")
    mapping = {
        "sales_agent": "owner",
        "deal_stage": "stage",
        # this export has no created date; the engagement date is the nearest
        "engage_date": "created",
        "close_value": "amount",
    }
    stages = {"Prospecting": "open", "Engaging": "open", "Won": "won", "Lost": "lost"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opps = io.read_opportunities(
            DATA / "maven_like_pipeline.csv", mapping=mapping, stages=stages
        )
    assert len(opps) == 22  # CRLF line endings read as ordinary rows, nothing dropped
    assert opps["status"].value_counts().to_dict() == {"won": 12, "lost": 5, "open": 5}
    assert opps["account"].isna().sum() == 3  # open deals without an account are kept
    # "GTX Pro" and "GTXPro" are one product (the importer unifies spellings, and says so)
    assert (opps["product"] == "GTXPro").sum() == 5
    assert any("GTX Pro" in n for n in opps.attrs["import_notes"])
    messages = " ".join(str(w.message) for w in caught)
    assert "5 lost deals have amount 0" in messages
    prices = {
        "GTX Basic": 550,
        "GTX Pro": 4821,
        "MG Special": 55,
        "MG Advanced": 3393,
        "GTX Plus Pro": 5482,
        "GTX Plus Basic": 1096,
    }
    with pytest.warns(DataWarning, match="5 lost deals have amount 0"):
        model = HistoryModel.fit(opps, group_by="product", list_prices=prices)
    # "GTXPro" in the export finds "GTX Pro" in the price list
    assert model.lost_amounts["recovered_from_list_price"] == 5
    assert model.lost_amounts["unknown"] == 0
    assert model.overall["n"] == 17 and model.overall["wins"] == 12
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        res = forecast(opps, model, periods=2, trials=2000, seed=4, as_of="2017-06-15")
    messages = " | ".join(str(w.message) for w in caught)
    assert "2 open deals have no created date" in messages
    assert "5 open deals have no amount" in messages
    assert res.excluded["open deals without created date (age taken as 0)"] == 2
    assert res.excluded["open deals with amount imputed"] == 5
    assert len(res.deals) == 5 and res.deals["account"].isna().sum() == 3
    gtx = res.deals.set_index("opportunity_id").loc["MV0018", "amount"]
    assert gtx == 4821  # open deal without amount: list price of its product
    assert res.summary.loc["total", "mean"] > 0


# --------------------------------------------------------------------------- issue 13: the model


def test_competing_risk_curves_match_aalen_johansen_and_a_hand_table():
    from salesworkbench.pipeline.curves import risk_curves, window_probability
    from salesworkbench.survival import aalen_johansen

    # hand table: 5 deals; lost day 2, won day 3, censored day 3, won day 5, censored day 8
    d = np.array([2, 3, 3, 5, 8])
    code = np.array([2, 1, 0, 1, 0])
    rc = risk_curves(d, code, prior_strength=0.0)
    # day 2: 5 at risk, 1 lost -> S 4/5; day 3: 4 at risk, 1 won -> F 4/5 x 1/4 = 1/5, S 3/5;
    # day 5: 2 at risk (one censored at 3), 1 won -> F 1/5 + 3/5 x 1/2 = 1/2, S 3/10
    assert rc.F[0, [1, 2, 3, 4, 5, 8]] == pytest.approx([0, 0, 0.2, 0.2, 0.5, 0.5])
    assert rc.S[0, [2, 3, 5]] == pytest.approx([0.8, 0.6, 0.3])
    ref = aalen_johansen(d, np.where(code == 0, None, np.where(code == 1, "won", "lost")), "won")
    assert rc.F[0, ref["time"].astype(int)] == pytest.approx(ref["cif"].to_numpy())
    # open at day 4 (3 < T): P(won within days 4..6) = (F(6) - F(3)) / S(3) = 0.3 / 0.6
    p = window_probability(rc.F, rc.S, np.array([0]), np.array([4]), [4], [6])
    assert p[0] == pytest.approx(0.5)
    # random censored data against survival.aalen_johansen (itself tested against lifelines)
    rng = np.random.default_rng(4)
    d = rng.integers(0, 90, 500)
    code = rng.choice([0, 1, 2], 500)
    rc = risk_curves(d, code, prior_strength=0.0)
    ref = aalen_johansen(d, np.where(code == 0, None, np.where(code == 1, "w", "l")), "w")
    assert rc.F[0, ref["time"].astype(int)] == pytest.approx(ref["cif"].to_numpy(), abs=1e-12)
    assert rc.S[0, ref["time"].astype(int)] == pytest.approx(ref["survival"].to_numpy())


def test_win_probability_by_age_matches_the_closed_form_with_deals_open_for_ever():
    """The age clock and the censoring, end to end, against a known truth.

    Deals created uniformly over four years; 30% are never closed in the CRM (open for ever);
    the rest close T days after creation, T uniform on 0..199, and win with probability 0.6
    if T < 60, else 0.2 (timing and outcome depend on each other). Rebuilt as the CRM stood at
    the cut-off and fitted on what had closed the day before, as a backtest does, the chance
    that an open deal of age a is won within the next 30 days is

        P = 0.7 sum_{t=a}^{a+29} p(t) / 200 / (0.3 + 0.7 (200 - a) / 200),

    and 0 from age 200 (older than any cycle): the deals open for ever drag it down at old
    ages as they should, and nothing is extrapolated past the last win.
    """
    from salesworkbench.pipeline import opportunities_at, pipeline_at

    rng = np.random.default_rng(11)
    n, L, dead_share, W = 20_000, 200, 0.3, 30
    start, cut = pd.Timestamp("2020-01-01"), pd.Timestamp("2024-01-01")
    created = rng.integers(0, 1500, n)
    T = rng.integers(0, L, n)
    dead = rng.random(n) < dead_share
    won = rng.random(n) < np.where(T < 60, 0.6, 0.2)
    crm = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": [f"D{i}" for i in range(n)],
                "account": "a",
                "stage": np.where(dead, "Open", np.where(won, "Won", "Lost")),
                "status": np.where(dead, "open", np.where(won, "won", "lost")),
                "amount": 100.0,
                "created": start + pd.to_timedelta(created, "D"),
                "close_date": (start + pd.to_timedelta(created + T, "D")).where(~dead),
                "owner": "o",
                "product": "p",
            }
        )
    )

    def truth(a):
        t = np.arange(L)
        p_win = np.where(t < 60, 0.6, 0.2) * ((t >= a) & (t < a + W))
        return (
            (1 - dead_share) * p_win.sum() / L / (dead_share + (1 - dead_share) * np.mean(t >= a))
        )

    pipe = pipeline_at(crm, cut)
    model = HistoryModel.fit(
        opportunities_at(crm, cut), group_by=None, as_of=cut - pd.Timedelta(days=1)
    )
    day = (cut - pd.Timestamp(0)).days
    q = model.win_model.probabilities(pipe, cut, [day], [day + W - 1])[:, 0]
    age = (cut - pipe["created"]).dt.days.to_numpy()
    want = np.array([truth(a) for a in age])
    assert q.sum() == pytest.approx(want.sum(), rel=0.06)  # the expected count of wins
    for a in (1, 10, 30, 59, 60, 90, 150, 185, 199):
        assert q[age == a][0] == pytest.approx(truth(a), abs=0.008), a
    assert (q[age >= L] == 0).all() and (age >= L).sum() > 1000  # open for ever: nothing


def test_deal_older_than_every_won_cycle_gets_a_low_probability(history):
    opps, model = history
    longest = model.cycle_days.max()  # 119 days: cycles are 10..119
    deals = open_deals([1000.0, 1000.0], ["2026-07-01"] * 2, created="2026-05-01")
    deals.loc[1, "created"] = AS_OF - pd.Timedelta(days=int(longest) + 30)
    p = model.open_win_probability(deals, AS_OF)
    assert p[0] > 0.2 and p[1] < 0.02
    res = forecast(deals, model, trials=500, seed=1, as_of=AS_OF, new_deals=False)
    assert res.deals.set_index("opportunity_id").loc["P1", "expected"] < 20.0


def test_total_mean_is_pipeline_plus_new_deals_on_the_same_trials(history):
    opps, model = history
    res = forecast(opps, model, trials=3000, seed=5, as_of=AS_OF, new_deals=True)
    s = res.summary
    assert np.allclose(res.bookings, res.bookings_pipeline + res.bookings_new)
    assert np.allclose(s["mean"], s["from_pipeline"] + s["from_new_deals"], rtol=1e-12)
    assert s.loc["2026Q3", "from_new_deals"] > 0
    off = forecast(opps, model, trials=3000, seed=5, as_of=AS_OF, new_deals=False)
    assert (off.summary["from_new_deals"] == 0).all()
    assert np.array_equal(off.bookings, off.bookings_pipeline)


def test_new_deal_mean_matches_rate_times_win_probability_times_mean_size(history):
    opps, model = history
    trials = 20_000
    kw = dict(periods=2, trials=trials, seed=9, as_of=AS_OF, uncertainty="deal")
    res = forecast(open_deals([], []), model, **kw)
    # closed form: sum over creation days of rate x P(won within the period) x mean size
    from salesworkbench.pipeline.new_deals import new_deal_means

    starts = np.array([max(_d(p.start_time), _d(AS_OF)) for p in res.periods], float)
    ends = np.array([_d(p.end_time) for p in res.periods], float)
    mu = new_deal_means(model.creation, model.win_model.curves.F[0], _d(AS_OF), starts, ends)
    sizes = model.deal_sizes
    want = mu * sizes.mean()
    got = res.bookings_new.mean(0)
    # compound Poisson: var = mu E[size^2]
    se = np.sqrt(mu * np.mean(sizes**2) / trials)
    assert np.all(np.abs(got - want) < 4 * se)
    assert res.summary["expected"].iloc[:2].to_numpy() == pytest.approx(want)
    # rate x days: the creation rate of this history is about 22 deals a month, flat
    assert 15 < np.exp(model.creation.log_level) < 30


def _d(ts) -> float:
    return float(np.datetime64(pd.Timestamp(ts).normalize().date(), "D").astype(np.int64))


def test_as_of_rebuilds_the_pipeline_as_it_stood(history):
    from salesworkbench.pipeline import pipeline_at

    opps, _ = history
    cut = pd.Timestamp("2025-10-01")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model = HistoryModel.fit(opps, group_by=None, as_of=cut - pd.Timedelta(days=1))
        res = forecast(opps, model, trials=200, seed=1, as_of=cut, new_deals=False)
        ref = forecast(
            pipeline_at(opps, cut), model, trials=200, seed=1, as_of=cut, new_deals=False
        )
    assert any("rebuilt as it stood" in n for n in res.notes)
    assert sorted(res.deals["opportunity_id"]) == sorted(pipeline_at(opps, cut)["opportunity_id"])
    assert np.array_equal(res.bookings, ref.bookings)
    # nothing created after the cut-off is in it
    created = opps.set_index("opportunity_id").loc[res.deals["opportunity_id"], "created"]
    assert (created <= cut).all()


def test_group_by_auto_says_what_it_picked_and_why():
    opps = make_opportunities(1500, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model = HistoryModel.fit(opps, as_of=AS_OF)
    msg = [n for n in model.notes if n.startswith("group_by='auto'")]
    assert len(msg) == 1 and "walk-forward error" in msg[0]
    assert model.group_by in (None, "product", "segment", "owner")
    assert set(model.group_errors.index) == {"none", "product", "segment", "owner"}


def test_calibration_widens_the_band_around_the_same_mean(history):
    opps, model = history
    kw = dict(trials=4000, seed=2, as_of=AS_OF)
    a = forecast(opps, model, **kw)
    b = forecast(opps, model, calibration=1.5, **kw)
    sa, sb = a.summary.loc["2026Q3"], b.summary.loc["2026Q3"]
    assert b.calibration == 1.5 and a.calibration == 1.0
    assert sb["p90"] - sb["p10"] == pytest.approx(1.5 * (sa["p90"] - sa["p10"]), rel=0.05)
    assert sb["mean"] == pytest.approx(sa["mean"], rel=0.02)
    assert np.allclose(b.bookings, b.bookings_pipeline + b.bookings_new)
    assert any("calibration factor of 1.50" in n for n in b.notes)


def test_relationship_from_deals_counts_only_deals_closed_by_as_of():
    from salesworkbench.territory import relationship_from_deals

    acc = pd.DataFrame({"account_id": ["A", "B"], "name": ["A", "B"]})
    opps = pd.DataFrame(
        {
            "account": ["A", "A", "B"],
            "status": ["won", "won", "won"],
            "amount": [100.0, 50.0, 70.0],
            "close_date": pd.to_datetime(["2026-01-10", "2026-06-10", "2026-07-01"]),
        }
    )
    out = relationship_from_deals(acc, opps, as_of="2026-03-01").set_index("account_id")
    assert out.loc["A", "install_base"] == 100.0 and out.loc["B", "install_base"] == 0.0
    assert out.loc["A", "last_activity"] == pd.Timestamp("2026-01-10")


def test_the_models_own_as_of_day_is_not_look_ahead(history):
    """The default forecast date is the model's as_of: that day's closes are known, not rebuilt."""
    opps, _ = history
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model = HistoryModel.fit(opps, group_by=None)  # as_of: the latest close date
        res = forecast(opps, model, trials=200, seed=1, new_deals=False)
    assert (opps["close_date"] == model.as_of).any()
    assert not any("rebuilt" in n for n in res.notes)
    is_open = opps["status"].astype(object) == "open"
    assert sorted(res.deals["opportunity_id"]) == sorted(opps.loc[is_open, "opportunity_id"])


def test_creation_rate_of_a_few_days_is_a_flat_rate_not_an_error():
    from salesworkbench.pipeline.new_deals import fit_creation_rate

    as_of = pd.Timestamp("2025-06-01")
    rate = fit_creation_rate(pd.Series(as_of - pd.to_timedelta([3, 10, 12], "D")), as_of)
    assert "flat rate" in rate.note and rate.trend == 0.0
    assert np.exp(rate.log_level) == pytest.approx(3 / 13 * 30.4)
