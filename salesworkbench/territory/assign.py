"""Account -> rep assignment: balance workload and potential, keep current owners if possible.

Two methods share one signature and one output: ``method="optimal"`` (default) solves the
mixed-integer program of :mod:`salesworkbench.territory.optimal` with HiGHS;
``method="greedy"`` is the rule of taking accounts in priority order. Both outputs carry the
objective's parts (per rep in the ``load`` columns, in total in ``load.attrs["objective"]``), so
greedy and optimal compare on the same scale (:func:`compare_assignments`).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from salesworkbench.errors import DataWarning
from salesworkbench.territory import optimal as _opt
from salesworkbench.territory.coverage import DEFAULT_COVERAGE, _check_coverage
from salesworkbench.territory.segments import SEGMENTS

__all__ = ["METHODS", "assign_accounts", "compare_assignments"]

#: Assignment methods.
METHODS = ("optimal", "greedy")


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
    method: str = "optimal",
    weights: Mapping[str, float] | None = None,
    max_moves: int | None = None,
    time_limit: float | None = 10.0,
    node_limit: int | None = None,
    candidates: int | None | str = "auto",
    mip_rel_gap: float = 1e-4,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign accounts to reps, balancing workload and potential, keeping owners if possible.

    Each account needs the segment's hours of ``role``
    (:data:`~salesworkbench.territory.DEFAULT_COVERAGE`); reps have ``hours`` of capacity.

    ``method="optimal"`` solves a mixed-integer program (HiGHS through
    :func:`scipy.optimize.milp`; formulation in :mod:`salesworkbench.territory.optimal` and
    ``docs/territory.md``): every account gets exactly one rep in its ``match_on`` group, no rep
    exceeds capacity, and the objective minimises, with ``weights``, the largest relative
    deviation of any rep from a fair (capacity-proportional) share of potential and of hours, the
    share of accounts moved from their current owner and, where accounts have ``lat``/``lon``,
    the distance to the rep's base. ``max_moves`` is a hard limit on moves (0: no account whose
    owner is eligible changes owner). If the reps' hours cannot cover every account, as many
    hours as possible are covered, preferring higher priority, and the rest is left unassigned
    with a note and a :class:`~salesworkbench.errors.DataWarning` naming them.

    ``method="greedy"`` takes accounts in priority order (Alpha first). An account stays with its
    current ``owner`` if the owner is one of the reps (in the same ``match_on`` group) and, after
    taking it, stays within capacity and within ``1 + balance`` times the fair share of the
    group's hours (the group's total need / its reps). Otherwise it goes to the eligible rep with
    the lowest utilisation after taking it (ties: least potential assigned so far, then rep
    name). An account that fits no rep's remaining hours is left unassigned with a note.

    Parameters
    ----------
    accounts : DataFrame
        Segmented accounts (``account_id, segment, priority``; ``owner``, ``potential``,
        ``lat``/``lon`` and the ``match_on`` column are used when present).
    reps : DataFrame or sequence of str
        Reps (column ``rep``; optional ``hours``, ``lat``/``lon`` (the rep's base) and the
        ``match_on`` column), or rep names.
    coverage : mapping, optional
        Hours per account per quarter by segment and role.
    role : str
        The role being assigned (its hours count against the reps' capacity).
    hours_per_rep : float
        Capacity of reps without an ``hours`` value.
    keep_owners : bool
        Keep current owners where possible (optimal: ``False`` sets the moves weight to 0).
    match_on : str, optional
        Column (e.g. ``"territory"``) that an account and its rep must share.
    balance : float or None
        Greedy only: how far above the fair share of hours an owner may go to keep accounts
        (0.25 = 25%); ``None``: owners keep accounts as long as they have capacity.
    method : {"optimal", "greedy"}
    weights : mapping, optional
        Optimal (and the objective reported for both): weights of ``potential``, ``hours``,
        ``moves`` and ``compactness``
        (:data:`~salesworkbench.territory.optimal.DEFAULT_WEIGHTS`).
    max_moves : int, optional
        Optimal: at most this many accounts leave an eligible current owner.
    time_limit : float or None, default 10
        Optimal: seconds; the best assignment found by then is returned, with HiGHS's relative
        MIP gap (how far the objective may be above the best possible) in
        ``load.attrs["objective"]["mip_gap"]`` and ``status`` "stopped at limit". A result cut
        by time can differ between machines; for reproducible figures use ``node_limit`` (or a
        limit long enough for ``status == "optimal"``). None: no limit.
    node_limit : int, optional
        Optimal: branch-and-bound nodes per solve, a machine-independent budget.
    candidates : int, None or "auto"
        Optimal: candidate reps per account besides the owner (None: all eligible; "auto": all
        up to :data:`~salesworkbench.territory.optimal.FULL_MODEL_PAIRS` pairs).
    mip_rel_gap : float
        Optimal: relative gap at which HiGHS stops and reports "optimal".

    Returns
    -------
    assignment : DataFrame
        Per account: ``account_id, segment, priority, owner, assigned_rep, kept_owner, hours,
        note, potential``, in priority order.
    load : DataFrame
        Per rep: ``capacity_hours, hours, utilisation, accounts``, accounts per segment,
        ``potential`` assigned, ``kept`` owners, and the objective's parts: ``fair_potential``,
        ``potential_deviation`` and ``fair_hours``, ``hours_deviation`` (signed, relative to the
        fair share), ``moved_in``, ``moved_out`` and, with coordinates, ``mean_distance``.
        ``load.attrs["objective"]`` holds the totals (``potential_spread``, ``hours_spread``,
        ``moves``, ``compactness``, ``uncovered``, weighted ``objective``), the weights, the
        method, ``status``, ``mip_gap`` and ``seconds``.

    Raises
    ------
    InfeasibleAssignment
        ``max_moves`` too small: owners hold more hours than their capacity (named).
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if max_moves is not None:
        if method != "optimal":
            raise ValueError("max_moves needs method='optimal'")
        if not (isinstance(max_moves, int | np.integer) and max_moves >= 0):
            raise ValueError(f"max_moves must be an integer >= 0, got {max_moves!r}")
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit must be seconds > 0, got {time_limit!r}")
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
        bad = r.loc[r["hours"] < 0, "rep"].astype(str)
        raise ValueError(f"rep hours must be >= 0 (rep(s) {', '.join(bad)})")
    if match_on is not None and (match_on not in r or match_on not in accounts):
        raise KeyError(f"match_on={match_on!r}: both accounts and reps need that column")
    if balance is not None and not (math.isfinite(balance) and balance >= 0):
        raise ValueError(f"balance must be >= 0 or None, got {balance!r}")
    names = r["rep"].astype(str).tolist()
    acc = accounts.sort_values("priority", kind="stable")
    seg = acc["segment"].astype(str).to_numpy()
    owner = acc["owner"].astype("string").to_numpy() if "owner" in acc else [pd.NA] * len(acc)
    p = (
        pd.to_numeric(acc["potential"], errors="coerce").fillna(0).to_numpy(float)
        if "potential" in acc
        else np.zeros(len(acc))
    )
    grp = acc[match_on].to_numpy() if match_on else [None] * len(acc)
    hours = np.array([cov.get(s, {}).get(role, 0.0) for s in seg])
    has_xy = "lat" in acc and "lon" in acc
    w = _opt.check_weights(weights, has_xy)
    if not keep_owners:
        w["moves"] = 0.0
    problem = _problem(acc, r, names, owner, hours, p, grp, match_on, has_xy)
    info: dict = {"method": method}

    def greedy() -> tuple[np.ndarray, list[str]]:
        return _greedy(
            names,
            r["hours"].to_numpy(float),
            r,
            acc,
            seg,
            owner,
            p,
            grp,
            hours,
            cov,
            role,
            keep_owners,
            match_on,
            balance,
        )

    if method == "greedy":
        choice, notes = greedy()
        info.update(status="heuristic", mip_gap=float("nan"), candidates=None, phases=[])
    else:

        def fallback():
            c, _ = greedy()
            moved = int((problem.owned & (c != problem.owner)).sum())
            if max_moves is not None and moved > max_moves:
                raise RuntimeError(
                    f"no assignment within max_moves={max_moves} found in time_limit="
                    f"{time_limit} s (greedy's moves {moved}): raise the limit"
                )
            return c

        sol = _opt.solve(
            problem,
            w,
            max_moves=None if not keep_owners else max_moves,
            candidates=candidates,
            time_limit=time_limit,
            node_limit=node_limit,
            mip_rel_gap=mip_rel_gap,
            fallback=fallback,
        )
        choice = sol.choice
        notes = _notes(problem, choice, names, hours, role, match_on, keep_owners)
        info.update(
            status=sol.status,
            mip_gap=sol.mip_gap,
            candidates=sol.candidates,
            phases=sol.phases,
            solver_objective=sol.objective,
            pairs=sol.pairs,
        )
    assignment, per = _tables(acc, names, r, seg, owner, p, hours, choice, notes, problem)
    parts, per_rep = _opt.evaluate(problem, choice, w)
    for k, v in per_rep.items():
        per[k] = v
    info.update(parts)
    info["weights"] = w
    info["max_moves"] = max_moves
    info["seconds"] = time.perf_counter() - t0
    per.attrs["objective"] = info
    if parts["uncovered"]:
        un = assignment.loc[assignment["assigned_rep"].isna(), "account_id"].astype(str)
        warnings.warn(
            f"{len(un)} account(s) left uncovered ({parts['uncovered_hours']:g} {role} hours the "
            f"reps do not have): {', '.join(un[:10])}{' ...' if len(un) > 10 else ''}; see the "
            "assignment's note column",
            DataWarning,
            stacklevel=2,
        )
    return assignment, per


def _problem(acc, r, names, owner, hours, p, grp, match_on, has_xy) -> _opt.AssignmentProblem:
    """The arrays of the assignment program."""
    m = len(names)
    idx = {n: i for i, n in enumerate(names)}
    own = np.array([idx.get(o, -1) if not pd.isna(o) else -1 for o in owner], int)
    cap = r["hours"].to_numpy(float)
    if match_on:
        rg = r[match_on].to_numpy(object)
        keys = {}
        for g in rg:
            if not pd.isna(g):
                keys.setdefault(g, len(keys))
        rep_group = np.array([keys.get(g, -2) if not pd.isna(g) else -2 for g in rg], int)
        acc_group = np.array([keys.get(g, -1) if not pd.isna(g) else -1 for g in grp], int)
    else:
        rep_group = np.zeros(m, int)
        acc_group = np.zeros(len(acc), int)
    eligible = (acc_group[:, None] == rep_group[None, :]) & (hours[:, None] <= cap[None, :] + 1e-9)
    rank = np.arange(len(acc))
    dist = None
    if has_xy:
        lat = pd.to_numeric(acc["lat"], errors="coerce").to_numpy(float)
        lon = pd.to_numeric(acc["lon"], errors="coerce").to_numpy(float)
        rl = r.get("lat")
        ro = r.get("lon")
        dist = _opt.distances(
            lat,
            lon,
            own,
            acc_group,
            rep_group,
            None if rl is None else pd.to_numeric(rl, errors="coerce").to_numpy(float),
            None if ro is None else pd.to_numeric(ro, errors="coerce").to_numpy(float),
        )
    return _opt.AssignmentProblem(
        hours=hours.astype(float),
        potential=p.astype(float),
        owner=own,
        eligible=eligible,
        capacity=cap,
        group=rep_group,
        account_group=acc_group,
        rank=rank,
        distance=dist,
        names=names,
    )


def _notes(problem, choice, names, hours, role, match_on, keep_owners) -> list[str]:
    """Why an account did not stay with its owner, or is uncovered (optimal method)."""
    owned = problem.owned
    need = np.bincount(problem.owner[owned], problem.hours[owned], minlength=problem.m)
    out = []
    for a in range(problem.n):
        o, c = problem.owner[a], choice[a]
        if c < 0:
            if not problem.eligible[a].any():
                out.append(
                    f"no rep{' in this ' + match_on if match_on else ''} has "
                    f"{hours[a]:g} {role} hours"
                )
            else:
                out.append(f"uncovered: the reps' {role} hours go to higher-priority accounts")
        elif not keep_owners or c == o:
            out.append("")
        elif o < 0:
            out.append("owner not among the reps" if problem.owner[a] < 0 else "")
        elif owned[a]:
            out.append(
                "owner over capacity"
                if need[o] > problem.capacity[o] + 1e-9
                else "rebalanced: evens out potential and hours"
            )
        elif problem.group[o] != problem.account_group[a]:
            out.append(f"owner outside this {match_on}")
        else:
            out.append("owner has fewer hours than the account needs")
    return out


def _greedy(
    names, capv, r, acc, seg, owner, p, grp, hours, cov, role, keep_owners, match_on, balance
):
    """Today's rule: priority order, owners kept within the fair-share band, else least loaded."""
    cap = dict(zip(names, capv, strict=True))
    group = dict(zip(names, r[match_on], strict=True)) if match_on else {}
    load = dict.fromkeys(names, 0.0)
    pot = dict.fromkeys(names, 0.0)
    limit = dict(cap)
    if balance is not None:
        need = pd.Series(hours).groupby(pd.Series(grp, dtype=object).fillna("")).sum()
        for n in names:
            g = "" if not match_on or pd.isna(group[n]) else group[n]
            members = sum(1 for m in names if not match_on or group[m] == group[n])
            fair = float(need.get(g, 0.0)) / members
            limit[n] = min(cap[n], fair * (1.0 + balance))
    idx = {n: i for i, n in enumerate(names)}
    choice, notes = [], []
    for s, o, pi, gi in zip(seg, owner, p, grp, strict=True):
        h = cov.get(s, {}).get(role, 0.0)
        eligible = [n for n in names if match_on is None or group[n] == gi]
        chosen, note = None, ""
        if keep_owners and not pd.isna(o) and o in eligible and load[o] + h <= limit[o] + 1e-9:
            chosen = o
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
        choice.append(idx[chosen] if chosen is not None else -1)
        notes.append(note)
    return np.array(choice, int), notes


def _tables(acc, names, r, seg, owner, p, hours, choice, notes, problem):
    """The assignment and load tables of a choice (rep index per account, -1 uncovered)."""
    covered = choice >= 0
    name_arr = np.array(names, dtype=object)
    assigned = np.where(covered, name_arr[np.maximum(choice, 0)] if len(names) else None, None)
    assignment = pd.DataFrame(
        {
            "account_id": acc["account_id"].to_numpy(),
            "segment": seg,
            "priority": acc["priority"].to_numpy(),
            "owner": owner,
            "assigned_rep": assigned,
            "kept_owner": covered & (choice == problem.owner),
            "hours": np.where(covered, hours, 0.0),
            "note": notes,
            "potential": p,
        }
    )
    assignment["segment"] = pd.Categorical(
        assignment["segment"], categories=list(SEGMENTS), ordered=True
    )
    assignment["assigned_rep"] = assignment["assigned_rep"].astype("string")
    assignment["owner"] = assignment["owner"].astype("string")
    m = len(names)
    per = pd.DataFrame(index=pd.Index(names, name="rep"))
    per["capacity_hours"] = r["hours"].to_numpy(float)
    per["hours"] = np.bincount(choice[covered], hours[covered], minlength=m)
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
    per["potential"] = np.bincount(choice[covered], p[covered], minlength=m)
    per["kept"] = (
        assignment.groupby("assigned_rep")["kept_owner"]
        .sum()
        .reindex(names)
        .fillna(0)
        .astype("int64")
    )
    return assignment, per


#: Rows of :func:`compare_assignments`.
_COMPARE_ROWS = (
    "objective",
    "potential_spread",
    "hours_spread",
    "moves",
    "moves_share",
    "compactness",
    "uncovered",
    "uncovered_hours",
    "status",
    "mip_gap",
    "seconds",
)


def compare_assignments(loads: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The objective's parts of several assignments side by side.

    Parameters
    ----------
    loads : mapping of str to DataFrame
        Name -> the ``load`` table of :func:`assign_accounts` (e.g. ``{"greedy": lg,
        "optimal": lo}``).

    Returns
    -------
    DataFrame
        Rows: objective, potential_spread, hours_spread, moves, moves_share, compactness,
        uncovered, uncovered_hours, status, mip_gap, seconds; one column per assignment.
        Compare objectives only between loads computed with the same weights.
    """
    cols = {}
    for name, load in loads.items():
        info = load.attrs.get("objective")
        if info is None:
            raise ValueError(f"{name!r}: not a load table of assign_accounts (no objective)")
        cols[name] = [info.get(k) for k in _COMPARE_ROWS]
    return pd.DataFrame(cols, index=pd.Index(_COMPARE_ROWS, name="part"), dtype=object)
