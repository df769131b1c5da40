"""Timing from the expected close date, and ``timing="auto"`` (walk-forward choice)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from salesworkbench.errors import DataWarning
from salesworkbench.pipeline import HistoryModel, backtest, forecast
from salesworkbench.pipeline.periods import _day
from salesworkbench.pipeline.probabilities import deal_probabilities
from salesworkbench.pipeline.timing import (
    _conditional_cdf,
    close_date_offsets,
)
from salesworkbench.pipeline.timing_choice import candidate_timings, choose_timing
from salesworkbench.schemas import OPPORTUNITIES

TODAY = pd.Timestamp("2026-01-01")


def honest_dates_crm(n: int = 3000, seed: int = 5, *, honest: bool = True):
    """Deals whose CRM expected close date is the real close date (honest=True), or noise.

    Cycle times are lognormal (median 60 days, wide), 85% of deals are won (so when a deal
    closes, not whether, is most of the uncertainty), amounts lognormal; the stage history
    holds one row at creation with the expected close date: the true close date give or take
    3 days (honest) or a date drawn independently of it (not honest).
    """
    rng = np.random.default_rng(seed)
    created = TODAY - pd.to_timedelta(rng.integers(1, 2 * 365, n), "D")
    cycle = np.maximum(np.round(rng.lognormal(np.log(60), 0.8, n)), 3).astype(int)
    close = created + pd.to_timedelta(cycle, "D")
    won = rng.random(n) < 0.85
    amount = np.round(rng.lognormal(np.log(10_000), 1.2, n))
    is_closed = close < TODAY
    status = np.where(is_closed, np.where(won, "won", "lost"), "open")
    if honest:
        expected = close + pd.to_timedelta(rng.integers(-3, 4, n), "D")
    else:
        expected = created + pd.to_timedelta(rng.integers(5, 200, n), "D")
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": [f"D{i:05d}" for i in range(n)],
                "account": "acc",
                "stage": np.where(is_closed, np.where(won, "Won", "Lost"), "Open"),
                "status": status,
                "amount": amount,
                "owner": "rep",
                "product": "p",
                "created": created,
                "close_date": pd.Series(close).where(is_closed, pd.Series(expected)),
            }
        )
    )
    ids = opps["opportunity_id"].to_numpy()
    hist = pd.DataFrame(
        {"opportunity_id": ids, "changed": created, "stage": "Open", "close_date": expected}
    )
    hist = hist[hist["changed"] < TODAY].reset_index(drop=True)
    hist.insert(0, "change_id", [f"h{i}" for i in range(len(hist))])
    return opps, hist


# -- the offsets and their conditional distribution ------------------------------------------


def test_close_date_offsets_by_hand():
    """Offsets from each expected date shown while open, weighted by the days it stood."""
    won = pd.DataFrame(
        {
            "opportunity_id": ["a", "b", "c"],
            "close_date": pd.to_datetime(["2025-03-01", "2025-02-10", "2025-12-01"]),
        }
    )
    hist = pd.DataFrame(
        {
            "opportunity_id": ["a", "a", "a", "b", "c"],
            "changed": pd.to_datetime(
                ["2025-01-01", "2025-01-21", "2025-03-01", "2025-01-05", "2025-06-01"]
            ),
            # a: expected Feb 1 for 20 days, then Feb 20 until the close (39 days); the row on
            # the close day is not something the CRM showed while the deal was open
            "close_date": pd.to_datetime(
                ["2025-02-01", "2025-02-20", "2025-03-01", "2025-02-15", "2025-11-01"]
            ),
        }
    )
    offs, w = close_date_offsets(won, hist, "2025-06-30")  # c closes after as_of: left out
    assert offs.tolist() == [-5.0, 9.0, 28.0]
    assert w.tolist() == [36.0, 39.0, 20.0]  # b: Jan 5 -> Feb 10; a: Jan 21 -> Mar 1, Jan 1-21


def test_close_date_offsets_by_stage_by_hand():
    """The same offsets split by the stage the date was shown in, with the deals behind each."""
    won = pd.DataFrame(
        {
            "opportunity_id": ["a", "b"],
            "close_date": pd.to_datetime(["2025-03-01", "2025-02-10"]),
        }
    )
    hist = pd.DataFrame(
        {
            "opportunity_id": ["a", "a", "b"],
            "changed": pd.to_datetime(["2025-01-01", "2025-01-21", "2025-01-05"]),
            "stage": ["Discovery", "Proposal", "Proposal"],
            "close_date": pd.to_datetime(["2025-02-01", "2025-02-20", "2025-02-15"]),
        }
    )
    by = close_date_offsets(won, hist, "2025-06-30", by_stage=True)
    assert set(by) == {None, "Discovery", "Proposal"}
    assert by["Discovery"][0].tolist() == [28.0] and by["Discovery"][1].tolist() == [20.0]
    assert by["Proposal"][0].tolist() == [-5.0, 9.0] and by["Proposal"][1].tolist() == [36, 39]
    assert by["Discovery"][2] == 1 and by["Proposal"][2] == 2 and by[None][2] == 2
    pooled = close_date_offsets(won, hist, "2025-06-30")
    np.testing.assert_array_equal(by[None][0], pooled[0])
    np.testing.assert_array_equal(by[None][1], pooled[1])
    assert close_date_offsets(won, None, "2025-06-30", by_stage=True)[None][2] == 0


def test_a_stage_whose_dates_run_late_is_timed_by_its_own_offsets():
    """Dates shown in 'Early' run 60 days ahead of the close, in 'Late' they are honest: a deal
    due this month (not overdue) counts for this month in 'Late', hardly at all in 'Early'
    (pooled offsets would give both about half)."""
    rng = np.random.default_rng(11)
    n = 3000
    created = TODAY - pd.to_timedelta(rng.integers(1, 2 * 365, n), "D")
    cycle = np.maximum(np.round(rng.lognormal(np.log(90), 0.5, n)), 70).astype(int)
    close = created + pd.to_timedelta(cycle, "D")
    won = rng.random(n) < 0.8
    early = rng.random(n) < 0.5
    late_by = np.where(early, 60, 0) + rng.integers(-3, 4, n)
    expected = close - pd.to_timedelta(late_by, "D")
    is_closed = close < TODAY
    status = np.where(is_closed, np.where(won, "won", "lost"), "open")
    stage = np.where(early, "Early", "Late")
    ids = [f"D{i:05d}" for i in range(n)]
    opps = OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": ids,
                "account": "acc",
                "stage": np.where(is_closed, np.where(won, "Won", "Lost"), stage),
                "status": status,
                "amount": 1000.0,
                "owner": "rep",
                "product": "p",
                "created": created,
                "close_date": pd.Series(close).where(is_closed, pd.Series(expected)),
            }
        )
    )
    hist = pd.DataFrame(
        {"opportunity_id": ids, "changed": created, "stage": stage, "close_date": expected}
    )
    hist.insert(0, "change_id", [f"h{i}" for i in range(n)])
    model = _fit(opps, hist)
    assert model.close_offsets["Early"][2] >= 30 and model.close_offsets["Late"][2] >= 30
    open_ = opps[opps["status"] == "open"].reset_index(drop=True)
    s, e = np.array([_day(TODAY)], float), np.array([_day(TODAY + pd.Timedelta(days=30))], float)
    p, q = deal_probabilities(open_, model, TODAY, s, e, "close_date")
    due = open_["close_date"].between(TODAY, TODAY + pd.Timedelta(days=25)).to_numpy()
    early_due = due & (open_["stage"].astype(object) == "Early").to_numpy()
    late_due = due & (open_["stage"].astype(object) == "Late").to_numpy()
    assert early_due.sum() > 20 and late_due.sum() > 20
    assert q[late_due, 0].sum() > 0.85 * p[late_due].sum()
    assert q[early_due, 0].sum() < 0.1 * p[early_due].sum()


def test_weighted_conditional_cdf_equal_weights_is_the_unweighted_one():
    rng = np.random.default_rng(0)
    offs = np.sort(rng.normal(0, 30, 400).round())
    age = rng.uniform(-60, 60, 50)
    limits = age[:, None] + np.array([[0.0, 10.0, 45.0, 200.0]])
    got = _conditional_cdf(offs, age, limits, np.ones_like(offs))
    np.testing.assert_allclose(got, _conditional_cdf(offs, age, limits), atol=1e-12)


def test_weighted_conditional_cdf_by_hand():
    """Offsets 0, 10, 20 with weights 1, 2, 7; open past offset 5: P(<= 10) = 2 / 9."""
    offs, w = np.array([0.0, 10.0, 20.0]), np.array([1.0, 2.0, 7.0])
    import salesworkbench.pipeline.timing as timing

    old = timing.MIN_TAIL
    timing.MIN_TAIL = 1
    try:
        got = _conditional_cdf(offs, np.array([5.0]), np.array([[10.0, 20.0]]), w)
    finally:
        timing.MIN_TAIL = old
    np.testing.assert_allclose(got, [[2 / 9, 1.0]], atol=1e-12)


# -- timing from the expected close date ---------------------------------------------------


@pytest.fixture(scope="module")
def honest():
    return honest_dates_crm()


FIT_DAY = TODAY - pd.Timedelta(days=1)


def _fit(opps, hist, as_of=FIT_DAY):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return HistoryModel.fit(opps, hist, group_by=None, as_of=as_of)


def test_close_date_timing_follows_honest_dates(honest):
    """A deal expected to close inside the month gets most of its chance there; one expected
    after it almost none; the chance itself comes from the curves at the deal's age."""
    opps, hist = honest
    model = _fit(opps, hist)
    open_ = opps[opps["status"] == "open"].reset_index(drop=True)
    s, e = np.array([_day(TODAY)], float), np.array([_day(TODAY + pd.Timedelta(days=30))], float)
    p, q = deal_probabilities(open_, model, TODAY, s, e, "close_date")
    inside = (open_["close_date"] <= TODAY + pd.Timedelta(days=27)).to_numpy()
    after = (open_["close_date"] > TODAY + pd.Timedelta(days=40)).to_numpy()
    assert inside.sum() > 20 and after.sum() > 20
    assert q[inside, 0].sum() > 0.9 * p[inside].sum()
    assert q[after, 0].sum() < 0.05 * p[after].sum()
    np.testing.assert_allclose(p, model.open_win_probability(open_, TODAY), atol=1e-12)


def test_auto_picks_close_date_where_dates_are_honest_and_created_where_they_are_noise(honest):
    model = _fit(*honest)
    assert candidate_timings(model) == ["created", "stage", "close_date"]
    assert choose_timing(model, "M") == "close_date"
    errors = model.timing_choice["M"]["errors"]
    assert errors["close_date"] < 0.8 * errors["created"]
    assert "picked 'close_date'" in model.timing_choice["M"]["reason"]

    noise = _fit(*honest_dates_crm(honest=False))
    assert choose_timing(noise, "M") in ("created", "stage")  # the dates carry no signal
    err = noise.timing_choice["M"]["errors"]
    assert err["close_date"] > err["created"]


def test_auto_without_stage_history_is_created_and_says_so(honest):
    opps, _ = honest
    model = _fit(opps, None)
    assert candidate_timings(model) == ["created"]
    assert choose_timing(model, "Q") == "created"
    assert "no stage history" in model.timing_choice["Q"]["reason"]


def test_auto_choice_has_no_look_ahead(honest):
    """What happens after the fit date (outcomes, later expected dates) leaves the choice
    and its errors unchanged."""
    opps, hist = honest
    as_of = TODAY - pd.Timedelta(days=120)
    a = _fit(opps, hist, as_of)
    choose_timing(a, "M")
    later = (opps["close_date"] > as_of).to_numpy() & (opps["status"] != "open").to_numpy()
    changed = opps.copy()
    flip = {"won": "lost", "lost": "won"}
    changed.loc[later, "status"] = changed.loc[later, "status"].astype(object).map(flip)
    changed["status"] = changed["status"].astype(opps["status"].dtype)
    h2 = hist.copy()
    late = (h2["changed"] > as_of).to_numpy()
    h2.loc[late, "close_date"] = h2.loc[late, "close_date"] + pd.Timedelta(days=90)
    b = _fit(changed, h2, as_of)
    choose_timing(b, "M")
    pd.testing.assert_series_equal(a.timing_choice["M"]["errors"], b.timing_choice["M"]["errors"])
    pd.testing.assert_series_equal(
        a.timing_choice["M"]["errors"].attrs["brier"], b.timing_choice["M"]["errors"].attrs["brier"]
    )


def test_forecast_and_backtest_report_the_timing_used(honest):
    opps, hist = honest
    model = _fit(opps, hist)
    res = forecast(opps, model, periods=1, freq="month", trials=200, seed=1, as_of=TODAY)
    assert res.timing == "close_date"
    assert any("timing='auto' picked 'close_date'" in n for n in res.notes)
    fixed = forecast(
        opps, model, periods=1, freq="month", trials=200, seed=1, as_of=TODAY, timing="created"
    )
    assert fixed.timing == "created"
    cuts = pd.date_range("2025-09-01", "2025-11-01", freq="MS")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        bt = backtest(opps, cuts, "month", trials=200, seed=1, stage_history=hist)
    picked = bt["timing"].value_counts()
    assert picked.get("close_date", 0) >= 2  # the first cut-off has the least history
    listed = ", ".join(f"{t} at {k} cut-off{'s' if k != 1 else ''}" for t, k in picked.items())
    assert f"timing used: {listed}" in bt.notes
    # honest dates: the model beats Kaplan-Meier x win rate by far
    cmp = bt.comparison
    assert cmp.loc["model", "mae_pct"] < cmp.loc["Kaplan-Meier timing x win rate", "mae_pct"]


def test_timing_is_validated(honest):
    opps, hist = honest
    model = _fit(opps, hist)
    with pytest.raises(ValueError, match="timing must be 'auto' or one of"):
        forecast(opps, model, timing="expected", trials=10)


def test_band_is_sized_by_the_picked_timings_own_errors(honest):
    """timing='auto' keeps the picked timing's walk-forward log errors over one-period windows,
    and the forecast's period shock is raised to their RMS beyond deal luck."""
    opps, hist = honest
    model = _fit(opps, hist)
    assert choose_timing(model, "M") == "close_date"
    choice = model.timing_choice["M"]
    errors = choice["errors"]
    assert len(choice["log_errors"]) == 12 == len(choice["luck_variance"])
    np.testing.assert_array_equal(choice["log_errors"], errors.attrs["log_errors"]["close_date"])
    # big walk-forward errors: the shock is raised to them (capped), and the note says so
    choice["log_errors"] = np.full(12, 2.0)
    choice["luck_variance"] = np.zeros(12)
    res = forecast(opps, model, periods=1, freq="month", trials=200, seed=1, as_of=TODAY)
    assert res.shock == pytest.approx(0.75)  # MAX_SHOCK
    assert any("walk-forward log errors over a month at 12 monthly" in n for n in res.notes)
    # an explicit timing falls back to the grouping's monthly errors of the curves
    fixed = forecast(
        opps, model, periods=1, freq="month", trials=200, seed=1, as_of=TODAY, timing="stage"
    )
    assert fixed.shock < 0.75


def test_shared_scores_of_inner_cutoffs_change_nothing(honest):
    """A backtest scores each inner cut-off once for all its cut-offs: the errors at a later
    fit date are those computed without the shared scores."""
    from salesworkbench.pipeline.as_stood import opportunities_at
    from salesworkbench.pipeline.timing_choice import timing_errors

    opps, hist = honest
    cache: dict = {}
    for day in ("2025-09-01", "2025-12-01"):  # in date order, as a backtest goes
        c = pd.Timestamp(day)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            model = HistoryModel.fit(
                opportunities_at(opps, c, hist),
                hist[hist["changed"] < c],
                group_by=None,
                as_of=c - pd.Timedelta(days=1),
            )
        shared, n1 = timing_errors(model, "M", candidate_timings(model), cache=cache)
        alone, n2 = timing_errors(model, "M", candidate_timings(model))
        assert n1 == n2 == 12
        pd.testing.assert_series_equal(shared, alone, rtol=1e-12)
        pd.testing.assert_series_equal(shared.attrs["brier"], alone.attrs["brier"], rtol=1e-12)
        for t in shared.index:
            np.testing.assert_allclose(
                shared.attrs["log_errors"][t], alone.attrs["log_errors"][t], rtol=1e-12
            )
    assert len(cache) == 15  # 12 month starts, 9 of them shared by the second fit date


def test_auto_uses_the_dates_when_deal_outcomes_show_they_tell(honest):
    """Honest dates at quarterly windows: the window totals cannot tell the timings apart (all
    within a point of each other), the deals' own outcomes can. The value-weighted Brier score
    of close_date is far below the others', so close_date is used and the note says why."""
    model = _fit(*honest)
    assert choose_timing(model, "Q") == "close_date"
    choice = model.timing_choice["Q"]
    errors, brier = choice["errors"], choice["errors"].attrs["brier"]
    assert errors["created"] <= errors["close_date"]  # the totals alone would keep 'created'
    assert brier["close_date"] < 0.6 * brier[["created", "stage"]].min()
    assert "told which deals would win within a quarter" in choice["reason"]
    assert f"close_date {brier['close_date']:.3f}" in choice["reason"]


def test_dates_that_are_noise_score_no_better_deal_by_deal(honest):
    """Dates drawn independently of the close: close_date's Brier score is above the others',
    so the window totals decide, and the note says the dates were not used and why."""
    noise = _fit(*honest_dates_crm(honest=False))
    for freq in ("M", "Q"):
        assert choose_timing(noise, freq) == "created"
        choice = noise.timing_choice[freq]
        brier = choice["errors"].attrs["brier"]
        assert brier["close_date"] > brier[["created", "stage"]].min()
        assert "did not tell the winners better than stage or age" in choice["reason"]


def test_brier_score_is_pooled_over_windows_by_hand(honest, monkeypatch):
    """Two scored windows, one unscored: Brier = (sum of Brier sums) / (sum of amounts), the
    error is the mean of |forecast / actual - 1|."""
    import salesworkbench.pipeline.timing_choice as tc

    windows = iter(
        [
            {
                "actual": 100.0,
                "weight": 400.0,
                "created": (120.0, 1.0, 80.0),
                "close_date": (90.0, 1.0, 20.0),
            },
            None,
            {
                "actual": 50.0,
                "weight": 100.0,
                "created": (40.0, 1.0, 30.0),
                "close_date": (55.0, 1.0, 10.0),
            },
        ]
        + [None] * (tc.INNER_CUTOFFS - 3)
    )
    monkeypatch.setattr(tc, "_score_window", lambda *a: next(windows))
    model = _fit(*honest)
    errors, used = tc.timing_errors(model, "M", ["created", "close_date"])
    assert used == 2
    assert errors["created"] == pytest.approx((0.2 + 0.2) / 2, abs=1e-12)
    assert errors["close_date"] == pytest.approx((0.1 + 0.1) / 2, abs=1e-12)
    assert errors.attrs["brier"]["created"] == pytest.approx(110 / 500, abs=1e-12)
    assert errors.attrs["brier"]["close_date"] == pytest.approx(30 / 500, abs=1e-12)


@pytest.mark.parametrize(
    ("scores", "uses_dates"),
    [
        ({"created": 0.2, "stage": 0.15, "close_date": 0.1}, True),
        ({"created": 0.2, "stage": 0.1, "close_date": 0.1}, False),  # a tie is no evidence
        ({"created": 0.2, "stage": 0.09, "close_date": 0.1}, False),
        ({"created": 0.2, "stage": np.nan, "close_date": 0.1}, False),  # nothing scored
        ({"created": 0.2, "stage": 0.15}, False),  # no dates to use
        ({"close_date": 0.1}, False),
    ],
)
def test_dates_are_used_only_when_they_score_strictly_best(scores, uses_dates):
    from salesworkbench.pipeline.timing_choice import _dates_sort_deals

    assert _dates_sort_deals(pd.Series(scores, dtype=float)) is uses_dates
