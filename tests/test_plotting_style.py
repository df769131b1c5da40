"""The plots' shared look (plotting.style) and the update_* forms the widgets draw with."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from salesworkbench.datasets import data_path
from salesworkbench.plotting import (
    NEGATIVE_COLOUR,
    POSITIVE_COLOUR,
    format_ticks,
    money_axis,
    plot_enbs,
    plot_evppi,
    plot_tornado,
    plot_value_distribution,
    update_tornado,
    update_value_distribution,
)
from salesworkbench.value import ValueCase, tornado, with_values


@pytest.fixture(scope="module")
def case():
    return ValueCase.from_yaml(data_path("value_cases/telecom_arpu.yaml"))


@pytest.fixture
def axes():
    fig, axes = plt.subplots(1, 2)
    yield axes
    plt.close(fig)


def tick(axis, value: float) -> str:
    return axis.get_major_formatter()(value, 0)


def test_money_axis_uses_the_one_formatter(axes):
    money_axis(axes[0].xaxis, "GBP")
    assert [tick(axes[0].xaxis, v) for v in (2.5e6, 8e4, -1.2e9, 0)] == [
        "GBP 2.5M",
        "GBP 80K",
        "GBP -1.2B",
        "GBP 0",
    ]
    money_axis(axes[0].yaxis)
    assert tick(axes[0].yaxis, 999_999) == "1M"
    format_ticks(axes[1].xaxis, lambda v: f"<{v:g}>")
    assert tick(axes[1].xaxis, 3) == "<3>"


def test_value_of_information_plots_label_money_the_same_way(axes):
    plan = pd.DataFrame({"evppi": [1.5e6, 8e4], "evppi_se": [1e4, 1e3]}, index=["a", "b"])
    ax = plot_evppi(plan, evpi=2.5e6, currency="GBP", ax=axes[0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["EVPI 2.5M"]
    assert tick(ax.xaxis, 8e4) == "80K"
    table = pd.DataFrame(
        {"scaled_evsi": [1e5, 2e5], "cost": [5e4, 3e5], "enbs": [5e4, -1e5], "optimal": [1, 0]},
        index=[10, 100],
    ).astype({"optimal": bool})
    ax = plot_enbs(table, ax=axes[1])
    assert any("ENBS 50K" in t.get_text() for t in ax.texts)


def test_value_distribution_update_equals_a_fresh_plot(case, axes):
    a = case.simulate(20_000, seed=0, progress=False)
    moved = with_values(case, {"adoption": {"min": 0.2, "max": 0.6}})
    b = moved.simulate(20_000, seed=0, progress=False)
    plot_value_distribution(a, ax=axes[0])
    assert update_value_distribution(b, axes[0]) is axes[0]
    plot_value_distribution(b, ax=axes[1])

    def state(ax):
        art = {p.get_gid(): p for p in (*ax.patches, *ax.lines, *ax.texts) if p.get_gid()}
        steps = [art[f"value:{k}"] for k in ("negative", "positive")]
        return (
            [(s.get_visible(), *map(np.asarray, s.get_data())) for s in steps],
            [list(art[f"value:P{q}"].get_xdata()) for q in (10, 50, 90)],
            [art[f"value:P{q}:label"].get_text() for q in (10, 50, 90)],
            ax.get_xlim(),
            ax.get_ylim(),
            ax.get_title(),
        )

    (steps1, *rest1), (steps2, *rest2) = state(axes[0]), state(axes[1])
    assert rest1 == rest2
    for s1, s2 in zip(steps1, steps2, strict=True):
        assert s1[0] == s2[0]
        for x1, x2 in zip(s1[1:], s2[1:], strict=True):
            np.testing.assert_array_equal(x1, x2)
    assert f"{b.prob_positive():.0%}" in axes[0].get_title()
    assert steps1[0][0] and steps1[1][0]  # both sides of zero drawn
    negative = next(p for p in axes[0].patches if p.get_gid() == "value:negative")
    assert matplotlib.colors.same_color(negative.get_facecolor()[:3], NEGATIVE_COLOUR)


def test_update_on_empty_axes_draws(case, axes):
    sim = case.simulate(5_000, seed=0, progress=False)
    update_value_distribution(sim, axes[0])
    assert any(p.get_gid() == "value:positive" for p in axes[0].patches)
    update_tornado(tornado(case), axes[1], currency="GBP")
    assert "Tornado" in axes[1].get_title()


def test_tornado_update_moves_the_bars(case, axes):
    first = tornado(case)
    moved = tornado(with_values(case, {"adoption": {"min": 0.2, "max": 0.6}}))
    plot_tornado(first, ax=axes[0], currency="GBP")
    update_tornado(moved, axes[0], currency="GBP")
    plot_tornado(moved, ax=axes[1], currency="GBP")

    def bars(ax):
        return [
            (p.get_gid(), p.get_x(), p.get_width(), p.get_y())
            for p in ax.patches
            if (p.get_gid() or "").startswith("tornado:")
        ]

    assert bars(axes[0]) == bars(axes[1])
    labels = [[t.get_text() for t in ax.get_yticklabels()] for ax in axes]
    assert labels[0] == labels[1] and labels[0][-1].startswith(moved.index[0])
    assert axes[0].get_xlim() == pytest.approx(axes[1].get_xlim())
    highs = [p for p in axes[0].patches if p.get_gid() == "tornado:high"]
    assert matplotlib.colors.same_color(highs[0].get_facecolor()[:3], POSITIVE_COLOUR)
    # fewer rows than bars: drawn anew, once
    update_tornado(moved.head(2), axes[0], currency="GBP")
    assert len([p for p in axes[0].patches if p.get_gid() == "tornado:low"]) == 2
    assert len(axes[0].get_legend().get_texts()) == 2
