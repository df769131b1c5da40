"""What the plans say when analysed: white space, qualification, access, value case, portfolio.

* :func:`white_space`: an account plan's wallet by offering minus current spend, share of
  wallet and the biggest gaps.
* :func:`qualification_scorecard`: in the market, budget, timeframe, sponsor and power sponsor
  of an opportunity plan; :func:`access_flags`: key players we cannot (or may not) reach.
* :func:`value_case_summary`: the headline figures and P(value > 0) of the value case an
  opportunity plan links to, simulated with stated trials and seed.
* :func:`opportunity_portfolio`: the account's deals from the canonical pipeline, with a
  forecast, the deals won in the last year and the plan's future opportunities.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from salesworkbench.defaults import FORECAST_TRIALS, VALUE_TRIALS
from salesworkbench.errors import DataWarning
from salesworkbench.model import Attitude, BuyingRole
from salesworkbench.pipeline import ForecastResult, HistoryModel, forecast
from salesworkbench.plans.records import AccountPlan, OpportunityPlan, QualificationStatus
from salesworkbench.plans.serial import PlanError
from salesworkbench.value import ValueCase

__all__ = [
    "CRITERIA",
    "CRITERIA_TITLES",
    "Portfolio",
    "ValueCaseSummary",
    "WhiteSpace",
    "access_flags",
    "opportunity_portfolio",
    "qualification_scorecard",
    "value_case_summary",
    "white_space",
]


# ----------------------------------------------------------------------------------------------
# white space and share of wallet
# ----------------------------------------------------------------------------------------------


@dataclass
class WhiteSpace:
    """White space and share of wallet of an account plan (see :func:`white_space`).

    Attributes
    ----------
    table : DataFrame
        One row per offering, largest white space first: wallet, current_spend, white_space
        (wallet minus current spend, floored at 0), share_of_wallet (current spend / wallet)
        and share_of_white_space (the offering's part of the total white space).
    wallet, current_spend, white_space : float
        Totals over offerings.
    share_of_wallet : float
        Total current spend / total wallet (NaN when the wallet is 0).
    biggest_gaps : list of str
        The offerings with the largest white space (at most ``top``; offerings with none are
        left out).
    notes : list of str
        Offerings where current spend exceeds the wallet estimate (the wallet needs
        re-estimating).
    """

    table: pd.DataFrame
    wallet: float
    current_spend: float
    white_space: float
    share_of_wallet: float
    biggest_gaps: list[str]
    notes: list[str]


def white_space(plan: AccountPlan, top: int = 3) -> WhiteSpace:
    """White space and share of wallet from the plan's wallet by offering.

    white space = max(wallet - current spend, 0) per offering (as
    :attr:`salesworkbench.model.Account.white_space`); share of wallet = current spend /
    wallet. An offering whose spend exceeds its wallet has no white space and a note.

    Raises
    ------
    PlanError
        The plan has no wallet lines (the section is a gap) or an offering appears twice.
    """
    if not plan.wallet:
        raise PlanError(
            "no wallet by offering: fill in the wallet section to compute the white space",
            plan=plan.label(),
            section="wallet",
        )
    seen: set[str] = set()
    for i, w in enumerate(plan.wallet):
        if w.offering in seen:
            raise PlanError(
                f"offering {w.offering!r} appears more than once",
                plan=plan.label(),
                section=f"wallet[{i + 1}]",
                field="offering",
            )
        seen.add(w.offering)
    wallet = np.array([w.wallet for w in plan.wallet], float)
    spend = np.array([w.current_spend for w in plan.wallet], float)
    ws = np.maximum(wallet - spend, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sow = np.where(wallet > 0, spend / np.where(wallet > 0, wallet, 1.0), np.nan)
    total_ws = float(ws.sum())
    table = pd.DataFrame(
        {
            "offering": [w.offering for w in plan.wallet],
            "wallet": wallet,
            "current_spend": spend,
            "white_space": ws,
            "share_of_wallet": sow,
            "share_of_white_space": ws / total_ws if total_ws > 0 else np.zeros_like(ws),
        }
    )
    table = table.sort_values("white_space", ascending=False, kind="stable").reset_index(drop=True)
    notes = [
        f"{o}: current spend {s:,.0f} exceeds the wallet estimate {w:,.0f}; re-estimate the wallet"
        for o, w, s in zip(table["offering"], table["wallet"], table["current_spend"], strict=True)
        if s > w
    ]
    tw, ts = float(wallet.sum()), float(spend.sum())
    gaps = [o for o, g in zip(table["offering"], table["white_space"], strict=True) if g > 0]
    return WhiteSpace(
        table=table,
        wallet=tw,
        current_spend=ts,
        white_space=total_ws,
        share_of_wallet=ts / tw if tw > 0 else math.nan,
        biggest_gaps=gaps[: max(int(top), 0)],
        notes=notes,
    )


# ----------------------------------------------------------------------------------------------
# qualification scorecard
# ----------------------------------------------------------------------------------------------

CRITERIA = ("in_market", "budget", "timeframe", "sponsor", "power_sponsor")
"""The qualification criteria, in scorecard order (the scorecard's index)."""

CRITERIA_TITLES = {
    "in_market": "In the market",
    "budget": "Budget",
    "timeframe": "Timeframe",
    "sponsor": "Sponsor",
    "power_sponsor": "Power sponsor",
}
"""Display title of each criterion (the scorecard's ``criterion`` column)."""


def _role_status(plan: OpportunityPlan, role: BuyingRole) -> tuple[str, str]:
    players = plan.players(role)
    noun = role.value.replace("_", " ")
    if not players:
        return "gap", f"no {noun} in the key player list"
    good = [kp for kp in players if kp.attitude is not Attitude.OPPOSED and kp.access is not False]
    if good:
        kp = good[0]
        bits = [f"{kp.name}" + (f" ({kp.title})" if kp.title else ""), kp.attitude.value]
        if kp.access is None:
            bits.append("access not recorded")
        return "met", ", ".join(bits)
    kp = players[0]
    why = "opposed" if kp.attitude is Attitude.OPPOSED else "no access"
    return "gap", f"{kp.name} is the {noun} but {why}"


def qualification_scorecard(plan: OpportunityPlan) -> pd.DataFrame:
    """The opportunity's qualification scorecard, one row per criterion.

    Criteria: in the market, budget, timeframe (from the qualification section; blank =
    ``unknown``), sponsor and power sponsor (from the key player list: met when a key player
    has the role, is not opposed and we are not without access to them).

    Returns
    -------
    DataFrame
        Index = criterion (``in_market, budget, timeframe, sponsor, power_sponsor``); columns
        ``criterion`` (display title), ``status`` (``met``, ``gap`` or ``unknown``), ``met``
        (bool) and ``evidence``. ``attrs["score"]`` is the number met (0-5) and
        ``attrs["gaps"]`` the display titles of the criteria not met.
    """
    q = plan.qualification or QualificationStatus()
    rows = []
    for c in ("in_market", "budget", "timeframe"):
        v = getattr(q, c)
        status = "met" if v is True else ("gap" if v is False else "unknown")
        ev = {"met": "yes", "gap": "no", "unknown": "not yet known"}[status]
        if c == "budget" and q.budget_amount is not None:
            ev += f" (budget {q.budget_amount:,.0f} {plan.currency})"
        if c == "timeframe" and q.decision_date is not None:
            ev += f" (decision by {q.decision_date.isoformat()})"
        rows.append((c, status, ev))
    for role in (BuyingRole.SPONSOR, BuyingRole.POWER_SPONSOR):
        status, ev = _role_status(plan, role)
        rows.append((role.value, status, ev))
    table = pd.DataFrame(rows, columns=["key", "status", "evidence"]).set_index("key")
    table.index.name = "criterion_key"
    table.insert(0, "criterion", [CRITERIA_TITLES[k] for k in table.index])
    table.insert(2, "met", table["status"] == "met")
    table.attrs["score"] = int(table["met"].sum())
    table.attrs["gaps"] = [CRITERIA_TITLES[k] for k in table.index[~table["met"]]]
    return table


def access_flags(plan: OpportunityPlan) -> pd.DataFrame:
    """Key players with the access question flagged.

    Returns
    -------
    DataFrame
        One row per key player: name, title, buying_role, attitude, relationship_strength,
        last_contact, covered_by, access (yes/no/unknown) and ``flag``: a short warning for
        sponsors, power sponsors and decision makers we have no or unknown access to, for any
        other key player we have no access to, and for opposed key players.
    """
    important = (BuyingRole.SPONSOR, BuyingRole.POWER_SPONSOR, BuyingRole.DECISION_MAKER)
    rows = []
    for kp in plan.key_players:
        flag = ""
        if kp.buying_role in important and kp.access is False:
            flag = "no access to a key decision role"
        elif kp.buying_role in important and kp.access is None:
            flag = "access not known"
        elif kp.access is False:
            flag = "no access"
        if kp.attitude is Attitude.OPPOSED:
            flag = "; ".join(x for x in (flag, "opposed: plan how to handle") if x)
        rows.append(
            {
                "name": kp.name,
                "title": kp.title,
                "buying_role": kp.buying_role.value,
                "attitude": kp.attitude.value,
                "relationship_strength": kp.relationship_strength,
                "last_contact": kp.last_contact,
                "covered_by": kp.covered_by,
                "access": {True: "yes", False: "no", None: "unknown"}[kp.access],
                "flag": flag,
            }
        )
    cols = [
        "name",
        "title",
        "buying_role",
        "attitude",
        "relationship_strength",
        "last_contact",
        "covered_by",
        "access",
        "flag",
    ]
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------------------------
# value proposition: the linked value case
# ----------------------------------------------------------------------------------------------


@dataclass
class ValueCaseSummary:
    """Headline figures of an opportunity plan's value case (see :func:`value_case_summary`).

    ``summary`` is the value simulation's summary table (index = outputs; columns mean, sd,
    p10, p50, p90, prob_positive). ``prob_positive`` is P(value > 0) from ``trials`` Monte
    Carlo trials with ``seed``.
    """

    path: Path
    name: str
    customer: str
    currency: str
    horizon_years: int
    trials: int
    seed: int
    prob_positive: float
    summary: pd.DataFrame
    statement: dict[str, str]

    def headline(self) -> dict[str, float]:
        """Mean value, P10/P50/P90 value, mean NPV, mean ROI and median payback (years)."""
        s = self.summary
        out = {
            "value_mean": float(s.loc["value", "mean"]),
            "value_p10": float(s.loc["value", "p10"]),
            "value_p50": float(s.loc["value", "p50"]),
            "value_p90": float(s.loc["value", "p90"]),
        }
        for key, row, col in (
            ("npv_mean", "npv", "mean"),
            ("roi_mean", "roi", "mean"),
            ("payback_years_p50", "payback_years", "p50"),
        ):
            if row in s.index:
                out[key] = float(s.loc[row, col])
        out["prob_positive"] = self.prob_positive
        return out

    def sentence(self) -> str:
        """One line: mean value, P10-P90 and P(value > 0), with trials and seed stated."""
        h = self.headline()
        return (
            f"{self.name}: value {h['value_mean']:,.0f} {self.currency} on average "
            f"(P10 {h['value_p10']:,.0f} to P90 {h['value_p90']:,.0f}) over "
            f"{self.horizon_years} years; P(value > 0) = {self.prob_positive:.2f} "
            f"({self.trials:,} trials, seed {self.seed})"
        )


def value_case_summary(
    plan: OpportunityPlan,
    *,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    path: str | os.PathLike | None = None,
) -> ValueCaseSummary:
    """Simulate the plan's value case and return its headline figures and P(value > 0).

    Parameters
    ----------
    plan : OpportunityPlan
        Its ``value_proposition.value_case`` names the value case file (relative to the plan
        file's folder, or absolute).
    trials, seed : int
        Monte Carlo trials (default :data:`salesworkbench.defaults.VALUE_TRIALS`) and seed (the
        same seed gives the same figures).
    path : path-like, optional
        Use this value case file instead of the plan's link.

    Raises
    ------
    PlanError
        No value case linked, or the file is missing (names section value_proposition, field
        value_case).
    """
    p = Path(path) if path is not None else plan.value_case_path()
    if p is None:
        raise PlanError(
            "no value case linked: a value proposition needs a value case file",
            plan=plan.label(),
            section="value_proposition",
            field="value_case",
        )
    if not p.is_file():
        raise PlanError(
            f"value case file {str(p)!r} not found",
            plan=plan.label(),
            section="value_proposition",
            field="value_case",
        )
    case = ValueCase.from_yaml(p)
    sim = case.simulate(trials=trials, seed=seed, progress=False)
    return ValueCaseSummary(
        path=p,
        name=case.name,
        customer=getattr(case, "customer", ""),
        currency=getattr(case, "currency", plan.currency),
        horizon_years=int(getattr(case, "horizon_years", 0)),
        trials=int(trials),
        seed=int(seed),
        prob_positive=float(sim.prob_positive("value")),
        summary=sim.summary,
        statement=dict(getattr(case, "statement", {}) or {}),
    )


# ----------------------------------------------------------------------------------------------
# opportunity portfolio from the canonical pipeline
# ----------------------------------------------------------------------------------------------


@dataclass
class Portfolio:
    """An account's total opportunity portfolio (see :func:`opportunity_portfolio`).

    Attributes
    ----------
    open_deals : DataFrame
        The account's open opportunities with win probability and expected bookings (from
        the forecast), stale deals marked.
    won : DataFrame
        Deals won in the last 12 months before ``as_of``.
    future : DataFrame
        The plan's future opportunities (not in the pipeline yet).
    summary : DataFrame
        One row, indexed by ``account_id``: open_deals, open_pipeline, stale_deals,
        stale_pipeline, expected (exact mean bookings in the forecast periods), p10, p50, p90
        (simulated bookings), won_12m, future_opportunities, future_estimated.
    forecast : ForecastResult or None
        The forecast of the account's open deals (None when none are open).
    """

    account_id: str
    as_of: pd.Timestamp
    open_deals: pd.DataFrame
    won: pd.DataFrame
    future: pd.DataFrame
    summary: pd.DataFrame
    forecast: ForecastResult | None


def opportunity_portfolio(
    plan: AccountPlan | str,
    opportunities: pd.DataFrame,
    history_model=None,
    *,
    as_of=None,
    periods: int = 4,
    freq: str = "quarter",
    trials: int = FORECAST_TRIALS,
    seed: int = 0,
    stage_history: pd.DataFrame | None = None,
) -> Portfolio:
    """Pull the account's current opportunities from the pipeline and forecast them.

    Parameters
    ----------
    plan : AccountPlan or str
        The plan (its ``account_id`` and future opportunities) or an account id.
    opportunities : DataFrame
        Canonical opportunities (the whole pipeline: closed deals teach the history model).
    history_model : HistoryModel, optional
        Fitted model (default: :meth:`HistoryModel.fit` on ``opportunities`` as of ``as_of``).
    as_of : date, optional
        Forecast date (default: the latest date in the data).
    periods, freq, trials, seed :
        Passed to :func:`salesworkbench.pipeline.forecast` (bookings from the account's open
        deals in the next ``periods`` quarters; stale deals are flagged in ``open_deals`` and
        count with the low chance their age gives them). Trials
        default to :data:`salesworkbench.defaults.FORECAST_TRIALS`.
    stage_history : DataFrame, optional
        Canonical stage history for the default history model.
    """
    account_id = plan.account_id if isinstance(plan, AccountPlan) else str(plan)
    opp = opportunities
    if as_of is None:
        as_of = history_model.as_of if history_model is not None else _data_date(opp)
    as_of = pd.Timestamp(as_of).normalize()
    if history_model is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            history_model = HistoryModel.fit(opp, stage_history, as_of=as_of)
    mine = opp[opp["account"].astype(object) == account_id]
    status = mine["status"].astype(object)
    open_deals = mine[status == "open"]
    won = mine[
        (status == "won")
        & (mine["close_date"] > as_of - pd.DateOffset(years=1))
        & (mine["close_date"] <= as_of)
    ]
    cols = [
        c
        for c in ("opportunity_id", "name", "product", "stage", "amount", "close_date", "owner")
        if c in mine.columns
    ]
    fc = None
    if len(open_deals):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            fc = forecast(
                open_deals,
                history_model,
                periods,
                freq=freq,
                trials=trials,
                seed=seed,
                as_of=as_of,
                progress=False,
                new_deals=False,  # one account's deals: the company's new deals do not belong
            )
        table = open_deals[cols].merge(
            fc.deals[["opportunity_id", "win_prob", "expected"]], on="opportunity_id", how="left"
        )
        table["stale"] = table["opportunity_id"].isin(fc.stale["opportunity_id"])
        table = table.sort_values(["stale", "close_date"], kind="stable").reset_index(drop=True)
        tot = fc.summary.loc["total"]
        expected, p10, p50, p90 = (float(tot[k]) for k in ("expected", "p10", "p50", "p90"))
    else:
        table = open_deals[cols].assign(win_prob=np.nan, expected=np.nan, stale=False)
        expected = p10 = p50 = p90 = 0.0
    future = pd.DataFrame(
        [dataclasses.asdict(f) for f in plan.future_opportunities]
        if isinstance(plan, AccountPlan)
        else [],
        columns=["name", "offering", "estimated_amount", "expected_close", "notes"],
    )
    stale = table["stale"].to_numpy(bool)
    summary = pd.DataFrame(
        {
            "open_deals": [int(len(table))],
            "open_pipeline": [float(table["amount"].sum())],
            "stale_deals": [int(stale.sum())],
            "stale_pipeline": [float(table.loc[stale, "amount"].sum())],
            "expected": [expected],
            "p10": [p10],
            "p50": [p50],
            "p90": [p90],
            "won_12m": [float(won["amount"].sum())],
            "future_opportunities": [int(len(future))],
            "future_estimated": [float(pd.to_numeric(future["estimated_amount"]).sum())],
        },
        index=pd.Index([account_id], name="account_id"),
    )
    return Portfolio(
        account_id=account_id,
        as_of=as_of,
        open_deals=table,
        won=won[cols].reset_index(drop=True),
        future=future,
        summary=summary,
        forecast=fc,
    )


def _data_date(opp: pd.DataFrame) -> pd.Timestamp:
    """The date a pipeline export stands at: its last creation or actual close date."""
    closed = opp["status"].astype(object) != "open"
    return max(opp["created"].max(), opp.loc[closed, "close_date"].max())
