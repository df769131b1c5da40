"""Start plans from the CRM tables: what the data knows is filled in, the rest left as gaps.

:func:`draft_account_plan` fills an account plan's profile, install base, recurring revenue,
satisfaction, recent wins and a first wallet by offering from the canonical accounts and
opportunities; :func:`draft_opportunity_plan` fills an opportunity plan's qualification and
target close from the pipeline and the lead the deal came from. The team fills in the rest.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from salesworkbench.plans.analyses import _data_date
from salesworkbench.plans.records import (
    AccountPlan,
    AccountProfile,
    InstallBaseItem,
    NegotiationClose,
    OpportunityPlan,
    Project,
    QualificationStatus,
    RecurringRevenueLine,
    Satisfaction,
    WalletLine,
)

__all__ = ["draft_account_plan", "draft_opportunity_plan"]


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _currency(given: str | None, deals: pd.DataFrame, default: str) -> str:
    """The currency given, else the one currency of ``deals``, else ``default``."""
    if given:
        return str(given)
    if "currency" in deals.columns:
        codes = deals["currency"].dropna().astype(str).unique()
        if len(codes) == 1:
            return str(codes[0])
    return default


def draft_account_plan(
    account_id: str,
    accounts: pd.DataFrame,
    opportunities: pd.DataFrame,
    *,
    as_of=None,
    wallet_mix: Mapping[str, float] | None = None,
    name: str | None = None,
    currency: str | None = None,
) -> AccountPlan:
    """Start an account plan from the CRM tables; the team fills in the rest.

    Filled from the data: profile (company, sector, region, revenue, employees, growth),
    install base and recurring revenue totals, satisfaction score, recent projects (deals won
    in the last 24 months), segment (when ``accounts`` has a ``segment`` column) and the wallet
    by offering. The account's total ``wallet`` is split by ``wallet_mix`` (default: the mix of
    won amounts by product across accounts of the same sector, i.e. what similar customers buy)
    and its ``current_spend`` by the account's own won amounts by product over the last 24
    months (or the same mix when it has none). Both splits are estimates to be replaced with
    the customer's figures; the wallet lines say so in their notes. ``currency`` (default: the
    one currency of the opportunities' ``currency`` column, else GBP) is the plan's.

    Raises
    ------
    KeyError
        ``account_id`` is not in ``accounts``.
    """
    rows = accounts[accounts["account_id"].astype(object) == account_id]
    if rows.empty:
        raise KeyError(f"account {account_id!r} is not in the accounts table")
    a = rows.iloc[0]
    opp = opportunities
    if as_of is None:
        as_of = _data_date(opp)
    as_of = pd.Timestamp(as_of).normalize()
    won_all = opp[opp["status"].astype(object) == "won"]
    mine = won_all[won_all["account"].astype(object) == account_id]
    recent = mine[
        (mine["close_date"] > as_of - pd.DateOffset(years=2)) & (mine["close_date"] <= as_of)
    ].sort_values("close_date", ascending=False)

    if wallet_mix is None:
        sector_ids = accounts.loc[accounts["sector"] == a.get("sector"), "account_id"]
        pool = won_all[won_all["account"].isin(sector_ids)]
        pool = pool if len(pool) else won_all
        mix = pool.groupby("product", observed=True)["amount"].sum()
    else:
        mix = pd.Series(dict(wallet_mix), dtype=float)
        if (mix < 0).any() or mix.sum() <= 0:
            raise ValueError("wallet_mix must hold non-negative shares with a positive sum")
    mix = mix / mix.sum()
    own = recent.groupby("product", observed=True)["amount"].sum()
    own = own.reindex(mix.index, fill_value=0.0)
    spend_mix = own / own.sum() if own.sum() > 0 else mix

    wallet_total, spend_total = _num(a.get("wallet")), _num(a.get("current_spend"))
    wallet_lines = []
    if wallet_total is not None:
        for product in mix.sort_values(ascending=False).index:
            wallet_lines.append(
                WalletLine(
                    offering=str(product),
                    wallet=round(wallet_total * float(mix[product]), -2),
                    current_spend=round((spend_total or 0.0) * float(spend_mix[product]), -2),
                    notes="estimate: account wallet split by sector mix; spend by recent wins",
                )
            )
    profile = AccountProfile(
        company=str(a["name"]),
        sector=str(a.get("sector") or ""),
        region=str(a.get("region") or ""),
        annual_revenue=_num(a.get("revenue")),
        employees=_num(a.get("employees")),
        revenue_growth=_num(a.get("growth")),
        offerings=sorted({str(p) for p in mine["product"].dropna()}),
    )
    install = []
    if _num(a.get("install_base")):
        install.append(
            InstallBaseItem(offering="All offerings (CRM total)", value=_num(a["install_base"]))
        )
    recurring = []
    if _num(a.get("recurring_revenue")):
        recurring.append(
            RecurringRevenueLine(
                offering="All offerings (CRM total)", annual_amount=_num(a["recurring_revenue"])
            )
        )
    sat = None
    if _num(a.get("satisfaction")) is not None:
        sat = Satisfaction(score=_num(a["satisfaction"]), source="CRM satisfaction score")
    projects = [
        Project(
            name=str(r.name)
            if "name" in recent.columns and isinstance(r.name, str)
            else str(r.product),
            completed=pd.Timestamp(r.close_date).date(),
            value=_num(r.amount),
            outcome="won",
        )
        for r in recent.itertuples(index=False)
    ]
    seg = a.get("segment") if "segment" in rows.columns else None
    return AccountPlan(
        name=name or f"{a['name']} account plan",
        account_id=account_id,
        owner=str(a.get("owner") or ""),
        segment=None if seg is None or pd.isna(seg) else str(seg),
        currency=_currency(currency, opp, "GBP"),
        updated=as_of.date(),
        profile=profile,
        install_base=install,
        recurring_revenue=recurring,
        satisfaction=sat,
        recent_projects=projects,
        wallet=wallet_lines,
    )


def draft_opportunity_plan(
    opportunity_id: str,
    opportunities: pd.DataFrame,
    leads: pd.DataFrame | None = None,
    *,
    as_of=None,
    name: str | None = None,
    currency: str | None = None,
) -> OpportunityPlan:
    """Start an opportunity plan from the pipeline (and the lead it came from, if known).

    Qualification (in the market, budget, timeframe) is taken from the converted lead's
    ``in_market``/``has_budget``/``timeframe`` flags; the expected close date becomes the
    target close. Key players, value proposition and strategy are for the team to fill in.
    ``currency`` defaults to the deal's own ``currency``, else the pipeline's one currency,
    else GBP.

    Raises
    ------
    KeyError
        ``opportunity_id`` is not in ``opportunities``.
    """
    rows = opportunities[opportunities["opportunity_id"].astype(object) == opportunity_id]
    if rows.empty:
        raise KeyError(f"opportunity {opportunity_id!r} is not in the opportunities table")
    o = rows.iloc[0]
    qual = None
    if leads is not None and "opportunity_id" in leads.columns:
        lead = leads[leads["opportunity_id"].astype(object) == opportunity_id]
        if len(lead):
            lr = lead.iloc[0]

            def flag(col):
                v = lr.get(col)
                return None if v is None or pd.isna(v) else str(v) == "yes"

            qual = QualificationStatus(
                in_market=flag("in_market"),
                budget=flag("has_budget"),
                timeframe=flag("timeframe"),
                evidence=f"lead {lr['lead_id']} qualification flags",
            )
    close = o.get("close_date")
    neg = None
    if close is not None and not pd.isna(close):
        neg = NegotiationClose(target_close=pd.Timestamp(close).date())
    title = o.get("name") if isinstance(o.get("name"), str) else None
    updated = pd.Timestamp(as_of).date() if as_of is not None else None
    return OpportunityPlan(
        name=name or title or f"{opportunity_id} plan",
        account_id=str(o["account"]) if isinstance(o["account"], str) else "",
        opportunity_id=opportunity_id,
        owner=str(o.get("owner") or ""),
        currency=_currency(
            currency
            if currency
            else (o.get("currency") if isinstance(o.get("currency"), str) else None),
            opportunities,
            "GBP",
        ),
        updated=updated,
        qualification=qual,
        negotiation_and_close=neg,
    )
