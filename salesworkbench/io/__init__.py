"""CRM exports (CSV or Excel) -> the canonical tables, with nothing changed silently.

One module per step of an import:

- :mod:`~salesworkbench.io.sheets`: the file's shape (delimiter, encoding, malformed rows,
  merged cells, formulas without values);
- :mod:`~salesworkbench.io.mapping`: file columns and stages -> canonical names (mapping files,
  presets, aliases, options such as ``dayfirst``);
- :mod:`~salesworkbench.io.parsing`: dates and numbers, per column (day/month order, decimal
  separator, percentages, currencies);
- :mod:`~salesworkbench.io.checks`: value checks shared with the snapshot store;
- :mod:`~salesworkbench.io.importer`: ``read_opportunities``, ``read_accounts``,
  ``read_leads``, ``read_stage_history`` and ``read_table``, which tie the steps together.

What is refused and what is handled (with a note) is listed in ``docs/importing.md``.
"""

from salesworkbench.io.importer import (
    ALIASES,
    MAPPINGS,
    OPTIONS,
    STATUS_OF_STAGE,
    MappingSpec,
    check_values,
    load_mapping,
    load_mapping_spec,
    read_accounts,
    read_leads,
    read_opportunities,
    read_stage_history,
    read_table,
)

__all__ = [
    "ALIASES",
    "MAPPINGS",
    "OPTIONS",
    "STATUS_OF_STAGE",
    "MappingSpec",
    "check_values",
    "load_mapping",
    "load_mapping_spec",
    "read_accounts",
    "read_leads",
    "read_opportunities",
    "read_stage_history",
    "read_table",
]
