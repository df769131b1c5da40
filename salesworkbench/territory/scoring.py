"""Territory scoring and Alpha/Beta/Delta segmentation.

A territory plan decides where to invest sales time. Each account gets two scores, both on a
0-100 scale:

* **business potential**, from firmographic and white-space drivers (revenue, employees, growth,
  fit of its sector with the customer profile, white space = wallet - current spend);
* **current relationship**, from install base, recurring revenue, recent projects, customer
  satisfaction, key players engaged and the recency of the last activity or win.

Each driver is turned into a 0-1 value by a transform (``minmax``, ``log``, ``rank``, ``cap`` or
``decay``) and the score is the weighted mean of the drivers that have data, times 100.
:func:`explain` shows which driver contributed how many points to an account's score.

:func:`segment` then applies the sales model's rules (thresholds are parameters):

======================  =====================  ==========
potential band          relationship band      segment
======================  =====================  ==========
high (>= high)          any                    Alpha
moderate_low            high (>= rel. high)    Beta
moderate_low            low                    Delta
little_none (< low)     any                    Delta
insufficient data       any                    Delta
======================  =====================  ==========

Missing data is explicit: an account whose potential cannot be assessed (a required driver is
missing, or less than ``min_coverage`` of the potential weight has data) is flagged
``insufficient_data`` and put in Delta with a reason naming the missing drivers. It is never
scored as zero or as average.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.schemas import ACCOUNTS, NON_NEGATIVE

__all__ = [
    "DEFAULT_MODEL",
    "SEGMENTS",
    "Driver",
    "PreparedDrivers",
    "ScoreModel",
    "classify",
    "explain",
    "prepare",
    "relationship_from_deals",
    "score",
    "segment",
]

SEGMENTS = ("Alpha", "Beta", "Delta")
"""Segment names, in priority order (the categorical order of the ``segment`` column)."""

POTENTIAL_BANDS = ("high", "moderate_low", "little_none", "insufficient_data")
RELATIONSHIP_BANDS = ("high", "low")

TRANSFORMS = ("minmax", "log", "rank", "cap", "decay")

#: Raw columns that cannot be negative (a negative value is a data error naming the account).
NONNEGATIVE = tuple(c for c in ACCOUNTS.names if c in NON_NEGATIVE)

#: Columns computed by :func:`prepare` from the raw account columns.
DERIVED = {
    "white_space": ("wallet", "current_spend"),
    "sector_fit": ("sector",),
    "days_since_activity": ("last_activity",),
}


@dataclass(frozen=True)
class Driver:
    """One input of a score.

    Parameters
    ----------
    name : str
        Column of the accounts table, or a derived column: ``white_space`` (wallet - current
        spend, floored at 0; a blank current spend counts as no spend), ``sector_fit`` (from
        :attr:`ScoreModel.sector_fit`) or ``days_since_activity`` (days from ``last_activity`` to
        :attr:`ScoreModel.as_of`).
    weight : float
        Relative weight (>= 0); weights are normalised over the drivers that have data.
    transform : {"minmax", "log", "rank", "cap", "decay"}
        How the raw value becomes a 0-1 value:

        * ``minmax``: ``(x - lower) / (upper - lower)``, bounds from the data unless given;
        * ``log``: ``minmax`` of ``log1p(x)`` (for skewed sizes: revenue, employees, money);
        * ``rank``: percentile rank among the accounts, ``(rank - 1) / (n - 1)``;
        * ``cap``: ``min(x, cap) / cap``; ``cap`` defaults to the 90th percentile of the data;
        * ``decay``: ``0.5 ** (x / half_life)``, for ages in days (1 today, 0.5 after
          ``half_life`` days).

        Relative transforms (``minmax``/``log`` without bounds, ``rank``, ``cap`` without a cap)
        score an account against the other accounts of the same table. When all accounts
        share one value the driver gives each 0.5. Fix ``lower``/``upper``/``cap`` for a scale
        that does not move with the table.
    required : bool
        If True, an account missing this driver cannot be assessed (``insufficient_data``).
    fill : float, optional
        Raw value that stands in for a blank (e.g. 0 projects). ``None``: a blank leaves the
        driver out of that account's score and lowers its coverage.
    lower, upper : float, optional
        Fixed bounds for ``minmax`` / ``log`` (raw scale).
    cap : float, optional
        Saturation point for ``cap``.
    half_life : float
        Days for ``decay``.
    higher_is_better : bool
        If False the 0-1 value is reversed (``1 - t``).
    label : str, optional
        Name shown in explanations and reasons (defaults to ``name`` with spaces).
    """

    name: str
    weight: float = 1.0
    transform: str = "minmax"
    required: bool = False
    fill: float | None = None
    lower: float | None = None
    upper: float | None = None
    cap: float | None = None
    half_life: float = 180.0
    higher_is_better: bool = True
    label: str | None = None

    def __post_init__(self) -> None:
        if self.transform not in TRANSFORMS:
            raise ValueError(
                f"driver {self.name!r}: transform must be one of {', '.join(TRANSFORMS)}, "
                f"got {self.transform!r}"
            )
        if not np.isfinite(self.weight) or self.weight < 0:
            raise ValueError(f"driver {self.name!r}: weight must be >= 0, got {self.weight!r}")
        if self.transform == "cap" and self.cap is not None and not self.cap > 0:
            raise ValueError(f"driver {self.name!r}: cap must be > 0, got {self.cap!r}")
        if self.transform == "decay" and not self.half_life > 0:
            raise ValueError(
                f"driver {self.name!r}: half_life must be > 0 days, got {self.half_life!r}"
            )
        if self.lower is not None and self.upper is not None and not self.upper > self.lower:
            raise ValueError(
                f"driver {self.name!r}: upper ({self.upper}) must be above lower ({self.lower})"
            )

    @property
    def title(self) -> str:
        """Human name of the driver."""
        return self.label or self.name.replace("_", " ")


@dataclass(frozen=True)
class ScoreModel:
    """The drivers, weights and transforms of the potential and relationship scores.

    Parameters
    ----------
    potential, relationship : tuple of Driver
        Drivers of each score.
    sector_fit : mapping of str to float, optional
        Fit of each sector with the customer profile, 0 (no fit) to 1 (ideal). Sectors are
        compared case-insensitively; a sector not listed gets ``other_sector_fit``. Without a
        mapping the ``sector_fit`` driver is not used.
    other_sector_fit : float
        Fit of sectors not listed in ``sector_fit``.
    min_coverage : float
        Share of the potential weight that must have data for the potential to be assessed.
    as_of : date-like, optional
        Reference date for ``days_since_activity``; defaults to the latest ``last_activity``
        in the table (so results do not change with the day the notebook runs).
    """

    potential: tuple[Driver, ...]
    relationship: tuple[Driver, ...]
    sector_fit: Mapping[str, float] | None = None
    other_sector_fit: float = 0.0
    min_coverage: float = 0.5
    as_of: object = None

    def __post_init__(self) -> None:
        for part in ("potential", "relationship"):
            drivers = getattr(self, part)
            object.__setattr__(self, part, tuple(drivers))
            names = [d.name for d in drivers]
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"{part} drivers: {', '.join(dup)} listed twice")
        if not 0 <= self.min_coverage <= 1:
            raise ValueError(f"min_coverage must be between 0 and 1, got {self.min_coverage!r}")
        if self.sector_fit is not None:
            bad = {k: v for k, v in self.sector_fit.items() if not 0 <= float(v) <= 1}
            if bad:
                raise ValueError(f"sector_fit values must be between 0 and 1: {bad}")
            fit = {str(k).strip().lower(): float(v) for k, v in self.sector_fit.items()}
            object.__setattr__(self, "sector_fit", fit)

    @property
    def weights(self) -> dict[str, dict[str, float]]:
        """Current weights as ``{"potential": {driver: w}, "relationship": {...}}``."""
        return {
            "potential": {d.name: d.weight for d in self.potential},
            "relationship": {d.name: d.weight for d in self.relationship},
        }

    def with_weights(
        self,
        potential: Mapping[str, float] | None = None,
        relationship: Mapping[str, float] | None = None,
    ) -> ScoreModel:
        """Return a copy with some driver weights changed (unknown names raise ValueError)."""
        return replace(
            self,
            potential=_reweight(self.potential, potential or {}, "potential"),
            relationship=_reweight(self.relationship, relationship or {}, "relationship"),
        )

    def driver_columns(self) -> set[str]:
        """Raw account columns the drivers read."""
        cols: set[str] = set()
        for d in (*self.potential, *self.relationship):
            cols.update(DERIVED.get(d.name, (d.name,)))
        return cols


def _reweight(drivers, weights: Mapping[str, float], part: str) -> tuple[Driver, ...]:
    names = {d.name for d in drivers}
    unknown = sorted(set(weights) - names)
    if unknown:
        raise ValueError(
            f"{part} weights: unknown driver(s) {', '.join(unknown)}; "
            f"the {part} drivers are {', '.join(d.name for d in drivers)}"
        )
    return tuple(
        replace(d, weight=float(weights[d.name])) if d.name in weights else d for d in drivers
    )


DEFAULT_MODEL = ScoreModel(
    potential=(
        Driver("revenue", 0.30, "log", required=True),
        Driver("employees", 0.15, "log"),
        Driver("growth", 0.10, "minmax", lower=-0.10, upper=0.30),
        Driver("white_space", 0.35, "log", label="white space"),
        Driver("sector_fit", 0.10, "minmax", lower=0.0, upper=1.0, label="sector fit"),
    ),
    relationship=(
        Driver("install_base", 0.20, "log", fill=0.0, label="install base"),
        Driver("recurring_revenue", 0.20, "log", fill=0.0, label="recurring revenue"),
        Driver("recent_projects", 0.15, "cap", fill=0.0, cap=5.0, label="recent projects"),
        Driver("satisfaction", 0.15, "minmax", lower=0.0, upper=10.0),
        Driver("key_players_engaged", 0.15, "cap", fill=0.0, cap=5.0, label="key players engaged"),
        Driver("days_since_activity", 0.15, "decay", half_life=180.0, label="recent activity"),
    ),
)
"""Default score model.

Potential: revenue (log, required) 30%, employees (log) 15%, growth (-10% to +30% scale) 10%,
white space (log) 35%, sector fit 10% (only when a ``sector_fit`` profile is given).
Relationship: install base 20%, recurring revenue 20% (log; blank = none), recent projects 15%
(5 or more = full marks), satisfaction (0-10 scale) 15%, key players engaged 15% (5 or more =
full marks), recency of the last activity 15% (half-life 180 days).
"""


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def _ids_at(accounts: pd.DataFrame, mask: np.ndarray, limit: int = 5) -> str:
    ids = accounts["account_id"].to_numpy()[mask]
    shown = ", ".join(map(str, ids[:limit]))
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _check_key(accounts: pd.DataFrame, source: str) -> None:
    if not isinstance(accounts, pd.DataFrame):
        raise TypeError(f"accounts must be a pandas DataFrame, got {type(accounts).__name__}")
    if "account_id" not in accounts.columns:
        raise DataError(
            "missing required column(s) account_id; the accounts table needs a unique "
            "account_id (map your CRM's account column to it)",
            file=source,
        )
    key = accounts["account_id"]
    blank = key.isna().to_numpy()
    if blank.any():
        raise DataError(
            "blank account_id",
            file=source,
            column="account_id",
            rows=(np.flatnonzero(blank) + 2).tolist(),
        )
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError(
            f"duplicate account id(s) {', '.join(map(str, key[dup].unique()[:5]))}",
            file=source,
            column="account_id",
            rows=(np.flatnonzero(dup) + 2).tolist(),
        )


def _numeric(accounts: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Return ``column`` as float64, raising DataError naming accounts with non-numbers."""
    s = accounts[column]
    if pd.api.types.is_bool_dtype(s) or not (
        pd.api.types.is_numeric_dtype(s) or s.dtype == object or pd.api.types.is_string_dtype(s)
    ):
        raise DataError(f"must be numeric, has dtype {s.dtype}", file=source, column=column)
    if pd.api.types.is_numeric_dtype(s):
        values = s.to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        bad = np.isnan(values) & s.notna().to_numpy()
        if bad.any():
            examples = ", ".join(repr(v) for v in s[bad].unique()[:3])
            raise DataError(
                f"non-numeric value(s) {examples} for account(s) {_ids_at(accounts, bad)}",
                file=source,
                column=column,
                rows=(np.flatnonzero(bad) + 2).tolist(),
            )
    inf = np.isinf(values)
    if inf.any():
        raise DataError(
            f"infinite value for account(s) {_ids_at(accounts, inf)}",
            file=source,
            column=column,
            rows=(np.flatnonzero(inf) + 2).tolist(),
        )
    if column in NONNEGATIVE:
        neg = values < 0
        if neg.any():
            raise DataError(
                f"negative {column} for account(s) {_ids_at(accounts, neg)}",
                file=source,
                column=column,
                rows=(np.flatnonzero(neg) + 2).tolist(),
            )
    if column == "satisfaction":
        out = (values < 0) | (values > 10)
        if out.any():
            raise DataError(
                f"satisfaction must be 0 to 10; account(s) {_ids_at(accounts, out)} are outside",
                file=source,
                column=column,
                rows=(np.flatnonzero(out) + 2).tolist(),
            )
    return values


def _dates(accounts: pd.DataFrame, column: str, source: str) -> pd.Series:
    s = accounts[column]
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    d = pd.to_datetime(s, errors="coerce", format="ISO8601")
    bad = d.isna().to_numpy() & s.notna().to_numpy()
    if bad.any():
        raise DataError(
            f"not a date: {', '.join(repr(v) for v in s[bad].unique()[:3])} for account(s) "
            f"{_ids_at(accounts, bad)}",
            file=source,
            column=column,
            rows=(np.flatnonzero(bad) + 2).tolist(),
        )
    return d


# ---------------------------------------------------------------------------------------------
# Transforms and scoring
# ---------------------------------------------------------------------------------------------


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
        Drivers, weights and transforms; :data:`DEFAULT_MODEL` if omitted.
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
    _check_key(accounts, source)
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
                    wallet = _numeric(accounts, "wallet", source)
                    spend = (
                        _numeric(accounts, "current_spend", source)
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
                    dates = _dates(accounts, "last_activity", source)
                    if as_of is None:
                        as_of = (
                            pd.Timestamp(model.as_of) if model.as_of is not None else dates.max()
                        )
                    days = (as_of - dates).dt.days
                    derived[d.name] = days.to_numpy(dtype="float64", na_value=np.nan)
                else:
                    derived[d.name] = _numeric(accounts, d.name, source)
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
        Drivers and transforms (:data:`DEFAULT_MODEL`).
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


# ---------------------------------------------------------------------------------------------
# Segmentation
# ---------------------------------------------------------------------------------------------


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
        ``missing_potential`` and ``potential_coverage`` (as from :func:`score`).
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
        Score drivers (:data:`DEFAULT_MODEL`).
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
        The result of :func:`prepare` on these same accounts, to skip the checks and
        transforms (interactive apps re-segment with new weights or thresholds this way).

    Returns
    -------
    DataFrame
        The accounts (same order, same index) with ``potential, relationship,
        insufficient_data, potential_band, relationship_band, segment`` (ordered categorical
        Alpha < Beta < Delta), ``priority`` (1 = first account to work: Alpha by relationship,
        then Beta, then Delta) and ``reason`` (a short sentence), plus
        ``potential_coverage`` and ``relationship_coverage`` when scores are computed.
        ``attrs["territory"]`` records the thresholds.

    Raises
    ------
    ValueError
        A threshold outside 0-100 or ``potential_low > potential_high`` (names the parameter).
    DataError
        Bad accounts table (see :func:`prepare`); supplied scores outside 0-100 (names the
        accounts).
    """
    ph, pl, rh = _check_thresholds(potential_high, potential_low, relationship_high)
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
        _check_key(accounts, source)
        miss = [c for c in ("potential", "relationship") if c not in accounts.columns]
        if miss:
            raise DataError(
                f"missing required column(s) {', '.join(miss)} for scores='supplied'", file=source
            )
        sc = pd.DataFrame({"account_id": accounts["account_id"].to_numpy()})
        for c in ("potential", "relationship"):
            v = _numeric(accounts, c, source)
            out = (v < 0) | (v > 100)
            if out.any():
                raise DataError(
                    f"{c} scores must be 0 to 100; account(s) {_ids_at(accounts, out)} are outside",
                    file=source,
                    column=c,
                    rows=(np.flatnonzero(out) + 2).tolist(),
                )
            sc[c] = v
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
    seg = classify(sc, ph, pl, rh, missing_names=missing_names)
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
    return out


# ---------------------------------------------------------------------------------------------
# Relationship from a CRM's won deals
# ---------------------------------------------------------------------------------------------


def relationship_from_deals(
    accounts: pd.DataFrame,
    opportunities: pd.DataFrame,
    *,
    as_of: object = None,
    recent_months: int = 24,
    spend_months: int = 12,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Fill the relationship columns of accounts from won deals.

    For CRM exports whose account table has no relationship data (only firmographics), the
    relationship is derived from the deal history (canonical
    :data:`~salesworkbench.schemas.OPPORTUNITIES` table):

    * ``install_base``: total amount of all won deals closed on or before ``as_of``;
    * ``current_spend``: amount won in the ``spend_months`` before ``as_of``;
    * ``recent_projects``: number of deals won in the ``recent_months`` before ``as_of``;
    * ``last_activity``: close date of the latest won deal on or before ``as_of``.

    Deals closed after ``as_of`` are not counted at all (a territory plan as of a past date
    must not see later business).

    Deals match an account by ``account_id`` or, failing that, by ``name`` (ignoring case and
    surrounding spaces). Accounts without won deals get 0 (and no ``last_activity``): the CRM
    records no business with them.

    Parameters
    ----------
    accounts : DataFrame
        Canonical accounts table (``account_id``, and ``name`` for matching by name).
    opportunities : DataFrame
        Canonical opportunities (``account, status, amount, close_date``).
    as_of : date-like, optional
        End of the look-back windows; defaults to the latest close date of a won deal.
    recent_months, spend_months : int
        Look-back windows.
    overwrite : bool
        Replace relationship columns the accounts already have (default: only fill blanks).

    Returns
    -------
    DataFrame
        A copy of ``accounts`` with the four columns filled.

    Warns
    -----
    DataWarning
        Won deals whose account matches no account (counted, with examples), and won deals
        with no amount (counted as deals, not as money).
    """
    need = [c for c in ("account", "status", "amount", "close_date") if c not in opportunities]
    if need:
        raise DataError(f"missing required column(s) {', '.join(need)}", file="opportunities")
    _check_key(accounts, "accounts table")
    won = opportunities[opportunities["status"].astype("string") == "won"]
    close = pd.to_datetime(won["close_date"])
    as_of = pd.Timestamp(as_of) if as_of is not None else close.max()
    # "as of" means as of: deals closed after it do not exist yet (install base, last activity)
    known = (close <= as_of).to_numpy()
    won, close = won.loc[known], close.loc[known]

    def norm(s: pd.Series) -> pd.Series:
        return s.astype("string").str.strip().str.lower()

    ids = accounts["account_id"].astype("string")
    lookup = dict(zip(norm(ids), ids, strict=True))
    if "name" in accounts:
        names = norm(accounts["name"])
        dup = names[names.duplicated() & names.notna()].unique()
        if len(dup):
            warnings.warn(
                f"{len(dup)} account name(s) appear more than once ({', '.join(dup[:3])}); "
                "won deals naming them are counted for the first such account",
                DataWarning,
                stacklevel=2,
            )
        for nm, i in zip(names, ids, strict=True):
            if pd.notna(nm):
                lookup.setdefault(nm, i)
    key = norm(won["account"]).map(lookup)
    unmatched = key.isna()
    if unmatched.any():
        ex = ", ".join(
            map(repr, won.loc[unmatched, "account"].astype("string").fillna("<blank>").unique()[:3])
        )
        warnings.warn(
            f"{int(unmatched.sum())} won deal(s) match no account ({ex}); they are not counted "
            "in any relationship",
            DataWarning,
            stacklevel=2,
        )
    amount = pd.to_numeric(won["amount"], errors="coerce")
    if amount.isna().any():
        warnings.warn(
            f"{int(amount.isna().sum())} won deal(s) have no amount; they count as projects but "
            "add nothing to install base or spend",
            DataWarning,
            stacklevel=2,
        )
    deals = pd.DataFrame({"account_id": key, "amount": amount.fillna(0.0), "close": close})
    deals = deals[~unmatched.to_numpy()]
    spend_from = as_of - pd.DateOffset(months=spend_months)
    recent_from = as_of - pd.DateOffset(months=recent_months)
    in_spend = (deals["close"] > spend_from) & (deals["close"] <= as_of)
    in_recent = (deals["close"] > recent_from) & (deals["close"] <= as_of)
    g = deals.assign(
        spend=deals["amount"].where(in_spend, 0.0), recent=in_recent.astype("float64")
    ).groupby("account_id")
    agg = pd.DataFrame(
        {
            "install_base": g["amount"].sum(),
            "current_spend": g["spend"].sum(),
            "recent_projects": g["recent"].sum(),
            "last_activity": g["close"].max(),
        }
    )
    agg = agg.reindex(ids.to_numpy())
    for c in ("install_base", "current_spend", "recent_projects"):
        agg[c] = agg[c].fillna(0.0)
    out = accounts.copy()
    for c in agg.columns:
        new = agg[c].to_numpy()
        if c in out.columns and not overwrite:
            out[c] = out[c].where(out[c].notna(), pd.Series(new, index=out.index))
        else:
            out[c] = new
    return out
