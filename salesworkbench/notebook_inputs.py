"""What a notebook's parameters cell points at, read once; and prose made from results.

Every notebook starts with a cell of parameters (tagged ``parameters``, papermill's
convention) that name its inputs::

    OPPORTUNITIES_PATH = None  # None: the bundled sample
    ACCOUNTS_PATH = None
    STAGE_HISTORY_PATH = None
    LEADS_PATH = None
    REPS_PATH = None
    MAPPING = None  # a mapping file (YAML) for your exports' column and stage names
    AS_OF = None  # None: the data's last date
    CURRENCY = None
    QUOTA = None

and a later cell reads them with :func:`load_inputs`. The rules:

- **All paths None: the bundled sample**, every table of it, its "today" and its currency.
- **Any path given: your data only.** Tables whose path is None are absent (``None``), never
  filled from the sample; sections that need them say so and skip (:meth:`Inputs.has`,
  :func:`skip`).
- Files are read with :func:`salesworkbench.io.read_opportunities` and its siblings, with
  ``mapping=MAPPING``; the reps table (not a canonical table) by :func:`read_reps`, with the
  mapping file's ``reps:`` section.
- ``AS_OF`` None: the sample's "today", or for your data **the day after the data's last
  date**: the latest of every deal's created date, every closed deal's close date (an open
  deal's close date is only expected), every stage change and every lead's created date.
- ``CURRENCY`` None: the sample's GBP, or the one currency of your opportunities' ``currency``
  column, or the mapping file's ``currency`` option, or ``""`` when none is known.
- ``QUOTA`` None: the sum of the reps' ``quota_per_quarter`` when the reps table has it, else
  None (sections that compare with a quota say so and skip).

Prose that states a figure is made from the results with :func:`say`, so that it is right on
your data too: ``say("Won **{rate}** of {n} closed deals.", rate=percent(0.61), n=1291)``.
Every inserted value is escaped for Markdown; the template is the notebook author's own text.
Nothing here imports IPython: :class:`Said` renders through ``_repr_markdown_``.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.formatting import format_money, format_number, format_percent
from salesworkbench.io.mapping import load_mapping_spec, normalise_name
from salesworkbench.render.page import escape_markdown

__all__ = [
    "TABLES",
    "Inputs",
    "Said",
    "data_as_of",
    "load_inputs",
    "money",
    "number",
    "percent",
    "read_reps",
    "say",
    "skip",
]

PathLike = str | os.PathLike

#: The data inputs a notebook can name, parameter -> table name.
TABLES: dict[str, str] = {
    "OPPORTUNITIES_PATH": "opportunities",
    "ACCOUNTS_PATH": "accounts",
    "STAGE_HISTORY_PATH": "stage_history",
    "LEADS_PATH": "leads",
    "REPS_PATH": "reps",
}

_REP_ALIASES = {
    "rep": "rep",
    "owner": "rep",
    "sales_rep": "rep",
    "sales_agent": "rep",
    "name": "rep",
    "team": "team",
    "manager": "manager",
    "region": "region",
    "territory": "territory",
    "start_date": "start_date",
    "quota_per_quarter": "quota_per_quarter",
    "quarterly_quota": "quota_per_quarter",
    "quota": "quota_per_quarter",
}


@dataclasses.dataclass
class Inputs:
    """The tables a notebook works on, and the settings resolved from its parameters.

    Attributes
    ----------
    opportunities, accounts, stage_history, leads, reps : DataFrame or None
        Canonical tables; None where the input was not given (your data without that file).
    as_of : Timestamp
        The analysis date ("today").
    currency : str
        ISO code of the amounts ("" when unknown).
    quota : float or None
        Bookings quota per quarter.
    sample : bool
        True when every table is the bundled sample.
    sources : dict
        Table -> where it came from (``"bundled sample"`` or the file's name).
    notes : list of str
        How AS_OF, the currency and the quota were chosen.
    """

    opportunities: pd.DataFrame | None
    accounts: pd.DataFrame | None
    stage_history: pd.DataFrame | None
    leads: pd.DataFrame | None
    reps: pd.DataFrame | None
    as_of: pd.Timestamp
    currency: str
    quota: float | None
    sample: bool
    sources: dict[str, str]
    notes: list[str]

    def has(self, *tables: str) -> bool:
        """True when every table named (``"leads"``, ``"stage_history"``, ...) is present."""
        return all(getattr(self, t) is not None and len(getattr(self, t)) > 0 for t in tables)

    def summary(self) -> pd.DataFrame:
        """One row per table: rows and source ("not given" for an absent table)."""
        rows = {}
        for table in TABLES.values():
            frame = getattr(self, table)
            rows[table.replace("_", " ")] = {
                "rows": len(frame) if frame is not None else 0,
                "source": self.sources.get(table, "not given"),
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    def money(self, x: Any, digits: int = 3) -> str:
        """An amount in the inputs' currency: ``"GBP 2.5M"``."""
        return format_money(x, self.currency, digits)


def read_reps(path: PathLike, mapping: Mapping[str, str] | PathLike | None = None) -> pd.DataFrame:
    """Read a sales-team file: one row per rep.

    Columns are renamed by the mapping's ``reps:`` section (and ``columns:``), then by common
    names (``sales_agent``, ``owner`` -> ``rep``; ``quota`` -> ``quota_per_quarter``). Only
    ``rep`` is required; ``team``, ``manager``, ``region``, ``territory``, ``start_date`` and
    ``quota_per_quarter`` are used when present, other columns are kept.

    Raises
    ------
    DataError
        No rep column, blank or duplicate rep names (rows named), a quota that is not a number.
    """
    from salesworkbench.io import read_table

    spec = load_mapping_spec(mapping, "reps")
    raw = read_table(path)
    source = raw.attrs.get("source", str(path))
    given = {normalise_name(k): v for k, v in spec.columns.items()}
    names: dict[str, str] = {}
    for col in raw.columns:
        key = normalise_name(col)
        target = given.get(key) or _REP_ALIASES.get(key.replace(" ", "_"))
        if target and target not in names.values():
            names[col] = target
    frame = raw.rename(columns=names)
    frame = frame.apply(lambda s: s.str.strip() if pd.api.types.is_string_dtype(s) else s)
    if "rep" not in frame.columns:
        raise DataError(
            "no rep column; name it in the mapping file's 'reps:' section (e.g. 'Agent: rep')",
            file=source,
        )
    blank = (frame["rep"] == "").to_numpy()
    dup = frame["rep"].duplicated(keep=False).to_numpy() & ~blank
    first = int(raw.attrs.get("first_row", 2))
    for bad, what in ((blank, "blank rep"), (dup, "duplicate rep")):
        if bad.any():
            raise DataError(
                what, file=source, column="rep", rows=(bad.nonzero()[0] + first).tolist()
            )
    frame = frame.replace("", np.nan)
    if "start_date" in frame.columns:
        frame["start_date"] = pd.to_datetime(frame["start_date"], errors="coerce")
    if "quota_per_quarter" in frame.columns:
        quota = pd.to_numeric(frame["quota_per_quarter"], errors="coerce")
        bad = (quota.isna() & frame["quota_per_quarter"].notna()).to_numpy()
        if bad.any():
            raise DataError(
                "quota is not a number",
                file=source,
                column="quota_per_quarter",
                rows=(bad.nonzero()[0] + first).tolist(),
            )
        frame["quota_per_quarter"] = quota
    frame.attrs["source"] = source
    return frame.reset_index(drop=True)


def data_as_of(
    opportunities: pd.DataFrame | None,
    stage_history: pd.DataFrame | None = None,
    leads: pd.DataFrame | None = None,
) -> pd.Timestamp:
    """The day after the data's last date: the export's "today" when none is given.

    The latest of every deal's ``created``, every closed deal's ``close_date`` (an open deal's
    close date is an expectation, often in the future), every stage change's ``changed`` and
    every lead's ``created``, plus one day.

    Raises
    ------
    DataError
        No dates at all.
    """
    dates: list[pd.Timestamp] = []
    if opportunities is not None and len(opportunities):
        dates.append(pd.to_datetime(opportunities["created"]).max())
        closed = opportunities["status"].astype(object).isin(["won", "lost"]).to_numpy()
        dates.append(pd.to_datetime(opportunities.loc[closed, "close_date"]).max())
    if stage_history is not None and len(stage_history):
        dates.append(pd.to_datetime(stage_history["changed"]).max())
    if leads is not None and len(leads) and "created" in leads.columns:
        dates.append(pd.to_datetime(leads["created"]).max())
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        raise DataError("no dates in the data: set AS_OF", file="inputs")
    return pd.Timestamp(max(dates)).normalize() + pd.Timedelta(days=1)


def _sample() -> dict[str, pd.DataFrame]:
    from salesworkbench import datasets

    return {
        "opportunities": datasets.load_opportunities(),
        "accounts": datasets.load_accounts(),
        "stage_history": datasets.load_stage_history(),
        "leads": datasets.load_leads(),
        "reps": datasets.load_reps(),
    }


def _read(table: str, path: PathLike, mapping) -> pd.DataFrame:
    from salesworkbench import io

    reader = {
        "opportunities": io.read_opportunities,
        "accounts": io.read_accounts,
        "stage_history": io.read_stage_history,
        "leads": io.read_leads,
        "reps": read_reps,
    }[table]
    return reader(path, mapping=mapping)


def _currency(opportunities: pd.DataFrame | None, mapping) -> str:
    if opportunities is not None and "currency" in opportunities.columns:
        codes = opportunities["currency"].dropna().astype(str).unique()
        if len(codes) == 1:
            return str(codes[0])
    if mapping is not None:
        spec = load_mapping_spec(mapping, "opportunities")
        if spec.options.get("currency"):
            return str(spec.options["currency"])
    return ""


def load_inputs(
    OPPORTUNITIES_PATH: PathLike | None = None,
    ACCOUNTS_PATH: PathLike | None = None,
    STAGE_HISTORY_PATH: PathLike | None = None,
    LEADS_PATH: PathLike | None = None,
    REPS_PATH: PathLike | None = None,
    MAPPING: Mapping[str, str] | PathLike | None = None,
    AS_OF: Any = None,
    CURRENCY: str | None = None,
    QUOTA: float | None = None,
    *,
    tables: tuple[str, ...] = tuple(TABLES.values()),
    quiet: bool = True,
) -> Inputs:
    """Read the inputs a notebook's parameters name (see the module docstring for the rules).

    Parameters
    ----------
    OPPORTUNITIES_PATH, ACCOUNTS_PATH, STAGE_HISTORY_PATH, LEADS_PATH, REPS_PATH : path, optional
        CSV or Excel exports. All None: the bundled sample. Otherwise a None path means the
        table is absent.
    MAPPING : dict or path, optional
        The mapping file (or dict) for every table; ignored for the sample.
    AS_OF : date-like, optional
        The analysis date; None: the sample's "today" or :func:`data_as_of`.
    CURRENCY : str, optional
        Currency code; None: the sample's, the data's or the mapping's.
    QUOTA : float, optional
        Bookings quota per quarter; None: the sum of the reps' quotas, if they have them.
    tables : tuple of str
        The tables the notebook uses (others are not read).
    quiet : bool, default True
        Silence the importers' :class:`~salesworkbench.DataWarning` (their notes stay in each
        table's ``attrs["import_notes"]``).

    Returns
    -------
    Inputs

    Raises
    ------
    DataError
        A file cannot be read (the importer's message names the file, rows and column).
    FileNotFoundError
        A path that does not exist.
    """
    paths = {
        "opportunities": OPPORTUNITIES_PATH,
        "accounts": ACCOUNTS_PATH,
        "stage_history": STAGE_HISTORY_PATH,
        "leads": LEADS_PATH,
        "reps": REPS_PATH,
    }
    unknown = set(tables) - set(paths)
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)}; expected {sorted(paths)}")
    sample = all(p is None for p in paths.values())
    frames: dict[str, pd.DataFrame | None] = dict.fromkeys(paths)
    sources: dict[str, str] = {}
    notes: list[str] = []
    if sample:
        data = _sample()
        for t in tables:
            frames[t], sources[t] = data[t], "bundled sample"
    else:
        for t in tables:
            if paths[t] is None:
                continue
            p = Path(paths[t])
            if not p.is_file():
                raise FileNotFoundError(f"{t}: no such file {p}")
            with warnings.catch_warnings():
                if quiet:
                    warnings.simplefilter("ignore", DataWarning)
                frames[t] = _read(t, p, MAPPING)
            sources[t] = p.name
    if AS_OF is not None:
        as_of = pd.Timestamp(AS_OF)
        notes.append(f"as of {as_of.date()} (given)")
    elif sample:
        from salesworkbench import datasets

        as_of = datasets.AS_OF
        notes.append(f"as of {as_of.date()} (the sample's 'today')")
    else:
        as_of = data_as_of(frames["opportunities"], frames["stage_history"], frames["leads"])
        notes.append(f"as of {as_of.date()} (the day after the data's last date)")
    if CURRENCY:
        currency = str(CURRENCY)
    elif sample:
        currency = "GBP"
    else:
        currency = _currency(frames["opportunities"], MAPPING)
    if QUOTA is not None:
        quota: float | None = float(QUOTA)
        notes.append(f"quota {format_money(quota, currency)} per quarter (given)")
    elif frames["reps"] is not None and "quota_per_quarter" in frames["reps"].columns:
        q = pd.to_numeric(frames["reps"]["quota_per_quarter"], errors="coerce")
        quota = float(q.sum()) if q.notna().any() else None
        if quota is not None:
            notes.append(
                f"quota {format_money(quota, currency)} per quarter (the reps' quotas added up)"
            )
    else:
        quota = None
        notes.append("no quota (set QUOTA, or give reps with quota_per_quarter)")
    return Inputs(
        opportunities=frames["opportunities"],
        accounts=frames["accounts"],
        stage_history=frames["stage_history"],
        leads=frames["leads"],
        reps=frames["reps"],
        as_of=as_of,
        currency=currency,
        quota=quota,
        sample=sample,
        sources=sources,
        notes=notes,
    )


def money(x: Any, currency: str = "", digits: int = 3) -> str:
    """``format_money`` for :func:`say`: ``money(2.5e6, "GBP")`` -> ``"GBP 2.5M"``."""
    return format_money(x, currency, digits)


def percent(p: Any, digits: int = 0) -> str:
    """``format_percent`` for :func:`say`: ``percent(0.934)`` -> ``"93%"``."""
    return format_percent(p, digits)


def number(x: Any, digits: int = 3) -> str:
    """``format_number`` for :func:`say`: ``number(1234567)`` -> ``"1.23M"``."""
    return format_number(x, digits)


def _fmt(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return format_number(value)
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


class Said:
    """Markdown made from results; Jupyter renders it (``_repr_markdown_``), ``str`` is the text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def say(template: str, /, **values: Any) -> Said:
    """Markdown prose with figures from the results, every value escaped.

    Parameters
    ----------
    template : str
        The author's Markdown with ``{name}`` fields (``str.format`` syntax, no format specs:
        format with :func:`money`, :func:`percent`, :func:`number` or pass a ready string).
    **values
        Inserted escaped (:func:`salesworkbench.render.escape_markdown`): ints with thousands
        separators, floats with :func:`salesworkbench.formatting.format_number`, strings,
        dates and lists (joined by commas) as they are.

    Returns
    -------
    Said
        Rendered as Markdown in a notebook.

    Examples
    --------
    >>> str(say("**{p}** of {n} deals; owner {who}", p=percent(0.613), n=1291, who="<b>x</b>"))
    '**61%** of 1,291 deals; owner &lt;b&gt;x&lt;/b&gt;'
    """
    return Said(template.format(**{k: escape_markdown(_fmt(v)) for k, v in values.items()}))


def skip(section: str, needs: str, how: str = "") -> Said:
    """Say that a section is skipped because its input is missing (instead of failing).

    >>> str(skip("The lead funnel", "leads", "set LEADS_PATH"))
    '*The lead funnel is skipped: it needs leads, which these inputs do not have (set LEADS_PATH).*'
    """
    tail = f" ({escape_markdown(how)})" if how else ""
    return Said(
        f"*{escape_markdown(section)} is skipped: it needs {escape_markdown(needs)}, "
        f"which these inputs do not have{tail}.*"
    )
