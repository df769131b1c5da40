"""Pilot plans, post-pilot updates, plots and the PilotPlanner widget on value cases."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import pytest
from scipy import stats

matplotlib.use("Agg")

from salesworkbench.value import ValueCase
from salesworkbench.voi import (
    PilotCosts,
    enbs,
    evsi,
    plan_pilots,
    update_after_pilot,
    update_normal,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "value_cases"


def evpi_normal(mu: float, sigma: float) -> float:
    return sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)


def linear_case(other_sd: float = 300.0) -> ValueCase:
    """NPV = value = 1000 * theta - 500 + other; theta ~ N(0.6, 0.5^2), other ~ N(0, sd^2)."""
    return ValueCase.from_dict(
        {
            "name": "Linear pilot case",
            "customer": "Test Co",
            "currency": "GBP",
            "horizon_years": 1,
            "discount_rate": 0.0,
            "statement": {"goal": "g", "capability": "c", "as_a_result_of": "r"},
            "assumptions": {
                "theta": {"dist": "normal", "mean": 0.6, "sd": 0.5, "unit": "k units"},
                "other": {"dist": "normal", "mean": 0.0, "sd": other_sd, "unit": "GBP"},
                "share": {"dist": "beta", "alpha": 4, "beta": 6, "unit": "share"},
                "fee": {"dist": "fixed", "value": 500},
            },
            "benefits": [
                {"name": "gain", "formula": "1000 * theta + other + 0 * share", "years": [1]}
            ],
            "investments": [{"name": "fee", "formula": "fee", "year": 0}],
        }
    )


@pytest.fixture(scope="module")
def lin():
    return linear_case()


@pytest.fixture(scope="module")
def lin_plan(lin):
    return plan_pilots(
        lin,
        trials=60_000,
        seed=1,
        costs={"fixed": 1.0, "per_unit": 0.05},
        designs={"theta": {"design": "normal", "sd": 2.0}},
        max_n=500,
    )


def test_plan_closed_forms(lin_plan):
    plan = lin_plan
    # EVPI: NPV ~ N(100, 500^2 + 300^2); EVPPI(theta): E[NPV | theta] ~ N(100, 500^2).
    assert plan.attrs["evpi"] == pytest.approx(evpi_normal(100, math.hypot(500, 300)), rel=0.06)
    assert plan.loc["theta", "evppi"] == pytest.approx(evpi_normal(100, 500), rel=0.06)
    assert plan.attrs["current_decision"] == "invest"
    assert list(plan.index[:1]) == ["theta"]  # the only assumption worth testing
    assert plan.loc["theta", "recommendation"] == "pilot"
    assert plan.loc["share", "recommendation"] == "no pilot needed"  # not in the value
    assert plan.loc["share", "evppi"] < 0.01 * plan.attrs["evpi"]
    assert plan.loc["other", "evppi"] == pytest.approx(evpi_normal(100, 300), rel=0.1)
    assert plan.loc["other", "evppi"] < plan.loc["theta", "evppi"]
    assert "fee" not in plan.index  # fixed: not a candidate
    # EVSI at the optimal n against the preposterior closed form (regression + MC ~5%)
    n = int(plan.loc["theta", "optimal_n"])
    sigma_n = 1000 * 0.25 / math.sqrt(0.25 + 4.0 / n)
    assert plan.loc["theta", "evsi"] == pytest.approx(evpi_normal(100, sigma_n), rel=0.08)
    assert plan.loc["theta", "cost"] == pytest.approx(1.0 + 0.05 * n)
    assert plan.loc["theta", "enbs"] == pytest.approx(plan.loc["theta", "evsi"] - 1 - 0.05 * n)
    # threshold: invest iff posterior mean > 0.5, i.e. pilot mean > (0.5 - (1 - w) 0.6) / w
    w = 0.25 / (0.25 + 4.0 / n)
    assert plan.loc["theta", "threshold"] == pytest.approx((0.5 - (1 - w) * 0.6) / w, abs=0.04)
    assert plan.loc["theta", "flip"] == "below"
    assert plan.loc["theta", "unit"] == "k units"


def test_plan_same_seed_same_plan(lin):
    kw = {"trials": 5_000, "seed": 3, "costs": {"fixed": 1.0}, "max_n": 100}
    a = plan_pilots(lin, **kw)
    b = plan_pilots(lin, **kw)
    assert a.round(12).equals(b.round(12))


def test_costly_pilot_is_not_recommended(lin):
    plan = plan_pilots(lin, trials=5_000, costs={"fixed": 1e6}, max_n=100)
    assert plan.loc["theta", "recommendation"].startswith("no pilot: perfect information")
    plan = plan_pilots(lin, trials=5_000, costs={"fixed": 40.0, "per_unit": 5.0}, max_n=100)
    assert plan.loc["theta", "recommendation"] == "no pilot: costs more than it is worth"
    assert plan.loc["theta", "optimal_n"] == 0


def test_certain_decision_needs_no_pilot():
    # theta ~ N(5, 0.5^2): NPV = 1000 theta - 500 + other is positive in every simulation
    d = linear_case().to_dict()
    d["assumptions"]["theta"]["mean"] = 5.0
    case = ValueCase.from_dict(d)
    plan = plan_pilots(case, trials=5_000, costs={"fixed": 1.0})
    assert plan.attrs["evpi"] == 0.0
    assert (plan["recommendation"] == "no pilot needed").all()
    assert plan.attrs["prob_value_positive"] == 1.0


def test_telecom_case_needs_no_pilot_at_realistic_costs():
    case = ValueCase.from_yaml(DATA / "telecom_arpu.yaml")
    costs = {"fixed": 20_000, "per_unit": 100, "delay": 10_000}
    plan = plan_pilots(case, trials=10_000, costs=costs)
    assert plan.attrs["evpi"] < 0.01 * 3e6  # < 1% of the investment
    assert not (plan["recommendation"] == "pilot").any()
    assert set(plan.index) == {n for n, a in case.assumptions.items() if not a.dist.is_fixed}


def test_field_service_case_is_genuinely_uncertain():
    case = ValueCase.from_yaml(DATA / "field_service_app.yaml")
    sim = case.simulate(20_000, seed=0, progress=False)
    assert 0.5 <= sim.prob_positive("value") <= 0.7
    plan = plan_pilots(
        case, trials=10_000, costs={"fixed": 20_000, "per_unit": 100}, seed=0, simulation=sim
    )
    top = plan.index[0]
    assert top in {"minutes_saved", "adoption"}
    assert plan.loc[top, "recommendation"] == "pilot"
    assert plan.loc["adoption", "design"] in {"normal", "binomial"}


def test_plan_bad_inputs(lin):
    with pytest.raises(KeyError, match="'speed'"):
        plan_pilots(lin, trials=1_000, designs={"speed": {"sd": 1}})
    with pytest.raises(KeyError, match="'speed'"):
        plan_pilots(lin, trials=1_000, costs={"speed": {"per_unit": 1}})
    with pytest.raises(KeyError, match="setup"):
        plan_pilots(lin, trials=1_000, costs={"setup": 1})
    with pytest.raises(ValueError, match="max_n"):
        plan_pilots(lin, trials=1_000, max_n=1)


# --------------------------------------------------------------------------- after the pilot


def test_update_after_normal_pilot(lin):
    upd = update_after_pilot(lin, "theta", observed=0.3, n=20, sd=2.0, trials=40_000, seed=2)
    pm, ps = update_normal(0.6, 0.5, 0.3, 20, 2.0)
    assert upd.posterior == {"dist": "normal", "mean": pm, "sd": ps}
    spec = upd.case.assumptions["theta"].dist
    assert spec.mean() == pytest.approx(pm) and spec.sd() == pytest.approx(ps)
    assert upd.case.assumptions["theta"].unit == "k units"
    assert lin.assumptions["theta"].dist.mean() == pytest.approx(0.6)  # original untouched
    # P(value > 0) after: value ~ N(1000 pm - 500, (1000 ps)^2 + 300^2); MC tolerance 0.01
    exact = stats.norm.sf(0, 1000 * pm - 500, math.hypot(1000 * ps, 300))
    assert upd.table.loc["after", "prob_value_positive"] == pytest.approx(exact, abs=0.01)
    before = stats.norm.sf(0, 100, math.hypot(500, 300))
    assert upd.table.loc["before", "prob_value_positive"] == pytest.approx(before, abs=0.01)
    # 1000 * pm - 500 < 0 here: the pilot flips the decision
    assert 1000 * pm - 500 < 0
    assert upd.decision_changed
    assert upd.table.loc["after", "decision"] == "do not invest"


def test_update_after_binomial_pilot(lin):
    upd = update_after_pilot(lin, "share", observed=0.25, n=40, design="binomial", trials=2_000)
    # Beta(4, 6) is matched exactly by its moments; 10 of 40 -> Beta(14, 36)
    assert upd.prior["alpha"] == pytest.approx(4.0) and upd.prior["beta"] == pytest.approx(6.0)
    assert upd.posterior["alpha"] == pytest.approx(14.0)
    assert upd.posterior["beta"] == pytest.approx(36.0)
    assert upd.case.assumptions["share"].dist.mean() == pytest.approx(14 / 50)
    assert not upd.decision_changed  # share does not enter the value


def test_update_bad_inputs(lin):
    with pytest.raises(KeyError, match="'thetta'"):
        update_after_pilot(lin, "thetta", 0.3, 10, sd=1.0)
    with pytest.raises(ValueError, match="'fee' is fixed"):
        update_after_pilot(lin, "fee", 0.3, 10, sd=1.0)
    with pytest.raises(ValueError, match="sd: the normal pilot on 'theta'"):
        update_after_pilot(lin, "theta", 0.3, 10)
    with pytest.raises(ValueError, match="proportion"):
        update_after_pilot(lin, "share", 1.3, 10, design="binomial")
    with pytest.raises(ValueError, match="'theta'.*beta"):
        update_after_pilot(lin, "theta", 0.3, 10, design="binomial")
    with pytest.raises(ValueError, match="n: pilot size"):
        update_after_pilot(lin, "theta", 0.3, 0, sd=1.0)


# --------------------------------------------------------------------------- plots


def test_plots_return_axes(lin_plan, lin):
    import matplotlib.pyplot as plt

    from salesworkbench.plotting.voi import plot_enbs, plot_evppi

    fig, (a, b) = plt.subplots(1, 2)
    ax = plot_evppi(lin_plan, currency="GBP", ax=a)
    assert ax is a and ax.get_xlabel() == "EVPPI (GBP)"
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "theta"
    sim = lin.simulate(20_000, seed=0, progress=False)
    res = evsi(sim.samples["npv"], sim.samples, "theta", n=[2, 10, 50, 200], sd=2.0)
    table = enbs(res, PilotCosts(fixed=1.0, per_unit=0.05))
    ax2 = plot_enbs(table, evppi=res.evppi, currency="GBP", ax=b)
    assert ax2 is b and ax2.get_xlabel() == "pilot size n"
    assert any("optimum" in t.get_text() for t in ax2.texts)
    plt.close(fig)


# --------------------------------------------------------------------------- widget


@pytest.fixture(scope="module")
def app():
    from salesworkbench.ui.pilot_planner import PilotPlanner

    case = ValueCase.from_yaml(DATA / "field_service_app.yaml")
    return PilotPlanner(
        case, trials=8_000, costs={"fixed": 20_000, "per_unit": 100}, max_n=500, draw=False
    )


def test_widget_initial_state(app):
    r = app.result
    assert app.params["assumption"] == r["plan"].index[0]
    assert r["optimal_n"] > 0 and r["enbs_max"] > 0
    assert set(app.controls) >= {
        "assumption",
        "design",
        "sd",
        "fixed",
        "per_unit",
        "delay",
        "scale",
        "max_n",
        "observed",
        "pilot_n",
        "apply",
    }


def test_widget_costs_and_design_drive_result(app):
    app.controls["assumption"].value = "adoption"
    app.controls["design"].value = "binomial"
    cheap_n = app.result["optimal_n"]
    assert app.params == {**app.params, "assumption": "adoption", "design": "binomial"}
    app.controls["per_unit"].value = 400.0
    assert app.result["optimal_n"] <= cheap_n
    assert app.result["plan"].loc["adoption", "cost"] >= 20_000
    app.controls["fixed"].value = 1e7
    assert app.result["optimal_n"] == 0
    assert app.result["plan"].loc["adoption", "recommendation"] != "pilot"
    app.controls["fixed"].value = 20_000.0
    app.controls["per_unit"].value = 100.0
    app.controls["max_n"].value = 100
    assert app.result["enbs"].index.max() == 100


def test_widget_bad_design_shows_message(app):
    app.controls["assumption"].value = "technicians"
    app.controls["design"].value = "binomial"
    assert "technicians" in app.result["message"] and "proportion" in app.result["message"]
    app.controls["design"].value = "normal"
    assert app.result["message"] == ""


def test_widget_apply_pilot_result(app):
    app.controls["assumption"].value = "adoption"
    app.controls["design"].value = "binomial"
    app.controls["observed"].value = 0.15
    app.controls["pilot_n"].value = 80
    app.controls["apply"].click()
    upd = app.result["update"]
    assert upd.name == "adoption"
    assert (
        upd.table.loc["after", "prob_value_positive"]
        < upd.table.loc["before", "prob_value_positive"]
    )
    assert upd.decision_changed  # 15% adoption is far below the ~31% threshold
    assert upd.case.assumptions["adoption"].dist.mean() < 0.3


def test_widget_draws_by_state(lin):
    from salesworkbench.ui.pilot_planner import PilotPlanner

    app = PilotPlanner(lin, trials=3_000, costs={"fixed": 1.0}, max_n=100, draw=True)
    assert app.params["assumption"] == "theta"
    assert "image/png" in app.out.outputs[0]["data"]
    assert "text/html" in app.plan_out.outputs[0]["data"]
    assert "Best pilot on <b>theta</b>" in app.headline.value
    app.controls["observed"].value = 0.2
    app.controls["pilot_n"].value = 50
    app.controls["apply"].click()
    texts = [o["data"]["text/plain"] for o in app.update_out.outputs]
    assert any(t.startswith("Decision changed. theta:") for t in texts)


def test_widget_set_brings_the_assumptions_defaults(lin):
    from salesworkbench.defaults import PILOT_TRIALS
    from salesworkbench.ui.pilot_planner import PilotPlanner

    app = PilotPlanner(lin, trials=3_000, costs={"fixed": 1.0}, max_n=100, draw=False)
    calls = []
    original = app.update
    app.update = lambda: calls.append(1) or original()
    app.set(assumption="share", design="binomial", per_unit=5.0)
    assert calls == [1]  # one update for three controls
    assert app.params["assumption"] == "share" and app.params["design"] == "binomial"
    assert app.params["costs"]["per_unit"] == 5.0
    # the pilot result field moved to share's mean (about 0.4), as choosing it in the dropdown does
    assert app.controls["observed"].value == pytest.approx(0.4, abs=0.02)
    with pytest.raises(KeyError, match="no control 'sample'"):
        app.set(sample=3)
    assert PilotPlanner.__init__.__defaults__[0] == PILOT_TRIALS
