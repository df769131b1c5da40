"""Seeds: one way to turn a user's seed into random streams.

Nothing in salesworkbench touches numpy's global random state. Every stochastic function takes
``seed`` (an int, a :class:`numpy.random.SeedSequence`, a :class:`numpy.random.Generator` or
None) and turns it into generators here. Streams are keyed by *name* (an assumption, a deal id),
so adding or removing one named quantity never changes the draws of the others.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["SeedLike", "as_generator", "named_stream"]

SeedLike = int | np.random.SeedSequence | np.random.Generator | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed`` (a Generator is passed through)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def named_stream(seed: int | None, name: str, *extra: int) -> np.random.Generator:
    """Return the random stream for ``name`` under ``seed``.

    The stream depends only on the seed, the name and ``extra`` (e.g. a chunk number), never on
    which other names exist or the order they were added in.

    Parameters
    ----------
    seed : int or None
        The user's seed. None draws fresh entropy (not reproducible).
    name : str
        The quantity the stream is for, e.g. an assumption name.
    *extra : int
        Further keys, e.g. the chunk index, so chunked runs are reproducible too.
    """
    if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    seq = np.random.SeedSequence(entropy=seed, spawn_key=(_name_key(name), *extra))
    return np.random.Generator(np.random.PCG64(seq))
