"""Shareable reports: a value case as one self-contained HTML file, and a PDF of it.

:func:`value_report` runs the analyses a reviewer asks for (the simulation, the tornado, rank
correlations, Sobol' indices and the pilot plan) and writes one HTML file that holds
everything, figures included (as embedded PNG images), so it can be mailed or archived as it
is and opens without the workbench or a network. Where Chromium is installed, the same page is
printed to PDF by headless Chromium (:func:`html_to_pdf`).

Both files are written atomically: a failed run never leaves a half-written report behind.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import html
import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench.formatting import format_money

if TYPE_CHECKING:
    from salesworkbench.value import ValueCase, ValueSimulation

__all__ = [
    "CHROMIUM_FLAGS",
    "ChromiumNotFoundError",
    "PdfError",
    "ValueReport",
    "find_chromium",
    "html_to_pdf",
    "load_case",
    "value_report",
]

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


# --------------------------------------------------------------------------------------------
# PDF via headless Chromium
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# formatting helpers
# --------------------------------------------------------------------------------------------
def _money(x: float, currency: str = "", digits: int = 3) -> str:
    """Short money as in the value statement: 'GBP 2.5M', 'GBP -500K'; noise below 0.5 is 0."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return format_money(0.0 if abs(float(x)) < 0.5 else float(x), currency, digits)


def _num(x: Any, digits: int = 4) -> str:
    """A number for a table cell: thousands separators, a few significant digits."""
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "never" if v > 0 else "-inf"
    if v != 0 and abs(v) < 1e-3:
        return f"{v:.2e}"
    if abs(v) >= 10**digits:
        return f"{v:,.0f}"
    return f"{v:,.{digits}g}" if abs(v) >= 1 else f"{v:.{max(digits - 1, 1)}g}"


def _pct(p: float, digits: int = 0) -> str:
    if p is None or not np.isfinite(p):
        return "n/a"
    return f"{100 * p:.{digits}f}%"


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    num_cols: Sequence[int] = (),
    cls: str = "",
) -> str:
    """An HTML table; cells are escaped; ``num_cols`` are right-aligned."""
    nums = set(num_cols)
    head = "".join(
        f'<th class="num">{_esc(h)}</th>' if i in nums else f"<th>{_esc(h)}</th>"
        for i, h in enumerate(header)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_esc(c)}</td>' if i in nums else f"<td>{_esc(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    c = f' class="{cls}"' if cls else ""
    return f"<table{c}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
@dataclass
class _Figure:
    key: str
    title: str
    caption: str
    png: bytes

    def html(self, wide: bool = False) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        cls = "fig wide" if wide else "fig"
        return (
            f'<figure class="{cls}" id="fig-{_esc(self.key)}">'
            f'<img alt="{_esc(self.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{_esc(self.title)}.</b> {_esc(self.caption)}</figcaption></figure>"
        )


def _draw(key: str, title: str, caption: str, draw, size=(6.4, 3.6), dpi: int = 150) -> _Figure:
    """Draw with ``draw(ax)`` on a fresh Agg figure (no pyplot state) and return the PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    draw(ax)
    buf = io.BytesIO()
    # no software/date metadata: the same inputs give the same bytes
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return _Figure(key, title, caption, buf.getvalue())


_SHORT = {
    "npv": "NPV",
    "roi": "ROI",
    "payback_years": "payback",
    "total_benefits": "benefits",
    "total_investment": "investment",
}


def _retitle(ax, title: str):
    ax.set_title(title, fontsize="medium")
    return ax


def _headroom(ax, share: float = 0.12):
    """Room above the tallest bar for its label (so it does not run into the title)."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + share * (hi - lo))
    ax.title.set_fontsize("medium")
    return ax


def _tilt(ax):
    for label in ax.get_xticklabels():
        label.set_rotation(45)
        label.set_horizontalalignment("right")
        label.set_fontsize("small")
    return ax


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------
@dataclass
class ValueReport:
    """What :func:`value_report` wrote and computed.

    Attributes
    ----------
    html : pathlib.Path
        The HTML report.
    pdf : pathlib.Path or None
        The PDF, or None when none was printed (see ``pdf_skipped``).
    pdf_skipped : str or None
        Why there is no PDF.
    simulation : ValueSimulation
    tornado, rank_correlation, sobol, pilots : pandas.DataFrame
        The analyses shown in the report.
    notes : list of str
        Caveats printed in the report's method section (e.g. warnings raised on the way).
    """

    html: Path
    pdf: Path | None
    pdf_skipped: str | None
    simulation: Any
    tornado: pd.DataFrame
    rank_correlation: pd.DataFrame
    sobol: pd.DataFrame
    pilots: pd.DataFrame
    notes: list[str] = field(default_factory=list)


_LABELS = {
    "total_benefits": "Total benefits",
    "total_investment": "Total investment",
    "value": "Value (benefits - investment)",
    "npv": "Net present value",
    "roi": "Return on investment",
    "payback_years": "Payback (years)",
}
_MONEY = ("total_benefits", "total_investment", "value", "npv")


def _as_number(v: Any) -> Any:
    """YAML reads ``2.0e6`` as text: show it as the number it stands for."""
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    return v


def _dist_text(dist: Any) -> str:
    """A distribution in words, e.g. ``pert(min 90,000, mode 100,000, max 120,000)``."""
    spec = dict(getattr(dist, "spec", {}) or {})
    kind = str(spec.pop("dist", getattr(dist, "kind", "?")))
    parts = []
    for k, v in spec.items():
        if isinstance(v, list | tuple):
            v = "[" + ", ".join(_num(_as_number(x)) for x in v) + "]"
        else:
            v = _num(_as_number(v))
        parts.append(f"{k} {v}")
    return f"{kind}({', '.join(parts)})" if parts else kind


def _assumption_rows(case: ValueCase) -> list[list[str]]:
    rows = []
    for name, a in case.assumptions.items():
        d = a.dist
        if d.is_fixed:
            lo = hi = ""
            ml = _num(d.most_likely())
        else:
            q = np.asarray(d.ppf(np.array([0.1, 0.9])), dtype=float)
            lo, hi, ml = _num(q[0]), _num(q[1]), _num(d.most_likely())
        rows.append([name, _dist_text(d), lo, ml, hi, a.unit or "", a.source or ""])
    return rows


def _line_rows(case: ValueCase) -> list[list[str]]:
    d = case.to_dict()
    rows = []
    for kind, key in (("benefit", "benefits"), ("investment", "investments")):
        for line in d.get(key) or []:
            if "years" in line:
                when = line["years"]
                when = ", ".join(_num(y) for y in when) if isinstance(when, list) else _num(when)
                when = f"years {when}" if kind == "benefit" else when
            else:
                when = f"year {_num(line.get('year', 0))}"
            rows.append([kind, line.get("name", ""), str(line.get("formula", "")), when])
    return rows


def _summary_rows(summary: pd.DataFrame, currency: str) -> list[list[str]]:
    rows = []
    for out in summary.index:
        r = summary.loc[out]
        if out in _MONEY:
            f = lambda v: _money(v, currency)  # noqa: E731
        elif out == "roi":
            f = lambda v: _pct(v, 0)  # noqa: E731
        else:
            f = lambda v: _num(v, 3)  # noqa: E731
        rows.append(
            [
                _LABELS.get(out, out),
                f(r["mean"]),
                f(r["p10"]),
                f(r["p50"]),
                f(r["p90"]),
                _pct(r["prob_positive"], 1) if out != "payback_years" else "",
            ]
        )
    return rows


def _driver_rows(tor: pd.DataFrame, rc: pd.DataFrame, sob: pd.DataFrame, currency: str):
    names = list(tor.index) + [n for n in rc.index if n not in tor.index]
    rows = []
    for n in names:
        rows.append(
            [
                n,
                _money(tor.loc[n, "swing"], currency) if n in tor.index else "",
                f"{rc.loc[n, 'spearman']:+.2f}" if n in rc.index else "",
                f"{sob.loc[n, 'S1']:.2f} ± {sob.loc[n, 'S1_conf']:.2f}" if n in sob.index else "",
                f"{sob.loc[n, 'ST']:.2f} ± {sob.loc[n, 'ST_conf']:.2f}" if n in sob.index else "",
            ]
        )
    return rows


def _statement_html(statement: str) -> str:
    """The value statement: paragraphs, with ``- `` lines as a bullet list."""
    out: list[str] = []
    items: list[str] = []
    for line in statement.splitlines():
        text = line.strip()
        if text.startswith(("- ", "* ")):
            items.append(f"<li>{_esc(text[2:])}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if text:
            out.append(f"<p>{_esc(text)}</p>")
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return "".join(out)


def _pilot_text(plan: pd.DataFrame, currency: str, free: bool = False) -> str:
    a = plan.attrs
    decision = a.get("current_decision", "")
    p = a.get("prob_value_positive", float("nan"))
    evpi = a.get("evpi", float("nan"))
    best = plan[plan["recommendation"] == "pilot"]
    lead = (
        f"On today's evidence the decision is to <b>{_esc(decision)}</b>, with a "
        f"{_pct(p)} chance that the value is positive. Perfect information about every "
        f"assumption would be worth at most {_esc(_money(evpi, currency))} (EVPI): "
    )
    if len(best):
        nm = best.index[0]
        r = best.iloc[0]
        design = "measurement" if r["design"] == "normal" else "yes/no trial"
        return lead + (
            f"the pilot worth running is on <b>{_esc(nm)}</b>: a {design} of "
            f"<b>{int(r['optimal_n'])}</b> observations, costing "
            f"{_esc(_money(r['cost'], currency))}, expected to be worth "
            f"{_esc(_money(r['evsi'], currency))} in better decisions (expected net benefit "
            f"{_esc(_money(r['enbs'], currency))})."
            + (
                f" If the pilot's result comes out {_esc(r['flip'])} "
                f"{_esc(_num(r['threshold']))} {_esc(plan.loc[nm, 'unit'])}, the decision "
                "changes from today's."
                if r.get("flip") in ("below", "above") and np.isfinite(r["threshold"])
                else ""
            )
            + (
                " No pilot costs were given, so every pilot is free and the largest one "
                "considered comes out best: state the costs for a real pilot size."
                if free
                else ""
            )
        )
    if evpi <= 0 or plan.empty or (plan["recommendation"] == "no pilot needed").all():
        return lead + "the decision is clear on today's evidence: <b>no pilot is needed</b>."
    return lead + "no pilot is worth its cost: <b>decide now</b> on today's evidence."


_CSS = """
@page { size: A4; margin: 14mm 13mm 16mm 13mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif;
       font-size: 10pt; line-height: 1.4; color: #1f2933; margin: 0 auto; max-width: 190mm;
       padding: 8mm 0; }
h1 { font-size: 19pt; margin: 0 0 2pt 0; color: #102a43; }
h2 { font-size: 13pt; margin: 16pt 0 6pt 0; padding-bottom: 2pt; color: #102a43;
     border-bottom: 1.5pt solid #4f81bd; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 10pt 0 4pt 0; break-after: avoid; }
p { margin: 4pt 0 6pt 0; }
.sub { color: #52606d; margin-bottom: 8pt; }
.statement { background: #f0f4f8; border-left: 4pt solid #4f81bd; padding: 8pt 12pt;
             margin: 6pt 0 10pt 0; font-size: 10pt; }
.statement p { margin: 2pt 0 4pt 0; }
.statement ul { margin: 2pt 0 2pt 0; padding-left: 14pt; font-size: 9pt; }
.statement li { margin: 1pt 0; break-inside: avoid; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6pt; margin: 8pt 0;
         break-inside: avoid; }
.card { border: 0.75pt solid #bcccdc; border-radius: 4pt; padding: 6pt 8pt; }
.card .k { font-size: 8pt; color: #52606d; text-transform: uppercase; letter-spacing: 0.03em; }
.card .v { font-size: 14pt; font-weight: bold; color: #102a43; }
.card .n { font-size: 8pt; color: #52606d; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt 0; font-size: 8.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th { background: #d9e2ec; text-align: left; padding: 3pt 5pt; font-weight: bold; }
td { padding: 2.5pt 5pt; border-bottom: 0.5pt solid #d9e2ec; vertical-align: top;
     overflow-wrap: break-word; }
td:first-child { white-space: nowrap; }
th.num, td.num { text-align: right; white-space: nowrap; }
table.assumptions td:nth-child(2) { font-size: 7.5pt; color: #334e68; }
table.assumptions td:nth-child(6) { font-size: 8pt; min-width: 22mm; }
table.assumptions td:nth-child(7) { font-size: 8pt; }
table.lines td:nth-child(3) { font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; }
.figs { display: grid; grid-template-columns: 1fr 1fr; gap: 8pt; }
figure { margin: 4pt 0 8pt 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; display: block; }
figure.wide img { width: 86%; margin: 0 auto; }
figcaption { font-size: 8pt; color: #52606d; margin-top: 2pt; }
.rec { background: #f0fff4; border-left: 4pt solid #2f855a; padding: 8pt 12pt;
       break-inside: avoid; }
.notes { font-size: 8pt; color: #52606d; }
.notes li { margin-bottom: 2pt; }
.keep { break-inside: avoid; page-break-inside: avoid; }
.pagebreak { break-before: page; page-break-before: always; }
footer { margin-top: 14pt; font-size: 7.5pt; color: #829ab1; border-top: 0.5pt solid #d9e2ec;
         padding-top: 4pt; }
"""


def load_case(path: str | os.PathLike) -> ValueCase:
    """Read a value case file; errors name the file (a missing file, or not text at all).

    Raises
    ------
    FileNotFoundError, ValueCaseError
    """
    from salesworkbench.errors import ValueCaseError
    from salesworkbench.value import ValueCase

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{path}: file not found (a value case, YAML)")
    try:
        return ValueCase.from_yaml(p)
    except UnicodeDecodeError as exc:
        raise ValueCaseError(
            f"{path}: not a text (UTF-8) file, so not a value case ({exc.reason} at byte "
            f"{exc.start})"
        ) from None


def _as_case(case_or_path: Any) -> tuple[ValueCase, str]:
    if isinstance(case_or_path, str | os.PathLike):
        return load_case(case_or_path), Path(case_or_path).name
    if hasattr(case_or_path, "simulate") and hasattr(case_or_path, "assumptions"):
        return case_or_path, "<ValueCase>"
    raise TypeError(
        f"value_report needs a ValueCase or the path of a value case file, got "
        f"{type(case_or_path).__name__}"
    )


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def value_report(
    case_or_path: ValueCase | str | os.PathLike,
    out: str | os.PathLike = "build/report.html",
    trials: int = 100_000,
    seed: int = 0,
    pdf: bool | str | os.PathLike | None = None,
    *,
    output: str = "npv",
    sobol_n: int = 2**12,
    pilot_trials: int = 20_000,
    pilot_costs: Mapping[str, Any] | None = None,
    date: _dt.date | str | None = None,
    progress: bool | None = None,
) -> ValueReport:
    """Write a self-contained HTML report of a value case, and a PDF of it where possible.

    The report holds the value statement; key figures (expected value, P(value > 0), NPV, ROI,
    payback); the results table; the value distribution, cumulative curve and benefits vs
    investment waterfall; the assumptions with their distributions, P10/most likely/P90, units
    and sources; the benefit and investment lines; what drives the value (tornado, rank
    correlation, Sobol' indices); and the pilot recommendation from
    :func:`salesworkbench.voi.plan_pilots`. Figures are embedded PNG images: the file has no
    external references.

    Parameters
    ----------
    case_or_path : ValueCase or path
        The value case, or its YAML file.
    out : path-like, default "build/report.html"
        The HTML file (written atomically; folders are created).
    trials : int, default 100_000
        Monte Carlo trials of the simulation.
    seed : int, default 0
        Seed for every random step; the same seed gives the same report.
    pdf : bool, path or None
        None: print a PDF (``out`` with ``.pdf``) when Chromium is found, else skip it (the
        reason is in ``pdf_skipped``). True: the PDF is required (:class:`PdfError` without
        Chromium). False: no PDF. A path: print the PDF there (required).
    output : str, default "npv"
        The output the sensitivity analyses and tornado look at.
    sobol_n : int, default 4096
        Base sample of the Sobol' indices (a power of 2).
    pilot_trials : int, default 20_000
        Trials of the pilot (value of information) analysis.
    pilot_costs : mapping, optional
        Pilot costs for :func:`~salesworkbench.voi.plan_pilots` (``fixed``, ``per_unit``,
        ``delay``, ``scale`` and per-assumption overrides); default: free pilots.
    date : date or str, optional
        Date printed on the report (default today).
    progress : bool, optional
        Progress bar over the report's steps on stderr (default on; False turns it off).

    Returns
    -------
    ValueReport
        Paths written and the analyses shown.

    Raises
    ------
    FileNotFoundError
        The case file does not exist.
    ValueCaseError
        The case file is not a valid value case.
    ValueError
        A bad parameter (named in the message).
    PdfError
        A PDF was required but Chromium is missing or failed (the HTML is written first).

    Examples
    --------
    >>> from salesworkbench.datasets import data_path
    >>> from salesworkbench.report import value_report
    >>> rep = value_report(data_path("value_cases/telecom_arpu.yaml"), "build/telecom.html",
    ...                    trials=20_000, pdf=False)  # doctest: +SKIP
    >>> rep.html  # doctest: +SKIP
    PosixPath('build/telecom.html')
    """
    from tqdm.auto import tqdm

    from salesworkbench import __version__
    from salesworkbench.plotting.sensitivity import plot_rank_correlation, plot_sobol, plot_tornado
    from salesworkbench.plotting.voi import plot_evppi
    from salesworkbench.value import rank_correlation, sobol, tornado
    from salesworkbench.voi import plan_pilots

    trials = _check_positive_int("trials", trials)
    pilot_trials = _check_positive_int("pilot_trials", pilot_trials)
    sobol_n = _check_positive_int("sobol_n", sobol_n)
    if sobol_n & (sobol_n - 1):
        raise ValueError(f"sobol_n must be a power of 2 (e.g. 4096), got {sobol_n}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
    seed = int(seed)
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"out: the report is an HTML file (*.html), got {str(out)!r}")
    if isinstance(pdf, str | os.PathLike):
        pdf_target: Path | None = Path(pdf)
        pdf_required = True
    elif pdf is None or pdf is True:
        pdf_target = out.with_suffix(".pdf")
        pdf_required = pdf is True
    elif pdf is False:
        pdf_target, pdf_required = None, False
    else:
        raise ValueError(f"pdf must be None, True, False or a path, got {pdf!r}")
    chromium = find_chromium() if pdf_target is not None else None
    if pdf_required and chromium is None:
        raise ChromiumNotFoundError(
            "a PDF was asked for but Chromium was not found: install it (Debian/Ubuntu: "
            "apt-get install chromium) or set SALESWORKBENCH_CHROMIUM"
        )
    if date is None:
        date = _dt.date.today()
    date_text = date.isoformat() if isinstance(date, _dt.date) else str(date)

    case, source = _as_case(case_or_path)
    from salesworkbench.value import OUTPUTS

    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    cur = case.currency or ""
    notes: list[str] = []
    steps = ["simulate", "tornado", "rank correlation", "Sobol", "pilots", "figures", "HTML"]
    if pdf_target is not None and chromium is not None:
        steps.append("PDF")
    bar = tqdm(
        total=len(steps), desc="report", unit="step", disable=progress is False, file=sys.stderr
    )

    def step(i: int) -> None:
        bar.set_postfix_str(steps[i], refresh=False)
        if i:
            bar.update(1)

    def caught(records: list) -> None:
        for w in records:
            msg = " ".join(str(w.message).split())
            if msg not in notes:
                notes.append(msg)

    try:
        step(0)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            sim = case.simulate(trials, seed=seed, progress=False)
            summary = sim.summary
            statement = case.value_statement(sim)
            step(1)
            tor = tornado(case, output=output)
            step(2)
            rc = rank_correlation(sim, output=output)
            step(3)
            sob = sobol(case, n=sobol_n, seed=seed, output=output)
            step(4)
            psim = sim if pilot_trials == trials else None
            plan = plan_pilots(
                case,
                trials=pilot_trials,
                seed=seed,
                costs=pilot_costs,
                simulation=psim,
                progress=False,
            )
        caught(rec)
        step(5)
        from salesworkbench.plotting.value import (
            plot_cumulative,
            plot_value_distribution,
            plot_waterfall,
        )

        figs = {
            "distribution": _draw(
                "distribution",
                "Distribution of value",
                f"Value (total benefits - total investment, {cur}) over {trials:,} simulated "
                f"outcomes, with P10, P50 and P90 and the chance the value is positive.",
                lambda ax: plot_value_distribution(sim, ax=ax),
                size=(7.2, 3.0),
            ),
            "cumulative": _draw(
                "cumulative",
                "Cumulative probability",
                "Chance that the value comes out at or below each amount; read P(value <= 0) "
                "where the curve crosses zero.",
                lambda ax: _headroom(plot_cumulative(sim, ax=ax), 0.0),
                size=(5.2, 3.6),
            ),
            "waterfall": _draw(
                "waterfall",
                "Benefits versus investment",
                "Each benefit and investment line (base case) adding up to the value.",
                lambda ax: _headroom(plot_waterfall(case, ax=ax)),
                size=(5.2, 3.6),
            ),
            "tornado": _draw(
                "tornado",
                "Tornado",
                f"Swing of {_LABELS.get(output, output).lower()} as each assumption moves to "
                "its P10 and P90 while the others stay at their most likely value.",
                lambda ax: plot_tornado(tor, ax=ax, currency=cur),
                size=(7.2, 0.9 + 0.42 * max(len(tor), 1)),
            ),
            "rank_correlation": _draw(
                "rank_correlation",
                "Rank correlation",
                "Spearman correlation of each assumption with "
                f"{_LABELS.get(output, output).lower()} over the simulation.",
                lambda ax: _retitle(
                    plot_rank_correlation(rc, ax=ax),
                    f"Rank correlation with {_SHORT.get(output, output)}",
                ),
                size=(5.2, 0.9 + 0.36 * max(len(rc), 1)),
            ),
            "sobol": _draw(
                "sobol",
                "Sobol' indices",
                "Share of the variance explained by each assumption alone (S1) and with its "
                "interactions (ST), with 95% confidence intervals.",
                lambda ax: _tilt(
                    _retitle(
                        plot_sobol(sob, ax=ax), f"Sobol' indices of {_SHORT.get(output, output)}"
                    )
                ),
                size=(5.2, 3.4),
            ),
        }
        uncertain_plan = plan.dropna(subset=["evppi"])
        if len(uncertain_plan):
            figs["evppi"] = _draw(
                "evppi",
                "Value of information",
                "What learning each assumption exactly would be worth (EVPPI, with ±2 "
                "standard errors); the dashed line is the value of perfect information on "
                "everything (EVPI).",
                lambda ax: plot_evppi(plan, currency=cur, ax=ax),
                size=(7.2, 0.9 + 0.36 * len(uncertain_plan)),
            )
        step(6)
        page = _render_html(
            case=case,
            source=source,
            sim=sim,
            summary=summary,
            statement=statement,
            tor=tor,
            rc=rc,
            sob=sob,
            plan=plan,
            figs=figs,
            notes=notes,
            meta={
                "trials": trials,
                "seed": seed,
                "sobol_n": sobol_n,
                "pilot_trials": pilot_trials,
                "output": output,
                "free_pilots": not pilot_costs,
                "version": __version__,
                "date": date_text,
            },
        )
        with atomic_write(out) as fh:
            fh.write(page)
        pdf_path = None
        skipped = None
        if pdf_target is None:
            skipped = "not asked for (pdf=False)"
        elif chromium is None:
            skipped = "Chromium not found (install the chromium package to get a PDF)"
        else:
            step(7)
            pdf_path = html_to_pdf(out, pdf_target, chromium=chromium)
        bar.update(bar.total - bar.n)
    finally:
        bar.close()
    return ValueReport(
        html=out,
        pdf=pdf_path,
        pdf_skipped=skipped,
        simulation=sim,
        tornado=tor,
        rank_correlation=rc,
        sobol=sob,
        pilots=plan,
        notes=notes,
    )


def _render_html(
    *,
    case,
    source: str,
    sim: ValueSimulation,
    summary: pd.DataFrame,
    statement: str,
    tor: pd.DataFrame,
    rc: pd.DataFrame,
    sob: pd.DataFrame,
    plan: pd.DataFrame,
    figs: dict[str, _Figure],
    notes: list[str],
    meta: dict[str, Any],
) -> str:
    cur = case.currency or ""
    val = summary.loc["value"]
    npv = summary.loc["npv"]
    roi = summary.loc["roi"]
    pb = summary.loc["payback_years"]
    title = f"{case.name} - {case.customer}" if case.customer else str(case.name)
    cards = [
        (
            "Expected value",
            _money(val["mean"], cur),
            f"P10 {_money(val['p10'], cur)} to P90 {_money(val['p90'], cur)}",
        ),
        ("P(value > 0)", _pct(val["prob_positive"], 1), f"over {meta['trials']:,} trials"),
        ("Expected NPV", _money(npv["mean"], cur), f"at {_pct(case.discount_rate, 1)} a year"),
        ("ROI, median", _pct(roi["p50"]), f"payback {_num(pb['p50'], 2)} years (median)"),
    ]
    card_html = "".join(
        f'<div class="card"><div class="k">{_esc(k)}</div><div class="v">{_esc(v)}</div>'
        f'<div class="n">{_esc(n)}</div></div>'
        for k, v, n in cards
    )
    corr = getattr(case, "correlations", None) or []
    corr_html = (
        "<p>Rank correlations between assumptions: "
        + "; ".join(f"{_esc(a)} and {_esc(b)}: {float(r):+.2f}" for a, b, r in corr)
        + ".</p>"
        if corr
        else ""
    )
    plan_rows = []
    for nm, r in plan.iterrows():
        has = pd.notna(r.get("design")) and r.get("design")
        plan_rows.append(
            [
                nm,
                _money(r["evppi"], cur),
                r["design"] if has else "",
                _num(r["optimal_n"]) if has and r["optimal_n"] else "",
                _money(r["evsi"], cur) if has else "",
                _money(r["cost"], cur) if has else "",
                _money(r["enbs"], cur) if has else "",
                r["recommendation"],
            ]
        )
    f = figs
    out_label = _LABELS.get(meta["output"], meta["output"]).lower()
    method = [
        f"Monte Carlo simulation of {meta['trials']:,} trials, seed {meta['seed']}; the same "
        "seed gives the same figures.",
        "Value = total benefits - total investment (undiscounted, the sales model's "
        f"definition); NPV discounts every line at {_pct(case.discount_rate, 1)} a year to "
        f"year 0 over a {case.horizon_years}-year horizon.",
        "Tornado: one assumption at a time at its P10 and P90, the others at their most "
        f"likely value. Sensitivity figures look at {out_label}.",
        f"Sobol' indices: Saltelli design with {meta['sobol_n']:,} base samples "
        "(scipy.stats.sobol_indices) and bootstrap intervals; they treat assumptions as "
        "independent.",
        f"Pilot plan: value of information (EVPPI, EVSI) on {meta['pilot_trials']:,} trials, "
        "net benefit = NPV of investing against doing nothing.",
        *notes,
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}: value case report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{_esc(case.name)}</h1>",
        f'<div class="sub">Value case for <b>{_esc(case.customer)}</b> &middot; amounts in '
        f"{_esc(cur)} &middot; {case.horizon_years}-year horizon &middot; discount rate "
        f"{_pct(case.discount_rate, 1)} &middot; {_esc(meta['date'])}</div></header>",
        '<section id="statement"><h2>Value statement</h2>',
        f'<div class="statement">{_statement_html(statement)}</div>',
        f'<div class="cards">{card_html}</div></section>',
        '<section id="results"><h2>Results</h2>',
        _table(
            ["", "mean", "P10", "P50", "P90", "P(> 0)"],
            _summary_rows(summary, cur),
            num_cols=(1, 2, 3, 4, 5),
        ),
        f["distribution"].html(wide=True),
        f'<div class="figs">{f["cumulative"].html()}{f["waterfall"].html()}</div>',
        "</section>",
        '<section id="assumptions"><h2>Assumptions</h2>',
        "<p>Each assumption with its range (P10 and P90 of its distribution), most likely "
        "value, unit and source. Fixed assumptions have no range.</p>",
        _table(
            ["assumption", "distribution", "P10", "most likely", "P90", "unit", "source"],
            _assumption_rows(case),
            num_cols=(2, 3, 4),
            cls="assumptions",
        ),
        corr_html,
        "<h3>Benefit and investment lines</h3>",
        _table(["", "line", "formula", "when"], _line_rows(case), cls="lines"),
        "</section>",
        '<section id="sensitivity"><h2>What drives the value</h2>',
        f"<p>Which assumptions move {_esc(out_label)} most: the ones to firm up with the "
        "customer first.</p>",
        f["tornado"].html(wide=True),
        f'<div class="figs">{f["rank_correlation"].html()}{f["sobol"].html()}</div>',
        '<div class="keep">',
        _table(
            ["assumption", "tornado swing", "rank correlation", "Sobol' S1", "Sobol' ST"],
            _driver_rows(tor, rc, sob, cur),
            num_cols=(1, 2, 3, 4),
        ),
        "</div></section>",
        '<section id="pilots"><h2>Pilot recommendation</h2>',
        f'<div class="rec">{_pilot_text(plan, cur, free=meta["free_pilots"])}</div>',
        f["evppi"].html(wide=True) if "evppi" in f else "",
        '<div class="keep">',
        _table(
            [
                "assumption",
                "EVPPI",
                "design",
                "pilot size",
                "EVSI",
                "cost",
                "net benefit",
                "recommendation",
            ],
            plan_rows,
            num_cols=(1, 3, 4, 5, 6),
        ),
        "</div></section>",
        '<section id="method"><h2>How these figures were made</h2><ul class="notes">',
        *(f"<li>{_esc(m)}</li>" for m in method),
        "</ul></section>",
        f"<footer>Generated by salesworkbench {_esc(meta['version'])} from {_esc(source)} on "
        f"{_esc(meta['date'])}.</footer>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
