"""Dates: day/month order per column, never mixed, never guessed when every value is ambiguous."""

import pandas as pd
import pytest

from salesworkbench import DataError
from salesworkbench.io import read_opportunities

from .conftest import HEADER, notes_of, quiet, row


def opps(csv_file, *dates, **kwargs):
    lines = [HEADER] + [row(f"D{i}", created=d, close="") for i, d in enumerate(dates)]
    lines = [ln.replace("Closed Won", "Prospecting") for ln in lines]
    return quiet(read_opportunities, csv_file("\n".join(lines) + "\n"), **kwargs)


def test_day_first_column_is_read_day_first_everywhere(csv_file):
    frame = opps(csv_file, "03/04/2026", "13/04/2026")
    assert frame["created"].tolist() == [pd.Timestamp("2026-04-03"), pd.Timestamp("2026-04-13")]
    assert "read day-first" in notes_of(frame)


def test_month_first_column(csv_file):
    frame = opps(csv_file, "03/04/2026", "04/13/2026")
    assert frame["created"].tolist() == [pd.Timestamp("2026-03-04"), pd.Timestamp("2026-04-13")]
    assert "read month-first" in notes_of(frame)


def test_column_contradicting_itself_is_refused_naming_rows(csv_file):
    with pytest.raises(
        DataError,
        match=r"column 'created', row 4: mixes day-first .* at rows 3, 5\) and month-first",
    ):
        opps(csv_file, "03/04/2026", "13/04/2026", "04/13/2026", "25/12/2026")


def test_every_value_ambiguous_is_refused_unless_stated(csv_file):
    with pytest.raises(DataError, match=r"opps.csv, column 'created', rows 2, 3: every date could"):
        opps(csv_file, "03/04/2026", "05/06/2026")
    frame = opps(csv_file, "03/04/2026", "05/06/2026", dayfirst=True)
    assert frame["created"].tolist() == [pd.Timestamp("2026-04-03"), pd.Timestamp("2026-06-05")]
    frame = opps(csv_file, "03/04/2026", "05/06/2026", date_format="%m/%d/%Y")
    assert frame["created"].iloc[0] == pd.Timestamp("2026-03-04")


def test_stated_order_contradicted_is_refused(csv_file):
    with pytest.raises(DataError, match=r"row 3: not a valid day-first date \(as stated\)"):
        opps(csv_file, "03/04/2026", "04/13/2026", dayfirst=True)


def test_mapping_file_entry_states_the_order(csv_file, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("dayfirst: true\ncolumns: {}\n")
    frame = opps(csv_file, "03/04/2026", "05/06/2026", mapping=mapping)
    assert frame["created"].iloc[0] == pd.Timestamp("2026-04-03")


def test_german_dotted_dates_are_day_first(csv_file):
    frame = opps(csv_file, "03.04.2026", "05.06.2026")
    assert frame["created"].iloc[0] == pd.Timestamp("2026-04-03")
    assert "dotted dates are day-first" in notes_of(frame)


@pytest.mark.parametrize("bad", ["2026", "2026-13-01", "30/02/2026", "2026-04", "46115", "soon"])
def test_not_a_date_names_file_row_column(csv_file, bad):
    with pytest.raises(DataError, match=r"opps.csv, column 'created', row 3: not a.*date"):
        opps(csv_file, "2026-01-05", bad)


def test_month_names_and_iso_times(csv_file):
    frame = opps(csv_file, "3 Apr 2026", '"April 5, 2026"', "2026-04-06T10:30:00")
    assert frame["created"].dt.day.tolist() == [3, 5, 6]
