"""Snapshot store and atomic files: validated rows, clear errors, no leftovers."""

import os
import sqlite3
import time

import numpy as np
import pandas as pd
import pytest

from salesworkbench import DataError
from salesworkbench._files import atomic_write
from salesworkbench.schemas import OPPORTUNITIES
from salesworkbench.snapshots import SnapshotStore


def table(amount=5.0):
    return OPPORTUNITIES.coerce(
        pd.DataFrame(
            {
                "opportunity_id": ["a", "b"],
                "account": ["x", "y"],
                "stage": ["won", "won"],
                "status": ["won", "won"],
                "amount": [1.0, amount],
                "created": pd.to_datetime(["2026-01-01"] * 2),
                "close_date": pd.to_datetime(["2026-02-01"] * 2),
                "owner": ["o", "o"],
                "product": ["p", "p"],
            }
        )
    )


@pytest.mark.parametrize("bad", [-1.0, np.inf])
def test_save_refuses_what_the_importer_refuses(tmp_path, bad):
    with pytest.raises(DataError, match=r"snapshot to save, column 'amount', row 3"):
        SnapshotStore(tmp_path / "s.sqlite").save(table(bad), "2026-10-01")


@pytest.mark.parametrize("as_of", [None, "not a date", "2026-13-01", "03/04/2026"])
def test_as_of_not_a_date(tmp_path, as_of):
    store = SnapshotStore(tmp_path / "s.sqlite")
    with pytest.raises(DataError, match=r"as_of: .* is not a date"):
        store.save(table(), as_of)
    with pytest.raises(DataError, match=r"as_of"):
        store.load(as_of)


def test_damaged_store_names_file_and_remedy(tmp_path):
    path = tmp_path / "s.sqlite"
    store = SnapshotStore(path)
    store.save(pd.concat([table()] * 1, ignore_index=True), "2026-10-01")
    big = OPPORTUNITIES.coerce(
        pd.DataFrame({**{c: table()[c].repeat(2000).to_numpy() for c in table().columns}})
    )
    big["opportunity_id"] = [f"o{i}" for i in range(len(big))]
    store.save(big, "2026-10-02")
    data = bytearray(path.read_bytes())
    for off in range(8192, len(data) - 4096, 4096):
        data[off + 100 : off + 3000] = b"\xff" * 2900
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"s.sqlite: .*(damaged|corrupt).*(backup|another path)"):
        SnapshotStore(path).load("2026-10-02")


def test_locked_store_waits_then_names_file(tmp_path, monkeypatch):
    import salesworkbench.snapshots as snapshots

    monkeypatch.setattr(snapshots, "LOCK_TIMEOUT", 0.2)
    path = tmp_path / "s.sqlite"
    SnapshotStore(path).save(table(), "2026-10-01")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DataError, match=r"s.sqlite: the snapshot store is in use"):
            SnapshotStore(path).save(table(), "2026-10-02")
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_atomic_write_names_users_path(tmp_path, monkeypatch):
    import salesworkbench._files as files

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", src)

    monkeypatch.setattr(files.os, "replace", refuse)
    target = tmp_path / "s.csv"
    with pytest.raises(PermissionError) as err, atomic_write(target) as fh:
        fh.write("x")
    assert str(target) in str(err.value) and ".tmp" not in str(err.value)
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone


def test_stale_temp_files_removed_fresh_ones_kept(tmp_path):
    stale = tmp_path / ".s.csv.abcd1234.tmp"
    fresh = tmp_path / ".s.csv.efgh5678.tmp"
    other = tmp_path / ".t.csv.abcd1234.tmp"
    for p in (stale, fresh, other):
        p.write_text("half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    with atomic_write(tmp_path / "s.csv") as fh:
        fh.write("ok")
    assert not stale.exists() and fresh.exists() and other.exists()
