"""Matplotlib figures, one module per topic, and their shared look (:mod:`.style`).

Every function takes ``ax=None`` (the current Axes), imports matplotlib inside the function
and returns the Axes; importing this package does not import matplotlib. ``update_*``
functions put new data into a chart drawn before (fast, for widgets).
"""

from salesworkbench.plotting.forecast import (
    deal_contribution_chart,
    fan_chart,
    funnel_chart,
    reliability_plot,
    waterfall_chart,
)
from salesworkbench.plotting.pacing import node_fan, pacing_chart, rollup_fans
from salesworkbench.plotting.plans import STATUS_COLOURS, plot_scorecard, plot_white_space
from salesworkbench.plotting.sensitivity import (
    plot_convergence,
    plot_rank_correlation,
    plot_sobol,
    plot_spider,
    plot_tornado,
    update_tornado,
)
from salesworkbench.plotting.style import (
    LINE_COLOUR,
    NEGATIVE_COLOUR,
    POSITIVE_COLOUR,
    format_ticks,
    money_axis,
)
from salesworkbench.plotting.team import effect_sizes, funnel_compare, prize_fan, rep_forest
from salesworkbench.plotting.territory import (
    SEGMENT_COLOURS,
    plot_segment_bars,
    plot_segment_matrix,
    update_segment_bars,
    update_segment_matrix,
)
from salesworkbench.plotting.value import (
    plot_cumulative,
    plot_value_distribution,
    plot_waterfall,
    update_value_distribution,
)
from salesworkbench.plotting.voi import plot_enbs, plot_evppi

__all__ = [
    "node_fan",
    "pacing_chart",
    "rollup_fans",
    "LINE_COLOUR",
    "NEGATIVE_COLOUR",
    "POSITIVE_COLOUR",
    "SEGMENT_COLOURS",
    "STATUS_COLOURS",
    "deal_contribution_chart",
    "effect_sizes",
    "fan_chart",
    "format_ticks",
    "funnel_chart",
    "funnel_compare",
    "money_axis",
    "plot_convergence",
    "plot_cumulative",
    "plot_enbs",
    "plot_evppi",
    "plot_rank_correlation",
    "plot_scorecard",
    "plot_segment_bars",
    "plot_segment_matrix",
    "plot_sobol",
    "plot_spider",
    "plot_tornado",
    "plot_value_distribution",
    "plot_waterfall",
    "plot_white_space",
    "prize_fan",
    "reliability_plot",
    "rep_forest",
    "update_segment_bars",
    "update_segment_matrix",
    "update_tornado",
    "update_value_distribution",
    "waterfall_chart",
]
