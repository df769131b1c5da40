"""The value statement: the sales model's form, filled in from a case and its simulation.

"We believe <customer> should be able to <goal> resulting in expected benefits of <amount> in
the first year[, rising to <amount> a year from year <k>]. Through the ability <capability>.
As a result of <...>. For an expected investment of <amount>. Expected value over <n> years:
... Based on the following assumptions: ..."

The words come from the case file's ``statement`` mapping, the figures from the base case or,
given a simulation, from the simulation: the headline figure is always the expected value (the
mean over the trials), the same number reports put on their key-figure card and in their
cash-flow table. Year 1 and the steady state (the last year of the horizon, once any ramp-up
is done) are stated separately. Assumptions show their ``label`` and ``format``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from salesworkbench.formatting import format_money, format_percent, format_value

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase
    from salesworkbench.value.negotiation import BreakEven, WalkAway
    from salesworkbench.value.simulation import ValueSimulation

__all__ = ["describe_assumption", "value_statement"]


def describe_assumption(case: ValueCase, name: str) -> str:
    """One line describing an assumption for the value statement.

    Parameters
    ----------
    case : ValueCase
    name : str
        One of its assumptions.

    Returns
    -------
    str
        E.g. ``"users: 90K to 120K subscribers, most likely 100K (source: annual report)"``;
        the assumption's ``label`` stands for its name and its ``format`` shapes the numbers
        (``"Share of trips re-planned: 2% to 5%, most likely 3%"``).
    """
    a = case.assumptions[name]
    d = a.dist
    unit = f" {a.unit}" if a.unit else ""
    kind = getattr(a, "format", None)
    cur = case.currency or ""

    def f(x: float) -> str:
        return format_value(x, kind, cur)

    sp = d.spec
    if d.kind == "fixed":
        text = f"{f(d.most_likely())}{unit}"
    elif d.kind in ("pert", "triangular"):
        text = (
            f"{f(float(sp['min']))} to {f(float(sp['max']))}{unit}, "
            f"most likely {f(float(sp['mode']))}"
        )
    elif d.kind == "uniform":
        text = f"anywhere from {f(float(sp['min']))} to {f(float(sp['max']))}{unit}"
    elif d.kind == "normal":
        sd = format_value(d.sd(), kind if kind != "money" else None)
        text = f"about {f(d.mean())}{unit} (sd {sd})"
    elif d.kind == "bernoulli":
        text = f"happens with probability {format_percent(float(sp['p']))}"
    elif d.kind == "pooled":
        p10, p50, p90 = d.ppf(np.array([0.1, 0.5, 0.9]))
        who = ", ".join(
            str(j.get("expert", f"expert {i + 1}")) for i, j in enumerate(sp["judgements"])
        )
        text = (
            f"P10 {f(p10)}, P50 {f(p50)}, P90 {f(p90)}{unit}, pooled from "
            f"{len(sp['judgements'])} judgements ({who})"
        )
    else:
        p10, p50, p90 = d.ppf(np.array([0.1, 0.5, 0.9]))
        text = f"P10 {f(p10)}, P50 {f(p50)}, P90 {f(p90)}{unit}"
    src = f" (source: {a.source})" if a.source else ""
    return f"{getattr(a, 'title', name)}: {text}{src}"


def value_statement(
    case: ValueCase,
    simulation: ValueSimulation | None = None,
    *,
    break_even: BreakEven | Sequence[BreakEven] | None = None,
    walk_away: WalkAway | Sequence[WalkAway] | None = None,
) -> str:
    """The sales model's value statement filled in from the case (and a simulation).

    Parameters
    ----------
    case : ValueCase
    simulation : ValueSimulation, optional
        A simulation of ``case``. Without one the figures are the base case; with one, the
        benefits of year 1 and of the steady state, the investment, the value and the NPV are
        expected values (means over the trials), the value and year 1 with their P10-P90
        range, and P(value > 0) is added. When some trials have no value
        (``simulation.nonfinite``), the statement says so with the count and gives neither the
        value nor a probability.
    break_even : BreakEven or sequence of them, optional
        Break-even points computed with :func:`salesworkbench.value.break_even`; the statement
        then says where the case breaks even (or that it does not in the range searched).
    walk_away : WalkAway or sequence of them, optional
        Walk-away values from :func:`salesworkbench.value.walk_away`; the statement then says
        beyond which value the chance of positive value falls below the target.

    Returns
    -------
    str
        The statement, then "Based on the following assumptions:" and one bullet per
        investment, assumption and correlation.
    """
    st = case.statement
    cur = case.currency
    base = case.base_case()
    money = lambda x: format_money(x, cur)  # noqa: E731
    names = list(case.assumptions)
    h = case.horizon_years
    rate = format_percent(case.discount_rate, 1).replace(".0%", "%")
    goal = _lower_first(st.get("goal", "reach its goal")).rstrip(".")
    who = case.customer or "the customer"
    no_value = 0 if simulation is None else simulation.nonfinite
    year1 = None if simulation is None else simulation.year1_benefits
    if simulation is None:
        ben = case.annual_benefits({n: base[n] for n in names}).iloc[0].to_numpy()
        lead = f"We believe {who} should be able to {goal} resulting in benefits of "
        parts = [lead + f"{money(ben[0])}{_steady(ben, money, '')}."]
    elif year1 is not None and not np.isfinite(year1).all():
        bad = int((~np.isfinite(year1)).sum())
        parts = [
            f"We believe {who} should be able to {goal} resulting in benefits a year that "
            f"cannot be given ({bad:,} of {len(year1):,} trials have none)."
        ]
    else:
        ben = _expected_benefits(case, simulation)
        spread = ""
        if year1 is not None and np.ptp(year1) > 0:
            p10, p90 = np.percentile(year1, [10, 90])
            spread = f" (P10 {money(p10)}, P90 {money(p90)})"
        parts = [
            f"We believe {who} should be able to {goal} resulting in expected benefits of "
            f"{money(ben[0])}{_steady(ben, money, spread)}."
        ]
    if st.get("capability"):
        parts.append(f"Through the ability {_lower_first(st['capability']).rstrip('.')}.")
    if st.get("as_a_result_of"):
        parts.append(f"As a result of {_lower_first(st['as_a_result_of']).rstrip('.')}.")
    years = f"{h} year{'s' if h != 1 else ''}"
    if simulation is not None and no_value:
        parts.append(f"For an investment of {money(base['total_investment'])} (most likely).")
        parts.append(
            f"Value over {years}: not given, because {no_value:,} of {simulation.trials:,} "
            "trials have no value (NaN or infinite); no probability is given either. Fix the "
            "formulas or the assumption ranges."
        )
    elif simulation is not None:
        s = simulation.summary
        parts.append(f"For an expected investment of {money(s.loc['total_investment', 'mean'])}.")
        parts.append(
            f"Expected value over {years}: {money(s.loc['value', 'mean'])} "
            f"(P10 {money(s.loc['value', 'p10'])}, P90 {money(s.loc['value', 'p90'])}); "
            f"expected NPV at {rate}: {money(s.loc['npv', 'mean'])}; "
            f"probability the value is positive: {format_percent(simulation.prob_positive())}."
        )
    else:
        parts.append(f"For an investment of {money(base['total_investment'])}.")
        parts.append(
            f"Value over {years}: {money(base['value'])} (NPV at {rate}: {money(base['npv'])})."
        )
    table = _negotiation_sentence(case, break_even, walk_away)
    if table:
        parts.append(table)
    bullets = []
    env = {n: float(base[n]) for n in names}
    for line in case.investments:
        amount = float(np.asarray(line.formula(env)) * line.factors.sum())
        years = np.flatnonzero(line.factors)
        when = "" if list(years) == [0] else f" (year {', '.join(str(y) for y in years)})"
        bullets.append(f"{line.name} costing {money(amount)}{when} (most likely).")
    for n in names:
        bullets.append(describe_assumption(case, n) + ".")
    for a, b, rho in case.correlations:
        ta, tb = (getattr(case.assumptions[x], "title", x) for x in (a, b))
        bullets.append(f"{ta} and {tb} move together (rank correlation {rho:g}).")
    lines = "\n".join(f"- {b}" for b in bullets)
    return " ".join(parts) + "\nBased on the following assumptions:\n" + lines


def _expected_benefits(case: ValueCase, simulation: ValueSimulation) -> np.ndarray:
    """Expected (mean) benefits of years 1..horizon.

    Where every benefit line has the same profile of year factors (a constant amount, or one
    ramp shared by all lines), year ``t``'s expected benefits are year 1's mean times the
    profile's ratio, so no trial is evaluated again; otherwise the year-by-year expected cash
    flows of :func:`~salesworkbench.value.cashflow_table.cash_flow_table` are used.
    """
    h = case.horizon_years
    year1 = simulation.year1_benefits
    profiles = [line.factors[1:] for line in case.benefits]
    if year1 is not None and profiles:
        first = profiles[0]
        if first[0] != 0 and all(np.array_equal(p, first) for p in profiles[1:]):
            return float(np.mean(year1)) * first / first[0]
    if not profiles:
        return np.zeros(h)
    from salesworkbench.value.cashflow_table import cash_flow_table

    flows = cash_flow_table(case, simulation)
    return flows.loc[flows["scenario"] == "expected", "benefits"].to_numpy()[1:]


def _steady(benefits: np.ndarray, money: Callable[[float], str], spread: str) -> str:
    """What follows year 1's benefits in the statement's first sentence.

    " a year from the first year" when every year's benefits are the same, else " in the first
    year, rising to X a year from year k (the steady state)". ``benefits[t - 1]`` is year
    ``t``'s; the steady state is the last year's (once any ramp-up is over), reached from the
    first year ``k`` whose benefits equal it. ``spread`` (year 1's P10 and P90) follows the
    first year.
    """
    last = float(benefits[-1])
    close = np.isclose(benefits, last, rtol=1e-9, atol=1e-9)
    if close.all():
        return f" a year from the first year{spread}"
    k = len(close) - int(np.argmin(close[::-1]))  # first year of the final run of equal years
    k = k + 1
    verb = "rising" if last > float(benefits[0]) else "changing"
    return (
        f" in the first year{spread}, {verb} to {money(last)} a year from year {k} "
        "(the steady state)"
    )


def _as_list(x: object) -> list:
    if x is None:
        return []
    if isinstance(x, Sequence) and not isinstance(x, str):
        return list(x)
    return [x]


def _negotiation_sentence(case: ValueCase, break_even: object, walk_away: object) -> str:
    """The negotiation sentence ("At the negotiating table: ...") or "" without results."""
    clauses = []
    for r in (*_as_list(break_even), *_as_list(walk_away)):
        other = r.case
        if other is not case and other.name != case.name:
            raise ValueError(
                f"a negotiation result for case {other.name!r} cannot go into the statement "
                f"of case {case.name!r}"
            )
        clauses.append(r.sentence)
    if not clauses:
        return ""
    return "At the negotiating table: " + "; ".join(clauses) + "."


def _lower_first(text: str) -> str:
    text = str(text).strip()
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text
