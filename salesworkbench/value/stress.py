"""Stress tests: the case when one assumption's worst (or best) decile comes true.

- :func:`stress`: the summary of the case in the trials where one assumption falls in a
  quantile band (its bottom decile, say);
- :func:`stress_table`: both tails of every uncertain assumption, ranked by how much they hurt
  P(output > 0).

Both work on the common random numbers of :mod:`salesworkbench.value.negotiation` (the trials
:meth:`ValueCase.simulate <salesworkbench.value.ValueCase.simulate>` draws). A stress test
*conditions* on the band: a correlated partner moves with the stressed assumption as the
correlation says, which is why a stress table, unlike Sobol indices, stays valid with
correlated inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError
from salesworkbench.formatting import format_percent
from salesworkbench.value.cashflows import OUTPUTS
from salesworkbench.value.negotiation import (
    CommonDraws,
    _check_assumption,
    _check_output,
    _evaluate,
    _masked,
    common_draws,
)

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase

__all__ = ["Stress", "StressTable", "stress", "stress_table"]


# --------------------------------------------------------------------------- stress tests
def _summary_row(x: np.ndarray) -> dict[str, float]:
    with np.errstate(invalid="ignore"):
        p10, p50, p90 = np.percentile(x, [10, 50, 90]) if len(x) else (np.nan,) * 3
        return {
            "mean": float(np.mean(x)) if len(x) else float("nan"),
            "sd": float(np.std(x, ddof=1)) if len(x) > 1 else float("nan"),
            "p10": float(p10),
            "p50": float(p50),
            "p90": float(p90),
            "prob_positive": float(np.mean(x > 0)) if len(x) else float("nan"),
        }


def _summary(d: CommonDraws, mask: np.ndarray | None) -> pd.DataFrame:
    env = d.values if mask is None else _masked(d.values, mask)
    n = d.trials if mask is None else int(np.count_nonzero(mask))
    rows = {o: _summary_row(np.broadcast_to(_evaluate(d.case, env, o), (n,))) for o in OUTPUTS}
    return pd.DataFrame.from_dict(rows, orient="index")


def _check_band(lower: float, upper: float) -> tuple[float, float]:
    lower, upper = float(lower), float(upper)
    if not 0.0 <= lower < upper <= 1.0:
        raise ValueCaseError(
            f"the quantile band must satisfy 0 <= lower < upper <= 1, got {lower}, {upper}"
        )
    return lower, upper


def _band_mask(d: CommonDraws, name: str, lower: float, upper: float) -> np.ndarray:
    u = d.uniforms[name]
    return (u >= lower) & (u < upper) if upper < 1.0 else u >= lower


def _uncertain_name(case: ValueCase, name: str) -> None:
    _check_assumption(case, name)
    if case.assumptions[name].dist.is_fixed:
        raise ValueCaseError(f"assumption {name!r} is fixed: it has no quantiles to stress")


@dataclass
class Stress:
    """The case in the trials where one assumption falls in a quantile band.

    Attributes
    ----------
    case : ValueCase
    assumption : str
    lower, upper : float
        The band, as quantiles of the assumption (0.0-0.1 = its bottom decile).
    summary : pandas.DataFrame
        Mean, sd, P10, P50, P90 and P(> 0) of every output in the band's trials.
    baseline : pandas.DataFrame
        The same over all trials.
    band_trials : int
        Trials in the band (about ``(upper - lower) * trials``).
    input_range : (float, float)
        The assumption's values at the band's quantiles.
    trials, seed : int
    """

    case: ValueCase
    assumption: str
    lower: float
    upper: float
    summary: pd.DataFrame
    baseline: pd.DataFrame
    band_trials: int
    input_range: tuple[float, float]
    trials: int
    seed: int
    stressed: np.ndarray = field(repr=False, default=None)
    everything: np.ndarray = field(repr=False, default=None)
    output: str = "value"

    def plot(self, ax: Any = None) -> Any:
        """Cumulative distribution of the output: all trials against the stressed ones."""
        from salesworkbench.plotting.negotiation import plot_stress

        return plot_stress(self, ax=ax)


def stress(
    case: ValueCase,
    assumption: str,
    lower: float = 0.0,
    upper: float = 0.1,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    *,
    output: str = "value",
    draws: CommonDraws | None = None,
) -> Stress:
    """The summary of the case with ``assumption`` restricted to a quantile band.

    The band's trials are those in which the assumption's (rank-correlated) uniform lies in
    ``[lower, upper)``: the assumption is drawn from its distribution restricted to the band
    and a correlated partner moves with it as the correlation says.

    Parameters
    ----------
    case : ValueCase
    assumption : str
        An uncertain assumption.
    lower, upper : float, default 0.0 and 0.1
        Quantiles: (0, 0.1) is the bottom decile, (0.9, 1) the top one.
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
        Trials simulated in all; about ``(upper - lower) * trials`` fall in the band.
    seed : int, default 0
    output : str, default "value"
        The output whose draws :attr:`Stress.plot` shows.
    draws : CommonDraws, optional
        Trials to reuse; overrides ``trials`` and ``seed``.

    Returns
    -------
    Stress
    """
    _uncertain_name(case, assumption)
    _check_output(output)
    lower, upper = _check_band(lower, upper)
    d = draws if draws is not None else common_draws(case, trials, seed)
    mask = _band_mask(d, assumption, lower, upper)
    if not mask.any():
        raise ValueCaseError(
            f"no trial falls in the band {lower:g}-{upper:g} of {assumption!r}; "
            "widen the band or run more trials"
        )
    lo, hi = (float(v) for v in case.assumptions[assumption].dist.ppf(np.array([lower, upper])))
    return Stress(
        case, assumption, lower, upper, _summary(d, mask), _summary(d, None),
        int(mask.sum()), (lo, hi), d.trials, d.seed, d.outputs(output, mask), d.outputs(output),
        output,
    )  # fmt: skip


@dataclass
class StressTable:
    """Both tails of every uncertain assumption, ranked by how much they hurt P(output > 0).

    Attributes
    ----------
    case : ValueCase
    output : str
    tail : float
    summary : pandas.DataFrame
        One row per (assumption, tail), worst first, with ``band`` ("bottom 10%" or
        "top 10%"), ``input_low``, ``input_high`` (the assumption's values at the band's ends),
        ``mean``, ``p10``, ``p50``, ``p90``, ``prob_positive`` in the band's trials,
        ``delta_mean`` and ``delta_prob`` (against all trials) and ``band_trials``.
    baseline : pandas.Series
        Mean, P10, P50, P90 and P(> 0) of the output over all trials.
    trials, seed : int
    """

    case: ValueCase
    output: str
    tail: float
    summary: pd.DataFrame
    baseline: pd.Series
    trials: int
    seed: int

    def plot(self, ax: Any = None) -> Any:
        """Change in P(output > 0) in each assumption's tails (a decision-focused tornado)."""
        from salesworkbench.plotting.negotiation import plot_stress_table

        return plot_stress_table(self, ax=ax)


def stress_table(
    case: ValueCase,
    output: str = "value",
    tail: float = 0.1,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    *,
    draws: CommonDraws | None = None,
) -> StressTable:
    """Stress both tails of every uncertain assumption, to see whose bad decile hurts most.

    One set of trials serves every row (each row is a subset of it), so the rows differ by
    what is stressed, not by Monte Carlo noise.

    Parameters
    ----------
    case : ValueCase
    output : str, default "value"
    tail : float, default 0.1
        The band at each end: the bottom ``tail`` and the top ``tail`` quantiles.
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
    seed : int, default 0
    draws : CommonDraws, optional

    Returns
    -------
    StressTable
    """
    _check_output(output)
    tail = float(tail)
    if not 0.0 < tail <= 0.5:
        raise ValueCaseError(f"tail must be in (0, 0.5], got {tail}")
    d = draws if draws is not None else common_draws(case, trials, seed)
    y = d.outputs(output)
    base = _summary_row(y)
    rows = []
    pct = format_percent(tail, 0 if tail >= 0.1 else 1)
    for name, a in case.assumptions.items():
        if a.dist.is_fixed:
            continue
        for band, (lo_q, hi_q) in ((f"bottom {pct}", (0.0, tail)), (f"top {pct}", (1 - tail, 1.0))):
            mask = _band_mask(d, name, lo_q, hi_q)
            row = _summary_row(y[mask])
            x_lo, x_hi = (float(v) for v in a.dist.ppf(np.array([lo_q, hi_q])))
            rows.append(
                {
                    "assumption": name,
                    "band": band,
                    "input_low": x_lo,
                    "input_high": x_hi,
                    "mean": row["mean"],
                    "p10": row["p10"],
                    "p50": row["p50"],
                    "p90": row["p90"],
                    "prob_positive": row["prob_positive"],
                    "delta_mean": row["mean"] - base["mean"],
                    "delta_prob": row["prob_positive"] - base["prob_positive"],
                    "band_trials": int(mask.sum()),
                }
            )
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values(["delta_prob", "delta_mean"], kind="stable").reset_index(
            drop=True
        )
    baseline = pd.Series({k: base[k] for k in ("mean", "p10", "p50", "p90", "prob_positive")})
    return StressTable(case, output, tail, table, baseline, d.trials, d.seed)
