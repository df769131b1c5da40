"""Break-even, walk-away and stress tests against closed forms (value.negotiation)."""

import math

import numpy as np
import pytest
from scipy import special, stats

from salesworkbench.datasets import data_path
from salesworkbench.errors import ValueCaseError
from salesworkbench.value import (
    ValueCase,
    break_even,
    common_draws,
    plausible_range,
    stress,
    stress_table,
    walk_away,
)

N = 100_000


def make_case(assumptions, benefits, investments=(), **kw):
    d = {
        "name": kw.pop("name", "test"),
        "currency": kw.pop("currency", "GBP"),
        "horizon_years": kw.pop("horizon_years", 1),
        "assumptions": assumptions,
        "benefits": [{"name": f"b{i}", "formula": f} for i, f in enumerate(benefits)],
        "investments": [{"name": f"i{i}", "formula": f} for i, f in enumerate(investments)],
        **kw,
    }
    return ValueCase.from_dict(d)


@pytest.fixture(scope="module")
def telecom():
    return ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml"))


# ------------------------------------------------------------------ common random numbers
def test_common_draws_are_the_simulations_trials(telecom):
    d = common_draws(telecom, 30_000, seed=3, chunk_size=8192)
    s = telecom.sample(30_000, seed=3, chunk_size=8192)
    for name in telecom.names:
        np.testing.assert_array_equal(np.broadcast_to(d.values[name], (30_000,)), s[name])
    sim = telecom.simulate(30_000, seed=3, chunk_size=8192)
    for out in ("value", "npv", "roi", "total_benefits"):
        np.testing.assert_allclose(d.outputs(out), sim.samples[out], rtol=1e-12)
    # the uniforms give the draws through each quantile function
    u = d.uniforms["users"]
    np.testing.assert_allclose(telecom.assumptions["users"].dist.ppf(u), d.values["users"])


def test_output_grid_matches_one_value_at_a_time(telecom):
    d = common_draws(telecom, 5000, seed=1)
    xs = np.array([0.5, 0.7, 0.9])
    g = d.output_grid("adoption", xs, "npv")
    assert g.shape == (3, 5000)
    for i, x in enumerate(xs):
        np.testing.assert_allclose(g[i], d.output_at("adoption", x, "npv"), rtol=1e-12)
        vals = {**d.values, "adoption": x}
        np.testing.assert_allclose(g[i], telecom.evaluate(vals)["npv"], rtol=1e-12)


# ------------------------------------------------------------------ break-even
def linear_case():
    # value = volume * (price - 40) - 60,000: with E[volume] = 1000 the hand break-even price is
    # 40 + 60,000 / 1000 = 100
    return make_case(
        {
            "price": {"dist": "uniform", "min": 50, "max": 150, "unit": "GBP"},
            "volume": {"dist": "normal", "mean": 1000, "sd": 100},
        },
        ["volume * (price - 40)"],
        ["60000"],
    )


def test_break_even_of_a_linear_case_is_the_hand_value():
    case = linear_case()
    be = break_even(case, "price", trials=N, seed=7)
    assert be.found and len(be.roots) == 1
    # on the common numbers the root is exact for the sample mean of volume ...
    vbar = common_draws(case, N, 7).values["volume"].mean()
    assert be.value == pytest.approx(40 + 60_000 / vbar, rel=1e-9)
    # ... and the population hand value 100 is within 4 standard errors (se ~ 0.019)
    assert abs(be.value - 100.0) < 4 * be.se
    # sd of the value at 100 is 60 sd(volume) = 6000, over sqrt(n), over the slope 1000
    assert be.se == pytest.approx(60 * 100 / 1000 / math.sqrt(N), rel=0.05)
    assert be.slope == pytest.approx(vbar, rel=1e-6)  # d mean value / d price = E[volume]
    # the case loses below 100: P(price < 100) under Uniform(50, 150) is 0.5
    assert be.prob_worse == pytest.approx(0.5, abs=0.001)
    assert be.summary.loc["price", "loses_when"] == "below"
    assert be.sentence == "the case breaks even at price of GBP 100"


def test_break_even_without_root_says_so():
    case = linear_case()
    be = break_even(case, "volume", trials=20_000, seed=1)  # price ~ 100 on average: E = 0 ...
    case2 = case.with_assumption("price", {"dist": "uniform", "min": 150, "max": 160})
    be = break_even(case2, "volume", trials=20_000, seed=1)
    assert not be.found and math.isnan(be.value)
    assert "no break-even for volume" in be.message and "plausible range" in be.message
    assert be.sentence == be.message
    lo, hi = plausible_range(case2, "volume")
    assert (lo, hi) == pytest.approx(
        (1000 + 100 * special.ndtri(0.001), 1000 - 100 * special.ndtri(0.001))
    )


def test_break_even_of_a_fixed_assumption_widens_the_range():
    case = make_case({"b": {"dist": "normal", "mean": 1000, "sd": 100}, "fee": 100}, ["b"], ["fee"])
    be = break_even(case, "fee", trials=20_000, seed=2)
    d = common_draws(case, 20_000, 2)
    assert be.found and be.value == pytest.approx(d.values["b"].mean(), rel=1e-9)
    assert math.isnan(be.prob_worse)
    assert be.bounds[1] >= be.value


def test_break_even_notes_a_dropped_correlation(telecom):
    be = break_even(telecom, "adoption", bounds=(0.0, 1.0), trials=20_000, seed=1)
    assert be.found and 0.3 < be.value < 0.45
    assert "arpu_after" in be.note
    with pytest.raises(ValueCaseError, match="no assumption 'adoptoin'"):
        break_even(telecom, "adoptoin")
    with pytest.raises(ValueCaseError, match="unknown output 'profit'"):
        break_even(telecom, "adoption", output="profit")


# ------------------------------------------------------------------ walk-away
def price_case(price=900.0):
    # value = B - price, B ~ Normal(1000, 100)
    return make_case(
        {
            "benefit": {"dist": "normal", "mean": 1000, "sd": 100, "unit": "GBP"},
            "price": {"dist": "fixed", "value": price, "unit": "GBP"},
        },  # fmt: skip
        ["benefit"],
        ["price"],
    )


def test_walk_away_closed_form():
    case = price_case()
    wa = walk_away(case, "price", target=0.8, trials=N, seed=11)
    hand = 1000 + 100 * special.ndtri(0.2)  # 1000 - 0.8416 * 100 = 915.84
    assert wa.found and wa.direction == -1
    # standard error of the 20% quantile: sqrt(0.8 * 0.2 / n) / density there (~0.45)
    se = math.sqrt(0.16 / N) / stats.norm.pdf(hand, 1000, 100)
    assert wa.se == pytest.approx(se, rel=0.3)
    assert abs(wa.value - hand) < 4 * se
    # on the common numbers it is the 20% quantile of the benefit draws (to a data gap)
    b = common_draws(case, N, 11).values["benefit"]
    assert wa.value == pytest.approx(np.quantile(b, 0.2), abs=0.05)
    assert wa.sentence == "at price above GBP 916 the chance of positive value falls below 80%"


def test_walk_away_floor_and_other_targets():
    case = price_case()
    # on an uncertain assumption: P(value > 0) rises with the benefit, so the answer is a floor
    wa = walk_away(case, "benefit", target=0.5, bounds=(500, 1500), trials=20_000, seed=1)
    assert wa.direction == 1 and wa.value == pytest.approx(900, abs=1e-6)
    assert "below GBP 900" in wa.sentence
    for t in (0.5, 0.95):
        w = walk_away(case, "price", target=t, trials=N, seed=5)
        assert abs(w.value - (1000 + 100 * special.ndtri(1 - t))) < 4 * w.se + 1e-9


def test_walk_away_refuses_a_non_monotone_relation():
    # value = B - 900 - (price - 950)^2 / 10: P(value > 0) rises to 84% at 950, then falls
    case = make_case(
        {"benefit": {"dist": "normal", "mean": 1000, "sd": 100}, "price": 950},
        ["benefit"],
        ["900 + (price - 950) ** 2 / 10"],
    )
    with pytest.raises(ValueCaseError, match="not monotone in price") as exc:
        walk_away(case, "price", bounds=(850, 1050), trials=20_000, seed=1)
    assert "no single walk-away value" in str(exc.value)
    # one side of the turn is fine
    wa = walk_away(case, "price", bounds=(950, 1050), target=0.5, trials=20_000, seed=1)
    assert wa.found and wa.value == pytest.approx(950 + math.sqrt(1000), abs=2)


def test_walk_away_target_not_reached_says_where():
    case = price_case()
    wa = walk_away(case, "price", target=0.8, bounds=(0, 500), trials=10_000, seed=1)
    assert not wa.found and "stays above 80%" in wa.message
    with pytest.raises(ValueCaseError, match="target must be a probability"):
        walk_away(case, "price", target=1.2)


# ------------------------------------------------------------------ stress
def test_stressed_uniform_bottom_decile_has_mean_half():
    case = make_case({"u": {"dist": "uniform", "min": 0, "max": 10}}, ["u"])
    st = stress(case, "u", 0.0, 0.1, trials=N, seed=4)
    se = (1 / math.sqrt(12)) / math.sqrt(st.band_trials)  # sd of U(0, 1) over sqrt(n)
    assert abs(st.summary.loc["value", "mean"] - 0.5) < 4 * se
    assert st.input_range == (0.0, 1.0)
    assert abs(st.band_trials - 0.1 * N) < 4 * math.sqrt(N * 0.09)
    assert st.stressed.max() < 1.0 and st.summary.loc["value", "p50"] == pytest.approx(
        0.5, abs=0.02
    )
    assert st.baseline.loc["value", "mean"] == pytest.approx(5.0, abs=0.05)
    top = stress(case, "u", 0.9, 1.0, trials=N, seed=4)
    assert top.summary.loc["value", "mean"] == pytest.approx(9.5, abs=0.02)


def test_stress_keeps_correlated_partners_moving():
    # x, y standard normal with Spearman 0.6: Pearson r = 2 sin(pi 0.6 / 6) of the normal
    # scores, so E[y | x in its bottom decile] = -r phi(z_0.1) / 0.1 (Gaussian copula)
    case = make_case(
        {"x": {"dist": "normal", "mean": 0, "sd": 1}, "y": {"dist": "normal", "mean": 0, "sd": 1}},
        ["y"],
        correlations=[["x", "y", 0.6]],
    )
    r = 2 * math.sin(math.pi * 0.6 / 6)
    z = special.ndtri(0.1)
    expected = -r * stats.norm.pdf(z) / 0.1
    st = stress(case, "x", 0.0, 0.1, trials=N, seed=8)
    assert st.summary.loc["value", "mean"] == pytest.approx(expected, abs=0.04)
    # with the correlation off the stress of x leaves y alone
    free = make_case(
        {"x": {"dist": "normal", "mean": 0, "sd": 1}, "y": {"dist": "normal", "mean": 0, "sd": 1}},
        ["y"],
    )
    assert abs(stress(free, "x", trials=N, seed=8).summary.loc["value", "mean"]) < 0.04


def test_stress_table_ranks_the_worst_tail_first(telecom):
    table = stress_table(telecom, trials=50_000, seed=2)
    s = table.summary
    uncertain = [n for n, a in telecom.assumptions.items() if not a.dist.is_fixed]
    assert len(s) == 2 * len(uncertain)
    assert list(s["delta_prob"]) == sorted(s["delta_prob"])
    worst = s.iloc[0]
    assert worst["band"] == "bottom 10%" and worst["assumption"] in ("adoption", "arpu_after")
    # each row is stress() on the same trials
    one = stress(telecom, worst["assumption"], 0.0, 0.1, trials=50_000, seed=2)
    assert worst["prob_positive"] == pytest.approx(one.summary.loc["value", "prob_positive"])
    assert worst["mean"] == pytest.approx(one.summary.loc["value", "mean"])
    sim = telecom.simulate(50_000, seed=2)
    assert table.baseline["prob_positive"] == pytest.approx(sim.prob_positive())
    with pytest.raises(ValueCaseError, match="'arpu_before' is fixed"):
        stress(telecom, "arpu_before")
    with pytest.raises(ValueCaseError, match="quantile band"):
        stress(telecom, "adoption", 0.5, 0.2)


# ------------------------------------------------------------------ the statement
def test_statement_quotes_break_even_and_walk_away(telecom):
    case = telecom.with_assumption("node_cost", {"dist": "fixed", "value": 2.0e6})
    be = break_even(case, "adoption", bounds=(0, 1), trials=20_000, seed=1)
    wa = walk_away(case, "node_cost", 0.8, trials=20_000, seed=1)
    text = case.value_statement(break_even=be, walk_away=wa)
    assert "At the negotiating table: the case breaks even at adoption of 3" in text
    assert "at node cost above GBP 3." in text
    assert "the chance of positive value falls below 80%." in text
    assert "At the negotiating table" not in case.value_statement()
    other = make_case({"u": {"dist": "uniform", "min": 0, "max": 1}}, ["u"], ["1"], name="other")
    with pytest.raises(ValueError, match="cannot go into the statement"):
        other.value_statement(break_even=be)


def test_negotiation_plots(telecom):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    case = telecom.with_assumption("node_cost", {"dist": "fixed", "value": 2.0e6})
    for obj in (
        break_even(case, "adoption", bounds=(0, 1), trials=5000),
        walk_away(case, "node_cost", trials=5000),
        stress(case, "adoption", trials=5000),
        stress_table(case, trials=5000),
    ):
        fig, ax = plt.subplots()
        assert obj.plot(ax=ax) is ax
        plt.close(fig)


def test_walk_away_never_searches_a_negative_price():
    # issue 20: on the fleet case a 90% target could not be met at any price; widening the
    # search range of the (fixed, positive) price went below 0 and reported a negative price
    from salesworkbench.value import ValueCase, walk_away

    case = ValueCase.from_dict(
        {
            "name": "thin",
            "currency": "EUR",
            "assumptions": {
                "gain": {"dist": "normal", "mean": 10.0, "sd": 100.0},
                "price": {"dist": "fixed", "value": 50.0, "unit": "EUR"},
            },
            "benefits": [{"name": "b", "formula": "gain", "years": [1]}],
            "investments": [{"name": "i", "formula": "price", "year": 0}],
        }
    )
    wa = walk_away(case, "price", target=0.9, trials=4_000, seed=1)
    assert not wa.found and min(wa.curve["x"]) >= 0
    assert "EUR 0" in wa.message or "0 to" in wa.message
