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
        try:
            app = con.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise  # reported by _connect
            raise DataError(
                f"not a snapshot store (the file is corrupt or not a SQLite database: {exc}); "
                "choose another path or move this file away",
                file=str(self.path),
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"not a snapshot store (the file is corrupt or not a SQLite database: {exc}); "
                "choose another path or move this file away",
                file=str(self.path),
            ) from exc
        if app == 0 and not tables:
            return False
        if app != APPLICATION_ID or "meta" not in tables:
            raise DataError(
                f"not a salesworkbench snapshot store (application_id {app:#x}, tables "
                f"{', '.join(sorted(tables)) or 'none'}); choose another path",
                file=str(self.path),
            )
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if version is None or int(version[0]) > SCHEMA_VERSION:
            raise DataError(
                f"snapshot store schema version {version and version[0]} is not supported "
                f"(this salesworkbench reads version {SCHEMA_VERSION})",
                file=str(self.path),
            )
        return True

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
