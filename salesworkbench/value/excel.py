"""A value case as an Excel workbook a customer's finance team can work in, and back.

:func:`to_excel` writes the case as sheets a value consultant and a customer can edit together:

* **How to edit**: a short note on what may be changed and how;
* **Case**: name, customer, currency, horizon, discount rate and the value statement's parts;
* **Assumptions**: one row per assumption: ``name``, ``dist`` (a drop-down of the known
  distributions), one column per parameter (``value``, ``min``, ``mode``, ``max``, ``lambda``,
  ``mean``, ``sd``, ``p10``, ``p50``, ``p90``, ``alpha``, ``beta``, ``p``, ``values``,
  ``probs``), then ``unit``, ``source`` and ``notes``;
* **Benefits**, **Investments**: one row per line, the formula shown as *text*;
* **Correlations**: one row per pair of assumptions and its Spearman rank correlation;
* **Results** (protected, read-only, ignored on reading): the simulation's summary,
  P(value > 0) and the distribution chart.

:func:`from_excel` reads the editable sheets back through the same validation as the YAML file
(:meth:`ValueCase.from_dict <salesworkbench.value.ValueCase.from_dict>`); every error is an
:class:`ExcelCaseError` naming the sheet, the row and the column (and the cell), e.g.
``Assumptions row 4 (arpu_after), column max (E4): min 40 is above max 28``. A workbook written
here and not edited reads back to the same case: the same ``to_dict()`` and the same simulation
for the same seed.

Spreadsheet safety
------------------
* Every text cell is written as a string (``data_type "s"``) with Excel's *quote prefix* set, so
  a customer's text that starts with ``=``, ``+``, ``-`` or ``@`` is shown as text and stays text
  when the cell is edited (the OWASP advice against formula injection, without changing the
  text itself: the round trip keeps it exactly).
* Formulas of the value case are text too. A cell that Excel would *evaluate* (a real Excel
  formula, ``=B2*12``) is never read as a value-case formula or as its cached result: it is an
  error naming the cell.
* Lists (``years``, ``ramp``, ``values``, ``probs``) are comma-separated text, e.g.
  ``1, 2, 3``.

Cells are written by :mod:`salesworkbench.value.xlsx_cells`. openpyxl is imported inside the
functions, so importing :mod:`salesworkbench` stays light.
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesworkbench._files import atomic_write
from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError
from salesworkbench.value.distributions import DISTRIBUTIONS
from salesworkbench.value.xlsx_cells import header_row, list_text, number_or_text, number_text, put

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase

__all__ = [
    "ASSUMPTION_COLUMNS",
    "ExcelCaseError",
    "LINE_COLUMNS",
    "SHEETS",
    "from_excel",
    "to_excel",
]

#: The editable sheets, in workbook order (the Results and How to edit sheets are not read).
SHEETS = ("Case", "Assumptions", "Benefits", "Investments", "Correlations")
_PARAMS = (
    "value",
    "min",
    "mode",
    "max",
    "lambda",
    "mean",
    "sd",
    "p10",
    "p50",
    "p90",
    "alpha",
    "beta",
    "p",
    "values",
    "probs",
)
_LIST_PARAMS = ("values", "probs")
#: Columns of the Assumptions sheet (further columns are kept as extra keys).
ASSUMPTION_COLUMNS = ("name", "dist", *_PARAMS, "unit", "source", "notes")
#: Columns of the Benefits and Investments sheets (further columns are kept as extra keys).
LINE_COLUMNS = {
    "Benefits": ("name", "formula", "years", "ramp", "notes"),
    "Investments": ("name", "formula", "year", "years", "notes"),
}
_CORRELATION_COLUMNS = ("assumption_a", "assumption_b", "rho")
_REQUIRED = {
    "Case": ("key", "value"),
    "Assumptions": ("name", "dist"),
    "Benefits": ("name", "formula"),
    "Investments": ("name", "formula"),
    "Correlations": _CORRELATION_COLUMNS,
}
_CASE_KEYS = ("name", "customer", "currency", "horizon_years", "discount_rate")
_STATEMENT_KEYS = ("goal", "capability", "as_a_result_of")
_LIST_COLUMNS = {"years", "ramp", "values", "probs"}
_MAX_ROWS = 500  # rows the drop-down and number formats cover on the editable sheets
_FORMULA_HINT = (
    "type the number, or a value-case formula as plain text (no leading '='); Excel formulas "
    "are not read"
)

_HOW_TO = [
    "How to edit this value case",
    "",
    "Edit the white cells of the sheets Case, Assumptions, Benefits, Investments and "
    "Correlations; the Results sheet is read-only and is recomputed by the workbench.",
    "Assumptions: one row per assumption. Pick the distribution in the 'dist' drop-down and fill "
    "in the parameters it needs (pert and triangular: min, mode, max; uniform: min, max; normal: "
    "mean, sd; lognormal: p10, p90 or mean, sd; percentiles: p10, p50, p90; fixed: value). "
    "Leave the other parameter columns empty.",
    "Benefits and Investments: the formula is text over assumption names, e.g. "
    "users * (arpu_after - arpu_before) * 12 * margin. Do not start it with '=': the workbench, "
    "not Excel, evaluates it. Benefits count in the 'years' listed (e.g. 1, 2, 3); an "
    "investment falls in its 'year' (0 = up front).",
    "Correlations: Spearman rank correlation between two uncertain assumptions, between -1 and 1.",
    "Lists are comma-separated: 1, 2, 3. Adding rows and columns is fine; do not rename the "
    "header cells.",
    "The workbench reads the file back with the same checks as its YAML cases; an error names "
    "the sheet, row and column to fix.",
]


class ExcelCaseError(ValueCaseError):
    """A value case workbook that cannot be read: names the sheet, row and column at fault.

    Attributes
    ----------
    sheet : str
    row : int or None
        Spreadsheet row (header = row 1).
    column : str or None
        The header of the column at fault.
    cell : str or None
        The cell reference, e.g. ``"E4"``.
    problem : str
        What is wrong.
    """

    def __init__(
        self,
        problem: str,
        *,
        sheet: str,
        row: int | None = None,
        column: str | None = None,
        cell: str | None = None,
        label: str | None = None,
        file: str | None = None,
    ) -> None:
        self.problem, self.sheet, self.row, self.column, self.cell = (
            problem,
            sheet,
            row,
            column,
            cell,
        )
        where = sheet
        if row is not None:
            where += f" row {row}"
        if label:
            where += f" ({label})"
        if column is not None:
            where += f", column {column}" + (f" ({cell})" if cell else "")
        prefix = f"{file}: " if file else ""
        super().__init__(f"{prefix}{where}: {problem}")


# --------------------------------------------------------------------------- writing
def _extra_columns(items: Sequence[Mapping[str, Any]], known: Sequence[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        for k in item:
            if k not in known and k not in out:
                out.append(k)
    return out


def _write_table(ws: Any, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    widths = {"name": 26, "formula": 48, "source": 34, "notes": 30, "unit": 16, "dist": 13}
    header_row(ws, columns, widths)
    for i, row in enumerate(rows, start=2):
        for j, col in enumerate(columns, start=1):
            value = row.get(col)
            if col in _LIST_COLUMNS and isinstance(value, list | tuple):
                value = list_text(value)
            elif col in _PARAMS and isinstance(value, str):
                value = number_or_text(value)  # YAML 1.1 reads 2.0e6 as text: a number in Excel
            put(ws, i, j, value)


def _write_case_sheet(ws: Any, data: Mapping[str, Any]) -> None:
    header_row(ws, ("key", "value"), {"key": 22, "value": 70})
    ws.freeze_panes = "A2"
    rows: list[tuple[str, Any]] = [(k, data.get(k)) for k in _CASE_KEYS]
    statement = data.get("statement") or {}
    keys = list(_STATEMENT_KEYS) + [k for k in statement if k not in _STATEMENT_KEYS]
    rows += [(f"statement.{k}", statement.get(k)) for k in keys]
    known = {*_CASE_KEYS, "statement", "assumptions", "correlations", "benefits", "investments"}
    rows += [(f"extra.{k}", json.dumps(v)) for k, v in data.items() if k not in known]
    for i, (key, value) in enumerate(rows, start=2):
        put(ws, i, 1, key)
        fmt = "0.0%" if key == "discount_rate" else None
        put(ws, i, 2, value, number_format=fmt)


def _write_results(ws: Any, case: ValueCase, trials: int, seed: int) -> None:
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    from salesworkbench.render import figure_png
    from salesworkbench.value.cashflows import OUTPUTS

    sim = case.simulate(trials, seed=seed, progress=False)
    summary = sim.summary
    put(ws, 1, 1, f"Results of {case.name or 'the value case'} (read-only)").font = Font(
        bold=True, size=13
    )
    put(ws, 2, 1, f"{trials:,} simulated outcomes, seed {seed}; currency {case.currency}.")
    put(ws, 3, 1, "P(value > 0)")
    put(ws, 3, 2, float(sim.prob_positive("value")), number_format="0.0%")
    cols = ["output", *summary.columns]
    for j, c in enumerate(cols, start=1):
        put(ws, 5, j, c).font = Font(bold=True)
    for i, out in enumerate(OUTPUTS, start=6):
        put(ws, i, 1, out)
        for j, c in enumerate(summary.columns, start=2):
            v = float(summary.loc[out, c])
            if not math.isfinite(v):
                put(ws, i, j, "inf" if v > 0 else ("-inf" if v < 0 else "n/a"))
                continue
            money = out in ("total_benefits", "total_investment", "value", "npv")
            fmt = "0.0%" if c == "prob_positive" else ("#,##0" if money else "0.00")
            put(ws, i, j, v, number_format=fmt)
    ws.column_dimensions["A"].width = 20
    for letter in "BCDEFG":
        ws.column_dimensions[letter].width = 15
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 3.4), dpi=150, layout="constrained")
    sim.plot(ax=fig.add_subplot())
    image = Image(io.BytesIO(figure_png(fig, dpi=150, tight=False, close=False)))
    image.width, image.height = 750, 340
    ws.add_image(image, "A14")
    ws.protection.sheet = True  # read-only (no password: it is a guard, not a lock)


def _number_formats_and_validation(ws: Any, columns: Sequence[str]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    j = columns.index("dist") + 1
    letter = get_column_letter(j)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(DISTRIBUTIONS) + '"',
        allow_blank=False,
        showErrorMessage=True,
        errorTitle="Unknown distribution",
        error="Pick one of: " + ", ".join(DISTRIBUTIONS),
        promptTitle="Distribution",
        prompt="pert/triangular: min, mode, max; uniform: min, max; normal: mean, sd",
        showInputMessage=True,
    )
    ws.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}{_MAX_ROWS}")


def to_excel(
    case: ValueCase,
    path: str | os.PathLike,
    *,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    results: bool = True,
) -> Path:
    """Write ``case`` as an editable workbook (written atomically).

    Parameters
    ----------
    case : ValueCase
    path : path-like
        The ``.xlsx`` file.
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
        Trials of the simulation shown on the Results sheet.
    seed : int, default 0
        Its seed.
    results : bool, default True
        Write the Results sheet (simulation, chart); False skips the simulation.

    Returns
    -------
    pathlib.Path
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"to_excel writes an .xlsx workbook; got {str(path)!r}")
    data = case.to_dict()
    wb = Workbook()
    how = wb.active
    how.title = "How to edit"
    how.column_dimensions["A"].width = 110
    for i, line in enumerate(_HOW_TO, start=1):
        cell = put(how, i, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if i == 1:
            cell.font = Font(bold=True, size=13)
    _write_case_sheet(wb.create_sheet("Case"), data)

    assumptions = []
    for name, spec in data["assumptions"].items():
        row = {"name": name}
        if isinstance(spec, Mapping):
            row.update(spec)
        else:
            row.update({"dist": "fixed", "value": spec})
        assumptions.append(row)
    columns = list(ASSUMPTION_COLUMNS) + _extra_columns(assumptions, ASSUMPTION_COLUMNS)
    ws = wb.create_sheet("Assumptions")
    _write_table(ws, columns, assumptions)
    _number_formats_and_validation(ws, columns)

    for sheet, key in (("Benefits", "benefits"), ("Investments", "investments")):
        known = LINE_COLUMNS[sheet]
        lines = [dict(line) for line in data[key]]
        for line in lines:  # a formula is text, whatever YAML made of it
            line["formula"] = number_text(line.get("formula", ""))
        _write_table(wb.create_sheet(sheet), list(known) + _extra_columns(lines, known), lines)

    ws = wb.create_sheet("Correlations")
    corr = [dict(zip(_CORRELATION_COLUMNS, c, strict=True)) for c in data["correlations"]]
    _write_table(ws, _CORRELATION_COLUMNS, corr)
    if results:
        _write_results(wb.create_sheet("Results"), case, trials, seed)
    buffer = io.BytesIO()
    wb.save(buffer)
    with atomic_write(path, "wb") as fh:
        fh.write(buffer.getvalue())
    return path


# --------------------------------------------------------------------------- reading
class _Sheet:
    """One editable sheet: header map and typed access to cells, with located errors."""

    def __init__(self, ws: Any, name: str, file: str | None) -> None:
        self.ws, self.name, self.file = ws, name, file
        self.columns: dict[str, int] = {}
        for cell in next(ws.iter_rows(min_row=1, max_row=1), ()):
            self._check_formula(cell, None)
            if cell.value is None:
                continue
            header = str(cell.value).strip()
            if header in self.columns:
                self.error(f"the column {header!r} appears twice", row=1, column=header)
            if header:
                self.columns[header] = cell.column
        for req in _REQUIRED[name]:
            if req not in self.columns:
                have = ", ".join(self.columns) or "none"
                self.error(
                    f"the required column {req!r} is missing (columns found: {have}); restore "
                    "the header cell",
                    row=1,
                    column=req,
                )

    def error(
        self,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        label: str | None = None,
    ) -> None:
        cell = None
        if row is not None and column in self.columns:
            from openpyxl.utils import get_column_letter

            cell = f"{get_column_letter(self.columns[column])}{row}"
        raise ExcelCaseError(
            problem,
            sheet=self.name,
            row=row,
            column=column,
            cell=cell,
            label=label,
            file=self.file,
        )

    def _check_formula(self, cell: Any, label: str | None) -> None:
        if cell.data_type == "f" or type(cell.value).__name__ in (
            "ArrayFormula",
            "DataTableFormula",
        ):
            header = None
            for name, j in self.columns.items():
                if j == cell.column:
                    header = name
            text = getattr(cell.value, "text", cell.value)
            raise ExcelCaseError(
                f"the cell holds an Excel formula ({text}); {_FORMULA_HINT}",
                sheet=self.name,
                row=cell.row,
                column=header or cell.column_letter,
                cell=cell.coordinate,
                label=label,
                file=self.file,
            )

    def rows(self) -> list[tuple[int, dict[str, Any]]]:
        """Non-empty data rows as (spreadsheet row, {header: value}); formulas refused."""
        out = []
        by_index = {j: h for h, j in self.columns.items()}
        for cells in self.ws.iter_rows(min_row=2):
            values: dict[str, Any] = {}
            label = None
            if "name" in self.columns:
                first = (
                    cells[self.columns["name"] - 1] if len(cells) >= self.columns["name"] else None
                )
                label = str(first.value) if first is not None and first.value is not None else None
            for cell in cells:
                if cell.value is None:
                    continue
                self._check_formula(cell, label)
                header = by_index.get(cell.column)
                value = cell.value
                if isinstance(value, str):
                    value = value.strip()
                    if not value:
                        continue
                if header is None:
                    self.error(
                        f"a value ({value!r}) in a column without a header; give the column a "
                        "header or clear the cell",
                        row=cell.row,
                        column=cell.column_letter,
                        label=label,
                    )
                values[header] = value
            if values:
                out.append((cells[0].row, values))
        return out


def _as_number(sheet: _Sheet, row: int, column: str, value: Any, label: str | None) -> float | int:
    if isinstance(value, bool):
        sheet.error(f"expected a number, got {value!r}", row=row, column=column, label=label)
    if isinstance(value, numbers.Real):
        x = value
    elif isinstance(value, str):
        try:
            x = float(value.replace("_", "").replace(" ", ""))
        except ValueError:
            sheet.error(
                f"expected a number, got the text {value!r}", row=row, column=column, label=label
            )
    else:
        sheet.error(f"expected a number, got {value!r}", row=row, column=column, label=label)
    if not math.isfinite(float(x)):
        sheet.error(f"expected a finite number, got {value!r}", row=row, column=column, label=label)
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def _as_list(sheet: _Sheet, row: int, column: str, value: Any, label: str | None) -> list:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return [_as_number(sheet, row, column, value, label)]
    parts = [p.strip() for p in re.split(r"[,;]", str(value).strip("[] ")) if p.strip()]
    if not parts:
        sheet.error(
            "expected a comma-separated list of numbers, e.g. 1, 2, 3",
            row=row,
            column=column,
            label=label,
        )
    return [_as_number(sheet, row, column, p, label) for p in parts]


def _as_text(sheet: _Sheet, row: int, column: str, value: Any, label: str | None) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return number_text(value)
    if not isinstance(value, str):
        sheet.error(f"expected text, got {value!r}", row=row, column=column, label=label)
    return value


def _locate(message: str, keys: Sequence[str]) -> str | None:
    """The first column name that a validation message mentions (as a word)."""
    best = None
    for k in keys:
        m = re.search(rf"(?<![\w']){re.escape(k)}(?![\w'])|'{re.escape(k)}'", message)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), k)
    return best[1] if best else None


def _strip_prefix(message: str, label: str) -> str:
    for prefix in (f"assumption {label!r}: ", f"benefit {label!r}: ", f"investment {label!r}: "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def _row_name(
    sheet: _Sheet, row: int, cells: Mapping[str, Any], what: str, rows_of: dict[str, int]
) -> str:
    """The row's ``name`` (``what`` says what it names), refused when blank or used twice.

    ``rows_of`` maps the names read so far to their rows; the row's name is added to it.
    """
    name = cells.get("name")
    if name is None:
        sheet.error(f"{what} has no name", row=row, column="name")
    name = _as_text(sheet, row, "name", name, None)
    if name in rows_of:
        sheet.error(
            f"the name {name!r} is used twice (also row {rows_of[name]})",
            row=row,
            column="name",
            label=name,
        )
    rows_of[name] = row
    return name


def _refused(
    sheet: _Sheet, row: int, name: str, exc: ValueCaseError, columns: Sequence[str], default: str
) -> None:
    """Report the validation error ``exc`` of row ``name`` at the column its message names."""
    message = _strip_prefix(str(exc), name)
    sheet.error(message, row=row, column=_locate(message, columns) or default, label=name)


def _read_assumptions(sheet: _Sheet) -> dict[str, Any]:
    from salesworkbench.value.case import Assumption

    out: dict[str, Any] = {}
    rows_of: dict[str, int] = {}
    for row, cells in sheet.rows():
        name = _row_name(sheet, row, cells, "the assumption", rows_of)
        kind = cells.get("dist")
        if kind is None:
            sheet.error(
                "no distribution; pick one from the drop-down", row=row, column="dist", label=name
            )
        if not isinstance(kind, str) or kind.strip().lower() not in DISTRIBUTIONS:
            sheet.error(
                f"unknown distribution {kind!r}; choose one of {', '.join(DISTRIBUTIONS)}",
                row=row,
                column="dist",
                label=name,
            )
        spec: dict[str, Any] = {"dist": kind}
        required, optional = DISTRIBUTIONS[kind.strip().lower()]
        for key in _PARAMS:
            if key not in cells:
                continue
            if key not in (*required, *optional):
                sheet.error(
                    f"{key} does not apply to a {kind} distribution (it takes "
                    f"{', '.join((*required, *optional))}); clear the cell",
                    row=row,
                    column=key,
                    label=name,
                )
            reader = _as_list if key in _LIST_PARAMS else _as_number
            spec[key] = reader(sheet, row, key, cells[key], name)
        for key in required:
            if key not in spec:
                missing = "" if key in sheet.columns else " (the column is missing: restore it)"
                sheet.error(
                    f"a {kind} distribution needs {key}{missing}", row=row, column=key, label=name
                )
        _check_order(sheet, row, name, spec)
        for key, value in cells.items():
            if key in ("name", "dist", *_PARAMS):
                continue
            spec[key] = (
                value
                if key not in ("unit", "source", "notes")
                else _as_text(sheet, row, key, value, name)
            )
        try:
            Assumption.from_spec(name, spec)
        except ValueCaseError as exc:
            _refused(sheet, row, name, exc, ("name", *_PARAMS), "dist")
        out[name] = spec
    return out


def _check_order(sheet: _Sheet, row: int, name: str, spec: Mapping[str, Any]) -> None:
    """Check that min <= mode <= max and p10 <= p90, worded for the cell to fix."""
    for lo, hi in (("min", "max"), ("min", "mode"), ("mode", "max"), ("p10", "p90")):
        if lo in spec and hi in spec and not spec[lo] <= spec[hi]:
            column = lo if lo == "min" else hi
            sheet.error(
                f"{lo} {spec[lo]:g} is above {hi} {spec[hi]:g}", row=row, column=column, label=name
            )


def _read_lines(sheet: _Sheet, kind: str, names: Sequence[str], horizon: Any) -> list[dict]:
    from salesworkbench.value.case import _is_int, _parse_line

    known = LINE_COLUMNS[sheet.name]
    out: list[dict] = []
    rows_of: dict[str, int] = {}
    for i, (row, cells) in enumerate(sheet.rows()):
        name = _row_name(sheet, row, cells, f"the {kind}", rows_of)
        line: dict[str, Any] = {"name": name}
        for key in known[1:]:
            if key not in cells:
                continue
            if key == "formula":
                line[key] = _as_text(sheet, row, key, cells[key], name)
            elif key in _LIST_COLUMNS:
                line[key] = _as_list(sheet, row, key, cells[key], name)
            elif key == "year":
                line[key] = _as_number(sheet, row, key, cells[key], name)
            else:
                line[key] = _as_text(sheet, row, key, cells[key], name)
        if "formula" not in line:
            sheet.error(f"the {kind} has no formula", row=row, column="formula", label=name)
        for key, value in cells.items():
            if key not in known:
                line[key] = value
        if _is_int(horizon) and 1 <= horizon <= 100:
            try:
                _parse_line(line, kind, i, names, int(horizon))
            except ValueCaseError as exc:
                _refused(sheet, row, name, exc, known[1:], "formula")
        out.append(line)
    return out


def _read_case_sheet(sheet: _Sheet) -> dict[str, Any]:
    out: dict[str, Any] = {}
    statement: dict[str, Any] = {}
    for row, cells in sheet.rows():
        key = cells.get("key")
        if key is None:
            sheet.error("a value without a key", row=row, column="key")
        key = str(key)
        value = cells.get("value")
        if key in ("horizon_years", "discount_rate"):
            if value is None:
                sheet.error(f"{key} needs a number", row=row, column="value", label=key)
            out[key] = _as_number(sheet, row, "value", value, key)
        elif key in ("name", "customer", "currency"):
            out[key] = "" if value is None else _as_text(sheet, row, "value", value, key)
        elif key.startswith("statement."):
            if value is not None:
                statement[key[len("statement.") :]] = _as_text(sheet, row, "value", value, key)
        elif key.startswith("extra."):
            try:
                out[key[len("extra.") :]] = json.loads(value) if isinstance(value, str) else value
            except json.JSONDecodeError:
                out[key[len("extra.") :]] = value
        else:
            sheet.error(
                f"unknown key {key!r}; the keys are {', '.join(_CASE_KEYS)}, statement.<part> "
                "and extra.<key>",
                row=row,
                column="key",
                label=key,
            )
    out["statement"] = statement
    return out


def _read_correlations(sheet: _Sheet, assumptions: Mapping[str, Any]) -> list[list]:
    from salesworkbench.value.case import Assumption, ValueCase

    parsed = {n: Assumption.from_spec(n, s) for n, s in assumptions.items()}
    out = []
    for row, cells in sheet.rows():
        a, b = cells.get("assumption_a"), cells.get("assumption_b")
        label = f"{a}, {b}"
        for col in _CORRELATION_COLUMNS:
            if col not in cells:
                sheet.error(f"{col} is empty", row=row, column=col, label=label)
        rho = _as_number(sheet, row, "rho", cells["rho"], label)
        item = [str(a), str(b), rho]
        try:
            ValueCase._parse_correlations([item], parsed)
        except ValueCaseError as exc:
            message = str(exc)
            column = (
                "rho"
                if "rho" in message.split(":", 1)[-1]
                else (
                    "assumption_b" if repr(str(b)) in message.split(":", 1)[-1] else "assumption_a"
                )
            )
            sheet.error(message.split(": ", 1)[-1], row=row, column=column, label=label)
        out.append(item)
    return out


def from_excel(path: str | os.PathLike) -> ValueCase:
    """Read a value case workbook written by :func:`to_excel` (and perhaps edited).

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` file.

    Returns
    -------
    ValueCase

    Raises
    ------
    ExcelCaseError
        Naming the sheet, row and column (and cell) at fault: a missing sheet or required
        column, an unknown distribution, text in a number cell, min above max, an Excel formula
        typed into a cell, a formula over an unknown assumption, ...
    """
    from openpyxl import load_workbook

    from salesworkbench.value.case import ValueCase

    path = Path(path)
    file = str(path)
    try:
        wb = load_workbook(path, data_only=False)  # formulas stay formulas: we refuse them
    except FileNotFoundError:
        raise FileNotFoundError(f"{file}: file not found (a value case workbook, .xlsx)") from None
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, ...
        raise ValueCaseError(f"{file}: not an Excel workbook (.xlsx): {exc}") from None
    sheets: dict[str, _Sheet] = {}
    for name in SHEETS:
        if name not in wb.sheetnames:
            raise ExcelCaseError(
                f"the sheet is missing (sheets found: {', '.join(wb.sheetnames)})",
                sheet=name,
                file=file,
            )
        sheets[name] = _Sheet(wb[name], name, file)
    data = _read_case_sheet(sheets["Case"])
    data["assumptions"] = _read_assumptions(sheets["Assumptions"])
    names = list(data["assumptions"])
    horizon = data.get("horizon_years", 1)
    data["benefits"] = _read_lines(sheets["Benefits"], "benefit", names, horizon)
    data["investments"] = _read_lines(sheets["Investments"], "investment", names, horizon)
    data["correlations"] = _read_correlations(sheets["Correlations"], data["assumptions"])
    try:
        return ValueCase.from_dict(data, source=file)
    except ValueCaseError as exc:
        message = str(exc)[len(file) + 2 :] if str(exc).startswith(file) else str(exc)
        sheet = "Case"
        if "correlation" in message:
            sheet = "Correlations"
        elif "benefit" in message:
            sheet = "Benefits"
        elif "investment" in message:
            sheet = "Investments"
        raise ExcelCaseError(message, sheet=sheet, file=file) from None
