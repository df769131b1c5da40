"""Value cases: closed-form checks, NPV/payback by hand, Iman-Conover, seeds, files, errors."""

import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from salesworkbench.errors import ValueCaseError
from salesworkbench.formatting import format_money
from salesworkbench.value import (
    OUTPUTS,
    Formula,
    ValueCase,
    ValueSimulation,
    correlation_factor,
    iman_conover,
    spearman_to_pearson,
)

TELECOM = Path(__file__).resolve().parents[1] / "data" / "value_cases" / "telecom_arpu.yaml"


def linear_case(**over):
    d = {
        "name": "linear",
        "customer": "Company B",
        "currency": "GBP",
        "horizon_years": 1,
        "discount_rate": 0.0,
        "assumptions": {
            "a": {"dist": "normal", "mean": 3.0, "sd": 2.0},
            "b": {"dist": "normal", "mean": 1.0, "sd": 1.5},
            "c": {"dist": "normal", "mean": 0.5, "sd": 0.5},
        },
        "benefits": [{"name": "gain", "formula": "2 * a + c", "years": [1]}],
        "investments": [{"name": "cost", "formula": "b", "year": 0}],
    }
    d.update(over)
    return d


def test_linear_normal_case_matches_closed_form():
    # value = 2a + c - b ~ N(2*3 + 0.5 - 1, sqrt(4*4 + 0.25 + 2.25))
    mu = 5.5
    sigma = math.sqrt(16 + 0.25 + 2.25)
    n = 400_000
    sim = ValueCase.from_dict(linear_case()).simulate(n, seed=11)
    v = sim.samples["value"]
    se_mean = sigma / math.sqrt(n)
    se_sd = sigma / math.sqrt(2 * (n - 1))
    p = stats.norm.cdf(mu / sigma)
    se_p = math.sqrt(p * (1 - p) / n)
    # tolerance: 4 Monte Carlo standard errors (false alarm rate ~6e-5 per check)
    assert abs(v.mean() - mu) < 4 * se_mean
    assert abs(v.std() - sigma) < 4 * se_sd
    assert abs(sim.prob_positive() - p) < 4 * se_p
    s = sim.summary
    # quantile standard error sqrt(q(1-q)/n) / density at the quantile
    z = stats.norm.ppf(0.9)
    se_q = math.sqrt(0.09 / n) / (stats.norm.pdf(z) / sigma)
    assert abs(s.loc["value", "p10"] - (mu - z * sigma)) < 4 * se_q
    assert abs(s.loc["value", "p90"] - (mu + z * sigma)) < 4 * se_q
    assert s.loc["value", "prob_positive"] == sim.prob_positive()


def test_pert_and_triangular_means_through_the_case():
    d = linear_case(
        assumptions={
            "a": {"dist": "pert", "min": 100, "mode": 150, "max": 300},
            "b": {"dist": "triangular", "min": 1, "mode": 2, "max": 6},
        },
        benefits=[{"name": "gain", "formula": "a"}],
        investments=[{"name": "cost", "formula": "b"}],
    )
    n = 300_000
    sim = ValueCase.from_dict(d).simulate(n, seed=3)
    pert_mean, pert_var = (100 + 4 * 150 + 300) / 6, (500 / 3 - 100) * (300 - 500 / 3) / 7
    tri_mean, tri_var = 3.0, 7 / 6
    assert abs(sim.samples["a"].mean() - pert_mean) < 4 * math.sqrt(pert_var / n)
    assert abs(sim.samples["b"].mean() - tri_mean) < 4 * math.sqrt(tri_var / n)
    assert abs(sim.samples["value"].mean() - (pert_mean - tri_mean)) < 4 * math.sqrt(
        (pert_var + tri_var) / n
    )


def npv_case(rate=0.05):
    # cash flows -15000, 1500, 2500, 3500, 4500, 6000 (years 0..5) via ramp factors
    return ValueCase.from_dict(
        {
            "currency": "GBP",
            "horizon_years": 5,
            "discount_rate": rate,
            "assumptions": {"unit": {"dist": "fixed", "value": 1000}},
            "benefits": [{"name": "b", "formula": "unit", "ramp": [1.5, 2.5, 3.5, 4.5, 6.0]}],
            "investments": [{"name": "i", "formula": "15 * unit", "year": 0}],
        }
    )


def test_npv_roi_payback_by_hand():
    flows = [-15000.0, 1500.0, 2500.0, 3500.0, 4500.0, 6000.0]
    by_hand = sum(cf / 1.05**t for t, cf in enumerate(flows))
    assert by_hand == pytest.approx(122.89485495093959, rel=1e-12)  # numpy-financial npv test
    base = npv_case().base_case()
    assert base["npv"] == pytest.approx(by_hand, rel=1e-12)
    assert base["total_benefits"] == 18000 and base["total_investment"] == 15000
    assert base["value"] == 3000 and base["roi"] == pytest.approx(0.2)
    # cumulative: -15000, -13500, -11000, -7500, -3000, +3000 -> 4 + 3000/6000
    assert base["payback_years"] == pytest.approx(4.5)
    assert npv_case(rate=0.0).base_case()["npv"] == pytest.approx(3000)


def test_investment_in_a_later_year_is_discounted_at_its_year():
    case = ValueCase.from_dict(
        {
            "horizon_years": 2,
            "discount_rate": 0.1,
            "assumptions": {"x": 100.0},
            "benefits": [{"name": "b", "formula": "x", "years": [1, 2]}],
            "investments": [{"name": "i", "formula": "50", "year": 1}],
        }
    )
    base = case.base_case()
    assert base["npv"] == pytest.approx(100 / 1.1 + 100 / 1.21 - 50 / 1.1)
    assert base["payback_years"] == 0.0  # nothing owed up front


def test_payback_inf_when_never_paid_back():
    d = linear_case(
        assumptions={"a": {"dist": "uniform", "min": 0.0, "max": 1.0}},
        benefits=[{"name": "gain", "formula": "a", "years": [1]}],
        investments=[{"name": "cost", "formula": "10", "year": 0}],
    )
    sim = ValueCase.from_dict(d).simulate(1000, seed=0)
    assert np.isinf(sim.samples["payback_years"]).all()
    assert sim.summary.loc["payback_years", "mean"] == np.inf
    assert (sim.samples["value"] < 0).all() and sim.prob_positive() == 0.0


def test_payback_interpolates_within_the_year():
    d = linear_case(
        horizon_years=3,
        assumptions={"x": {"dist": "fixed", "value": 40}},
        benefits=[{"name": "gain", "formula": "x", "years": [1, 2, 3]}],
        investments=[{"name": "cost", "formula": "100", "year": 0}],
    )
    assert ValueCase.from_dict(d).base_case()["payback_years"] == pytest.approx(2.5)


def correlated_case(rho_ab=0.6, rho_ac=-0.3, extra=None):
    assumptions = {
        "a": {"dist": "pert", "min": 0, "mode": 2, "max": 10},
        "b": {"dist": "lognormal", "p10": 1, "p90": 5},
        "c": {"dist": "uniform", "min": -1, "max": 1},
        "d": {"dist": "normal", "mean": 0, "sd": 1},
    }
    assumptions.update(extra or {})
    correlations = []
    if rho_ab is not None:
        correlations = [["a", "b", rho_ab], ["c", "a", rho_ac]]
    return ValueCase.from_dict(
        linear_case(
            assumptions=assumptions,
            correlations=correlations,
            benefits=[{"name": "gain", "formula": "a + b + c + d"}],
            investments=[{"name": "cost", "formula": "1"}],
        )
    )


def test_iman_conover_reaches_spearman_and_keeps_marginals():
    n = 100_000
    corr = correlated_case().sample(n, seed=5)
    indep = correlated_case(rho_ab=None).sample(n, seed=5)
    rho = corr.corr(method="spearman")
    assert abs(rho.loc["a", "b"] - 0.6) < 0.03
    assert abs(rho.loc["a", "c"] + 0.3) < 0.03
    assert abs(rho.loc["b", "c"]) < 0.03  # not asked for, stays near 0
    assert abs(rho.loc["a", "d"]) < 0.03
    for col in corr:
        np.testing.assert_array_equal(np.sort(corr[col].to_numpy()), np.sort(indep[col].to_numpy()))
    # the uncorrelated assumption is not touched at all
    np.testing.assert_array_equal(corr["d"].to_numpy(), indep["d"].to_numpy())


def test_iman_conover_function_small_sample_and_blocks():
    rng = np.random.default_rng(0)
    u = rng.random((20_000, 3))
    target = np.array([[1, 0.7, 0.2], [0.7, 1, 0.0], [0.2, 0.0, 1]])
    chol = np.linalg.cholesky(2 * np.sin(np.pi * target / 6))
    v = iman_conover(u, chol, block=1000)
    got = pd.DataFrame(v).corr(method="spearman").to_numpy()
    np.testing.assert_allclose(got, target, atol=0.03)
    for j in range(3):
        np.testing.assert_array_equal(np.sort(u[:, j]), np.sort(v[:, j]))
    small = correlated_case().sample(50, seed=1)  # tiny runs work too
    assert small.shape == (50, 4)


def test_same_seed_same_numbers_and_seed_matters():
    case = ValueCase.from_yaml(TELECOM)
    a = case.simulate(20_000, seed=7).samples
    b = case.simulate(20_000, seed=7).samples
    c = case.simulate(20_000, seed=8).samples
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["value"], c["value"])
    sim = case.simulate(10, seed=None)
    assert isinstance(sim.seed, int)
    pd.testing.assert_frame_equal(sim.samples, case.simulate(10, seed=sim.seed).samples)


def test_adding_an_assumption_does_not_change_the_others():
    case = correlated_case()
    bigger = correlated_case(extra={"zz_new": {"dist": "uniform", "min": 0, "max": 1}})
    first = bigger.with_assumption("aa_first", {"dist": "normal", "mean": 1, "sd": 1})
    base = case.sample(30_000, seed=2)
    for other in (bigger, first):
        s = other.sample(30_000, seed=2)
        pd.testing.assert_frame_equal(s[base.columns], base)
    # removing a correlation leaves uncorrelated assumptions' draws alone
    plain = correlated_case(rho_ab=None).sample(30_000, seed=2)
    np.testing.assert_array_equal(plain["d"], base["d"])


def test_chunks_and_executor_give_the_same_numbers():
    case = ValueCase.from_yaml(TELECOM)
    serial = case.simulate(25_001, seed=4, chunk_size=10_000).samples
    assert len(serial) == 25_001
    with ThreadPoolExecutor(2) as ex:
        par = case.simulate(25_001, seed=4, chunk_size=10_000, executor=ex).samples
    pd.testing.assert_frame_equal(serial, par)
    lean = case.simulate(25_001, seed=4, chunk_size=10_000, keep_inputs=False).samples
    assert list(lean.columns) == list(OUTPUTS)
    pd.testing.assert_frame_equal(lean, serial[list(OUTPUTS)])


def test_telecom_example_base_case_and_statement():
    case = ValueCase.from_yaml(TELECOM)
    base = case.base_case()
    annual = 100_000 * (26 - 22) * 12 * 0.55 * 0.8  # adoption at its median 0.8
    assert base["total_benefits"] == pytest.approx(3 * annual)
    assert base["total_investment"] == pytest.approx(3e6)
    assert base["value"] == pytest.approx(3 * annual - 3e6)
    sim = case.simulate(20_000, seed=0)
    summary = sim.summary
    assert list(summary.index) == list(OUTPUTS)
    assert list(summary.columns) == ["mean", "sd", "p10", "p50", "p90", "prob_positive"]
    assert list(sim.samples.columns) == [*case.assumptions, *OUTPUTS]
    text = case.value_statement(sim)
    assert text.startswith(
        "We believe Company A should be able to increase average revenue per user from 22 to 26"
    )
    assert "a year from the first year" in text
    assert "Through the ability to offer new data services." in text
    assert "As a result of a network expansion and a new data service launch." in text
    mean_investment = format_money(summary.loc["total_investment", "mean"], "GBP")
    assert f"For an expected investment of {mean_investment}." in text
    assert (
        f"Expected value over 3 years: {format_money(summary.loc['value', 'mean'], 'GBP')}" in text
    )
    assert "Based on the following assumptions:" in text
    assert "- 3 new network nodes costing GBP 2M (most likely)." in text
    assert "- Network management system costing GBP 500K (most likely)." in text
    assert "users: 90K to 120K subscribers, most likely 100K" in text
    assert "probability the value is positive" in text
    assert f"benefits of {format_money(annual, 'GBP')} a year" in case.value_statement()


def test_format_money():
    assert format_money(2.5e6, "GBP") == "GBP 2.5M"
    assert format_money(5e5, "GBP") == "GBP 500K"
    assert format_money(2e6, "GBP") == "GBP 2M"
    assert format_money(999_999, "GBP") == "GBP 1M"
    assert format_money(-1_234_000, "EUR") == "EUR -1.23M"
    assert format_money(12.5, "") == "12.5"


def test_evaluate_vectorised_and_validated():
    case = ValueCase.from_yaml(TELECOM)
    vals = {n: a.dist.most_likely() for n, a in case.assumptions.items()}
    vals["users"] = np.array([90_000.0, 100_000.0, 120_000.0])
    out = case.evaluate(vals, lines=True)
    assert len(out) == 3 and list(out.columns[: len(OUTPUTS)]) == list(OUTPUTS)
    np.testing.assert_allclose(out["total_benefits"], vals["users"] * 4 * 12 * 0.55 * 0.8 * 3)
    assert (out["investment:3 new network nodes"] == 2e6).all()
    del vals["margin"]
    with pytest.raises(ValueCaseError, match="margin"):
        case.evaluate(vals)


def test_round_trip_keeps_everything(tmp_path):
    raw = yaml.safe_load(TELECOM.read_text())
    raw["owner"] = "Jane"  # unknown top-level key
    raw["assumptions"]["users"]["note"] = "from the 2025 report"  # free-text note
    raw["benefits"][0]["note"] = "revenue"  # free-text note on a line
    raw["assumptions"]["bare"] = 3  # bare number = fixed
    raw["assumptions"]["big"] = {"dist": "normal", "mean": "1e6", "sd": 1000.0}
    case = ValueCase.from_dict(raw)
    assert case.to_dict() == raw
    path = tmp_path / "case.yaml"
    case.to_yaml(path)
    again = ValueCase.from_yaml(path)
    assert again.to_dict() == raw
    pd.testing.assert_frame_equal(again.simulate(2000).samples, case.simulate(2000).samples)


def test_atomic_save_leaves_the_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "case.yaml"
    path.write_text("old contents\n")
    case = ValueCase.from_yaml(TELECOM)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        case.to_yaml(path)
    assert path.read_text() == "old contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml"]  # no temp file left


def test_yaml_python_tags_are_rejected(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.yaml"
    bad.write_text(
        f"name: !!python/object/apply:os.system ['touch {marker}']\n"
        "assumptions: {x: 1}\nbenefits: [{name: b, formula: x}]\n"
    )
    with pytest.raises(ValueCaseError, match="evil.yaml"):
        ValueCase.from_yaml(bad)
    assert not marker.exists()


def test_file_errors_name_file_and_line(tmp_path):
    raw = yaml.safe_load(TELECOM.read_text())
    raw["benefits"][0]["formula"] = "users * arpu_aftr"
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueCaseError) as err:
        ValueCase.from_yaml(path)
    msg = str(err.value)
    assert str(path) in msg and "benefit 'Profit from ARPU uplift'" in msg
    assert "unknown name 'arpu_aftr'" in msg and "arpu_after" in msg
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ValueCaseError, match=r"broken.yaml.*line \d+"):
        ValueCase.from_yaml(broken)
    with pytest.raises(ValueCaseError, match="cannot read"):
        ValueCase.from_yaml(tmp_path / "missing.yaml")


def _raw():
    return yaml.safe_load(TELECOM.read_text())


def _with(path_keys, value):
    raw = _raw()
    target = raw
    for k in path_keys[:-1]:
        target = target[k]
    target[path_keys[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (
            _with(
                ["assumptions", "margin"],
                {"dist": "triangular", "min": 0.6, "mode": 0.55, "max": 0.7},
            ),
            "assumption 'margin': min (0.6) must be <= mode (0.55)",
        ),
        (
            _with(["assumptions", "node_cost", "sd"], 0),
            "assumption 'node_cost': sd (0) must be > 0",
        ),
        (_with(["assumptions", "users", "dist"], "cauchy"), "assumption 'users': unknown dist"),
        (_with(["assumptions", "bad name"], 1), "assumption 'bad name': names must be identifiers"),
        (
            _with(["investments", 0, "formula"], "node_cost.real"),
            "investment '3 new network nodes': formula 'node_cost.real': forbidden construct",
        ),
        (_with(["investments", 0, "year"], 7), "investment '3 new network nodes': 'year' must be"),
        (_with(["benefits", 0, "years"], [1, 5]), "benefit 'Profit from ARPU uplift': 'years'"),
        (_with(["benefits", 0, "years"], "all"), "benefit 'Profit from ARPU uplift': 'years'"),
        (
            _with(["benefits", 0], {"name": "Profit from ARPU uplift"}),
            "benefit 'Profit from ARPU uplift': missing key 'formula'",
        ),
        (_with(["benefits"], ["x"]), "benefit #1: expected a mapping"),
        (
            _with(["investments", 2, "name"], "Network management system"),
            "investment 'Network management system': the name is used twice",
        ),
        (
            _with(["correlations"], [["arpu_after", "adoptoin", 0.4]]),
            "correlation [arpu_after, adoptoin]",
        ),
        (
            _with(["correlations"], [["arpu_after", "adoption", 1.0]]),
            "correlation [arpu_after, adoption]: rho (1)",
        ),
        (_with(["correlations"], [["arpu_after", "arpu_after", 0.4]]), "correlated with itself"),
        (_with(["correlations"], [["arpu_after", "arpu_before", 0.4]]), "'arpu_before' is fixed"),
        (
            _with(
                ["correlations"], [["arpu_after", "adoption", 0.4], ["adoption", "arpu_after", 0.2]]
            ),
            "correlation [adoption, arpu_after]: the pair is listed twice",
        ),
        (
            _with(
                ["correlations"],
                [
                    ["users", "margin", 0.9],
                    ["users", "adoption", 0.9],
                    ["margin", "adoption", -0.9],
                ],
            ),
            "not positive definite",
        ),
        (
            _with(["correlations"], [["users", "margin"]]),
            "correlation #1: expected [name, name, rho]",
        ),
        (_with(["horizon_years"], 0), "'horizon_years' must be a whole number"),
        (_with(["discount_rate"], "ten"), "'discount_rate' must be a number"),
        (_with(["assumptions"], [1, 2]), "'assumptions' must be a mapping"),
    ],
)
def test_bad_cases_name_the_item(raw, fragment):
    with pytest.raises(ValueCaseError) as err:
        ValueCase.from_dict(raw)
    assert fragment in str(err.value)


def test_non_pd_error_names_the_pairs():
    raw = _with(
        ["correlations"],
        [["users", "margin", 0.9], ["users", "adoption", 0.9], ["margin", "adoption", -0.9]],
    )
    with pytest.raises(ValueCaseError) as err:
        ValueCase.from_dict(raw)
    assert "[users, margin, 0.9]" in str(err.value) and "[margin, adoption, -0.9]" in str(err.value)


def test_ramp_factors_and_with_assumption():
    raw = _with(["benefits", 0, "ramp"], [0.5, 1.0, 1.0])
    del raw["benefits"][0]["years"]
    case = ValueCase.from_dict(raw)
    annual = 100_000 * 4 * 12 * 0.55 * 0.8
    assert case.base_case()["total_benefits"] == pytest.approx(2.5 * annual)
    changed = case.with_assumption("adoption", {"dist": "uniform", "min": 0.9, "max": 1.0})
    assert changed.assumptions["adoption"].unit == "share of users"
    assert changed.base_case()["total_benefits"] == pytest.approx(2.5 * annual / 0.8 * 0.95)
    assert case.assumptions["adoption"].dist.spec["min"] == 0.6  # original untouched


def test_simulation_object_and_bad_trials():
    case = ValueCase.from_yaml(TELECOM)
    sim = case.simulate(5000, seed=1)
    assert isinstance(sim, ValueSimulation) and sim.trials == 5000 and sim.seed == 1
    assert 0 < sim.standard_error("value") < sim.samples["value"].std()
    with pytest.raises(ValueCaseError, match="no output 'profit'"):
        sim.prob_positive("profit")
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueCaseError, match="trials"):
            case.simulate(bad)


def test_value_plots_return_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from salesworkbench.plotting.value import (
        plot_cumulative,
        plot_value_distribution,
        plot_waterfall,
    )

    case = ValueCase.from_yaml(TELECOM)
    sim = case.simulate(5000, seed=0)
    fig, axes = plt.subplots(1, 3)
    ax = plot_value_distribution(sim, ax=axes[0])
    assert ax is axes[0] and "P(value > 0) = " in ax.get_title()
    assert f"{sim.prob_positive():.0%}" in ax.get_title()
    assert plot_cumulative(sim, ax=axes[1]) is axes[1]
    assert sim.plot(output="npv", ax=axes[1]) is axes[1]  # the result's own .plot
    ax = plot_waterfall(case, ax=axes[2])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[-1] == "Value" and len(labels) == 1 + len(case.benefits) + len(case.investments)
    plt.close(fig)


def test_sample_matches_simulate_inputs():
    case = ValueCase.from_yaml(TELECOM)
    sim = case.simulate(30_000, seed=3, chunk_size=20_000)
    drawn = case.sample(30_000, seed=3, chunk_size=20_000)
    pd.testing.assert_frame_equal(drawn, sim.samples[list(case.assumptions)])


def test_summary_is_a_property_table():
    sim = ValueCase.from_yaml(TELECOM).simulate(5000, seed=2)
    assert isinstance(sim.summary, pd.DataFrame)
    assert sim.summary.loc["value", "prob_positive"] == sim.prob_positive()
    pd.testing.assert_frame_equal(sim.summary, sim.summary)  # the same table every time


def _year1_the_old_way(case, sim):
    """Year-1 benefits as the statement used to get them: every trial evaluated again."""
    return case.annual_benefits(sim.samples[list(case.assumptions)])["year_1"].to_numpy()


@pytest.mark.parametrize("chunk_size", [262_144, 7_000])
def test_simulation_keeps_the_year1_benefits(chunk_size):
    raw = _with(["benefits", 0, "ramp"], [0.5, 1.0, 1.0])  # a ramp
    del raw["benefits"][0]["years"]
    case = ValueCase.from_dict(raw)
    sim = case.simulate(20_000, seed=5, chunk_size=chunk_size)
    assert sim.year1_benefits.shape == (20_000,)
    np.testing.assert_array_equal(sim.year1_benefits, _year1_the_old_way(case, sim))
    lean = case.simulate(20_000, seed=5, chunk_size=chunk_size, keep_inputs=False)
    np.testing.assert_array_equal(lean.year1_benefits, sim.year1_benefits)


def test_statement_does_not_evaluate_the_trials_again(monkeypatch):
    case = ValueCase.from_yaml(TELECOM)
    sim = case.simulate(20_000, seed=0)
    old = _year1_the_old_way(case, sim)
    p10, p90 = (format_money(x, "GBP") for x in np.percentile(old, [10, 90]))
    mean = format_money(old.mean(), "GBP")
    calls = []
    real_call = Formula.__call__

    def counting(self, env):
        calls.append(max(np.size(v) for v in env.values()))
        return real_call(self, env)

    monkeypatch.setattr(Formula, "__call__", counting)
    text = case.value_statement(sim)
    assert f"expected benefits of {mean} a year from the first year (P10 {p10}, P90 {p90})." in text
    assert calls and max(calls) == 1  # base case only: no formula sees the trials' arrays
    assert text == case.value_statement(sim)


def test_statement_gives_year1_and_the_steady_state():
    d = linear_case(
        horizon_years=2,
        assumptions={"k": 7.5, "c": {"dist": "uniform", "min": 0, "max": 1}},
        benefits=[
            {"name": "y", "formula": "k * 100", "years": [1, 2]},
            {"name": "z", "formula": "c * 50", "years": [2]},
        ],
        investments=[{"name": "i", "formula": "c * 2000", "year": 0}],
    )
    case = ValueCase.from_dict(d)
    sim = case.simulate(2000, seed=0)
    assert np.ptp(sim.year1_benefits) == 0
    text = case.value_statement(sim)
    # year 2 adds the expected 25 of z: 750 then 775 (the steady state)
    assert "expected benefits of GBP 750 in the first year, rising to GBP 775 a year from " in text
    assert "year 2 (the steady state)." in text


def test_correlation_factor_and_spearman_to_pearson():
    assert spearman_to_pearson(0.5) == pytest.approx(2 * math.sin(math.pi / 12))
    assert correlation_factor(["a", "b"], []) == ([], None)
    group, chol = correlation_factor(["a", "b", "c", "d"], [("c", "a", 0.4)])
    assert group == ["a", "c"]  # file order
    r = spearman_to_pearson(0.4)
    np.testing.assert_allclose(chol @ chol.T, [[1, r], [r, 1]])
    with pytest.raises(ValueCaseError, match="not positive definite"):
        correlation_factor(["a", "b", "c"], [("a", "b", 0.9), ("a", "c", 0.9), ("b", "c", -0.9)])
