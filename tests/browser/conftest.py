"""Real-browser tests: JupyterLab (and Voilà) on a loopback port, driven by headless Chromium.

Chromium is the Debian package (``/usr/bin/chromium``), driven by Python Playwright through
``executable_path``; Playwright's own browser download is never used. Servers listen on
127.0.0.1 only, on a port picked here, and are stopped by PID when the session ends, even after
a failure. Screenshots go to ``build/screenshots/``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from salesworkbench.report import CHROMIUM_FLAGS, find_chromium

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "screenshots"
# Console errors that are about this machine having no internet, not about the workbench.
OFFLINE_NOISE = ("net::ERR_", "Failed to load resource")


def free_port() -> int:
    """Ask the OS for a free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Wait until ``url`` answers; fail with the server log if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(f"server did not answer {url} in {timeout} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server and its children by PID (its own process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=15)


def start_server(cmd: list[str], log: Path, cwd: Path, env: dict | None = None):
    """Start a server in its own process group, logging to ``log``."""
    handle = log.open("w")
    return subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )


def serve_voila(app: Path, case: Path, workdir: Path, trials: int) -> Iterator[str]:
    """Voilà serving ``app`` on ``case`` on a free loopback port; yields the URL, then stops it.

    For module fixtures (``yield from serve_voila(...)``): no token (tests only), light theme,
    no tracebacks shown, ``trials`` simulated outcomes; the log is ``workdir/voila.log``.
    """
    port = free_port()
    log = workdir / "voila.log"
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(app),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--theme=light",
        "--show_tracebacks=False",
    ]
    env = {"SALESWORKBENCH_CASE": str(case), "SALESWORKBENCH_TRIALS": str(trials)}
    proc = start_server(cmd, log, workdir, env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", proc, log, timeout=120)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(proc)


def root_flag() -> list[str]:
    """Jupyter refuses to run as root without ``--allow-root``."""
    return ["--allow-root"] if os.geteuid() == 0 else []


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    """Scratch copy of the notebooks (the browser saves what it runs; the repo's stay as is)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    (root / "data").symlink_to(REPO / "data")
    # Jupyter's own settings: no news or update checks (this machine is offline).
    settings = root / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false"})
    )
    # Render every cell (no windowing), so widgets far down a notebook exist in the page.
    tracker = root / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    return root


@pytest.fixture(scope="session")
def lab(workdir: Path):
    """JupyterLab on a free loopback port, without a token (tests only), stopped at the end."""
    port = free_port()
    log = workdir / "jupyterlab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.extension_manager=readonly",
        f"--ServerApp.root_dir={workdir}",
        *root_flag(),
    ]
    env = {"JUPYTERLAB_SETTINGS_DIR": str(workdir / "settings"), "TQDM_DISABLE": "1"}
    proc = start_server(cmd, log, workdir, env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/status", proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (no Playwright browser download)."""
    chromium = find_chromium()
    if chromium is None:
        pytest.fail("Chromium not found: install the Debian package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, tmp_path):
    """A fresh browser context and page that records JavaScript errors in ``page.js_errors``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(f"pageerror: {exc}"))

    def on_console(msg):
        if msg.type == "error" and not any(n in msg.text for n in OFFLINE_NOISE):
            page.js_errors.append(f"console.error: {msg.text}")

    page.on("console", on_console)
    try:
        yield page
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under build/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
