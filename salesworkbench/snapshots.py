"""Dated pipeline snapshots in one SQLite file.

Forecasts earn trust from history: what the pipeline looked like last week and last quarter.
:class:`SnapshotStore` keeps each imported pipeline export as a dated snapshot, so the pipeline
waterfall, slippage and backtests can use real snapshots.

Why SQLite (the standard library's :mod:`sqlite3`): no extra dependency to install, the whole
store is one ordinary file a user can copy or back up, and every snapshot is written in one ACID
transaction, so a crash mid-save leaves the previous state intact. The volumes involved (tens of
thousands of deals per snapshot, a few hundred snapshots) are far below where a columnar engine
such as DuckDB would pay for its extra dependency.

The file is marked with ``PRAGMA application_id`` (``0x53574B42``, "SWKB") and a ``meta`` table
holding the schema version, so a foreign or corrupt file is refused with a clear message instead
of being written into.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from salesworkbench._sqlite import identify_store
from salesworkbench.errors import DataError, DataWarning
from salesworkbench.io.checks import check_values
from salesworkbench.io.parsing import CellError, parse_dates
from salesworkbench.schemas import OPPORTUNITIES

__all__ = ["APPLICATION_ID", "DEFAULT_PATH", "LOCK_TIMEOUT", "SCHEMA_VERSION", "SnapshotStore"]

#: ``PRAGMA application_id`` of a salesworkbench snapshot file ("SWKB").
APPLICATION_ID = 0x53574B42
#: Version of the tables' layout.
SCHEMA_VERSION = 1
#: Default location of the store, relative to the working directory.
DEFAULT_PATH = Path("data") / "snapshots.sqlite"

#: Seconds to wait for another program's lock on the store before giving up.
LOCK_TIMEOUT = 10.0

_COLUMNS = OPPORTUNITIES.names
_SQLTYPE = {"str": "TEXT", "float": "REAL", "int": "INTEGER", "date": "TEXT", "category": "TEXT"}


class SnapshotStore:
    """A file of dated opportunity snapshots.

    Parameters
    ----------
    path : path-like
        The SQLite file; created (with its folder) on first save if it does not exist.

    Raises
    ------
    DataError
        The file exists but is not a salesworkbench snapshot store (corrupt, another
        application's database, or a newer schema version).

    Examples
    --------
    >>> store = SnapshotStore("data/snapshots.sqlite")  # doctest: +SKIP
    >>> store.save(opportunities, "2026-10-01")  # doctest: +SKIP
    >>> store.dates()  # doctest: +SKIP
    [Timestamp('2026-10-01 00:00:00')]
    """

    def __init__(self, path: str | os.PathLike = DEFAULT_PATH) -> None:
        self.path = Path(path)
        if self.path.exists():
            with self._connect() as con:
                self._check(con)

    # ------------------------------------------------------------------ plumbing
    @contextlib.contextmanager
    def _connect(self):
        try:
            con = sqlite3.connect(self.path, isolation_level=None, timeout=LOCK_TIMEOUT)
        except sqlite3.Error as exc:
            raise DataError(f"cannot open the snapshot store: {exc}", file=str(self.path)) from exc
        try:
            yield con
        except (sqlite3.ProgrammingError, sqlite3.IntegrityError, sqlite3.InterfaceError):
            raise
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise DataError(
                    f"the snapshot store is in use by another program (still locked after "
                    f"{LOCK_TIMEOUT:g} s); close the other notebook or program using it and "
                    "try again",
                    file=str(self.path),
                ) from exc
            raise DataError(
                f"cannot use the snapshot store ({exc}); check the file's permissions and the "
                "free disk space",
                file=str(self.path),
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"the snapshot store is damaged ({exc}); restore it from a backup, or recover "
                f"what is left with: sqlite3 {self.path} .recover | sqlite3 recovered.sqlite",
                file=str(self.path),
            ) from exc
        finally:
            con.close()

    def _check(self, con: sqlite3.Connection) -> bool:
        """Return True for an initialised store, False for an empty file; raise otherwise."""
        return identify_store(
            con,
            self.path,
            name="snapshot store",
            foreign_name="salesworkbench snapshot store",
            application_id=APPLICATION_ID,
            schema_version=SCHEMA_VERSION,
        )

    def _init(self, con: sqlite3.Connection) -> None:
        cols = ", ".join(f'"{c.name}" {_SQLTYPE[c.dtype]}' for c in OPPORTUNITIES.columns)
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        con.execute(
            "CREATE TABLE snapshots (as_of TEXT PRIMARY KEY, saved TEXT NOT NULL, "
            "rows INTEGER NOT NULL, columns TEXT NOT NULL, source TEXT)"
        )
        con.execute(
            f"CREATE TABLE opportunities (as_of TEXT NOT NULL REFERENCES snapshots(as_of), "
            f"row INTEGER NOT NULL, {cols}, PRIMARY KEY (as_of, row))"
        )

    # ------------------------------------------------------------------ API
    def save(self, opportunities: pd.DataFrame, as_of, *, replace: bool = False) -> None:
        """Save ``opportunities`` as the snapshot of date ``as_of``, in one transaction.

        Parameters
        ----------
        opportunities : DataFrame
            Canonical opportunities (validated first). Non-canonical columns are not stored
            (a DataWarning names them).
        as_of : date-like
            The snapshot date (time of day is dropped).
        replace : bool
            Replace an existing snapshot of the same date; without it that is refused.

        Raises
        ------
        DataError
            Not a canonical table, values the importers refuse (negative or non-finite
            amounts, probabilities outside 0-1, close before created: the message names the
            column and rows), ``as_of`` not a date, the store file is not a snapshot store, is
            damaged, or stays locked by another program for :data:`LOCK_TIMEOUT` seconds.
        FileExistsError
            A snapshot of that date exists and ``replace`` is False.
        """
        OPPORTUNITIES.validate(opportunities, source="snapshot to save")
        check_values(opportunities, OPPORTUNITIES, source="snapshot to save")
        key = _day(as_of)
        extra = [c for c in opportunities.columns if c not in _COLUMNS]
        if extra:
            warnings.warn(
                f"{len(extra)} non-canonical column(s) not stored in the snapshot: "
                f"{', '.join(map(str, extra))}",
                DataWarning,
                stacklevel=2,
            )
        present = [c for c in _COLUMNS if c in opportunities.columns]
        records = _records(opportunities, present)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                if not self._check(con):
                    self._init(con)
                exists = con.execute("SELECT 1 FROM snapshots WHERE as_of = ?", (key,)).fetchone()
                if exists and not replace:
                    raise FileExistsError(
                        f"{self.path}: a snapshot for {key} exists already; pass replace=True "
                        "to replace it"
                    )
                con.execute("DELETE FROM opportunities WHERE as_of = ?", (key,))
                con.execute("DELETE FROM snapshots WHERE as_of = ?", (key,))
                con.execute(
                    "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)",
                    (
                        key,
                        pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                        len(opportunities),
                        json.dumps(present),
                        str(opportunities.attrs.get("source", "")),
                    ),
                )
                names = ", ".join(f'"{c}"' for c in present)
                marks = ", ".join("?" for _ in range(len(present) + 2))
                con.executemany(
                    f"INSERT INTO opportunities (as_of, row, {names}) VALUES ({marks})",
                    ((key, i, *r) for i, r in enumerate(records)),
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def dates(self) -> list[pd.Timestamp]:
        """Dates of the stored snapshots, oldest first."""
        if not self.path.exists():
            return []
        with self._connect() as con:
            if not self._check(con):
                return []
            rows = con.execute("SELECT as_of FROM snapshots ORDER BY as_of").fetchall()
        return [pd.Timestamp(r[0]) for r in rows]

    def load(self, as_of) -> pd.DataFrame:
        """The snapshot of date ``as_of`` as a canonical opportunity table.

        Raises
        ------
        KeyError
            No snapshot of that date (the message lists the stored dates).
        """
        key = _day(as_of)
        have = self.dates()
        if pd.Timestamp(key) not in have:
            listed = ", ".join(d.date().isoformat() for d in have) or "none"
            raise KeyError(f"{self.path}: no snapshot for {key}; stored dates: {listed}")
        with self._connect() as con:
            present = json.loads(
                con.execute("SELECT columns FROM snapshots WHERE as_of = ?", (key,)).fetchone()[0]
            )
            names = ", ".join(f'"{c}"' for c in present)
            cur = con.execute(
                f"SELECT {names} FROM opportunities WHERE as_of = ? ORDER BY row", (key,)
            )
            frame = pd.DataFrame(cur.fetchall(), columns=present)
        for c in present:
            col = OPPORTUNITIES.column(c)
            if col.dtype == "float":
                frame[c] = pd.to_numeric(frame[c], errors="raise").astype(float)
        frame = OPPORTUNITIES.coerce(frame)
        frame.attrs["source"] = f"{self.path} snapshot {key}"
        return frame

    # ------------------------------------------------------------------ forecast calls
    def save_calls(self, calls: pd.DataFrame, as_of, *, replace: bool = False) -> None:
        """Save a table of forecast calls as the calls snapshot of date ``as_of`` (one transaction).

        Parameters
        ----------
        calls : DataFrame
            A calls table (:func:`salesworkbench.pipeline.calls.read_calls` or
            :func:`~salesworkbench.pipeline.calls.calls_from_categories`, with any
            adjustments): columns :data:`~salesworkbench.pipeline.calls.CALL_COLUMNS`.
        as_of : date-like
            The date the calls were made.
        replace : bool
            Replace the calls of that date; without it that is refused.

        Raises
        ------
        DataError
            Missing columns, a call that is negative or not a number, ``as_of`` not a date,
            or a store that is not a snapshot store, is damaged or stays locked.
        FileExistsError
            Calls of that date exist and ``replace`` is False.
        """
        from salesworkbench.pipeline.calls import CALL_COLUMNS, read_calls

        key = _day(as_of)
        missing = [c for c in CALL_COLUMNS if c not in calls.columns and c != "as_of"]
        if missing:
            raise DataError(f"calls to save: no column(s) {', '.join(missing)}")
        f = read_calls(calls.assign(as_of=key))
        records = [
            (
                key,
                i,
                r.period,
                r.level,
                r.name,
                None if r.parent is None or pd.isna(r.parent) else str(r.parent),
                float(r.commit),
                float(r.best_case),
                None if pd.isna(r.booked) else float(r.booked),
                str(r.kind),
                "" if pd.isna(r.note) else str(r.note),
                "" if pd.isna(r.by) else str(r.by),
            )
            for i, r in enumerate(f.itertuples(index=False))
        ]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                if not self._check(con):
                    self._init(con)
                self._init_calls(con)
                exists = con.execute("SELECT 1 FROM call_sets WHERE as_of = ?", (key,)).fetchone()
                if exists and not replace:
                    raise FileExistsError(
                        f"{self.path}: calls for {key} exist already; pass replace=True to "
                        "replace them"
                    )
                con.execute("DELETE FROM calls WHERE as_of = ?", (key,))
                con.execute("DELETE FROM call_sets WHERE as_of = ?", (key,))
                con.execute(
                    "INSERT INTO call_sets VALUES (?, ?, ?)",
                    (key, pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"), len(f)),
                )
                con.executemany(
                    "INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", records
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    @staticmethod
    def _init_calls(con: sqlite3.Connection) -> None:
        con.execute(
            "CREATE TABLE IF NOT EXISTS call_sets (as_of TEXT PRIMARY KEY, saved TEXT NOT NULL, "
            "rows INTEGER NOT NULL)"
        )
        con.execute(
            "CREATE TABLE IF NOT EXISTS calls (as_of TEXT NOT NULL REFERENCES call_sets(as_of), "
            "row INTEGER NOT NULL, period TEXT NOT NULL, level TEXT NOT NULL, name TEXT NOT "
            'NULL, parent TEXT, "commit" REAL NOT NULL, best_case REAL NOT NULL, booked REAL, '
            "kind TEXT NOT NULL, note TEXT, by TEXT, PRIMARY KEY (as_of, row))"
        )

    def call_dates(self) -> list[pd.Timestamp]:
        """Dates of the stored calls, oldest first."""
        if not self.path.exists():
            return []
        with self._connect() as con:
            if not self._check(con):
                return []
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if "call_sets" not in tables:
                return []
            rows = con.execute("SELECT as_of FROM call_sets ORDER BY as_of").fetchall()
        return [pd.Timestamp(r[0]) for r in rows]

    def load_calls(self, as_of=None) -> pd.DataFrame:
        """The calls of date ``as_of`` (default: every stored date), as a calls table.

        Raises
        ------
        KeyError
            No calls of that date (the message lists the stored dates).
        """
        from salesworkbench.pipeline.calls import CALL_COLUMNS

        have = self.call_dates()
        if as_of is not None:
            key = _day(as_of)
            if pd.Timestamp(key) not in have:
                listed = ", ".join(d.date().isoformat() for d in have) or "none"
                raise KeyError(f"{self.path}: no calls for {key}; stored dates: {listed}")
            where, args = "WHERE as_of = ?", (key,)
        else:
            where, args = "", ()
        if not have:
            return pd.DataFrame(columns=CALL_COLUMNS)
        with self._connect() as con:
            cur = con.execute(
                'SELECT as_of, period, level, name, parent, "commit", best_case, booked, kind, '
                f"note, by FROM calls {where} ORDER BY as_of, row",
                args,
            )
            frame = pd.DataFrame(cur.fetchall(), columns=CALL_COLUMNS)
        frame["as_of"] = pd.to_datetime(frame["as_of"])
        for c in ("commit", "best_case", "booked"):
            frame[c] = pd.to_numeric(frame[c]).astype(float)
        frame.attrs["source"] = f"{self.path} calls"
        return frame

    def __repr__(self) -> str:
        return f"SnapshotStore({str(self.path)!r})"


def _records(frame: pd.DataFrame, present: list[str]) -> list[tuple]:
    cols = []
    for c in present:
        s = frame[c]
        dtype = OPPORTUNITIES.column(c).dtype
        if dtype == "date":
            v = pd.to_datetime(s).dt.strftime("%Y-%m-%d").astype(object)
        elif dtype == "float":
            v = s.astype(float).astype(object)
        elif dtype == "int":
            v = s.astype("Int64").astype(object)
        else:
            v = s.astype(object)
        arr = v.to_numpy(dtype=object, copy=True)
        mask = pd.isna(v).to_numpy()
        arr[mask] = None
        if dtype == "float":
            arr = np.array([None if x is None else float(x) for x in arr], dtype=object)
        elif dtype == "int":
            arr = np.array([None if x is None else int(x) for x in arr], dtype=object)
        elif dtype != "date":
            arr = np.array([None if x is None else str(x) for x in arr], dtype=object)
        cols.append(arr)
    return list(zip(*cols, strict=True)) if cols else []


def _day(as_of: object) -> str:
    """``as_of`` as an ISO date; DataError if it is not one (day/month order never guessed)."""
    if isinstance(as_of, dt.date | pd.Timestamp | np.datetime64) and not pd.isna(as_of):
        return pd.Timestamp(as_of).date().isoformat()
    if isinstance(as_of, str) and as_of.strip():
        try:
            parsed = parse_dates(pd.Series([as_of.strip()]), np.array([False]))
        except CellError:
            pass
        else:
            return pd.Timestamp(parsed.iloc[0]).date().isoformat()
    raise DataError(
        f"as_of: {as_of!r} is not a date; give the snapshot date as yyyy-mm-dd (e.g. "
        "'2026-10-01') or a datetime.date"
    )
