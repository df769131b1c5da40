"""The forecast's Monte Carlo: the open pipeline, the learned-rate draws and the new deals.

Blocks of :data:`TRIAL_BLOCK` trials x :data:`DEAL_BLOCK` deals, each with its own named
stream, bound memory whatever the size; within a trial block, each group of
:data:`~salesworkbench.pipeline.uncertainty.TRIALS_PER_DRAW` trials shares one draw of the
learned curves (Bayesian bootstrap of the history). A deal's outcome is one uniform number per
trial compared with its cumulative thresholds ``P(won by the end of period k)``, so raising a
win rate never lowers a trial's bookings (common random numbers).
"""

from __future__ import annotations

import math
from concurrent.futures import Executor

import numpy as np
from scipy import stats

from salesworkbench._random import named_stream
from salesworkbench.pipeline.curves import window_from_index, window_index
from salesworkbench.pipeline.new_deals import new_deal_means
from salesworkbench.pipeline.uncertainty import TRIALS_PER_DRAW

__all__ = ["DEAL_BLOCK", "TRIAL_BLOCK", "NewDeals", "RateDraws", "simulate_pipeline"]

#: Trial and deal block sizes of the Monte Carlo. Fixed (not tuned to memory) so the same seed
#: gives the same draws on every machine; each block uses its own named stream.
TRIAL_BLOCK = 512
DEAL_BLOCK = 4096
_R = TRIAL_BLOCK // TRIALS_PER_DRAW


def _scaled(q: np.ndarray, scale: float) -> np.ndarray:
    """Win probabilities per period times a what-if multiplier, their sum capped at 1."""
    if scale == 1.0:
        return q
    q = q * scale
    tot = q.sum(axis=-1, keepdims=True)
    return np.where(tot > 1, q / np.maximum(tot, 1e-300), q)


class RateDraws:
    """Per trial block: curves refitted on a Bayesian bootstrap of the history.

    ``thresholds(tb)`` gives the open deals' cumulative win thresholds, shape (n, R, K), and
    ``new_mu(tb)`` the new deals' expected wins per period, shape (R, K), for the R draws of
    trial block ``tb``.
    """

    def __init__(self, model, deals, as_of, starts, ends, new_deals, seed):
        self.model, self.seed, self.nd = model, seed, new_deals
        wm = model.win_model
        self.rows, base = wm.place(deals, as_of)
        today = float(np.floor(_epoch_day(as_of)))
        self.today = today
        self.age = today - base
        lo = np.maximum(starts[None, :], today) - base[:, None]
        self.idx = window_index(self.age, lo, ends[None, :] - base[:, None], model.cycle_scale)
        # the thresholds are a function of each deal's curve row and grid indices alone, and
        # deals share them (creation day x group): computed once per distinct combination
        a, lo_, hi_ = self.idx
        K = lo_.shape[1]
        uniq, inv = _distinct_rows(np.column_stack([self.rows, a, lo_, hi_]).astype(np.int64))
        self._u_rows = uniq[:, 0].astype(np.intp)
        self._u_idx = tuple(
            x.astype(np.intp) for x in (uniq[:, 1], uniq[:, 2 : 2 + K], uniq[:, 2 + K :])
        )
        self._inv = np.asarray(inv, np.intp).reshape(-1)
        self.starts, self.ends = starts, ends
        self._mu: dict[int, np.ndarray] = {}
        self._daily: np.ndarray | None = None  # the creation rate per day, for every draw
        self._curves: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _draw(self, tb: int):
        if tb not in self._curves:
            rc = self.model.win_model.curves
            w = named_stream(self.seed, "forecast.rates", tb).exponential(size=(_R, rc.n_units))
            self._curves[tb] = rc.draw(w)
        return self._curves[tb]

    def thresholds(self, tb: int) -> np.ndarray:
        """Cumulative win thresholds of the open deals under block ``tb``'s draws (n, R, K)."""
        F, S = self._draw(tb)
        m = self.model
        q = window_from_index(F, S, self._u_rows, *self._u_idx)
        q = _scaled(q, m.win_rate_scale)  # (R, distinct, K)
        thr = np.minimum(np.cumsum(q, axis=-1), 1.0).astype(np.float32)
        if self.nd is not None:
            self.new_mu(tb)
        self._curves.pop(tb, None)
        return np.ascontiguousarray(thr.transpose(1, 0, 2))[self._inv]  # (n, R, K)

    def new_mu(self, tb: int) -> np.ndarray:
        """Expected new wins per period under block ``tb``'s draws (R, K)."""
        if tb not in self._mu:
            F, _ = self._draw(tb)
            if self._daily is None and np.isfinite(self.nd.rate.log_level):
                self._daily = self.nd.rate.daily(np.arange(self.today, self.ends[-1] + 1))
            mu = new_deal_means(
                self.nd.rate,
                F[:, 0],
                self.today,
                self.starts,
                self.ends,
                self.model.cycle_scale,
                daily=self._daily,
            )
            c = max(self.nd.rate.created, 1)
            g = named_stream(self.seed, "forecast.creation_rate", tb).gamma(c, 1.0 / c, _R)
            self._mu[tb] = mu * g[:, None]
        return self._mu[tb]


def _distinct_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of an integer matrix and each row's position among them.

    One mixed-radix int64 code per row (a 1-d sort) where the columns' ranges allow it, else
    ``np.unique(axis=0)`` (a much slower sort of row records).
    """
    if not len(key):
        return key, np.zeros(0, np.intp)
    lo = key.min(axis=0)
    span = key.max(axis=0) - lo + 1
    if float(np.prod(span.astype(float))) < 2.0**62:
        code = np.zeros(len(key), np.int64)
        for j in range(key.shape[1]):
            code = code * span[j] + (key[:, j] - lo[j])
        first, inv = np.unique(code, return_index=True, return_inverse=True)[1:]
        return key[first], np.asarray(inv, np.intp).reshape(-1)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    return uniq, np.asarray(inv, np.intp).reshape(-1)


def _epoch_day(ts) -> float:
    return float(np.datetime64(ts, "ns").astype("datetime64[D]").astype(np.int64))


class NewDeals:
    """Deals created after ``as_of`` that close won within the periods."""

    def __init__(self, model, as_of, starts, ends):
        self.rate = model.creation
        today = float(np.floor(_epoch_day(as_of)))
        F = model.win_model.curves.F[0]
        self.mu = new_deal_means(self.rate, F, today, starts, ends, model.cycle_scale)
        sizes = np.asarray(model.deal_sizes, float)
        self.sizes = sizes[np.isfinite(sizes) & (sizes > 0)]
        mean = float(self.sizes.mean()) if self.sizes.size else 0.0
        #: closed form: expected new wins x mean won amount (before what-if multipliers)
        self.expected = self.mu * mean

    def simulate(self, trials: int, seed, model, draws: RateDraws | None) -> np.ndarray:
        """New-deal bookings per trial and period (Poisson counts by inverse CDF)."""
        K = self.mu.size
        out = np.zeros((trials, K))
        m = self.sizes.size
        if m == 0:
            return out
        for tb in range(math.ceil(trials / TRIAL_BLOCK)):
            t0, t1 = tb * TRIAL_BLOCK, min(trials, (tb + 1) * TRIAL_BLOCK)
            nt = t1 - t0
            if draws is not None:
                mu = np.repeat(draws.new_mu(tb), TRIALS_PER_DRAW, axis=0)[:nt]
            else:
                mu = np.broadcast_to(self.mu, (nt, K))
            mu = mu * model.win_rate_scale
            u = named_stream(seed, "forecast.new_count", tb).random((TRIAL_BLOCK, K))[:nt]
            N = np.where(mu > 0, stats.poisson.ppf(u, np.maximum(mu, 1e-300)), 0.0)
            N = np.nan_to_num(N).astype(np.int64)
            for k in range(K):
                nmax = int(N[:, k].max())
                if nmax == 0:
                    continue
                v = named_stream(seed, "forecast.new_size", tb, k).random((nmax, TRIAL_BLOCK))
                vals = self.sizes[(v[:, :nt] * m).astype(np.intp)]
                keep = np.arange(nmax)[:, None] < N[None, :, k]
                out[t0:t1, k] = (vals * keep).sum(0) * model.deal_size_scale
        return out


def simulate_pipeline(
    amount,
    thr0,
    trials,
    seed,
    progress,
    draws: RateDraws | None,
    *,
    groups: np.ndarray | None = None,
    n_groups: int = 0,
    executor: Executor | None = None,
):
    """Cumulative bookings S[t, k] = sum of amounts of open deals won by the end of period k.

    ``thr0`` (n, K): cumulative win thresholds under the point estimates (used without
    ``draws``). One uniform number per deal and trial; the comparison is written into a
    float32 buffer and weighted by the amounts (float32 sums within a block).

    With ``groups`` (n,) integer codes in ``[0, n_groups)`` the per-trial sums are also taken
    per group: one sparse (groups x deals) indicator-times-amount matrix product per block, in
    place of the plain weighted sum, and the total is the sum of the group sums (so a parent
    is exactly the sum of its children). Returns ``(S, SG)`` with ``SG`` of shape
    (trials, n_groups, K), else ``S`` alone. No (deals x trials) matrix is kept: one block
    of :data:`DEAL_BLOCK` x :data:`TRIAL_BLOCK` at a time.

    ``executor`` (a :class:`concurrent.futures.Executor`, e.g. a ``ThreadPoolExecutor`` or
    ``distributed.Client(...).get_executor()``) runs the trial blocks; each block draws from
    its own named streams, so the result is identical with and without it.
    """
    n, K = thr0.shape
    S = np.zeros((trials, K))
    SG = np.zeros((trials, n_groups, K)) if groups is not None else None
    if n == 0:
        return S if groups is None else (S, SG)
    n_tb = math.ceil(trials / TRIAL_BLOCK)
    if progress is None:
        progress = n * trials > 5e7
    from tqdm.auto import tqdm

    ctx = _Blocks(amount, thr0, trials, seed, draws, groups, n_groups)
    if executor is None:
        results = map(ctx.run, range(n_tb))
    else:
        results = executor.map(_run_block, [ctx] * n_tb, range(n_tb))
    for tb, s_blk, g_blk in tqdm(
        results, total=n_tb, disable=not progress, desc="forecast", leave=False
    ):
        t0, t1 = tb * TRIAL_BLOCK, min(trials, (tb + 1) * TRIAL_BLOCK)
        S[t0:t1] = s_blk
        if SG is not None:
            SG[t0:t1, g_blk[0]] = g_blk[1]
    return S if groups is None else (S, SG)


def _run_block(ctx: _Blocks, tb: int):
    """One trial block (module-level, so process and Dask executors can pickle it)."""
    return ctx.run(tb)


class _Blocks:
    """What every trial block needs: amounts, thresholds (or the rate draws), group matrices."""

    def __init__(self, amount, thr0, trials, seed, draws, groups, n_groups):
        n, K = thr0.shape
        self.n, self.K, self.trials, self.seed, self.draws = n, K, trials, seed, draws
        self.amt32 = amount.astype(np.float32)
        self.base = thr0.astype(np.float32)[:, None, :] if draws is None else None
        self.n_groups = n_groups
        self.mats = None
        if groups is not None:
            import scipy.sparse as sp

            g = np.asarray(groups, np.intp)
            used = np.unique(g)
            self.used = used  # groups with at least one deal
            pos = np.searchsorted(used, g)
            self.mats = []
            for db in range(math.ceil(n / DEAL_BLOCK)):
                d0, d1 = db * DEAL_BLOCK, min(n, (db + 1) * DEAL_BLOCK)
                rows = pos[d0:d1]
                # by column (deal): the product streams the outcomes row by row; each group's
                # sum still runs over its deals in order, so the same sums as by row
                self.mats.append(
                    sp.csc_matrix(
                        (self.amt32[d0:d1], (rows, np.arange(d1 - d0))),
                        shape=(used.size, d1 - d0),
                    )
                )

    def run(self, tb: int):
        n, K, trials = self.n, self.K, self.trials
        t0, t1 = tb * TRIAL_BLOCK, min(trials, (tb + 1) * TRIAL_BLOCK)
        nt = t1 - t0
        thr = self.draws.thresholds(tb) if self.draws is not None else self.base
        s = np.zeros((nt, K))
        gsum = np.zeros((self.used.size, nt, K)) if self.mats is not None else None
        buf = np.empty((min(n, DEAL_BLOCK), TRIAL_BLOCK), np.float32)
        for db in range(math.ceil(n / DEAL_BLOCK)):
            d0, d1 = db * DEAL_BLOCK, min(n, (db + 1) * DEAL_BLOCK)
            rng = named_stream(self.seed, "forecast.outcome", tb, db)
            u = rng.random((d1 - d0, TRIAL_BLOCK), dtype=np.float32)
            b = buf[: d1 - d0]
            u3 = u.reshape(d1 - d0, _R, TRIALS_PER_DRAW)
            b3 = b.reshape(d1 - d0, _R, TRIALS_PER_DRAW)
            for k in range(K):
                np.less(u3, thr[d0:d1, :, k, None], out=b3, casting="unsafe")
                if gsum is None:
                    # einsum, not BLAS gemv: no thread start-up per block (10x faster here)
                    s[:, k] += np.einsum("i,ij->j", self.amt32[d0:d1], b[:, :nt])
                else:
                    # one group-sum per block: sparse (groups x deals) amounts @ outcomes
                    gsum[:, :, k] += self.mats[db] @ b[:, :nt]
        if gsum is None:
            return tb, s, None
        s = gsum.sum(axis=0)
        return tb, s, (self.used, gsum.transpose(1, 0, 2))
