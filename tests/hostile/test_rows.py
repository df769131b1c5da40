"""Malformed rows and headers: never shift a column, never pad a row silently."""

import pytest

from salesworkbench import DataError
from salesworkbench.io import read_opportunities

from .conftest import HEADER, notes_of, quiet, row


def test_trailing_delimiter_on_every_row_keeps_columns(csv_file):
    text = HEADER + "\n" + row("A", amount="7") + ",\n" + row("B", amount="8") + ",\n"
    frame = quiet(read_opportunities, csv_file(text))
    assert frame["opportunity_id"].tolist() == ["A", "B"]
    assert frame["amount"].tolist() == [7.0, 8.0]
    assert "2 row(s) end with an extra empty field" in notes_of(frame)


def test_trailing_delimiter_in_header_too(csv_file):
    text = HEADER + ",\n" + row("A") + ",\n"
    frame = quiet(read_opportunities, csv_file(text))
    assert frame["opportunity_id"].tolist() == ["A"]
    assert "no name and no values ignored" in notes_of(frame)


def test_extra_value_refused_naming_row(csv_file):
    text = HEADER + "\n" + row("A") + "\n" + row("B") + ",oops\n"
    with pytest.raises(
        DataError,
        match=r"opps.csv, row 3: cannot be read as a table: 9 fields in a row but the header",
    ):
        read_opportunities(csv_file(text))


def test_short_row_refused_naming_row(csv_file):
    text = HEADER + "\n" + row("A") + "\nB,acc,Closed Won,10\n"
    with pytest.raises(
        DataError, match=r"opps.csv, row 3: cannot be read as a table: only 4 fields but the"
    ):
        read_opportunities(csv_file(text))


def test_duplicate_header_refused(csv_file):
    text = HEADER + ",amount\n" + row("A") + ",5\n"
    with pytest.raises(DataError, match=r"the header names 'amount' twice \(columns D and I\)"):
        read_opportunities(csv_file(text))


def test_blank_lines_skipped_without_renumbering(csv_file):
    text = HEADER + "\n" + row("A") + "\n\n,,,,,,,\n" + row("B", amount="x") + "\n"
    with pytest.raises(DataError, match=r"row 5: not a number"):
        quiet(read_opportunities, csv_file(text))
    frame = quiet(read_opportunities, csv_file(HEADER + "\n\n" + row("A") + "\n"))
    assert "1 blank row(s) skipped (row 2)" in notes_of(frame)


def test_quoted_line_breaks_and_crlf_bom(csv_file):
    text = "\ufeff" + HEADER + "\r\n" + row("A").replace(",acc,", ',"acc\r\nline 2",') + "\r\n"
    frame = quiet(read_opportunities, csv_file(text))
    assert frame["account"].tolist() == ["acc\r\nline 2"]


def test_unnamed_column_with_values_refused(csv_file):
    text = HEADER + ",\n" + row("A") + ",5\n"
    with pytest.raises(DataError, match=r"column I has values but no name"):
        read_opportunities(csv_file(text))
