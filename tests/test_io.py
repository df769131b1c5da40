"""The CRM importers: real-looking exports, mappings, and every bad-input case."""

import textwrap
import warnings
from pathlib import Path

import pandas as pd
import pytest

from salesworkbench import DataError, DataWarning
from salesworkbench.io import (
    load_mapping,
    read_accounts,
    read_leads,
    read_opportunities,
    read_stage_history,
    read_table,
)
from salesworkbench.schemas import ACCOUNTS, LEADS, OPPORTUNITIES, STAGE_HISTORY

DATA = Path(__file__).parent / "data"

SF_MAPPING = {
    "Opportunity Name": "name",
    "Account Name": "account",
    "Stage": "stage",
    "Amount": "amount",
    "Close Date": "close_date",
    "Created Date": "created",
    "Probability (%)": "probability",
    "Forecast Category": "forecast_category",
    "Opportunity Owner": "owner",
}

HEADER = "opportunity_id,account,stage,amount,created,close_date,owner,product\n"


def write(tmp_path, text, name="opps.csv"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return func(*args, **kwargs)


def test_salesforce_report_with_user_mapping():
    with pytest.warns(DataWarning) as record:
        opps = read_opportunities(DATA / "salesforce_opportunities.csv", mapping=SF_MAPPING)
    OPPORTUNITIES.validate(opps)
    assert list(opps["status"]) == ["won", "open", "open", "lost"]
    assert opps["amount"].tolist() == [12500.0, 8000.0, 30000.0, 0.0]
    assert opps["probability"].tolist() == [1.0, 0.1, 0.8, 0.0]
    assert opps["forecast_category"].tolist() == ["closed", "pipeline", "commit", "omitted"]
    assert opps.loc[1, "owner"] == "John Doe"  # trailing space removed
    assert opps["created"].iloc[0] == pd.Timestamp("2025-01-10")
    messages = " | ".join(str(w.message) for w in record)
    assert "1 cell(s) had leading or trailing whitespace" in messages
    assert "1 open deals with a blank account" in messages
    assert "lost deals have amount 0" in messages
    assert "opportunity name is used as the id" in messages
    assert opps.attrs["import_notes"]  # the same notes, kept with the table


def test_salesforce_preset_equals_explicit_mapping():
    a = quiet(read_opportunities, DATA / "salesforce_opportunities.csv", mapping="salesforce")
    b = quiet(read_opportunities, DATA / "salesforce_opportunities.csv", mapping=SF_MAPPING)
    pd.testing.assert_frame_equal(a, b)


def test_excel_export_reads_like_csv(tmp_path):
    csv = quiet(read_opportunities, DATA / "salesforce_opportunities.csv", mapping="salesforce")
    raw = read_table(DATA / "salesforce_opportunities.csv")
    xlsx = tmp_path / "opps.xlsx"
    raw.to_excel(xlsx, index=False)
    from_excel = quiet(read_opportunities, xlsx, mapping="salesforce")
    pd.testing.assert_frame_equal(csv, from_excel, check_like=True)


def test_other_crm_shape_with_mapping_and_stages():
    """An export shaped like a small B2B CRM's: engage_date, close_value, deal_stage."""
    mapping = {
        "sales_agent": "owner",
        "deal_stage": "stage",
        "engage_date": "created",
        "close_value": "amount",
    }
    stages = {"Prospecting": "open", "Engaging": "open", "Won": "won", "Lost": "lost"}
    with pytest.warns(DataWarning) as record:
        opps = read_opportunities(DATA / "b2b_crm_pipeline.csv", mapping=mapping, stages=stages)
    assert opps["status"].value_counts().to_dict() == {"open": 3, "won": 2, "lost": 2}
    assert set(opps["product"]) == {"GTX Pro", "MG Special"}  # GTXPro unified
    messages = " | ".join(str(w.message) for w in record)
    assert "'GTXPro' read as 'GTX Pro'" in messages
    assert "open deals with a blank account" in messages
    # blank engage/close dates and close values on early deals are not errors
    assert opps["created"].isna().sum() == 1
    assert opps["amount"].isna().sum() == 3


def test_mapping_file_with_columns_and_stages(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  sales_agent: owner\n  deal_stage: stage\n  engage_date: created\n"
        "  close_value: amount\nstages:\n  Prospecting: open\n  Engaging: open\n"
    )
    opps = quiet(read_opportunities, DATA / "b2b_crm_pipeline.csv", mapping=mapping)
    assert len(opps) == 7


def test_mapping_file_is_loaded_safely(tmp_path):
    bad = tmp_path / "evil.yaml"
    bad.write_text("!!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(DataError, match=r"evil.yaml: line 1: not valid YAML"):
        load_mapping(bad)
    with pytest.raises(DataError, match="mapping file not found"):
        load_mapping(tmp_path / "missing.yaml")


def test_missing_required_column_names_it(tmp_path):
    path = write(tmp_path, "opportunity_id,stage,created,close_date\nA,Won,2025-01-01,2025-02-01\n")
    with pytest.raises(DataError) as err:
        read_opportunities(path)
    assert "opps.csv" in str(err.value) and "amount" in str(err.value)


def test_unparseable_date_names_row_and_column(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "A,acc,Closed Won,10,2025-01-01,2025-02-01,ann,p\n"
        + "B,acc,Closed Won,10,2025-01-01,31st of Feb,ann,p\n",
    )
    with pytest.raises(DataError, match=r"opps.csv, column 'close_date', row 3: not a date"):
        quiet(read_opportunities, path)


def test_unparseable_amount_names_row_and_file_column(tmp_path):
    path = write(
        tmp_path,
        "Opportunity ID,Account,Stage,Deal Value,Created,Close Date,Owner,Product\n"
        "A,acc,Closed Won,ten,2025-01-01,2025-02-01,ann,p\n",
    )
    with pytest.raises(DataError, match=r"column 'Deal Value', row 2: not a number: 'ten'"):
        read_opportunities(path, mapping={"Deal Value": "amount"})


def test_negative_amount_is_an_error(tmp_path):
    path = write(
        tmp_path,
        HEADER + "A,acc,Closed Won,10,2025-01-01,2025-02-01,ann,p\n"
        "B,acc,Closed Won,-5,2025-01-01,2025-02-01,ann,p\n",
    )
    with pytest.raises(DataError, match=r"column 'amount', row 3: negative amount"):
        read_opportunities(path)


def test_duplicate_ids_name_all_rows(tmp_path):
    path = write(
        tmp_path,
        HEADER + "A,acc,Closed Won,10,2025-01-01,2025-02-01,ann,p\n"
        "B,acc,Closed Won,10,2025-01-01,2025-02-01,ann,p\n"
        "A,acc,Closed Lost,10,2025-01-01,2025-02-01,ann,p\n",
    )
    with pytest.raises(DataError, match=r"column 'opportunity_id', rows 2, 4: duplicate id"):
        read_opportunities(path)


def test_unknown_stage_names_row_and_suggests_mapping(tmp_path):
    path = write(
        tmp_path,
        HEADER + "A,acc,Closed Won,10,2025-01-01,2025-02-01,ann,p\n"
        "B,acc,Haggling,10,2025-01-01,2025-02-01,ann,p\n",
    )
    message = r"column 'stage', row 3: unknown stage 'Haggling'.*stages="
    with pytest.raises(DataError, match=message):
        read_opportunities(path)
    opps = read_opportunities(path, stages={"Haggling": "qualified_opportunity"})
    assert opps["status"].tolist() == ["won", "open"]
    with pytest.raises(DataError, match="'Haggling' maps to 'maybe'"):
        read_opportunities(path, stages={"Haggling": "maybe"})


def test_close_before_created_is_an_error(tmp_path):
    path = write(tmp_path, HEADER + "A,acc,Closed Won,10,2025-03-01,2025-02-01,ann,p\n")
    with pytest.raises(DataError, match=r"column 'close_date', row 2: close date before created"):
        read_opportunities(path)


def test_probability_out_of_range(tmp_path):
    path = write(
        tmp_path,
        HEADER.strip() + ",probability\n"
        "A,acc,Closed Won,10,2025-01-01,2025-02-01,ann,p,100\n"
        "B,acc,Closed Won,10,2025-01-01,2025-02-01,ann,p,150\n",
    )
    with pytest.raises(DataError, match=r"column 'probability', row 3: probability outside"):
        read_opportunities(path)


def test_open_deals_without_close_values_are_not_errors(tmp_path):
    path = write(tmp_path, HEADER + "A,acc,Prospecting,,2025-01-01,,ann,p\n")
    opps = quiet(read_opportunities, path)
    assert opps["amount"].isna().all() and opps["close_date"].isna().all()


def test_skiprows_keeps_row_numbers_true_to_the_file(tmp_path):
    path = write(
        tmp_path,
        "Pipeline report\n\n" + HEADER + "A,acc,Closed Won,x,2025-01-01,2025-02-01,ann,p\n",
    )
    with pytest.raises(DataError, match=r"row 4: not a number"):
        read_opportunities(path, skiprows=2)


def test_file_problems(tmp_path):
    with pytest.raises(DataError, match="nope.csv: file not found"):
        read_opportunities(tmp_path / "nope.csv")
    odd = write(tmp_path, "x", name="opps.json")
    with pytest.raises(DataError, match="unsupported file type"):
        read_opportunities(odd)


def test_accounts_of_another_shape_use_name_as_id():
    with pytest.warns(DataWarning, match="account name is used as the id"):
        acc = read_accounts(DATA / "crm_accounts.csv")
    ACCOUNTS.validate(acc)
    assert acc["account_id"].tolist() == acc["name"].tolist()
    assert "office_location" in acc.columns  # extra columns are kept, not dropped
    assert acc["year_established"].dtype == "Int64"
    assert set(acc["sector"]) == {"technology", "technolgy", "retail", "medical"}


def test_account_bad_inputs(tmp_path):
    head = "account_id,name,revenue,employees,satisfaction\n"
    path = write(tmp_path, head + "a1,A,100,10,5\na2,B,-1,10,5\n", "acc.csv")
    with pytest.raises(DataError, match=r"acc.csv, column 'revenue', row 3: negative revenue"):
        read_accounts(path)
    path = write(tmp_path, head + "a1,A,100,lots,5\n", "acc.csv")
    with pytest.raises(DataError, match=r"column 'employees', row 2: not a number: 'lots'"):
        read_accounts(path)
    path = write(tmp_path, head + "a1,A,100,10,5\na1,B,100,10,11\n", "acc.csv")
    with pytest.raises(DataError, match=r"column 'satisfaction', row 3"):
        read_accounts(path)
    path = write(tmp_path, head + "a1,A,100,10,5\na1,B,100,10,6\n", "acc.csv")
    with pytest.raises(DataError, match=r"column 'account_id', rows 2, 3: duplicate id"):
        read_accounts(path)


def test_amount_formats(tmp_path):
    path = write(
        tmp_path,
        HEADER + 'A,acc,Closed Won,"GBP 1,200.50",2025-01-01,2025-02-01,ann,p\n'
        "B,acc,Closed Won,£300,2025-01-01,2025-02-01,ann,p\n",
    )
    assert read_opportunities(path)["amount"].tolist() == [1200.5, 300.0]


def test_leads_and_stage_history(tmp_path):
    path = write(
        tmp_path,
        "lead_id,source,created,state,in_market\n"
        "L1,web,2026-01-02,new,\nL2,Web,2026-01-03,Qualified Lead,yes\n",
        "leads.csv",
    )
    with pytest.warns(DataWarning, match="'Web' read as 'web'|'web' read as 'Web'"):
        leads = read_leads(path)
    LEADS.validate(leads)
    assert leads["state"].tolist() == ["new", "qualified_lead"]
    assert leads["in_market"].tolist()[1] == "yes"
    bad = write(tmp_path, "lead_id,source,created,state\nL1,web,2026-01-02,hot\n", "leads.csv")
    with pytest.raises(DataError, match=r"column 'state', row 2: unknown value 'hot'"):
        read_leads(bad)
    hist = write(
        tmp_path, "opportunity_id,changed,stage,amount\no1,2026-01-01,Prospecting,5\n", "hist.csv"
    )
    table = read_stage_history(hist)
    STAGE_HISTORY.validate(table)
    assert table["change_id"].tolist() == ["h1"]


def test_reads_a_dataframe_in_memory():
    raw = pd.DataFrame(
        {
            "opportunity_id": ["x"],
            "account": ["a"],
            "stage": ["won"],
            "amount": [5],
            "created": ["2026-01-01"],
            "close_date": ["2026-01-05"],
            "owner": ["o"],
            "product": ["p"],
        }
    )
    opps = read_opportunities(raw)
    assert opps["amount"].tolist() == [5.0] and opps["status"].tolist() == ["won"]


def test_mapping_onto_a_column_the_file_already_has(tmp_path):
    path = write(tmp_path, "account_id,name,title\na1,Acme,CEO\n", "acc.csv")
    with pytest.raises(DataError, match=r"'title' are mapped to 'name', which the file already"):
        read_accounts(path, mapping={"title": "name"})


def test_an_opportunity_file_read_as_accounts_fails_clearly():
    from salesworkbench.datasets import data_path

    with pytest.raises(DataError, match="opportunities.csv"):
        quiet(read_accounts, data_path("opportunities.csv"))
