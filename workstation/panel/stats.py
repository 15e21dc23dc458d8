"""Agreement statistics, from the libraries that maintain them.

* Cohen's kappa with its asymptotic 95 % interval: ``statsmodels.stats.inter_rater.cohens_kappa``
  (Cohen, Educ Psychol Meas 1960;20:37-46).
* Fleiss' kappa: ``statsmodels.stats.inter_rater.fleiss_kappa`` (Fleiss, Psychol Bull
  1971;76:378-382); its 95 % interval by bootstrap over subjects (statsmodels gives none).
* Krippendorff's alpha (nominal, missing ratings allowed): the ``krippendorff`` package
  (Krippendorff, Content Analysis, 2004); 95 % interval by bootstrap over units.
* Intraclass correlation: ``pingouin.intraclass_corr`` (Shrout & Fleiss, Psychol Bull
  1979;86:420-428); we report ICC(2,1), two-way random effects, absolute agreement, single
  rater, with its F-based 95 % interval.
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
    import pandas as pd
    import pingouin

    data = np.asarray(ratings, dtype=float)
    data = data[~np.isnan(data).any(axis=1)]
    if data.shape[0] < 3 or data.shape[1] < 2 or np.ptp(data) == 0:
        return Estimate(NAN, NAN, NAN, int(data.shape[0]))
    subjects, raters = np.meshgrid(np.arange(data.shape[0]), np.arange(data.shape[1]),
                                   indexing="ij")
    long = pd.DataFrame({"subject": subjects.ravel(), "rater": raters.ravel(),
                         "rating": data.ravel()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas/pingouin internals on tiny tables
        table = pingouin.intraclass_corr(long, targets="subject", raters="rater",
                                         ratings="rating")
    types = table.set_index("Type")
    row = types.loc["ICC(A,1)" if "ICC(A,1)" in types.index else "ICC2"]  # pingouin >= 0.7 names
    low, high = row["CI95"]
    return Estimate(float(row["ICC"]), float(low), float(high), int(data.shape[0]))


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
