"""Notebook 08 in JupyterLab: the explorer's Negotiation tab and OptionsComparison respond."""

from __future__ import annotations

from .conftest import screenshot
from .test_notebooks_in_lab import NOTEBOOK, RUN_ALL, output_fingerprint, wait_until

NB = "08_value_negotiation.ipynb"


def open_and_run(lab, page, notebook: str) -> None:
    page.goto(f"{lab}/lab/tree/notebooks/{notebook}?reset", wait_until="domcontentloaded")
    page.wait_for_function(
        "(name) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.context.path.endsWith(name); }",
        arg=notebook,
        timeout=90_000,
    )
    result = page.evaluate(RUN_ALL)
    assert result["unexecuted"] == 0 and result["errors"] == [], result


def widget_cell(page, marker: str):
    """The code cell whose widget shows ``marker`` (text of its title line)."""
    cell = page.locator(
        f"{NOTEBOOK} .jp-CodeCell", has=page.locator(".widget-html", has_text=marker)
    )
    cell.first.wait_for(state="attached", timeout=60_000)
    return cell.first


def press(handle, key: str, times: int) -> None:
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(times):
        handle.press(key)


def test_negotiation_tab_and_options_comparison_respond(lab, page):
    open_and_run(lab, page, NB)

    # --- OptionsComparison: pick another baseline, the differences follow
    options = widget_cell(page, "Options side by side")
    headline = options.locator(".widget-html", has_text="gives the highest").first
    headline.wait_for(state="visible", timeout=60_000)
    assert "minus status quo" in headline.inner_text()  # as the cell after it set it
    before = output_fingerprint(options)
    options.locator(".widget-dropdown select").first.select_option(label="competitor")
    wait_until(
        lambda: "minus competitor" in headline.inner_text(), 30, "the baseline did not apply"
    )
    # move the price range: the acceptability curve is redrawn
    images = lambda: options.locator("img").evaluate_all(  # noqa: E731
        "(els) => els.map((e) => e.src.length + e.src.slice(-64)).join()"
    )
    shown = images()
    press(options.locator(".widget-slider .noUi-handle").first, "ArrowRight", 3)
    wait_until(lambda: images() != shown, 30, "moving the price range did not redraw")
    assert output_fingerprint(options) != before

    # --- the explorer opens on its Negotiation tab (set in the notebook)
    explorer = widget_cell(page, "move an assumption's range")
    tab = explorer.locator(".lm-TabBar-tab", has_text="Negotiation")
    assert "lm-mod-current" in (tab.get_attribute("class") or "")
    neg_head = explorer.locator(".widget-html", has_text="Walk-away:").first
    neg_head.wait_for(state="visible", timeout=60_000)
    text = neg_head.inner_text()
    assert "Break-even:" in text and "node cost above" in text
    assert explorer.locator("table.sw-stress:visible").count() == 1
    # the target slider: the walk-away moves
    target = explorer.locator(".widget-slider:visible", has_text="target").locator(".noUi-handle")
    press(target, "ArrowLeft", 5)
    # 90% (set from code) less 5 steps of 1%; each step is one update in the kernel
    wait_until(lambda: "falls below 85%" in neg_head.inner_text(), 30, "the target did not move it")
    screenshot(page, "08_negotiation_tab")

    # --- back on the Explorer tab, narrow ARPU; the Negotiation tab follows when shown again
    explorer.locator(".lm-TabBar-tab", has_text="Explorer").click()
    arpu = explorer.locator(".widget-slider:visible", has_text="arpu_after").locator(".noUi-handle")
    text = neg_head.inner_text()
    neg_images = lambda: explorer.locator("img").evaluate_all(  # noqa: E731
        "(els) => els.map((e) => e.src.length + e.src.slice(-64)).join()"
    )
    drawn = neg_images()
    press(arpu.last, "ArrowLeft", 20)  # the upper end of the range down
    tab.click()
    wait_until(lambda: neg_head.inner_text() != text, 30, "the explorer's slider did not reach")
    wait_until(lambda: neg_images() != drawn, 30, "the negotiation figure was not redrawn")
    page.wait_for_timeout(1000)
    screenshot(page, "08_negotiation_after_arpu")
    assert page.js_errors == [], "\n".join(page.js_errors)
