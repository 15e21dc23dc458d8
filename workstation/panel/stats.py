"""Agreement statistics, from the libraries that maintain them.

* Cohen's kappa with its asymptotic 95 % interval: ``statsmodels.stats.inter_rater.cohens_kappa``
  (Cohen, Educ Psychol Meas 1960;20:37-46).
* Fleiss' kappa: ``statsmodels.stats.inter_rater.fleiss_kappa`` (Fleiss, Psychol Bull
  1971;76:378-382); its 95 % interval by bootstrap over subjects (statsmodels gives none).
* Krippendorff's alpha (nominal, missing ratings allowed): the ``krippendorff`` package
  (Krippendorff, Content Analysis, 2004); 95 % interval by bootstrap over units.
* Intraclass correlation ICC(2,1), two-way random effects, absolute agreement, single rater
  (Shrout & Fleiss, Psychol Bull 1979;86:420-428), from the two-way ANOVA mean squares, with the
  F-based 95 % interval of McGraw & Wong (Psychol Methods 1996;1:30-46; F quantiles from
  ``scipy.stats.f``). The tests check it against ``pingouin.intraclass_corr`` and the published
  table; it is computed here because that package would bring plotting and machine-learning
  libraries into the desktop app for one formula.
* Bland-Altman bias and 95 % limits of agreement (Bland & Altman, Lancet 1986;i:307-310).

Each returns a frozen result with NaN where the statistic is undefined (one category only,
fewer than two subjects), never a warning or an exception.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

BOOTSTRAP_SAMPLES = 500
_SEED = 20240611  # bootstrap intervals are reproducible
NAN = float("nan")


@dataclass(frozen=True)
class Estimate:
    """A statistic with its 95 % confidence interval and the number of subjects it rests on."""

    value: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict:
        return {"value": _num(self.value), "ci95": [_num(self.low), _num(self.high)], "n": self.n}


@dataclass(frozen=True)
class BlandAltman:
    """Differences (b - a) of paired measurements: bias, SD and 95 % limits of agreement (ms)."""

    n: int
    bias: float
    sd: float
    means: tuple[float, ...] = ()
    diffs: tuple[float, ...] = ()

    @property
    def lower(self) -> float:
        return self.bias - 1.96 * self.sd

    @property
    def upper(self) -> float:
        return self.bias + 1.96 * self.sd

    def to_dict(self) -> dict:
        return {"n": self.n, "bias_ms": _num(self.bias), "sd_ms": _num(self.sd),
                "loa_ms": [_num(self.lower), _num(self.upper)]}


def _num(x: float) -> float | None:
    """JSON has no NaN: undefined figures are null."""
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> Estimate:
    """Cohen's kappa of two raters' categories on the same subjects."""
    from statsmodels.stats.inter_rater import cohens_kappa, to_table

    n = len(a)
    categories = sorted(set(a) | set(b))
    if n < 2 or len(categories) < 2:
        return Estimate(NAN, NAN, NAN, n)
    codes = {c: i for i, c in enumerate(categories)}
    pairs = np.array([[codes[x], codes[y]] for x, y in zip(a, b)])
    table, _ = to_table(pairs, bins=len(categories))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a degenerate table gives NaN
        result = cohens_kappa(table)
    return Estimate(float(result.kappa), float(result.kappa_low), float(result.kappa_upp), n)


def fleiss_kappa(ratings: np.ndarray) -> Estimate:
    """Fleiss' kappa of ``ratings`` (subjects x raters, category codes, every cell rated)."""
    from statsmodels.stats.inter_rater import aggregate_raters

    n = len(ratings)
    if n < 2 or len(np.unique(ratings)) < 2:
        return Estimate(NAN, NAN, NAN, n)
    table, _ = aggregate_raters(ratings)
    return fleiss_from_table(table)


def fleiss_from_table(table: np.ndarray) -> Estimate:
    """Fleiss' kappa of a subjects x categories table of counts (same raters per subject)."""
    from statsmodels.stats.inter_rater import fleiss_kappa as _fleiss

    table = np.asarray(table)
    value = _quiet(lambda t: float(_fleiss(t)), table)
    rng = np.random.default_rng(_SEED)
    boot = [_quiet(lambda t: float(_fleiss(t)), table[rng.integers(0, len(table), len(table))])
            for _ in range(BOOTSTRAP_SAMPLES)]
    low, high = _interval(boot)
    return Estimate(value, low, high, len(table))


def krippendorff_alpha(reliability: np.ndarray) -> Estimate:
    """Nominal Krippendorff's alpha of ``reliability`` (raters x units, NaN where unrated)."""
    import krippendorff

    data = np.asarray(reliability, dtype=float)
    units = np.flatnonzero((~np.isnan(data)).sum(axis=0) >= 2)  # pairable units only
    data = data[:, units]
    if data.shape[1] < 2 or len(np.unique(data[~np.isnan(data)])) < 2:
        return Estimate(NAN, NAN, NAN, int(data.shape[1]))

    def alpha(d: np.ndarray) -> float:
        if len(np.unique(d[~np.isnan(d)])) < 2:
            return NAN
        return float(krippendorff.alpha(reliability_data=d, level_of_measurement="nominal"))

    value = alpha(data)
    rng = np.random.default_rng(_SEED)
    boot = [alpha(data[:, rng.integers(0, data.shape[1], data.shape[1])])
            for _ in range(BOOTSTRAP_SAMPLES)]
    low, high = _interval(boot)
    return Estimate(value, low, high, int(data.shape[1]))


def icc(ratings: np.ndarray) -> Estimate:
    """ICC(2,1) of ``ratings`` (subjects x raters, complete rows only are used)."""
    data = np.asarray(ratings, dtype=float)
    data = data[~np.isnan(data).any(axis=1)]
    if data.shape[0] < 3 or data.shape[1] < 2 or np.ptp(data) == 0:
        return Estimate(NAN, NAN, NAN, int(data.shape[0]))
    n, k = data.shape
    msr, msc, mse = _two_way_mean_squares(data)
    denominator = msr + (k - 1) * mse + k * (msc - mse) / n
    if denominator == 0:
        return Estimate(NAN, NAN, NAN, n)
    value = (msr - mse) / denominator
    low, high = _icc_a1_interval(value, msr, msc, mse, n, k)
    return Estimate(float(value), low, high, n)


def _two_way_mean_squares(data: np.ndarray) -> tuple[float, float, float]:
    """Rows (subjects), columns (raters) and residual mean squares of a complete table."""
    n, k = data.shape
    grand = data.mean()
    ss_rows = k * float(np.sum((data.mean(axis=1) - grand) ** 2))
    ss_cols = n * float(np.sum((data.mean(axis=0) - grand) ** 2))
    ss_error = float(np.sum((data - grand) ** 2)) - ss_rows - ss_cols
    return ss_rows / (n - 1), ss_cols / (k - 1), ss_error / ((n - 1) * (k - 1))


def _icc_a1_interval(value: float, msr: float, msc: float, mse: float, n: int,
                     k: int) -> tuple[float, float]:
    """95 % interval of ICC(A,1) (McGraw & Wong 1996, Table 7, case 2A)."""
    from scipy.stats import f

    if mse <= 0:
        return NAN, NAN
    fj = msc / mse
    a = k * value * fj + n * (1 + (k - 1) * value) - k * value
    b = n * (1 + (k - 1) * value) - k * value
    dof = ((k - 1) * (n - 1) * a ** 2) / ((n - 1) * k ** 2 * value ** 2 * fj ** 2 + b ** 2)
    f_low = f.ppf(0.975, n - 1, dof)
    f_high = f.ppf(0.975, dof, n - 1)
    spread = k * msc + (k * n - k - n) * mse
    low = n * (msr - f_low * mse) / (f_low * spread + n * msr)
    high = n * (f_high * msr - mse) / (spread + n * f_high * msr)
    return float(low), float(high)


def bland_altman(a: Sequence[float], b: Sequence[float]) -> BlandAltman:
    """Bias and limits of agreement of ``b`` against ``a`` (pairs with a NaN are left out)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    diffs = y - x
    if len(diffs) == 0:
        return BlandAltman(0, NAN, NAN)
    sd = float(np.std(diffs, ddof=1)) if len(diffs) > 1 else NAN
    return BlandAltman(len(diffs), float(np.mean(diffs)), sd, tuple(((x + y) / 2).tolist()),
                       tuple(diffs.tolist()))


def _quiet(fn, table: np.ndarray) -> float:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(table)


def _interval(values: list[float]) -> tuple[float, float]:
    finite = np.asarray([v for v in values if math.isfinite(v)])
    if len(finite) < 10:
        return NAN, NAN
    return float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))
