"""Tests of salesworkbench.survival: hand tables, lifelines reference values, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesworkbench.survival import (
    aalen_johansen,
    cif_quantile,
    conditional_probability,
    kaplan_meier,
    km_median,
    km_quantile,
)

# -- a small censored example with ties (W won, L lost, C still open = censored) -----------
#
#   duration  2  3  3  3  5  5  7  8  8  10
#   outcome   W  L  W  C  W  C  L  W  W  C
#
# Derivation (n at risk, d events; events before censorings at a tied time):
#   t=2 : n=10 d=1 (W)     S = 9/10              F_W = 1/10                 F_L = 0
#   t=3 : n=9  d=2 (L, W)  S = 9/10 * 7/9 = 7/10 F_W += 9/10 * 1/9 -> 2/10  F_L = 1/10
#   t=5 : n=6  d=1 (W)     S = 7/10 * 5/6 = 7/12 F_W += 7/10 * 1/6 -> 19/60
#   t=7 : n=4  d=1 (L)     S = 7/12 * 3/4 = 7/16 F_L += 7/12 * 1/4 -> 59/240
#   t=8 : n=3  d=2 (W, W)  S = 7/16 * 1/3 = 7/48 F_W += 7/16 * 2/3 -> 73/120
#   t=10: n=1  censored    S = 7/48
#   check: 7/48 + 73/120 + 59/240 = 35/240 + 146/240 + 59/240 = 1
# Greenwood sums d / (n (n - d)): 1/90, 2/63, 1/30, 1/12, 2/3 (cumulated)
HAND_T = np.array([2, 3, 3, 3, 5, 5, 7, 8, 8, 10], float)
HAND_E = np.array(["W", "L", "W", None, "W", None, "L", "W", "W", None], object)
HAND_S = [9 / 10, 7 / 10, 7 / 12, 7 / 16, 7 / 48, 7 / 48]
HAND_FW = [1 / 10, 2 / 10, 19 / 60, 19 / 60, 73 / 120, 73 / 120]
HAND_FL = [0, 1 / 10, 1 / 10, 59 / 240, 59 / 240, 59 / 240]
HAND_GW = np.cumsum([1 / 90, 2 / 63, 1 / 30, 1 / 12, 2 / 3, 0])

# -- reference values from lifelines 0.30.3 (pandas 2.3.3), seeded untied example ------------
# rng = np.random.default_rng(20261129); n = 40
# t = np.round(rng.exponential(30, n), 3) + 0.001 * np.arange(n)   (no ties)
# ev = rng.choice([0, 1, 2], n, p=[0.3, 0.35, 0.35])               (0 censored)
# w = rng.integers(1, 4, n)                                         (drawn after ev)
# KaplanMeierFitter().fit(t, ev > 0): survival_function_at_times(q), median_survival_time_,
#   _cumulative_sq_ (Greenwood sum) at t = 73.442
# AalenJohansenFitter(calculate_variance=False).fit(t, ev, event_of_interest=1 / 2)
#   .cumulative_density_ (no ties, so no jitter)
# KaplanMeierFitter().fit(t, ev > 0, weights=w)
LL_T = [14.297, 1.711, 24.757, 30.586, 48.99, 45.097, 29.278, 42.552, 33.803, 0.872, 40.554,
        44.540, 7.608, 21.364, 2.092, 197.003, 5.643, 8.263, 21.997, 2.02, 31.516, 1.921, 7.094,
        5.665, 0.626, 10.776, 1.919, 9.874, 22.133, 6.252, 5.475, 60.075, 33.881, 54.501, 44.238,
        9.484, 14.852, 73.442, 88.432, 6.075]  # fmt: skip
LL_E = [0, 0, 0, 2, 2, 2, 0, 2, 2, 0, 1, 1, 1, 0, 2, 1, 0, 0, 2, 2, 2, 0, 2, 1, 0, 2, 0, 2, 0, 0,
        1, 2, 1, 1, 0, 1, 2, 1, 2, 1]  # fmt: skip
LL_W = [2, 3, 1, 2, 1, 1, 3, 2, 1, 1, 1, 1, 3, 2, 2, 3, 1, 2, 1, 2, 3, 1, 3, 1, 1, 2, 3, 3, 3, 2,
        3, 2, 1, 1, 3, 1, 1, 2, 1, 3]  # fmt: skip
LL_KM = {5: 0.9428571428571431, 10: 0.7306701777485192, 20: 0.6656208658578644,
         40: 0.46243133838546374, 60: 0.1891764566122352}  # fmt: skip
LL_KM_MEDIAN = 33.881
LL_GREENWOOD_SUM_73 = 0.43785443716851413
LL_F1 = {5: 0.0, 10: 0.14987228439763006, 20: 0.14987228439763006, 40: 0.19191149697812676,
         60: 0.32853893786474103, 197.003: 0.4231271661708586}  # fmt: skip
LL_F2_20 = 0.18450684974450618
LL_F1_REL_MEDIAN = 40.554
LL_KMW = {10: 0.6693228401692358, 30: 0.5994608602189114}
LL_KMW_MEDIAN = 31.516
TOL = 1e-12  # same arithmetic; only float rounding differs


def _at(table, col, t):
    return (
        float(table.loc[table["time"] <= t, col].iloc[-1]) if (table["time"] <= t).any() else None
    )


def test_kaplan_meier_hand_table_with_ties():
    km = kaplan_meier(HAND_T, [e is not None for e in HAND_E])
    assert km["time"].tolist() == [2, 3, 5, 7, 8, 10]
    assert km["at_risk"].tolist() == [10, 9, 6, 4, 3, 1]
    assert km["events"].tolist() == [1, 2, 1, 1, 2, 0]
    assert km["censored"].tolist() == [0, 1, 1, 0, 0, 1]
    np.testing.assert_allclose(km["survival"], HAND_S, rtol=TOL)
    np.testing.assert_allclose(km["variance"], np.array(HAND_S) ** 2 * HAND_GW, rtol=1e-12)
    # Greenwood at t=5 in closed form: (7/12)^2 * 8/105
    assert km.loc[2, "variance"] == pytest.approx((7 / 12) ** 2 * 8 / 105, rel=1e-12)
    assert km_median(HAND_T, [e is not None for e in HAND_E]) == 7.0
    assert km_quantile(HAND_T, [e is not None for e in HAND_E], 0.25) == 3.0


def test_aalen_johansen_hand_table_with_ties():
    aj = aalen_johansen(HAND_T, HAND_E, "W")
    np.testing.assert_allclose(aj["survival"], HAND_S, rtol=TOL)
    np.testing.assert_allclose(aj["cif"], HAND_FW, rtol=TOL)
    np.testing.assert_allclose(aj["cif_competing"], HAND_FL, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(aj["survival"] + aj["cif"] + aj["cif_competing"], 1, rtol=TOL)
    assert aj["events"].tolist() == [1, 1, 1, 0, 2, 0]
    assert aj["competing"].tolist() == [0, 1, 0, 1, 0, 0]
    # half of the eventual wins (73/240) are reached at t=5 (19/60 = 76/240)
    assert cif_quantile(aj, 0.5) == 5.0
    assert cif_quantile(aj, 0.5, relative=False) == 8.0
    assert cif_quantile(aj, 0.7, relative=False) == float("inf")
    # P(won in (3, 8] | open at 3) = (73/120 - 2/10) / (7/10) = 7/12
    p = conditional_probability(aj, [3.0, 0.0, 8.0, 3.5], [5.0, 100.0, 10.0, 0.0])
    np.testing.assert_allclose(p, [7 / 12, 73 / 120, 0.0, 0.0], rtol=TOL, atol=TOL)
    # the value meaning "censored" can be given; NaN always means censored
    aj2 = aalen_johansen(HAND_T, np.where(HAND_E == None, "open", HAND_E), "W", censored="open")  # noqa: E711
    pd.testing.assert_frame_equal(aj, aj2)


def test_kaplan_meier_matches_lifelines():
    e = np.array(LL_E) > 0
    km = kaplan_meier(LL_T, e)
    for t, s in LL_KM.items():
        assert _at(km, "survival", t) == pytest.approx(s, rel=TOL)
    assert km_median(LL_T, e) == pytest.approx(LL_KM_MEDIAN, abs=1e-9)
    row = km[km["time"] == 73.442].iloc[0]
    assert row["variance"] / row["survival"] ** 2 == pytest.approx(LL_GREENWOOD_SUM_73, rel=1e-10)
    kw = kaplan_meier(LL_T, e, weights=LL_W)
    for t, s in LL_KMW.items():
        assert _at(kw, "survival", t) == pytest.approx(s, rel=TOL)
    assert km_median(LL_T, e, weights=LL_W) == pytest.approx(LL_KMW_MEDIAN, abs=1e-9)


def test_aalen_johansen_matches_lifelines():
    aj = aalen_johansen(LL_T, np.where(np.array(LL_E) == 0, None, LL_E), 1)
    for t, f in LL_F1.items():
        got = _at(aj, "cif", t)
        assert (0.0 if got is None else got) == pytest.approx(f, rel=TOL, abs=TOL)
    assert _at(aj, "cif_competing", 20) == pytest.approx(LL_F2_20, rel=TOL)
    assert cif_quantile(aj, 0.5) == pytest.approx(LL_F1_REL_MEDIAN, abs=1e-9)


def test_weights_equal_repeated_subjects():
    rng = np.random.default_rng(3)
    t = rng.integers(1, 20, 30).astype(float)
    ev = rng.choice(np.array(["won", "lost", None], object), 30)
    w = rng.integers(0, 4, 30)
    a = aalen_johansen(t, ev, "won", weights=w)
    b = aalen_johansen(np.repeat(t, w), np.repeat(ev, w), "won")
    a = a[a["at_risk"] > 0]
    a = a[a["time"].isin(b["time"])].reset_index(drop=True)
    np.testing.assert_allclose(a["cif"], b["cif"], rtol=1e-12)
    np.testing.assert_allclose(a["survival"], b["survival"], rtol=1e-12)


def test_never_reaching_half_and_bad_input():
    # one event out of four, three censored later: the curve stays at 3/4
    assert km_median([1, 2, 3, 4], [True, False, False, False]) == float("inf")
    assert np.isnan(km_median([], []))
    aj = aalen_johansen([1.0, 2.0], [None, None], "won")
    assert np.isnan(cif_quantile(aj))
    with pytest.raises(ValueError, match="durations must be finite"):
        kaplan_meier([1.0, -2.0], [True, True])
    with pytest.raises(ValueError, match="observed must have the shape"):
        kaplan_meier([1.0, 2.0], [True])
    with pytest.raises(ValueError, match="weights must"):
        kaplan_meier([1.0, 2.0], [True, True], weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="p must be"):
        km_quantile([1.0], [True], 1.0)
    with pytest.raises(ValueError, match="ages must be"):
        conditional_probability(aj, [-1.0], [1.0])
    # the curve reached 0: Greenwood's variance is undefined there
    km = kaplan_meier([1.0, 2.0], [True, True])
    assert km["survival"].iloc[-1] == 0 and np.isnan(km["variance"].iloc[-1])
    # no one open at age 5: nothing to condition on
    aj = aalen_johansen([1.0, 2.0], ["won", "lost"], "won")
    assert np.isnan(conditional_probability(aj, [5.0], [1.0])[0])


outcomes = st.lists(
    st.tuples(st.integers(0, 30), st.sampled_from(["won", "lost", None])), min_size=1, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(outcomes)
def test_cif_of_all_causes_plus_survival_is_one_and_monotone(data):
    t = np.array([x[0] for x in data], float)
    ev = np.array([x[1] for x in data], object)
    won = aalen_johansen(t, ev, "won")
    lost = aalen_johansen(t, ev, "lost")
    np.testing.assert_allclose(won["cif"] + lost["cif"] + won["survival"], 1.0, atol=1e-12)
    np.testing.assert_allclose(won["cif_competing"], lost["cif"], atol=1e-12)
    for col in ("cif", "cif_competing"):
        assert (np.diff(won[col]) >= -1e-15).all()
    assert (np.diff(won["survival"]) <= 1e-15).all()
    km = kaplan_meier(t, ev != None)  # noqa: E711
    np.testing.assert_allclose(km["survival"], won["survival"], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    outcomes,
    st.lists(st.floats(0, 40), min_size=1, max_size=5),
    st.lists(st.floats(0, 40), min_size=1, max_size=5),
)
def test_conditional_probability_is_a_probability(data, ages, horizons):
    t = np.array([x[0] for x in data], float)
    ev = np.array([x[1] for x in data], object)
    aj = aalen_johansen(t, ev, "won")
    p = conditional_probability(aj, np.array(ages)[:, None], np.array(horizons)[None, :])
    ok = p[~np.isnan(p)]
    assert ((ok >= 0) & (ok <= 1)).all()
    # longer horizons never lower the probability
    p2 = conditional_probability(aj, np.array(ages)[:, None], np.array(horizons)[None, :] + 5)
    both = ~np.isnan(p) & ~np.isnan(p2)
    assert (p2[both] >= p[both] - 1e-12).all()
