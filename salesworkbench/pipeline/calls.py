"""Submitted forecast calls (commit, best case) per rep and manager, scored against the model.

A call is what a person tells their manager the period will bring: **commit** (what they stake
their name on) and **best case** (what could come in). Calls come from a CRM forecast export
(:func:`read_calls`) or are derived from the opportunities' forecast category
(:func:`calls_from_categories`: Commit, Best Case, Pipeline, Omitted, as Salesforce and
HubSpot export them). As in Salesforce forecasts, a call includes what is already booked in the
period: ``commit = booked + open commit deals closing in the period``, ``best_case = commit +
open best-case deals``; a manager's call derived from categories is the sum of their reps'.
Managers may adjust a call (:func:`adjust_call`): the adjusted row is kept beside the
submitted one with its note and author, so the adjustment's effect can be scored.

- :func:`score_calls`: where each call falls in the model's distribution of the node's
  bookings (``percentile`` = share of trials with bookings at or below the call) and
  ``p_reach`` = P(bookings >= call), from the same trials as the roll-up;
- :func:`call_calibration`: over past periods, how often each person's commit was met and
  their bias, submitted and adjusted calls side by side.

Calls are stored as dated snapshots in the snapshot store
(:meth:`salesworkbench.snapshots.SnapshotStore.save_calls`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError
from salesworkbench.pipeline.rollup import TOP, UNASSIGNED, Hierarchy

__all__ = [
    "CALL_COLUMNS",
    "actuals_by_node",
    "adjust_call",
    "call_calibration",
    "calls_from_categories",
    "category_by_stage",
    "effective_calls",
    "read_calls",
    "score_calls",
]

#: Columns of a calls table.
CALL_COLUMNS = [
    "as_of",
    "period",
    "level",
    "name",
    "parent",
    "commit",
    "best_case",
    "booked",
    "kind",
    "note",
    "by",
]
_CATS = ("commit", "best_case", "pipeline", "omitted")


def _cat(s: pd.Series) -> pd.Series:
    return (
        s.astype(object)
        .where(s.notna(), None)
        .map(lambda x: str(x).strip().lower().replace(" ", "_").replace("-", "_") if x else None)
    )


def _hierarchy(h) -> Hierarchy | None:
    if h is None or isinstance(h, Hierarchy):
        return h
    return Hierarchy.from_table(h)


def category_by_stage(opportunities: pd.DataFrame) -> dict[str, str]:
    """Each open stage's forecast category: the one holding most of its open amount.

    The CRM's stage-to-category mapping (Salesforce sets a default category per stage),
    read from today's open deals; used to date the categories of a past pipeline, whose
    stages are known from the stage history but whose categories are not.
    """
    if "forecast_category" not in opportunities.columns:
        return {}
    o = opportunities[(opportunities["status"].astype(object) == "open").to_numpy()]
    cat = _cat(o["forecast_category"])
    ok = cat.isin(_CATS).to_numpy() & o["stage"].notna().to_numpy()
    if not ok.any():
        return {}
    t = pd.DataFrame(
        {"stage": o["stage"].astype(str)[ok], "cat": cat[ok], "amt": o["amount"].fillna(0)[ok]}
    )
    tot = t.groupby(["stage", "cat"])["amt"].sum().reset_index()
    rank = {c: i for i, c in enumerate(_CATS)}
    tot["r"] = tot["cat"].map(rank)
    tot = tot.sort_values(["stage", "amt", "r"], ascending=[True, False, True])
    return dict(tot.groupby("stage")["cat"].first())


def _node_sums(values: np.ndarray, codes: np.ndarray, hier: Hierarchy | None, owners):
    """Per node (level, name, parent) the sum of ``values`` (n, m) by owner code."""
    if hier is None:
        names = sorted({str(x) for x in owners if x is not None and not pd.isna(x)})
        hier = Hierarchy.from_table(pd.DataFrame({"owner": names}))
        codes = hier.leaf_codes(pd.Series(owners))
    leaf = np.zeros((hier.n_leaves + 1, values.shape[1]))
    np.add.at(leaf, codes, values)
    nodes, members, _ = hier.with_unassigned()
    has_un = bool(np.any(codes == hier.n_leaves))
    out = []
    for (lev, name, parent), m in zip(nodes.itertuples(index=False), members, strict=True):
        if name == UNASSIGNED and not has_un and lev != TOP:
            continue
        out.append((lev, name, parent, *leaf[m].sum(0)))
    return out, hier


def calls_from_categories(
    opportunities: pd.DataFrame,
    period,
    as_of,
    hierarchy: pd.DataFrame | Hierarchy | None = None,
    *,
    stage_history: pd.DataFrame | None = None,
    stage_categories: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Commit and best-case calls per rep and per node above, from forecast categories.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities with ``forecast_category``.
    period : period-like
        The period called.
    as_of : date
        When the call is made (the start of that day). If the table runs past it, the
        pipeline is rebuilt as it stood (:func:`~salesworkbench.pipeline.pipeline_at`) and
        each deal's category taken from its stage then (``stage_categories``, default
        :func:`category_by_stage`); otherwise today's categories are used.
    hierarchy : DataFrame or Hierarchy, optional
        As in :func:`~salesworkbench.pipeline.forecast`; without it, per owner and total.
    stage_history : DataFrame, optional
        Needed to know past stages (without it a rebuilt pipeline has no stages: calls are
        then what was booked).
    stage_categories : mapping, optional
        Stage -> forecast category for rebuilt pipelines.

    Returns
    -------
    DataFrame
        :data:`CALL_COLUMNS`, one row per node (``kind`` "submitted").
    """
    from salesworkbench.pipeline.as_stood import as_stood, runs_past

    per = pd.Period(period)
    start, end = per.start_time.normalize(), per.end_time.normalize()
    c = pd.Timestamp(as_of).normalize()
    o = opportunities
    if "forecast_category" not in o.columns and stage_categories is None:
        raise DataError(
            "calls from categories need a 'forecast_category' column (Commit, Best Case, "
            "Pipeline, Omitted)",
            column="forecast_category",
        )
    st = o["status"].astype(object).to_numpy()
    won = (st == "won") & (o["close_date"] >= start).to_numpy() & (o["close_date"] < c).to_numpy()
    won &= (o["close_date"] <= end).to_numpy()
    if runs_past(o, c):
        mapping = dict(stage_categories or category_by_stage(o))
        _, pipe = as_stood(o, c, stage_history)
        cat = pipe["stage"].astype(object).map(lambda s: mapping.get(str(s)) if s else None)
    else:
        pipe = o[(st == "open")]
        cat = _cat(pipe["forecast_category"])
    inp = ((pipe["close_date"] >= start) & (pipe["close_date"] <= end)).to_numpy()
    amt = pipe["amount"].fillna(0).to_numpy(float)
    commit = amt * (inp & (cat == "commit").to_numpy())
    best = amt * (inp & (cat == "best_case").to_numpy())
    bk = o["amount"].fillna(0).to_numpy(float) * won
    hier = _hierarchy(hierarchy)
    owners = pd.concat([o["owner"], pipe["owner"]], ignore_index=True).astype(object)
    vals = np.zeros((len(owners), 3))
    vals[: len(o), 0] = bk
    vals[len(o) :, 1] = commit
    vals[len(o) :, 2] = best
    codes = hier.leaf_codes(owners) if hier is not None else None
    rows, _ = _node_sums(vals, codes, hier, owners.to_numpy())
    out = pd.DataFrame(rows, columns=["level", "name", "parent", "booked", "commit", "best"])
    out["commit"] = out["booked"] + out["commit"]
    out["best_case"] = out["commit"] + out.pop("best")
    out["as_of"], out["period"] = c, str(per)
    out["kind"], out["note"], out["by"] = "submitted", "", ""
    return out[CALL_COLUMNS]


def read_calls(source, *, as_of=None) -> pd.DataFrame:
    """Read a CRM forecast export of calls (CSV path or DataFrame) into a calls table.

    Needs columns ``period``, ``name`` and ``commit``; optional ``level`` (default ``rep``),
    ``best_case`` (default = commit), ``booked``, ``as_of`` (or the argument), ``parent``,
    ``note``, ``by``, ``kind`` (``submitted`` or ``adjusted``).

    Raises
    ------
    DataError
        A missing column, a blank name, or a call that is negative or not a number (the
        message names the column and rows).
    """
    src = str(source) if not isinstance(source, pd.DataFrame) else "calls"
    f = pd.read_csv(source) if not isinstance(source, pd.DataFrame) else source.copy()
    f.columns = [str(x).strip().lower().replace(" ", "_") for x in f.columns]
    for col in ("period", "name", "commit"):
        if col not in f.columns:
            raise DataError(f"calls: no {col!r} column", file=src, column=col)
    if "as_of" not in f.columns:
        if as_of is None:
            raise DataError("calls: no 'as_of' column; pass as_of=", file=src, column="as_of")
        f["as_of"] = as_of
    f["as_of"] = pd.to_datetime(f["as_of"]).dt.normalize()
    blank = f["name"].isna() | (f["name"].astype(str).str.strip() == "")
    if blank.any():
        raise DataError(
            "calls: blank name", file=src, column="name", rows=(np.flatnonzero(blank) + 2).tolist()
        )
    for col in ("commit", "best_case", "booked"):
        if col not in f.columns:
            f[col] = f["commit"] if col == "best_case" else np.nan
        v = pd.to_numeric(f[col], errors="coerce")
        bad = (v.isna() & f[col].notna()) | (v < 0) | np.isinf(v)
        if bad.any():
            raise DataError(
                f"calls: {col} must be a non-negative number",
                file=src,
                column=col,
                rows=(np.flatnonzero(bad.to_numpy()) + 2).tolist(),
            )
        f[col] = v.astype(float)
    f["period"] = f["period"].astype(str).map(lambda p: str(pd.Period(p)))
    defaults = {"level": "rep", "parent": None, "kind": "submitted", "note": "", "by": ""}
    for col, d in defaults.items():
        if col not in f.columns:
            f[col] = d
    f["name"] = f["name"].astype(str).str.strip()
    return f[CALL_COLUMNS].reset_index(drop=True)


def adjust_call(
    calls: pd.DataFrame,
    name: str,
    period,
    *,
    commit: float | None = None,
    best_case: float | None = None,
    note: str,
    by: str = "",
    level: str | None = None,
) -> pd.DataFrame:
    """A manager's adjustment of one call: a new ``adjusted`` row, the submitted one kept.

    ``note`` is required (why the call was changed). Returns a new calls table.
    """
    if not str(note).strip():
        raise ValueError("adjust_call: give a note saying why the call is adjusted")
    eff = effective_calls(calls)
    sel = (eff["name"] == name) & (eff["period"] == str(pd.Period(period)))
    if level is not None:
        sel &= eff["level"] == level
    if sel.sum() != 1:
        raise KeyError(f"adjust_call: {sel.sum()} calls match {name!r} {period}; give level=")
    row = eff.loc[sel].iloc[[-1]].copy()
    for col, v in (("commit", commit), ("best_case", best_case)):
        if v is not None:
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"adjust_call: {col} must be a non-negative number, got {v!r}")
            row[col] = float(v)
    row["kind"], row["note"], row["by"] = "adjusted", str(note), str(by)
    return pd.concat([calls, row], ignore_index=True)


def effective_calls(calls: pd.DataFrame) -> pd.DataFrame:
    """Each node's call in force: its last adjustment, else what was submitted."""
    key = ["as_of", "period", "level", "name"]
    c = calls.assign(_o=np.arange(len(calls)), _a=(calls["kind"] == "adjusted").astype(int))
    c = c.sort_values(["_a", "_o"], kind="stable").groupby(key, sort=False).tail(1)
    return c.sort_values("_o").drop(columns=["_o", "_a"]).reset_index(drop=True)


def score_calls(calls: pd.DataFrame, result) -> pd.DataFrame:
    """Where each call falls in the model's distribution of its node's bookings.

    Parameters
    ----------
    calls : DataFrame
        A calls table (submitted and adjusted rows are both scored).
    result : ForecastResult
        A forecast with a roll-up (``hierarchy=``) made as of the calls' date; the node's
        bookings in a trial are the call's ``booked`` (0 if blank) plus the simulated rest.

    Returns
    -------
    DataFrame
        The calls with, for ``commit`` and ``best_case``: ``*_percentile`` (share of trials
        with bookings at or below the call) and ``*_p_reach`` (share at or above it), and the
        model's ``mean``, ``p10``, ``p50``, ``p90`` for the node. Calls whose node or period is
        not in the forecast get blanks.
    """
    if result.rollup_nodes is None:
        raise ValueError("score_calls needs a forecast with a roll-up (hierarchy=)")
    labels = [str(p) for p in result.periods]
    nodes = result.rollup_nodes
    pos = {
        (lv, nm): i for i, (lv, nm) in enumerate(zip(nodes["level"], nodes["name"], strict=True))
    }
    out = calls.copy()
    cols = {
        c: np.full(len(out), np.nan)
        for c in (
            "mean",
            "p10",
            "p50",
            "p90",
            "commit_percentile",
            "commit_p_reach",
            "best_case_percentile",
            "best_case_p_reach",
        )
    }
    for r, row in enumerate(out.itertuples(index=False)):
        i = pos.get((row.level, row.name))
        if i is None or row.period not in labels:
            continue
        b = result.rollup_bookings[:, i, labels.index(row.period)]
        booked = 0.0 if pd.isna(row.booked) else float(row.booked)
        dist = booked + b
        cols["mean"][r] = dist.mean()
        cols["p10"][r], cols["p50"][r], cols["p90"][r] = np.percentile(dist, [10, 50, 90])
        for what in ("commit", "best_case"):
            v = getattr(row, what)
            if pd.notna(v):
                cols[f"{what}_percentile"][r] = np.mean(dist <= v)
                cols[f"{what}_p_reach"][r] = np.mean(dist >= v)
    for k, v in cols.items():
        out[k] = v
    return out


def actuals_by_node(
    opportunities: pd.DataFrame, periods, hierarchy: pd.DataFrame | Hierarchy | None = None
) -> pd.DataFrame:
    """Won value per node of the hierarchy and period: ``level, name, parent, period, actual``."""
    hier = _hierarchy(hierarchy)
    o = opportunities
    st = o["status"].astype(object).to_numpy()
    per = [pd.Period(p) for p in periods]
    vals = np.zeros((len(o), len(per)))
    amt = o["amount"].fillna(0).to_numpy(float)
    for k, p in enumerate(per):
        inp = (o["close_date"] >= p.start_time) & (o["close_date"] <= p.end_time)
        vals[:, k] = amt * ((st == "won") & inp.to_numpy())
    owners = o["owner"].astype(object)
    codes = hier.leaf_codes(owners) if hier is not None else None
    rows, _ = _node_sums(vals, codes, hier, owners.to_numpy())
    recs = [
        (lev, name, parent, str(p), r[3 + k])
        for r in rows
        for (lev, name, parent) in [r[:3]]
        for k, p in enumerate(per)
    ]
    return pd.DataFrame(recs, columns=["level", "name", "parent", "period", "actual"])


def call_calibration(calls: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Each person's calls over past periods: how often the commit was met, and the bias.

    Parameters
    ----------
    calls : DataFrame
        Calls of past periods (one call per node and period is used: the earliest date's,
        i.e. the call made at the start of the period when there are several).
    actuals : DataFrame
        :func:`actuals_by_node` for those periods.

    Returns
    -------
    DataFrame
        One row per ``level, name, kind`` (submitted; adjusted where there are adjustments):
        ``periods``, ``commit_met`` (share of periods with actual >= commit),
        ``best_case_met`` (share with actual >= best case), ``commit_bias`` (sum of
        (commit - actual) over sum of actual: below 0 the person sandbags, above 0 they
        over-call), ``mean_abs_error`` (mean |commit - actual| / actual) and, where the calls
        were scored (:func:`score_calls`), ``mean_commit_percentile``.
    """
    first = (
        calls.sort_values("as_of", kind="stable")
        .groupby(["period", "level", "name", "kind"], as_index=False)
        .head(1)
    )
    m = first.merge(actuals[["level", "name", "period", "actual"]], on=["level", "name", "period"])
    rows = []
    for (lev, name, kind), g in m.groupby(["level", "name", "kind"], sort=False):
        a = g["actual"].to_numpy(float)
        c = g["commit"].to_numpy(float)
        bc = g["best_case"].to_numpy(float)
        pos = a > 0
        row = {
            "level": lev,
            "name": name,
            "kind": kind,
            "periods": len(g),
            "commit_met": float(np.mean(a >= c)),
            "best_case_met": float(np.mean(a >= bc)),
            "commit_bias": float((c - a).sum() / a.sum()) if a.sum() > 0 else np.nan,
            "mean_abs_error": float(np.mean(np.abs(c - a)[pos] / a[pos])) if pos.any() else np.nan,
        }
        if "commit_percentile" in g.columns:
            row["mean_commit_percentile"] = float(g["commit_percentile"].mean())
        rows.append(row)
    return pd.DataFrame(rows)
