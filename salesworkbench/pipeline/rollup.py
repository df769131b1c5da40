"""The forecast rolled up the sales hierarchy: rep, team, region, company, from the same trials.

:func:`~salesworkbench.pipeline.forecast` with ``hierarchy=table`` sums each trial's bookings
per rep (one group-sum per block of the simulation, see
:func:`~salesworkbench.pipeline.simulation.simulate_pipeline`), then per level by summing the
children's trials. Every node's figures come from the same trials, so:

- a parent's mean is the sum of its children's means (to floating-point rounding);
- a parent's P10 is *not* the sum of its children's P10s: percentiles do not add. With deals
  that win or lose independently, a bad quarter for one rep is usually offset by a good one
  for another, so the parent's P10 is above the sum of the children's P10s (and its P90 below
  the sum of their P90s). The table's ``children_p10`` and ``children_p90`` columns show the
  sums beside the node's own percentiles.

Deals without an owner, or whose owner is not in the hierarchy, go to an ``unassigned`` node at
every level (counted in ``open_deals`` and in the notes).

New deals (not yet created) cannot be attributed to reps by deal. Their bookings are split,
trial by trial, over the reps by each rep's **historical share of new-deal bookings**: the
won value of deals created and won within the same period, over the last
:data:`SHARE_PERIODS` periods before the forecast date (a rep with no such wins gets none;
owners outside the hierarchy go to ``unassigned``). The split is fixed per trial, so each
trial's rep parts add up exactly to the trial's new-deal bookings and the parent = sum of
children identity holds; the reps' new-deal parts move together (one creation rate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError

__all__ = ["SHARE_PERIODS", "TOP", "UNASSIGNED", "Hierarchy", "new_deal_shares", "rollup_table"]

#: Name of the node holding deals whose owner is blank or not in the hierarchy.
UNASSIGNED = "unassigned"
#: Level and name of the root node (the whole organisation).
TOP = "total"
#: Periods of history behind each rep's share of new-deal bookings.
SHARE_PERIODS = 4


@dataclass
class Hierarchy:
    """The sales hierarchy: leaves (owners) and the levels above them.

    Build it with :meth:`from_table`. ``nodes`` has one row per node (``level, name,
    parent``), leaves first, then each level up, the root (``total``) last; ``leaf_of`` maps
    an owner name to its leaf position; ``members`` gives, per node, the leaf positions under
    it; ``quota`` per node (NaN where not given).
    """

    levels: list[str]
    nodes: pd.DataFrame
    leaf_of: dict[str, int]
    members: list[np.ndarray]
    quota: np.ndarray

    @classmethod
    def from_table(cls, table: pd.DataFrame, quota: Mapping[str, float] | None = None) -> Hierarchy:
        """Read a hierarchy table: owners in the first column, higher levels in the next ones.

        Parameters
        ----------
        table : DataFrame
            E.g. ``reps[["rep", "team", "region"]]``. A column named ``quota`` is not a level:
            it is the rep's quota per forecast period; a parent's quota is the sum of its
            children's unless ``quota`` names it.
        quota : mapping, optional
            Node name -> quota per period (overrides the column; for any level).

        Raises
        ------
        DataError
            Fewer than one level, a blank name, or a node under two different parents.
        """
        if not isinstance(table, pd.DataFrame) or table.shape[1] < 1:
            raise DataError("hierarchy: give a table with the owner column first")
        levels = [str(c) for c in table.columns if str(c) != "quota"]
        if not levels:
            raise DataError("hierarchy: no level columns (only 'quota')", column="quota")
        if TOP in levels:
            raise DataError(f"hierarchy: a level may not be called {TOP!r}", column=TOP)
        t = table.copy()
        for c in levels:
            vals = t[c].astype(object)
            blank = vals.isna() | (vals.astype(str).str.strip() == "")
            if blank.any():
                raise DataError(
                    "hierarchy: blank names",
                    column=c,
                    rows=(np.flatnonzero(blank.to_numpy()) + 2).tolist(),
                )
            t[c] = vals.astype(str).str.strip()
        t = t.drop_duplicates(subset=levels)
        for lo, hi in zip(levels[:-1], levels[1:], strict=True):
            par = t.groupby(lo)[hi].nunique()
            bad = par[par > 1]
            if len(bad):
                raise DataError(
                    f"hierarchy: {lo} {bad.index[0]!r} is under more than one {hi} "
                    f"({', '.join(sorted(t.loc[t[lo] == bad.index[0], hi].unique()))})",
                    column=hi,
                )
        dup = t[levels[0]].duplicated()
        if dup.any():
            raise DataError(
                f"hierarchy: {levels[0]} {t[levels[0]][dup].iloc[0]!r} listed twice",
                column=levels[0],
            )
        t = t.reset_index(drop=True)
        rows, members = [], []
        for j, lev in enumerate(levels):
            parent_col = levels[j + 1] if j + 1 < len(levels) else None
            # nodes in order of first appearance; members: the rows holding each name
            code, names = pd.factorize(t[lev].to_numpy())
            order = np.argsort(code, kind="stable")
            cuts = np.searchsorted(code[order], np.arange(1, len(names)))
            pcol = t[parent_col].to_numpy() if parent_col else None
            for name, under in zip(names, np.split(order, cuts), strict=True):
                rows.append((lev, name, pcol[under[0]] if parent_col else TOP))
                members.append(under)
        rows.append((TOP, TOP, None))
        members.append(np.arange(len(t)))
        nodes = pd.DataFrame(rows, columns=["level", "name", "parent"])
        leaf_of = {name: i for i, name in enumerate(t[levels[0]])}
        q = np.full(len(nodes), np.nan)
        if "quota" in t.columns:
            lq = pd.to_numeric(t["quota"], errors="coerce").to_numpy(float)
            for i, m in enumerate(members):
                if np.isfinite(lq[m]).all():
                    q[i] = lq[m].sum()
        for name, value in (quota or {}).items():
            hit = (nodes["name"] == str(name)).to_numpy()
            if not hit.any():
                raise DataError(f"quota: {name!r} is not a node of the hierarchy")
            q[hit] = float(value)
        return cls(levels, nodes, leaf_of, members, q)

    @property
    def n_leaves(self) -> int:
        """Number of leaves (owners)."""
        return len(self.leaf_of)

    def leaf_codes(self, owners: pd.Series) -> np.ndarray:
        """Leaf position of each owner; ``n_leaves`` (unassigned) where blank or unknown."""
        o = pd.Series(owners).astype(object)
        if pd.api.types.infer_dtype(o, skipna=True) not in ("string", "empty"):
            names = o.where(o.isna(), o.astype(str).str.strip())
            codes = pd.Categorical(names, categories=list(self.leaf_of)).codes
        else:  # text: each distinct owner stripped and looked up once (deals share owners)
            inv, uniq = pd.factorize(o)
            u = pd.Series(uniq, dtype=object)
            cu = pd.Categorical(u.str.strip(), categories=list(self.leaf_of)).codes
            codes = cu[inv] if len(cu) else np.full(len(o), -1)
            codes[inv < 0] = -1
        return np.where(codes < 0, self.n_leaves, codes).astype(np.intp)

    def with_unassigned(self) -> tuple[pd.DataFrame, list[np.ndarray], np.ndarray]:
        """Nodes, members and quotas with an ``unassigned`` node at every level (leaf last)."""
        L = self.n_leaves
        rows, members, quota = [], [], []
        for j, lev in enumerate(self.levels):
            sel = (self.nodes["level"] == lev).to_numpy()
            for i in np.flatnonzero(sel):
                rows.append(tuple(self.nodes.iloc[i]))
                members.append(self.members[i])
                quota.append(self.quota[i])
            parent = UNASSIGNED if j + 1 < len(self.levels) else TOP
            rows.append((lev, UNASSIGNED, parent))
            members.append(np.array([L]))
            quota.append(np.nan)
        rows.append((TOP, TOP, None))
        members.append(np.arange(L + 1))
        quota.append(self.quota[-1])
        return pd.DataFrame(rows, columns=["level", "name", "parent"]), members, np.array(quota)


def new_deal_shares(closed: pd.DataFrame, hierarchy: Hierarchy, as_of, freq: str) -> np.ndarray:
    """Each leaf's (and ``unassigned``'s, last) share of new-deal bookings in the history.

    New-deal bookings: won deals created and won within the same period, over the
    :data:`SHARE_PERIODS` periods before the one holding ``as_of``. Without any, the share
    of all won value over those periods; without that, equal shares over the leaves.
    """
    L = hierarchy.n_leaves
    a = pd.Timestamp(as_of)
    now = a.to_period(freq)
    won = closed[(closed["status"].astype(object) == "won").to_numpy()]
    cp = won["close_date"].dt.to_period(freq)
    recent = ((cp >= now - SHARE_PERIODS) & (cp < now) & (won["close_date"] < a)).to_numpy()
    same = (won["created"].dt.to_period(freq) == cp).to_numpy()
    amt = won["amount"].to_numpy(float)
    codes = hierarchy.leaf_codes(won["owner"])
    for sel in (recent & same, recent):
        w = np.bincount(codes[sel], weights=np.nan_to_num(amt[sel]), minlength=L + 1)
        if w.sum() > 0:
            return w / w.sum()
    out = np.zeros(L + 1)
    out[:L] = 1.0 / max(L, 1)
    return out


def rollup_table(
    leaf_pipe: np.ndarray,
    leaf_new: np.ndarray,
    hierarchy: Hierarchy,
    labels: list[str],
    open_deals: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The roll-up table and every node's trials.

    Parameters
    ----------
    leaf_pipe, leaf_new : ndarray
        Per trial, leaf (``unassigned`` last) and period: bookings from the open pipeline and
        from new deals, shape (trials, leaves + 1, K).
    hierarchy : Hierarchy
    labels : list of str
        Period labels.
    open_deals : ndarray
        Open deals per leaf (``unassigned`` last).

    Returns
    -------
    table : DataFrame
        ``level, name, parent, period, mean, p10, p50, p90, children_p10, children_p90,
        from_pipeline, from_new_deals, open_deals`` and, where a quota is known, ``quota`` and
        ``p_quota``; one row per node and period (and ``total`` over periods when several).
    bookings : ndarray
        Per trial, node and period (trials, nodes, K), nodes in the order of ``nodes``.
    nodes : DataFrame
        ``level, name, parent`` per node. ``unassigned`` nodes appear only when they hold
        deals or a share of new deals.
    """
    nodes, members, quota = hierarchy.with_unassigned()
    L = hierarchy.n_leaves
    has_un = open_deals[L] > 0 or np.any(leaf_new[:, L] != 0)
    keep = np.array([has_un or not (m.size == 1 and m[0] == L) for m in members])
    nodes = nodes[keep].reset_index(drop=True)
    members = [m for m, k in zip(members, keep, strict=True) if k]
    quota = quota[keep]
    # per level: the children's trials summed (the leaves are the first level)
    trials, _, K = leaf_pipe.shape
    leaf_total = leaf_pipe + leaf_new
    B = np.empty((trials, len(nodes), K))
    pipe_mean = np.empty((len(nodes), K))
    new_mean = np.empty((len(nodes), K))
    child_sum = {}
    pairs = zip(nodes["level"], nodes["name"], strict=True)
    pos = {(lv, nm): i for i, (lv, nm) in enumerate(pairs)}
    levels = [*hierarchy.levels, TOP]
    for j, lev in enumerate(levels):
        idx = np.flatnonzero((nodes["level"] == lev).to_numpy())
        if j == 0:
            leaf = np.array([m[0] for m in (members[i] for i in idx)])
            B[:, idx] = leaf_total[:, leaf]
            pipe_mean[idx] = leaf_pipe[:, leaf].mean(0)
            new_mean[idx] = leaf_new[:, leaf].mean(0)
            continue
        child_idx = np.flatnonzero((nodes["level"] == levels[j - 1]).to_numpy())
        parent_of = np.array([pos[(lev, p)] for p in nodes["parent"].to_numpy()[child_idx]])
        for i in idx:
            kids = child_idx[parent_of == i]
            child_sum[i] = kids
            B[:, i] = B[:, kids].sum(axis=1)  # the group-sum of this level
            pipe_mean[i] = pipe_mean[kids].sum(0)
            new_mean[i] = new_mean[kids].sum(0)
    counts = np.array([open_deals[m].sum() for m in members])
    pct = np.percentile(B, [10, 50, 90], axis=0)  # (3, nodes, K)
    mean = B.mean(axis=0)
    with_total = K > 1
    if with_total:  # over the periods: every node's trials and percentiles at once
        Bt = B.sum(axis=2)  # (trials, nodes)
        pct_t = np.percentile(Bt, [10, 50, 90], axis=0)  # (3, nodes)
    rows = []
    n_level, n_name, n_parent = (nodes[c].tolist() for c in ("level", "name", "parent"))
    for i in range(len(nodes)):
        kids = child_sum.get(i)
        for k in range(K + with_total):
            if k < K:
                b, p, lab, q = None, pct[:, i, k], labels[k], quota[i]
                m, pm, nm = mean[i, k], pipe_mean[i, k], new_mean[i, k]
                c10 = pct[0, kids, k].sum() if kids is not None else np.nan
                c90 = pct[2, kids, k].sum() if kids is not None else np.nan
            else:
                b = np.ascontiguousarray(Bt[:, i])
                p, lab, q = pct_t[:, i], "total", quota[i] * K
                m, pm, nm = b.mean(), pipe_mean[i].sum(), new_mean[i].sum()
                if kids is not None:
                    c10, c90 = pct_t[0, kids].sum(), pct_t[2, kids].sum()
                else:
                    c10 = c90 = np.nan
            vals = B[:, i, k] if b is None else b
            rows.append(
                {
                    "level": n_level[i],
                    "name": n_name[i],
                    "parent": n_parent[i],
                    "period": lab,
                    "mean": m,
                    "p10": p[0],
                    "p50": p[1],
                    "p90": p[2],
                    "children_p10": c10,
                    "children_p90": c90,
                    "from_pipeline": pm,
                    "from_new_deals": nm,
                    "open_deals": int(counts[i]),
                    "quota": q,
                    "p_quota": float(np.mean(vals >= q)) if np.isfinite(q) else np.nan,
                }
            )
    table = pd.DataFrame(rows)
    if table["quota"].isna().all():
        table = table.drop(columns=["quota", "p_quota"])
    return table, B, nodes
