"""Value cases: Value = Total Benefits - Total Investment, with uncertain assumptions.

A :class:`ValueCase` is read from a YAML file (``yaml.safe_load`` only), validated with errors
that name the file, the assumption or the line at fault, and simulated by Monte Carlo:

* every uncertain assumption draws its uniforms from its own name-keyed stream
  (``named_stream(seed, name, chunk_index)``), so adding or removing one assumption never
  changes the draws of the others; the uniforms go through the distribution's quantile
  function;
* Spearman rank correlations are imposed with the Iman-Conover method, which only *reorders*
  each assumption's own draws, so every marginal stays exactly as drawn (see
  :func:`iman_conover`);
* the trials run in chunks (default 262,144 rows) so memory stays bounded, with a tqdm progress
  bar for big runs and an optional :class:`concurrent.futures.Executor` that maps the chunks.
  Iman-Conover is applied within each chunk (batched over blocks of 4,096 trials), so the
  requested rank correlation holds in every block and hence overall. The numbers depend on
  ``seed`` and ``chunk_size``: the same pair always gives the same samples (an executor does
  not change them). Chunks under 20,000 trials fall back to the exact (slow) beta quantile for
  PERT/beta assumptions, so keep ``chunk_size`` large.

Cash-flow conventions
---------------------
Benefit lines are amounts per year counted in years 1..``horizon_years`` (optionally scaled by
per-year ramp factors); investment lines are amounts at a year (0 = up front). Then

* ``value = total_benefits - total_investment`` (undiscounted, the sales model's definition);
* ``npv`` discounts a year-``t`` amount by ``(1 + discount_rate) ** t`` (benefits at the end of
  their year, investments at their year, year 0 undiscounted);
* ``roi = value / total_investment`` (inf or nan when there is no investment);
* ``payback_years`` is the first time the cumulative undiscounted cash flow reaches zero,
  interpolated linearly within the year (a year's benefits are taken to accrue evenly); it is
  0 when nothing is owed up front and ``inf`` where the case never pays back within the horizon.
"""

from __future__ import annotations

import copy
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import special

from salesworkbench._files import atomic_write
from salesworkbench._random import named_stream
from salesworkbench.errors import ValueCaseError
from salesworkbench.formatting import format_money, format_number, format_percent
from salesworkbench.value.distributions import Distribution, make_distribution
from salesworkbench.value.formula import Formula

__all__ = [
    "OUTPUTS",
    "Assumption",
    "Line",
    "ValueCase",
    "ValueSimulation",
    "format_money",
    "iman_conover",
]

OUTPUTS = ("total_benefits", "total_investment", "value", "npv", "roi", "payback_years")
DEFAULT_CHUNK_SIZE = 262_144
#: Iman-Conover is applied within blocks of this many trials (batched, see iman_conover).
IC_BLOCK = 4096
_TOP_KEYS = (
    "name",
    "customer",
    "currency",
    "horizon_years",
    "discount_rate",
    "statement",
    "assumptions",
    "correlations",
    "benefits",
    "investments",
)
_META_KEYS = ("unit", "source")


# --------------------------------------------------------------------------- building blocks
@dataclass
class Assumption:
    """One assumption of a value case.

    Attributes
    ----------
    name : str
        Name used in formulas.
    dist : Distribution
        Its (validated) distribution.
    unit, source : str or None
        Free text shown in the value statement.
    extra : dict
        Any other keys from the file, kept for the round trip.
    """

    name: str
    dist: Distribution
    unit: str | None = None
    source: str | None = None
    extra: dict = field(default_factory=dict)
    bare: bool = False  # written as a bare number in the file

    @classmethod
    def from_spec(cls, name: str, spec: Any) -> Assumption:
        """Build from the YAML mapping (or a bare number = fixed value)."""
        if not isinstance(name, str) or not name.isidentifier() or "__" in name:
            raise ValueCaseError(
                f"assumption {name!r}: names must be identifiers (letters, digits, _; "
                "no leading digit, no '__') so formulas can use them"
            )
        dist = make_distribution(spec, name)
        if not isinstance(spec, Mapping):
            return cls(name, dist, bare=True)
        extra = {k: v for k, v in spec.items() if k not in dist.spec and k not in _META_KEYS}
        return cls(name, dist, spec.get("unit"), spec.get("source"), extra)

    def to_spec(self) -> Any:
        """The YAML mapping (or bare number) this assumption was read from."""
        if self.bare and self.unit is None and self.source is None and not self.extra:
            return self.dist.spec["value"]
        out = dict(self.dist.spec)
        if self.unit is not None:
            out["unit"] = self.unit
        if self.source is not None:
            out["source"] = self.source
        out.update(self.extra)
        return out


@dataclass
class Line:
    """A benefit or investment line: a formula and when it falls.

    Attributes
    ----------
    name : str
        As shown in the value statement.
    kind : {"benefit", "investment"}
    formula : Formula
        Amount in currency (per year for benefits).
    factors : numpy.ndarray
        Multiplier of the formula in each year 0..horizon (e.g. ``[0, 1, 1, 1]`` for a benefit in
        years 1-3, ``[1, 0, 0, 0]`` for an up-front investment, ramp factors otherwise).
    raw : dict
        The line's mapping as read (kept for the round trip).
    """

    name: str
    kind: str
    formula: Formula
    factors: np.ndarray
    raw: dict

    @property
    def label(self) -> str:
        """``"benefit 'name'"``, as used in error messages."""
        return f"{self.kind} {self.name!r}"

    def to_dict(self) -> dict:
        """The line's mapping for the YAML file."""
        return copy.deepcopy(self.raw)


def _is_int(x: Any) -> bool:
    return (
        isinstance(x, numbers.Integral)
        and not isinstance(x, bool)
        or (isinstance(x, float) and x.is_integer())
    )


def _parse_line(raw: Any, kind: str, index: int, names: Sequence[str], horizon: int) -> Line:
    where = f"{kind} #{index + 1}"
    if not isinstance(raw, Mapping):
        raise ValueCaseError(f"{where}: expected a mapping with name and formula, got {raw!r}")
    name = raw.get("name", f"{kind} {index + 1}")
    if not isinstance(name, str) or not name.strip():
        raise ValueCaseError(f"{where}: 'name' must be text, got {name!r}")
    label = f"{kind} {name!r}"
    if "formula" not in raw:
        raise ValueCaseError(f"{label}: missing key 'formula'")
    formula = Formula(raw["formula"], names, label)
    factors = np.zeros(horizon + 1)
    first = 1 if kind == "benefit" else 0
    if kind == "investment" and "year" in raw and "years" in raw:
        raise ValueCaseError(f"{label}: give 'year' or 'years', not both")
    if "ramp" in raw and "years" in raw:
        raise ValueCaseError(f"{label}: give 'years' or 'ramp', not both")
    if kind == "investment" and "years" not in raw:
        year = raw.get("year", 0)
        if not _is_int(year) or not 0 <= year <= horizon:
            raise ValueCaseError(
                f"{label}: 'year' must be a whole number from 0 to horizon_years ({horizon}), "
                f"got {year!r}"
            )
        factors[int(year)] = 1.0
        return Line(name, kind, formula, factors, dict(raw))
    key = "ramp" if "ramp" in raw else "years"
    years = raw.get(key, list(range(first, horizon + 1)))
    if isinstance(years, str | bytes) or not isinstance(years, Sequence) or not years:
        raise ValueCaseError(f"{label}: {key!r} must be a non-empty list, got {years!r}")
    for i, y in enumerate(years):
        if isinstance(y, bool) or not isinstance(y, numbers.Real) or not math.isfinite(y):
            raise ValueCaseError(f"{label}: {key!r}[{i}] must be a number, got {y!r}")
    as_years = (
        key == "years"
        and all(_is_int(y) and first <= y <= horizon for y in years)
        and len(set(years)) == len(years)
    )
    if as_years:
        factors[[int(y) for y in years]] = 1.0
    elif len(years) == horizon - first + 1:  # per-year ramp factors
        factors[first:] = np.asarray(years, dtype=float)
    else:
        span = f"{first}..{horizon}"
        raise ValueCaseError(
            f"{label}: {key!r} {list(years)} must list distinct years in {span} or give one "
            f"ramp factor per year {span} ({horizon - first + 1} numbers)"
        )
    return Line(name, kind, formula, factors, dict(raw))


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, numbers.Real) or not math.isfinite(raw):
        raise ValueCaseError(f"{where} must be a number, got {raw!r}")
    return float(raw)


# --------------------------------------------------------------------------- Iman-Conover
def spearman_to_pearson(rho: np.ndarray | float) -> np.ndarray | float:
    """Pearson correlation of a bivariate normal with Spearman correlation ``rho``."""
    return 2.0 * np.sin(np.pi * np.asarray(rho) / 6.0)


def iman_conover(u: np.ndarray, target_chol: np.ndarray, block: int = IC_BLOCK) -> np.ndarray:
    """Reorder the rows of each column of ``u`` to give the target rank correlation.

    Iman & Conover (1982): build normal scores, give them the target (Pearson) correlation
    with a Cholesky factor, and rearrange each column's *own* values into the rank order of
    its scores. Only the order changes, so every column keeps exactly its values (marginals).
    Here the scores are the columns' own normal scores ``ndtri(u)`` (the random-score variant;
    no extra random stream), corrected by the Cholesky factor of their sample correlation so
    the scores' correlation is exactly the target in every block. Column 0 is never reordered
    (the transform is upper triangular). The work is batched over blocks of ``block`` rows,
    which keeps the sorts in cache; the last block takes the remainder.

    Parameters
    ----------
    u : ndarray, shape (n, k)
        Draws (typically uniforms, before the quantile function) of the correlated group.
    target_chol : ndarray, shape (k, k)
        Lower Cholesky factor of the target Pearson correlation of the normal scores (use
        :func:`spearman_to_pearson` on Spearman targets).
    block : int
        Rows per block.

    Returns
    -------
    ndarray, shape (n, k)
        ``u`` with rows of columns 1..k-1 reordered.
    """
    rows = np.ascontiguousarray(np.asarray(u, dtype=float).T)
    return _iman_conover_rows(rows, target_chol, block).T


def _iman_conover_rows(u: np.ndarray, target_chol: np.ndarray, block: int) -> np.ndarray:
    """Iman-Conover on ``u`` of shape (k, n) (one row per variable), rows 1.. in place."""
    k, n = u.shape
    if k < 2 or n <= k + 1:
        return u
    if n < 2 * block:
        spans = [(0, n, n)]
    else:
        full = (n // block - 1) * block
        spans = [(0, full, block), (full, n, n - full)]
    for lo, hi, size in spans:
        blk = u[:, lo:hi].reshape(k, (hi - lo) // size, size)
        _ic_blocks(blk, target_chol)
        u[:, lo:hi] = blk.reshape(k, hi - lo)
    return u


def _ic_blocks(blk: np.ndarray, target_chol: np.ndarray) -> None:
    """Iman-Conover within each block; ``blk`` has shape (k, m, size), reordered in place."""
    k, m, size = blk.shape
    scores = special.ndtri(blk)  # (k, m, size)
    sums = scores.sum(axis=2)  # (k, m)
    cross = np.empty((m, k, k))
    for a in range(k):
        for b in range(a, k):
            cross[:, a, b] = cross[:, b, a] = np.einsum("ij,ij->i", scores[a], scores[b])
    mean = sums.T / size  # (m, k)
    cov = cross / size - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.einsum("bkk->bk", cov))
    corr = cov / (sd[:, :, None] * sd[:, None, :])
    try:
        chol_e = np.linalg.cholesky(corr)
        # T = R inv(P)^T Q^T, upper triangular: column j mixes score columns 0..j
        transform = np.linalg.solve(np.swapaxes(chol_e, 1, 2), target_chol.T[None])
    except np.linalg.LinAlgError:
        transform = np.broadcast_to(target_chol.T, (m, k, k))
    offsets = (np.arange(m) * size)[:, None]
    for j in range(1, k):
        t = scores[0] * transform[:, 0, j][:, None]
        for i in range(1, j + 1):
            t += scores[i] * transform[:, i, j][:, None]
        order = np.argsort(t, axis=1)
        order += offsets
        col = np.empty(m * size)
        col[order.ravel()] = np.sort(blk[j], axis=1).ravel()
        blk[j] = col.reshape(m, size)


# --------------------------------------------------------------------------- the value case
class ValueCase:
    """A customer's value case: assumptions, benefit and investment lines.

    Build with :meth:`from_yaml` or :meth:`from_dict`; see the module notes for the cash-flow
    conventions and the file format (issue 3).
    """

    def __init__(
        self,
        *,
        name: str = "",
        customer: str = "the customer",
        currency: str = "",
        horizon_years: int = 1,
        discount_rate: float = 0.0,
        statement: Mapping[str, str] | None = None,
        assumptions: Mapping[str, Assumption] | None = None,
        correlations: Sequence[tuple[str, str, float]] = (),
        benefits: Sequence[Line] = (),
        investments: Sequence[Line] = (),
        extra: Mapping[str, Any] | None = None,
        source: str = "<dict>",
    ) -> None:
        self.name = name
        self.customer = customer
        self.currency = currency
        self.horizon_years = int(horizon_years)
        self.discount_rate = float(discount_rate)
        self.statement = dict(statement or {})
        self.assumptions: dict[str, Assumption] = dict(assumptions or {})
        self.correlations = [tuple(c) for c in correlations]
        self.benefits = list(benefits)
        self.investments = list(investments)
        self.extra = dict(extra or {})
        self.source = source
        self._group, self._chol = self._correlation_setup()

    def __repr__(self) -> str:
        return (
            f"ValueCase({self.name!r}, customer={self.customer!r}, "
            f"{len(self.assumptions)} assumptions, {len(self.benefits)} benefits, "
            f"{len(self.investments)} investments)"
        )

    # ----------------------------------------------------------------- reading / writing
    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> ValueCase:
        """Read a value case file (``yaml.safe_load``: no Python tags, no code)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueCaseError(f"{path}: cannot read value case ({exc.strerror})") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ValueCaseError(f"{path}: not a valid value case YAML{at}: {problem}") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, d: Mapping, source: str = "<dict>") -> ValueCase:
        """Build from the mapping form of the file; errors name ``source`` and the item."""
        try:
            return cls._from_dict(d, source)
        except ValueCaseError as exc:
            if source == "<dict>":
                raise
            raise ValueCaseError(f"{source}: {exc}") from None

    @classmethod
    def _from_dict(cls, d: Mapping, source: str) -> ValueCase:
        if not isinstance(d, Mapping):
            raise ValueCaseError(f"a value case must be a mapping, got {type(d).__name__}")
        horizon = d.get("horizon_years", 1)
        if not _is_int(horizon) or not 1 <= horizon <= 100:
            raise ValueCaseError(f"'horizon_years' must be a whole number 1-100, got {horizon!r}")
        rate = _number(d.get("discount_rate", 0.0), "'discount_rate'")
        if not rate > -1:
            raise ValueCaseError(f"'discount_rate' must be > -1, got {rate!r}")
        for key in ("name", "customer", "currency"):
            if key in d and not isinstance(d[key], str):
                raise ValueCaseError(f"{key!r} must be text, got {d[key]!r}")
        statement = d.get("statement") or {}
        if not isinstance(statement, Mapping):
            raise ValueCaseError(f"'statement' must be a mapping, got {statement!r}")
        raw_assumptions = d.get("assumptions") or {}
        if not isinstance(raw_assumptions, Mapping):
            raise ValueCaseError("'assumptions' must be a mapping of name -> distribution")
        assumptions = {str(n): Assumption.from_spec(n, spec) for n, spec in raw_assumptions.items()}
        names = list(assumptions)
        lines: dict[str, list[Line]] = {}
        for key, kind in (("benefits", "benefit"), ("investments", "investment")):
            raw_lines = d.get(key) or []
            if not isinstance(raw_lines, list):
                raise ValueCaseError(f"{key!r} must be a list of lines")
            lines[key] = [
                _parse_line(r, kind, i, names, int(horizon)) for i, r in enumerate(raw_lines)
            ]
            seen: set[str] = set()
            for line in lines[key]:
                if line.name in seen:
                    raise ValueCaseError(f"{line.label}: the name is used twice in {key!r}")
                seen.add(line.name)
        if not lines["benefits"] and not lines["investments"]:
            raise ValueCaseError("the value case has no benefits and no investments")
        correlations = cls._parse_correlations(d.get("correlations") or [], assumptions)
        extra = {k: copy.deepcopy(v) for k, v in d.items() if k not in _TOP_KEYS}
        return cls(
            name=d.get("name", ""),
            customer=d.get("customer", "the customer"),
            currency=d.get("currency", ""),
            horizon_years=int(horizon),
            discount_rate=rate,
            statement=dict(statement),
            assumptions=assumptions,
            correlations=correlations,
            benefits=lines["benefits"],
            investments=lines["investments"],
            extra=extra,
            source=source,
        )

    @staticmethod
    def _parse_correlations(raw: Any, assumptions: Mapping[str, Assumption]) -> list[tuple]:
        if not isinstance(raw, list):
            raise ValueCaseError("'correlations' must be a list of [name, name, rho]")
        out: list[tuple] = []
        seen: set[frozenset] = set()
        for i, item in enumerate(raw):
            if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 3:
                raise ValueCaseError(
                    f"correlation #{i + 1}: expected [name, name, rho], got {item!r}"
                )
            a, b, rho = item
            pair = f"correlation [{a}, {b}]"
            for nm in (a, b):
                if nm not in assumptions:
                    raise ValueCaseError(
                        f"{pair}: unknown assumption {nm!r}; known: {', '.join(assumptions)}"
                    )
                if assumptions[nm].dist.is_fixed:
                    raise ValueCaseError(f"{pair}: assumption {nm!r} is fixed, it cannot vary")
            if a == b:
                raise ValueCaseError(f"{pair}: an assumption cannot be correlated with itself")
            rho = _number(rho, f"{pair}: rho")
            if not -1 < rho < 1:
                raise ValueCaseError(f"{pair}: rho ({rho:g}) must be between -1 and 1 (exclusive)")
            key = frozenset((a, b))
            if key in seen:
                raise ValueCaseError(f"{pair}: the pair is listed twice")
            seen.add(key)
            out.append((a, b, rho))
        return out

    def _correlation_setup(self) -> tuple[list[str], np.ndarray | None]:
        if not self.correlations:
            return [], None
        involved = {n for a, b, _ in self.correlations for n in (a, b)}
        group = [n for n in self.assumptions if n in involved]
        idx = {n: i for i, n in enumerate(group)}
        rank = np.eye(len(group))
        for a, b, rho in self.correlations:
            rank[idx[a], idx[b]] = rank[idx[b], idx[a]] = rho
        pearson = spearman_to_pearson(rank)
        np.fill_diagonal(pearson, 1.0)
        try:
            chol = np.linalg.cholesky(pearson)
        except np.linalg.LinAlgError:
            pairs = ", ".join(f"[{a}, {b}, {rho:g}]" for a, b, rho in self.correlations)
            raise ValueCaseError(
                f"correlations {pairs}: together they are impossible (the correlation matrix "
                f"of {', '.join(group)} is not positive definite); weaken some of them"
            ) from None
        return group, chol

    def to_dict(self) -> dict:
        """The mapping form of the file (round trip: ``from_dict(to_dict())`` is the same)."""
        out: dict[str, Any] = {
            "name": self.name,
            "customer": self.customer,
            "currency": self.currency,
            "horizon_years": self.horizon_years,
            "discount_rate": self.discount_rate,
            "statement": dict(self.statement),
            "assumptions": {n: a.to_spec() for n, a in self.assumptions.items()},
            "correlations": [[a, b, rho] for a, b, rho in self.correlations],
            "benefits": [line.to_dict() for line in self.benefits],
            "investments": [line.to_dict() for line in self.investments],
        }
        out.update(copy.deepcopy(self.extra))
        return copy.deepcopy(out)

    def to_yaml(self, path: str | os.PathLike) -> None:
        """Write the case to ``path`` atomically (a failed write leaves the old file)."""
        text = yaml.safe_dump(
            self.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
        )
        with atomic_write(path, "w") as fh:
            fh.write(text)

    def with_assumption(self, name: str, spec: Mapping | float) -> ValueCase:
        """A copy with assumption ``name`` replaced (or added).

        ``unit`` and ``source`` of an existing assumption are kept unless ``spec`` gives them.
        """
        d = self.to_dict()
        old = d["assumptions"].get(name)
        if isinstance(spec, Mapping) and isinstance(old, Mapping):
            spec = {**{k: old[k] for k in _META_KEYS if k in old}, **spec}
        d["assumptions"][name] = copy.deepcopy(spec)
        return ValueCase.from_dict(d, source=self.source)

    # ----------------------------------------------------------------- evaluation
    @property
    def names(self) -> list[str]:
        """Assumption names in file order."""
        return list(self.assumptions)

    def _year_amounts(self, env: Mapping[str, Any], kind: str) -> list[Any]:
        """Amounts per year 0..horizon (scalars or arrays) of the benefit or investment lines."""
        out: list[Any] = [0.0] * (self.horizon_years + 1)
        group = self.benefits if kind == "benefit" else self.investments
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for line in group:
                amount = line.formula(env)
                for t in np.flatnonzero(line.factors):
                    c = line.factors[t]
                    out[t] = out[t] + (amount if c == 1.0 else c * amount)
        return out

    def _compute(
        self, env: Mapping[str, Any], lines: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Outputs (scalars or arrays) and optionally each line's total over the horizon.

        Totals and NPV are accumulated line by line (a line's amount times the sum of its
        factors, or their discounted sum), keeping constant parts as scalars; per-year flows are
        only built for the payback time.
        """
        h = self.horizon_years
        disc = (1.0 + self.discount_rate) ** -np.arange(h + 1.0)
        per_line: dict[str, Any] = {}
        totals = {"benefit": [0.0, 0.0], "investment": [0.0, 0.0]}  # arrays, scalars
        pv = {"benefit": [0.0, 0.0], "investment": [0.0, 0.0]}
        flows: list[list[Any]] = [[0.0, 0.0] for _ in range(h + 1)]

        def add(x: Any, y: Any) -> Any:
            return y if type(x) is float and x == 0.0 else x + y

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for line in (*self.benefits, *self.investments):
                amount = line.formula(env)
                slot = 1 if np.ndim(amount) == 0 else 0
                sign = 1.0 if line.kind == "benefit" else -1.0
                f = line.factors
                total, present = float(f.sum()), float(f @ disc)
                acc = totals[line.kind]
                acc[slot] = add(acc[slot], amount if total == 1.0 else total * amount)
                acc = pv[line.kind]
                acc[slot] = add(acc[slot], amount if present == 1.0 else present * amount)
                for t in np.flatnonzero(f):
                    c = sign * f[t]
                    cell = flows[t]
                    if c == 1.0:
                        cell[slot] = add(cell[slot], amount)
                    elif c == -1.0:
                        cell[slot] = cell[slot] - amount
                    else:
                        cell[slot] = add(cell[slot], c * amount)
                if lines:
                    per_line[f"{line.kind}:{line.name}"] = amount * total

            def join(pair: list[Any]) -> Any:
                arr, const = pair
                if np.ndim(arr) == 0:
                    return arr + const
                return arr + const if const != 0.0 else arr

            tb, ti = join(totals["benefit"]), join(totals["investment"])
            value = tb - ti
            npv = join(pv["benefit"]) - join(pv["investment"])
            roi = value / ti
            flow = [join(cell) for cell in flows]
            cum = [flow[0]]
            for t in range(1, h + 1):
                cum.append(cum[-1] + flow[t])
            payback: Any = np.inf
            for t in range(h, 0, -1):  # backwards, so the earliest year that pays back wins
                payback = np.where(cum[t] >= 0, (t - 1) - cum[t - 1] / flow[t], payback)
            payback = np.where(cum[0] >= 0, 0.0, payback)
        outputs = {
            "total_benefits": tb,
            "total_investment": ti,
            "value": value,
            "npv": npv,
            "roi": roi,
            "payback_years": payback,
        }
        return outputs, per_line

    def evaluate(self, values: Mapping[str, Any], lines: bool = False) -> pd.DataFrame:
        """Outputs for given assumption values (vectorised).

        Parameters
        ----------
        values : mapping
            Every assumption name -> scalar or 1-d array (arrays share one length).
        lines : bool, default False
            Also return each line's total over the horizon as ``"benefit:<name>"`` and
            ``"investment:<name>"`` columns.

        Returns
        -------
        pandas.DataFrame
            One row per element, columns :data:`OUTPUTS` (then the line columns).
        """
        missing = [n for n in self.assumptions if n not in values]
        if missing:
            raise ValueCaseError(f"evaluate: no value for assumption(s) {', '.join(missing)}")
        env: dict[str, Any] = {}
        n = None
        for name in self.assumptions:
            v = values[name]
            arr = np.asarray(v, dtype=float)
            if arr.ndim > 1:
                raise ValueCaseError(f"evaluate: assumption {name!r} must be a scalar or 1-d")
            if arr.ndim == 1:
                if n is not None and len(arr) != n:
                    raise ValueCaseError(
                        f"evaluate: assumption {name!r} has {len(arr)} values, others {n}"
                    )
                n = len(arr)
                env[name] = arr
            else:
                env[name] = float(arr)
        n = 1 if n is None else n
        res, per_line = self._compute(env, lines)
        res.update(per_line)
        out = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in res.items()}
        index = values.index if isinstance(values, pd.DataFrame) else None
        return pd.DataFrame(out, index=index)

    def base_case(self) -> pd.Series:
        """Every assumption at its most likely value, and the resulting outputs."""
        values = {n: a.dist.most_likely() for n, a in self.assumptions.items()}
        out = self.evaluate(values).iloc[0]
        return pd.concat([pd.Series(values, dtype=float), out.astype(float)])

    def annual_benefits(self, values: Mapping[str, Any]) -> pd.DataFrame:
        """Benefits per year 1..horizon (columns ``year_1``, ...) for given values."""
        sim = self.evaluate(values)  # validates
        env = {n: np.asarray(values[n], dtype=float) for n in self.assumptions}
        ben = self._year_amounts(env, "benefit")
        n = len(sim)
        cols = {
            f"year_{t}": np.broadcast_to(np.asarray(ben[t], dtype=float), (n,))
            for t in range(1, self.horizon_years + 1)
        }
        return pd.DataFrame(cols, index=sim.index)

    # ----------------------------------------------------------------- simulation
    def _draw(self, seed: int, chunk: int, n: int) -> dict[str, Any]:
        """Assumption draws for one chunk: arrays for uncertain ones, floats for fixed ones."""
        uniforms: dict[str, np.ndarray] = {}
        group = self._group
        u_group = np.empty((len(group), n)) if group else None
        for name, a in self.assumptions.items():
            if a.dist.is_fixed:
                continue
            if name in group:
                row = u_group[group.index(name)]
                named_stream(seed, name, chunk).random(out=row)
                uniforms[name] = row
            else:
                uniforms[name] = named_stream(seed, name, chunk).random(n)
        if group:
            _iman_conover_rows(u_group, self._chol, IC_BLOCK)
        env: dict[str, Any] = {}
        for name, a in self.assumptions.items():
            env[name] = a.dist._value if a.dist.is_fixed else a.dist.ppf(uniforms[name])
        return env

    def _chunk(
        self, seed: int, chunk: int, n: int, keep_inputs: bool, out: np.ndarray | None = None
    ) -> np.ndarray:
        env = self._draw(seed, chunk, n)
        res, _ = self._compute(env)
        cols = (list(self.assumptions) if keep_inputs else []) + list(OUTPUTS)
        if out is None:
            out = np.empty((len(cols), n))
        for j, c in enumerate(cols):
            out[j] = env[c] if c in env else res[c]
        return out

    def sample(
        self, trials: int, seed: int = 0, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> pd.DataFrame:
        """Assumption draws only: the same streams, chunks and correlation as :meth:`simulate`.

        Returns a DataFrame with one column per assumption (file order).
        """
        if isinstance(trials, bool) or not isinstance(trials, numbers.Integral) or trials < 1:
            raise ValueCaseError(f"trials must be a positive whole number, got {trials!r}")
        names = list(self.assumptions)
        data = np.empty((len(names), int(trials)))
        for i, start in enumerate(range(0, int(trials), chunk_size)):
            n = min(chunk_size, int(trials) - start)
            env = self._draw(seed, i, n)
            for j, name in enumerate(names):
                data[j, start : start + n] = env[name]
        return pd.DataFrame(data.T, columns=names, copy=False)

    def simulate(
        self,
        trials: int = 100_000,
        seed: int | None = 0,
        *,
        progress: bool | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        executor: Executor | None = None,
        keep_inputs: bool = True,
    ) -> ValueSimulation:
        """Monte Carlo simulation of the case.

        Parameters
        ----------
        trials : int
            Number of trials.
        seed : int or None
            Same seed (and chunk_size) -> same numbers. None draws a fresh seed, recorded in
            the result's ``seed``.
        progress : bool or None
            tqdm progress bar; None shows it for 2 million trials or more.
        chunk_size : int
            Trials per chunk (memory for the working arrays is bounded by this).
        executor : concurrent.futures.Executor, optional
            Maps chunks (e.g. a ThreadPoolExecutor, or a dask ``Client``); results are
            identical to the serial run.
        keep_inputs : bool, default True
            Keep the assumption columns in ``samples`` (False keeps OUTPUTS only and halves
            memory for huge runs).

        Returns
        -------
        ValueSimulation
        """
        if isinstance(trials, bool) or not isinstance(trials, numbers.Integral) or trials < 1:
            raise ValueCaseError(f"trials must be a positive whole number, got {trials!r}")
        if not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
            raise ValueCaseError(f"chunk_size must be a positive whole number, got {chunk_size!r}")
        trials, chunk_size = int(trials), int(chunk_size)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**63))
        if progress is None:
            progress = trials >= 2_000_000
        cols = (list(self.assumptions) if keep_inputs else []) + list(OUTPUTS)
        data = np.empty((len(cols), trials))
        starts = list(range(0, trials, chunk_size))
        sizes = [min(chunk_size, trials - s) for s in starts]
        from tqdm.auto import tqdm

        with tqdm(
            total=trials, unit="trial", unit_scale=True, disable=not progress, leave=False
        ) as bar:
            if executor is None:
                for i, (s, n) in enumerate(zip(starts, sizes, strict=True)):
                    self._chunk(seed, i, n, keep_inputs, out=data[:, s : s + n])
                    bar.update(n)
            else:
                window = 2 * max(getattr(executor, "_max_workers", 2) or 2, 1)
                pending: list = []
                for i, (s, n) in enumerate(zip(starts, sizes, strict=True)):
                    pending.append((s, n, executor.submit(self._chunk, seed, i, n, keep_inputs)))
                    if len(pending) >= window:
                        s0, n0, fut = pending.pop(0)
                        data[:, s0 : s0 + n0] = fut.result()
                        bar.update(n0)
                for s0, n0, fut in pending:
                    data[:, s0 : s0 + n0] = fut.result()
                    bar.update(n0)
        samples = pd.DataFrame(data.T, columns=cols, copy=False)
        return ValueSimulation(self, trials, seed, samples, chunk_size)

    # ----------------------------------------------------------------- value statement
    def describe_assumption(self, name: str) -> str:
        """One line describing an assumption for the value statement."""
        a = self.assumptions[name]
        d = a.dist
        unit = f" {a.unit}" if a.unit else ""
        f = format_number
        sp = d.spec
        if d.kind == "fixed":
            text = f"{f(d.most_likely())}{unit}"
        elif d.kind in ("pert", "triangular"):
            text = (
                f"{f(float(sp['min']))} to {f(float(sp['max']))}{unit}, "
                f"most likely {f(float(sp['mode']))}"
            )
        elif d.kind == "uniform":
            text = f"anywhere from {f(float(sp['min']))} to {f(float(sp['max']))}{unit}"
        elif d.kind == "normal":
            text = f"about {f(d.mean())}{unit} (sd {f(d.sd())})"
        elif d.kind == "bernoulli":
            text = f"happens with probability {format_percent(float(sp['p']))}"
        else:
            p10, p50, p90 = d.ppf(np.array([0.1, 0.5, 0.9]))
            text = f"P10 {f(p10)}, P50 {f(p50)}, P90 {f(p90)}{unit}"
        src = f" (source: {a.source})" if a.source else ""
        return f"{name}: {text}{src}"

    def value_statement(self, simulation: ValueSimulation | None = None) -> str:
        """The sales model's value statement filled in from the case (and a simulation).

        Without a simulation the figures are the base case; with one, the first-year benefit
        and value are medians with their P10-P90 range and P(value > 0) is added.
        """
        st = self.statement
        cur = self.currency
        base = self.base_case()
        money = lambda x: format_money(x, cur)  # noqa: E731
        names = list(self.assumptions)
        year1 = None
        sim_ok = simulation is not None and all(n in simulation.samples for n in names)
        if sim_ok:
            year1 = self.annual_benefits(simulation.samples[names])["year_1"].to_numpy()
        if year1 is not None and np.ptp(year1) > 0:
            p10, p50, p90 = np.percentile(year1, [10, 50, 90])
            benefit = f"benefits of {money(p50)} a year (P10 {money(p10)}, P90 {money(p90)})"
        else:
            ben1 = self.annual_benefits({n: base[n] for n in names})["year_1"].iloc[0]
            benefit = f"benefits of {money(ben1)} a year"
        parts = [
            f"We believe {self.customer} should be able to "
            f"{_lower_first(st.get('goal', 'reach its goal')).rstrip('.')} resulting in "
            f"{benefit} within the first year."
        ]
        if st.get("capability"):
            parts.append(f"Through the ability {_lower_first(st['capability']).rstrip('.')}.")
        if st.get("as_a_result_of"):
            parts.append(f"As a result of {_lower_first(st['as_a_result_of']).rstrip('.')}.")
        parts.append(f"For an investment of {money(base['total_investment'])}.")
        h = self.horizon_years
        if simulation is not None:
            s = simulation.summary()
            parts.append(
                f"Value over {h} year{'s' if h != 1 else ''}: {money(s.loc['value', 'p50'])} "
                f"(P10 {money(s.loc['value', 'p10'])}, P90 {money(s.loc['value', 'p90'])}); "
                f"NPV at {format_percent(self.discount_rate, 1).replace('.0%', '%')}: "
                f"{money(s.loc['npv', 'p50'])}; "
                f"probability the value is positive: {format_percent(simulation.prob_positive())}."
            )
        else:
            parts.append(
                f"Value over {h} year{'s' if h != 1 else ''}: {money(base['value'])} "
                f"(NPV at {format_percent(self.discount_rate, 1).replace('.0%', '%')}: "
                f"{money(base['npv'])})."
            )
        bullets = []
        values = {n: base[n] for n in names}
        env = {n: float(v) for n, v in values.items()}
        for line in self.investments:
            amount = float(np.asarray(line.formula(env)) * line.factors.sum())
            years = np.flatnonzero(line.factors)
            when = "" if list(years) == [0] else f" (year {', '.join(str(y) for y in years)})"
            bullets.append(f"{line.name} costing {money(amount)}{when}.")
        for n in names:
            bullets.append(self.describe_assumption(n) + ".")
        for a, b, rho in self.correlations:
            bullets.append(f"{a} and {b} move together (rank correlation {rho:g}).")
        lines = "\n".join(f"- {b}" for b in bullets)
        return " ".join(parts) + "\nBased on the following assumptions:\n" + lines


def _lower_first(text: str) -> str:
    text = str(text).strip()
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


# --------------------------------------------------------------------------- results
@dataclass
class ValueSimulation:
    """The result of :meth:`ValueCase.simulate`.

    Attributes
    ----------
    case : ValueCase
    trials, seed, chunk_size : int
    samples : pandas.DataFrame
        One column per assumption (unless ``keep_inputs=False``) then :data:`OUTPUTS`.
    """

    case: ValueCase
    trials: int
    seed: int
    samples: pd.DataFrame
    chunk_size: int = DEFAULT_CHUNK_SIZE

    def __repr__(self) -> str:
        return f"ValueSimulation({self.case.name!r}, trials={self.trials}, seed={self.seed})"

    def summary(self) -> pd.DataFrame:
        """Mean, sd, P10, P50, P90 and P(> 0) of each output (index :data:`OUTPUTS`).

        ``payback_years`` is inf in trials that never pay back, so its mean can be inf.
        """
        rows = {}
        with np.errstate(invalid="ignore"):
            for out in OUTPUTS:
                x = self.samples[out].to_numpy()
                p10, p50, p90 = np.percentile(x, [10, 50, 90])
                rows[out] = {
                    "mean": float(np.mean(x)),
                    "sd": float(np.std(x, ddof=1)) if len(x) > 1 else float("nan"),
                    "p10": p10,
                    "p50": p50,
                    "p90": p90,
                    "prob_positive": float(np.mean(x > 0)),
                }
        return pd.DataFrame.from_dict(rows, orient="index")[
            ["mean", "sd", "p10", "p50", "p90", "prob_positive"]
        ]

    def prob_positive(self, output: str = "value") -> float:
        """Share of trials with ``output > 0`` (e.g. the chance the case pays off)."""
        if output not in self.samples:
            raise ValueCaseError(f"no output {output!r}; have {', '.join(self.samples.columns)}")
        return float(np.mean(self.samples[output].to_numpy() > 0))

    def standard_error(self, output: str = "value") -> float:
        """Monte Carlo standard error of the mean of ``output``."""
        x = self.samples[output].to_numpy()
        return float(np.std(x, ddof=1) / np.sqrt(len(x)))
