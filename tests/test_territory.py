"""Tests of salesworkbench.territory: scores, transforms, Alpha/Beta/Delta rules, bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesworkbench.errors import DataError, DataWarning
from salesworkbench.territory import (
    DEFAULT_MODEL,
    SEGMENTS,
    Driver,
    ScoreModel,
    classify,
    explain,
    prepare,
    relationship_from_deals,
    score,
    segment,
)

DATA = Path(__file__).parent / "data"


def supplied(potential, relationship, ids=None):
    n = len(potential)
    return pd.DataFrame(
        {
            "account_id": ids or [f"A{i:03d}" for i in range(n)],
            "potential": np.asarray(potential, dtype=float),
            "relationship": np.asarray(relationship, dtype=float),
        }
    )


@pytest.fixture
def accounts():
    return pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4", "A5"],
            "name": ["Acme", "Bolt", "Crest", "Dune", "Echo"],
            "sector": ["tech", "retail", "tech", None, "medical"],
            "revenue": [1000.0, 50.0, np.nan, 300.0, 5.0],
            "employees": [5000.0, 200.0, np.nan, 1000.0, 20.0],
            "growth": [0.1, 0.0, 0.2, np.nan, -0.05],
            "wallet": [10.0, 2.0, 5.0, 3.0, 0.5],
            "current_spend": [1.0, 1.5, 0.0, np.nan, 0.0],
            "install_base": [5.0, 10.0, 0.0, np.nan, 0.0],
            "recurring_revenue": [1.0, 2.0, 0.0, 0.0, 0.0],
            "recent_projects": [2.0, 4.0, 0.0, 1.0, 0.0],
            "satisfaction": [8.0, 9.0, np.nan, 5.0, 3.0],
            "key_players_engaged": [3.0, 5.0, 0.0, 1.0, 0.0],
            "last_activity": pd.to_datetime(
                ["2026-10-01", "2026-11-01", None, "2025-01-01", "2024-01-01"]
            ),
        }
    )


# --------------------------------------------------------------------------------------------
# The rule table, every boundary
# --------------------------------------------------------------------------------------------

RULES = [
    # potential, relationship, potential_band, relationship_band, segment
    (100.0, 100.0, "high", "high", "Alpha"),
    (70.0, 0.0, "high", "low", "Alpha"),  # potential == potential_high -> high
    (70.0, 50.0, "high", "high", "Alpha"),
    (69.999, 50.0, "moderate_low", "high", "Beta"),  # relationship == relationship_high
    (30.0, 50.0, "moderate_low", "high", "Beta"),  # potential == potential_low -> moderate
    (30.0, 49.999, "moderate_low", "low", "Delta"),
    (69.999, 49.999, "moderate_low", "low", "Delta"),
    (29.999, 100.0, "little_none", "high", "Delta"),
    (0.0, 0.0, "little_none", "low", "Delta"),
    (np.nan, 100.0, "insufficient_data", "high", "Delta"),
    (np.nan, np.nan, "insufficient_data", "low", "Delta"),
    (50.0, np.nan, "moderate_low", "low", "Delta"),  # no relationship data counts as low
    (90.0, np.nan, "high", "low", "Alpha"),
]


@pytest.mark.parametrize(("p", "r", "pband", "rband", "seg"), RULES)
def test_rule_table(p, r, pband, rband, seg):
    out = segment(supplied([p], [r]), potential_high=70, potential_low=30, relationship_high=50)
    row = out.iloc[0]
    assert row["potential_band"] == pband
    assert row["relationship_band"] == rband
    assert row["segment"] == seg
    assert row["reason"].startswith(seg + ":")
    assert bool(row["insufficient_data"]) == bool(np.isnan(p))


def test_custom_thresholds_are_used_at_their_boundaries():
    frame = supplied([80, 79.9, 20, 19.9, 50, 50], [0, 0, 60, 60, 60, 59.9])
    out = segment(frame, potential_high=80, potential_low=20, relationship_high=60)
    assert list(out["segment"]) == ["Alpha", "Delta", "Beta", "Delta", "Beta", "Delta"]


def test_equal_low_and_high_thresholds_leave_no_moderate_band():
    out = segment(supplied([49.9, 50, 50.1], [90, 90, 90]), 50, 50, 50)
    assert list(out["potential_band"]) == ["little_none", "high", "high"]
    assert list(out["segment"]) == ["Delta", "Alpha", "Alpha"]


def test_segment_is_ordered_categorical():
    out = segment(supplied([10, 90, 50], [10, 10, 90]))
    assert isinstance(out["segment"].dtype, pd.CategoricalDtype)
    assert out["segment"].cat.ordered
    assert list(out["segment"].cat.categories) == list(SEGMENTS)
    assert out["segment"].iloc[1] < out["segment"].iloc[2] < out["segment"].iloc[0]
    assert list(out.sort_values("segment")["segment"]) == ["Alpha", "Beta", "Delta"]


def test_alpha_prioritised_by_relationship_highest_first():
    frame = supplied(
        [95, 71, 80, 70, 99, 40, 10],
        [20, 90, 55, np.nan, 20, 95, 99],
        ids=["a", "b", "c", "d", "e", "f", "g"],
    )
    out = segment(frame).set_index("account_id")
    alpha = out[out["segment"] == "Alpha"].sort_values("priority")
    # relationship 90, 55, then the tie at 20 broken by potential (99 before 95), unknown last
    assert list(alpha.index) == ["b", "c", "e", "a", "d"]
    assert list(alpha["priority"]) == [1, 2, 3, 4, 5]
    # every Alpha comes before Beta, every Beta before Delta
    assert out.loc["f", "priority"] == 6 and out.loc["g", "priority"] == 7


def test_priority_is_a_permutation_and_independent_of_row_order(accounts):
    out = segment(accounts).set_index("account_id")
    shuffled = segment(accounts.iloc[[3, 0, 4, 2, 1]]).set_index("account_id")
    assert sorted(out["priority"]) == list(range(1, 6))
    pd.testing.assert_series_equal(out["priority"], shuffled.loc[out.index, "priority"])
    pd.testing.assert_series_equal(out["potential"], shuffled.loc[out.index, "potential"])


def test_segment_keeps_index_and_columns(accounts):
    acc = accounts.set_index(pd.Index([10, 20, 30, 40, 50]))
    out = segment(acc)
    assert list(out.index) == [10, 20, 30, 40, 50]
    for col in [
        "potential",
        "relationship",
        "potential_band",
        "relationship_band",
        "segment",
        "priority",
        "reason",
        "insufficient_data",
    ]:
        assert col in out.columns
    assert list(out.columns[: len(acc.columns)]) == list(acc.columns)
    assert out.attrs["territory"] == {
        "potential_high": 70.0,
        "potential_low": 30.0,
        "relationship_high": 50.0,
    }


def test_resegmenting_keeps_scores_unless_weights_change(accounts):
    first = segment(accounts)
    again = segment(first, potential_high=60)  # supplied scores reused
    pd.testing.assert_series_equal(again["potential"], first["potential"])
    reweighted = segment(first, potential_weights={"white_space": 0.0})
    expected = segment(accounts, potential_weights={"white_space": 0.0})
    pd.testing.assert_series_equal(reweighted["potential"], expected["potential"])
    assert not np.allclose(reweighted["potential"].dropna(), first["potential"].dropna())


def test_same_input_same_output(accounts):
    pd.testing.assert_frame_equal(segment(accounts), segment(accounts))


# --------------------------------------------------------------------------------------------
# Scores: closed forms for the transforms and the weighted mean
# --------------------------------------------------------------------------------------------


def one_driver_model(driver: Driver) -> ScoreModel:
    return ScoreModel(potential=(driver,), relationship=())


@pytest.mark.parametrize(
    ("driver", "x", "expected"),
    [
        (Driver("revenue", transform="minmax"), [10, 20, 30], [0, 50, 100]),
        (Driver("revenue", transform="minmax", lower=0, upper=40), [10, 20, 50], [25, 50, 100]),
        (Driver("revenue", transform="log"), [0, np.e - 1, np.e**2 - 1], [0, 50, 100]),
        (Driver("revenue", transform="rank"), [5, 1, 3, 3], [100, 0, 50, 50]),
        (Driver("revenue", transform="cap", cap=4), [1, 2, 8], [25, 50, 100]),
        (Driver("revenue", transform="minmax", higher_is_better=False), [10, 20, 30], [100, 50, 0]),
        (Driver("revenue", transform="minmax"), [7, 7, 7], [50, 50, 50]),
    ],
)
def test_transform_closed_forms(driver, x, expected):
    frame = pd.DataFrame({"account_id": [f"a{i}" for i in range(len(x))], "revenue": x})
    out = score(frame, one_driver_model(driver))
    np.testing.assert_allclose(out["potential"], expected, atol=1e-9)


def test_cap_defaults_to_90th_percentile():
    x = np.arange(11.0)  # 90th percentile = 9
    frame = pd.DataFrame({"account_id": [f"a{i}" for i in range(11)], "revenue": x})
    out = score(frame, one_driver_model(Driver("revenue", transform="cap")))
    np.testing.assert_allclose(out["potential"], np.minimum(x, 9) / 9 * 100, atol=1e-9)


def test_recency_decay_halves_every_half_life():
    frame = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "revenue": [1.0, 1.0, 1.0],
            "last_activity": pd.to_datetime(["2026-01-01", "2025-07-05", "2025-01-06"]),
        }
    )
    model = ScoreModel(
        potential=(Driver("revenue"),),
        relationship=(Driver("days_since_activity", transform="decay", half_life=180),),
        as_of="2026-01-01",
    )
    out = score(frame, model)
    # 0, 180 and 360 days before as_of
    np.testing.assert_allclose(out["relationship"], [100, 50, 25], atol=1e-9)


def test_weighted_mean_and_reweighting_over_present_drivers():
    frame = pd.DataFrame(
        {"account_id": ["a", "b", "c"], "revenue": [0.0, 10.0, 5.0], "growth": [0.3, np.nan, 0.1]}
    )
    model = ScoreModel(
        potential=(
            Driver("revenue", 3.0, "minmax", lower=0, upper=10),
            Driver("growth", 1.0, "minmax", lower=-0.1, upper=0.3),
        ),
        relationship=(),
        min_coverage=0.5,
    )
    out = score(frame, model)
    # a: (3*0 + 1*1)/4; b: growth blank -> revenue only (coverage 3/4); c: (3*.5 + 1*.5)/4
    np.testing.assert_allclose(out["potential"], [25.0, 100.0, 50.0])
    np.testing.assert_allclose(out["potential_coverage"], [1.0, 0.75, 1.0])
    assert not out["insufficient_data"].any()
    heavier = score(frame, model, potential_weights={"growth": 3.0})
    np.testing.assert_allclose(heavier["potential"], [50.0, 100.0, 50.0])


def test_fill_counts_blank_as_given_value():
    frame = pd.DataFrame(
        {"account_id": ["a", "b"], "revenue": [1.0, 1.0], "recent_projects": [np.nan, 4.0]}
    )
    model = ScoreModel(
        potential=(Driver("revenue"),),
        relationship=(Driver("recent_projects", transform="cap", cap=4, fill=0),),
    )
    out = score(frame, model)
    np.testing.assert_allclose(out["relationship"], [0.0, 100.0])
    np.testing.assert_allclose(out["relationship_coverage"], [1.0, 1.0])


def test_white_space_and_sector_fit_derived():
    frame = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "wallet": [100.0, 100.0, 100.0, 100.0],
            "current_spend": [0.0, 60.0, 150.0, np.nan],
            "sector": ["Tech", "retail", "mining", None],
        }
    )
    model = ScoreModel(
        potential=(Driver("white_space", 1, "minmax", lower=0, upper=100),),
        relationship=(Driver("sector_fit", 1, "minmax", lower=0, upper=1),),
        sector_fit={"tech": 1.0, "Retail": 0.5},
        other_sector_fit=0.1,
    )
    prep = prepare(frame, model)
    # white space = wallet - spend, floored at 0; blank spend = none
    np.testing.assert_allclose(prep.raw["potential"][:, 0], [100, 40, 0, 100])
    # case-insensitive profile; unlisted sector -> other_sector_fit; blank sector -> missing
    np.testing.assert_allclose(prep.raw["relationship"][:, 0], [1.0, 0.5, 0.1, np.nan])


def test_explain_points_add_up_to_the_scores(accounts):
    scores = score(accounts).set_index("account_id")
    for aid in ["A1", "A2", "A4"]:
        ex = explain(accounts, aid)
        for part in ("potential", "relationship"):
            pts = ex.loc[ex["score"] == part, "points"].sum()
            assert pts == pytest.approx(scores.loc[aid, part], abs=1e-9)
        assert ex.loc[ex["score"] == "potential", "share"].sum() == pytest.approx(1.0)
    ex = explain(accounts, "A4")  # growth missing: 0 points, weight re-spread
    growth = ex[ex["driver"] == "growth"].iloc[0]
    assert np.isnan(growth["value"]) and growth["points"] == 0.0
    with pytest.raises(KeyError, match="Z9"):
        explain(accounts, "Z9")


def test_default_model_weights_sum_to_one():
    for part in ("potential", "relationship"):
        assert sum(DEFAULT_MODEL.weights[part].values()) == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# Missing data is explicit
# --------------------------------------------------------------------------------------------


def test_required_driver_missing_is_insufficient_not_zero(accounts):
    out = segment(accounts).set_index("account_id")
    a3 = out.loc["A3"]
    assert a3["insufficient_data"]
    assert np.isnan(a3["potential"])
    assert a3["potential_band"] == "insufficient_data"
    assert a3["segment"] == "Delta"
    assert a3["reason"] == "Delta: revenue and employees missing, potential cannot be assessed"


def test_insufficient_account_is_not_scored_as_zero_or_average():
    # with potential_low = 0 a zero score would be moderate_low and, with a strong
    # relationship, Beta; an average score likewise. Insufficient data stays Delta.
    frame = supplied([np.nan, 0.0, 50.0], [90, 90, 90])
    out = segment(frame, potential_high=70, potential_low=0, relationship_high=50)
    assert list(out["segment"]) == ["Delta", "Beta", "Beta"]
    assert out["reason"].iloc[0] == "Delta: potential score missing, potential cannot be assessed"


def test_low_coverage_is_insufficient():
    frame = pd.DataFrame(
        {
            "account_id": ["a", "b"],
            "revenue": [10.0, 20.0],
            "growth": [np.nan, 0.1],
            "employees": [np.nan, 5.0],
        }
    )
    model = ScoreModel(
        potential=(Driver("revenue", 1), Driver("growth", 1), Driver("employees", 1)),
        relationship=(),
        min_coverage=0.5,
    )
    out = segment(frame, model=model).set_index("account_id")
    assert out.loc["a", "insufficient_data"]  # only 1/3 of the weight has data
    assert out.loc["a", "potential_coverage"] == pytest.approx(1 / 3)
    assert (
        out.loc["a", "reason"] == "Delta: growth and employees missing, potential cannot be "
        "assessed"
    )
    assert not out.loc["b", "insufficient_data"]


def test_optional_driver_without_column_warns_and_is_left_out():
    frame = pd.DataFrame({"account_id": ["a", "b"], "revenue": [1.0, 2.0]})
    with pytest.warns(DataWarning, match=r"no column\(s\) .*wallet.*'white_space'"):
        prep = prepare(frame)
    assert "white_space" in prep.dropped
    assert [d.name for d in prep.drivers["potential"]] == ["revenue"]


# --------------------------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------------------------

score_value = st.one_of(
    st.floats(0, 100, allow_nan=False),
    st.just(np.nan),
    st.sampled_from([0.0, 30.0, 50.0, 70.0, 100.0]),
)
thresholds = st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(0, 100))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(score_value, score_value), min_size=1, max_size=40), thresholds)
def test_every_account_gets_exactly_one_segment(rows, th):
    a, b, rh = th
    pl, ph = min(a, b), max(a, b)
    frame = supplied([r[0] for r in rows], [r[1] for r in rows])
    out = segment(frame, potential_high=ph, potential_low=pl, relationship_high=rh)
    assert len(out) == len(rows)
    assert out["segment"].notna().all()
    assert set(out["segment"]) <= set(SEGMENTS)
    dummies = pd.get_dummies(out["segment"])
    assert (dummies.sum(axis=1) == 1).all()
    assert sorted(out["priority"]) == list(range(1, len(rows) + 1))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(score_value, score_value), min_size=1, max_size=40),
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(0, 100),
)
def test_raising_potential_high_never_moves_an_account_into_alpha(rows, pl, ph1, ph2, rh):
    pl, ph1, ph2 = sorted([pl, ph1, ph2])
    frame = supplied([r[0] for r in rows], [r[1] for r in rows])
    before = segment(frame, potential_high=ph1, potential_low=pl, relationship_high=rh)
    after = segment(frame, potential_high=ph2, potential_low=pl, relationship_high=rh)
    moved_in = (after["segment"] == "Alpha") & (before["segment"] != "Alpha")
    assert not moved_in.any()


money = st.one_of(st.floats(0, 1e9), st.just(np.nan))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(money, money, money, st.one_of(st.floats(0, 10), st.just(np.nan))),
        min_size=1,
        max_size=30,
    ),
    st.floats(50, 100),
)
def test_computed_scores_in_range_and_monotone_alpha(rows, ph2):
    frame = pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(len(rows))],
            "revenue": [r[0] for r in rows],
            "employees": [r[1] for r in rows],
            "install_base": [r[2] for r in rows],
            "satisfaction": [r[3] for r in rows],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        low = segment(frame, potential_high=50)
        high = segment(frame, potential_high=ph2)
    p = low["potential"].dropna()
    assert ((p >= 0) & (p <= 100)).all()
    assert low["potential"].isna().equals(low["insufficient_data"])
    assert not ((high["segment"] == "Alpha") & (low["segment"] != "Alpha")).any()


# --------------------------------------------------------------------------------------------
# Bad input: each message names the account or the parameter
# --------------------------------------------------------------------------------------------


def test_missing_account_id_column():
    with pytest.raises(DataError, match="account_id"):
        segment(pd.DataFrame({"name": ["a"], "revenue": [1.0]}))


def test_missing_required_driver_column(accounts):
    with pytest.raises(DataError, match=r"revenue.*'revenue'"):
        segment(accounts.drop(columns="revenue"))


def test_supplied_scores_missing_column():
    with pytest.raises(DataError, match="relationship"):
        segment(supplied([1.0], [1.0]).drop(columns="relationship"), scores="supplied")


def test_non_numeric_driver_names_account_row_and_column(accounts):
    bad = accounts.astype({"revenue": object})
    bad.loc[1, "revenue"] = "fifty"
    with pytest.raises(DataError) as err:
        segment(bad, source="crm.csv")
    msg = str(err.value)
    assert "crm.csv" in msg and "'revenue'" in msg and "row 3" in msg
    assert "A2" in msg and "'fifty'" in msg


def test_numeric_strings_are_accepted(accounts):
    text = accounts.astype({"revenue": object})
    text["revenue"] = ["1000", "50", None, "300", "5"]
    pd.testing.assert_series_equal(segment(text)["potential"], segment(accounts)["potential"])


def test_checks_are_usable_on_their_own(accounts):
    from salesworkbench.territory import (
        check_account_ids,
        date_column,
        numeric_column,
        score_column,
    )

    check_account_ids(accounts, "crm.csv")
    assert numeric_column(accounts, "revenue", "crm.csv").dtype == np.float64
    dates = pd.DataFrame({"account_id": ["a", "b"], "d": ["2024-01-31", None]})
    assert pd.api.types.is_datetime64_any_dtype(date_column(dates, "d", "crm.csv"))
    scores = pd.DataFrame({"account_id": ["a", "b"], "potential": [50.0, 101.0]})
    with pytest.raises(DataError, match=r"row 3: potential scores must be 0 to 100.*b"):
        score_column(scores, "potential", "crm.csv")
    with pytest.raises(DataError, match="duplicate account id"):
        check_account_ids(pd.DataFrame({"account_id": ["a", "a"]}), "crm.csv")


def test_negative_revenue_names_account(accounts):
    bad = accounts.copy()
    bad.loc[3, "revenue"] = -5.0
    with pytest.raises(DataError, match=r"column 'revenue', row 5: negative revenue.*A4"):
        segment(bad)


def test_satisfaction_out_of_range_names_account(accounts):
    bad = accounts.copy()
    bad.loc[0, "satisfaction"] = 11.0
    with pytest.raises(DataError, match=r"satisfaction.*A1"):
        segment(bad)


def test_duplicate_ids_named(accounts):
    bad = accounts.copy()
    bad.loc[4, "account_id"] = "A2"
    with pytest.raises(DataError, match=r"rows 3, 6: duplicate account id\(s\) A2"):
        segment(bad)


def test_blank_id_named(accounts):
    bad = accounts.copy()
    bad.loc[2, "account_id"] = None
    with pytest.raises(DataError, match=r"row 4: blank account_id"):
        segment(bad)


def test_supplied_scores_out_of_range_name_account():
    with pytest.raises(DataError, match=r"potential.*A001"):
        segment(supplied([50, 120], [10, 10]))


def test_bad_date_names_account(accounts):
    bad = accounts.astype({"last_activity": object})
    bad.loc[0, "last_activity"] = "last tuesday"
    with pytest.raises(DataError, match=r"last_activity.*A1"):
        segment(bad)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"potential_high": 30, "potential_low": 70}, ["potential_low", "potential_high"]),
        ({"potential_high": 120}, ["potential_high"]),
        ({"potential_low": -1}, ["potential_low"]),
        ({"relationship_high": 101}, ["relationship_high"]),
        ({"relationship_high": "high"}, ["relationship_high"]),
        ({"potential_high": float("nan")}, ["potential_high"]),
    ],
)
def test_thresholds_out_of_order_or_range_name_the_parameter(kwargs, names):
    with pytest.raises(ValueError) as err:
        segment(supplied([50.0], [50.0]), **kwargs)
    for name in names:
        assert name in str(err.value)


def test_bad_weights_name_the_driver(accounts):
    with pytest.raises(ValueError, match="unknown driver.*turnover"):
        segment(accounts, potential_weights={"turnover": 1.0})
    with pytest.raises(ValueError, match="growth"):
        segment(accounts, potential_weights={"growth": -1.0})
    with pytest.raises(ValueError, match="all zero"):
        segment(accounts, potential_weights=dict.fromkeys(DEFAULT_MODEL.weights["potential"], 0))
    with pytest.raises(ValueError, match="revenue"):
        Driver("revenue", weight=-2)
    with pytest.raises(ValueError, match="transform"):
        Driver("revenue", transform="sqrt")


def test_classify_without_scoring_matches_segment():
    frame = supplied([75, 40, 10], [10, 60, 60])
    a = classify(frame, 70, 30, 50)
    b = segment(frame)
    assert list(a["segment"]) == list(b["segment"]) == ["Alpha", "Beta", "Delta"]


# --------------------------------------------------------------------------------------------
# Relationship from won deals; a CRM export of another shape
# --------------------------------------------------------------------------------------------


def test_relationship_from_deals_closed_values():
    acc = pd.DataFrame({"account_id": ["a1", "a2", "a3"], "name": ["Acme", "Bolt", "Crest"]})
    opps = pd.DataFrame(
        {
            "opportunity_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
            "account": ["a1", " acme ", "Bolt", "Bolt", "a3", "Nobody"],
            "status": pd.Categorical(
                ["won", "won", "won", "lost", "open", "won"], categories=["open", "won", "lost"]
            ),
            "amount": [100.0, 50.0, 30.0, 999.0, 999.0, 5.0],
            "close_date": pd.to_datetime(
                ["2024-01-15", "2025-11-01", "2023-06-01", "2025-10-01", "2026-03-01", "2025-12-31"]
            ),
        }
    )
    with pytest.warns(DataWarning, match=r"1 won deal\(s\) match no account \('Nobody'\)"):
        out = relationship_from_deals(acc, opps).set_index("account_id")
    # as_of = latest won close = 2025-12-31
    assert out.loc["a1", "install_base"] == 150.0
    assert out.loc["a1", "current_spend"] == 50.0  # only the 2025-11-01 deal is in 12 months
    assert out.loc["a1", "recent_projects"] == 2.0  # both within 24 months
    assert out.loc["a1", "last_activity"] == pd.Timestamp("2025-11-01")
    assert out.loc["a2", "install_base"] == 30.0 and out.loc["a2", "recent_projects"] == 0.0
    assert out.loc["a3", "install_base"] == 0.0  # open deals are not business yet
    assert pd.isna(out.loc["a3", "last_activity"])


def test_relationship_from_deals_warns_on_ambiguous_names():
    acc = pd.DataFrame({"account_id": ["a1", "a2"], "name": ["Acme", "ACME "]})
    opps = pd.DataFrame(
        {
            "account": ["acme"],
            "status": ["won"],
            "amount": [10.0],
            "close_date": pd.to_datetime(["2025-01-01"]),
        }
    )
    with pytest.warns(DataWarning, match=r"1 account name\(s\) appear more than once \(acme\)"):
        out = relationship_from_deals(acc, opps)
    assert out["install_base"].tolist() == [10.0, 0.0]


def test_relationship_from_deals_needs_columns():
    acc = pd.DataFrame({"account_id": ["a1"]})
    with pytest.raises(DataError, match="close_date"):
        relationship_from_deals(acc, pd.DataFrame({"account": [], "status": [], "amount": []}))


def test_crm_export_of_another_shape():
    from salesworkbench.io import read_accounts, read_opportunities

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the importers' notes
        acc = read_accounts(
            DATA / "crm_accounts_other_shape.csv",
            mapping={"account": "name", "office_location": "region"},
        )
        opps = read_opportunities(
            DATA / "crm_deals_other_shape.csv",
            mapping={
                "sales_agent": "owner",
                "deal_stage": "stage",
                "close_value": "amount",
                "engage_date": "engaged",
            },
        )
    assert list(acc.columns[:2]) == ["account_id", "name"]
    with pytest.warns(DataWarning, match="Gone Corp"):
        acc = relationship_from_deals(acc, opps)
    model = ScoreModel(
        potential=(
            Driver("revenue", 0.5, "log", required=True),
            Driver("employees", 0.3, "log"),
            Driver("sector_fit", 0.2, "minmax", lower=0, upper=1),
        ),
        relationship=(
            Driver("install_base", 0.4, "log"),
            Driver("recent_projects", 0.3, "cap", cap=3),
            Driver("days_since_activity", 0.3, "decay", half_life=180),
        ),
        sector_fit={
            "software": 1.0,
            "technology": 1.0,
            "technolgy": 1.0,
            "medical": 0.8,
            "telecommunications": 0.6,
        },
        other_sector_fit=0.2,
    )
    out = segment(acc, 60, 30, 40, model=model, source="crm_accounts_other_shape.csv")
    out = out.set_index("account_id")
    assert len(out) == 10 and out["segment"].notna().all()
    assert out.loc["Quarry Finance", "segment"] == "Delta"
    assert out.loc["Quarry Finance", "reason"] == (
        "Delta: revenue and employees missing, potential cannot be assessed"
    )
    # Orbit Telecom: the biggest company, never won a deal: high potential, weak relationship
    assert out.loc["Orbit Telecom", "segment"] == "Alpha"
    assert out.loc["Orbit Telecom", "relationship"] == 0.0
    # Maple Software: won twice in December 2017, software fit: Alpha with a strong relationship
    assert out.loc["Maple Software", "segment"] == "Alpha"
    alpha = out[out["segment"] == "Alpha"].sort_values("priority")
    assert alpha["relationship"].is_monotonic_decreasing
    # a small account with wins is Beta or Delta, never Alpha
    assert out.loc["Lumen Health", "segment"] == "Delta"
    # the default model works too, saying which drivers this export cannot feed
    with pytest.warns(DataWarning, match="wallet") as rec:
        default = segment(acc)
    dropped = " ".join(str(w.message) for w in rec)
    for name in (
        "growth",
        "white_space",
        "recurring_revenue",
        "satisfaction",
        "key_players_engaged",
    ):
        assert name in dropped
    assert default["segment"].notna().all()
