"""Excel inputs: formulas without values, merged cells, other sheets; delimiter sniffing."""

import openpyxl
import pytest

from salesworkbench import DataError
from salesworkbench.io import read_opportunities

from .conftest import HEADER, notes_of, quiet

ROWS = [
    ["A", "acc", "Closed Won", 10, "2026-01-05", "2026-02-01", "ann", "p"],
    ["B", "acc", "Closed Won", 20, "2026-01-05", "2026-02-01", "ann", "p"],
    ["C", "acc", "Closed Lost", 30, "2026-01-05", "2026-02-01", "ann", "p"],
]


def workbook(tmp_path, edit=None, name="opps.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Deals"
    ws.append(HEADER.split(","))
    for r in ROWS:
        ws.append(r)
    if edit:
        edit(wb, ws)
    path = tmp_path / name
    wb.save(path)
    return path


def test_formula_without_saved_value_refused(tmp_path):
    path = workbook(tmp_path, lambda wb, ws: ws.__setitem__("D3", "=D2*2"))
    with pytest.raises(DataError, match=r"opps.xlsx, column 'amount', row 3: 1 formula cell"):
        read_opportunities(path)


def test_merged_cells_refused(tmp_path):
    path = workbook(tmp_path, lambda wb, ws: ws.merge_cells("B2:B4"))
    with pytest.raises(DataError, match=r"column 'account', rows 2, 3, 4: merged cells B2:B4"):
        read_opportunities(path)


def test_other_sheets_noted_and_numbers_kept(tmp_path):
    def edit(wb, ws):
        wb.create_sheet("Notes")
        ws["D2"] = 1.234  # a float with three decimals stays 1.234

    frame = quiet(read_opportunities, workbook(tmp_path, edit))
    assert frame["amount"].tolist() == [1.234, 20.0, 30.0]
    assert "other sheet(s) 'Notes' not read" in notes_of(frame)


def test_tab_and_semicolon_files_sniffed(csv_file):
    for sep, name in (("\t", "tab"), (";", "semicolon")):
        text = HEADER.replace(",", sep) + "\n" + sep.join(map(str, ROWS[0])) + "\n"
        frame = quiet(read_opportunities, csv_file(text))
        assert frame["amount"].tolist() == [10.0]
        assert f"{name}-delimited" in notes_of(frame)
