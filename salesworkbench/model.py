"""The sales model's vocabulary as plain, typed records.

A *target market* is split into *territories*, each allocated to a rep or a team. A territory
holds *accounts* (companies or consumers that buy). Marketing generates *leads*; telemarketing
qualifies them; a qualified lead becomes a *suspect* in the funnel and, once it is in the market,
has a budget and will buy in a reasonable time, a *qualified opportunity*, which is finally won
or lost. *Key players* at the account play buying roles in each deal. The *value proposition*
states, in the customer's terms, the value the offering creates (see
:mod:`salesworkbench.value`).

Tables of these records are pandas DataFrames with the canonical columns of
:mod:`salesworkbench.schemas`; :func:`to_frame` turns a list of records into one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from enum import Enum, StrEnum

import pandas as pd

from salesworkbench.errors import LifecycleError

__all__ = [
    "Account",
    "Attitude",
    "BuyingRole",
    "KeyPlayer",
    "Lead",
    "LeadState",
    "Opportunity",
    "Qualification",
    "Stage",
    "TargetMarket",
    "Territory",
    "ValueProposition",
    "allowed_transitions",
    "check_transition",
    "to_frame",
]


class Stage(StrEnum):
    """Where a sale stands in the sales model's lifecycle.

    lead -> qualified_lead (by telemarketing) -> suspect (a qualified suspect in the funnel)
    -> qualified_opportunity (in the market, has budget, will buy in a reasonable time)
    -> won | lost. A lead or qualified lead that goes no further is ``disqualified``.
    """

    LEAD = "lead"
    QUALIFIED_LEAD = "qualified_lead"
    SUSPECT = "suspect"
    QUALIFIED_OPPORTUNITY = "qualified_opportunity"
    WON = "won"
    LOST = "lost"
    DISQUALIFIED = "disqualified"

    @property
    def status(self) -> str:
        """The opportunity status this stage maps to: ``open``, ``won`` or ``lost``."""
        if self is Stage.WON:
            return "won"
        if self in (Stage.LOST, Stage.DISQUALIFIED):
            return "lost"
        return "open"

    @property
    def is_closed(self) -> bool:
        """Whether no further move is allowed."""
        return not _TRANSITIONS[self]


_TRANSITIONS: dict[Stage, tuple[Stage, ...]] = {
    Stage.LEAD: (Stage.QUALIFIED_LEAD, Stage.DISQUALIFIED),
    Stage.QUALIFIED_LEAD: (Stage.SUSPECT, Stage.DISQUALIFIED),
    Stage.SUSPECT: (Stage.QUALIFIED_OPPORTUNITY, Stage.LOST),
    # a qualified opportunity can fall back to suspect when qualification lapses (budget cut)
    Stage.QUALIFIED_OPPORTUNITY: (Stage.WON, Stage.LOST, Stage.SUSPECT),
    Stage.WON: (),
    Stage.LOST: (),
    Stage.DISQUALIFIED: (),
}


def allowed_transitions(stage: Stage | str) -> tuple[Stage, ...]:
    """Return the stages a sale may move to from ``stage``."""
    return _TRANSITIONS[Stage(stage)]


class LeadState(StrEnum):
    """Qualification state of a lead (the ``state`` column of the leads table)."""

    NEW = "new"
    QUALIFIED_LEAD = "qualified_lead"
    SUSPECT = "suspect"
    QUALIFIED_OPPORTUNITY = "qualified_opportunity"
    DISQUALIFIED = "disqualified"

    @property
    def stage(self) -> Stage:
        """The lifecycle stage of a lead in this state."""
        return Stage.LEAD if self is LeadState.NEW else Stage(self.value)


@dataclass(frozen=True)
class Qualification:
    """The sales model's qualification of an opportunity.

    A suspect becomes a qualified opportunity when it is in the market, has a budget and will
    buy within a reasonable time frame. ``None`` means not yet known.
    """

    in_market: bool | None = None
    budget: bool | None = None
    timeframe: bool | None = None

    @property
    def gaps(self) -> list[str]:
        """The criteria not (yet) met, in the order the sales model lists them."""
        return [name for name in ("in_market", "budget", "timeframe") if not getattr(self, name)]

    @property
    def is_qualified(self) -> bool:
        """True when all three criteria are met."""
        return not self.gaps


def check_transition(
    current: Stage | str, new: Stage | str, qualification: Qualification | None = None
) -> Stage:
    """Check a lifecycle move and return the new stage.

    Parameters
    ----------
    current, new : Stage or str
        The stage a sale is in and the one it is to move to.
    qualification : Qualification, optional
        When moving to ``qualified_opportunity``, the qualification must be complete.

    Raises
    ------
    LifecycleError
        The move is not allowed; the message names both stages and what is allowed instead.
    """
    try:
        cur, nxt = Stage(current), Stage(new)
    except ValueError as exc:
        raise LifecycleError(f"{exc}; stages are {', '.join(s.value for s in Stage)}") from None
    allowed = _TRANSITIONS[cur]
    if nxt not in allowed:
        options = ", ".join(s.value for s in allowed) or "nothing (it is closed)"
        raise LifecycleError(
            f"illegal transition from {cur.value!r} to {nxt.value!r}; "
            f"from {cur.value!r} a sale may move to {options}"
        )
    if nxt is Stage.QUALIFIED_OPPORTUNITY and qualification is not None:
        if not qualification.is_qualified:
            raise LifecycleError(
                f"cannot move from {cur.value!r} to {nxt.value!r}: qualification incomplete "
                f"({', '.join(qualification.gaps)} not met)"
            )
    return nxt


class BuyingRole(StrEnum):
    """The role a key player plays in a buying decision."""

    SPONSOR = "sponsor"
    POWER_SPONSOR = "power_sponsor"
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    USER = "user"
    BLOCKER = "blocker"


class Attitude(StrEnum):
    """A key player's attitude to our proposal."""

    SUPPORTIVE = "supportive"
    NEUTRAL = "neutral"
    OPPOSED = "opposed"
    UNKNOWN = "unknown"


@dataclass
class KeyPlayer:
    """A person at the account who matters to a sale.

    Parameters
    ----------
    name, title : str
        Who they are.
    buying_role : BuyingRole
        Sponsor, power sponsor, decision maker, influencer, user or blocker.
    attitude : Attitude
        Supportive, neutral, opposed or unknown.
    relationship_strength : int, optional
        Our relationship, 0 (none) to 5 (trusted advisor).
    last_contact : date, optional
        When we last met or spoke.
    """

    name: str
    title: str = ""
    buying_role: BuyingRole = BuyingRole.INFLUENCER
    attitude: Attitude = Attitude.UNKNOWN
    relationship_strength: int | None = None
    last_contact: dt.date | None = None

    def __post_init__(self) -> None:
        self.buying_role = _enum(BuyingRole, self.buying_role, "buying_role", self.name)
        self.attitude = _enum(Attitude, self.attitude, "attitude", self.name)
        rs = self.relationship_strength
        if rs is not None and not 0 <= rs <= 5:
            raise ValueError(
                f"key player {self.name!r}: relationship_strength must be 0-5, got {rs}"
            )


def _enum(kind: type[Enum], value, field_name: str, owner: str):
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ValueError(f"{owner!r}: {field_name} {value!r} is not one of {allowed}") from None


@dataclass
class TargetMarket:
    """The customers the company chooses to serve: sectors, regions and size bands."""

    name: str
    sectors: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    min_employees: float | None = None
    max_employees: float | None = None
    description: str = ""

    def contains(self, account: Account) -> bool:
        """Whether an account falls inside this target market."""
        if self.sectors and account.sector not in self.sectors:
            return False
        if self.regions and account.region not in self.regions:
            return False
        emp = account.employees
        if emp is not None and self.min_employees is not None and emp < self.min_employees:
            return False
        if emp is not None and self.max_employees is not None and emp > self.max_employees:
            return False
        return True


@dataclass
class Territory:
    """Part of the target market allocated to a rep or a team."""

    territory_id: str
    name: str = ""
    target_market: str = ""
    owners: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)


@dataclass
class Account:
    """A company or consumer that buys (one row of the canonical accounts table)."""

    account_id: str
    name: str
    sector: str | None = None
    region: str | None = None
    territory: str | None = None
    owner: str | None = None
    revenue: float | None = None
    employees: float | None = None
    growth: float | None = None
    wallet: float | None = None
    current_spend: float | None = None
    install_base: float | None = None
    recurring_revenue: float | None = None
    recent_projects: float | None = None
    satisfaction: float | None = None
    key_players_engaged: float | None = None
    last_activity: dt.date | None = None
    key_players: list[KeyPlayer] = field(default_factory=list)

    @property
    def white_space(self) -> float | None:
        """Estimated wallet minus current spend: what the account could still buy from us."""
        if self.wallet is None or self.current_spend is None:
            return None
        return max(self.wallet - self.current_spend, 0.0)

    @property
    def share_of_wallet(self) -> float | None:
        """Current spend as a share of the estimated wallet."""
        if not self.wallet or self.current_spend is None:
            return None
        return self.current_spend / self.wallet


@dataclass
class Lead:
    """A potential buyer from marketing, before and during qualification."""

    lead_id: str
    source: str
    created: dt.date
    state: LeadState = LeadState.NEW
    account: str | None = None
    owner: str | None = None
    qualification: Qualification = field(default_factory=Qualification)

    def __post_init__(self) -> None:
        self.state = _enum(LeadState, self.state, "state", self.lead_id)

    def move_to(self, state: LeadState | str) -> None:
        """Move the lead along the lifecycle (LifecycleError if the move is illegal)."""
        new = _enum(LeadState, state, "state", self.lead_id)
        check_transition(self.state.stage, new.stage, self.qualification)
        self.state = new


@dataclass
class ValueProposition:
    """The value statement of a sale; the figures come from a value case file."""

    goal: str = ""
    capability: str = ""
    as_a_result_of: str = ""
    value_case: str | None = None  # path of the value case YAML


@dataclass
class Opportunity:
    """A deal in the funnel (one row of the canonical opportunities table)."""

    opportunity_id: str
    account: str | None
    amount: float
    created: dt.date
    close_date: dt.date | None = None
    stage: Stage = Stage.SUSPECT
    owner: str = ""
    product: str = ""
    currency: str = "GBP"
    probability: float | None = None
    forecast_category: str | None = None
    segment: str | None = None
    qualification: Qualification = field(default_factory=Qualification)
    key_players: list[KeyPlayer] = field(default_factory=list)
    value_proposition: ValueProposition | None = None

    def __post_init__(self) -> None:
        self.stage = _enum(Stage, self.stage, "stage", self.opportunity_id)
        if self.amount is not None and self.amount < 0:
            raise ValueError(f"opportunity {self.opportunity_id!r}: negative amount {self.amount}")
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise ValueError(
                f"opportunity {self.opportunity_id!r}: probability must be 0-1, "
                f"got {self.probability}"
            )

    @property
    def status(self) -> str:
        """``open``, ``won`` or ``lost``."""
        return self.stage.status

    def move_to(self, stage: Stage | str) -> None:
        """Move the deal along the lifecycle (LifecycleError if the move is illegal)."""
        self.stage = check_transition(self.stage, stage, self.qualification)

    def roles_covered(self) -> set[BuyingRole]:
        """The buying roles among the deal's key players."""
        return {kp.buying_role for kp in self.key_players}


def to_frame(records: list) -> pd.DataFrame:
    """Turn a list of records (e.g. :class:`Opportunity`) into a canonical DataFrame.

    Nested fields (key players, qualification) are left out; enums become their values and the
    canonical dtypes of :mod:`salesworkbench.schemas` are applied.
    """
    from salesworkbench.schemas import ACCOUNTS, LEADS, OPPORTUNITIES

    if not records:
        raise ValueError("to_frame needs at least one record")
    kind = type(records[0])
    schema = {Opportunity: OPPORTUNITIES, Account: ACCOUNTS, Lead: LEADS}.get(kind)
    rows = []
    for rec in records:
        row = {}
        for f in dataclasses.fields(rec):
            value = getattr(rec, f.name)
            if isinstance(value, Enum):
                value = value.value
            if isinstance(value, list | Qualification | ValueProposition):
                continue
            row[f.name] = value
        if isinstance(rec, Opportunity):
            row["status"] = rec.status
            row["stage"] = rec.stage.value
        rows.append(row)
    frame = pd.DataFrame(rows)
    if schema is None:
        return frame
    keep = [c for c in frame.columns if c in schema.names]
    return schema.coerce(frame[keep])
