"""Distributions for value-case assumptions: moments against closed forms, fits, validation."""

import math
import pickle

import numpy as np
import pytest
from scipy import special, stats

from salesworkbench.errors import ValueCaseError
from salesworkbench.value import DISTRIBUTIONS, make_distribution

Z90 = stats.norm.ppf(0.9)


def pert_moments(a, m, c, lam=4.0):
    mean = (a + lam * m + c) / (lam + 2)
    alpha = 1 + lam * (m - a) / (c - a)
    beta = 1 + lam * (c - m) / (c - a)
    var = alpha * beta * (c - a) ** 2 / ((alpha + beta) ** 2 * (alpha + beta + 1))
    return mean, var


# PERT: mean (a + 4m + c)/6 (general lambda: (a + lambda m + c)/(lambda + 2)); with lambda = 4 the
# variance is (mu - a)(c - mu)/7. Worked values: pert(1, 2, 6) mean 2.5 var 0.75;
# pert(0, 5, 10) mean 5 var 25/7; pert(100, 150, 300) mean 166.67 var 1269.84;
# pert(0, 1, 10, lambda=2) mean 3 var 4.2.
@pytest.mark.parametrize(
    ("a", "m", "c", "lam", "mean", "var"),
    [
        (1, 2, 6, 4, 2.5, 0.75),
        (0, 5, 10, 4, 5.0, 25 / 7),
        (100, 150, 300, 4, 500 / 3, 1269.8412698412699),
        (0, 1, 10, 2, 3.0, 4.2),
    ],
)
def test_pert_moments_closed_form(a, m, c, lam, mean, var):
    spec = {"dist": "pert", "min": a, "mode": m, "max": c}
    if lam != 4:
        spec["lambda"] = lam
    d = make_distribution(spec, "x")
    assert d.mean() == pytest.approx(mean, rel=1e-12)
    assert d.sd() ** 2 == pytest.approx(var, rel=1e-12)
    assert (mean, var) == pytest.approx(pert_moments(a, m, c, lam), rel=1e-12)
    if lam == 4:
        assert var == pytest.approx((mean - a) * (c - mean) / 7, rel=1e-12)
    assert d.most_likely() == m
    # sampled mean within 4 Monte Carlo standard errors of the closed form
    n = 200_000
    x = d.rvs(n, np.random.default_rng(1))
    assert abs(x.mean() - mean) < 4 * math.sqrt(var / n)
    assert x.min() >= a and x.max() <= c


# Triangular: mean (a + m + c)/3, variance (a^2 + m^2 + c^2 - am - ac - mc)/18.
@pytest.mark.parametrize(
    ("a", "m", "c", "mean", "var"),
    [(1, 2, 6, 3.0, 7 / 6), (0, 5, 10, 5.0, 25 / 6), (0.0, 0.8, 1.0, 0.6, 0.04666666666666667)],
)
def test_triangular_moments_closed_form(a, m, c, mean, var):
    d = make_distribution({"dist": "triangular", "min": a, "mode": m, "max": c}, "x")
    assert d.mean() == pytest.approx(mean, rel=1e-12)
    assert d.sd() ** 2 == pytest.approx(var, rel=1e-12)
    assert (a + m + c) / 3 == pytest.approx(mean)
    n = 200_000
    x = d.rvs(n, np.random.default_rng(2))
    assert abs(x.mean() - mean) < 4 * math.sqrt(var / n)
    # the closed-form quantile function agrees with scipy's
    q = np.linspace(0.001, 0.999, 101)
    ref = stats.triang((m - a) / (c - a), loc=a, scale=c - a).ppf(q)
    np.testing.assert_allclose(d.ppf(q), ref, rtol=1e-12, atol=1e-12)


def test_fast_beta_quantiles_match_exact_inverse():
    # large arrays use UNU.RAN numerical inversion (u-resolution 1e-12); small ones betaincinv
    d = make_distribution({"dist": "pert", "min": 90_000, "mode": 100_000, "max": 120_000}, "u")
    q = np.random.default_rng(3).random(50_000)
    fast = d.ppf(q)
    a, b = d._beta_shapes
    u_back = special.betainc(a, b, (fast - 90_000) / 30_000)
    assert np.max(np.abs(u_back - q)) < 1e-10
    np.testing.assert_allclose(d.ppf(q[:100]), fast[:100], rtol=1e-7)


def test_uniform_normal_and_most_likely():
    u = make_distribution({"dist": "uniform", "min": 0.6, "max": 1.0}, "adoption")
    assert u.mean() == pytest.approx(0.8) and u.most_likely() == pytest.approx(0.8)
    assert u.sd() == pytest.approx(0.4 / math.sqrt(12))
    n = make_distribution({"dist": "normal", "mean": 2e6, "sd": 2e5}, "node_cost")
    assert n.most_likely() == 2e6
    np.testing.assert_allclose(n.ppf(np.array([0.1, 0.5])), [2e6 - Z90 * 2e5, 2e6])


def test_lognormal_from_p10_p90_and_from_mean_sd():
    d = make_distribution({"dist": "lognormal", "p10": 10.0, "p90": 40.0}, "x")
    np.testing.assert_allclose(d.ppf(np.array([0.1, 0.5, 0.9])), [10, 20, 40], rtol=1e-12)
    sigma = math.log(4) / (2 * Z90)
    assert d.most_likely() == pytest.approx(20 * math.exp(-(sigma**2)))
    d2 = make_distribution({"dist": "lognormal", "mean": 5.0, "sd": 2.0}, "y")
    assert d2.mean() == pytest.approx(5.0, rel=1e-12)
    assert d2.sd() == pytest.approx(2.0, rel=1e-12)


def test_beta_bernoulli_discrete():
    b = make_distribution({"dist": "beta", "alpha": 2, "beta": 6, "min": 0, "max": 10}, "x")
    assert b.mean() == pytest.approx(10 * 2 / 8)
    assert b.most_likely() == pytest.approx(10 * 1 / 6)
    br = make_distribution({"dist": "bernoulli", "p": 0.3}, "risk")
    q = np.array([0.0, 0.69, 0.7, 0.71, 0.999])
    np.testing.assert_array_equal(br.ppf(q), [0, 0, 0, 1, 1])
    assert br.mean() == pytest.approx(0.3) and br.sd() == pytest.approx(math.sqrt(0.21))
    assert br.most_likely() == 0.0
    dd = make_distribution({"dist": "discrete", "values": [3, 1, 2], "probs": [0.5, 0.2, 0.3]}, "x")
    assert dd.mean() == pytest.approx(3 * 0.5 + 0.2 + 0.6)
    assert dd.most_likely() == 3
    x = dd.rvs(100_000, np.random.default_rng(4))
    freq = [np.mean(x == v) for v in (1, 2, 3)]
    np.testing.assert_allclose(freq, [0.2, 0.3, 0.5], atol=0.006)  # 4 SE ~ 0.0063


def test_percentiles_fit():
    sym = make_distribution({"dist": "percentiles", "p10": 80, "p50": 100, "p90": 120}, "x")
    assert sym.frozen.dist.name == "norm"
    assert sym.sd() == pytest.approx(20 / Z90)
    for p10, p50, p90 in [(80, 100, 150), (50, 100, 110)]:  # right and left skew
        d = make_distribution({"dist": "percentiles", "p10": p10, "p50": p50, "p90": p90}, "x")
        np.testing.assert_allclose(d.ppf(np.array([0.1, 0.5, 0.9])), [p10, p50, p90], rtol=1e-10)
        assert d.most_likely() == p50 and d.median() == pytest.approx(p50)
        x = d.rvs(200_000, np.random.default_rng(5))
        np.testing.assert_allclose(np.percentile(x, [10, 50, 90]), [p10, p50, p90], rtol=0.01)
        assert abs(x.mean() - d.mean()) < 4 * d.sd() / math.sqrt(len(x))


def test_fixed_numeric_strings_and_bare_numbers():
    f = make_distribution({"dist": "fixed", "value": 22}, "arpu")
    assert f.is_fixed and f.mean() == 22 and f.sd() == 0
    np.testing.assert_array_equal(f.ppf(np.array([0.1, 0.9])), [22, 22])
    assert make_distribution(7, "x").is_fixed
    # YAML 1.1 reads 1e6 (no dot) as text: accepted as a number
    d = make_distribution({"dist": "normal", "mean": "1e6", "sd": "1e5"}, "x")
    assert d.mean() == 1e6


def test_same_rng_same_draws_and_pickle():
    d = make_distribution({"dist": "pert", "min": 1, "mode": 2, "max": 6}, "x")
    a = d.rvs(30_000, np.random.default_rng(9))
    b = pickle.loads(pickle.dumps(d)).rvs(30_000, np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"dist": "triangular", "min": 0.6, "mode": 0.55, "max": 0.7}, "min (0.6) must be <= mode"),
        ({"dist": "pert", "min": 1, "mode": 5, "max": 4}, "mode (5) must be <= max (4)"),
        ({"dist": "pert", "min": 1, "mode": 1, "max": 1}, "min (1) must be < max (1)"),
        ({"dist": "pert", "min": 1, "mode": 2, "max": 3, "lambda": 0}, "lambda (0) must be > 0"),
        ({"dist": "uniform", "min": 2, "max": 1}, "min (2) must be < max (1)"),
        ({"dist": "normal", "mean": 1, "sd": 0}, "sd (0) must be > 0"),
        ({"dist": "normal", "mean": 1, "sd": -1}, "sd (-1) must be > 0"),
        ({"dist": "normal", "mean": 1}, "missing key 'sd'"),
        ({"dist": "cauchy", "a": 1}, "unknown dist 'cauchy'"),
        ({"min": 1, "max": 2}, "missing key 'dist'"),
        ({"dist": "normal", "mean": "abc", "sd": 1}, "'mean' must be a number, got 'abc'"),
        ({"dist": "normal", "mean": True, "sd": 1}, "'mean' must be a number"),
        ({"dist": "normal", "mean": float("nan"), "sd": 1}, "'mean' must be a finite number"),
        ({"dist": "pert", "min": 1, "mode": 2, "max": 3, "sd": 1}, "key 'sd' does not apply"),
        ({"dist": "lognormal", "p10": 0, "p90": 3}, "p10 (0) must be > 0"),
        ({"dist": "lognormal", "p10": 5, "p90": 3}, "p10 (5) must be < p90 (3)"),
        ({"dist": "lognormal", "mean": -1, "sd": 3}, "mean (-1) must be > 0"),
        ({"dist": "lognormal"}, "missing key 'p10'"),
        ({"dist": "lognormal", "p10": 1, "p90": 3, "mean": 2}, "either p10 and p90 or mean"),
        ({"dist": "beta", "alpha": 0, "beta": 2}, "alpha (0) must be > 0"),
        ({"dist": "bernoulli", "p": 1.5}, "p (1.5) must be between 0 and 1"),
        ({"dist": "discrete", "values": [1, 2], "probs": [0.5, 0.6]}, "'probs' sum to 1.1, not 1"),
        ({"dist": "discrete", "values": [1, 2], "probs": [1.0]}, "'values' has 2 entries"),
        ({"dist": "discrete", "values": [1, "x"], "probs": [0.5, 0.5]}, "'values'[1] must be"),
        ({"dist": "discrete", "values": [1, 2], "probs": [1.5, -0.5]}, "must not be negative"),
        ({"dist": "percentiles", "p10": 5, "p50": 4, "p90": 9}, "p10 (5) must be < p50 (4)"),
        ("pert", "expected a mapping"),
    ],
)
def test_bad_specs_name_assumption_and_key(spec, fragment):
    with pytest.raises(ValueCaseError) as err:
        make_distribution(spec, "margin")
    msg = str(err.value)
    assert msg.startswith("assumption 'margin'")
    assert fragment in msg


def test_exact_message_from_the_brief():
    with pytest.raises(ValueCaseError, match=r"^assumption 'margin': min \(0\.6\) must be <= mode"):
        make_distribution({"dist": "triangular", "min": 0.6, "mode": 0.55, "max": 0.8}, "margin")


def test_every_kind_is_documented_and_buildable():
    examples = {
        "fixed": {"value": 1},
        "uniform": {"min": 0, "max": 1},
        "triangular": {"min": 0, "mode": 0.5, "max": 1},
        "pert": {"min": 0, "mode": 0.5, "max": 1},
        "normal": {"mean": 0, "sd": 1},
        "lognormal": {"p10": 1, "p90": 2},
        "beta": {"alpha": 2, "beta": 3},
        "bernoulli": {"p": 0.5},
        "discrete": {"values": [1, 2], "probs": [0.5, 0.5]},
        "percentiles": {"p10": 1, "p50": 2, "p90": 4},
        "gamma": {"shape": 2, "scale": 3},
        "weibull": {"shape": 1.5, "scale": 2},
        "mixture": {"components": [{"dist": "normal", "mean": 0, "sd": 1}]},
        "pooled": {"judgements": [{"p10": 1, "p50": 2, "p90": 4}]},
    }
    assert set(examples) == set(DISTRIBUTIONS)
    for kind, params in examples.items():
        d = make_distribution({"dist": kind, **params}, "x")
        x = d.ppf(np.array([0.05, 0.5, 0.95]))
        assert np.all(np.diff(x) >= 0), kind
        assert np.isfinite(d.mean()) and np.isfinite(d.sd()) and np.isfinite(d.most_likely())


def test_skewed_pert_uses_the_exact_inverse(monkeypatch):
    """A PERT with a beta shape at or below 2 (here 4.2, 1.8) never goes through UNU.RAN.

    UNU.RAN's set-up for such shapes can run for a minute and then fail (seen when a widget
    moved a range so the mode sat near its edge); those draws use scipy's exact inverse.
    """
    import numpy as np
    from scipy import special

    import salesworkbench.value.distributions as D

    def refuse(a, b):
        raise AssertionError(f"UNU.RAN set up for shapes ({a}, {b})")

    monkeypatch.setattr(D, "_make_pinv", refuse)
    dist = D.make_distribution({"dist": "pert", "min": 22, "mode": 26, "max": 27}, "arpu")
    q = np.random.default_rng(0).random(D._PINV_MIN_SIZE)
    a, b = dist._beta_shapes
    assert (a, b) == pytest.approx((4.2, 1.8))
    expected = 22 + 5 * special.betaincinv(a, b, q)
    assert np.allclose(dist.ppf(q), expected, rtol=0, atol=1e-12)
