"""A value case as a short PowerPoint deck (python-pptx) for the customer's meeting room.

:func:`value_pptx` writes:

1. a title slide (the case and the customer);
2. the value statement, in the words of the case's statement (goal, capability, "as a result
   of") with the simulated figures;
3. value and P(value > 0), with the distribution chart;
4. the tornado: what drives the value;
5. the assumptions with their ranges, units and sources (as many slides as it takes);
6. where given, the negotiating points (break-even, walk-away) computed elsewhere.

Charts are PNG images drawn by the same :mod:`salesworkbench.plotting` functions as the
notebooks and the HTML report, at 200 dpi so they stay crisp when projected. Every text is an
editable text box or table cell set as *plain text runs*: python-pptx escapes it for XML, and
characters XML cannot hold are dropped, so a customer's strings never become markup.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.formatting import format_money, format_number, format_percent

if TYPE_CHECKING:
    from salesworkbench.value import ValueCase, ValueSimulation

__all__ = ["ValueDeck", "value_pptx"]

_ROWS_PER_TABLE = 8
_DPI = 200
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class ValueDeck:
    """What :func:`value_pptx` wrote.

    Attributes
    ----------
    path : pathlib.Path
    slides : list of str
        The slide titles, in order.
    simulation : ValueSimulation
    tornado : pandas.DataFrame
    negotiation : pandas.DataFrame
        The negotiating points shown (empty when none were given).
    """

    path: Path
    slides: list[str]
    simulation: ValueSimulation
    tornado: pd.DataFrame
    negotiation: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per slide: its number and title."""
        return pd.DataFrame({"slide": range(1, len(self.slides) + 1), "title": self.slides})


def _plain(text: Any) -> str:
    """Text for a run: a string with the characters XML cannot hold removed."""
    return _XML_ILLEGAL.sub("", str(text))


def _png(draw: Any, size: tuple[float, float]) -> io.BytesIO:
    from matplotlib.figure import Figure

    from salesworkbench.render import figure_png

    fig = Figure(figsize=size, dpi=_DPI, layout="constrained")
    draw(fig.add_subplot())
    return io.BytesIO(figure_png(fig, dpi=_DPI, tight=False, close=False))


def _negotiation_table(negotiation: Any, currency: str) -> pd.DataFrame:
    """Rows (point, assumption, value) from a mapping or a sequence of computed points."""
    cols = ["point", "assumption", "value"]
    if negotiation is None:
        return pd.DataFrame(columns=cols)
    items: list[tuple[str, Any]]
    if isinstance(negotiation, Mapping):
        items = [(str(k), v) for k, v in negotiation.items()]
    elif isinstance(negotiation, Sequence) and not isinstance(negotiation, str):
        items = [
            (str(getattr(v, "kind", None) or getattr(v, "label", None) or f"point {i + 1}"), v)
            for i, v in enumerate(negotiation)
        ]
    else:
        raise TypeError(
            "negotiation must be a mapping (point -> value or object with .assumption and "
            f".value) or a sequence of such objects, got {type(negotiation).__name__}"
        )
    rows = []
    for point, v in items:
        if isinstance(v, Mapping):
            assumption, value = v.get("assumption", ""), v.get("value")
        elif hasattr(v, "value"):
            assumption, value = getattr(v, "assumption", ""), v.value
        else:
            assumption, value = "", v
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"negotiation point {point!r}: value must be a number") from None
        rows.append({"point": point, "assumption": str(assumption or ""), "value": value})
    return pd.DataFrame(rows, columns=cols)


def _statement_sentences(statement: str) -> list[str]:
    head = statement.split("\nBased on the following assumptions:")[0].strip()
    parts = [p.strip() for p in re.split(r"(?<=\.)\s+(?=[A-Z])", head) if p.strip()]
    return parts or [head]


def value_pptx(
    case: ValueCase | str | os.PathLike,
    path: str | os.PathLike,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    *,
    negotiation: Mapping[str, Any] | Sequence[Any] | None = None,
    simulation: ValueSimulation | None = None,
    output: str = "value",
    date: _dt.date | str | None = None,
) -> ValueDeck:
    """Write a short PowerPoint deck of a value case (written atomically).

    Parameters
    ----------
    case : ValueCase or path
        The case, or its YAML file.
    path : path-like
        The ``.pptx`` file.
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
    seed : int, default 0
    negotiation : mapping or sequence, optional
        Break-even and walk-away points computed elsewhere: ``{"break-even": point, ...}``
        where a point is a number, a mapping with ``assumption`` and ``value``, or an object
        with ``.assumption`` and ``.value``; or a sequence of such objects (labelled by their
        ``.kind`` or ``.label``). Without it the slide is left out.
    simulation : ValueSimulation, optional
        A simulation of ``case`` to reuse (``trials`` and ``seed`` are then ignored).
    output : str, default "value"
        The output of the tornado.
    date : date or str, optional
        Printed on the title slide (default today).

    Returns
    -------
    ValueDeck
    """
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    from salesworkbench.plotting.sensitivity import plot_tornado
    from salesworkbench.plotting.value import plot_value_distribution
    from salesworkbench.report.valuecase import _as_case
    from salesworkbench.value import tornado

    path = Path(path)
    if path.suffix.lower() != ".pptx":
        raise ValueError(f"value_pptx writes a .pptx deck; got {str(path)!r}")
    case, _source = _as_case(case)
    sim = simulation if simulation is not None else case.simulate(trials, seed=seed, progress=False)
    cur = case.currency
    x = sim.samples["value"].to_numpy()
    p10, p50, p90 = np.percentile(x, [10, 50, 90])
    p_pos = float(np.mean(x > 0))
    tor = tornado(case, output=output)
    neg = _negotiation_table(negotiation, cur)
    if date is None:
        date = _dt.date.today()
    date_text = date.isoformat() if isinstance(date, _dt.date) else str(date)

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    width = prs.slide_width
    titles: list[str] = []

    def text_box(slide, left, top, w, h, paragraphs, size=18, bold_first=False):
        box = slide.shapes.add_textbox(left, top, w, h)
        tf = box.text_frame
        tf.word_wrap = True
        for i, para in enumerate(paragraphs):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            run = p.add_run()
            run.text = _plain(para)
            run.font.size = Pt(size)
            run.font.bold = bold_first and i == 0
            p.space_after = Pt(8)
        return box

    def slide_with_title(title: str):
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
        slide.shapes.title.text_frame.text = ""
        run = slide.shapes.title.text_frame.paragraphs[0].add_run()
        run.text = _plain(title)
        run.font.size = Pt(32)
        shape = slide.shapes.title  # the template is 4:3: span the 16:9 slide, left-aligned
        shape.left, shape.top = Inches(0.5), Inches(0.3)
        shape.width, shape.height = width - Inches(1.0), Inches(1.0)
        shape.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        titles.append(title)
        return slide

    # 1. title
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    for shape, text in (
        (slide.shapes.title, case.name or "Value case"),
        (slide.placeholders[1], f"Value case for {case.customer} | {date_text}"),
    ):
        shape.text_frame.text = ""
        shape.text_frame.paragraphs[0].add_run().text = _plain(text)
        top = Inches(2.3) if shape.placeholder_format.idx == 0 else Inches(4.0)
        shape.left, shape.top = Inches(0.8), top  # all four: the layout's box is 4:3
        shape.width, shape.height = width - Inches(1.6), Inches(1.5)
    titles.append(case.name or "Value case")

    # 2. the value statement
    statement = case.value_statement(sim)
    slide = slide_with_title("The value statement")
    text_box(
        slide,
        Inches(0.7),
        Inches(1.5),
        width - Inches(1.4),
        Inches(5.5),
        _statement_sentences(statement),
        size=20,
        bold_first=True,
    )

    # 3. value and P(value > 0)
    slide = slide_with_title("Value and the chance it is positive")
    figures = [
        f"Expected value: {format_money(x.mean(), cur)}",
        f"Median {format_money(p50, cur)}; P10 {format_money(p10, cur)}, "
        f"P90 {format_money(p90, cur)}",
        f"P(value > 0): {format_percent(p_pos)}",
        f"Horizon {case.horizon_years} years, undiscounted; {sim.trials:,} simulated outcomes "
        f"(seed {sim.seed})",
    ]
    text_box(
        slide, Inches(0.5), Inches(1.5), Inches(4.3), Inches(5), figures, size=18, bold_first=True
    )
    chart = _png(lambda ax: plot_value_distribution(sim, ax=ax), (7.6, 4.6))
    slide.shapes.add_picture(chart, Inches(5.0), Inches(1.4), width=Inches(7.9))

    # 4. tornado
    slide = slide_with_title("What drives the value")
    rows = max(len(tor), 1)
    chart = _png(lambda ax: plot_tornado(tor, ax=ax, currency=cur), (10, 1.2 + 0.5 * rows))
    h = min(Inches(5.6), Inches(1.2 + 0.5 * rows) * 1.0)
    pic = slide.shapes.add_picture(chart, Inches(1.2), Inches(1.4), height=h)
    if pic.width > width - Inches(1.0):  # keep the aspect ratio
        pic.height = int(pic.height * (width - Inches(1.0)) / pic.width)
        pic.width = width - Inches(1.0)
    pic.left = int((width - pic.width) / 2)
    text_box(
        slide,
        Inches(0.7),
        pic.top + pic.height + Inches(0.1),
        width - Inches(1.4),
        Inches(0.4),
        [
            f"Each assumption moved to its P10 and P90 while the others stay at their most "
            f"likely value ({output})."
        ],
        size=12,
    )

    # 5. assumptions with sources
    names = list(case.assumptions)
    chunks = [names[i : i + _ROWS_PER_TABLE] for i in range(0, len(names), _ROWS_PER_TABLE)]
    header = ["Assumption", "P10", "Most likely", "P90", "Unit", "Source"]
    col_w = [2.3, 1.3, 1.4, 1.3, 1.9, 4.1]
    for k, chunk in enumerate(chunks or [[]]):
        title = "Assumptions and their sources" + (
            f" ({k + 1}/{len(chunks)})" if len(chunks) > 1 else ""
        )
        slide = slide_with_title(title)
        shape = slide.shapes.add_table(
            len(chunk) + 1,
            len(header),
            Inches(0.6),
            Inches(1.4),
            Inches(sum(col_w)),
            Inches(0.4 * (len(chunk) + 1)),
        )
        table = shape.table
        for j, w in enumerate(col_w):
            table.columns[j].width = Inches(w)
        cells = [header]
        for name in chunk:
            a = case.assumptions[name]
            q10, q90 = a.dist.ppf(np.array([0.1, 0.9]))
            cells.append(
                [
                    name,
                    format_number(q10),
                    format_number(a.dist.most_likely()),
                    format_number(q90),
                    a.unit or "",
                    a.source or "",
                ]
            )
        for i, row in enumerate(cells):
            for j, value in enumerate(row):
                cell = table.cell(i, j)
                cell.text_frame.text = ""
                run = cell.text_frame.paragraphs[0].add_run()
                run.text = _plain(value)
                run.font.size = Pt(14 if i else 15)
                run.font.bold = i == 0

    # 6. negotiating points
    if len(neg):
        slide = slide_with_title("At the negotiating table")
        lines = []
        for _, r in neg.iterrows():
            who = f" ({r['assumption']})" if r["assumption"] else ""
            money = not r["assumption"] or r["assumption"] in ("price", "investment")
            val = format_money(r["value"], cur) if money else format_number(r["value"])
            lines.append(f"{r['point']}{who}: {val}")
        text_box(slide, Inches(0.7), Inches(1.5), width - Inches(1.4), Inches(5), lines, size=22)

    buffer = io.BytesIO()
    prs.save(buffer)
    with atomic_write(path, "wb") as fh:
        fh.write(buffer.getvalue())
    return ValueDeck(path=path, slides=titles, simulation=sim, tornado=tor, negotiation=neg)
