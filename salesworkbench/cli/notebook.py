"""``salesworkbench notebook run``: run a workbench notebook with parameters (papermill).

``salesworkbench notebook run 04 -p AS_OF 2017-10-01 --out build/run`` finds
``notebooks/04_*.ipynb`` in the source tree, injects the parameters after its parameters cell,
executes it with papermill and writes the executed notebook and an HTML page of it into the
output folder. Papermill and nbconvert are imported only when a notebook is run.
"""

from __future__ import annotations

import argparse
import ast
import datetime as _dt
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from salesworkbench.cli.common import EXIT_FAILED, PROG, Output, add_command, note

__all__ = [
    "EXAMPLES",
    "NotebookFailed",
    "add_parser",
    "find_notebook",
    "notebook_parameters",
    "notebooks_dir",
    "parameter_value",
]

EXAMPLES = f"""\
examples:
  {PROG} notebook run 04 --out build/run
  {PROG} notebook run 04 -p AS_OF 2026-07-01 -p QUOTA 5000000 -p TRIALS 2000 --out build/run
  {PROG} notebook run notebooks/06_sales_team_performance.ipynb -p SEED 7 --out build/team
  make run NB=04 ARGS="-p AS_OF 2026-07-01"

NN is a notebook's number (04 finds notebooks/04_*.ipynb in the source tree), its name or a
path. Each -p NAME VALUE sets a variable of the notebook's parameters cell (the cell tagged
'parameters', or else the code cell starting '# Parameters'); VALUE is read as a YAML scalar:
5000, 2.5e6, null, true, or text (2026-07-01 stays text). The notebook runs in the current
folder, so relative paths in VALUEs are relative to where you are.
"""


class NotebookFailed(RuntimeError):
    """A cell of the notebook raised (the partly executed notebook is written; exit code 1)."""

    exit_code = EXIT_FAILED


def notebooks_dir() -> Path:
    """The source tree's ``notebooks/`` folder (beside the ``salesworkbench`` package)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def find_notebook(name: str) -> Path:
    """Resolve ``04``, ``04_pipeline_forecast`` or a path to one notebook.

    Raises
    ------
    FileNotFoundError
        No such notebook (the message says where it looked and what is there), or a number
        that matches more than one.
    """
    p = Path(name)
    if p.suffix == ".ipynb" or os.sep in name or "/" in name:
        if not p.is_file():
            raise FileNotFoundError(f"{name}: notebook not found")
        return p
    folder = notebooks_dir()
    found = sorted(folder.glob(f"{name}_*.ipynb")) + sorted(folder.glob(f"{name}.ipynb"))
    if len(found) == 1:
        return found[0]
    have = sorted(q.name for q in folder.glob("[0-9]*.ipynb")) if folder.is_dir() else []
    if not found:
        listing = f"; there: {', '.join(have)}" if have else " (no notebooks there)"
        raise FileNotFoundError(
            f"notebook {name!r} not found: looked for {folder}/{name}_*.ipynb{listing}"
        )
    raise FileNotFoundError(
        f"notebook {name!r} matches {len(found)} notebooks ({', '.join(q.name for q in found)})"
        ": give the full name"
    )


def _parameters_cell(nb) -> tuple[int, bool]:
    """Index of the parameters cell and whether it is tagged (-1 when there is none)."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return i, True
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.lstrip().lower().startswith("# parameters"):
            return i, False
    return -1, False


def notebook_parameters(source: str) -> list[str]:
    """The names a parameters cell assigns (``A = 1``, ``A, B = 1, 2``, ``A: int = 1``)."""
    names: list[str] = []

    def add(target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for t in target.elts:
                add(t)

    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                add(t)
        elif isinstance(node, ast.AnnAssign):
            add(node.target)
    return list(dict.fromkeys(names))


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def parameter_value(text: str) -> Any:
    """A ``-p`` value read as a YAML scalar, safely: numbers, null, true/false, or text.

    Dates and times stay text (``2026-07-01``); a flow list of scalars (``[a, 1]``) is a list.
    Mappings and other YAML structures are refused.
    """
    try:
        value = yaml.safe_load(text) if text.strip() else text
    except yaml.YAMLError:
        return text
    if isinstance(value, _dt.date | _dt.datetime):
        return text
    if isinstance(value, str) and value == text.strip():  # YAML 1.1 reads 2.5e6 as text
        try:
            number = float(value.replace("_", ""))
        except ValueError:
            return value
        if math.isfinite(number):
            return int(number) if re.fullmatch(r"[+-]?[\d_]+", value) else number
        return value
    if _scalar(value):
        return value
    if isinstance(value, list):
        value = [v.isoformat() if isinstance(v, _dt.date) else v for v in value]
        if all(_scalar(v) for v in value):
            return value
    raise argparse.ArgumentTypeError(
        f"a parameter value is a number, null, true/false, text or a list [a, b], got {text!r}"
    )


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``notebook`` subcommand (``notebook run``) to ``subparsers``."""
    nb = add_command(
        subparsers,
        "notebook",
        "run a workbench notebook with parameters (papermill), write it and its HTML",
        "Run a workbench notebook with parameters.",
        EXAMPLES,
    )
    actions = nb.add_subparsers(dest="notebook_action", metavar="ACTION", required=True)
    p = add_command(
        actions,
        "run",
        "execute a notebook with parameters; write the executed notebook and its HTML",
        "Execute a notebook with papermill, its parameters set with -p NAME VALUE, and write "
        "the executed notebook and a self-contained HTML page of it into --out.",
        EXAMPLES,
    )
    p.add_argument("notebook", metavar="NN", help="notebook number (04), name or path")
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter of the notebook (repeat for several)",
    )
    p.add_argument(
        "--out",
        default="build/run",
        metavar="DIR",
        help="folder for the executed notebook and its HTML (default build/run)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=1200.0,
        metavar="SECONDS",
        help="longest a cell may run (default 1200)",
    )
    p.add_argument("--no-html", dest="html", action="store_false", help="write the notebook only")
    p.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bar over the cells",
    )
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output")
    p.set_defaults(run=_run, writes_files=True)
    return p


def _run(args: argparse.Namespace) -> Output:
    import nbformat

    from salesworkbench._files import atomic_write

    path = find_notebook(args.notebook)
    nb = nbformat.read(path, as_version=4)
    index, tagged = _parameters_cell(nb)
    params: dict[str, Any] = {}
    for name, text in args.parameter:
        params[name] = parameter_value(text)
    if params:
        if index < 0:
            raise ValueError(
                f"{path.name} has no parameters cell (tagged 'parameters' or starting "
                f"'# Parameters'), so -p {next(iter(params))} cannot be set"
            )
        known = notebook_parameters(nb.cells[index].source)
        unknown = [n for n in params if n not in known]
        if unknown:
            raise ValueError(
                f"{path.name}: unknown parameter {', '.join(unknown)}; its parameters cell sets "
                f"{', '.join(known) or 'nothing'}"
            )
    if index >= 0 and not tagged:  # papermill injects after the cell tagged 'parameters'
        tags = nb.cells[index].setdefault("metadata", {}).setdefault("tags", [])
        tags.append("parameters")
    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--out {args.out}: not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / path.name
    html = target.with_suffix(".html")
    _execute(nb, path, target, params, args)
    files = [("notebook", str(target))]
    if args.html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nbformat.read(target, as_version=4))
        with atomic_write(html) as fh:
            fh.write(body)
        files.append(("html", str(html)))
    frame = pd.DataFrame(files, columns=["kind", "file"]).set_index("kind")
    text = "\n".join(f"{kind.upper()}: {file}" for kind, file in files)
    doc = {
        "notebook": str(target),
        "html": str(html) if args.html else None,
        "parameters": params,
    }
    return Output(frame, document=doc, text=text)


def _execute(nb, source: Path, target: Path, params: dict, args: argparse.Namespace) -> None:
    """Execute ``nb`` with papermill into ``target`` (atomically; a failed run is kept too)."""
    import nbformat
    import papermill as pm

    with tempfile.TemporaryDirectory(prefix="salesworkbench-nb-") as tmp:
        src = Path(tmp) / source.name
        nbformat.write(nb, src)
        fd, partial = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".ipynb", dir=target.parent
        )
        os.close(fd)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(partial, 0o666 & ~mask)  # as an ordinary new file, not mkstemp's 0600
        try:
            pm.execute_notebook(
                str(src),
                partial,
                parameters=params,
                kernel_name="python3",
                cwd=os.getcwd(),
                progress_bar=args.progress,
                execution_timeout=args.timeout,
                log_output=False,
            )
        except pm.PapermillExecutionError as exc:
            os.replace(partial, target)
            raise NotebookFailed(
                f"{source.name} failed in cell {exc.exec_count}: {exc.ename}: "
                f"{' '.join(str(exc.evalue).split())[:300]} (the executed notebook is in "
                f"{target})"
            ) from None
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        os.replace(partial, target)
    note(f"ran {source} with {len(params)} parameter(s)")
