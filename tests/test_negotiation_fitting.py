"""Distributions fitted to data, experts' judgements pooled, and their YAML (fitting, experts)."""

import math

import numpy as np
import pytest
import yaml
from scipy import stats

from salesworkbench.errors import ValueCaseError
from salesworkbench.value import (
    FIT_CANDIDATES,
    ValueCase,
    fit_distribution,
    make_distribution,
    pool_experts,
)

JUDGEMENTS = {
    "customer": {"p10": 0.40, "p50": 0.55, "p90": 0.70},
    "consultant": {"p10": 0.60, "p50": 0.70, "p90": 0.90},
    "reference customer": {"p10": 0.50, "p50": 0.75, "p90": 0.85},
}


# ------------------------------------------------------------------ fitting
def test_lognormal_data_is_fitted_best_by_the_lognormal_within_2pc():
    mu, sigma = math.log(5000), 0.4
    x = np.random.default_rng(12).lognormal(mu, sigma, 20_000)
    fit = fit_distribution(x, name="monthly_savings")
    assert fit.best == "lognormal"
    assert set(fit.summary.index) == set(FIT_CANDIDATES)
    assert list(fit.summary["aic"]) == sorted(fit.summary["aic"])
    spec = fit.spec()
    mean, sd = (
        math.exp(mu + sigma**2 / 2),
        math.exp(mu + sigma**2 / 2) * math.sqrt(math.expm1(sigma**2)),
    )
    assert spec["dist"] == "lognormal"
    assert spec["mean"] == pytest.approx(mean, rel=0.02)
    assert spec["sd"] == pytest.approx(sd, rel=0.02)
    d = fit.distribution()
    assert d.frozen.args[0] == pytest.approx(sigma, rel=0.02)  # log-sd
    assert math.log(d.frozen.kwds["scale"]) == pytest.approx(mu, rel=0.02)
    row = fit.summary.loc["lognormal"]
    assert row["ks_pvalue"] > 0.01 and row["delta_aic"] == 0
    n = len(x)
    assert row["bic"] - row["aic"] == pytest.approx(row["k"] * (math.log(n) - 2))
    logpdf = stats.lognorm.logpdf(x, *d.frozen.args, **d.frozen.kwds)
    assert row["loglik"] == pytest.approx(np.sum(logpdf))


def test_gamma_and_normal_data_and_bounded_fits():
    x = np.random.default_rng(3).gamma(3.0, 2.0, 20_000)
    fit = fit_distribution(x)
    assert fit.best == "gamma"
    assert fit.spec()["shape"] == pytest.approx(3.0, rel=0.03)
    assert fit.spec()["scale"] == pytest.approx(2.0, rel=0.03)
    y = np.random.default_rng(4).normal(-5, 2, 5000)  # negative: no lognormal, gamma, weibull
    fy = fit_distribution(y)
    assert fy.best == "normal"
    assert set(fy.skipped) == {"lognormal", "gamma", "weibull"}
    assert "positive data" in fy.skipped["lognormal"]
    # a PERT sample: the PERT fit finds its mode
    z = make_distribution({"dist": "pert", "min": 0, "mode": 3, "max": 10}, "z").rvs(
        20_000, np.random.default_rng(5)
    )
    fz = fit_distribution(z, candidates=["pert", "triangular", "beta"])
    assert fz.spec("pert")["mode"] == pytest.approx(3.0, abs=0.15)
    assert fz.spec("pert")["min"] < z.min() and fz.spec("pert")["max"] > z.max()
    assert fz.summary.loc["beta", "k"] == 4 and fz.summary.loc["pert", "k"] == 3


def test_fit_goes_straight_into_a_case(tmp_path):
    x = np.random.default_rng(7).lognormal(math.log(20_000), 0.3, 500)
    fit = fit_distribution(x, name="savings")
    case = ValueCase.from_dict(
        {
            "assumptions": {"savings": fit.spec()},
            "benefits": [{"name": "savings", "formula": "savings * 12"}],
            "investments": [{"name": "fee", "formula": "100000"}],
        }
    )
    path = tmp_path / "case.yaml"
    case.to_yaml(path)
    back = ValueCase.from_yaml(path)
    assert back.assumptions["savings"].to_spec() == fit.spec()
    sim = back.simulate(50_000, seed=1)
    assert sim.samples["savings"].mean() == pytest.approx(fit.spec()["mean"], rel=0.01)


def test_tiny_samples_are_refused_with_advice():
    with pytest.raises(ValueCaseError, match="only 6 values - too few") as exc:
        fit_distribution([1, 2, 3, 4, 5, 6], name="savings")
    assert "pool_experts" in str(exc.value) and "percentiles" in str(exc.value)
    with pytest.raises(ValueCaseError, match="every value is 3"):
        fit_distribution([3.0] * 20)
    with pytest.raises(ValueCaseError, match="unknown candidate 'cauchy'"):
        fit_distribution(np.arange(20.0), candidates=["cauchy"])


def test_fit_plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit = fit_distribution(np.random.default_rng(1).gamma(2, 1, 300))
    fig, (a, b) = plt.subplots(1, 2)
    assert fit.plot(ax=a) is a and fit.plot_qq(ax=b) is b
    plt.close(fig)


# ------------------------------------------------------------------ pooling
@pytest.mark.parametrize(
    "weights", [None, {"customer": 1, "consultant": 2, "reference customer": 1}]
)
def test_pooled_cdf_is_the_mean_of_the_experts_cdfs(weights):
    pool = pool_experts(JUDGEMENTS, weights)
    w = np.array([1, 1, 1] if weights is None else [1, 2, 1], float)
    w /= w.sum()
    experts = [make_distribution({"dist": "percentiles", **j}, e) for e, j in JUDGEMENTS.items()]
    x = np.array([0.3, 0.45, 0.55, 0.62, 0.7, 0.8, 0.95])
    expected = sum(wi * d.cdf(x) for wi, d in zip(w, experts, strict=True))
    np.testing.assert_allclose(pool.cdf(x), expected, atol=1e-14)
    # each expert's own distribution honours their P10/P50/P90
    for d, j in zip(experts, JUDGEMENTS.values(), strict=True):
        np.testing.assert_allclose(d.cdf(np.array([j["p10"], j["p50"], j["p90"]])),
                                   [0.1, 0.5, 0.9], atol=1e-12)  # fmt: skip
    # the quantiles invert the pooled CDF; the moments are the mixture's
    q = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose(pool.cdf(pool.ppf(q)), q, atol=1e-10)
    mean = sum(wi * d.mean() for wi, d in zip(w, experts, strict=True))
    second = sum(wi * (d.sd() ** 2 + d.mean() ** 2) for wi, d in zip(w, experts, strict=True))
    assert pool.distribution.mean() == pytest.approx(mean, rel=1e-12)
    assert pool.distribution.sd() == pytest.approx(math.sqrt(second - mean**2), rel=1e-12)
    draws = pool.distribution.rvs(200_000, np.random.default_rng(2))
    assert draws.mean() == pytest.approx(mean, abs=4 * pool.distribution.sd() / math.sqrt(2e5))
    s = pool.summary
    assert list(s.index) == [*JUDGEMENTS, "pooled"]
    assert s.loc["customer", "p50"] == pytest.approx(0.55)
    assert s.loc["pooled", "weight"] == 1.0 and s["weight"].iloc[:3].sum() == pytest.approx(1)
    # the general mixture spec is the same distribution
    mix = make_distribution(pool.mixture_spec, "m")
    np.testing.assert_allclose(mix.cdf(x), expected, atol=1e-14)


def test_a_case_records_judgements_and_pools_them_reproducibly(tmp_path):
    pool = pool_experts(JUDGEMENTS, {"customer": 2, "consultant": 1, "reference customer": 1})
    case = ValueCase.from_dict(
        {
            "name": "pooled",
            "assumptions": {"adoption": {**pool.spec, "unit": "share of users"}, "users": 1000},
            "benefits": [{"name": "b", "formula": "users * adoption * 100"}],
            "investments": [{"name": "fee", "formula": "50000"}],
        }
    )
    path = tmp_path / "pooled.yaml"
    case.to_yaml(path)
    text = path.read_text()
    assert "judgements:" in text and "reference customer" in text and "weight: 2.0" in text
    back = ValueCase.from_yaml(path)
    assert back.assumptions["adoption"].to_spec() == case.assumptions["adoption"].to_spec()
    a, b = case.simulate(20_000, seed=5), back.simulate(20_000, seed=5)
    np.testing.assert_array_equal(a.samples["value"], b.samples["value"])
    assert "pooled from 3 judgements (customer, consultant, reference customer)" in (
        back.describe_assumption("adoption")
    )
    assert yaml.safe_load(text)["assumptions"]["adoption"]["dist"] == "pooled"


@pytest.mark.parametrize(
    ("judgement", "message"),
    [
        ({"expert": "cfo", "p10": 5, "p50": 3, "p90": 9},
         "'adoption, expert cfo': p10 (5) must be < p50"),
        ({"expert": "cfo", "p10": 1, "p50": 3}, "'adoption, expert cfo': missing key 'p90'"),
        ({"expert": "cfo", "p10": 1, "p50": 3, "p90": 9, "confidence": 0.9},
         "unknown key 'confidence' in a judgement"),
        ({"expert": "cfo", "p10": 1, "p50": 3, "p90": 9, "weight": -1}, "must not be negative"),
    ],
)  # fmt: skip
def test_bad_judgements_name_the_expert_and_key(judgement, message):
    spec = {"dist": "pooled", "judgements": [{"expert": "us", "p10": 1, "p50": 2, "p90": 3,
                                              "weight": 1}, judgement]}  # fmt: skip
    if "weight" not in judgement:
        spec["judgements"][0].pop("weight")
    with pytest.raises(ValueCaseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ValueCase.from_dict(
            {"assumptions": {"adoption": spec}, "benefits": [{"name": "b", "formula": "adoption"}]}
        )


def test_pool_experts_errors_and_plot():
    with pytest.raises(ValueCaseError, match="weight for unknown expert 'cfo'"):
        pool_experts(JUDGEMENTS, {"cfo": 1})
    with pytest.raises(ValueCaseError, match="no weight for expert 'consultant'"):
        pool_experts(JUDGEMENTS, {"customer": 1, "reference customer": 1})
    with pytest.raises(ValueCaseError, match="2 weights for 3 judgements"):
        pool_experts(JUDGEMENTS, [1, 2])
    with pytest.raises(ValueCaseError, match="give a 'weight' for every judgement or for none"):
        make_distribution(
            {"dist": "pooled", "judgements": [{"p10": 1, "p50": 2, "p90": 3, "weight": 1},
                                              {"p10": 1, "p50": 2, "p90": 4}]}, "x")  # fmt: skip
    with pytest.raises(ValueCaseError, match="expert 'a' is listed twice"):
        pool_experts([{"expert": "a", "p10": 1, "p50": 2, "p90": 3}] * 2)
    with pytest.raises(ValueCaseError, match="a mixture component must be one of"):
        make_distribution({"dist": "mixture", "components": [{"dist": "fixed", "value": 1}]}, "m")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pool = pool_experts(JUDGEMENTS)
    fig, (a, b) = plt.subplots(1, 2)
    assert pool.plot(ax=a) is a and pool.plot(ax=b, kind="pdf") is b
    plt.close(fig)


def test_a_share_is_fitted_by_a_beta_on_zero_one():
    x = np.random.default_rng(9).beta(3.0, 5.0, 20_000)
    fit = fit_distribution(x)
    assert fit.best == "beta" and fit.summary.loc["beta", "k"] == 2
    assert fit.spec() == {"dist": "beta", "alpha": pytest.approx(3.0, rel=0.03),
                          "beta": pytest.approx(5.0, rel=0.03)}  # fmt: skip
