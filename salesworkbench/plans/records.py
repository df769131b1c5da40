"""Account plans and opportunity plans: structured, validated, saved, linked to the analyses.

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
:func:`load_plan` (``yaml.safe_load`` only), which validates every field: a :class:`PlanError`
names the plan, the section and the field, e.g. ``opportunity plan 'Acme renewal', section
key_players[2], field buying_role: 'boss' is not one of sponsor, ...``. List entries are
numbered from 1 (``key_players[2]`` is the second key player in the file).

A section left out (``None``) or empty is a *gap to fill*: :meth:`AccountPlan.gaps` lists them
and the renderers (:mod:`salesworkbench.plans`) show them rather than hide them.

Analyses computed from plans: :func:`white_space` (wallet by offering minus current spend, share
of wallet, biggest gaps), :func:`qualification_scorecard` (in the market, budget, timeframe,
sponsor, power sponsor), :func:`value_case_summary` (headline figures and P(value > 0) of the
linked value case), :func:`opportunity_portfolio` (the account's deals from the canonical
pipeline, with a forecast) and the manager checks (:func:`manager_checks`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from salesworkbench._files import atomic_write
from salesworkbench.model import Attitude, BuyingRole, KeyPlayer, Qualification, ValueProposition

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_TRIALS",
    "FORMAT_VERSION",
    "AccountPlan",
    "AccountProfile",
    "Action",
    "ActionStatus",
    "Compelling",
    "Competitor",
    "CompetitiveStrategy",
    "EvaluationPlan",
    "ExecutiveBio",
    "FutureOpportunity",
    "ImplementationPlan",
    "Initiative",
    "InstallBaseItem",
    "NegotiationClose",
    "OpportunityPlan",
    "PlanError",
    "PlanKeyPlayer",
    "Portfolio",
    "Project",
    "QualificationStatus",
    "RecurringRevenueLine",
    "ResourceLine",
    "Satisfaction",
    "SolutionStatus",
    "TeamMember",
    "ValueCaseSummary",
    "WalletLine",
    "WhiteSpace",
    "BusinessPain",
    "check_alpha_coverage",
    "check_overdue_actions",
    "check_power_sponsors",
    "check_value_cases",
    "draft_account_plan",
    "draft_opportunity_plan",
    "load_plan",
    "load_plans",
    "manager_checks",
    "opportunity_portfolio",
    "qualification_scorecard",
    "value_case_summary",
    "white_space",
]

FORMAT_VERSION = 1
"""Version of the plan file format written by :meth:`AccountPlan.save`."""

DEFAULT_TRIALS = 20_000
"""Monte Carlo trials used for a linked value case's P(value > 0) unless told otherwise."""

DEFAULT_THRESHOLD = 0.8
"""A value case with P(value > 0) below this is flagged by :func:`check_value_cases`."""

_KINDS = {"account_plan": "account plan", "opportunity_plan": "opportunity plan"}


# ----------------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------------


class PlanError(ValueError):
    """A plan file or record that cannot be used as it is.

    The message names the file (when known), the plan, the section and the field, e.g.
    ``opportunity plan 'Acme renewal', section key_players[2], field buying_role: 'boss' is not
    one of sponsor, power_sponsor, ...``.
    """

    def __init__(
        self,
        problem: str,
        *,
        plan: str | None = None,
        section: str | None = None,
        field: str | None = None,
        file: str | os.PathLike | None = None,
    ) -> None:
        self.problem, self.plan, self.section, self.field = problem, plan, section, field
        self.file = str(file) if file is not None else None
        where = [w for w in (self.file, plan) if w]
        if section:
            where.append(f"section {section}")
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {problem}" if where else problem)


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


def _m(**kw) -> dict:
    """Field metadata: ``min``/``max`` bounds, ``integer``."""
    return kw


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
    annual_revenue: float | None = field(default=None, metadata=_m(min=0))
    employees: float | None = field(default=None, metadata=_m(min=0))
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
    value: float | None = field(default=None, metadata=_m(min=0))
    since: dt.date | None = None
    notes: str = ""


@dataclass
class RecurringRevenueLine:
    """Annual recurring revenue from one offering."""

    offering: str
    annual_amount: float = field(default=0.0, metadata=_m(min=0))
    renewal_date: dt.date | None = None
    notes: str = ""


@dataclass
class Satisfaction:
    """Customer satisfaction: a 0-10 score and the issues behind it."""

    score: float | None = field(default=None, metadata=_m(min=0, max=10))
    measured: dt.date | None = None
    source: str = ""
    issues: list[str] = field(default_factory=list)


@dataclass
class Project:
    """A recent project with the account."""

    name: str
    completed: dt.date | None = None
    value: float | None = field(default=None, metadata=_m(min=0))
    outcome: str = ""


@dataclass
class TeamMember:
    """Someone on the account team, what they cover and how much of their time it takes."""

    name: str
    role: str = ""
    covers: list[str] = field(default_factory=list)
    time_share: float | None = field(default=None, metadata=_m(min=0, max=1))


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
    wallet: float = field(metadata=_m(min=0))
    current_spend: float = field(default=0.0, metadata=_m(min=0))
    notes: str = ""


@dataclass
class FutureOpportunity:
    """An opportunity the team sees coming that is not in the pipeline yet."""

    name: str
    offering: str = ""
    estimated_amount: float | None = field(default=None, metadata=_m(min=0))
    expected_close: dt.date | None = None
    notes: str = ""


@dataclass
class ResourceLine:
    """A resource the plan needs (pre-sales, specialists, executive time, budget)."""

    resource: str
    purpose: str = ""
    days: float | None = field(default=None, metadata=_m(min=0))
    cost: float | None = field(default=None, metadata=_m(min=0))
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
    budget_amount: float | None = field(default=None, metadata=_m(min=0))
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
        return [title for name, title in self.SECTIONS.items() if _is_empty(getattr(self, name))]

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
        out.update(_dump(self, json_safe))
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
        if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
            raise PlanError(
                f"format_version {version!r} is not supported (this version reads up to "
                f"{FORMAT_VERSION})",
                plan=label,
                section="header",
                field="format_version",
                file=source,
            )
        ctx = _Ctx(plan=label, file=source)
        plan = _load(cls, data, ctx, path=())
        if source is not None:
            plan.source_path = Path(source)
        return plan

    def save(self, path: str | os.PathLike) -> Path:
        """Write the plan to ``path`` (``.yaml``/``.yml`` or ``.json``), atomically.

        The file is written to a temporary file beside ``path`` and renamed over it, so a
        crash or an error never leaves a half-written plan.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            text = yaml.safe_dump(
                self.to_dict(),
                sort_keys=False,
                allow_unicode=True,
                default_flow_style=False,
                width=100,
            )
        elif suffix == ".json":
            text = json.dumps(self.to_dict(json_safe=True), indent=2, ensure_ascii=False) + "\n"
        else:
            raise PlanError(
                f"cannot save as {suffix or 'no suffix'!r}: use .yaml, .yml or .json",
                plan=self.label(),
                file=path,
            )
        with atomic_write(path, "w") as fh:
            _write_text(fh, text)
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


def _write_text(fh, text: str) -> None:
    """Write ``text`` (a separate function so tests can simulate a failure mid-write)."""
    fh.write(text)


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
    """Read and validate a plan file (YAML via ``yaml.safe_load``, or JSON).

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
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise PlanError(f"cannot be parsed: {exc}", file=path) from None
    if not isinstance(data, Mapping):
        raise PlanError("a plan file must hold a mapping of sections", file=path)
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


# ----------------------------------------------------------------------------------------------
# generic (de)serialisation of the dataclasses, with errors naming section and field
# ----------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    plan: str
    file: str | os.PathLike | None


def _section_name(path: tuple) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p + 1}]"
        else:
            out += ("." if out else "") + p
    return out


def _fail(ctx: _Ctx, path: tuple, fname: str, problem: str) -> typing.NoReturn:
    raise PlanError(
        problem,
        plan=ctx.plan,
        section=_section_name(path) or "header",
        field=fname,
        file=ctx.file,
    )


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _saved_fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.metadata.get("save", True)]


def _load(cls: type, data: Any, ctx: _Ctx, path: tuple):
    """Build dataclass ``cls`` from a mapping at ``path``, checking every field."""
    fields = {f.name: f for f in _saved_fields(cls)}
    if not isinstance(data, Mapping):
        raise PlanError(
            f"expected a mapping of fields ({', '.join(fields)}), got {_describe(data)}",
            plan=ctx.plan,
            section=_section_name(path) or "header",
            file=ctx.file,
        )
    unknown = [k for k in data if k not in fields]
    if unknown:
        _fail(ctx, path, str(unknown[0]), f"unknown field; allowed fields are {', '.join(fields)}")
    hints = _hints(cls)
    kwargs = {}
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if name not in data:
            if required:
                _fail(ctx, path, name, "is required")
            continue
        meta = f.metadata
        if issubclass(cls, KeyPlayer) and name in _KEYPLAYER_META:
            meta = _KEYPLAYER_META[name]
        kwargs[name] = _convert(hints[name], data[name], ctx, path, name, meta, required)
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # pragma: no cover - checks above come first
        raise PlanError(
            str(exc), plan=ctx.plan, section=_section_name(path) or "header", file=ctx.file
        ) from None


def _describe(value) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r} ({type(value).__name__})"


def _convert(tp, value, ctx: _Ctx, path: tuple, fname: str, meta: Mapping, required: bool):
    """Check and convert the value of field ``fname`` of the mapping at ``path``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, ctx, path, fname, meta, required)
    if value is None:
        if tp is str and not required:
            return ""
        if origin is list:
            return []
        _fail(ctx, path, fname, "is blank; a value is required")
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            _fail(ctx, path, fname, f"expected a list, got {_describe(value)}")
        if dataclasses.is_dataclass(item_tp):
            return [_load(item_tp, item, ctx, (*path, fname, i)) for i, item in enumerate(value)]
        return [
            _convert(item_tp, item, ctx, path, f"{fname}[{i + 1}]", meta, True)
            for i, item in enumerate(value)
        ]
    if dataclasses.is_dataclass(tp):
        return _load(tp, value, ctx, (*path, fname))
    if isinstance(tp, type) and issubclass(tp, Enum):
        if isinstance(value, tp):
            return value
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(m.value for m in tp)
            _fail(ctx, path, fname, f"{value!r} is not one of {allowed}")
    if tp is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            _fail(ctx, path, fname, f"expected text, got {_describe(value)}")
        return str(value)
    if tp is bool:
        if not isinstance(value, bool):
            _fail(
                ctx,
                path,
                fname,
                f"expected true or false (or leave blank for unknown), got {_describe(value)}",
            )
        return value
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(ctx, path, fname, f"expected a number, got {_describe(value)}")
        if isinstance(value, float) and math.isnan(value):
            _fail(ctx, path, fname, "is NaN; leave it blank if unknown")
        if tp is int and value != int(value):
            _fail(ctx, path, fname, f"expected a whole number, got {value!r}")
        lo, hi = meta.get("min"), meta.get("max")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            rng = f"{lo:g} to {hi:g}" if hi is not None else f"at least {lo:g}"
            _fail(ctx, path, fname, f"must be {rng}, got {value!r}")
        return tp(value)
    if tp is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        _fail(ctx, path, fname, f"{value!r} is not a date (write it as YYYY-MM-DD)")
    if tp is Path:  # pragma: no cover - not saved
        return Path(value)
    raise TypeError(f"unsupported field type {tp!r}")  # pragma: no cover


def _dump(obj, json_safe: bool):
    """Plain-data form of a dataclass / list / enum / date."""
    if dataclasses.is_dataclass(obj):
        return {f.name: _dump(getattr(obj, f.name), json_safe) for f in _saved_fields(type(obj))}
    if isinstance(obj, list):
        return [_dump(v, json_safe) for v in obj]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dt.date):
        return obj.isoformat() if json_safe else obj
    return obj


def _is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list):
        return not value
    if dataclasses.is_dataclass(value):
        return all(_is_empty(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


# the KeyPlayer checks in model.py run in __post_init__; the loader checks the same fields first
# so that its messages name the section and field.
_KEYPLAYER_META = {"relationship_strength": _m(min=0, max=5)}


# ----------------------------------------------------------------------------------------------
# white space and share of wallet
# ----------------------------------------------------------------------------------------------


@dataclass
class WhiteSpace:
    """White space and share of wallet of an account plan (see :func:`white_space`).

    Attributes
    ----------
    table : DataFrame
        One row per offering, largest white space first: wallet, current_spend, white_space
        (wallet minus current spend, floored at 0), share_of_wallet (current spend / wallet)
        and share_of_white_space (the offering's part of the total white space).
    wallet, current_spend, white_space : float
        Totals over offerings.
    share_of_wallet : float
        Total current spend / total wallet (NaN when the wallet is 0).
    biggest_gaps : list of str
        The offerings with the largest white space (at most ``top``; offerings with none are
        left out).
    notes : list of str
        Offerings where current spend exceeds the wallet estimate (the wallet needs
        re-estimating).
    """

    table: pd.DataFrame
    wallet: float
    current_spend: float
    white_space: float
    share_of_wallet: float
    biggest_gaps: list[str]
    notes: list[str]


def white_space(plan: AccountPlan, top: int = 3) -> WhiteSpace:
    """White space and share of wallet from the plan's wallet by offering.

    white space = max(wallet - current spend, 0) per offering (as
    :attr:`salesworkbench.model.Account.white_space`); share of wallet = current spend /
    wallet. An offering whose spend exceeds its wallet has no white space and a note.

    Raises
    ------
    PlanError
        The plan has no wallet lines (the section is a gap) or an offering appears twice.
    """
    if not plan.wallet:
        raise PlanError(
            "no wallet by offering: fill in the wallet section to compute the white space",
            plan=plan.label(),
            section="wallet",
        )
    seen: set[str] = set()
    for i, w in enumerate(plan.wallet):
        if w.offering in seen:
            raise PlanError(
                f"offering {w.offering!r} appears more than once",
                plan=plan.label(),
                section=f"wallet[{i + 1}]",
                field="offering",
            )
        seen.add(w.offering)
    wallet = np.array([w.wallet for w in plan.wallet], float)
    spend = np.array([w.current_spend for w in plan.wallet], float)
    ws = np.maximum(wallet - spend, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sow = np.where(wallet > 0, spend / np.where(wallet > 0, wallet, 1.0), np.nan)
    total_ws = float(ws.sum())
    table = pd.DataFrame(
        {
            "offering": [w.offering for w in plan.wallet],
            "wallet": wallet,
            "current_spend": spend,
            "white_space": ws,
            "share_of_wallet": sow,
            "share_of_white_space": ws / total_ws if total_ws > 0 else np.zeros_like(ws),
        }
    )
    table = table.sort_values("white_space", ascending=False, kind="stable").reset_index(drop=True)
    notes = [
        f"{o}: current spend {s:,.0f} exceeds the wallet estimate {w:,.0f}; re-estimate the wallet"
        for o, w, s in zip(table["offering"], table["wallet"], table["current_spend"], strict=True)
        if s > w
    ]
    tw, ts = float(wallet.sum()), float(spend.sum())
    gaps = [o for o, g in zip(table["offering"], table["white_space"], strict=True) if g > 0]
    return WhiteSpace(
        table=table,
        wallet=tw,
        current_spend=ts,
        white_space=total_ws,
        share_of_wallet=ts / tw if tw > 0 else math.nan,
        biggest_gaps=gaps[: max(int(top), 0)],
        notes=notes,
    )


# ----------------------------------------------------------------------------------------------
# qualification scorecard
# ----------------------------------------------------------------------------------------------

CRITERIA = ("in_market", "budget", "timeframe", "sponsor", "power_sponsor")
CRITERIA_TITLES = {
    "in_market": "In the market",
    "budget": "Budget",
    "timeframe": "Timeframe",
    "sponsor": "Sponsor",
    "power_sponsor": "Power sponsor",
}


def _role_status(plan: OpportunityPlan, role: BuyingRole) -> tuple[str, str]:
    players = plan.players(role)
    noun = role.value.replace("_", " ")
    if not players:
        return "gap", f"no {noun} in the key player list"
    good = [kp for kp in players if kp.attitude is not Attitude.OPPOSED and kp.access is not False]
    if good:
        kp = good[0]
        bits = [f"{kp.name}" + (f" ({kp.title})" if kp.title else ""), kp.attitude.value]
        if kp.access is None:
            bits.append("access not recorded")
        return "met", ", ".join(bits)
    kp = players[0]
    why = "opposed" if kp.attitude is Attitude.OPPOSED else "no access"
    return "gap", f"{kp.name} is the {noun} but {why}"


def qualification_scorecard(plan: OpportunityPlan) -> pd.DataFrame:
    """The opportunity's qualification scorecard, one row per criterion.

    Criteria: in the market, budget, timeframe (from the qualification section; blank =
    ``unknown``), sponsor and power sponsor (from the key player list: met when a key player
    has the role, is not opposed and we are not without access to them).

    Returns
    -------
    DataFrame
        Index = criterion (``in_market, budget, timeframe, sponsor, power_sponsor``); columns
        ``criterion`` (display title), ``status`` (``met``, ``gap`` or ``unknown``), ``met``
        (bool) and ``evidence``. ``attrs["score"]`` is the number met (0-5) and
        ``attrs["gaps"]`` the display titles of the criteria not met.
    """
    q = plan.qualification or QualificationStatus()
    rows = []
    for c in ("in_market", "budget", "timeframe"):
        v = getattr(q, c)
        status = "met" if v is True else ("gap" if v is False else "unknown")
        ev = {"met": "yes", "gap": "no", "unknown": "not yet known"}[status]
        if c == "budget" and q.budget_amount is not None:
            ev += f" (budget {q.budget_amount:,.0f} {plan.currency})"
        if c == "timeframe" and q.decision_date is not None:
            ev += f" (decision by {q.decision_date.isoformat()})"
        rows.append((c, status, ev))
    for role in (BuyingRole.SPONSOR, BuyingRole.POWER_SPONSOR):
        status, ev = _role_status(plan, role)
        rows.append((role.value, status, ev))
    table = pd.DataFrame(rows, columns=["key", "status", "evidence"]).set_index("key")
    table.index.name = "criterion_key"
    table.insert(0, "criterion", [CRITERIA_TITLES[k] for k in table.index])
    table.insert(2, "met", table["status"] == "met")
    table.attrs["score"] = int(table["met"].sum())
    table.attrs["gaps"] = [CRITERIA_TITLES[k] for k in table.index[~table["met"]]]
    return table


def access_flags(plan: OpportunityPlan) -> pd.DataFrame:
    """Key players with the access question flagged.

    Returns
    -------
    DataFrame
        One row per key player: name, title, buying_role, attitude, relationship_strength,
        last_contact, covered_by, access (yes/no/unknown) and ``flag``: a short warning for
        sponsors, power sponsors and decision makers we have no or unknown access to, for any
        other key player we have no access to, and for opposed key players.
    """
    important = (BuyingRole.SPONSOR, BuyingRole.POWER_SPONSOR, BuyingRole.DECISION_MAKER)
    rows = []
    for kp in plan.key_players:
        flag = ""
        if kp.buying_role in important and kp.access is False:
            flag = "no access to a key decision role"
        elif kp.buying_role in important and kp.access is None:
            flag = "access not known"
        elif kp.access is False:
            flag = "no access"
        if kp.attitude is Attitude.OPPOSED:
            flag = "; ".join(x for x in (flag, "opposed: plan how to handle") if x)
        rows.append(
            {
                "name": kp.name,
                "title": kp.title,
                "buying_role": kp.buying_role.value,
                "attitude": kp.attitude.value,
                "relationship_strength": kp.relationship_strength,
                "last_contact": kp.last_contact,
                "covered_by": kp.covered_by,
                "access": {True: "yes", False: "no", None: "unknown"}[kp.access],
                "flag": flag,
            }
        )
    cols = [
        "name",
        "title",
        "buying_role",
        "attitude",
        "relationship_strength",
        "last_contact",
        "covered_by",
        "access",
        "flag",
    ]
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------------------------
# value proposition: the linked value case
# ----------------------------------------------------------------------------------------------


@dataclass
class ValueCaseSummary:
    """Headline figures of an opportunity plan's value case (see :func:`value_case_summary`).

    ``summary`` is the value simulation's summary table (index = outputs; columns mean, sd,
    p10, p50, p90, prob_positive). ``prob_positive`` is P(value > 0) from ``trials`` Monte
    Carlo trials with ``seed``.
    """

    path: Path
    name: str
    customer: str
    currency: str
    horizon_years: int
    trials: int
    seed: int
    prob_positive: float
    summary: pd.DataFrame
    statement: dict[str, str]

    def headline(self) -> dict[str, float]:
        """Mean value, P10/P50/P90 value, mean NPV, mean ROI and median payback (years)."""
        s = self.summary
        out = {
            "value_mean": float(s.loc["value", "mean"]),
            "value_p10": float(s.loc["value", "p10"]),
            "value_p50": float(s.loc["value", "p50"]),
            "value_p90": float(s.loc["value", "p90"]),
        }
        for key, row, col in (
            ("npv_mean", "npv", "mean"),
            ("roi_mean", "roi", "mean"),
            ("payback_years_p50", "payback_years", "p50"),
        ):
            if row in s.index:
                out[key] = float(s.loc[row, col])
        out["prob_positive"] = self.prob_positive
        return out

    def sentence(self) -> str:
        """One line: mean value, P10-P90 and P(value > 0), with trials and seed stated."""
        h = self.headline()
        return (
            f"{self.name}: value {h['value_mean']:,.0f} {self.currency} on average "
            f"(P10 {h['value_p10']:,.0f} to P90 {h['value_p90']:,.0f}) over "
            f"{self.horizon_years} years; P(value > 0) = {self.prob_positive:.2f} "
            f"({self.trials:,} trials, seed {self.seed})"
        )


def value_case_summary(
    plan: OpportunityPlan,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    path: str | os.PathLike | None = None,
) -> ValueCaseSummary:
    """Simulate the plan's value case and return its headline figures and P(value > 0).

    Parameters
    ----------
    plan : OpportunityPlan
        Its ``value_proposition.value_case`` names the value case file (relative to the plan
        file's folder, or absolute).
    trials, seed : int
        Monte Carlo trials and seed (the same seed gives the same figures).
    path : path-like, optional
        Use this value case file instead of the plan's link.

    Raises
    ------
    PlanError
        No value case linked, or the file is missing (names section value_proposition, field
        value_case).
    """
    p = Path(path) if path is not None else plan.value_case_path()
    if p is None:
        raise PlanError(
            "no value case linked: a value proposition needs a value case file",
            plan=plan.label(),
            section="value_proposition",
            field="value_case",
        )
    if not p.is_file():
        raise PlanError(
            f"value case file {str(p)!r} not found",
            plan=plan.label(),
            section="value_proposition",
            field="value_case",
        )
    from salesworkbench.value import ValueCase

    case = ValueCase.from_yaml(p)
    sim = case.simulate(trials=trials, seed=seed, progress=False)
    return ValueCaseSummary(
        path=p,
        name=case.name,
        customer=getattr(case, "customer", ""),
        currency=getattr(case, "currency", plan.currency),
        horizon_years=int(getattr(case, "horizon_years", 0)),
        trials=int(trials),
        seed=int(seed),
        prob_positive=float(sim.prob_positive("value")),
        summary=sim.summary(),
        statement=dict(getattr(case, "statement", {}) or {}),
    )


# ----------------------------------------------------------------------------------------------
# opportunity portfolio from the canonical pipeline
# ----------------------------------------------------------------------------------------------


@dataclass
class Portfolio:
    """An account's total opportunity portfolio (see :func:`opportunity_portfolio`).

    Attributes
    ----------
    open_deals : DataFrame
        The account's open opportunities with win probability and expected bookings (from
        the forecast), stale deals marked.
    won : DataFrame
        Deals won in the last 12 months before ``as_of``.
    future : DataFrame
        The plan's future opportunities (not in the pipeline yet).
    summary : Series
        open_deals, open_pipeline, expected (exact mean bookings in the forecast periods),
        p10, p50, p90 (simulated bookings), stale_deals, stale_pipeline, won_12m,
        future_opportunities, future_estimated.
    forecast : ForecastResult or None
        The forecast of the account's open deals (None when none are open).
    """

    account_id: str
    as_of: pd.Timestamp
    open_deals: pd.DataFrame
    won: pd.DataFrame
    future: pd.DataFrame
    summary: pd.Series
    forecast: Any


def opportunity_portfolio(
    plan: AccountPlan | str,
    opportunities: pd.DataFrame,
    history_model=None,
    *,
    as_of=None,
    periods: int = 4,
    freq: str = "quarter",
    trials: int = 10_000,
    seed: int = 0,
    stage_history: pd.DataFrame | None = None,
) -> Portfolio:
    """Pull the account's current opportunities from the pipeline and forecast them.

    Parameters
    ----------
    plan : AccountPlan or str
        The plan (its ``account_id`` and future opportunities) or an account id.
    opportunities : DataFrame
        Canonical opportunities (the whole pipeline: closed deals teach the history model).
    history_model : HistoryModel, optional
        Fitted model (default: :meth:`HistoryModel.fit` on ``opportunities`` as of ``as_of``).
    as_of : date, optional
        Forecast date (default: the latest date in the data).
    periods, freq, trials, seed :
        Passed to :func:`salesworkbench.pipeline.forecast` (bookings from the account's open
        deals in the next ``periods`` quarters; stale deals are left out and listed).
    stage_history : DataFrame, optional
        Canonical stage history for the default history model.
    """
    import warnings

    from salesworkbench.errors import DataWarning
    from salesworkbench.pipeline import HistoryModel, forecast

    account_id = plan.account_id if isinstance(plan, AccountPlan) else str(plan)
    opp = opportunities
    if as_of is None:
        as_of = history_model.as_of if history_model is not None else _data_date(opp)
    as_of = pd.Timestamp(as_of).normalize()
    if history_model is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            history_model = HistoryModel.fit(opp, stage_history, as_of=as_of)
    mine = opp[opp["account"].astype(object) == account_id]
    status = mine["status"].astype(object)
    open_deals = mine[status == "open"]
    won = mine[
        (status == "won")
        & (mine["close_date"] > as_of - pd.DateOffset(years=1))
        & (mine["close_date"] <= as_of)
    ]
    cols = [
        c
        for c in ("opportunity_id", "name", "product", "stage", "amount", "close_date", "owner")
        if c in mine.columns
    ]
    fc = None
    if len(open_deals):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            fc = forecast(
                open_deals,
                history_model,
                periods,
                freq=freq,
                trials=trials,
                seed=seed,
                as_of=as_of,
                progress=False,
                new_deals=False,  # one account's deals: the company's new deals do not belong
            )
        table = open_deals[cols].merge(
            fc.deals[["opportunity_id", "win_prob", "expected"]], on="opportunity_id", how="left"
        )
        table["stale"] = table["opportunity_id"].isin(fc.stale["opportunity_id"])
        table = table.sort_values(["stale", "close_date"], kind="stable").reset_index(drop=True)
        tot = fc.summary.loc["total"]
        expected, p10, p50, p90 = (float(tot[k]) for k in ("expected", "p10", "p50", "p90"))
    else:
        table = open_deals[cols].assign(win_prob=np.nan, expected=np.nan, stale=False)
        expected = p10 = p50 = p90 = 0.0
    future = pd.DataFrame(
        [dataclasses.asdict(f) for f in plan.future_opportunities]
        if isinstance(plan, AccountPlan)
        else [],
        columns=["name", "offering", "estimated_amount", "expected_close", "notes"],
    )
    stale = table["stale"].to_numpy(bool)
    summary = pd.Series(
        {
            "open_deals": int(len(table)),
            "open_pipeline": float(table["amount"].sum()),
            "stale_deals": int(stale.sum()),
            "stale_pipeline": float(table.loc[stale, "amount"].sum()),
            "expected": expected,
            "p10": p10,
            "p50": p50,
            "p90": p90,
            "won_12m": float(won["amount"].sum()),
            "future_opportunities": int(len(future)),
            "future_estimated": float(pd.to_numeric(future["estimated_amount"]).sum()),
        },
        dtype=object,
    )
    return Portfolio(
        account_id=account_id,
        as_of=as_of,
        open_deals=table,
        won=won[cols].reset_index(drop=True),
        future=future,
        summary=summary,
        forecast=fc,
    )


# ----------------------------------------------------------------------------------------------
# manager checks
# ----------------------------------------------------------------------------------------------

CHECK_COLUMNS = ["check", "plan", "account_id", "opportunity_id", "item", "detail"]


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def check_power_sponsors(
    opportunity_plans: Iterable[OpportunityPlan] = (),
    opportunities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Opportunities without a power sponsor.

    From the plans: no key player with buying role ``power_sponsor`` (or only an opposed one,
    or one we have no access to). From the pipeline (optional): open deals whose
    ``has_power_sponsor`` column is ``no`` (deals that have a plan are judged by the plan).
    """
    rows = []
    planned = set()
    for plan in opportunity_plans:
        planned.add(plan.opportunity_id)
        status, ev = _role_status(plan, BuyingRole.POWER_SPONSOR)
        if status != "met":
            rows.append(
                {
                    "check": "no power sponsor",
                    "plan": plan.name,
                    "account_id": plan.account_id,
                    "opportunity_id": plan.opportunity_id,
                    "item": "key_players",
                    "detail": ev,
                }
            )
    if opportunities is not None and "has_power_sponsor" in opportunities.columns:
        o = opportunities
        mask = (o["status"].astype(object) == "open") & (
            o["has_power_sponsor"].astype(object) == "no"
        )
        mask &= ~o["opportunity_id"].isin([p for p in planned if p])
        for r in o.loc[mask].itertuples(index=False):
            rows.append(
                {
                    "check": "no power sponsor",
                    "plan": None,
                    "account_id": r.account if isinstance(r.account, str) else None,
                    "opportunity_id": r.opportunity_id,
                    "item": "pipeline",
                    "detail": f"has_power_sponsor = no ({r.stage}, {r.amount:,.0f})",
                }
            )
    return _frame(rows)


def check_value_cases(
    opportunity_plans: Iterable[OpportunityPlan],
    threshold: float = DEFAULT_THRESHOLD,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    summaries: Mapping[str, ValueCaseSummary] | None = None,
) -> pd.DataFrame:
    """Plans whose value case has P(value > 0) below ``threshold``, or no usable value case.

    Parameters
    ----------
    opportunity_plans : iterable of OpportunityPlan
    threshold : float
        0 to 1.
    trials, seed : int
        Monte Carlo trials and seed for each value case (stated in the ``detail``).
    summaries : mapping, optional
        Plan name -> already computed :class:`ValueCaseSummary` (skips the simulation).
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be 0 to 1, got {threshold!r}")
    rows = []
    summaries = dict(summaries or {})
    for plan in opportunity_plans:
        base = {
            "check": "value case",
            "plan": plan.name,
            "account_id": plan.account_id,
            "opportunity_id": plan.opportunity_id,
            "item": "value_proposition.value_case",
        }
        s = summaries.get(plan.name)
        if s is None:
            try:
                s = value_case_summary(plan, trials=trials, seed=seed)
            except (PlanError, ValueError) as exc:
                rows.append({**base, "detail": getattr(exc, "problem", str(exc))})
                continue
        if s.prob_positive < threshold:
            rows.append(
                {
                    **base,
                    "detail": f"P(value > 0) = {s.prob_positive:.2f} < {threshold:.2f} "
                    f"({s.trials:,} trials, seed {s.seed}; {s.path.name})",
                }
            )
    return _frame(rows)


def check_overdue_actions(
    plans: Iterable[AccountPlan | OpportunityPlan], as_of: dt.date | str | pd.Timestamp
) -> pd.DataFrame:
    """Actions, evaluation steps and milestones due before ``as_of`` and not done/cancelled."""
    as_of = pd.Timestamp(as_of).date()
    rows = []
    for plan in plans:
        for section, a in plan.actions():
            if a.is_overdue(as_of):
                rows.append(
                    {
                        "check": "overdue action",
                        "plan": plan.name,
                        "account_id": plan.account_id,
                        "opportunity_id": getattr(plan, "opportunity_id", None),
                        "item": section,
                        "detail": f"{a.action!r} (owner {a.owner or 'none'}) was due "
                        f"{a.due.isoformat()}, {(as_of - a.due).days} days ago; "
                        f"status {a.status.value}",
                    }
                )
    return _frame(rows)


def check_alpha_coverage(
    accounts: pd.DataFrame, account_plans: Iterable[AccountPlan]
) -> pd.DataFrame:
    """Alpha accounts without an account plan.

    ``accounts`` is a canonical accounts table with a ``segment`` column (from
    :func:`salesworkbench.territory.segment`); without one it is segmented with the default
    thresholds. Rows follow the segment's priority order when there is one.
    """
    if "segment" not in accounts.columns:
        from salesworkbench.territory import segment

        accounts = segment(accounts)
    alpha = accounts[accounts["segment"].astype(object) == "Alpha"]
    if "priority" in alpha.columns:
        alpha = alpha.sort_values("priority", kind="stable")
    have = {p.account_id for p in account_plans}
    rows = []
    for r in alpha.itertuples(index=False):
        if r.account_id in have:
            continue
        prio = getattr(r, "priority", None)
        rows.append(
            {
                "check": "Alpha account without a plan",
                "plan": None,
                "account_id": r.account_id,
                "opportunity_id": None,
                "item": "account plan",
                "detail": f"{r.name} (owner {getattr(r, 'owner', '') or 'none'}"
                + (f", priority {prio}" if prio is not None else "")
                + ")",
            }
        )
    return _frame(rows)


def manager_checks(
    account_plans: Sequence[AccountPlan] = (),
    opportunity_plans: Sequence[OpportunityPlan] = (),
    *,
    as_of,
    accounts: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    summaries: Mapping[str, ValueCaseSummary] | None = None,
) -> pd.DataFrame:
    """The checks a sales manager runs over the plans, as one table.

    1. opportunities without a power sponsor (plans; and the pipeline's open deals when
       ``opportunities`` is given),
    2. plans whose value case has P(value > 0) below ``threshold`` (or none linked),
    3. actions overdue as of ``as_of``,
    4. Alpha accounts without an account plan (when ``accounts`` is given).

    Returns
    -------
    DataFrame
        Columns ``check, plan, account_id, opportunity_id, item, detail``; empty when all is
        well.
    """
    parts = [
        check_power_sponsors(opportunity_plans, opportunities),
        check_value_cases(
            opportunity_plans, threshold, trials=trials, seed=seed, summaries=summaries
        ),
        check_overdue_actions([*account_plans, *opportunity_plans], as_of),
    ]
    if accounts is not None:
        parts.append(check_alpha_coverage(accounts, account_plans))
    parts = [p for p in parts if len(p)]
    if not parts:
        return _frame([])
    return pd.concat(parts, ignore_index=True)


# ----------------------------------------------------------------------------------------------
# drafting plans from the canonical tables
# ----------------------------------------------------------------------------------------------


def _data_date(opp: pd.DataFrame) -> pd.Timestamp:
    """The date a pipeline export stands at: its last creation or actual close date."""
    closed = opp["status"].astype(object) != "open"
    return max(opp["created"].max(), opp.loc[closed, "close_date"].max())


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def draft_account_plan(
    account_id: str,
    accounts: pd.DataFrame,
    opportunities: pd.DataFrame,
    *,
    as_of=None,
    wallet_mix: Mapping[str, float] | None = None,
    name: str | None = None,
) -> AccountPlan:
    """Start an account plan from the CRM tables; the team fills in the rest.

    Filled from the data: profile (company, sector, region, revenue, employees, growth),
    install base and recurring revenue totals, satisfaction score, recent projects (deals won
    in the last 24 months), segment (when ``accounts`` has a ``segment`` column) and the wallet
    by offering. The account's total ``wallet`` is split by ``wallet_mix`` (default: the mix of
    won amounts by product across accounts of the same sector, i.e. what similar customers buy)
    and its ``current_spend`` by the account's own won amounts by product over the last 24
    months (or the same mix when it has none). Both splits are estimates to be replaced with
    the customer's figures; the wallet lines say so in their notes.

    Raises
    ------
    KeyError
        ``account_id`` is not in ``accounts``.
    """
    rows = accounts[accounts["account_id"].astype(object) == account_id]
    if rows.empty:
        raise KeyError(f"account {account_id!r} is not in the accounts table")
    a = rows.iloc[0]
    opp = opportunities
    if as_of is None:
        as_of = _data_date(opp)
    as_of = pd.Timestamp(as_of).normalize()
    won_all = opp[opp["status"].astype(object) == "won"]
    mine = won_all[won_all["account"].astype(object) == account_id]
    recent = mine[
        (mine["close_date"] > as_of - pd.DateOffset(years=2)) & (mine["close_date"] <= as_of)
    ].sort_values("close_date", ascending=False)

    if wallet_mix is None:
        sector_ids = accounts.loc[accounts["sector"] == a.get("sector"), "account_id"]
        pool = won_all[won_all["account"].isin(sector_ids)]
        pool = pool if len(pool) else won_all
        mix = pool.groupby("product", observed=True)["amount"].sum()
    else:
        mix = pd.Series(dict(wallet_mix), dtype=float)
        if (mix < 0).any() or mix.sum() <= 0:
            raise ValueError("wallet_mix must hold non-negative shares with a positive sum")
    mix = mix / mix.sum()
    own = recent.groupby("product", observed=True)["amount"].sum()
    own = own.reindex(mix.index, fill_value=0.0)
    spend_mix = own / own.sum() if own.sum() > 0 else mix

    wallet_total, spend_total = _num(a.get("wallet")), _num(a.get("current_spend"))
    wallet_lines = []
    if wallet_total is not None:
        for product in mix.sort_values(ascending=False).index:
            wallet_lines.append(
                WalletLine(
                    offering=str(product),
                    wallet=round(wallet_total * float(mix[product]), -2),
                    current_spend=round((spend_total or 0.0) * float(spend_mix[product]), -2),
                    notes="estimate: account wallet split by sector mix; spend by recent wins",
                )
            )
    profile = AccountProfile(
        company=str(a["name"]),
        sector=str(a.get("sector") or ""),
        region=str(a.get("region") or ""),
        annual_revenue=_num(a.get("revenue")),
        employees=_num(a.get("employees")),
        revenue_growth=_num(a.get("growth")),
        offerings=sorted({str(p) for p in mine["product"].dropna()}),
    )
    install = []
    if _num(a.get("install_base")):
        install.append(
            InstallBaseItem(offering="All offerings (CRM total)", value=_num(a["install_base"]))
        )
    recurring = []
    if _num(a.get("recurring_revenue")):
        recurring.append(
            RecurringRevenueLine(
                offering="All offerings (CRM total)", annual_amount=_num(a["recurring_revenue"])
            )
        )
    sat = None
    if _num(a.get("satisfaction")) is not None:
        sat = Satisfaction(score=_num(a["satisfaction"]), source="CRM satisfaction score")
    projects = [
        Project(
            name=str(r.name)
            if "name" in recent.columns and isinstance(r.name, str)
            else str(r.product),
            completed=pd.Timestamp(r.close_date).date(),
            value=_num(r.amount),
            outcome="won",
        )
        for r in recent.itertuples(index=False)
    ]
    seg = a.get("segment") if "segment" in rows.columns else None
    return AccountPlan(
        name=name or f"{a['name']} account plan",
        account_id=account_id,
        owner=str(a.get("owner") or ""),
        segment=None if seg is None or pd.isna(seg) else str(seg),
        updated=as_of.date(),
        profile=profile,
        install_base=install,
        recurring_revenue=recurring,
        satisfaction=sat,
        recent_projects=projects,
        wallet=wallet_lines,
    )


def draft_opportunity_plan(
    opportunity_id: str,
    opportunities: pd.DataFrame,
    leads: pd.DataFrame | None = None,
    *,
    as_of=None,
    name: str | None = None,
) -> OpportunityPlan:
    """Start an opportunity plan from the pipeline (and the lead it came from, if known).

    Qualification (in the market, budget, timeframe) is taken from the converted lead's
    ``in_market``/``has_budget``/``timeframe`` flags; the expected close date becomes the
    target close. Key players, value proposition and strategy are for the team to fill in.

    Raises
    ------
    KeyError
        ``opportunity_id`` is not in ``opportunities``.
    """
    rows = opportunities[opportunities["opportunity_id"].astype(object) == opportunity_id]
    if rows.empty:
        raise KeyError(f"opportunity {opportunity_id!r} is not in the opportunities table")
    o = rows.iloc[0]
    qual = None
    if leads is not None and "opportunity_id" in leads.columns:
        lead = leads[leads["opportunity_id"].astype(object) == opportunity_id]
        if len(lead):
            lr = lead.iloc[0]

            def flag(col):
                v = lr.get(col)
                return None if v is None or pd.isna(v) else str(v) == "yes"

            qual = QualificationStatus(
                in_market=flag("in_market"),
                budget=flag("has_budget"),
                timeframe=flag("timeframe"),
                evidence=f"lead {lr['lead_id']} qualification flags",
            )
    close = o.get("close_date")
    neg = None
    if close is not None and not pd.isna(close):
        neg = NegotiationClose(target_close=pd.Timestamp(close).date())
    title = o.get("name") if isinstance(o.get("name"), str) else None
    updated = pd.Timestamp(as_of).date() if as_of is not None else None
    return OpportunityPlan(
        name=name or title or f"{opportunity_id} plan",
        account_id=str(o["account"]) if isinstance(o["account"], str) else "",
        opportunity_id=opportunity_id,
        owner=str(o.get("owner") or ""),
        currency=str(o.get("currency") or "GBP"),
        updated=updated,
        qualification=qual,
        negotiation_and_close=neg,
    )
