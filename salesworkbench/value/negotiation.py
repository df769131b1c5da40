"""The value case at the negotiating table: break-even points, the walk-away price, stress tests.

Every function here works on one fixed set of **common random numbers**: the uniforms each
uncertain assumption draws from its own name-keyed stream (``named_stream(seed, name, chunk)``)
with the case's Iman-Conover rank correlations, exactly as
:meth:`ValueCase.simulate <salesworkbench.value.ValueCase.simulate>` draws them (same seed, same
``chunk_size`` -> the same trials). The case's formulas are then re-evaluated with one
assumption replaced by a grid of values (one broadcast evaluation of ``grid x trials``) or
restricted to a quantile band, so every comparison is between the *same* trials and the Monte
Carlo noise largely cancels.

- :func:`break_even`: the value of one assumption at which the mean of an output is zero, the
  other assumptions at their distributions (a root finder on the common random numbers).
- :func:`walk_away`: the value of one assumption (typically our price) at which
  P(output > 0) equals a target such as 80%: the walk-away price. Refused when the
  probability is not monotone in the assumption over the range searched.
- stress tests (:mod:`salesworkbench.value.stress`) use the same trials.

Fixing an assumption (break-even, walk-away) keeps the *other* assumptions at their own joint
distribution; a rank correlation between the fixed assumption and another one is then not
used (the result says so in ``note``). Stress tests *condition* on the band instead: a
correlated partner moves with the stressed assumption as the correlation says, which is why a
stress table, unlike Sobol indices, stays valid with correlated inputs.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize

from salesworkbench._random import named_stream
from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import ValueCaseError
from salesworkbench.formatting import format_money, format_number, format_percent
from salesworkbench.value.cashflows import OUTPUTS, _outputs
from salesworkbench.value.correlation import IC_BLOCK, iman_conover_rows
from salesworkbench.value.simulation import DEFAULT_CHUNK_SIZE

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase

__all__ = [
    "BreakEven",
    "CommonDraws",
    "WalkAway",
    "break_even",
    "common_draws",
    "format_assumption_value",
    "plausible_range",
    "walk_away",
]

#: Grid points over the range searched (the root is then refined on the common numbers).
GRID_POINTS = 41
#: Elements (grid values x trials) evaluated at once: bounds the working memory.
_BLOCK_ELEMENTS = 2_000_000
#: Range used for an unbounded distribution: its P0.1 to P99.9.
_TAIL = 0.001
#: How often the range of a fixed assumption is doubled while looking for the answer.
_MAX_WIDEN = 6


# --------------------------------------------------------------------------- common numbers
@dataclass
class CommonDraws:
    """One fixed set of trials of a case: uniforms and values of every assumption.

    Attributes
    ----------
    case : ValueCase
    trials, seed, chunk_size : int
    uniforms : dict
        Uncertain assumption -> its (rank-correlated) uniforms, one per trial.
    values : dict
        Every assumption -> its draws (arrays) or its value (fixed assumptions, floats);
        identical to :meth:`ValueCase.sample` for the same seed and chunk size.
    """

    case: ValueCase
    trials: int
    seed: int
    chunk_size: int
    uniforms: dict[str, np.ndarray] = field(repr=False)
    values: dict[str, Any] = field(repr=False)

    def outputs(self, output: str = "value", mask: np.ndarray | None = None) -> np.ndarray:
        """``output`` in every trial (or the trials in ``mask``)."""
        env = self.values if mask is None else _masked(self.values, mask)
        n = self.trials if mask is None else int(np.count_nonzero(mask))
        return np.broadcast_to(_evaluate(self.case, env, output), (n,))

    def output_grid(
        self,
        name: str,
        grid: np.ndarray,
        output: str = "value",
        reduce: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> np.ndarray:
        """``output`` with assumption ``name`` set to each of ``grid``.

        The other assumptions keep their draws; one broadcast evaluation per block of grid
        values (``block x trials`` elements, at most about two million) bounds the memory.

        Parameters
        ----------
        name : str
        grid : array_like
            Values of the assumption.
        output : str, default "value"
        reduce : callable, optional
            Applied to each block of shape (block, trials), returning one row per grid value
            (e.g. ``lambda y: y.mean(axis=1)``); without it the full (grid, trials) array is
            returned.

        Returns
        -------
        numpy.ndarray
            Shape (grid, trials), or the reduced rows stacked.
        """
        grid = np.atleast_1d(np.asarray(grid, dtype=float))
        block = max(1, _BLOCK_ELEMENTS // max(self.trials, 1))
        env = dict(self.values)
        parts = []
        for s in range(0, len(grid), block):
            g = grid[s : s + block]
            env[name] = g[:, None]
            y = np.broadcast_to(_evaluate(self.case, env, output), (len(g), self.trials))
            parts.append(y.copy() if reduce is None else np.asarray(reduce(y)))
        return np.concatenate(parts, axis=0)

    def output_at(self, name: str, x: float, output: str = "value") -> np.ndarray:
        """``output`` in every trial with assumption ``name`` set to ``x``."""
        env = dict(self.values)
        env[name] = float(x)
        return np.broadcast_to(_evaluate(self.case, env, output), (self.trials,))


def _evaluate(case: ValueCase, env: dict[str, Any], output: str) -> Any:
    """One output from an environment, computing only what it needs.

    The totals, value, NPV and ROI follow :mod:`salesworkbench.value.cashflows` line by line
    (a line's amount times the sum, or the discounted sum, of its factors); the payback time
    goes through the full cash-flow routine.
    """
    if output == "payback_years":
        return np.asarray(_outputs(case, env)[0][output], dtype=float)
    disc = (1.0 + case.discount_rate) ** -np.arange(case.horizon_years + 1.0)
    acc = {"benefit": 0.0, "investment": 0.0}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for line in (*case.benefits, *case.investments):
            if output == "total_benefits" and line.kind != "benefit":
                continue
            if output == "total_investment" and line.kind != "investment":
                continue
            amount = line.formula(env)
            w = float(line.factors @ disc) if output == "npv" else float(line.factors.sum())
            acc[line.kind] = acc[line.kind] + (amount if w == 1.0 else w * amount)
        tb, ti = acc["benefit"], acc["investment"]
        if output == "total_benefits":
            out = tb
        elif output == "total_investment":
            out = ti
        elif output == "roi":
            out = (tb - ti) / ti
        else:
            out = tb - ti
    return np.asarray(out, dtype=float)


def _masked(values: dict[str, Any], mask: np.ndarray) -> dict[str, Any]:
    return {k: v[mask] if isinstance(v, np.ndarray) else v for k, v in values.items()}


def common_draws(
    case: ValueCase,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> CommonDraws:
    """The trials :meth:`ValueCase.simulate` would draw, with each assumption's uniforms.

    Parameters
    ----------
    case : ValueCase
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
    seed : int, default 0
    chunk_size : int, default :data:`~salesworkbench.value.DEFAULT_CHUNK_SIZE`
        As in :meth:`ValueCase.simulate`: the same seed and chunk size give the same trials.

    Returns
    -------
    CommonDraws
    """
    trials = _check_int(trials, "trials")
    chunk_size = _check_int(chunk_size, "chunk_size")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueCaseError(f"seed must be a non-negative whole number, got {seed!r}")
    seed = int(seed)
    uncertain = [n for n, a in case.assumptions.items() if not a.dist.is_fixed]
    uniforms = {n: np.empty(trials) for n in uncertain}
    values: dict[str, Any] = {
        n: float(a.dist._value) for n, a in case.assumptions.items() if a.dist.is_fixed
    }
    values.update({n: np.empty(trials) for n in uncertain})
    group = case._group
    for chunk, start in enumerate(range(0, trials, chunk_size)):
        n = min(chunk_size, trials - start)
        sl = slice(start, start + n)
        if group:
            u_group = np.empty((len(group), n))
            for i, name in enumerate(group):
                named_stream(seed, name, chunk).random(out=u_group[i])
            iman_conover_rows(u_group, case._chol, IC_BLOCK)
            for i, name in enumerate(group):
                uniforms[name][sl] = u_group[i]
        for name in uncertain:
            if name not in group:
                uniforms[name][sl] = named_stream(seed, name, chunk).random(n)
            # quantiles chunk by chunk, as the engine does (the fast beta inverse depends on size)
            values[name][sl] = case.assumptions[name].dist.ppf(uniforms[name][sl])
    return CommonDraws(case, trials, seed, chunk_size, uniforms, values)


def _check_int(x: Any, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 1:
        raise ValueCaseError(f"{what} must be a positive whole number, got {x!r}")
    return int(x)


def _check_output(output: str) -> None:
    if output not in OUTPUTS:
        raise ValueCaseError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")


def _check_assumption(case: ValueCase, name: str) -> None:
    if name not in case.assumptions:
        raise ValueCaseError(
            f"value case {case.name!r} has no assumption {name!r}; "
            f"known: {', '.join(case.assumptions)}"
        )


def plausible_range(case: ValueCase, name: str) -> tuple[float, float] | None:
    """The range of assumption ``name`` searched by default.

    Its whole support when that is finite (uniform, triangular, PERT, beta, discrete), else
    its P0.1 to P99.9; None for a fixed assumption (it has no range: pass ``bounds``).
    """
    _check_assumption(case, name)
    d = case.assumptions[name].dist
    if d.is_fixed:
        return None
    lo, hi = (float(v) for v in d.ppf(np.array([0.0, 1.0])))
    if not math.isfinite(lo):
        lo = float(d.ppf(np.array([_TAIL]))[0])
    if not math.isfinite(hi):
        hi = float(d.ppf(np.array([1 - _TAIL]))[0])
    return lo, hi


def _search_range(
    case: ValueCase, name: str, bounds: Sequence[float] | None
) -> tuple[float, float, bool]:
    """(lo, hi, may_widen): the range to search and whether it may be widened."""
    if bounds is not None:
        if len(bounds) != 2:
            raise ValueCaseError(f"bounds for {name!r} must be (low, high), got {bounds!r}")
        lo, hi = (float(b) for b in bounds)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueCaseError(
                f"bounds for {name!r} must be finite with low < high, got {bounds}"
            )
        return lo, hi, False
    rng = plausible_range(case, name)
    if rng is not None:
        return rng[0], rng[1], False
    v = float(case.assumptions[name].dist._value)
    span = max(abs(v), 1.0)
    return (max(v - span, 0.0) if v >= 0 else v - span), v + span, True


def _wider(lo: float, hi: float, floor: float) -> tuple[float, float]:
    """The search range half its width wider each side, not below ``floor``.

    A fixed assumption's range starts at (0, 2 x value) for a non-negative value; widening it
    further must not search negative prices (issue 20: on a case that cannot reach the target
    at any price, the walk-away came out as a negative installation cost).
    """
    span = hi - lo
    return max(lo - span / 2, floor), hi + span / 2


def _check_grid(grid: Any) -> int:
    grid = _check_int(grid, "grid")
    if grid < 3:
        raise ValueCaseError(f"grid must be at least 3 points, got {grid}")
    return grid


def _tabulate(
    d: CommonDraws,
    name: str,
    output: str,
    stat: Callable[[np.ndarray], np.ndarray],
    search: tuple[float, float, bool],
    grid: int,
    done: Callable[[np.ndarray, np.ndarray], bool],
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """``(xs, stat of output at xs, lo, hi)`` on ``grid`` points of ``name``, the same trials.

    ``search`` is ``(lo, hi, may_widen)`` from :func:`_search_range`. Until ``done(xs, values)``
    (a sign change, the target crossed), a range that may widen is widened by half its span on
    each side, at most ``_MAX_WIDEN`` times; ``lo, hi`` is the range finally tabulated.
    """
    lo, hi, widen = search
    floor = 0.0 if lo >= 0 else -math.inf  # a price or a count is never searched below 0
    for _ in range(_MAX_WIDEN + 1):
        xs = np.linspace(lo, hi, grid)
        values = d.output_grid(name, xs, output, stat)
        if done(xs, values) or not widen:
            break
        lo, hi = _wider(lo, hi, floor)
    return xs, values, lo, hi


def _correlation_note(case: ValueCase, name: str) -> str:
    partners = sorted({b if a == name else a for a, b, _ in case.correlations if name in (a, b)})
    if not partners:
        return ""
    return (
        f"{name} is rank-correlated with {', '.join(partners)}; with {name} fixed the others "
        f"keep their own distribution, so that correlation is not used here"
    )


def format_assumption_value(case: ValueCase, name: str, x: float) -> str:
    """An assumption's value as a statement quotes it.

    A share (unit "share of ...", "fraction", "%") as a percentage, money (unit = the case's
    currency) with the currency, anything else as a number with its unit.
    """
    a = case.assumptions.get(name)
    unit = (a.unit or "").strip() if a is not None else ""
    low = unit.lower()
    if low.startswith(("share", "fraction", "proportion", "rate")) or low in ("%", "percent"):
        return format_percent(x, 0 if abs(x) >= 0.1 else 1)
    cur = case.currency
    if cur and (low == cur.lower() or low.startswith(cur.lower())) and "/" not in low:
        return format_money(x, cur)
    return f"{format_number(x)}{' ' + unit if unit else ''}"


def _label(name: str) -> str:
    return name.replace("_", " ")


# --------------------------------------------------------------------------- break-even
@dataclass
class BreakEven:
    """Where the mean of an output crosses zero as one assumption moves.

    Attributes
    ----------
    case : ValueCase
    assumption, output : str
    value : float
        The break-even value (nan when none was found); with several crossings, the one
        nearest the assumption's most likely value.
    roots : tuple of float
        Every crossing found in the range.
    found : bool
    bounds : (float, float)
        The range searched.
    slope : float
        d mean(output) / d assumption at the break-even (nan if none): positive means the
        case loses below the break-even, negative above it.
    se : float
        Monte Carlo standard error of ``value`` (delta method: the standard error of the mean
        output there over ``|slope|``).
    prob_worse : float
        The chance the assumption falls on the losing side of the break-even, under its own
        distribution (nan for a fixed assumption).
    curve : pandas.DataFrame
        The grid: columns ``x`` and ``mean`` (of the output).
    message : str
        One sentence saying what was found (or why nothing was).
    note : str
        Caveats, e.g. a correlation not used.
    trials, seed : int
    """

    case: ValueCase
    assumption: str
    output: str
    value: float
    roots: tuple[float, ...]
    found: bool
    bounds: tuple[float, float]
    slope: float
    se: float
    prob_worse: float
    curve: pd.DataFrame = field(repr=False)
    message: str = ""
    note: str = ""
    trials: int = 0
    seed: int = 0

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the break-even, its standard error, the side that loses and its chance."""
        side = "below" if self.slope > 0 else "above" if self.slope < 0 else ""
        return pd.DataFrame(
            {
                "output": [self.output],
                "break_even": [self.value],
                "se": [self.se],
                "loses_when": [side],
                "prob_worse": [self.prob_worse],
                "low": [self.bounds[0]],
                "high": [self.bounds[1]],
                "found": [self.found],
            },
            index=pd.Index([self.assumption], name="assumption"),
        )

    @property
    def sentence(self) -> str:
        """The statement's words, e.g. "the case breaks even at adoption of 31%"."""
        what = "the case" if self.output == "value" else f"the {self.output}"
        if self.found:
            x = format_assumption_value(self.case, self.assumption, self.value)
            return f"{what} breaks even at {_label(self.assumption)} of {x}"
        return self.message

    def plot(self, ax: Any = None) -> Any:
        """Mean output against the assumption, with the break-even marked."""
        from salesworkbench.plotting.negotiation import plot_break_even

        return plot_break_even(self, ax=ax)


def break_even(
    case: ValueCase,
    assumption: str,
    output: str = "value",
    *,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    bounds: Sequence[float] | None = None,
    grid: int = GRID_POINTS,
    draws: CommonDraws | None = None,
) -> BreakEven:
    """The value of ``assumption`` at which the mean of ``output`` is zero.

    The other assumptions keep their distributions (the same trials throughout); the mean is
    tabulated on ``grid`` points over the range and each sign change is refined with Brent's
    method on the same trials, so the root is that of the sample mean to 1e-9 of the range.

    Parameters
    ----------
    case : ValueCase
    assumption : str
        The assumption to move (uncertain or fixed).
    output : str, default "value"
        One of :data:`~salesworkbench.value.OUTPUTS`.
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
    seed : int, default 0
    bounds : (float, float), optional
        The range to search. Default: the assumption's plausible range
        (:func:`plausible_range`); for a fixed assumption ``v``, ``v +- max(|v|, 1)``, doubled
        up to six times until a break-even is found.
    grid : int, default 41
        Grid points.
    draws : CommonDraws, optional
        Trials to reuse (from :func:`common_draws`); overrides ``trials`` and ``seed``.

    Returns
    -------
    BreakEven
        ``found`` is False, and ``message`` says so, when the mean keeps its sign over the
        range.
    """
    _check_output(output)
    _check_assumption(case, assumption)
    grid = _check_grid(grid)
    d = draws if draws is not None else common_draws(case, trials, seed)

    def changes_sign(xs: np.ndarray, means: np.ndarray) -> bool:
        if not np.all(np.isfinite(means)):
            bad = xs[~np.isfinite(means)][0]
            raise ValueCaseError(
                f"break_even: the mean {output} is not finite at {assumption} = {bad:g}; "
                f"choose another output or narrow the bounds"
            )
        s = np.sign(means)
        return bool((s == 0).any() or (s[:-1] != s[1:]).any())

    search = _search_range(case, assumption, bounds)
    widen = search[2]
    xs, means, lo, hi = _tabulate(
        d, assumption, output, lambda y: y.mean(axis=1), search, grid, changes_sign
    )
    s = np.sign(means)
    curve = pd.DataFrame({"x": xs, "mean": means})
    mean_at = lambda x: float(d.output_at(assumption, x, output).mean())  # noqa: E731
    roots: list[float] = []
    tol = 1e-9 * (hi - lo)
    for i in range(grid - 1):
        if s[i] == 0:
            roots.append(float(xs[i]))
        elif s[i + 1] != 0 and s[i] != s[i + 1]:
            roots.append(float(optimize.brentq(mean_at, xs[i], xs[i + 1], xtol=tol)))
    if s[-1] == 0:
        roots.append(float(xs[-1]))
    dist = case.assumptions[assumption].dist
    note = _correlation_note(case, assumption)
    what = "value" if output == "value" else output
    if not roots:
        sign = "positive" if s[0] > 0 else "negative"
        rng = (
            f"{format_assumption_value(case, assumption, lo)} to "
            f"{format_assumption_value(case, assumption, hi)}"
        )
        message = (
            f"no break-even for {_label(assumption)}: the mean {what} stays {sign} over "
            f"{'the range searched' if bounds is not None or widen else 'its plausible range'}"
            f" ({rng})"
        )
        nan = float("nan")
        return BreakEven(
            case, assumption, output, nan, (), False, (lo, hi), nan, nan, nan, curve,
            message, note, d.trials, d.seed,
        )  # fmt: skip
    ref = dist.most_likely()
    x0 = min(roots, key=lambda r: abs(r - ref))
    h = 1e-4 * (hi - lo)
    slope = (mean_at(x0 + h) - mean_at(x0 - h)) / (2 * h)
    y = d.output_at(assumption, x0, output)
    se = float(np.std(y, ddof=1) / math.sqrt(d.trials) / abs(slope)) if slope else float("inf")
    if dist.is_fixed:
        prob_worse = float("nan")
    else:
        f = float(dist.cdf(np.array([x0]))[0])
        prob_worse = f if slope > 0 else 1 - f
    x_text = format_assumption_value(case, assumption, x0)
    message = f"the mean {what} is zero at {_label(assumption)} = {x_text}" + (
        f" ({len(roots)} crossings in the range; this one is nearest the most likely value)"
        if len(roots) > 1
        else ""
    )
    return BreakEven(
        case, assumption, output, x0, tuple(roots), True, (lo, hi), float(slope), se,
        prob_worse, curve, message, note, d.trials, d.seed,
    )  # fmt: skip


# --------------------------------------------------------------------------- walk-away
@dataclass
class WalkAway:
    """The limit value of an assumption at which P(output > 0) equals a target.

    Attributes
    ----------
    case : ValueCase
    assumption, output : str
    target : float
    value : float
        The walk-away value (nan when the target is not reached in the range).
    found : bool
    direction : int
        -1 when P(output > 0) falls as the assumption rises (a price: the walk-away is a
        ceiling), +1 when it rises (a floor).
    bounds : (float, float)
    se : float
        Monte Carlo standard error of ``value`` (``sqrt(t(1-t)/n)`` over the slope of the
        probability curve there).
    curve : pandas.DataFrame
        Columns ``x`` and ``prob_positive`` on the grid.
    message, note : str
    trials, seed : int
    """

    case: ValueCase
    assumption: str
    output: str
    target: float
    value: float
    found: bool
    direction: int
    bounds: tuple[float, float]
    se: float
    curve: pd.DataFrame = field(repr=False)
    message: str = ""
    note: str = ""
    trials: int = 0
    seed: int = 0

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the walk-away value, its standard error, the target and the side."""
        side = "above" if self.direction < 0 else "below"
        return pd.DataFrame(
            {
                "output": [self.output],
                "target": [self.target],
                "walk_away": [self.value],
                "se": [self.se],
                "fails_when": [side],
                "low": [self.bounds[0]],
                "high": [self.bounds[1]],
                "found": [self.found],
            },
            index=pd.Index([self.assumption], name="assumption"),
        )

    @property
    def sentence(self) -> str:
        """The statement's words.

        E.g. "at licence fee above GBP 410K the chance of positive value falls below 80%".
        """
        if not self.found:
            return self.message
        x = format_assumption_value(self.case, self.assumption, self.value)
        side = "above" if self.direction < 0 else "below"
        what = "value" if self.output == "value" else self.output
        return (
            f"at {_label(self.assumption)} {side} {x} the chance of positive {what} falls "
            f"below {format_percent(self.target)}"
        )

    def plot(self, ax: Any = None) -> Any:
        """P(output > 0) against the assumption with the target and the walk-away marked."""
        from salesworkbench.plotting.negotiation import plot_walk_away

        return plot_walk_away(self, ax=ax)


def walk_away(
    case: ValueCase,
    assumption: str,
    target: float = 0.8,
    output: str = "value",
    *,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    bounds: Sequence[float] | None = None,
    grid: int = GRID_POINTS,
    draws: CommonDraws | None = None,
) -> WalkAway:
    """The value of ``assumption`` (our price, say) at which P(output > 0) equals ``target``.

    P(output > 0) is tabulated on ``grid`` points over the range with the same trials
    throughout, checked to be monotone, and the crossing of ``target`` is refined by
    bisection on the same trials to 1e-9 of the range.

    Parameters
    ----------
    case : ValueCase
    assumption : str
        Typically our price or licence fee (a fixed assumption) or any uncertain one.
    target : float, default 0.8
        The chance of a positive output the customer must keep, strictly between 0 and 1.
    output : str, default "value"
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
    seed : int, default 0
    bounds : (float, float), optional
        As in :func:`break_even` (a fixed assumption's range is widened until the target is
        crossed).
    grid : int, default 41
    draws : CommonDraws, optional
        Trials to reuse; overrides ``trials`` and ``seed``.

    Returns
    -------
    WalkAway
        ``found`` is False, and ``message`` says which way the answer lies, when the target is
        not crossed in the range.

    Raises
    ------
    ValueCaseError
        P(output > 0) is not monotone in the assumption over the range (it rises and falls by
        more than the Monte Carlo noise, 1.5 / sqrt(trials)): then no single walk-away value
        exists; the message says where it turns.
    """
    _check_output(output)
    _check_assumption(case, assumption)
    target = float(target)
    if not 0.0 < target < 1.0:
        raise ValueCaseError(f"target must be a probability strictly between 0 and 1, got {target}")
    grid = _check_grid(grid)
    d = draws if draws is not None else common_draws(case, trials, seed)
    tol = 1.5 / math.sqrt(d.trials)

    def crosses(_xs: np.ndarray, probs: np.ndarray) -> bool:
        return bool((probs.min() <= target <= probs.max()) and np.ptp(probs) > 0)

    search = _search_range(case, assumption, bounds)
    xs, probs, lo, hi = _tabulate(
        d, assumption, output, lambda y: (y > 0).mean(axis=1), search, grid, crosses
    )
    crossed = crosses(xs, probs)
    curve = pd.DataFrame({"x": xs, "prob_positive": probs})
    _check_monotone(case, assumption, output, xs, probs, tol)
    direction = -1 if probs[-1] < probs[0] else 1
    note = _correlation_note(case, assumption)
    what = "value" if output == "value" else output
    fmt = lambda x: format_assumption_value(case, assumption, x)  # noqa: E731
    if not crossed:
        nan = float("nan")
        side = "above" if probs.min() > target else "below"
        message = (
            f"no walk-away {_label(assumption)} in {fmt(lo)} to {fmt(hi)}: the chance of "
            f"positive {what} stays {side} {format_percent(target)} there "
            f"({format_percent(probs.min())} to {format_percent(probs.max())})"
        )
        flat = np.ptp(probs) == 0
        return WalkAway(
            case, assumption, output, target, nan, False, 0 if flat else direction, (lo, hi),
            nan, curve, message, note, d.trials, d.seed,
        )  # fmt: skip
    # bracket: the last grid point on the good side and the first on the bad side
    good = probs >= target
    if direction < 0:
        i = int(np.flatnonzero(good)[-1]) if good.any() else 0
        a, b = xs[i], xs[min(i + 1, grid - 1)]
    else:
        i = int(np.flatnonzero(~good)[-1]) if (~good).any() else 0
        a, b = xs[i], xs[min(i + 1, grid - 1)]
    p_at = lambda x: float((d.output_at(assumption, x, output) > 0).mean())  # noqa: E731
    xtol = 1e-9 * (hi - lo)
    while b - a > xtol:  # bisection on the step function P(output > 0)
        m = 0.5 * (a + b)
        ok = p_at(m) >= target
        if (ok and direction < 0) or (not ok and direction > 0):
            a = m
        else:
            b = m
    x0 = 0.5 * (a + b)
    # slope of the probability curve near x0 from a window of 2 grid steps (noise-robust)
    h = xs[1] - xs[0]
    slope = (p_at(min(x0 + h, hi)) - p_at(max(x0 - h, lo))) / (min(x0 + h, hi) - max(x0 - h, lo))
    se = math.sqrt(target * (1 - target) / d.trials) / abs(slope) if slope else float("inf")
    message = (
        f"P({what} > 0) = {format_percent(target)} at {_label(assumption)} = {fmt(x0)}; "
        f"{'above' if direction < 0 else 'below'} it the chance falls below the target"
    )
    return WalkAway(
        case, assumption, output, target, float(x0), True, direction, (lo, hi), float(se), curve,
        message, note, d.trials, d.seed,
    )  # fmt: skip


def _check_monotone(
    case: ValueCase, name: str, output: str, xs: np.ndarray, probs: np.ndarray, tol: float
) -> None:
    """Raise when ``probs`` rises and falls (each by more than ``tol``) along ``xs``."""
    run_max = np.maximum.accumulate(probs)
    run_min = np.minimum.accumulate(probs)
    drop = run_max - probs  # fall after a rise
    lift = probs - run_min  # rise after a fall
    if drop.max() > tol and lift.max() > tol:
        fmt = lambda x: format_assumption_value(case, name, x)  # noqa: E731
        i_top, i_bot = int(np.argmax(probs)), int(np.argmin(probs))
        raise ValueCaseError(
            f"walk_away: P({output} > 0) is not monotone in {name} over {fmt(xs[0])} to "
            f"{fmt(xs[-1])}: it is highest ({format_percent(probs[i_top])}) at {fmt(xs[i_top])} "
            f"and lowest ({format_percent(probs[i_bot])}) at {fmt(xs[i_bot])} but does not "
            f"move one way between the ends, so no single walk-away value exists; pass bounds "
            f"that cover one side of the turn"
        )
