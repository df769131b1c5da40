"""Mapping: no two columns onto one, missing entries noted, aliases recognised, strict YAML."""

import pandas as pd
import pytest

from salesworkbench import DataError
from salesworkbench.io import load_mapping_spec, read_opportunities
from salesworkbench.safe_yaml import load_yaml

from .conftest import notes_of, quiet

ROW = "A,acc,Closed Won,10,2026-01-05,2026-02-01,ann,p\n"


def test_two_columns_onto_one_canonical_refused(csv_file):
    path = csv_file(
        "id,acc,stage,Deal Value,Total,created,close_date,owner,product\n"
        "A,a,Won,1,2,2026-01-05,2026-02-01,o,p\n"
    )
    with pytest.raises(DataError, match=r"'Deal Value' and 'Total' are both mapped to 'amount'"):
        read_opportunities(
            path,
            mapping={
                "id": "opportunity_id",
                "acc": "account",
                "Deal Value": "amount",
                "Total": "amount",
            },
        )


def test_two_alias_columns_refused(csv_file):
    path = csv_file(
        "opportunity_id,account,stage,amount,Created Date,created_date,close_date\n"
        "A,a,Won,1,2026-01-05,2026-01-06,2026-02-01\n"
    )
    with pytest.raises(DataError, match=r"could all be 'created'"):
        quiet(read_opportunities, path)


def test_missing_mapped_column_is_noted(csv_file):
    path = csv_file("opportunity_id,account,stage,amount,created,close_date,owner,product\n" + ROW)
    frame = quiet(read_opportunities, path, mapping={"Owner Name": "owner", "stage": "stage"})
    assert "'Owner Name' -> 'owner'" in notes_of(frame)


def test_aliases_recognised_and_reported(csv_file):
    path = csv_file(
        "Opportunity ID,account_name,deal_stage,amount_usd,created_date,"
        "close date,Deal Owner,product\n" + ROW
    )
    frame = quiet(read_opportunities, path)
    assert frame["created"].tolist() == [pd.Timestamp("2026-01-05")]
    assert frame["account"].tolist() == ["acc"] and frame["currency"].tolist() == ["USD"]
    assert "'created_date' as 'created'" in notes_of(frame)


def test_forecasting_column_blank_everywhere_is_an_error(csv_file):
    path = csv_file("opportunity_id,account,stage,amount,opened,close_date,owner,product\n" + ROW)
    frame = quiet(read_opportunities, path)
    assert "no 'created' column; left blank (forecasts need it" in notes_of(frame)
    path = csv_file(
        "opportunity_id,stage,amount,created,close_date\n"
        "A,Closed Won,10,,2026-02-01\nB,Closed Won,10,,2026-02-01\n"
    )
    with pytest.raises(DataError, match=r"column 'created' is blank for every deal"):
        quiet(read_opportunities, path)


def test_per_table_sections_and_options_still_work(csv_file, tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text(
        "opportunities:\n  Deal: opportunity_id\naccounts:\n  Co: name\n"
        "stages:\n  Signed: won\ndecimal: ','\n"
    )
    spec = load_mapping_spec(m, "opportunities")
    assert spec.columns == {"Deal": "opportunity_id"} and spec.options == {"decimal": ","}
    assert spec.stages == {"Signed": "won"}


def test_duplicate_keys_and_aliases_in_mapping_file_refused(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  Amount: amount\n  Owner: owner\n  Amount: original_amount\n")
    with pytest.raises(DataError, match=r"m.yaml: line 4: key 'Amount' appears twice \(first on"):
        load_mapping_spec(m)
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    with pytest.raises(DataError, match=r"line 2: aliases \(\*a\) are not allowed"):
        load_yaml(bomb, source="bomb.yaml")
    assert load_yaml("NO: no\non: off\n") == {"NO": "no", "on": "off"}  # YAML 1.2 booleans
