"""The main job on the bundled sample data: ``python -m salesworkbench.demo --out build``.

Executes every notebook under ``notebooks/`` headless (the committed notebooks are not
modified: executed copies go to ``OUT/notebooks``), writes an HTML copy of each to ``OUT/html``
and the key tables (segments, value case summary, pilot plan, forecast, ...) as CSV to
``OUT/tables``. ``make demo`` runs it.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench.defaults import FORECAST_TRIALS, PILOT_TRIALS, VALUE_TRIALS
from salesworkbench.errors import DataWarning
from salesworkbench.spreadsheet import neutralise_frame

__all__ = ["KEY_TABLES", "main", "run_notebooks", "write_key_tables", "write_report"]

REPO = Path(__file__).resolve().parent.parent


def _quiet(make: Callable[[], pd.DataFrame]) -> Callable[[], pd.DataFrame]:
    """Run ``make`` with the sample data's (documented) data warnings kept out of the log."""

    def run() -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            return make()

    return run


def _segments() -> pd.DataFrame:
    from salesworkbench.datasets import load_accounts
    from salesworkbench.territory import segment

    return segment(load_accounts())


def _telecom_case():
    from salesworkbench.datasets import data_path
    from salesworkbench.value import ValueCase

    return ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml"))


def _value_case_summary() -> pd.DataFrame:
    return _telecom_case().simulate(trials=VALUE_TRIALS, seed=0, progress=False).summary


def _pilot_plan() -> pd.DataFrame:
    from salesworkbench.voi import plan_pilots

    return plan_pilots(_telecom_case(), trials=PILOT_TRIALS, seed=0, progress=False)


def _forecast() -> pd.DataFrame:
    from salesworkbench.datasets import AS_OF, load_opportunities, load_stage_history
    from salesworkbench.pipeline import HistoryModel, forecast

    opps = load_opportunities()
    model = HistoryModel.fit(opps, load_stage_history(), group_by="product", as_of=AS_OF)
    result = forecast(
        opps, model, periods=4, trials=FORECAST_TRIALS, seed=0, as_of=AS_OF, progress=False
    )
    return result.summary


#: Key tables the demo writes: file name -> function returning a DataFrame.
KEY_TABLES: dict[str, Callable[[], pd.DataFrame]] = {
    "territory_segments.csv": _quiet(_segments),
    "value_case_telecom_summary.csv": _quiet(_value_case_summary),
    "pilot_plan_telecom.csv": _quiet(_pilot_plan),
    "forecast_summary.csv": _quiet(_forecast),
}


def run_notebooks(notebooks: list[Path], out: Path, timeout: int = 600) -> list[Path]:
    """Execute notebooks headless and write executed copies and HTML; return the HTML paths."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    html_dir, nb_dir = out / "html", out / "notebooks"
    written = []
    for path in notebooks:
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": path.parent}},
        ).execute()
        with atomic_write(nb_dir / path.name) as fh:
            nbformat.write(nb, fh)
        body, _ = HTMLExporter().from_notebook_node(nb)
        target = html_dir / path.with_suffix(".html").name
        with atomic_write(target) as fh:
            fh.write(body)
        written.append(target)
        print(f"  {path.name}: {time.perf_counter() - start:.1f} s -> {target}", flush=True)
    return written


def write_key_tables(out: Path) -> list[Path]:
    """Compute the key tables on the sample data and write them as CSV."""
    written = []
    for name, make in KEY_TABLES.items():
        table = make()
        target = out / "tables" / name
        with atomic_write(target, newline="") as fh:
            neutralise_frame(table).to_csv(fh, index=not isinstance(table.index, pd.RangeIndex))
        written.append(target)
        print(f"  {name}: {len(table)} rows -> {target}", flush=True)
    return written


def write_report(out: Path) -> Path:
    """Write the telecom value case report (HTML, and PDF where Chromium is installed)."""
    from salesworkbench.report import find_chromium, value_report

    report = value_report(
        _telecom_case(),
        out=out / "report_telecom_arpu.html",
        pdf=None if find_chromium() else False,
        date="2026-10-01",
        progress=False,
    )
    for path in (report.html, report.pdf):
        if path is not None:
            print(f"  {Path(path).name} -> {path}", flush=True)
    return Path(report.html)


def main(argv: list[str] | None = None) -> int:
    """Run the demo (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m salesworkbench.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("build"), help="output folder")
    parser.add_argument(
        "--notebooks", type=Path, default=REPO / "notebooks", help="folder of notebooks to run"
    )
    args = parser.parse_args(argv)
    notebooks = sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print(f"no notebooks found in {args.notebooks}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    print(f"Running {len(notebooks)} notebooks on the bundled sample data ...", flush=True)
    run_notebooks(notebooks, out)
    print("Writing key tables ...", flush=True)
    write_key_tables(out)
    print("Writing the telecom value case report ...", flush=True)
    write_report(out)
    print(
        f"\nDone: {out}\n  notebooks as HTML: {out / 'html'}\n  key tables: {out / 'tables'}"
        f"\n  value case report: {out / 'report_telecom_arpu.html'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
