"""Canonical table schemas: the column names and dtypes every module relies on.

Each entity (accounts, leads, opportunities, stage history) is a pandas DataFrame with the
columns below. Importers (:mod:`salesworkbench.io`) turn a CRM export into this shape;
analyses accept only this shape, so one export mapping serves every notebook.

Dtype names:

``str``      pandas string column (missing = NA)
``float``    float64 (missing = NaN)
``int``      nullable Int64
``date``     datetime64 (missing = NaT)
``category`` categorical with the listed categories
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError

__all__ = [
    "ACCOUNTS",
    "LEADS",
    "OPPORTUNITIES",
    "STAGE_HISTORY",
    "NON_NEGATIVE",
    "Column",
    "Schema",
    "SCHEMAS",
]

#: Numeric columns that can never be negative (a negative value is a data error).
NON_NEGATIVE = frozenset(
    {
        "amount",
        "original_amount",
        "revenue",
        "employees",
        "wallet",
        "current_spend",
        "install_base",
        "recurring_revenue",
        "recent_projects",
        "key_players_engaged",
    }
)


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name : str
        Canonical column name.
    dtype : {"str", "float", "int", "date", "category"}
        Logical type (see module docstring).
    required : bool
        Whether every table of this entity must have the column.
    description : str
        What the column means, for documentation and error messages.
    categories : tuple of str, optional
        Allowed values for ``category`` columns.
    """

    name: str
    dtype: str
    required: bool
    description: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schema:
    """The canonical columns of one entity, with helpers to build and check tables."""

    entity: str
    key: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        """All canonical column names, required first, in documentation order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the required columns."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (KeyError if it is not canonical)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.entity} schema has no column {name!r}")

    def empty(self) -> pd.DataFrame:
        """Return an empty table with every canonical column and its dtype."""
        return self.coerce(pd.DataFrame({c.name: [] for c in self.columns}))

    def coerce(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Cast the canonical columns present in ``frame`` to their canonical dtypes.

        Values must already be clean (the importers do the checking); this only fixes dtypes.
        Extra, non-canonical columns are kept as they are, after the canonical ones.
        """
        out = frame.copy()
        for c in self.columns:
            if c.name in out.columns:
                out[c.name] = _cast(out[c.name], c)
        ordered = [n for n in self.names if n in out.columns]
        extra = [n for n in out.columns if n not in ordered]
        return out[ordered + extra]

    def validate(self, frame: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
        """Check that ``frame`` is a canonical table of this entity and return it.

        Raises
        ------
        DataError
            A required column is missing, a column has the wrong dtype, a category column holds
            an unknown value, or the key column has blanks or duplicates.
        """
        source = source or f"{self.entity} table"
        missing = [n for n in self.required if n not in frame.columns]
        if missing:
            raise DataError(
                f"missing required column(s) {', '.join(missing)}; "
                f"the {self.entity} schema needs {', '.join(self.required)}",
                file=source,
            )
        for c in self.columns:
            if c.name not in frame.columns:
                continue
            s = frame[c.name]
            ok = {
                "str": lambda s: pd.api.types.is_string_dtype(s) or s.isna().all(),
                "float": pd.api.types.is_float_dtype,
                "int": pd.api.types.is_integer_dtype,
                "date": pd.api.types.is_datetime64_any_dtype,
                "category": lambda s: isinstance(s.dtype, pd.CategoricalDtype),
            }[c.dtype](s)
            if not ok:
                raise DataError(
                    f"has dtype {s.dtype}, expected {c.dtype} ({c.description})",
                    file=source,
                    column=c.name,
                )
        key = frame[self.key]
        blank = np.flatnonzero(key.isna().to_numpy())
        if blank.size:
            raise DataError("blank id", file=source, column=self.key, rows=(blank + 2).tolist())
        dup = np.flatnonzero(key.duplicated(keep=False).to_numpy())
        if dup.size:
            raise DataError(
                f"duplicate id(s) {', '.join(map(str, key.iloc[dup].unique()[:5]))}",
                file=source,
                column=self.key,
                rows=(dup + 2).tolist(),
            )
        return frame

    def describe(self) -> pd.DataFrame:
        """Return the schema as a table (column, dtype, required, description)."""
        return pd.DataFrame(
            {
                "column": [c.name for c in self.columns],
                "dtype": [c.dtype for c in self.columns],
                "required": [c.required for c in self.columns],
                "description": [c.description for c in self.columns],
            }
        )


def _cast(s: pd.Series, c: Column) -> pd.Series:
    if c.dtype == "str":
        return s.astype("string[python]").astype("str") if len(s) else s.astype("str")
    if c.dtype == "float":
        return s.astype("float64")
    if c.dtype == "int":
        return s.astype("Int64")
    if c.dtype == "date":
        return pd.to_datetime(s).astype("datetime64[ns]")
    if c.dtype == "category":
        return pd.Categorical(s, categories=list(c.categories))
    raise ValueError(f"unknown dtype {c.dtype!r} for column {c.name!r}")  # pragma: no cover


STATUSES = ("open", "won", "lost")

OPPORTUNITIES = Schema(
    entity="opportunities",
    key="opportunity_id",
    columns=(
        Column("opportunity_id", "str", True, "unique id of the opportunity (deal)"),
        Column("account", "str", True, "account id or name; may be blank on open deals"),
        Column("stage", "str", True, "the CRM's stage name, as exported"),
        Column("status", "category", True, "lifecycle outcome", STATUSES),
        Column("amount", "float", True, "deal value in `currency`; NaN where unknown"),
        Column("created", "date", True, "date the opportunity was created"),
        Column("close_date", "date", True, "actual close date (won/lost) or expected (open)"),
        Column("owner", "str", True, "sales rep who owns the deal"),
        Column("product", "str", True, "product or offering sold"),
        Column("name", "str", False, "opportunity name"),
        Column("currency", "str", False, "ISO currency code of `amount`"),
        Column("probability", "float", False, "CRM win probability, 0 to 1"),
        Column("forecast_category", "str", False, "commit, best_case, pipeline or omitted"),
        Column("segment", "str", False, "territory segment or market segment"),
        Column("original_amount", "float", False, "amount first entered (or list price)"),
        Column("engaged", "date", False, "date the prospect engaged (may be blank early on)"),
        Column("territory", "str", False, "territory id"),
        Column("has_value_case", "category", False, "a value case was built", ("no", "yes")),
        Column("has_power_sponsor", "category", False, "power sponsor engaged", ("no", "yes")),
    ),
)

ACCOUNTS = Schema(
    entity="accounts",
    key="account_id",
    columns=(
        Column("account_id", "str", True, "unique id of the account"),
        Column("name", "str", True, "company (or consumer) name"),
        Column("sector", "str", False, "industry sector"),
        Column("region", "str", False, "geographic region"),
        Column("territory", "str", False, "territory the account is allocated to"),
        Column("owner", "str", False, "account owner (sales rep)"),
        Column("revenue", "float", False, "annual revenue of the company, in currency"),
        Column("employees", "float", False, "number of employees"),
        Column("growth", "float", False, "annual revenue growth rate (0.05 = 5%)"),
        Column("wallet", "float", False, "estimated annual spend on our kind of offering"),
        Column("current_spend", "float", False, "annual spend with us now"),
        Column("install_base", "float", False, "value of our products installed"),
        Column("recurring_revenue", "float", False, "annual recurring revenue from the account"),
        Column("recent_projects", "float", False, "projects with us in the last 24 months"),
        Column("satisfaction", "float", False, "customer satisfaction score, 0 to 10"),
        Column("key_players_engaged", "float", False, "key players we have a relationship with"),
        Column("last_activity", "date", False, "date of the last sales activity or win"),
        Column("year_established", "int", False, "year the company was founded"),
        Column("subsidiary_of", "str", False, "parent company, if any"),
    ),
)

LEAD_STATES = ("new", "qualified_lead", "suspect", "qualified_opportunity", "disqualified")

LEADS = Schema(
    entity="leads",
    key="lead_id",
    columns=(
        Column("lead_id", "str", True, "unique id of the lead"),
        Column("source", "str", True, "where the lead came from (web, event, referral, ...)"),
        Column("created", "date", True, "date the lead arrived"),
        Column("state", "category", True, "qualification state", LEAD_STATES),
        Column("account", "str", False, "account id, once known"),
        Column("owner", "str", False, "telemarketer or rep working the lead"),
        Column("qualified", "date", False, "date the lead was qualified by telemarketing"),
        Column("opportunity_id", "str", False, "opportunity the lead converted into"),
        Column("in_market", "category", False, "is in the market", ("no", "yes")),
        Column("has_budget", "category", False, "has budget", ("no", "yes")),
        Column("timeframe", "category", False, "will buy in a reasonable time", ("no", "yes")),
    ),
)

STAGE_HISTORY = Schema(
    entity="stage history",
    key="change_id",
    columns=(
        Column("change_id", "str", True, "unique id of the history row"),
        Column("opportunity_id", "str", True, "the opportunity that changed"),
        Column("changed", "date", True, "date of the change"),
        Column("stage", "str", True, "stage after the change"),
        Column("amount", "float", False, "amount after the change"),
        Column("close_date", "date", False, "expected close date after the change"),
    ),
)

SCHEMAS: dict[str, Schema] = {s.entity: s for s in (ACCOUNTS, LEADS, OPPORTUNITIES, STAGE_HISTORY)}
