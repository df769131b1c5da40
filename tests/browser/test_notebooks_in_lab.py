"""Each notebook in JupyterLab in a real browser: run, render, move a widget, no JS errors."""

from __future__ import annotations

import json
import time

import pytest

from .conftest import REPO, screenshot

# The notebook on show (other tabs' panels stay in the page, hidden).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# What the kernel holds for every live widget that has a value: model id -> value.
KERNEL_VALUES = """
import json as _json, ipywidgets as _w
print(_json.dumps({k: repr(getattr(v, "value", None))
                   for k, v in _w.widgets.widget._instances.items()
                   if isinstance(v, _w.ValueWidget)}))
"""

RUN_IN_KERNEL = """
async (code) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, store_history: false});
  let out = "";
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === "stream") { out += msg.content.text; }
    if (msg.header.msg_type === "error") { out += "ERROR " + msg.content.evalue; }
  };
  await future.done;
  return out;
}
"""

RUN_ALL = """
async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  await window.jupyterapp.commands.execute("notebook:run-all-cells");
  const cells = panel.content.widgets.filter((c) => c.model.type === "code");
  return {
    cells: cells.length,
    unexecuted: cells.filter((c) => !c.model.executionCount).length,
    errors: cells.filter((c) => c.model.outputs.toJSON().some((o) => o.output_type === "error"))
      .map((c) => c.model.sharedModel.getSource().slice(0, 80)),
  };
}
"""


def kernel_values(page) -> dict:
    text = page.evaluate(RUN_IN_KERNEL, KERNEL_VALUES)
    assert not text.startswith("ERROR"), text
    return json.loads(text.strip().splitlines()[-1])


def output_fingerprint(cell) -> str:
    """Text plus image sources of a cell's outputs: changes when the displayed result changes."""
    images = cell.locator("img").evaluate_all(
        "(els) => els.map((e) => e.src.length + e.src.slice(-64))"
    )
    return cell.inner_text() + "|".join(images)


def move_a_widget(page):
    """Move the first slider (keyboard) or pick another option in the first dropdown.

    Returns the notebook cell that holds the widget.
    """
    handle = page.locator(f"{NOTEBOOK} .widget-slider .noUi-handle:visible").first
    if handle.count():
        cell = page.locator(f"{NOTEBOOK} .jp-CodeCell", has=page.locator(".noUi-handle")).first
        before = output_fingerprint(cell)
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
        return cell, before
    select = page.locator(f"{NOTEBOOK} .widget-dropdown select:visible").first
    if select.count():
        cell = page.locator(f"{NOTEBOOK} .jp-CodeCell", has=page.locator(".widget-dropdown")).first
        before = output_fingerprint(cell)
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("(s) => s.options[s.selectedIndex].text")
        select.select_option(label=next(o for o in options if o != current))
        return cell, before
    pytest.fail("the notebook shows no slider or dropdown to move")


def wait_until(predicate, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(message)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_and_widgets_respond(lab, page, notebook):
    # ?reset: start from an empty workspace, so no notebook of an earlier test is restored
    page.goto(f"{lab}/lab/tree/notebooks/{notebook}?reset", wait_until="domcontentloaded")
    page.wait_for_function(
        "(name) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.context.path.endsWith(name); }",
        arg=notebook,
        timeout=90_000,
    )
    result = page.evaluate(RUN_ALL)
    assert result["cells"] > 0
    assert result["unexecuted"] == 0, f"{result['unexecuted']} cells did not run"
    assert result["errors"] == [], f"cells raised: {result['errors']}"

    first_widget = page.locator(
        f"{NOTEBOOK} .widget-slider:visible, {NOTEBOOK} .widget-dropdown:visible"
    ).first
    first_widget.wait_for(state="attached", timeout=60_000)
    first_widget.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)  # let every view finish rendering
    values_before = kernel_values(page)
    cell, before = move_a_widget(page)

    changed = wait_until(
        lambda: {k: v for k, v in kernel_values(page).items() if values_before.get(k) != v},
        30,
        "the kernel never saw the widget's new value",
    )
    assert changed
    cell.scroll_into_view_if_needed()
    wait_until(
        lambda: output_fingerprint(cell) != before,
        30,
        "moving the widget did not change the displayed result",
    )
    page.wait_for_timeout(2000)  # let the redrawn figures arrive before the picture
    screenshot(page, notebook.removesuffix(".ipynb"))
    assert page.js_errors == [], "\n".join(page.js_errors)
