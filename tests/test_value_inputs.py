"""The value notebooks' inputs: the bundled case, or yours only (issue 20)."""

from __future__ import annotations

import pytest

from salesworkbench.datasets import second_sample
from salesworkbench.value import nearest_reference, straw_man
from salesworkbench.value.inputs import SAMPLE_PROSPECT, load_value_inputs, read_case


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    d = tmp_path_factory.mktemp("second")
    second_sample.write(d)
    return d


def test_bundled_case_brings_its_references_and_prospect():
    inp = load_value_inputs()
    assert inp.sample and inp.case.currency == "GBP"
    assert inp.prospect == SAMPLE_PROSPECT and inp.can_straw_man()
    assert inp.industries and set(inp.industries) <= set(inp.references["industry"])


def test_your_case_never_gets_the_bundled_references(second):
    inp = load_value_inputs(second / "value_case.yaml")
    assert not inp.sample and inp.references is None and inp.prospect is None
    assert not inp.can_straw_man() and "REFERENCE_CUSTOMERS" in inp.notes[0]


def test_prospect_is_derived_from_your_case(second):
    inp = load_value_inputs(
        second / "value_case.yaml",
        second / "reference_customers.csv",
        SCALE_BY={"install_cost": "trucks"},
    )
    assert inp.prospect == {"trucks": pytest.approx(420.0, rel=0.02)}
    assert inp.industries is None and inp.can_straw_man()
    ref = nearest_reference(inp.prospect, inp.references)
    straw = straw_man(ref, inp.prospect, inp.case, scale_by=inp.scale_by)
    assert straw.assumptions["trucks"].dist.is_fixed
    assert inp.money(1234.0).startswith("EUR")


def test_read_case_takes_excel_and_bundled_names(tmp_path):
    case = read_case("value_cases/field_service_app.yaml")
    path = case.to_excel(tmp_path / "case.xlsx", trials=1_000, seed=0)
    assert read_case(path).names == case.names
    with pytest.raises(FileNotFoundError):
        read_case(tmp_path / "missing.yaml")
