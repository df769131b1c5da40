"""Value cases: assumptions, benefits and investments, simulated in the customer's terms.

One module per idea:

- :mod:`~salesworkbench.value.case`: the YAML contract (:class:`ValueCase`, :class:`Assumption`,
  :class:`Line`): reading, checking, writing;
- :mod:`~salesworkbench.value.distributions`: the assumption distributions;
- :mod:`~salesworkbench.value.formula`: the safe formula language of the lines;
- :mod:`~salesworkbench.value.cashflows`: value, NPV, ROI and payback from the lines;
- :mod:`~salesworkbench.value.simulation`: the Monte Carlo engine and :class:`ValueSimulation`;
- :mod:`~salesworkbench.value.correlation`: rank correlations by Iman-Conover;
- :mod:`~salesworkbench.value.statement`: the value statement text;
- :mod:`~salesworkbench.value.sensitivity`: which assumptions matter;
- :mod:`~salesworkbench.value.strawman`: a prospect's case from a reference customer's;
- :mod:`~salesworkbench.value.negotiation`: break-even points, the walk-away price;
- :mod:`~salesworkbench.value.stress`: stress tests (an assumption's worst decile);
- :mod:`~salesworkbench.value.options`: options side by side (common random numbers);
- :mod:`~salesworkbench.value.fitting`: an assumption's distribution fitted to data;
- :mod:`~salesworkbench.value.experts`: several experts' judgements pooled.
- :mod:`~salesworkbench.value.excel`: the case as an editable Excel workbook and back;
- :mod:`~salesworkbench.value.versions`: dated versions and the diff waterfall between two;
- :mod:`~salesworkbench.value.realisation`: actuals against the case, and calibration.
"""

from salesworkbench.value.case import Assumption, Line, ValueCase
from salesworkbench.value.cashflow_table import (
    CASH_FLOW_COLUMNS,
    SCENARIOS,
    cash_flow_table,
    irr,
    payback_summary,
)
from salesworkbench.value.cashflows import OUTPUTS
from salesworkbench.value.correlation import (
    IC_BLOCK,
    correlation_factor,
    iman_conover,
    iman_conover_rows,
    spearman_to_pearson,
)
from salesworkbench.value.distributions import (
    DISTRIBUTIONS,
    Distribution,
    make_distribution,
)
from salesworkbench.value.excel import ExcelCaseError
from salesworkbench.value.experts import ExpertPool, pool_experts
from salesworkbench.value.fitting import FIT_CANDIDATES, DistributionFit, fit_distribution
from salesworkbench.value.formula import (
    FUNCTIONS,
    Formula,
    compile_formula,
)
from salesworkbench.value.negotiation import (
    BreakEven,
    CommonDraws,
    WalkAway,
    break_even,
    common_draws,
    plausible_range,
    walk_away,
)
from salesworkbench.value.options import (
    AcceptabilityCurve,
    Comparison,
    acceptability_curve,
    compare,
)
from salesworkbench.value.realisation import (
    Calibration,
    Realisation,
    calibration,
    realisation,
    realised_references,
)
from salesworkbench.value.sensitivity import (
    convergence,
    rank_correlation,
    sobol,
    spider,
    tornado,
)
from salesworkbench.value.simulation import DEFAULT_CHUNK_SIZE, ValueSimulation
from salesworkbench.value.statement import describe_assumption, value_statement
from salesworkbench.value.strawman import (
    DEFAULT_SCALE_BY,
    DEFAULT_WIDEN,
    REFERENCE_COLUMNS,
    nearest_reference,
    read_reference_customers,
    straw_man,
)
from salesworkbench.value.stress import Stress, StressTable, stress, stress_table
from salesworkbench.value.versions import CaseDiff, CaseVersion, VersionStore, diff
from salesworkbench.value.whatif import with_values

__all__ = [
    "CASH_FLOW_COLUMNS",
    "SCENARIOS",
    "cash_flow_table",
    "irr",
    "payback_summary",
    "AcceptabilityCurve",
    "Assumption",
    "BreakEven",
    "CommonDraws",
    "Comparison",
    "DistributionFit",
    "ExpertPool",
    "FIT_CANDIDATES",
    "Stress",
    "StressTable",
    "WalkAway",
    "acceptability_curve",
    "break_even",
    "common_draws",
    "compare",
    "fit_distribution",
    "plausible_range",
    "pool_experts",
    "stress",
    "stress_table",
    "walk_away",
    "Calibration",
    "CaseDiff",
    "CaseVersion",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_SCALE_BY",
    "DEFAULT_WIDEN",
    "DISTRIBUTIONS",
    "Distribution",
    "ExcelCaseError",
    "FUNCTIONS",
    "Formula",
    "IC_BLOCK",
    "Line",
    "OUTPUTS",
    "REFERENCE_COLUMNS",
    "Realisation",
    "ValueCase",
    "ValueSimulation",
    "VersionStore",
    "calibration",
    "compile_formula",
    "convergence",
    "correlation_factor",
    "describe_assumption",
    "diff",
    "iman_conover",
    "iman_conover_rows",
    "make_distribution",
    "nearest_reference",
    "rank_correlation",
    "read_reference_customers",
    "realisation",
    "realised_references",
    "sobol",
    "spearman_to_pearson",
    "spider",
    "straw_man",
    "tornado",
    "value_statement",
    "with_values",
]
