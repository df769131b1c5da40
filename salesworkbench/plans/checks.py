"""The checks a sales manager runs over the plans, each a table of what needs attention.

:func:`manager_checks` combines them: opportunities without a power sponsor
(:func:`check_power_sponsors`), value cases with P(value > 0) below a bar
(:func:`check_value_cases`), overdue actions (:func:`check_overdue_actions`) and Alpha accounts
without an account plan (:func:`check_alpha_coverage`). Every check returns the columns
:data:`CHECK_COLUMNS`; an empty table means all is well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.model import BuyingRole
from salesworkbench.plans.analyses import ValueCaseSummary, _role_status, value_case_summary
from salesworkbench.plans.records import AccountPlan, OpportunityPlan
from salesworkbench.plans.serial import PlanError
from salesworkbench.territory import segment

__all__ = [
    "CHECK_COLUMNS",
    "DEFAULT_THRESHOLD",
    "check_alpha_coverage",
    "check_overdue_actions",
    "check_power_sponsors",
    "check_value_cases",
    "manager_checks",
]

DEFAULT_THRESHOLD = 0.8
"""A value case with P(value > 0) below this is flagged by :func:`check_value_cases`."""

CHECK_COLUMNS = ["check", "plan", "account_id", "opportunity_id", "item", "detail"]
"""The columns of every check's table."""


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
    trials: int = VALUE_TRIALS,
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
        Monte Carlo trials (default :data:`salesworkbench.defaults.VALUE_TRIALS`) and seed for
        each value case (stated in the ``detail``).
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
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    summaries: Mapping[str, ValueCaseSummary] | None = None,
) -> pd.DataFrame:
    """The checks a sales manager runs over the plans, as one table.

    1. opportunities without a power sponsor (plans; and the pipeline's open deals when
       ``opportunities`` is given),
    2. plans whose value case has P(value > 0) below ``threshold`` (or none linked),
    3. actions overdue as of ``as_of``,
    4. Alpha accounts without an account plan (when ``accounts`` is given).

    Parameters
    ----------
    account_plans, opportunity_plans : sequences of plans
        The plans to check.
    as_of : date-like
        The date actions are overdue against.
    accounts : DataFrame, optional
        Canonical accounts (segmented or not), for check 4.
    opportunities : DataFrame, optional
        The canonical pipeline, for the open deals of check 1.
    threshold, trials, seed, summaries :
        As :func:`check_value_cases`.

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
