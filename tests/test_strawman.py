"""Straw-man value cases re-scaled from reference customers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from salesworkbench.datasets import data_path
from salesworkbench.errors import DataError, ValueCaseError
from salesworkbench.value import ValueCase, nearest_reference, read_reference_customers, straw_man

PROSPECT = {"subscribers": 110_000, "sites": 3, "arpu_before": 22.0}
REFS = read_reference_customers(data_path("reference_customers.csv"))
TELECOM = data_path("value_cases/telecom_arpu.yaml")


def test_reference_table_is_consistent():
    refs = REFS
    assert len(refs) >= 4
    assert {"customer", "subscribers", "arpu_before", "arpu_after", "margin", "adoption"} <= set(
        refs.columns
    )
    # realised benefit = users * uplift * 12 * margin * adoption (rounded to GBP 1K in the file)
    benefit = refs.users * (refs.arpu_after - refs.arpu_before) * 12 * refs.margin * refs.adoption
    np.testing.assert_allclose(refs.benefit_per_year, benefit, atol=500)
    np.testing.assert_allclose(refs.investment, refs.node_cost + refs.other_investment)
    assert refs["adoption"].between(0, 1).all() and refs["margin"].between(0, 1).all()


TEMPLATE = {
    "name": "New data services",
    "customer": "Template Co",
    "currency": "GBP",
    "horizon_years": 3,
    "discount_rate": 0.1,
    "statement": {"goal": "g", "capability": "c", "as_a_result_of": "r"},
    "assumptions": {
        "users": {"dist": "pert", "min": 90000, "mode": 100000, "max": 120000},
        "arpu_before": {"dist": "fixed", "value": 22},
        "arpu_after": {"dist": "pert", "min": 24, "mode": 26, "max": 28},
        "margin": {"dist": "triangular", "min": 0.45, "mode": 0.55, "max": 0.60},
        "adoption": {"dist": "uniform", "min": 0.6, "max": 1.0},
        "node_cost": {"dist": "normal", "mean": 2.0e6, "sd": 0.2e6},
        "nms_cost": {"dist": "pert", "min": 4e5, "mode": 5e5, "max": 7e5},
    },
    "benefits": [
        {
            "name": "Profit from ARPU uplift",
            "formula": "users * (arpu_after - arpu_before) * 12 * margin * adoption",
            "years": [1, 2, 3],
        }
    ],
    "investments": [
        {"name": "nodes", "formula": "node_cost", "year": 0},
        {"name": "nms", "formula": "nms_cost", "year": 0},
    ],
}


def test_straw_man_with_reference_own_drivers_and_no_widening_reproduces_realised_benefit():
    template = ValueCase.from_dict(TEMPLATE)
    for _, ref in REFS.iterrows():
        own = {"subscribers": ref.subscribers, "sites": ref.sites, "arpu_before": ref.arpu_before}
        case = straw_man(ref, own, case_template=template, widen=0.0)
        base = case.base_case()
        assert base["users"] == pytest.approx(ref.users)
        assert base["node_cost"] == pytest.approx(ref.node_cost)
        # borrowed and prospect figures are fixed; nms_cost is not in the reference: kept
        assert [n for n, a in case.assumptions.items() if not a.dist.is_fixed] == ["nms_cost"]
        assert "template" in case.assumptions["nms_cost"].source
        # three years at the realised yearly benefit (rounded to GBP 1K in the file)
        assert base["total_benefits"] == pytest.approx(3 * ref.benefit_per_year, abs=1500)


def test_straw_man_rescales_drivers_and_widens_by_the_documented_rule():
    ref = REFS.set_index("customer").loc["Caledonia Telecom"]
    ref = ref.copy()
    ref["customer"] = "Caledonia Telecom"
    widen = 0.2
    case = straw_man(ref, PROSPECT, TELECOM, widen=widen, customer="Company A")
    assert case.customer == "Company A"
    # a fact from the prospect is fixed
    assert case.assumptions["arpu_before"].dist.is_fixed
    assert case.assumptions["arpu_before"].dist.most_likely() == 22.0
    # users scale with subscribers; the range widens with the size gap
    ratio = 110_000 / 160_000
    users = case.assumptions["users"].dist.spec
    w = widen * (1 + abs(math.log(ratio)))
    assert users["dist"] == "pert"
    assert users["mode"] == pytest.approx(150_000 * ratio)
    assert users["min"] == pytest.approx(150_000 * ratio * (1 - w))
    assert users["max"] == pytest.approx(150_000 * ratio * (1 + w))
    # arpu_after keeps the reference's relative uplift; the widening applies to the uplift
    arpu = case.assumptions["arpu_after"].dist.spec
    mode = 27.2 * 22 / 23.5
    w_arpu = widen * (1 + abs(math.log(22 / 23.5)))
    assert arpu["mode"] == pytest.approx(mode)
    assert arpu["min"] == pytest.approx(22 + (mode - 22) * (1 - w_arpu))
    assert arpu["max"] == pytest.approx(22 + (mode - 22) * (1 + w_arpu))
    # a transferred share keeps its value, widened by widen, clipped to [0, 1]
    adoption = case.assumptions["adoption"].dist.spec
    assert adoption["mode"] == pytest.approx(0.72)
    assert adoption["min"] == pytest.approx(0.72 * 0.8)
    assert adoption["max"] == pytest.approx(min(1.0, 0.72 * 1.2))
    assert "Caledonia Telecom" in case.assumptions["adoption"].source
    # node cost scales with sites
    assert case.assumptions["node_cost"].dist.spec["mode"] == pytest.approx(3_350_000 * 3 / 5)


def test_straw_man_is_wider_than_a_narrow_widening():
    kw = {"case_template": TELECOM, "references": REFS}
    narrow = straw_man("Caledonia Telecom", PROSPECT, widen=0.05, **kw).simulate(20_000, seed=0)
    wide = straw_man("Caledonia Telecom", PROSPECT, widen=0.3, **kw).simulate(20_000, seed=0)
    assert wide.summary.loc["value", "sd"] > 1.5 * narrow.summary.loc["value", "sd"]


def test_straw_man_round_trips_through_yaml(tmp_path):
    case = straw_man("Pennine Connect", PROSPECT, TELECOM, references=REFS)
    case.to_yaml(tmp_path / "straw.yaml")
    again = ValueCase.from_yaml(tmp_path / "straw.yaml")
    pd.testing.assert_series_equal(again.base_case(), case.base_case())


def test_nearest_reference_by_size():
    pick = nearest_reference({"subscribers": 100_000, "sites": 3}, REFS)
    assert pick["customer"] == "Harbour Broadband"
    assert nearest_reference({"subscribers": 400_000}, REFS)["customer"] == "Northwind Mobile"
    pick = nearest_reference({"subscribers": 200_000}, REFS, industry="mobile operator")
    assert pick["customer"] == "Solent Wireless"
    mobile = ["mobile operator", "regional mobile operator"]
    pick = nearest_reference({"subscribers": 110_000, "sites": 3}, REFS, industry=mobile)
    assert pick["customer"] == "Pennine Connect"
    with pytest.raises(ValueCaseError, match="'shipping'"):
        nearest_reference({"subscribers": 1}, REFS, industry="shipping")


def test_the_core_reads_no_bundled_file():
    # a reference table and a template of the caller's own, nothing from the sample
    refs = pd.DataFrame(
        {
            "customer": ["Own Ref"],
            "industry": ["telecom"],
            "year": [2024],
            "subscribers": [50_000],
            "users": [40_000],
            "adoption": [0.5],
        }
    )
    template = ValueCase.from_dict(TEMPLATE)
    assert nearest_reference({"subscribers": 60_000}, refs)["customer"] == "Own Ref"
    case = straw_man("Own Ref", {"subscribers": 60_000}, template, references=refs)
    assert case.assumptions["users"].dist.spec["mode"] == pytest.approx(40_000 * 60 / 50)
    with pytest.raises(ValueCaseError, match="pass references="):
        straw_man("Own Ref", {"subscribers": 60_000}, template)
    with pytest.raises(TypeError):
        nearest_reference({"subscribers": 60_000})  # the table is not optional
    with pytest.raises(TypeError):
        straw_man(refs.iloc[0], {"subscribers": 60_000})  # nor is the template


def test_straw_man_bad_inputs_name_the_problem(tmp_path):
    kw = {"case_template": TELECOM, "references": REFS}
    with pytest.raises(ValueCaseError, match="'Acme'"):
        straw_man("Acme", PROSPECT, **kw)
    with pytest.raises(ValueCaseError, match="'employees'"):
        straw_man("Pennine Connect", {**PROSPECT, "employees": 5}, **kw)
    with pytest.raises(ValueCaseError, match="'subscribers'"):
        straw_man("Pennine Connect", {"sites": 3, "arpu_before": 22}, **kw)
    with pytest.raises(ValueCaseError, match="'sites'"):
        straw_man("Pennine Connect", {**PROSPECT, "sites": "three"}, **kw)
    with pytest.raises(ValueCaseError, match="'margin'"):
        straw_man("Pennine Connect", PROSPECT, widen={"margin": 1.5}, **kw)
    bad = tmp_path / "refs.csv"
    bad.write_text("customer,industry,year,subscribers\nA,telecom,2022,100\nB,telecom,2023,lots\n")
    with pytest.raises(DataError, match=r"refs.csv.*'subscribers'.*row 3"):
        read_reference_customers(bad)


def test_a_cost_scaled_by_a_count_assumption_is_widened_as_a_whole():
    # issue 20: on the fleet case, install_cost scales with trucks (an assumption of the case,
    # in vehicles); the "uplift over the driver" rule (for ARPU after over ARPU before, in the
    # same unit) anchored the cost's range at the truck count
    from salesworkbench.value import ValueCase, straw_man

    case = ValueCase.from_dict(
        {
            "name": "fleet",
            "currency": "EUR",
            "assumptions": {
                "trucks": {"dist": "pert", "min": 380, "mode": 420, "max": 450, "unit": "vehicles"},
                "install_cost": {"dist": "normal", "mean": 180000, "sd": 15000, "unit": "EUR"},
            },
            "benefits": [{"name": "b", "formula": "trucks * 1000", "years": [1]}],
            "investments": [{"name": "i", "formula": "install_cost", "year": 0}],
        }
    )
    ref = {"customer": "R", "trucks": 480.0, "install_cost": 201_000.0}
    straw = straw_man(ref, {"trucks": 420.0}, case, scale_by={"install_cost": "trucks"})
    spec = straw.assumptions["install_cost"].dist.spec
    value = 201_000.0 * 420 / 480
    assert spec["mode"] == pytest.approx(value)
    assert spec["min"] > 0.4 * value and "uplift" not in straw.assumptions["install_cost"].source
