"""Alpha/Beta/Delta segmentation: thresholds, bands, segments, priorities and reasons.

:func:`segment` scores the accounts (or takes supplied scores) and applies the sales model's
rules with :func:`classify` (thresholds are parameters):

======================  =====================  ==========
potential band          relationship band      segment
======================  =====================  ==========
high (>= high)          any                    Alpha
moderate_low            high (>= rel. high)    Beta
moderate_low            low                    Delta
little_none (< low)     any                    Delta
insufficient data       any                    Delta
======================  =====================  ==========

An account whose potential cannot be assessed is put in Delta with a reason naming the missing
drivers. Every account gets a priority (1 = first to work) and a one-sentence reason.

Thin data: the fixed thresholds (70/30) were set for a model with several potential drivers.
When the potential score rests on one or two drivers (a plain CRM export with revenue and
employees), scores bunch up and most accounts can land in Alpha; :func:`segment` then says so
in ``attrs["territory_notes"]`` and offers rank-based thresholds instead:
``thresholds="rank"`` puts the top ``top_share`` (default 20%) of the accounts by potential in
the high band and the bottom ``low_share`` (default 30%) in little-to-none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError
from salesworkbench.territory.checks import check_account_ids, score_column
from salesworkbench.territory.drivers import ScoreModel
from salesworkbench.territory.scoring import PreparedDrivers, prepare

__all__ = ["SEGMENTS", "THIN_DRIVERS", "classify", "rank_thresholds", "segment"]

#: At most this many potential drivers with data counts as thin data (see the module notes).
THIN_DRIVERS = 2

SEGMENTS = ("Alpha", "Beta", "Delta")
"""Segment names, in priority order (the categorical order of the ``segment`` column)."""

#: Potential bands, in the order of their integer codes.
POTENTIAL_BANDS = ("high", "moderate_low", "little_none", "insufficient_data")
#: Relationship bands (no relationship data counts as ``low``).
RELATIONSHIP_BANDS = ("high", "low")


def _check_thresholds(potential_high, potential_low, relationship_high) -> tuple[float, ...]:
    vals = {
        "potential_high": potential_high,
        "potential_low": potential_low,
        "relationship_high": relationship_high,
    }
    for name, v in vals.items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number from 0 to 100, got {v!r}") from None
        if not 0 <= f <= 100:
            raise ValueError(f"{name} must be from 0 to 100, got {v!r}")
    if float(potential_low) > float(potential_high):
        raise ValueError(
            f"thresholds out of order: potential_low ({potential_low}) is above "
            f"potential_high ({potential_high}); need potential_low <= potential_high"
        )
    return float(potential_high), float(potential_low), float(relationship_high)


_REASON_FIXED = {
    # (segment, potential band, relationship band or "unknown")
    ("Alpha", "high", "high"): "Alpha: high potential (>= {ph:g}) and a strong relationship "
    "(>= {rh:g}); protect and grow",
    ("Alpha", "high", "low"): "Alpha: high potential (>= {ph:g}) but a weak relationship "
    "(< {rh:g}); build the relationship first",
    ("Alpha", "high", "unknown"): "Alpha: high potential (>= {ph:g}); relationship unknown "
    "(no relationship data)",
    ("Beta", "moderate_low", "high"): "Beta: moderate-to-low potential ({pl:g} to {ph:g}) and "
    "a strong relationship (>= {rh:g})",
    ("Delta", "moderate_low", "low"): "Delta: moderate-to-low potential ({pl:g} to {ph:g}) and "
    "a weak relationship (< {rh:g})",
    ("Delta", "moderate_low", "unknown"): "Delta: moderate-to-low potential ({pl:g} to {ph:g})"
    " and relationship unknown (no relationship data)",
    ("Delta", "little_none", "high"): "Delta: little or no potential (< {pl:g}) despite a "
    "strong relationship",
    ("Delta", "little_none", "low"): "Delta: little or no potential (< {pl:g})",
    ("Delta", "little_none", "unknown"): "Delta: little or no potential (< {pl:g})",
}


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _priority_order(seg, k1, k2, ids) -> np.ndarray:
    """Positions sorted by (segment, k1, k2), ties broken by account id (deterministic)."""
    order = np.lexsort((k2, k1, seg))
    if len(order) < 2:
        return order
    s_, a_, b_ = seg[order], k1[order], k2[order]
    same = (s_[1:] == s_[:-1]) & (a_[1:] == a_[:-1]) & (b_[1:] == b_[:-1])
    if not same.any():
        return order
    run = np.concatenate([[0], np.cumsum(~same)])
    tied = np.zeros(len(order), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    pos = np.flatnonzero(tied)
    sub = pd.DataFrame({"run": run[pos], "id": ids[order[pos]], "at": order[pos]})
    order[pos] = sub.sort_values(["run", "id"], kind="stable")["at"].to_numpy()
    return order


def classify(
    scores: pd.DataFrame,
    potential_high: float = 70,
    potential_low: float = 30,
    relationship_high: float = 50,
    *,
    missing_names=None,
) -> pd.DataFrame:
    """Apply the Alpha/Beta/Delta rules to scores (no scoring, no data checks).

    Parameters
    ----------
    scores : DataFrame
        ``account_id, potential, relationship`` and optionally ``insufficient_data``,
        ``missing_potential`` and ``potential_coverage`` (as from
        :func:`~salesworkbench.territory.score`).
    potential_high, potential_low, relationship_high : float
        Thresholds on the 0-100 scales (see :func:`segment`).
    missing_names : callable, optional
        Bit mask -> driver titles, for the reasons of insufficient-data accounts.

    Returns
    -------
    DataFrame
        ``scores`` plus ``potential_band, relationship_band, segment, priority, reason``.
    """
    ph, pl, rh = _check_thresholds(potential_high, potential_low, relationship_high)
    p = scores["potential"].to_numpy(dtype="float64", na_value=np.nan)
    r = scores["relationship"].to_numpy(dtype="float64", na_value=np.nan)
    if "insufficient_data" in scores:
        insufficient = scores["insufficient_data"].to_numpy(dtype=bool) | np.isnan(p)
    else:
        insufficient = np.isnan(p)
    n = len(p)
    # potential band codes follow POTENTIAL_BANDS
    pband = np.where(p >= ph, 0, np.where(p < pl, 2, 1))
    pband[insufficient] = 3
    rknown = ~np.isnan(r)
    rband = np.where(r >= rh, 0, 1)  # high / low; unknown relationship counts as low
    seg = np.full(n, 2, dtype=np.int8)  # Delta
    seg[pband == 0] = 0
    seg[(pband == 1) & (rband == 0)] = 1
    # priority: Alpha by relationship (highest first), then potential; Beta by potential then
    # relationship; Delta by potential (unknown last) then relationship; ties by account_id.
    neg_r = np.where(rknown, -r, np.inf)
    neg_p = np.where(insufficient, np.inf, -p)
    k1 = np.where(seg == 0, neg_r, neg_p)
    k2 = np.where(seg == 0, neg_p, neg_r)
    order = _priority_order(seg, k1, k2, scores["account_id"].to_numpy())
    priority = np.empty(n, dtype=np.int64)
    priority[order] = np.arange(1, n + 1)

    # reasons: one sentence per combination, mapped with integer codes (fast on big tables)
    rcode = np.where(rknown, rband, 2)
    texts: list[str] = []
    lookup: dict[tuple, int] = {}
    reason_code = np.empty(n, dtype=np.int64)
    fmt = {"ph": ph, "pl": pl, "rh": rh}
    rname = ("high", "low", "unknown")
    sname = SEGMENTS
    for s_i, pb_i, rc_i in {
        (0, 0, 0),
        (0, 0, 1),
        (0, 0, 2),
        (1, 1, 0),
        (2, 1, 1),
        (2, 1, 2),
        (2, 2, 0),
        (2, 2, 1),
        (2, 2, 2),
    }:
        m = (seg == s_i) & (pband == pb_i) & (rcode == rc_i)
        if m.any():
            key = (sname[s_i], POTENTIAL_BANDS[pb_i], rname[rc_i])
            lookup[key] = len(texts)
            texts.append(_REASON_FIXED[key].format(**fmt))
            reason_code[m] = lookup[key]
    if insufficient.any():
        masks = (
            scores["missing_potential"].to_numpy()
            if "missing_potential" in scores
            else np.zeros(n, dtype=np.int64)
        )
        ins_idx = np.flatnonzero(insufficient)
        for mask in np.unique(masks[ins_idx]):
            m_idx = ins_idx[masks[ins_idx] == mask]
            names = missing_names(int(mask)) if missing_names is not None and mask else []
            if names:
                text = f"Delta: {_join(names)} missing, potential cannot be assessed"
            else:
                text = "Delta: potential not available, cannot be assessed"
            reason_code[m_idx] = len(texts)
            texts.append(text)

    out = scores.copy()
    out["potential_band"] = pd.Categorical.from_codes(pband, categories=list(POTENTIAL_BANDS))
    out["relationship_band"] = pd.Categorical.from_codes(rband, categories=list(RELATIONSHIP_BANDS))
    out["segment"] = pd.Categorical.from_codes(seg, categories=list(SEGMENTS), ordered=True)
    out["priority"] = priority
    out["reason"] = pd.array(
        np.asarray(texts, dtype=object)[reason_code] if texts else np.empty(0, dtype=object),
        dtype="str",
    )
    out["insufficient_data"] = insufficient
    return out


def rank_thresholds(
    potential: pd.Series | np.ndarray, top_share: float = 0.2, low_share: float = 0.3
) -> tuple[float, float]:
    """Potential thresholds from ranks: the top ``top_share`` high, the bottom ``low_share`` low.

    Parameters
    ----------
    potential : array-like
        Potential scores (0-100); missing ones are ignored.
    top_share : float, default 0.2
        Share of the assessable accounts in the high band (accounts tied at the cut all go in,
        so it can be a little more).
    low_share : float, default 0.3
        Share in the little-to-none band.

    Returns
    -------
    (potential_high, potential_low) : tuple of float
        The smallest score of the top ``top_share`` and the smallest score above the bottom
        ``low_share`` (by the "higher" and "lower" order statistics, so the bands hold whole
        accounts).

    Examples
    --------
    >>> rank_thresholds([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    (90.0, 40.0)
    """
    for name, share in (("top_share", top_share), ("low_share", low_share)):
        if not 0 < share < 1:
            raise ValueError(f"{name} must be between 0 and 1 (exclusive), got {share!r}")
    if top_share + low_share > 1:
        raise ValueError(f"top_share + low_share must be at most 1, got {top_share} + {low_share}")
    p = np.asarray(potential, dtype="float64")
    p = p[np.isfinite(p)]
    if not len(p):
        raise DataError("no account has a potential score: rank thresholds need some")
    p = np.sort(p)
    n = len(p)
    high = float(p[n - max(int(np.floor(top_share * n)), 1)])
    low = float(p[min(int(np.floor(low_share * n)), n - 1)])
    return high, min(low, high)


def _thin_note(prep: PreparedDrivers, ph: float, pl: float) -> str | None:
    """The note for a potential score built on one or two drivers, else None."""
    used = [d for d in prep.drivers["potential"] if d.name not in prep.dropped]
    values = prep.values["potential"]
    with_data = [
        d.label or d.name
        for j, d in enumerate(used)
        if j < values.shape[1] and np.isfinite(values[:, j]).any()
    ]
    if len(with_data) > THIN_DRIVERS:
        return None
    which = _join(with_data) if with_data else "no driver"
    return (
        f"Potential rests on only {len(with_data)} driver(s) ({which}): the fixed thresholds "
        f"({ph:g}/{pl:g}) were set for a fuller model, so scores bunch up. Add drivers (growth, "
        "white space, sector fit) or rank the accounts instead: thresholds='rank' puts the top "
        "20% by potential in the high band."
    )


def segment(
    accounts: pd.DataFrame,
    potential_high: float = 70,
    potential_low: float = 30,
    relationship_high: float = 50,
    *,
    model: ScoreModel | None = None,
    potential_weights: Mapping[str, float] | None = None,
    relationship_weights: Mapping[str, float] | None = None,
    scores: Literal["auto", "supplied", "compute"] = "auto",
    source: str | None = None,
    prepared: PreparedDrivers | None = None,
    thresholds: Literal["fixed", "rank"] = "fixed",
    top_share: float = 0.2,
    low_share: float = 0.3,
) -> pd.DataFrame:
    """Score accounts and segment them into Alpha, Beta and Delta.

    Potential bands: ``high`` (potential >= ``potential_high``), ``moderate_low``
    (``potential_low`` <= potential < ``potential_high``), ``little_none``
    (< ``potential_low``) and ``insufficient_data``. Relationship bands: ``high``
    (relationship >= ``relationship_high``) and ``low`` (below, or no relationship data).

    * **Alpha**: high potential, whatever the relationship; prioritised by relationship.
    * **Beta**: moderate-to-low potential and a high relationship.
    * **Delta**: little or no potential; insufficient data to assess potential; or
      moderate-to-low potential with a low relationship.

    Parameters
    ----------
    accounts : DataFrame
        Canonical accounts table. With ``potential`` and ``relationship`` columns (0-100)
        the scores are taken as given (``scores="auto"`` or ``"supplied"``).
    potential_high, potential_low, relationship_high : float
        Thresholds, 0-100, with ``potential_low <= potential_high``.
    model : ScoreModel, optional
        Score drivers (:data:`~salesworkbench.territory.DEFAULT_MODEL`).
    potential_weights, relationship_weights : mapping, optional
        Weights overriding the model's, by driver name.
    scores : {"auto", "supplied", "compute"}
        Use supplied ``potential``/``relationship`` columns (``"supplied"``), compute the
        scores (``"compute"``), or (``"auto"``) use supplied ones when both columns exist and
        no ``model``, weights or ``prepared`` drivers are given (so re-segmenting a segmented
        table with new thresholds keeps its scores, and with new weights re-scores it).
    source : str, optional
        Table name for error messages.
    prepared : PreparedDrivers, optional
        The result of :func:`~salesworkbench.territory.prepare` on these same accounts, to skip the
        checks and transforms (interactive apps re-segment with new weights or thresholds this way).
    thresholds : {"fixed", "rank"}, default "fixed"
        ``"fixed"`` uses ``potential_high`` and ``potential_low`` as given; ``"rank"`` replaces
        them with :func:`rank_thresholds` of the scores (the top ``top_share`` high, the bottom
        ``low_share`` little-to-none): for thin data, where the fixed ones put most accounts in
        Alpha.
    top_share, low_share : float, default 0.2 and 0.3
        For ``thresholds="rank"``.

    Returns
    -------
    DataFrame
        The accounts (same order, same index) with ``potential, relationship,
        insufficient_data, potential_band, relationship_band, segment`` (ordered categorical
        Alpha < Beta < Delta), ``priority`` (1 = first account to work: Alpha by relationship,
        then Beta, then Delta) and ``reason`` (a short sentence), plus
        ``potential_coverage`` and ``relationship_coverage`` when scores are computed.
        ``attrs["territory"]`` records the thresholds used (rank-based ones as computed) and
        ``attrs["territory_notes"]`` what the user should know: e.g. that the potential score
        rests on only one or two drivers (thin data), with the rank-based alternative.

    Raises
    ------
    ValueError
        A threshold outside 0-100 or ``potential_low > potential_high`` (names the parameter).
    DataError
        Bad accounts table (see :func:`~salesworkbench.territory.prepare`); supplied scores
        outside 0-100 (names the accounts).
    """
    ph, pl, rh = _check_thresholds(potential_high, potential_low, relationship_high)
    if thresholds not in ("fixed", "rank"):
        raise ValueError(f"thresholds must be 'fixed' or 'rank', got {thresholds!r}")
    notes: list[str] = []
    source = source or "accounts table"
    if scores not in ("auto", "supplied", "compute"):
        raise ValueError(f"scores must be 'auto', 'supplied' or 'compute', got {scores!r}")
    have = {"potential", "relationship"} <= set(accounts.columns)
    scoring_asked = (
        model is not None
        or potential_weights is not None
        or relationship_weights is not None
        or prepared is not None
    )
    use_supplied = scores == "supplied" or (scores == "auto" and have and not scoring_asked)
    missing_names = None
    if use_supplied:
        check_account_ids(accounts, source)
        miss = [c for c in ("potential", "relationship") if c not in accounts.columns]
        if miss:
            raise DataError(
                f"missing required column(s) {', '.join(miss)} for scores='supplied'", file=source
            )
        sc = pd.DataFrame({"account_id": accounts["account_id"].to_numpy()})
        for c in ("potential", "relationship"):
            sc[c] = score_column(accounts, c, source)
        sc["insufficient_data"] = np.isnan(sc["potential"].to_numpy())
        sc["missing_potential"] = sc["insufficient_data"].astype(np.int64)

        def missing_names(mask: int) -> list[str]:
            return ["potential score"] if mask else []
    else:
        prep = prepared if prepared is not None else prepare(accounts, model, source=source)
        if len(prep.account_id) != len(accounts):
            raise ValueError("prepared drivers belong to another accounts table")
        sc = prep.combine(potential_weights, relationship_weights)
        missing_names = prep.missing_names
        thin = _thin_note(prep, ph, pl)
        if thin and thresholds == "fixed":
            notes.append(thin)
    if thresholds == "rank":
        ph, pl = rank_thresholds(sc["potential"], top_share, low_share)
        notes.append(
            f"Rank-based thresholds: potential {ph:.3g} and above is high (the top "
            f"{top_share:.0%} of the accounts), below {pl:.3g} little to none (the bottom "
            f"{low_share:.0%})."
        )
    seg = classify(sc, ph, pl, rh, missing_names=missing_names)
    if len(sc) and np.isnan(sc["relationship"].to_numpy(dtype="float64", na_value=np.nan)).all():
        notes.append(
            "No relationship data: every account counts as a low relationship, so none is Beta."
        )
    base = accounts.drop(
        columns=[c for c in seg.columns if c != "account_id" and c in accounts.columns]
    )
    new_cols = [c for c in seg.columns if c not in ("account_id", "missing_potential")]
    extra = pd.DataFrame(
        {
            c: seg[c].to_numpy()
            if not isinstance(seg[c].dtype, pd.CategoricalDtype)
            else seg[c].array
            for c in new_cols
        },
        index=accounts.index,
    )
    out = pd.concat([base, extra], axis=1)
    out.attrs["territory"] = {"potential_high": ph, "potential_low": pl, "relationship_high": rh}
    out.attrs["territory_notes"] = notes
    return out
