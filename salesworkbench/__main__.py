"""``python -m salesworkbench``: the command line (see :mod:`salesworkbench.cli`)."""

import sys

from salesworkbench.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
