import pandas as pd
import pytest

from salesworkbench.datasets import AS_OF, data_path
from salesworkbench.plans import load_plan, value_case_summary
from salesworkbench.ui.plan_checks import ALL_CHECKS, PlanChecksBrowser


@pytest.fixture(scope="module")
def plans():
    account = load_plan(data_path("plans/account_plan_example.yaml"))
    opportunity = load_plan(data_path("plans/opportunity_plan_example.yaml"))
    summary = value_case_summary(opportunity, trials=5_000, seed=0)
    return account, opportunity, {opportunity.name: summary}


def test_threshold_slider_reruns_the_checks(plans):
    account, opportunity, summaries = plans
    p_value = summaries[opportunity.name].prob_positive
    app = PlanChecksBrowser(
        [account], [opportunity], as_of=AS_OF, summaries=summaries, threshold=0.99, draw=False
    )
    assert (app.checks["check"] == "value case").sum() == 1  # 0.99 is above any case here
    app.controls["threshold"].value = max(0.5, round(p_value - 0.05, 2))
    assert app.params["threshold"] == pytest.approx(max(0.5, round(p_value - 0.05, 2)))
    assert (app.checks["check"] == "value case").sum() == 0


def test_dropdown_lists_one_check(plans):
    account, opportunity, summaries = plans
    app = PlanChecksBrowser(
        [account], [opportunity], as_of=pd.Timestamp("2030-01-01"), summaries=summaries, draw=False
    )
    assert app.controls["check"].value == ALL_CHECKS and len(app.result) == len(app.checks)
    assert "overdue action" in app.controls["check"].options  # everything is overdue in 2030
    app.controls["check"].value = "overdue action"
    assert set(app.result["check"]) == {"overdue action"}
