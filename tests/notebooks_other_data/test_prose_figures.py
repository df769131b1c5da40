"""Every figure a notebook's prose states appears in that notebook's outputs (issue 20).

Prose written against the sample goes stale on anyone else's data; so a figure belongs in the
outputs (printed, or in Markdown made from results with
:func:`salesworkbench.notebook_inputs.say`), and the prose may only repeat one that is there.
This reads the committed notebooks (no kernel): every number in a Markdown cell must match a
number in the same notebook's outputs.

What counts as a match (the prose rounds, the outputs may not): the prose figure, read with its
suffix (``2.1M``, ``19K``) and per cent sign, is within half a unit of its last digit or 1% of
an output number, read the same way; a percentage also matches the fraction (``61%`` and
``0.612``), and a suffixed figure also matches its mantissa (``GBP 2.1M`` and ``2.13`` in a
column in GBP M). What is not a figure: whole numbers up to 10 (counts, list items, section
numbers), zero-padded notebook numbers (``01``), numbers inside code spans, and numbers glued
to letters (``P10``, ``Q1``, ``R^2``). The rest that the prose may state without the outputs
(a method's parameters, e.g. a 90% interval) is allowed per notebook in :data:`ALLOWED`, each
with its reason.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

#: notebook -> {figure as written: why the prose may state it without the outputs}.
ALLOWED: dict[str, dict[str, str]] = {
    "00_quickstart": {},
    "01_territory_segmentation": {},
    "06_sales_team_performance": {  # the rest of its figures are made from results
        "90%": "the credible level of every interval (a method setting)",
        "0.2": "Cohen's thresholds for a small effect (method)",
        "0.5": "Cohen's thresholds for a medium effect (method)",
        "0.8": "Cohen's thresholds for a large effect (method)",
        "2,000": "bootstrap resamples (method)",
    },
}

#: Notebooks whose prose states figures their outputs do not show (not converted yet on this
#: branch). 01, 05, 08 and 09 pass: what their prose states is in their outputs on the sample.
PENDING: dict[str, str] = {}

_NUMBER = re.compile(
    r"(?<![\w.^/-])(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<dec>\d+))?"
    r"(?:\s?(?P<sfx>K|M|B|bn|k)(?![A-Za-z]))?(?P<pct>\s?%)?(?![\w^])"
)
_SCALE = {"K": 1e3, "k": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9, None: 1.0}


def figures(text: str) -> list[tuple[str, float, float, float, bool]]:
    """(as written, value, mantissa, half unit of the mantissa, is a percentage) per number."""
    out = []
    for m in _NUMBER.finditer(text):
        digits = m.group("int").replace(",", "")
        dec = m.group("dec") or ""
        mantissa = float(f"{digits}.{dec}" if dec else digits)
        scale = _SCALE[m.group("sfx")]
        out.append(
            (
                m.group(0).strip(),
                mantissa * scale,
                mantissa,
                0.5 * 10.0 ** -len(dec),
                bool(m["pct"]),
            )
        )
    return out


def prose(cell_source: str) -> str:
    """The text of a Markdown cell less what is not a stated figure."""
    text = re.sub(r"```.*?```", " ", cell_source, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"^\s*(#+\s*)?\d+\.\s", " ", text, flags=re.M)  # numbered items, sections
    return text


def output_values(nb: dict) -> list[float]:
    """Every number shown in the outputs (as written, scaled by its suffix, percentages too)."""
    values: set[float] = set()
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            texts = [o.get("text", "")] if o.get("output_type") == "stream" else []
            data = o.get("data", {})
            texts += [data[k] for k in ("text/plain", "text/markdown", "text/html") if k in data]
            for t in texts:
                t = "".join(t) if isinstance(t, list) else t
                t = re.sub(r"<[^>]+>", " ", t)
                for _w, value, mantissa, _h, pct in figures(t):
                    values.update({value, mantissa})
                    if pct:
                        values.add(value / 100)
    return sorted(values)


def _near(values: list[float], target: float, tol: float) -> bool:
    i = bisect.bisect_left(values, target - tol)
    return i < len(values) and values[i] <= target + tol


def unsupported(nb: dict, allowed: dict[str, str]) -> list[str]:
    """The figures the prose states that no output shows (and no allow-list entry covers)."""
    values = output_values(nb)
    missing = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for written, value, mantissa, half, pct in figures(prose("".join(cell["source"]))):
            if written in allowed or re.fullmatch(r"0\d", written):
                continue
            if value == int(value) and value <= 10 and not pct and written.isdigit():
                continue
            candidates = [(value, half * value / mantissa if mantissa else half), (mantissa, half)]
            if pct:
                candidates.append((value / 100, half / 100))
            if not any(_near(values, c, max(h, 0.01 * abs(c))) for c, h in candidates):
                missing.append(written)
    return missing


def _cases():
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        marks = [pytest.mark.xfail(reason=PENDING[path.stem])] if path.stem in PENDING else []
        yield pytest.param(path, marks=marks, id=path.stem)


@pytest.mark.parametrize("path", list(_cases()))
def test_prose_figures_appear_in_outputs(path):
    nb = json.loads(path.read_text())
    missing = unsupported(nb, ALLOWED.get(path.stem, {}))
    assert not missing, f"{path.name}: prose states figures no output shows: {missing}"


def test_the_check_finds_a_stale_figure():
    nb = {
        "cells": [
            {
                "cell_type": "markdown",
                "source": "Won 61% of 1,291 deals, GBP 2.1M; P10 and `x = 99`",
            },
            {
                "cell_type": "code",
                "source": "",
                "outputs": [{"output_type": "stream", "text": "rate 0.612, n 1291, 2.13 (GBP M)"}],
            },
        ]
    }
    assert unsupported(nb, {}) == []
    nb["cells"][0]["source"] = "Won 79% of 1,291 deals, pays off in about 99 of 100"
    assert unsupported(nb, {}) == ["79%", "99", "100"]
    assert unsupported(nb, {"100": "method"}) == ["79%", "99"]
