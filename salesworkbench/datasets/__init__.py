"""The bundled sample data: a fictional UK B2B company's CRM exports, as canonical tables.

Each ``load_*`` function reads one CSV from the package's ``data`` directory (the repository's
top-level ``data/``), casts it to the canonical schema of :mod:`salesworkbench.schemas` and
validates it. The files are written by :mod:`salesworkbench.datasets.generate` (``make data``)
and documented, column by column, in ``data/README.md``. The sample's "today" is
:data:`salesworkbench.datasets.generate.AS_OF` (2026-10-01); amounts are in GBP.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

import pandas as pd

from salesworkbench.errors import DataError
from salesworkbench.schemas import ACCOUNTS, LEADS, OPPORTUNITIES, STAGE_HISTORY, Schema

__all__ = [
    "AS_OF",
    "REPS_COLUMNS",
    "data_path",
    "load_accounts",
    "load_leads",
    "load_opportunities",
    "load_reps",
    "load_stage_history",
]


REPS_COLUMNS = {
    "rep": "str",
    "team": "str",
    "manager": "str",
    "region": "str",
    "territory": "str",
    "start_date": "date",
    "quota_per_quarter": "float",
}
"""Columns of ``reps.csv`` and their dtypes (reps have no canonical schema)."""

AS_OF = pd.Timestamp("2026-10-01")
"""The sample's "today" (equal to :data:`salesworkbench.datasets.generate.AS_OF`)."""


def data_path(name: str) -> Path:
    """Return the path of a bundled data file, e.g. ``data_path("opportunities.csv")``.

    Works whether the package is installed editable or from a wheel.

    Raises
    ------
    FileNotFoundError
        No bundled file has that name; the message lists the files there are.
    """
    root = files("salesworkbench.datasets") / "data"
    target = root / name
    if not target.is_file():
        have = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
        raise FileNotFoundError(
            f"no bundled data file {name!r}; available: {', '.join(have) or 'none'} "
            "(regenerate the sample with `make data`)"
        )
    return Path(str(target))


def _read(name: str, dtypes: dict[str, str]) -> pd.DataFrame:
    """Read a bundled CSV with explicit dtypes (so ids stay text and blanks stay missing)."""
    path = data_path(name)
    pandas_dtype = {
        "str": "str",
        "float": "float64",
        "int": "Int64",
        "category": "str",
    }
    header = pd.read_csv(path, nrows=0).columns
    unknown = [c for c in header if c not in dtypes]
    if unknown:
        raise DataError(f"unexpected column(s) {', '.join(unknown)}", file=name)
    dtype = {c: pandas_dtype[t] for c, t in dtypes.items() if t != "date" and c in header}
    dates = [c for c, t in dtypes.items() if t == "date" and c in header]
    return pd.read_csv(path, dtype=dtype, parse_dates=dates, date_format="%Y-%m-%d")


@functools.cache
def _load(name: str, schema: Schema) -> pd.DataFrame:
    frame = _read(name, {c.name: c.dtype for c in schema.columns})
    return schema.validate(schema.coerce(frame), source=name)


def load_accounts() -> pd.DataFrame:
    """Load the sample accounts (500 rows, canonical ``ACCOUNTS`` columns).

    Potential drivers (revenue, employees, growth, wallet), current business (current_spend,
    install_base, recurring_revenue, GBP) and relationship signals (recent_projects,
    satisfaction 0-10, key_players_engaged, last_activity). About 4% of accounts lack revenue
    and employees, so their potential cannot be assessed.

    Examples
    --------
    >>> from salesworkbench.datasets import load_accounts
    >>> acc = load_accounts()
    >>> acc.shape
    (500, 19)
    >>> acc[["account_id", "name", "sector", "territory", "revenue"]].head(3)
      account_id               name         sector   territory      revenue
    0    ACC0001  Castlepoint Group         Retail  South East          NaN
    1    ACC0002   Deltaworth Group  Public Sector  North West  123200000.0
    2    ACC0003      Mapleline plc  Manufacturing  South East  147200000.0
    """
    return _load("accounts.csv", ACCOUNTS).copy()


def load_opportunities() -> pd.DataFrame:
    """Load the sample opportunities (2,955 rows, canonical ``OPPORTUNITIES`` columns).

    Deals created from 2024-01-01 to 2026-09-30, as they stood on 2026-10-01: won, lost and
    open, with amounts in GBP, stage, probability, forecast category, segment, value case and
    power sponsor flags. Some open deals have a blank account.

    Examples
    --------
    >>> from salesworkbench.datasets import load_opportunities
    >>> opp = load_opportunities()
    >>> opp.shape
    (2955, 19)
    >>> opp[["opportunity_id", "account", "stage", "amount", "owner"]].head(3)
      opportunity_id  account        stage   amount        owner
    0       OPP00001  ACC0143  Closed Lost  22100.0  Amelia Hart
    1       OPP00002  ACC0360  Closed Lost  57500.0   Ravi Patel
    2       OPP00003  ACC0140  Closed Lost  73500.0   Ravi Patel
    """
    return _load("opportunities.csv", OPPORTUNITIES).copy()


def load_stage_history() -> pd.DataFrame:
    """Load the sample stage history (one row per change, canonical ``STAGE_HISTORY`` columns).

    Every opportunity's creation, stage changes, amount changes and close-date pushes; the last
    row of each opportunity equals its row in :func:`load_opportunities`.

    Examples
    --------
    >>> from salesworkbench.datasets import load_stage_history
    >>> hist = load_stage_history()
    >>> hist.shape
    (13480, 6)
    >>> hist.head(3)
      change_id opportunity_id    changed          stage   amount close_date
    0  CH000001       OPP00001 2024-01-01    Prospecting  22100.0 2024-03-08
    1  CH000002       OPP00001 2024-01-11  Qualification  22100.0 2024-03-08
    2  CH000003       OPP00001 2024-01-30       Proposal  22100.0 2024-03-08
    """
    return _load("stage_history.csv", STAGE_HISTORY).copy()


def load_leads() -> pd.DataFrame:
    """Load the sample leads (canonical ``LEADS`` columns).

    Leads from web, event, referral, partner and outbound sources with their qualification
    state and flags; converted leads (state ``qualified_opportunity``) carry the
    ``opportunity_id`` they became.

    Examples
    --------
    >>> from salesworkbench.datasets import load_leads
    >>> leads = load_leads()
    >>> leads.shape
    (7300, 11)
    >>> leads[["lead_id", "source", "created", "state"]].head(3)
      lead_id source    created         state
    0  L00001  event 2024-01-01  disqualified
    1  L00002  event 2024-01-01  disqualified
    2  L00003  event 2024-01-01       suspect
    """
    return _load("leads.csv", LEADS).copy()


@functools.cache
def _load_reps() -> pd.DataFrame:
    frame = _read("reps.csv", REPS_COLUMNS)
    missing = [c for c in REPS_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", file="reps.csv")
    frame["start_date"] = frame["start_date"].astype("datetime64[ns]")
    dup = frame["rep"].duplicated(keep=False).to_numpy().nonzero()[0]
    if dup.size:
        raise DataError("duplicate rep", file="reps.csv", column="rep", rows=(dup + 2).tolist())
    return frame


def load_reps() -> pd.DataFrame:
    """Load the sample sales team (12 rows, the columns of :data:`REPS_COLUMNS`).

    One row per rep: team, manager, region, territory, start date (new reps ramp up) and
    bookings quota per quarter in GBP.

    Examples
    --------
    >>> from salesworkbench.datasets import load_reps
    >>> load_reps()[["rep", "manager", "start_date", "quota_per_quarter"]].head(3)
                  rep       manager start_date  quota_per_quarter
    0     Amelia Hart  Helen Carter 2019-03-04           650000.0
    1  Oliver Bennett  Helen Carter 2018-06-11           450000.0
    2      Daniel Kim  Helen Carter 2024-04-08           350000.0
    """
    return _load_reps().copy()
