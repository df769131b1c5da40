"""Tests of salesworkbench.territory: profile, market, coverage, assignment, export."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from salesworkbench.errors import DataWarning
from salesworkbench.territory import (
    DEFAULT_MESSAGING,
    CustomerProfile,
    TerritoryPlan,
    assign_accounts,
    capacity_summary,
    coverage_plan,
    market_analysis,
    segment,
    segment_summary,
)


@pytest.fixture
def seg():
    # supplied scores: 3 Alpha, 2 Beta, 3 Delta (one insufficient)
    frame = pd.DataFrame(
        {
            "account_id": ["a1", "a2", "a3", "b1", "b2", "d1", "d2", "d3"],
            "name": ["A one", "A two", "A three", "B one", "B two", "D one", "D two", "D three"],
            "sector": ["Tech", "Retail", "Tech", "Retail", "Mining", "Tech", None, "Retail"],
            "region": ["N", "S", "N", "S", "N", "S", "N", "S"],
            "territory": ["T1", "T2", "T1", "T2", "T1", "T2", "T1", "T2"],
            "owner": ["ann", "bob", "ann", "bob", "cat", "bob", None, "zed"],
            "revenue": [500.0, 100.0, 300.0, 50.0, 20.0, 10.0, np.nan, 5.0],
            "wallet": [100.0, 80.0, 60.0, 20.0, 10.0, 5.0, 4.0, 1.0],
            "current_spend": [10.0, 0.0, 60.0, 15.0, 12.0, 0.0, np.nan, 0.0],
            "potential": [90.0, 80.0, 75.0, 50.0, 40.0, 20.0, np.nan, 45.0],
            "relationship": [30.0, 70.0, 90.0, 60.0, 80.0, 90.0, 10.0, 20.0],
        }
    )
    return segment(frame)


def test_segment_summary_counts_and_totals(seg):
    s = segment_summary(seg)
    assert list(s.index) == ["Alpha", "Beta", "Delta"]
    assert list(s["accounts"]) == [3, 2, 3]
    assert s["share"].sum() == pytest.approx(1.0)
    assert list(s["insufficient_data"]) == [0, 0, 1]
    # white space = wallet - spend floored at 0, blank spend = none: 90 + 80 + 0
    assert s.loc["Alpha", "white_space"] == 170.0
    assert s.loc["Alpha", "current_spend"] == 70.0
    assert s.loc["Beta", "share_of_wallet"] == pytest.approx(27.0 / 30.0)
    assert s.loc["Alpha", "mean_potential"] == pytest.approx((90 + 80 + 75) / 3)


def test_segment_summary_lists_empty_segments():
    s = segment_summary(
        segment(pd.DataFrame({"account_id": ["x"], "potential": [99.0], "relationship": [1.0]}))
    )
    assert list(s["accounts"]) == [1, 0, 0]


def test_market_analysis_by_sector_keeps_blank_group(seg):
    m = market_analysis(seg, "sector")
    assert m["accounts"].sum() == len(seg)
    assert m.loc["Tech", ["Alpha", "Beta", "Delta"]].tolist() == [2, 0, 1]
    assert m.index.isna().sum() == 1  # the blank sector is a group, not dropped
    with pytest.raises(KeyError, match="industry"):
        market_analysis(seg, "industry")


def test_customer_profile_qualifies_with_unknowns(seg):
    prof = CustomerProfile(
        sectors={"tech": 1.0, "Retail": 0.6},
        min_sector_fit=0.5,
        min_revenue=30.0,
        regions=["N", "S"],
    )
    q = prof.qualify(seg).set_index("account_id")
    assert q.loc["a1", "qualified"] == True  # noqa: E712 (pandas boolean NA-aware)
    assert q.loc["b2", "qualification"] == "not a fit: sector, revenue"
    assert pd.isna(q.loc["d2", "qualified"])
    assert q.loc["d2", "qualification"] == "unknown: sector, revenue blank"
    crit = prof.criteria()
    assert list(crit["criterion"]) == ["sector", "revenue", "region"]
    with pytest.raises(ValueError, match="min_revenue"):
        CustomerProfile(min_revenue=10, max_revenue=5)
    with pytest.raises(ValueError, match="Tech"):
        CustomerProfile(sectors={"Tech": 2})


def test_coverage_priority_allocation_closed_form(seg):
    coverage = {"Alpha": {"ae": 10.0}, "Beta": {"ae": 5.0, "isr": 2.0}, "Delta": {"isr": 1.0}}
    capacity = {"ae": {"reps": 1, "hours_per_rep": 35.0}, "isr": 100.0}
    cov = coverage_plan(seg, coverage, capacity).set_index(["segment", "role"])
    # ae need: Alpha 3*10 = 30, Beta 2*5 = 10; capacity 35 -> Alpha 30, Beta 5
    assert cov.loc[("Alpha", "ae"), "hours_allocated"] == 30.0
    assert cov.loc[("Alpha", "ae"), "status"] == "covered"
    assert cov.loc[("Beta", "ae"), "hours_needed"] == 10.0
    assert cov.loc[("Beta", "ae"), "hours_allocated"] == 5.0
    assert cov.loc[("Beta", "ae"), "coverage"] == 0.5
    assert cov.loc[("Beta", "ae"), "status"] == "under-covered"
    assert cov.loc[("Beta", "ae"), "accounts_covered"] == 1
    assert cov.loc[("Delta", "isr"), "hours_allocated"] == 3.0
    cap = capacity_summary(cov.reset_index(), capacity)
    assert cap.loc["ae", "status"] == "short"  # needs 40 of 35 hours
    assert cap.loc["ae", "spare_hours"] == 0.0
    assert cap.loc["isr", "status"] == "spare"  # needs 7 of 100
    assert cap.loc["isr", "utilisation"] == pytest.approx(0.07)


def test_coverage_fixed_shares_flag_over_coverage(seg):
    coverage = {"Alpha": {"ae": 10.0}, "Beta": {"ae": 5.0}, "Delta": {"ae": 1.0}}
    capacity = {"ae": 100.0}
    cov = coverage_plan(
        seg, coverage, capacity, allocation={"Alpha": 0.2, "Beta": 0.5, "Delta": 0.03}
    )
    cov = cov.set_index("segment")
    assert cov.loc["Alpha", "status"] == "under-covered"  # 20 of 30
    assert cov.loc["Beta", "status"] == "over-covered"  # 50 of 10
    assert cov.loc["Delta", "status"] == "covered"  # 3 of 3
    prop = coverage_plan(seg, coverage, {"ae": 21.5}, allocation="proportional")
    # need 30 + 10 + 3 = 43, capacity half of it: every segment at 50 %
    np.testing.assert_allclose(prop["coverage"], [0.5, 0.5, 0.5])


def test_coverage_bad_parameters_named(seg):
    with pytest.raises(ValueError, match=r"coverage\['Alpha'\]\['ae'\]"):
        coverage_plan(seg, {"Alpha": {"ae": -1}}, {"ae": 1.0})
    with pytest.raises(ValueError, match="Gamma"):
        coverage_plan(seg, {"Gamma": {"ae": 1}}, {"ae": 1.0})
    with pytest.raises(ValueError, match=r"capacity\['ae'\]\['reps'\]"):
        coverage_plan(seg, {"Alpha": {"ae": 1}}, {"ae": {"reps": -2, "hours_per_rep": 10}})
    with pytest.raises(ValueError, match="allocation shares"):
        coverage_plan(seg, None, None, allocation={"Alpha": 0.8, "Beta": 0.5})


def test_zero_need_with_allocation_is_over_covered(seg):
    cov = coverage_plan(
        seg, {"Alpha": {"ae": 1.0}}, {"ae": 10.0}, allocation={"Alpha": 0.5, "Beta": 0.5}
    )
    beta = cov[cov["segment"] == "Beta"].iloc[0]
    assert math.isinf(beta["coverage"]) and beta["status"] == "over-covered"


def test_assignment_keeps_owners_and_respects_capacity(seg):
    coverage = {"Alpha": {"ae": 10.0}, "Beta": {"ae": 5.0}, "Delta": {"ae": 0.0}}
    reps = pd.DataFrame({"rep": ["ann", "bob", "cat"], "hours": [15.0, 40.0, 40.0]})
    asg, load = assign_accounts(seg, reps, coverage=coverage, role="ae", method="greedy")
    asg = asg.set_index("account_id")
    # ann owns a1 and a3 (Alpha, 10 h each) but has 15 h: a3 (priority 1) stays, a1 moves
    assert asg.loc["a3", "assigned_rep"] == "ann" and asg.loc["a3", "kept_owner"]
    assert asg.loc["a1", "assigned_rep"] != "ann"
    assert asg.loc["a1", "note"] == "owner at capacity"
    assert asg.loc["a2", "assigned_rep"] == "bob" and asg.loc["a2", "kept_owner"]
    assert asg.loc["d3", "note"] == "owner not among the reps"
    assert (load["hours"] <= load["capacity_hours"]).all()
    assert load["accounts"].sum() == len(seg)
    assert load.loc["ann", "hours"] == 10.0


def test_assignment_leaves_accounts_unassigned_when_no_capacity(seg):
    coverage = {"Alpha": {"ae": 10.0}, "Beta": {"ae": 5.0}, "Delta": {"ae": 1.0}}
    with pytest.warns(DataWarning, match="left uncovered"):
        asg, load = assign_accounts(
            seg, ["ann"], coverage=coverage, role="ae", hours_per_rep=12.0, method="greedy"
        )
    unassigned = asg[asg["assigned_rep"].isna()]
    assert len(unassigned) > 0
    assert unassigned["note"].str.contains("no rep has").all()
    assert load.loc["ann", "hours"] <= 12.0


def test_assignment_within_territory(seg):
    reps = pd.DataFrame({"rep": ["ann", "bob"], "territory": ["T1", "T2"]})
    asg, _ = assign_accounts(seg, reps, match_on="territory", hours_per_rep=1000)
    merged = asg.merge(seg[["account_id", "territory"]], on="account_id")
    by_rep = merged.groupby("assigned_rep")["territory"].unique()
    assert list(by_rep["ann"]) == ["T1"] and list(by_rep["bob"]) == ["T2"]
    with pytest.raises(KeyError, match="match_on"):
        assign_accounts(seg, ["ann"], match_on="district")


def test_assignment_is_deterministic(seg):
    a1, l1 = assign_accounts(seg, ["x", "y", "z"], keep_owners=False)
    a2, l2 = assign_accounts(seg, ["x", "y", "z"], keep_owners=False)
    pd.testing.assert_frame_equal(a1, a2)
    pd.testing.assert_frame_equal(l1, l2)
    # balanced workload: hours differ by at most one account's hours (16 h for Alpha)
    assert l1["hours"].max() - l1["hours"].min() <= 16.0
    assert l1["Alpha"].tolist() == [1, 1, 1]


@pytest.fixture
def plan(seg):
    return TerritoryPlan(
        seg,
        name="North & South <plan>",
        profile=CustomerProfile(sectors={"Tech": 1.0}, needs=["cloud migration"]),
        reps=["ann", "bob", "cat"],
        notes="Review after Q1.",
    )


def test_plan_sections(plan):
    s = plan.sections()
    assert list(s) == [
        "profile",
        "segment_summary",
        "market_by_sector",
        "market_by_region",
        "coverage",
        "capacity",
        "messaging",
        "alpha_accounts",
        "accounts",
        "assignment",
        "rep_load",
    ]
    assert list(s["alpha_accounts"]["account_id"]) == ["a3", "a2", "a1"]
    assert list(s["accounts"]["priority"]) == list(range(1, 9))
    assert s["messaging"]["message"].tolist() == [
        DEFAULT_MESSAGING[k] for k in ("Alpha", "Beta", "Delta")
    ]


def test_plan_build_uses_profile_sector_fit():
    acc = pd.DataFrame(
        {"account_id": ["a", "b"], "revenue": [10.0, 10.0], "sector": ["Tech", "Retail"]}
    )
    import warnings

    from salesworkbench.errors import DataWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        plan = TerritoryPlan.build(acc, 60, 30, 50, profile=CustomerProfile(sectors={"Tech": 1.0}))
    p = plan.accounts.set_index("account_id")["potential"]
    assert p["a"] > p["b"]
    assert plan.thresholds == {
        "potential_high": 60.0,
        "potential_low": 30.0,
        "relationship_high": 50.0,
    }


def test_messaging_is_editable_and_exported(plan, tmp_path):
    plan.messaging["Beta"] = "Upsell the analytics add-on | with references"
    md = plan.to_markdown()
    assert "- **Beta**: Upsell the analytics add-on \\| with references" in md
    html = plan.to_html()
    assert "North &amp; South &lt;plan&gt;" in html
    assert "<strong>Beta</strong>: Upsell" in html
    plan.to_csv(tmp_path)
    msg = pd.read_csv(tmp_path / "messaging.csv")
    assert msg.loc[1, "message"].startswith("Upsell")


def test_markdown_summary_content(plan):
    md = plan.to_markdown(top=2)
    assert md.startswith("# North &amp; South &lt;plan&gt;")  # the plan's name is escaped
    for heading in (
        "## Segmentation rules",
        "## Customer profile and qualification criteria",
        "## Segment summary",
        "## Market analysis by sector",
        "## Coverage by segment and role",
        "## Capacity by role",
        "## Messaging strategy",
        "## Alpha accounts, by priority (top 2 of 3)",
        "## Rep workload",
        "## Notes",
    ):
        assert heading in md
    assert "- Alpha: potential >= 70 (any relationship), prioritised by relationship" in md


def test_user_strings_are_escaped_in_markdown_and_html(seg):
    script = "<script>alert(1)</script>"
    img = "<img src=x onerror=alert(1)>"
    acc = seg.assign(
        name=seg["name"].where(seg["account_id"] != "a1", script),
        sector=seg["sector"].where(seg["account_id"] != "a1", img),
    )
    plan = TerritoryPlan(
        acc, name=f"Plan {script}", messaging={"Alpha": f"Say {script}"}, notes=f"*{img}*"
    )
    md = plan.to_markdown()
    html = plan.to_html()
    for text in (md, html):
        assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in md  # account name, messaging
    assert md.count("&lt;script&gt;") == 3  # title, messaging, Alpha accounts table
    assert "| A two |" in md  # other cells unchanged
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in md  # sector, in tables and notes
    assert "- \\*&lt;img src=x onerror=alert\\(1\\)&gt;\\*" in md  # notes: no Markdown
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in html
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in html
    assert "<title>Plan &lt;script&gt;alert(1)&lt;/script&gt;</title>" in html
    assert "<strong>Alpha</strong>: Say &lt;script&gt;" in html


def test_summary_tables_format_cells(plan):
    md = plan.to_markdown()
    # booleans yes/no, blanks empty, shares as percentages, whole numbers as they are
    assert (
        "| 1 | a3 | A three | Tech | N | T1 | ann | Alpha | 75 | 90 | high | high | no | yes |"
        in md
    )
    assert "| Alpha | 3 | 37.5% | 0 |" in md
    html = plan.to_html()
    assert '<td class="num">37.5%</td>' in html


def test_excel_one_sheet_per_section(plan, tmp_path):
    path = plan.to_excel(tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(plan.sections())
    ws = wb["alpha_accounts"]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["priority", "account_id"]
    assert ws.cell(row=2, column=2).value == "a3"
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left


def test_failed_export_leaves_old_file(plan, tmp_path, monkeypatch):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"old")
    real = pd.DataFrame.to_excel
    calls = []

    def fail_on_third_sheet(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_excel", fail_on_third_sheet)
    with pytest.raises(RuntimeError, match="disk full"):
        plan.to_excel(path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]


def test_html_and_markdown_files(plan, tmp_path):
    md = plan.write_markdown(tmp_path / "plan.md")
    ht = plan.write_html(tmp_path / "plan.html")
    assert md.read_text(encoding="utf-8") == plan.to_markdown()
    text = ht.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert text.count("<table") == 8


def test_plan_assignment_uses_plan_capacity(seg):
    plan = TerritoryPlan(
        seg,
        capacity={"account_executive": {"reps": 2, "hours_per_rep": 20.0}},
        reps=["ann", "bob"],
    )
    with pytest.warns(DataWarning, match="left uncovered"):
        sections = plan.sections()
    load = sections["rep_load"].set_index("rep")
    assert (load["capacity_hours"] == 20.0).all()
    assert (load["hours"] <= 20.0).all()
    cap = sections["capacity"].set_index("role")
    assert cap.loc["account_executive", "status"] == "short"  # 3*16 + 2*6 = 60 h > 40 h


def test_assignment_rebalances_an_overloaded_owner():
    seg = segment(
        pd.DataFrame(
            {
                "account_id": ["a", "b", "c", "d"],
                "owner": ["ann"] * 4,
                "potential": [90.0, 85.0, 80.0, 75.0],
                "relationship": [90.0, 80.0, 70.0, 60.0],
            }
        )
    )
    coverage = {"Alpha": {"ae": 10.0}}
    reps = pd.DataFrame({"rep": ["ann", "bob"], "hours": [100.0, 100.0]})
    # fair share = 40 h / 2 reps = 20 h; with 25% slack ann keeps 2 accounts (20 h <= 25 h)
    asg, load = assign_accounts(
        seg, reps, coverage=coverage, role="ae", balance=0.25, method="greedy"
    )
    asg = asg.set_index("account_id")
    assert asg["assigned_rep"].tolist() == ["ann", "ann", "bob", "bob"]  # highest priority kept
    assert asg.loc["c", "note"] == "rebalanced: owner above fair share"
    assert load["hours"].tolist() == [20.0, 20.0]
    # without balancing the owner keeps everything capacity allows
    asg, load = assign_accounts(
        seg, reps, coverage=coverage, role="ae", balance=None, method="greedy"
    )
    assert (asg["assigned_rep"] == "ann").all()
    with pytest.raises(ValueError, match="balance"):
        assign_accounts(seg, reps, coverage=coverage, role="ae", balance=-1)
