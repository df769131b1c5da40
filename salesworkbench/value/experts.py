"""Pool several people's judgements of one assumption: the linear opinion pool.

The customer, our consultant and a reference customer each give a P10, P50 and P90 for, say,
adoption. Each judgement becomes the catalogue's ``percentiles`` distribution (which reproduces
all three quantiles exactly) and the pool is their weighted average *of probabilities*,

    F_pool(x) = sum_i w_i F_i(x),    sum_i w_i = 1,

the linear opinion pool that is SHELF's default. The pool keeps every expert's view of the
range, so it is wider than any single expert when they disagree (averaging the quantiles
instead would pretend they agree).

:func:`pool_experts` returns an :class:`ExpertPool` whose :attr:`~ExpertPool.spec` is a
``dist: pooled`` assumption for the case file: it records each judgement and weight, so the
pooling is reproducible and reviewable; :attr:`~ExpertPool.mixture_spec` gives the same
distribution as a general ``dist: mixture``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salesworkbench.errors import ValueCaseError
from salesworkbench.value.distributions import Distribution, make_distribution

__all__ = ["ExpertPool", "pool_experts"]


def _judgement_list(judgements: Any) -> list[dict]:
    if isinstance(judgements, Mapping):
        out = []
        for expert, j in judgements.items():
            if not isinstance(j, Mapping):
                raise ValueCaseError(
                    f"judgement of {expert!r} must be a mapping with p10, p50, p90, got {j!r}"
                )
            out.append({"expert": expert, **j})
        return out
    if isinstance(judgements, str | bytes) or not isinstance(judgements, Sequence):
        raise ValueCaseError(
            "judgements must map expert -> {p10, p50, p90} or be a list of "
            "{expert, p10, p50, p90[, weight]}"
        )
    out = []
    for i, j in enumerate(judgements):
        if not isinstance(j, Mapping):
            raise ValueCaseError(f"judgement #{i + 1} must be a mapping, got {j!r}")
        out.append({"expert": f"expert {i + 1}", **j})
    return out


@dataclass
class ExpertPool:
    """A linear opinion pool of several experts' P10/P50/P90.

    Attributes
    ----------
    name : str
        The assumption pooled.
    spec : dict
        ``{dist: pooled, judgements: [...]}`` for the case file.
    distribution : Distribution
        The pooled distribution.
    """

    name: str
    spec: dict
    distribution: Distribution

    @property
    def experts(self) -> list[str]:
        """The experts, in the order given."""
        return [j["expert"] for j in self.spec["judgements"]]

    @property
    def weights(self) -> np.ndarray:
        """The normalised weights."""
        return self.distribution._components[1].copy()

    @property
    def components(self) -> list[Distribution]:
        """Each expert's distribution (the catalogue's ``percentiles`` fit of their figures)."""
        return list(self.distribution._components[0])

    @property
    def mixture_spec(self) -> dict:
        """The same distribution as a ``dist: mixture`` spec."""
        return {
            "dist": "mixture",
            "components": [
                {"dist": "percentiles", **{k: j[k] for k in ("p10", "p50", "p90")}}
                for j in self.spec["judgements"]
            ],
            "weights": [float(w) for w in self.weights],
        }

    def cdf(self, x: Any) -> np.ndarray:
        """The pooled CDF: the weighted mean of the experts' CDFs."""
        return self.distribution.cdf(x)

    def ppf(self, q: Any) -> np.ndarray:
        """The pooled quantiles."""
        return self.distribution.ppf(q)

    @property
    def summary(self) -> pd.DataFrame:
        """P10, P50, P90, mean, sd and weight of each expert, then the pool."""
        rows = {}
        q = np.array([0.1, 0.5, 0.9])
        for expert, d, w in zip(self.experts, self.components, self.weights, strict=True):
            p10, p50, p90 = d.ppf(q)
            rows[expert] = {"p10": p10, "p50": p50, "p90": p90, "mean": d.mean(),
                            "sd": d.sd(), "weight": float(w)}  # fmt: skip
        p10, p50, p90 = self.distribution.ppf(q)
        rows["pooled"] = {"p10": p10, "p50": p50, "p90": p90, "mean": self.distribution.mean(),
                          "sd": self.distribution.sd(), "weight": 1.0}  # fmt: skip
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("expert")

    def plot(self, ax: Any = None, kind: str = "cdf") -> Any:
        """Each expert's distribution with the pool (``kind`` "cdf" or "pdf")."""
        from salesworkbench.plotting.negotiation import plot_pool

        return plot_pool(self, ax=ax, kind=kind)


def pool_experts(
    judgements: Mapping[str, Mapping] | Sequence[Mapping],
    weights: Mapping[str, float] | Sequence[float] | None = None,
    *,
    name: str = "pooled",
) -> ExpertPool:
    """Pool several experts' P10/P50/P90 for one assumption by a linear opinion pool.

    Parameters
    ----------
    judgements : mapping or sequence
        ``{"customer": {"p10": .., "p50": .., "p90": ..}, ...}`` or a list of
        ``{"expert": .., "p10": .., "p50": .., "p90": ..[, "weight": ..]}`` (the form a case
        file records).
    weights : mapping or sequence, optional
        Expert -> weight (or one weight per judgement, in order); normalised to sum to 1.
        Default: the weights in the judgements, else equal weights.
    name : str, default "pooled"
        The assumption's name, used in error messages.

    Returns
    -------
    ExpertPool
        ``spec`` is a ``dist: pooled`` mapping for the case file's ``assumptions``.

    Raises
    ------
    ValueCaseError
        Naming the expert and key at fault (P10 >= P50, a missing P90, an unknown key, a
        negative weight, weights for unknown experts, ...).
    """
    items = _judgement_list(judgements)
    if not items:
        raise ValueCaseError(f"assumption {name!r}: no judgements to pool")
    if weights is not None:
        experts = [j["expert"] for j in items]
        if isinstance(weights, Mapping):
            unknown = [e for e in weights if e not in experts]
            if unknown:
                raise ValueCaseError(
                    f"assumption {name!r}: weight for unknown expert {unknown[0]!r}; "
                    f"experts: {', '.join(map(str, experts))}"
                )
            missing = [e for e in experts if e not in weights]
            if missing:
                raise ValueCaseError(f"assumption {name!r}: no weight for expert {missing[0]!r}")
            w = [weights[e] for e in experts]
        else:
            w = list(weights)
            if len(w) != len(items):
                raise ValueCaseError(
                    f"assumption {name!r}: {len(w)} weights for {len(items)} judgements"
                )
        for wi in w:
            if isinstance(wi, bool) or not isinstance(wi, numbers.Real):
                raise ValueCaseError(f"assumption {name!r}: weights must be numbers, got {wi!r}")
        items = [{**j, "weight": float(wi)} for j, wi in zip(items, w, strict=True)]
    clean = [
        {
            k: float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else v
            for k, v in j.items()
        }
        for j in items
    ]
    spec = {"dist": "pooled", "judgements": clean}
    dist = make_distribution(spec, name)
    return ExpertPool(name, spec, dist)
