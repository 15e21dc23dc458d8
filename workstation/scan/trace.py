"""Ink, rows, calibration pulses and the traced line of each row.

* :func:`ink_mask` keeps the dark, grey pixels of the printed trace (and text), dropping grid
  lines, which are coloured or lighter, and any line that crosses the whole page.
* :func:`find_rows` finds the printed rows: horizontal bands whose ink spans much of the width
  (a text line does not).
* :func:`find_pulse` finds the 1 mV calibration pulse at a row's start: a plateau 3.5-6.5 mm
  wide whose height gives the gain in mm/mV and whose foot gives the row's 0 mV line.
* :func:`trace_row` follows the row's line column by column. In each pixel column the ink
  splits into runs; the run nearest the line's last position is the line (so a tall QRS from
  the row above, crossing into this band, is passed by). The run eroded by the pen (its
  pixels deep inside the stroke) is the span of values the line takes in that column: at
  500 Hz a column holds two or three samples, so a steep QRS stroke gives a point where it
  enters the column and one where it leaves, and a peak its tip rather than the stroke's cap.
  Elsewhere a column gives its run centred on its ink darkness, to a fraction of a pixel.
  Columns where more than one run competes are counted as overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from workstation.scan.page import Contrast

#: Half-height (mm) of the band that counts a row's ink when finding rows.
ROW_BAND_MM = 3.0
#: Least distance between two row baselines (mm).
MIN_ROW_PITCH_MM = 9.0
#: A row's ink covers at least this share of the widest row's columns.
ROW_COVERAGE_SHARE = 0.5
#: Where a sloped line's eroded span (:func:`_core`) starts and ends, from the pixel column's
#: middle (px). The column's edges would be 0.5, but the erosion also trims the span's ends, so
#: the span is what the line covers over a little more than one column: 0.7 on the validation
#: prints (clean 17.9 -> 18.7 dB, scan 16.4 -> 17.0, photo 15.0 -> 15.7 against 0.5).
EDGE = 0.7
#: A pixel of a run is where the pen's centre passed when it lies at least this share of the
#: stroke's width from the paper (half would be exact for a sharp stroke; blur and whole-pixel
#: widths make a third the better on the validation prints: clean, scan and photo).
CORE_DEPTH = 0.35
#: Calibration pulse: 200 ms at 25 mm/s is 5 mm; printers vary a little.
PULSE_WIDTH_MM = (3.5, 6.5)
PULSE_HEIGHT_MM = (3.5, 25.0)
STANDARD_GAINS_MM_MV = (5.0, 10.0, 20.0)
#: Straight ink longer than this (mm) is a grid line; page width assumed before the grid is known.
LONG_LINE_MM = 20.0
ASSUMED_PAGE_MM = 280.0
#: A line of ink unbroken across more than this share of the page is a grid or frame line.
ACROSS_SHARE = 0.6
#: At least this many long vertical lines in the ink make a grid printed dark.
MIN_GRID_LINES = 10
#: The grid's darkness is this percentile of the line pixels' darkness; ink darker than it by
#: the margin is kept where it crosses or runs along a grid line.
GRID_DARKNESS_PERCENTILE = 75
GRID_DARKNESS_MARGIN = 0.08


@dataclass(frozen=True)
class Pulse:
    x_start: float  # px, rising edge
    x_end: float  # px, falling edge
    foot_y: float  # px, the 0 mV line
    height_px: float


@dataclass(frozen=True)
class RowTrace:
    """The traced line of one row: points (x, y) in pixels, x increasing, one per pixel
    column; y is NaN where no ink was found."""

    x: np.ndarray  # float64 px
    y: np.ndarray  # float64 px
    baseline_y: float  # px: pulse foot, or the median of the line
    line_px: float  # typical stroke width


def ink_mask(contrast: Contrast) -> np.ndarray:
    """Boolean mask of the printed trace and text (see the module docstring)."""
    darkness, colour = contrast.darkness, contrast.colour
    candidates = darkness[darkness > 0.15]
    threshold = 0.3
    if candidates.size > 100:
        hist, edges = np.histogram(candidates, bins=64, range=(0.15, 1.0))
        threshold = max(threshold, _otsu(hist, edges))
    mask = (darkness > threshold) & (colour < 0.35 + 0.5 * darkness)
    # a line that crosses most of the page unbroken is grid or frame, not ECG (a rhythm strip's
    # flat baseline may cover as much, but is broken at every beat)
    across = np.zeros_like(mask)
    across[_unbroken(mask, axis=1), :] = True
    across[:, _unbroken(mask, axis=0)] = True
    if across.any():
        mask = _without_lines(mask, darkness, across & mask, across)
    return _without_dark_grid(mask, darkness)


def _unbroken(mask: np.ndarray, axis: int) -> np.ndarray:
    """Which rows (``axis=1``) or columns (``axis=0``) hold an unbroken run of ink across
    more than :data:`ACROSS_SHARE` of the page."""
    extent = mask.shape[axis]
    out = np.zeros(mask.shape[1 - axis], bool)
    for i in np.flatnonzero(mask.mean(axis=axis) > ACROSS_SHARE):
        line = mask[i] if axis == 1 else mask[:, i]
        out[i] = max(stop - start for start, stop in _runs(line)) > ACROSS_SHARE * extent
    return out


def _without_dark_grid(mask: np.ndarray, darkness: np.ndarray) -> np.ndarray:
    """The mask less the grid, when the grid is printed dark enough to pass the threshold (a
    grey grid, or any grid in a blurred photo).

    Grid lines are straight for more than about 20 mm; so is a flat trace along the
    horizontal, but never along the vertical, so the grid is known by its many long vertical
    lines. Where the trace crosses a grid line or runs along it, its stroke is usually the
    darker: only pixels no darker than the grid are removed, unless grid and trace are equally
    dark (a black grid), where the lines go whole and the trace is bridged later as short gaps.
    """
    length = max(15, int(mask.shape[1] / ASSUMED_PAGE_MM * LONG_LINE_MM))
    m8 = mask.astype(np.uint8)
    vertical = cv2.morphologyEx(m8, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8)).astype(bool)
    if len(_runs(vertical.any(axis=0))) < MIN_GRID_LINES:
        return mask
    horizontal = cv2.morphologyEx(m8, cv2.MORPH_OPEN, np.ones((1, length), np.uint8)).astype(bool)
    lines = horizontal | vertical
    return _without_lines(mask, darkness, lines,
                          cv2.dilate(lines.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool))


def _without_lines(mask: np.ndarray, darkness: np.ndarray, lines: np.ndarray,
                   near: np.ndarray) -> np.ndarray:
    """The mask less the pixels ``near`` grid ``lines``: only those no darker than the lines
    where the rest of the ink is clearly darker (the trace crossing or running along a lighter
    grid line is kept), else all of them."""
    line_darkness = float(np.percentile(darkness[lines], GRID_DARKNESS_PERCENTILE))
    others = mask & ~near
    if others.any() and float(np.median(darkness[others])) > line_darkness + GRID_DARKNESS_MARGIN:
        return mask & ~(near & (darkness <= line_darkness + GRID_DARKNESS_MARGIN))
    return mask & ~near


def find_rows(mask: np.ndarray, px_per_mm_y: float) -> list[tuple[float, int, int]]:
    """Rows as (baseline y, first column, last column), top to bottom: the peaks of ink
    density, at least a row pitch apart, where the ink spans much of the width."""
    h, w = mask.shape
    band = max(1, int(round(ROW_BAND_MM * px_per_mm_y)))
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((2 * band + 1, 1), np.uint8))
    coverage = grown.mean(axis=1)
    if coverage.max() <= 0.05:
        return []
    density = uniform_filter1d(mask.mean(axis=1).astype(np.float64), size=max(3, band))
    peaks, _ = find_peaks(density, distance=max(1, int(MIN_ROW_PITCH_MM * px_per_mm_y)))
    rows: list[tuple[float, int, int]] = []
    for y in peaks:
        if coverage[y] < ROW_COVERAGE_SHARE * coverage.max():
            continue
        x0, x1 = _row_extent(grown[max(0, y - band):y + band + 1].any(axis=0), px_per_mm_y)
        if x1 - x0 > 0.25 * w:
            rows.append((float(y), x0, x1))
    return rows


def find_pulse(mask: np.ndarray, baseline: float, x0: int, ppm_x: float, ppm_y: float) -> Pulse | None:
    """The calibration pulse at the start of a row (see the module docstring), or None."""
    y_lo = int(max(0, baseline - PULSE_HEIGHT_MM[1] * ppm_y))
    y_hi = int(min(mask.shape[0], baseline + 3 * ppm_y))
    x_hi = int(min(mask.shape[1], x0 + 14 * ppm_x))
    window = mask[y_lo:y_hi, x0:x_hi]
    if window.size == 0:
        return None
    has = window.any(axis=0)
    top = np.where(has, window.argmax(axis=0), -1).astype(np.float64) + y_lo
    bottom = np.where(has, window.shape[0] - 1 - window[::-1].argmax(axis=0), -1).astype(np.float64) + y_lo
    foot = float(np.median(bottom[has])) if has.any() else baseline
    height = np.where(has, foot - top, 0.0)
    tall = height > PULSE_HEIGHT_MM[0] * ppm_y
    for start, stop in _runs(tall):
        width_mm = (stop - start) / ppm_x
        if not (PULSE_WIDTH_MM[0] <= width_mm <= PULSE_WIDTH_MM[1]):
            continue
        plateau = height[start + 1:stop - 1] if stop - start > 3 else height[start:stop]
        if np.ptp(plateau) > 1.5 * ppm_y:
            continue
        foot_y = _lead_in(window, start, ppm_x)
        if foot_y is None:  # no flat lead-in: the bottom of the edges, less half a stroke
            edges = [c for c in (start, stop - 1) if has[c]]
            foot_y = float(np.median([bottom[c] for c in edges])) - 0.5 * _stroke(window)
        else:
            foot_y += y_lo
        return Pulse(float(x0 + start), float(x0 + stop - 1), foot_y, float(np.median(foot_y - top[start:stop])))
    return None


def _lead_in(window: np.ndarray, rising: int, ppm_x: float) -> float | None:
    """Centre of the flat line just before the pulse's rising edge (window rows), or None."""
    cols = range(max(0, rising - int(0.8 * ppm_x)), max(0, rising - 1))
    centres = []
    for c in cols:
        on = np.flatnonzero(window[:, c])
        if len(on) and on[-1] - on[0] < 0.6 * ppm_x:
            centres.append(0.5 * (on[0] + on[-1]))
    return float(np.median(centres)) if len(centres) >= 2 else None


def _stroke(window: np.ndarray) -> float:
    """Typical vertical run length of ink (a horizontal stroke's width)."""
    lengths = window.sum(axis=0)
    lengths = lengths[lengths > 0]
    return float(np.percentile(lengths, 25)) if lengths.size else 1.0


def gain_from_pulse(pulse: Pulse | None, ppm_y: float, line_px: float) -> tuple[float, bool]:
    """(gain in mm/mV, whether a pulse gave it); 10 mm/mV when no pulse is printed."""
    if pulse is None:
        return 10.0, False
    measured = (pulse.height_px - line_px / 2) / ppm_y
    nearest = min(STANDARD_GAINS_MM_MV, key=lambda g: abs(g - measured) / g)
    return (nearest, True) if abs(nearest - measured) / nearest < 0.2 else (10.0, False)


def trace_row(mask: np.ndarray, baseline: float, x0: int, x1: int, half_band: float,
              foot_y: float | None, darkness: np.ndarray | None = None) -> RowTrace:
    """Follow the row's line from column ``x0`` to ``x1`` (see the module docstring). With the
    page's ``darkness``, a column's run is centred on its ink to a fraction of a pixel."""
    h = mask.shape[0]
    y_lo, y_hi = int(max(0, baseline - half_band)), int(min(h, baseline + half_band + 1))
    band = mask[y_lo:y_hi, x0:x1 + 1]
    n = band.shape[1]
    tops = np.full(n, np.nan)
    bottoms = np.full(n, np.nan)
    predicted = baseline - y_lo
    limit = 0.8 * half_band
    home, keep = baseline - y_lo, 0.55 * half_band
    padded = np.zeros((band.shape[0] + 2, n), np.int8)
    padded[1:-1] = band
    changes = np.diff(padded, axis=0)
    for c in range(n):
        starts = np.flatnonzero(changes[:, c] == 1)
        if len(starts) == 0:
            continue
        stops = np.flatnonzero(changes[:, c] == -1)
        distance = np.maximum(0, np.maximum(starts - predicted, predicted - (stops - 1)))
        # a run wholly in a neighbour's half of the band is that neighbour's line: following
        # it would walk the trace into the next row
        distance[(stops - 1 < home - keep) | (starts > home + keep)] = np.inf
        best = int(np.argmin(distance))
        if distance[best] > limit:
            continue
        tops[c], bottoms[c] = starts[best], stops[best] - 1
        predicted = 0.5 * (tops[c] + bottoms[c])
    lengths = bottoms - tops + 1
    line_px = float(np.nanmedian(lengths)) if np.isfinite(lengths).any() else 1.0
    lo, hi = _core(band, tops, bottoms, line_px)
    middle = 0.5 * (tops + bottoms)
    if darkness is not None:
        middle = _centroid(darkness[y_lo:y_hi, x0:x1 + 1], tops, bottoms, middle)
    x, y = _points(lo, hi, middle)
    x, y = x + x0, y + y_lo
    found = np.isfinite(y)
    baseline_y = foot_y if foot_y is not None else (float(np.median(y[found])) if found.any() else baseline)
    return RowTrace(x, y, baseline_y, line_px)


def _core(band: np.ndarray, tops: np.ndarray, bottoms: np.ndarray,
          line_px: float) -> tuple[np.ndarray, np.ndarray]:
    """The span of the pen's centre in each column's run: the run's pixels deep inside the
    stroke (:data:`CORE_DEPTH`; the run eroded by the pen). A flat line keeps its middle pixel;
    a steep stroke keeps the values its centre line takes within the column; a peak keeps
    its tip, not the flat cap the stroke's width draws around it. Where nothing is that far
    from the paper (a thin or broken stroke), the run's middle."""
    padded = np.pad(band.astype(np.uint8), 1)
    depth = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    rows = np.arange(band.shape[0], dtype=np.float64)[:, None]
    core = (rows >= tops) & (rows <= bottoms) & (depth >= CORE_DEPTH * line_px)
    has = core.any(axis=0)
    lo = np.where(has, core.argmax(axis=0), np.nan)
    hi = np.where(has, band.shape[0] - 1 - core[::-1].argmax(axis=0), np.nan)
    middle = 0.5 * (tops + bottoms)
    return np.where(has, lo, middle), np.where(has, hi, middle)


def _centroid(darkness: np.ndarray, tops: np.ndarray, bottoms: np.ndarray,
              middle: np.ndarray) -> np.ndarray:
    """Each column's run centred on its ink: the darkness-weighted mean row over the run and a
    pixel either side (the stroke's antialiased edges), or ``middle`` where there is none."""
    rows = np.arange(darkness.shape[0], dtype=np.float64)[:, None]
    inside = (rows >= tops - 1) & (rows <= bottoms + 1)
    weight = np.where(inside, darkness, 0.0)
    total = weight.sum(axis=0)
    centre = (weight * rows).sum(axis=0) / np.maximum(total, 1e-9)
    return np.where((total > 0) & np.isfinite(middle), centre, middle)


def _points(lo: np.ndarray, hi: np.ndarray, middle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The line's points, sorted by x, from the span ``lo..hi`` of the pen's centre in each
    column (:func:`_core`).

    At 500 Hz a pixel column holds two or three samples, and on a QRS stroke they differ by
    several pixels. A column whose span is under a pixel gives one point: the ``middle`` of its
    whole run, which the stroke's antialiased edges place to half a pixel where the eroded span
    is one whole pixel row. A column the line crosses on a slope (its span between its
    neighbours') gives two, the span's ends :data:`EDGE` either side of the column's middle, in
    the stroke's direction. A column where the line turns
    (its span reaching past both neighbours' on one side) gives the turn: the span's top or
    bottom; reaching past on both sides (a whole narrow QRS within one column), its middle.
    """
    inf = np.inf
    n = len(lo)
    x = np.arange(n, dtype=np.float64)
    prev_lo, next_lo = np.r_[inf, lo[:-1]], np.r_[lo[1:], inf]
    prev_hi, next_hi = np.r_[-inf, hi[:-1]], np.r_[hi[1:], -inf]
    highest = lo <= np.fmin(np.nan_to_num(prev_lo, nan=inf), np.nan_to_num(next_lo, nan=inf))
    lowest = hi >= np.fmax(np.nan_to_num(prev_hi, nan=-inf), np.nan_to_num(next_hi, nan=-inf))
    spread = (hi - lo) >= 1.0
    y = middle.copy()
    up, down = spread & highest & ~lowest, spread & lowest & ~highest
    y[up], y[down] = lo[up], hi[down]
    before = np.r_[np.nan, middle[:-1]]
    after = np.r_[middle[1:], np.nan]
    direction = np.sign(np.where(np.isfinite(after), after, middle)
                        - np.where(np.isfinite(before), before, middle))
    sloped = spread & ~highest & ~lowest & (np.nan_to_num(direction) != 0)
    falling = direction[sloped] > 0  # image y grows: the line goes down the page
    xs = np.concatenate([x[~sloped], x[sloped] - EDGE, x[sloped] + EDGE])
    ys = np.concatenate([y[~sloped], np.where(falling, lo[sloped], hi[sloped]),
                         np.where(falling, hi[sloped], lo[sloped])])
    order = np.argsort(xs, kind="stable")
    return xs[order], ys[order]


def _row_extent(columns: np.ndarray, ppm: float) -> tuple[int, int]:
    """The longest stretch of columns with ink, bridging gaps up to 6 mm."""
    gap = int(6 * ppm)
    closed = cv2.morphologyEx(columns.astype(np.uint8)[None, :], cv2.MORPH_CLOSE,
                              np.ones((1, 2 * gap + 1), np.uint8))[0].astype(bool)
    closed &= _within(columns)
    runs = _runs(closed)
    if not runs:
        return 0, 0
    start, stop = max(runs, key=lambda r: r[1] - r[0])
    return int(start), int(stop - 1)


def _within(columns: np.ndarray) -> np.ndarray:
    """True between the first and last column with ink (closing must not grow the ends)."""
    out = np.zeros_like(columns, dtype=bool)
    on = np.flatnonzero(columns)
    if len(on):
        out[on[0]:on[-1] + 1] = True
    return out


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True."""
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _otsu(hist: np.ndarray, edges: np.ndarray) -> float:
    centres = 0.5 * (edges[1:] + edges[:-1])
    weights = hist.astype(np.float64)
    total = weights.sum()
    best, threshold = -1.0, float(centres[len(centres) // 2])
    for i in range(1, len(weights)):
        w0, w1 = weights[:i].sum(), weights[i:].sum()
        if w0 == 0 or w1 == 0:
            continue
        m0 = (weights[:i] * centres[:i]).sum() / w0
        m1 = (weights[i:] * centres[i:]).sum() / w1
        between = w0 * w1 * (m0 - m1) ** 2 / total**2
        if between > best:
            best, threshold = between, float(edges[i])
    return threshold
