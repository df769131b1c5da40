"""Seeded generator of the bundled sample data (``data/*.csv`` and ``data/README.md``).

Run ``python -m salesworkbench.datasets.generate --out data [--seed 2024]`` (or ``make data``).
The same seed always writes byte-identical files. The company in the sample sells five products
(in GBP) through twelve reps in four UK territories; the data run from 2024-01-01 to the day
before :data:`AS_OF`, the sample's "today".

The generator simulates each deal's true life (outcome, cycle time, stage dates, close-date
pushes, amount changes) and then shows only what a CRM export would show on :data:`AS_OF`:
deals that have not finished yet are open at the stage they have reached. The built-in effects
(what an analyst should find) are listed in ``data/README.md``, with the figures measured on the
generated files.
"""

from __future__ import annotations

import argparse
import functools
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench._random import named_stream
from salesworkbench.schemas import ACCOUNTS, LEADS, OPPORTUNITIES, STAGE_HISTORY

__all__ = [
    "AS_OF",
    "CURRENCY",
    "DEFAULT_SEED",
    "FILES",
    "HISTORY_START",
    "PRODUCTS",
    "REPS",
    "STAGE_PROBABILITY",
    "generate",
    "main",
    "readme_text",
    "write",
]

DEFAULT_SEED = 2024
"""Seed of the committed sample data."""

AS_OF = pd.Timestamp("2026-10-01")
"""The sample's "today": the export was taken at the start of this day."""

HISTORY_START = pd.Timestamp("2024-01-01")
"""First day an opportunity or lead can be created."""

CURRENCY = "GBP"
"""Currency of every amount in the sample."""

FILES = ("accounts.csv", "opportunities.csv", "stage_history.csv", "leads.csv", "reps.csv")
"""The CSV files :func:`write` produces (plus ``README.md``)."""

OPEN_STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")
WON_STAGE, LOST_STAGE = "Closed Won", "Closed Lost"
STAGE_PROBABILITY = {
    "Prospecting": 0.10,
    "Qualification": 0.20,
    "Proposal": 0.50,
    "Negotiation": 0.75,
    WON_STAGE: 1.0,
    LOST_STAGE: 0.0,
}
"""The CRM's stage-based win probability (the ``probability`` column)."""

TERRITORIES = {
    "North East": "North",
    "North West": "North",
    "South East": "South",
    "South West": "South",
}
"""Territory -> region."""

# sector: (weight, median revenue GBP, wallet share of revenue, mean growth, product tilt)
SECTORS = {
    "Manufacturing": (0.22, 55e6, 0.0035, 0.03),
    "Retail": (0.18, 40e6, 0.0030, 0.02),
    "Financial Services": (0.15, 90e6, 0.0080, 0.05),
    "Healthcare": (0.15, 35e6, 0.0050, 0.06),
    "Technology": (0.16, 25e6, 0.0090, 0.10),
    "Public Sector": (0.14, 70e6, 0.0045, 0.01),
}

SEGMENTS = ("Enterprise", "Mid-market", "SMB")
"""Market segment of an opportunity, from the account's size (employees >= 1000, >= 200)."""


@dataclass(frozen=True)
class Product:
    """What one product's deals look like."""

    name: str
    median_amount: float  # GBP, mid-market deal
    amount_sigma: float  # sd of log amount
    base_win: float  # win rate of a mid-market deal, no value case, no power sponsor
    median_cycle: float  # days from creation to close, mid-market, won
    recurring: bool  # annual subscription (counts in recurring revenue)
    mix: tuple[float, float, float]  # share of deals by segment (Enterprise, Mid, SMB)


PRODUCTS = (
    Product("Core Platform", 42_000, 0.55, 0.15, 100, True, (0.30, 0.28, 0.22)),
    Product("Analytics Add-on", 16_000, 0.50, 0.24, 60, True, (0.18, 0.20, 0.18)),
    Product("Managed Service", 85_000, 0.50, 0.12, 130, True, (0.22, 0.14, 0.06)),
    Product("Implementation Services", 26_000, 0.60, 0.20, 75, False, (0.20, 0.20, 0.16)),
    Product("Training", 6_500, 0.45, 0.33, 35, False, (0.10, 0.18, 0.38)),
)
"""The five products (amounts in GBP, cycle times in days)."""

SEGMENT_EFFECT = {  # (amount multiplier, cycle multiplier, win-logit shift)
    "Enterprise": (1.9, 1.30, -0.25),
    "Mid-market": (1.0, 1.00, 0.0),
    "SMB": (0.5, 0.75, 0.15),
}

VALUE_CASE_LOGIT = 0.85
"""Win-logit uplift of a deal with a value case (the built-in effect)."""
POWER_SPONSOR_LOGIT = 0.70
"""Win-logit uplift of a deal with an engaged power sponsor."""
CUSTOMER_LOGIT = 0.40
"""Win-logit uplift of a deal at an existing customer."""


@dataclass(frozen=True)
class Rep:
    """A sales rep and the traits that drive their deals."""

    rep: str
    territory: str
    team: str
    manager: str
    start_date: str
    quota_per_quarter: float
    n_opps: int  # deals created in the window
    skill: float  # win-logit shift
    value_case_rate: float  # share of deals with a value case
    size: float  # deal-size multiplier
    cycle: float  # cycle-time multiplier
    optimism: float  # expected close dates earlier than reality (more slips)
    abandon: float  # share of lost deals never closed out in the CRM (stale, overdue)


_M1, _M2, _M3, _M4 = "Helen Carter", "Mark Whitfield", "Sarah Dunn", "Peter Walsh"
REPS = (
    Rep("Amelia Hart", "North East", "North East", _M1, "2019-03-04", 650_000,
        420, 0.60, 0.65, 1.25, 0.80, 0.10, 0.02),
    Rep("Oliver Bennett", "North East", "North East", _M1, "2018-06-11", 450_000,
        380, 0.00, 0.30, 1.00, 1.00, 0.25, 0.05),
    Rep("Daniel Kim", "North East", "North East", _M1, "2024-04-08", 350_000,
        150, -0.30, 0.20, 0.85, 1.15, 0.35, 0.08),
    Rep("Ravi Patel", "North West", "North West", _M2, "2020-09-01", 650_000,
        360, 0.50, 0.60, 1.10, 0.85, 0.10, 0.02),
    Rep("Sophie Clarke", "North West", "North West", _M2, "2021-02-15", 400_000,
        330, -0.05, 0.30, 0.95, 1.05, 0.25, 0.05),
    Rep("Marcus Reid", "North West", "North West", _M2, "2026-05-04", 200_000,
        10, 0.00, 0.30, 1.00, 1.00, 0.25, 0.05),
    Rep("James O'Neill", "South East", "South East", _M3, "2016-11-07", 450_000,
        400, -0.50, 0.15, 0.90, 1.25, 0.45, 0.12),
    Rep("Hannah Lewis", "South East", "South East", _M3, "2022-01-10", 400_000,
        260, 0.10, 0.35, 1.00, 1.00, 0.20, 0.04),
    Rep("Chloe Evans", "South East", "South East", _M3, "2025-02-03", 350_000,
        100, 0.00, 0.30, 0.90, 1.00, 0.25, 0.05),
    Rep("Tom Fletcher", "South West", "South West", _M4, "2020-01-06", 450_000,
        300, 0.00, 0.30, 1.05, 1.10, 0.30, 0.05),
    Rep("Grace Okafor", "South West", "South West", _M4, "2023-04-03", 500_000,
        240, 0.30, 0.45, 1.00, 0.90, 0.15, 0.03),
    Rep("Isla Murray", "South West", "South West", _M4, "2026-06-15", 200_000,
        5, 0.00, 0.30, 1.00, 1.00, 0.25, 0.05),
)  # fmt: skip
"""The sales team. Isla Murray's five deals are fixed: three closed, all won; two open."""

TELEMARKETERS = ("Lucy Grant", "Ben Harper", "Zara Ahmed")
"""Who qualifies leads by telephone (owners of unconverted leads)."""

# source: (share of leads, lead -> opportunity conversion rate)
LEAD_SOURCES = {
    "web": (0.35, 0.10),
    "event": (0.20, 0.16),
    "referral": (0.10, 0.45),
    "partner": (0.15, 0.28),
    "outbound": (0.20, 0.07),
}

_MONTH_WEIGHT = np.array([1.10, 1.00, 1.15, 0.95, 1.00, 1.05, 0.90, 0.75, 1.10, 1.10, 1.05, 0.70])
_EPOCH_DAY = np.datetime64("1970-01-01", "D")
_AS_OF_D = int((AS_OF.to_datetime64().astype("datetime64[D]") - _EPOCH_DAY).astype(int))
_START_D = int((HISTORY_START.to_datetime64().astype("datetime64[D]") - _EPOCH_DAY).astype(int))
_LAST_D = _AS_OF_D - 1  # last day of the history window

# ---------------------------------------------------------------------------------------------
# helpers


def _day(s: str) -> int:
    return int((np.datetime64(s, "D") - _EPOCH_DAY).astype(int))


def _dates(days: np.ndarray) -> np.ndarray:
    """Integer days since 1970-01-01 (NaN/negative sentinel -> NaT) as datetime64[ns]."""
    days = np.asarray(days)
    out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = ~np.isnan(days) if days.dtype.kind == "f" else np.ones(days.shape, bool)
    out[ok] = (_EPOCH_DAY + days[ok].astype(np.int64)).astype("datetime64[ns]")
    return out


def _weekday(days: np.ndarray) -> np.ndarray:
    """Move Saturdays and Sundays back to Friday (monotone, keeps weekdays as they are)."""
    days = np.asarray(days, dtype=np.int64)
    dow = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return days - np.where(dow == 5, 1, 0) - np.where(dow == 6, 2, 0)


def _month(days: np.ndarray) -> np.ndarray:
    return (_EPOCH_DAY + days.astype(np.int64)).astype("datetime64[M]").astype(int) % 12 + 1


def _round_to(x: np.ndarray, step: float) -> np.ndarray:
    return np.round(np.asarray(x, float) / step) * step


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, float)
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


# ---------------------------------------------------------------------------------------------
# reps and accounts

_PREFIX = (
    "North", "Bright", "Silver", "Oak", "Stone", "Red", "Blue", "Green", "Iron", "Cedar",
    "Harbour", "Summit", "River", "Castle", "Falcon", "Meadow", "Granite", "Willow", "Aspen",
    "Beacon", "Crown", "Kestrel", "Lark", "Maple", "Orchard", "Pioneer", "Quay", "Regent",
    "Thistle", "Vale", "Wren", "Ash", "Birch", "Clover", "Delta", "Ember", "Fern", "Hawthorn",
)  # fmt: skip
_SUFFIX = (
    "field", "water", "bridge", "gate", "wood", "stone", "point", "ridge", "works", "worth",
    "ford", "brook", "haven", "mill", "crest", "wick", "tech", "line", "core", "view",
)  # fmt: skip
_FORM = ("Ltd", "plc", "Group", "Holdings", "Ltd", "Ltd", "Systems", "Partners")


def _reps_frame() -> pd.DataFrame:
    reps = pd.DataFrame(
        {
            "rep": [r.rep for r in REPS],
            "team": [r.team for r in REPS],
            "manager": [r.manager for r in REPS],
            "region": [TERRITORIES[r.territory] for r in REPS],
            "territory": [r.territory for r in REPS],
            "start_date": pd.to_datetime([r.start_date for r in REPS]),
            "quota_per_quarter": [float(r.quota_per_quarter) for r in REPS],
        }
    )
    return reps


def _accounts_latent(seed: int, n: int) -> pd.DataFrame:
    """Accounts with their true (latent) traits; missing data is punched in later."""
    rng = named_stream(seed, "accounts")
    combos = rng.choice(len(_PREFIX) * len(_SUFFIX), size=n, replace=False)
    forms = rng.choice(len(_FORM), size=n)
    names = np.array(
        [
            f"{_PREFIX[c // len(_SUFFIX)]}{_SUFFIX[c % len(_SUFFIX)]} {_FORM[f]}"
            for c, f in zip(combos, forms, strict=True)
        ],
        dtype=object,
    )
    sector_names = list(SECTORS)
    sw = np.array([SECTORS[s][0] for s in sector_names])
    sector = rng.choice(len(sector_names), size=n, p=sw / sw.sum())
    med_rev = np.array([SECTORS[s][1] for s in sector_names])[sector]
    wallet_share = np.array([SECTORS[s][2] for s in sector_names])[sector]
    growth_mean = np.array([SECTORS[s][3] for s in sector_names])[sector]

    revenue = _round_to(med_rev * rng.lognormal(0.0, 1.1, n), 1e5)
    revenue = np.maximum(revenue, 1e6)
    rev_per_emp = 140_000 * rng.lognormal(0.0, 0.35, n)
    employees = np.maximum(np.round(revenue / rev_per_emp), 5)
    growth = np.round(rng.normal(growth_mean, 0.07, n), 3)
    wallet = _round_to(revenue * wallet_share * rng.lognormal(0.0, 0.4, n), 1000)

    terr_names = list(TERRITORIES)
    territory = rng.choice(len(terr_names), size=n, p=[0.27, 0.24, 0.28, 0.21])
    # relationship latent in [0, 1], weakly tied to size; about half are customers already
    rel = rng.beta(2.0, 2.2, n) + 0.04 * (np.log(revenue) - np.log(med_rev))
    rel = np.clip(rel, 0.0, 1.0)
    customer = rel > 0.45
    prior_share = np.where(customer, rng.beta(2, 6, n) * (0.4 + rel), 0.0)
    prior_recurring = _round_to(wallet * prior_share, 100)
    prior_install = _round_to(prior_recurring * rng.uniform(1.5, 3.5, n), 100)

    established = np.clip(np.round(2021 - rng.gamma(2.0, 16.0, n)), 1850, 2021).astype(int)
    seg = np.where(employees >= 1000, 0, np.where(employees >= 200, 1, 2))

    acc = pd.DataFrame(
        {
            "account_id": _ids("ACC", n, 4),
            "name": names,
            "sector": np.array(sector_names, dtype=object)[sector],
            "territory": np.array(terr_names, dtype=object)[territory],
            "revenue": revenue,
            "employees": employees,
            "growth": growth,
            "wallet": wallet,
            "year_established": established,
            "_rel": rel,
            "_customer": customer,
            "_prior_recurring": prior_recurring,
            "_prior_install": prior_install,
            "_seg": seg,
        }
    )
    acc["region"] = acc["territory"].map(TERRITORIES)
    # owners: within each territory, accounts split between its reps by their deal volume
    rng_o = named_stream(seed, "accounts.owner")
    owner = np.empty(n, dtype=object)
    for terr in terr_names:
        idx = np.flatnonzero(acc["territory"].to_numpy() == terr)
        idx = idx[rng_o.permutation(idx.size)]
        reps = [r for r in REPS if r.territory == terr]
        w = np.array([r.n_opps**0.7 for r in reps])
        counts = np.maximum(np.floor(idx.size * w / w.sum()).astype(int), 3)
        counts[np.argmax(counts)] += idx.size - counts.sum()
        owner[idx] = np.repeat([r.rep for r in reps], counts)
    acc["owner"] = owner
    return acc


# ---------------------------------------------------------------------------------------------
# opportunities and stage history


def _created_days(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Creation day and rep index of every deal (seasonal, weekdays, after the rep started)."""
    rng = named_stream(seed, "opportunities.created")
    days = np.arange(_START_D, _LAST_D + 1)
    dow = (days + 3) % 7
    trend = 1.0 + 0.25 * (days - _START_D) / (days.size - 1)
    w = _MONTH_WEIGHT[_month(days) - 1] * np.where(dow >= 5, 0.05, 1.0) * trend
    created, rep_idx = [], []
    for r, rep in enumerate(REPS):
        start = _day(rep.start_date)
        if rep.rep == "Isla Murray":
            c = start + np.array([3, 10, 24, 70, 88])
        else:
            m = days >= start + 14  # two weeks of onboarding before the first deal
            p = w * m
            c = rng.choice(days, size=rep.n_opps, p=p / p.sum())
        created.append(_weekday(c))
        rep_idx.append(np.full(c.size, r))
    return np.concatenate(created), np.concatenate(rep_idx)


def _opportunities(seed: int, acc: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    created, rep_i = _created_days(seed)
    order = np.lexsort((rep_i, created))
    created, rep_i = created[order], rep_i[order]
    n = created.size
    rep_names = np.array([r.rep for r in REPS], dtype=object)
    owner = rep_names[rep_i]

    def rep_attr(name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in REPS], dtype=float)[rep_i]

    # --- account: mostly one the rep owns, otherwise another in the rep's territory
    rng = named_stream(seed, "opportunities.account")
    acc_w = np.sqrt(acc["wallet"].to_numpy()) * (0.4 + 2.5 * acc["_rel"].to_numpy())
    acc_terr = acc["territory"].to_numpy()
    acc_owner = acc["owner"].to_numpy()
    account_i = np.empty(n, dtype=np.int64)
    for r, rep in enumerate(REPS):
        sel = np.flatnonzero(rep_i == r)
        own = np.flatnonzero(acc_owner == rep.rep)
        terr = np.flatnonzero(acc_terr == rep.territory)
        use_own = rng.random(sel.size) < 0.85
        pw = acc_w[own] / acc_w[own].sum()
        pt = acc_w[terr] / acc_w[terr].sum()
        account_i[sel] = np.where(
            use_own, rng.choice(own, size=sel.size, p=pw), rng.choice(terr, size=sel.size, p=pt)
        )
    seg_i = acc["_seg"].to_numpy()[account_i]
    customer = acc["_customer"].to_numpy()[account_i]

    # --- product, by segment
    rng = named_stream(seed, "opportunities.product")
    mix = np.array([p.mix for p in PRODUCTS]).T  # segment x product
    mix = mix / mix.sum(axis=1, keepdims=True)
    u = rng.random(n)
    prod_i = (u[:, None] > np.cumsum(mix[seg_i], axis=1)[:, :-1]).sum(axis=1)

    def prod_attr(name: str) -> np.ndarray:
        return np.array([getattr(p, name) for p in PRODUCTS], dtype=float)[prod_i]

    seg_names = np.array(SEGMENTS, dtype=object)
    seg_amount = np.array([SEGMENT_EFFECT[s][0] for s in SEGMENTS])[seg_i]
    seg_cycle = np.array([SEGMENT_EFFECT[s][1] for s in SEGMENTS])[seg_i]
    seg_logit = np.array([SEGMENT_EFFECT[s][2] for s in SEGMENTS])[seg_i]

    # --- value case and power sponsor (the stars build value cases far more often)
    rng = named_stream(seed, "opportunities.qualification")
    big = np.isin(prod_i, [0, 2])  # platform and managed service deals
    p_vc = np.clip(rep_attr("value_case_rate") * np.where(big, 1.15, 0.75), 0.02, 0.95)
    value_case = rng.random(n) < p_vc
    p_ps = np.clip(0.18 + 0.30 * value_case + 0.25 * (rep_attr("skill") > 0.25), 0.0, 0.9)
    power_sponsor = rng.random(n) < p_ps

    # --- outcome: the true one, revealed only if the deal finished before AS_OF
    rng = named_stream(seed, "opportunities.outcome")
    months_in = (created - np.array([_day(r.start_date) for r in REPS])[rep_i]) / 30.44
    ramp = -0.7 * np.exp(-months_in / 4.0)  # new reps win less for their first months
    logit = (
        _logit(prod_attr("base_win"))
        + seg_logit
        + VALUE_CASE_LOGIT * value_case
        + POWER_SPONSOR_LOGIT * power_sponsor
        + CUSTOMER_LOGIT * customer
        + rep_attr("skill")
        + ramp
    )
    won = rng.random(n) < _expit(logit)
    # the furthest open stage a lost deal reached (1 = Prospecting .. 4 = Negotiation)
    reach = np.where(won, 4, 1 + (rng.random(n)[:, None] > [0.33, 0.65, 0.88]).sum(axis=1))

    # --- cycle time (lognormal), stage dates
    rng = named_stream(seed, "opportunities.cycle")
    full = prod_attr("median_cycle") * seg_cycle * rep_attr("cycle") * rng.lognormal(0, 0.5, n)
    full = np.maximum(full, 14)
    lost_frac = np.where(won, 1.0, np.clip(0.25 + 0.18 * reach + rng.normal(0, 0.1, n), 0.15, 1))
    cycle = np.maximum(np.round(full * lost_frac), 7).astype(np.int64)
    frac = np.cumsum(rng.dirichlet([2.0, 2.0, 2.5, 2.0], n), axis=1)[:, :3]  # entries 2..4
    stage_day = created[:, None] + np.round(cycle[:, None] * frac).astype(np.int64)
    true_close = created + cycle

    # Isla Murray: three quick wins, two deals still open (the "3 out of 3" rep)
    isla = np.flatnonzero(owner == "Isla Murray")
    won[isla] = True
    reach[isla] = 4
    cycle[isla] = np.array([41, 50, 57, 95, 120])[: isla.size]
    true_close[isla] = created[isla] + cycle[isla]
    stage_day[isla] = created[isla, None] + np.round(cycle[isla, None] * [0.2, 0.45, 0.75])

    finished = true_close <= _LAST_D
    # stale deals: lost but never closed out in the CRM (stay open, expected date in the past)
    abandoned = finished & ~won & (rng.random(n) < rep_attr("abandon"))
    closed = finished & ~abandoned
    status = np.where(closed, np.where(won, "won", "lost"), "open").astype(object)
    observe_end = np.where(closed, true_close, _LAST_D)  # last day events can be seen

    # --- amounts
    rng = named_stream(seed, "opportunities.amount")
    amount0 = (
        prod_attr("median_amount")
        * seg_amount
        * rep_attr("size")
        * np.where(value_case, 1.12, 1.0)
        * rng.lognormal(0, prod_attr("amount_sigma"))
    )
    amount0 = np.maximum(_round_to(amount0, 100), 500.0)
    upsell = rng.random(n) < 0.15
    factor = np.where(
        won,
        np.where(upsell, rng.uniform(1.05, 1.5, n), 1.0 - rng.beta(2.0, 14.0, n)),
        np.where(rng.random(n) < 0.2, rng.lognormal(0.0, 0.2, n), 1.0),
    )
    amount1 = np.maximum(_round_to(amount0 * factor, 100), 500.0)
    amount_day = np.where(
        won,
        stage_day[:, 2] + np.round((true_close - stage_day[:, 2]) * rng.uniform(0.2, 0.8, n)),
        created + np.round(cycle * rng.uniform(0.3, 0.9, n)),
    ).astype(np.int64)
    # real exports: some reps zero the amount when they close a deal lost
    zero_lost = (status == "lost") & (rng.random(n) < 0.10)

    # --- expected close dates and their pushes (slippage)
    rng = named_stream(seed, "opportunities.slips")
    optimism = rng.normal(-rep_attr("optimism"), 0.3, n)
    expected0 = created + np.maximum(np.round(full * np.exp(optimism)), 14).astype(np.int64)
    max_push = np.where(abandoned, rng.integers(0, 3, n), 99)
    push_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    e = expected0.copy()
    n_push = np.zeros(n, dtype=np.int64)
    for _ in range(20):
        when = e + rng.integers(0, 8, n)  # the rep notices a few days after the date passes
        act = (e < observe_end) & (when < observe_end) & (n_push < max_push)
        if not act.any():
            break
        new_e = when + rng.integers(14, 71, n)
        push_rows.append((np.flatnonzero(act), when[act], new_e[act]))
        e = np.where(act, new_e, e)
        n_push += act

    # --- stage history: one row per event, then forward-fill the state
    ev_opp, ev_day, ev_kind, ev_stage, ev_amount, ev_close = [], [], [], [], [], []

    def add(i, day, kind, stage=None, amount=None, close=None):
        k = len(i)
        ev_opp.append(i)
        ev_day.append(day)
        ev_kind.append(np.full(k, kind))
        ev_stage.append(np.full(k, np.nan) if stage is None else np.asarray(stage, float))
        ev_amount.append(np.full(k, np.nan) if amount is None else np.asarray(amount, float))
        ev_close.append(np.full(k, np.nan) if close is None else np.asarray(close, float))

    all_i = np.arange(n)
    add(all_i, created, 0, np.zeros(n), amount0, expected0)
    for k in range(3):  # entering Qualification, Proposal, Negotiation
        ok = (reach > k + 1) & (stage_day[:, k] <= observe_end)
        add(all_i[ok], stage_day[ok, k], 1, np.full(ok.sum(), k + 1))
    ok = (amount1 != amount0) & (amount_day <= observe_end) & ~zero_lost
    add(all_i[ok], amount_day[ok], 2, amount=amount1[ok])
    for i, day, close in push_rows:
        add(i, day, 3, close=close)
    fin_stage = np.where(won, 4, 5)
    fin_amount = np.where(zero_lost, 0.0, np.where(won, amount1, amount0))
    add(all_i[closed], true_close[closed], 4, fin_stage[closed], fin_amount[closed],
        true_close[closed])  # fmt: skip

    h = pd.DataFrame(
        {
            "i": np.concatenate(ev_opp),
            "day": _weekday(np.concatenate(ev_day)),
            "kind": np.concatenate(ev_kind),
            "stage_i": np.concatenate(ev_stage),
            "amount": np.concatenate(ev_amount),
            "close": np.concatenate(ev_close),
        }
    )
    h = h.sort_values(["i", "day", "kind"], kind="stable").reset_index(drop=True)
    h[["stage_i", "amount", "close"]] = h.groupby("i")[["stage_i", "amount", "close"]].ffill()
    h["close"] = _weekday(h["close"].to_numpy().astype(np.int64))
    stage_names = np.array([*OPEN_STAGES, WON_STAGE, LOST_STAGE], dtype=object)

    opp_ids = _ids("OPP", n, 5)
    acc_ids = acc["account_id"].to_numpy()
    acc_names = acc["name"].to_numpy()
    prod_names = np.array([p.name for p in PRODUCTS], dtype=object)

    last = h.groupby("i").tail(1).set_index("i").sort_index()
    first = h.groupby("i").head(1).set_index("i").sort_index()
    stage = stage_names[last["stage_i"].to_numpy().astype(int)]
    close_date = last["close"].to_numpy().astype(np.int64)

    # --- blank accounts on some early open deals (as real exports have)
    rng = named_stream(seed, "opportunities.blank_account")
    blank = (status == "open") & (stage == "Prospecting") & (rng.random(n) < 0.3)
    account = np.where(blank, None, acc_ids[account_i])
    name = np.where(
        blank,
        [f"{p} - new prospect" for p in prod_names[prod_i]],
        [f"{a} - {p}" for a, p in zip(acc_names[account_i], prod_names[prod_i], strict=True)],
    )

    # --- forecast category
    rng = named_stream(seed, "opportunities.forecast_category")
    u = rng.random(n)
    overdue = (status == "open") & (close_date < _AS_OF_D)
    fc = np.select(
        [
            status == "won",
            status == "lost",
            overdue & (u < 0.4),
            stage == "Negotiation",
            stage == "Proposal",
        ],
        [
            "commit",
            "omitted",
            "omitted",
            np.where(u < 0.7, "commit", "best_case"),
            np.where(u < 0.45, "best_case", "pipeline"),
        ],
        default="pipeline",
    )
    engaged = np.where(reach > 1, stage_day[:, 0], -1)
    engaged = np.where((engaged >= 0) & (engaged <= observe_end), _weekday(engaged), -1)

    opps = pd.DataFrame(
        {
            "opportunity_id": opp_ids,
            "account": account,
            "stage": stage,
            "status": status,
            "amount": last["amount"].to_numpy(),
            "created": _dates(created),
            "close_date": _dates(close_date),
            "owner": owner,
            "product": prod_names[prod_i],
            "name": name,
            "currency": CURRENCY,
            "probability": pd.Series(stage).map(STAGE_PROBABILITY).to_numpy(),
            "forecast_category": fc,
            "segment": seg_names[seg_i],
            "original_amount": first["amount"].to_numpy(),
            "engaged": _dates(np.where(engaged >= 0, engaged, np.nan)),
            "territory": acc["territory"].to_numpy()[account_i],
            "has_value_case": np.where(value_case, "yes", "no"),
            "has_power_sponsor": np.where(power_sponsor, "yes", "no"),
        }
    )
    hist = pd.DataFrame(
        {
            "change_id": _ids("CH", len(h), 6),
            "opportunity_id": opp_ids[h["i"].to_numpy()],
            "changed": _dates(h["day"].to_numpy()),
            "stage": stage_names[h["stage_i"].to_numpy().astype(int)],
            "amount": h["amount"].to_numpy(),
            "close_date": _dates(h["close"].to_numpy()),
        }
    )
    # latent columns the account and lead steps need (dropped before writing)
    opps["_account_i"] = account_i
    opps["_customer"] = customer
    opps["_recurring"] = np.array([p.recurring for p in PRODUCTS])[prod_i]
    opps["_last_change"] = _dates(last["day"].to_numpy())
    return opps, hist


# ---------------------------------------------------------------------------------------------
# account relationship signals, missing data


def _finish_accounts(seed: int, acc: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
    rng = named_stream(seed, "accounts.signals")
    n = len(acc)
    as_of = AS_OF.to_datetime64()
    won = opps[(opps["status"] == "won") & opps["account"].notna()]
    ai = won["_account_i"].to_numpy()
    amt = won["amount"].to_numpy()
    close = won["close_date"].to_numpy()
    rec = won["_recurring"].to_numpy()
    lic = won["product"].isin(["Core Platform", "Analytics Add-on"]).to_numpy()
    last12 = close >= as_of - np.timedelta64(365, "D")
    last24 = close >= as_of - np.timedelta64(730, "D")

    def per_account(mask: np.ndarray, values: np.ndarray | float = 1.0) -> np.ndarray:
        w = np.broadcast_to(values, mask.shape)[mask]
        return np.bincount(ai[mask], weights=w, minlength=n)

    recurring = acc["_prior_recurring"].to_numpy() + per_account(rec, amt)
    install = acc["_prior_install"].to_numpy() + per_account(lic, amt)
    spend = recurring + per_account(~rec & last12, amt)
    projects = per_account(last24)
    customer = (recurring > 0) | (install > 0)
    rel = acc["_rel"].to_numpy()

    wallet = acc["wallet"].to_numpy().copy()
    over = spend > wallet
    refreshed = over & (rng.random(n) < 0.85)  # most estimates were revised after the win
    wallet = np.where(refreshed, _round_to(spend * rng.uniform(1.15, 2.5, n), 1000), wallet)
    # ... but a few estimates are stale: the account already spends more than the estimate
    stale = np.flatnonzero(spend > 0)
    stale = stale[rng.permutation(stale.size)[: max(n // 100, 1)]]
    wallet[stale] = _round_to(spend[stale] * rng.uniform(0.6, 0.95, stale.size), 1000)

    sat = np.clip(np.round(rng.normal(4.0 + 5.0 * rel, 1.2, n) * 2) / 2, 0, 10)
    sat = np.where(customer & (rng.random(n) >= 0.12), sat, np.nan)
    kp = np.minimum(rng.poisson(0.3 + 4.0 * rel * customer + 0.4 * np.minimum(projects, 5)), 12)

    opp_ai = opps.loc[opps["account"].notna(), "_account_i"].to_numpy()
    opp_last = opps.loc[opps["account"].notna(), "_last_change"].to_numpy().astype("int64")
    last_act = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_act, opp_ai, opp_last)
    no_opp = last_act == np.iinfo(np.int64).min
    fallback = as_of - rng.integers(20, 900, n).astype("timedelta64[D]")
    never = no_opp & ~customer & (rng.random(n) < 0.5)
    last_activity = np.where(no_opp, fallback, last_act.astype("datetime64[ns]"))
    last_activity = np.where(never, np.datetime64("NaT"), last_activity)

    out = pd.DataFrame(
        {
            "account_id": acc["account_id"],
            "name": acc["name"],
            "sector": acc["sector"],
            "region": acc["region"],
            "territory": acc["territory"],
            "owner": acc["owner"],
            "revenue": acc["revenue"].astype(float),
            "employees": acc["employees"].astype(float),
            "growth": acc["growth"],
            "wallet": wallet,
            "current_spend": spend,
            "install_base": install,
            "recurring_revenue": recurring,
            "recent_projects": projects,
            "satisfaction": sat,
            "key_players_engaged": kp.astype(float),
            "last_activity": pd.to_datetime(last_activity).normalize(),
            "year_established": acc["year_established"].astype("Int64"),
            "subsidiary_of": pd.Series([None] * n, dtype=object),
        }
    )
    # a few subsidiaries of larger accounts
    rng = named_stream(seed, "accounts.missing")
    big = np.flatnonzero(out["revenue"].to_numpy() > np.quantile(out["revenue"], 0.85))
    subs = rng.choice(np.setdiff1d(np.arange(n), big), size=max(n // 25, 1), replace=False)
    out.loc[subs, "subsidiary_of"] = out["name"].to_numpy()[rng.choice(big, size=subs.size)]
    # deliberately missing data; accounts with open deals are spared so segments stay mixed
    perm = rng.permutation(n)
    k_both = round(0.04 * n)
    out.loc[perm[:k_both], ["revenue", "employees", "wallet"]] = np.nan
    out.loc[perm[k_both : k_both + round(0.03 * n)], "employees"] = np.nan
    out.loc[rng.random(n) < 0.06, "growth"] = np.nan
    out.loc[rng.random(n) < 0.03, "year_established"] = pd.NA
    return out


# ---------------------------------------------------------------------------------------------
# leads


def _leads(seed: int, opps: pd.DataFrame, acc: pd.DataFrame) -> pd.DataFrame:
    rng = named_stream(seed, "leads")
    src_names = list(LEAD_SOURCES)
    share = np.array([LEAD_SOURCES[s][0] for s in src_names])
    conv = np.array([LEAD_SOURCES[s][1] for s in src_names])
    created_opp = (opps["created"].to_numpy().astype("datetime64[D]") - _EPOCH_DAY).astype(int)
    # about half of the deals came from a lead (more of them at new accounts)
    p_lead = np.where(opps["_customer"].to_numpy(), 0.35, 0.6)
    from_lead = (rng.random(len(opps)) < p_lead) & (created_opp >= _START_D + 50)
    conv_i = np.flatnonzero(from_lead)
    k = conv_i.size
    ps = share * conv / (share * conv).sum()
    src_conv = rng.choice(len(src_names), size=k, p=ps)
    lead_day = created_opp[conv_i] - rng.integers(10, 50, k)
    qual_day = lead_day + rng.integers(1, 10, k)

    # unconverted leads: per source, as many as the conversion rate implies
    n_other = np.round(np.bincount(src_conv, minlength=len(src_names)) * (1 - conv) / conv)
    src_other = np.repeat(np.arange(len(src_names)), n_other.astype(int))
    m = src_other.size
    days = np.arange(_START_D, _LAST_D + 1)
    w = _MONTH_WEIGHT[_month(days) - 1] * np.where((days + 3) % 7 >= 5, 0.3, 1.0)
    other_day = rng.choice(days, size=m, p=w / w.sum())
    age = _LAST_D - other_day
    u = rng.random(m)
    state_other = np.where(
        (age < 21) & (u < 0.7),
        "new",
        np.where(u < 0.72, "disqualified", np.where(u < 0.82, "qualified_lead", "suspect")),
    )
    # leads arriving in the last weeks are partly still new
    state_other = np.where((age < 21) & (u >= 0.7) & (u < 0.85), "qualified_lead", state_other)
    qualified = np.isin(state_other, ["qualified_lead", "suspect"])
    other_qual = np.where(qualified, np.minimum(other_day + rng.integers(1, 15, m), _LAST_D), -1)

    def flag(p_yes: float, p_blank: float, size: int) -> np.ndarray:
        v = rng.random(size)
        return np.where(v < p_blank, None, np.where(v < p_blank + p_yes, "yes", "no"))

    in_mkt = np.select(
        [state_other == "new", state_other == "disqualified"],
        [np.full(m, None), flag(0.35, 0.15, m)],
        default="yes",
    )
    budget = np.select(
        [state_other == "new", state_other == "disqualified", state_other == "suspect"],
        [np.full(m, None), flag(0.3, 0.35, m), flag(0.6, 0.1, m)],
        default=flag(0.5, 0.5, m),
    )
    timeframe = np.select(
        [state_other == "new", state_other == "disqualified", state_other == "suspect"],
        [np.full(m, None), flag(0.25, 0.45, m), flag(0.0, 0.4, m)],
        default=flag(0.3, 0.6, m),
    )
    # a disqualified lead failed at least one criterion
    dq = state_other == "disqualified"
    all_ok = (in_mkt != "no") & (budget != "no") & (timeframe != "no")
    in_mkt = np.where(dq & all_ok, "no", in_mkt)

    acc_ids = acc["account_id"].to_numpy()
    p_acc = np.select(
        [state_other == "suspect", state_other == "qualified_lead", state_other == "new"],
        [0.7, 0.4, 0.05],
        default=0.1,
    )
    other_acc = np.where(rng.random(m) < p_acc, acc_ids[rng.integers(0, len(acc_ids), m)], None)
    # owner: telemarketer while being qualified; the account's rep once a suspect
    acc_owner = dict(zip(acc["account_id"], acc["owner"], strict=True))
    tm = np.array(TELEMARKETERS, dtype=object)[rng.integers(0, len(TELEMARKETERS), m)]
    rep_names = np.array([r.rep for r in REPS if r.n_opps >= 100], dtype=object)
    rand_rep = rep_names[rng.integers(0, rep_names.size, m)]
    other_owner = np.where(
        state_other == "suspect",
        [
            acc_owner.get(a, r) if a is not None else r
            for a, r in zip(other_acc, rand_rep, strict=True)
        ],
        tm,
    )

    conv_opps = opps.iloc[conv_i]
    leads = pd.DataFrame(
        {
            "source": np.concatenate(
                [np.array(src_names, dtype=object)[src_conv], np.array(src_names)[src_other]]
            ),
            "created": np.concatenate([lead_day, other_day]),
            "state": np.concatenate([np.full(k, "qualified_opportunity"), state_other]),
            "account": np.concatenate([conv_opps["account"].to_numpy(), other_acc]),
            "owner": np.concatenate([conv_opps["owner"].to_numpy(), other_owner]),
            "qualified": np.concatenate([qual_day, other_qual]),
            "opportunity_id": np.concatenate(
                [conv_opps["opportunity_id"].to_numpy(), np.full(m, None)]
            ),
            "in_market": np.concatenate([np.full(k, "yes"), in_mkt]),
            "has_budget": np.concatenate([np.full(k, "yes"), budget]),
            "timeframe": np.concatenate([np.full(k, "yes"), timeframe]),
        }
    )
    leads["created"] = _weekday(leads["created"].to_numpy())
    leads = leads.sort_values(["created", "source", "state"], kind="stable").reset_index(drop=True)
    q = leads["qualified"].to_numpy().astype(float)
    q = np.where(q >= 0, np.maximum(_weekday(np.where(q >= 0, q, 0)), leads["created"]), np.nan)
    leads["qualified"] = _dates(q)
    leads["created"] = _dates(leads["created"].to_numpy())
    leads.insert(0, "lead_id", _ids("L", len(leads), 5))
    return leads


# ---------------------------------------------------------------------------------------------
# data/README.md

_UNITS = {
    "accounts.csv": {
        "account_id": ("", "unique id, `ACC0001` ..."),
        "name": ("", "company name (fictional)"),
        "sector": ("", "one of " + ", ".join(SECTORS)),
        "region": ("", "North or South"),
        "territory": ("", "North East, North West, South East or South West"),
        "owner": ("", "account owner, a rep in `reps.csv`"),
        "revenue": ("GBP/year", "company's annual revenue; blank for 4% of accounts"),
        "employees": ("people", "headcount; blank for 7% of accounts"),
        "growth": ("fraction/year", "annual revenue growth (0.05 = 5%); blank for ~6%"),
        "wallet": ("GBP/year", "estimated annual spend on our kind of offering"),
        "current_spend": (
            "GBP/year",
            "spend with us now: recurring revenue + one-off wins of "
            "the last 12 months; 0 = not a customer",
        ),
        "install_base": ("GBP", "value of our platform/analytics products installed"),
        "recurring_revenue": ("GBP/year", "annual recurring revenue (subscriptions, service)"),
        "recent_projects": ("count", "deals won in the 24 months before AS_OF"),
        "satisfaction": ("0-10", "last survey score; blank for non-customers and unsurveyed"),
        "key_players_engaged": ("count", "key players we have a relationship with"),
        "last_activity": (
            "date",
            "last change on any of the account's deals (or older "
            "activity); blank = never contacted",
        ),
        "year_established": ("year", "year the company was founded; blank for ~3%"),
        "subsidiary_of": ("", "name of the parent account, for a few subsidiaries"),
    },
    "opportunities.csv": {
        "opportunity_id": ("", "unique id, `OPP00001` ... in order of creation"),
        "account": ("", "account_id; blank on some early-stage open deals"),
        "stage": ("", "CRM stage: " + ", ".join([*OPEN_STAGES, WON_STAGE, LOST_STAGE])),
        "status": ("", "open, won or lost"),
        "amount": ("GBP", "current deal value (won: booked value; 0 on some lost deals)"),
        "created": ("date", "date the opportunity was created"),
        "close_date": ("date", "actual close (won/lost) or expected close (open)"),
        "owner": ("", "sales rep, a rep in `reps.csv`"),
        "product": ("", "one of " + ", ".join(p.name for p in PRODUCTS)),
        "name": ("", "opportunity name, `<account name> - <product>`"),
        "currency": ("", "always GBP"),
        "probability": ("0-1", "the CRM's stage probability"),
        "forecast_category": ("", "commit, best_case, pipeline or omitted"),
        "segment": ("", "market segment from the account's size: " + ", ".join(SEGMENTS)),
        "original_amount": ("GBP", "amount first entered when the deal was created"),
        "engaged": ("date", "date the deal entered Qualification; blank before"),
        "territory": ("", "the account's territory"),
        "has_value_case": ("yes/no", "a value case was built for the customer"),
        "has_power_sponsor": ("yes/no", "a power sponsor is engaged"),
    },
    "stage_history.csv": {
        "change_id": ("", "unique id, `CH000001` ..., in order of opportunity then date"),
        "opportunity_id": ("", "the opportunity that changed"),
        "changed": ("date", "date of the change"),
        "stage": ("", "stage after the change"),
        "amount": ("GBP", "amount after the change"),
        "close_date": (
            "date",
            "expected (or, on the closing row, actual) close date after the change",
        ),
    },
    "leads.csv": {
        "lead_id": ("", "unique id, `L00001` ..., in order of arrival"),
        "source": ("", "web, event, referral, partner or outbound"),
        "created": ("date", "date the lead arrived"),
        "state": ("", "new, qualified_lead, suspect, qualified_opportunity or disqualified"),
        "account": ("", "account_id once known (blank for most unqualified leads)"),
        "owner": ("", "telemarketer (" + ", ".join(TELEMARKETERS) + ") or rep"),
        "qualified": ("date", "date telemarketing qualified the lead; blank if never"),
        "opportunity_id": ("", "the opportunity a qualified_opportunity lead became"),
        "in_market": ("yes/no", "is in the market; blank = not asked yet"),
        "has_budget": ("yes/no", "has budget; blank = not asked yet"),
        "timeframe": ("yes/no", "will buy in a reasonable time; blank = not asked yet"),
    },
    "reps.csv": {
        "rep": ("", "sales rep (owner in the other files)"),
        "team": ("", "team (one per territory)"),
        "manager": ("", "the team's sales manager"),
        "region": ("", "North or South"),
        "territory": ("", "the rep's territory"),
        "start_date": ("date", "date the rep joined (ramp-up: new reps win less at first)"),
        "quota_per_quarter": ("GBP/quarter", "bookings quota of a fully ramped quarter"),
    },
}

_DTYPES = {"str": "text", "float": "number", "int": "integer", "date": "date (yyyy-mm-dd)",
           "category": "text (category)"}  # fmt: skip
_REPS_DTYPES = {"start_date": "date", "quota_per_quarter": "float"}


def _column_table(fname: str, frame: pd.DataFrame) -> str:
    schema = {
        "accounts.csv": ACCOUNTS,
        "opportunities.csv": OPPORTUNITIES,
        "stage_history.csv": STAGE_HISTORY,
        "leads.csv": LEADS,
    }.get(fname)
    rows = ["| column | type | unit | meaning |", "|---|---|---|---|"]
    for col in frame.columns:
        dtype = schema.column(col).dtype if schema else _REPS_DTYPES.get(col, "str")
        unit, meaning = _UNITS[fname][col]
        rows.append(f"| `{col}` | {_DTYPES[dtype]} | {unit} | {meaning} |")
    return "\n".join(rows)


def _reflow(markdown: str, width: int = 96) -> str:
    """Rewrap the prose paragraphs and bullet items of ``markdown``; keep headings and tables."""
    blocks = []
    for block in markdown.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if lines[0].startswith(("|", "#")):
            blocks.append(block)
            continue
        wrap = functools.partial(
            textwrap.fill, width=width, break_long_words=False, break_on_hyphens=False
        )
        if lines[0].startswith("- "):
            items: list[list[str]] = []
            for line in lines:
                if line.startswith("- "):
                    items.append([line[2:]])
                else:
                    items[-1].append(line.strip())
            blocks.append(
                "\n".join(
                    wrap(" ".join(i), initial_indent="- ", subsequent_indent="  ") for i in items
                )
            )
        else:
            blocks.append(wrap(" ".join(line.strip() for line in lines)))
    return "\n\n".join(blocks) + "\n"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def readme_text(tables: dict[str, pd.DataFrame], seed: int) -> str:
    """Return ``data/README.md`` for the generated ``tables`` (figures measured on them)."""
    acc = tables["accounts.csv"]
    opp = tables["opportunities.csv"]
    hist = tables["stage_history.csv"]
    leads = tables["leads.csv"]
    closed = opp[opp["status"] != "open"]
    is_won = closed["status"] == "won"
    open_ = opp[opp["status"] == "open"]

    def win(mask: pd.Series) -> str:
        return f"{_pct(is_won[mask].mean())} of {int(mask.sum())}"

    vc = closed["has_value_case"] == "yes"
    reached = hist.loc[hist["stage"] == "Negotiation", "opportunity_id"].unique()
    neg = closed["opportunity_id"].isin(reached)
    ps = closed["has_power_sponsor"] == "yes"
    reps = closed.groupby("owner", observed=True).agg(
        closed=("status", "size"), won=("status", lambda s: int((s == "won").sum()))
    )
    reps["win rate"] = (reps["won"] / reps["closed"]).map(_pct)
    won = opp[opp["status"] == "won"]
    reps["avg won GBP"] = won.groupby("owner")["amount"].mean().round(-2).map("{:,.0f}".format)
    cyc = (closed["close_date"] - closed["created"]).dt.days
    reps["median cycle (days)"] = cyc.groupby(closed["owner"]).median().round(0).astype(int)
    reps["value-case share"] = (
        opp.groupby("owner")["has_value_case"].apply(lambda s: (s == "yes").mean()).map(_pct)
    )
    reps["open"] = open_.groupby("owner").size().reindex(reps.index).fillna(0).astype(int)
    reps = reps.reindex([r.rep for r in REPS])
    quarter = won["close_date"].dt.to_period("Q")
    booked = won[quarter >= pd.Period("2025Q1")].groupby(["owner", quarter])["amount"].sum()
    hits = []
    for r in REPS:
        first = max(pd.Period("2025Q1"), pd.Timestamp(r.start_date).to_period("Q") + 1)
        qs = pd.period_range(first, (AS_OF - pd.Timedelta(days=1)).to_period("Q"), freq="Q")
        got = booked.get(r.rep, pd.Series(dtype=float)).reindex(qs, fill_value=0.0)
        hits.append(f"{int((got >= r.quota_per_quarter).sum())} of {len(qs)}")
    reps["quota hit"] = hits
    rep_rows = [
        "| rep | closed | won | win rate | avg won GBP | median cycle (days) "
        "| value-case share | open | quota hit |",
        "|" + "---|" * 9,
    ]
    for name, r in reps.iterrows():
        rep_rows.append(
            f"| {name} | {r['closed']} | {r['won']} | {r['win rate']} | {r['avg won GBP']} | "
            f"{r['median cycle (days)']} | {r['value-case share']} | {r['open']} | "
            f"{r['quota hit']} |"
        )
    prod_rows = ["| product | closed | win rate | median won GBP | median cycle (days) |",
                 "|---|---|---|---|---|"]  # fmt: skip
    for p in PRODUCTS:
        m = closed["product"] == p.name
        prod_rows.append(
            f"| {p.name} | {int(m.sum())} | {_pct(is_won[m].mean())} | "
            f"{won.loc[won['product'] == p.name, 'amount'].median():,.0f} | "
            f"{cyc[m & is_won].median():.0f} |"
        )
    prev = hist.groupby("opportunity_id")["close_date"].shift()
    later = (hist["close_date"] > prev) & (hist["stage"].isin(OPEN_STAGES))
    pushed = later.groupby(hist["opportunity_id"]).sum()
    overdue = int((open_["close_date"] < AS_OF).sum())
    n_leads = len(leads)
    qualified = leads["state"].isin(["qualified_lead", "suspect", "qualified_opportunity"])
    converted = leads["state"] == "qualified_opportunity"
    src_rows = ["| source | leads | qualified | became an opportunity |", "|---|---|---|---|"]
    for src in LEAD_SOURCES:
        m = leads["source"] == src
        src_rows.append(
            f"| {src} | {int(m.sum())} | {_pct(qualified[m].mean())} | "
            f"{_pct(converted[m].mean())} |"
        )
    zero_lost = int(((opp["status"] == "lost") & (opp["amount"] == 0)).sum())
    no_potential = int((acc["revenue"].isna() & acc["employees"].isna()).sum())
    over_wallet = int((acc["current_spend"] > acc["wallet"]).sum())

    sections = []
    for fname, frame in tables.items():
        sections.append(
            f"### `{fname}` ({len(frame):,} rows)\n\n{_FILE_INTRO[fname]}\n\n"
            + _column_table(fname, frame)
        )
    files = "\n\n".join(sections)
    return _reflow(f"""# Sample data

Fictional CRM exports of a B2B company that sells five products in the UK, generated by
`salesworkbench/datasets/generate.py` with seed **{seed}**. The sample's "today" (`AS_OF`) is
**{AS_OF:%Y-%m-%d}**: the files are what a CRM export taken at the start of that day shows.
Opportunities and leads were created from {HISTORY_START:%Y-%m-%d} to the day before `AS_OF`.
All amounts are in **GBP**; dates are ISO `yyyy-mm-dd`; blank cells are missing values.

Regenerate with `make data` (or `python -m salesworkbench.datasets.generate --out data --seed
{seed}`): the same seed writes byte-identical files. This README is written by the generator
too; the figures below are measured on the files. Load the tables with
`salesworkbench.datasets.load_accounts()`, `load_opportunities()`, `load_stage_history()`,
`load_leads()` and `load_reps()`, which return the canonical schemas of
`salesworkbench.schemas`. `value_cases/` and `reference_customers.csv` are not generated here.

## Files

{files}

## Deliberate quirks (as real exports have them)

- **Missing potential data**: {no_potential} accounts have neither revenue nor employees (nor a
  wallet estimate), so their business potential cannot be assessed (`insufficient_data`, Delta);
  another {int(acc["employees"].isna().sum()) - no_potential} lack only employees,
  {int(acc["growth"].isna().sum())} lack growth and {int(acc["year_established"].isna().sum())}
  the founding year. Satisfaction is blank for {int(acc["satisfaction"].isna().sum())} accounts
  (non-customers, and customers never surveyed).
- **Current spend above the wallet estimate** at {over_wallet} account(s): the estimate is stale.
- **Blank account** on {int(opp["account"].isna().sum())} open deals, all at Prospecting (the rep
  has not linked the company yet); closed deals always have an account.
- **Overdue open deals**: {overdue} of the {len(open_)} open deals have an expected close date
  before `AS_OF`. Most are stale deals that were lost in reality but never closed out in the CRM
  (James O'Neill leaves the most), so a forecast should not trust them at face value.
- **Slips**: {_pct((pushed > 0).mean())} of the deals had their expected close date pushed at
  least once ({int(pushed.sum()):,} pushes in `stage_history.csv`); reps notice a missed date a
  few days later and push it 2 to 10 weeks. Optimistic reps slip more.
- **Amount changes**: won deals are usually discounted in negotiation (about 12%), some are
  upsized; `original_amount` keeps the first amount.
- **Lost deals with amount 0**: {zero_lost} lost deals were zeroed when closed (their value is
  in `original_amount`, and in the history).
- **Weekends**: deals are created and closed on working days only (weekend dates move to the
  Friday before).
- **Start of the window**: deals created before {HISTORY_START:%Y-%m-%d} are not in the export,
  so fewer deals close in the first months.

## Built-in effects (what an analyst should find)

- **Win rate**: {_pct(is_won.mean())} of {len(closed):,} closed deals were won.
- **Value case and power sponsor**: deals with a value case win {win(vc)} closed, without
  {win(~vc)}; with a power sponsor {win(ps)}, without {win(~ps)}; with both {win(vc & ps)},
  with neither {win(~vc & ~ps)}. (Generator: +{VALUE_CASE_LOGIT} and +{POWER_SPONSOR_LOGIT} on
  the log-odds of winning.)
- **Existing customers** win more often: deals at accounts that were customers before 2024
  get +{CUSTOMER_LOGIT} on the log-odds. (Measure it with care: `accounts.csv` shows today's
  install base, and a win also creates an install base.)
- **Segments**: Enterprise deals are larger, slower and win less often: Enterprise
  {win(closed["segment"] == "Enterprise")}, Mid-market {win(closed["segment"] == "Mid-market")},
  SMB {win(closed["segment"] == "SMB")}.
- **Products** differ in win rate, size (lognormal amounts) and cycle time (lognormal):

{chr(10).join(prod_rows)}

- **Reps** differ for real: Amelia Hart and Ravi Patel are the stars (higher skill, far more
  value cases, larger deals, shorter cycles; Grace Okafor is close behind); James O'Neill is a
  weak veteran (few value cases, long cycles, many stale deals). Sample sizes differ on
  purpose: Marcus Reid joined in May 2026 with about ten deals, and Isla Murray (June 2026)
  won 3 of 3, which must not make her a star. New reps ramp: their win odds are lower for the
  first months (Daniel Kim started in April 2024, Chloe Evans in February 2025).

{chr(10).join(rep_rows)}

- **Seasonality** (mild): fewer deals are created in August and December, more in March,
  September and October; volume grows about 25% over the window.
- **Stage reached** predicts the outcome: most lost deals die at Prospecting or Qualification;
  closed deals that reached Negotiation won {win(neg)}, the others {win(~neg)}.
- **Quotas**: `quota_per_quarter` is the same order as a ramped rep's bookings; bookings are
  lumpy (big deals), the stars beat quota in most quarters, most others in fewer than half (the
  `quota hit` column counts the full quarters since 2025 after the rep's start).
- **Lead funnel**: {n_leads:,} leads; {_pct(qualified.mean())} were qualified by
  telemarketing, {_pct(converted.mean())} became an opportunity
  ({int(converted.sum()):,} of the {len(opp):,} opportunities came from a lead; the rest were
  found by the reps). Referrals and partners convert best, outbound worst:

{chr(10).join(src_rows)}
""")


_FILE_INTRO = {
    "accounts.csv": "One row per account: firmographics and potential drivers (revenue, "
    "employees, growth, wallet), the current business (spend, install base, recurring revenue) "
    "and relationship signals. The relationship signals are consistent with the won deals in "
    "`opportunities.csv` plus business from before 2024.",
    "opportunities.csv": "One row per opportunity (deal), as it stood on `AS_OF`; canonical "
    "`OPPORTUNITIES` schema.",
    "stage_history.csv": "Every change of stage, amount or expected close date, one row per "
    "change; the first row of a deal is its creation, the last row equals its row in "
    "`opportunities.csv`.",
    "leads.csv": "One row per lead, with its qualification state and flags; converted leads "
    "link to their opportunity.",
    "reps.csv": "The sales team: one row per rep (not a canonical schema; "
    "`salesworkbench.datasets.load_reps()` reads it).",
}


# ---------------------------------------------------------------------------------------------
# public entry points


def generate(seed: int = DEFAULT_SEED, n_accounts: int = 500) -> dict[str, pd.DataFrame]:
    """Generate the sample tables in memory.

    Parameters
    ----------
    seed : int, default 2024
        Seed; the same seed gives the same tables.
    n_accounts : int, default 500
        Number of accounts (the rest of the data does not scale with it).

    Returns
    -------
    dict of str to DataFrame
        Canonical tables keyed by file name (``"accounts.csv"`` ...), as written by :func:`write`.
    """
    acc = _accounts_latent(seed, n_accounts)
    opps, hist = _opportunities(seed, acc)
    accounts = _finish_accounts(seed, acc, opps)
    leads = _leads(seed, opps, acc)
    opps = opps[[c for c in opps.columns if not c.startswith("_")]]
    return {
        "accounts.csv": ACCOUNTS.coerce(accounts),
        "opportunities.csv": OPPORTUNITIES.coerce(opps),
        "stage_history.csv": STAGE_HISTORY.coerce(hist),
        "leads.csv": LEADS.coerce(leads),
        "reps.csv": _reps_frame(),
    }


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_write(path, "w", newline="") as fh:
        frame.to_csv(
            fh, index=False, date_format="%Y-%m-%d", float_format="%.12g", lineterminator="\n"
        )


def write(out: str | Path = "data", seed: int = DEFAULT_SEED) -> list[Path]:
    """Generate the sample data and write the CSV files and ``README.md`` into ``out``.

    Parameters
    ----------
    out : path-like, default "data"
        Directory to write into (created if missing). Other files there are left alone.
    seed : int, default 2024
        Seed of the generator.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out)
    tables = generate(seed)
    paths = []
    for fname, frame in tables.items():
        _write_csv(frame, out / fname)
        paths.append(out / fname)
    with atomic_write(out / "README.md", "w", newline="") as fh:
        fh.write(readme_text(tables, seed))
    paths.append(out / "README.md")
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m salesworkbench.datasets.generate --out data --seed 2024``."""
    parser = argparse.ArgumentParser(
        prog="python -m salesworkbench.datasets.generate",
        description="Write the seeded sample CSVs and their README into a directory.",
    )
    parser.add_argument("--out", default="data", help="output directory (default: data)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed (default: 2024)")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    paths = write(args.out, args.seed)
    for p in paths:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
