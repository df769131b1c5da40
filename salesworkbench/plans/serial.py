"""The typed YAML/JSON codec of plan files: dataclasses to plain data and back, checked.

A plan file is plain data (mappings, lists, text, numbers, dates). :func:`load_record` builds
a dataclass from it, checking every field against its type hint (text, number, whole number,
true/false, date, enum, nested dataclass, list of either) and the bounds in its metadata
(:func:`field_meta`). A field that cannot be used raises :class:`PlanError` naming the plan,
the section and the field, e.g. ``opportunity plan 'Acme renewal', section key_players[2],
field buying_role: 'boss' is not one of sponsor, ...``. List entries are numbered from 1.

:func:`dump_record` is the inverse, :func:`read_data` parses a YAML or JSON file and
:func:`write_data` writes one atomically.

YAML is read by :func:`salesworkbench.safe_yaml.load_yaml` with
:class:`~salesworkbench.safe_yaml.TextScalarLoader`: plain data only, a key written twice and
aliases are refused (naming the line), and every plain scalar except ``true``/``false``/``null``
stays *text*, so an id ``0012``, ``1_000`` or ``12:30`` is read exactly as written (plain YAML
turns them into 10, 1000 and 750). The codec then types each field by its hint: numbers from
numeric text, dates from ``YYYY-MM-DD``. JSON is read with duplicate keys and ``NaN``/
``Infinity`` refused. The codec knows nothing about plans:
:mod:`salesworkbench.plans.records` says which dataclasses a plan is made of.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import re
import types
import typing
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from salesworkbench._files import atomic_write
from salesworkbench.errors import DataError
from salesworkbench.safe_yaml import TextScalarLoader, dump_yaml, load_yaml

__all__ = [
    "PlanError",
    "dump_record",
    "field_meta",
    "is_empty",
    "load_record",
    "read_data",
    "write_data",
]


class PlanError(ValueError):
    """A plan file or record that cannot be used as it is.

    The message names the file (when known), the plan, the section and the field, e.g.
    ``opportunity plan 'Acme renewal', section key_players[2], field buying_role: 'boss' is not
    one of sponsor, power_sponsor, ...``.
    """

    def __init__(
        self,
        problem: str,
        *,
        plan: str | None = None,
        section: str | None = None,
        field: str | None = None,
        file: str | os.PathLike | None = None,
    ) -> None:
        self.problem, self.plan, self.section, self.field = problem, plan, section, field
        self.file = str(file) if file is not None else None
        where = [w for w in (self.file, plan) if w]
        if section:
            where.append(f"section {section}")
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {problem}" if where else problem)


def field_meta(**bounds: float | bool) -> dict:
    """Field metadata the loader checks: ``min``/``max`` bounds of a number.

    Use as ``field(default=None, metadata=field_meta(min=0, max=10))``. A field whose metadata
    has ``save=False`` is neither written nor read (e.g. a plan's ``source_path``). A class may
    also set a ``FIELD_META`` class variable (field name -> metadata) for fields it inherits.
    """
    return dict(bounds)


# ----------------------------------------------------------------------------------------------
# reading: plain data -> dataclass, with errors naming section and field
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Ctx:
    plan: str
    file: str | os.PathLike | None


def _section_name(path: tuple) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p + 1}]"
        else:
            out += ("." if out else "") + p
    return out


def _fail(ctx: _Ctx, path: tuple, fname: str, problem: str) -> typing.NoReturn:
    raise PlanError(
        problem,
        plan=ctx.plan,
        section=_section_name(path) or "header",
        field=fname,
        file=ctx.file,
    )


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _saved_fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.metadata.get("save", True)]


def load_record(
    cls: type,
    data: Any,
    *,
    plan: str,
    file: str | os.PathLike | None = None,
):
    """Build dataclass ``cls`` from plain data, checking every field.

    Parameters
    ----------
    cls : dataclass type
        The record to build (nested dataclasses and lists of them are built too).
    data : mapping
        Field name -> value, as read from a YAML or JSON file.
    plan : str
        How messages name the plan, e.g. ``"opportunity plan 'Acme renewal'"``.
    file : path-like, optional
        The file the data came from (named in messages).

    Raises
    ------
    PlanError
        A field is unknown, missing, of the wrong type or out of bounds (names the section and
        the field; the top level is section ``header``).
    """
    return _load(cls, data, _Ctx(plan=plan, file=file), ())


def _load(cls: type, data: Any, ctx: _Ctx, path: tuple):
    """Build dataclass ``cls`` from a mapping at ``path``, checking every field."""
    fields = {f.name: f for f in _saved_fields(cls)}
    if not isinstance(data, Mapping):
        raise PlanError(
            f"expected a mapping of fields ({', '.join(fields)}), got {_describe(data)}",
            plan=ctx.plan,
            section=_section_name(path) or "header",
            file=ctx.file,
        )
    unknown = [k for k in data if k not in fields]
    if unknown:
        _fail(ctx, path, str(unknown[0]), f"unknown field; allowed fields are {', '.join(fields)}")
    hints = _hints(cls)
    extra_meta = getattr(cls, "FIELD_META", {})
    kwargs = {}
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if name not in data:
            if required:
                _fail(ctx, path, name, "is required")
            continue
        meta = extra_meta.get(name, f.metadata)
        kwargs[name] = _convert(hints[name], data[name], ctx, path, name, meta, required)
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # pragma: no cover - checks above come first
        raise PlanError(
            str(exc), plan=ctx.plan, section=_section_name(path) or "header", file=ctx.file
        ) from None


def _describe(value) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r} ({type(value).__name__})"


def _convert(tp, value, ctx: _Ctx, path: tuple, fname: str, meta: Mapping, required: bool):
    """Check and convert the value of field ``fname`` of the mapping at ``path``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, ctx, path, fname, meta, required)
    if value is None:
        if tp is str and not required:
            return ""
        if origin is list:
            return []
        _fail(ctx, path, fname, "is blank; a value is required")
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            _fail(ctx, path, fname, f"expected a list, got {_describe(value)}")
        if dataclasses.is_dataclass(item_tp):
            return [_load(item_tp, item, ctx, (*path, fname, i)) for i, item in enumerate(value)]
        return [
            _convert(item_tp, item, ctx, path, f"{fname}[{i + 1}]", meta, True)
            for i, item in enumerate(value)
        ]
    if dataclasses.is_dataclass(tp):
        return _load(tp, value, ctx, (*path, fname))
    if isinstance(tp, type) and issubclass(tp, Enum):
        if isinstance(value, tp):
            return value
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(m.value for m in tp)
            _fail(ctx, path, fname, f"{value!r} is not one of {allowed}")
    if tp is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            _fail(ctx, path, fname, f"expected text, got {_describe(value)}")
        return str(value)
    if tp is bool:
        if not isinstance(value, bool):
            _fail(
                ctx,
                path,
                fname,
                f"expected true or false (or leave blank for unknown), got {_describe(value)}",
            )
        return value
    if tp in (int, float):
        if isinstance(value, str):  # YAML scalars are read as text; JSON may quote numbers
            value = _numeric_text(value, ctx, path, fname)
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(ctx, path, fname, f"expected a number, got {_describe(value)}")
        if isinstance(value, float) and math.isnan(value):
            _fail(ctx, path, fname, "is NaN; leave it blank if unknown")
        if isinstance(value, float) and math.isinf(value):
            _fail(ctx, path, fname, f"{value!r} is not a finite number")
        if tp is int and value != int(value):
            _fail(ctx, path, fname, f"expected a whole number, got {value!r}")
        lo, hi = meta.get("min"), meta.get("max")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            rng = f"{lo:g} to {hi:g}" if hi is not None else f"at least {lo:g}"
            _fail(ctx, path, fname, f"must be {rng}, got {value!r}")
        return tp(value)
    if tp is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        _fail(ctx, path, fname, f"{value!r} is not a date (write it as YYYY-MM-DD)")
    if tp is Path:  # pragma: no cover - not saved
        return Path(value)
    raise TypeError(f"unsupported field type {tp!r}")  # pragma: no cover


# ----------------------------------------------------------------------------------------------
# writing: dataclass -> plain data
# ----------------------------------------------------------------------------------------------


_NUMBER = re.compile(r"[-+]?(?:[0-9](?:_?[0-9])*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _numeric_text(text: str, ctx: _Ctx, path: tuple, fname: str) -> int | float:
    """A number written as text (``12``, ``-3.5``, ``1e6``, ``1_000``), or an error."""
    t = text.strip()
    if not _NUMBER.fullmatch(t):
        _fail(ctx, path, fname, f"expected a number, got {text!r}")
    t = t.replace("_", "")
    if re.fullmatch(r"[-+]?[0-9]+", t):
        return int(t)
    number = float(t)
    if not math.isfinite(number):
        _fail(ctx, path, fname, f"{text!r} is too large a number")
    return number


def dump_record(obj: Any, *, json_safe: bool = False) -> Any:
    """Plain-data form of a dataclass (fields in order), list, enum or date.

    Parameters
    ----------
    obj : dataclass, list, Enum, date or plain value
    json_safe : bool
        Dates as ISO strings (for JSON); otherwise ``datetime.date`` (YAML writes them as
        ``2026-10-01``).
    """
    if dataclasses.is_dataclass(obj):
        return {
            f.name: dump_record(getattr(obj, f.name), json_safe=json_safe)
            for f in _saved_fields(type(obj))
        }
    if isinstance(obj, list):
        return [dump_record(v, json_safe=json_safe) for v in obj]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dt.date):
        return obj.isoformat() if json_safe else obj
    return obj


def is_empty(value: Any) -> bool:
    """Whether a section is a gap to fill: None, empty text or list, or a record of gaps."""
    if value is None:
        return True
    if isinstance(value, str | list):
        return not value
    if dataclasses.is_dataclass(value):
        return all(is_empty(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


# ----------------------------------------------------------------------------------------------
# files
# ----------------------------------------------------------------------------------------------


def read_data(path: str | os.PathLike) -> Mapping:
    """Parse a YAML or ``.json`` file that holds a mapping (see the module notes).

    Raises
    ------
    PlanError
        The file is not UTF-8, cannot be parsed, has a key twice, an alias, a non-finite JSON
        number, or does not hold a mapping (names the file and, for YAML, the line).
    FileNotFoundError
        No such file.
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PlanError(
            f"line {line}: not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8",
            file=path,
        ) from None
    if path.suffix.lower() == ".json":
        data = _read_json(text, path)
    else:
        try:
            data = load_yaml(text, source=str(path), loader=TextScalarLoader)
        except DataError as exc:
            raise PlanError(f"cannot be parsed: {exc.problem}", file=path) from None
    if not isinstance(data, Mapping):
        raise PlanError("a plan file must hold a mapping of sections", file=path)
    return data


def _read_json(text: str, path: Path) -> Any:
    """JSON with duplicate keys and NaN/Infinity refused."""

    def pairs(items: list[tuple[str, Any]]) -> dict:
        out: dict = {}
        for key, value in items:
            if key in out:
                raise PlanError(f"key {key!r} appears twice in one object; keep one", file=path)
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise PlanError(
            f"{name} is not a number a plan can hold; leave the field blank (null) if unknown",
            file=path,
        )

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise PlanError(
            f"cannot be parsed: line {exc.lineno}: not valid JSON: {exc.msg}", file=path
        ) from None


def write_data(path: str | os.PathLike, data: Mapping, *, plan: str | None = None) -> Path:
    """Write plain data to ``path`` as YAML (``.yaml``/``.yml``) or JSON (``.json``), atomically.

    The text goes to a temporary file beside ``path``, which is then renamed over it, so a
    crash or an error never leaves a half-written file. Dates are written as ``YYYY-MM-DD``.

    Raises
    ------
    PlanError
        Any other suffix (``plan`` names the plan in the message).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        text = dump_yaml(
            dict(data),
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=100,
        )
    elif suffix == ".json":
        text = json.dumps(data, indent=2, ensure_ascii=False, default=_iso_date) + "\n"
    else:
        raise PlanError(
            f"cannot save as {suffix or 'no suffix'!r}: use .yaml, .yml or .json",
            plan=plan,
            file=path,
        )
    with atomic_write(path, "w") as fh:
        _write_text(fh, text)
    return path


def _iso_date(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _write_text(fh, text: str) -> None:
    """Write ``text`` (a separate function so tests can simulate a failure mid-write)."""
    fh.write(text)
