"""Naming a file's columns canonically: the mapping, names read as canonical, common aliases.

A column is renamed by the ``mapping`` when it has an entry there; else by its own name when,
normalised (case, spaces as underscores), that is a canonical name; else by a common alias
(:data:`salesworkbench.io.mapping.ALIASES`, or ``amount_<currency>``). Clashes (two columns
for one canonical name, a mapping onto a column the file already has) are refused, and what was
recognised by an alias is noted. Used by :mod:`salesworkbench.io.importer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from salesworkbench.errors import DataError
from salesworkbench.io.mapping import _AMOUNT_IN, ALIASES, _key, normalise_name
from salesworkbench.io.parsing import CURRENCY_CODES
from salesworkbench.schemas import OPPORTUNITIES

if TYPE_CHECKING:
    from salesworkbench.io.importer import _Importer

__all__ = ["rename_columns"]


def rename_columns(imp: _Importer, mapping: Mapping[str, str]) -> pd.DataFrame:
    """The raw table with its columns renamed to the canonical ones of ``imp.schema``.

    Parameters
    ----------
    imp : _Importer
        The import under way: its raw table, schema and source are read; ``imp.file_name``
        (canonical name -> name in the file), ``imp.currency_from_name`` (an amount column
        named with a currency, ``amount_usd``) and its notes are filled in.
    mapping : dict
        File column -> canonical column, as given (or from a mapping file).

    Returns
    -------
    DataFrame
        The raw (text) table with canonical column names.

    Raises
    ------
    DataError
        A mapping target that is not canonical, mapped columns all absent, two columns for one
        canonical name, or a required column missing.
    """
    raw = imp.raw
    canonical = set(imp.schema.names)
    unknown_targets = sorted(set(mapping.values()) - canonical)
    if unknown_targets:
        raise DataError(
            f"mapping targets {', '.join(map(repr, unknown_targets))} are not canonical "
            f"{imp.schema.entity} columns ({', '.join(imp.schema.names)})",
            file=imp.source,
        )
    missing_sources = [k for k in mapping if k not in raw.columns]
    present = [k for k in mapping if k in raw.columns]
    if missing_sources and not present:
        raise DataError(
            f"none of the mapped columns {missing_sources} are in the file; "
            f"it has {list(raw.columns)}",
            file=imp.source,
        )
    if missing_sources:
        imp.note(
            f"mapping entries for column(s) the file does not have, ignored: "
            f"{', '.join(f'{k!r} -> {mapping[k]!r}' for k in missing_sources)}"
        )
    renames: dict[str, str] = {}
    for file_col in present:
        canon = mapping[file_col]
        other = [k for k, v in renames.items() if v == canon]
        if other:
            raise DataError(
                f"columns {other[0]!r} and {file_col!r} are both mapped to {canon!r}; "
                "map only one of them",
                file=imp.source,
            )
        renames[file_col] = canon
    aliases = ALIASES.get(imp.schema.entity, {})
    guessed: dict[str, str] = {}
    aliased: dict[str, str] = {}
    for col in raw.columns:
        if col in renames:
            continue
        guess = normalise_name(col).replace(" ", "_")
        if guess in canonical:
            guessed[col] = guess
            continue
        key = _key(col)
        target = aliases.get(key)
        money = _AMOUNT_IN.match(key)
        if target is None and money and money["code"].upper() in CURRENCY_CODES:
            target = "amount"
            imp.currency_from_name["amount"] = money["code"].upper()
        if target is not None and target in canonical:
            aliased[col] = target
    clash = [c for c, canon in guessed.items() if canon in renames.values() and c != canon]
    literal = [c for c in raw.columns if c in renames.values() and c not in renames]
    if literal:
        sources = {col for col, canon in renames.items() if canon in literal}
        raise DataError(
            f"column(s) {', '.join(map(repr, sorted(sources)))} are mapped to "
            f"{', '.join(map(repr, literal))}, which the file already has; map one of them "
            "elsewhere",
            file=imp.source,
        )
    if clash:
        raise DataError(
            f"column {clash[0]!r} is read as {guessed[clash[0]]!r}, but the mapping maps "
            f"another column there; map {clash[0]!r} elsewhere or drop it from the mapping",
            file=imp.source,
        )
    auto = {**guessed}
    skipped = []
    for col, canon in aliased.items():
        if canon in renames.values() or canon in guessed.values():
            skipped.append((col, canon))
        else:
            auto[col] = canon
    by_target: dict[str, list[str]] = {}
    for col, canon in auto.items():
        by_target.setdefault(canon, []).append(col)
    for canon, cols in by_target.items():
        if len(cols) > 1:
            raise DataError(
                f"columns {', '.join(map(repr, cols))} could all be {canon!r}; pass "
                f"mapping={{'<one of them>': {canon!r}}} to say which",
                file=imp.source,
            )
    used = {c: t for c, t in auto.items() if c in aliased}
    if used:
        imp.note(
            "column(s) recognised by a common name: "
            + ", ".join(f"{c!r} as {t!r}" for c, t in used.items())
        )
    if skipped:
        imp.note(
            "column(s) that look like a canonical column already mapped, kept as extra "
            "columns: " + ", ".join(f"{c!r} (like {t!r})" for c, t in skipped)
        )
    renames.update(auto)
    imp.file_name = {canon: col for col, canon in renames.items()}
    frame = raw.rename(columns=renames)
    missing = [c for c in imp.schema.required if c not in frame.columns]
    if imp.schema is OPPORTUNITIES:
        # derivable or fillable: status from stage (or stage from status), the id from the
        # opportunity name; account, owner and product are left blank with a note
        fillable = {"status", "account", "created", "owner", "product"}
        if "status" in frame.columns:
            fillable.add("stage")
        if "name" in frame.columns:
            fillable.add("opportunity_id")
        missing = [c for c in missing if c not in fillable]
    if missing:
        raise DataError(
            f"missing required column(s) {', '.join(missing)}; the file has "
            f"{', '.join(map(repr, raw.columns))}. Pass mapping={{'<file column>': "
            f"'<canonical>'}} to name them",
            file=imp.source,
        )
    return frame
