"""Win and loss from the stage a deal sits in: landmark competing-risk curves per stage.

Where the CRM keeps stage history, a deal's current stage says more than its age (a deal in
contract review wins far more often than one in discovery of the same age). For each deal and
each open stage it entered there is a *spell*: from entering the stage until it moved on, closed
(won or lost) or the fit date came (still in the stage: censored).

An open deal that has sat ``a`` days in stage ``s`` is compared with the historical deals that
were in stage ``s`` at ``a`` days in it (their spell lasted at least ``a`` days: a *landmark* at
age-in-stage ``a``), followed from that moment to their eventual outcome whatever stages they
went through, censored at the fit date. On those residual times (days after the landmark) the
won/lost competing-risk curves are the Aalen-Johansen ones of
:mod:`salesworkbench.pipeline.curves`, per stage, with each stage's daily hazards shrunk towards
the all-stage curve at the same landmark by the same Beta prior of ``k`` pseudo-deals. Then

    P(won within [x, y] days from today | in stage s for a days) = F_s,a(y) - F_s,a(x - 1),

nothing from after the fit date is used (a spell still running then is censored there), and a
deal's stage at a cut-off comes from the stage-history rows before it.

Deals without a usable stage (no history row, a stage the model does not know, or an age in the
stage beyond every deal of the history) fall back to the curves from creation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesworkbench.pipeline.curves import MAX_DAYS, _grid_curves, window_probability
from salesworkbench.pipeline.periods import _days

__all__ = ["StageModel", "stage_spells"]


def stage_spells(
    world: pd.DataFrame,
    end_days: np.ndarray,
    code: np.ndarray,
    history: pd.DataFrame,
    as_of,
    open_stages=None,
) -> pd.DataFrame:
    """One row per (deal, stage entry) of the deals in ``world`` (``outcomes_at`` output).

    ``end_days`` are each deal's close day (or the fit day, censored) and ``code`` its outcome
    as known at ``as_of`` (0 open, 1 won, 2 lost). Only history rows on or before ``as_of`` and
    before the deal's close are used; consecutive rows with the same stage are one spell; a row
    in a stage outside ``open_stages`` (if given) ends the spell before it but starts none.

    Returns columns ``opportunity_id, stage, entry`` (day number), ``in_stage`` (days until it
    moved on, closed or ``as_of``), ``to_end`` (days from entry to the close or ``as_of``),
    ``code`` and ``unit`` (the deal's row in ``world``).
    """
    a = pd.Timestamp(as_of)
    h = history[(history["changed"] <= a).to_numpy()]
    pos = pd.Series(np.arange(len(world)), index=world["opportunity_id"].to_numpy())
    pos = pos[~pos.index.duplicated()]
    h = h[h["opportunity_id"].isin(pos.index)]
    cols = ["opportunity_id", "stage", "entry", "in_stage", "to_end", "code", "unit"]
    if not len(h):
        return pd.DataFrame(columns=cols)
    unit = pos.reindex(h["opportunity_id"]).to_numpy(np.intp)
    day = np.floor(_days(h["changed"]))
    end = np.asarray(end_days, float)[unit]
    closed = np.asarray(code)[unit] > 0
    keep = ~np.isnan(day) & (~closed | (day < end))
    df = pd.DataFrame(
        {
            "opportunity_id": h["opportunity_id"].to_numpy()[keep],
            "stage": h["stage"].astype(object).to_numpy()[keep],
            "entry": day[keep],
            "unit": unit[keep],
        }
    ).sort_values(["unit", "entry"], kind="stable")
    u = df["unit"].to_numpy()
    st = df["stage"].to_numpy()
    same = np.r_[False, (u[1:] == u[:-1]) & (st[1:] == st[:-1])]
    df = df[~same]
    u = df["unit"].to_numpy()
    nxt = np.r_[df["entry"].to_numpy()[1:], np.nan]
    last = np.r_[u[1:] != u[:-1], True]
    e = np.asarray(end_days, float)[u]
    leave = np.where(last, e, np.minimum(nxt, e))
    df["in_stage"] = np.maximum(leave - df["entry"].to_numpy(), 0.0)
    df["to_end"] = np.maximum(e - df["entry"].to_numpy(), 0.0)
    df["code"] = np.asarray(code, np.intp)[u]
    df = df[pd.notna(df["stage"])]
    if open_stages is not None and len(open_stages):
        df = df[df["stage"].isin(set(open_stages))]
    return df[cols].reset_index(drop=True)


@dataclass
class StageModel:
    """Landmark competing-risk curves per stage (see the module text).

    Attributes
    ----------
    stages : Index
        Stage names; curve row ``g + 1`` is stage ``g``, row 0 all stages pooled.
    spells : DataFrame
        :func:`stage_spells` output the curves are computed from.
    current : DataFrame
        Per deal open at the fit date: its stage and the day it entered it (``stage, entry``),
        indexed by ``opportunity_id``.
    prior_strength : float
        ``k``, pseudo-deals per day of the shrinkage towards the all-stage curve.
    """

    stages: pd.Index
    spells: pd.DataFrame = field(repr=False)
    current: pd.DataFrame = field(repr=False)
    prior_strength: float = 10.0
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def fit(cls, world, end_days, code, history, as_of, prior_strength=10.0, open_stages=None):
        """Spells from ``world`` (``outcomes_at``) and the stage history, as known at ``as_of``."""
        sp = stage_spells(world, end_days, code, history, as_of, open_stages)
        if not len(sp):
            return None
        stages = pd.Index(sorted(sp["stage"].unique(), key=str))
        sp["row"] = stages.get_indexer(sp["stage"]) + 1
        run = sp[sp["code"].to_numpy() == 0]
        run = run[run["in_stage"].to_numpy() >= run["to_end"].to_numpy()]  # the running spell
        cur = run.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")
        return cls(stages, sp, cur[["stage", "entry"]], float(prior_strength))

    def curves_at(self, age: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Landmark curves at ``age`` days in the stage: ``F, S`` (G + 1, T), deals at risk.

        The deals at risk per row are the spells in each stage that lasted ``age`` days or more.
        """
        if age not in self._cache:
            sp = self.spells
            sel = sp["in_stage"].to_numpy() >= age
            r = np.clip(np.floor(sp["to_end"].to_numpy()[sel] - age), 0, MAX_DAYS).astype(np.intp)
            c = sp["code"].to_numpy()[sel]
            row = sp["row"].to_numpy()[sel]
            G = len(self.stages)
            T = int(r.max()) + 2 if r.size else 2
            F, S = _grid_curves(r, c, row, G, T, self.prior_strength, np.ones((1, r.size)))
            n = np.bincount(row, minlength=G + 1).astype(float)
            n[0] = r.size
            self._cache[age] = (F[0], S[0], n)
        return self._cache[age]

    def place(self, deals: pd.DataFrame, as_of) -> tuple[np.ndarray, np.ndarray]:
        """Curve row (0: no usable stage) and age in the stage (days) of each open deal."""
        today = float(np.floor(_days(pd.Series([pd.Timestamp(as_of)]))[0]))
        ids = deals["opportunity_id"]
        st = ids.map(self.current["stage"]).to_numpy(object)
        entry = ids.map(self.current["entry"]).to_numpy(float)
        if "stage" in deals.columns:  # the stage the table says must be the one entered
            now = deals["stage"].astype(object).to_numpy()
            st = np.where(pd.isna(now) | (now == st), st, None)
        rows = self.stages.get_indexer(pd.Index(pd.Series(st, dtype=object))) + 1
        ok = (rows > 0) & ~np.isnan(entry)
        age = np.where(ok, np.maximum(today - np.where(ok, entry, today), 0.0), 0.0)
        return np.where(ok, rows, 0).astype(np.intp), age

    def probabilities(self, deals, as_of, starts, ends, *, scale: float = 1.0):
        """P(won within [starts_k, ends_k]) per deal and period, and which deals it covers.

        Returns ``q`` (n, K) and a boolean mask of the deals with a usable stage (the others'
        rows are 0: use the curves from creation for them).
        """
        rows, age = self.place(deals, as_of)
        today = float(np.floor(_days(pd.Series([pd.Timestamp(as_of)]))[0]))
        lo = np.maximum(np.asarray(starts, float), today) - today
        hi = np.asarray(ends, float) - today
        n, K = len(deals), lo.size
        q = np.zeros((n, K))
        ok = rows > 0
        land = np.ceil(age / scale).astype(np.intp)
        for a in np.unique(land[ok]):
            idx = np.flatnonzero(ok & (land == a))
            F, S, at_risk = self.curves_at(int(a))
            if at_risk[0] == 0:  # older in the stage than any deal of the history
                ok[idx] = False
                continue
            m = idx.size
            q[idx] = window_probability(
                F, S, rows[idx], np.zeros(m), np.tile(lo, (m, 1)), np.tile(hi, (m, 1)), scale
            )
        return q, ok

    def eventual(self, deals, as_of, *, scale: float = 1.0):
        """P(won at any time | in its stage for its age) per deal, and the covered mask."""
        big = float(MAX_DAYS * 10)
        a = pd.Timestamp(as_of)
        d = float(np.floor(_days(pd.Series([a]))[0]))
        q, ok = self.probabilities(deals, a, [d], [d + big], scale=scale)
        return q[:, 0], ok
