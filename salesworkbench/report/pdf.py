"""PDF of an HTML page, printed by headless Chromium (A4, no header or footer).

Chromium is found at ``$SALESWORKBENCH_CHROMIUM``, ``/usr/bin/chromium`` or on the ``PATH``;
the PDF is written atomically, so a failed print never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "ChromiumNotFoundError", "PdfError", "find_chromium", "html_to_pdf"]

#: Flags for headless Chromium's print-to-PDF (no sandbox, GPU, network chatter or first-run UI).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
)

_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfError(RuntimeError):
    """Chromium is missing or could not print the report to PDF."""


class ChromiumNotFoundError(PdfError):
    """A PDF was asked for but no Chromium executable was found."""


def find_chromium() -> str | None:
    """Return the path of a Chromium executable, or None.

    Looks at ``$SALESWORKBENCH_CHROMIUM``, then ``/usr/bin/chromium``, then ``chromium`` (and
    Chrome) on the ``PATH``.
    """
    env = os.environ.get("SALESWORKBENCH_CHROMIUM")
    candidates = [env] if env else []
    candidates.append("/usr/bin/chromium")
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            candidates.append(found)
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def html_to_pdf(
    html_path: str | os.PathLike,
    pdf_path: str | os.PathLike | None = None,
    *,
    chromium: str | None = None,
    timeout: float = 180.0,
) -> Path:
    """Print an HTML file to PDF with headless Chromium (A4, no header or footer).

    The PDF is printed to a temporary name beside ``pdf_path`` and renamed when complete, so
    an existing PDF is only replaced by a complete one.

    Parameters
    ----------
    html_path : path-like
        The page to print.
    pdf_path : path-like, optional
        Where to write; default ``html_path`` with the suffix ``.pdf``.
    chromium : str, optional
        Chromium executable (default: :func:`find_chromium`).
    timeout : float, default 180
        Seconds to wait for Chromium.

    Returns
    -------
    pathlib.Path
        The PDF written.

    Raises
    ------
    PdfError
        Chromium is not installed, failed, timed out or wrote no PDF.
    """
    src = Path(html_path).resolve()
    if not src.is_file():
        raise FileNotFoundError(f"{html_path}: file not found (the HTML page to print)")
    target = Path(pdf_path) if pdf_path is not None else src.with_suffix(".pdf")
    exe = chromium or find_chromium()
    if exe is None:
        raise ChromiumNotFoundError(
            "Chromium not found: install it (Debian/Ubuntu: apt-get install chromium) or set "
            "SALESWORKBENCH_CHROMIUM to its path"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp.pdf", dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # Chromium creates it; an empty file left there would look like success
    try:
        with tempfile.TemporaryDirectory(prefix="salesworkbench-chromium-") as profile:
            cmd = [
                exe,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={tmp}",
                src.as_uri(),
            ]
            env = {**os.environ, "HOME": profile}
            try:
                proc = subprocess.run(
                    cmd,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise PdfError(
                    f"Chromium did not finish printing {src.name} within {timeout:.0f} s"
                ) from None
            except OSError as exc:
                raise PdfError(f"could not start Chromium ({exe}): {exc}") from None
        ok = os.path.isfile(tmp) and os.path.getsize(tmp) > 0
        if ok:
            with open(tmp, "rb") as fh:
                ok = fh.read(5) == b"%PDF-"
        if proc.returncode != 0 or not ok:
            last = [ln for ln in (proc.stderr or "").splitlines() if ln.strip()][-1:]
            raise PdfError(
                f"Chromium could not print {src.name} to PDF (exit code {proc.returncode})"
                + (f": {last[0].strip()}" if last else "")
            )
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return target
