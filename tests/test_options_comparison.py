"""OptionsComparison driven as a user would, without a browser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesworkbench.errors import ValueCaseError
from salesworkbench.ui import OptionsComparison
from salesworkbench.value import ValueCase, acceptability_curve, compare

TELECOM = Path(__file__).resolve().parents[1] / "data" / "value_cases" / "telecom_arpu.yaml"
TRIALS = 6_000
EVIL = "<img src=x onerror=alert(1)>"


def _options(ours_name: str = "our offer") -> dict[str, ValueCase]:
    case = ValueCase.from_yaml(TELECOM)
    ours = case.with_assumption("node_cost", {"dist": "fixed", "value": 2e6, "unit": "GBP"})
    competitor = ours.with_assumption(
        "node_cost", {"dist": "fixed", "value": 1.6e6, "unit": "GBP"}
    ).with_assumption("arpu_after", {"dist": "pert", "min": 24, "mode": 25, "max": 27})
    status_quo = ValueCase.from_dict(
        {
            "name": "Do nothing",
            "currency": "GBP",
            "assumptions": {"nothing": 0},
            "benefits": [{"name": "none", "formula": "nothing"}],
        }
    )
    return {"status quo": status_quo, "competitor": competitor, ours_name: ours}


@pytest.fixture(scope="module")
def options():
    return _options()


def test_tables_are_those_of_compare(options):
    app = OptionsComparison(options, trials=TRIALS, seed=5, draw=False)
    assert app.option == "our offer" and app.price == "node_cost"  # the last option, its GBP price
    assert app.params["baseline"] == "status quo"
    expected = compare(options, trials=TRIALS, seed=5)
    pd.testing.assert_frame_equal(app.result["summary"], expected.summary)
    pd.testing.assert_frame_equal(app.result["difference"], expected.difference)
    # a user picks another baseline: other differences, the same trials
    samples = app.result["comparison"].samples
    app.controls["baseline"].value = "competitor"
    assert app.result["comparison"].samples is samples
    against = compare(options, trials=TRIALS, seed=5, baseline="competitor").difference
    pd.testing.assert_frame_equal(app.result["difference"], against)
    d = against.loc["our offer"]
    assert f"better in {d['prob_better']:.1%}" in app.headline.value


def test_output_and_trials_rerun_compare(options):
    app = OptionsComparison(options, trials=TRIALS, seed=5, draw=False)
    app.set(output="npv", trials=7_000)
    assert app.params["output"] == "npv" and app.params["trials"] == 7_000
    expected = compare(options, trials=7_000, seed=5, output="npv")
    pd.testing.assert_frame_equal(app.result["summary"], expected.summary)
    assert app.result["curve"].output == "npv"


def test_price_range_moves_the_acceptability_curve(options):
    app = OptionsComparison(options, trials=TRIALS, seed=5, prices=(1.5e6, 4e6), draw=False)
    assert app.controls["prices"].value == (1.5e6, 4e6)
    app.controls["prices"].value = (1e6, 3e6)
    xs = np.linspace(1e6, 3e6, 41)
    expected = acceptability_curve(options, "our offer", "node_cost", xs, TRIALS, 5)
    pd.testing.assert_frame_equal(app.result["curve"].summary, expected.summary)
    p = app.result["curve"].summary["our offer"]
    assert p.iloc[0] > p.iloc[-1]  # a higher price: less often the best option


def test_default_price_range_is_around_the_price(options):
    app = OptionsComparison(options, trials=TRIALS, draw=False)
    assert app.params["prices"] == (1e6, 4e6)  # half to twice our quote of 2M


def test_draws_both_figures_and_redraws_on_change(options):
    app = OptionsComparison(options, trials=TRIALS, prices=(1.5e6, 4e6))
    ax_o, ax_a = app._fig.axes
    assert "P(best)" in ax_o.get_legend().get_texts()[0].get_text()
    assert ax_a.get_title() == "Acceptability curve"
    before = app.out.outputs[0]["data"]["image/png"]
    app.set(prices=(1e6, 2.5e6))
    assert app.out.outputs[0]["data"]["image/png"] != before
    assert "our offer" in app.table.value and "P(best)" in app.table.value


def test_option_names_are_escaped():
    options = _options(ours_name=EVIL)
    options[EVIL] = options[EVIL].with_assumption(
        "node_cost", {"dist": "fixed", "value": 2e6, "unit": "GBP"}
    )
    app = OptionsComparison(options, trials=2_000, baseline=EVIL)
    html = [app.widget.children[0].value, app.headline.value, app.table.value]
    for text in html:
        assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in app.widget.children[0].value
    assert "&lt;img" in app.table.value and "&lt;img" in app.headline.value


def test_settings_are_checked(options):
    with pytest.raises(ValueCaseError, match="at least two"):
        OptionsComparison({"only": options["competitor"]}, draw=False)
    with pytest.raises(ValueCaseError, match="option 'theirs'"):
        OptionsComparison(options, option="theirs", draw=False)
    with pytest.raises(ValueCaseError, match="no assumption 'fee'"):
        OptionsComparison(options, price="fee", draw=False)
    with pytest.raises(ValueCaseError, match="baseline"):
        OptionsComparison(options, baseline="nobody", draw=False)
    with pytest.raises(ValueCaseError, match="low < high"):
        OptionsComparison(options, prices=(3e6, 1e6), draw=False)
