"""Value of information against closed forms (Monte Carlo tolerances stated per test)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesworkbench.datasets import data_path
from salesworkbench.defaults import PILOT_TRIALS
from salesworkbench.voi import (
    RANK_TOLERANCE,
    PilotCosts,
    enbs,
    evpi,
    evppi,
    evsi,
    plan_pilots,
    update_after_pilot,
    update_beta,
    update_normal,
)
from salesworkbench.voi import pilots as pilots_module
from salesworkbench.voi.pilots import _plan_order

N = 100_000  # simulations for the closed-form checks


def evpi_normal(mu: float, sigma: float) -> float:
    """EVPI of invest-vs-0 when net benefit ~ N(mu, sigma^2) (unit normal loss integral)."""
    return sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)


@pytest.fixture(scope="module")
def simple():
    """The voi package's 'simple' example: NB(t2) - NB(t1) = p1 - p2."""
    rng = np.random.default_rng(20240101)
    p = pd.DataFrame({"p1": rng.normal(1.0, 1.0, N), "p2": rng.normal(0.0, 2.0, N)})
    nb = pd.DataFrame({"t1": np.zeros(N), "t2": p["p1"] - p["p2"]})
    return nb, p


def test_closed_form_helper():
    assert evpi_normal(1.0, math.sqrt(5)) == pytest.approx(0.4798107, abs=1e-6)
    assert evpi_normal(1.0, 1.0) == pytest.approx(0.0833155, abs=1e-6)
    assert evpi_normal(1.0, 2.0) == pytest.approx(0.3955931, abs=1e-6)


def test_evpi_normal_closed_form():
    # MC standard error at 1e5 draws is about 0.004; tolerance 0.015.
    x = np.random.default_rng(3).normal(1.0, math.sqrt(5), N)
    assert evpi(x) == pytest.approx(0.4798, abs=0.015)
    assert evpi(pd.Series(x)) == evpi(x)
    assert evpi(np.column_stack([np.zeros(N), x])) == pytest.approx(evpi(x), abs=1e-12)


def test_evpi_negative_mean_and_certain_decision():
    x = np.random.default_rng(4).normal(-2.0, 3.0, N)
    assert evpi(x) == pytest.approx(evpi_normal(-2.0, 3.0), abs=0.02)
    assert evpi(np.full(100, 5.0) + np.arange(100)) == 0.0  # always invest: no value


def test_evppi_simple_example_closed_form(simple):
    nb, p = simple
    # Closed forms 0.0833 and 0.3956; regression + MC error at 1e5 simulations ~0.004-0.005.
    r1 = evppi(nb, p, "p1")
    r2 = evppi(nb, p, "p2")
    assert r1.value == pytest.approx(0.0833, abs=0.012)
    assert r2.value == pytest.approx(0.3956, abs=0.015)
    assert 0 < r1.se < 0.01 and 0 < r2.se < 0.02
    assert r1.r2["t2"] == pytest.approx(0.2, abs=0.01)  # var(p1) / var(p1 - p2)
    assert r2.r2["t2"] == pytest.approx(0.8, abs=0.01)


def test_evppi_matches_exact_conditional_expectation(simple):
    # Same simulations, conditional expectation known exactly (E[p1 - p2 | p1] = p1): the
    # regression error alone must be small (the MC error cancels).
    nb, p = simple
    g = p["p1"] - 0.0
    exact = np.maximum(g, 0).mean() - max(g.mean(), 0)
    assert evppi(nb, p, "p1").value == pytest.approx(exact, abs=0.006)
    h = 1.0 - p["p2"]
    exact2 = np.maximum(h, 0).mean() - max(h.mean(), 0)
    assert evppi(nb, p, "p2").value == pytest.approx(exact2, abs=0.006)


def test_evppi_all_inputs_equals_evpi(simple):
    nb, p = simple
    total = evpi(nb)
    grp = evppi(nb, p, ["p1", "p2"])
    assert grp.method.startswith("tensor")
    assert grp.value == pytest.approx(total, abs=0.005)
    assert grp.value <= total + 1e-12


def test_group_never_below_members_and_never_negative(simple):
    nb, p = simple
    rng = np.random.default_rng(5)
    p = p.assign(noise=rng.normal(size=len(p)), noise2=rng.uniform(size=len(p)))
    one = evppi(nb, p, "p1").value
    grp = evppi(nb, p, ["p1", "noise"])
    assert grp.value >= one - 1e-12
    assert grp.value >= max(grp.members.values()) - 1e-12
    big = evppi(nb.iloc[:20_000], p.iloc[:20_000], ["p2", "noise", "noise2"])
    assert big.method.startswith("random-feature")
    assert big.value >= big.members["p2"] - 1e-12
    assert big.value == pytest.approx(0.3956, abs=0.03)
    pure_noise = evppi(nb, p, "noise")
    assert 0.0 <= pure_noise.value < 0.005


def test_evppi_three_options_deterministic_in_input():
    # NB_k = a_k + b_k * x: knowing x is perfect information, EVPPI(x) = EVPI.
    x = np.random.default_rng(6).normal(size=50_000)
    nb = np.column_stack([np.zeros_like(x), 0.2 + x, 0.5 - 0.8 * x])
    r = evppi(nb, pd.DataFrame({"x": x}), "x")
    assert r.value == pytest.approx(evpi(nb), rel=0.002)
    assert min(r.r2.values()) > 0.999


def test_evppi_discrete_input_uses_group_means():
    rng = np.random.default_rng(7)
    k = rng.integers(0, 4, 40_000)
    nb = (k - 1.5) + rng.normal(0, 1, len(k))
    r = evppi(nb, pd.DataFrame({"k": k}), "k")
    assert r.method.startswith("group means")
    g = k - 1.5
    assert r.value == pytest.approx(np.maximum(g, 0).mean() - max(g.mean(), 0), abs=0.02)


# --------------------------------------------------------------------------- EVSI


@pytest.mark.parametrize(("n", "exact"), [(10, 0.0723), (100, 0.0821)])
def test_evsi_normal_known_sd_closed_form(n, exact):
    # Prior N(1, 1), pilot mean of n obs with sd 1, NB = theta:
    # EVSI = EVPI formula with sigma = s0^2 / sqrt(s0^2 + s^2 / n). Tolerance 0.006 at 1e5.
    theta = np.random.default_rng(8).normal(1.0, 1.0, N)
    r = evsi(theta, pd.DataFrame({"theta": theta}), "theta", n=n, design="normal", sd=1.0)
    sigma_n = 1.0 / math.sqrt(1.0 + 1.0 / n)
    assert evpi_normal(1.0, sigma_n) == pytest.approx(exact, abs=1e-4)
    assert float(r) == pytest.approx(exact, abs=0.006)


def test_evsi_rises_with_n_towards_evppi(simple):
    nb, p = simple
    sizes = [1, 3, 10, 30, 100, 300, 1000]
    r = evsi(nb, p, "p1", n=sizes, design="normal", sd=2.0)
    v = r.values.to_numpy()
    assert list(r.table.index) == sizes
    assert np.all(np.diff(v) > -0.002)  # non-decreasing up to regression noise
    assert v[0] < 0.5 * v[-1]
    assert v[-1] == pytest.approx(r.evppi, abs=0.004)
    assert (v <= r.evppi + 0.004).all()
    # closed form at sd 2 (0.0491 at n=10, 0.0787 at n=100), regression + MC tolerance
    assert r.table.loc[10, "evsi"] == pytest.approx(0.0491, abs=0.008)
    assert r.table.loc[100, "evsi"] == pytest.approx(0.0787, abs=0.01)


def test_evsi_binomial_beta_closed_form():
    # theta ~ Beta(2, 3), NB = theta - 0.45; pilot: x successes in n. E[theta | x] =
    # (2 + x) / (5 + n), x ~ BetaBinomial(n, 2, 3). Tolerance 0.002 at 1e5 simulations.
    rng = np.random.default_rng(9)
    theta = rng.beta(2, 3, N)
    nb = theta - 0.45
    n = 20
    x = np.arange(n + 1)
    post = (2 + x) / (5 + n) - 0.45
    exact = (stats.betabinom.pmf(x, n, 2, 3) * np.maximum(post, 0)).sum() - max(0.4 - 0.45, 0)
    r = evsi(nb, pd.DataFrame({"adoption": theta}), "adoption", n=n, design="binomial")
    assert float(r) == pytest.approx(exact, abs=0.002)
    # decision flips when the observed proportion exceeds (0.45 * 25 - 2) / 20 = 0.4625
    assert r.table.loc[n, "flip"] == "above"
    assert 0.40 <= r.table.loc[n, "threshold"] <= 0.50


def test_evsi_threshold_normal_posterior_boundary():
    # Prior N(1, 1), sd 1, n = 10: invest iff posterior mean > 0 iff xbar > -(1-w)/w = -0.1.
    theta = np.random.default_rng(10).normal(1.0, 1.0, N)
    r = evsi(theta, pd.DataFrame({"theta": theta}), "theta", n=10, sd=1.0)
    assert r.table.loc[10, "threshold"] == pytest.approx(-0.1, abs=0.03)
    assert r.table.loc[10, "flip"] == "below"
    assert r.current == "option 0"


def test_evsi_user_generator_matches_builtin():
    theta = np.random.default_rng(11).normal(1.0, 1.0, 50_000)
    inputs = pd.DataFrame({"theta": theta})

    def pilot_mean(t, n, rng):
        return t + rng.normal(0.0, 1.0, len(t)) / math.sqrt(n)

    a = float(evsi(theta, inputs, "theta", n=10, design=pilot_mean))
    b = float(evsi(theta, inputs, "theta", n=10, sd=1.0))
    assert a == pytest.approx(b, abs=0.006)
    assert a == pytest.approx(0.0723, abs=0.008)


def test_evsi_estimated_sd_is_between_zero_and_evppi(simple):
    nb, p = simple
    r = evsi(nb.iloc[:30_000], p.iloc[:30_000], "p1", n=[5, 50], sd=1.0, known_sd=False)
    assert (r.values >= 0).all() and (r.values <= r.evppi + 0.005).all()


def test_evsi_same_seed_same_result(simple):
    nb, p = simple
    a = evsi(nb.iloc[:20_000], p.iloc[:20_000], "p1", n=[5, 50], sd=1.0, seed=3)
    b = evsi(nb.iloc[:20_000], p.iloc[:20_000], "p1", n=[5, 50], sd=1.0, seed=3)
    c = evsi(nb.iloc[:20_000], p.iloc[:20_000], "p1", n=[5, 50], sd=1.0, seed=4)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table["evsi"].equals(c.table["evsi"])


# --------------------------------------------------------------------------- economics, updates


def test_enbs_and_optimal_n(simple):
    nb, p = simple
    r = evsi(nb, p, "p1", n=[1, 10, 100, 1000], sd=1.0)
    costs = PilotCosts(fixed=100.0, per_unit=2.0, delay=50.0, scale=10_000.0)
    t = enbs(r, costs)
    expected = 10_000 * r.values - (150.0 + 2.0 * np.array([1, 10, 100, 1000]))
    np.testing.assert_allclose(t["enbs"].to_numpy(), expected.to_numpy())
    assert t["optimal"].sum() == 1 and t.loc[t["optimal"], "enbs"].iloc[0] == t["enbs"].max()
    dear = enbs(r, {"fixed": 1e6})
    assert not dear["optimal"].any()  # no size is worth it
    assert PilotCosts().cost(0) == 0.0


def test_conjugate_normal_update():
    m, s = update_normal(1.0, 1.0, xbar=0.2, n=10, sd=1.0)
    w = 1.0 / (1.0 + 1.0 / 10)
    assert m == pytest.approx(w * 0.2 + (1 - w) * 1.0)
    assert s == pytest.approx(math.sqrt(1 / (1 + 10)))
    # a huge pilot converges to the data; a tiny prior sd keeps the prior
    assert update_normal(1.0, 1.0, 3.0, 10**8, 1.0)[0] == pytest.approx(3.0, abs=1e-6)
    assert update_normal(1.0, 1e-6, 3.0, 10, 1.0)[0] == pytest.approx(1.0, abs=1e-6)


def test_conjugate_beta_update():
    assert update_beta(2.0, 3.0, 7, 20) == (9.0, 16.0)
    a, b = update_beta(1.0, 1.0, 0, 5)
    assert stats.beta(a, b).mean() == pytest.approx(1 / 7)


# --------------------------------------------------------------------------- plan order, results


def test_plan_order_ignores_floating_point_noise():
    # EVPPI "zero" as different BLAS builds compute it: ties keep the rows' (case) order.
    total = 19_043.0
    enbs_values = pd.Series([np.nan, 5.0, np.nan, np.nan, np.nan, -3.0])
    evppi_values = pd.Series([4.2e-9, 900.0, 0.0, 1.6e-8, 6167.3, 800.0])
    assert list(_plan_order(enbs_values, evppi_values, total)) == [1, 5, 4, 0, 2, 3]
    noisy = evppi_values + [0.0, 0.0, 3e-9, -1e-8, 1e-9, 0.0]  # reorders the zeros if unrounded
    assert list(_plan_order(enbs_values, noisy, total)) == [1, 5, 4, 0, 2, 3]
    # differences above the tolerance still count, and no EVPI means all tie
    step = RANK_TOLERANCE * total
    apart = pd.Series([0.0, 3 * step])
    assert list(_plan_order(pd.Series([np.nan, np.nan]), apart, total)) == [1, 0]
    assert list(_plan_order(pd.Series([np.nan, np.nan]), apart, 0.0)) == [0, 1]


def test_plan_lists_zero_evppi_assumptions_in_case_order(monkeypatch):
    # Telecom (notebook 03): four assumptions have EVPPI zero up to noise of ~1e-8 GBP, whose
    # order used to depend on the machine. Perturb that noise: the plan's order must not move.
    from salesworkbench.value import ValueCase

    case = ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml"))
    sim = case.simulate(5_000, seed=0, progress=False)
    costs = {"fixed": 20_000, "per_unit": 100, "delay": 10_000}
    plan = plan_pilots(case, seed=0, costs=costs, simulation=sim)
    total = plan.attrs["evpi"]
    tied = [nm for nm in plan.index if plan.loc[nm, "evppi"] < RANK_TOLERANCE * total]
    assert len(tied) >= 2
    in_case_order = [nm for nm in case.assumptions if nm in tied]
    assert list(plan.index[-len(tied) :]) == in_case_order

    real_evppi = pilots_module.evppi
    for noise_seed in (1, 2, 3):
        rng = np.random.default_rng(noise_seed)

        def noisy_evppi(*args, rng=rng, **kwargs):
            r = real_evppi(*args, **kwargs)
            r.value += float(rng.uniform(0.0, 1e-8)) * max(r.evpi, 1.0)
            return r

        monkeypatch.setattr(pilots_module, "evppi", noisy_evppi)
        again = plan_pilots(case, seed=0, costs=costs, simulation=sim)
        assert list(again.index) == list(plan.index)


def test_results_have_a_summary_table(simple):
    nb, p = simple
    nb, p = nb.iloc[:5_000], p.iloc[:5_000]
    r = evppi(nb, p, ["p1", "p2"], se_draws=0)
    assert isinstance(r.summary, pd.DataFrame)
    assert list(r.summary.index) == ["p1 + p2"]
    assert r.summary.loc["p1 + p2", "evppi"] == r.value
    s = evsi(nb, p, "p1", n=[5, 50], sd=1.0)
    assert s.summary is s.table and list(s.summary.index) == [5, 50]


def test_default_trials_come_from_defaults():
    import inspect

    for fn in (plan_pilots, update_after_pilot):
        assert inspect.signature(fn).parameters["trials"].default == PILOT_TRIALS


# --------------------------------------------------------------------------- bad input


def test_mismatched_rows_is_an_error(simple):
    nb, p = simple
    with pytest.raises(ValueError, match="inputs has 99999 rows but net_benefit has 100000"):
        evppi(nb, p.iloc[1:], "p1")
    with pytest.raises(ValueError, match="rows"):
        evsi(nb.to_numpy(), p.iloc[:-5].to_numpy(), "x0", n=5, sd=1.0)


def test_misaligned_index_is_an_error_or_aligned(simple):
    nb, p = simple
    nb, p = nb.iloc[:20_000], p.iloc[:20_000]
    shifted = p.set_axis(p.index + 7)
    with pytest.raises(ValueError, match="different indexes"):
        evppi(nb, shifted, "p1")
    shuffled = p.sample(frac=1.0, random_state=1)
    assert evppi(nb, shuffled, "p1").value == pytest.approx(evppi(nb, p, "p1").value, abs=1e-12)


def test_unknown_names(simple):
    nb, p = simple
    with pytest.raises(KeyError, match="'arpu'"):
        evppi(nb, p, ["p1", "arpu"])
    with pytest.raises(KeyError, match="'adoption'"):
        evsi(nb, p, "adoption", n=10, sd=1.0)


def test_nans_are_errors_naming_the_column(simple):
    nb, p = simple
    bad = p.iloc[:1000].copy()
    bad.loc[17, "p2"] = np.nan
    with pytest.raises(ValueError, match="input 'p2' has 1 missing.*simulation 17"):
        evppi(nb.iloc[:1000], bad, "p2")
    nbb = nb.iloc[:1000].copy()
    nbb.loc[3, "t2"] = np.inf
    with pytest.raises(ValueError, match="column 't2'"):
        evpi(nbb)


def test_single_simulation_is_an_error():
    with pytest.raises(ValueError, match="1 simulation"):
        evpi([3.0])
    with pytest.raises(ValueError, match="1 simulation"):
        evppi(np.array([[0.0, 1.0]]), pd.DataFrame({"a": [1.0]}), "a")


def test_design_arguments_are_checked(simple):
    nb, p = simple
    nb, p = nb.iloc[:2000], p.iloc[:2000]
    with pytest.raises(ValueError, match="sd: the normal pilot design for 'p1'"):
        evsi(nb, p, "p1", n=10)
    with pytest.raises(ValueError, match="assumption 'p1' must be a proportion"):
        evsi(nb, p, "p1", n=10, design="binomial")
    with pytest.raises(ValueError, match="positive whole numbers"):
        evsi(nb, p, "p1", n=[10, 0], sd=1.0)
    with pytest.raises(ValueError, match="unknown pilot design 'survey'"):
        evsi(nb, p, "p1", n=10, design="survey")
    with pytest.raises(ValueError, match="per_unit"):
        PilotCosts(per_unit=-1)
    with pytest.raises(KeyError, match="setup"):
        PilotCosts.coerce({"setup": 5})
    with pytest.raises(ValueError, match="successes"):
        update_beta(1, 1, 6, 5)
    with pytest.raises(ValueError, match="prior_sd"):
        update_normal(0, 0, 1, 5, 1)
