"""The paper grid: its period on each axis, in pixels per millimetre.

ECG paper has thin lines every 1 mm and bold lines every 5 mm. Along each axis the grid's
strength is averaged into a profile; the profile's autocorrelation peaks at multiples of the
5 mm period, and at multiples of the 1 mm period too when the thin lines are resolved. The
period is the lag whose multiples correlate best (a comb over the autocorrelation), refined on
the farthest clear multiple, so that the error shrinks with the width of the page (a 0.2 %
scale error would already move the end of a 2.5 s segment by 0.1 mm).

When the thin lines cannot be seen (a low-resolution image) a period could be 1 mm or 5 mm;
the sheet's size decides: a printout is at least :data:`MIN_PAGE_MM` wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

#: Smallest and largest plausible 1 mm period (px): 1.5 px/mm is about 38 dpi, 60 px/mm 1500 dpi.
MIN_PX_PER_MM = 1.5
MAX_PX_PER_MM = 60.0
#: A printout's extent along an axis is at least this (mm), when it is a whole page.
MIN_PAGE_MM = 120.0
#: Autocorrelation at the 5 mm lag below which no grid is reported.
MIN_GRID_CORRELATION = 0.12
COMB_MULTIPLES = 8


@dataclass(frozen=True)
class AxisGrid:
    """The grid along one axis."""

    px_per_mm: float
    correlation: float  # autocorrelation at the 5 mm lag: 1 = a perfect periodic grid
    minor_visible: bool  # whether the 1 mm lines are resolved

    @property
    def found(self) -> bool:
        return self.correlation >= MIN_GRID_CORRELATION


def axis_grid(profile: np.ndarray, min_extent_mm: float = MIN_PAGE_MM) -> AxisGrid | None:
    """The grid along an axis from its strength profile, or None when nothing periodic is found.

    ``min_extent_mm`` is the least the axis can span: a period that would make it shorter is
    a multiple of 5 mm lines, not the 1 mm grid (pass 0 where the image may be a strip)."""
    n = len(profile)
    if n < 40:
        return None
    detrended = _detrended(profile)
    ac = _autocorrelation(detrended)
    max_lag = n // 2
    lo = max(2.0, MIN_PX_PER_MM)
    hi = min(5 * MAX_PX_PER_MM, max_lag / 3)
    if hi <= lo:
        return None
    candidates = np.arange(lo, hi, 0.25)
    tolerant = maximum_filter1d(ac, size=3)  # a rasterised grid's lines sit on whole pixels
    scores = np.array([_comb(tolerant, p, max_lag) for p in candidates])
    scores[candidates < 3.0] *= 0.5  # a 2 px period is as likely JPEG or dithering as a grid
    if not np.isfinite(scores).any() or np.nanmax(scores) <= 0:
        return None
    best = float(np.nanmax(scores))
    period = float(candidates[np.flatnonzero(scores >= 0.85 * best)[0]])
    period = _refine(ac, period, max_lag)
    correlation = float(np.interp(period, np.arange(len(ac)), ac))
    minor = _minor_visible(ac, period)
    if minor:
        px_per_mm = period / 5.0
    elif n / period < MIN_PAGE_MM:  # as 1 mm lines the sheet would be too small: 5 mm lines
        px_per_mm = period / 5.0
    else:
        px_per_mm = period
    while n / px_per_mm < min_extent_mm and px_per_mm / 5.0 >= MIN_PX_PER_MM:
        px_per_mm /= 5.0  # e.g. a 25 mm pattern taken for the 5 mm lines
    if not (MIN_PX_PER_MM <= px_per_mm <= MAX_PX_PER_MM):
        return None
    return AxisGrid(px_per_mm, correlation, minor)


def grid_near(profile: np.ndarray, px_per_mm: float, radius: float = 0.15) -> AxisGrid | None:
    """The grid whose 5 mm period lies within ``radius`` (relative) of ``px_per_mm``'s, when
    the profile shows one there (a clear autocorrelation peak that repeats), else None: for
    checking a scale that something other than the grid suggests (refine it with
    :func:`fitted`: the multiples of an aliased grid can peak off the period's)."""
    n = len(profile)
    if n < 40:
        return None
    ac = _autocorrelation(_detrended(profile))
    major = 5.0 * px_per_mm
    period = _peak_near(ac, major, radius=max(1.5, radius * major))
    if period is None or period * 3 >= n // 2:
        return None
    correlation = float(np.interp(period, np.arange(len(ac)), ac))
    if correlation < MIN_GRID_CORRELATION or not _comb(maximum_filter1d(ac, size=3), period, n // 2) > 0:
        return None
    return AxisGrid(period / 5.0, correlation, _minor_visible(ac, period))


def fitted(profile: np.ndarray, grid: AxisGrid) -> AxisGrid:
    """``grid`` with its scale fitted on every line of ``profile`` (:func:`_harmonic_fit`): done
    once, on the grid a page is measured with, not on every candidate."""
    return AxisGrid(_harmonic_fit(_detrended(profile), grid.px_per_mm), grid.correlation,
                    grid.minor_visible)


def period_near(profile: np.ndarray, px_per_mm: float) -> float | None:
    """The 1 mm period (px) of ``profile`` measured near a known ``px_per_mm``, on the farthest
    whole 5 mm multiple that fits (for comparing parts of one page), or None."""
    n = len(profile)
    detrended = _detrended(profile)
    ac = _autocorrelation(detrended)
    major = 5.0 * px_per_mm
    k = int((n / 2) // major)
    if k < 1:
        return None
    lag = _peak_near(ac, k * major, radius=max(1.5, 0.1 * major))
    return None if lag is None else lag / (5.0 * k)


#: The fine fit searches this far (relative) around the autocorrelation's period, in two
#: rounds of this many steps (the second over two steps of the first).
FIT_SPAN = 0.004
FIT_STEPS = 9


def _harmonic_fit(detrended: np.ndarray, px_per_mm: float) -> float:
    """``px_per_mm`` refined to where the profile's power at the 5 mm period and its
    harmonics (the 1 mm lines among them) is greatest: every line on the axis takes part, so
    the scale comes out to a few parts in 100,000 (the autocorrelation's peak, to one in
    10,000: over a 10 s row that is still half a sample)."""
    n = len(detrended)
    major = 5.0 * px_per_mm
    harmonics = np.arange(1, max(2, min(25, int(major / 2.2))) + 1)
    if n < 4 * major:
        return px_per_mm
    x = np.arange(n, dtype=np.float64)
    weights = detrended - detrended.mean()

    def power(ppm: float) -> float:
        phase = np.exp(-2j * np.pi * np.outer(harmonics / (5.0 * ppm), x))
        return float(np.sum(np.abs(phase @ weights) ** 2))

    centre, half = px_per_mm, FIT_SPAN * px_per_mm
    for _ in range(2):
        candidates = np.linspace(centre - half, centre + half, FIT_STEPS)
        powers = np.array([power(c) for c in candidates])
        i = int(np.argmax(powers))
        if i in (0, len(candidates) - 1):
            return px_per_mm if half == FIT_SPAN * px_per_mm else float(candidates[i])
        step = candidates[1] - candidates[0]
        centre, half = float(candidates[i]), step
    a, b, c = powers[i - 1], powers[i], powers[i + 1]
    denom = a - 2 * b + c
    return float(centre + (0.5 * (a - c) / denom * step if denom < 0 else 0.0))


def _detrended(profile: np.ndarray) -> np.ndarray:
    """The profile less its slow trend (shading across the page)."""
    n = len(profile)
    return profile - uniform_filter1d(profile.astype(np.float64), size=max(9, n // 30))


def _autocorrelation(x: np.ndarray) -> np.ndarray:
    n = len(x)
    spectrum = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    # unbiased: each lag is averaged over the overlap it has
    ac = ac / np.arange(n, 0, -1)
    return ac / ac[0] if ac[0] > 0 else ac


def _comb(ac: np.ndarray, period: float, max_lag: int) -> float:
    """How much the (pixel-tolerant) autocorrelation at the first multiples of ``period`` stands
    above it half-way between them: a smooth decay (blur) does not count as a period. Few
    multiples, so that a candidate 0.125 px off still lands within a pixel of each."""
    lags = np.arange(1, COMB_MULTIPLES + 1) * period
    lags = lags[lags + period / 2 < max_lag]
    if len(lags) < 3:
        return math.nan
    idx = np.arange(len(ac))
    return float(np.mean(np.interp(lags, idx, ac) - np.interp(lags + period / 2, idx, ac)))


def _refine(ac: np.ndarray, period: float, max_lag: int) -> float:
    """The period measured on the farthest multiple where the peak is still clear."""
    estimate = period
    k = 1
    while (k * 2) * estimate < max_lag * 0.9:
        k2 = k * 2
        lag = _peak_near(ac, k2 * estimate, radius=max(1.0, 0.25 * estimate))
        if lag is None:
            break
        estimate, k = lag / k2, k2
    return estimate


def _peak_near(ac: np.ndarray, lag: float, radius: float) -> float | None:
    lo, hi = int(math.floor(lag - radius)), int(math.ceil(lag + radius)) + 1
    lo, hi = max(1, lo), min(len(ac) - 1, hi)
    if hi - lo < 3:
        return None
    i = lo + int(np.argmax(ac[lo:hi]))
    if i in (lo, hi - 1) or ac[i] <= 0:
        return None
    a, b, c = ac[i - 1], ac[i], ac[i + 1]
    denom = a - 2 * b + c
    return float(i + (0.5 * (a - c) / denom if denom < 0 else 0.0))


def _minor_visible(ac: np.ndarray, period: float) -> bool:
    """True when the autocorrelation also peaks at 1/5 of ``period`` (the 1 mm lines)."""
    fifth = period / 5.0
    if fifth < 2.0:
        return False
    idx = np.arange(len(ac))
    on = np.interp([fifth * k for k in (1, 2, 3, 4)], idx, ac)
    off = np.interp([fifth * (k + 0.5) for k in (0, 1, 2, 3)], idx, ac)
    return bool(np.mean(on) - np.mean(off) > 0.08)
