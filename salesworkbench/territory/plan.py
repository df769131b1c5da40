"""The territory plan: profile, market analysis, segments, coverage, messaging, export.

A territory plan turns a segmented account list (:func:`salesworkbench.territory.segment`)
into decisions: which accounts fit the customer profile, where the potential and the current
business sit (by sector, region and segment), how much selling time each segment needs
against the time the team has, optionally which rep covers which account, and what to say
to each segment. :class:`TerritoryPlan` gathers the sections and writes them to CSV, Excel
(one sheet per section), Markdown and HTML.

Coverage is modelled in hours per account per quarter for each role (an Alpha account might
need 16 hours of an account executive and 8 of a solution consultant a quarter); capacity is
reps x selling hours per rep per quarter. :func:`coverage_plan` allocates each role's hours to
Alpha first, then Beta, then Delta (or in fixed shares) and flags under- and over-coverage.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench.spreadsheet import neutralise_frame, protect_workbook
from salesworkbench.territory.scoring import DEFAULT_MODEL, SEGMENTS, ScoreModel, segment

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_COVERAGE",
    "DEFAULT_MESSAGING",
    "CustomerProfile",
    "TerritoryPlan",
    "assign_accounts",
    "capacity_summary",
    "coverage_plan",
    "market_analysis",
    "segment_summary",
]

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

#: Messaging strategy per segment (editable text of the plan).
DEFAULT_MESSAGING: dict[str, str] = {
    "Alpha": (
        "Open with value: bring a point of view on the account's business issues and a "
        "quantified value case; build relationships with every key player; plan each account."
    ),
    "Beta": (
        "Protect and grow the installed base: references, satisfaction reviews, upgrades and "
        "add-ons that show value already delivered."
    ),
    "Delta": (
        "Low-touch: marketing programmes and inside sales; qualify the potential (complete "
        "the missing data) before investing field time."
    ),
}

_COLUMNS_MONEY = ("revenue", "wallet", "current_spend", "install_base", "recurring_revenue")


# ---------------------------------------------------------------------------------------------
# Customer profile and qualification
# ---------------------------------------------------------------------------------------------


@dataclass
class CustomerProfile:
    """The accounts that fit: sectors, size bands, regions and needs.

    Parameters
    ----------
    sectors : mapping of str to float
        Fit of each sector, 0 (no fit) to 1 (ideal); compared case-insensitively.
    min_sector_fit : float
        Sector fit an account needs to qualify.
    other_sector_fit : float
        Fit of a sector not listed.
    min_revenue, max_revenue, min_employees, max_employees : float, optional
        Size band (inclusive).
    regions : sequence of str, optional
        Regions served; ``None`` = all.
    needs : sequence of str
        Needs or pains that make an account a fit (text for the plan, not checked in data).
    """

    sectors: Mapping[str, float] = field(default_factory=dict)
    min_sector_fit: float = 0.5
    other_sector_fit: float = 0.0
    min_revenue: float | None = None
    max_revenue: float | None = None
    min_employees: float | None = None
    max_employees: float | None = None
    regions: Sequence[str] | None = None
    needs: Sequence[str] = ()

    def __post_init__(self) -> None:
        for name, v in self.sectors.items():
            if not 0 <= float(v) <= 1:
                raise ValueError(f"sector fit of {name!r} must be between 0 and 1, got {v!r}")
        for lo, hi in (("min_revenue", "max_revenue"), ("min_employees", "max_employees")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{lo} ({a}) is above {hi} ({b})")

    def score_model(self, base: ScoreModel | None = None) -> ScoreModel:
        """Return ``base`` (default model) with this profile's sector fit."""
        from dataclasses import replace

        return replace(
            base or DEFAULT_MODEL,
            sector_fit=dict(self.sectors) or None,
            other_sector_fit=self.other_sector_fit,
        )

    def criteria(self) -> pd.DataFrame:
        """The qualification criteria as a table (criterion, rule)."""
        rows = []
        if self.sectors:
            fits = ", ".join(f"{k} ({v:g})" for k, v in self.sectors.items())
            rows.append(
                (
                    "sector",
                    f"fit >= {self.min_sector_fit:g}; fits: {fits}; "
                    f"others {self.other_sector_fit:g}",
                )
            )
        for col in ("revenue", "employees"):
            lo, hi = getattr(self, f"min_{col}"), getattr(self, f"max_{col}")
            if lo is not None or hi is not None:
                rows.append(
                    (
                        col,
                        f"{_fmt_num(lo) if lo is not None else 'any'} to "
                        f"{_fmt_num(hi) if hi is not None else 'any'}",
                    )
                )
        if self.regions:
            rows.append(("region", ", ".join(self.regions)))
        for need in self.needs:
            rows.append(("need", need))
        return pd.DataFrame(rows, columns=["criterion", "rule"])

    def qualify(self, accounts: pd.DataFrame) -> pd.DataFrame:
        """Check each account against the profile.

        Returns
        -------
        DataFrame
            ``account_id``, ``qualified`` (boolean; NA where a criterion cannot be checked
            because the data is blank) and ``qualification`` (which criteria fail or are
            unknown, or "fits the profile").
        """
        n = len(accounts)
        fail = [[] for _ in range(n)]
        unknown = [[] for _ in range(n)]

        def mark(bad: np.ndarray, blank: np.ndarray, label: str) -> None:
            for i in np.flatnonzero(bad):
                fail[i].append(label)
            for i in np.flatnonzero(blank):
                unknown[i].append(label)

        if self.sectors and "sector" in accounts:
            fit_map = {str(k).strip().lower(): float(v) for k, v in self.sectors.items()}
            sec = accounts["sector"].astype("string").str.strip().str.lower()
            fit = sec.map(fit_map).astype("float64").fillna(self.other_sector_fit)
            blank = sec.isna().to_numpy()
            mark((fit < self.min_sector_fit).to_numpy() & ~blank, blank, "sector")
        for col in ("revenue", "employees"):
            lo, hi = getattr(self, f"min_{col}"), getattr(self, f"max_{col}")
            if (lo is None and hi is None) or col not in accounts:
                continue
            x = pd.to_numeric(accounts[col], errors="coerce").to_numpy(dtype="float64")
            blank = np.isnan(x)
            with np.errstate(invalid="ignore"):
                bad = np.zeros(n, bool)
                if lo is not None:
                    bad |= x < lo
                if hi is not None:
                    bad |= x > hi
            mark(
                bad & ~blank,
                blank,
                f"{col} outside {_fmt_num(lo)}-{_fmt_num(hi)}"
                if lo is not None and hi is not None
                else col,
            )
        if self.regions and "region" in accounts:
            reg = accounts["region"].astype("string")
            blank = reg.isna().to_numpy()
            mark(~reg.isin(list(self.regions)).to_numpy() & ~blank, blank, "region")
        qualified = pd.array(
            [False if f else (pd.NA if u else True) for f, u in zip(fail, unknown, strict=True)],
            dtype="boolean",
        )
        text = [
            ("not a fit: " + ", ".join(f))
            if f
            else ("unknown: " + ", ".join(u) + " blank")
            if u
            else "fits the profile"
            for f, u in zip(fail, unknown, strict=True)
        ]
        return pd.DataFrame(
            {
                "account_id": accounts["account_id"].to_numpy(),
                "qualified": qualified,
                "qualification": text,
            },
            index=accounts.index,
        )


def _fmt_num(x: float | None) -> str:
    if x is None:
        return "any"
    for div, suf in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:g}{suf}"
    return f"{x:g}"


# ---------------------------------------------------------------------------------------------
# Market analysis and segment summary
# ---------------------------------------------------------------------------------------------


def _with_white_space(accounts: pd.DataFrame) -> pd.DataFrame:
    a = accounts
    if "wallet" in a and "white_space" not in a:
        spend = a["current_spend"].fillna(0) if "current_spend" in a else 0.0
        a = a.assign(white_space=(a["wallet"] - spend).clip(lower=0))
    return a


def _aggregate(a: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    keys = [by] if isinstance(by, str) else list(by)
    wanted = [
        *keys,
        "segment",
        "insufficient_data",
        "potential",
        "relationship",
        "white_space",
        *_COLUMNS_MONEY,
    ]
    a = _with_white_space(a[[c for c in dict.fromkeys(wanted) if c in a]])
    g = a.groupby(by, observed=True, dropna=False, sort=True)
    out = pd.DataFrame({"accounts": g.size()})
    if "segment" in a and by != "segment":
        counts = pd.crosstab(
            [a[b] for b in ([by] if isinstance(by, str) else by)], a["segment"], dropna=False
        )
        for s in SEGMENTS:
            out[s] = counts[s].reindex(out.index).fillna(0).astype("int64") if s in counts else 0
    if "insufficient_data" in a:
        out["insufficient_data"] = g["insufficient_data"].sum().astype("int64")
    for c in ("potential", "relationship"):
        if c in a:
            out[f"mean_{c}"] = g[c].mean()
    for c in ("white_space", *_COLUMNS_MONEY):
        if c in a:
            out[c] = g[c].sum(min_count=1)
    if "wallet" in a and "current_spend" in a:
        out["share_of_wallet"] = out["current_spend"] / out["wallet"].where(out["wallet"] > 0)
    return out


def market_analysis(accounts: pd.DataFrame, by: str | list[str] = "sector") -> pd.DataFrame:
    """Potential and current business by sector, region, segment or any column(s).

    Parameters
    ----------
    accounts : DataFrame
        Segmented accounts (from :func:`~salesworkbench.territory.segment`); plain accounts
        work too (without the segment columns).
    by : str or list of str
        Grouping column(s).

    Returns
    -------
    DataFrame
        One row per group: ``accounts``, counts per segment, ``insufficient_data``,
        ``mean_potential``, ``mean_relationship`` and the sums of ``white_space`` (wallet -
        current spend), revenue, wallet, current spend, install base, recurring revenue, and
        ``share_of_wallet`` = current spend / wallet. Blank groups are kept (as NaN).
    """
    missing = [b for b in ([by] if isinstance(by, str) else by) if b not in accounts]
    if missing:
        raise KeyError(f"market_analysis: no column {', '.join(missing)} to group by")
    return _aggregate(accounts, by)


def segment_summary(accounts: pd.DataFrame) -> pd.DataFrame:
    """Counts, potential and current business per segment (all three segments listed).

    Returns
    -------
    DataFrame
        Index Alpha, Beta, Delta: ``accounts``, ``share`` of accounts, ``insufficient_data``,
        mean scores, total white space and current business columns.
    """
    if "segment" not in accounts:
        raise KeyError("segment_summary needs segmented accounts (a 'segment' column)")
    out = _aggregate(accounts, "segment").reindex(list(SEGMENTS))
    out["accounts"] = out["accounts"].fillna(0).astype("int64")
    out.insert(1, "share", out["accounts"] / max(len(accounts), 1))
    out.index.name = "segment"
    return out


# ---------------------------------------------------------------------------------------------
# Coverage and capacity
# ---------------------------------------------------------------------------------------------


def _check_coverage(coverage: Mapping) -> dict[str, dict[str, float]]:
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


# ---------------------------------------------------------------------------------------------
# Account -> rep assignment
# ---------------------------------------------------------------------------------------------


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

    Accounts are taken in priority order (Alpha first). Each needs the segment's hours of
    ``role`` (:data:`DEFAULT_COVERAGE`). An account stays with its current ``owner`` if the
    owner is one of the reps (in the same ``match_on`` group) and, after taking it, stays
    within capacity and within ``1 + balance`` times the fair share of the group's hours (the
    group's total need / its reps). Otherwise it goes to the eligible rep with the lowest
    utilisation after taking it (ties: least potential assigned so far, then rep name). So an
    overloaded owner keeps their highest-priority accounts and hands over the rest. An account
    that fits no rep's remaining hours is left unassigned with a note: that is
    under-coverage to resolve, not something to hide.

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


# ---------------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------------


@dataclass
class TerritoryPlan:
    """A territory plan: segmented accounts plus profile, coverage, capacity and messaging.

    Build it with :meth:`build` (scores and segments the accounts) or from accounts already
    segmented. Edit ``messaging``, ``coverage`` or ``capacity`` and call :meth:`sections` or an
    export again: every section is computed from the current fields.

    Attributes
    ----------
    accounts : DataFrame
        Segmented accounts (:func:`salesworkbench.territory.segment`).
    name : str
        Title of the plan.
    profile : CustomerProfile, optional
        Customer profile and qualification criteria.
    coverage, capacity : mapping
        See :func:`coverage_plan`.
    allocation : str or mapping
        See :func:`coverage_plan`.
    messaging : dict
        Messaging strategy per segment (free text).
    reps : DataFrame or list, optional
        Reps for :func:`assign_accounts`; without them the plan has no assignment section.
    assign_options : dict
        Keyword arguments for :func:`assign_accounts`; ``hours_per_rep`` defaults to the
        capacity of the assigned role (account executives).
    market_by : list of str
        Columns for the market-analysis sections.
    notes : str
        Free text for the summary.
    """

    accounts: pd.DataFrame
    name: str = "Territory plan"
    profile: CustomerProfile | None = None
    coverage: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_COVERAGE.items()}
    )
    capacity: Mapping[str, Mapping[str, float] | float] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_CAPACITY.items()}
    )
    allocation: str | Mapping[str, float] = "priority"
    messaging: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MESSAGING))
    reps: pd.DataFrame | Sequence[str] | None = None
    assign_options: dict = field(default_factory=dict)
    market_by: list[str] = field(default_factory=lambda: ["sector", "region"])
    notes: str = ""

    @classmethod
    def build(
        cls,
        accounts: pd.DataFrame,
        potential_high: float = 70,
        potential_low: float = 30,
        relationship_high: float = 50,
        *,
        model: ScoreModel | None = None,
        profile: CustomerProfile | None = None,
        **fields,
    ) -> TerritoryPlan:
        """Score and segment ``accounts`` and wrap them in a plan.

        With a ``profile`` and no ``model``, the default model uses the profile's sector fit.
        ``fields`` are the other attributes (name, coverage, capacity, messaging, reps...).
        """
        if model is None and profile is not None and profile.sectors:
            model = profile.score_model()
        seg = segment(accounts, potential_high, potential_low, relationship_high, model=model)
        return cls(accounts=seg, profile=profile, **fields)

    @property
    def thresholds(self) -> dict[str, float]:
        """Thresholds the accounts were segmented with (empty if unknown)."""
        return dict(self.accounts.attrs.get("territory", {}))

    def prioritised(self, segment_name: str | None = None) -> pd.DataFrame:
        """Accounts in priority order (optionally one segment), with the plan's columns."""
        a = self.accounts
        if self.profile is not None:
            q = self.profile.qualify(a)
            a = a.assign(qualified=q["qualified"], qualification=q["qualification"])
        if segment_name is not None:
            if segment_name not in SEGMENTS:
                raise ValueError(f"segment must be one of {', '.join(SEGMENTS)}")
            a = a[a["segment"] == segment_name]
        cols = [
            c
            for c in (
                "priority",
                "account_id",
                "name",
                "sector",
                "region",
                "territory",
                "owner",
                "segment",
                "potential",
                "relationship",
                "potential_band",
                "relationship_band",
                "insufficient_data",
                "qualified",
                "qualification",
                "reason",
            )
            if c in a
        ]
        return a.sort_values("priority")[cols].reset_index(drop=True)

    def coverage_table(self) -> pd.DataFrame:
        """:func:`coverage_plan` with the plan's settings."""
        return coverage_plan(
            self.accounts, self.coverage, self.capacity, allocation=self.allocation
        )

    def sections(self) -> dict[str, pd.DataFrame]:
        """Every section of the plan as a table, in report order."""
        out: dict[str, pd.DataFrame] = {}
        if self.profile is not None:
            out["profile"] = self.profile.criteria()
        out["segment_summary"] = segment_summary(self.accounts).reset_index()
        for col in self.market_by:
            if col in self.accounts:
                out[f"market_by_{col}"] = market_analysis(self.accounts, col).reset_index()
        cov = self.coverage_table()
        out["coverage"] = cov
        out["capacity"] = capacity_summary(cov, self.capacity).reset_index()
        out["messaging"] = pd.DataFrame(
            {"segment": list(SEGMENTS), "message": [self.messaging.get(s, "") for s in SEGMENTS]}
        )
        out["alpha_accounts"] = self.prioritised("Alpha")
        out["accounts"] = self.prioritised()
        if self.reps is not None:
            opts = dict(self.assign_options)
            role = opts.setdefault("role", "account_executive")
            spec = self.capacity.get(role)
            if isinstance(spec, Mapping) and "hours_per_rep" in spec:
                opts.setdefault("hours_per_rep", float(spec["hours_per_rep"]))
            assignment, load = assign_accounts(
                self.accounts, self.reps, coverage=self.coverage, **opts
            )
            out["assignment"] = assignment
            out["rep_load"] = load.reset_index()
        return out

    # -- export ---------------------------------------------------------------------------

    def to_csv(self, directory: str | os.PathLike) -> list[Path]:
        """Write one CSV per section into ``directory``; return the paths."""
        d = Path(directory)
        paths = []
        for name, table in self.sections().items():
            path = d / f"{name}.csv"
            with atomic_write(path, "w", newline="") as fh:
                neutralise_frame(table).to_csv(fh, index=False)
            paths.append(path)
        return paths

    def to_excel(self, path: str | os.PathLike) -> Path:
        """Write the plan to an Excel workbook, one sheet per section (atomically)."""
        path = Path(path)
        sections = self.sections()
        with atomic_write(path, "wb") as fh:
            with pd.ExcelWriter(fh, engine="openpyxl") as xw:
                for name, table in sections.items():
                    table.to_excel(xw, sheet_name=name[:31], index=False)
                    ws = xw.sheets[name[:31]]
                    for col_cells in ws.columns:
                        width = max(
                            len(str(c.value)) if c.value is not None else 0 for c in col_cells[:200]
                        )
                        ws.column_dimensions[col_cells[0].column_letter].width = min(
                            max(10, width + 2), 80
                        )
                    ws.freeze_panes = "A2"
                protect_workbook(xw.book)
        return path

    def _summary_blocks(self, top: int) -> list[tuple[str, object]]:
        th = self.thresholds
        s = self.sections()
        blocks: list[tuple[str, object]] = []
        if th:
            blocks.append(
                (
                    "Segmentation rules",
                    [
                        f"Alpha: potential >= {th['potential_high']:g} (any relationship), "
                        "prioritised by relationship",
                        f"Beta: potential {th['potential_low']:g} to {th['potential_high']:g} and "
                        f"relationship >= {th['relationship_high']:g}",
                        f"Delta: potential < {th['potential_low']:g}, or insufficient data, or "
                        f"potential {th['potential_low']:g} to {th['potential_high']:g} with "
                        f"relationship < {th['relationship_high']:g}",
                    ],
                )
            )
        if "profile" in s:
            blocks.append(("Customer profile and qualification criteria", s["profile"]))
        blocks.append(("Segment summary", s["segment_summary"]))
        for k in s:
            if k.startswith("market_by_"):
                blocks.append((f"Market analysis by {k[len('market_by_') :]}", s[k]))
        blocks.append(("Coverage by segment and role", s["coverage"]))
        blocks.append(("Capacity by role", s["capacity"]))
        blocks.append(
            (
                "Messaging strategy",
                [
                    f"**{seg}**: {msg}"
                    for seg, msg in zip(
                        s["messaging"]["segment"], s["messaging"]["message"], strict=True
                    )
                ],
            )
        )
        alpha = s["alpha_accounts"].head(top)
        blocks.append(
            (f"Alpha accounts, by priority (top {len(alpha)} of {len(s['alpha_accounts'])})", alpha)
        )
        if "rep_load" in s:
            blocks.append(("Rep workload", s["rep_load"]))
        if self.notes:
            blocks.append(("Notes", [self.notes]))
        return blocks

    def to_markdown(self, top: int = 20) -> str:
        """A Markdown summary of the plan (the full account list is in CSV/Excel)."""
        lines = [f"# {self.name}", ""]
        for title, body in self._summary_blocks(top):
            lines += [f"## {title}", ""]
            if isinstance(body, pd.DataFrame):
                lines.append(_markdown_table(body))
            else:
                lines += [f"- {b}" for b in body]
            lines.append("")
        return "\n".join(lines)

    def to_html(self, top: int = 20) -> str:
        """A standalone HTML summary of the plan."""
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.name)}</title>",
            "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
            "table{border-collapse:collapse;margin-bottom:1.5em;font-size:90%}"
            "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}"
            "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}</style>",
            "</head><body>",
            f"<h1>{html.escape(self.name)}</h1>",
        ]
        for title, body in self._summary_blocks(top):
            parts.append(f"<h2>{html.escape(title)}</h2>")
            if isinstance(body, pd.DataFrame):
                parts.append(
                    _format_frame(body).to_html(index=False, na_rep="", border=0, escape=True)
                )
            else:
                items = []
                for b in body:
                    text = html.escape(b)
                    if text.startswith("**"):
                        head, _, rest = text[2:].partition("**")
                        text = f"<strong>{head}</strong>{rest}"
                    items.append(f"<li>{text}</li>")
                parts.append("<ul>" + "".join(items) + "</ul>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def write_markdown(self, path: str | os.PathLike, top: int = 20) -> Path:
        """Write :meth:`to_markdown` to ``path`` (atomically)."""
        with atomic_write(path, "w") as fh:
            fh.write(self.to_markdown(top))
        return Path(path)

    def write_html(self, path: str | os.PathLike, top: int = 20) -> Path:
        """Write :meth:`to_html` to ``path`` (atomically)."""
        with atomic_write(path, "w") as fh:
            fh.write(self.to_html(top))
        return Path(path)


def _format_value(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        if math.isinf(v):
            return "inf"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def _format_frame(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: [_format_value(v) for v in df[c].tolist()] for c in df.columns})


def _markdown_table(df: pd.DataFrame) -> str:
    f = _format_frame(df)
    head = "| " + " | ".join(str(c) for c in f.columns) + " |"
    sep = "|" + "|".join("---" for _ in f.columns) + "|"
    body = [
        "| " + " | ".join(v.replace("|", "\\|") for v in row) + " |"
        for row in f.itertuples(index=False)
    ]
    return "\n".join([head, sep, *body])
