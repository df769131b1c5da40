"""Cash flows by year, IRR and the payback summary, against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from salesworkbench.datasets import data_path
from salesworkbench.errors import ValueCaseError
from salesworkbench.formatting import format_value
from salesworkbench.value import SCENARIOS, ValueCase, cash_flow_table, irr


# ------------------------------------------------------------------------------------- IRR
def test_irr_two_periods_closed_form():
    # -100 now, +110 in a year: 110 / (1 + r) = 100 -> r = 10%
    assert irr([-100, 110]) == pytest.approx(0.10, abs=1e-12)
    # -100, +60, +60: 60x^2 + 60x - 100 = 0 with x = 1/(1+r)
    x = (-60 + math.sqrt(60**2 + 4 * 60 * 100)) / (2 * 60)
    assert irr([-100, 60, 60]) == pytest.approx(1 / x - 1, abs=1e-12)


def test_irr_reference_values():
    # one payment back after three years: (1 + r)^3 = 0.74
    assert irr([-100, 0, 0, 74]) == pytest.approx(0.74 ** (1 / 3) - 1, abs=1e-12)
    # the classic example (numpy-financial's docs give 0.28095); checked: NPV there is 0
    r = irr([-100, 39, 59, 55, 20])
    assert r == pytest.approx(0.28094842115, abs=1e-9)
    assert sum(f / (1 + r) ** t for t, f in enumerate([-100, 39, 59, 55, 20])) == pytest.approx(
        0, abs=1e-9
    )


def test_irr_does_not_exist_or_is_not_unique():
    assert math.isnan(irr([100, 50]))  # never negative
    assert math.isnan(irr([-100, -50]))  # never positive
    assert math.isnan(irr([0, 0]))
    assert math.isnan(irr([-100, 230, -132]))  # roots at 10% and 20%: not unique
    assert math.isnan(irr([-100, float("nan")]))


# ------------------------------------------------------------------------- payback summary
def _payback_case(horizon=1):
    return ValueCase.from_dict(
        {
            "name": "payback",
            "currency": "EUR",
            "horizon_years": horizon,
            "discount_rate": 0.0,
            "assumptions": {"b": {"dist": "uniform", "min": 50, "max": 200}},
            "benefits": [{"name": "b", "formula": "b", "years": [1]}],
            "investments": [{"name": "i", "formula": "100", "year": 0}],
        }
    )


def test_payback_median_and_chance_within_horizon_closed_form():
    # payback = 100 / B when B >= 100 (else never): P(payback <= x) = (200 - 100/x) / 150 for
    # x in [0.5, 1], so the median is 100/125 = 0.8 and P(within 1 year) = P(B >= 100) = 2/3.
    # Tolerances: 4 standard errors at 40,000 trials (median: sqrt(.25/n)/density 1.04 ~ .0024;
    # the share: sqrt(2/9/n) ~ .0024).
    sim = _payback_case().simulate(40_000, seed=3)
    pb = sim.payback()
    assert pb["median"] == pytest.approx(0.8, abs=0.01)
    assert pb["prob_within_horizon"] == pytest.approx(2 / 3, abs=0.01)
    assert pb["p90"] == np.inf  # a third never pays back
    assert pb["horizon_years"] == 1


# ---------------------------------------------------------------------- cash-flow table
@pytest.fixture(scope="module")
def field():
    case = ValueCase.from_yaml(data_path("value_cases/field_service_app.yaml"))
    sim = case.simulate(20_000, seed=1)
    return case, sim, cash_flow_table(case, sim)


def test_table_has_every_scenario_and_year(field):
    case, _, table = field
    assert tuple(table["scenario"].unique()) == SCENARIOS
    assert (table.groupby("scenario").size() == case.horizon_years + 1).all()
    assert set(table.attrs["irr"]) == set(SCENARIOS)


def test_expected_scenario_adds_up_to_the_headline(field):
    case, sim, table = field
    s = sim.summary
    exp = table[table["scenario"] == "expected"]
    # means add up year by year: the expected cash flows' totals are the summary's means
    assert exp["cumulative"].iloc[-1] == pytest.approx(s.loc["value", "mean"], rel=1e-9)
    assert exp["cumulative_discounted"].iloc[-1] == pytest.approx(s.loc["npv", "mean"], rel=1e-9)
    assert exp["investment"].sum() == pytest.approx(s.loc["total_investment", "mean"], rel=1e-9)
    np.testing.assert_allclose(exp["net"], exp["benefits"] - exp["investment"])
    # IRR of the expected cash flows: the expected NPV is zero at it
    r = table.attrs["irr"]["expected"]
    flows = exp["net"].to_numpy()
    assert sum(f / (1 + r) ** t for t, f in enumerate(flows)) == pytest.approx(0, abs=1e-6)


def test_percentile_scenarios_total_near_the_percentiles(field):
    _, sim, table = field
    s = sim.summary.loc["value"]
    spread = s["p90"] - s["p10"]
    for label, col in (("P10", "p10"), ("P50", "p50"), ("P90", "p90")):
        total = table.loc[table["scenario"] == label, "cumulative"].iloc[-1]
        # the mean of the trials within one percentile point of the percentile
        assert total == pytest.approx(s[col], abs=0.02 * spread)


def test_base_case_matches_the_base_case(field):
    case, _, table = field
    base = case.base_case()
    row = table[table["scenario"] == "base case"]
    assert row["cumulative"].iloc[-1] == pytest.approx(base["value"])
    assert row["cumulative_discounted"].iloc[-1] == pytest.approx(base["npv"])


def test_without_a_simulation_only_the_base_case():
    case = _payback_case()
    table = cash_flow_table(case)
    assert list(table["scenario"].unique()) == ["base case"]
    assert table["net"].tolist() == [-100.0, 125.0]
    assert table.attrs["irr"]["base case"] == pytest.approx(0.25)


def test_lean_simulation_draws_again():
    case = _payback_case(horizon=1)
    full = case.simulate(5000, seed=2)
    lean = case.simulate(5000, seed=2, keep_inputs=False)
    a, b = cash_flow_table(case, full), cash_flow_table(case, lean)
    np.testing.assert_allclose(a["net"], b["net"])


# ------------------------------------------------------------------ labels and formats
def _case_with(spec):
    return ValueCase.from_dict(
        {
            "name": "x",
            "assumptions": {"share": spec},
            "benefits": [{"name": "b", "formula": "share * 1000", "years": [1]}],
        }
    )


def test_label_and_format_round_trip(tmp_path):
    spec = {"dist": "pert", "min": 0.02, "mode": 0.03, "max": 0.05}
    case = _case_with({**spec, "label": "Share of trips re-planned", "format": "percent"})
    a = case.assumptions["share"]
    assert (a.label, a.format, a.title) == ("Share of trips re-planned", "percent", a.label)
    case.to_yaml(tmp_path / "c.yaml")
    back = ValueCase.from_yaml(tmp_path / "c.yaml")
    assert back.to_dict() == case.to_dict()
    assert back.describe_assumption("share") == (
        "Share of trips re-planned: 2% to 5%, most likely 3%"
    )
    plain = _case_with(spec)
    assert plain.assumptions["share"].title == "share"
    assert "label" not in plain.to_dict()["assumptions"]["share"]


@pytest.mark.parametrize(
    "extra, needle",
    [({"format": "pct"}, "format must be one of percent, money, number"), ({"label": ""}, "label")],
)
def test_bad_label_or_format_is_an_error(extra, needle):
    with pytest.raises(ValueCaseError, match=needle):
        _case_with({"dist": "fixed", "value": 0.1, **extra})


def test_format_value():
    assert format_value(0.0549, "percent") == "5.49%"
    assert format_value(18_000, "money", "EUR") == "EUR 18K"
    assert format_value(float("nan"), "money", "EUR") == "n/a"
