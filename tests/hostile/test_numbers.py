"""Numbers: decimal separators per column, no infinities, one percent scale, one currency."""

import pytest

from salesworkbench import DataError
from salesworkbench.io import read_accounts, read_opportunities

from .conftest import HEADER, notes_of, quiet, row

SEMI = HEADER.replace(",", ";")


def semi(*amounts):
    lines = [SEMI] + [
        f"N{i};acc;Closed Won;{a};2026-01-05;2026-02-01;ann;p" for i, a in enumerate(amounts)
    ]
    return "\n".join(lines) + "\n"


def amounts(csv_file, *values, **kwargs):
    text = "\n".join([HEADER] + [row(f"N{i}", amount=f'"{v}"') for i, v in enumerate(values)])
    return quiet(read_opportunities, csv_file(text + "\n"), **kwargs)


def test_european_formats_read_as_written(csv_file):
    frame = amounts(csv_file, "€1.234,50", "12,5", "100,00")
    assert frame["amount"].tolist() == [1234.5, 12.5, 100.0]
    assert frame["currency"].tolist() == ["EUR"] * 3
    assert "decimal comma" in notes_of(frame)


def test_semicolon_file_with_decimal_commas(csv_file):
    frame = quiet(read_opportunities, csv_file(semi("1.234,50", "12,5")))
    assert frame["amount"].tolist() == [1234.5, 12.5]
    assert "semicolon-delimited" in notes_of(frame)


def test_mixed_decimal_separators_refused_naming_rows(csv_file):
    with pytest.raises(DataError, match=r"column 'amount', row 3: mixes decimal separators"):
        amounts(csv_file, "1,234.50", "12,5", "7.25")


def test_stated_decimal_separator(csv_file):
    assert amounts(csv_file, "1.500", decimal=",")["amount"].tolist() == [1500.0]
    assert amounts(csv_file, "1,500", decimal=",")["amount"].tolist() == [1.5]
    with pytest.raises(DataError, match=r"row 2: has dot decimals"):
        amounts(csv_file, "1.25", decimal=",")


def test_ambiguous_thousands_read_with_a_note(csv_file):
    frame = amounts(csv_file, "1,000", "2,500")
    assert frame["amount"].tolist() == [1000.0, 2500.0]
    assert "thousands separator" in notes_of(frame)
    with pytest.raises(DataError, match=r"groups thousands with both"):
        amounts(csv_file, "1,000", "2.500")


@pytest.mark.parametrize("bad", ["inf", "Infinity", "-inf", "1e400", "NaN", "n/a"])
def test_non_finite_amounts_refused(csv_file, bad):
    with pytest.raises(DataError, match=r"opps.csv, column 'amount', row 3: not a"):
        amounts(csv_file, "5", bad)


def test_percent_in_share_and_other_columns(csv_file, tmp_path):
    text = HEADER + ",probability\n" + row("P1") + ",50%\n" + row("P2") + ",5%\n"
    frame = quiet(read_opportunities, csv_file(text))
    assert frame["probability"].tolist() == [0.5, 0.05]
    with pytest.raises(DataError, match=r"column 'amount', row 2: a percentage"):
        amounts(csv_file, "50%")
    acc = tmp_path / "acc.csv"
    acc.write_text("account_id,name,growth\na1,A,5%\na2,B,0.1\n")
    assert quiet(read_accounts, acc)["growth"].tolist() == [0.05, 0.1]


def test_probability_mixing_scales_refused(csv_file):
    text = HEADER + ",probability\n" + row("P1") + ",0.5\n" + row("P2") + ",20\n"
    with pytest.raises(DataError, match=r"column 'probability', row 2: mixes fractions"):
        quiet(read_opportunities, csv_file(text))


def test_currency_recorded_or_refused(csv_file):
    frame = amounts(csv_file, "USD 1,000", "USD 250")
    assert frame["currency"].tolist() == ["USD", "USD"]
    assert "carry the currency USD" in notes_of(frame)
    with pytest.raises(DataError, match=r"row 3: amounts in more than one currency"):
        amounts(csv_file, "USD 1,000", "EUR 5", "USD 3")
    with pytest.raises(DataError, match=r"amounts are marked USD but the file's currency is EUR"):
        amounts(csv_file, "USD 1,000", currency="EUR")
    text = HEADER + ",currency\n" + row("C1", amount='"GBP 5"') + ",EUR\n"
    with pytest.raises(DataError, match=r"row 2: amount marked GBP but the row's currency is EUR"):
        quiet(read_opportunities, csv_file(text))
