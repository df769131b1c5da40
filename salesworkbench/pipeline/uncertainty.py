"""What goes into the forecast's band beyond each deal's luck.

- **Learned rates and timing**: each block of :data:`TRIALS_PER_DRAW` trials uses curves
  refitted on a Bayesian bootstrap of the history (Exp(1) weights per deal), and a creation
  rate drawn from its Gamma posterior.
- **A shared period-level shock** (overdispersion): every trial multiplies its bookings (all
  deals, all periods) by ``exp(sigma z - sigma^2 / 2)`` (mean 1), with ``sigma`` estimated by
  :func:`period_shock` from the history's own period-to-period variation of won value, after
  removing the part deal-level luck explains, and raised to the RMS log error of the model's
  own walk-forward forecasts before the fit date where there are enough of them.
- **Calibration**: :func:`calibrate` widens each period's spread around its mean by a factor
  (e.g. a conformal factor from walk-forward errors, see the backtest), reported in the result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesworkbench.pipeline.periods import MONTHS_PER_PERIOD, PERIOD_NAMES

__all__ = ["MAX_SHOCK", "TRIALS_PER_DRAW", "calibrate", "period_shock"]

#: Trials sharing one draw of the learned rates and timing.
TRIALS_PER_DRAW = 128
#: Upper bound of the period shock's sigma (log scale).
MAX_SHOCK = 0.75
#: Complete periods needed to estimate the shock.
MIN_PERIODS = 5


def period_shock(
    close_dates: pd.Series, amounts: np.ndarray, as_of, freq_code: str
) -> tuple[float, str]:
    """Sigma of the shared period shock from the history's won bookings per period.

    With ``B_j`` the won value of complete period ``j``, ``n_j`` its wins and ``cv`` the
    coefficient of variation of won amounts: successive log changes have variance about
    ``2 (sigma^2 + E[(1 + cv^2) / n])`` (a shock plus compound-Poisson luck around a slowly
    moving level), so ``sigma^2 = max(0, var(diff log B) / 2 - mean((1 + cv^2) / n_j))``.
    With fewer than :data:`MIN_PERIODS` complete periods at ``freq_code``, months are used and
    sigma scaled by ``1 / sqrt(months per period)``.

    Returns
    -------
    sigma : float
    note : str
        How it was estimated (or why it is 0).
    """
    a = pd.Timestamp(as_of).normalize()
    cd = pd.to_datetime(pd.Series(close_dates)).reset_index(drop=True)
    amt = np.asarray(amounts, float)
    ok = cd.notna().to_numpy() & np.isfinite(amt) & (cd <= a).to_numpy()
    cd, amt = cd[ok], amt[ok]
    if amt.size < 10:
        return 0.0, "period shock: too few won deals to estimate (0)"
    cv2 = float(np.var(amt) / np.mean(amt) ** 2) if np.mean(amt) > 0 else 0.0
    per_len = MONTHS_PER_PERIOD[freq_code]
    for code, div in ((freq_code, 1.0), ("M", float(per_len))):
        last = (a + pd.Timedelta(days=1)).to_period(code) - 1
        first = cd.min().to_period(code) + 1
        if first > last:
            continue
        periods = pd.period_range(first, last, freq=code)
        if len(periods) < MIN_PERIODS:
            continue
        p = cd.dt.to_period(code)
        B = pd.Series(amt).groupby(p.to_numpy()).sum().reindex(periods, fill_value=0.0)
        n = p.value_counts().reindex(periods, fill_value=0).to_numpy(float)
        if np.any(n == 0):
            continue
        d = np.diff(np.log(B.to_numpy(float)))
        s2 = max(0.0, float(np.var(d, ddof=1)) / 2 - float(np.mean((1 + cv2) / n)))
        sigma = min(np.sqrt(s2 / div), MAX_SHOCK)
        unit = f"{PERIOD_NAMES[code]}s"
        return sigma, (
            f"period shock sigma {sigma:.2f} (log scale) from the won value of {len(periods)} "
            f"complete {unit} before {a.date()}"
        )
    return 0.0, (
        f"period shock: fewer than {MIN_PERIODS} complete periods of won deals before "
        f"{a.date()}: not estimated (0)"
    )


def calibrate(bookings: np.ndarray, factor: float) -> np.ndarray:
    """Per-trial multipliers that widen each period's spread around its mean by ``factor``.

    ``b' = max(0, m + factor (b - m))`` per period (column); returns ``b' / b`` (1 where
    ``b = 0``), so the parts of a trial (pipeline, new deals) can be scaled alike.
    """
    m = bookings.mean(axis=0, keepdims=True)
    new = np.maximum(m + factor * (bookings - m), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bookings > 0, new / bookings, 1.0)
