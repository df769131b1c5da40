"""Encodings: a Latin-1 file is read with a note naming the line, or refused with advice."""

import pytest

from salesworkbench import DataError
from salesworkbench.io import read_opportunities

from .conftest import HEADER, notes_of, quiet


def test_latin1_file_decoded_with_a_note(csv_file):
    text = HEADER + "\nA,Müller GmbH,Closed Won,10,2026-01-05,2026-02-01,ann,p\n"
    frame = quiet(read_opportunities, csv_file(text.encode("latin-1")))
    assert frame["account"].tolist() == ["Müller GmbH"]
    assert "not UTF-8 text (first at line 2): read as Windows-1252" in notes_of(frame)


def test_wrong_stated_encoding_refused_naming_line(csv_file):
    text = HEADER + "\nA,Müller,Closed Won,10,2026-01-05,2026-02-01,ann,p\n"
    with pytest.raises(DataError, match=r"opps.csv: line 2: not utf-8 text"):
        read_opportunities(csv_file(text.encode("latin-1")), encoding="utf-8")


def test_utf16_excel_unicode_text(csv_file):
    text = HEADER.replace(",", "\t") + "\nA\tacc\tClosed Won\t10\t2026-01-05\t2026-02-01\tann\tp\n"
    frame = quiet(read_opportunities, csv_file(text.encode("utf-16")))
    assert frame["amount"].tolist() == [10.0]
