"""The value statement: the sales model's form, filled in from a case and its simulation.

"We believe <customer> should be able to <goal> resulting in benefits of <amount> a year within
the first year. Through the ability <capability>. As a result of <...>. For an investment of
<amount>. Value over <n> years: ... Based on the following assumptions: ..."

The words come from the case file's ``statement`` mapping, the figures from the base case or,
given a simulation, from what the simulation already computed (its summary and the year-1
benefits of every trial); nothing is simulated or evaluated trial by trial here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from salesworkbench.formatting import format_money, format_number, format_percent

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
        E.g. ``"users: 90K to 120K subscribers, most likely 100K (source: annual report)"``.
    """
    a = case.assumptions[name]
    d = a.dist
    unit = f" {a.unit}" if a.unit else ""
    f = format_number
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
        text = f"about {f(d.mean())}{unit} (sd {f(d.sd())})"
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
    return f"{name}: {text}{src}"


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
        first-year benefit and the value are medians with their P10-P90 range (taken from the
        simulation's ``year1_benefits`` and ``summary``) and P(value > 0) is added. When some
        trials have no value (``simulation.nonfinite``), the statement says so with the count
        and gives neither the value nor a probability.
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
    year1 = None if simulation is None else simulation.year1_benefits
    no_value = 0 if simulation is None else simulation.nonfinite
    if year1 is not None and not np.isfinite(year1).all():
        bad = int((~np.isfinite(year1)).sum())
        benefit = (
            f"benefits a year that cannot be given ({bad:,} of {len(year1):,} trials have none)"
        )
    elif year1 is not None and np.ptp(year1) > 0:
        p10, p50, p90 = np.percentile(year1, [10, 50, 90])
        benefit = f"benefits of {money(p50)} a year (P10 {money(p10)}, P90 {money(p90)})"
    else:
        ben1 = case.annual_benefits({n: base[n] for n in names})["year_1"].iloc[0]
        benefit = f"benefits of {money(ben1)} a year"
    parts = [
        f"We believe {case.customer} should be able to "
        f"{_lower_first(st.get('goal', 'reach its goal')).rstrip('.')} resulting in "
        f"{benefit} within the first year."
    ]
    if st.get("capability"):
        parts.append(f"Through the ability {_lower_first(st['capability']).rstrip('.')}.")
    if st.get("as_a_result_of"):
        parts.append(f"As a result of {_lower_first(st['as_a_result_of']).rstrip('.')}.")
    parts.append(f"For an investment of {money(base['total_investment'])}.")
    h = case.horizon_years
    rate = format_percent(case.discount_rate, 1).replace(".0%", "%")
    if simulation is not None and no_value:
        parts.append(
            f"Value over {h} year{'s' if h != 1 else ''}: not given, because "
            f"{no_value:,} of {simulation.trials:,} trials have no value (NaN or infinite); "
            "no probability is given either. Fix the formulas or the assumption ranges."
        )
    elif simulation is not None:
        s = simulation.summary
        parts.append(
            f"Value over {h} year{'s' if h != 1 else ''}: {money(s.loc['value', 'p50'])} "
            f"(P10 {money(s.loc['value', 'p10'])}, P90 {money(s.loc['value', 'p90'])}); "
            f"NPV at {rate}: {money(s.loc['npv', 'p50'])}; "
            f"probability the value is positive: {format_percent(simulation.prob_positive())}."
        )
    else:
        parts.append(
            f"Value over {h} year{'s' if h != 1 else ''}: {money(base['value'])} "
            f"(NPV at {rate}: {money(base['npv'])})."
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
        bullets.append(f"{line.name} costing {money(amount)}{when}.")
    for n in names:
        bullets.append(describe_assumption(case, n) + ".")
    for a, b, rho in case.correlations:
        bullets.append(f"{a} and {b} move together (rank correlation {rho:g}).")
    lines = "\n".join(f"- {b}" for b in bullets)
    return " ".join(parts) + "\nBased on the following assumptions:\n" + lines


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
