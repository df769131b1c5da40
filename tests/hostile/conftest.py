"""Helpers for the hostile-input tests: every bad input is refused naming its place, or read
correctly with a note; never silently changed."""

from __future__ import annotations

import warnings

import pytest

from salesworkbench import DataWarning

HEADER = "opportunity_id,account,stage,amount,created,close_date,owner,product"


def row(i="A", amount="10", created="2026-01-05", close="2026-02-01", stage="Closed Won"):
    return f"{i},acc,{stage},{amount},{created},{close},ann,p"


@pytest.fixture
def csv_file(tmp_path):
    """Write ``text`` (str or bytes) to a file and return its path."""

    def make(text, name="opps.csv"):
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
        return path

    return make


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return func(*args, **kwargs)


def notes_of(frame) -> str:
    return " | ".join(frame.attrs["import_notes"])
