"""Value cases: assumptions, benefits and investments, simulated in the customer's terms."""

from salesworkbench.value.case import (
    OUTPUTS,
    Assumption,
    Line,
    ValueCase,
    ValueSimulation,
    format_money,
    iman_conover,
)
from salesworkbench.value.distributions import (
    DISTRIBUTIONS,
    Distribution,
    make_distribution,
)
from salesworkbench.value.formula import (
    FUNCTIONS,
    Formula,
    compile_formula,
)
from salesworkbench.value.sensitivity import (
    convergence,
    rank_correlation,
    sobol,
    spider,
    tornado,
)
from salesworkbench.value.strawman import (
    DEFAULT_SCALE_BY,
    DEFAULT_WIDEN,
    REFERENCE_COLUMNS,
    load_reference_customers,
    nearest_reference,
    straw_man,
)
from salesworkbench.value.whatif import with_values

__all__ = [
    "Assumption",
    "DEFAULT_SCALE_BY",
    "DEFAULT_WIDEN",
    "DISTRIBUTIONS",
    "Distribution",
    "FUNCTIONS",
    "Formula",
    "Line",
    "OUTPUTS",
    "REFERENCE_COLUMNS",
    "ValueCase",
    "ValueSimulation",
    "compile_formula",
    "convergence",
    "format_money",
    "iman_conover",
    "load_reference_customers",
    "make_distribution",
    "nearest_reference",
    "rank_correlation",
    "sobol",
    "spider",
    "straw_man",
    "tornado",
    "with_values",
]
