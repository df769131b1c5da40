"""Versions, diff waterfall, realised value, calibration and the realised straw-man."""

import sqlite3

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesworkbench.datasets import data_path
from salesworkbench.errors import DataError, ValueCaseError
from salesworkbench.value import ValueCase, straw_man
from salesworkbench.value.realisation import (
    calibration,
    distribution_cdf,
    realisation,
    realised_references,
)
from salesworkbench.value.versions import VersionStore, diff

TRIALS = 20_000


@pytest.fixture(scope="module")
def telecom():
    return ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml"))


# ------------------------------------------------------------------------------ versions
def test_versions_are_stored_dated_and_read_back(telecom, tmp_path):
    store = VersionStore(tmp_path / "v.sqlite")
    first = telecom.with_assumption("adoption", {"dist": "uniform", "min": 0.4, "max": 0.9})
    v1 = first.save_version(store, "straw-man", date="2026-02-01")
    v2 = telecom.save_version(tmp_path / "v.sqlite", "signed", date="2026-06-01")
    assert (v1.id, v2.id) == (1, 2)
    table = store.versions(telecom.customer)
    assert list(table["note"]) == ["straw-man", "signed"]
    assert list(table["date"]) == ["2026-02-01", "2026-06-01"]
    back = store.load(2).case
    assert back.to_dict() == telecom.to_dict()
    np.testing.assert_array_equal(
        back.simulate(2_000, seed=4).samples.to_numpy(),
        telecom.simulate(2_000, seed=4).samples.to_numpy(),
    )
    assert [v.note for v in store.history(telecom.customer)] == ["straw-man", "signed"]
    with pytest.raises(KeyError, match="no version 9"):
        store.load(9)


def test_version_store_refuses_foreign_files(tmp_path):
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(DataError, match="not a value-case version store"):
        VersionStore(other)


def test_corrupt_version_is_detected(telecom, tmp_path):
    store = VersionStore(tmp_path / "v.sqlite")
    telecom.save_version(store, "a")
    con = sqlite3.connect(store.path)
    con.execute("UPDATE versions SET yaml = replace(yaml, '0.55', '0.95')")
    con.commit()
    con.close()
    with pytest.raises(DataError, match="checksum"):
        store.load(1)


# ------------------------------------------------------------------------------ diff
def _edited(telecom):
    d = telecom.to_dict()
    d["assumptions"]["margin"] = {"dist": "triangular", "min": 0.4, "mode": 0.5, "max": 0.6}
    d["assumptions"]["adoption"] = {"dist": "uniform", "min": 0.7, "max": 0.95}
    d["assumptions"]["users"]["source"] = "new source only"  # described, not re-parameterised
    d["assumptions"]["churn_saved"] = {"dist": "pert", "min": 1e5, "mode": 2e5, "max": 4e5}
    d["benefits"].append({"name": "Churn saved", "formula": "churn_saved", "years": [1, 2, 3]})
    d["investments"] = [ln for ln in d["investments"] if ln["name"] != "Marketing plan"]
    return ValueCase.from_dict(d)


def test_diff_names_exactly_the_changes(telecom):
    new = _edited(telecom)
    d = diff(telecom, new, trials=TRIALS, seed=3)
    assert sorted(d.changed_assumptions) == ["adoption", "churn_saved", "margin"]
    assert d.assumptions.loc["users", "change"] == "description"
    assert d.assumptions.loc["churn_saved", "change"] == "added"
    lines = {(r.kind, r.line): r.change for r in d.lines.itertuples()}
    assert lines == {
        ("benefit", "Churn saved"): "added",
        ("investment", "Marketing plan"): "removed",
    }
    # a diff of a case with itself is empty and moves nothing
    same = diff(telecom, telecom, trials=2_000, seed=3)
    assert same.changed_assumptions == [] and same.lines.empty
    assert same.movement["change"].abs().max() == 0


def test_waterfall_steps_sum_to_the_total_movement(telecom):
    new = _edited(telecom)
    d = diff(telecom, new, trials=TRIALS, seed=3)
    wf = d.waterfall
    assert list(wf["step"]) == [
        "old case",
        "margin",
        "adoption",
        "benefit 'Churn saved' added",
        "investment 'Marketing plan' removed",
    ]
    total = d.movement.loc["mean", "change"]
    assert wf["delta_mean"].sum() == pytest.approx(total, rel=1e-12)
    assert wf["delta_prob_positive"].sum() == pytest.approx(
        d.movement.loc["prob_positive", "change"], abs=1e-12
    )
    # closed forms under common random numbers: removing a fixed 500K investment line adds
    # exactly 500K in every trial; adding the churn line adds 3 x its PERT mean (tolerance:
    # Monte Carlo error of a PERT mean, 3 x sd / sqrt(n) x 4)
    assert wf["delta_mean"].iloc[4] == pytest.approx(500_000, rel=1e-9)
    pert_mean = (1e5 + 4 * 2e5 + 4e5) / 6
    pert_sd = np.sqrt((pert_mean - 1e5) * (4e5 - pert_mean) / 7)
    assert abs(wf["delta_mean"].iloc[3] - 3 * pert_mean) < 4 * 3 * pert_sd / np.sqrt(TRIALS)
    # margin's mode fell: value falls; adoption's range moved up: value rises
    assert wf["delta_mean"].iloc[1] < 0 < wf["delta_mean"].iloc[2]


def test_waterfall_plot(telecom):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    d = diff(telecom, _edited(telecom), trials=2_000, seed=3)
    ax = d.plot(ax=Figure().add_subplot())
    assert len(ax.patches) == len(d.waterfall) + 1  # old, steps, new


def test_diff_merges_a_step_that_is_not_valid_alone(telecom):
    d = telecom.to_dict()
    d["horizon_years"] = 5
    d["benefits"][0]["years"] = [1, 2, 3, 4, 5]
    new = ValueCase.from_dict(d)
    out = diff(telecom, new, trials=2_000, seed=0)
    assert out.waterfall["delta_mean"].sum() == pytest.approx(out.movement.loc["mean", "change"])
    assert out.settings == ["horizon_years"]


# ------------------------------------------------------------------------------ realisation
@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "pert", "min": 24, "mode": 26, "max": 29},
        {"dist": "triangular", "min": 0.45, "mode": 0.55, "max": 0.6},
        {"dist": "uniform", "min": 0.6, "max": 1.0},
        {"dist": "beta", "alpha": 2, "beta": 5, "min": 1, "max": 3},
        {"dist": "normal", "mean": 2e6, "sd": 2e5},
        {"dist": "lognormal", "p10": 10, "p90": 40},
        {"dist": "percentiles", "p10": 10, "p50": 14, "p90": 30},
        {"dist": "percentiles", "p10": 10, "p50": 26, "p90": 30},
        {"dist": "percentiles", "p10": 10, "p50": 20, "p90": 30},
    ],
)
def test_percentile_of_the_median_is_one_half(telecom, spec):
    from salesworkbench.value.distributions import make_distribution

    dist = make_distribution(spec, "x")
    median = dist.median()
    assert float(distribution_cdf(dist, median)) == pytest.approx(0.5, abs=1e-9)
    # and F(ppf(q)) = q everywhere (closed form against the quantile function)
    q = np.array([0.01, 0.1, 0.37, 0.9, 0.99])
    np.testing.assert_allclose(distribution_cdf(dist, dist.ppf(q)), q, atol=1e-9)
    if spec["dist"] in ("pert", "triangular", "uniform", "beta"):  # bounded
        lo = spec.get("min", 0.0)
        assert float(distribution_cdf(dist, lo)) == 0.0
        assert float(distribution_cdf(dist, lo - 1)) == 0.0


def test_percentile_of_atoms_is_the_mid_distribution():
    from salesworkbench.value.distributions import make_distribution

    fixed = make_distribution({"dist": "fixed", "value": 22}, "x")
    assert [float(distribution_cdf(fixed, v)) for v in (21, 22, 23)] == [0.0, 0.5, 1.0]
    disc = make_distribution(
        {"dist": "discrete", "values": [1, 2, 3], "probs": [0.2, 0.5, 0.3]}, "y"
    )
    np.testing.assert_allclose(
        distribution_cdf(disc, [0, 1, 2, 2.5, 3, 4]), [0, 0.1, 0.45, 0.7, 0.85, 1]
    )


def test_realisation_table(telecom):
    med = {n: a.dist.median() for n, a in telecom.assumptions.items() if not a.dist.is_fixed}
    real = realisation(telecom, {**med, "users": 90_000}, trials=TRIALS, seed=1)
    t = real.table
    assert t.loc["users", "percentile"] == 0.0  # the minimum of a bounded (PERT) assumption
    for n in ("arpu_after", "margin", "adoption", "node_cost"):
        assert t.loc[n, "percentile"] == pytest.approx(0.5, abs=1e-9)
    assert t.loc["margin", "p10"] < t.loc["margin", "p50"] < t.loc["margin", "p90"]
    assert not t.loc["users", "inside"] and t.loc["margin", "inside"]
    # value to date: benefits of year 1 from the actuals (arpu_before fixed) minus investment
    v = real.value_to_date
    users, after, margin, adopt = 90_000, med["arpu_after"], med["margin"], med["adoption"]
    expected = users * (after - 22) * 12 * margin * adopt - (med["node_cost"] + 1e6)
    assert v["actual"] == pytest.approx(expected, rel=1e-12)
    assert 0 <= v["percentile"] <= 1 and v["p10"] < v["p90"]
    assert real.summary is real.table


def test_realisation_of_a_line_uses_the_simulation(telecom):
    sim = telecom.simulate(TRIALS, seed=5)
    line = telecom.benefits[0]
    year1 = line.formula({n: sim.samples[n].to_numpy() for n in telecom.assumptions})
    median = float(np.median(year1))
    real = realisation(telecom, {line.name: median}, trials=TRIALS, seed=5)
    row = real.table.loc[f"benefit: {line.name}"]
    assert row["percentile"] == pytest.approx(0.5, abs=1 / TRIALS)
    assert real.value_to_date is None and "no value to date" in real.notes[0]


def test_realisation_errors(telecom):
    with pytest.raises(ValueCaseError, match="neither an assumption nor a line"):
        realisation(telecom, {"adoptoin": 0.7}, trials=100)
    with pytest.raises(ValueCaseError, match="must be a number"):
        realisation(telecom, {"adoption": "high"}, trials=100)
    with pytest.raises(ValueCaseError, match="years"):
        realisation(telecom, {"adoption": 0.7}, trials=100, years=4)


# ------------------------------------------------------------------------------ calibration
def _synthetic(n_cases, widen_truth=1.0, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_cases):
        lo = rng.uniform(10, 20)
        d = {
            "name": f"case {i}",
            "assumptions": {
                "a": {"dist": "pert", "min": lo, "mode": lo + rng.uniform(1, 5), "max": lo + 9},
                "b": {"dist": "normal", "mean": rng.uniform(-5, 5), "sd": rng.uniform(1, 3)},
                "c": {"dist": "uniform", "min": 0.2, "max": rng.uniform(0.5, 0.9)},
                "d": {"dist": "lognormal", "p10": 5, "p90": rng.uniform(10, 30)},
                "e": {"dist": "triangular", "min": 0, "mode": rng.uniform(1, 4), "max": 5},
            },
            "benefits": [{"name": "x", "formula": "a + b + c + d + e"}],
        }
        case = ValueCase.from_dict(d)
        actuals = {}
        for name, a in case.assumptions.items():
            u = rng.random()
            if widen_truth != 1.0:  # reality more spread than the case said
                u = stats.norm.cdf(widen_truth * stats.norm.ppf(u))
            actuals[name] = float(a.dist.ppf(np.array([u]))[0])
        out.append((f"case {i}", case, actuals))
    return out


def test_calibration_is_about_80_percent_when_actuals_come_from_the_cases():
    cal = calibration(_synthetic(400), seed=0)  # 2,000 actuals
    # binomial sd of the coverage: sqrt(0.8 * 0.2 / 2000) = 0.009; tolerance 0.03 (> 3 sd)
    assert abs(cal.coverage - 0.8) < 0.03
    assert abs(cal.below_p10 - 0.1) < 0.025 and abs(cal.above_p90 - 0.1) < 0.025
    assert cal.interval[0] < 0.8 < cal.interval[1]
    assert cal.verdict == "about right"
    assert len(cal.table) == 2000 and set(cal.by_name.index) == set("abcde")
    # percentiles are uniform (Kolmogorov-Smirnov at the 1% level)
    assert stats.kstest(cal.table["percentile"], "uniform").pvalue > 0.01


def test_calibration_flags_ranges_that_were_too_narrow():
    cal = calibration(_synthetic(200, widen_truth=2.0, seed=1))
    # truth with twice the spread in normal scores: P(|Z| < 1.2816 / 2) = 0.478
    assert cal.coverage == pytest.approx(0.478, abs=0.04)
    assert cal.verdict == "too narrow"
    assert calibration(_synthetic(200, widen_truth=0.5, seed=2)).verdict == "too wide"


def test_calibration_from_a_table(telecom):
    table = pd.DataFrame(
        {
            "case": ["A", "A", "B"],
            "name": ["adoption", "margin", "adoption"],
            "actual": [0.7, 0.5, 0.95],
        }
    )
    cal = calibration(table, cases={"A": telecom, "B": telecom})
    assert list(cal.table["case"]) == ["A", "A", "B"]
    assert cal.table.loc[0, "percentile"] == pytest.approx(0.25)  # uniform 0.6-1.0
    with pytest.raises(ValueCaseError, match="cases="):
        calibration(table)


# ------------------------------------------------------------------------------ the loop
def test_realised_case_seeds_the_next_straw_man(telecom):
    actual = {
        "users": 100_000,
        "arpu_after": 25.5,
        "margin": 0.52,
        "adoption": 0.7,
        "node_cost": 2.1e6,
    }
    real = realisation(telecom, actual, trials=2_000)
    row = real.as_reference(
        industry="mobile operator", year=2026, drivers={"subscribers": 110_000, "sites": 3}
    )
    refs = realised_references([row])
    assert list(refs["customer"]) == [telecom.customer]
    prospect = {"subscribers": 220_000, "sites": 6, "arpu_before": 22}
    straw = straw_man(
        real.as_reference(drivers={"subscribers": 110_000, "sites": 3}), prospect, telecom
    )
    # borrowed values are the modes; users scale with subscribers (x2)
    assert straw.assumptions["users"].dist.spec["mode"] == pytest.approx(200_000)
    assert straw.assumptions["margin"].dist.spec["mode"] == pytest.approx(0.52)
    # the Realisation itself is accepted as the reference
    straw2 = straw_man(real, {"arpu_before": 22}, telecom, scale_by={})
    assert straw2.assumptions["adoption"].dist.spec["mode"] == pytest.approx(0.7)
    assert "realised" in straw2.assumptions["adoption"].source


# ------------------------------------------------------------------------------ re-used simulation
def test_realisation_reuses_a_simulation_and_refuses_another(telecom):
    from salesworkbench.value.realisation import case_distribution

    actuals = {"adoption": 0.7, "arpu_after": 25.0, "benefit:Profit from ARPU uplift": 2e6}
    sim = telecom.simulate(4_000, seed=5, progress=False)
    plain = realisation(telecom, actuals, 4_000, 5, years=2)
    reused = realisation(telecom, actuals, 4_000, 5, years=2, simulation=sim)
    pd.testing.assert_frame_equal(plain.table, reused.table)
    line = case_distribution(telecom, "Profit from ARPU uplift", 4_000, 5, years=2, simulation=sim)
    row = plain.table.loc["benefit: Profit from ARPU uplift"]
    assert np.percentile(line, 50) == pytest.approx(row["p50"])
    np.testing.assert_array_equal(
        case_distribution(telecom, "adoption", 4_000, 5), sim.samples["adoption"].to_numpy()
    )
    full = {"users": 1e5, "margin": 0.5, "node_cost": 2e6, **actuals}
    total = case_distribution(telecom, "value to date", 4_000, 5, years=2)
    vtd = realisation(telecom, full, 4_000, 5, years=2).value_to_date
    assert np.percentile(total, 10) == pytest.approx(vtd["p10"])
    with pytest.raises(ValueCaseError, match="trials=4000, seed=5; expected"):
        realisation(telecom, actuals, 4_000, 6, simulation=sim)
    other = telecom.with_assumption("adoption", {"dist": "uniform", "min": 0.1, "max": 0.2})
    with pytest.raises(ValueCaseError, match="not of the case"):
        realisation(other, actuals, 4_000, 5, simulation=sim)
    with pytest.raises(ValueCaseError, match="neither an assumption nor a line"):
        case_distribution(telecom, "nope", 4_000, 5)
