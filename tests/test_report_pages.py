"""The value report as a CFO reads it: one headline, the cash-flow table, clean pages.

The figures' labels are checked with matplotlib before they are encoded (no two tick labels,
bar labels or percentile labels closer than 3 pixels); the PDF is printed with Chromium and
its pages turned into PNG with pdftoppm (skipped when either is missing), one page kept under
``build/test-artefacts/`` to look at.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from salesworkbench.formatting import format_money
from salesworkbench.report import find_chromium, html_to_pdf, value_report
from salesworkbench.value import ValueCase

ARTEFACTS = Path(__file__).resolve().parents[1] / "build" / "test-artefacts"
SMALL = {"trials": 4000, "sobol_n": 512, "pilot_trials": 4000, "date": "2026-11-29"}

#: A logistics case as a consultant writes it: labels and formats on every assumption.
LOGISTICS = {
    "name": "Route optimisation",
    "customer": "Nordfrakt Logistics",
    "currency": "EUR",
    "horizon_years": 5,
    "discount_rate": 0.09,
    "statement": {
        "goal": "Cut fuel and overtime across the regional fleet",
        "capability": "To re-plan routes daily from live orders and traffic",
        "as_a_result_of": "A route optimisation service integrated with dispatch",
    },
    "assumptions": {
        "fleet_size": {
            "dist": "pert",
            "min": 110,
            "mode": 120,
            "max": 125,
            "label": "Trucks in the fleet",
            "unit": "trucks",
            "format": "number",
        },
        "km_per_truck": {
            "dist": "triangular",
            "min": 70000,
            "mode": 85000,
            "max": 95000,
            "label": "Distance per truck",
            "unit": "km/year",
        },
        "fuel_l_per_100km": {
            "dist": "normal",
            "mean": 31.5,
            "sd": 1.5,
            "label": "Fuel use",
            "unit": "l/100 km",
        },
        "fuel_price": {
            "dist": "pert",
            "min": 1.45,
            "mode": 1.65,
            "max": 2.0,
            "label": "Diesel price",
            "unit": "per litre",
            "format": "money",
        },
        "km_saved_share": {
            "dist": "pert",
            "min": 0.02,
            "mode": 0.05,
            "max": 0.08,
            "label": "Distance saved",
            "format": "percent",
            "source": "pilot on two depots",
        },
        "drivers": {"dist": "fixed", "value": 150, "label": "Drivers"},
        "overtime_hours": {
            "dist": "triangular",
            "min": 180,
            "mode": 240,
            "max": 300,
            "label": "Overtime per driver",
            "unit": "hours/year",
        },
        "overtime_cut": {
            "dist": "uniform",
            "min": 0.1,
            "max": 0.3,
            "label": "Overtime avoided",
            "format": "percent",
        },
        "overtime_rate": {
            "dist": "fixed",
            "value": 38,
            "label": "Overtime cost",
            "unit": "per hour",
            "format": "money",
        },
        "adoption": {
            "dist": "beta",
            "alpha": 8,
            "beta": 2,
            "label": "Dispatchers using the plans",
            "format": "percent",
        },
        "licence": {
            "dist": "fixed",
            "value": 600,
            "label": "Licence per truck",
            "unit": "per truck and year",
            "format": "money",
        },
        "integration": {
            "dist": "pert",
            "min": 120000,
            "mode": 150000,
            "max": 220000,
            "label": "Dispatch integration",
            "format": "money",
        },
        "training": {
            "dist": "uniform",
            "min": 20000,
            "max": 40000,
            "label": "Training",
            "format": "money",
        },
    },
    "benefits": [
        {
            "name": "Fuel saved",
            "formula": "fleet_size * km_per_truck * km_saved_share * adoption"
            " * fuel_l_per_100km / 100 * fuel_price",
            "ramp": [0.5, 1, 1, 1, 1],
        },
        {
            "name": "Overtime avoided",
            "formula": "drivers * overtime_hours * overtime_cut * adoption * overtime_rate",
            "ramp": [0.5, 1, 1, 1, 1],
        },
        {"name": "Licences", "formula": "-fleet_size * licence", "years": [1, 2, 3, 4, 5]},
    ],
    "investments": [
        {"name": "Dispatch integration", "formula": "integration", "year": 0},
        {"name": "Training", "formula": "training", "year": 0},
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("pages") / "logistics.html"
    case = ValueCase.from_dict(LOGISTICS)
    rep = value_report(case, out, seed=2, pdf=False, progress=False, **SMALL)
    return rep, out, out.read_text(encoding="utf-8")


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_no_label_overlaps_in_any_figure(built):
    rep, _, _ = built
    assert rep.figures
    for key, fig in rep.figures.items():
        assert fig.overlaps == [], key


def test_one_headline_value_in_card_statement_and_cash_flow_table(built):
    rep, _, page = built
    s = rep.simulation.summary
    headline = format_money(s.loc["value", "mean"], "EUR")
    card = re.search(r'<div class="k">Expected value</div><div class="v">([^<]+)</div>', page)
    assert card and html.unescape(card.group(1)) == headline
    statement = _text(page[page.index('id="statement"') : page.index('class="cards"')])
    assert f"Expected value over 5 years: {headline} " in statement
    flows = page[page.index('id="cashflow"') : page.index('id="assumptions"')]
    exp_row = re.search(r"<td>expected \(mean\)</td>(.*?)</tr>", flows).group(1)
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", exp_row)]
    assert f"EUR {cells[-3]}" == headline  # year 0..5, then value, NPV, IRR (caption: EUR)
    total = rep.cash_flows.query("scenario == 'expected'")["cumulative"].iloc[-1]
    assert total == pytest.approx(s.loc["value", "mean"], rel=1e-9)


def test_cash_flow_table_and_irr_are_shown(built):
    rep, _, page = built
    text = _text(page)
    assert "Cash flow by year" in text
    for col in ("benefits", "investment", "net", "cumulative", "discounted"):
        assert f'<th class="num">{col}</th>' in page
    for scenario in ("expected (mean)", "P10", "P50", "P90", "base case (most likely)"):
        assert f"<td>{scenario}</td>" in page
    assert "IRR" in text and np.isfinite(rep.cash_flows.attrs["irr"]["expected"])


def test_cfo_reading(built):
    rep, _, page = built
    text = _text(page)
    # year 1 and steady state apart; ramped benefits
    assert re.search(r"in the first year \(P10 EUR [\d.]+K, P90 EUR [\d.]+K\), rising to EUR", text)
    assert "(the steady state)" in text
    # labels, not identifiers; shares as percentages
    assert "Distance saved" in text and "km_saved_share" not in text.split("Benefit and")[0]
    assert "pert(min 2%, mode 5%, max 8%)" in text
    # payback as a median with the chance within the horizon, never a mean of "never"
    assert "Payback: median" in text and "chance of paying back within the 5-year horizon" in text
    results = page[page.index('id="results"') : page.index('id="cashflow"')]
    assert "never" not in _text(results)
    assert re.search(r"<td>Payback \(years\)</td><td class=\"num\"></td>", results)
    # no API names in the text
    assert not re.search(r"\w+\.\w+\(|scipy|numpy|sobol_indices", text)


def test_minimal_case_reads_cleanly(tmp_path):
    case = ValueCase.from_dict(
        {
            "name": "x",
            "assumptions": {"a": {"dist": "uniform", "min": 1, "max": 3}},
            "benefits": [{"name": "b", "formula": "a * 100", "years": [1]}],
            "investments": [{"name": "i", "formula": "150", "year": 0}],
        }
    )
    rep = value_report(case, tmp_path / "x.html", pdf=False, progress=False, **SMALL)
    text = _text(rep.html.read_text(encoding="utf-8"))
    assert "x - the customer" not in text and "(;" not in text and ", )" not in text
    assert "amounts in  " not in text


def _png_pages(pdf: Path, out: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out / "page")], check=True)
    return sorted(out.glob("page-*.png"))


@pytest.mark.skipif(find_chromium() is None, reason="Chromium not installed")
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) not installed")
def test_pages_break_cleanly(built, tmp_path):
    from PIL import Image

    _, out, _ = built
    pdf = html_to_pdf(out, tmp_path / "logistics.pdf")
    pages = _png_pages(pdf, tmp_path)
    assert 3 <= len(pages) <= 8
    filled = []
    for p in pages:
        grey = np.asarray(Image.open(p).convert("L"))
        rows = np.flatnonzero((grey < 200).any(axis=1))
        filled.append((rows[-1] + 1) / grey.shape[0] if len(rows) else 0.0)
    # every page but the last is used (no page left half blank by a figure that did not fit)
    assert all(f > 0.6 for f in filled[:-1]), filled
    assert filled[-1] > 0.15, "a last page with only the footer"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pages[1], ARTEFACTS / "value-report-page-2.png")
