"""Account -> rep assignment: balance workload and potential, keep current owners if possible."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from salesworkbench.territory.coverage import DEFAULT_COVERAGE, _check_coverage
from salesworkbench.territory.segments import SEGMENTS

__all__ = ["assign_accounts"]


def assign_accounts(
    accounts: pd.DataFrame,
    reps: pd.DataFrame | Sequence[str],
    *,
    coverage: Mapping[str, Mapping[str, float]] | None = None,
    role: str = "account_executive",
    hours_per_rep: float = 300.0,
    keep_owners: bool = True,
    match_on: str | None = None,
    balance: float | None = 0.25,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign accounts to reps, balancing workload and potential, keeping owners if possible.

    Accounts are taken in priority order (Alpha first). Each needs the segment's hours of ``role``
    (:data:`~salesworkbench.territory.DEFAULT_COVERAGE`). An account stays with its current
    ``owner`` if the owner is one of the reps (in the same ``match_on`` group) and, after taking it,
    stays within capacity and within ``1 + balance`` times the fair share of the group's hours (the
    group's total need / its reps). Otherwise it goes to the eligible rep with the lowest
    utilisation after taking it (ties: least potential assigned so far, then rep name). So an
    overloaded owner keeps their highest-priority accounts and hands over the rest. An account that
    fits no rep's remaining hours is left unassigned with a note: that is under-coverage to resolve,
    not something to hide.

    Parameters
    ----------
    accounts : DataFrame
        Segmented accounts (``account_id, segment, priority``; ``owner``, ``potential`` and
        the ``match_on`` column are used when present).
    reps : DataFrame or sequence of str
        Reps (column ``rep``; optional ``hours`` and the ``match_on`` column), or rep names.
    coverage : mapping, optional
        Hours per account per quarter by segment and role.
    role : str
        The role being assigned (its hours count against the reps' capacity).
    hours_per_rep : float
        Capacity of reps without an ``hours`` value.
    keep_owners : bool
        Keep current owners where possible.
    match_on : str, optional
        Column (e.g. ``"territory"``) that an account and its rep must share.
    balance : float or None
        How far above the fair share of hours an owner may go to keep accounts (0.25 = 25%);
        ``None``: owners keep accounts as long as they have capacity.

    Returns
    -------
    assignment : DataFrame
        Per account: ``account_id, segment, priority, owner, assigned_rep, kept_owner, hours,
        note``, in priority order.
    load : DataFrame
        Per rep: ``capacity_hours, hours, utilisation, accounts``, accounts per segment,
        ``potential`` assigned and ``kept`` owners.
    """
    cov = _check_coverage(DEFAULT_COVERAGE if coverage is None else coverage)
    if isinstance(reps, pd.DataFrame):
        if "rep" not in reps:
            raise KeyError("reps table needs a 'rep' column")
        r = reps.copy()
    else:
        r = pd.DataFrame({"rep": list(reps)})
    if r["rep"].duplicated().any():
        raise ValueError(f"duplicate rep(s): {', '.join(r['rep'][r['rep'].duplicated()])}")
    if "hours" not in r:
        r["hours"] = hours_per_rep
    r["hours"] = r["hours"].fillna(hours_per_rep).astype(float)
    if (r["hours"] < 0).any():
        raise ValueError("rep hours must be >= 0")
    if match_on is not None and (match_on not in r or match_on not in accounts):
        raise KeyError(f"match_on={match_on!r}: both accounts and reps need that column")
    names = r["rep"].astype(str).tolist()
    cap = dict(zip(names, r["hours"], strict=True))
    group = dict(zip(names, r[match_on], strict=True)) if match_on else {}
    load = dict.fromkeys(names, 0.0)
    pot = dict.fromkeys(names, 0.0)
    acc = accounts.sort_values("priority", kind="stable")
    seg = acc["segment"].astype(str).to_numpy()
    owner = acc["owner"].astype("string").to_numpy() if "owner" in acc else [pd.NA] * len(acc)
    p = acc["potential"].fillna(0).to_numpy() if "potential" in acc else np.zeros(len(acc))
    grp = acc[match_on].to_numpy() if match_on else [None] * len(acc)
    if balance is not None and not (math.isfinite(balance) and balance >= 0):
        raise ValueError(f"balance must be >= 0 or None, got {balance!r}")
    hours = np.array([cov.get(s, {}).get(role, 0.0) for s in seg])
    limit = dict(cap)
    if balance is not None:
        need = pd.Series(hours).groupby(pd.Series(grp, dtype=object).fillna("")).sum()
        for n in names:
            g = "" if not match_on or pd.isna(group[n]) else group[n]
            members = sum(1 for m in names if not match_on or group[m] == group[n])
            fair = float(need.get(g, 0.0)) / members
            limit[n] = min(cap[n], fair * (1.0 + balance))
    rows = []
    for aid, s, o, pi, gi, prio in zip(
        acc["account_id"], seg, owner, p, grp, acc["priority"], strict=True
    ):
        h = cov.get(s, {}).get(role, 0.0)
        eligible = [n for n in names if match_on is None or group[n] == gi]
        chosen, kept, note = None, False, ""
        if keep_owners and not pd.isna(o) and o in eligible and load[o] + h <= limit[o] + 1e-9:
            chosen, kept = o, True
        else:
            fits = [n for n in eligible if load[n] + h <= cap[n] + 1e-9]
            if fits:
                chosen = min(
                    fits,
                    key=lambda n: ((load[n] + h) / cap[n] if cap[n] > 0 else math.inf, pot[n], n),
                )
                if keep_owners and not pd.isna(o):
                    note = (
                        (
                            "owner at capacity"
                            if load[o] + h > cap[o] + 1e-9
                            else "rebalanced: owner above fair share"
                        )
                        if o in eligible
                        else "owner not among the reps"
                        if o not in names
                        else f"owner outside this {match_on}"
                    )
            else:
                note = (
                    f"no rep{' in this ' + match_on if match_on else ''} has "
                    f"{h:g} {role} hours left"
                )
        if chosen is not None:
            load[chosen] += h
            pot[chosen] += pi
        rows.append(
            {
                "account_id": aid,
                "segment": s,
                "priority": prio,
                "owner": o,
                "assigned_rep": chosen,
                "kept_owner": kept,
                "hours": h if chosen is not None else 0.0,
                "note": note,
            }
        )
    assignment = pd.DataFrame(rows)
    assignment["segment"] = pd.Categorical(
        assignment["segment"], categories=list(SEGMENTS), ordered=True
    )
    assignment["assigned_rep"] = assignment["assigned_rep"].astype("string")
    assignment["owner"] = assignment["owner"].astype("string")
    per = pd.DataFrame(index=pd.Index(names, name="rep"))
    per["capacity_hours"] = [cap[n] for n in names]
    per["hours"] = [load[n] for n in names]
    with np.errstate(divide="ignore", invalid="ignore"):
        per["utilisation"] = per["hours"] / per["capacity_hours"]
    counts = pd.crosstab(assignment["assigned_rep"], assignment["segment"])
    per["accounts"] = counts.sum(axis=1).reindex(names).fillna(0).astype("int64")
    for s in SEGMENTS:
        per[s] = (
            (counts[s] if s in counts else pd.Series(dtype="int64"))
            .reindex(names)
            .fillna(0)
            .astype("int64")
        )
    per["potential"] = [pot[n] for n in names]
    per["kept"] = (
        assignment.groupby("assigned_rep")["kept_owner"]
        .sum()
        .reindex(names)
        .fillna(0)
        .astype("int64")
    )
    return assignment, per
