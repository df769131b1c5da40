"""Straw-man value cases: start a prospect's case from a previous customer's realised one.

Early in a sale there is little customer data. The sales model's answer is a *straw-man*: take a
reference customer whose project paid off, re-scale its figures to the prospect's size, and say
clearly that the numbers are borrowed. :func:`straw_man` does this for a value case template:

1. **Facts.** An assumption whose name is in ``prospect_drivers`` (e.g. ``arpu_before``, read from
   the prospect's annual report) is set to that figure, fixed.
2. **Scaled.** An assumption listed in ``scale_by`` (assumption -> driver) takes the reference's
   realised value times ``prospect[driver] / reference[driver]``: ``users`` scales with
   ``subscribers``, ``node_cost`` with ``sites``, ``arpu_after`` with ``arpu_before`` (which
   carries over the *relative* ARPU uplift).
3. **Transferred.** Any other assumption with a column of the same name in the reference (e.g.
   ``margin``, ``adoption``) takes the reference's realised value as it is.
4. **Kept.** Assumptions the reference does not record keep the template's distribution.

**Widening rule (transfer uncertainty).** A borrowed value ``v`` becomes
``pert(min = v (1 - w), mode = v, max = v (1 + w))`` with ``w = widen`` for a transferred value
and ``w = widen * (1 + |ln r|)`` for a value scaled by the ratio ``r``: the further the prospect
is from the reference, the wider the range (``r = 2`` or ``1/2`` widens by a further 69%).
When the driver is itself an assumption of the case in the same unit (``arpu_after`` by
``arpu_before``, both GBP/month), what transfers is the uplift over the driver, so the widening
applies to the uplift:
``arpu_before + uplift (1 -/+ w)``. Bounds are clipped at 0, and to [0, 1] for shares
(adoption, margin). ``widen = 0`` gives fixed values, which reproduces the reference's realised
benefit when the prospect's drivers equal the reference's.

Nothing here reads the bundled sample: the caller passes the reference table (read your own with
:func:`read_reference_customers`) and the template case. With the sample data::

    from salesworkbench.datasets import data_path

    refs = read_reference_customers(data_path("reference_customers.csv"))
    template = ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml"))
    ref = nearest_reference(prospect, refs)
    straw = straw_man(ref, prospect, template)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError, ValueCaseError

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase

__all__ = [
    "DEFAULT_SCALE_BY",
    "DEFAULT_WIDEN",
    "REFERENCE_COLUMNS",
    "nearest_reference",
    "read_reference_customers",
    "straw_man",
]

#: How the telecom template's assumptions re-scale: assumption -> driver column.
DEFAULT_SCALE_BY: dict[str, str] = {
    "users": "subscribers",
    "arpu_after": "arpu_before",
    "node_cost": "sites",
}

#: Base relative half-width of a borrowed value's range (see the widening rule).
DEFAULT_WIDEN = 0.4

#: Columns every reference table must have (others are optional drivers / realised values).
REFERENCE_COLUMNS = ("customer", "industry", "year")


def read_reference_customers(path: str | os.PathLike) -> pd.DataFrame:
    """Read and check a table of realised cases of previous customers.

    Parameters
    ----------
    path : path-like
        A CSV in the layout of the bundled ``data/reference_customers.csv`` (see
        ``data/value_cases/README.md``): ``customer``, ``industry`` and ``year``, then columns
        named after the template's assumptions and drivers.

    Returns
    -------
    pandas.DataFrame
        One row per reference customer (5 rows, 18 columns in the bundled file): ``customer``,
        ``industry``, ``country``, ``year``, ``currency``, drivers (``subscribers``, ``users``,
        ``annual_revenue``, ``sites``), realised assumptions (``arpu_before``, ``arpu_after``,
        ``margin``, ``adoption``, ``node_cost``, ``other_investment``) and outcome
        (``investment``, ``benefit_per_year``, ``payback_years``).

    Examples
    --------
    >>> from salesworkbench.datasets import data_path
    >>> refs = read_reference_customers(data_path("reference_customers.csv"))
    >>> refs[["customer", "subscribers", "adoption"]].head(2)
                customer  subscribers  adoption
    0   Northwind Mobile       420000      0.76
    1  Caledonia Telecom       160000      0.72
    """
    file = Path(path)
    table = pd.read_csv(file)
    missing = [c for c in REFERENCE_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", file=str(file))
    dup = table["customer"].duplicated(keep=False)
    if dup.any():
        raise DataError(
            "customer names must be unique",
            file=str(file),
            rows=(np.flatnonzero(dup) + 2).tolist(),
            column="customer",
        )
    for col in table.columns:
        if col in ("customer", "industry", "country", "currency"):
            continue
        values = pd.to_numeric(table[col], errors="coerce")
        bad = values.isna() & table[col].notna()
        if bad.any():
            raise DataError(
                "expected a number",
                file=str(file),
                rows=(np.flatnonzero(bad) + 2).tolist(),
                column=col,
            )
        table[col] = values
    table.attrs["file"] = str(file)
    return table


def nearest_reference(
    prospect_drivers: Mapping[str, float],
    references: pd.DataFrame,
    industry: str | Sequence[str] | None = None,
) -> pd.Series:
    """The reference customer closest to the prospect in its drivers (log-ratio distance).

    Parameters
    ----------
    prospect_drivers : mapping
        The prospect's known figures; those that are numeric reference columns are compared.
    references : pandas.DataFrame
        The reference table (e.g. from :func:`read_reference_customers`).
    industry : str or list of str, optional
        Only consider references in this industry (or these industries).

    Returns
    -------
    pandas.Series
        The chosen reference's row.
    """
    refs = references
    if industry is not None:
        wanted = [industry] if isinstance(industry, str) else list(industry)
        refs = refs[refs["industry"].isin(wanted)]
        if refs.empty:
            raise ValueCaseError(f"no reference customer in industry {industry!r}")
    cols = [
        k
        for k, v in prospect_drivers.items()
        if k in refs.columns and pd.api.types.is_numeric_dtype(refs[k]) and float(v) > 0
    ]
    if not cols:
        raise ValueCaseError(
            "none of the prospect drivers "
            f"({', '.join(prospect_drivers)}) is a numeric column of the reference table"
        )
    x = np.log(refs[cols].astype(float).clip(lower=1e-12))
    target = np.log(np.array([float(prospect_drivers[c]) for c in cols]))
    distance = np.sqrt(((x - target) ** 2).sum(axis=1))
    return refs.loc[distance.idxmin()]


def _reference_row(reference: Any, references: pd.DataFrame | None) -> pd.Series:
    if isinstance(reference, pd.Series):
        return reference
    if hasattr(reference, "as_reference"):  # a Realisation: the customer's realised figures
        return reference.as_reference()
    if isinstance(reference, Mapping):
        return pd.Series(dict(reference))
    if isinstance(reference, str):
        if references is None:
            raise ValueCaseError(
                f"reference {reference!r} is a customer name: pass references= (the reference "
                "customers table) to look it up, or pass the reference's row"
            )
        refs = references
        hit = refs[refs["customer"] == reference]
        if hit.empty:
            raise ValueCaseError(
                f"unknown reference customer {reference!r}; known: {', '.join(refs['customer'])}"
            )
        return hit.iloc[0]
    raise TypeError(f"reference must be a customer name, a row or a dict, got {type(reference)!r}")


def _load_template(case_template: Any) -> ValueCase:
    from salesworkbench.value.case import ValueCase

    if isinstance(case_template, str | os.PathLike):
        return ValueCase.from_yaml(case_template)
    if hasattr(case_template, "to_dict"):
        return case_template
    raise TypeError(f"case_template must be a ValueCase or a YAML path, got {case_template!r}")


def _is_share(case: ValueCase, name: str, value: float) -> bool:
    dist = case.assumptions[name].dist
    with np.errstate(all="ignore"):
        lo, hi = (float(v) for v in dist.ppf(np.array([0.0, 1.0])))
    return 0.0 <= value <= 1.0 and 0.0 <= lo and hi <= 1.0


def _widened(value: float, w: float, share: bool, anchor: float = 0.0) -> dict[str, Any]:
    """PERT around ``value`` whose distance from ``anchor`` is widened by +/- ``w``."""
    if w == 0 or value == anchor:
        return {"dist": "fixed", "value": float(value)}
    lo, hi = sorted((anchor + (value - anchor) * (1 - w), anchor + (value - anchor) * (1 + w)))
    if value > 0:
        lo = max(lo, 0.0)
    if share:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return {"dist": "pert", "min": float(lo), "mode": float(value), "max": float(hi)}


def _same_unit(case: ValueCase, name: str, driver: str) -> bool:
    """True when two assumptions are stated in the same (non-empty) unit: ARPU before and after."""
    a, b = (str(case.assumptions[n].unit or "").strip().lower() for n in (name, driver))
    return bool(a) and a == b


def _fmt(x: float) -> str:
    """Readable figure for a source note: 60,000 / 2,150,000 / 22.1 / 0.52."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _number(row: pd.Series, column: str, who: str) -> float:
    try:
        value = float(row[column])
    except (KeyError, TypeError, ValueError):
        raise ValueCaseError(f"reference {who!r} has no number in column {column!r}") from None
    if not math.isfinite(value):
        raise ValueCaseError(f"reference {who!r} has no number in column {column!r}")
    return value


def straw_man(
    reference: str | pd.Series | Mapping[str, Any],
    prospect_drivers: Mapping[str, float],
    case_template: ValueCase | str | os.PathLike,
    widen: float | Mapping[str, float] = DEFAULT_WIDEN,
    *,
    scale_by: Mapping[str, str] | None = None,
    customer: str | None = None,
    references: pd.DataFrame | None = None,
) -> ValueCase:
    """Build a straw-man value case for a prospect from a reference customer's realised case.

    See the module docstring for the rules (facts, scaled, transferred, kept) and the widening
    rule.

    Parameters
    ----------
    reference : str, pandas.Series, dict or Realisation
        A customer name in the reference table, or a reference row, or a realised case
        (:func:`~salesworkbench.value.realisation.realisation`; its reported actuals are the
        reference's figures; use ``Realisation.as_reference(drivers=...)`` to add size
        drivers).
    prospect_drivers : mapping
        The prospect's known figures, e.g. ``{"subscribers": 110_000, "sites": 3,
        "arpu_before": 22}``. Names of template assumptions are taken as facts (fixed); the
        rest are drivers for ``scale_by``.
    case_template : ValueCase or path
        The case (or its YAML file) whose formulas, statement and correlations the straw-man
        reuses, e.g. the bundled ``data/value_cases/telecom_arpu.yaml``.
    widen : float or dict, default 0.4
        Base relative half-width for borrowed values (a dict gives one per assumption; those
        it does not name get the default). With 0.4 the telecom straw-man's spread of value is
        a little wider than the refined case's, as a borrowed case should be.
    scale_by : dict, optional
        Assumption -> driver column; :data:`DEFAULT_SCALE_BY` by default. Entries for
        assumptions the template does not have are ignored.
    customer : str, optional
        The prospect's name for the case (default: the template's customer).
    references : pandas.DataFrame, optional
        Reference table to look ``reference`` up in; needed when ``reference`` is a name.

    Returns
    -------
    ValueCase
        The straw-man; each assumption's ``source`` says where its figure came from.
    """
    template = _load_template(case_template)
    row = _reference_row(reference, references)
    who = str(row.get("customer", "reference"))
    scale_by = dict(DEFAULT_SCALE_BY if scale_by is None else scale_by)
    for key, value in prospect_drivers.items():
        if key not in template.assumptions and key not in row.index:
            raise ValueCaseError(
                f"prospect driver {key!r} is neither an assumption of {template.name!r} nor a "
                f"column of the reference table"
            )
        try:
            ok = math.isfinite(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueCaseError(f"prospect driver {key!r} must be a number, got {value!r}")
    unknown = [
        k for k in (widen if isinstance(widen, Mapping) else {}) if k not in template.assumptions
    ]
    if unknown:
        raise ValueCaseError(f"widen names unknown assumption(s) {', '.join(map(repr, unknown))}")

    def width(name: str) -> float:
        w = widen.get(name, DEFAULT_WIDEN) if isinstance(widen, Mapping) else widen
        w = float(w)
        if not 0.0 <= w < 1.0 or not math.isfinite(w):
            raise ValueCaseError(f"widen for assumption {name!r} must be in [0, 1), got {w!r}")
        return w

    data = template.to_dict()
    year = row.get("year")
    tag = f"{who} ({int(year)})" if year is not None and pd.notna(year) else who
    assumptions: dict[str, dict[str, Any]] = {}
    for name, spec in data["assumptions"].items():
        spec = dict(spec)
        keep = {k: spec[k] for k in ("unit",) if k in spec}
        if name in prospect_drivers:
            new = {"dist": "fixed", "value": float(prospect_drivers[name])}
            source = "prospect figure"
        elif name in scale_by and name in row.index:
            driver = scale_by[name]
            if driver not in prospect_drivers:
                raise ValueCaseError(
                    f"assumption {name!r} scales with {driver!r}: give prospect_drivers"
                    f"[{driver!r}] or leave {name!r} out of scale_by"
                )
            ref_value = _number(row, name, who)
            ref_driver = _number(row, driver, who)
            if ref_driver <= 0 or float(prospect_drivers[driver]) <= 0:
                raise ValueCaseError(f"driver {driver!r} must be positive to scale {name!r}")
            ratio = float(prospect_drivers[driver]) / ref_driver
            value = ref_value * ratio
            w = width(name) * (1 + abs(math.log(ratio)))
            w = min(w, 0.95)
            share = _is_share(template, name, value)
            source = f"straw-man: {tag} {name} {_fmt(ref_value)} x {driver} ratio {ratio:.3g}, "
            if driver in template.assumptions and _same_unit(template, name, driver):
                # e.g. arpu_after by arpu_before: what transfers is the uplift over the
                # driver, so the widening applies to that uplift, not to the whole level
                # (only for a level of the driver's own quantity: an installation cost that
                # scales with a fleet's trucks is widened as a whole)
                anchor = float(prospect_drivers[driver])
                new = _widened(value, w, share, anchor=anchor)
                source += f"uplift over {driver} widened +/-{w:.0%}"
            else:
                new = _widened(value, w, share)
                source += f"widened +/-{w:.0%}"
        elif name in row.index and pd.notna(row[name]):
            value = _number(row, name, who)
            w = width(name)
            new = _widened(value, w, _is_share(template, name, value))
            source = f"straw-man: {tag} realised {_fmt(value)}, widened +/-{w:.0%}"
        else:
            assumptions[name] = spec
            spec.setdefault("source", "template (not recorded for the reference)")
            continue
        new.update(keep)
        new["source"] = source
        assumptions[name] = new
    data["assumptions"] = assumptions
    data["name"] = f"Straw-man from {who}: {template.name}"
    if customer is not None:
        data["customer"] = customer
    from salesworkbench.value.case import ValueCase

    return ValueCase.from_dict(data, source=f"straw-man from {who}")
