"""Pipeline forecasting: learn from closed deals, simulate the open pipeline.

The workflow has two steps with a plain hand-over, so each can be checked on its own:

1. :meth:`HistoryModel.fit` learns from the closed opportunities (and the stage history where the
   CRM has it): win rates overall, by stage reached and by a group (segment, product, owner),
   as Beta posteriors that shrink small groups towards the overall rate; the time a won deal
   takes to close (empirical, from creation or from entering its current stage); and slippage
   of expected close dates.
2. :func:`forecast` simulates the open pipeline: in each trial each deal wins or loses and, if
   it wins, closes on a date drawn from the timing model, so deals can slip out of a period.
   It returns per-period mean, P10/P50/P90, P(bookings >= quota), each deal's contribution,
   and the stage-weighted forecast beside it.

Pipeline health (:func:`coverage_ratio`, :func:`sales_velocity`, :func:`pipeline_waterfall`)
completes the picture.

Model, in one paragraph
-----------------------
Deal *i* wins with probability ``p_i`` (its Beta posterior mean) independently of the others;
given a win, it closes ``T`` days after its base date (creation, entry into its current stage,
or its expected close date plus a slip), where ``T`` is drawn from the empirical distribution of
won deals *conditional on the deal still being open today* (``T >= age``). So each deal has a
categorical outcome per trial: "won in period 1", ..., "won in period K", "won later" or "lost",
with probabilities ``p_i * q_ik``. The simulation draws one uniform number per deal and trial
and compares it with the cumulative thresholds ``p_i * F_ik``; the expected value and variance of
each deal's contribution are exact (``a p q`` and ``a^2 p q (1 - p q)``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from salesworkbench._random import named_stream
from salesworkbench.errors import DataError, warn_note
from salesworkbench.schemas import OPPORTUNITIES

__all__ = [
    "DEFAULT_PRIOR_STRENGTH",
    "ForecastResult",
    "HistoryModel",
    "beta_posterior",
    "check_opportunities",
    "coverage_ratio",
    "forecast",
    "forecast_periods",
    "pipeline_waterfall",
    "sales_velocity",
]

#: Prior strength (in pseudo-deals) of the Beta prior that pulls a group's win rate towards the
#: rate one level up (overall, or the stage's rate). A group with n closed deals gets weight
#: n / (n + 10) on its own record: 10 deals count half, 90 deals count 90%.
DEFAULT_PRIOR_STRENGTH = 10.0

#: Trial and deal block sizes of the Monte Carlo. Fixed (not tuned to memory) so the same seed
#: gives the same draws on every machine; each block uses its own named stream.
TRIAL_BLOCK = 512
DEAL_BLOCK = 4096

#: A group needs this many won deals to get its own cycle-time distribution.
MIN_GROUP_CYCLES = 30

#: Fewer than this many historical cycle times beyond a deal's age: use the tail instead.
MIN_TAIL = 10

_FREQ = {"quarter": "Q", "q": "Q", "month": "M", "m": "M", "year": "Y", "y": "Y"}


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------


def _days(s: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Dates as float days since 1970-01-01 (NaT -> NaN)."""
    arr = pd.to_datetime(pd.Series(s)).to_numpy("datetime64[ns]")
    out = arr.astype("datetime64[D]").astype(np.int64).astype(float)
    out[np.isnat(arr)] = np.nan
    return out


def _day(ts) -> float:
    return float(np.datetime64(pd.Timestamp(ts).normalize().date(), "D").astype(np.int64))


def _rows(mask) -> list[int]:
    return (np.flatnonzero(np.asarray(mask)) + 2).tolist()


def beta_posterior(
    wins: float | np.ndarray,
    n: float | np.ndarray,
    prior_mean: float | np.ndarray,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> tuple[np.ndarray, np.ndarray]:
    """Conjugate Beta posterior of a win rate.

    Prior ``Beta(k m, k (1 - m))`` with mean ``m`` (the rate one level up) and strength ``k``
    pseudo-deals; after ``w`` wins in ``n`` closed deals the posterior is
    ``Beta(k m + w, k (1 - m) + n - w)`` with mean ``(k m + w) / (k + n)``.

    Parameters
    ----------
    wins, n : float or array
        Wins and closed deals (won + lost) of the group.
    prior_mean : float or array
        The rate the group shrinks towards, strictly between 0 and 1.
    prior_strength : float
        ``k``, in pseudo-deals (> 0).

    Returns
    -------
    alpha, beta : ndarray
        Posterior Beta parameters.
    """
    if not prior_strength > 0:
        raise ValueError(f"prior_strength must be > 0 pseudo-deals, got {prior_strength!r}")
    m = np.clip(np.asarray(prior_mean, float), 1e-6, 1 - 1e-6)
    w = np.asarray(wins, float)
    n = np.asarray(n, float)
    return prior_strength * m + w, prior_strength * (1 - m) + (n - w)


def _rate_table(
    keys: pd.Series,
    won: np.ndarray,
    prior_mean,
    prior_strength: float,
    name: str,
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    w8 = np.ones(len(won)) if weights is None else np.asarray(weights, float)
    df = pd.DataFrame(
        {name: keys.astype(object).to_numpy(), "won": won.astype(float) * w8, "w": w8}
    )
    df = df[pd.notna(df[name])]
    g = df.groupby(name, sort=True)[["won", "w"]].sum()
    g.columns = ["wins", "n"]
    g["losses"] = g["n"] - g["wins"]
    g["observed"] = g["wins"] / g["n"]
    pm = prior_mean(g.index) if callable(prior_mean) else np.full(len(g), prior_mean)
    a, b = beta_posterior(g["wins"].to_numpy(), g["n"].to_numpy(), pm, prior_strength)
    g["prior_mean"] = pm
    g["alpha"], g["beta"] = a, b
    g["mean"] = a / (a + b)
    g["p05"] = stats.beta.ppf(0.05, a, b)
    g["p95"] = stats.beta.ppf(0.95, a, b)
    if weights is None:
        g[["wins", "n", "losses"]] = g[["wins", "n", "losses"]].round().astype(int)
    cols = ["wins", "losses", "n", "observed", "prior_mean", "alpha", "beta", "mean", "p05", "p95"]
    return g[cols]


def check_opportunities(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate a canonical opportunity table (dtypes, ids, close before created)."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{source}: expected a pandas DataFrame, got {type(frame).__name__}")
    OPPORTUNITIES.validate(frame, source=source)
    bad = (frame["close_date"] < frame["created"]).to_numpy()
    if bad.any():
        raise DataError(
            "close date before created date", file=source, column="close_date", rows=_rows(bad)
        )
    amt = frame["amount"].to_numpy(float)
    neg = amt < 0
    if neg.any():
        raise DataError("negative amount", file=source, column="amount", rows=_rows(neg))
    if "probability" in frame.columns:
        pr = frame["probability"].to_numpy(float)
        out = (pr < 0) | (pr > 1)
        if out.any():
            raise DataError(
                "probability outside 0-1", file=source, column="probability", rows=_rows(out)
            )
    return frame


# ----------------------------------------------------------------------------------------------
# timing: conditional empirical distributions
# ----------------------------------------------------------------------------------------------


def _conditional_cdf(offsets: np.ndarray, age: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """P(offset <= limit | offset >= age) under the empirical distribution ``offsets``.

    ``offsets`` sorted (days from a deal's base date to its close); ``age`` (n,) days already
    elapsed since the base date; ``limits`` (n, K) days from the base date to each period end.
    When fewer than ``MIN_TAIL`` offsets are at least ``age`` (the deal is older than almost all
    history), the remaining time is drawn from the spread of the longest ``MIN_TAIL`` offsets
    above their smallest value, added to the age.
    """
    m = offsets.size
    j = np.searchsorted(offsets, age, side="left")
    cnt = m - j
    need = min(MIN_TAIL, m)
    upto = np.searchsorted(offsets, limits, side="right")
    main = np.clip(upto - j[:, None], 0, None) / np.maximum(cnt, 1)[:, None]
    tail = offsets[m - need :] - offsets[m - need]
    tail_cdf = np.searchsorted(tail, limits - age[:, None], side="right") / need
    return np.where((cnt >= need)[:, None], main, tail_cdf)


# ----------------------------------------------------------------------------------------------
# the history model
# ----------------------------------------------------------------------------------------------


@dataclass
class HistoryModel:
    """What closed deals teach about winning and timing (fit with :meth:`fit`).

    Attributes
    ----------
    as_of : Timestamp
        Only deals closed on or before this date were used.
    overall : Series
        Overall win rate: wins, losses, n, observed and the Jeffreys ``Beta(w + 1/2, l + 1/2)``
        posterior (alpha, beta, mean, p05, p95).
    by_stage : DataFrame or None
        Win rate by stage reached (needs stage history), shrunk towards ``overall``.
    by_stage_open : DataFrame or None
        Win rate of a deal found sitting in each stage: closed deals seen at monthly snapshots
        while open, each deal weighted 1 in total (fractional counts). This is the rate used
        for open deals: slow, dying deals linger in early stages, so the "reached" rates
        overstate an open deal's chances.
    by_group : DataFrame or None
        Win rate by ``group_by``, shrunk towards ``overall``.
    cell_rates : DataFrame or None
        Stage x group rates shrunk towards the stage rate (used when both are known).
    cycle_days : ndarray
        Sorted days from creation to close of won deals.
    cycle_by_group : dict
        The same per ``group_by`` value, for groups with at least ``MIN_GROUP_CYCLES`` won
        deals (timing from creation uses the group's own cycle times where it has them).
    stage_days : dict
        Stage -> sorted days from (last) entering the stage to close, won deals.
    slip_days : ndarray
        Sorted days between a won deal's first recorded expected close date and its close.
    slippage : Series
        Share of closed deals pushed at least once, pushes per deal, median push (days).
    deal_sizes : ndarray
        Amounts of won deals (what a win is worth).
    lost_amounts : dict
        Lost deals: how many had amount 0 (unknown), how many were recovered from
        ``original_amount``, and how many stay unknown.
    excluded : dict
        Rows left out of each estimate, with the reason as key.
    win_rate_scale, cycle_scale, deal_size_scale : float
        What-if multipliers (see :meth:`what_if`); 1.0 means as learned.
    """

    as_of: pd.Timestamp
    prior_strength: float
    group_by: str | None
    overall: pd.Series
    by_stage: pd.DataFrame | None
    by_stage_open: pd.DataFrame | None
    by_group: pd.DataFrame | None
    cell_rates: pd.DataFrame | None
    cycle_days: np.ndarray
    cycle_by_group: dict[str, np.ndarray]
    stage_days: dict[str, np.ndarray]
    slip_days: np.ndarray
    slippage: pd.Series
    deal_sizes: np.ndarray
    lost_amounts: dict[str, int]
    excluded: dict[str, int]
    list_prices: dict[str, float] | None
    closed: pd.DataFrame = field(repr=False)
    stage_entered: pd.Series = field(repr=False)
    notes: list[str] = field(default_factory=list, repr=False)
    win_rate_scale: float = 1.0
    cycle_scale: float = 1.0
    deal_size_scale: float = 1.0

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        opportunities: pd.DataFrame,
        stage_history: pd.DataFrame | None = None,
        *,
        group_by: str | None = None,
        as_of=None,
        prior_strength: float = DEFAULT_PRIOR_STRENGTH,
        stage_order: Sequence[str] | None = None,
        list_prices: Mapping[str, float] | None = None,
    ) -> HistoryModel:
        """Learn win rates, cycle times and slippage from closed opportunities.

        Parameters
        ----------
        opportunities : DataFrame
            Canonical opportunities (open deals are ignored, except to look up stage entry
            dates for the forecast).
        stage_history : DataFrame, optional
            Canonical stage history; enables win rate by stage reached, time from stage and
            slippage.
        group_by : str, optional
            Column to learn group win rates by (``segment``, ``product``, ``owner``, ...).
        as_of : date, optional
            Use only deals closed on or before this date (default: the latest close date).
        prior_strength : float
            Pseudo-deals of the shrinkage prior (see :data:`DEFAULT_PRIOR_STRENGTH`).
        list_prices : mapping, optional
            Product -> list price: the amount of a lost deal recorded as 0 without an
            ``original_amount``, and of open deals without an amount.
        stage_order : sequence of str, optional
            Open stages in funnel order: a deal that reached a later stage is counted as having
            reached the earlier ones too (CRMs let reps skip stages).

        Raises
        ------
        DataError
            Not a canonical table, duplicate ids, close before created, no closed deals, or a
            ``group_by`` column that does not exist.
        """
        source = (
            opportunities.attrs.get("source", "opportunities")
            if isinstance(opportunities, pd.DataFrame)
            else "opportunities"
        )
        check_opportunities(opportunities, source)
        if group_by is not None and group_by not in opportunities.columns:
            cands = [c for c in ("segment", "product", "owner", "territory") if c in opportunities]
            raise DataError(
                f"group_by={group_by!r} is not a column; choose one of {', '.join(cands)}",
                file=source,
                column=group_by,
            )
        notes: list[str] = []
        excluded: dict[str, int] = {}
        status = opportunities["status"].astype(object).to_numpy()
        closed_mask = np.isin(status, ["won", "lost"])
        no_date = closed_mask & opportunities["close_date"].isna().to_numpy()
        if no_date.any():
            excluded["closed without close date"] = int(no_date.sum())
            warn_note(
                notes,
                f"{int(no_date.sum())} closed deals have no close date: left out of "
                "the history (rows " + ", ".join(map(str, _rows(no_date)[:10])) + ")",
            )
        as_of = (
            pd.Timestamp(as_of)
            if as_of is not None
            else opportunities.loc[closed_mask & ~no_date, "close_date"].max()
        )
        if pd.isna(as_of):
            raise DataError(
                "no closed (won or lost) deals with a close date to learn from",
                file=source,
                column="status",
            )
        use = closed_mask & ~no_date & (opportunities["close_date"] <= as_of).to_numpy()
        closed = opportunities.loc[use].copy()
        if len(closed) == 0:
            raise DataError(
                f"no deals closed on or before {as_of.date()} to learn from",
                file=source,
                column="close_date",
            )
        won = (closed["status"].astype(object) == "won").to_numpy()

        # -- amounts: lost deals with amount 0 are unknown, not zero
        amount = closed["amount"].to_numpy(float).copy()
        lost0 = ~won & (amount == 0)
        recovered = np.zeros_like(lost0)
        if "original_amount" in closed.columns:
            orig = closed["original_amount"].to_numpy(float)
            recovered = lost0 & (orig > 0)
            amount[recovered] = orig[recovered]
        priced = np.zeros_like(lost0)
        if list_prices is not None and "product" in closed.columns:
            lp = _price_lookup(closed["product"], list_prices)
            priced = lost0 & ~recovered & (lp > 0)
            amount[priced] = lp[priced]
        unknown = lost0 & ~recovered & ~priced
        amount[unknown] = np.nan
        closed["amount"] = amount
        lost_amounts = {
            "lost_with_amount_0": int(lost0.sum()),
            "recovered_from_original_amount": int(recovered.sum()),
            "recovered_from_list_price": int(priced.sum()),
            "unknown": int(unknown.sum()),
        }
        if lost0.any():
            warn_note(
                notes,
                f"{int(lost0.sum())} lost deals have amount 0 (unknown, not zero): "
                f"{int(recovered.sum())} take original_amount, {int(priced.sum())} the list "
                f"price, {int(unknown.sum())} stay unknown (win rates count them; deal sizes "
                "use won deals only)",
            )

        # -- win rates
        w, n = float(won.sum()), float(len(won))
        a0, b0 = w + 0.5, n - w + 0.5
        overall = pd.Series(
            {
                "wins": int(w),
                "losses": int(n - w),
                "n": int(n),
                "observed": w / n,
                "alpha": a0,
                "beta": b0,
                "mean": a0 / (a0 + b0),
                "p05": stats.beta.ppf(0.05, a0, b0),
                "p95": stats.beta.ppf(0.95, a0, b0),
            }
        )
        p_all = float(overall["mean"])

        by_group = None
        if group_by is not None:
            missing = closed[group_by].isna().to_numpy()
            if missing.any():
                excluded[f"closed deals without {group_by} (overall rate only)"] = int(
                    missing.sum()
                )
            by_group = _rate_table(closed[group_by], won, p_all, prior_strength, group_by)

        # -- stage history: stage reached, time from stage, slippage
        by_stage = by_stage_open = cell_rates = None
        stage_days: dict[str, np.ndarray] = {}
        slip = np.array([], float)
        slippage = pd.Series(
            {
                "deals_with_history": 0,
                "pushed_share": np.nan,
                "pushes_per_deal": np.nan,
                "median_push_days": np.nan,
            }
        )
        stage_entered = pd.Series(dtype="datetime64[ns]")
        if stage_history is not None and len(stage_history):
            res = _learn_stage_history(
                stage_history,
                closed,
                won,
                opportunities,
                as_of,
                p_all,
                prior_strength,
                group_by,
                stage_order,
                excluded,
            )
            by_stage, by_stage_open, cell_rates, stage_days, slip, slippage, stage_entered = res

        # -- cycle times (won deals with both dates)
        wc = closed.loc[won]
        cyc = _days(wc["close_date"]) - _days(wc["created"])
        nocyc = np.isnan(cyc)
        if nocyc.any():
            excluded["won deals without created date (cycle time)"] = int(nocyc.sum())
            warn_note(
                notes,
                f"{int(nocyc.sum())} won deals have no created date: left out of the "
                "cycle-time distribution",
            )
        cycle_by_group: dict[str, np.ndarray] = {}
        if group_by is not None:
            gk = wc[group_by].astype(object).to_numpy()
            for g in pd.unique(gk[~nocyc & pd.notna(gk)]):
                arr = np.sort(cyc[(gk == g) & ~nocyc])
                if arr.size >= MIN_GROUP_CYCLES:
                    cycle_by_group[g] = arr
        sizes = wc["amount"].to_numpy(float)
        nosize = np.isnan(sizes)
        if nosize.any():
            excluded["won deals without amount (deal size)"] = int(nosize.sum())
        return cls(
            as_of=pd.Timestamp(as_of),
            prior_strength=float(prior_strength),
            group_by=group_by,
            overall=overall,
            by_stage=by_stage,
            by_stage_open=by_stage_open,
            by_group=by_group,
            cell_rates=cell_rates,
            cycle_days=np.sort(cyc[~nocyc]),
            cycle_by_group=cycle_by_group,
            stage_days=stage_days,
            slip_days=np.sort(slip),
            slippage=slippage,
            deal_sizes=sizes[~nosize],
            lost_amounts=lost_amounts,
            excluded=excluded,
            list_prices=dict(list_prices) if list_prices is not None else None,
            closed=closed,
            stage_entered=stage_entered,
            notes=notes,
        )

    # ------------------------------------------------------------------ reuse
    def rates(self, by: str) -> pd.DataFrame:
        """Win rates by any column of the closed deals, shrunk towards the overall rate."""
        if by not in self.closed.columns:
            raise DataError(f"no column {by!r} in the closed deals", column=by)
        won = (self.closed["status"].astype(object) == "won").to_numpy()
        return _rate_table(
            self.closed[by], won, float(self.overall["mean"]), self.prior_strength, by
        )

    def refit(self, **changes) -> HistoryModel:
        """Return the model fitted again on the same closed deals with other options.

        E.g. ``model.refit(group_by="owner")``; the what-if multipliers are kept.
        """
        opts = {
            "group_by": self.group_by,
            "as_of": self.as_of,
            "prior_strength": self.prior_strength,
            "list_prices": self.list_prices,
            **changes,
        }
        new = HistoryModel.fit(self.closed, **opts)
        new.stage_days, new.slip_days, new.slippage = self.stage_days, self.slip_days, self.slippage
        new.stage_entered, new.by_stage = self.stage_entered, self.by_stage
        new.by_stage_open = self.by_stage_open
        return replace(
            new,
            win_rate_scale=self.win_rate_scale,
            cycle_scale=self.cycle_scale,
            deal_size_scale=self.deal_size_scale,
        )

    def what_if(
        self, *, win_rate: float = 1.0, cycle_time: float = 1.0, deal_size: float = 1.0
    ) -> HistoryModel:
        """Return a copy with win rates, cycle times and deal sizes scaled.

        Win probabilities are multiplied by ``win_rate`` (capped at 1), times to close by
        ``cycle_time`` and open amounts by ``deal_size``. With all three at 1 a forecast with the
        same seed reproduces the baseline exactly (the random draws do not depend on them).
        """
        for name, v in (
            ("win_rate", win_rate),
            ("cycle_time", cycle_time),
            ("deal_size", deal_size),
        ):
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"what_if: {name} must be a positive multiplier, got {v!r}")
        return replace(
            self,
            win_rate_scale=self.win_rate_scale * win_rate,
            cycle_scale=self.cycle_scale * cycle_time,
            deal_size_scale=self.deal_size_scale * deal_size,
        )

    @property
    def win_rate(self) -> float:
        """Overall win rate (posterior mean) times the what-if multiplier, capped at 1."""
        return min(float(self.overall["mean"]) * self.win_rate_scale, 1.0)

    @property
    def typical_deal(self) -> float:
        """Mean amount of a won deal (times the what-if multiplier)."""
        return (
            float(np.mean(self.deal_sizes)) * self.deal_size_scale
            if self.deal_sizes.size
            else float("nan")
        )

    @property
    def cycle_length(self) -> float:
        """Mean days from creation to close of a won deal (times the what-if multiplier)."""
        return (
            float(np.mean(self.cycle_days)) * self.cycle_scale
            if self.cycle_days.size
            else float("nan")
        )

    def win_probability(self, deals: pd.DataFrame) -> np.ndarray:
        """Win probability of each deal: stage rate, then group within stage, else overall."""
        n = len(deals)
        p = np.full(n, float(self.overall["mean"]))
        stage_known = np.zeros(n, bool)
        if self.by_stage_open is not None and "stage" in deals.columns:
            st = deals["stage"].astype(object).map(self.by_stage_open["mean"]).to_numpy(float)
            stage_known = ~np.isnan(st)
            p = np.where(stage_known, st, p)
        if self.group_by is not None and self.group_by in deals.columns:
            g = deals[self.group_by].astype(object)
            gp = g.map(self.by_group["mean"]).to_numpy(float)
            use_g = ~stage_known & ~np.isnan(gp)
            p = np.where(use_g, gp, p)
            if self.cell_rates is not None and stage_known.any():
                keys = pd.MultiIndex.from_arrays([deals["stage"].astype(object), g])
                cell = self.cell_rates.reindex(keys)
                w_ = cell["wins"].to_numpy(float)
                n_ = cell["n"].to_numpy(float)
                has = stage_known & ~np.isnan(n_)
                a, b = beta_posterior(np.nan_to_num(w_), np.nan_to_num(n_), p, self.prior_strength)
                p = np.where(has, a / (a + b), p)
        return np.clip(p * self.win_rate_scale, 0.0, 1.0)

    def summary(self) -> pd.DataFrame:
        """One table of the headline figures (for notebooks and reports)."""
        rows = {
            "closed deals": self.overall["n"],
            "win rate": self.overall["mean"],
            "won deal size (mean)": self.typical_deal,
            "cycle days (median)": float(np.median(self.cycle_days)) * self.cycle_scale
            if self.cycle_days.size
            else np.nan,
            "cycle days (P90)": float(np.quantile(self.cycle_days, 0.9)) * self.cycle_scale
            if self.cycle_days.size
            else np.nan,
            "lost deals with amount 0": self.lost_amounts["lost_with_amount_0"],
            "deals pushed (share)": self.slippage["pushed_share"],
        }
        return pd.Series(rows, name="value").to_frame()


def _learn_stage_history(
    history, closed, won, opportunities, as_of, p_all, k, group_by, stage_order, excluded
):
    h = history.copy()
    need = [c for c in ("opportunity_id", "changed", "stage") if c not in h.columns]
    if need:
        raise DataError(f"stage history lacks column(s) {', '.join(need)}", file="stage history")
    h = h[h["changed"] <= as_of].sort_values(["opportunity_id", "changed"], kind="stable")
    known = set(opportunities["opportunity_id"])
    orphan = ~h["opportunity_id"].isin(known)
    if orphan.any():
        excluded["stage history rows of unknown opportunities"] = int(orphan.sum())
        h = h[~orphan]
    closed_ids = closed["opportunity_id"].to_numpy()
    won_of = pd.Series(won, index=closed_ids)
    # stage reached: open stages seen in the history (closing stages are not "reached")
    open_stages = set(
        opportunities.loc[opportunities["status"].astype(object) == "open", "stage"].dropna()
    )
    hc = h[h["opportunity_id"].isin(closed_ids)]
    reached = hc[["opportunity_id", "stage"]].drop_duplicates()
    if stage_order:
        order = {s: i for i, s in enumerate(stage_order)}
        top = reached["stage"].map(order).groupby(reached["opportunity_id"]).max().dropna()
        extra = [(oid, s) for oid, t in top.items() for s in stage_order[: int(t) + 1]]
        reached = pd.concat([reached, pd.DataFrame(extra, columns=["opportunity_id", "stage"])])
        reached = reached.drop_duplicates()
    closing = ~reached["stage"].isin(open_stages | set(stage_order or []))
    reached = reached[~closing]
    by_stage = None
    if len(reached):
        rw = won_of.reindex(reached["opportunity_id"]).to_numpy(bool)
        by_stage = _rate_table(reached["stage"], rw, p_all, k, "stage")
    # win rate of a deal *sitting* in a stage: monthly snapshots of the closed deals while they
    # were open, each deal weighted 1 in total (slow, dying deals sit longer in early stages, so
    # "reached" rates overstate the chances of a deal found there today)
    by_stage_open = cell = None
    hcs = hc.sort_values("changed", kind="stable")
    if len(hcs):
        start = hcs["changed"].min().to_period("M").start_time
        dates = pd.date_range(start, as_of, freq="MS")
        cl = closed[["opportunity_id", "created", "close_date"]].assign(won=won)
        if group_by is not None:
            cl[group_by] = closed[group_by].astype(object).to_numpy()
        grid = cl.merge(pd.DataFrame({"snap": dates}), how="cross")
        grid = grid[(grid["created"] <= grid["snap"]) & (grid["snap"] < grid["close_date"])]
        grid["snap"] = grid["snap"].astype("datetime64[ns]")
        grid = grid.sort_values("snap", kind="stable")
        at = pd.merge_asof(
            grid,
            hcs[["opportunity_id", "changed", "stage"]]
            .rename(columns={"changed": "snap"})
            .astype({"snap": "datetime64[ns]"}),
            on="snap",
            by="opportunity_id",
        )
        at = at[at["stage"].isin(open_stages | set(stage_order or []))]
        if len(at):
            wt = 1.0 / at.groupby("opportunity_id")["snap"].transform("size").to_numpy(float)
            wn = at["won"].to_numpy(bool)
            by_stage_open = _rate_table(at["stage"], wn, p_all, k, "stage", weights=wt)
            if group_by is not None:
                tmp = pd.DataFrame(
                    {
                        "stage": at["stage"].to_numpy(),
                        group_by: at[group_by].to_numpy(),
                        "won": wn * wt,
                        "w": wt,
                    }
                ).dropna()
                cell = tmp.groupby(["stage", group_by])[["won", "w"]].sum()
                cell.columns = ["wins", "n"]
    # time from (last) entering a stage to close, won deals
    close_of = closed.set_index("opportunity_id")["close_date"]
    hw = hc[hc["opportunity_id"].isin(closed_ids[won])]
    last_entry = hw.groupby(["opportunity_id", "stage"])["changed"].max().reset_index()
    last_entry = last_entry[last_entry["stage"].isin(open_stages | set(stage_order or []))]
    d = _days(close_of.reindex(last_entry["opportunity_id"])) - _days(last_entry["changed"])
    stage_days = {
        s: np.sort(d[(last_entry["stage"] == s).to_numpy() & ~np.isnan(d)])
        for s in last_entry["stage"].unique()
    }
    # slippage: expected close date changes
    slip = np.array([], float)
    slippage = pd.Series(
        {
            "deals_with_history": int(hc["opportunity_id"].nunique()),
            "pushed_share": np.nan,
            "pushes_per_deal": np.nan,
            "median_push_days": np.nan,
        }
    )
    if "close_date" in h.columns:
        hcd = hc.dropna(subset=["close_date"])
        if len(hcd):
            cd = _days(hcd["close_date"])
            same = hcd["opportunity_id"].to_numpy()
            step = np.diff(cd)
            cont = same[1:] == same[:-1]
            push = cont & (step > 0)
            ids = same[1:][push]
            n_ids = hcd["opportunity_id"].nunique()
            first = hcd.groupby("opportunity_id")["close_date"].first()
            wid = first.index.intersection(closed_ids[won])
            slip = _days(close_of.reindex(wid)) - _days(first.reindex(wid))
            slip = slip[~np.isnan(slip)]
            slippage = pd.Series(
                {
                    "deals_with_history": int(n_ids),
                    "pushed_share": len(set(ids)) / n_ids,
                    "pushes_per_deal": push.sum() / n_ids,
                    "median_push_days": float(np.median(step[push])) if push.any() else 0.0,
                }
            )
    # when each deal entered its current stage (for open deals' timing from stage)
    cur = opportunities.set_index("opportunity_id")["stage"]
    hh = h.assign(current=h["opportunity_id"].map(cur))
    hh = hh[hh["stage"] == hh["current"]]
    stage_entered = hh.groupby("opportunity_id")["changed"].max()
    return by_stage, by_stage_open, cell, stage_days, slip, slippage, stage_entered


# ----------------------------------------------------------------------------------------------
# forecast
# ----------------------------------------------------------------------------------------------


def forecast_periods(as_of, periods: int | Sequence = 2, freq: str = "quarter") -> pd.PeriodIndex:
    """The forecast periods: ``periods`` months/quarters starting with the one holding ``as_of``."""
    if isinstance(periods, pd.PeriodIndex):
        return periods
    if not isinstance(periods, int | np.integer):
        return pd.PeriodIndex([pd.Period(p) for p in periods])
    f = _FREQ.get(str(freq).lower())
    if f is None:
        raise ValueError(f"freq must be 'month', 'quarter' or 'year', got {freq!r}")
    if periods < 1:
        raise ValueError(f"periods must be at least 1, got {periods!r}")
    return pd.period_range(pd.Timestamp(as_of).to_period(f), periods=int(periods), freq=f)


@dataclass
class ForecastResult:
    """Result of :func:`forecast`.

    Attributes
    ----------
    summary : DataFrame
        One row per period plus ``total``: mean, sd, p10, p50, p90, quota, p_quota (share of
        trials with bookings >= quota), expected (exact mean), stage_weighted, pipeline (open
        amount with expected close in the period), coverage (pipeline / quota).
    deals : DataFrame
        One row per open deal: amount, win_prob, probability of winning within each period
        (``prob_<period>``), expected value per period and in total, variance and share of the
        forecast's variance; sorted by expected value.
    bookings : ndarray
        Simulated bookings, shape (trials, periods).
    categories : DataFrame or None
        Commit / best case / pipeline amounts per period (where the data has forecast
        categories).
    stale : DataFrame
        Open deals left out as stale (see ``stale_after``): clean them up in the CRM.
    notes : list of str
        What was excluded or imputed, with counts.
    """

    periods: pd.PeriodIndex
    as_of: pd.Timestamp
    summary: pd.DataFrame
    deals: pd.DataFrame
    bookings: np.ndarray
    categories: pd.DataFrame | None
    stale: pd.DataFrame
    notes: list[str]
    excluded: dict[str, int]
    trials: int
    seed: int | None


def forecast(
    open_pipeline: pd.DataFrame,
    history_model: HistoryModel,
    periods: int | Sequence = 2,
    *,
    freq: str = "quarter",
    trials: int = 10_000,
    seed: int | None = None,
    quota: float | Sequence[float] | None = None,
    as_of=None,
    timing: str = "created",
    win_prob: str | np.ndarray = "history",
    stale_after: float | None = 90,
    progress: bool | None = None,
) -> ForecastResult:
    """Monte Carlo bookings forecast of the open pipeline.

    Parameters
    ----------
    open_pipeline : DataFrame
        Canonical opportunities; rows whose status is not ``open`` are left out (counted).
    history_model : HistoryModel
        Fitted on closed deals.
    periods : int or sequence of periods
        Number of periods from the one holding ``as_of``, or explicit ``pd.Period`` s.
    freq : {"quarter", "month", "year"}
        Period length when ``periods`` is an int.
    trials : int
        Monte Carlo trials.
    seed : int, optional
        Seed; the same seed gives the same result.
    quota : float or sequence, optional
        Quota per period (one number for all periods, or one per period).
    as_of : date, optional
        Forecast date (default: the history model's ``as_of``). Deals close on or after it.
    timing : {"created", "stage", "close_date"}
        Base of the time-to-close model: the deal's creation date (cycle times of won deals,
        conditional on the deal's age), entry into its current stage (needs stage history; falls
        back to creation for stages with fewer than 5 won examples), or its expected close date
        plus a slip learned from close-date history (no history: closes exactly on it).
    win_prob : "history", "crm" or array
        Win probabilities: the history model's, the CRM's ``probability`` column, or given.
    stale_after : float or None, default 90
        Open deals whose expected close date passed more than this many days ago, or that are
        older than the longest cycle of any won deal, are *stale* (in real CRMs usually lost
        but never closed out): left out of the simulation, listed in ``result.stale`` and
        counted in a DataWarning. None keeps them.
    progress : bool, optional
        Show a progress bar (default: when the run is large).

    Returns
    -------
    ForecastResult
    """
    model = history_model
    if not isinstance(model, HistoryModel):
        raise TypeError("history_model must be a HistoryModel (use HistoryModel.fit)")
    if not (isinstance(trials, int | np.integer) and trials >= 1):
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    if timing not in ("created", "stage", "close_date"):
        raise ValueError(f"timing must be 'created', 'stage' or 'close_date', got {timing!r}")
    source = (
        open_pipeline.attrs.get("source", "open pipeline")
        if isinstance(open_pipeline, pd.DataFrame)
        else "open pipeline"
    )
    check_opportunities(open_pipeline, source)
    notes: list[str] = []
    excluded: dict[str, int] = {}
    as_of = pd.Timestamp(as_of if as_of is not None else model.as_of).normalize()
    pidx = forecast_periods(as_of, periods, freq)
    K = len(pidx)

    is_open = (open_pipeline["status"].astype(object) == "open").to_numpy()
    if (~is_open).any():
        excluded["not open (won or lost)"] = int((~is_open).sum())
        notes.append(
            f"{int((~is_open).sum())} won/lost rows left out: only open deals are forecast"
        )
    deals = open_pipeline.loc[is_open].reset_index(drop=True)
    n = len(deals)

    # -- amounts
    amount = deals["amount"].to_numpy(float).copy()
    miss = np.isnan(amount)
    if miss.any():
        fill = _typical_amounts(deals.loc[miss], model)
        amount[miss] = fill
        warn_note(
            notes,
            f"{int(miss.sum())} open deals have no amount: their product's list price "
            "(if given) or median won amount (or the overall median) is used",
        )
        excluded["open deals with amount imputed"] = int(miss.sum())
    amount = amount * model.deal_size_scale

    # -- win probabilities
    if isinstance(win_prob, str) and win_prob == "history":
        p = model.win_probability(deals)
    elif isinstance(win_prob, str) and win_prob == "crm":
        if "probability" not in deals.columns:
            raise DataError(
                "win_prob='crm' needs a 'probability' column", file=source, column="probability"
            )
        p = deals["probability"].to_numpy(float)
        nop = np.isnan(p)
        if nop.any():
            raise DataError(
                "blank CRM probability",
                file=source,
                column="probability",
                rows=(np.flatnonzero(is_open)[nop] + 2).tolist(),
            )
        p = np.clip(p * model.win_rate_scale, 0, 1)
    else:
        p = np.asarray(win_prob, float)
        if p.shape != (n,) or np.any((p < 0) | (p > 1)) or np.isnan(p).any():
            raise ValueError(f"win_prob must be 'history', 'crm' or {n} numbers in [0, 1]")
        p = np.clip(p * model.win_rate_scale, 0, 1)

    stale = deals.iloc[:0]
    if stale_after is not None:
        overdue = (as_of - deals["close_date"]).dt.days.to_numpy(float)
        age = (as_of - deals["created"]).dt.days.to_numpy(float)
        longest = model.cycle_days.max() * model.cycle_scale if model.cycle_days.size else np.inf
        is_stale = (overdue > stale_after) | (age > longest)
        if is_stale.any():
            stale = deals.loc[is_stale].reset_index(drop=True)
            deals = deals.loc[~is_stale].reset_index(drop=True)
            amount, p = amount[~is_stale], p[~is_stale]
            n = len(deals)
            excluded["stale open deals"] = int(is_stale.sum())
            warn_note(
                notes,
                f"{int(is_stale.sum())} open deals are stale (expected close more than "
                f"{stale_after:g} days ago, or older than the longest won cycle, "
                f"{longest:.0f} days): left out of the forecast, see result.stale",
            )

    # -- timing: F[i, k] = P(close by end of period k | win), closes on/after as_of
    F = _timing_cdf(deals, model, as_of, pidx, timing, notes, excluded)
    q = np.diff(np.concatenate([np.zeros((n, 1)), F], axis=1), axis=1)  # per period

    # -- exact moments
    pq = p[:, None] * q
    exp_k = amount[:, None] * pq

    # -- Monte Carlo
    S = _simulate(amount, p[:, None] * F, trials, seed, progress)
    bookings = np.diff(np.concatenate([np.zeros((trials, 1)), S], axis=1), axis=1)

    # -- summaries
    labels = [str(x) for x in pidx]
    quotas = _quotas(quota, K)
    exp_close = deals["close_date"]
    if exp_close.isna().any():
        notes.append(
            f"{int(exp_close.isna().sum())} open deals have no expected close date: left out "
            "of the stage-weighted and pipeline columns (the simulation times them)"
        )
    pipe = np.array(
        [
            amount[((exp_close >= per.start_time) & (exp_close <= per.end_time)).to_numpy()].sum()
            for per in pidx
        ]
    )
    sw_p = _stage_weight_probability(deals, model)
    stage_weighted = np.array(
        [
            (sw_p * amount)[
                ((exp_close >= per.start_time) & (exp_close <= per.end_time)).to_numpy()
            ].sum()
            for per in pidx
        ]
    )
    total = bookings.sum(axis=1)
    rows = []
    for k in range(K + 1):
        b = bookings[:, k] if k < K else total
        qk = quotas[k] if k < K else (np.sum(quotas) if quota is not None else np.nan)
        pct = np.percentile(b, [10, 50, 90])
        rows.append(
            {
                "start": max(pidx[k].start_time, as_of) if k < K else as_of,
                "end": pidx[k].end_time.normalize() if k < K else pidx[-1].end_time.normalize(),
                "mean": b.mean(),
                "sd": b.std(ddof=1) if trials > 1 else 0.0,
                "p10": pct[0],
                "p50": pct[1],
                "p90": pct[2],
                "quota": qk,
                "p_quota": float(np.mean(b >= qk)) if not np.isnan(qk) else np.nan,
                "expected": exp_k[:, k].sum() if k < K else exp_k.sum(),
                "stage_weighted": stage_weighted[k] if k < K else stage_weighted.sum(),
                "pipeline": pipe[k] if k < K else pipe.sum(),
            }
        )
    summary = pd.DataFrame(rows, index=pd.Index([*labels, "total"], name="period"))
    summary["coverage"] = summary["pipeline"] / summary["quota"]

    var_tot = amount**2 * pq.sum(1) * (1 - pq.sum(1))
    keep = [
        c
        for c in (
            "opportunity_id",
            "name",
            "account",
            "owner",
            "product",
            "stage",
            "close_date",
            "forecast_category",
        )
        if c in deals.columns
    ]
    table = deals[keep].copy()
    table["amount"] = amount
    table["win_prob"] = p
    for k, lab in enumerate(labels):
        table[f"prob_{lab}"] = pq[:, k]
        table[f"expected_{lab}"] = exp_k[:, k]
    table["expected"] = exp_k.sum(1)
    table["variance"] = var_tot
    vsum = var_tot.sum()
    table["variance_share"] = var_tot / vsum if vsum > 0 else 0.0
    table = table.sort_values("expected", ascending=False, kind="stable").reset_index(drop=True)

    cats = None
    if "forecast_category" in deals.columns and deals["forecast_category"].notna().any():
        cats = _categories(deals, amount, pidx)
    for msg in model.notes:
        notes.append(f"history: {msg}")
    return ForecastResult(
        periods=pidx,
        as_of=as_of,
        summary=summary,
        deals=table,
        bookings=bookings,
        stale=stale,
        categories=cats,
        notes=notes,
        excluded=excluded,
        trials=int(trials),
        seed=seed,
    )


def _quotas(quota, K: int) -> np.ndarray:
    if quota is None:
        return np.full(K, np.nan)
    qa = np.atleast_1d(np.asarray(quota, float))
    if qa.size == 1:
        qa = np.full(K, qa[0])
    if qa.size != K or np.any(qa < 0) or np.isnan(qa).any():
        raise ValueError(
            f"quota must be one non-negative number or {K} (one per period), got {quota!r}"
        )
    return qa


def _typical_amounts(deals: pd.DataFrame, model: HistoryModel) -> np.ndarray:
    overall = float(np.median(model.deal_sizes)) if model.deal_sizes.size else 0.0
    if "product" not in deals.columns:
        return np.full(len(deals), overall)
    won = model.closed[model.closed["status"].astype(object) == "won"]
    med = won.groupby(won["product"].astype(object))["amount"].median()
    fill = deals["product"].astype(object).map(med).to_numpy(float)
    if model.list_prices:
        lp = _price_lookup(deals["product"], model.list_prices)
        fill = np.where(np.isnan(lp), fill, lp)
    return np.where(np.isnan(fill), overall, fill)


def _key(name) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _price_lookup(products: pd.Series, list_prices: Mapping[str, float]) -> np.ndarray:
    """List price of each product, matching names case-, space- and punctuation-blind.

    So ``GTXPro`` in a pipeline export finds ``GTX Pro`` in a price list.
    """
    prices = {_key(k): float(v) for k, v in list_prices.items()}
    return np.array(
        [prices.get(_key(p), np.nan) if pd.notna(p) else np.nan for p in products], float
    )


def _stage_weight_probability(deals: pd.DataFrame, model: HistoryModel) -> np.ndarray:
    """CRM probability where given, else the stage's historical rate, else overall."""
    p = np.full(len(deals), float(model.overall["mean"]))
    if model.by_stage_open is not None:
        st = deals["stage"].astype(object).map(model.by_stage_open["mean"]).to_numpy(float)
        p = np.where(np.isnan(st), p, st)
    if "probability" in deals.columns:
        cp = deals["probability"].to_numpy(float)
        p = np.where(np.isnan(cp), p, cp)
    return p


def _timing_cdf(deals, model, as_of, pidx, timing, notes, excluded) -> np.ndarray:
    n = len(deals)
    a = _day(as_of)
    ends = np.array([_day(pr.end_time) for pr in pidx], float)
    if model.cycle_days.size == 0:
        raise DataError(
            "no won deals with created and close dates: cannot learn the time to close",
            column="created",
        )
    created = _days(deals["created"])
    nocreated = np.isnan(created)
    if nocreated.any():
        excluded["open deals without created date (age taken as 0)"] = int(nocreated.sum())
        warn_note(
            notes,
            f"{int(nocreated.sum())} open deals have no created date: treated as "
            "created today (age 0) for timing",
        )
        created = np.where(nocreated, a, created)
    created = np.minimum(created, a)
    base = created.copy()
    offsets_of = _created_offsets(deals, model, np.arange(n))
    if timing == "stage":
        entered = deals["opportunity_id"].map(model.stage_entered)
        ent = _days(entered)
        offsets_of = []
        rest = np.ones(n, bool)
        for s, arr in model.stage_days.items():
            sel = (deals["stage"].astype(object) == s).to_numpy() & ~np.isnan(ent)
            if arr.size >= 5 and sel.any():
                idx = np.flatnonzero(sel)
                base[idx] = np.minimum(ent[idx], a)
                offsets_of.append((idx, arr * model.cycle_scale))
                rest[idx] = False
        if rest.any():
            offsets_of += _created_offsets(deals, model, np.flatnonzero(rest))
            notes.append(
                f"{int(rest.sum())} open deals timed from creation (no stage entry "
                "date or too few won examples of their stage)"
            )
    elif timing == "close_date":
        exp = _days(deals["close_date"])
        noexp = np.isnan(exp)
        slip = model.slip_days * model.cycle_scale if model.slip_days.size else np.zeros(1)
        idx = np.flatnonzero(~noexp)
        base[idx] = exp[idx]
        offsets_of = [(idx, slip)]
        if noexp.any():
            offsets_of += _created_offsets(deals, model, np.flatnonzero(noexp))
            excluded["open deals without expected close date (timed from creation)"] = int(
                noexp.sum()
            )
            warn_note(
                notes,
                f"{int(noexp.sum())} open deals have no expected close date: timed from creation",
            )
    F = np.zeros((n, len(pidx)))
    for idx, offs in offsets_of:
        if idx.size == 0:
            continue
        age = a - base[idx]
        limits = ends[None, :] - base[idx][:, None]
        F[idx] = _conditional_cdf(np.sort(offs), age, limits)
    return np.clip(np.maximum.accumulate(F, axis=1), 0.0, 1.0)


def _created_offsets(deals, model, idx) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cycle-time distributions for deals ``idx``: their group's where it has one."""
    out = []
    rest = np.ones(idx.size, bool)
    if model.cycle_by_group and model.group_by in deals.columns:
        g = deals[model.group_by].astype(object).to_numpy()[idx]
        for key, arr in model.cycle_by_group.items():
            sel = g == key
            if sel.any():
                out.append((idx[sel], arr * model.cycle_scale))
                rest &= ~sel
    if rest.any():
        out.append((idx[rest], model.cycle_days * model.cycle_scale))
    return out


def _simulate(amount, thresholds, trials, seed, progress) -> np.ndarray:
    """Cumulative bookings S[t, k] = sum of amounts of deals won by the end of period k.

    One uniform number per deal and trial; deal i is won by the end of period k when
    ``u < p_i F_ik``. Blocks of TRIAL_BLOCK trials x DEAL_BLOCK deals, each with its own named
    stream, bound the memory to a few tens of MB whatever the size. The comparison is written
    into a float32 buffer and weighted by the amounts (float32 sums within a block).
    """
    n, K = thresholds.shape
    S = np.zeros((trials, K))
    if n == 0:
        return S
    amt32 = amount.astype(np.float32)
    thr32 = thresholds.astype(np.float32)
    n_tb = math.ceil(trials / TRIAL_BLOCK)
    n_db = math.ceil(n / DEAL_BLOCK)
    if progress is None:
        progress = n * trials > 5e7
    from tqdm.auto import tqdm

    buf = np.empty((min(n, DEAL_BLOCK), min(trials, TRIAL_BLOCK)), np.float32)
    for tb in tqdm(range(n_tb), disable=not progress, desc="forecast", leave=False):
        t0, t1 = tb * TRIAL_BLOCK, min(trials, (tb + 1) * TRIAL_BLOCK)
        for db in range(n_db):
            d0, d1 = db * DEAL_BLOCK, min(n, (db + 1) * DEAL_BLOCK)
            rng = named_stream(seed, "forecast.outcome", tb, db)
            u = rng.random((d1 - d0, TRIAL_BLOCK), dtype=np.float32)[:, : t1 - t0]
            b = buf[: d1 - d0, : t1 - t0]
            for k in range(K):
                np.less(u, thr32[d0:d1, k : k + 1], out=b, casting="unsafe")
                # einsum, not BLAS gemv: no thread start-up per block (10x faster here)
                S[t0:t1, k] += np.einsum("i,ij->j", amt32[d0:d1], b)
    return S


def _categories(deals, amount, pidx) -> pd.DataFrame:
    cat = deals["forecast_category"].astype(object).str.lower().str.replace(" ", "_")
    rows = []
    for per in pidx:
        inp = (deals["close_date"] >= per.start_time) & (deals["close_date"] <= per.end_time)
        inp = inp.to_numpy()
        by = {
            c: amount[inp & (cat == c).to_numpy()].sum()
            for c in ("commit", "best_case", "pipeline", "omitted")
        }
        rows.append(
            {
                "period": str(per),
                "commit": by["commit"],
                "best_case": by["commit"] + by["best_case"],
                "pipeline": by["commit"] + by["best_case"] + by["pipeline"],
                "omitted": by["omitted"],
                "uncategorised": amount[inp & cat.isna().to_numpy()].sum(),
            }
        )
    return pd.DataFrame(rows).set_index("period")


# ----------------------------------------------------------------------------------------------
# pipeline health
# ----------------------------------------------------------------------------------------------


def coverage_ratio(open_pipeline: pd.DataFrame, quota: float, period) -> float:
    """Open pipeline with an expected close date in ``period``, divided by ``quota``.

    A common rule of thumb wants about 3x coverage at a 30% win rate; compare with
    ``1 / win rate`` from the history model.
    """
    if not quota > 0:
        raise ValueError(f"quota must be positive, got {quota!r}")
    per = pd.Period(period)
    d = open_pipeline[open_pipeline["status"].astype(object) == "open"]
    inp = (d["close_date"] >= per.start_time) & (d["close_date"] <= per.end_time)
    return float(d.loc[inp, "amount"].sum()) / float(quota)


def sales_velocity(open_pipeline: pd.DataFrame, history_model: HistoryModel) -> pd.Series:
    """Sales velocity: open deals x win rate x average won deal / cycle length (per day).

    Returns a Series with the four factors, ``per_day`` and ``per_month`` (30.44 days).
    """
    n = int((open_pipeline["status"].astype(object) == "open").sum())
    wr, size, cyc = history_model.win_rate, history_model.typical_deal, history_model.cycle_length
    per_day = n * wr * size / cyc if cyc > 0 else float("nan")
    return pd.Series(
        {
            "open_deals": n,
            "win_rate": wr,
            "average_deal": size,
            "cycle_days": cyc,
            "per_day": per_day,
            "per_month": per_day * 30.44,
        }
    )


def pipeline_waterfall(before: pd.DataFrame, after: pd.DataFrame, period=None) -> pd.DataFrame:
    """How the open pipeline moved between two snapshots.

    Parameters
    ----------
    before, after : DataFrame
        Canonical opportunity snapshots, earlier and later.
    period : period-like, optional
        Only the pipeline expected to close in this period (e.g. ``"2026Q4"``); deals moved out
        of it count as *pushed*, deals moved into it as *pulled in*. Default: all open deals.

    Returns
    -------
    DataFrame
        Steps ``start, new, won, lost, pushed, pulled_in, amount_change, removed, end`` with
        ``amount`` and ``deals``; start + the signed steps = end (checked).
    """
    for name, f in (("before", before), ("after", after)):
        check_opportunities(f, f"{name} snapshot")
    per = pd.Period(period) if period is not None else None

    def window(f):
        o = (f["status"].astype(object) == "open").to_numpy().copy()
        if per is not None:
            o &= (
                (f["close_date"] >= per.start_time) & (f["close_date"] <= per.end_time)
            ).to_numpy()
        return f.loc[o].set_index("opportunity_id")

    b, a = window(before), window(after)
    bst = before.set_index("opportunity_id")
    ast = after.set_index("opportunity_id")
    astat = ast["status"].astype(object)
    amt_b = b["amount"].fillna(0.0)
    amt_a = a["amount"].fillna(0.0)
    steps = {}

    def put(name, ids, amount):
        steps[name] = (float(amount) + 0.0, len(ids))  # + 0.0 turns -0.0 into 0.0

    put("start", b.index, amt_b.sum())
    new = a.index.difference(bst.index[bst["status"].astype(object) == "open"])
    put("new", new, amt_a.reindex(new).sum())
    won = b.index.intersection(astat.index[astat == "won"])
    put("won", won, -amt_b.reindex(won).sum())
    lost = b.index.intersection(astat.index[astat == "lost"])
    put("lost", lost, -amt_b.reindex(lost).sum())
    still_open = b.index.intersection(astat.index[astat == "open"])
    pushed = still_open.difference(a.index)
    put("pushed", pushed, -amt_b.reindex(pushed).sum())
    pulled = a.index.difference(new).difference(b.index)
    put("pulled_in", pulled, amt_a.reindex(pulled).sum())
    both = b.index.intersection(a.index)
    put(
        "amount_change",
        both[(amt_a.reindex(both) != amt_b.reindex(both)).to_numpy()],
        (amt_a.reindex(both) - amt_b.reindex(both)).sum(),
    )
    removed = b.index.difference(ast.index)
    put("removed", removed, -amt_b.reindex(removed).sum())
    put("end", a.index, amt_a.sum())
    out = pd.DataFrame(steps, index=["amount", "deals"]).T
    out["deals"] = out["deals"].astype(int)
    out.index.name = "step"
    flow = out["amount"].iloc[:-1].sum()
    if not np.isclose(flow, out.loc["end", "amount"], rtol=1e-9, atol=1e-6):  # pragma: no cover
        raise AssertionError(f"waterfall does not add up: {flow} vs {out.loc['end', 'amount']}")
    return out
