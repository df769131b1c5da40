"""Segmentation on thin data: a plain CRM export with only revenue and employees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesworkbench.territory import segment
from salesworkbench.territory.segments import rank_thresholds


@pytest.fixture
def thin():
    rng = np.random.default_rng(4)
    n = 85
    return pd.DataFrame(
        {
            "account_id": [f"A{i:03d}" for i in range(n)],
            "name": [f"Account {i}" for i in range(n)],
            "revenue": np.round(rng.lognormal(6, 1.2, n), 2),
            "employees": rng.lognormal(7, 1.1, n).astype(int) + 1,
        }
    )


def test_thin_data_is_said(thin):
    with pytest.warns(Warning):
        seg = segment(thin)
    notes = seg.attrs["territory_notes"]
    assert any("only 2 driver(s) (revenue and employees)" in n for n in notes)
    assert any("thresholds='rank'" in n for n in notes)
    assert any("none is Beta" in n for n in notes)
    assert seg.attrs["territory"]["potential_high"] == 70


def test_rank_thresholds_put_the_top_share_in_alpha(thin):
    with pytest.warns(Warning):
        seg = segment(thin, thresholds="rank", top_share=0.2)
    t = seg.attrs["territory"]
    notes = seg.attrs["territory_notes"]
    n_alpha = int((seg["segment"] == "Alpha").sum())
    assert n_alpha == int(np.floor(0.2 * len(thin)))  # 17 of 85 (no ties in these scores)
    assert (seg.loc[seg["segment"] == "Alpha", "potential"] >= t["potential_high"]).all()
    assert not any("only 2 driver(s)" in n for n in notes)
    assert any("top 20%" in n for n in notes)


def test_rank_thresholds_closed_form():
    assert rank_thresholds(np.arange(10, 101, 10)) == (90.0, 40.0)
    assert rank_thresholds([50, np.nan, 60, 70, 80, 90], top_share=0.4, low_share=0.2) == (
        80.0,
        60.0,
    )
    with pytest.raises(ValueError, match="top_share"):
        rank_thresholds([1, 2], top_share=0)
    with pytest.raises(ValueError, match="thresholds must be"):
        segment(pd.DataFrame({"account_id": ["a"], "revenue": [1.0]}), thresholds="top")
