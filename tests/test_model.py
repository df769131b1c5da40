import pytest

from salesworkbench import LifecycleError
from salesworkbench.model import (
    Account,
    Attitude,
    BuyingRole,
    KeyPlayer,
    Lead,
    LeadState,
    Opportunity,
    Qualification,
    Stage,
    TargetMarket,
    allowed_transitions,
    check_transition,
    to_frame,
)
from salesworkbench.schemas import OPPORTUNITIES

HAPPY_PATH = [
    Stage.LEAD,
    Stage.QUALIFIED_LEAD,
    Stage.SUSPECT,
    Stage.QUALIFIED_OPPORTUNITY,
    Stage.WON,
]


def test_happy_path_is_allowed():
    for current, new in zip(HAPPY_PATH, HAPPY_PATH[1:], strict=False):
        assert check_transition(current, new) is new


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("lead", "won"),
        ("lead", "qualified_opportunity"),
        ("qualified_lead", "won"),
        ("suspect", "won"),
        ("won", "lost"),
        ("lost", "suspect"),
        ("disqualified", "lead"),
    ],
)
def test_illegal_transition_names_both_states(current, new):
    with pytest.raises(LifecycleError) as err:
        check_transition(current, new)
    assert repr(current) in str(err.value) and repr(new) in str(err.value)


def test_closed_stages_allow_nothing():
    for stage in (Stage.WON, Stage.LOST, Stage.DISQUALIFIED):
        assert allowed_transitions(stage) == ()
        assert stage.is_closed
    assert Stage.WON.status == "won" and Stage.DISQUALIFIED.status == "lost"
    assert Stage.SUSPECT.status == "open"


def test_unknown_stage_is_lifecycle_error():
    with pytest.raises(LifecycleError, match="stages are"):
        check_transition("prospect", "won")


def test_qualification_gates_qualified_opportunity():
    partial = Qualification(in_market=True, budget=False, timeframe=None)
    assert partial.gaps == ["budget", "timeframe"]
    with pytest.raises(LifecycleError, match="budget, timeframe"):
        check_transition(Stage.SUSPECT, Stage.QUALIFIED_OPPORTUNITY, partial)
    full = Qualification(True, True, True)
    assert full.is_qualified
    assert check_transition("suspect", "qualified_opportunity", full) is Stage.QUALIFIED_OPPORTUNITY


def test_opportunity_moves_and_rejects_illegal_moves():
    opp = Opportunity(
        "o1", "a1", 1000.0, "2026-01-01", qualification=Qualification(True, True, True)
    )
    opp.move_to("qualified_opportunity")
    opp.move_to(Stage.WON)
    assert opp.status == "won"
    with pytest.raises(LifecycleError, match="'won' to 'lost'"):
        opp.move_to("lost")


def test_lead_lifecycle():
    lead = Lead("l1", "web", "2026-01-01")
    assert lead.state is LeadState.NEW
    lead.move_to("qualified_lead")
    with pytest.raises(LifecycleError):
        lead.move_to("qualified_opportunity")


def test_record_validation():
    with pytest.raises(ValueError, match="negative amount"):
        Opportunity("o1", "a1", -5.0, "2026-01-01")
    with pytest.raises(ValueError, match="probability"):
        Opportunity("o1", "a1", 5.0, "2026-01-01", probability=1.5)
    with pytest.raises(ValueError, match="buying_role 'boss'"):
        KeyPlayer("Ann", buying_role="boss")
    kp = KeyPlayer("Ann", "CFO", "power_sponsor", "supportive", 4)
    assert kp.buying_role is BuyingRole.POWER_SPONSOR and kp.attitude is Attitude.SUPPORTIVE
    with pytest.raises(ValueError, match="relationship_strength"):
        KeyPlayer("Bob", relationship_strength=9)


def test_account_white_space_and_target_market():
    acc = Account("a1", "Acme", sector="Retail", employees=500, wallet=100.0, current_spend=30.0)
    assert acc.white_space == 70.0 and acc.share_of_wallet == pytest.approx(0.3)
    assert Account("a2", "B").white_space is None
    market = TargetMarket("mid-market retail", sectors=["Retail"], min_employees=100)
    assert market.contains(acc)
    assert not market.contains(Account("a3", "C", sector="Retail", employees=50))


def test_to_frame_gives_canonical_opportunities():
    frame = to_frame(
        [
            Opportunity("o1", "a1", 10.0, "2026-01-01", "2026-03-01", Stage.WON, "Ann", "X"),
            Opportunity("o2", None, 20.0, "2026-02-01", None, Stage.SUSPECT, "Bob", "Y"),
        ]
    )
    OPPORTUNITIES.validate(frame)
    assert list(frame["status"]) == ["won", "open"]
    assert str(frame["created"].dtype).startswith("datetime64")
