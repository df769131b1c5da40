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
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from salesworkbench.errors import DataError, DataWarning
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
    "MAPPINGS",
    "STATUS_OF_STAGE",
    "load_mapping",
    "read_accounts",
    "read_leads",
    "read_opportunities",
    "read_stage_history",
    "read_table",
]

PathLike = str | os.PathLike

#: Column mappings for common CRM report exports (file column -> canonical column).
MAPPINGS: dict[str, dict[str, str]] = {
    "salesforce": {
        "Opportunity ID": "opportunity_id",
        "Opportunity Name": "name",
        "Account Name": "account",
        "Stage": "stage",
        "Amount": "amount",
        "Amount Currency": "currency",
        "Opportunity Currency": "currency",
        "Close Date": "close_date",
        "Created Date": "created",
        "Probability (%)": "probability",
        "Forecast Category": "forecast_category",
        "Opportunity Owner": "owner",
        "Product Name": "product",
        "Product": "product",
    },
    "hubspot": {
        "Record ID": "opportunity_id",
        "Deal Name": "name",
        "Associated Company": "account",
        "Deal Stage": "stage",
        "Amount": "amount",
        "Close Date": "close_date",
        "Create Date": "created",
        "Deal owner": "owner",
        "Deal Probability": "probability",
        "Forecast category": "forecast_category",
    },
}

#: Stage names recognised without a ``stages`` mapping (compared case- and space-insensitively).
STATUS_OF_STAGE: dict[str, str] = {
    # closed
    "closed won": "won",
    "won": "won",
    "closed/won": "won",
    "closedwon": "won",
    "closed lost": "lost",
    "lost": "lost",
    "closed/lost": "lost",
    "closedlost": "lost",
    "disqualified": "lost",
    # the sales model's lifecycle
    **{s.value.replace("_", " "): s.status for s in Stage},
    # Salesforce default sales process
    "prospecting": "open",
    "qualification": "open",
    "needs analysis": "open",
    "value proposition": "open",
    "id. decision makers": "open",
    "perception analysis": "open",
    "proposal/price quote": "open",
    "proposal": "open",
    "negotiation/review": "open",
    "negotiation": "open",
    # HubSpot default pipeline
    "appointmentscheduled": "open",
    "appointment scheduled": "open",
    "qualifiedtobuy": "open",
    "qualified to buy": "open",
    "presentationscheduled": "open",
    "presentation scheduled": "open",
    "decisionmakerboughtin": "open",
    "decision maker bought-in": "open",
    "contractsent": "open",
    "contract sent": "open",
    # common others
    "engaging": "open",
    "discovery": "open",
    "open": "open",
}

_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0"}


def _norm(name: str) -> str:
    """Normalise a header or stage name for matching: lower case, single spaces."""
    return re.sub(r"[\s_]+", " ", str(name).strip().lower())


#: Mapping-file sections that apply to one table only.
_ENTITY_SECTIONS = ("opportunities", "accounts", "stage_history", "leads")


def load_mapping(
    source: PathLike | Mapping | str | None, entity: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Return ``(columns, stages)`` from a mapping dict, a preset name or a YAML/JSON file.

    A mapping file holds either a plain ``file column: canonical column`` mapping, or sections:
    ``columns:`` and ``stages:``, and, so that one file can serve a whole CRM export, a section
    per table (``opportunities:``, ``accounts:``, ``stage_history:``, ``leads:``), each a
    ``file column: canonical column`` mapping that applies to that table only (on top of
    ``columns:``). Files are read with ``yaml.safe_load``.

    Parameters
    ----------
    source : dict, str or path, optional
        A dict, a preset name from :data:`MAPPINGS` (``"salesforce"``, ``"hubspot"``) or the
        path of a mapping file.
    """
    if source is None:
        return {}, {}
    if isinstance(source, str) and source in MAPPINGS:
        return dict(MAPPINGS[source]), {}
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            presets = ", ".join(MAPPINGS)
            raise DataError(f"mapping file not found (presets: {presets})", file=str(path))
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise DataError(f"not a valid YAML/JSON mapping: {exc}", file=str(path)) from None
        where = str(path)
    else:
        data, where = source, "mapping"
    if not isinstance(data, Mapping):
        raise DataError("a mapping must be 'file column: canonical column' pairs", file=where)
    sections = {"columns", "stages", *_ENTITY_SECTIONS}
    if sections & set(data):
        unknown = sorted(set(data) - sections)
        if unknown:
            raise DataError(
                f"unknown mapping section(s) {', '.join(map(repr, unknown))}; "
                f"expected {', '.join(sorted(sections))}",
                file=where,
            )
        columns, stages = dict(data.get("columns") or {}), data.get("stages") or {}
        for section in _ENTITY_SECTIONS:
            if not isinstance(data.get(section) or {}, Mapping):
                raise DataError(f"section {section!r} must map names to names", file=where)
        if entity is not None:
            columns.update(data.get(entity) or {})
    else:
        columns, stages = data, {}
    for section, pairs in (("columns", columns), ("stages", stages)):
        if not isinstance(pairs, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in pairs.items()
        ):
            raise DataError(f"section {section!r} must map names to names", file=where)
    return dict(columns), dict(stages)


def read_table(
    path: PathLike, *, sheet: str | int | None = None, skiprows: int = 0
) -> pd.DataFrame:
    """Read a CSV or Excel file as text, exactly as exported (no type guessing).

    Every cell is a string (blank cells are empty strings), so that the importers can report
    precisely which cell could not be parsed. CSV files may have a UTF-8 byte-order mark and
    Windows line endings.

    Parameters
    ----------
    path : path-like
        ``.csv``/``.txt`` or ``.xlsx``/``.xlsm``.
    sheet : str or int, optional
        Excel sheet name or index (default: the first sheet).
    skiprows : int, default 0
        Lines above the header (title lines of some report exports).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            raw = pd.read_excel(
                path, sheet_name=sheet or 0, dtype=object, skiprows=skiprows, engine="openpyxl"
            )
            raw = raw.map(_cell_to_text)
        elif suffix in (".csv", ".txt", ""):
            raw = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                skiprows=skiprows,
                skipinitialspace=False,
            )
        else:
            raise DataError(f"unsupported file type {suffix!r}; use .csv or .xlsx", file=str(path))
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"cannot be read as a table: {exc}", file=str(path)) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    raw.attrs["source"] = str(path)
    raw.attrs["first_row"] = skiprows + 2
    return raw


def _cell_to_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class _Importer:
    """Turns a raw text table into a canonical one, collecting notes as it goes."""

    def __init__(self, raw: pd.DataFrame, schema: Schema, source: str, first_row: int) -> None:
        self.raw = raw
        self.schema = schema
        self.source = source
        self.first_row = first_row
        self.notes: list[str] = []
        self.file_name: dict[str, str] = {}  # canonical -> name in the file

    def rows(self, mask: np.ndarray) -> list[int]:
        return (np.flatnonzero(mask) + self.first_row).tolist()

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
        raw = self.raw
        canonical = set(self.schema.names)
        unknown_targets = sorted(set(mapping.values()) - canonical)
        if unknown_targets:
            raise DataError(
                f"mapping targets {', '.join(map(repr, unknown_targets))} are not canonical "
                f"{self.schema.entity} columns ({', '.join(self.schema.names)})",
                file=self.source,
            )
        missing_sources = [k for k in mapping if k not in raw.columns]
        present = [k for k in mapping if k in raw.columns]
        if missing_sources and not present:
            raise DataError(
                f"none of the mapped columns {missing_sources} are in the file; "
                f"it has {list(raw.columns)}",
                file=self.source,
            )
        renames: dict[str, str] = {}
        for file_col, canon in mapping.items():
            if file_col in raw.columns and canon not in renames.values():
                renames[file_col] = canon
        for col in raw.columns:
            if col in renames:
                continue
            guess = _norm(col).replace(" ", "_")
            if guess in canonical and guess not in renames.values():
                renames[col] = guess
        clash = [
            c
            for c in raw.columns
            if c not in renames and any(t == c and k != c for k, t in renames.items())
        ]
        if clash:
            sources = {col for col, canon in renames.items() if canon in clash}
            raise DataError(
                f"column(s) {', '.join(map(repr, sorted(sources)))} are mapped to "
                f"{', '.join(map(repr, clash))}, which the file already has; map one of them "
                "elsewhere",
                file=self.source,
            )
        self.file_name = {canon: col for col, canon in renames.items()}
        frame = raw.rename(columns=renames)
        missing = [c for c in self.schema.required if c not in frame.columns]
        # status can be derived from stage (and stage from status) for opportunities
        if self.schema is OPPORTUNITIES:
            # derivable or fillable: status from stage (or stage from status), the id from the
            # opportunity name; account, created, owner and product are left blank with a note
            fillable = {"status", "account", "created", "owner", "product"}
            if "status" in frame.columns:
                fillable.add("stage")
            if "name" in frame.columns:
                fillable.add("opportunity_id")
            missing = [c for c in missing if c not in fillable]
        if missing:
            raise DataError(
                f"missing required column(s) {', '.join(missing)}; the file has "
                f"{', '.join(map(repr, raw.columns))}. Pass mapping={{'<file column>': "
                f"'<canonical>'}} to name them",
                file=self.source,
            )
        return frame

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

    def parse(self, frame: pd.DataFrame, column: Column) -> pd.Series:
        text = frame[column.name]
        blank = (text == "").to_numpy()
        if column.dtype == "str":
            return text.mask(blank, None).astype("str")
        if column.dtype in ("float", "int"):
            return self._number(text, blank, column)
        if column.dtype == "date":
            return self._date(text, blank, column)
        if column.dtype == "category":
            return self._category(text, blank, column)
        raise AssertionError(column.dtype)  # pragma: no cover

    def _number(self, text: pd.Series, blank: np.ndarray, column: Column) -> pd.Series:
        # "GBP 1,200.50", "1 200 EUR", "£300", "45%", "(120)" are numbers as exported
        cleaned = text.str.replace(
            r"^[A-Z]{3}\s*(?=[\d.(-])|(?<=[\d.])\s*[A-Z]{3}$", "", regex=True
        )
        cleaned = cleaned.str.replace(r"[,\s$£€%]", "", regex=True)
        cleaned = cleaned.str.replace(r"^\((.*)\)$", r"-\1", regex=True)  # (123) = -123
        values = pd.to_numeric(cleaned.mask(blank, None), errors="coerce").astype("float64")
        bad = np.isnan(values.to_numpy()) & ~blank
        if bad.any():
            examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
            raise self.error(f"not a number: {examples}", column.name, bad)
        arr = values.to_numpy()
        if column.name in NON_NEGATIVE:
            neg = arr < 0
            if neg.any():
                raise self.error(f"negative {column.name} ({arr[neg][0]:g})", column.name, neg)
        if column.name in ("probability",):
            finite = arr[~np.isnan(arr)]
            percent = text.str.contains("%").any() or (finite.size and finite.max() > 1)
            if percent:
                arr = arr / 100.0
            out = (arr < 0) | (arr > 1)
            if out.any():
                raise self.error("probability outside 0-100%", column.name, out)
            values = pd.Series(arr, index=text.index)
        if column.name == "satisfaction":
            out = (arr < 0) | (arr > 10)
            if out.any():
                raise self.error("satisfaction must be on a 0-10 scale", column.name, out)
        if column.dtype == "int":
            frac = ~np.isnan(arr) & (arr != np.round(arr))
            if frac.any():
                raise self.error("not a whole number", column.name, frac)
            return values.astype("Int64")
        return values

    def _date(self, text: pd.Series, blank: np.ndarray, column: Column) -> pd.Series:
        values = pd.to_datetime(text.mask(blank, None), errors="coerce", format="mixed")
        bad = values.isna().to_numpy() & ~blank
        if bad.any():
            examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
            raise self.error(f"not a date: {examples} (use yyyy-mm-dd)", column.name, bad)
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        return values.dt.normalize().astype("datetime64[ns]")

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
        out = self.schema.coerce(frame)
        out.attrs["source"] = self.source
        out.attrs["import_notes"] = list(self.notes)
        return out


def _raw(path: PathLike | pd.DataFrame, entity: str, sheet, skiprows: int):
    """Return ``(text table, source name, spreadsheet row of its first data row)``."""
    if isinstance(path, pd.DataFrame):
        source = path.attrs.get("source", f"{entity} table")
        first_row = path.attrs.get("first_row", 2)
        raw = path.astype(object).map(_cell_to_text)
        raw.columns = [str(c).strip() for c in raw.columns]
        return raw, source, first_row
    raw = read_table(path, sheet=sheet, skiprows=skiprows)
    return raw, raw.attrs["source"], raw.attrs["first_row"]


def _start(
    raw: pd.DataFrame, source: str, first_row: int, schema: Schema, columns: Mapping[str, str]
) -> tuple[_Importer, pd.DataFrame]:
    imp = _Importer(raw, schema, source, first_row)
    frame = imp.strip(imp.rename(columns))
    for column in schema.columns:
        if column.name in frame.columns:
            frame[column.name] = imp.parse(frame, column)
    return imp, frame


def read_opportunities(
    path: PathLike | pd.DataFrame,
    mapping: Mapping[str, str] | PathLike | None = None,
    stages: Mapping[str, str] | None = None,
    *,
    sheet: str | int | None = None,
    skiprows: int = 0,
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
    sheet, skiprows
        See :func:`read_table`.
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
    columns, file_stages = load_mapping(mapping, "opportunities")
    raw, source, first_row = _raw(path, "opportunities", sheet, skiprows)
    imp, frame = _start(raw, source, first_row, OPPORTUNITIES, columns)
    stage_map = {_norm(k): v for k, v in STATUS_OF_STAGE.items()}
    for name, target in {**file_stages, **(stages or {})}.items():
        status = _status_of(target)
        if status is None:
            raise DataError(
                f"stages: {name!r} maps to {target!r}; use open, won, lost or a lifecycle "
                f"stage ({', '.join(s.value for s in Stage)})",
                file=imp.source,
            )
        stage_map[_norm(name)] = status
    if "stage" not in frame.columns:
        frame["stage"] = frame["status"].astype(str)
    if "opportunity_id" not in frame.columns:
        frame.insert(0, "opportunity_id", frame["name"])
        imp.file_name["opportunity_id"] = imp.file_name.get("name", "name")
        imp.note("no opportunity id column: the opportunity name is used as the id")
    stage_status = frame["stage"].map(lambda s: stage_map.get(_norm(s)) if pd.notna(s) else None)
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
    if currency is not None and "currency" not in frame.columns:
        frame["currency"] = currency
    for col in ("created", "close_date", "owner", "product", "account", "amount"):
        if col not in frame.columns:
            kind = {"amount": np.nan, "created": pd.NaT, "close_date": pd.NaT}.get(col, None)
            frame[col] = kind
            imp.note(f"no {col!r} column; left blank")
    closed = frame["status"].isin(["won", "lost"]).to_numpy()
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
    t = _norm(target).replace(" ", "_")
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
    columns, _ = load_mapping(mapping, "accounts")
    raw, source, first_row = _raw(path, "accounts", sheet, skiprows)
    has_id = "account_id" in {_norm(c).replace(" ", "_") for c in raw.columns} | set(
        columns.values()
    )
    schema = ACCOUNTS
    if not has_id:
        # accounts identified by name: "name" (or a column called "account") is the id
        names_in_file = {_norm(c).replace(" ", "_") for c in raw.columns}
        if "name" not in set(columns.values()) and "name" not in names_in_file:
            columns = {**columns, **{c: "name" for c in raw.columns if _norm(c) == "account"}}
        schema = Schema(
            ACCOUNTS.entity,
            "name",
            tuple(
                dataclasses.replace(c, required=c.required and c.name != "account_id")
                for c in ACCOUNTS.columns
            ),
        )
    imp, frame = _start(raw, source, first_row, schema, columns)
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
) -> pd.DataFrame:
    """Read a lead export into the canonical lead table.

    ``state`` accepts the lifecycle's lead states (``new``, ``qualified_lead``, ``suspect``,
    ``qualified_opportunity``, ``disqualified``); spaces are read as underscores.
    """
    columns, _ = load_mapping(mapping, "leads")
    raw, source, first_row = _raw(path, "leads", sheet, skiprows)
    imp, frame = _start(raw, source, first_row, LEADS, columns)
    imp.check_key(frame)
    imp.unify_spelling(frame, "source")
    return imp.finish(frame)


def read_stage_history(
    path: PathLike | pd.DataFrame,
    mapping: Mapping[str, str] | PathLike | None = None,
    *,
    sheet: str | int | None = None,
    skiprows: int = 0,
) -> pd.DataFrame:
    """Read a stage-history (opportunity field history) export into the canonical table.

    Without a ``change_id`` column, one is made from the row number.
    """
    columns, _ = load_mapping(mapping, "stage_history")
    raw, source, first_row = _raw(path, "stage history", sheet, skiprows)
    if "change_id" not in {_norm(c).replace(" ", "_") for c in raw.columns} | set(columns.values()):
        raw.insert(0, "change_id", [f"h{i + 1}" for i in range(len(raw))])
    imp, frame = _start(raw, source, first_row, STAGE_HISTORY, columns)
    imp.check_key(frame)
    return imp.finish(frame)
