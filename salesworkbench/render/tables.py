"""DataFrames as Markdown and HTML tables, with every cell escaped and formatted once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from salesworkbench.render.page import escape, escape_markdown

__all__ = ["html_table", "markdown_table"]


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
