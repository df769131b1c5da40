"""What-if: a value case with some assumptions' distribution parameters changed.

:func:`with_values` is what an explorer widget calls when a slider moves: it merges new
parameters (``{"adoption": {"min": 0.5, "max": 0.9}}``) over the case's own, keeps each
assumption's unit, source and other keys, and gives back a new case (the original is never
modified). A moved range keeps its other parameters valid: a PERT or triangular mode is clipped
into the new range and an elicited P50 that falls outside it moves to the middle.

Unchanged assumptions keep their distribution objects, so a PERT's fitted quantile function
(about 0.1 s to set up) is not rebuilt on every move.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from salesworkbench.errors import ValueCaseError

if TYPE_CHECKING:
    from salesworkbench.value.case import Assumption, ValueCase

__all__ = ["with_values"]

_RANGES = (("min", "max"), ("p10", "p90"))


def _same(a: Any, b: Any) -> bool:
    """Equal parameters, reading numeric text ("2.0e6") as the number it is."""
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return a == b


def _same_spec(a: Mapping, b: Mapping) -> bool:
    return all(_same(a.get(k), b.get(k)) for k in set(a) | set(b))


def _fit_range(spec: dict, given: Mapping[str, Any]) -> dict:
    """Keep a mode / P50 that was not given inside a range that was."""
    for lo_key, hi_key in _RANGES:
        if lo_key not in given or hi_key not in given:
            continue
        lo, hi = float(spec[lo_key]), float(spec[hi_key])
        if "mode" in spec and "mode" not in given:
            spec["mode"] = min(max(float(spec["mode"]), lo), hi)
        if "p50" in spec and "p50" not in given and not lo < float(spec["p50"]) < hi:
            spec["p50"] = (lo + hi) / 2.0  # an elicited P50 must lie strictly inside
    return spec


def with_values(
    case: ValueCase,
    values: Mapping[str, Mapping[str, Any]],
    *,
    cache: MutableMapping[str, Assumption] | None = None,
) -> ValueCase:
    """Return ``case`` with new distribution parameters for some assumptions.

    Parameters
    ----------
    case : ValueCase
        The case (not modified).
    values : mapping of str -> mapping
        Per assumption, the parameters to change, e.g. ``{"arpu_after": {"min": 23, "max":
        27}, "node_cost": {"sd": 3e5}}``. Parameters not given keep the case's values, except
        that a mode (or elicited P50) left outside a newly given range is moved inside it.
    cache : dict, optional
        Assumptions built by earlier calls, by name; an assumption whose parameters equal a
        cached one reuses it (and its fitted quantile function), and new ones are added. Pass
        the same dict on every call of an interactive session.

    Returns
    -------
    ValueCase
        ``case`` itself when no parameter differs from the case's, else a new case.

    Raises
    ------
    ValueCaseError
        An unknown assumption, or parameters that do not make a valid distribution (e.g. a
        range squeezed to a point); the message names the assumption.

    Examples
    --------
    >>> from salesworkbench.datasets import data_path
    >>> from salesworkbench.value import ValueCase, with_values
    >>> case = ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml"))
    >>> new = with_values(case, {"arpu_after": {"min": 25.0, "max": 27.0}})
    >>> new.assumptions["arpu_after"].dist.spec["min"]
    25.0
    >>> case.assumptions["arpu_after"].dist.spec["min"]  # the original is unchanged
    24
    >>> with_values(case, {"arpu_after": {"min": 24}}) is case
    True
    """
    from salesworkbench.value.case import ValueCase

    unknown = [name for name in values if name not in case.assumptions]
    if unknown:
        raise ValueCaseError(
            f"no assumption {', '.join(map(repr, unknown))} in value case {case.name!r}; "
            f"assumptions: {', '.join(case.assumptions)}"
        )
    data = case.to_dict()
    changed = False
    for name, given in values.items():
        original = case.assumptions[name].dist.spec
        spec = _fit_range({**original, **given}, given)
        if _same_spec(spec, original):
            continue
        old = data["assumptions"][name]
        meta = {k: v for k, v in old.items() if k not in original} if isinstance(old, dict) else {}
        data["assumptions"][name] = {**spec, **meta}
        changed = True
    if not changed:
        return case
    new = ValueCase.from_dict(data, source=case.source)
    pool = cache if cache is not None else {}
    for name, assumption in new.assumptions.items():
        for known in (case.assumptions[name], pool.get(name)):
            if known is not None and _same_spec(assumption.dist.spec, known.dist.spec):
                new.assumptions[name] = known
                break
        else:
            pool[name] = assumption
    return new
