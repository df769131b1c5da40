"""Reading CRM exports (CSV or Excel) into the canonical tables.

Every CRM names its columns and stages differently. A ``mapping`` from the file's column names
to the canonical ones (see :mod:`salesworkbench.schemas`) lets an export be used as it is::

    opps = read_opportunities(
        "pipeline.csv",
        mapping={"Opportunity Name": "name", "Account Name": "account", "Stage": "stage",
                 "Amount": "amount", "Close Date": "close_date", "Created Date": "created",
                 "Opportunity Owner": "owner"},
        stages={"Prospecting": "open", "Won": "won", "Lost": "lost"},
    )

Columns already named canonically (in any case, with spaces or underscores) need no mapping.
Bad input raises :class:`~salesworkbench.DataError` naming the file, the spreadsheet row(s)
(header = row 1) and the column as named in the file. Fixable oddities (trailing whitespace,
inconsistent spellings of one product, blank accounts on deals) are fixed or kept and reported
as :class:`~salesworkbench.DataWarning` with a count; the same messages are kept in
``frame.attrs["import_notes"]``. No row is ever dropped by an importer.

What is refused and what is handled (with a note) is listed in ``docs/importing.md``: day/month
order and decimal separators are detected per column (or given as ``dayfirst``,
``date_format``, ``decimal``, also as entries of a mapping file), delimiters and encodings are
sniffed, common aliases of canonical column names (``created_date``, ``Create Date``,
``deal_stage``, ``account_name``, ``amount_usd``, ...) are recognised, and malformed rows,
merged cells, formulas without values, mixed scales and currencies are refused naming the
rows. Reading the file's shape is :mod:`salesworkbench.io.sheets`; naming its columns
canonically is :mod:`salesworkbench.io.columns`; reading dates and numbers is
:mod:`salesworkbench.io.parsing`.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.io.checks import check_values
from salesworkbench.io.columns import rename_columns
from salesworkbench.io.mapping import (
    _FALSE,
    _TRUE,
    ALIASES,
    MAPPINGS,
    OPTIONS,
    STATUS_OF_STAGE,
    MappingSpec,
    _check_option,
    _key,
    load_mapping,
    load_mapping_spec,
    normalise_name,
)
from salesworkbench.io.parsing import (
    MONEY_COLUMNS,
    CellError,
    _first,
    _iso,
    _same_currency,
    parse_dates,
    parse_numbers,
)
from salesworkbench.io.sheets import cell_to_text, read_raw
from salesworkbench.model import Stage
from salesworkbench.schemas import (
    ACCOUNTS,
    LEADS,
    NON_NEGATIVE,
    OPPORTUNITIES,
    STAGE_HISTORY,
    Column,
    Schema,
)

__all__ = [
    "ALIASES",
    "MAPPINGS",
    "OPTIONS",
    "STATUS_OF_STAGE",
    "MappingSpec",
    "check_values",
    "load_mapping",
    "load_mapping_spec",
    "read_accounts",
    "read_leads",
    "read_opportunities",
    "read_stage_history",
    "read_table",
]

PathLike = str | os.PathLike


def read_table(
    path: PathLike,
    *,
    sheet: str | int | None = None,
    skiprows: int = 0,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or Excel file as text, exactly as exported (no type guessing).

    Every cell is a string (blank cells are empty strings), so that the importers can report
    precisely which cell could not be parsed. See :func:`salesworkbench.io.sheets.read_raw` for
    encodings, delimiters and what is refused (rows with too many or too few fields, duplicate
    header names, merged cells, formulas without values). ``attrs["import_notes"]`` says
    what was done to read it.

    Parameters
    ----------
    path : path-like
        ``.csv``/``.txt`` or ``.xlsx``/``.xlsm``.
    sheet : str or int, optional
        Excel sheet name or index (default: the first sheet).
    skiprows : int, default 0
        Lines above the header (title lines of some report exports).
    delimiter, encoding : str, optional
        CSV delimiter and encoding (detected when not given).
    """
    table = read_raw(path, sheet=sheet, skiprows=skiprows, delimiter=delimiter, encoding=encoding)
    raw = table.frame.reset_index(drop=True)
    raw.attrs["source"] = table.source
    raw.attrs["first_row"] = skiprows + 2
    raw.attrs["import_notes"] = list(table.notes)
    return raw


class _Importer:
    """Turns a raw text table into a canonical one, collecting notes as it goes."""

    def __init__(
        self,
        raw: pd.DataFrame,
        schema: Schema,
        source: str,
        notes: list[str] | None = None,
        options: Mapping[str, object] | None = None,
    ) -> None:
        self.raw = raw
        self.schema = schema
        self.source = source
        self.row_numbers = np.asarray(raw.index, dtype=np.int64)
        self.notes: list[str] = list(notes or [])
        self.options = dict(options or {})
        self.file_name: dict[str, str] = {}  # canonical -> name in the file
        self.currency_of: dict[str, np.ndarray] = {}  # money column -> marked currency
        self.currency_from_name: dict[str, str] = {}  # money column -> currency in its name

    def rows(self, mask: np.ndarray) -> list[int]:
        return self.row_numbers[np.asarray(mask, dtype=bool)].tolist()

    def error(self, problem: str, column: str | None = None, mask=None) -> DataError:
        return DataError(
            problem,
            file=self.source,
            column=self.file_name.get(column, column) if column else None,
            rows=self.rows(mask) if mask is not None else None,
        )

    def note(self, message: str) -> None:
        self.notes.append(message)

    def rename(self, mapping: Mapping[str, str]) -> pd.DataFrame:
        """The raw table with canonical column names (see :mod:`salesworkbench.io.columns`)."""
        return rename_columns(self, mapping)

    def strip(self, frame: pd.DataFrame) -> pd.DataFrame:
        counts = 0
        for col in frame.columns:
            s = frame[col].astype(str)
            stripped = s.str.strip()
            changed = (s != stripped).to_numpy()
            counts += int(changed.sum())
            frame[col] = stripped
        if counts:
            self.note(f"{counts} cell(s) had leading or trailing whitespace, removed")
        return frame

    def label(self, column: str) -> str:
        return f"column {self.file_name.get(column, column)!r}"

    def parse(self, frame: pd.DataFrame, column: Column) -> pd.Series:
        text = frame[column.name]
        blank = (text == "").to_numpy()
        try:
            if column.dtype == "str":
                return text.mask(blank, None).astype("str")
            if column.dtype in ("float", "int"):
                return self._number(text, blank, column)
            if column.dtype == "date":
                return self._date(text, blank, column)
            if column.dtype == "category":
                return self._category(text, blank, column)
        except CellError as exc:
            raise self.error(exc.problem, column.name, exc.mask) from None
        raise AssertionError(column.dtype)  # pragma: no cover

    def _number(self, text: pd.Series, blank: np.ndarray, column: Column) -> pd.Series:
        reading = parse_numbers(
            text,
            blank,
            name=column.name,
            decimal=self.options.get("decimal"),
            rows_of=self.rows,
            label=self.label(column.name),
        )
        self.notes.extend(reading.notes)
        arr = reading.values
        if column.name in MONEY_COLUMNS and pd.notna(reading.currency).any():
            self.currency_of[column.name] = reading.currency
        if column.name in NON_NEGATIVE:
            neg = arr < 0
            if neg.any():
                raise self.error(f"negative {column.name} ({arr[neg][0]:g})", column.name, neg)
        if column.name == "probability":
            out = (arr < 0) | (arr > 1)
            if out.any():
                raise self.error("probability outside 0-100%", column.name, out)
        if column.name == "satisfaction":
            out = (arr < 0) | (arr > 10)
            if out.any():
                raise self.error("satisfaction must be on a 0-10 scale", column.name, out)
        values = pd.Series(arr, index=text.index)
        if column.dtype == "int":
            frac = ~np.isnan(arr) & (arr != np.round(arr))
            if frac.any():
                raise self.error("not a whole number", column.name, frac)
            return values.astype("Int64")
        return values

    def _date(self, text: pd.Series, blank: np.ndarray, column: Column) -> pd.Series:
        return parse_dates(
            text,
            blank,
            dayfirst=self.options.get("dayfirst"),
            date_format=self.options.get("date_format"),
            rows_of=self.rows,
            notes=self.notes,
            label=self.label(column.name),
        )

    def _category(self, text: pd.Series, blank: np.ndarray, column: Column) -> pd.Series:
        low = text.str.lower()
        if set(column.categories) == {"no", "yes"}:
            low = low.map(lambda v: "yes" if v in _TRUE else "no" if v in _FALSE else v)
        low = low.str.replace(" ", "_")
        bad = ~low.isin(column.categories).to_numpy() & ~blank
        if bad.any():
            examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
            allowed = ", ".join(column.categories)
            raise self.error(f"unknown value {examples}; allowed: {allowed}", column.name, bad)
        return pd.Series(
            pd.Categorical(low.mask(blank, None), categories=list(column.categories)),
            index=text.index,
        )

    def currencies(self, frame: pd.DataFrame, *, fill: str | None) -> None:
        """Check currencies marked on amounts against the file's; record the file's."""
        stated = self.options.get("currency") or fill
        has_column = "currency" in frame.columns
        for col, code in self.currency_from_name.items():
            if col in frame.columns:
                named = np.where(frame[col].notna().to_numpy(), code, None).astype(object)
                marked = self.currency_of.get(col)
                if marked is not None:
                    named = np.where(pd.notna(marked), marked, named)
                self.currency_of[col] = named
        for col, marked in self.currency_of.items():
            has = pd.notna(marked)
            if has_column:
                row_cur = frame["currency"].astype(object).to_numpy()
                known = pd.notna(row_cur)
                clash = has & known & ~_same_currency(marked, row_cur)
                if clash.any():
                    raise self.error(
                        f"amount marked {_first(marked, clash)} but the row's currency is "
                        f"{_first(row_cur, clash)}; fix the amount or the currency",
                        col,
                        clash,
                    )
                fill_rows = has & ~known
                if fill_rows.any():
                    codes = np.array([_iso(c) for c in marked], dtype=object)
                    frame.loc[fill_rows, "currency"] = codes[fill_rows]
                    self.note(
                        f"{int(fill_rows.sum())} row(s) with a blank currency take the currency "
                        f"marked on their {self.label(col)} value"
                    )
                continue
            codes = pd.unique(np.array([_iso(c) for c in marked[has]], dtype=object))
            if len(codes) > 1:
                counts = pd.Series([_iso(c) for c in marked[has]]).value_counts()
                minority = has & (np.array([_iso(c) for c in marked]) != counts.index[0])
                raise self.error(
                    f"amounts in more than one currency ({', '.join(counts.index)}); convert "
                    "them to one currency or add a currency column",
                    col,
                    minority,
                )
            code = codes[0]
            if stated and not _same_currency(np.array([marked[has][0]]), np.array([stated]))[0]:
                raise self.error(
                    f"amounts are marked {code} but the file's currency is {stated}", col, has
                )
            code = stated or code
            guessed = (
                " ('$' read as USD; pass currency= for other dollars)"
                if (not stated and (marked[has] == "$").any())
                else ""
            )
            if self.schema is OPPORTUNITIES:
                frame["currency"] = code
                self.note(
                    f"{self.label(col)}: {int(has.sum())} amount(s) carry the currency {code}"
                    f"{guessed}; the currency column is set to {code}"
                )
            else:
                self.note(
                    f"{self.label(col)}: {int(has.sum())} value(s) carry the currency {code}"
                    f"{guessed}; values are in {code}"
                )
            has_column = self.schema is OPPORTUNITIES and col != "amount" and has_column

    def check_key(self, frame: pd.DataFrame) -> None:
        key = self.schema.key
        blank = frame[key].isna().to_numpy()
        if blank.any():
            raise self.error("blank id", key, blank)
        dup = frame[key].duplicated(keep=False).to_numpy()
        if dup.any():
            ids = ", ".join(map(str, frame.loc[dup, key].unique()[:5]))
            raise self.error(f"duplicate id(s) {ids}", key, dup)

    def unify_spelling(self, frame: pd.DataFrame, column: str) -> None:
        """Unify spellings that differ only in case, spaces, dashes or underscores."""
        if column not in frame.columns:
            return
        s = frame[column]
        counts = s.dropna().value_counts()
        keys = counts.index.str.lower().str.replace(r"[\s_\-]+", "", regex=True)
        for _, group in counts.groupby(keys.to_numpy()):
            if len(group) > 1:
                keep = group.idxmax()
                others = [v for v in group.index if v != keep]
                mask = s.isin(others)
                frame.loc[mask, column] = keep
                self.note(
                    f"column {self.file_name.get(column, column)!r}: spellings "
                    f"{', '.join(map(repr, others))} read as {keep!r} ({int(mask.sum())} rows)"
                )

    def finish(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Coerce to the schema and warn once per note, pointing at the caller's line."""
        for message in self.notes:
            warnings.warn(f"{self.source}: {message}", DataWarning, stacklevel=3)
        out = self.schema.coerce(frame.reset_index(drop=True))
        out.attrs["source"] = self.source
        out.attrs["import_notes"] = list(self.notes)
        return out


def _raw(
    path: PathLike | pd.DataFrame, entity: str, sheet, skiprows: int, options: Mapping
) -> tuple[pd.DataFrame, str, list[str]]:
    """Return ``(text table indexed by spreadsheet row, source name, notes)``."""
    if isinstance(path, pd.DataFrame):
        source = path.attrs.get("source", f"{entity} table")
        first_row = path.attrs.get("first_row", 2)
        raw = path.astype(object).map(cell_to_text)
        raw.columns = [str(c).strip() for c in raw.columns]
        raw.index = pd.RangeIndex(first_row, first_row + len(raw))
        return raw, source, list(path.attrs.get("import_notes", []))
    table = read_raw(
        path,
        sheet=sheet,
        skiprows=skiprows,
        delimiter=options.get("delimiter"),
        encoding=options.get("encoding"),
    )
    return table.frame, table.source, table.notes


def _start(
    raw: pd.DataFrame,
    source: str,
    notes: list[str],
    schema: Schema,
    spec: MappingSpec,
) -> tuple[_Importer, pd.DataFrame]:
    imp = _Importer(raw, schema, source, notes, spec.options)
    frame = imp.strip(imp.rename(spec.columns))
    for column in schema.columns:
        if column.name in frame.columns:
            frame[column.name] = imp.parse(frame, column)
    return imp, frame


def _spec(
    mapping,
    entity: str,
    dayfirst: bool | None,
    date_format: str | None,
    decimal: str | None,
    delimiter: str | None,
    encoding: str | None,
    currency: str | None = None,
) -> MappingSpec:
    """The mapping spec with the reader's keyword options (in the readers' order) checked in."""
    spec = load_mapping_spec(mapping, entity)
    given = {
        "dayfirst": dayfirst,
        "date_format": date_format,
        "decimal": decimal,
        "delimiter": delimiter,
        "encoding": encoding,
        "currency": currency,
    }
    for name, value in given.items():
        if value is not None:
            spec.options[name] = _check_option(name, value, "arguments")
    return spec


def read_opportunities(
    path: PathLike | pd.DataFrame,
    mapping: Mapping[str, str] | PathLike | None = None,
    stages: Mapping[str, str] | None = None,
    *,
    sheet: str | int | None = None,
    skiprows: int = 0,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    decimal: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    currency: str | None = None,
) -> pd.DataFrame:
    """Read an opportunity (deal) export into the canonical opportunity table.

    Parameters
    ----------
    path : path-like or DataFrame
        CSV or Excel file (or a raw table already in memory).
    mapping : dict, preset name or path, optional
        File column -> canonical column (see :data:`salesworkbench.schemas.OPPORTUNITIES`);
        a preset (``"salesforce"``, ``"hubspot"``) or a mapping file with ``columns`` and
        ``stages`` sections.
    stages : dict, optional
        The file's stage names -> ``open``, ``won``, ``lost`` or a lifecycle stage
        (``lead`` ... ``qualified_opportunity``). Common names (Closed Won, Closed Lost, the
        Salesforce and HubSpot defaults) are recognised without it.
    sheet, skiprows, delimiter, encoding
        See :func:`read_table`.
    dayfirst : bool, optional
        Day/month order of dates such as ``03/04/2026`` (detected from the column when not
        given; a column where every date could be read either way is refused without it).
    date_format : str, optional
        An explicit date format (``"%d.%m.%Y"``) every date must match.
    decimal : {".", ","}, optional
        The decimal separator (detected per column when not given).
    currency : str, optional
        Fill the ``currency`` column where the file has none.

    Returns
    -------
    DataFrame
        Canonical opportunities; ``attrs["import_notes"]`` lists what was fixed or is odd.

    Raises
    ------
    DataError
        Missing required column, unparseable date or amount, negative amount, probability
        outside 0-100%, duplicate or blank id, unknown stage, close date before created date;
        the message names the file, row(s) and column.
    """
    spec = _spec(
        mapping, "opportunities", dayfirst, date_format, decimal, delimiter, encoding, currency
    )
    raw, source, notes = _raw(path, "opportunities", sheet, skiprows, spec.options)
    imp, frame = _start(raw, source, notes, OPPORTUNITIES, spec)
    file_stages = spec.stages
    stage_map = {normalise_name(k): v for k, v in STATUS_OF_STAGE.items()}
    for name, target in {**file_stages, **(stages or {})}.items():
        status = _status_of(target)
        if status is None:
            raise DataError(
                f"stages: {name!r} maps to {target!r}; use open, won, lost or a lifecycle "
                f"stage ({', '.join(s.value for s in Stage)})",
                file=imp.source,
            )
        stage_map[normalise_name(name)] = status
    if "stage" not in frame.columns:
        frame["stage"] = frame["status"].astype(str)
    if "opportunity_id" not in frame.columns:
        frame.insert(0, "opportunity_id", frame["name"])
        imp.file_name["opportunity_id"] = imp.file_name.get("name", "name")
        imp.note("no opportunity id column: the opportunity name is used as the id")
    stage_status = frame["stage"].map(
        lambda s: stage_map.get(normalise_name(s)) if pd.notna(s) else None
    )
    unknown = stage_status.isna().to_numpy()
    if unknown.any():
        names = ", ".join(repr(s) for s in frame.loc[unknown, "stage"].unique()[:5])
        raise imp.error(
            f"unknown stage {names}; pass stages={{'<stage>': 'open'|'won'|'lost'}}",
            "stage",
            unknown,
        )
    if "status" in frame.columns:
        given = frame["status"].astype(object).to_numpy()
        clash = pd.notna(given) & (given != stage_status.to_numpy())
        if clash.any():
            raise imp.error("status disagrees with stage", "status", clash)
    frame["status"] = pd.Categorical(stage_status, categories=["open", "won", "lost"])
    imp.check_key(frame)
    imp.currencies(frame, fill=currency)
    if "currency" not in frame.columns and spec.options.get("currency"):
        frame["currency"] = spec.options["currency"]
    for col in ("created", "close_date", "owner", "product", "account", "amount"):
        if col not in frame.columns:
            kind = {"amount": np.nan, "created": pd.NaT, "close_date": pd.NaT}.get(col, None)
            frame[col] = kind
            why = " (forecasts need it: map the file's column)" if col == "created" else ""
            imp.note(f"no {col!r} column; left blank{why}")
    closed = frame["status"].isin(["won", "lost"]).to_numpy()
    _forecasting_columns(imp, frame, closed)
    before = (frame["close_date"] < frame["created"]).to_numpy()
    if before.any():
        raise imp.error("close date before created date", "close_date", before)
    for _col, rows, why in (
        ("account", frame["account"].isna() & ~closed, "open deals with a blank account"),
        ("account", frame["account"].isna() & closed, "closed deals with a blank account"),
        ("close_date", frame["close_date"].isna() & closed, "closed deals without a close date"),
        ("amount", frame["amount"].isna() & ~closed, "open deals without an amount"),
    ):
        if rows.any():
            imp.note(f"{int(rows.sum())} {why} (kept)")
    lost_zero = (frame["status"] == "lost").to_numpy() & (frame["amount"] == 0).to_numpy()
    if lost_zero.any():
        imp.note(
            f"{int(lost_zero.sum())} lost deals have amount 0: their value is unknown, not zero "
            "(forecasts use original_amount or the product's typical amount)"
        )
    if "forecast_category" in frame.columns:
        fc = frame["forecast_category"]
        frame["forecast_category"] = fc.str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    imp.unify_spelling(frame, "product")
    imp.unify_spelling(frame, "owner")
    return imp.finish(frame)


def _status_of(target: str) -> str | None:
    t = normalise_name(target).replace(" ", "_")
    if t in ("open", "won", "lost"):
        return t
    try:
        return Stage(t).status
    except ValueError:
        return None


def read_accounts(
    path: PathLike | pd.DataFrame,
    mapping: Mapping[str, str] | PathLike | None = None,
    *,
    sheet: str | int | None = None,
    skiprows: int = 0,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    decimal: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read an account export into the canonical account table.

    Without an ``account_id`` column, the account ``name`` serves as the id (as in exports
    that identify accounts by name). See :func:`read_opportunities` for ``mapping``.

    Raises
    ------
    DataError
        Missing required column, non-numeric driver, negative revenue/employees/spend,
        satisfaction outside 0-10, duplicate or blank id; names file, row(s) and column.
    """
    spec = _spec(mapping, "accounts", dayfirst, date_format, decimal, delimiter, encoding)
    columns = spec.columns
    raw, source, notes = _raw(path, "accounts", sheet, skiprows, spec.options)
    has_id = "account_id" in {normalise_name(c).replace(" ", "_") for c in raw.columns} | set(
        columns.values()
    )
    schema = ACCOUNTS
    if not has_id:
        # accounts identified by name: "name" (or a column called "account") is the id
        names_in_file = {normalise_name(c).replace(" ", "_") for c in raw.columns}
        if "name" not in set(columns.values()) and "name" not in names_in_file:
            account = [c for c in raw.columns if normalise_name(c) == "account"]
            columns = {**columns, **dict.fromkeys(account, "name")}
        schema = Schema(
            ACCOUNTS.entity,
            "name",
            tuple(
                dataclasses.replace(c, required=c.required and c.name != "account_id")
                for c in ACCOUNTS.columns
            ),
        )
    spec.columns = columns
    imp, frame = _start(raw, source, notes, schema, spec)
    imp.currencies(frame, fill=None)
    if not has_id:
        frame.insert(0, "account_id", frame["name"])
        imp.file_name["account_id"] = imp.file_name.get("name", "name")
        imp.note("no account id column: the account name is used as the id")
    imp.schema = ACCOUNTS
    imp.check_key(frame)
    imp.unify_spelling(frame, "sector")
    return imp.finish(frame)


def read_leads(
    path: PathLike | pd.DataFrame,
    mapping: Mapping[str, str] | PathLike | None = None,
    *,
    sheet: str | int | None = None,
    skiprows: int = 0,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    decimal: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a lead export into the canonical lead table.

    ``state`` accepts the lifecycle's lead states (``new``, ``qualified_lead``, ``suspect``,
    ``qualified_opportunity``, ``disqualified``); spaces are read as underscores.
    """
    spec = _spec(mapping, "leads", dayfirst, date_format, decimal, delimiter, encoding)
    raw, source, notes = _raw(path, "leads", sheet, skiprows, spec.options)
    imp, frame = _start(raw, source, notes, LEADS, spec)
    imp.check_key(frame)
    imp.unify_spelling(frame, "source")
    return imp.finish(frame)


def read_stage_history(
    path: PathLike | pd.DataFrame,
    mapping: Mapping[str, str] | PathLike | None = None,
    *,
    sheet: str | int | None = None,
    skiprows: int = 0,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    decimal: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a stage-history (opportunity field history) export into the canonical table.

    Without a ``change_id`` column, one is made from the row number.
    """
    spec = _spec(mapping, "stage_history", dayfirst, date_format, decimal, delimiter, encoding)
    raw, source, notes = _raw(path, "stage history", sheet, skiprows, spec.options)
    names = {normalise_name(c).replace(" ", "_") for c in raw.columns} | set(spec.columns.values())
    names |= {ALIASES["stage history"].get(_key(c)) for c in raw.columns}
    if "change_id" not in names:
        raw.insert(0, "change_id", [f"h{i + 1}" for i in range(len(raw))])
    imp, frame = _start(raw, source, notes, STAGE_HISTORY, spec)
    imp.currencies(frame, fill=None)
    imp.check_key(frame)
    return imp.finish(frame)


def _forecasting_columns(imp: _Importer, frame: pd.DataFrame, closed: np.ndarray) -> None:
    """Columns forecasts cannot do without: refuse them blank for every row."""
    if not len(frame):
        return
    checks = [("created", np.ones(len(frame), dtype=bool), "every deal")]
    if closed.any():
        checks.append(("close_date", closed, "every won or lost deal"))
    won = (frame["status"] == "won").to_numpy()
    if won.any():
        checks.append(("amount", won, "every won deal"))
    for col, rows, which in checks:
        # a column that is absent is noted (some uses, e.g. territory, need no dates); one
        # that is there but blank for every row is almost always a wrong mapping
        if col in imp.file_name and frame.loc[rows, col].isna().all():
            where = f"column {imp.file_name[col]!r} is blank for {which}"
            raise DataError(
                f"{where}: forecasts need {col!r} (deal ages, cycle times, win values). Map the "
                f"file's column with mapping={{'<file column>': {col!r}}}; the file has "
                f"{', '.join(map(repr, imp.raw.columns))}",
                file=imp.source,
            )
