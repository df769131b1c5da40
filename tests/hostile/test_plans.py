"""Hostile plan files: ids read as written, duplicate keys and non-finite numbers refused."""

from __future__ import annotations

import json

import pytest

from salesworkbench.plans import PlanError, load_plan

PLAN = """\
kind: opportunity_plan
format_version: 1
name: Deal
account_id: {account}
opportunity_id: {opportunity}
owner: Ann
updated: 2026-10-01
key_players:
- name: Claire
  buying_role: power_sponsor
  relationship_strength: {strength}
"""


def write(tmp_path, text, name="plan.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("written", ["0012", "1_000", "12:30", "1e3", "0x1F", "00", "yes"])
def test_ids_are_read_as_written(tmp_path, written):
    path = write(tmp_path, PLAN.format(account=written, opportunity=written, strength=2))
    plan = load_plan(path)
    assert plan.account_id == written and plan.opportunity_id == written
    plan.save(tmp_path / "again.yaml")  # and they survive a round trip
    assert load_plan(tmp_path / "again.yaml").opportunity_id == written


def test_numbers_are_still_numbers(tmp_path):
    plan = load_plan(write(tmp_path, PLAN.format(account="A", opportunity="O", strength="3")))
    assert plan.key_players[0].relationship_strength == 3


@pytest.mark.parametrize(
    ("strength", "message"),
    [("high", "expected a number, got 'high'"), ("12:30", "expected a number, got '12:30'")],
)
def test_a_number_field_with_text_names_the_field(tmp_path, strength, message):
    path = write(tmp_path, PLAN.format(account="A", opportunity="O", strength=strength))
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert str(path) in str(err.value)
    assert "section key_players[1], field relationship_strength" in str(err.value)
    assert message in str(err.value)


def test_a_yes_is_not_true(tmp_path):
    text = PLAN.format(account="A", opportunity="O", strength=2) + (
        "compelling:\n  is_compelling: yes\n"
    )
    with pytest.raises(PlanError, match=r"field is_compelling: expected true or false"):
        load_plan(write(tmp_path, text))


def test_duplicate_key_players_refused(tmp_path):
    text = PLAN.format(account="A", opportunity="O", strength=2) + "key_players: []\n"
    with pytest.raises(PlanError, match=r"line 12: key 'key_players' appears twice"):
        load_plan(write(tmp_path, text))


def _json_plan(strength) -> str:
    return (
        '{"kind": "opportunity_plan", "name": "Deal", "account_id": "A", '
        '"opportunity_id": "0012", "key_players": [{"name": "C", '
        f'"relationship_strength": {strength}}}]}}'
    )


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_non_finite_numbers_refused(tmp_path, constant):
    path = write(tmp_path, _json_plan(constant), "plan.json")
    with pytest.raises(PlanError, match=rf"plan.json: {constant} is not a number a plan can"):
        load_plan(path)


def test_json_overflowing_number_refused(tmp_path):
    path = write(tmp_path, _json_plan("1e999"), "plan.json")
    with pytest.raises(PlanError, match=r"field relationship_strength: inf is not a finite"):
        load_plan(path)


def test_json_duplicate_key_refused(tmp_path):
    text = _json_plan(2)[:-1] + ', "key_players": []}'
    path = write(tmp_path, text, "plan.json")
    with pytest.raises(PlanError, match=r"plan.json: .*key 'key_players' appears twice"):
        load_plan(path)


def test_json_reads_ids_as_written(tmp_path):
    plan = load_plan(write(tmp_path, _json_plan(2), "plan.json"))
    assert plan.opportunity_id == "0012"
    assert json.loads(_json_plan(2))["opportunity_id"] == "0012"
