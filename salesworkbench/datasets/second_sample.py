"""A second synthetic CRM export, built on other assumptions than the bundled sample.

The bundled sample (:mod:`salesworkbench.datasets.generate`) is what the workbench was written
against, so it is weak evidence that the workbench is right. This generator makes a company
that differs in every way the analyses care about, to test them on data they were not tuned on:

===========================  ==================================  =============================
                             bundled sample                      this generator
===========================  ==================================  =============================
company, currency            UK B2B software, GBP                German fleet software, EUR
dates                        2024-01 to 2026-10                  2020-01 to 2023-07
column and stage names       canonical                           a HubSpot-like export that
                                                                 needs a mapping file
deal creation                steady                              trend (+20 %/year) and
                                                                 seasonality (Q1 high, August
                                                                 and December low)
cycle length                 one lognormal per product           bimodal: quick small deals
                                                                 (~3 weeks) and long fleet
                                                                 roll-outs (~5 months)
deals that are never closed  none: every lost deal is closed     about 30 % of lost deals stay
                                                                 open in the CRM for ever,
                                                                 their close date pushed
win rate                     by product, rep and value case      by segment and deal age only
leads                        yes                                 none (sections that need leads
                                                                 must say so and skip)
===========================  ==================================  =============================

Nothing here is fitted to the workbench's models. ``write(out)`` writes ``deals.csv``,
``companies.csv``, ``deal_history.csv``, ``owners.csv``, ``mapping.yaml`` (the mapping the
importer needs, with ``currency: EUR``) and ``value_case.yaml`` (:data:`VALUE_CASE`: a
fleet-telematics value case for one of the seller's customers, in EUR, whose assumptions are
named nothing like the bundled telecom case's, so that notebooks cannot rely on ``adoption``
or ``arpu_after``); :func:`truth` returns what really happened to every deal, including those the
CRM never closed, so forecasts can be scored against it.

Command line: ``python -m salesworkbench.datasets.second_sample --out DIR``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench._random import named_stream

__all__ = [
    "AS_OF",
    "COMPANY",
    "CURRENCY",
    "CUSTOMER",
    "DEFAULT_SEED",
    "REFERENCE_CUSTOMERS",
    "VALUE_CASE",
    "generate",
    "mapping_text",
    "reference_customers",
    "truth",
    "write",
]

#: The export's "today": the CRM was exported at the start of this day.
AS_OF = pd.Timestamp("2023-07-01")
#: The fictional seller.
COMPANY = "Nordlicht Flottentechnik GmbH"
#: Currency of every amount.
CURRENCY = "EUR"
DEFAULT_SEED = 7
#: The customer of the value case (one of the export's companies).
CUSTOMER = "Kunde 042 Logistik"

#: A fleet-telematics value case for :data:`CUSTOMER` (YAML, EUR; written as value_case.yaml).
VALUE_CASE = f"""\
# Fleet telematics for {CUSTOMER}: driver coaching from telematics data cuts fuel use.
# Invented figures, for testing the workbench on a case unlike the bundled telecom one.
name: Fleet telematics and driver coaching
customer: {CUSTOMER}
currency: EUR
horizon_years: 4
discount_rate: 0.08
statement:
  goal: Cut the fleet's fuel bill by coaching drivers with telematics data
  capability: To see every vehicle's driving style and fuel use, and coach drivers on it
  as_a_result_of: Telematics units in every truck and a coaching programme
assumptions:
  trucks: {{dist: pert, min: 380, mode: 420, max: 450, unit: vehicles, source: fleet register}}
  km_per_truck: {{dist: pert, min: 60000, mode: 75000, max: 85000, unit: km/year,
                 source: fuel cards}}
  fuel_eur_per_km: {{dist: triangular, min: 0.28, mode: 0.32, max: 0.38, unit: EUR/km,
                    source: fuel cards}}
  fuel_saving: {{dist: pert, min: 0.02, mode: 0.05, max: 0.10, unit: share of fuel,
                source: vendor benchmark}}
  coached_share: {{dist: uniform, min: 0.4, max: 0.9, unit: share of drivers,
                  source: workshop estimate}}
  licence_eur: {{dist: fixed, value: 420, unit: EUR/vehicle/year, source: our price list}}
  install_cost: {{dist: normal, mean: 180000, sd: 15000, unit: EUR, source: installer quote}}
correlations:
  - [fuel_saving, coached_share, 0.3]
benefits:
  - name: Fuel saved
    formula: "trucks * km_per_truck * fuel_eur_per_km * fuel_saving * coached_share"
    years: [1, 2, 3, 4]
  - {{name: Licences, formula: "-trucks * licence_eur", years: [1, 2, 3, 4]}}
investments:
  - {{name: Telematics units and installation, formula: install_cost, year: 0}}
  - {{name: Coaching programme, formula: "60000", year: 0}}
"""

#: Realised fleet-telematics cases of earlier customers (for the value case's straw-man):
#: customer, industry, country, year, trucks, km_per_truck, fuel_eur_per_km, fuel_saving,
#: coached_share, install_cost. Written as reference_customers.csv by :func:`reference_customers`.
REFERENCE_CUSTOMERS = (
    (
        "Kunde 007 Logistik",
        "Spedition",
        "Deutschland",
        2020,
        150,
        88_000,
        0.30,
        0.062,
        0.71,
        72_000,
    ),
    ("Kunde 113 Logistik", "Handel", "Niederlande", 2021, 640, 61_000, 0.33, 0.058, 0.68, 262_000),
    (
        "Kunde 168 Logistik",
        "Lebensmittel",
        "Schweden",
        2021,
        300,
        70_000,
        0.35,
        0.055,
        0.66,
        131_000,
    ),
    (
        "Kunde 254 Logistik",
        "Spedition",
        "Österreich",
        2022,
        480,
        82_000,
        0.31,
        0.048,
        0.74,
        201_000,
    ),
    ("Kunde 301 Logistik", "Bau", "Deutschland", 2022, 95, 68_000, 0.34, 0.07, 0.7, 49_000),
    ("Kunde 377 Logistik", "Entsorgung", "Schweiz", 2022, 220, 52_000, 0.37, 0.055, 0.7, 104_000),
)
_LICENCE_EUR, _COACHING_EUR = 420.0, 60_000.0

_START = pd.Timestamp("2020-01-01")

_PRODUCTS = {  # name: (share of deals, median amount EUR, log-sd, share of long roll-outs)
    "Fleet Telematics": (0.35, 48_000, 0.7, 0.65),
    "Route Optimiser": (0.25, 22_000, 0.6, 0.35),
    "Driver App": (0.25, 6_500, 0.5, 0.10),
    "Onboarding Package": (0.15, 3_200, 0.4, 0.05),
}
_SEGMENTS = {"Konzern": (0.2, 1.8, 0.34), "Mittelstand": (0.5, 1.0, 0.27), "Klein": (0.3, 0.5, 0.2)}
_STAGES = ["Discovery", "Demo", "Proposal Sent", "Contract Review"]
_TEAMS = {  # team: (region, reps)
    "DACH Nord": ("DACH", ["Jonas Weber", "Lea Hoffmann", "Finn Schulz", "Mia Becker"]),
    "DACH Süd": ("DACH", ["Paul Wagner", "Emma Fischer", "Ben Keller", "Lina Braun"]),
    "Nordics": ("Nordics", ["Elias Lund", "Sofia Berg", "Noah Dahl", "Ella Strand"]),
    "Benelux": ("Benelux", ["Daan Visser", "Julia Peeters", "Lucas Jacobs", "Sara Janssens"]),
}
_COLUMNS = {  # table -> export column -> canonical column
    "opportunities": {
        "Deal ID": "opportunity_id",
        "Deal Name": "name",
        "Company": "account",
        "Deal Stage": "stage",
        "Amount (EUR)": "amount",
        "Create Date": "created",
        "Close Date": "close_date",
        "Deal Owner": "owner",
        "Product Line": "product",
        "Company Size": "segment",
    },
    "accounts": {
        "Company ID": "account_id",
        "Company Name": "name",
        "Industry": "sector",
        "Country": "region",
        "Annual Revenue (EUR)": "revenue",
        "Employees": "employees",
        "Fleet Budget (EUR)": "wallet",
        "Current Spend (EUR)": "current_spend",
    },
    "stage_history": {
        "History ID": "change_id",
        "Deal ID": "opportunity_id",
        "Changed On": "changed",
        "Deal Stage": "stage",
        "Amount (EUR)": "amount",
        "Close Date": "close_date",
    },
}


def _creation_days(seed: int) -> np.ndarray:
    """Deal creation days: trend, seasonality and weekdays (days since _START)."""
    days = pd.date_range(_START, AS_OF - pd.Timedelta(days=1), freq="D")
    t = (days - _START).days.to_numpy() / 365.25
    month = days.month.to_numpy()
    season = np.select([month <= 3, month == 8, month == 12], [1.35, 0.55, 0.6], 1.0)
    weekday = np.where(days.day_of_week.to_numpy() < 5, 1.0, 0.08)
    rate = 2.4 * 1.2**t * season * weekday
    counts = named_stream(seed, "created").poisson(rate)
    return np.repeat(np.arange(len(days)), counts)


def _deals(seed: int) -> pd.DataFrame:
    created = _creation_days(seed)
    n = created.size
    names = list(_PRODUCTS)
    share = np.array([_PRODUCTS[p][0] for p in names])
    product = named_stream(seed, "product").choice(len(names), n, p=share)
    segs = list(_SEGMENTS)
    segment = named_stream(seed, "segment").choice(len(segs), n, p=[_SEGMENTS[s][0] for s in segs])
    size = np.array([_SEGMENTS[s][1] for s in segs])[segment]
    median = np.array([_PRODUCTS[p][1] for p in names])[product]
    sd = np.array([_PRODUCTS[p][2] for p in names])[product]
    amount = np.round(median * size * np.exp(sd * named_stream(seed, "amount").normal(size=n)), -2)
    p_long = np.array([_PRODUCTS[p][3] for p in names])[product]
    long = named_stream(seed, "long").random(n) < p_long
    cyc = named_stream(seed, "cycle")
    cycle = np.where(long, cyc.lognormal(np.log(150), 0.35, n), cyc.lognormal(np.log(20), 0.5, n))
    cycle = np.maximum(np.round(cycle), 1)
    p_win = np.array([_SEGMENTS[s][2] for s in segs])[segment] * np.where(long, 0.9, 1.15)
    won = named_stream(seed, "outcome").random(n) < p_win
    never_closed = ~won & (named_stream(seed, "abandoned").random(n) < 0.3)
    team_of = [(t, r) for t, (_reg, reps) in _TEAMS.items() for r in reps]
    owner = named_stream(seed, "owner").integers(0, len(team_of), n)
    company = named_stream(seed, "company").integers(0, 420, n)
    frame = pd.DataFrame(
        {
            "created_day": created,
            "outcome_day": created + cycle.astype(int),
            "product": np.array(names)[product],
            "segment": np.array(segs)[segment],
            "amount": amount,
            "won": won,
            "never_closed": never_closed,
            "long": long,
            "owner": [team_of[i][1] for i in owner],
            "company": company,
        }
    )
    frame["deal_id"] = [f"D-{i + 100001}" for i in range(n)]
    return frame


def _history(seed: int, deals: pd.DataFrame) -> pd.DataFrame:
    """Stage changes up to AS_OF: stages advance through the cycle; close dates get pushed."""
    rng = named_stream(seed, "history")
    as_of = (AS_OF - _START).days
    rows = []
    for d in deals.itertuples(index=False):
        span = d.outcome_day - d.created_day
        reached = len(_STAGES) if d.won else int(rng.integers(1, len(_STAGES) + 1))
        cuts = np.sort(rng.random(reached - 1)) * span * 0.9 if reached > 1 else np.array([])
        expected = d.created_day + int(span * rng.uniform(0.5, 0.9))
        amount = d.amount * (1.0 if rng.random() < 0.7 else rng.uniform(0.8, 1.3))
        days = [d.created_day, *(d.created_day + np.round(cuts).astype(int))]
        for k, day in enumerate(days):
            if day >= as_of:
                break
            if k == len(days) - 1:
                amount = d.amount
            rows.append((d.deal_id, day, _STAGES[k], round(amount, -2), expected))
            if expected < day:
                expected = day + int(rng.integers(14, 60))
        close_day = d.outcome_day
        if not d.never_closed and close_day < as_of:
            rows.append(
                (
                    d.deal_id,
                    close_day,
                    "Closed Won" if d.won else "Closed Lost",
                    d.amount,
                    close_day,
                )
            )
        elif d.never_closed:  # nobody closes it; the expected close is pushed now and then
            day = max(days[-1], d.created_day) + 45
            while day < as_of and rng.random() < 0.5:
                expected = day + int(rng.integers(30, 90))
                rows.append(
                    (d.deal_id, day, _STAGES[min(reached, len(_STAGES)) - 1], d.amount, expected)
                )
                day += 60
    hist = pd.DataFrame(rows, columns=["deal_id", "day", "stage", "amount", "expected_day"])
    return hist.sort_values(["deal_id", "day"], kind="stable").reset_index(drop=True)


def _date(day: pd.Series | np.ndarray) -> pd.Series:
    return pd.Series(_START + pd.to_timedelta(np.asarray(day), unit="D"))


def generate(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate the export's tables in memory, with the export's own column names.

    Returns
    -------
    dict of str to DataFrame
        ``deals.csv``, ``companies.csv``, ``deal_history.csv`` and ``owners.csv``.
    """
    deals = _deals(seed)
    as_of = (AS_OF - _START).days
    deals = deals[deals["created_day"] < as_of].reset_index(drop=True)
    hist = _history(seed, deals)
    last = hist.groupby("deal_id", sort=False).tail(1).set_index("deal_id")
    rng = named_stream(seed, "companies")
    n_comp = 420
    sectors = np.array(["Spedition", "Handel", "Bau", "Lebensmittel", "Entsorgung", "Pharma"])
    countries = np.array(["Deutschland", "Österreich", "Schweiz", "Schweden", "Niederlande"])
    comp = pd.DataFrame(
        {
            "Company ID": [f"C{i:04d}" for i in range(n_comp)],
            "Company Name": [f"Kunde {i:03d} Logistik" for i in range(n_comp)],
            "Industry": rng.choice(sectors, n_comp),
            "Country": rng.choice(countries, n_comp),
            "Annual Revenue (EUR)": np.round(np.exp(rng.normal(np.log(4e7), 1.2, n_comp)), -3),
            "Employees": np.round(np.exp(rng.normal(np.log(250), 1.1, n_comp))),
            "Fleet Budget (EUR)": np.round(np.exp(rng.normal(np.log(2e5), 0.9, n_comp)), -2),
        }
    )
    won_spend = (
        deals[deals["won"] & (deals["outcome_day"] < as_of)].groupby("company")["amount"].sum()
    )
    comp["Current Spend (EUR)"] = won_spend.reindex(range(n_comp), fill_value=0.0).to_numpy()
    comp.loc[rng.random(n_comp) < 0.06, "Annual Revenue (EUR)"] = np.nan
    ids = deals["deal_id"]
    stage = last.loc[ids, "stage"].to_numpy()
    closed = np.isin(stage, ["Closed Won", "Closed Lost"])
    out = pd.DataFrame(
        {
            "Deal ID": ids,
            "Deal Name": [
                f"{comp['Company Name'][c]} – {p}"
                for c, p in zip(deals["company"], deals["product"], strict=True)
            ],
            "Company": comp["Company ID"].to_numpy()[deals["company"]],
            "Deal Stage": stage,
            "Amount (EUR)": last.loc[ids, "amount"].to_numpy(),
            "Create Date": _date(deals["created_day"]).dt.strftime("%Y-%m-%d"),
            "Close Date": _date(
                np.where(closed, deals["outcome_day"], last.loc[ids, "expected_day"])
            ).dt.strftime("%Y-%m-%d"),
            "Deal Owner": deals["owner"],
            "Product Line": deals["product"],
            "Company Size": deals["segment"],
        }
    )
    history = pd.DataFrame(
        {
            "History ID": [f"H{i + 1:07d}" for i in range(len(hist))],
            "Deal ID": hist["deal_id"],
            "Changed On": _date(hist["day"]).dt.strftime("%Y-%m-%d"),
            "Deal Stage": hist["stage"],
            "Amount (EUR)": hist["amount"],
            "Close Date": _date(hist["expected_day"]).dt.strftime("%Y-%m-%d"),
        }
    )
    start = named_stream(seed, "starts").integers(0, 900, 16)
    owners = pd.DataFrame(
        [(rep, team, region, team) for team, (region, reps) in _TEAMS.items() for rep in reps],
        columns=["rep", "team", "region", "territory"],
    )
    owners["manager"] = owners["team"].map(lambda t: f"Leitung {t}")
    owners["start_date"] = (pd.Timestamp("2018-01-01") + pd.to_timedelta(start, unit="D")).strftime(
        "%Y-%m-%d"
    )
    owners["quota_per_quarter"] = 180_000.0
    return {
        "deals.csv": out,
        "companies.csv": comp,
        "deal_history.csv": history,
        "owners.csv": owners[
            ["rep", "team", "manager", "region", "territory", "start_date", "quota_per_quarter"]
        ],
    }


def truth(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """What really happened to every deal, including those the CRM never closed.

    Returns
    -------
    DataFrame
        One row per deal: ``opportunity_id``, ``created``, ``outcome_date`` (when it was really
        decided), ``won`` (bool), ``never_closed`` (the CRM shows it open for ever), ``amount``,
        ``product``, ``segment``.
    """
    d = _deals(seed)
    d = d[d["created_day"] < (AS_OF - _START).days]
    return pd.DataFrame(
        {
            "opportunity_id": d["deal_id"].to_numpy(),
            "created": _date(d["created_day"]).to_numpy(),
            "outcome_date": _date(d["outcome_day"]).to_numpy(),
            "won": d["won"].to_numpy(),
            "never_closed": d["never_closed"].to_numpy(),
            "amount": d["amount"].to_numpy(),
            "product": d["product"].to_numpy(),
            "segment": d["segment"].to_numpy(),
        }
    )


def reference_customers() -> pd.DataFrame:
    """The realised cases of :data:`REFERENCE_CUSTOMERS` as a reference-customers table.

    The layout of the bundled ``data/reference_customers.csv``
    (:func:`salesworkbench.value.read_reference_customers`): ``customer``, ``industry``,
    ``country``, ``year``, ``currency``, one column per value-case assumption the customer
    realised, then ``investment``, ``benefit_per_year`` and ``payback_years`` (computed with the
    case's licence price and coaching programme).
    """
    cols = [
        "customer", "industry", "country", "year", "trucks", "km_per_truck",
        "fuel_eur_per_km", "fuel_saving", "coached_share", "install_cost",
    ]  # fmt: skip
    refs = pd.DataFrame(REFERENCE_CUSTOMERS, columns=cols)
    refs.insert(4, "currency", CURRENCY)
    fuel = refs["trucks"] * refs["km_per_truck"] * refs["fuel_eur_per_km"]
    benefit = fuel * refs["fuel_saving"] * refs["coached_share"] - refs["trucks"] * _LICENCE_EUR
    refs["investment"] = refs["install_cost"] + _COACHING_EUR
    refs["benefit_per_year"] = benefit.round(-2)
    refs["payback_years"] = (refs["investment"] / refs["benefit_per_year"]).round(2)
    return refs


def mapping_text() -> str:
    """The mapping file the importer needs for this export (YAML)."""
    lines = ["# Column and stage mapping for the second sample (a HubSpot-like export)."]
    for table, pairs in _COLUMNS.items():
        lines += [f"{table}:"] + [f'  "{k}": {v}' for k, v in pairs.items()]
    lines += ["stages:"]
    lines += [f'  "{s}": open' for s in _STAGES]
    lines += ['  "Closed Won": won', '  "Closed Lost": lost']
    lines += [f"currency: {CURRENCY}", ""]
    return "\n".join(lines)


def write(out: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the export's files into ``out``.

    The CSV files, ``mapping.yaml``, ``value_case.yaml`` and ``reference_customers.csv``.

    ``out`` is created if missing; the same seed writes byte-identical files.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in generate(seed).items():
        with atomic_write(out / name, "w", newline="") as fh:
            frame.to_csv(fh, index=False, float_format="%.12g", lineterminator="\n")
        paths.append(out / name)
    with atomic_write(out / "mapping.yaml", "w", newline="") as fh:
        fh.write(mapping_text())
    paths.append(out / "mapping.yaml")
    with atomic_write(out / "value_case.yaml", "w", newline="") as fh:
        fh.write(VALUE_CASE)
    paths.append(out / "value_case.yaml")
    with atomic_write(out / "reference_customers.csv", "w", newline="") as fh:
        reference_customers().to_csv(fh, index=False, float_format="%.12g", lineterminator="\n")
    paths.append(out / "reference_customers.csv")
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m salesworkbench.datasets.second_sample --out DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m salesworkbench.datasets.second_sample",
        description="Write the second synthetic CRM export (other assumptions) into a directory.",
    )
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed (default: 7)")
    args = parser.parse_args(argv)
    for p in write(args.out, args.seed):
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
