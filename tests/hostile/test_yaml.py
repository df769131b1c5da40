"""Hostile YAML in value cases and plans: refused naming the file and the line.

Alias bombs, duplicate keys, merge keys, Python tags, invalid dates, text that is not UTF-8 and
overlong text never reach the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from salesworkbench.errors import ValueCaseError
from salesworkbench.plans import PlanError, load_plan
from salesworkbench.value import ValueCase

CASE = """\
name: Hostile
horizon_years: 2
statement:
  goal: grow
assumptions:
  users: {dist: pert, min: 90, mode: 100, max: 120, source: annual report}
  cost: 50
benefits:
  - {name: b, formula: users, years: [1, 2]}
investments:
  - {name: i, formula: cost, year: 0}
"""

BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
)

PLAN = """\
kind: opportunity_plan
format_version: 1
name: Deal
account_id: ACC1
opportunity_id: OPP1
owner: Ann
updated: 2026-10-01
"""


def write(tmp_path: Path, text: str | bytes, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path, text, *patterns, name="case.yaml", error=ValueCaseError, reader=None):
    path = write(tmp_path, text, name)
    with pytest.raises(error) as err:
        (reader or ValueCase.from_yaml)(path)
    message = str(err.value)
    assert str(path) in message, message
    for pattern in patterns:
        assert pattern in message, message
    return message


def test_the_example_reads(tmp_path):
    assert ValueCase.from_yaml(write(tmp_path, CASE)).base_case()["value"] == 150


def test_alias_bomb_in_statement_goal(tmp_path):
    text = BOMB + CASE.replace("  goal: grow", "  goal: *d")
    refused(tmp_path, text, "line 2", "aliases (*a) are not allowed")


def test_alias_in_an_assumptions_source(tmp_path):
    text = "src: &s annual report\n" + CASE.replace("source: annual report", "source: *s")
    refused(tmp_path, text, "line 7", "aliases (*s) are not allowed")


def test_duplicate_key_moves_no_value(tmp_path):
    text = CASE.replace("  cost: 50\n", "  cost: 50\n  cost: 5000\n")
    refused(tmp_path, text, "line 8", "key 'cost' appears twice (first on line 7)")


def test_merge_key_and_python_tag(tmp_path):
    refused(tmp_path, "base: &b {x: 1}\nother:\n  <<: *b\n" + CASE, "line 3")
    refused(tmp_path, "name: !!python/object/apply:os.system ['true']\n" + CASE[16:], "line 1")


def test_not_utf8_names_the_line(tmp_path):
    text = CASE.replace("annual report", "r\u00e9sum\u00e9").encode("latin-1")
    refused(tmp_path, text, "line 6", "not UTF-8", "save the file as UTF-8")


def test_invalid_date_names_the_line(tmp_path):
    refused(
        tmp_path, CASE + "reviewed: 2026-13-01\n", "line 12", "'2026-13-01' is not a valid date"
    )


def test_overlong_text_is_refused(tmp_path):
    text = CASE.replace("goal: grow", "goal: " + "grow " * 400)
    refused(tmp_path, text, "statement: 'goal' is 1,999 characters long; at most 1,000")
    text = CASE.replace("source: annual report", "source: " + "x" * 501)
    refused(tmp_path, text, "assumption 'users': 'source' is 501 characters long")


def test_plan_alias_and_duplicate_key(tmp_path):
    players = "key_players:\n- {name: A}\n- {name: B}\n- {name: C}\n"
    refused(
        tmp_path,
        PLAN + players + "key_players: []\n",
        "line 12",
        "key 'key_players' appears twice (first on line 8)",
        name="plan.yaml",
        error=PlanError,
        reader=load_plan,
    )
    refused(
        tmp_path,
        "x: &o Ann\n" + PLAN.replace("owner: Ann", "owner: *o"),
        "line 7",
        "aliases",
        name="plan.yaml",
        error=PlanError,
        reader=load_plan,
    )


def test_plan_not_utf8_and_bad_date(tmp_path):
    refused(
        tmp_path,
        PLAN.replace("Ann", "Ren\u00e9e").encode("latin-1"),
        "line 6",
        "not UTF-8",
        name="plan.yaml",
        error=PlanError,
        reader=load_plan,
    )
    refused(
        tmp_path,
        PLAN.replace("2026-10-01", "2026-13-01"),
        "field updated",
        "'2026-13-01' is not a date",
        name="plan.yaml",
        error=PlanError,
        reader=load_plan,
    )
