"""DataFrames as Markdown and HTML tables, with every cell escaped and formatted once.

:func:`format_table` is the one table formatter of every face (notebooks, the command line,
reports): it turns a DataFrame's numbers into text through :mod:`salesworkbench.formatting`,
column by column, so a threshold of 0.0549 stays 0.0549 beside amounts in thousands, a missing
value reads "n/a" (never 0), floating-point noise such as ``-1.04e-10`` reads 0, nothing is
in scientific notation and rows with nothing in them are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from salesworkbench.formatting import format_money, format_number, format_percent
from salesworkbench.render.page import escape, escape_markdown

__all__ = ["NOISE_TOLERANCE", "format_pilot_plan", "format_table", "html_table", "markdown_table"]

#: Values smaller than this share of their column's largest magnitude show as 0: floating-point
#: noise of sums and differences (``-1.04e-10`` beside rates of 0.3), not a figure.
NOISE_TOLERANCE = 1e-9

#: Column kinds :func:`format_table` knows (besides a callable).
TABLE_FORMATS = ("money", "percent", "number", "threshold", "count", "years", "text")


def _cell_text(v: Any, kind: str, currency: str, digits: int) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return "n/a"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if kind == "text" or isinstance(v, str):
        return str(v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "n/a"
    if kind == "money":
        return format_money(x, currency, digits)
    if kind == "percent":
        return format_percent(x, 1) if 0 < x < 1 or x in (0, 1) else f"{format_number(100 * x)}%"
    if kind == "threshold":  # a number agreed with a customer: one more figure, never rounded
        return format_number(x, max(digits + 1, 4))
    if kind == "count":
        return f"{int(round(x)):,}" if math.isfinite(x) else format_number(x)
    if kind == "years":
        return "never" if math.isinf(x) and x > 0 else format_number(x, digits)
    return format_number(x, digits)


def format_table(
    frame: pd.DataFrame,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    *,
    currency: str = "",
    digits: int = 3,
    drop_empty: bool = True,
    tolerance: float = NOISE_TOLERANCE,
) -> pd.DataFrame:
    """A DataFrame with every number as text, ready to show.

    Parameters
    ----------
    frame : DataFrame
        The table; ``frame.attrs["formats"]`` (column -> kind), where a function set it, is
        used for columns ``formats`` does not name.
    formats : mapping, optional
        Column -> kind: ``"money"`` (with ``currency``), ``"percent"`` (a share: 0.25 -> 25.0%;
        never 0% or 100% for a share strictly between), ``"number"`` (``digits`` significant
        figures with K/M/B), ``"threshold"`` (one more significant figure, at least four: a
        number agreed before a pilot is never rounded away), ``"count"`` (a whole number with
        thousands separators), ``"years"`` (inf is "never"), ``"text"``, or a function of the
        value. Other numeric columns are ``"number"``; integer columns ``"count"``.
    currency : str
        For money columns.
    digits : int, default 3
        Significant figures.
    drop_empty : bool, default True
        Drop the rows whose numeric cells are all missing (e.g. probability bins with no deal).
    tolerance : float, default :data:`NOISE_TOLERANCE`
        Values smaller than ``tolerance`` times their column's largest magnitude show as 0.

    Returns
    -------
    DataFrame
        Same index and columns (minus dropped rows), every cell text: missing values "n/a".

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"cost": [28_400.0, float("nan")], "threshold": [0.0549, 12.5],
    ...                   "rate": [0.3, -1.04e-10]})
    >>> format_table(t, {"cost": "money", "threshold": "threshold"}, currency="EUR")
            cost threshold rate
    0  EUR 28.4K    0.0549  0.3
    1        n/a      12.5    0
    """
    formats = {**dict(frame.attrs.get("formats", {}) or {}), **dict(formats or {})}
    for c, k in formats.items():
        if not callable(k) and k not in TABLE_FORMATS:
            raise ValueError(
                f"format of {c!r} must be one of {', '.join(TABLE_FORMATS)}, got {k!r}"
            )
    df = frame
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c].dtype)]
    if drop_empty and numeric and len(df):
        df = df[df[numeric].notna().any(axis=1)]
    out = {}
    for c in df.columns:
        col = df[c]
        kind = formats.get(c)
        if callable(kind):
            out[c] = [kind(v) for v in col]
            continue
        if kind is None:
            if pd.api.types.is_bool_dtype(col.dtype):
                kind = "text"
            elif pd.api.types.is_integer_dtype(col.dtype):
                kind = "count"
            elif pd.api.types.is_datetime64_any_dtype(col.dtype):
                out[c] = [_cell_text(v, "text", currency, digits) for v in col]
                continue
            else:
                kind = "number"
        values = list(col)
        if c in numeric and kind not in ("text", "count"):
            x = col.to_numpy(dtype="float64", na_value=np.nan)
            finite = np.abs(x[np.isfinite(x)])
            big = float(finite.max()) if finite.size else 0.0
            if big > 0:
                values = [
                    0.0 if (isinstance(v, float) and abs(v) < tolerance * big) else v
                    for v in values
                ]
        out[c] = [_cell_text(v, kind, currency, digits) for v in values]
    return pd.DataFrame(out, index=df.index, columns=df.columns)


def format_pilot_plan(plan: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """A pilot plan (:func:`salesworkbench.voi.plan_pilots`) as text, ready to show.

    Where no pilot is worth running the size reads "no pilot" and its EVSI and cost are blank
    (not a size of 0 beside the cost of a pilot nobody runs); the decision threshold keeps
    four significant figures.
    """
    formats = {
        "evppi": "money",
        "evppi_se": "money",
        "evsi": "money",
        "cost": "money",
        "enbs": "money",
        "threshold": "threshold",
        "r2": "number",
        "sd": "number",
        "optimal_n": "count",
    }
    shown = format_table(plan, formats, currency=currency, drop_empty=False)
    if "optimal_n" in plan:
        none = plan["optimal_n"].fillna(0).to_numpy() == 0
        shown.loc[none, "optimal_n"] = "no pilot"
        for c in ("evsi", "cost", "threshold", "flip"):
            if c in shown:
                shown.loc[none, c] = ""
    return shown


def _cell(value: Any, formatter: Callable[[Any], str] | None) -> str:
    if formatter is not None:
        return formatter(value)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def markdown_table(
    frame: pd.DataFrame,
    *,
    index: bool = False,
    formatters: dict[str, Callable[[Any], str]] | None = None,
    numeric_right: bool = True,
) -> str:
    """A GitHub-flavoured Markdown table; cells are escaped (no raw HTML, no broken rows).

    Parameters
    ----------
    frame : DataFrame
        The table.
    index : bool, default False
        Include the index as the first column.
    formatters : dict, optional
        Column name -> function giving the cell text (missing values are the function's to show).
    numeric_right : bool, default True
        Right-align numeric columns.
    """
    formatters = formatters or {}
    df = frame.reset_index() if index else frame
    cols = [str(c) for c in df.columns]
    align = [
        "---:" if numeric_right and pd.api.types.is_numeric_dtype(df[c]) else "---"
        for c in df.columns
    ]
    lines = [
        "| " + " | ".join(escape_markdown(c) for c in cols) + " |",
        "| " + " | ".join(align) + " |",
    ]
    for row in df.itertuples(index=False, name=None):
        cells = [
            escape_markdown(_cell(v, formatters.get(c))) for c, v in zip(cols, row, strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def html_table(
    header: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    num_cols: Sequence[int] = (),
    cls: str = "",
) -> str:
    """An HTML table from a header and rows of cell text; every cell is escaped.

    ``num_cols`` are the positions of right-aligned (numeric) columns.
    """
    nums = set(num_cols)

    def td(tag: str, i: int, c: Any) -> str:
        attr = ' class="num"' if i in nums else ""
        return f"<{tag}{attr}>{escape(c)}</{tag}>"

    head = "".join(td("th", i, h) for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(td("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    c = f' class="{escape(cls)}"' if cls else ""
    return f"<table{c}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
