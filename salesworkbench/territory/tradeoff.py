"""Balance against continuity: the optimal assignment traced over a limit on moves.

:func:`tradeoff` solves the assignment of :func:`~salesworkbench.territory.assign_accounts` for a
range of ``max_moves`` and returns the frontier: how balanced the reps can be for each number of
accounts allowed to change owner, with greedy's point beside it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesworkbench.territory.assign import assign_accounts
from salesworkbench.territory.optimal import InfeasibleAssignment

__all__ = ["TradeoffResult", "tradeoff"]

_COLUMNS = [
    "max_moves",
    "moves",
    "potential_spread",
    "hours_spread",
    "balance",
    "objective",
    "uncovered",
    "uncovered_hours",
    "status",
    "mip_gap",
    "seconds",
]


@dataclass
class TradeoffResult:
    """Result of :func:`tradeoff`.

    Attributes
    ----------
    summary : DataFrame
        One row per point (index ``point``: ``"greedy"``, ``"max_moves=N"``, ``"unlimited"``):
        ``max_moves``, ``moves`` used, ``potential_spread`` and ``hours_spread`` (largest
        relative deviation of a rep from the fair share), ``balance`` (their weighted sum),
        ``objective``, ``uncovered`` (accounts), ``uncovered_hours``, ``status``, ``mip_gap``
        and ``seconds``. A budget too small for the reps' capacity has status ``"infeasible"``.
    weights : dict
        The objective weights used.
    """

    summary: pd.DataFrame
    weights: dict

    def plot(self, ax=None):
        """Balance against moves (:func:`salesworkbench.plotting.territory.plot_tradeoff`)."""
        from salesworkbench.plotting.territory import plot_tradeoff

        return plot_tradeoff(self, ax=ax)


def tradeoff(
    accounts: pd.DataFrame,
    reps,
    max_moves: Sequence[int] | None = None,
    *,
    points: int = 6,
    **options,
) -> TradeoffResult:
    """Trace the balance reachable for each limit on moves (the balance-continuity frontier).

    Parameters
    ----------
    accounts, reps
        As for :func:`~salesworkbench.territory.assign_accounts`.
    max_moves : sequence of int, optional
        Limits to solve for. Default: ``points`` limits evenly from 0 to the moves the
        unlimited optimum makes.
    points : int
        Number of default limits.
    **options
        Passed to :func:`~salesworkbench.territory.assign_accounts` (``match_on``, ``weights``,
        ``time_limit``, ``node_limit``, ``coverage``, ``role``, ...); ``method`` and
        ``max_moves`` are set here.

    Returns
    -------
    TradeoffResult
    """
    for k in ("method", "max_moves"):
        if k in options:
            raise TypeError(f"tradeoff sets {k!r} itself")
    if points < 2:
        raise ValueError(f"points must be >= 2, got {points!r}")
    rows = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # under-coverage shows in the 'uncovered' column
        _, lg = assign_accounts(accounts, reps, method="greedy", **options)
        _, lu = assign_accounts(accounts, reps, **options)
    info = lu.attrs["objective"]
    weights = info["weights"]
    rows["greedy"] = _row(lg, None)
    if max_moves is None:
        top = int(info["moves"])
        max_moves = sorted({int(round(x)) for x in np.linspace(0, top, points)})
    for n in max_moves:
        if not (isinstance(n, int | np.integer) and n >= 0):
            raise ValueError(f"max_moves values must be integers >= 0, got {n!r}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, lo = assign_accounts(accounts, reps, max_moves=int(n), **options)
            rows[f"max_moves={n}"] = _row(lo, int(n))
        except InfeasibleAssignment:
            rows[f"max_moves={n}"] = dict.fromkeys(_COLUMNS, np.nan) | {
                "max_moves": int(n),
                "status": "infeasible",
            }
    rows["unlimited"] = _row(lu, None)
    summary = pd.DataFrame.from_dict(rows, orient="index")[_COLUMNS]
    summary.index.name = "point"
    return TradeoffResult(summary=summary, weights=dict(weights))


def _row(load: pd.DataFrame, max_moves: int | None) -> dict:
    o = load.attrs["objective"]
    w = o["weights"]
    return {
        "max_moves": max_moves,
        "moves": o["moves"],
        "potential_spread": o["potential_spread"],
        "hours_spread": o["hours_spread"],
        "balance": w["potential"] * o["potential_spread"] + w["hours"] * o["hours_spread"],
        "objective": o["objective"],
        "uncovered": o["uncovered"],
        "uncovered_hours": o["uncovered_hours"],
        "status": o["status"],
        "mip_gap": o["mip_gap"],
        "seconds": o["seconds"],
    }
