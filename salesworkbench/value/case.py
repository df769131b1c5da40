"""The value case contract: a YAML file of assumptions, benefit and investment lines.

Value = Total Benefits - Total Investment, with uncertain assumptions. A :class:`ValueCase` is
read from a YAML file (:func:`salesworkbench.safe_yaml.load_yaml`: plain data only, no
duplicate keys, no aliases) and validated with errors that name the file,
the assumption or the line at fault; a round trip (``from_dict(to_dict())``, or
:meth:`~ValueCase.to_yaml` then :meth:`~ValueCase.from_yaml`) loses nothing. The file format is
documented in ``docs/value_cases.md``.

The case is the hub; each of its other jobs lives in its own module of this package:

* :meth:`~ValueCase.evaluate`, :meth:`~ValueCase.base_case`: the cash-flow arithmetic and its
  conventions (value, NPV, ROI, payback) in :mod:`salesworkbench.value.cashflows`;
* :meth:`~ValueCase.simulate`, :meth:`~ValueCase.sample`: the Monte Carlo engine and its result
  in :mod:`salesworkbench.value.simulation` (correlations by Iman-Conover,
  :mod:`salesworkbench.value.correlation`);
* :meth:`~ValueCase.value_statement`: the statement text in :mod:`salesworkbench.value.statement`.
"""

from __future__ import annotations

import copy
import difflib
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

from salesworkbench._files import atomic_write
from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import DataError, ValueCaseError
from salesworkbench.safe_yaml import dump_yaml, load_yaml
from salesworkbench.value import simulation as _simulation
from salesworkbench.value import statement as _statement
from salesworkbench.value.cashflows import _outputs, _year_amounts
from salesworkbench.value.correlation import correlation_factor
from salesworkbench.value.distributions import DISTRIBUTIONS, Distribution, make_distribution
from salesworkbench.value.formula import Formula
from salesworkbench.value.simulation import DEFAULT_CHUNK_SIZE, ValueSimulation

__all__ = ["ASSUMPTION_FORMATS", "Assumption", "Line", "ValueCase"]

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
_META_KEYS = ("unit", "source", "note", "label", "format")
_STATEMENT_KEYS = ("goal", "capability", "as_a_result_of")
_LINE_KEYS = {"benefit": ("name", "formula", "years", "ramp", "note"), "investment": ()}
_LINE_KEYS["investment"] = (*_LINE_KEYS["benefit"], "year")
#: Longest text (characters) of each free-text field: they are short labels and sentences.
TEXT_LIMITS = {
    "name": 200,
    "customer": 200,
    "currency": 12,
    "statement": 1000,
    "unit": 60,
    "source": 500,
    "note": 1000,
    "label": 200,
    "line name": 200,
}


def _did_you_mean(key: Any, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}allowed: {', '.join(allowed)}"


def _short_text(value: Any, what: str, limit_key: str) -> str:
    """``value`` if it is text of at most :data:`TEXT_LIMITS` characters, else an error."""
    if not isinstance(value, str):
        raise ValueCaseError(f"{what} must be text, got {value!r} (put it in quotes)")
    limit = TEXT_LIMITS[limit_key]
    if len(value) > limit:
        raise ValueCaseError(
            f"{what} is {len(value):,} characters long; at most {limit:,} are allowed (shorten it)"
        )
    return value


#: How an assumption's values are shown (its optional ``format``): a share as a percentage,
#: an amount of money with the case's currency, or a plain number (the default).
ASSUMPTION_FORMATS = ("percent", "money", "number")


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
    label : str or None
        How reports and the value statement name the assumption (e.g. "Fuel use (l/100 km)");
        None shows the name.
    format : {"percent", "money", "number"} or None
        How its values are shown: ``percent`` (0.03 -> 3%), ``money`` (with the currency) or
        ``number``; None is ``number``.
    extra : dict
        The optional ``note`` (free text); any other key is refused on reading.
    """

    name: str
    dist: Distribution
    unit: str | None = None
    source: str | None = None
    extra: dict = field(default_factory=dict)
    bare: bool = False  # written as a bare number in the file
    label: str | None = None
    format: str | None = None

    @property
    def title(self) -> str:
        """The label if there is one, else the name."""
        return self.label or self.name

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
        required, optional = DISTRIBUTIONS[dist.kind]
        allowed = ("dist", *required, *optional, *_META_KEYS)
        for key in spec:
            if key not in allowed:
                raise ValueCaseError(
                    f"assumption {name!r}: unknown key {key!r} for dist {dist.kind!r}; "
                    + _did_you_mean(key, allowed)
                )
        fmt = spec.get("format")
        if fmt is not None and fmt not in ASSUMPTION_FORMATS:
            raise ValueCaseError(
                f"assumption {name!r}: format must be one of {', '.join(ASSUMPTION_FORMATS)}, "
                f"got {fmt!r}"
            )
        meta = {
            k: _short_text(spec[k], f"assumption {name!r}: {k!r}", k)
            for k in ("unit", "source", "note", "label")
            if spec.get(k) is not None
        }
        if "label" in meta and not meta["label"].strip():
            raise ValueCaseError(f"assumption {name!r}: label must be non-empty text")
        extra = {"note": meta["note"]} if "note" in meta else {}
        return cls(
            name,
            dist,
            meta.get("unit"),
            meta.get("source"),
            extra,
            label=meta.get("label"),
            format=fmt,
        )

    def to_spec(self) -> Any:
        """The YAML mapping (or bare number) this assumption was read from."""
        meta = {"unit": self.unit, "source": self.source, "label": self.label}
        meta = {k: v for k, v in {**meta, "format": self.format}.items() if v is not None}
        if self.bare and not meta and not self.extra:
            return self.dist.spec["value"]
        out = dict(self.dist.spec)
        out.update(meta)
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
    _short_text(name, f"{where}: 'name'", "line name")
    label = f"{kind} {name!r}"
    for key in raw:
        if key not in _LINE_KEYS[kind]:
            raise ValueCaseError(
                f"{label}: unknown key {key!r}; " + _did_you_mean(key, _LINE_KEYS[kind])
            )
    if raw.get("note") is not None:
        _short_text(raw["note"], f"{label}: 'note'", "note")
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
            raise ValueCaseError(f"{label}: {key!r}[{i + 1}] must be a number, got {y!r}")
    span = f"{first}..{horizon}"
    if key == "years":  # a list of years, never ramp factors
        for i, y in enumerate(years):
            if not _is_int(y) or not first <= y <= horizon:
                raise ValueCaseError(
                    f"{label}: 'years'[{i + 1}] is {y!r}; 'years' lists whole years in {span}. "
                    f"For a factor per year write 'ramp: [...]' with {horizon - first + 1} "
                    "numbers instead"
                )
        dup = sorted({int(y) for y in years if list(years).count(y) > 1})
        if dup:
            raise ValueCaseError(
                f"{label}: 'years' lists year {dup[0]} more than once; list each year once, or "
                f"give one factor per year {span} as 'ramp: [...]'"
            )
        factors[[int(y) for y in years]] = 1.0
    elif len(years) == horizon - first + 1:  # per-year ramp factors
        factors[first:] = np.asarray(years, dtype=float)
    else:
        raise ValueCaseError(
            f"{label}: 'ramp' has {len(years)} numbers; give one factor per year {span} "
            f"({horizon - first + 1} numbers)"
        )
    return Line(name, kind, formula, factors, dict(raw))


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, numbers.Real) or not math.isfinite(raw):
        raise ValueCaseError(f"{where} must be a number, got {raw!r}")
    return float(raw)


# --------------------------------------------------------------------------- the value case
class ValueCase:
    """A customer's value case: assumptions, benefit and investment lines.

    Build with :meth:`from_yaml` or :meth:`from_dict`; the file format is in
    ``docs/value_cases.md``, the cash-flow conventions in :mod:`salesworkbench.value.cashflows`.
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
        # the correlated assumptions and the Cholesky factor the simulation's Iman-Conover
        # step uses (checked here, so an impossible set of correlations fails on reading)
        self._group, self._chol = correlation_factor(list(self.assumptions), self.correlations)

    def __repr__(self) -> str:
        return (
            f"ValueCase({self.name!r}, customer={self.customer!r}, "
            f"{len(self.assumptions)} assumptions, {len(self.benefits)} benefits, "
            f"{len(self.investments)} investments)"
        )

    # ----------------------------------------------------------------- reading / writing
    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> ValueCase:
        """Read a value case file.

        The YAML is read by :func:`salesworkbench.safe_yaml.load_yaml`: plain data only (no
        Python tags, no code), a key given twice in one mapping and aliases (``*name``) are
        refused, and every error names the file and the line.
        """
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ValueCaseError(f"{path}: cannot read value case ({exc.strerror})") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ValueCaseError(
                f"{path}: line {line}: not UTF-8 text (byte {exc.start} cannot be read); save "
                "the file as UTF-8"
            ) from None
        try:
            data = load_yaml(text, source=str(path))
        except DataError as exc:
            raise ValueCaseError(
                str(exc).replace(": not valid YAML:", ": not a valid value case YAML:")
            ) from None
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
            if key in d:
                _short_text(d[key], repr(key), key)
        statement = d.get("statement") or {}
        if not isinstance(statement, Mapping):
            raise ValueCaseError(f"'statement' must be a mapping, got {statement!r}")
        statement = {k: v for k, v in statement.items() if v is not None}
        for key, text in statement.items():
            if key not in _STATEMENT_KEYS:
                raise ValueCaseError(
                    f"statement: unknown key {key!r}; " + _did_you_mean(key, _STATEMENT_KEYS)
                )
            _short_text(text, f"statement: {key!r}", "statement")
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
        text = dump_yaml(
            self.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
        )
        with atomic_write(path, "w") as fh:
            fh.write(text)

    def to_excel(
        self,
        path: str | os.PathLike,
        *,
        trials: int = VALUE_TRIALS,
        seed: int = 0,
        results: bool = True,
    ) -> Path:
        """Write an editable Excel workbook (see :func:`salesworkbench.value.excel.to_excel`)."""
        from salesworkbench.value.excel import to_excel

        return to_excel(self, path, trials=trials, seed=seed, results=results)

    @classmethod
    def from_excel(cls, path: str | os.PathLike) -> ValueCase:
        """Read a workbook written by :meth:`to_excel` (see :mod:`salesworkbench.value.excel`).

        Errors name the sheet, the row and the column at fault.
        """
        from salesworkbench.value.excel import from_excel

        return from_excel(path)

    def save_version(
        self, store: Any, note: str = "", *, date: Any = None, key: str | None = None
    ) -> Any:
        """Store this case as a dated version (see :mod:`salesworkbench.value.versions`).

        ``store`` is a :class:`~salesworkbench.value.versions.VersionStore` or the path of its
        file; returns the stored :class:`~salesworkbench.value.versions.CaseVersion`.
        """
        from salesworkbench.value.versions import VersionStore

        if not isinstance(store, VersionStore):
            store = VersionStore(store)
        return store.save(self, note, date=date, key=key)

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
            One row per element, columns :data:`~salesworkbench.value.OUTPUTS` (then the line
            columns).
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
        res, per_line = _outputs(self, env, lines)
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
        ben = _year_amounts(self, env, "benefit")
        n = len(sim)
        cols = {
            f"year_{t}": np.broadcast_to(np.asarray(ben[t], dtype=float), (n,))
            for t in range(1, self.horizon_years + 1)
        }
        return pd.DataFrame(cols, index=sim.index)

    # ----------------------------------------------------------------- simulation
    def sample(
        self, trials: int, seed: int = 0, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> pd.DataFrame:
        """Assumption draws only: the same streams, chunks and correlation as :meth:`simulate`.

        Returns a DataFrame with one column per assumption (file order).
        """
        return _simulation._sample(self, trials, seed, chunk_size)

    def simulate(
        self,
        trials: int = VALUE_TRIALS,
        seed: int | None = 0,
        *,
        progress: bool | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        executor: Executor | None = None,
        keep_inputs: bool = True,
    ) -> ValueSimulation:
        """Monte Carlo simulation of the case (see :mod:`salesworkbench.value.simulation`).

        Parameters
        ----------
        trials : int, default :data:`salesworkbench.defaults.VALUE_TRIALS`
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
        return _simulation._simulate(
            self,
            trials,
            seed,
            progress=progress,
            chunk_size=chunk_size,
            executor=executor,
            keep_inputs=keep_inputs,
        )

    # ----------------------------------------------------------------- value statement
    def describe_assumption(self, name: str) -> str:
        """One line describing an assumption for the value statement.

        See :func:`salesworkbench.value.statement.describe_assumption`.
        """
        return _statement.describe_assumption(self, name)

    def value_statement(
        self,
        simulation: ValueSimulation | None = None,
        *,
        break_even: Any = None,
        walk_away: Any = None,
    ) -> str:
        """The sales model's value statement filled in from the case (and a simulation).

        Without a simulation the figures are the base case; with one, the first-year benefit
        and value are medians with their P10-P90 range and P(value > 0) is added. Break-even
        points and walk-away values (:mod:`salesworkbench.value.negotiation`), when given, are
        said too. See :func:`salesworkbench.value.statement.value_statement`.
        """
        return _statement.value_statement(
            self, simulation, break_even=break_even, walk_away=walk_away
        )
