"""Rank correlations between assumptions: the Iman-Conover method.

A value case may ask for Spearman rank correlations between some of its uncertain assumptions
(``correlations: [[arpu_after, adoption, 0.4]]``). The simulation imposes them with the
Iman-Conover method (:func:`iman_conover`), which only *reorders* each assumption's own draws,
so every marginal distribution stays exactly as drawn. The method works on normal scores, so a
Spearman target is first turned into the Pearson correlation of a bivariate normal with that
rank correlation (:func:`spearman_to_pearson`), and the matrix of those targets must be positive
definite (:func:`correlation_factor` checks it when the case is read).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

from salesworkbench.errors import ValueCaseError

__all__ = [
    "IC_BLOCK",
    "correlation_factor",
    "iman_conover",
    "iman_conover_rows",
    "spearman_to_pearson",
]

#: Iman-Conover is applied within blocks of this many trials (batched, see iman_conover).
IC_BLOCK = 4096


def spearman_to_pearson(rho: np.ndarray | float) -> np.ndarray | float:
    """Pearson correlation of a bivariate normal with Spearman correlation ``rho``.

    Parameters
    ----------
    rho : float or ndarray
        Spearman rank correlation(s) in (-1, 1).

    Returns
    -------
    float or ndarray
        ``2 sin(pi rho / 6)``, elementwise.
    """
    return 2.0 * np.sin(np.pi * np.asarray(rho) / 6.0)


def correlation_factor(
    names: Sequence[str], correlations: Sequence[tuple[str, str, float]]
) -> tuple[list[str], np.ndarray | None]:
    """The correlated assumptions and the Cholesky factor of their target correlation.

    Parameters
    ----------
    names : sequence of str
        Every assumption name, in file order.
    correlations : sequence of (str, str, float)
        ``(a, b, rho)`` Spearman targets (already validated one by one).

    Returns
    -------
    group : list of str
        The assumptions named in some correlation, in file order (empty without correlations).
    chol : ndarray or None
        Lower Cholesky factor of the Pearson correlation of their normal scores (None without
        correlations), as :func:`iman_conover` takes it.

    Raises
    ------
    ValueCaseError
        The targets together are impossible (the matrix is not positive definite).
    """
    if not correlations:
        return [], None
    involved = {n for a, b, _ in correlations for n in (a, b)}
    group = [n for n in names if n in involved]
    idx = {n: i for i, n in enumerate(group)}
    rank = np.eye(len(group))
    for a, b, rho in correlations:
        rank[idx[a], idx[b]] = rank[idx[b], idx[a]] = rho
    pearson = spearman_to_pearson(rank)
    np.fill_diagonal(pearson, 1.0)
    try:
        chol = np.linalg.cholesky(pearson)
    except np.linalg.LinAlgError:
        pairs = ", ".join(f"[{a}, {b}, {rho:g}]" for a, b, rho in correlations)
        raise ValueCaseError(
            f"correlations {pairs}: together they are impossible (the correlation matrix "
            f"of {', '.join(group)} is not positive definite); weaken some of them"
        ) from None
    return group, chol


def iman_conover(u: np.ndarray, target_chol: np.ndarray, block: int = IC_BLOCK) -> np.ndarray:
    """Reorder the rows of each column of ``u`` to give the target rank correlation.

    Iman & Conover (1982): build normal scores, give them the target (Pearson) correlation
    with a Cholesky factor, and rearrange each column's *own* values into the rank order of
    its scores. Only the order changes, so every column keeps exactly its values (marginals).
    Here the scores are the columns' own normal scores ``ndtri(u)`` (the random-score variant;
    no extra random stream), corrected by the Cholesky factor of their sample correlation so
    the scores' correlation is exactly the target in every block. Column 0 is never reordered
    (the transform is upper triangular). The work is batched over blocks of ``block`` rows,
    which keeps the sorts in cache; the last block takes the remainder.

    Parameters
    ----------
    u : ndarray, shape (n, k)
        Draws (typically uniforms, before the quantile function) of the correlated group.
    target_chol : ndarray, shape (k, k)
        Lower Cholesky factor of the target Pearson correlation of the normal scores (use
        :func:`spearman_to_pearson` on Spearman targets).
    block : int
        Rows per block.

    Returns
    -------
    ndarray, shape (n, k)
        ``u`` with rows of columns 1..k-1 reordered.
    """
    rows = np.ascontiguousarray(np.asarray(u, dtype=float).T)
    return iman_conover_rows(rows, target_chol, block).T


def iman_conover_rows(u: np.ndarray, target_chol: np.ndarray, block: int = IC_BLOCK) -> np.ndarray:
    """:func:`iman_conover` on ``u`` of shape (k, n), one row per variable, rows 1.. in place.

    The layout the simulation draws in (one contiguous row per assumption), so no transpose or
    copy is needed.

    Parameters
    ----------
    u : ndarray, shape (k, n)
        Draws of the correlated group, one row per variable; reordered in place.
    target_chol : ndarray, shape (k, k)
        As for :func:`iman_conover`.
    block : int
        Trials per block.

    Returns
    -------
    ndarray, shape (k, n)
        ``u`` itself.
    """
    k, n = u.shape
    if k < 2 or n <= k + 1:
        return u
    if n < 2 * block:
        spans = [(0, n, n)]
    else:
        full = (n // block - 1) * block
        spans = [(0, full, block), (full, n, n - full)]
    for lo, hi, size in spans:
        blk = u[:, lo:hi].reshape(k, (hi - lo) // size, size)
        _ic_blocks(blk, target_chol)
        u[:, lo:hi] = blk.reshape(k, hi - lo)
    return u


def _ic_blocks(blk: np.ndarray, target_chol: np.ndarray) -> None:
    """Iman-Conover within each block; ``blk`` has shape (k, m, size), reordered in place."""
    k, m, size = blk.shape
    scores = special.ndtri(blk)  # (k, m, size)
    sums = scores.sum(axis=2)  # (k, m)
    cross = np.empty((m, k, k))
    for a in range(k):
        for b in range(a, k):
            cross[:, a, b] = cross[:, b, a] = np.einsum("ij,ij->i", scores[a], scores[b])
    mean = sums.T / size  # (m, k)
    cov = cross / size - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.einsum("bkk->bk", cov))
    corr = cov / (sd[:, :, None] * sd[:, None, :])
    try:
        chol_e = np.linalg.cholesky(corr)
        # T = R inv(P)^T Q^T, upper triangular: column j mixes score columns 0..j
        transform = np.linalg.solve(np.swapaxes(chol_e, 1, 2), target_chol.T[None])
    except np.linalg.LinAlgError:
        transform = np.broadcast_to(target_chol.T, (m, k, k))
    offsets = (np.arange(m) * size)[:, None]
    for j in range(1, k):
        t = scores[0] * transform[:, 0, j][:, None]
        for i in range(1, j + 1):
            t += scores[i] * transform[:, i, j][:, None]
        order = np.argsort(t, axis=1)
        order += offsets
        col = np.empty(m * size)
        col[order.ravel()] = np.sort(blk[j], axis=1).ravel()
        blk[j] = col.reshape(m, size)
