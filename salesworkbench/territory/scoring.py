"""Computing the scores: transforms, prepared drivers, prepare, score and explain.

Each driver of the :class:`~salesworkbench.territory.ScoreModel` is turned into a 0-1 value by
its transform (``minmax``, ``log``, ``rank``, ``cap`` or ``decay``) and a score is the weighted
mean of the drivers that have data, times 100. :func:`prepare` checks the table and transforms
every driver once; :meth:`PreparedDrivers.combine` then weighs them (a matrix product, so an app
re-weights on every slider move). :func:`explain` shows which driver contributed how many points
to an account's score.

Missing data is explicit: an account whose potential cannot be assessed (a required driver is
missing, or less than ``min_coverage`` of the potential weight has data) is flagged
``insufficient_data``; it is never scored as zero or as average.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.territory.checks import check_account_ids, date_column, numeric_column
from salesworkbench.territory.drivers import DEFAULT_MODEL, DERIVED, Driver, ScoreModel

__all__ = ["PreparedDrivers", "explain", "prepare", "score"]


def _minmax(x: np.ndarray, lower: float | None, upper: float | None) -> np.ndarray:
    present = x[~np.isnan(x)]
    lo = lower if lower is not None else (present.min() if present.size else 0.0)
    hi = upper if upper is not None else (present.max() if present.size else 1.0)
    if not hi > lo:
        return np.where(np.isnan(x), np.nan, 0.5)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def _transform(x: np.ndarray, d: Driver) -> np.ndarray:
    """Map raw values to 0-1 (NaN stays NaN)."""
    if d.transform == "minmax":
        t = _minmax(x, d.lower, d.upper)
    elif d.transform == "log":
        lo = None if d.lower is None else np.log1p(max(d.lower, 0.0))
        hi = None if d.upper is None else np.log1p(max(d.upper, 0.0))
        t = _minmax(np.log1p(np.clip(x, 0.0, None)), lo, hi)
    elif d.transform == "rank":
        r = pd.Series(x).rank(method="average").to_numpy()
        n = int((~np.isnan(x)).sum())
        t = (r - 1.0) / (n - 1.0) if n > 1 else np.where(np.isnan(x), np.nan, 0.5)
    elif d.transform == "cap":
        cap = d.cap
        if cap is None:
            present = x[~np.isnan(x)]
            cap = float(np.quantile(present, 0.9)) if present.size else 1.0
        if cap > 0:
            t = np.clip(x, 0.0, cap) / cap
        else:  # every value is 0 (or below): nothing to tell the accounts apart
            t = np.where(np.isnan(x), np.nan, 0.5)
    else:  # decay
        t = 0.5 ** (np.clip(x, 0.0, None) / d.half_life)
    return t if d.higher_is_better else 1.0 - t


@dataclass
class PreparedDrivers:
    """Driver values transformed to 0-1, ready to be combined with any weights.

    Built by :func:`prepare`. Re-weighting (:meth:`combine`) costs one matrix product, so an
    interactive app prepares once and re-weights on every slider move.

    Attributes
    ----------
    account_id : numpy.ndarray
        Account ids, in table order.
    drivers : dict
        ``{"potential": [Driver, ...], "relationship": [...]}`` (only drivers in use).
    values : dict
        ``{"potential": ndarray (n, k), ...}`` transformed values; NaN where data is missing.
    raw : dict
        Same shape, raw values (after ``fill``), for explanations.
    dropped : list of str
        Drivers left out: their column is not in the table, or ``sector_fit`` without a
        sector profile.
    """

    account_id: np.ndarray
    drivers: dict[str, list[Driver]]
    values: dict[str, np.ndarray]
    raw: dict[str, np.ndarray]
    min_coverage: float
    dropped: list[str] = field(default_factory=list)

    def weights(self, part: str, override: Mapping[str, float] | None = None) -> np.ndarray:
        """Weight vector of ``part``, with ``override`` applied (names checked)."""
        drivers = self.drivers[part]
        override = dict(override or {})
        known = {d.name for d in drivers} | set(self.dropped)
        unknown = sorted(set(override) - known)
        if unknown:
            raise ValueError(
                f"{part} weights: unknown driver(s) {', '.join(unknown)}; the {part} drivers "
                f"in use are {', '.join(d.name for d in drivers)}"
            )
        w = np.array([float(override.get(d.name, d.weight)) for d in drivers])
        bad = [
            d.name for d, wi in zip(drivers, w, strict=True) if not (np.isfinite(wi) and wi >= 0)
        ]
        if bad:
            raise ValueError(f"{part} weight of {', '.join(bad)} must be a number >= 0")
        if drivers and w.sum() <= 0:
            raise ValueError(f"{part} weights are all zero; give at least one driver a weight")
        return w

    def combine(
        self,
        potential_weights: Mapping[str, float] | None = None,
        relationship_weights: Mapping[str, float] | None = None,
    ) -> pd.DataFrame:
        """Return the scores for the given weights (defaults: the drivers' own weights).

        Columns: ``account_id, potential, relationship, insufficient_data,
        potential_coverage, relationship_coverage, missing_potential`` (a bit mask over the
        potential drivers that have no data; see :meth:`missing_names`).
        """
        out = {"account_id": self.account_id}
        for part, override in (
            ("potential", potential_weights),
            ("relationship", relationship_weights),
        ):
            score, cover, missing = self._combine(part, override)
            out[part] = score
            out[f"{part}_coverage"] = cover
            if part == "potential":
                req = np.array([d.required for d in self.drivers[part]], dtype=bool)
                miss_req = (missing & _bits(req)) != 0 if req.any() else np.zeros_like(cover, bool)
                insufficient = miss_req | (cover < self.min_coverage) | np.isnan(score)
                out["potential"] = np.where(insufficient, np.nan, score)
                out["insufficient_data"] = insufficient
                out["missing_potential"] = missing
        frame = pd.DataFrame(out)
        return frame[
            [
                "account_id",
                "potential",
                "relationship",
                "insufficient_data",
                "potential_coverage",
                "relationship_coverage",
                "missing_potential",
            ]
        ]

    def _combine(self, part: str, override):
        v = self.values[part]
        n = len(self.account_id)
        if v.shape[1] == 0:
            return np.full(n, np.nan), np.zeros(n), np.zeros(n, dtype=np.int64)
        w = self.weights(part, override)
        present = ~np.isnan(v)
        filled = np.where(present, v, 0.0)
        wsum = present @ w
        with np.errstate(invalid="ignore", divide="ignore"):
            score = 100.0 * (filled @ w) / wsum
        cover = wsum / w.sum()
        score[wsum <= 0] = np.nan
        missing = (~present).astype(np.int64) @ (
            np.int64(1) << np.arange(v.shape[1], dtype=np.int64)
        )
        return score, cover, missing

    def missing_names(self, mask: int) -> list[str]:
        """Titles of the potential drivers flagged in a ``missing_potential`` bit mask."""
        return [d.title for i, d in enumerate(self.drivers["potential"]) if mask >> i & 1]

    def contributions(self, part: str, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
        """Points each driver adds to each account's ``part`` score (rows: accounts)."""
        v = self.values[part]
        w = self.weights(part, weights)
        present = ~np.isnan(v)
        wsum = present @ w
        with np.errstate(invalid="ignore", divide="ignore"):
            pts = 100.0 * np.where(present, v, 0.0) * w / wsum[:, None]
        pts[wsum <= 0] = np.nan
        return pd.DataFrame(
            pts,
            columns=[d.name for d in self.drivers[part]],
            index=pd.Index(self.account_id, name="account_id"),
        )


def _bits(flags: np.ndarray) -> int:
    return int(sum(1 << i for i, f in enumerate(flags) if f))


def prepare(
    accounts: pd.DataFrame,
    model: ScoreModel | None = None,
    *,
    source: str | None = None,
) -> PreparedDrivers:
    """Check the accounts and transform every driver to a 0-1 value.

    Parameters
    ----------
    accounts : DataFrame
        Canonical accounts table (:data:`salesworkbench.schemas.ACCOUNTS`); only
        ``account_id`` and the drivers' columns are read.
    model : ScoreModel, optional
        Drivers, weights and transforms; :data:`~salesworkbench.territory.DEFAULT_MODEL` if omitted.
    source : str, optional
        Name of the table in error messages (e.g. the file name).

    Raises
    ------
    DataError
        ``account_id`` missing, blank or duplicated; a required driver's column missing;
        a driver column with non-numbers, negative sizes or money, or satisfaction outside 0-10.
        The message names the column, the spreadsheet rows and the account ids.

    Warns
    -----
    DataWarning
        An optional driver is left out because its column is not in the table.
    """
    model = model or DEFAULT_MODEL
    source = source or "accounts table"
    check_account_ids(accounts, source)
    n = len(accounts)
    cols = set(accounts.columns)
    as_of = None
    derived: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    raw: dict[str, np.ndarray] = {}
    used: dict[str, list[Driver]] = {}
    dropped: list[str] = []
    absent_cols: dict[str, list[str]] = {}
    for part in ("potential", "relationship"):
        used[part] = []
        vs, rs = [], []
        for d in getattr(model, part):
            needs = DERIVED.get(d.name, (d.name,))
            if d.name == "sector_fit" and model.sector_fit is None:
                dropped.append(d.name)  # no customer profile given: sector fit is not used
                continue
            absent = [c for c in needs if c not in cols]
            if d.name == "white_space":
                absent = [c for c in absent if c != "current_spend"]
            if absent:
                if d.required:
                    raise DataError(
                        f"missing required column(s) {', '.join(absent)} for the {part} "
                        f"driver {d.name!r} (drop the driver or make it optional)",
                        file=source,
                    )
                absent_cols.setdefault(d.name, absent)
                dropped.append(d.name)
                continue
            if d.name not in derived:
                if d.name == "white_space":
                    wallet = numeric_column(accounts, "wallet", source)
                    spend = (
                        numeric_column(accounts, "current_spend", source)
                        if "current_spend" in cols
                        else np.zeros(n)
                    )
                    derived[d.name] = np.clip(wallet - np.nan_to_num(spend), 0.0, None)
                elif d.name == "sector_fit":
                    sec = accounts["sector"].astype("string").str.strip().str.lower()
                    fit = sec.map(model.sector_fit).astype("float64")
                    fit = fit.where(sec.isna() | fit.notna(), model.other_sector_fit)
                    derived[d.name] = fit.to_numpy(dtype="float64", na_value=np.nan)
                elif d.name == "days_since_activity":
                    dates = date_column(accounts, "last_activity", source)
                    if as_of is None:
                        as_of = (
                            pd.Timestamp(model.as_of) if model.as_of is not None else dates.max()
                        )
                    days = (as_of - dates).dt.days
                    derived[d.name] = days.to_numpy(dtype="float64", na_value=np.nan)
                else:
                    derived[d.name] = numeric_column(accounts, d.name, source)
            x = derived[d.name]
            if d.fill is not None:
                x = np.where(np.isnan(x), d.fill, x)
            rs.append(x)
            vs.append(_transform(x, d))
            used[part].append(d)
        values[part] = np.column_stack(vs) if vs else np.empty((n, 0))
        raw[part] = np.column_stack(rs) if rs else np.empty((n, 0))
    if absent_cols:
        cols_txt = ", ".join(sorted({c for v in absent_cols.values() for c in v}))
        warnings.warn(
            f"{source}: no column(s) {cols_txt}; the driver(s) "
            f"{', '.join(map(repr, absent_cols))} are left out of all {n} accounts' scores",
            DataWarning,
            stacklevel=2,
        )
    if not used["potential"]:
        raise DataError(
            "no potential driver has a column in the table; give revenue, employees, growth, "
            "wallet or sector, or supply a 'potential' column",
            file=source,
        )
    return PreparedDrivers(
        account_id=accounts["account_id"].to_numpy(),
        drivers=used,
        values=values,
        raw=raw,
        min_coverage=model.min_coverage,
        dropped=dropped,
    )


def score(
    accounts: pd.DataFrame,
    model: ScoreModel | None = None,
    *,
    potential_weights: Mapping[str, float] | None = None,
    relationship_weights: Mapping[str, float] | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Score accounts: potential and relationship, 0-100.

    Parameters
    ----------
    accounts : DataFrame
        Canonical accounts table.
    model : ScoreModel, optional
        Drivers and transforms (:data:`~salesworkbench.territory.DEFAULT_MODEL`).
    potential_weights, relationship_weights : mapping, optional
        Weights that override the model's, by driver name.
    source : str, optional
        Table name for error messages.

    Returns
    -------
    DataFrame
        One row per account, in table order: ``account_id, potential, relationship,
        insufficient_data, potential_coverage, relationship_coverage, missing_potential``.
        ``potential`` is NaN exactly where ``insufficient_data`` is True.
    """
    prep = prepare(accounts, model, source=source)
    return prep.combine(potential_weights, relationship_weights)


def explain(
    accounts: pd.DataFrame,
    account_id: object,
    model: ScoreModel | None = None,
    *,
    potential_weights: Mapping[str, float] | None = None,
    relationship_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Explain one account's scores driver by driver.

    Returns
    -------
    DataFrame
        One row per driver: ``score`` (potential/relationship), ``driver``, ``raw`` value
        (after fill), ``value`` (0-1 after the transform), ``weight`` (as given),
        ``share`` (weight share among the drivers with data) and ``points`` (contribution
        to the 0-100 score; the points of a score add up to it). A driver without data has
        NaN value and 0 points.
    """
    prep = prepare(accounts, model)
    hit = np.flatnonzero(prep.account_id == account_id)
    if hit.size == 0:
        raise KeyError(f"account_id {account_id!r} is not in the accounts table")
    i = int(hit[0])
    rows = []
    for part, override in (
        ("potential", potential_weights),
        ("relationship", relationship_weights),
    ):
        w = prep.weights(part, override)
        v = prep.values[part][i]
        present = ~np.isnan(v)
        wsum = float(w[present].sum())
        for j, d in enumerate(prep.drivers[part]):
            share = w[j] / wsum if present[j] and wsum > 0 else 0.0
            rows.append(
                {
                    "score": part,
                    "driver": d.name,
                    "transform": d.transform,
                    "raw": prep.raw[part][i, j],
                    "value": v[j],
                    "weight": w[j],
                    "share": share,
                    "points": 100.0 * share * v[j] if present[j] else 0.0,
                }
            )
    out = pd.DataFrame(rows)
    scores = prep.combine(potential_weights, relationship_weights).iloc[i]
    out.attrs["potential"] = scores["potential"]
    out.attrs["relationship"] = scores["relationship"]
    out.attrs["insufficient_data"] = bool(scores["insufficient_data"])
    return out
