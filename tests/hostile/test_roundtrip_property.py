"""Property: a canonical table written in any common dialect reads back the same, or is refused.

Random opportunity tables are written as CSV (comma or semicolon delimiter, dot or comma
decimals, with or without thousands separators, dd/mm or mm/dd or ISO dates, BOM, CRLF) and
as xlsx (numbers and dates as cells, or as text in the dialect), then read back. The reader
must return exactly the values written, or raise a DataError naming the file; never a
different value.
"""

import collections
import csv
import datetime as dt
import io
import os
import warnings

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesworkbench import DataError, DataWarning
from salesworkbench.io import read_opportunities

STAGES = ["Closed Won", "Closed Lost", "Prospecting"]
OWNERS = ["Ann Lee", "Bo Chen", "Çelik Öz"]
PRODUCTS = ["Core", "Add-on", "Services"]
text = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def tables(draw):
    n = draw(st.integers(1, 8))
    rows = []
    for i in range(n):
        created = draw(st.dates(dt.date(2020, 1, 1), dt.date(2027, 12, 31)))
        close = created + dt.timedelta(days=draw(st.integers(0, 400)))
        rows.append(
            {
                "opportunity_id": f"O{i}",
                "account": draw(text),
                "stage": draw(st.sampled_from(STAGES)),
                "amount": draw(st.integers(0, 10**9)) / 100,
                "created": created,
                "close_date": close,
                "owner": draw(st.sampled_from(OWNERS)),
                "product": draw(st.sampled_from(PRODUCTS)),
            }
        )
    return rows


dialects = st.fixed_dictionaries(
    {
        "delimiter": st.sampled_from([",", ";"]),
        "decimal": st.sampled_from([".", ","]),
        "thousands": st.booleans(),
        "dates": st.sampled_from(["iso", "dmy", "mdy"]),
        "bom": st.booleans(),
        "crlf": st.booleans(),
        "state_options": st.booleans(),
    }
)


def fmt_amount(a, d):
    s = f"{a:,.2f}" if d["thousands"] else f"{a:.2f}"
    if d["decimal"] == ",":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s


def fmt_date(x, d):
    return {
        "iso": x.isoformat(),
        "dmy": x.strftime("%d/%m/%Y"),
        "mdy": x.strftime("%m/%d/%Y"),
    }[d["dates"]]


def options(d):
    if not d["state_options"]:
        return {}
    opts = {"decimal": d["decimal"]}
    if d["dates"] != "iso":
        opts["dayfirst"] = d["dates"] == "dmy"
    return opts


OUTCOMES: collections.Counter = collections.Counter()


def check(path, rows, opts):
    outcome = _check(path, rows, opts)
    OUTCOMES[outcome] += 1
    if os.environ.get("SWB_ROUNDTRIP_COUNTS"):
        print(dict(OUTCOMES))
    return outcome


def _check(path, rows, opts):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            got = read_opportunities(path, **opts)
    except DataError as exc:
        assert path.name in str(exc)  # a refusal that names the file
        return "refused"
    assert got["opportunity_id"].tolist() == [r["opportunity_id"] for r in rows]
    assert got["account"].tolist() == [r["account"] for r in rows]
    assert got["stage"].tolist() == [r["stage"] for r in rows]
    assert got["amount"].tolist() == pytest.approx([r["amount"] for r in rows], rel=1e-12)
    for col in ("created", "close_date"):
        assert got[col].tolist() == [pd.Timestamp(r[col]) for r in rows]
    assert got["owner"].tolist() == [r["owner"] for r in rows]
    return "same"


COLUMNS = ["opportunity_id", "account", "stage", "amount", "created", "close_date", "owner"]
COLUMNS.append("product")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=tables(), d=dialects)
def test_csv_round_trip(tmp_path_factory, rows, d):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=d["delimiter"], lineterminator="\r\n" if d["crlf"] else "\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r["opportunity_id"],
                r["account"],
                r["stage"],
                fmt_amount(r["amount"], d),
                fmt_date(r["created"], d),
                fmt_date(r["close_date"], d),
                r["owner"],
                r["product"],
            ]
        )
    data = buf.getvalue().encode("utf-8")
    path = tmp_path_factory.mktemp("rt") / "export.csv"
    path.write_bytes((b"\xef\xbb\xbf" if d["bom"] else b"") + data)
    check(path, rows, options(d))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=tables(), d=dialects, as_cells=st.booleans())
def test_xlsx_round_trip(tmp_path_factory, rows, d, as_cells):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(COLUMNS)
    for r in rows:
        values = [
            r["opportunity_id"],
            r["account"],
            r["stage"],
            r["amount"] if as_cells else fmt_amount(r["amount"], d),
            r["created"] if as_cells else fmt_date(r["created"], d),
            r["close_date"] if as_cells else fmt_date(r["close_date"], d),
            r["owner"],
            r["product"],
        ]
        ws.append(values)
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    path = tmp_path_factory.mktemp("rt") / "export.xlsx"
    wb.save(path)
    check(path, rows, options(d) if not as_cells else {})
