"""with_values: a value case with some distribution parameters changed."""

from __future__ import annotations

import pytest

from salesworkbench.datasets import data_path
from salesworkbench.errors import ValueCaseError
from salesworkbench.value import ValueCase, with_values


@pytest.fixture
def case():
    return ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml"))


def test_new_parameters_are_merged_and_the_original_kept(case):
    new = with_values(case, {"arpu_after": {"min": 23.0, "max": 27.0}, "node_cost": {"sd": 3e5}})
    spec = new.assumptions["arpu_after"].dist.spec
    assert (spec["min"], spec["mode"], spec["max"]) == (23.0, 26, 27.0)
    assert new.assumptions["node_cost"].dist.spec["sd"] == 3e5
    assert new.assumptions["arpu_after"].unit == "GBP/month"  # meta kept
    assert new.assumptions["arpu_after"].source == case.assumptions["arpu_after"].source
    assert case.assumptions["arpu_after"].dist.spec["min"] == 24  # original untouched
    assert new is not case and new.name == case.name


def test_no_change_gives_the_same_case(case):
    assert with_values(case, {}) is case
    assert with_values(case, {"users": {"min": 90_000.0, "max": "1.2e5"}}) is case


def test_unchanged_assumptions_keep_their_distribution_objects(case):
    new = with_values(case, {"adoption": {"min": 0.5}})
    assert new.assumptions["users"] is case.assumptions["users"]
    assert new.assumptions["adoption"] is not case.assumptions["adoption"]


def test_a_cache_reuses_assumptions_across_calls(case):
    cache: dict = {}
    a = with_values(case, {"users": {"min": 80_000.0}}, cache=cache)
    b = with_values(case, {"users": {"min": 80_000.0}, "adoption": {"min": 0.5}}, cache=cache)
    assert b.assumptions["users"] is a.assumptions["users"]
    assert set(cache) == {"users", "adoption"}


def test_a_moved_range_keeps_the_mode_inside(case):
    new = with_values(case, {"arpu_after": {"min": 20.0, "max": 25.0}})
    assert new.assumptions["arpu_after"].dist.spec["mode"] == 25.0
    # a mode given explicitly is not moved (and must then be valid)
    with pytest.raises(ValueCaseError, match="arpu_after"):
        with_values(case, {"arpu_after": {"min": 20.0, "max": 25.0, "mode": 26.0}})


def test_a_moved_range_keeps_an_elicited_p50_inside():
    case = ValueCase.from_dict(
        {
            "name": "p",
            "assumptions": {"x": {"dist": "percentiles", "p10": 1.0, "p50": 2.0, "p90": 3.0}},
            "benefits": [{"name": "b", "formula": "x"}],
        }
    )
    new = with_values(case, {"x": {"p10": 2.5, "p90": 4.5}})
    assert new.assumptions["x"].dist.spec["p50"] == pytest.approx(3.5)


def test_bad_values_name_the_assumption(case):
    with pytest.raises(ValueCaseError, match="'adoption'"):
        with_values(case, {"adoption": {"min": 0.7, "max": 0.7}})
    with pytest.raises(ValueCaseError, match="no assumption 'churn'"):
        with_values(case, {"churn": {"p": 0.1}})
