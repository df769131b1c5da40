"""One toolkit for what every face (notebooks, CLI, reports, widgets) shows.

- :mod:`salesworkbench.formatting` (re-exported here): the one money, number and percentage
  formatter.
- :mod:`~salesworkbench.render.figures`: a matplotlib figure as PNG bytes, base64 or a data URI.
- :mod:`~salesworkbench.render.tables`: DataFrames as escaped Markdown and HTML tables.
- :mod:`~salesworkbench.render.page`: escaping and the self-contained HTML page.

The core (value, pipeline, territory, ...) never imports this package; faces do. The number
formatter itself lives in :mod:`salesworkbench.formatting` because the core's value statement
needs it; this package re-exports it so faces have one place to look.
"""

from salesworkbench.formatting import format_money, format_number, format_percent
from salesworkbench.render.figures import (
    figure_base64,
    figure_data_uri,
    figure_png,
    fit_tick_labels,
    overlapping_labels,
)
from salesworkbench.render.page import escape, escape_markdown, html_page
from salesworkbench.render.tables import (
    NOISE_TOLERANCE,
    format_pilot_plan,
    format_table,
    html_table,
    markdown_table,
)

__all__ = [
    "NOISE_TOLERANCE",
    "format_pilot_plan",
    "format_table",
    "escape",
    "escape_markdown",
    "figure_base64",
    "figure_data_uri",
    "figure_png",
    "fit_tick_labels",
    "overlapping_labels",
    "format_money",
    "format_number",
    "format_percent",
    "html_page",
    "html_table",
    "markdown_table",
]
