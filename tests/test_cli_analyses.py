"""The command line's newer subcommands (backtest, team, territory, report forecast/territory,
notebook run), money amounts, --list-prices, segment --deals and readable tables."""

from __future__ import annotations

import argparse
import json
import math

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesworkbench.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, main
from salesworkbench.cli.backtest import parse_cutoffs
from salesworkbench.cli.common import money, money_list, table_text
from salesworkbench.cli.notebook import find_notebook, notebook_parameters, parameter_value
from salesworkbench.datasets import data_path
from salesworkbench.formatting import format_number

ACCOUNTS = str(data_path("accounts.csv"))
OPPS = str(data_path("opportunities.csv"))
REPS = str(data_path("reps.csv"))
RELATIONSHIP = [
    "current_spend",
    "install_base",
    "recurring_revenue",
    "recent_projects",
    "satisfaction",
    "key_players_engaged",
    "last_activity",
]


def run(capsys, *argv):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_bad_input(code, out, err, *needles):
    assert code == EXIT_BAD_INPUT, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


# --------------------------------------------------------------------------- money


@given(st.integers(min_value=0, max_value=10**15))
def test_money_reads_thousands_separators(n):
    assert money(f"{n:,}") == n
    assert money(f"{n:_}") == n
    assert money(str(n)) == n


@given(st.floats(min_value=1, max_value=1e14, allow_nan=False, allow_infinity=False))
def test_money_reads_what_the_formatter_writes(x):
    # format_number keeps three significant figures: the round trip is within that rounding
    assert money(format_number(x)) == pytest.approx(x, rel=5e-3)


@given(
    st.decimals(min_value=0, max_value=999, places=2),
    st.sampled_from([("k", 1e3), ("K", 1e3), ("M", 1e6), ("m", 1e6), ("bn", 1e9), ("B", 1e9)]),
)
def test_money_suffixes(d, suffix):
    text, scale = suffix
    assert money(f"{d}{text}") == pytest.approx(float(d) * scale, rel=1e-12, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("€1.2M", "without a currency"),
        ("GBP 900k", "without a currency"),
        ("2,5", "commas must separate thousands"),
        ("-1M", "zero or more"),
        ("lots", "must be an amount"),
        ("nan", "must be an amount"),
        ("1e400", "finite"),
    ],
)
def test_money_refuses_clearly(text, needle):
    with pytest.raises(argparse.ArgumentTypeError, match=needle):
        money(text)


def test_money_lists():
    assert money_list("2,500,000") == [2.5e6]
    assert money_list("3M;3.5M") == money_list("3M 3.5M") == money_list("3e6,3.5e6") == [3e6, 3.5e6]


def test_forecast_quota_as_2_5M(capsys):
    base = ["forecast", OPPS, "--history", OPPS, "--trials", "500", "--format", "json"]
    code, out, _ = run(capsys, *base, "--quota", "2.5M")
    assert code == EXIT_OK
    code2, out2, _ = run(capsys, *base, "--quota", "2,500,000")
    assert json.loads(out)["summary"] == json.loads(out2)["summary"]
    assert json.loads(out)["summary"][0]["quota"] == 2.5e6


def test_bad_quota_is_one_line(capsys):
    assert_bad_input(
        *run(capsys, "forecast", OPPS, "--history", OPPS, "--quota", "€2M"), "--quota", "currency"
    )


# --------------------------------------------------------------------------- list prices, hints


@pytest.fixture
def lost_at_zero(tmp_path):
    """The sample with lost deals recorded at 0 and no original amount, and a price list."""
    opps = pd.read_csv(OPPS, dtype=str)
    lost = opps["status"] == "lost"
    opps.loc[lost, "amount"] = "0"
    opps = opps.drop(columns=["original_amount"])
    path = tmp_path / "opps.csv"
    opps.to_csv(path, index=False)
    prices = pd.DataFrame({"product": opps["product"].dropna().unique()})
    prices["list_price"] = 10000
    price_path = tmp_path / "prices.csv"
    prices.to_csv(price_path, index=False)
    return str(path), str(price_path), int(lost.sum())


def test_forecast_list_prices_price_lost_deals(capsys, lost_at_zero):
    opps, prices, n_lost = lost_at_zero
    base = ["forecast", opps, "--history", opps, "--trials", "300", "--format", "csv"]
    code, _, err = run(capsys, *base)
    assert code == EXIT_OK
    assert f"{n_lost} stay unknown" in err
    code, out, err = run(capsys, *base, "--list-prices", prices)
    assert code == EXIT_OK, err
    assert "0 stay unknown" in err and f"{n_lost} the list price" in err
    assert out.startswith("period,")


def test_list_prices_errors_name_the_file(capsys, tmp_path):
    bad = tmp_path / "prices.csv"
    bad.write_text("product,cost\nA,1\n")
    assert_bad_input(
        *run(capsys, "forecast", OPPS, "--history", OPPS, "--list-prices", bad),
        "prices.csv",
        "price column",
    )
    bad.write_text("product,list_price\nA,cheap\n")
    assert_bad_input(
        *run(capsys, "forecast", OPPS, "--history", OPPS, "--list-prices", bad), "row 2"
    )


def test_hints_use_the_command_line_syntax(capsys, tmp_path):
    export = tmp_path / "export.csv"
    pd.read_csv(OPPS, dtype=str).rename(columns={"stage": "zz_phase", "status": "zz_state"}).to_csv(
        export, index=False
    )
    code, out, err = run(capsys, "forecast", export, "--history", export)
    assert_bad_input(code, out, err, "--mapping FILE")
    assert "mapping={" not in err


@pytest.mark.parametrize(
    "message",
    [
        "missing required column(s) amount; the file has 'x'. Pass mapping={'<file column>': "
        "'<canonical>'} to name them",
        "columns 'a', 'b' could all be 'amount'; pass mapping={'<one of them>': 'amount'} to say "
        "which",
        "forecasts need 'created'. Map the file's column with mapping={'<file column>': "
        "'created'}; the file has 'a'",
        "unknown stage 'Won'; pass stages={'<stage>': 'open'|'won'|'lost'}",
        "group_by='region' is not a column; choose one of owner",
    ],
)
def test_python_hints_are_translated(message):
    from salesworkbench.cli.program import _cli_syntax

    text = _cli_syntax(message)
    assert "mapping={" not in text and "stages={" not in text and "group_by=" not in text
    assert "--mapping FILE" in text or "--group-by" in text


# --------------------------------------------------------------------------- segment --deals


def test_segment_derives_relationship_from_deals(capsys, tmp_path):
    firmographics = tmp_path / "accounts.csv"
    pd.read_csv(ACCOUNTS, dtype=str).drop(columns=RELATIONSHIP).to_csv(firmographics, index=False)
    code, out, _ = run(capsys, "segment", firmographics, "--summary", "--format", "json")
    assert code == EXIT_OK
    without = {r["segment"]: r["accounts"] for r in json.loads(out)}
    assert without["Beta"] == 0  # no relationship data: nothing is Beta
    code, out, err = run(
        capsys, "segment", firmographics, "--deals", OPPS, "--summary", "--format", "json"
    )
    assert code == EXIT_OK, err
    with_deals = {r["segment"]: r["accounts"] for r in json.loads(out)}
    assert with_deals["Beta"] > 0
    assert "relationship from" in err


def test_segment_deals_options_need_deals(capsys):
    assert_bad_input(*run(capsys, "segment", ACCOUNTS, "--as-of", "2026-01-01"), "--deals")


# --------------------------------------------------------------------------- backtest


def test_cutoff_ranges():
    assert parse_cutoffs("quarterly:2025-01-01..2025-10-01") == list(
        pd.to_datetime(["2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01"])
    )
    assert parse_cutoffs("2025-04-01,2025-01-01") == list(
        pd.to_datetime(["2025-01-01", "2025-04-01"])
    )
    with pytest.raises(argparse.ArgumentTypeError, match="does not start"):
        parse_cutoffs("quarterly:2025-02-01..2025-10-01")
    with pytest.raises(argparse.ArgumentTypeError, match="dates"):
        parse_cutoffs("soon")


def test_backtest_table_csv_json(capsys):
    base = ["backtest", OPPS, "--cutoffs", "2025-10-01,2026-01-01", "--trials", "200"]
    code, out, err = run(capsys, *base, "--no-progress")
    assert code == EXIT_OK, err
    assert "Model beside baselines" in out and "2025-10-01" in out
    assert "e+" not in out  # no scientific notation
    code, out, _ = run(capsys, *base, "--no-progress", "--format", "csv")
    frame = pd.read_csv(pd.io.common.StringIO(out))
    assert frame.columns[0] == "cutoff" and len(frame) == 2
    code, out, _ = run(capsys, *base, "--no-progress", "--format", "json")
    doc = json.loads(out)
    assert {"cutoffs", "comparison", "summary", "notes"} <= set(doc)
    assert doc["comparison"][0]["method"] == "model"
    code, out, _ = run(capsys, *base, "--no-progress", "--show", "comparison", "--format", "csv")
    assert out.startswith("method,forecast,mae_pct")


def test_backtest_bad_input(capsys):
    assert_bad_input(*run(capsys, "backtest", OPPS, "--cutoffs", "later"), "--cutoffs")
    assert_bad_input(
        *run(capsys, "backtest", OPPS, "--cutoffs", "2025-10-01", "--timing", "stage"),
        "--stage-history",
    )
    assert_bad_input(*run(capsys, "backtest", "nope.csv", "--cutoffs", "2025-10-01"), "nope.csv")


# --------------------------------------------------------------------------- team


def test_team_rep_table_and_stars(capsys):
    code, out, err = run(capsys, "team", OPPS, "--reps", REPS)
    assert code == EXIT_OK, err
    assert "Stars (" in out and "held" not in err
    code, out, _ = run(capsys, "team", OPPS, "--reps", REPS, "--format", "csv")
    frame = pd.read_csv(pd.io.common.StringIO(out))
    assert list(frame.columns[:2]) == ["rep", "star"]
    assert frame["star"].sum() >= 1
    code, out, _ = run(capsys, "team", OPPS, "--show", "stars", "--format", "json")
    effects = json.loads(out)
    assert effects[0]["measure"] == "win rate"


def test_team_reads_a_sales_agent_column(capsys, tmp_path):
    reps = tmp_path / "teams.csv"
    pd.read_csv(REPS).rename(columns={"rep": "sales_agent"}).to_csv(reps, index=False)
    code, out, err = run(capsys, "team", OPPS, "--reps", reps, "--format", "json")
    assert code == EXIT_OK, err
    assert all(r["team"] for r in json.loads(out)["reps"])


def test_team_bad_input(capsys, tmp_path):
    assert_bad_input(*run(capsys, "team", OPPS, "--quantile", "75"), "--quantile")
    reps = tmp_path / "reps.csv"
    reps.write_text("who,team\nA,B\n")
    assert_bad_input(*run(capsys, "team", OPPS, "--reps", reps), "reps.csv", "rep column")


# --------------------------------------------------------------------------- territory


def test_territory_plan_and_assignment(capsys):
    code, out, err = run(capsys, "territory", ACCOUNTS, "--reps", REPS, "--match-on", "territory")
    assert code == EXIT_OK, err
    assert "Rep workload" in out and "kept their owner" in err
    code, out, _ = run(
        capsys, "territory", ACCOUNTS, "--reps", REPS, "--show", "assignment", "--format", "csv"
    )
    frame = pd.read_csv(pd.io.common.StringIO(out))
    assert {"account_id", "assigned_rep", "kept_owner"} <= set(frame.columns)
    assert len(frame) == 500
    code, out, _ = run(capsys, "territory", ACCOUNTS, "--format", "json")
    assert set(json.loads(out)) == {"segment_summary", "coverage", "capacity"}


def test_territory_bad_input(capsys):
    assert_bad_input(*run(capsys, "territory", ACCOUNTS, "--show", "assignment"), "--reps")
    assert_bad_input(*run(capsys, "territory", ACCOUNTS, "--match-on", "territory"), "--reps")


# --------------------------------------------------------------------------- reports


def test_report_forecast_html(capsys, tmp_path):
    out = tmp_path / "forecast.html"
    code, stdout, err = run(
        capsys, "report", "forecast", OPPS, "--history", OPPS, "--trials", "300",
        "--quota", "4.5M", "--out", out, "--no-pdf", "--no-progress",
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert stdout.strip() == f"HTML: {out}"
    page = out.read_text()
    assert page.count("data:image/png;base64,") == 2
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "4.5M" in page


def test_report_territory_escapes_user_text(capsys, tmp_path):
    out = tmp_path / "plan.html"
    code, _, err = run(
        capsys, "report", "territory", ACCOUNTS, "--reps", REPS, "--out", out, "--no-pdf",
        "--name", "<script>alert(1)</script>",
    )  # fmt: skip
    assert code == EXIT_OK, err
    page = out.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Rep workload" in page or "rep workload" in page


def test_report_needs_html(capsys, tmp_path):
    assert_bad_input(
        *run(capsys, "report", "territory", ACCOUNTS, "--out", tmp_path / "x.pdf"), "*.html"
    )


# --------------------------------------------------------------------------- notebook run


def test_parameter_values_are_yaml_scalars():
    assert parameter_value("5000") == 5000
    assert parameter_value("2.5e6") == 2.5e6
    assert parameter_value("null") is None
    assert parameter_value("2026-07-01") == "2026-07-01"  # dates stay text
    assert parameter_value("x.csv") == "x.csv"
    assert parameter_value("[a, 1]") == ["a", 1]
    assert parameter_value("[2024-07-01, 2024-10-01]") == ["2024-07-01", "2024-10-01"]
    with pytest.raises(argparse.ArgumentTypeError):
        parameter_value("{a: 1}")
    assert parameter_value("!!python/object:os.system ls") == "!!python/object:os.system ls"


def test_notebook_parameters_from_the_cell():
    assert notebook_parameters("# Parameters\nA = 1\nB, C = 2, 3\nD: int = 4\nprint(A)\n") == [
        "A",
        "B",
        "C",
        "D",
    ]


def test_find_notebook_says_where_it_looked():
    assert find_notebook("04").name.startswith("04_")
    with pytest.raises(FileNotFoundError, match="looked for .*notebooks/99_"):
        find_notebook("99")


def test_unknown_parameter_names_the_known_ones(capsys, tmp_path):
    code, out, err = run(capsys, "notebook", "run", "04", "-p", "TRAILS", "5", "--out", tmp_path)
    assert_bad_input(code, out, err, "unknown parameter TRAILS", "TRIALS", "AS_OF")
    assert not list(tmp_path.iterdir())


def _tiny_notebook(path, body="print(GREETING * TIMES)"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("# Parameters\nGREETING = 'hi'\nTIMES = 1"),
        nbformat.v4.new_code_cell(body),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_notebook_run_writes_notebook_and_html(capsys, tmp_path):
    src = _tiny_notebook(tmp_path / "07_tiny.ipynb")
    out = tmp_path / "run"
    code, stdout, err = run(
        capsys, "notebook", "run", src, "-p", "GREETING", "yo", "-p", "TIMES", "3",
        "--out", out, "--no-progress",
    )  # fmt: skip
    assert code == EXIT_OK, err
    executed = nbformat.read(out / "07_tiny.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "yoyoyo" in text
    assert (out / "07_tiny.html").read_text().startswith("<!DOCTYPE html>")
    assert "NOTEBOOK:" in stdout


def test_notebook_failure_is_one_line_exit_1(capsys, tmp_path):
    src = _tiny_notebook(tmp_path / "07_fails.ipynb", body="1 / 0")
    code, out, err = run(capsys, "notebook", "run", src, "--out", tmp_path / "r", "--no-progress")
    assert code == EXIT_FAILED
    assert "ZeroDivisionError" in err and "Traceback" not in err
    assert (tmp_path / "r" / "07_fails.ipynb").exists()


# --------------------------------------------------------------------------- readable tables


def test_tables_read_well():
    frame = pd.DataFrame(
        {
            "tiny": [0.00012, 0.5, np.nan],
            "mid": [12.345, 0.0000123, np.nan],
            "big": [2_500_000.0, 1234.5, np.nan],
            "p_quota": [0.9996, 0.0, np.nan],
        },
        index=["a", "b", "empty"],
    )
    text = table_text(frame)
    assert "e-0" not in text and "e+0" not in text
    assert "0.00012" in text and "2,500,000" in text and ">99.9%" in text
    assert "empty" not in text  # a row without any value is dropped
    assert math.isnan(frame.loc["empty", "mid"])  # the frame itself is unchanged
