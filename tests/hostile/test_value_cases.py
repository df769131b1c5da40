"""Hostile and unusual value cases: refused naming the place, or handled with a counted note.

Never a bare exception, never a number silently changed.
"""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pytest

from salesworkbench.cli import EXIT_BAD_INPUT, EXIT_OK, main
from salesworkbench.datasets import data_path
from salesworkbench.errors import DataWarning, ValueCaseError
from salesworkbench.value import ValueCase
from salesworkbench.value.simulation import result_bytes

BASE = {
    "name": "c",
    "horizon_years": 3,
    "assumptions": {
        "x": {"dist": "pert", "min": 1, "mode": 2, "max": 4},
        "k": 100.0,
    },
    "benefits": [{"name": "b", "formula": "k * x", "years": [1, 2, 3]}],
    "investments": [{"name": "i", "formula": "300", "year": 0}],
}


def case_with(**changes):
    d = copy.deepcopy(BASE)
    for path, value in changes.items():
        target = d
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key) if key.isdigit() else key]
        last = keys[-1]
        target[int(last) if last.isdigit() else last] = value
    return d


def refused(d, *patterns):
    with pytest.raises(ValueCaseError) as err:
        ValueCase.from_dict(d)
    for pattern in patterns:
        assert pattern in str(err.value), str(err.value)


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ----------------------------------------------------------------------- payback arithmetic
def test_fixed_figures_and_one_benefit_year(tmp_path, capsys):
    d = {
        "horizon_years": 3,
        "assumptions": {"gain": 100.0, "cost": 50.0},
        "benefits": [{"name": "b", "formula": "gain", "years": [1]}],
        "investments": [{"name": "i", "formula": "cost", "year": 0}],
    }
    case = ValueCase.from_dict(d)
    assert case.base_case()["payback_years"] == 0.5  # -50 then +100 over year 1
    sim = case.simulate(1_000)
    assert (sim.samples["payback_years"] == 0.5).all() and sim.prob_positive() == 1.0
    path = tmp_path / "fixed.yaml"
    case.to_yaml(path)
    code, out, err = cli(capsys, "value", path, "--trials", "1000", "--format", "json")
    assert code == EXIT_OK, err
    assert json.loads(out)["summary"]["payback_years"]["p50"] == 0.5


def test_no_benefits_never_pays_back():
    d = {"assumptions": {"cost": 50.0}, "investments": [{"name": "i", "formula": "cost"}]}
    case = ValueCase.from_dict(d)
    assert case.base_case()["payback_years"] == np.inf
    assert case.simulate(100).summary.loc["value", "p50"] == -50


# ----------------------------------------------------------------------- trials with no value
@pytest.mark.parametrize("formula", ["100 * sqrt(x - 3)", "10 ** (x * 200)"])
def test_trials_without_a_value_are_counted_and_no_probability_is_given(formula):
    case = ValueCase.from_dict(case_with(benefits__0__formula=formula))
    with pytest.warns(DataWarning, match=r"of 5,000 trials have no value"):
        sim = case.simulate(5_000)
    assert 0 < sim.nonfinite < 5_000
    assert f"{sim.nonfinite:,} of 5,000 trials have no value" in sim.notes[0]
    with pytest.raises(ValueCaseError, match=r"trials give no number for 'value'"):
        sim.prob_positive()
    assert np.isnan(sim.summary.loc["value", "prob_positive"])
    statement = case.value_statement(sim)
    assert "not given" in statement and f"{sim.nonfinite:,} of 5,000" in statement
    assert "probability the value is positive" not in statement
    bad = ~np.isfinite(sim.samples["value"])
    assert np.isnan(sim.samples.loc[bad, "payback_years"]).all()  # not "never pays back"


def test_a_sound_case_has_no_note():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        sim = ValueCase.from_dict(BASE).simulate(2_000)
    assert sim.nonfinite == 0 and sim.notes == []


# ----------------------------------------------------------------------- keys
def test_misspelt_distribution_key():
    d = case_with(assumptions__x={"dist": "pert", "min": 1, "mode": 2, "max": 4, "lamda": 50})
    refused(d, "assumption 'x': unknown key 'lamda'", "did you mean 'lambda'?")


def test_misspelt_line_key():
    d = case_with(benefits__0={"name": "b", "formula": "k * x", "yaers": [1]})
    refused(d, "benefit 'b': unknown key 'yaers'", "did you mean 'years'?")
    d = case_with(investments__0={"name": "i", "formula": "300", "yaer": 1})
    refused(d, "investment 'i': unknown key 'yaer'", "did you mean 'year'?")


def test_misspelt_statement_key_and_top_level_extras():
    refused(case_with(statement={"gaol": "grow"}), "unknown key 'gaol'", "did you mean 'goal'?")
    case = ValueCase.from_dict(case_with(owner="Jane"))  # documented: kept for the round trip
    assert case.extra == {"owner": "Jane"} and case.to_dict()["owner"] == "Jane"


# ----------------------------------------------------------------------- years and ramp
def test_repeated_years_are_not_ramp_factors():
    refused(case_with(benefits__0__years=[3, 3, 3]), "'years' lists year 3 more than once", "ramp:")
    refused(case_with(benefits__0__years=[0.5, 1, 1]), "'years'[1] is 0.5", "'ramp: [...]'")


def test_ramp_factors_are_explicit():
    d = case_with()
    del d["benefits"][0]["years"]
    d["benefits"][0]["ramp"] = [3, 3, 3]
    ramp = ValueCase.from_dict(d).base_case()["total_benefits"]
    assert ramp == 3 * ValueCase.from_dict(BASE).base_case()["total_benefits"]
    d["benefits"][0]["ramp"] = [1, 1]
    refused(d, "'ramp' has 2 numbers; give one factor per year 1..3 (3 numbers)")


# ----------------------------------------------------------------------- sizes
def test_huge_trials_refused_with_the_memory_needed(capsys):
    case = str(data_path("value_cases/telecom_arpu.yaml"))
    for command in (["value"], ["pilots"]):
        code, out, err = cli(capsys, *command, case, "--trials", "1e12")
        assert code == EXIT_BAD_INPUT and out == "" and len(err.strip().splitlines()) == 1
        assert "--trials 1,000,000,000,000: needs about" in err and "TB of memory" in err
    with pytest.raises(ValueCaseError, match=r"trials need about [\d,.]+ GB of memory"):
        ValueCase.from_yaml(case).simulate(10**13)


def test_huge_periods_refused(capsys):
    opps = str(data_path("opportunities.csv"))
    code, out, err = cli(capsys, "forecast", opps, "--history", opps, "--periods", "1e8")
    assert code == EXIT_BAD_INPUT and "--periods 100,000,000: a forecast covers at most" in err


def test_memory_kept_is_what_the_docs_say():
    case = ValueCase.from_dict(BASE)
    full = case.simulate(10_000)
    lean = case.simulate(10_000, keep_inputs=False)
    kept = full.samples.memory_usage(index=False).sum() + full.year1_benefits.nbytes
    assert kept == result_bytes(case, 10_000) == 8 * (2 + 7) * 10_000
    kept = lean.samples.memory_usage(index=False).sum() + lean.year1_benefits.nbytes
    assert kept == result_bytes(case, 10_000, keep_inputs=False)
