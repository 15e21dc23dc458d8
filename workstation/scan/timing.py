"""Where t = 0 lies on a page: the x (px) from which a row's samples are placed at 25 mm/s.

A row's own anchor comes from the ends of its ink (:func:`time_anchor`), which a pixel's rounding
moves by two or three samples at 200 dpi, enough to cost a QRS several dB. Where rows share a
time axis (the rows and rhythm strips of a 3x4 or 6x2 page start together) one anchor is found
for all of them, to a fraction of a pixel (:func:`shared_time_axis`): from the centres of the
bars a printer draws where two segments meet, or, on a page without bars, from where the rows'
strokes end at 10 s.
"""

from __future__ import annotations

import numpy as np

from workstation.scan.trace import RowTrace

FS_HZ = 500.0
SPEED_MM_S = 25.0
RECORD_S = 10.0
#: Half the height (mm) of the bar a printer draws where two segments of a row meet.
BAR_MM = 2.5


def time_anchor(row: RowTrace, ppm_x: float) -> tuple[float, float]:
    """(x of t = 0, seconds shown).

    A stroke runs past its first and last sample by its round cap, so a row whose ink spans
    10 s (to within 50 ms) is centred between its two ends, where the caps cancel. A row that
    only ends cleanly (its start joins the calibration pulse) is anchored on its last sample,
    less an allowance for the cap; any other row starts at its first ink.
    """
    found = np.isfinite(row.y)
    if not found.any():
        return float(row.x[0]) if len(row.x) else 0.0, RECORD_S
    first_i, last_i = _clean_start(found, ppm_x), int(np.flatnonzero(found)[-1])
    first, last = row.x[first_i], row.x[last_i]
    span = (RECORD_S - 1.0 / FS_HZ) * SPEED_MM_S * ppm_x
    seconds = (last - first) / (ppm_x * SPEED_MM_S)
    if abs(seconds - RECORD_S) < 0.05:
        return 0.5 * (first + last) - 0.5 * span, RECORD_S
    if abs(seconds - RECORD_S) < 0.6:
        return last - 0.2 * row.line_px - span, RECORD_S
    return float(first), min(RECORD_S, seconds)


#: Rows whose own time anchors lie within this (mm) of the page's shared one take it.
SAME_AXIS_MM = 1.0


def shared_time_axis(traced: list, darkness: np.ndarray, ppm_x: float, ppm_y: float) -> list:
    """The rows' time anchors made one where they share a time axis (the rows of a 3x4 or 6x2
    page, and its rhythm strips, start together). The bars a printer draws where two segments
    of a row meet sit at the segments' first samples; their centres, found to a fraction of a
    pixel (:func:`_bar_centre`), place t = 0 better than the ends of the ink, which a pixel's
    rounding moves by two or three samples at 200 dpi. The median over every bar of the page is
    taken for each row whose own anchor lies within :data:`SAME_AXIS_MM` of it. A page with
    fewer than two bars (12x1, say) takes the median of its rows' right ends instead, measured
    to a fraction of a pixel (:func:`_end_anchor`), where at least :data:`MIN_ENDS` rows end at
    10 s; otherwise each row keeps its own anchor."""
    anchors = []
    for _, leads, row, _, _, t0_x, seconds in traced:
        span = seconds / len(leads)
        for c in range(1, len(leads)):
            first = int(round(c * span * FS_HZ))
            guess = t0_x + first / FS_HZ * SPEED_MM_S * ppm_x
            centre = _bar_centre(darkness, row, guess, ppm_x, ppm_y)
            if centre is not None:
                anchors.append(centre - first / FS_HZ * SPEED_MM_S * ppm_x)
    if len(anchors) < 2:  # no bars: the rows' right ends, where every row stops at 10 s
        anchors = [end for _, leads, row, _, _, _, seconds in traced if seconds == RECORD_S
                   for end in [_end_anchor(darkness, row, ppm_x)] if end is not None]
        if len(anchors) < MIN_ENDS:
            return traced
    shared = float(np.median(anchors))
    return [(*item[:5], shared if abs(item[5] - shared) <= SAME_AXIS_MM * ppm_x else item[5], item[6])
            for item in traced]


#: Rows ending at 10 s that must agree (their median) to place the time axis on their ends.
MIN_ENDS = 3
#: How far past its last point a stroke's ink reaches at half darkness, in stroke widths (half
#: would be a sharp round pen; blur pulls the edge of a small round cap in): 0.42 on the
#: validation 12x1 prints (clean 15.5 -> 16.4 dB, photo 13.9 -> 14.9, against whole-pixel ends).
CAP_SHARE = 0.42


def _end_anchor(darkness: np.ndarray, row: RowTrace, ppm_x: float) -> float | None:
    """The x (px) of t = 0 of a row whose line ends at 10 s, from where its ink ends to a
    fraction of a pixel: the farthest point right where the stroke's darkness falls to half
    its full darkness, less :data:`CAP_SHARE` of the stroke's width (a round pen reaches as far
    past its last point whatever the stroke's direction). None where the end is not clear."""
    h, w = darkness.shape
    on = np.flatnonzero(np.isfinite(row.y))
    if len(on) < 10:
        return None
    end = int(round(row.x[on[-1]]))
    last = on[row.x[on] >= end - 3]
    y_lo = max(0, int(np.min(row.y[last]) - row.line_px - 2))
    y_hi = min(h, int(np.max(row.y[last]) + row.line_px + 3))
    x_lo, x_hi = end - 6, end + 8
    if x_lo < 0 or x_hi > w:
        return None
    stroke = _half_width(darkness, row)
    if stroke is None:
        return None
    width, full = stroke
    farthest = None
    for profile in darkness[y_lo:y_hi, x_lo:x_hi].astype(np.float64):
        inked = np.flatnonzero(profile >= 0.5 * full)
        if not len(inked) or inked[-1] + 1 >= len(profile):
            continue
        j = inked[-1]
        at = x_lo + j + _crossing(profile[j], profile[j + 1], 0.5 * full)
        farthest = at if farthest is None else max(farthest, at)
    if farthest is None:
        return None
    return farthest - CAP_SHARE * width - (RECORD_S - 1.0 / FS_HZ) * SPEED_MM_S * ppm_x


def _crossing(inside: float, outside: float, level: float) -> float:
    """Where (0..1 px past the inside pixel) darkness falling from ``inside`` to ``outside``
    crosses ``level``."""
    return float(np.clip((inside - level) / max(inside - outside, 1e-9), 0.0, 1.0))


def _half_width(darkness: np.ndarray, row: RowTrace) -> tuple[float, float] | None:
    """(width at half darkness, full darkness) of the row's stroke where it runs flat, the
    median over its flat columns; None where it hardly runs flat."""
    on = np.flatnonzero(np.isfinite(row.y))
    x, y = row.x[on], row.y[on]
    flat = np.flatnonzero((np.abs(np.diff(y)) < 0.3) & (np.diff(x) == 1.0))
    if len(flat) < 10:
        return None
    reach = int(np.ceil(row.line_px)) + 2
    widths, peaks = [], []
    for i in flat[:: max(1, len(flat) // 200)]:
        c, r = int(x[i]), int(round(y[i]))
        column = darkness[max(0, r - reach):r + reach + 1, c].astype(np.float64)
        half = 0.5 * column.max()
        run = _peak_run(column, half) if half > 0 else None
        if run is None:
            continue
        a, b = run
        widths.append(b - a + _crossing(column[a], column[a - 1], half) + _crossing(column[b], column[b + 1], half))
        peaks.append(2.0 * half)
    if len(widths) < 10:
        return None
    return float(np.median(widths)), float(np.median(peaks))


def _peak_run(profile: np.ndarray, level: float) -> tuple[int, int] | None:
    """First and last index of the run of ``profile`` at or above ``level`` around its peak,
    or None where the run reaches either end (the window cuts it)."""
    top = int(np.argmax(profile))
    below = np.flatnonzero(profile < level)
    before, after = below[below < top], below[below > top]
    if not len(before) or not len(after):
        return None
    return int(before[-1]) + 1, int(after[0]) - 1


#: A bar's centre is looked for this far (mm) either side of where the row's own anchor puts it.
BAR_SEARCH_MM = 1.0
#: A bar is measured on at least this much (mm) of its height clear of the trace, and its
#: pixel rows' centres agree to this (px, interquartile range).
BAR_CLEAR_MM = 0.75
BAR_SPREAD_PX = 0.5


def _bar_centre(darkness: np.ndarray, row: RowTrace, guess: float, ppm_x: float,
                ppm_y: float) -> float | None:
    """The x (px) of the vertical bar near ``guess`` that separates two segments of ``row``, to
    a fraction of a pixel, or None where no clear bar is printed there. Each pixel row of the
    bar away from the trace (which crosses it) gives the centre of its ink; the median of
    them is the bar's centre."""
    h, w = darkness.shape
    x_lo, x_hi = int(guess - BAR_SEARCH_MM * ppm_x), int(guess + BAR_SEARCH_MM * ppm_x) + 1
    if x_lo < 0 or x_hi >= w:
        return None
    y_lo = max(0, int(row.baseline_y - BAR_MM * ppm_y))
    y_hi = min(h, int(row.baseline_y + BAR_MM * ppm_y) + 1)
    near = (row.x >= x_lo - row.line_px) & (row.x <= x_hi + row.line_px) & np.isfinite(row.y)
    if not near.any():
        return None
    clear = row.line_px + 1.0  # rows this close to the trace hold its ink too
    trace_lo, trace_hi = row.y[near].min() - clear, row.y[near].max() + clear
    window = darkness[y_lo:y_hi, x_lo:x_hi].astype(np.float64)
    ys = np.arange(y_lo, y_hi)
    window = window[(ys < trace_lo) | (ys > trace_hi)]
    if len(window) < BAR_CLEAR_MM * ppm_y:
        return None
    window = window - np.median(window, axis=1, keepdims=True)
    peak = window.max(axis=1)
    strong = peak >= 0.5 * np.percentile(peak, 90)
    centres = []
    xs = np.arange(x_lo, x_hi, dtype=np.float64)
    for profile in window[strong]:
        run = _peak_run(profile, 0.1 * profile.max())
        if run is None or run[1] - run[0] + 1 > 2 * row.line_px:
            continue  # cut by the window, or wider than a stroke: not the bar
        a, b = run
        weight = profile[a:b + 1]
        centres.append(float((weight * xs[a:b + 1]).sum() / weight.sum()))
    if len(centres) < BAR_CLEAR_MM * ppm_y:
        return None
    low, high = np.percentile(centres, [25, 75])
    if high - low > BAR_SPREAD_PX:  # not one straight vertical bar
        return None
    return float(np.median(centres))


def _clean_start(found: np.ndarray, ppm_x: float) -> int:
    """Index of the trace's first point, skipping the calibration pulse's tail: a short run
    (under 3 mm) of ink followed by a gap."""
    padded = np.concatenate(([0], found.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    starts, stops = edges[0::2], edges[1::2]
    if len(starts) > 1 and stops[0] - starts[0] < 3 * ppm_x and starts[1] - stops[0] >= 0.5 * ppm_x:
        return int(starts[1])
    return int(starts[0])
