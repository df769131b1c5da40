"""Tests of the SQLite snapshot store."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.schemas import OPPORTUNITIES
from salesworkbench.snapshots import APPLICATION_ID, SnapshotStore


def pipeline(n: int = 8) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "account": ["A", None] * (n // 2),
            "stage": ["Proposal"] * (n - 2) + ["Closed Won", "Closed Lost"],
            "status": ["open"] * (n - 2) + ["won", "lost"],
            "amount": [1000.5 * i for i in range(n - 1)] + [np.nan],
            "created": pd.to_datetime(["2026-01-05"] * n),
            "close_date": pd.to_datetime(["2026-11-30"] * (n - 1) + [None]),
            "owner": "Ann",
            "product": "Core",
            "probability": [0.25] * n,
            "has_value_case": ["yes", "no"] * (n // 2),
        }
    )
    return OPPORTUNITIES.coerce(df)


def test_round_trip_gives_the_canonical_frame(tmp_path):
    store = SnapshotStore(tmp_path / "sub" / "snap.sqlite")
    assert store.dates() == []
    df = pipeline()
    store.save(df, "2026-10-01")
    back = store.load(pd.Timestamp("2026-10-01 15:30"))  # time of day ignored
    pd.testing.assert_frame_equal(back, df)
    OPPORTUNITIES.validate(back)
    assert store.dates() == [pd.Timestamp("2026-10-01")]
    with sqlite3.connect(tmp_path / "sub" / "snap.sqlite") as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_duplicate_date_refused_unless_replace(tmp_path):
    store = SnapshotStore(tmp_path / "s.sqlite")
    store.save(pipeline(), "2026-10-01")
    store.save(pipeline(4), "2026-09-01")
    with pytest.raises(FileExistsError, match="2026-10-01.*replace=True"):
        store.save(pipeline(2), "2026-10-01")
    assert len(store.load("2026-10-01")) == 8  # untouched
    store.save(pipeline(2), "2026-10-01", replace=True)
    assert len(store.load("2026-10-01")) == 2
    assert store.dates() == [pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")]


def test_failed_save_leaves_store_unchanged(tmp_path, monkeypatch):
    store = SnapshotStore(tmp_path / "s.sqlite")
    store.save(pipeline(), "2026-10-01")
    import salesworkbench.snapshots as snap

    real = snap._records

    def broken(frame, present):
        rows = real(frame, present)
        return rows[:3] + [("bad",)]  # wrong width: the insert fails mid-way

    monkeypatch.setattr(snap, "_records", broken)
    with pytest.raises(sqlite3.Error):
        store.save(pipeline(), "2026-10-01", replace=True)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(store.load("2026-10-01"), pipeline())
    assert store.dates() == [pd.Timestamp("2026-10-01")]


def test_corrupt_and_foreign_files_are_refused(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataError, match="junk.sqlite.*not a snapshot store"):
        SnapshotStore(junk)
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as con:
        con.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(DataError, match="other.db.*not a salesworkbench snapshot store"):
        SnapshotStore(foreign)
    with sqlite3.connect(foreign) as con:
        assert con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 1


def test_missing_date_lists_stored_dates_and_bad_frames_are_refused(tmp_path):
    store = SnapshotStore(tmp_path / "s.sqlite")
    store.save(pipeline(), "2026-10-01")
    with pytest.raises(KeyError, match="2026-09-01.*stored dates: 2026-10-01"):
        store.load("2026-09-01")
    bad = pipeline()
    bad.loc[3, "opportunity_id"] = "O1"
    with pytest.raises(DataError, match=r"'opportunity_id'.*rows 3, 5"):
        store.save(bad, "2026-11-01")
    assert store.dates() == [pd.Timestamp("2026-10-01")]


def test_extra_columns_are_named_not_silently_dropped(tmp_path):
    store = SnapshotStore(tmp_path / "s.sqlite")
    df = pipeline().assign(my_note="x")
    with pytest.warns(DataWarning, match="1 non-canonical column.*my_note"):
        store.save(df, "2026-10-01")
    assert "my_note" not in store.load("2026-10-01").columns
