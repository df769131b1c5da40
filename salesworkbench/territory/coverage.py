"""Coverage and capacity: the selling hours each segment needs against the hours the team has.

Coverage is modelled in hours per account per quarter for each role (an Alpha account might
need 16 hours of an account executive and 8 of a solution consultant a quarter); capacity is
reps x selling hours per rep per quarter. :func:`coverage_plan` allocates each role's hours to
Alpha first, then Beta, then Delta (or in proportion, or in fixed shares) and flags under- and
over-coverage; :func:`capacity_summary` sums it per role.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from salesworkbench.territory.segments import SEGMENTS

__all__ = ["DEFAULT_CAPACITY", "DEFAULT_COVERAGE", "capacity_summary", "coverage_plan"]

#: Hours per account per quarter, by segment and role.
DEFAULT_COVERAGE: dict[str, dict[str, float]] = {
    "Alpha": {"account_executive": 16.0, "solution_consultant": 8.0},
    "Beta": {"account_executive": 6.0, "inside_sales": 2.0},
    "Delta": {"inside_sales": 1.5},
}

#: Reps and selling hours per rep per quarter, by role.
DEFAULT_CAPACITY: dict[str, dict[str, float]] = {
    "account_executive": {"reps": 12, "hours_per_rep": 300.0},
    "solution_consultant": {"reps": 3, "hours_per_rep": 350.0},
    "inside_sales": {"reps": 2, "hours_per_rep": 400.0},
}


def _check_coverage(coverage: Mapping) -> dict[str, dict[str, float]]:
    """Check ``{segment: {role: hours}}`` and return it with float hours."""
    out: dict[str, dict[str, float]] = {}
    unknown = sorted(set(coverage) - set(SEGMENTS))
    if unknown:
        raise ValueError(
            f"coverage: unknown segment(s) {', '.join(unknown)}; use Alpha, Beta, Delta"
        )
    for seg, roles in coverage.items():
        out[seg] = {}
        for role, h in roles.items():
            if not (isinstance(h, int | float) and math.isfinite(h) and h >= 0):
                raise ValueError(f"coverage[{seg!r}][{role!r}] must be hours >= 0, got {h!r}")
            out[seg][role] = float(h)
    return out


def _check_capacity(capacity: Mapping) -> dict[str, float]:
    """Check the capacity spec and return total hours per role."""
    hours: dict[str, float] = {}
    for role, spec in capacity.items():
        if isinstance(spec, Mapping):
            reps, per = spec.get("reps", 0), spec.get("hours_per_rep", 0)
        else:
            reps, per = 1, spec
        for name, v in (("reps", reps), ("hours_per_rep", per)):
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise ValueError(f"capacity[{role!r}][{name!r}] must be >= 0, got {v!r}")
        hours[role] = float(reps) * float(per)
    return hours


def coverage_plan(
    accounts: pd.DataFrame,
    coverage: Mapping[str, Mapping[str, float]] | None = None,
    capacity: Mapping[str, Mapping[str, float] | float] | None = None,
    *,
    allocation: str | Mapping[str, float] = "priority",
    tolerance: float = 0.10,
) -> pd.DataFrame:
    """Hours each segment needs per role, the hours allocated, and coverage flags.

    Parameters
    ----------
    accounts : DataFrame
        Segmented accounts.
    coverage : mapping
        ``{segment: {role: hours per account per quarter}}`` (:data:`DEFAULT_COVERAGE`).
    capacity : mapping
        ``{role: {"reps": n, "hours_per_rep": h}}`` or ``{role: total hours}`` per quarter
        (:data:`DEFAULT_CAPACITY`).
    allocation : "priority", "proportional" or mapping
        ``"priority"``: each role's hours go to Alpha's need first, then Beta, then Delta;
        ``"proportional"``: in proportion to need (every segment short by the same share);
        a mapping ``{segment: share}``: fixed shares of each role's hours (shares sum to <= 1).
    tolerance : float
        Coverage within ``1 +/- tolerance`` of the need is "covered".

    Returns
    -------
    DataFrame
        One row per (segment, role) with a need or an allocation: ``accounts``,
        ``hours_per_account``, ``hours_needed``, ``hours_allocated``, ``coverage``
        (allocated / needed), ``status`` ("under-covered", "covered", "over-covered") and
        ``accounts_covered`` (whole accounts the allocated hours can serve).
    """
    cov = _check_coverage(DEFAULT_COVERAGE if coverage is None else coverage)
    cap = _check_capacity(DEFAULT_CAPACITY if capacity is None else capacity)
    if not 0 <= tolerance < 1:
        raise ValueError(f"tolerance must be in [0, 1), got {tolerance!r}")
    counts = accounts["segment"].value_counts().reindex(list(SEGMENTS), fill_value=0)
    roles = list(dict.fromkeys([*cap, *(r for s in SEGMENTS for r in cov.get(s, {}))]))
    rows = []
    for role in roles:
        need = np.array([counts[s] * cov.get(s, {}).get(role, 0.0) for s in SEGMENTS])
        have = cap.get(role, 0.0)
        if isinstance(allocation, Mapping):
            shares = np.array([float(allocation.get(s, 0.0)) for s in SEGMENTS])
            bad = sorted(set(allocation) - set(SEGMENTS))
            if bad or (shares < 0).any() or shares.sum() > 1 + 1e-9:
                raise ValueError(
                    "allocation shares must be >= 0 for Alpha, Beta, Delta and sum to <= 1, got "
                    f"{dict(allocation)!r}"
                )
            alloc = have * shares
        elif allocation == "priority":
            left, alloc = have, np.zeros(3)
            for i in range(3):
                alloc[i] = min(need[i], left)
                left -= alloc[i]
        elif allocation == "proportional":
            total = need.sum()
            alloc = need * min(1.0, have / total) if total > 0 else np.zeros(3)
        else:
            raise ValueError(
                f"allocation must be 'priority', 'proportional' or a mapping, got {allocation!r}"
            )
        for i, s in enumerate(SEGMENTS):
            per = cov.get(s, {}).get(role, 0.0)
            if need[i] == 0 and alloc[i] == 0:
                continue
            ratio = alloc[i] / need[i] if need[i] > 0 else math.inf
            status = (
                "under-covered"
                if ratio < 1 - tolerance
                else "over-covered"
                if ratio > 1 + tolerance
                else "covered"
            )
            rows.append(
                {
                    "segment": s,
                    "role": role,
                    "accounts": int(counts[s]),
                    "hours_per_account": per,
                    "hours_needed": float(need[i]),
                    "hours_allocated": float(alloc[i]),
                    "coverage": ratio,
                    "status": status,
                    "accounts_covered": int(min(counts[s], alloc[i] // per)) if per > 0 else 0,
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "segment",
            "role",
            "accounts",
            "hours_per_account",
            "hours_needed",
            "hours_allocated",
            "coverage",
            "status",
            "accounts_covered",
        ],
    )
    out["segment"] = pd.Categorical(out["segment"], categories=list(SEGMENTS), ordered=True)
    return out.sort_values(["segment", "role"], kind="stable").reset_index(drop=True)


def capacity_summary(
    plan: pd.DataFrame,
    capacity: Mapping[str, Mapping[str, float] | float] | None = None,
    *,
    tolerance: float = 0.10,
) -> pd.DataFrame:
    """Per role: capacity, hours needed and allocated, spare hours, utilisation, status.

    ``status`` is "short" (need above capacity: some segment gets less than it needs),
    "spare" (need below ``1 - tolerance`` of capacity: hours to redeploy, or over-coverage if
    they are spent anyway) or "balanced".
    """
    cap = _check_capacity(DEFAULT_CAPACITY if capacity is None else capacity)
    spec = DEFAULT_CAPACITY if capacity is None else capacity
    g = plan.groupby("role", sort=False)[["hours_needed", "hours_allocated"]].sum()
    roles = list(dict.fromkeys([*cap, *g.index]))
    out = pd.DataFrame(index=pd.Index(roles, name="role"))
    out["reps"] = [
        spec[r].get("reps", np.nan) if isinstance(spec.get(r), Mapping) else np.nan for r in roles
    ]
    out["capacity_hours"] = [cap.get(r, 0.0) for r in roles]
    out["hours_needed"] = g["hours_needed"].reindex(roles).fillna(0.0)
    out["hours_allocated"] = g["hours_allocated"].reindex(roles).fillna(0.0)
    out["spare_hours"] = out["capacity_hours"] - out["hours_allocated"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = out["hours_needed"] / out["capacity_hours"]
    out["utilisation"] = ratio
    short = out["hours_needed"] > out["capacity_hours"] + 1e-9
    out["status"] = np.where(short, "short", np.where(ratio < 1 - tolerance, "spare", "balanced"))
    return out
