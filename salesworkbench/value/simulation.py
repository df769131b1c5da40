"""Monte Carlo simulation of a value case, and its result (:class:`ValueSimulation`).

:meth:`ValueCase.simulate <salesworkbench.value.ValueCase.simulate>` runs the engine here:

* every uncertain assumption draws its uniforms from its own name-keyed stream
  (``named_stream(seed, name, chunk_index)``), so adding or removing one assumption never
  changes the draws of the others; the uniforms go through the distribution's quantile
  function;
* Spearman rank correlations are imposed with the Iman-Conover method
  (:mod:`salesworkbench.value.correlation`), which only *reorders* each assumption's own draws,
  so every marginal stays exactly as drawn;
* the trials run in chunks (default 262,144 rows) so the *working* memory stays bounded, with a
  tqdm progress
  bar for big runs and an optional :class:`concurrent.futures.Executor` that maps the chunks.
  Iman-Conover is applied within each chunk (batched over blocks of 4,096 trials), so the
  requested rank correlation holds in every block and hence overall. The numbers depend on
  ``seed`` and ``chunk_size``: the same pair always gives the same samples (an executor does
  not change them). Chunks under 20,000 trials fall back to the exact (slow) beta quantile for
  PERT/beta assumptions, so keep ``chunk_size`` large.

The result itself grows with the trials: it keeps 8 bytes per trial for every output, the year-1
benefits and (unless ``keep_inputs=False``) every assumption, i.e. ``8 * (n_assumptions + 7)``
bytes per trial (:func:`result_bytes`; about 100 MB for a million trials of a six-assumption
case, 56 MB with ``keep_inputs=False``).

A trial whose value or NPV is not a number (``sqrt`` of a negative draw, an overflow such as
``10 ** 10 ** 10``) has no value: such trials are counted in :attr:`ValueSimulation.nonfinite`
and reported in :attr:`ValueSimulation.notes` (and as a :class:`~salesworkbench.DataWarning`),
and :meth:`ValueSimulation.prob_positive` refuses to give a probability over them.

Each chunk's outputs come from one evaluation of the case's formulas
(:mod:`salesworkbench.value.cashflows`), which also gives the year-1 benefits the value
statement quotes; nothing is evaluated again afterwards.
"""

from __future__ import annotations

import numbers
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench._random import named_stream
from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError, warn_note
from salesworkbench.value.cashflows import OUTPUTS, _outputs
from salesworkbench.value.correlation import IC_BLOCK, iman_conover_rows

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase

__all__ = ["DEFAULT_CHUNK_SIZE", "ValueSimulation", "result_bytes"]

#: Trials per chunk: bounds the working memory of a simulation.
DEFAULT_CHUNK_SIZE = 262_144
#: Outputs where inf is a legitimate answer (never pays back; no investment): only NaN there
#: means "no value". In every other output, inf is no value too.
_INF_MEANS_SOMETHING = ("roi", "payback_years")


def result_bytes(case: ValueCase, trials: int, keep_inputs: bool = True) -> int:
    """Bytes a simulation of ``trials`` trials keeps in its result (see the module notes).

    Parameters
    ----------
    case : ValueCase
    trials : int
    keep_inputs : bool, default True

    Returns
    -------
    int
        ``8 * (outputs + year-1 benefits [+ assumptions]) * trials``.
    """
    columns = len(OUTPUTS) + 1 + (len(case.assumptions) if keep_inputs else 0)
    return 8 * columns * int(trials)


def _no_value(output: str, x: np.ndarray) -> np.ndarray:
    """Trials of ``output`` that hold no number (see :data:`_INF_MEANS_SOMETHING`)."""
    return np.isnan(x) if output in _INF_MEANS_SOMETHING else ~np.isfinite(x)


@dataclass
class ValueSimulation:
    """The result of :meth:`ValueCase.simulate <salesworkbench.value.ValueCase.simulate>`.

    Attributes
    ----------
    case : ValueCase
    trials, seed, chunk_size : int
    samples : pandas.DataFrame
        One column per assumption (unless ``keep_inputs=False``) then :data:`OUTPUTS`.
    year1_benefits : numpy.ndarray or None
        The benefits of year 1 in each trial (what the value statement quotes as "benefits
        ... a year"), computed with the outputs.
    summary : pandas.DataFrame
        Mean, sd, P10, P50, P90 and P(> 0) of each output (a property, see :attr:`summary`).
    nonfinite : int
        Trials whose value or NPV is not a number (NaN or infinite); see :attr:`notes`.
    notes : list of str
        What the simulation found and reports (e.g. trials with no value, with a count).
    """

    case: ValueCase
    trials: int
    seed: int
    samples: pd.DataFrame
    chunk_size: int = DEFAULT_CHUNK_SIZE
    year1_benefits: np.ndarray | None = field(default=None, repr=False)
    nonfinite: int = 0
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"ValueSimulation({self.case.name!r}, trials={self.trials}, seed={self.seed})"

    @property
    def summary(self) -> pd.DataFrame:
        """Mean, sd, P10, P50, P90 and P(> 0) of each output (index :data:`OUTPUTS`).

        ``payback_years`` is inf in trials that never pay back, so its mean can be inf. An
        output with trials that hold no number (see :attr:`nonfinite`) has NaN statistics and
        no ``prob_positive``: no share is given over trials without a value.
        """
        rows = {}
        with np.errstate(invalid="ignore"):
            for out in OUTPUTS:
                x = self.samples[out].to_numpy()
                if _no_value(out, x).any():
                    nan = float("nan")
                    rows[out] = dict.fromkeys(("mean", "sd", "p10", "p50", "p90"), nan)
                    rows[out]["prob_positive"] = nan
                    continue
                p10, p50, p90 = np.percentile(x, [10, 50, 90])
                rows[out] = {
                    "mean": float(np.mean(x)),
                    "sd": float(np.std(x, ddof=1)) if len(x) > 1 else float("nan"),
                    "p10": p10,
                    "p50": p50,
                    "p90": p90,
                    "prob_positive": float(np.mean(x > 0)),
                }
        return pd.DataFrame.from_dict(rows, orient="index")[
            ["mean", "sd", "p10", "p50", "p90", "prob_positive"]
        ]

    def payback(self) -> pd.Series:
        """Payback time as a median with the chance of paying back within the horizon.

        See :func:`salesworkbench.value.cashflow_table.payback_summary`: trials that never pay
        back make the mean meaningless, so this is what reports show.

        Returns
        -------
        pandas.Series
            ``median``, ``p10``, ``p90``, ``prob_within_horizon`` and ``horizon_years``.
        """
        from salesworkbench.value.cashflow_table import payback_summary

        return payback_summary(self)

    def prob_positive(self, output: str = "value") -> float:
        """Share of trials with ``output > 0`` (e.g. the chance the case pays off).

        Parameters
        ----------
        output : str, default "value"
            Any column of :attr:`samples`.

        Returns
        -------
        float

        Raises
        ------
        ValueCaseError
            Some trials give no number for ``output`` (NaN, or inf where inf means nothing):
            a share counted over them would be wrong, so none is given.
        """
        if output not in self.samples:
            raise ValueCaseError(f"no output {output!r}; have {', '.join(self.samples.columns)}")
        x = self.samples[output].to_numpy()
        bad = int(_no_value(output, x).sum())
        if bad:
            raise ValueCaseError(
                f"{self.case.source}: {bad:,} of {len(x):,} trials give no number for "
                f"{output!r}, so no probability is given; fix the formulas or the assumption "
                "ranges (e.g. sqrt or log of a value that can be negative, an overflow)"
            )
        return float(np.mean(x > 0))

    def standard_error(self, output: str = "value") -> float:
        """Monte Carlo standard error of the mean of ``output``.

        Parameters
        ----------
        output : str, default "value"
            Any column of :attr:`samples`.

        Returns
        -------
        float
        """
        x = self.samples[output].to_numpy()
        return float(np.std(x, ddof=1) / np.sqrt(len(x)))

    def plot(self, output: str = "value", ax: Any = None) -> Any:
        """Histogram of ``output`` with P10/P50/P90 and P(output > 0).

        Delegates to :func:`salesworkbench.plotting.value.plot_value_distribution`.

        Parameters
        ----------
        output : str, default "value"
            Any column of :attr:`samples`.
        ax : matplotlib Axes, optional

        Returns
        -------
        matplotlib Axes
        """
        from salesworkbench.plotting.value import plot_value_distribution

        return plot_value_distribution(self, output=output, ax=ax)


# --------------------------------------------------------------------------- the engine
def _check_trials(trials: Any) -> int:
    if isinstance(trials, bool) or not isinstance(trials, numbers.Integral) or trials < 1:
        raise ValueCaseError(f"trials must be a positive whole number, got {trials!r}")
    return int(trials)


def _draw(case: ValueCase, seed: int, chunk: int, n: int) -> dict[str, Any]:
    """Assumption draws for one chunk: arrays for uncertain ones, floats for fixed ones."""
    uniforms: dict[str, np.ndarray] = {}
    group = case._group
    u_group = np.empty((len(group), n)) if group else None
    for name, a in case.assumptions.items():
        if a.dist.is_fixed:
            continue
        if name in group:
            row = u_group[group.index(name)]
            named_stream(seed, name, chunk).random(out=row)
            uniforms[name] = row
        else:
            uniforms[name] = named_stream(seed, name, chunk).random(n)
    if group:
        iman_conover_rows(u_group, case._chol, IC_BLOCK)
    env: dict[str, Any] = {}
    for name, a in case.assumptions.items():
        env[name] = a.dist._value if a.dist.is_fixed else a.dist.ppf(uniforms[name])
    return env


def _chunk(
    case: ValueCase,
    seed: int,
    chunk: int,
    n: int,
    keep_inputs: bool,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """One chunk: rows = (assumptions if kept), :data:`OUTPUTS`, then year-1 benefits."""
    env = _draw(case, seed, chunk, n)
    res, extra = _outputs(case, env, year1=True)
    cols = (list(case.assumptions) if keep_inputs else []) + list(OUTPUTS)
    if out is None:
        out = np.empty((len(cols) + 1, n))
    for j, c in enumerate(cols):
        out[j] = env[c] if c in env else res[c]
    out[-1] = extra["year_1"]
    return out


def _sample(case: ValueCase, trials: int, seed: int, chunk_size: int) -> pd.DataFrame:
    """Assumption draws only (see :meth:`ValueCase.sample`)."""
    trials = _check_trials(trials)
    names = list(case.assumptions)
    data = np.empty((len(names), trials))
    for i, start in enumerate(range(0, trials, chunk_size)):
        n = min(chunk_size, trials - start)
        env = _draw(case, seed, i, n)
        for j, name in enumerate(names):
            data[j, start : start + n] = env[name]
    return pd.DataFrame(data.T, columns=names, copy=False)


def _simulate(
    case: ValueCase,
    trials: int = VALUE_TRIALS,
    seed: int | None = 0,
    *,
    progress: bool | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    executor: Executor | None = None,
    keep_inputs: bool = True,
) -> ValueSimulation:
    """Run the simulation (see :meth:`ValueCase.simulate` for the parameters)."""
    trials = _check_trials(trials)
    if not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
        raise ValueCaseError(f"chunk_size must be a positive whole number, got {chunk_size!r}")
    chunk_size = int(chunk_size)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    if progress is None:
        progress = trials >= 2_000_000
    cols = (list(case.assumptions) if keep_inputs else []) + list(OUTPUTS)
    try:
        data = np.empty((len(cols) + 1, trials))  # the last row: year-1 benefits
    except MemoryError:
        need = result_bytes(case, trials, keep_inputs)
        raise ValueCaseError(
            f"{trials:,} trials need about {need / 1024**3:,.1f} GB of memory for the results "
            f"({need // trials:,} bytes a trial), more than can be had; use fewer trials"
        ) from None
    starts = list(range(0, trials, chunk_size))
    sizes = [min(chunk_size, trials - s) for s in starts]
    from tqdm.auto import tqdm

    with tqdm(
        total=trials, unit="trial", unit_scale=True, disable=not progress, leave=False
    ) as bar:
        if executor is None:
            for i, (s, n) in enumerate(zip(starts, sizes, strict=True)):
                _chunk(case, seed, i, n, keep_inputs, out=data[:, s : s + n])
                bar.update(n)
        else:
            window = 2 * max(getattr(executor, "_max_workers", 2) or 2, 1)
            pending: list = []
            for i, (s, n) in enumerate(zip(starts, sizes, strict=True)):
                pending.append((s, n, executor.submit(_chunk, case, seed, i, n, keep_inputs)))
                if len(pending) >= window:
                    s0, n0, fut = pending.pop(0)
                    data[:, s0 : s0 + n0] = fut.result()
                    bar.update(n0)
            for s0, n0, fut in pending:
                data[:, s0 : s0 + n0] = fut.result()
                bar.update(n0)
    samples = pd.DataFrame(data[:-1].T, columns=cols, copy=False)
    sim = ValueSimulation(case, trials, seed, samples, chunk_size, year1_benefits=data[-1])
    bad = _no_value("value", data[cols.index("value")]) | _no_value("npv", data[cols.index("npv")])
    sim.nonfinite = int(bad.sum())
    if sim.nonfinite:
        warn_note(
            sim.notes,
            f"{case.source}: {sim.nonfinite:,} of {trials:,} trials have no value (NaN or "
            "infinite: e.g. sqrt or log of a negative draw, or an overflow); they are kept in "
            "samples, the value's statistics and P(value > 0) are not given. Fix the formulas "
            "or the assumption ranges",
            stacklevel=4,
        )
    return sim
