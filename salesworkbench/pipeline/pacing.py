"""In-quarter pacing: are we going to make it? The period re-forecast at each date through it.

:func:`pacing` walks through a period (every week by default). At each date it rebuilds the
CRM as it stood at the start of that day (:func:`~salesworkbench.pipeline.backtesting.
opportunities_at`), refits the history model on what had closed before it, and forecasts the
rest of the period: the deals still open then, plus deals not yet created that will be won
before the period ends. What was already won in the period is ``booked``; the band is
``booked`` plus the simulated remainder. As the period runs, ``booked`` grows, the remainder
shrinks and the band narrows onto the actual; on the day after the period ends (the last row),
``booked`` is the actual and ``p_quota`` is 0 or 1.

Nothing known only later is used: see :mod:`salesworkbench.pipeline.backtesting` for what a
rebuild can and cannot undo (owner, product and segment are today's values; without stage
history, an open deal's amount is today's).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from salesworkbench._random import named_stream
from salesworkbench.defaults import BACKTEST_TRIALS
from salesworkbench.errors import DataError, DataWarning
from salesworkbench.pipeline.as_stood import as_stood
from salesworkbench.pipeline.forecasting import forecast
from salesworkbench.pipeline.history import HistoryModel, check_opportunities
from salesworkbench.schemas import OPPORTUNITIES

__all__ = ["pacing", "pacing_dates", "data_date"]

_EVERY = {"day": 1, "week": 7}


def data_date(opportunities: pd.DataFrame) -> pd.Timestamp:
    """The day after the latest date in a CRM export (when it was taken, at the latest).

    The latest of the created dates and of the closed deals' close dates, plus one day.
    """
    st = opportunities["status"].astype(object)
    closed = opportunities.loc[st.isin(["won", "lost"]).to_numpy(), "close_date"]
    last = max(opportunities["created"].max(), closed.max())
    return pd.Timestamp(last).normalize() + pd.Timedelta(days=1)


def pacing_dates(period, every: str | int = "week", today=None) -> list[pd.Timestamp]:
    """The dates :func:`pacing` forecasts at: the period's first day, then every ``every``.

    The last date is the day after the period (the actual), or ``today`` if the period has not
    ended by then (dates after ``today`` are not in the list).
    """
    per = pd.Period(period)
    start, end = per.start_time.normalize(), per.end_time.normalize()
    after = end + pd.Timedelta(days=1)
    if every == "month":
        dates = list(pd.date_range(start, end, freq="MS"))
    else:
        step = _EVERY.get(every, every) if isinstance(every, str) else int(every)
        if not isinstance(step, int) or step < 1:
            raise ValueError(f"every must be 'day', 'week', 'month' or a number of days: {every!r}")
        dates = list(pd.date_range(start, end, freq=f"{step}D"))
    dates.append(after)
    if today is not None:
        t = pd.Timestamp(today).normalize()
        dates = [d for d in dates if d <= t] + ([t] if start <= t < after else [])
    return sorted(set(dates))


def pacing(
    opportunities: pd.DataFrame,
    period,
    quota: float | None = None,
    *,
    every: str | int = "week",
    trials: int = BACKTEST_TRIALS,
    seed: int | None = None,
    stage_history: pd.DataFrame | None = None,
    snapshots=None,
    today=None,
    group_by: str | None = "auto",
    progress: bool = False,
) -> pd.DataFrame:
    """Re-forecast ``period`` at each date through it, from what was known at that date.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities as they stand now (closed deals with their real outcome).
    period : period-like
        The period, e.g. ``"2026Q3"`` or ``pd.Period("2026-11", "M")``.
    quota : float, optional
        The period's quota (``p_quota`` is blank without it).
    every : {"week", "day", "month"} or int
        Spacing of the dates (an int is a number of days); the first is the period's first
        day.
    trials : int, default :data:`~salesworkbench.defaults.BACKTEST_TRIALS`
        Monte Carlo trials per date.
    seed : int, optional
        Seed; each date's stream is keyed by the date itself, so a row does not depend on
        which other dates are computed.
    stage_history : DataFrame, optional
        Canonical stage history: stage, amount and expected close date as they stood.
    snapshots : SnapshotStore, optional
        Dated pipeline snapshots (:class:`~salesworkbench.snapshots.SnapshotStore`): at each
        date the latest snapshot on or before it is the open pipeline (as the CRM showed it
        then), less the deals known to have closed since and plus the deals created since.
    today : date, optional
        Stop here (a period still running stops at today). Default: the day after the latest
        date in ``opportunities`` (:func:`data_date`), or the real today if earlier.
    group_by : str or None, default "auto"
        Grouping of the win curves (see :meth:`HistoryModel.fit`). ``"auto"`` is resolved at
        the first date and kept for the rest, so the model does not switch mid-period.
    progress : bool
        Show a progress bar over dates.

    Returns
    -------
    DataFrame
        One row per date: ``date`` (as of the start of that day), ``booked`` (won in the
        period before that day), ``mean, p10, p50, p90`` (booked plus the simulated rest,
        deals not yet created included), ``remaining`` (mean of the rest), ``open_deals``,
        ``quota``, ``p_quota`` and ``final`` (the row after the period's end: the actual).
        ``attrs``: ``period``, ``quota``, ``actual`` (where the period has ended), ``notes``.
    """
    check_opportunities(opportunities, opportunities.attrs.get("source", "opportunities"))
    per = pd.Period(period)
    start, end = per.start_time.normalize(), per.end_time.normalize()
    after = end + pd.Timedelta(days=1)
    now = pd.Timestamp.today().normalize()
    today = (
        pd.Timestamp(today).normalize() if today is not None else min(data_date(opportunities), now)
    )
    dates = pacing_dates(per, every, today)
    if not dates:
        raise ValueError(f"period {per} starts after today ({today.date()}): nothing to pace")
    status = opportunities["status"].astype(object).to_numpy()
    close = opportunities["close_date"]
    won = status == "won"
    amount = opportunities["amount"].to_numpy(float)
    notes: list[str] = []
    q = np.nan if quota is None else float(quota)
    snap_dates = snapshots.dates() if snapshots is not None else []
    from tqdm.auto import tqdm

    rows = []
    for c in tqdm(dates, disable=not progress, desc="pacing"):
        in_per = won & (close >= start).to_numpy() & (close < min(c, after)).to_numpy()
        booked = float(np.nansum(amount[in_per]))
        row = {"date": c, "booked": booked, "final": bool(c >= after)}
        if c >= after:
            row.update(mean=booked, p10=booked, p50=booked, p90=booked, remaining=0.0)
            row["open_deals"] = 0
            total = np.array([booked])
        else:
            table, pipe = as_stood(opportunities, c, stage_history)
            pipe = _from_snapshot(pipe, opportunities, snapshots, snap_dates, c, notes)
            hist = None
            if stage_history is not None:
                hist = stage_history[(stage_history["changed"] < c).to_numpy()]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                try:
                    model = HistoryModel.fit(
                        table, hist, group_by=group_by, as_of=c - pd.Timedelta(days=1)
                    )
                except DataError as exc:
                    raise DataError(
                        f"pacing at {c.date()}: {exc.problem}", file=exc.file, column=exc.column
                    ) from exc
                if group_by == "auto":
                    group_by = model.group_by
                    notes.append(
                        f"win curves grouped by {group_by or 'nothing'} (chosen at "
                        f"{c.date()}, kept for the period)"
                    )
                sub = (
                    None
                    if seed is None
                    else int(
                        named_stream(seed, "pacing", int(c.value // 86_400_000_000_000)).integers(
                            2**62
                        )
                    )
                )
                res = forecast(
                    pipe,
                    model,
                    periods=[per],
                    trials=trials,
                    seed=sub,
                    as_of=c,
                    stale_after=None,
                    progress=False,
                )
            rest = res.bookings[:, 0]
            total = booked + rest
            p10, p50, p90 = np.percentile(total, [10, 50, 90])
            row.update(
                mean=float(total.mean()),
                p10=p10,
                p50=p50,
                p90=p90,
                remaining=float(rest.mean()),
                open_deals=len(pipe),
            )
        row["quota"] = q
        row["p_quota"] = float(np.mean(total >= q)) if np.isfinite(q) else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update(
        period=str(per),
        quota=q,
        actual=float(out["booked"].iloc[-1]) if out["final"].iloc[-1] else np.nan,
        today=today,
        notes=notes,
    )
    return out


def _from_snapshot(pipe, opportunities, snapshots, snap_dates, c, notes) -> pd.DataFrame:
    """The open pipeline at ``c`` from the latest snapshot on or before it, where there is one."""
    usable = [d for d in snap_dates if d <= c]
    if not usable:
        return pipe
    s = usable[-1]
    snap = snapshots.load(s)
    snap = snap[(snap["status"].astype(object) == "open").to_numpy()]
    ids = opportunities["opportunity_id"]
    closed_before = opportunities["status"].astype(object).isin(["won", "lost"]) & (
        opportunities["close_date"] < c
    )
    gone = set(ids[closed_before.to_numpy()])
    snap = snap[~snap["opportunity_id"].isin(gone).to_numpy()]
    new = pipe[~pipe["opportunity_id"].isin(set(snap["opportunity_id"])).to_numpy()]
    new = new[(new["created"] >= s).to_numpy()]
    cols = [col for col in pipe.columns if col in snap.columns]
    out = OPPORTUNITIES.coerce(pd.concat([snap[cols], new[cols]], ignore_index=True))
    out.attrs = dict(pipe.attrs)
    msg = f"{c.date()}: open pipeline from the snapshot of {s.date()}"
    notes.append(msg)
    return out
