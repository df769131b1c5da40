"""Formula injection: text never becomes a formula in CSV or Excel output."""

import io

import openpyxl
import pandas as pd

from salesworkbench.spreadsheet import neutralise_frame, safe_cell, write_excel

EVIL = ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "Acme", "-5", "+1.5"]


def test_safe_cell_follows_owasp():
    assert [safe_cell(v) for v in EVIL] == [
        "'=1+2",
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1)",
        "'\t=1",
        "Acme",
        "-5",
        "+1.5",
    ]
    assert safe_cell(-5) == -5 and safe_cell(None) is None


def test_csv_cells_and_header_neutralised_numbers_untouched():
    frame = pd.DataFrame({"name": EVIL, "=x": range(len(EVIL)), "amount": [-5.0] * len(EVIL)})
    out = neutralise_frame(frame)
    text = out.to_csv(index=False)
    assert "'=1+2" in text and "'=x" in text and "\n=1+2" not in text
    assert out["amount"].tolist() == [-5.0] * len(EVIL)
    back = pd.read_csv(io.StringIO(text))
    assert back["'=x"].tolist() == list(range(len(EVIL)))


def test_excel_text_stays_text(tmp_path):
    path = tmp_path / "out.xlsx"
    write_excel(path, {"s": pd.DataFrame({"name": EVIL, "n": [-5] * len(EVIL)})})
    ws = openpyxl.load_workbook(path).active
    cells = [ws.cell(r, 1) for r in range(2, len(EVIL) + 2)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells] == EVIL
    assert ws.cell(2, 2).value == -5 and ws.cell(2, 2).data_type == "n"


def test_territory_plan_writers_use_the_helpers():
    import inspect

    from salesworkbench.territory import plan

    source = inspect.getsource(plan)
    assert "protect_workbook(xw.book)" in source and "neutralise_frame(table).to_csv" in source
