"""The value case as a PowerPoint deck: content, plain text, rendering."""

import json
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from salesworkbench.cli import main
from salesworkbench.datasets import data_path
from salesworkbench.report import value_pptx
from salesworkbench.value import ValueCase

CASE = data_path("value_cases/telecom_arpu.yaml")
ARTEFACT = Path(__file__).parent / "artifacts" / "value_deck_slide3.png"


@dataclass
class Point:  # what the negotiation helper returns (duck-typed: .assumption, .value)
    assumption: str
    value: float
    kind: str


def _texts(prs):
    out = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if shape.has_table:
                out += [c.text for row in shape.table.rows for c in row.cells]
    return "\n".join(out)


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    path = tmp_path_factory.mktemp("deck") / "case.pptx"
    points = [Point("adoption", 0.41, "break-even"), Point("price", 2.5e6, "walk-away")]
    return value_pptx(CASE, path, trials=5_000, seed=2, negotiation=points, date="2026-11-29")


def test_deck_has_the_customer_statement_and_pictures(deck):
    prs = Presentation(str(deck.path))
    text = _texts(prs)
    case = ValueCase.from_yaml(CASE)
    assert case.customer in text
    for part in ("goal", "capability", "as_a_result_of"):  # the statement in the seed's words
        assert case.statement[part].lower() in text.lower()
    assert "P(value > 0)" in text
    pictures = [
        s for slide in prs.slides for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE
    ]
    assert len(pictures) >= 2  # distribution and tornado
    assert deck.slides == [
        "New data services",
        "The value statement",
        "Value and the chance it is positive",
        "What drives the value",
        "Assumptions and their sources",
        "At the negotiating table",
    ]
    assert "break-even (adoption): 0.41" in text and "walk-away (price): GBP 2.5M" in text
    for name, a in case.assumptions.items():  # the assumptions table, with sources
        assert name in text and a.source in text
    # pictures are crisp: 200 dpi renders
    assert all(p.image.dpi[0] >= 150 or p.image.size[0] >= 1400 for p in pictures)


def test_deck_without_negotiation_leaves_the_slide_out(tmp_path):
    deck = value_pptx(CASE, tmp_path / "d.pptx", trials=2_000)
    assert "At the negotiating table" not in deck.slides
    assert len(Presentation(str(deck.path)).slides) == 5


def test_customer_strings_never_become_markup(tmp_path):
    d = ValueCase.from_yaml(CASE).to_dict()
    nasty = '<a:r><a:t>pwned</a:t></a:r> & "Co" \x07'
    d["customer"] = nasty
    d["name"] = "</p:sp><script>x</script>"
    d["assumptions"]["users"]["source"] = "=cmd|' /C calc'!A0 <b>"
    deck = value_pptx(ValueCase.from_dict(d), tmp_path / "n.pptx", trials=2_000)
    prs = Presentation(str(deck.path))
    text = _texts(prs)
    assert '<a:r><a:t>pwned</a:t></a:r> & "Co" ' in text  # shown as typed (bell dropped)
    assert "</p:sp><script>x</script>" in text
    assert "=cmd|' /C calc'!A0 <b>" in text
    with zipfile.ZipFile(deck.path) as z:
        xml = z.read("ppt/slides/slide1.xml").decode()
    assert "&lt;a:r&gt;&lt;a:t&gt;pwned" in xml and "<a:t>pwned</a:t>" not in xml


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="pptx"):
        value_pptx(CASE, tmp_path / "d.ppt", trials=100)
    with pytest.raises(TypeError, match="negotiation"):
        value_pptx(CASE, tmp_path / "d.pptx", trials=100, negotiation=3.0)


def test_cli_report_value_pptx(capsys, tmp_path):
    target = tmp_path / "report.html"
    args = [
        "report",
        "value",
        str(CASE),
        "--out",
        str(target),
        "--no-pdf",
        "--pptx",
        "--trials",
        "3000",
        "--pilot-trials",
        "2000",
        "--sobol-n",
        "256",
        "--format",
        "json",
        "--no-progress",
    ]
    code = main(args)
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    assert doc["pptx"] == str(target.with_suffix(".pptx"))
    assert len(Presentation(doc["pptx"]).slides) == 5
    code = main([*args[:6], "--pptx", str(tmp_path / "x.txt"), *args[7:]])
    assert code != 0


@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")) or not shutil.which("pdftoppm"),
    reason="LibreOffice and pdftoppm are needed to render the slides",
)
def test_slides_render_in_libreoffice(deck, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    proc = subprocess.run(
        [
            office,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(deck.path),
        ],
        capture_output=True,
        timeout=240,
        check=False,
    )
    pdf = tmp_path / "case.pdf"
    assert pdf.exists(), proc.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False)
    if info.returncode == 0:
        assert re.search(r"Pages:\s+6\b", info.stdout), info.stdout
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "3", "-l", "3", str(pdf), str(tmp_path / "s")],
        check=True,
    )
    png = next(tmp_path.glob("s*.png"))
    from PIL import Image

    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # a chart, not a blank page
    assert ARTEFACT.exists()  # the kept artefact (tests/artifacts/): slide 3 as rendered
