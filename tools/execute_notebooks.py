"""Re-execute notebooks in place for committing: ``python tools/execute_notebooks.py [NB ...]``.

Runs each notebook with nbclient in the environment nbval uses (notebooks/conftest.py settings:
no progress bars, fixed hash seed), then drops the per-cell execution timestamps that Jupyter
records, so that a re-run changes only what the notebook shows and merges stay small.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def execute(path: Path) -> float:
    """Execute ``path`` in place (cwd = its folder) and return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    """Execute the notebooks named (default: every ``notebooks/NN_*.ipynb``)."""
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for p in paths:
        print(f"{p.name}: {execute(p):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
