"""What each open deal is worth to each period: P(won at all) and P(won within the period).

:func:`deal_probabilities` gives, for every open deal, ``p`` (its chance of being won at all,
given it is still open at its age) and ``q[:, k]`` (its chance of being won within period
``k``), by one of three timings (:data:`TIMINGS`):

- ``created``: both from the competing-risk curves of the deal's group at its age since
  creation (:mod:`~salesworkbench.pipeline.curves`);
- ``stage``: both from the landmark curves of its current stage at its age in the stage
  (:mod:`~salesworkbench.pipeline.stages`; needs stage history), from creation for a deal
  without a usable stage;
- ``close_date``: the chance from the stage curves (else the curves from creation), and *when*
  from the expected close date the CRM shows, through how far closes fell from the expected
  dates the CRM showed while earlier won deals were open, in the deal's stage where enough won
  deals showed dates in it (:func:`~salesworkbench.pipeline.timing.close_date_offsets`); a
  deal without an expected close date is timed by the curves.

With given win probabilities (``win_prob="crm"`` or an array) only the timing comes from these.
Which timing forecasts best is a question for the data:
:func:`~salesworkbench.pipeline.timing_choice.choose_timing` answers it on the history before
the fit date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.errors import DataError
from salesworkbench.pipeline.simulation import _scaled
from salesworkbench.pipeline.timing import _note_no_created, _timing_cdf

__all__ = ["TIMINGS", "deal_probabilities"]

#: The timings a forecast can use (``"auto"`` picks one of them).
TIMINGS = ("created", "stage", "close_date")


def deal_probabilities(
    deals: pd.DataFrame,
    model,
    as_of,
    starts: np.ndarray,
    ends: np.ndarray,
    timing: str = "created",
    win_prob: str | np.ndarray = "history",
    notes: list[str] | None = None,
    excluded: dict[str, int] | None = None,
    *,
    source: str = "open pipeline",
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """P(won at all) and P(won within each period) of each open deal.

    Parameters
    ----------
    deals : DataFrame
        Open deals (canonical opportunities).
    model : HistoryModel
        The fitted history model.
    as_of : Timestamp
        The forecast date: every deal is still open at the start of it.
    starts, ends : ndarray
        First and last day of each period (days since the epoch; the first start is at least
        ``as_of``).
    timing : {"created", "stage", "close_date"}
        See the module text.
    win_prob : "history", "crm" or array
        The model's chance, the CRM's ``probability`` column, or one per deal.
    notes, excluded : list, dict, optional
        Collect what a reader should know, and rows left out of an estimate.
    source : str
        Named in errors.
    rows : ndarray, optional
        The deals' row numbers in the file, named in errors (default: 2, 3, ...).

    Returns
    -------
    p : ndarray
        Shape (deals,).
    q : ndarray
        Shape (deals, periods); each row sums to at most ``p``.
    """
    if timing not in TIMINGS:
        raise ValueError(f"timing must be one of {', '.join(TIMINGS)}, got {timing!r}")
    notes = [] if notes is None else notes
    excluded = {} if excluded is None else excluded
    n = len(deals)
    history = isinstance(win_prob, str) and win_prob == "history"
    has_curves = model.win_model is not None
    has_stages = has_curves and model.stage_model is not None
    if history and has_curves and timing == "created":
        nocr = deals["created"].isna().to_numpy()
        if nocr.any():
            _note_no_created(nocr, notes, excluded)
        p = model.open_win_probability(deals, as_of)
        q = model.win_model.probabilities(deals, as_of, starts, ends, scale=model.cycle_scale)
        return p, _scaled(q, model.win_rate_scale)
    if history and has_stages and timing == "stage":
        return _stage_probabilities(deals, model, as_of, starts, ends, notes)

    # the curves' chance and timing, for a given chance or a deal without an expected date
    pe = qc = None
    if has_stages and timing in ("stage", "close_date"):
        pe, qc = _stage_probabilities(deals, model, as_of, starts, ends, [], scaled=False)
    elif has_curves:
        wm, sc = model.win_model, model.cycle_scale
        qc = wm.probabilities(deals, as_of, starts, ends, scale=sc)
        pe = wm.eventual(deals, as_of, scale=sc)
    if history and timing == "close_date" and pe is not None:
        p = np.clip(pe * model.win_rate_scale, 0.0, 1.0)  # old deals fade, as the data say
    else:
        p = _given_probability(win_prob, deals, model, source, rows)
    F = _timing_cdf(deals, model, as_of, ends, timing, notes, excluded)
    g = np.diff(np.concatenate([np.zeros((n, 1)), F], axis=1), axis=1)
    if pe is not None and (timing != "stage" or has_stages):
        with np.errstate(divide="ignore", invalid="ignore"):
            from_curves = np.where(pe[:, None] > 1e-12, qc / pe[:, None], g)
        use = np.ones(n, bool)
        if timing == "close_date":  # only the deals without an expected close date
            use = deals["close_date"].isna().to_numpy()
        g = np.where(use[:, None], from_curves, g)
    return p, p[:, None] * g


def _stage_probabilities(deals, model, as_of, starts, ends, notes, *, scaled=True):
    """P(won at all) and P(won in each period) from the deal's stage, else from creation.

    A cycle-time what-if changes the timing of a stage-timed deal's win, not its chance (at
    its real age in the stage), so a team what-if that keeps each deal's probability is exact.
    """
    sm, wm, sc = model.stage_model, model.win_model, model.cycle_scale
    q, ok = sm.probabilities(deals, as_of, starts, ends, scale=sc)
    p, _ = sm.eventual(deals, as_of)
    if sc != 1.0:
        pe, _ = sm.eventual(deals, as_of, scale=sc)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(pe[:, None] > 1e-12, q * (p / pe)[:, None], 0.0)
    if (~ok).any():
        rest = deals.loc[~ok]
        q[~ok] = wm.probabilities(rest, as_of, starts, ends, scale=sc)
        p[~ok] = wm.eventual(rest, as_of)
        if sc != 1.0:
            pe = wm.eventual(rest, as_of, scale=sc)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(pe > 1e-12, p[~ok] / pe, 0.0)
            q[~ok] = q[~ok] * r[:, None]
        notes.append(
            f"{int((~ok).sum())} open deals timed from creation (no stage entry in the "
            "history, or in their stage longer than any deal before)"
        )
    if scaled:
        p = np.clip(p * model.win_rate_scale, 0.0, 1.0)
        q = _scaled(q, model.win_rate_scale)
    return p, q


def _given_probability(win_prob, deals, model, source, rows) -> np.ndarray:
    n = len(deals)
    if isinstance(win_prob, str) and win_prob == "history":
        return model.win_probability(deals)
    if isinstance(win_prob, str) and win_prob == "crm":
        if "probability" not in deals.columns:
            raise DataError(
                "win_prob='crm' needs a 'probability' column", file=source, column="probability"
            )
        p = deals["probability"].to_numpy(float)
        nop = np.isnan(p)
        if nop.any():
            at = np.arange(n) + 2 if rows is None else np.asarray(rows)
            raise DataError(
                "blank CRM probability",
                file=source,
                column="probability",
                rows=at[nop].tolist(),
            )
        return np.clip(p * model.win_rate_scale, 0, 1)
    p = np.asarray(win_prob, float)
    if p.shape != (n,) or np.any((p < 0) | (p > 1)) or np.isnan(p).any():
        raise ValueError(f"win_prob must be 'history', 'crm' or {n} numbers in [0, 1]")
    return np.clip(p * model.win_rate_scale, 0, 1)
