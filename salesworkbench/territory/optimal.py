"""Optimal account assignment: a mixed-integer program solved by HiGHS (``scipy.optimize.milp``).

:func:`~salesworkbench.territory.assign_accounts` with ``method="optimal"`` (the default) calls
:func:`solve`; :func:`evaluate` scores any assignment (greedy or optimal) on the same objective,
so the two can be compared part by part.

Formulation
-----------
Accounts ``a`` need ``h_a`` hours of the role and carry potential ``p_a``; reps ``r`` have
capacity ``C_r``. Rep ``r`` is *eligible* for account ``a`` when they share the ``match_on``
group (if given) and ``h_a <= C_r``. Within a group ``g`` rep ``r`` has the capacity share
``s_r = C_r / sum of C in g`` (equal shares when the group has no capacity).

Variables: ``x[a, r]`` binary for eligible pairs (1: ``r`` covers ``a``); ``u_a`` in [0, 1]
(1: ``a`` is left uncovered; integral because ``x`` is); ``D_p, D_h >= 0``.

Constraints:

- every account has exactly one rep or is uncovered: ``sum_r x[a, r] + u_a = 1``;
- capacity: ``sum_a h_a x[a, r] <= C_r``;
- balance: ``|P_r - s_r P_g(covered)| <= D_p N_r`` with ``P_r = sum_a p_a x[a, r]``, the
  potential of the group's covered accounts ``P_g(covered) = sum_{a in g} p_a (1 - u_a)`` and
  the normaliser ``N_r = s_r sum_{a in g} p_a`` (the fair share when all are covered); the
  same for hours with ``D_h``. So ``D_p = 0.1`` means the worst-off rep is 10% away from a fair
  share of potential;
- moves: an account *moves* when its current owner is eligible for it and does not keep it
  (reassigned or uncovered); ``max_moves`` bounds their number: ``sum (1 - x[a, owner_a]) <=
  max_moves``.

Objective (weights ``w``, :data:`DEFAULT_WEIGHTS`)::

    w_potential D_p + w_hours D_h + w_moves moves / n_owned + w_compactness mean(d[a, r] / d0)
    (+ w_uncovered U when not every account can be covered; see below)

where ``n_owned`` is the number of accounts whose owner is eligible and ``d[a, r]`` the distance
(km, haversine) from account ``a`` to rep ``r``'s base: the rep's own ``lat``/``lon`` where
given, else the centroid of the rep's current accounts, else of the group's accounts; ``d0`` is
the mean distance from the accounts to their group's centroid. Without coordinates the term is
absent. (The centroid of the *new* territory would make the problem quadratic; the base is
fixed before solving so the program stays linear.)

Coverage: the program is first solved with every coverable account covered. If that is
infeasible (more hours needed than the reps have), accounts may be left uncovered at a price:
the objective gains ``w_uncovered x U`` where ``U`` is the uncovered hours, each weighted from 2
for the top-priority account down to 1 for the last (an account without hours counts as 1% of
the mean hours), divided by the coverable hours. With the default ``w_uncovered = 10``, covering
1% more of the hours is worth 10 points of balance or of accounts moved, so the program covers
nearly all it can, preferring high priority, without reshuffling every territory to fit one
more account into the last free hours (a strictly lexicographic rule did exactly that on the
sample: 389 moves to cover 4 more hours). The uncovered accounts are reported, never hidden.

Large instances: with ``candidates=k`` each account may only go to its current owner and ``k``
other eligible reps (the ``k`` nearest bases with coordinates; otherwise ``k`` reps spread
evenly over the group by the account's priority rank, so every rep is a candidate for a similar
mix). The result is then optimal over those candidate sets only; the default restricts only
above :data:`FULL_MODEL_PAIRS` account-rep pairs. ``time_limit`` returns the best solution found
with HiGHS's relative MIP gap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, sparse

__all__ = [
    "DEFAULT_WEIGHTS",
    "FULL_MODEL_PAIRS",
    "AssignmentProblem",
    "Solution",
    "check_weights",
    "evaluate",
    "solve",
]

#: Default objective weights (each part is a share, so 1.0 on each makes them comparable:
#: the worst rep 10% off a fair share of potential costs as much as moving 10% of accounts).
DEFAULT_WEIGHTS: dict[str, float] = {
    "potential": 1.0,
    "hours": 1.0,
    "moves": 1.0,
    "compactness": 0.2,
    "uncovered": 10.0,
}

#: Above this many eligible account-rep pairs the default restricts the candidate reps.
FULL_MODEL_PAIRS = 40_000
#: Candidate reps per account (besides the current owner) when restricting by default.
DEFAULT_CANDIDATES = 6

_EARTH_KM = 6371.0


def check_weights(weights: Mapping[str, float] | None, has_coordinates: bool) -> dict[str, float]:
    """Return the objective weights with defaults filled in; check names and values.

    ``compactness`` is 0 without coordinates; an explicit positive weight without them is an
    error (it would silently do nothing).
    """
    w = dict(DEFAULT_WEIGHTS)
    given = dict(weights or {})
    unknown = sorted(set(given) - set(w))
    if unknown:
        raise ValueError(
            f"weights: unknown part(s) {', '.join(unknown)}; use {', '.join(DEFAULT_WEIGHTS)}"
        )
    for k, v in given.items():
        if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
            raise ValueError(f"weights[{k!r}] must be a number >= 0, got {v!r}")
        w[k] = float(v)
    if not has_coordinates:
        if given.get("compactness", 0) > 0:
            raise ValueError(
                "weights['compactness'] > 0 needs account coordinates: columns 'lat' and 'lon'"
            )
        w["compactness"] = 0.0
    return w


@dataclass
class AssignmentProblem:
    """One assignment instance in arrays (built by :func:`assign_accounts`).

    Attributes
    ----------
    hours, potential : ndarray, shape (n,)
        Hours each account needs and its potential (missing: 0).
    owner : ndarray of int, shape (n,)
        Index of the current owner among the reps, -1 if none or not a rep.
    eligible : ndarray of bool, shape (n, m)
        Same ``match_on`` group and the account's hours fit the rep's capacity.
    capacity : ndarray, shape (m,)
    group : ndarray of int, shape (m,)
        Group index of each rep (all 0 without ``match_on``); ``account_group`` likewise
        (-1: the account's group has no reps).
    rank : ndarray of int, shape (n,)
        0 for the top-priority account.
    distance : ndarray, shape (n, m), optional
        Distance of each account to each rep's base divided by ``d0`` (see module docs).
    """

    hours: np.ndarray
    potential: np.ndarray
    owner: np.ndarray
    eligible: np.ndarray
    capacity: np.ndarray
    group: np.ndarray
    account_group: np.ndarray
    rank: np.ndarray
    distance: np.ndarray | None = None
    names: list[str] | None = None

    @property
    def n(self) -> int:
        """Number of accounts."""
        return len(self.hours)

    @property
    def m(self) -> int:
        """Number of reps."""
        return len(self.capacity)

    @property
    def owned(self) -> np.ndarray:
        """Accounts whose current owner is eligible (these can *move*)."""
        o = self.owner
        ok = o >= 0
        out = np.zeros(self.n, bool)
        out[ok] = self.eligible[np.flatnonzero(ok), o[ok]]
        return out

    def shares(self) -> np.ndarray:
        """Capacity share ``s_r`` of each rep in its group."""
        s = np.zeros(self.m)
        for g in np.unique(self.group):
            sel = self.group == g
            tot = self.capacity[sel].sum()
            s[sel] = self.capacity[sel] / tot if tot > 0 else 1.0 / sel.sum()
        return s

    def group_totals(self, values: np.ndarray) -> np.ndarray:
        """Per rep: sum of ``values`` over the coverable accounts of the rep's group."""
        coverable = self.eligible.any(axis=1)
        out = np.zeros(self.m)
        for g in np.unique(self.group):
            sel = (self.account_group == g) & coverable
            out[self.group == g] = values[sel].sum()
        return out


@dataclass
class Solution:
    """What :func:`solve` found.

    Attributes
    ----------
    choice : ndarray of int, shape (n,)
        Rep index per account, -1 for uncovered.
    status : str
        ``"optimal"`` (within ``mip_rel_gap``), ``"stopped at limit"`` (time or node limit:
        the best found; see ``mip_gap``) or ``"heuristic"`` (greedy).
    mip_gap : float
        HiGHS's relative gap between the solution and the best bound (0 when proven optimal;
        NaN if HiGHS reported none).
    objective : float
        The solver's objective value (equals :func:`evaluate`'s ``objective`` up to the gap
        tolerance when the weights are all positive).
    seconds : float
        Wall time of the solve(s).
    candidates : int or None
        Candidate reps per account besides the owner (None: all eligible reps).
    phases : list of str
        Which programs were solved (``"full coverage"``, then ``"under-coverage"`` if that
        was infeasible).
    """

    choice: np.ndarray
    status: str
    mip_gap: float
    objective: float
    seconds: float
    candidates: int | None
    phases: list[str] = field(default_factory=list)
    pairs: int = 0


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def distances(
    lat: np.ndarray,
    lon: np.ndarray,
    owner: np.ndarray,
    account_group: np.ndarray,
    rep_group: np.ndarray,
    rep_lat: np.ndarray | None = None,
    rep_lon: np.ndarray | None = None,
) -> np.ndarray:
    """Normalised distance of each account to each rep's base (see the module docs).

    Accounts without coordinates get distance 1 (the typical distance) to every rep, so they
    neither attract nor repel.
    """
    m = len(rep_group)
    has = ~(np.isnan(lat) | np.isnan(lon))
    blat = np.full(m, np.nan) if rep_lat is None else np.asarray(rep_lat, float).copy()
    blon = np.full(m, np.nan) if rep_lon is None else np.asarray(rep_lon, float).copy()
    for r in range(m):
        if not np.isnan(blat[r]) and not np.isnan(blon[r]):
            continue
        sel = has & (owner == r)
        if not sel.any():
            sel = has & (account_group == rep_group[r])
        if not sel.any():
            sel = has
        if sel.any():
            blat[r], blon[r] = lat[sel].mean(), lon[sel].mean()
    d = _haversine(lat[:, None], lon[:, None], blat[None, :], blon[None, :])
    # d0: mean distance of the accounts to their group's centroid
    d0s = []
    for g in np.unique(account_group[has]):
        sel = has & (account_group == g)
        d0s.append(_haversine(lat[sel], lon[sel], lat[sel].mean(), lon[sel].mean()))
    d0 = float(np.mean(np.concatenate(d0s))) if d0s else 0.0
    d = d / d0 if d0 > 0 else np.zeros_like(d)
    d[~has] = 1.0
    return np.nan_to_num(d, nan=1.0)


# ----------------------------------------------------------------------------------------------
# evaluation (shared by greedy and optimal)
# ----------------------------------------------------------------------------------------------


def evaluate(
    problem: AssignmentProblem, choice: np.ndarray, weights: Mapping[str, float]
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Score an assignment on the objective of the module docs.

    Parameters
    ----------
    problem : AssignmentProblem
    choice : ndarray of int
        Rep index per account (-1: uncovered).
    weights : mapping
        Objective weights (as returned by :func:`check_weights`).

    Returns
    -------
    parts : dict
        ``potential_spread``, ``hours_spread`` (max relative deviation from the fair share),
        ``moves``, ``moves_share`` (of ``movable``), ``movable``, ``compactness`` (mean
        normalised distance; NaN without coordinates), ``uncovered``, ``uncovered_hours`` and
        the weighted ``objective``.
    per_rep : dict of arrays
        ``fair_potential``, ``potential_deviation``, ``fair_hours``, ``hours_deviation``
        (relative, signed), ``moved_in``, ``moved_out``, ``mean_distance``.
    """
    n, m = problem.n, problem.m
    choice = np.asarray(choice, int)
    covered = choice >= 0
    s = problem.shares()
    rep_p = np.bincount(choice[covered], problem.potential[covered], minlength=m)
    rep_h = np.bincount(choice[covered], problem.hours[covered], minlength=m)
    per: dict[str, np.ndarray] = {}
    spreads = {}
    for name, v, tot in (("potential", problem.potential, rep_p), ("hours", problem.hours, rep_h)):
        norm = s * problem.group_totals(v)
        cov_v = np.where(covered, v, 0.0)
        fair = s * problem.group_totals(cov_v)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = np.where(norm > 0, (tot - fair) / norm, 0.0)
        per[f"fair_{name}"] = fair
        per[f"{name}_deviation"] = dev
        spreads[name] = float(np.max(np.abs(dev))) if m else 0.0
    owned = problem.owned
    moved = owned & (choice != problem.owner)
    per["moved_out"] = np.bincount(problem.owner[moved], minlength=m).astype(int)
    moved_in = moved & covered
    per["moved_in"] = np.bincount(choice[moved_in], minlength=m).astype(int)
    n_owned = int(owned.sum())
    n_cov = int(covered.sum())
    if problem.distance is not None:
        dist = np.zeros(n)
        dist[covered] = problem.distance[np.flatnonzero(covered), choice[covered]]
        compact = float(dist[covered].mean()) if n_cov else 0.0
        cnt = np.bincount(choice[covered], minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            per["mean_distance"] = np.bincount(choice[covered], dist[covered], minlength=m) / cnt
    else:
        compact = float("nan")
    coverable = problem.eligible.any(axis=1)
    unc = coverable & ~covered
    unc_share = float(_coverage_penalty(problem)[unc].sum() / _coverage_norm(problem))
    parts = {
        "potential_spread": spreads["potential"],
        "hours_spread": spreads["hours"],
        "moves": int(moved.sum()),
        "movable": n_owned,
        "moves_share": moved.sum() / n_owned if n_owned else 0.0,
        "compactness": compact,
        "uncovered": int(n - n_cov),
        "uncovered_hours": float(problem.hours[~covered].sum()),
        "uncovered_share": unc_share,
    }
    obj = (
        weights["potential"] * parts["potential_spread"]
        + weights["hours"] * parts["hours_spread"]
        + weights["moves"] * parts["moves_share"]
    )
    if problem.distance is not None and weights.get("compactness", 0) > 0:
        obj += weights["compactness"] * compact
    obj += weights.get("uncovered", DEFAULT_WEIGHTS["uncovered"]) * unc_share
    parts["objective"] = float(obj)
    return parts, per


# ----------------------------------------------------------------------------------------------
# the program
# ----------------------------------------------------------------------------------------------


def _candidate_pairs(problem: AssignmentProblem, k: int | None) -> np.ndarray:
    """Boolean (n, m) mask of the x variables: eligible pairs, restricted to k + owner."""
    el = problem.eligible
    if k is None:
        return el.copy()
    n, m = el.shape
    mask = np.zeros_like(el)
    owned = problem.owned
    mask[np.flatnonzero(owned), problem.owner[owned]] = True
    for g in np.unique(problem.account_group):
        accs = np.flatnonzero(problem.account_group == g)
        if g < 0 or accs.size == 0:
            continue
        reps = np.flatnonzero(problem.group == g)
        if problem.distance is not None:
            d = problem.distance[np.ix_(accs, reps)]
            d = np.where(el[np.ix_(accs, reps)], d, np.inf)
            kk = min(k, reps.size)
            near = np.argsort(d, axis=1, kind="stable")[:, :kk]
            rows = np.repeat(accs, kk)
            mask[rows, reps[near.ravel()]] = True
        else:
            order = accs[np.argsort(problem.rank[accs], kind="stable")]
            L = reps.size
            kk = min(k, L)
            step = max(L // kk, 1)
            for i, a in enumerate(order):
                pick = reps[(i + step * np.arange(kk)) % L]
                mask[a, pick] = True
    mask &= el
    # an account whose candidates all lost eligibility keeps every eligible rep
    lost = el.any(axis=1) & ~mask.any(axis=1)
    mask[lost] = el[lost]
    return mask


def _coverage_norm(problem: AssignmentProblem) -> float:
    """Sum of (hours + eps) over the coverable accounts: uncovered shares are relative to it."""
    h = problem.hours
    pos = h[h > 0]
    eps = 0.01 * (pos.mean() if pos.size else 1.0)
    tot = float((h + eps)[problem.eligible.any(axis=1)].sum())
    return tot if tot > 0 else 1.0


def _coverage_penalty(problem: AssignmentProblem) -> np.ndarray:
    """Per account: (hours + eps) x (2 for the top priority ... 1 for the last)."""
    h = problem.hours
    pos = h[h > 0]
    eps = 0.01 * (pos.mean() if pos.size else 1.0)
    n = max(problem.n, 1)
    return (h + eps) * (2.0 - problem.rank / n)


def _build(problem: AssignmentProblem, mask: np.ndarray, weights, max_moves):
    """Objective, constraints and bounds over x (mask pairs), u (n), D_p, D_h."""
    n, m = problem.n, problem.m
    pa, pr = np.nonzero(mask)
    nx = pa.size
    iu = nx
    idp, idh = nx + n, nx + n + 1
    nv = nx + n + 2
    s = problem.shares()
    coverable = problem.eligible.any(axis=1)
    owned = problem.owned
    n_owned = int(owned.sum())
    keep = owned[pa] & (problem.owner[pa] == pr)  # x variables that keep the owner
    c = np.zeros(nv)
    c[idp] = weights["potential"]
    c[idh] = weights["hours"]
    if n_owned and weights["moves"] > 0:
        # moves = sum over owned a of (1 - x[a, owner]) = sum_{r != owner} x[a, r] + u_a, so
        # the objective has no constant and HiGHS's relative gap is the true one
        c[:nx][owned[pa] & ~keep] += weights["moves"] / n_owned
        c[iu : iu + n][owned] += weights["moves"] / n_owned
    if problem.distance is not None and weights.get("compactness", 0) > 0:
        n_cov = max(int(problem.eligible.any(axis=1).sum()), 1)
        c[:nx] += weights["compactness"] * problem.distance[pa, pr] / n_cov
    A, lo, hi = [], [], []
    # assignment rows
    rows = np.concatenate([pa, np.arange(n)])
    cols = np.concatenate([np.arange(nx), iu + np.arange(n)])
    A.append(sparse.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, nv)))
    lo.append(np.ones(n))
    hi.append(np.ones(n))
    # capacity rows
    A.append(sparse.csr_array((problem.hours[pa], (pr, np.arange(nx))), shape=(m, nv)))
    lo.append(np.full(m, -np.inf))
    hi.append(problem.capacity.astype(float))
    # balance rows: +-(sum v x[., r] + s_r sum_{a in g} v_a u_a) - N_r D <= +-N_r
    for v, idd in ((problem.potential, idp), (problem.hours, idh)):
        N = s * problem.group_totals(v)
        act = np.flatnonzero(N > 0)
        if act.size == 0:
            continue
        rr, cc, vv = (
            [
                pr,
            ],
            [np.arange(nx)],
            [v[pa]],
        )
        for r in range(m):
            ga = np.flatnonzero((problem.account_group == problem.group[r]) & coverable)
            rr.append(np.full(ga.size, r))
            cc.append(iu + ga)
            vv.append(s[r] * v[ga])
        B = sparse.csr_array(
            (np.concatenate(vv), (np.concatenate(rr), np.concatenate(cc))), shape=(m, nv)
        )[act]
        Dcol = sparse.csr_array(
            (-N[act], (np.arange(act.size), np.full(act.size, idd))), shape=(act.size, nv)
        )
        A.append(B + Dcol)
        lo.append(np.full(act.size, -np.inf))
        hi.append(N[act])
        A.append(-B + Dcol)
        lo.append(np.full(act.size, -np.inf))
        hi.append(-N[act])
    if max_moves is not None and n_owned:
        row = sparse.csr_array(
            (np.ones(int(keep.sum())), (np.zeros(int(keep.sum()), int), np.flatnonzero(keep))),
            shape=(1, nv),
        )
        A.append(row)
        lo.append(np.array([n_owned - max_moves], float))
        hi.append(np.array([np.inf]))
    lb = np.zeros(nv)
    ub = np.ones(nv)
    ub[idp] = ub[idh] = np.inf
    integrality = np.zeros(nv)
    integrality[:nx] = 1
    return {
        "c": c,
        "A": sparse.vstack(A, format="csr"),
        "lo": np.concatenate(lo),
        "hi": np.concatenate(hi),
        "lb": lb,
        "ub": ub,
        "integrality": integrality,
        "pa": pa,
        "pr": pr,
        "iu": iu,
    }


def _milp(c, A, lo, hi, lb, ub, integrality, time_left, mip_rel_gap, node_limit=None):
    opts = {"mip_rel_gap": mip_rel_gap}
    if node_limit is not None:
        opts["node_limit"] = int(node_limit)
    if time_left is not None:
        opts["time_limit"] = max(float(time_left), 0.05)
    return optimize.milp(
        c,
        constraints=optimize.LinearConstraint(A, lo, hi),
        bounds=optimize.Bounds(lb, ub),
        integrality=integrality,
        options=opts,
    )


class InfeasibleAssignment(ValueError):
    """The hard limits (``max_moves``) cannot all hold; the message says which and why."""


def solve(
    problem: AssignmentProblem,
    weights: Mapping[str, float],
    *,
    max_moves: int | None = None,
    candidates: int | None | str = "auto",
    time_limit: float | None = None,
    node_limit: int | None = None,
    mip_rel_gap: float = 1e-4,
    fallback=None,
) -> Solution:
    """Solve the assignment program of the module docs.

    Parameters
    ----------
    problem : AssignmentProblem
    weights : mapping
        From :func:`check_weights`.
    max_moves : int, optional
        Hard limit on moves.
    candidates : int, None or "auto"
        Candidate reps per account besides the owner; None: all eligible reps; "auto": all
        up to :data:`FULL_MODEL_PAIRS` eligible pairs, else :data:`DEFAULT_CANDIDATES`.
    time_limit : float, optional
        Seconds for all solves together; the best solution found is returned with its gap.
    node_limit : int, optional
        Branch-and-bound nodes per solve: a budget that, unlike ``time_limit``, gives the same
        answer on every machine.
    mip_rel_gap : float
        HiGHS's relative gap at which a solution counts as optimal.
    fallback : callable, optional
        Returns a feasible choice (e.g. greedy's) to use when HiGHS finds none within the
        limits; the status then says so. Without it that case raises RuntimeError.

    Raises
    ------
    InfeasibleAssignment
        ``max_moves`` too small for the reps' capacity (owners over capacity).
    RuntimeError
        HiGHS found no solution within the time limit.
    """
    t0 = time.perf_counter()
    n = problem.n
    el = problem.eligible
    if candidates == "auto":
        k = None if el.sum() <= FULL_MODEL_PAIRS else DEFAULT_CANDIDATES
    elif candidates is None:
        k = None
    else:
        k = int(candidates)
        if k < 1:
            raise ValueError(f"candidates must be >= 1, None or 'auto'; got {candidates!r}")
    mask = _candidate_pairs(problem, k)
    coverable = mask.any(axis=1)
    P = _build(problem, mask, weights, max_moves)
    nx, iu = P["pa"].size, P["iu"]

    def left():
        return None if time_limit is None else time_limit - (time.perf_counter() - t0)

    phases = []
    # phase 1: everyone coverable is covered
    ub = P["ub"].copy()
    lb = P["lb"].copy()
    ub[iu : iu + n] = np.where(coverable, 0.0, 1.0)
    lb[iu : iu + n] = np.where(coverable, 0.0, 1.0)
    res = None
    if _may_cover_all(problem, coverable):
        phases.append("full coverage")
        res = _milp(
            P["c"],
            P["A"],
            P["lo"],
            P["hi"],
            lb,
            ub,
            P["integrality"],
            left(),
            mip_rel_gap,
            node_limit,
        )
        if res.x is None and res.status != 2:  # not infeasible, but nothing found in time
            return _fallback(fallback, time_limit, t0, k, phases, mask)
    if res is None or res.x is None:
        # phase 2: not everyone can be covered: uncovered hours are priced in the objective
        c2 = P["c"].copy()
        c2[iu : iu + n] += weights.get("uncovered", DEFAULT_WEIGHTS["uncovered"]) * (
            _coverage_penalty(problem) / _coverage_norm(problem)
        )
        lb2, ub2 = P["lb"].copy(), P["ub"].copy()
        lb2[iu : iu + n] = np.where(coverable, 0.0, 1.0)
        phases.append("under-coverage")
        res = _milp(
            c2,
            P["A"],
            P["lo"],
            P["hi"],
            lb2,
            ub2,
            P["integrality"],
            left(),
            mip_rel_gap,
            node_limit,
        )
        if res.x is None:
            if res.status == 2:
                raise InfeasibleAssignment(_moves_message(problem, max_moves))
            return _fallback(fallback, time_limit, t0, k, phases, mask)
    x = res.x[:nx] > 0.5
    choice = np.full(n, -1)
    choice[P["pa"][x]] = P["pr"][x]
    gap = getattr(res, "mip_gap", None)
    status = "optimal" if res.status == 0 else "stopped at limit"
    return Solution(
        choice=choice,
        status=status,
        mip_gap=float(gap) if gap is not None else float("nan"),
        objective=float(res.fun),
        seconds=time.perf_counter() - t0,
        candidates=k,
        phases=phases,
        pairs=nx,
    )


def _fallback(fallback, time_limit, t0, k, phases, mask) -> Solution:
    if fallback is None:
        raise RuntimeError(f"no assignment found within time_limit={time_limit} s: raise it")
    return Solution(
        choice=np.asarray(fallback(), int),
        status="no solution in time: greedy's kept",
        mip_gap=float("nan"),
        objective=float("nan"),
        seconds=time.perf_counter() - t0,
        candidates=k,
        phases=phases,
        pairs=int(mask.sum()),
    )


def _may_cover_all(problem: AssignmentProblem, coverable: np.ndarray) -> bool:
    """False when a group plainly needs more hours than its reps have (skip phase 1)."""
    for g in np.unique(problem.group):
        need = problem.hours[(problem.account_group == g) & coverable].sum()
        if need > problem.capacity[problem.group == g].sum() + 1e-9:
            return False
    return True


def _moves_message(problem: AssignmentProblem, max_moves: int | None) -> str:
    owned = problem.owned
    need = np.bincount(problem.owner[owned], problem.hours[owned], minlength=problem.m)
    over = np.flatnonzero(need > problem.capacity + 1e-9)
    return (
        f"max_moves={max_moves} is infeasible: "
        + (
            f"{len(over)} rep(s) own more hours than their capacity ({{over}}), so some of "
            "their accounts must move"
            if over.size
            else "the current owners' books cannot all be kept within capacity"
        )
        + "; raise max_moves or the reps' hours"
    ).replace("{over}", ", ".join(_rep_label(problem, r, need) for r in over[:10]))


def _rep_label(problem: AssignmentProblem, r: int, need: np.ndarray) -> str:
    name = problem.names[r] if problem.names is not None else f"rep #{r}"
    return f"{name}: {need[r]:g} h of {problem.capacity[r]:g}"
