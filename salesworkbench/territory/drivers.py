"""What a territory score is made of: drivers, their transforms and weights, the score model.

Each account gets two scores, both on a 0-100 scale:

* **business potential**, from firmographic and white-space drivers (revenue, employees, growth,
  fit of its sector with the customer profile, white space = wallet - current spend);
* **current relationship**, from install base, recurring revenue, recent projects, customer
  satisfaction, key players engaged and the recency of the last activity or win.

A :class:`Driver` names one input, how its raw value becomes a 0-1 value (its transform) and
its weight; a :class:`ScoreModel` lists the drivers of both scores. :data:`DEFAULT_MODEL` is
the sales model's choice. Computing the scores is :mod:`~salesworkbench.territory.scoring`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

__all__ = ["DEFAULT_MODEL", "Driver", "ScoreModel"]

#: Names of the transforms a :class:`Driver` can use.
TRANSFORMS = ("minmax", "log", "rank", "cap", "decay")

#: Derived driver columns -> the raw account columns they are computed from.
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
