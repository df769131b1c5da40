"""Options side by side: our offer, a competitor's, the status quo.

Each option is a :class:`~salesworkbench.value.ValueCase`. All of them are simulated with the
same seed; since every assumption draws from its own name-keyed stream, an assumption with the
*same name* in two options gets the same uniforms in both (common random numbers: the
customer's adoption is one uncertain quantity whichever vendor wins), while assumptions with
different names draw independently. Differences between options are then sharp: the shared
uncertainty cancels.

- :func:`compare`: mean, P10, P50, P90 and P(best) of each option, and the distribution of
  each option's difference against a baseline;
- :func:`acceptability_curve`: P(each option is best) as one assumption of one option (our
  price) moves, the cost-effectiveness acceptability curve of health economics (BCEA) turned
  to a price.

Same-named assumptions share uniforms, so if two options give the same name different
distributions their draws are perfectly rank-correlated (comonotone); an assumption correlated
with others (Iman-Conover) is reordered within its own case, so its pairing across options
holds only where the options declare the same correlations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError
from salesworkbench.value.negotiation import (
    _check_assumption,
    _check_int,
    _check_output,
    common_draws,
)

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase

__all__ = ["AcceptabilityCurve", "Comparison", "acceptability_curve", "compare"]


def _check_options(options: Mapping[str, ValueCase]) -> dict[str, ValueCase]:
    if not isinstance(options, Mapping) or len(options) < 2:
        raise ValueCaseError("compare needs a mapping of at least two options: name -> ValueCase")
    out = {}
    for name, case in options.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueCaseError(f"option names must be text, got {name!r}")
        if not (hasattr(case, "assumptions") and hasattr(case, "evaluate")):
            raise ValueCaseError(f"option {name!r} is not a ValueCase (got {type(case).__name__})")
        out[name] = case
    return out


def _p_best(y: np.ndarray) -> np.ndarray:
    """Share of trials each row is the largest (ties shared); ``y`` is (options, ..., trials)."""
    top = y.max(axis=0)
    is_top = y == top
    return (is_top / is_top.sum(axis=0)).mean(axis=-1)


def _shared(options: Mapping[str, ValueCase]) -> list[str]:
    seen: dict[str, int] = {}
    for case in options.values():
        for n, a in case.assumptions.items():
            if not a.dist.is_fixed:
                seen[n] = seen.get(n, 0) + 1
    return [n for n, k in seen.items() if k > 1]


@dataclass
class Comparison:
    """Options compared on the same trials.

    Attributes
    ----------
    options : dict
        Name -> ValueCase, in the order given.
    output : str
    baseline : str
        The option the differences are taken against.
    samples : pandas.DataFrame
        One column per option: the output in each trial.
    shared : list of str
        Uncertain assumptions present (by name) in two options or more: their draws are common.
    trials, seed : int
    """

    options: dict[str, ValueCase] = field(repr=False)
    output: str
    baseline: str
    samples: pd.DataFrame = field(repr=False)
    shared: list[str]
    trials: int
    seed: int

    @property
    def summary(self) -> pd.DataFrame:
        """Mean, sd, P10, P50, P90, P(output > 0) and P(best) of each option (index: option)."""
        y = self.samples.to_numpy().T
        p10, p50, p90 = np.percentile(y, [10, 50, 90], axis=1)
        return pd.DataFrame(
            {
                "mean": y.mean(axis=1),
                "sd": y.std(axis=1, ddof=1),
                "p10": p10,
                "p50": p50,
                "p90": p90,
                "prob_positive": (y > 0).mean(axis=1),
                "p_best": _p_best(y),
            },
            index=pd.Index(list(self.samples.columns), name="option"),
        )

    @property
    def differences(self) -> pd.DataFrame:
        """Each option minus the baseline, trial by trial (the baseline's own column is 0)."""
        return self.samples.sub(self.samples[self.baseline], axis=0)

    @property
    def difference(self) -> pd.DataFrame:
        """Distribution of each option's difference against the baseline.

        Index: the other options; columns ``mean``, ``sd``, ``se`` (of the mean), ``p10``,
        ``p50``, ``p90`` and ``prob_better`` (P(option > baseline)).
        """
        diff = self.differences.drop(columns=self.baseline)
        y = diff.to_numpy().T
        p10, p50, p90 = np.percentile(y, [10, 50, 90], axis=1)
        sd = y.std(axis=1, ddof=1)
        return pd.DataFrame(
            {
                "mean": y.mean(axis=1),
                "sd": sd,
                "se": sd / math.sqrt(y.shape[1]),
                "p10": p10,
                "p50": p50,
                "p90": p90,
                "prob_better": (y > 0).mean(axis=1),
            },
            index=pd.Index(list(diff.columns), name=f"option - {self.baseline}"),
        )

    def plot(self, ax: Any = None) -> Any:
        """The options' distributions of the output, overlaid, with P(best) in the legend."""
        from salesworkbench.plotting.negotiation import plot_options

        return plot_options(self, ax=ax)


def compare(
    options: Mapping[str, ValueCase],
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    output: str = "value",
    baseline: str | None = None,
) -> Comparison:
    """Compare options (status quo, a competitor, our offer) on common random numbers.

    Parameters
    ----------
    options : mapping
        Option name -> :class:`~salesworkbench.value.ValueCase`, at least two. A status quo
        can be a case with a zero line (``formula: "0"``).
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
    seed : int, default 0
        Every option is simulated with this seed: same-named assumptions share their draws.
    output : str, default "value"
    baseline : str, optional
        The option differences are taken against (default: the first).

    Returns
    -------
    Comparison
        ``summary`` (mean, P10, P50, P90, P(best) per option), ``difference`` (against the
        baseline) and the trial-by-trial ``samples``.
    """
    opts = _check_options(options)
    _check_output(output)
    trials = _check_int(trials, "trials")
    baseline = next(iter(opts)) if baseline is None else baseline
    if baseline not in opts:
        raise ValueCaseError(f"baseline {baseline!r} is not an option; have {', '.join(opts)}")
    cols = {
        name: case.simulate(trials, seed, keep_inputs=False).samples[output].to_numpy()
        for name, case in opts.items()
    }
    samples = pd.DataFrame(cols)
    return Comparison(opts, output, baseline, samples, _shared(opts), trials, int(seed))


@dataclass
class AcceptabilityCurve:
    """P(each option is best) as one assumption of one option moves.

    Attributes
    ----------
    option, assumption, output : str
    summary : pandas.DataFrame
        Index: the assumption's values; one column per option with its P(best).
    trials, seed : int
    """

    option: str
    assumption: str
    output: str
    summary: pd.DataFrame
    trials: int
    seed: int
    currency: str = ""

    def plot(self, ax: Any = None) -> Any:
        """The acceptability curve(s)."""
        from salesworkbench.plotting.negotiation import plot_acceptability

        return plot_acceptability(self, ax=ax)


def acceptability_curve(
    options: Mapping[str, ValueCase],
    option: str,
    assumption: str,
    values: Sequence[float] | np.ndarray,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    output: str = "value",
) -> AcceptabilityCurve:
    """P(``option`` is best), and each other option's, against one of its assumptions.

    The other options are simulated once; ``option`` is re-evaluated with ``assumption`` set
    to each of ``values`` on the same trials (one broadcast evaluation), so the curve is
    smooth and each point is what :func:`compare` would report at that value.

    Parameters
    ----------
    options : mapping
        As in :func:`compare`.
    option : str
        The option whose assumption moves (our offer).
    assumption : str
        Its assumption to move (our price).
    values : sequence of float
        The values of the assumption.
    trials, seed, output
        As in :func:`compare`.

    Returns
    -------
    AcceptabilityCurve
    """
    opts = _check_options(options)
    _check_output(output)
    if option not in opts:
        raise ValueCaseError(f"option {option!r} is not an option; have {', '.join(opts)}")
    case = opts[option]
    _check_assumption(case, assumption)
    xs = np.asarray(values, dtype=float).ravel()
    if xs.size == 0 or not np.all(np.isfinite(xs)):
        raise ValueCaseError("values must be a non-empty sequence of finite numbers")
    trials = _check_int(trials, "trials")
    names = list(opts)
    others = {
        n: c.simulate(trials, seed, keep_inputs=False).samples[output].to_numpy()
        for n, c in opts.items()
        if n != option
    }
    d = common_draws(case, trials, seed)
    k = names.index(option)
    rest = np.stack([others[n] for n in names if n != option]) if others else None

    def reduce(y: np.ndarray) -> np.ndarray:  # y: (block, trials) -> (block, options)
        stacked = np.concatenate(
            [np.broadcast_to(rest[:, None, :], (len(rest), len(y), y.shape[1])), y[None]]
        )
        p = _p_best(stacked)  # (options, block): the others first, then ours
        order = [*(i for i in range(len(names)) if i != k)]
        out = np.empty((len(y), len(names)))
        for j, i in enumerate(order):
            out[:, i] = p[j]
        out[:, k] = p[-1]
        return out

    p = d.output_grid(assumption, xs, output, reduce)
    table = pd.DataFrame(p, index=pd.Index(xs, name=assumption), columns=names)
    return AcceptabilityCurve(option, assumption, output, table, trials, int(seed), case.currency)
