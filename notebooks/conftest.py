"""pytest configuration for the notebook regression run (``pytest --nbval notebooks``).

The kernels nbval starts inherit this process's environment, so the settings that make the
stored outputs reproducible are made here: no progress bars, a fixed hash seed and a
non-interactive matplotlib backend for anything that does not render inline.
"""

import os

os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

# Drafts and checkpoints are not deliverables.
collect_ignore_glob = ["drafts/*", ".ipynb_checkpoints/*", "*-checkpoint.ipynb"]
