"""The shared render toolkit: escaping, Markdown and HTML tables, the page, the figure encoder."""

from __future__ import annotations

import base64
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from salesworkbench.render import (
    escape,
    escape_markdown,
    figure_base64,
    figure_data_uri,
    figure_png,
    html_page,
    html_table,
    markdown_table,
)

EVIL = '<img src=x onerror="alert(1)">'

# --------------------------------------------------------------------------- escaping


def test_escape_html():
    assert escape(EVIL) == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    assert escape("Smith & Sons 'Ltd'") == "Smith &amp; Sons &#x27;Ltd&#x27;"
    assert escape(None) == ""
    assert escape(42) == "42"


def test_escape_markdown():
    text = escape_markdown("<script>a|b</script> *bold* [link](x) _u_ #1\nnext")
    assert "<" not in text and ">" not in text
    assert "&lt;script&gt;" in text
    assert "\\|" in text and "\\*bold\\*" in text and "\\[link\\]\\(x\\)" in text
    assert "\\_u\\_" in text and "\\#1" in text
    assert "\n" not in text
    assert escape_markdown("R&D") == "R&amp;D"
    assert escape_markdown(None) == ""


# --------------------------------------------------------------------------- tables


def test_markdown_table():
    frame = pd.DataFrame({"name": ["Acme | Ltd", EVIL, None], "amount": [1.5, np.nan, 3.0]})
    text = markdown_table(frame, formatters={"amount": lambda v: "n/a" if pd.isna(v) else f"{v}"})
    lines = text.splitlines()
    assert lines[0] == "| name | amount |"
    assert lines[1] == "| --- | ---: |"  # numbers right-aligned
    assert len(lines) == 2 + len(frame)
    assert all(line.count(" | ") == 1 for line in lines)  # "|" in a cell cannot add a column
    assert lines[2] == "| Acme \\| Ltd | 1.5 |"
    assert "<img" not in text and "&lt;img" in text
    assert lines[3].endswith("| n/a |")
    assert lines[4].startswith("|  |")  # missing text is an empty cell


def test_markdown_table_with_index():
    frame = pd.DataFrame({"n": [1, 2]}, index=pd.Index(["a", "b"], name="key"))
    assert markdown_table(frame, index=True).splitlines()[0] == "| key | n |"
    assert markdown_table(frame, numeric_right=False).splitlines()[1] == "| --- |"


def test_html_table_escapes_every_cell():
    text = html_table(["name", "<b>amount</b>"], [[EVIL, "1.5M"]], num_cols=(1,), cls="x")
    assert text.startswith('<table class="x"><thead><tr><th>name</th>')
    assert '<th class="num">&lt;b&gt;amount&lt;/b&gt;</th>' in text
    assert '<td class="num">1.5M</td>' in text
    assert "<img" not in text and "&lt;img" in text


def test_html_page():
    page = html_page(EVIL, "<p>body</p>", css="p { color: red; }")
    assert page.startswith("<!DOCTYPE html>\n")
    assert f"<title>{escape(EVIL)}</title>" in page
    assert "<style>p { color: red; }</style>" in page
    assert "<p>body</p>" in page and page.endswith("</html>\n")
    assert '<meta charset="utf-8">' in page


# --------------------------------------------------------------------------- figures


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [1, 3, 2], label="line")
    ax.set_title("a figure")
    ax.legend()
    return fig


def test_figure_encoder_is_deterministic():
    first = figure_png(_figure(), dpi=80)
    again = figure_png(_figure(), dpi=80)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == again  # no date or software metadata
    assert b"matplotlib" not in first.lower()
    assert base64.b64decode(figure_base64(_figure(), dpi=80)) == first
    assert figure_data_uri(_figure(), dpi=80) == (
        "data:image/png;base64," + base64.b64encode(first).decode("ascii")
    )


def test_figure_encoder_closes_pyplot_figures_only():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2])
    figure_png(fig)
    assert not plt.fignum_exists(fig.number)
    fig, _ = plt.subplots()
    figure_png(fig, close=False)
    assert plt.fignum_exists(fig.number)
    plt.close(fig)


def test_encoding_a_bare_figure_does_not_import_pyplot():
    code = (
        "import sys\n"
        "from matplotlib.figure import Figure\n"
        "from salesworkbench.render import figure_png\n"
        "fig = Figure(); fig.add_subplot().plot([1, 2])\n"
        "assert figure_png(fig)[:4] == b'\\x89PNG'\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize("tight", [True, False])
def test_tight_crop(tight):
    assert figure_png(_figure(), dpi=50, tight=tight)[:4] == b"\x89PNG"


# ------------------------------------------------------------------------ format_table
def test_format_table_keeps_thresholds_and_missing_values():
    import numpy as np
    import pandas as pd

    from salesworkbench.render import format_pilot_plan, format_table

    t = pd.DataFrame(
        {
            "cost": [28_400.0, np.nan, 1.2e6],
            "threshold": [0.0549, 12.5, np.nan],
            "rate": [0.3, -1.04e-10, np.nan],
            "n": [1000, 2, 3],
        }
    )
    shown = format_table(t, {"cost": "money", "threshold": "threshold"}, currency="EUR")
    assert shown["cost"].tolist() == ["EUR 28.4K", "n/a", "EUR 1.2M"]
    assert shown["threshold"].tolist() == ["0.0549", "12.5", "n/a"]  # not rounded to 0
    assert shown["rate"].tolist() == ["0.3", "0", "n/a"]  # noise is 0, missing is n/a
    assert shown["n"].tolist() == ["1,000", "2", "3"]
    assert not shown.apply(lambda c: c.str.contains("e-|e\\+", regex=True)).any().any()
    empty = pd.DataFrame({"bin": ["0-10%", "10-20%"], "deals": [np.nan, 4.0]})
    assert format_table(empty)["bin"].tolist() == ["10-20%"]  # the empty row is dropped
    plan = pd.DataFrame(
        {"optimal_n": [0, 50], "cost": [28_400.0, 9_000.0], "threshold": [0.0549, 0.0612]},
        index=["a", "b"],
    )
    p = format_pilot_plan(plan, "EUR")
    assert p.loc["a", "optimal_n"] == "no pilot" and p.loc["a", "cost"] == ""
    assert p.loc["b", "threshold"] == "0.0612" and p.loc["b", "cost"] == "EUR 9K"
