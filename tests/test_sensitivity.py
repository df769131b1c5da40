"""Sensitivity analysis against closed forms and published values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesworkbench.errors import ValueCaseError
from salesworkbench.value import ValueCase, convergence, rank_correlation, sobol, spider, tornado

Z90 = stats.norm.ppf(0.9)  # 1.2816

# Ishigami (a=7, b=0.1, x ~ U(-pi, pi)); closed forms from Ishigami & Homma (1990),
# Saltelli et al. (2008), as in SALib's and scipy's tests.
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]
U_PI = {"dist": "uniform", "min": -np.pi, "max": np.pi}


def ishigami(x):
    return np.sin(x["x1"]) + 7 * np.sin(x["x2"]) ** 2 + 0.1 * x["x3"] ** 4 * np.sin(x["x1"])


def linear_case(sign: str = "+", correlations=None) -> ValueCase:
    """value = npv = 3 x (+/-) 2 y - 400 with x ~ N(100, 10), y ~ N(50, 20)."""
    return ValueCase.from_dict(
        {
            "name": "Linear test case",
            "customer": "Test Co",
            "currency": "GBP",
            "horizon_years": 1,
            "discount_rate": 0.0,
            "statement": {"goal": "g", "capability": "c", "as_a_result_of": "r"},
            "assumptions": {
                "x": {"dist": "normal", "mean": 100, "sd": 10},
                "y": {"dist": "normal", "mean": 50, "sd": 20},
                "k": {"dist": "fixed", "value": 3},
            },
            "correlations": correlations or [],
            "benefits": [{"name": "b", "formula": f"k * x {sign} 2 * y", "years": [1]}],
            "investments": [{"name": "i", "formula": "400", "year": 0}],
        }
    )


def case_y():
    return {"dist": "normal", "mean": 50, "sd": 20}


# ---------------------------------------------------------------------------- Sobol
def test_sobol_ishigami_matches_closed_form_within_0_03():
    res = sobol(ishigami, {"x1": U_PI, "x2": U_PI, "x3": U_PI}, n=2**13, seed=0)
    assert list(res.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    assert list(res.index) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(res["S1"], ISHIGAMI_S1, atol=0.03)
    np.testing.assert_allclose(res["ST"], ISHIGAMI_ST, atol=0.03)
    # the intervals are real intervals and cover the truth here
    assert (res["S1_conf"] > 0).all() and (res["ST_conf"] > 0).all()
    assert (np.abs(res["S1"] - ISHIGAMI_S1) <= 2 * res["S1_conf"]).all()
    assert res.attrs["evaluations"] == 2**13 * 5


def test_sobol_accepts_scipy_distributions_and_mapping_outputs():
    u = stats.uniform(-np.pi, 2 * np.pi)

    def model(x):
        return {"f": ishigami(x), "g": x["x1"]}

    res = sobol(model, {"x1": u, "x2": u, "x3": u}, output="g", n=2**10)
    np.testing.assert_allclose(res["S1"], [1, 0, 0], atol=0.02)
    np.testing.assert_allclose(res["ST"], [1, 0, 0], atol=0.02)
    with pytest.raises(ValueCaseError, match="'nope'"):
        sobol(model, {"x1": u, "x2": u, "x3": u}, output="nope", n=2**10)


def test_sobol_same_seed_same_result_other_seed_differs():
    inputs = {"x1": U_PI, "x2": U_PI, "x3": U_PI}
    a = sobol(ishigami, inputs, n=2**10, seed=3)
    b = sobol(ishigami, inputs, n=2**10, seed=3)
    c = sobol(ishigami, inputs, n=2**10, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["S1"], c["S1"])


def test_sobol_fixed_inputs_get_zero_not_nan():
    inputs = {"x1": U_PI, "c": {"dist": "fixed", "value": 2.0}, "x2": U_PI, "x3": U_PI}

    def model(x):
        return ishigami(x) * x["c"] / 2.0

    res = sobol(model, inputs, n=2**12)
    assert not res.isna().any().any()
    assert res.loc["c"].tolist() == [0.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(res.loc[["x1", "x2", "x3"], "S1"], ISHIGAMI_S1, atol=0.03)
    # everything fixed: a constant output has no variance to share out
    only_fixed = sobol(lambda x: x["c"] * 2, {"c": {"dist": "fixed", "value": 1.0}}, n=2**4)
    assert only_fixed.loc["c"].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_sobol_linear_case_matches_variance_shares():
    case = linear_case()
    res = sobol(case, n=2**12, output="value")
    var_x, var_y = (3 * 10) ** 2, (2 * 20) ** 2
    expect = {"x": var_x / (var_x + var_y), "y": var_y / (var_x + var_y), "k": 0.0}
    for name, share in expect.items():
        assert res.loc[name, "S1"] == pytest.approx(share, abs=0.03)
        assert res.loc[name, "ST"] == pytest.approx(share, abs=0.03)
    # a subset of inputs: the others stay at their most likely value
    only_x = sobol(case, inputs=["x"], n=2**10, output="value")
    assert list(only_x.index) == ["x"]
    assert only_x.loc["x", "S1"] == pytest.approx(1.0, abs=0.02)
    # new distributions for the case's assumptions: x now has sd 40, like y, so equal shares
    wider = sobol(
        case, inputs={"x": {"dist": "normal", "mean": 100, "sd": 40 / 3}, "y": case_y()}, n=2**12
    )
    np.testing.assert_allclose(wider["S1"], [0.5, 0.5], atol=0.03)


def test_sobol_warns_that_case_correlations_are_ignored():
    case = linear_case(correlations=[["x", "y", 0.5]])
    with pytest.warns(UserWarning, match="x~y"):
        sobol(case, n=2**6)


def test_sobol_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match=r"power of 2.*n=1000.*512"):
        sobol(ishigami, {"x1": U_PI, "x2": U_PI, "x3": U_PI}, n=1000)
    with pytest.raises(ValueError, match="power of 2"):
        sobol(ishigami, {"x1": U_PI}, n=2.0**10)
    case = linear_case()
    with pytest.raises(ValueCaseError, match="'profit'.*npv"):
        sobol(case, output="profit")
    with pytest.raises(ValueCaseError, match="'users'"):
        sobol(case, inputs=["x", "users"])
    with pytest.raises(ValueCaseError, match="'users'"):
        sobol(case, inputs={"users": {"dist": "uniform", "min": 0, "max": 1}})
    with pytest.raises(ValueError, match="dict"):
        sobol(ishigami)
    with pytest.raises(ValueCaseError, match="x1"):
        sobol(ishigami, {"x1": "uniform"})
    with pytest.raises(ValueCaseError, match="x1"):  # a bad spec names the input
        sobol(ishigami, {"x1": {"dist": "uniform", "min": 1, "max": 0}})
    with pytest.raises(ValueError, match="vectorised"):
        sobol(lambda x: np.zeros(3), {"x1": U_PI}, n=2**4)


def test_sobol_refuses_infinite_output():
    def model(x):
        return np.where(x["x1"] > 0, np.inf, 1.0)

    with pytest.raises(ValueCaseError, match="not finite"):
        sobol(model, {"x1": U_PI}, n=2**4)


# ---------------------------------------------------------------------------- tornado, spider
def test_tornado_linear_case_equals_closed_form_swing():
    tab = tornado(linear_case(), low=0.1, high=0.9, output="value")
    # fixed k has no range: left out; y swings more than x
    assert list(tab.index) == ["y", "x"]
    assert tab.loc["x", "swing"] == pytest.approx(3 * 10 * 2 * Z90, rel=1e-9)
    assert tab.loc["y", "swing"] == pytest.approx(2 * 20 * 2 * Z90, rel=1e-9)
    assert tab.loc["x", "input_low"] == pytest.approx(100 - 10 * Z90)
    assert tab.loc["y", "output_high"] == pytest.approx(2 * 20 * Z90)
    assert tab.attrs["base"] == pytest.approx(0.0, abs=1e-9)
    assert (tab["base"] == tab.attrs["base"]).all()


def test_tornado_respects_low_high_and_rejects_bad_ones():
    tab = tornado(linear_case(), low=0.25, high=0.75, output="npv")
    assert tab.loc["x", "swing"] == pytest.approx(3 * 10 * 2 * stats.norm.ppf(0.75))
    with pytest.raises(ValueError, match="low"):
        tornado(linear_case(), low=0.9, high=0.1)
    with pytest.raises(ValueError, match="high"):
        tornado(linear_case(), high=1.0)
    with pytest.raises(ValueCaseError, match="'irr'"):
        tornado(linear_case(), output="irr")


def test_spider_is_linear_and_passes_through_base_case():
    tab = spider(linear_case(), percentiles=[0.1, 0.5, 0.9], output="value")
    assert list(tab.columns) == ["y", "x"]
    np.testing.assert_allclose(tab.loc[0.5], 0.0, atol=1e-9)
    assert tab.loc[0.9, "x"] == pytest.approx(3 * 10 * Z90)
    assert tab.loc[0.1, "y"] == pytest.approx(-2 * 20 * Z90)
    with pytest.raises(ValueError, match="percentile"):
        spider(linear_case(), percentiles=[0.0, 0.5])


# ---------------------------------------------------------------------------- rank correlation
def test_rank_correlation_signs_and_order():
    sim = linear_case("-").simulate(trials=20_000, seed=1, progress=False)
    rc = rank_correlation(sim, output="value")
    assert list(rc.index) == ["y", "x", "k"]  # |rho_y| > |rho_x|; fixed k last with 0
    assert rc.loc["y", "spearman"] < -0.6
    assert rc.loc["x", "spearman"] > 0.4
    assert rc.loc["k", "spearman"] == 0.0
    # closed form for a linear normal model: Spearman = 6/pi asin(rho/2), rho = 40/50
    assert rc.loc["y", "spearman"] == pytest.approx(-6 / np.pi * np.arcsin(0.4), abs=0.02)
    # a bare samples table works too
    rc2 = rank_correlation(sim.samples, output="value")
    pd.testing.assert_series_equal(rc2["spearman"].sort_index(), rc["spearman"].sort_index())
    with pytest.raises(ValueCaseError, match="'profit'"):
        rank_correlation(sim, output="profit")
    with pytest.raises(ValueCaseError, match="'z'.*keep_inputs"):
        rank_correlation(sim, inputs=["x", "z"])


# ---------------------------------------------------------------------------- convergence
def test_convergence_standard_errors_match_definitions():
    sim = linear_case().simulate(trials=10_000, seed=2, progress=False)
    conv = convergence(sim, output="value", checkpoints=[500, 10_000])
    y = sim.samples["value"].to_numpy()
    head = y[:500]
    assert conv.loc[500, "mean"] == pytest.approx(head.mean())
    assert conv.loc[500, "mean_se"] == pytest.approx(head.std(ddof=1) / np.sqrt(500))
    p = (head > 0).mean()
    assert conv.loc[500, "prob_positive"] == pytest.approx(p)
    assert conv.loc[500, "prob_se"] == pytest.approx(np.sqrt(p * (1 - p) / 500))
    # closed form: value ~ N(0, 50); the band at 10,000 trials covers it
    full = conv.loc[10_000]
    assert full["mean_low"] <= 0.0 <= full["mean_high"]
    assert full["mean_se"] == pytest.approx(50 / 100, rel=0.05)
    assert abs(full["prob_positive"] - 0.5) < 3 * full["prob_se"]


def test_convergence_default_checkpoints_and_from_case():
    conv = convergence(linear_case(), output="npv", trials=5_000, seed=0)
    assert conv.index[0] == 100 and conv.index[-1] == 5_000
    assert conv["mean_se"].is_monotonic_decreasing
    with pytest.raises(ValueCaseError, match="'profit'"):
        convergence(linear_case(), output="profit")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        convergence(linear_case(), output="value", trials=1_000)


def test_bootstrap_estimator_equals_scipy_estimator_at_unit_weights():
    from salesworkbench.value.sensitivity import _saltelli_weighted

    rng = np.random.default_rng(5)
    n, d = 256, 3
    f_a, f_b = rng.normal(size=n), rng.normal(size=n) + 0.3
    f_ab = 0.5 * f_a + 0.5 * rng.normal(size=(d, n))
    ref = stats.sobol_indices(func={"f_A": f_a[None], "f_B": f_b[None], "f_AB": f_ab[:, None]}, n=n)
    mean = np.mean(np.concatenate([f_a, f_b]))
    s1, st = _saltelli_weighted(f_a - mean, f_b - mean, f_ab - mean, np.ones((1, n)))
    np.testing.assert_allclose(s1[0], np.ravel(ref.first_order), rtol=1e-10)
    np.testing.assert_allclose(st[0], np.ravel(ref.total_order), rtol=1e-10)


# ---------------------------------------------------------------------------- plots
def test_plots_return_labelled_axes():
    import matplotlib.pyplot as plt

    from salesworkbench.plotting.sensitivity import (
        plot_convergence,
        plot_rank_correlation,
        plot_sobol,
        plot_spider,
        plot_tornado,
    )

    case = linear_case("-")
    sim = case.simulate(trials=2_000, seed=0, progress=False)
    fig, axes = plt.subplots(2, 3)
    ax = plot_tornado(tornado(case), ax=axes[0, 0], currency="GBP")
    assert ax is axes[0, 0] and "Tornado" in ax.get_title()
    assert [t.get_text().split("\n")[0] for t in ax.get_yticklabels()] == ["x", "y"]
    ax = plot_spider(spider(case), ax=axes[0, 1])
    assert ax.get_xlabel().startswith("percentile") and len(ax.get_lines()) == 3  # + base
    ax = plot_rank_correlation(rank_correlation(sim), ax=axes[0, 2])
    assert "Spearman" in ax.get_xlabel()
    ax = plot_sobol(sobol(case, n=2**8), ax=axes[1, 0])
    assert ax.get_ylabel() == "share of output variance"
    conv = convergence(sim)
    assert plot_convergence(conv, "mean", ax=axes[1, 1]).get_xscale() == "log"
    ax = plot_convergence(conv, "prob_positive", ax=axes[1, 2])
    assert ax.get_ylabel() == "P(value > 0)"
    with pytest.raises(ValueError, match="quantity"):
        plot_convergence(conv, "median")
    plt.close(fig)
    # without ax: the current Axes
    fig2 = plt.figure()
    assert plot_tornado(tornado(case)) is fig2.axes[0]
    plt.close(fig2)


def test_convergence_probability_band_is_wilson():
    from types import SimpleNamespace

    z = stats.norm.ppf(0.975)
    sim = SimpleNamespace(samples=pd.DataFrame({"value": np.ones(100)}))
    conv = convergence(sim, checkpoints=[100])
    assert conv.loc[100, "prob_se"] == 0.0
    # all trials positive: Wilson's lower bound is n / (n + z^2), not 1
    assert conv.loc[100, "prob_low"] == pytest.approx(100 / (100 + z**2))
    assert conv.loc[100, "prob_high"] == pytest.approx(1.0)
    half = np.concatenate([np.ones(50), -np.ones(50)])
    conv = convergence(SimpleNamespace(samples=pd.DataFrame({"value": half})), checkpoints=[100])
    centre, width = 0.5, z * np.sqrt(0.25 / 100 + z**2 / 4e4) / (1 + z**2 / 100)
    assert conv.loc[100, "prob_low"] == pytest.approx(centre - width)
