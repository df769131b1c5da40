"""The notebooks' input loader and Markdown-from-results helper (no notebook needed)."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pandas as pd
import pytest

from salesworkbench import DataError, datasets
from salesworkbench.datasets import second_sample
from salesworkbench.notebook_inputs import (
    data_as_of,
    load_inputs,
    money,
    number,
    percent,
    read_reps,
    say,
    skip,
)
from salesworkbench.value import ValueCase


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    d = tmp_path_factory.mktemp("second")
    second_sample.write(d)
    return d


def _params(d, **kw):
    return {
        "OPPORTUNITIES_PATH": d / "deals.csv",
        "ACCOUNTS_PATH": d / "companies.csv",
        "STAGE_HISTORY_PATH": d / "deal_history.csv",
        "REPS_PATH": d / "owners.csv",
        "MAPPING": d / "mapping.yaml",
        **kw,
    }


def test_all_none_is_the_bundled_sample():
    inp = load_inputs()
    assert inp.sample
    assert inp.as_of == datasets.AS_OF
    assert inp.currency == "GBP"
    assert len(inp.opportunities) == len(datasets.load_opportunities())
    assert inp.has("leads", "stage_history", "reps", "accounts")
    assert inp.quota == pytest.approx(datasets.load_reps()["quota_per_quarter"].sum())
    assert set(inp.summary()["source"]) == {"bundled sample"}


def test_only_the_tables_asked_for_are_read():
    inp = load_inputs(tables=("accounts",))
    assert inp.opportunities is None and inp.accounts is not None
    with pytest.raises(ValueError, match="unknown table"):
        load_inputs(tables=("deals",))


def test_own_data_never_mixes_in_the_sample(second):
    inp = load_inputs(**_params(second))
    assert not inp.sample
    assert inp.leads is None and not inp.has("leads")
    assert inp.has("opportunities", "accounts", "stage_history", "reps")
    assert inp.currency == "EUR"  # from the mapping file's currency option
    assert inp.as_of == second_sample.AS_OF  # the day after the data's last date
    assert inp.quota == pytest.approx(16 * 180_000)
    summary = inp.summary()
    assert summary.loc["leads", "source"] == "not given"
    assert summary.loc["opportunities", "source"] == "deals.csv"
    only = load_inputs(second / "deals.csv", MAPPING=second / "mapping.yaml")
    assert only.accounts is None and only.reps is None and only.quota is None
    assert any("no quota" in n for n in only.notes)


def test_given_settings_win(second):
    inp = load_inputs(**_params(second), AS_OF="2023-01-01", CURRENCY="CHF", QUOTA=1e6)
    assert inp.as_of == pd.Timestamp("2023-01-01")
    assert inp.currency == "CHF" and inp.quota == 1e6
    assert inp.money(2.5e6) == "CHF 2.5M"


def test_missing_file_is_named(second):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_inputs(second / "nope.csv")


def test_data_as_of_ignores_expected_close_dates():
    opps = pd.DataFrame(
        {
            "created": pd.to_datetime(["2021-01-05", "2021-03-01"]),
            "close_date": pd.to_datetime(["2021-02-10", "2029-01-01"]),
            "status": ["won", "open"],
        }
    )
    assert data_as_of(opps) == pd.Timestamp("2021-03-02")
    hist = pd.DataFrame({"changed": pd.to_datetime(["2021-04-30"])})
    assert data_as_of(opps, hist) == pd.Timestamp("2021-05-01")
    with pytest.raises(DataError, match="AS_OF"):
        data_as_of(opps.iloc[:0])


def test_read_reps_with_a_mapping_section(tmp_path):
    f = tmp_path / "team.csv"
    f.write_text("Agent,Boss,Office,Quota\nAnn ,Bo,North,100\nCy,Bo,South,\n")
    m = tmp_path / "m.yaml"
    m.write_text("reps:\n  Agent: rep\n  Boss: manager\n  Office: region\n")
    reps = read_reps(f, m)
    assert reps["rep"].tolist() == ["Ann", "Cy"]
    assert reps["manager"].tolist() == ["Bo", "Bo"]
    assert reps["quota_per_quarter"].iloc[0] == 100 and pd.isna(reps["quota_per_quarter"].iloc[1])
    f.write_text("Agent,Office\nAnn,North\nAnn,South\n")
    with pytest.raises(DataError, match="duplicate rep") as err:
        read_reps(f, m)
    assert "2" in str(err.value) and "3" in str(err.value)
    f.write_text("Who,Office\nAnn,North\n")
    with pytest.raises(DataError, match="no rep column"):
        read_reps(f, m)


def test_say_formats_and_escapes():
    text = str(
        say(
            "**{p}** of {n} deals, {m}, {x}; {who}",
            p=percent(0.613),
            n=1291,
            m=money(2.5e6, "EUR"),
            x=number(0.0351),
            who="<img src=x onerror=alert(1)> *bold* [link](javascript:x)",
        )
    )
    assert text.startswith("**61%** of 1,291 deals, EUR 2.5M, 0.0351; ")
    assert "<img" not in text and "&lt;img" in text
    assert r"\*bold\*" in text and r"\[link\]" in text
    assert say("{f}", f=0.5)._repr_markdown_() == "0.5"
    assert str(say("{d}", d=pd.Timestamp("2023-07-01"))) == "2023-07-01"
    assert "&lt;" in str(say("{p}", p=percent(0.0004)))  # "<0.1%" cannot open a tag


def test_skip_says_what_is_missing():
    text = str(skip("The <lead> funnel", "leads", "set LEADS_PATH"))
    assert "&lt;lead&gt;" in text and "LEADS\\_PATH" in text and "skipped" in text


def test_second_sample_value_case_is_not_the_telecom_case(second):
    case = ValueCase.from_yaml(second / "value_case.yaml")
    assert case.currency == "EUR" and case.customer == second_sample.CUSTOMER
    telecom = ValueCase.from_yaml(datasets.data_path("value_cases/telecom_arpu.yaml"))
    assert not set(case.assumptions) & set(telecom.assumptions)


def test_second_sample_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    second_sample.write(a)
    second_sample.write(b)
    for name in ("mapping.yaml", "value_case.yaml", "owners.csv"):
        assert (
            hashlib.sha256((a / name).read_bytes()).digest()
            == hashlib.sha256((b / name).read_bytes()).digest()
        )


def test_importing_the_loader_stays_light():
    code = (
        "import sys, salesworkbench.notebook_inputs; "
        "bad = [m for m in ('matplotlib', 'ipywidgets', 'papermill', 'IPython') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_second_sample_reference_customers_fit_its_value_case(second):
    from salesworkbench.value import nearest_reference, read_reference_customers, straw_man

    refs = read_reference_customers(second / "reference_customers.csv")
    case = ValueCase.from_yaml(second / "value_case.yaml")
    assert set(refs["currency"]) == {"EUR"} and (refs["payback_years"] > 0).all()
    assert not set(refs["customer"]) & {second_sample.CUSTOMER}
    prospect = {"trucks": 420.0}
    ref = nearest_reference(prospect, refs)
    straw = straw_man(ref, prospect, case, scale_by={"install_cost": "trucks"})
    assert straw.assumptions["trucks"].dist.is_fixed
    assert "straw-man" in straw.assumptions["install_cost"].source
