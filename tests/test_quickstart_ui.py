import pandas as pd
import pytest

from salesworkbench.pipeline import win_rates
from salesworkbench.ui.quickstart import WinRateBrowser


@pytest.fixture
def opps():
    return pd.DataFrame(
        {
            "status": ["won", "lost", "lost", "won", "open", "won"],
            "product": ["A", "A", "B", "B", "B", "C"],
            "segment": ["x", "x", "x", "y", "y", "y"],
        }
    )


def test_win_rates_leave_out_open_deals(opps):
    table = win_rates(opps, "product")
    assert table.loc["A", "closed_deals"] == 2 and table.loc["B", "closed_deals"] == 2
    assert table.loc["C", "win_rate"] == 1.0 and table.loc["A", "win_rate"] == 0.5
    assert list(table.index) == ["C", "A", "B"] or table["win_rate"].is_monotonic_decreasing


def test_unknown_grouping_names_it(opps):
    with pytest.raises(ValueError, match="group_by='region'"):
        win_rates(opps, "region")


def test_browser_follows_the_dropdown(opps):
    app = WinRateBrowser(opps, draw=False)
    assert list(app.result.index) == list(win_rates(opps, "product").index)
    app.controls["group_by"].value = "segment"
    assert app.params == {"group_by": "segment"}
    assert set(app.result.index) == {"x", "y"}
    assert app.result.loc["x", "win_rate"] == pytest.approx(1 / 3, abs=1e-3)
