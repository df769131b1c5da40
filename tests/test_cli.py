"""The command line: each subcommand on the bundled sample data, bad files and bad flags."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import warnings

import pandas as pd
import pytest
import yaml

from salesworkbench.cli import EXIT_BAD_INPUT, main
from salesworkbench.datasets import data_path

ACCOUNTS = str(data_path("accounts.csv"))
OPPS = str(data_path("opportunities.csv"))
STAGES = str(data_path("stage_history.csv"))
CASE = str(data_path("value_cases/telecom_arpu.yaml"))


def run(capsys, *argv):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_bad_input(code, out, err, *needles):
    """Exit 2, nothing on stdout, one line on stderr (no traceback) naming what is wrong."""
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def write_rows(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return str(path)


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# --------------------------------------------------------------------------- help


def test_help_in_a_real_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "salesworkbench", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: salesworkbench")
    for command in ("segment", "value", "pilots", "forecast", "report"):
        assert command in proc.stdout
    assert "examples:" in proc.stdout
    assert "salesworkbench report value" in proc.stdout


@pytest.mark.parametrize(
    "argv",
    [["segment"], ["value"], ["pilots"], ["forecast"], ["report"], ["report", "value"]],
)
def test_every_command_has_help_with_examples(capsys, argv):
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0
    assert "examples:" in out
    assert f"salesworkbench {' '.join(argv)} " in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.startswith("salesworkbench ")


# --------------------------------------------------------------------------- segment


def test_segment_csv_matches_the_library(capsys):
    from salesworkbench.io import read_accounts
    from salesworkbench.territory import segment

    code, out, err = run(capsys, "segment", ACCOUNTS, "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype={"account_id": str})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = segment(read_accounts(ACCOUNTS))
    assert len(table) == len(expected) == 500
    assert table["priority"].tolist() == sorted(table["priority"])  # work order
    merged = table.merge(expected[["account_id", "segment", "potential"]], on="account_id")
    assert (merged["segment_x"] == merged["segment_y"].astype(str)).all()
    assert merged["potential_x"].sub(merged["potential_y"]).abs().max() < 1e-9
    counts = expected["segment"].value_counts()
    assert f"Alpha {counts['Alpha']}" in err  # the summary note goes to stderr


def test_segment_json_and_table(capsys):
    code, out, _ = run(capsys, "segment", ACCOUNTS, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 500
    assert {"account_id", "segment", "priority", "reason"} <= set(rows[0])
    assert rows[0]["segment"] == "Alpha" and rows[0]["priority"] == 1
    code, out, _ = run(capsys, "segment", ACCOUNTS)
    assert code == 0
    assert out.splitlines()[0].split()[:2] == ["account_id", "name"]
    assert len(out.splitlines()) == 501


def test_segment_summary_and_thresholds(capsys):
    code, out, _ = run(capsys, "segment", ACCOUNTS, "--summary", "--format", "csv")
    assert code == 0
    summary = pd.read_csv(io.StringIO(out), index_col="segment")
    assert summary["accounts"].sum() == 500
    assert list(summary.index) == ["Alpha", "Beta", "Delta"]
    code, out, _ = run(
        capsys, "segment", ACCOUNTS, "--summary", "--format", "csv", "--potential-high", "60"
    )
    lower = pd.read_csv(io.StringIO(out), index_col="segment")
    assert lower.loc["Alpha", "accounts"] > summary.loc["Alpha", "accounts"]


def test_segment_with_a_mapping_file(capsys, tmp_path):
    rows = read_rows(ACCOUNTS)
    rename = {"account_id": "Account ID", "name": "Account Name", "revenue": "Annual Revenue"}
    rows[0] = [rename.get(c, c) for c in rows[0]]
    export = write_rows(tmp_path / "crm_export.csv", rows)
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(yaml.safe_dump({v: k for k, v in rename.items()}), encoding="utf-8")
    code, mapped, _ = run(capsys, "segment", export, "--mapping", mapping, "--format", "csv")
    assert code == 0
    code, plain, _ = run(capsys, "segment", ACCOUNTS, "--format", "csv")
    assert mapped == plain
    # without the mapping the file lacks the required id column: exit 2 naming it
    code, out, err = run(capsys, "segment", export, "--scores", "compute")
    assert code == EXIT_BAD_INPUT and "crm_export.csv" in err


def test_out_writes_a_file_and_keeps_stdout_empty(capsys, tmp_path):
    target = tmp_path / "sub" / "segments.json"
    code, out, err = run(capsys, "segment", ACCOUNTS, "--format", "json", "--out", target)
    assert code == 0
    assert out == ""
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 500
    assert f"wrote {target}" in err
    assert [p.name for p in target.parent.iterdir()] == ["segments.json"]  # no temp left


# --------------------------------------------------------------------------- forecast


def test_forecast_matches_the_library_and_repeats_with_a_seed(capsys):
    from salesworkbench.io import read_opportunities
    from salesworkbench.pipeline import HistoryModel, forecast

    argv = ["forecast", OPPS, "--history", OPPS, "--as-of", "2026-10-01", "--trials", "2000"]
    code, out, err = run(capsys, *argv, "--seed", "3", "--format", "csv", "--quota", "3e6")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), index_col="period")
    assert list(table.index) == ["2026Q4", "2027Q1", "total"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opps = read_opportunities(OPPS)
        result = forecast(
            opps,
            # the CLI's defaults are the library's (group_by="auto", issue 13)
            HistoryModel.fit(opps, as_of="2026-10-01"),
            trials=2000,
            seed=3,
            quota=3e6,
            as_of="2026-10-01",
        )
    expected = result.summary
    assert table["mean"].to_numpy() == pytest.approx(expected["mean"].to_numpy(), rel=1e-12)
    assert table["p_quota"].to_numpy() == pytest.approx(expected["p_quota"].to_numpy())
    assert "stale" in err  # notes about the data go to stderr
    again = run(capsys, *argv, "--seed", "3", "--format", "csv", "--quota", "3e6")[1]
    assert again == out
    other = run(capsys, *argv, "--seed", "4", "--format", "csv", "--quota", "3e6")[1]
    assert other != out


def test_forecast_as_of_rebuilds_the_pipeline_as_it_stood(capsys):
    """--as-of in the past: the export is rebuilt as it stood then, not taken as it is now."""
    from salesworkbench.io import read_opportunities, read_stage_history
    from salesworkbench.pipeline import HistoryModel, forecast, opportunities_at, pipeline_at

    argv = ["forecast", OPPS, "--history", OPPS, "--stage-history", STAGES, "--as-of"]
    opts = ["--trials", "500", "--seed", "3", "--format", "json"]
    code, out, err = run(capsys, *argv, "2026-04-01", *opts)
    assert code == 0, err
    doc = json.loads(out)
    assert "rebuilt as they stood at the start of that day" in " ".join(doc["notes"])
    assert "rebuilt" in err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opps, hist = read_opportunities(OPPS), read_stage_history(STAGES)
        c = pd.Timestamp("2026-04-01")
        then = opportunities_at(opps, c, hist)
        # the CLI's --group-by default is the library's: "auto"
        model = HistoryModel.fit(then, hist[hist["changed"] < c], as_of=c - pd.Timedelta(days=1))
        result = forecast(pipeline_at(opps, c, hist), model, trials=500, seed=3, as_of=c)
    got = pd.DataFrame(doc["summary"]).set_index("period")
    assert got["mean"].to_numpy() == pytest.approx(result.summary["mean"].to_numpy(), rel=1e-9)
    # the CLI's --timing default is the library's ("auto"), and it says what it used
    assert doc["timing"] == result.timing and doc["group_by"] == result.group_by
    assert any(n.startswith("timing='auto' picked") for n in doc["notes"])
    # deals won since the cut-off were open then: the forecast holds more than today's pipeline
    assert (then["status"].astype(object) == "open").sum() > (
        opps["status"].astype(object) == "open"
    ).sum() / 2
    # an as-of date the export does not run past is taken as it is
    code, out, err = run(capsys, *argv, "2026-10-01", *opts)
    assert code == 0 and "rebuilt" not in out


def test_forecast_deals_json_with_stage_history(capsys):
    code, out, _ = run(
        capsys,
        "forecast",
        OPPS,
        "--history",
        OPPS,
        "--stage-history",
        STAGES,
        "--timing",
        "stage",
        "--trials",
        "500",
        "--deals",
        "--format",
        "json",
    )
    assert code == 0
    deals = json.loads(out)
    assert {"opportunity_id", "amount", "win_prob", "expected"} <= set(deals[0])
    expected = [d["expected"] for d in deals]
    assert expected == sorted(expected, reverse=True)


def test_forecast_unknown_stage_is_fixed_by_a_mapping_file(capsys, tmp_path):
    rows = read_rows(OPPS)
    col = rows[0].index("stage")
    rows[4][col] = "Maybe Later"  # spreadsheet row 5
    bad = write_rows(tmp_path / "pipeline.csv", rows)
    code, out, err = run(capsys, "forecast", bad, "--history", OPPS, "--trials", "200")
    assert_bad_input(code, out, err, "pipeline.csv", "row 5", "'stage'", "Maybe Later")
    mapping = tmp_path / "crm.yaml"
    status = rows[4][rows[0].index("status")]  # the file's own status column must agree
    mapping.write_text(f"columns: {{}}\nstages:\n  Maybe Later: {status}\n", encoding="utf-8")
    code, out, err = run(
        capsys, "forecast", bad, "--history", OPPS, "--mapping", mapping, "--trials", "200"
    )
    assert code == 0, err


# --------------------------------------------------------------------------- value cases


def test_value_json_is_reproducible(capsys):
    argv = ["value", CASE, "--trials", "20000", "--format", "json"]
    code, out, _ = run(capsys, *argv, "--seed", "5")
    assert code == 0
    doc = json.loads(out)
    assert doc["trials"] == 20000 and doc["seed"] == 5
    assert set(doc["summary"]) >= {"value", "npv", "roi", "payback_years"}
    p = doc["summary"]["value"]["prob_positive"]
    assert 0 <= p <= 1
    assert "Company A" in doc["statement"]
    assert run(capsys, *argv, "--seed", "5")[1] == out
    assert run(capsys, *argv, "--seed", "6")[1] != out


def test_value_matches_the_library(capsys):
    from salesworkbench.value import ValueCase

    code, out, _ = run(capsys, "value", CASE, "--trials", "10000", "--seed", "2", "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), index_col="output")
    expected = ValueCase.from_yaml(CASE).simulate(10_000, seed=2, progress=False).summary
    assert table.loc["value", "mean"] == pytest.approx(expected.loc["value", "mean"], rel=1e-12)
    assert table.loc["npv", "p90"] == pytest.approx(expected.loc["npv", "p90"], rel=1e-12)


def test_value_table_and_samples(capsys, tmp_path):
    samples = tmp_path / "samples.csv"
    code, out, err = run(
        capsys, "value", CASE, "--trials", "3000", "--samples", samples, "--no-progress"
    )
    assert code == 0
    assert "We believe" in out  # the value statement leads the readable output
    assert "prob_positive" in out
    frame = pd.read_csv(samples)
    assert len(frame) == 3000
    assert {"users", "value", "npv"} <= set(frame.columns)
    assert "%|" not in err  # --no-progress: no bar


def test_pilots(capsys):
    code, out, _ = run(capsys, "pilots", CASE, "--trials", "4000", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["current_decision"] in ("invest", "do not invest")
    assert doc["evpi"] >= 0
    names = [row["assumption"] for row in doc["plan"]]
    assert "users" in names and "arpu_before" not in names  # fixed assumptions: no pilot
    code, out, _ = run(capsys, "pilots", CASE, "--trials", "4000", "--format", "csv")
    assert code == 0
    plan = pd.read_csv(io.StringIO(out), index_col="assumption")
    assert (plan["evppi"] >= 0).all()
    assert plan["recommendation"].notna().all()


def test_report_value(capsys, tmp_path):
    target = tmp_path / "report.html"
    code, out, err = run(
        capsys,
        "report",
        "value",
        CASE,
        "--out",
        target,
        "--no-pdf",
        "--trials",
        "5000",
        "--pilot-trials",
        "4000",
        "--sobol-n",
        "1024",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out) == {"html": str(target), "pdf": None}
    page = target.read_text(encoding="utf-8")
    assert "Company A" in page and "data:image/png;base64," in page
    assert "report" in err  # the step progress bar is on stderr


def test_report_pdf_without_chromium_is_bad_input(capsys, tmp_path, monkeypatch):
    import salesworkbench.report.valuecase as report

    monkeypatch.setattr(report, "find_chromium", lambda: None)
    code, out, err = run(capsys, "report", "value", CASE, "--out", tmp_path / "r.html", "--pdf")
    assert_bad_input(code, out, err, "Chromium")
    assert not (tmp_path / "r.html").exists()


def test_report_pdf_failure_exits_1_and_keeps_the_html(capsys, tmp_path, monkeypatch):
    import salesworkbench.report.valuecase as report
    from salesworkbench.report import PdfError

    def broken(*args, **kwargs):
        raise PdfError("Chromium could not print r.html to PDF (exit code 1)")

    monkeypatch.setattr(report, "find_chromium", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(report, "html_to_pdf", broken)
    code, out, err = run(
        capsys,
        "report",
        "value",
        CASE,
        "--out",
        tmp_path / "r.html",
        "--pdf",
        "--trials",
        "2000",
        "--pilot-trials",
        "2000",
        "--sobol-n",
        "256",
        "--no-progress",
    )
    assert code == 1
    assert err.strip().splitlines() == [
        "salesworkbench: error: Chromium could not print r.html to PDF (exit code 1)"
    ]
    assert (tmp_path / "r.html").exists()


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def bad_case(tmp_path):
    def make(formula: str):
        spec = yaml.safe_load(open(CASE, encoding="utf-8"))
        spec["benefits"][0]["formula"] = formula
        path = tmp_path / "bad_case.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        return str(path)

    return make


@pytest.mark.parametrize("command", ["value", "pilots"])
def test_case_with_a_bad_formula(capsys, bad_case, command):
    path = bad_case("users * (arpu_after - arpu_befor) * 12")
    code, out, err = run(capsys, command, path, "--trials", "100")
    assert_bad_input(code, out, err, "arpu_befor")


def test_case_formula_cannot_run_code(capsys, bad_case):
    path = bad_case("__import__('os').system('echo pwned')")
    code, out, err = run(capsys, "value", path, "--trials", "100")
    assert_bad_input(code, out, err)
    assert "pwned" not in out + err.replace("echo pwned", "")


def test_case_that_is_not_yaml(capsys, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\nassumptions: {\n", encoding="utf-8")
    code, out, err = run(capsys, "value", path)
    assert_bad_input(code, out, err, "broken.yaml")


def test_case_that_is_not_text(capsys, tmp_path):
    path = tmp_path / "photo.yaml"
    path.write_bytes(bytes(range(128, 256)) * 8)
    code, out, err = run(capsys, "value", path)
    assert_bad_input(code, out, err, "photo.yaml", "UTF-8")


def test_report_with_a_bad_case(capsys, bad_case, tmp_path):
    target = tmp_path / "r.html"
    code, out, err = run(
        capsys, "report", "value", bad_case("users * nonsense"), "--out", target, "--no-pdf"
    )
    assert_bad_input(code, out, err, "nonsense")
    assert not target.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["segment", "missing/accounts.csv"],
        ["value", "missing/case.yaml"],
        ["pilots", "missing/case.yaml"],
        ["forecast", "missing/pipeline.csv", "--history", OPPS],
        ["forecast", OPPS, "--history", "missing/pipeline.csv"],
        ["report", "value", "missing/case.yaml", "--no-pdf"],
        ["segment", ACCOUNTS, "--mapping", "missing/pipeline.csv"],
    ],
)
def test_missing_files(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert_bad_input(code, out, err, "missing/", "not found")


def test_malformed_csv(capsys, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text('account_id,name,revenue\nA1,"Acme,100\nA2,Beta,7,8,9\n', encoding="utf-8")
    code, out, err = run(capsys, "segment", path)
    assert_bad_input(code, out, err, str(path), "cannot be read")


def test_bad_cell_names_file_row_and_column(capsys, tmp_path):
    rows = read_rows(ACCOUNTS)[:30]
    rows[2][rows[0].index("revenue")] = "lots"  # spreadsheet row 3
    path = write_rows(tmp_path / "accounts.csv", rows)
    code, out, err = run(capsys, "segment", path)
    assert_bad_input(code, out, err, "accounts.csv", "row 3", "'revenue'", "'lots'")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["segment", ACCOUNTS, "--format", "xml"], "--format"),
        (["value", CASE, "--trials", "-5"], "--trials"),
        (["value", CASE, "--trials", "0"], "--trials"),
        (["value", CASE, "--trials", "many"], "--trials"),
        (["pilots", CASE, "--seed", "-1"], "--seed"),
        (["pilots", CASE, "--cost-fixed", "-100"], "--cost-fixed"),
        (["segment", ACCOUNTS, "--potential-high", "120"], "--potential-high"),
        (["segment", ACCOUNTS, "--potential-low", "80"], "--potential-low"),
        (["report", "value", CASE, "--sobol-n", "1000"], "--sobol-n"),
        (["report", "value", CASE, "--pdf", "--no-pdf"], "--no-pdf"),
        (["report", "value", CASE, "--out", "report.txt", "--no-pdf"], "--out"),
        (["forecast", OPPS, "--history", OPPS, "--as-of", "someday"], "--as-of"),
        (["forecast", OPPS, "--history", OPPS, "--quota", "1,2,3"], "--quota"),
        (["forecast", OPPS, "--history", OPPS, "--group-by", "colour"], "colour"),
        (["forecast", OPPS], "--history"),
        (["segment", ACCOUNTS, "--bogus"], "--bogus"),
        (["frobnicate"], "frobnicate"),
        ([], "COMMAND"),
    ],
)
def test_bad_flags_exit_2_with_one_line(capsys, argv, needle):
    code = main(argv)
    captured = capsys.readouterr()
    assert code == EXIT_BAD_INPUT
    assert captured.out == ""
    assert "Traceback" not in captured.err
    last = captured.err.strip().splitlines()[-1]  # data notes may come first
    assert needle in last
    assert "error" in last or "invalid" in last or "must" in last or "required" in last


def test_unwritable_out(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, out, err = run(capsys, "segment", ACCOUNTS, "--out", blocker / "x.csv")
    assert code == EXIT_BAD_INPUT
    assert "--out" in err.strip().splitlines()[-1]


# --------------------------------------------------------------------------- the package


def test_default_trials_come_from_the_defaults():
    from salesworkbench import defaults
    from salesworkbench.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["value", CASE]).trials == defaults.VALUE_TRIALS
    assert parser.parse_args(["pilots", CASE]).trials == defaults.PILOT_TRIALS
    assert parser.parse_args(["forecast", OPPS, "--history", OPPS]).trials == (
        defaults.FORECAST_TRIALS
    )
    args = parser.parse_args(["report", "value", CASE])
    assert (args.trials, args.pilot_trials) == (defaults.VALUE_TRIALS, defaults.PILOT_TRIALS)


def test_value_cases_are_read_without_the_report_module():
    code = (
        "import sys\n"
        "from salesworkbench.cli import main\n"
        f"assert main(['value', {CASE!r}, '--trials', '200', '--format', 'json']) == 0\n"
        "assert 'salesworkbench.report' not in sys.modules, 'value loaded through report'\n"
        "assert 'matplotlib' not in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_pilot_header_uses_the_one_formatter(capsys):
    code, out, _ = run(capsys, "pilots", CASE, "--trials", "2000", "--no-progress")
    assert code == 0
    first = out.splitlines()[0]
    assert "P(value > 0) = " in first and "%" in first
    assert "EVPI = GBP " in first and "," not in first.split("EVPI = ")[1]
