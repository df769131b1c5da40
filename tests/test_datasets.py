"""The bundled sample data: loaders, reproducibility, internal consistency, built-in effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesworkbench import datasets
from salesworkbench.datasets import (
    data_path,
    load_accounts,
    load_leads,
    load_opportunities,
    load_reps,
    load_stage_history,
)
from salesworkbench.datasets import generate as gen
from salesworkbench.schemas import ACCOUNTS, LEADS, OPPORTUNITIES, STAGE_HISTORY

AS_OF = gen.AS_OF


@pytest.fixture(scope="module")
def opp():
    return load_opportunities()


@pytest.fixture(scope="module")
def closed(opp):
    return opp[opp["status"] != "open"]


@pytest.fixture(scope="module")
def hist():
    return load_stage_history()


@pytest.fixture(scope="module")
def acc():
    return load_accounts()


@pytest.fixture(scope="module")
def leads():
    return load_leads()


# --- loaders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loader", "schema", "lo", "hi"),
    [
        (load_accounts, ACCOUNTS, 450, 550),
        (load_opportunities, OPPORTUNITIES, 2700, 3300),
        (load_stage_history, STAGE_HISTORY, 8000, 30000),
        (load_leads, LEADS, 2000, 10000),
    ],
)
def test_loaders_return_canonical_frames(loader, schema, lo, hi):
    frame = loader()
    assert lo <= len(frame) <= hi
    assert list(frame.columns) == schema.names  # every canonical column, no extras
    schema.validate(frame)  # dtypes, ids unique and present
    assert frame.equals(schema.coerce(frame))


def test_loaders_return_copies(opp):
    a = load_opportunities()
    a.loc[0, "amount"] = -1.0
    assert load_opportunities().loc[0, "amount"] == opp.loc[0, "amount"]


def test_dtypes_of_key_columns(opp, acc, leads):
    assert pd.api.types.is_datetime64_any_dtype(opp["created"])
    assert opp["status"].cat.categories.tolist() == ["open", "won", "lost"]
    assert opp["opportunity_id"].str.startswith("OPP").all()
    assert acc["year_established"].dtype == "Int64"
    assert leads["state"].dtype == "category"


def test_reps(opp):
    reps = load_reps()
    assert list(reps.columns) == list(datasets.REPS_COLUMNS)
    assert len(reps) == 12
    assert pd.api.types.is_datetime64_any_dtype(reps["start_date"])
    assert (reps["quota_per_quarter"] > 0).all()
    assert set(opp["owner"]) == set(reps["rep"])


def test_data_path(tmp_path):
    p = data_path("opportunities.csv")
    assert p.is_file() and p.name == "opportunities.csv"
    assert data_path("README.md").is_file()
    with pytest.raises(FileNotFoundError, match=r"no bundled data file 'nope.csv'.*accounts.csv"):
        data_path("nope.csv")


def test_as_of_constants_agree():
    assert datasets.AS_OF == gen.AS_OF


# --- reproducibility -------------------------------------------------------------------------


def test_regenerating_with_the_seed_gives_identical_files(tmp_path):
    assert gen.main(["--out", str(tmp_path), "--seed", str(gen.DEFAULT_SEED)]) == 0
    for name in (*gen.FILES, "README.md"):
        new = (tmp_path / name).read_bytes()
        assert new == data_path(name).read_bytes(), f"{name} differs from the committed file"


def test_other_seed_gives_other_data():
    a = gen.generate(1)["opportunities.csv"]
    b = gen.generate(2)["opportunities.csv"]
    assert not a["amount"].equals(b["amount"])
    assert list(a.columns) == list(b.columns)


def test_negative_seed_is_refused(capsys):
    with pytest.raises(SystemExit):
        gen.main(["--seed", "-1", "--out", "unused"])
    assert "--seed" in capsys.readouterr().err


# --- internal consistency --------------------------------------------------------------------


def test_dates_are_ordered_and_in_the_window(opp, hist):
    assert (opp["close_date"] >= opp["created"]).all()
    assert opp["created"].min() >= gen.HISTORY_START
    assert opp["created"].max() < AS_OF
    closed = opp["status"] != "open"
    assert (opp.loc[closed, "close_date"] < AS_OF).all()
    engaged = opp["engaged"].notna()
    assert (opp.loc[engaged, "engaged"] >= opp.loc[engaged, "created"]).all()
    assert (hist["changed"] < AS_OF).all()
    # no weekend dates in the deal data
    assert (opp["created"].dt.day_of_week < 5).all()
    assert (opp["close_date"].dt.day_of_week < 5).all()


def test_status_stage_probability_agree(opp):
    won = opp["status"] == "won"
    lost = opp["status"] == "lost"
    assert (opp.loc[won, "stage"] == "Closed Won").all()
    assert (opp.loc[lost, "stage"] == "Closed Lost").all()
    assert opp.loc[~won & ~lost, "stage"].isin(gen.OPEN_STAGES).all()
    assert (opp["probability"] == opp["stage"].map(gen.STAGE_PROBABILITY)).all()
    assert set(opp["forecast_category"]) <= {"commit", "best_case", "pipeline", "omitted"}
    assert (opp["currency"] == "GBP").all()


def test_amounts(opp):
    won = opp["status"] == "won"
    assert (opp.loc[won, "amount"] > 0).all()
    assert (opp["amount"] >= 0).all() and opp["amount"].notna().all()
    assert (opp["original_amount"] > 0).all()
    zero = opp["amount"] == 0
    assert (opp.loc[zero, "status"] == "lost").all()  # the zeroed-on-loss quirk only


def test_blank_accounts_only_on_open_deals(opp, acc):
    blank = opp["account"].isna()
    assert 10 <= blank.sum() <= 100
    assert (opp.loc[blank, "status"] == "open").all()
    assert opp.loc[~blank, "account"].isin(acc["account_id"]).all()


def test_history_last_row_is_the_opportunity(opp, hist):
    assert hist["opportunity_id"].is_unique is False
    assert set(hist["opportunity_id"]) == set(opp["opportunity_id"])
    # history is sorted by opportunity then date
    key = hist[["opportunity_id", "changed"]]
    assert key.equals(key.sort_values(["opportunity_id", "changed"], kind="stable"))
    last = hist.groupby("opportunity_id").tail(1).set_index("opportunity_id")
    first = hist.groupby("opportunity_id").head(1).set_index("opportunity_id")
    o = opp.set_index("opportunity_id").loc[last.index]
    assert (last["stage"] == o["stage"]).all()
    assert np.allclose(last["amount"], o["amount"])
    assert (last["close_date"] == o["close_date"]).all()
    assert np.allclose(first["amount"], o["original_amount"])
    assert (first["changed"] == o["created"]).all()
    assert (first["stage"] == "Prospecting").all()


def test_history_stages_move_forward(hist):
    order = {s: i for i, s in enumerate([*gen.OPEN_STAGES, gen.WON_STAGE, gen.LOST_STAGE])}
    rank = hist["stage"].map(order)
    step = rank.groupby(hist["opportunity_id"]).diff().dropna()
    assert (step >= 0).all()


def test_slips_exist(opp, hist):
    prev = hist.groupby("opportunity_id")["close_date"].shift()
    pushed = (hist["close_date"] > prev) & hist["stage"].isin(gen.OPEN_STAGES)
    share = pushed.groupby(hist["opportunity_id"]).any().mean()
    assert 0.2 < share < 0.6
    open_ = opp[opp["status"] == "open"]
    overdue = (open_["close_date"] < AS_OF).sum()
    assert 20 <= overdue < len(open_) / 2


def test_leads_link_to_opportunities(leads, opp):
    conv = leads["state"] == "qualified_opportunity"
    assert leads.loc[conv, "opportunity_id"].notna().all()
    assert leads.loc[~conv, "opportunity_id"].isna().all()
    linked = leads.loc[conv, "opportunity_id"]
    assert linked.is_unique and linked.isin(opp["opportunity_id"]).all()
    o = opp.set_index("opportunity_id").loc[linked]
    assert (leads.loc[conv, "created"].to_numpy() <= o["created"].to_numpy()).all()
    same = leads.loc[conv, "account"].fillna("-").to_numpy() == o["account"].fillna("-")
    assert same.all()
    q = leads["qualified"].notna()
    assert (leads.loc[q, "qualified"] >= leads.loc[q, "created"]).all()
    assert leads.loc[leads["state"] == "new", "qualified"].isna().all()
    assert set(leads["source"]) == set(gen.LEAD_SOURCES)


def test_lead_funnel_rates_are_plausible(leads):
    qualified = leads["state"].isin(["qualified_lead", "suspect", "qualified_opportunity"])
    converted = leads["state"] == "qualified_opportunity"
    assert 0.25 < qualified.mean() < 0.6
    assert 0.08 < converted.mean() < 0.3
    rate = converted.groupby(leads["source"]).mean()
    assert rate["referral"] > rate["web"] > rate["outbound"]


def test_accounts_consistent_with_won_deals(acc, opp):
    won = opp[(opp["status"] == "won") & (opp["close_date"] >= AS_OF - pd.Timedelta(days=730))]
    projects = won.groupby("account").size().reindex(acc["account_id"]).fillna(0).to_numpy()
    assert np.array_equal(acc["recent_projects"].to_numpy(), projects)
    assert (acc["current_spend"] >= acc["recurring_revenue"]).all()
    assert set(acc["territory"]) == set(gen.TERRITORIES)
    assert acc["sector"].nunique() == 6
    assert acc["satisfaction"].dropna().between(0, 10).all()
    # current spend within the wallet estimate for nearly all accounts, but not all
    over = (acc["current_spend"] > acc["wallet"]).sum()
    assert 1 <= over <= 0.03 * len(acc)
    parents = acc["subsidiary_of"].dropna()
    assert len(parents) >= 5 and parents.isin(acc["name"]).all()


def test_missing_data_is_deliberate(acc):
    both = acc["revenue"].isna() & acc["employees"].isna()
    assert 0.02 * len(acc) <= both.sum() <= 0.06 * len(acc)
    assert acc.loc[acc["current_spend"] > 0, "satisfaction"].isna().any()
    assert acc.loc[acc["install_base"] == 0, "satisfaction"].isna().mean() > 0.5


# --- built-in effects ------------------------------------------------------------------------


def _won(frame):
    return (frame["status"] == "won").to_numpy()


@pytest.mark.parametrize("flag", ["has_value_case", "has_power_sponsor"])
def test_value_case_and_power_sponsor_win_more(closed, flag):
    yes = closed[flag] == "yes"
    table = [
        [_won(closed[yes]).sum(), (~_won(closed[yes])).sum()],
        [_won(closed[~yes]).sum(), (~_won(closed[~yes])).sum()],
    ]
    rate_yes, rate_no = _won(closed[yes]).mean(), _won(closed[~yes]).mean()
    assert rate_yes - rate_no > 0.12
    assert stats.fisher_exact(table).pvalue < 1e-6


def test_reps_differ_for_real(closed, opp):
    rate = closed.groupby("owner")["status"].apply(lambda s: (s == "won").mean())
    n = closed.groupby("owner").size()
    assert n.max() > 300 and n.min() <= 10  # very different sample sizes
    assert n["Isla Murray"] == 3 and rate["Isla Murray"] == 1.0  # the 3-out-of-3 rep
    assert 5 <= (opp["owner"] == "Marcus Reid").sum() <= 15  # the new rep
    # a star against a weak veteran: a real difference, not noise
    star, weak = (
        closed[closed["owner"] == "Amelia Hart"],
        closed[closed["owner"] == "James O'Neill"],
    )
    table = [
        [_won(star).sum(), (~_won(star)).sum()],
        [_won(weak).sum(), (~_won(weak)).sum()],
    ]
    assert stats.fisher_exact(table).pvalue < 1e-10
    # the stars build value cases far more often
    vc = opp.groupby("owner")["has_value_case"].apply(lambda s: (s == "yes").mean())
    assert vc["Amelia Hart"] > 2 * vc["James O'Neill"]
    # and close faster
    cycle = (closed["close_date"] - closed["created"]).dt.days.groupby(closed["owner"]).median()
    assert cycle["Ravi Patel"] < cycle["James O'Neill"]


def test_products_and_segments_differ(closed):
    won = closed[closed["status"] == "won"]
    size = won.groupby("product")["amount"].median()
    assert size["Managed Service"] > size["Core Platform"] > size["Training"]
    rate = closed.groupby("product")["status"].apply(lambda s: (s == "won").mean())
    assert rate["Training"] > rate["Managed Service"]
    seg = won.groupby("segment")["amount"].median()
    assert seg["Enterprise"] > seg["Mid-market"] > seg["SMB"]


def test_cycle_time_is_roughly_lognormal(closed):
    days = (closed["close_date"] - closed["created"]).dt.days
    won = closed["status"] == "won"
    logd = np.log(days[won & (closed["product"] == "Core Platform")])
    # right-skewed in days, roughly symmetric in log-days
    assert stats.skew(days[won]) > 1.0
    assert abs(stats.skew(logd)) < 0.6


def test_stage_reached_predicts_outcome(closed, hist):
    reached = hist.groupby("opportunity_id")["stage"].apply(lambda s: "Negotiation" in set(s))
    neg = reached.reindex(closed["opportunity_id"]).to_numpy()
    assert _won(closed)[neg].mean() > 0.7
    assert _won(closed)[~neg].mean() < 0.1
