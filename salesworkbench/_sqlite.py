"""Recognising the workbench's own SQLite files (snapshot store, value-case version store).

Each store stamps its file with an ``application_id`` and keeps a ``meta`` table holding its
schema version. :func:`identify_store` tells an empty file (to be initialised) from a store of
this kind, and refuses anything else naming the file: another program's database, a corrupt
file, or a newer schema than this version of the workbench reads.
"""

from __future__ import annotations

import os
import sqlite3

from salesworkbench.errors import DataError

__all__ = ["identify_store"]


def identify_store(
    con: sqlite3.Connection,
    path: str | os.PathLike,
    *,
    name: str,
    foreign_name: str,
    application_id: int,
    schema_version: int,
) -> bool:
    """Return True for an initialised store, False for an empty file; raise otherwise.

    Parameters
    ----------
    con : sqlite3.Connection
        An open connection to the file.
    path : path-like
        The file, named in errors.
    name : str
        What the store is called in errors about unreadable files ("snapshot store").
    foreign_name : str
        What it is called in errors about another program's database.
    application_id, schema_version : int
        The store's stamp and the newest schema version this code reads.

    Raises
    ------
    DataError
        The file is not such a store, is corrupt, or has a newer schema.
    sqlite3.OperationalError
        The database is locked or busy (the caller retries or reports it).
    """
    try:
        app = con.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise
        raise _unreadable(name, path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise _unreadable(name, path, exc) from exc
    if app == 0 and not tables:
        return False
    if app != application_id or "meta" not in tables:
        raise DataError(
            f"not a {foreign_name} (application_id {app:#x}, tables "
            f"{', '.join(sorted(tables)) or 'none'}); choose another path",
            file=str(path),
        )
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if version is None or int(version[0]) > schema_version:
        raise DataError(
            f"{name} schema version {version and version[0]} is not supported "
            f"(this salesworkbench reads version {schema_version})",
            file=str(path),
        )
    return True


def _unreadable(name: str, path: str | os.PathLike, exc: Exception) -> DataError:
    return DataError(
        f"not a {name} (the file is corrupt or not a SQLite database: {exc}); "
        "choose another path or move this file away",
        file=str(path),
    )
