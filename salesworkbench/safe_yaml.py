r"""Loading YAML that users write (mapping files, value cases, plans) without surprises.

:func:`load_yaml` reads YAML with a :class:`yaml.SafeLoader` subclass that

* builds only plain data (dicts, lists, strings, numbers, booleans, null): no Python objects;
* refuses a key that appears twice in one mapping, naming the key and both lines (plain
  ``yaml.safe_load`` keeps the last one silently);
* refuses aliases (``*name``) altogether, so a small file cannot expand into a huge document
  ("billion laughs") and a value cannot silently stand for another part of the file;
* resolves plain scalars as YAML 1.2 does: only ``true``/``false`` are booleans (``no``,
  ``yes``, ``on``, ``off`` stay text: the country code ``NO`` is not ``False``), and ``1:30``
  or ``010`` are not read as sexagesimal or octal numbers;
* refuses files larger than ``max_bytes``.

Every problem is raised as :class:`~salesworkbench.errors.DataError` naming the source and the
line.

Examples
--------
>>> load_yaml("stages:\n  Won: won\n", source="mapping.yaml")
{'stages': {'Won': 'won'}}
>>> load_yaml("a: 1\na: 2\n", source="m.yaml")
Traceback (most recent call last):
...
salesworkbench.errors.DataError: m.yaml: line 2: key 'a' appears twice (first on line 1); ...
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from salesworkbench.errors import DataError

__all__ = ["MAX_YAML_BYTES", "StrictSafeLoader", "TextScalarLoader", "dump_yaml", "load_yaml"]

#: Largest YAML document :func:`load_yaml` reads by default (1 MB).
MAX_YAML_BYTES = 1_000_000


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, line: int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


class StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and aliases and resolves scalars as YAML 1.2."""

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(
                f"aliases (*{event.anchor}) are not allowed; write the value out in full",
                event.start_mark.line + 1,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # noqa: D102 - PyYAML hook
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Refused("merge keys (<<) are not allowed", key_node.start_mark.line + 1)
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise _Refused(
                        "a mapping key must be a plain value", key_node.start_mark.line + 1
                    ) from None
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _Refused(
                        f"key {key!r} appears twice (first on line {seen[key]}); keep one",
                        line,
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 core schema resolution for plain scalars
StrictSafeLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
StrictSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
StrictSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _int_12(loader: StrictSafeLoader, node: yaml.ScalarNode) -> int:
    value = loader.construct_scalar(node)
    return int(value, 16) if value.lower().startswith("0x") else int(value)


StrictSafeLoader.add_constructor("tag:yaml.org,2002:int", _int_12)


def _timestamp(loader: StrictSafeLoader, node: yaml.ScalarNode) -> Any:
    """A date or time, or a refusal naming the line (``2026-13-01`` is no date)."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise _Refused(
            f"{node.value!r} is not a valid date ({exc}); write it as YYYY-MM-DD",
            node.start_mark.line + 1,
        ) from None


StrictSafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class TextScalarLoader(StrictSafeLoader):
    """:class:`StrictSafeLoader` keeping plain scalars as text (not true/false/null).

    Only ``true``/``false`` and ``null``/``~``/empty are resolved. For files whose fields are
    typed by the reader (plans): an id ``0012``, ``1_000`` or ``12:30`` stays exactly as
    written, and the reader converts numbers and dates field by field, naming the field when
    one cannot be converted.
    """


TextScalarLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag.rsplit(":", 1)[-1] in ("bool", "null")]
    for k, v in StrictSafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(
    text_or_path: str | os.PathLike,
    *,
    source: str | None = None,
    max_bytes: int = MAX_YAML_BYTES,
    loader: type[StrictSafeLoader] = StrictSafeLoader,
) -> Any:
    """Parse YAML (or JSON) safely; see the module docstring for what is refused.

    Parameters
    ----------
    text_or_path : str or path-like
        YAML text (a ``str``), or a file (a :class:`~pathlib.Path` or other ``os.PathLike``;
        a plain string is always taken as text, never as a file name).
    source : str, optional
        How messages name the document (default: the file's path, or ``"YAML text"``).
    max_bytes : int
        Refuse documents larger than this.
    loader : StrictSafeLoader subclass
        :class:`TextScalarLoader` keeps plain scalars as text (the reader types them).

    Returns
    -------
    object
        The plain data (``None`` for an empty document).

    Raises
    ------
    DataError
        Unreadable or too large file, invalid YAML, a duplicate key, an alias, a merge key
        or a tag that would build an object; the message names the source and line.
    """
    if isinstance(text_or_path, os.PathLike):
        path = Path(text_or_path)
        source = source or str(path)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise DataError(f"too large for a YAML file ({size:,} bytes)", file=source)
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise DataError("file not found", file=source) from None
        except UnicodeDecodeError as exc:
            raise DataError(
                f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8",
                file=source,
            ) from None
        except OSError as exc:
            raise DataError(f"cannot be read: {exc.strerror}", file=source) from None
    else:
        text = str(text_or_path)
        source = source or "YAML text"
        if len(text.encode("utf-8")) > max_bytes:
            raise DataError("too large for a YAML document", file=source)
    try:
        if not (isinstance(loader, type) and issubclass(loader, StrictSafeLoader)):
            raise TypeError("loader must be StrictSafeLoader or a subclass")
        return yaml.load(text, Loader=loader)  # a SafeLoader subclass
    except _Refused as exc:
        raise DataError(f"line {exc.line}: {exc.problem}", file=source) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise DataError(
            f"{line}not valid YAML: {exc.problem or exc.context}", file=source
        ) from None
    except yaml.YAMLError as exc:
        raise DataError(f"not valid YAML: {exc}", file=source) from None


class _QuotingDumper(yaml.SafeDumper):
    """SafeDumper that quotes text some reader would take for a number, date or boolean.

    Any text YAML 1.1 *or* :class:`StrictSafeLoader` would read as something else (``1e6``,
    ``yes``, ``0012``) is quoted, so what is written reads back unchanged.
    """


_QuotingDumper.yaml_implicit_resolvers = {
    k: [*StrictSafeLoader.yaml_implicit_resolvers.get(k, []), *v]
    for k, v in yaml.SafeDumper.yaml_implicit_resolvers.items()
}
for _k, _v in StrictSafeLoader.yaml_implicit_resolvers.items():
    _QuotingDumper.yaml_implicit_resolvers.setdefault(_k, list(_v))


def dump_yaml(data: Any, **options: Any) -> str:
    """YAML text for plain data that :func:`load_yaml` reads back as the same data.

    Parameters
    ----------
    data : object
        Plain data (dicts, lists, text, numbers, booleans, dates, None).
    **options
        Passed to :func:`yaml.dump` (e.g. ``sort_keys=False``, ``width=100``).
    """
    return yaml.dump(data, Dumper=_QuotingDumper, **options)
