"""The plan records: account plans, opportunity plans and the sections they are made of.

The sales model names three planning tools kept on the sales automation system so that what
the team knows is retained and shared: territory plans (:mod:`salesworkbench.territory`),
**account plans** (for large, strategic accounts) and **opportunity plans** (one per deal, sized
to the deal). This module makes the last two typed records:

* :class:`AccountPlan`: profile, install base, recurring revenues, satisfaction, recent projects,
  key players, account team, current initiatives, wallet by offering (for the white space and
  share-of-wallet analysis), future opportunities, action plan and resource plan.
* :class:`OpportunityPlan`: business pain, value proposition (linked to a value case file),
  customer rules, is it compelling?, key players and coverage strategy (access flagged),
  qualification, solution status, evaluation plan / buying process, competitive strategy,
  negotiation and close strategy, implementation plan.

Plans are saved as YAML or JSON (:meth:`AccountPlan.save`, written atomically) and read back with
:func:`load_plan` (strict YAML: no duplicate keys or aliases, ids kept as text), which
validates every field with the codec in :mod:`salesworkbench.plans.serial`: a
:class:`~salesworkbench.plans.PlanError` names the plan, the section and the field.

A section left out (``None``) or empty is a *gap to fill*: :meth:`AccountPlan.gaps` lists them
and the renderers (:mod:`salesworkbench.plans.rendering`) show them rather than hide them.
"""

from __future__ import annotations

import datetime as dt
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from salesworkbench.model import BuyingRole, KeyPlayer, Qualification, ValueProposition
from salesworkbench.plans.serial import (
    PlanError,
    dump_record,
    field_meta,
    is_empty,
    load_record,
    read_data,
    write_data,
)

__all__ = [
    "FORMAT_VERSION",
    "AccountPlan",
    "AccountProfile",
    "Action",
    "ActionStatus",
    "BusinessPain",
    "Compelling",
    "CompetitiveStrategy",
    "Competitor",
    "EvaluationPlan",
    "ExecutiveBio",
    "FutureOpportunity",
    "ImplementationPlan",
    "Initiative",
    "InstallBaseItem",
    "NegotiationClose",
    "OpportunityPlan",
    "PlanKeyPlayer",
    "Project",
    "QualificationStatus",
    "RecurringRevenueLine",
    "ResourceLine",
    "Satisfaction",
    "SolutionStatus",
    "TeamMember",
    "WalletLine",
    "load_plan",
    "load_plans",
]

FORMAT_VERSION = 1
"""Version of the plan file format written by :meth:`AccountPlan.save`."""

_KINDS = {"account_plan": "account plan", "opportunity_plan": "opportunity plan"}


# ----------------------------------------------------------------------------------------------
# building blocks shared by both plans
# ----------------------------------------------------------------------------------------------


class ActionStatus(StrEnum):
    """Where an action (or evaluation step, or milestone) stands."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_closed(self) -> bool:
        """Done or cancelled: never overdue."""
        return self in (ActionStatus.DONE, ActionStatus.CANCELLED)


@dataclass
class Action:
    """One action with an owner and a due date (action plan, evaluation step, milestone)."""

    action: str
    owner: str = ""
    due: dt.date | None = None
    status: ActionStatus = ActionStatus.NOT_STARTED
    notes: str = ""

    def __post_init__(self) -> None:
        try:
            self.status = ActionStatus(self.status)
        except ValueError:
            allowed = ", ".join(m.value for m in ActionStatus)
            raise ValueError(
                f"action {self.action!r}: status {self.status!r} is not one of {allowed}"
            ) from None

    def is_overdue(self, as_of: dt.date) -> bool:
        """Due before ``as_of`` and neither done nor cancelled."""
        return self.due is not None and self.due < as_of and not self.status.is_closed


@dataclass
class PlanKeyPlayer(KeyPlayer):
    """A key player as a plan records them: the model's :class:`KeyPlayer` plus coverage.

    Parameters
    ----------
    covered_by : str
        Who on our team owns the relationship.
    access : bool, optional
        Whether we have access to this person (None = not known). Decision makers and power
        sponsors without access are flagged.
    concerns : str
        What this person cares about in the deal (concerns change during the sales cycle).
    """

    # the model's KeyPlayer checks relationship_strength in __post_init__; the loader checks
    # it first so that its message names the section and field
    FIELD_META: typing.ClassVar[dict[str, dict]] = {
        "relationship_strength": field_meta(min=0, max=5)
    }

    covered_by: str = ""
    access: bool | None = None
    concerns: str = ""


# ----------------------------------------------------------------------------------------------
# account plan sections
# ----------------------------------------------------------------------------------------------


@dataclass
class ExecutiveBio:
    """A short biography of one of the account's executives."""

    name: str
    title: str = ""
    biography: str = ""


@dataclass
class AccountProfile:
    """Who the account is: company, financials, offerings, market, competition, executives."""

    company: str = ""
    sector: str = ""
    region: str = ""
    annual_revenue: float | None = field(default=None, metadata=field_meta(min=0))
    employees: float | None = field(default=None, metadata=field_meta(min=0))
    revenue_growth: float | None = None
    financials: str = ""
    offerings: list[str] = field(default_factory=list)
    market_analysis: str = ""
    competition: list[str] = field(default_factory=list)
    executives: list[ExecutiveBio] = field(default_factory=list)
    business_issues: list[str] = field(default_factory=list)
    capabilities_required: list[str] = field(default_factory=list)


@dataclass
class InstallBaseItem:
    """Our products installed at the account."""

    offering: str
    value: float | None = field(default=None, metadata=field_meta(min=0))
    since: dt.date | None = None
    notes: str = ""


@dataclass
class RecurringRevenueLine:
    """Annual recurring revenue from one offering."""

    offering: str
    annual_amount: float = field(default=0.0, metadata=field_meta(min=0))
    renewal_date: dt.date | None = None
    notes: str = ""


@dataclass
class Satisfaction:
    """Customer satisfaction: a 0-10 score and the issues behind it."""

    score: float | None = field(default=None, metadata=field_meta(min=0, max=10))
    measured: dt.date | None = None
    source: str = ""
    issues: list[str] = field(default_factory=list)


@dataclass
class Project:
    """A recent project with the account."""

    name: str
    completed: dt.date | None = None
    value: float | None = field(default=None, metadata=field_meta(min=0))
    outcome: str = ""


@dataclass
class TeamMember:
    """Someone on the account team, what they cover and how much of their time it takes."""

    name: str
    role: str = ""
    covers: list[str] = field(default_factory=list)
    time_share: float | None = field(default=None, metadata=field_meta(min=0, max=1))


@dataclass
class Initiative:
    """A current initiative or project inside the account (not necessarily ours)."""

    name: str
    description: str = ""
    customer_owner: str = ""
    relevance: str = ""


@dataclass
class WalletLine:
    """Estimated annual wallet for one offering and what the account spends with us on it."""

    offering: str
    wallet: float = field(metadata=field_meta(min=0))
    current_spend: float = field(default=0.0, metadata=field_meta(min=0))
    notes: str = ""


@dataclass
class FutureOpportunity:
    """An opportunity the team sees coming that is not in the pipeline yet."""

    name: str
    offering: str = ""
    estimated_amount: float | None = field(default=None, metadata=field_meta(min=0))
    expected_close: dt.date | None = None
    notes: str = ""


@dataclass
class ResourceLine:
    """A resource the plan needs (pre-sales, specialists, executive time, budget)."""

    resource: str
    purpose: str = ""
    days: float | None = field(default=None, metadata=field_meta(min=0))
    cost: float | None = field(default=None, metadata=field_meta(min=0))
    period: str = ""
    status: str = ""


# ----------------------------------------------------------------------------------------------
# opportunity plan sections
# ----------------------------------------------------------------------------------------------


@dataclass
class BusinessPain:
    """The customer's business pain or issue, whose it is and what it costs them."""

    issue: str
    impact: str = ""
    owner: str = ""


@dataclass
class Compelling:
    """Is it compelling? Whether the customer must act, and by when."""

    is_compelling: bool | None = None
    compelling_event: str = ""
    event_date: dt.date | None = None
    reason: str = ""


@dataclass
class QualificationStatus:
    """The sales model's qualification: in the market, budget, timeframe (None = unknown).

    Sponsor and power sponsor come from the key player list (see
    :func:`qualification_scorecard`).
    """

    in_market: bool | None = None
    budget: bool | None = None
    timeframe: bool | None = None
    budget_amount: float | None = field(default=None, metadata=field_meta(min=0))
    decision_date: dt.date | None = None
    evidence: str = ""

    def as_model(self) -> Qualification:
        """The :class:`salesworkbench.model.Qualification` of these three criteria."""
        return Qualification(self.in_market, self.budget, self.timeframe)


@dataclass
class SolutionStatus:
    """How far the solution has been created with the customer."""

    status: str = ""
    description: str = ""
    open_items: list[str] = field(default_factory=list)


@dataclass
class EvaluationPlan:
    """The customer's buying process and the agreed evaluation steps."""

    buying_process: str = ""
    decision_criteria: list[str] = field(default_factory=list)
    steps: list[Action] = field(default_factory=list)


@dataclass
class Competitor:
    """A competitor in the deal: strengths, weaknesses and position with the customer."""

    name: str
    strengths: list[str] = field(default_factory=list)
    weaknesses: list[str] = field(default_factory=list)
    position: str = ""


@dataclass
class CompetitiveStrategy:
    """Competitive strategy with the analysis of strength and position."""

    strategy: str = ""
    our_strengths: list[str] = field(default_factory=list)
    our_weaknesses: list[str] = field(default_factory=list)
    competitors: list[Competitor] = field(default_factory=list)


@dataclass
class NegotiationClose:
    """Negotiation and close strategy."""

    strategy: str = ""
    target_close: dt.date | None = None
    walk_away: str = ""
    concessions: list[str] = field(default_factory=list)


@dataclass
class ImplementationPlan:
    """How the solution will be delivered once won."""

    summary: str = ""
    milestones: list[Action] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# the plans
# ----------------------------------------------------------------------------------------------

_NO_SAVE = {"save": False}


class _Plan:
    """Behaviour shared by both plans: gaps, dict/file round trip."""

    KIND: typing.ClassVar[str]
    SECTIONS: typing.ClassVar[dict[str, str]]

    # ---- sections
    def gaps(self) -> list[str]:
        """Sections left out or empty, in plan order (their display titles)."""
        return [title for name, title in self.SECTIONS.items() if is_empty(getattr(self, name))]

    def label(self) -> str:
        """E.g. ``account plan 'Deltacore Systems'``: how messages name this plan."""
        return f"{_KINDS[self.KIND]} {self.name!r}"

    # ---- dict / file
    def to_dict(self, *, json_safe: bool = False) -> dict:
        """The plan as plain data (``kind`` and ``format_version`` first).

        Parameters
        ----------
        json_safe : bool
            Dates as ISO strings (for JSON); otherwise ``datetime.date`` (YAML writes them as
            ``2026-10-01``).
        """
        out = {"kind": self.KIND, "format_version": FORMAT_VERSION}
        out.update(dump_record(self, json_safe=json_safe))
        return out

    @classmethod
    def from_dict(cls, data: Mapping, *, source: str | os.PathLike | None = None):
        """Build and validate a plan from plain data (what :meth:`to_dict` returns).

        Raises
        ------
        PlanError
            Names the file, the plan, the section and the field at fault.
        """
        if not isinstance(data, Mapping):
            raise PlanError(
                f"a plan file must hold a mapping of sections, got {type(data).__name__}",
                file=source,
            )
        data = dict(data)
        name = data.get("name")
        label = f"{_KINDS[cls.KIND]} {name!r}" if isinstance(name, str) and name else None
        label = label or f"{_KINDS[cls.KIND]} (unnamed)"
        kind = data.pop("kind", cls.KIND)
        if kind != cls.KIND:
            raise PlanError(
                f"kind is {kind!r}, expected {cls.KIND!r}",
                plan=label,
                section="header",
                field="kind",
                file=source,
            )
        version = data.pop("format_version", FORMAT_VERSION)
        if isinstance(version, str) and version.strip().isdigit():  # YAML scalars are text
            version = int(version)
        if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
            raise PlanError(
                f"format_version {version!r} is not supported (this version reads up to "
                f"{FORMAT_VERSION})",
                plan=label,
                section="header",
                field="format_version",
                file=source,
            )
        plan = load_record(cls, data, plan=label, file=source)
        if source is not None:
            plan.source_path = Path(source)
        return plan

    def save(self, path: str | os.PathLike) -> Path:
        """Write the plan to ``path`` (``.yaml``/``.yml`` or ``.json``), atomically.

        The file is written to a temporary file beside ``path`` and renamed over it, so a
        crash or an error never leaves a half-written plan.
        """
        path = write_data(path, self.to_dict(), plan=self.label())
        self.source_path = path
        return path

    @classmethod
    def load(cls, path: str | os.PathLike):
        """Read and validate a plan of this kind from a YAML or JSON file."""
        plan = load_plan(path)
        if not isinstance(plan, cls):
            raise PlanError(
                f"holds a {plan.KIND}, expected a {cls.KIND}", plan=plan.label(), file=path
            )
        return plan

    def actions(self) -> list[tuple[str, Action]]:
        """Every dated action in the plan, with the section it is in."""
        return []


@dataclass
class AccountPlan(_Plan):
    """An account plan for a large, strategic account.

    Every section is optional: a section left out (None) or empty is a gap to fill, shown by
    :meth:`gaps` and by the renderers. ``segment`` is Alpha/Beta/Delta from
    :func:`salesworkbench.territory.segment`; ``opportunity_plans`` are paths (relative to
    this file) of the account's opportunity plans.
    """

    KIND: typing.ClassVar[str] = "account_plan"
    SECTIONS: typing.ClassVar[dict[str, str]] = {
        "profile": "Account profile",
        "install_base": "Install base",
        "recurring_revenue": "Recurring revenues",
        "satisfaction": "Customer satisfaction",
        "recent_projects": "Recent projects",
        "key_players": "Key player list summary",
        "account_team": "Account team and coverage",
        "initiatives": "Current initiatives inside the account",
        "wallet": "White space and share of wallet",
        "future_opportunities": "Future opportunities",
        "action_plan": "Action plan",
        "resource_plan": "Resource plan",
    }

    name: str
    account_id: str
    owner: str = ""
    segment: str | None = None
    currency: str = "GBP"
    updated: dt.date | None = None
    profile: AccountProfile | None = None
    install_base: list[InstallBaseItem] = field(default_factory=list)
    recurring_revenue: list[RecurringRevenueLine] = field(default_factory=list)
    satisfaction: Satisfaction | None = None
    recent_projects: list[Project] = field(default_factory=list)
    key_players: list[PlanKeyPlayer] = field(default_factory=list)
    account_team: list[TeamMember] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    wallet: list[WalletLine] = field(default_factory=list)
    future_opportunities: list[FutureOpportunity] = field(default_factory=list)
    action_plan: list[Action] = field(default_factory=list)
    resource_plan: list[ResourceLine] = field(default_factory=list)
    opportunity_plans: list[str] = field(default_factory=list)
    source_path: Path | None = field(default=None, compare=False, repr=False, metadata=_NO_SAVE)

    def actions(self) -> list[tuple[str, Action]]:
        """Every action of the action plan, as ``("action_plan", action)``."""
        return [("action_plan", a) for a in self.action_plan]


@dataclass
class OpportunityPlan(_Plan):
    """An opportunity plan, sized to the opportunity.

    ``opportunity_id`` links the plan to the canonical pipeline; ``value_proposition.value_case``
    is the path of a value case YAML file (relative to this plan file, or absolute).
    """

    KIND: typing.ClassVar[str] = "opportunity_plan"
    SECTIONS: typing.ClassVar[dict[str, str]] = {
        "business_pain": "Business pain / issue",
        "value_proposition": "Value proposition",
        "customer_rules": "Customer rules",
        "analysis_and_presentation": "Analysis and presentation",
        "compelling": "Is it compelling?",
        "key_players": "Key player list",
        "coverage_strategy": "Coverage strategy",
        "qualification": "Qualification status",
        "solution_status": "Solution creation status",
        "evaluation_plan": "Evaluation plan / buying process",
        "competitive_strategy": "Competitive strategy (strength and position)",
        "negotiation_and_close": "Negotiation and close strategy",
        "implementation_plan": "Implementation plan",
    }

    name: str
    account_id: str
    opportunity_id: str | None = None
    owner: str = ""
    currency: str = "GBP"
    updated: dt.date | None = None
    business_pain: BusinessPain | None = None
    value_proposition: ValueProposition | None = None
    customer_rules: list[str] = field(default_factory=list)
    analysis_and_presentation: str = ""
    compelling: Compelling | None = None
    key_players: list[PlanKeyPlayer] = field(default_factory=list)
    coverage_strategy: str = ""
    qualification: QualificationStatus | None = None
    solution_status: SolutionStatus | None = None
    evaluation_plan: EvaluationPlan | None = None
    competitive_strategy: CompetitiveStrategy | None = None
    negotiation_and_close: NegotiationClose | None = None
    implementation_plan: ImplementationPlan | None = None
    source_path: Path | None = field(default=None, compare=False, repr=False, metadata=_NO_SAVE)

    def actions(self) -> list[tuple[str, Action]]:
        """Evaluation steps and implementation milestones, with their section."""
        out: list[tuple[str, Action]] = []
        if self.evaluation_plan is not None:
            out += [("evaluation_plan.steps", a) for a in self.evaluation_plan.steps]
        if self.implementation_plan is not None:
            out += [
                ("implementation_plan.milestones", a) for a in self.implementation_plan.milestones
            ]
        return out

    def players(self, role: BuyingRole | str) -> list[PlanKeyPlayer]:
        """The key players with buying role ``role``."""
        role = BuyingRole(role)
        return [kp for kp in self.key_players if kp.buying_role is role]

    def value_case_path(self) -> Path | None:
        """The linked value case file, resolved against this plan file's folder."""
        vp = self.value_proposition
        if vp is None or not vp.value_case:
            return None
        p = Path(vp.value_case)
        if not p.is_absolute() and self.source_path is not None:
            p = self.source_path.parent / p
        return p


def load_plan(path: str | os.PathLike) -> AccountPlan | OpportunityPlan:
    """Read and validate a plan file (YAML or JSON, see :func:`~.serial.read_data`).

    The ``kind`` key (``account_plan`` or ``opportunity_plan``) says which plan it is.

    Raises
    ------
    PlanError
        The file cannot be parsed, or a section/field is invalid (names file, plan, section
        and field).
    FileNotFoundError
        No such file.
    """
    path = Path(path)
    data = read_data(path)
    kind = data.get("kind")
    cls = {"account_plan": AccountPlan, "opportunity_plan": OpportunityPlan}.get(kind)
    if cls is None:
        raise PlanError(
            f"{kind!r} is not one of account_plan, opportunity_plan",
            section="header",
            field="kind",
            file=path,
        )
    return cls.from_dict(data, source=path)


def load_plans(folder: str | os.PathLike) -> list[AccountPlan | OpportunityPlan]:
    """Load every ``*.yaml``, ``*.yml`` and ``*.json`` plan in ``folder`` (sorted by name)."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json"))
    return [load_plan(p) for p in files]
