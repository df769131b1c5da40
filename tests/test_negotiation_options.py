"""Options side by side and the acceptability curve against closed forms (value.options)."""

import math

import numpy as np
import pytest
from scipy import special

from salesworkbench.errors import ValueCaseError
from salesworkbench.value import ValueCase, acceptability_curve, compare

N = 100_000


def case(assumptions, benefit, investment=None, name="option"):
    d = {
        "name": name,
        "currency": "GBP",
        "assumptions": assumptions,
        "benefits": [{"name": "benefit", "formula": benefit}],
    }
    if investment is not None:
        d["investments"] = [{"name": "price", "formula": investment}]
    return ValueCase.from_dict(d)


def normal(mean, sd):
    return {"dist": "normal", "mean": mean, "sd": sd}


def test_two_independent_normal_options_p_best_closed_form():
    a = case({"a": normal(100, 30)}, "a", name="A")
    b = case({"b": normal(80, 40)}, "b", name="B")
    cmp = compare({"A": a, "B": b}, trials=N, seed=3)
    s = cmp.summary
    p = special.ndtr((100 - 80) / math.sqrt(30**2 + 40**2))  # Phi(0.4) = 0.6554
    tol = 4 * math.sqrt(p * (1 - p) / N)
    assert s.loc["A", "p_best"] == pytest.approx(p, abs=tol)
    assert s.loc["A", "p_best"] + s.loc["B", "p_best"] == pytest.approx(1.0)
    assert s.loc["A", "mean"] == pytest.approx(100, abs=4 * 30 / math.sqrt(N))
    assert s.loc["B", "p10"] == pytest.approx(80 + 40 * special.ndtri(0.1), abs=1.0)
    assert list(s.columns) == ["mean", "sd", "p10", "p50", "p90", "prob_positive", "p_best"]
    diff = cmp.difference.loc["B"]  # B - A ~ Normal(-20, 50)
    assert diff["mean"] == pytest.approx(-20, abs=4 * 50 / math.sqrt(N))
    assert diff["sd"] == pytest.approx(50, rel=0.02)
    assert diff["prob_better"] == pytest.approx(1 - p, abs=tol)
    assert cmp.shared == []
    # the same seed gives each option the trials its own simulation gives
    np.testing.assert_array_equal(cmp.samples["A"], a.simulate(N, 3).samples["value"])


def test_common_random_numbers_shrink_the_spread_of_the_difference():
    # A = d + e_a, B = d + e_b: sharing d the difference has sd sqrt(2) 10, drawing it
    # independently sqrt(2 (100^2 + 10^2)) = 142.1
    a = case({"d": normal(0, 100), "e_a": normal(5, 10)}, "d + e_a")
    b_shared = case({"d": normal(0, 100), "e_b": normal(0, 10)}, "d + e_b")
    b_indep = case({"d2": normal(0, 100), "e_b": normal(0, 10)}, "d2 + e_b")
    shared = compare({"ours": a, "theirs": b_shared}, trials=N, seed=1, baseline="theirs")
    indep = compare({"ours": a, "theirs": b_indep}, trials=N, seed=1, baseline="theirs")
    assert shared.shared == ["d"] and indep.shared == []
    sd_shared = shared.difference.loc["ours", "sd"]
    sd_indep = indep.difference.loc["ours", "sd"]
    assert sd_shared == pytest.approx(math.sqrt(2) * 10, rel=0.02)
    assert sd_indep == pytest.approx(math.sqrt(2 * (100**2 + 10**2)), rel=0.02)
    # P(ours better) = Phi(5 / (sqrt 2 10)) with common numbers: the sharp answer
    p = special.ndtr(5 / (math.sqrt(2) * 10))
    assert shared.difference.loc["ours", "prob_better"] == pytest.approx(p, abs=0.006)
    assert shared.difference.loc["ours", "se"] < sd_indep / math.sqrt(N) / 5


def test_status_quo_and_ties():
    sq = case({"zero": 0}, "zero", name="status quo")  # a case with no investment at all
    ours = case({"b": normal(1000, 100), "price": 900}, "b", "price", name="ours")
    cmp = compare({"status quo": sq, "ours": ours}, trials=N, seed=2)
    s = cmp.summary
    assert s.loc["status quo", "mean"] == 0 and s.loc["status quo", "p10"] == 0
    assert s.loc["ours", "p_best"] == pytest.approx(special.ndtr(1.0), abs=0.006)
    # two identical options share every draw: each is best half the time (ties shared)
    twin = compare({"a": ours, "b": ours}, trials=1000, seed=2).summary
    assert list(twin["p_best"]) == [0.5, 0.5]


def test_acceptability_curve_against_price():
    sq = case({"zero": 0}, "zero")
    ours = case({"b": normal(1000, 100), "price": 900}, "b", "price")
    options = {"status quo": sq, "ours": ours}
    prices = np.array([800.0, 900.0, 1000.0, 1100.0])
    curve = acceptability_curve(options, "ours", "price", prices, trials=N, seed=4)
    t = curve.summary
    assert list(t.columns) == ["status quo", "ours"]
    expected = special.ndtr((1000 - prices) / 100)  # P(B - price > 0)
    np.testing.assert_allclose(t["ours"], expected, atol=4 * math.sqrt(0.25 / N))
    np.testing.assert_allclose(t.sum(axis=1), 1.0)
    assert np.all(np.diff(t["ours"]) < 0)
    # each point is what compare() reports with the price set there (same trials)
    for x in (900.0, 1000.0):
        at = dict(options, ours=ours.with_assumption("price", x))
        assert t.loc[x, "ours"] == pytest.approx(
            compare(at, trials=N, seed=4).summary.loc["ours", "p_best"], abs=1e-12
        )


def test_three_options_curve_matches_compare():
    sq = case({"zero": 0}, "zero")
    ours = case({"demand": normal(1000, 100), "price": 900}, "demand", "price")
    comp = case({"demand": normal(1000, 100), "quality": normal(0.9, 0.05)},
                "demand * quality", "800")  # fmt: skip
    options = {"status quo": sq, "competitor": comp, "ours": ours}
    curve = acceptability_curve(options, "ours", "price", [850.0, 900.0], trials=20_000, seed=1)
    ref = compare(options, trials=20_000, seed=1).summary["p_best"]
    for name in options:
        assert curve.summary.loc[900.0, name] == pytest.approx(ref[name], abs=1e-12)


def test_compare_errors_and_plots():
    a = case({"a": normal(100, 30)}, "a")
    with pytest.raises(ValueCaseError, match="at least two options"):
        compare({"A": a})
    with pytest.raises(ValueCaseError, match="baseline 'C' is not an option"):
        compare({"A": a, "B": a}, baseline="C")
    with pytest.raises(ValueCaseError, match="option 'B' is not a ValueCase"):
        compare({"A": a, "B": 3})
    with pytest.raises(ValueCaseError, match="no assumption 'fee'"):
        acceptability_curve({"A": a, "B": a}, "A", "fee", [1.0])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cmp = compare({"A": a, "B": case({"zero": 0}, "zero")}, trials=2000)
    curve = acceptability_curve({"A": a, "B": a}, "A", "a", [90.0, 100.0], trials=2000)
    for obj in (cmp, curve):
        fig, ax = plt.subplots()
        assert obj.plot(ax=ax) is ax
        plt.close(fig)
