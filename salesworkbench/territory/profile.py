"""The customer profile: which accounts fit (sectors, size, regions, needs), and qualification.

A :class:`CustomerProfile` gives the sector fit the potential score uses
(:meth:`~CustomerProfile.score_model`), lists the qualification criteria for the plan
(:meth:`~CustomerProfile.criteria`) and checks each account against them
(:meth:`~CustomerProfile.qualify`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from salesworkbench.formatting import format_number
from salesworkbench.territory.drivers import DEFAULT_MODEL, ScoreModel

__all__ = ["CustomerProfile"]


@dataclass
class CustomerProfile:
    """The accounts that fit: sectors, size bands, regions and needs.

    Parameters
    ----------
    sectors : mapping of str to float
        Fit of each sector, 0 (no fit) to 1 (ideal); compared case-insensitively.
    min_sector_fit : float
        Sector fit an account needs to qualify.
    other_sector_fit : float
        Fit of a sector not listed.
    min_revenue, max_revenue, min_employees, max_employees : float, optional
        Size band (inclusive).
    regions : sequence of str, optional
        Regions served; ``None`` = all.
    needs : sequence of str
        Needs or pains that make an account a fit (text for the plan, not checked in data).
    """

    sectors: Mapping[str, float] = field(default_factory=dict)
    min_sector_fit: float = 0.5
    other_sector_fit: float = 0.0
    min_revenue: float | None = None
    max_revenue: float | None = None
    min_employees: float | None = None
    max_employees: float | None = None
    regions: Sequence[str] | None = None
    needs: Sequence[str] = ()

    def __post_init__(self) -> None:
        for name, v in self.sectors.items():
            if not 0 <= float(v) <= 1:
                raise ValueError(f"sector fit of {name!r} must be between 0 and 1, got {v!r}")
        for lo, hi in (("min_revenue", "max_revenue"), ("min_employees", "max_employees")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{lo} ({a}) is above {hi} ({b})")

    def score_model(self, base: ScoreModel | None = None) -> ScoreModel:
        """Return ``base`` (default model) with this profile's sector fit."""
        return replace(
            base or DEFAULT_MODEL,
            sector_fit=dict(self.sectors) or None,
            other_sector_fit=self.other_sector_fit,
        )

    def criteria(self) -> pd.DataFrame:
        """The qualification criteria as a table (criterion, rule)."""
        rows = []
        if self.sectors:
            fits = ", ".join(f"{k} ({v:g})" for k, v in self.sectors.items())
            rows.append(
                (
                    "sector",
                    f"fit >= {self.min_sector_fit:g}; fits: {fits}; "
                    f"others {self.other_sector_fit:g}",
                )
            )
        for col in ("revenue", "employees"):
            lo, hi = getattr(self, f"min_{col}"), getattr(self, f"max_{col}")
            if lo is not None or hi is not None:
                rows.append(
                    (
                        col,
                        f"{_fmt_num(lo) if lo is not None else 'any'} to "
                        f"{_fmt_num(hi) if hi is not None else 'any'}",
                    )
                )
        if self.regions:
            rows.append(("region", ", ".join(self.regions)))
        for need in self.needs:
            rows.append(("need", need))
        return pd.DataFrame(rows, columns=["criterion", "rule"])

    def qualify(self, accounts: pd.DataFrame) -> pd.DataFrame:
        """Check each account against the profile.

        Returns
        -------
        DataFrame
            ``account_id``, ``qualified`` (boolean; NA where a criterion cannot be checked
            because the data is blank) and ``qualification`` (which criteria fail or are
            unknown, or "fits the profile").
        """
        n = len(accounts)
        fail = [[] for _ in range(n)]
        unknown = [[] for _ in range(n)]

        def mark(bad: np.ndarray, blank: np.ndarray, label: str) -> None:
            for i in np.flatnonzero(bad):
                fail[i].append(label)
            for i in np.flatnonzero(blank):
                unknown[i].append(label)

        if self.sectors and "sector" in accounts:
            fit_map = {str(k).strip().lower(): float(v) for k, v in self.sectors.items()}
            sec = accounts["sector"].astype("string").str.strip().str.lower()
            fit = sec.map(fit_map).astype("float64").fillna(self.other_sector_fit)
            blank = sec.isna().to_numpy()
            mark((fit < self.min_sector_fit).to_numpy() & ~blank, blank, "sector")
        for col in ("revenue", "employees"):
            lo, hi = getattr(self, f"min_{col}"), getattr(self, f"max_{col}")
            if (lo is None and hi is None) or col not in accounts:
                continue
            x = pd.to_numeric(accounts[col], errors="coerce").to_numpy(dtype="float64")
            blank = np.isnan(x)
            with np.errstate(invalid="ignore"):
                bad = np.zeros(n, bool)
                if lo is not None:
                    bad |= x < lo
                if hi is not None:
                    bad |= x > hi
            mark(
                bad & ~blank,
                blank,
                f"{col} outside {_fmt_num(lo)}-{_fmt_num(hi)}"
                if lo is not None and hi is not None
                else col,
            )
        if self.regions and "region" in accounts:
            reg = accounts["region"].astype("string")
            blank = reg.isna().to_numpy()
            mark(~reg.isin(list(self.regions)).to_numpy() & ~blank, blank, "region")
        qualified = pd.array(
            [False if f else (pd.NA if u else True) for f, u in zip(fail, unknown, strict=True)],
            dtype="boolean",
        )
        text = [
            ("not a fit: " + ", ".join(f))
            if f
            else ("unknown: " + ", ".join(u) + " blank")
            if u
            else "fits the profile"
            for f, u in zip(fail, unknown, strict=True)
        ]
        return pd.DataFrame(
            {
                "account_id": accounts["account_id"].to_numpy(),
                "qualified": qualified,
                "qualification": text,
            },
            index=accounts.index,
        )


def _fmt_num(x: float | None) -> str:
    """A criterion's bound in the package's one number style ("10M", "1B"); None is "any"."""
    return "any" if x is None else format_number(x)
