"""Excel round trip of a value case: identity, and located errors for bad edits."""

import math
import zipfile

import numpy as np
import pytest
from openpyxl import load_workbook

from salesworkbench.datasets import data_path
from salesworkbench.errors import ValueCaseError
from salesworkbench.value import ValueCase
from salesworkbench.value.excel import ExcelCaseError

TRIALS = 20_000


@pytest.fixture(scope="module")
def telecom():
    return ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml"))


@pytest.fixture(scope="module")
def book(telecom, tmp_path_factory):
    path = tmp_path_factory.mktemp("xl") / "case.xlsx"
    telecom.to_excel(path, trials=TRIALS, seed=1)
    return path


def _numbers(obj):
    """Numeric text ("2.0e6", which YAML 1.1 reads as text) as numbers, for comparison."""
    if isinstance(obj, dict):
        return {k: _numbers(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_numbers(v) for v in obj]
    if isinstance(obj, str):
        try:
            return float(obj)
        except ValueError:
            return obj
    if isinstance(obj, int | float) and not isinstance(obj, bool):
        return float(obj)
    return obj


def _edit(src, dst, edit):
    wb = load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst


@pytest.mark.parametrize("name", ["telecom_arpu.yaml", "field_service_app.yaml"])
def test_unedited_round_trip_gives_the_same_case_and_simulation(name, tmp_path):
    case = ValueCase.from_yaml(data_path(f"value_cases/{name}"))
    path = case.to_excel(tmp_path / "c.xlsx", trials=5_000)
    back = ValueCase.from_excel(path)
    assert _numbers(back.to_dict()) == _numbers(case.to_dict())
    a = case.simulate(TRIALS, seed=11).samples.to_numpy()
    b = back.simulate(TRIALS, seed=11).samples.to_numpy()
    np.testing.assert_array_equal(a, b)  # bit for bit


def test_workbook_layout(book):
    wb = load_workbook(book)
    assert wb.sheetnames == [
        "How to edit",
        "Case",
        "Assumptions",
        "Benefits",
        "Investments",
        "Correlations",
        "Results",
    ]
    ws = wb["Assumptions"]
    header = [c.value for c in ws[1]]
    for col in ("name", "dist", "min", "mode", "max", "mean", "sd", "p10", "p50", "p90"):
        assert col in header
    assert header[-3:] == ["unit", "source", "notes"]
    assert ws.freeze_panes == "B2"
    # the distribution column has a drop-down of the known distributions
    dvs = ws.data_validations.dataValidation
    assert len(dvs) == 1 and dvs[0].type == "list" and "pert" in dvs[0].formula1
    assert "B2" in dvs[0].sqref
    # formulas are text cells, never Excel formulas
    ben = wb["Benefits"]
    assert ben["B2"].data_type == "s"
    assert ben["B2"].value == "users * (arpu_after - arpu_before) * 12 * margin * adoption"
    assert wb["Results"].protection.sheet
    assert wb["Results"]["B3"].number_format == "0.0%"
    assert 0 < wb["Results"]["B3"].value < 1
    assert len(wb["Results"]._images) == 1
    with zipfile.ZipFile(book) as z:
        assert any(n.startswith("xl/media/") and n.endswith(".png") for n in z.namelist())
    # an unedited workbook holds no Excel formula anywhere
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_text_that_looks_like_a_formula_stays_text(telecom, tmp_path):
    evil = telecom.with_assumption(
        "margin",
        {
            "dist": "triangular",
            "min": 0.45,
            "mode": 0.55,
            "max": 0.6,
            "source": '=HYPERLINK("http://x.example","click")',
        },
    )
    d = evil.to_dict()
    d["customer"] = "@SUM(A1:A9)"
    d["statement"]["goal"] = "-1+1 is a goal"
    evil = ValueCase.from_dict(d)
    path = evil.to_excel(tmp_path / "e.xlsx", results=False)
    wb = load_workbook(path)
    cell = [c for c in wb["Assumptions"]["A"] if c.value == "margin"][0]
    src = wb["Assumptions"].cell(
        row=cell.row, column=[c.value for c in wb["Assumptions"][1]].index("source") + 1
    )
    assert src.data_type == "s" and src.quotePrefix
    back = ValueCase.from_excel(path)
    assert back.assumptions["margin"].source == '=HYPERLINK("http://x.example","click")'
    assert back.customer == "@SUM(A1:A9)"
    assert back.statement["goal"] == "-1+1 is a goal"
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
    assert "<f>" not in xml  # no formula element anywhere in the file


def _set(sheet, coord, value):
    def edit(wb):
        wb[sheet][coord] = value

    return edit


def _header_col(wb, sheet, name):
    return [c.value for c in wb[sheet][1]].index(name) + 1


def test_min_above_max_names_sheet_row_and_column(book, tmp_path):
    path = _edit(book, tmp_path / "b.xlsx", _set("Assumptions", "D4", 40))
    with pytest.raises(ExcelCaseError) as err:
        ValueCase.from_excel(path)
    e = err.value
    assert (e.sheet, e.row, e.column, e.cell) == ("Assumptions", 4, "min", "D4")
    assert "Assumptions row 4 (arpu_after), column min (D4): min 40 is above max 28" in str(e)


def test_unknown_distribution(book, tmp_path):
    path = _edit(book, tmp_path / "b.xlsx", _set("Assumptions", "B2", "perty"))
    with pytest.raises(
        ExcelCaseError,
        match=r"Assumptions row 2 \(users\), column dist \(B2\): "
        r"unknown distribution 'perty'",
    ):
        ValueCase.from_excel(path)


def test_text_in_a_number_cell(book, tmp_path):
    path = _edit(book, tmp_path / "b.xlsx", _set("Assumptions", "F2", "lots"))
    with pytest.raises(ExcelCaseError) as err:
        ValueCase.from_excel(path)
    assert (err.value.sheet, err.value.row, err.value.column) == ("Assumptions", 2, "max")
    assert "expected a number, got the text 'lots'" in str(err.value)


def test_numeric_text_is_accepted(book, tmp_path, telecom):
    path = _edit(book, tmp_path / "b.xlsx", _set("Assumptions", "F2", "120000"))
    assert ValueCase.from_excel(path).assumptions["users"].dist.spec["max"] == 120000


@pytest.mark.parametrize(
    ("sheet", "column"),
    [("Assumptions", "dist"), ("Benefits", "formula"), ("Correlations", "rho")],
)
def test_a_deleted_required_column(book, tmp_path, sheet, column):
    def edit(wb):
        wb[sheet].delete_cols(_header_col(wb, sheet, column))

    path = _edit(book, tmp_path / "b.xlsx", edit)
    with pytest.raises(ExcelCaseError) as err:
        ValueCase.from_excel(path)
    assert (err.value.sheet, err.value.row, err.value.column) == (sheet, 1, column)
    assert f"the required column {column!r} is missing" in str(err.value)


def test_a_deleted_parameter_column_a_row_needs(book, tmp_path):
    def edit(wb):
        wb["Assumptions"].delete_cols(_header_col(wb, "Assumptions", "max"))

    path = _edit(book, tmp_path / "b.xlsx", edit)
    with pytest.raises(
        ExcelCaseError,
        match=r"Assumptions row 2 \(users\), column max: a pert "
        r"distribution needs max \(the column is missing",
    ):
        ValueCase.from_excel(path)


@pytest.mark.parametrize(
    ("sheet", "coord", "column", "row"),
    [
        ("Benefits", "B2", "formula", 2),  # a value-case formula typed as an Excel formula
        ("Assumptions", "E4", "mode", 4),  # a number computed by Excel
        ("Case", "B6", "value", 6),  # the discount rate
    ],
)
def test_an_excel_formula_in_a_cell_is_refused(book, tmp_path, sheet, coord, column, row):
    path = _edit(book, tmp_path / "b.xlsx", _set(sheet, coord, "=24+2"))
    with pytest.raises(ExcelCaseError) as err:
        ValueCase.from_excel(path)
    e = err.value
    assert (e.sheet, e.row, e.column, e.cell) == (sheet, row, column, coord)
    assert "holds an Excel formula (=24+2)" in str(e)


def test_formula_over_an_unknown_assumption(book, tmp_path):
    path = _edit(book, tmp_path / "b.xlsx", _set("Investments", "B2", "node_costs * 2"))
    with pytest.raises(ExcelCaseError) as err:
        ValueCase.from_excel(path)
    assert (err.value.sheet, err.value.row, err.value.column) == ("Investments", 2, "formula")
    assert "node_costs" in str(err.value)


def test_other_validation_is_located(book, tmp_path):
    cases = [
        ("Assumptions", "I5", -1, 5, "sd"),  # margin is triangular: sd does not apply
        ("Correlations", "C2", 1.5, 2, "rho"),
        ("Correlations", "B2", "arpu_befor", 2, "assumption_b"),
        ("Benefits", "C2", "1, 2, 3, 4", 2, "years"),
    ]
    for sheet, coord, value, row, column in cases:
        path = _edit(book, tmp_path / "b.xlsx", _set(sheet, coord, value))
        with pytest.raises(ExcelCaseError) as err:
            ValueCase.from_excel(path)
        assert (err.value.sheet, err.value.row, err.value.column) == (sheet, row, column), str(
            err.value
        )


def test_a_customer_edit_changes_only_what_was_edited(book, tmp_path, telecom):
    path = _edit(book, tmp_path / "b.xlsx", _set("Assumptions", "E5", 0.5))  # margin mode
    edited = ValueCase.from_excel(path)
    assert edited.assumptions["margin"].dist.spec["mode"] == 0.5
    a, b = telecom.to_dict(), edited.to_dict()
    a["assumptions"].pop("margin"), b["assumptions"].pop("margin")
    assert _numbers(a) == _numbers(b)
    # the margin draws keep their stream: the edit moves the value down
    assert (
        edited.simulate(TRIALS, seed=1).samples["value"].mean()
        < telecom.simulate(TRIALS, seed=1).samples["value"].mean()
    )


def test_missing_sheet_and_not_a_workbook(book, tmp_path):
    def edit(wb):
        del wb["Correlations"]

    path = _edit(book, tmp_path / "b.xlsx", edit)
    with pytest.raises(ExcelCaseError, match="Correlations: the sheet is missing"):
        ValueCase.from_excel(path)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a zip")
    with pytest.raises(ValueCaseError, match="not an Excel workbook"):
        ValueCase.from_excel(junk)
    with pytest.raises(ValueError, match="xlsx"):
        ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml")).to_excel(tmp_path / "a.xls")


def test_number_formats(book):
    wb = load_workbook(book)
    ws = wb["Assumptions"]
    assert ws["D2"].number_format == "#,##0"  # users min 90,000
    assert ws["Case" if False else "D2"].value == 90000
    assert math.isclose(wb["Case"]["B6"].value, 0.10)
    assert wb["Case"]["B6"].number_format == "0.0%"
