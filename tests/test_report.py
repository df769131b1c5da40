"""The value-case report: self-contained HTML, its contents, atomic writes, PDF via Chromium."""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from salesworkbench.datasets import data_path
from salesworkbench.report import PdfError, find_chromium, html_to_pdf, value_report
from salesworkbench.report import valuecase as report_module

CASE = data_path("value_cases/telecom_arpu.yaml")
SMALL = {"trials": 4000, "sobol_n": 512, "pilot_trials": 4000, "date": "2026-10-01"}


class _Links(HTMLParser):
    """Collects every URL-bearing attribute and the tags used."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action", "background"):
                self.urls.append((tag, name, value or ""))
            if tag == "img" and name == "src":
                self.images.append(value or "")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "telecom.html"
    rep = value_report(CASE, out, seed=1, pdf=False, progress=False, **SMALL)
    return rep, out.read_text(encoding="utf-8")


def test_html_is_self_contained(built):
    _, page = built
    parser = _Links()
    parser.feed(page)
    assert parser.urls, "expected embedded images"
    for tag, attr, url in parser.urls:
        assert url.startswith("data:"), f"<{tag} {attr}={url[:60]!r}> is an external reference"
    assert not parser.tags & {"script", "link", "iframe", "object", "embed"}
    css = " ".join(re.findall(r"<style>(.*?)</style>", page, flags=re.S))
    assert "url(" not in css and "@import" not in css
    assert "http://" not in page and "https://" not in page


def test_html_holds_statement_assumptions_and_figures(built):
    rep, page = built
    case = rep.simulation.case
    statement = case.value_statement(rep.simulation)
    lines = [ln.strip().removeprefix("- ") for ln in statement.splitlines() if ln.strip()]
    assert len(lines) > len(case.assumptions)
    for line in lines:  # paragraphs, and the assumptions as a bullet list
        assert html.escape(line) in page, line
    assert page.count("<li>") >= len(case.assumptions)
    for name, a in case.assumptions.items():
        assert f"<td>{html.escape(name)}</td>" in page
        if a.unit:
            assert html.escape(a.unit) in page
        if a.source:
            assert html.escape(a.source) in page
    for fig in ("distribution", "cumulative", "waterfall", "tornado", "rank_correlation", "sobol"):
        assert f'id="fig-{fig}"' in page
    parser = _Links()
    parser.feed(page)
    assert len(parser.images) >= 6
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    for section in ("Value statement", "Results", "Assumptions", "What drives the value"):
        assert f"<h2>{section}</h2>" in page
    assert "<h2>Pilot recommendation</h2>" in page
    # the figures in the text are the simulation's
    p = rep.simulation.summary.loc["value", "prob_positive"]
    assert f"{100 * p:.1f}%" in page


def test_report_tables_match_the_analyses(built):
    rep, page = built
    assert list(rep.tornado.index) and set(rep.tornado.index) <= set(rep.sobol.index)
    assert rep.pilots.attrs["trials"] == SMALL["pilot_trials"]
    for name in rep.pilots.index:
        assert html.escape(str(rep.pilots.loc[name, "recommendation"])) in page


def test_same_seed_same_bytes(built, tmp_path):
    first, _ = built
    again = value_report(CASE, tmp_path / "again.html", seed=1, pdf=False, progress=False, **SMALL)
    assert again.html.read_bytes() == first.html.read_bytes()
    assert again.simulation.samples.equals(first.simulation.samples)


def test_write_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("previous report", encoding="utf-8")

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report_module, "value_case_page", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        value_report(CASE, out, pdf=False, progress=False, **SMALL)
    assert out.read_text(encoding="utf-8") == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_success_leaves_only_the_report(built):
    rep, _ = built
    assert [p.name for p in rep.html.parent.iterdir()] == [rep.html.name]  # no temp files


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"trials": 0}, "trials"),
        ({"trials": 2.5}, "trials"),
        ({"seed": -1}, "seed"),
        ({"sobol_n": 1000}, "sobol_n"),
        ({"pilot_trials": -3}, "pilot_trials"),
        ({"output": "profit"}, "output"),
        ({"out": "report.pdf"}, "out"),
    ],
)
def test_bad_parameters_name_the_parameter(tmp_path, kwargs, needle):
    args = {"out": tmp_path / "r.html", "pdf": False, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=needle):
        value_report(CASE, **args)
    assert not (tmp_path / "r.html").exists()


def test_missing_case_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.yaml"):
        value_report(tmp_path / "nowhere.yaml", tmp_path / "r.html", pdf=False)


def test_pdf_required_without_chromium(tmp_path, monkeypatch):
    monkeypatch.setattr(report_module, "find_chromium", lambda: None)
    with pytest.raises(PdfError, match="Chromium"):
        value_report(CASE, tmp_path / "r.html", pdf=True, progress=False, **SMALL)
    assert not (tmp_path / "r.html").exists()  # fails before any work
    rep = value_report(CASE, tmp_path / "r.html", pdf=None, progress=False, **SMALL)
    assert rep.pdf is None and "Chromium not found" in rep.pdf_skipped
    assert rep.html.exists()


def test_failing_chromium_leaves_no_pdf(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><body>hi</body></html>", encoding="utf-8")
    false = shutil.which("false")
    with pytest.raises(PdfError, match="exit code"):
        html_to_pdf(page, chromium=false)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]


@pytest.mark.skipif(
    find_chromium() is None, reason="Chromium is not installed (apt-get install chromium)"
)
def test_pdf_is_printed_where_chromium_exists(tmp_path):
    rep = value_report(CASE, tmp_path / "r.html", pdf=None, progress=False, **SMALL)
    assert rep.pdf == tmp_path / "r.pdf"
    data = rep.pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(data) > 50_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf"]
    if shutil.which("pdfinfo"):
        info = subprocess.run(
            ["pdfinfo", str(rep.pdf)], capture_output=True, text=True, check=True
        ).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert 2 <= pages <= 8
        assert "A4" in info or "595" in info  # A4 = 595 x 842 pt


def test_importing_the_report_and_cli_does_not_import_matplotlib():
    code = (
        "import sys, salesworkbench.report, salesworkbench.cli; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_figures_in_the_one_style(built):
    from salesworkbench import __version__
    from salesworkbench.formatting import format_money

    rep, page = built
    case = rep.simulation.case
    mean = rep.simulation.summary.loc["value", "mean"]
    assert f'<div class="v">{format_money(mean, case.currency)}</div>' in page
    assert "pert(min 90K, mode 100K, max 120K)" in page  # K/M/B, never "90,000" or "90k"
    text = re.sub(r'src="data:[^"]*"|<style>.*?</style>', "", page, flags=re.S)
    assert re.search(r"\d(k|m|bn)\b", text) is None, "another K/M/B style"
    assert f"Generated by salesworkbench {__version__} " in page


def test_user_text_is_escaped(tmp_path):
    import yaml

    spec = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    spec["name"] = '<script>alert("name")</script>'
    spec["customer"] = "<img src=x onerror=alert(1)>"
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    rep = value_report(path, tmp_path / "evil.html", pdf=False, progress=False, **SMALL)
    page = rep.html.read_text(encoding="utf-8")
    assert "<script" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_case_that_is_not_text_names_the_file(tmp_path):
    from salesworkbench.errors import ValueCaseError

    path = tmp_path / "photo.yaml"
    path.write_bytes(bytes(range(128, 256)) * 8)
    with pytest.raises(ValueCaseError, match=r"photo\.yaml.*UTF-8"):
        value_report(path, tmp_path / "r.html", pdf=False, progress=False)


def test_default_trials_come_from_the_defaults():
    import inspect

    from salesworkbench import defaults

    params = inspect.signature(value_report).parameters
    assert params["trials"].default == defaults.VALUE_TRIALS
    assert params["pilot_trials"].default == defaults.PILOT_TRIALS
