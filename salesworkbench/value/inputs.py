"""What a value notebook's parameters cell points at: the case, reference customers, prospect.

The value notebooks (02, 03, 08, 09) start with a parameters cell (tagged ``parameters``,
papermill's convention)::

    CASE_FILE = None  # None: the bundled telecom case; or your case (YAML or Excel)
    REFERENCE_CUSTOMERS = None  # for the straw-man; None: the bundled ones with the bundled case
    PROSPECT = None  # the prospect's day-one figures; None: derived (below)
    PROSPECT_INDUSTRIES = None  # borrow only from these industries; None: see below
    SCALE_BY = None  # straw-man: assumption -> driver column; None: the library's default

and a later cell reads them with :func:`load_value_inputs`. The rules, as for the data
notebooks (:mod:`salesworkbench.notebook_inputs`):

- **CASE_FILE None: the bundled sample**: the telecom case, the bundled reference customers,
  the prospect's annual-report figures and its industries (the mobile operators).
- **CASE_FILE given: your case only.** Reference customers only when ``REFERENCE_CUSTOMERS``
  names a file (never the bundled telecom ones); without them the straw-man sections say so
  and skip. ``PROSPECT`` None is derived from your case: the most likely value of each
  ``SCALE_BY`` driver that is an assumption of the case, and each fixed assumption that is a
  column of the reference table (the figures a prospect's annual report or price list gives).
  ``PROSPECT_INDUSTRIES`` None: any industry.

Nothing below a notebook's parameters cell then needs to name the sample.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesworkbench.formatting import format_money
from salesworkbench.value.case import ValueCase
from salesworkbench.value.strawman import DEFAULT_SCALE_BY, read_reference_customers

__all__ = ["SAMPLE_INDUSTRIES", "SAMPLE_PROSPECT", "ValueInputs", "load_value_inputs", "read_case"]

PathLike = str | os.PathLike

#: The bundled case and reference customers (under ``data/``).
SAMPLE_CASE = "value_cases/telecom_arpu.yaml"
SAMPLE_REFERENCES = "reference_customers.csv"
#: The bundled case with real doubt about the decision (notebook 03's default: pilot planning).
SAMPLE_PILOT_CASE = "value_cases/field_service_app.yaml"
#: What we knew about the bundled case's customer on day one (its annual report).
SAMPLE_PROSPECT: dict[str, float] = {"subscribers": 110_000, "sites": 3, "arpu_before": 22.0}
#: The industries the bundled prospect borrows from.
SAMPLE_INDUSTRIES: tuple[str, ...] = ("mobile operator", "regional mobile operator")


@dataclasses.dataclass
class ValueInputs:
    """A value notebook's inputs, resolved from its parameters.

    Attributes
    ----------
    case : ValueCase
    references : DataFrame or None
        Reference customers (realised cases); None when not given for your case.
    prospect : dict or None
        The prospect's day-one figures for the straw-man; None when none could be derived.
    industries : list of str or None
        Borrow only from references in these industries (None: any).
    scale_by : dict or None
        Assumption -> driver for the straw-man (None: the library's default rules).
    sample : bool
        True for the bundled case.
    source : str
        Where the case came from (``"bundled sample"`` or the file's name).
    notes : list of str
        How the references and the prospect were chosen, or why not.
    """

    case: ValueCase
    references: pd.DataFrame | None
    prospect: dict[str, float] | None
    industries: list[str] | None
    scale_by: dict[str, str] | None
    sample: bool
    source: str
    notes: list[str]

    @property
    def currency(self) -> str:
        """The case's currency."""
        return self.case.currency

    def money(self, x: Any, digits: int = 3) -> str:
        """An amount in the case's currency: ``"EUR 364K"``."""
        return format_money(x, self.case.currency, digits)

    def can_straw_man(self) -> bool:
        """True when there are reference customers and prospect figures to build a straw-man."""
        return self.references is not None and len(self.references) > 0 and bool(self.prospect)


def read_case(path: PathLike | None) -> ValueCase:
    """A value case from YAML or Excel (``.xlsx``); None: the bundled telecom case."""
    from salesworkbench.datasets import data_path

    if path is None:
        return ValueCase.from_yaml(data_path(SAMPLE_CASE))
    p = Path(path)
    if not p.is_file():
        bundled = data_path(str(path))
        if bundled.is_file():  # a name under data/, e.g. "value_cases/field_service_app.yaml"
            p = bundled
        else:
            raise FileNotFoundError(f"value case: no such file {p}")
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return ValueCase.from_excel(p)
    return ValueCase.from_yaml(p)


def _derived_prospect(
    case: ValueCase, references: pd.DataFrame, scale_by: Mapping[str, str] | None
) -> dict[str, float]:
    rules = DEFAULT_SCALE_BY if scale_by is None else scale_by
    numeric = {c for c in references.columns if pd.api.types.is_numeric_dtype(references[c])} - {
        "year"
    }
    names = [d for a, d in rules.items() if a in case.assumptions and d in case.assumptions]
    names += [
        n for n, a in case.assumptions.items() if a.dist.is_fixed and n in numeric
    ]  # fmt: skip
    out: dict[str, float] = {}
    for n in dict.fromkeys(names):
        value = float(case.assumptions[n].dist.most_likely())
        if np.isfinite(value) and value > 0:
            out[n] = value
    return out


def load_value_inputs(
    CASE_FILE: PathLike | None = None,
    REFERENCE_CUSTOMERS: PathLike | None = None,
    PROSPECT: Mapping[str, float] | None = None,
    PROSPECT_INDUSTRIES: str | Sequence[str] | None = None,
    SCALE_BY: Mapping[str, str] | None = None,
) -> ValueInputs:
    """Read the inputs a value notebook's parameters name (rules: the module docstring).

    Parameters
    ----------
    CASE_FILE : path, optional
        Your value case (YAML or Excel); None: the bundled telecom case. A relative name that is
        not a file is looked up under the bundled ``data/`` folder.
    REFERENCE_CUSTOMERS : path, optional
        A CSV of realised cases (:func:`~salesworkbench.value.read_reference_customers`).
    PROSPECT : dict, optional
        The prospect's day-one figures (reference-table columns or case assumptions).
    PROSPECT_INDUSTRIES : str or list, optional
        Borrow only from references in these industries.
    SCALE_BY : dict, optional
        Assumption -> driver column for :func:`~salesworkbench.value.straw_man`.

    Returns
    -------
    ValueInputs

    Raises
    ------
    FileNotFoundError
        A file that does not exist.
    ValueCaseError, DataError
        The case or the reference table does not pass its checks.
    """
    from salesworkbench.datasets import data_path

    sample = CASE_FILE is None
    case = read_case(CASE_FILE)
    notes: list[str] = []
    source = "bundled sample" if sample else Path(CASE_FILE).name
    if REFERENCE_CUSTOMERS is not None:
        references: pd.DataFrame | None = read_reference_customers(REFERENCE_CUSTOMERS)
        notes.append(f"{len(references)} reference customers from {Path(REFERENCE_CUSTOMERS).name}")
    elif sample:
        references = read_reference_customers(data_path(SAMPLE_REFERENCES))
        notes.append(f"{len(references)} reference customers (bundled sample)")
    else:
        references = None
        notes.append("no reference customers (set REFERENCE_CUSTOMERS for the straw-man)")
    scale_by = dict(SCALE_BY) if SCALE_BY is not None else None
    if PROSPECT is not None:
        prospect: dict[str, float] | None = {k: float(v) for k, v in dict(PROSPECT).items()}
        notes.append("prospect figures given: " + ", ".join(prospect))
    elif sample:
        prospect = dict(SAMPLE_PROSPECT)
        notes.append("prospect figures: the bundled prospect's annual report")
    elif references is not None:
        prospect = _derived_prospect(case, references, scale_by) or None
        notes.append(
            "prospect figures: the case's most likely " + ", ".join(prospect)
            if prospect
            else "no prospect figures (set PROSPECT: the prospect's size, as reference columns)"
        )
    else:
        prospect = None
    if PROSPECT_INDUSTRIES is not None:
        industries: list[str] | None = (
            [PROSPECT_INDUSTRIES]
            if isinstance(PROSPECT_INDUSTRIES, str)
            else list(PROSPECT_INDUSTRIES)
        )
    elif sample and REFERENCE_CUSTOMERS is None:
        industries = list(SAMPLE_INDUSTRIES)
    else:
        industries = None
    return ValueInputs(
        case=case,
        references=references,
        prospect=prospect,
        industries=industries,
        scale_by=scale_by,
        sample=sample,
        source=source,
        notes=notes,
    )
