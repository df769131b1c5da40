"""The customer-facing value case app (Voilà): no code shown, sliders move the value."""

from __future__ import annotations

import pytest

from .conftest import REPO, screenshot, serve_voila

APP = REPO / "salesworkbench" / "apps" / "value_case.ipynb"
CASE = REPO / "data" / "value_cases" / "telecom_arpu.yaml"


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """Voilà serving the app on a free loopback port (no token: tests only), stopped at the end."""
    yield from serve_voila(APP, CASE, tmp_path_factory.mktemp("voila"), trials=20000)


def headline(page) -> str:
    return page.locator("text=/P\\(value/").first.inner_text()


def test_value_case_app_shows_the_case_without_code(voila, page):
    page.goto(voila, wait_until="domcontentloaded", timeout=120_000)
    page.locator(".widget-slider").first.wait_for(state="visible", timeout=120_000)
    text = page.locator("body").inner_text()
    assert "New data services" in text and "Company A" in text
    assert "We believe Company A" in text  # the value statement
    for name in ("users", "arpu_after", "margin", "adoption", "node_cost"):
        assert name in text  # every assumption, with its range
    assert "ValueCaseApp" not in text and "import" not in text  # no code visible
    assert page.locator(".jp-InputArea, .jp-Cell-inputWrapper").count() == 0
    images_before = page.locator("img").evaluate_all("(els) => els.map((e) => e.src.length)")
    assert images_before, "the value distribution and tornado are shown"
    before = headline(page)

    handle = page.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(5):
        handle.press("PageDown")
    page.wait_for_function(
        "(old) => !document.body.innerText.includes(old)", arg=before, timeout=60_000
    )
    assert headline(page) != before
    screenshot(page, "present_value_case")
    assert page.js_errors == [], "\n".join(page.js_errors)
