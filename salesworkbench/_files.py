"""Atomic file writes: a crash or an error mid-write never leaves a half-written file.

The data go to a hidden temporary file beside the target (``.<name>.<random>.tmp``), which is
renamed over the target only once complete. Errors name the user's path, never the temporary
file. A write that was killed (power cut, ``kill -9``) leaves its temporary file behind; the
next write to the same target removes such leftovers once they are older than
:data:`STALE_AFTER` seconds, so a concurrent writer's file (which it keeps touching as it
writes) is never removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["STALE_AFTER", "atomic_write", "remove_stale_temp_files"]

#: Age (seconds since last modification) after which a leftover temporary file is removed.
STALE_AFTER = 60.0


def remove_stale_temp_files(target: str | os.PathLike, older_than: float = STALE_AFTER) -> int:
    """Remove leftover temporary files of ``target`` older than ``older_than`` seconds.

    Only files named like :func:`atomic_write`'s temporaries for this very target
    (``.<name>.<8 characters>.tmp``) are considered. Returns how many were removed.
    """
    target = Path(target)
    now = time.time()
    removed = 0
    try:
        candidates = list(target.parent.glob(f".{glob_escape(target.name)}.*.tmp"))
    except OSError:
        return 0
    for tmp in candidates:
        middle = tmp.name[len(target.name) + 2 : -len(".tmp")]
        if "." in middle or not middle:
            continue
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime > older_than:
                tmp.unlink()
                removed += 1
    return removed


def glob_escape(name: str) -> str:
    """Escape glob wildcards in a file name."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _user_error(exc: OSError, target: Path) -> OSError:
    """The same error, naming the user's path instead of the temporary file."""
    new = type(exc)(exc.errno, exc.strerror or str(exc), str(target)) if exc.errno else exc
    return new


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **open_kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success, rename it over ``path``.

    If the block raises, the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : path-like
        The file to (re)write.
    mode : {"w", "wb"}
        Text or binary.
    **open_kwargs
        Passed to :func:`open` (e.g. ``encoding``, ``newline``).

    Examples
    --------
    >>> with atomic_write("plan.yaml") as fh:  # doctest: +SKIP
    ...     fh.write(text)
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', got {mode!r}")
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _user_error(exc, target) from None
    if "b" not in mode:
        open_kwargs.setdefault("encoding", "utf-8")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and getattr(exc, "filename", None) == tmp:
            raise _user_error(exc, target) from None
        raise
