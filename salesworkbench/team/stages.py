"""Stages reached by closed deals, stage-to-stage conversion counts and the funnel.

Built from the stage history: a closed deal *reached* a stage when the history shows it there
by the analysis date (or in a later stage: CRMs let reps skip stages). The rep measures and
the stars comparison both read the funnel through these helpers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError

__all__: list[str] = []  # helpers of the team package (private)


def _stages_reached(
    history: pd.DataFrame,
    deal_ids: np.ndarray,
    open_stages: set[str],
    stage_order: Sequence[str] | None,
    as_of: pd.Timestamp,
) -> tuple[pd.DataFrame, list[str]]:
    """Boolean table deal x open stage: whether the deal reached the stage by ``as_of``.

    Deals without any history row get NaN (unknown). A deal that reached a later stage of
    ``stage_order`` counts as having reached the earlier ones (CRMs let reps skip stages).
    """
    need = [c for c in ("opportunity_id", "changed", "stage") if c not in history.columns]
    if need:
        raise DataError(f"stage history lacks column(s) {', '.join(need)}", file="stage history")
    h = history[(history["changed"] <= as_of) & history["opportunity_id"].isin(deal_ids)]
    stages = set(open_stages) | set(stage_order or [])
    pairs = h.loc[h["stage"].isin(stages), ["opportunity_id", "stage"]].drop_duplicates()
    if stage_order is None:
        counts = pairs.groupby("stage")["opportunity_id"].nunique()
        order = list(counts.sort_values(ascending=False, kind="stable").index)
    else:
        order = list(stage_order)
    index = pd.Index(deal_ids, name="opportunity_id")
    row = index.get_indexer(pairs["opportunity_id"])
    col = pd.Index(order).get_indexer(pairs["stage"])
    ok = (row >= 0) & (col >= 0)
    tab = np.zeros((len(index), len(order)))
    tab[row[ok], col[ok]] = 1.0
    # reaching a later stage implies the earlier ones
    tab = np.maximum.accumulate(tab[:, ::-1], axis=1)[:, ::-1]
    has = index.isin(h["opportunity_id"].unique())
    tab[~has] = np.nan
    return pd.DataFrame(tab, index=index, columns=order), order


def _infer_stage_order(history: pd.DataFrame, open_stages: set[str]) -> list[str]:
    """Open stages ordered by how many deals reached them (a funnel narrows)."""
    if "stage" not in history.columns or "opportunity_id" not in history.columns:
        raise DataError("stage history lacks column(s) opportunity_id, stage", file="stage history")
    h = history[history["stage"].isin(open_stages)]
    counts = h.groupby(h["stage"].astype(object))["opportunity_id"].nunique()
    return list(counts.sort_values(ascending=False, kind="stable").index)


def _transitions(order: list[str]) -> list[tuple[str, str]]:
    return [*zip(order[:-1], order[1:], strict=True), (order[-1], "Won")] if order else []


def _conversion_counts(deals: pd.DataFrame, key: str, order: list[str]) -> pd.DataFrame:
    """Per key and transition: deals that reached the first stage and how many went on."""
    rows = []
    for a, b in _transitions(order):
        ra = deals[f"reached_{a}"]
        rb = deals["won"].astype(float) if b == "Won" else deals[f"reached_{b}"]
        sel = ra == 1.0
        d = pd.DataFrame({key: deals.loc[sel, key], "x": rb[sel]})
        g = d.groupby(key, sort=True)["x"].agg(["sum", "count"])
        g["transition"] = f"{a}>{b}"
        rows.append(g.reset_index())
    if not rows:
        return pd.DataFrame(columns=[key, "transition", "sum", "count"])
    return pd.concat(rows, ignore_index=True).rename(columns={"sum": "hits", "count": "n"})


def _funnel(deals: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Closed deals reaching each stage and won, with the share of the start and conversion."""
    d = deals[deals[f"reached_{order[0]}"].notna()]
    counts = [len(d)] + [int((d[f"reached_{s}"] == 1).sum()) for s in order] + [int(d["won"].sum())]
    steps = ["closed deals", *order, "Won"]
    out = pd.DataFrame({"deals": counts}, index=pd.Index(steps, name="step"))
    base = max(counts[0], 1)
    out["share"] = out["deals"] / base
    prev = np.r_[np.nan, out["deals"].to_numpy(float)[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["conversion"] = out["deals"].to_numpy(float) / prev
    return out
