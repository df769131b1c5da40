import pandas as pd
import pytest

from salesworkbench import DataError
from salesworkbench.schemas import ACCOUNTS, LEADS, OPPORTUNITIES, SCHEMAS, STAGE_HISTORY


def test_every_schema_has_its_key_first_and_required():
    for schema in SCHEMAS.values():
        assert schema.columns[0].name == schema.key
        assert schema.key in schema.required


def test_opportunity_schema_has_the_contract_columns():
    required = ["opportunity_id", "account", "stage", "status", "amount", "created"]
    required += ["close_date", "owner", "product"]
    assert OPPORTUNITIES.required == required
    for optional in ("probability", "forecast_category", "segment"):
        assert not OPPORTUNITIES.column(optional).required


@pytest.mark.parametrize("schema", [ACCOUNTS, LEADS, OPPORTUNITIES, STAGE_HISTORY])
def test_empty_table_validates(schema):
    frame = schema.empty()
    assert list(frame.columns) == schema.names
    schema.validate(frame)


def test_validate_names_missing_columns_and_duplicates():
    frame = OPPORTUNITIES.empty()
    with pytest.raises(DataError, match="missing required column"):
        OPPORTUNITIES.validate(frame.drop(columns=["amount"]))
    rows = pd.DataFrame(
        {
            "opportunity_id": ["a", "b", "a"],
            "account": ["x", "y", "z"],
            "stage": ["s"] * 3,
            "status": ["open"] * 3,
            "amount": [1.0, 2.0, 3.0],
            "created": ["2026-01-01"] * 3,
            "close_date": ["2026-02-01"] * 3,
            "owner": ["o"] * 3,
            "product": ["p"] * 3,
        }
    )
    with pytest.raises(DataError, match=r"column 'opportunity_id', rows 2, 4: duplicate id"):
        OPPORTUNITIES.validate(OPPORTUNITIES.coerce(rows))
    with pytest.raises(DataError, match="column 'amount'.*expected float"):
        OPPORTUNITIES.validate(OPPORTUNITIES.coerce(rows).assign(amount=["1", "2", "3"]))


def test_describe_documents_each_column():
    table = ACCOUNTS.describe()
    assert set(table.columns) == {"column", "dtype", "required", "description"}
    assert table["description"].str.len().min() > 5
