"""The customer-facing value case app: statement, assumptions, editable ranges, value, tornado.

Served by Voilà from ``value_case.ipynb`` (``make present CASE=...``) so the customer sees the
case, not the code. The interactive part is :class:`~salesworkbench.ui.value_explorer.
ValueCaseExplorer`; this module adds the title, the assumptions table and a friendly message
instead of a traceback when the case file is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import DataError, ValueCaseError
from salesworkbench.render import escape
from salesworkbench.ui.base import View

__all__ = ["ValueCaseApp", "assumptions_table"]

_SHOWN_KEYS = (
    "value",
    "min",
    "mode",
    "max",
    "mean",
    "sd",
    "p10",
    "p50",
    "p90",
    "alpha",
    "beta",
    "p",
)


def _number(value) -> str:
    try:
        return f"{float(value):,.6g}"
    except (TypeError, ValueError):
        return str(value)


def assumptions_table(case) -> pd.DataFrame:
    """One row per assumption: its distribution, the figures that define it, unit and source."""
    rows = []
    for name, assumption in case.assumptions.items():
        spec = dict(assumption.dist.spec)
        figures = ", ".join(f"{k} {_number(spec[k])}" for k in _SHOWN_KEYS if k in spec)
        if "values" in spec:
            figures = f"values {spec['values']}"
        rows.append(
            {
                "assumption": name,
                "distribution": assumption.dist.kind,
                "figures": figures,
                "unit": assumption.unit or "",
                "source": assumption.source or "",
            }
        )
    return pd.DataFrame(rows).set_index("assumption")


class ValueCaseApp(View):
    """The value case as an app: title, assumptions and the interactive explorer.

    Parameters
    ----------
    case : ValueCase
        The case to present.
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
        Monte Carlo trials of the explorer (shown in its headline).
    seed : int
        Seed of the explorer.
    """

    def __init__(self, case, trials: int = VALUE_TRIALS, seed: int = 0) -> None:
        import ipywidgets as widgets

        from salesworkbench.ui.value_explorer import ValueCaseExplorer

        self.case = case
        # no negotiation tab: the walk-away price is ours, not for the customer's eyes
        self.explorer = ValueCaseExplorer(case, trials=trials, seed=seed, negotiation=False)
        title = escape(f"{case.name}: the value for {case.customer}")
        table = assumptions_table(case).to_html(classes="sw-assumptions", border=0)
        self.widget = widgets.VBox(
            [
                widgets.HTML(f"<h2>{title}</h2>"),
                widgets.HTML(
                    "<p>Value = Total Benefits - Total Investment, over "
                    f"{case.horizon_years} years, in {escape(case.currency)}. Move an "
                    "assumption's range to see how the value and its chance of being positive "
                    "change.</p>"
                ),
                widgets.HTML(f"<h3>Assumptions</h3>{table}"),
                self.explorer.widget,
            ]
        )

    @classmethod
    def from_file(cls, path: str | Path, trials: int = VALUE_TRIALS, seed: int = 0):
        """Load a case file; a bad file gives an app that says what is wrong (no traceback)."""
        from salesworkbench.value import ValueCase

        try:
            case = ValueCase.from_yaml(path)
        except (ValueCaseError, DataError, OSError) as exc:
            return _ErrorApp(f"The value case {Path(path).name} cannot be shown: {exc}")
        return cls(case, trials=trials, seed=seed)


class _ErrorApp(View):
    """Shown instead of the app when the case file is missing or invalid."""

    def __init__(self, message: str) -> None:
        import ipywidgets as widgets

        self.message = message
        self.widget = widgets.HTML(
            f"<div style='color:#a00'><b>Problem:</b> {escape(message)}</div>"
        )
