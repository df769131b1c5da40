"""The history model: what closed deals teach about winning, timing and slippage.

:meth:`HistoryModel.fit` learns from the closed opportunities (and the stage history where the
CRM has it):

- win rates overall, by stage reached, by stage a deal sits in and by a group (segment,
  product, owner), as Beta posteriors that shrink small groups towards the rate one level up
  (:mod:`~salesworkbench.pipeline.rates`; the tables have wins, losses, the raw rate, the
  posterior and a 90% credible interval; the stage tables come from
  :mod:`~salesworkbench.pipeline.stage_history`);
- the time a won deal takes to close (empirical, from creation, per group where the group has
  enough won deals, or from entering its current stage);
- slippage of expected close dates, and the size of a won deal.

The fitted model is the plain hand-over to :func:`~salesworkbench.pipeline.forecast`, so each
step can be checked on its own. :func:`check_opportunities` is the validation every pipeline
function runs on a canonical opportunity table first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from salesworkbench.errors import DataError, warn_note
from salesworkbench.pipeline.amounts import amount_realisation
from salesworkbench.pipeline.curves import WinModel, outcomes_at
from salesworkbench.pipeline.grouping import choose_group_by
from salesworkbench.pipeline.new_deals import CreationRate, fit_creation_rate
from salesworkbench.pipeline.periods import _days
from salesworkbench.pipeline.prices import list_price_of
from salesworkbench.pipeline.rates import DEFAULT_PRIOR_STRENGTH, beta_posterior, rate_table
from salesworkbench.pipeline.stage_history import (
    learn_stage_history,
    no_slippage,
    open_stage_names,
)
from salesworkbench.pipeline.stages import StageModel
from salesworkbench.pipeline.timing import close_date_offsets
from salesworkbench.schemas import OPPORTUNITIES

__all__ = [
    "GROUP_COLUMNS",
    "HistoryModel",
    "check_opportunities",
    "group_columns",
]

#: A group needs this many won deals to get its own cycle-time distribution.
MIN_GROUP_CYCLES = 30

#: Columns win rates are usually grouped by (``group_by``), in the order offered to a user.
GROUP_COLUMNS = ("product", "segment", "owner", "territory")


# ----------------------------------------------------------------------------------------------
# the opportunity check
# ----------------------------------------------------------------------------------------------


def _rows(mask) -> list[int]:
    return (np.flatnonzero(np.asarray(mask)) + 2).tolist()


def check_opportunities(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate a canonical opportunity table; every pipeline function runs this first.

    Parameters
    ----------
    frame : DataFrame
        Canonical opportunities (see :data:`salesworkbench.schemas.OPPORTUNITIES`).
    source : str
        Name of the table in error messages (a file name, "open pipeline", ...).

    Returns
    -------
    DataFrame
        ``frame`` itself, unchanged.

    Raises
    ------
    TypeError
        ``frame`` is not a DataFrame.
    DataError
        Wrong dtypes or duplicate ids, a close date before the created date, a negative amount
        or a probability outside 0-1 (naming the column and the spreadsheet rows).
    """
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


def group_columns(opportunities: pd.DataFrame) -> list[str]:
    """The usual ``group_by`` columns that ``opportunities`` has (see :data:`GROUP_COLUMNS`).

    What a user can be offered as "win rates by" for this table, in :data:`GROUP_COLUMNS` order
    (any other column works too).

    Parameters
    ----------
    opportunities : DataFrame
        Canonical opportunities.

    Returns
    -------
    list of str
        E.g. ``["product", "segment", "owner"]`` for a table without territories.
    """
    return [c for c in GROUP_COLUMNS if c in opportunities.columns]


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
    close_offsets : dict or None
        With stage history holding expected close dates: days from each expected close date a
        won deal showed while open to its close, and the days each stood (weights), per stage
        the date was shown in and pooled (key ``None``); what ``forecast(timing="close_date")``
        times deals by (see :func:`~salesworkbench.pipeline.timing.close_date_offsets`).
    amount_ratio : DataFrame or None
        With stage history holding amounts: what won deals booked over the amount they
        showed while open, per stage
        (:func:`~salesworkbench.pipeline.amounts.amount_realisation`); the forecast
        scales open deals' recorded amounts by it.
    slippage : Series
        Share of closed deals pushed at least once, pushes per deal, median push (days).
    deal_sizes : ndarray
        Amounts of won deals (what a win is worth).
    lost_amounts : dict
        Lost deals: how many had amount 0 (unknown), how many were recovered from
        ``original_amount``, and how many stay unknown.
    excluded : dict
        Rows left out of each estimate, with the reason as key.
    win_model : WinModel
        Win and loss as competing risks over deal age (from creation), per ``group_by``
        value, shrunk towards the overall curves: what the forecast uses for each open deal
        (see :mod:`salesworkbench.pipeline.curves`). Open deals count as censored.
    creation : CreationRate
        Deals created per day (trend, seasonality): the new-deal part of the forecast.
    world : DataFrame
        Every deal created on or before ``as_of`` (the data the curves are fitted on).
    stage_model : StageModel or None
        With stage history: landmark competing-risk curves per stage, from the deal's age in
        its current stage (see :mod:`salesworkbench.pipeline.stages`); what
        ``forecast(timing="stage")`` uses.
    group_errors : Series or None
        With ``group_by="auto"``: walk-forward error of each candidate grouping.
    stage_history : DataFrame or None
        The stage history the model was fitted with (changes on or before ``as_of``): what
        ``forecast(timing="auto")`` rebuilds earlier pipelines from.
    timing_choice : dict
        ``forecast(timing="auto")``'s choice per period length, kept so it is made once.
    win_rate_scale, cycle_scale, deal_size_scale : float
        What-if multipliers (see :meth:`what_if`); 1.0 means as learned.
    summary : DataFrame
        The headline figures in one ``value`` column (closed deals, win rate, won deal size,
        cycle days, lost deals with amount 0, share of deals pushed).
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
    win_model: WinModel | None = field(default=None, repr=False)
    creation: CreationRate | None = field(default=None, repr=False)
    world: pd.DataFrame | None = field(default=None, repr=False)
    stage_model: StageModel | None = field(default=None, repr=False)
    group_errors: pd.Series | None = None
    close_offsets: dict | None = field(default=None, repr=False)
    amount_ratio: pd.DataFrame | None = field(default=None, repr=False)
    stage_history: pd.DataFrame | None = field(default=None, repr=False)
    timing_choice: dict = field(default_factory=dict, repr=False)
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
        group_by: str | None = "auto",
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
        group_by : str or None, default "auto"
            Column to learn group win rates and curves by (``segment``, ``product``,
            ``owner``, ...). ``"auto"`` picks among none and the :data:`GROUP_COLUMNS` the
            data has by walk-forward error before ``as_of`` (see
            :mod:`salesworkbench.pipeline.grouping`); the reason is in ``notes``.
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
        if group_by is not None and group_by != "auto" and group_by not in opportunities.columns:
            raise DataError(
                f"group_by={group_by!r} is not a column; choose one of "
                f"{', '.join(group_columns(opportunities))}",
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
        world, w_dur, w_code = outcomes_at(opportunities, as_of)
        group_errors = None
        if group_by == "auto":
            cands = [c for c in GROUP_COLUMNS if c in opportunities.columns]
            group_by, group_errors, reason = choose_group_by(
                opportunities, as_of, cands, prior_strength
            )
            notes.append(reason)
        else:
            group_errors = choose_group_by(
                opportunities, as_of, [group_by] if group_by else [], prior_strength, force=True
            )[1]

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
            lp = list_price_of(closed["product"], list_prices)
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
            by_group = rate_table(closed[group_by], won, p_all, prior_strength, group_by)

        # -- stage history: stage reached, time from stage, slippage
        by_stage = by_stage_open = cell_rates = None
        stage_days: dict[str, np.ndarray] = {}
        slip = np.array([], float)
        slippage = no_slippage()
        stage_entered = pd.Series(dtype="datetime64[ns]")
        stage_model = None
        close_offsets = amount_ratio = None
        if stage_history is not None:
            stage_history = stage_history[(stage_history["changed"] <= as_of).to_numpy()]
        if stage_history is not None and len(stage_history):
            wc_ = _days(world["created"])
            end_days = np.floor(wc_ + w_dur)
            stage_model = StageModel.fit(
                world,
                end_days,
                w_code,
                stage_history,
                as_of,
                prior_strength,
                open_stage_names(opportunities, stage_order),
            )
            res = learn_stage_history(
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
            close_offsets = close_date_offsets(closed.loc[won], stage_history, as_of, by_stage=True)
            amount_ratio = amount_realisation(closed.loc[won], stage_history, as_of, excluded)

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
            win_model=WinModel.fit(world, w_dur, w_code, group_by, prior_strength),
            creation=fit_creation_rate(world["created"], as_of),
            world=world,
            stage_model=stage_model,
            group_errors=group_errors,
            close_offsets=close_offsets,
            amount_ratio=amount_ratio,
            stage_history=stage_history,
        )

    # ------------------------------------------------------------------ reuse
    def rates(self, by: str) -> pd.DataFrame:
        """Win rates by any column of the closed deals, shrunk towards the overall rate."""
        if by not in self.closed.columns:
            raise DataError(f"no column {by!r} in the closed deals", column=by)
        won = (self.closed["status"].astype(object) == "won").to_numpy()
        return rate_table(
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
            "stage_history": self.stage_history,
            **changes,
        }
        new = HistoryModel.fit(self.world if self.world is not None else self.closed, **opts)
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

    def open_win_probability(self, deals: pd.DataFrame, as_of=None) -> np.ndarray:
        """P(won at any time | still open at its age) of each open deal (what the forecast uses).

        From the competing-risk curves of the deal's group (:attr:`win_model`) at its age on
        ``as_of`` (default the model's ``as_of``), times the what-if multiplier: a deal older
        than every won cycle gets (close to) nothing.
        """
        a = pd.Timestamp(as_of if as_of is not None else self.as_of)
        p = self.win_model.eventual(deals, a, scale=self.cycle_scale)
        return np.clip(p * self.win_rate_scale, 0.0, 1.0)

    def win_probability(self, deals: pd.DataFrame) -> np.ndarray:
        """Closed-deals win rate of each deal: stage rate, then group within stage, else overall.

        The rate among deals that closed, ignoring age and still-open deals (the stage and
        rep comparison the team tools use); the forecast's default uses
        :meth:`open_win_probability`.
        """
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

    @property
    def summary(self) -> pd.DataFrame:
        """The headline figures (for notebooks and reports): one ``value`` column, by name."""
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
