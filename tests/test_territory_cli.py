"""``salesworkbench segment --assign`` and ``salesworkbench quotas`` (issue 19)."""

from __future__ import annotations

import io

import pandas as pd

from salesworkbench.cli import EXIT_BAD_INPUT, main
from salesworkbench.datasets import data_path

ACCOUNTS = str(data_path("accounts.csv"))
REPS = str(data_path("reps.csv"))
OPPS = str(data_path("opportunities.csv"))


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assign_optimal(capsys, *extra):
    """``segment --assign optimal`` of the sample within territories, 2 s, CSV."""
    argv = ["segment", ACCOUNTS, "--assign", "optimal", "--reps", REPS, "--match-on", "territory"]
    return run(capsys, *argv, "--time-limit", "2", "--format", "csv", *extra)


def quotas(capsys, objective, *extra):
    """``quotas`` of the sample's accounts and reps towards ``objective``."""
    return run(capsys, "quotas", ACCOUNTS, "--reps", REPS, "--objective", objective, *extra)


def test_segment_assign_optimal_within_territory(capsys):
    code, out, err = assign_optimal(capsys)
    assert code == 0, err
    asg = pd.read_csv(io.StringIO(out))
    assert len(asg) == 500 and asg["assigned_rep"].notna().all()
    acc = pd.read_csv(ACCOUNTS).set_index("account_id")["territory"]
    reps = pd.read_csv(REPS).set_index("rep")["territory"]
    assert (asg["account_id"].map(acc) == asg["assigned_rep"].map(reps)).all()
    assert "optimal assignment: worst rep" in err and "MIP gap" in err or "optimal" in err


def test_segment_assign_summary_max_moves_zero_and_greedy(capsys):
    code, out, err = assign_optimal(capsys, "--max-moves", "0", "--summary")
    assert code == 0, err
    load = pd.read_csv(io.StringIO(out), index_col="rep")
    assert load["moved_out"].sum() == 0 and "0 of 500 accounts move" in err
    code, out, err = run(capsys, "segment", ACCOUNTS, "--assign", "greedy", "--reps", REPS)
    assert code == 0 and "greedy assignment" in err


def test_segment_assign_bad_input(capsys):
    code, out, err = run(capsys, "segment", ACCOUNTS, "--assign", "optimal")
    assert code == EXIT_BAD_INPUT and "--reps" in err and out == ""
    code, out, err = run(
        capsys, "segment", ACCOUNTS, "--assign", "greedy", "--reps", REPS, "--max-moves", "3"
    )
    assert code == EXIT_BAD_INPUT and "--max-moves needs --assign optimal" in err


def test_quotas_sum_to_the_objective(capsys):
    code, out, err = quotas(
        capsys, "4000000", "--assign", "greedy", "--floor", "100000", "--unit", "1000",
        "--format", "csv",
    )  # fmt: skip
    assert code == 0, err
    q = pd.read_csv(io.StringIO(out), index_col="rep")
    assert q["quota"].sum() == 4_000_000 and (q["quota"] >= 100_000).all()
    assert (q["quota"] % 1000 == 0).all()
    assert "quotas sum to 4,000,000" in err


def test_quotas_blend_with_history_and_attainment(capsys):
    code, out, err = quotas(
        capsys, "3e6", "--assign", "greedy", "--method", "blend", "--history", OPPS,
        "--format", "csv", "--seed", "1",
    )  # fmt: skip
    assert code == 0, err
    q = pd.read_csv(io.StringIO(out), index_col="rep")
    assert q["quota"].sum() == 3_000_000
    assert q["p_attainment"].between(0, 1).all() and q["last_year_bookings"].notna().all()
    code, out, err = quotas(capsys, "3e6", "--method", "history")
    assert code == EXIT_BAD_INPUT and "--history" in err
