"""From one page image to measured waveforms: the classical digitisation pipeline.

1. The paper is found among its surroundings, flattened, white-balanced and levelled over any
   turn up to 20 degrees (:mod:`workstation.scan.geometry`), and its contrast normalised; a page
   that cannot be made upright is refused with its failure class (:class:`Refusal`).
2. The grid gives pixels per millimetre on both axes (:mod:`workstation.scan.grid`); a page under
   5 px/mm is enlarged before tracing, and crumpled or creased paper is flattened by the local
   grid (:mod:`workstation.scan.dewarp`).
3. Rows, calibration pulses and lines are found and traced (:mod:`workstation.scan.trace`).
4. The printed lead names are read (:mod:`workstation.scan.labels`) and, with the number of
   rows, give the layout and the lead of every row and segment (:mod:`workstation.scan.layout`):
   3x4 with 0-3 rhythm strips, 6x2, 12x1; any other count gives one unnamed lead per row. A
   rhythm strip whose name the templates do not read surely is read by the page-text
   recogniser; one still unread is named by its line, where it matches one segment's, and is
   otherwise kept as "strip (name not read) N" with a warning: a strip is never stored
   under a lead it may not show, and its line still gives the page's rate.
5. Pixels become mV (the pulse's foot is 0 mV, its
   height the gain) and seconds (25 mm/s; t = 0 from the bars printed between segments, or the
   rows' ends: :mod:`workstation.scan.timing`), and each segment is put at its true time in the
   record.
6. Every lead and the image get a quality score with reasons (:mod:`workstation.scan.quality`).

A reader may override the calibration (px/mm, gain) or a lead's crop: :class:`Adjustments`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from workstation.core.leads import STANDARD_LEADS
from workstation.scan import quality as q
from workstation.scan.labels import SURE_MATCH, Label, consistent, read_labels, read_name_by_text
from workstation.scan.layout import KNOWN_LAYOUTS, read_layout
from workstation.scan.dewarp import displacement, flatten_grid
from workstation.scan.grid import fitted, grid_near
from workstation.scan.geometry import Refusal, straighten
from workstation.scan.page import Contrast, normalise
from workstation.scan.scale import LOW_PX_PER_MM, grid_variation, grids, misread_aspect, scale
from workstation.scan.timing import (BAR_MM, FS_HZ, RECORD_S, SPEED_MM_S, shared_time_axis,
                                     time_anchor)
from workstation.scan.trace import (RowTrace, find_pulse, find_rows, gain_from_pulse, ink_mask,
                                    trace_row)

#: Where two segments of a row meet, points this many strokes (plus a pixel) either side and
#: within BAR_MM of the baseline are the separating bar, not the trace: the segments' ends take
#: their nearest trace point's value.
BAR_GUARD = 1.0
#: A page read at fewer px/mm than this is first enlarged to UPSAMPLE_TO px/mm.
UPSAMPLE_BELOW = LOW_PX_PER_MM
UPSAMPLE_TO = 8.0



@dataclass(frozen=True)
class Adjustments:
    """Corrections a reader makes by eye; None keeps what was measured."""

    px_per_mm_x: float | None = None
    px_per_mm_y: float | None = None
    gain_mm_mv: float | None = None
    #: lead -> (first, last) column in the flattened image, to crop a segment
    crops: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Calibration:
    px_per_mm_x: float
    px_per_mm_y: float
    speed_mm_s: float
    gain_mm_mv: float
    grid_found: bool
    pulse_found: bool
    skew_degrees: float
    perspective_corrected: bool
    #: how much the page was enlarged before reading (a low-resolution page): the px/mm above
    #: are of the enlarged image, the one the traces refer to
    enlarged: float = 1.0
    #: how far crumpled or curved paper was out of flat (mm, over 90 % of it) before the
    #: local grid flattened it; 0 where the grid lay flat
    warp_mm: float = 0.0
    #: how far apart (relative) the grid's x and y scales are where that means one was
    #: misread (:func:`workstation.scan.scale.misread_aspect`): the time axis is not sure
    aspect_misread: float = 0.0

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class LeadTrace:
    """One digitised segment: where it lies in the record and in the flattened image."""

    lead: str
    start: int  # first sample in the record
    stop: int
    score: float
    reasons: tuple[str, ...]
    x_px: np.ndarray  # the traced line in the flattened image (for the overlay)
    y_px: np.ndarray
    #: how far the segment can be measured (:func:`workstation.scan.quality.measurable`)
    measurable: float = 1.0


@dataclass(frozen=True)
class Digitised:
    """The result of digitising one page."""

    signals: np.ndarray  # float32 mV (leads, samples), NaN where the page shows nothing
    fs: float
    lead_names: tuple[str, ...]
    layout: str
    calibration: Calibration
    traces: tuple[LeadTrace, ...]
    score: float
    reasons: tuple[str, ...]
    image: np.ndarray  # the flattened, levelled page the traces refer to (BGR)
    #: why the page gave no record (its failure class), None when it gave one
    refusal: Refusal | None = None

    def lead_score(self, lead: str) -> float:
        scores = [t.score for t in self.traces if t.lead == lead]
        return min(scores) if scores else 0.0

    def lead_measurable(self, lead: str) -> float:
        scores = [t.measurable for t in self.traces if t.lead == lead]
        return min(scores) if scores else 0.0


#: Finds the trace's ink on the straightened page: (BGR image, its contrast) -> boolean mask.
InkFinder = Callable[[np.ndarray, Contrast], np.ndarray]


def classical_ink(image: np.ndarray, contrast: Contrast) -> np.ndarray:
    """The default :data:`InkFinder`: thresholds on darkness and colour (:func:`ink_mask`)."""
    return ink_mask(contrast)


#: ``digitize(image, ink=AUTO)`` chooses the ink finder page by page (:func:`choose_ink`).
AUTO = "auto"
#: The per-page choice, set on validation prints by measured SNR (``benchmarks/choose_ink.py``).
#: The learned finder is tried where the thresholds' reading scores under AUTO_TRY_BELOW, its
#: paper was flattened by less than AUTO_MAX_WARP_MM and (unless AUTO_ON_ENLARGED) the page
#: was not enlarged for low resolution; its reading is kept where it scores more than
#: AUTO_MARGIN above the thresholds' (-1: wherever it is not refused).
#: On the 240 validation prints (20 records, every level and capture class, and handwritten on)
#: this rule gave a mean SNR of 16.29 dB against the thresholds' 15.93; crumpled paper and
#: enlarged pages, where the network reads worse, keep the thresholds.
AUTO_TRY_BELOW = 1.01  # above any score: the score does not decide whether to try
AUTO_MAX_WARP_MM = 0.25
AUTO_ON_ENLARGED = False
AUTO_MARGIN = 0.0


def learned_ink(image: np.ndarray, contrast: Contrast) -> np.ndarray:
    """The learned :data:`InkFinder` (:func:`inference.digitize.learned_ink`), imported on first
    use: the network and ONNX Runtime load only when a page asks for them."""
    from inference.digitize import learned_ink as finder

    return finder(image, contrast)


@dataclass(frozen=True)
class InkChoice:
    """A rule for :func:`choose_ink` (the defaults are the digitiser's own)."""

    try_below: float = AUTO_TRY_BELOW
    max_warp_mm: float = AUTO_MAX_WARP_MM
    on_enlarged: bool = AUTO_ON_ENLARGED
    margin: float = AUTO_MARGIN


def tries_learned(classical: Digitised, rule: InkChoice = InkChoice()) -> bool:
    """Whether the learned finder is worth a second reading of the page, judged from the
    thresholds' reading alone: what it measured of the page (how crumpled the paper was, whether
    it had to be enlarged) and its quality score. A refused page is always tried."""
    if classical.refusal is not None:
        return True
    calibration = classical.calibration
    return (classical.score < rule.try_below and calibration.warp_mm < rule.max_warp_mm
            and (rule.on_enlarged or calibration.enlarged <= 1.0))


def choose_ink(classical: Digitised, learned: Digitised | None,
               rule: InkChoice = InkChoice()) -> Digitised:
    """Which of two readings of one page to keep, from what the digitiser measures without
    ground truth (:func:`tries_learned`, then the pages' quality scores: every lead's
    resolution, blur, coverage, overlap, amplitude and expected SNR). The learned reading
    replaces the thresholds' where the page is one to try it on and it scores more than
    ``rule.margin`` higher; a refused reading is never kept over one that gave a record."""
    if learned is None or not tries_learned(classical, rule) or learned.refusal is not None:
        return classical
    if classical.refusal is not None:
        return learned
    return learned if learned.score > classical.score + rule.margin else classical


#: The ink finder ``digitize`` uses when none is named.
DEFAULT_INK: InkFinder | str = classical_ink


def digitize(image: np.ndarray, adjustments: Adjustments = Adjustments(), *,
             ink: InkFinder | str | None = None, page_px_per_mm: float | None = None) -> Digitised:
    """Digitise a page image (BGR uint8). ``ink`` finds the trace's pixels (None:
    :data:`DEFAULT_INK`); another finder (a
    learned segmentation, say) can be measured against the default one, and :data:`AUTO`
    reads the page with the thresholds and, where their reading is poor, with the learned
    finder too, keeping the better by :func:`choose_ink`. ``page_px_per_mm``
    (along x, of the page as given) replaces the grid's scale when known; a page whose rows
    are far from 10 s at the grid's scale is read again at the scale its layout and grid agree
    on (:func:`_layout_scale`)."""
    ink = DEFAULT_INK if ink is None else ink
    if isinstance(ink, str):
        if ink != AUTO:
            raise ValueError(f"unknown ink finder {ink!r} (a function, or {AUTO!r})")
        classical = digitize(image, adjustments, ink=classical_ink, page_px_per_mm=page_px_per_mm)
        learned = (digitize(image, adjustments, ink=learned_ink, page_px_per_mm=page_px_per_mm)
                   if tries_learned(classical) else None)
        return choose_ink(classical, learned)
    if image.ndim != 3 or min(image.shape[:2]) < 32:
        raise ValueError(f"image too small or not colour ({image.shape})")
    given = image
    upright = straighten(image)
    image, angle, corners = upright.image, upright.angle, upright.corners
    if upright.refusal is not None:
        return _refused(image, upright.refusal, _calibration(0.0, 0.0, [], [], False, angle, corners),
                        (f"{upright.refusal.value} (paper {100 * upright.paper_share:.0f}% of the image, "
                         f"turned {angle:.1f} degrees)",))
    contrast = normalise(image)
    mask = ink(image, contrast)
    gx, gy, strength = grids(contrast, mask)
    ppm_x, ppm_y, grid_found, correlation = scale(gx, gy, image.shape[1])
    if page_px_per_mm is not None:
        ppm_x, ppm_y = page_px_per_mm, page_px_per_mm * ppm_y / ppm_x
    native_ppm = min(ppm_x, ppm_y)  # what the page gives, whatever it is enlarged to
    native_strength = strength
    factor = 1.0
    if grid_found and native_ppm < q.MIN_PX_PER_MM:
        return _refused(image, Refusal.RESOLUTION_TOO_LOW,
                        _calibration(ppm_x, ppm_y, [], [], grid_found, angle, corners),
                        (f"{Refusal.RESOLUTION_TOO_LOW.value} ({native_ppm:.1f} px/mm: a 1 mm square "
                         f"is under {q.MIN_PX_PER_MM:g} pixels)",))
    if grid_found and min(ppm_x, ppm_y) < UPSAMPLE_BELOW:
        factor = UPSAMPLE_TO / min(ppm_x, ppm_y)
        image, contrast, mask, strength = _upsampled(image, strength, factor, ink)
        ppm_x, ppm_y = ppm_x * factor, ppm_y * factor
    warp_mm = 0.0
    if grid_found:
        image, contrast, mask, strength, warp_mm = _dewarped(image, contrast, mask, strength,
                                                             ppm_x, ppm_y, ink)
    ppm_x = adjustments.px_per_mm_x or ppm_x
    ppm_y = adjustments.px_per_mm_y or ppm_y
    # a scale the user set is the user's; a grid's x and y scales far apart are one misread
    apart = (misread_aspect(ppm_x, ppm_y, corners is not None)
             if grid_found and adjustments.px_per_mm_x is None and adjustments.px_per_mm_y is None
             else 0.0)
    image_checks = [q.resolution(min(native_ppm, ppm_x, ppm_y)), q.grid(grid_found, correlation),
                    q.aspect(apart, ppm_x / factor, ppm_y / factor)]
    if grid_found:
        image_checks.append(q.uniformity(grid_variation(strength, ppm_x, ppm_y)))
        image_checks.append(q.flattened(warp_mm))

    rows = find_rows(mask, ppm_y)
    found = []  # (row index, row trace, pulse, labels)
    for r, (baseline, x0, x1) in enumerate(rows):
        half = _half_band(rows, r, ppm_y)
        pulse = _own_pulse(find_pulse(mask, baseline, x0, ppm_x, ppm_y), rows, r)
        start_x = int(pulse.x_end + 1.0 * ppm_x) if pulse else x0
        row = trace_row(mask, baseline, start_x, x1, half, pulse.foot_y if pulse else None,
                        contrast.darkness)
        labels = read_labels(mask, baseline, half, x0, x1, row.x, row.y, row.line_px, ppm_x,
                             contrast.darkness)
        found.append((r, row, pulse, labels))
    read = consistent([labels for *_, labels in found], [row.baseline_y for _, row, _, _ in found])
    read = _strip_names_by_text(image, rows, found, read, ppm_x, ppm_y)
    layout, leads_by_row, confirmed = read_layout([(x0, x1) for _, x0, x1 in rows], read)
    if layout == "3x4+rhythm":
        leads_by_row = _strips_by_signal(leads_by_row, [row for _, row, _, _ in found],
                                         [{label.lead for label in labels} for labels in read], ppm_x)
    unread = sum(1 for leads in leads_by_row if leads is None)
    leads_by_row = _unnamed_strips(leads_by_row)
    names = list(STANDARD_LEADS) if layout in KNOWN_LAYOUTS else None
    if names:
        names += [leads[0] for leads in leads_by_row if leads and leads[0].startswith(UNNAMED)]
    if layout == "6x2" and not confirmed:  # without its labels, 3x4 + 3 strips looks the same
        image_checks.append(q.six_rows())
    n = int(round(RECORD_S * FS_HZ))
    signals = np.full((len(names) if names else len(rows), n), np.nan, np.float32)
    lead_names = tuple(names) if names else tuple(f"row {i + 1}" for i in range(len(rows)))
    traced = []  # (row index, leads, row trace, gain, pulse found, t0 x, seconds)
    for (r, row, pulse, _), leads in zip(found, leads_by_row):
        if leads is None:
            continue
        gain, from_pulse = gain_from_pulse(pulse, ppm_y, row.line_px)
        traced.append((r, leads, row, adjustments.gain_mm_mv or gain, from_pulse,
                       *time_anchor(row, ppm_x)))
    if page_px_per_mm is None and names and adjustments.px_per_mm_x is None:
        better = _layout_scale([row for _, row, _, _ in found], native_strength, ppm_x / factor, factor)
        if better is not None:
            return digitize(given, adjustments, ink=ink, page_px_per_mm=better)
    traced = shared_time_axis(traced, contrast.darkness, ppm_x, ppm_y)
    traces: list[LeadTrace] = []
    # an enlarged page's stroke is at least a pixel of the page it came from wide: that width is
    # its resolution, judged already, not blur
    footprint = (1.0 / native_ppm - 1.0 / UPSAMPLE_TO) if factor > 1.0 else 0.0
    for k, (r, row_leads, row, gain, from_pulse, t0_x, seconds) in enumerate(traced):
        neighbours = [traced[j][2] for j in (k - 1, k + 1) if 0 <= j < len(traced)]
        row_checks = [*image_checks, q.blur(row.line_px / ppm_y - footprint), q.pulse(from_pulse),
                      q.layout(bool(names), layout)]
        for c, lead in enumerate(row_leads):
            span = seconds / len(row_leads)
            first = int(round(c * span * FS_HZ))
            last = min(n, int(round((c + 1) * span * FS_HZ)))
            xs = t0_x + np.arange(first, last) / FS_HZ * SPEED_MM_S * ppm_x
            ys = _sample(row, xs, adjustments.crops.get(lead),
                         _segment_points(row, xs, c > 0, c < len(row_leads) - 1, ppm_y))
            mv = ((row.baseline_y - ys) / (ppm_y * gain)).astype(np.float32)
            signals[lead_names.index(lead) if lead in lead_names else r, first:last] = mv
            checks = [*row_checks, q.coverage(float(np.isfinite(ys).mean()) if len(ys) else 0.0),
                      q.overlap(_overlap(xs, ys, neighbours, ppm_y)), q.amplitude(_range(mv)),
                      # judged at the page's own pixels: enlarging adds none
                      q.fidelity(q.expected_snr(mv, ppm_x / factor, ppm_y / factor, gain, FS_HZ,
                                                SPEED_MM_S))]
            score, reasons = q.combine(checks)
            traces.append(LeadTrace(lead, first, last, score, reasons, xs, ys, q.measurable(checks)))
    gains = [item[3] for item in traced]
    pulses = [item[4] for item in traced]
    if not traces:
        refusal = Refusal.NO_ROWS if grid_found else Refusal.GRID_NOT_FOUND
        return _refused(image, refusal,
                        _calibration(ppm_x, ppm_y, gains, pulses, grid_found, angle, corners, factor,
                                     warp_mm),
                        (*q.combine(image_checks)[1], Refusal.NO_ROWS.value), signals,
                        lead_names, layout)
    score = round(float(np.mean([t.score for t in traces])), 3)
    reasons = _merge_reasons(traces)
    if unread:
        kept = "kept under no lead" if names and UNNAMED in names[-1] else "left out"
        reasons = (*reasons, f"{unread} rhythm strip{'s' if unread > 1 else ''} {kept}: "
                             "name not read (the printed lead name was not read, and the "
                             "line matches no one segment clearly)")
    return Digitised(signals, FS_HZ, lead_names, layout,
                     _calibration(ppm_x, ppm_y, gains, pulses, grid_found, angle, corners, factor,
                                  warp_mm, apart),
                     tuple(traces), score, reasons, image)


#: An unnamed strip is kept as a lead of this name and its number: its line still gives the
#: page's rate and rhythm, under no lead it may not show.
UNNAMED = "strip (name not read)"


def _unnamed_strips(leads_by_row: list) -> list:
    """``leads_by_row`` with each strip left unnamed kept as an :data:`UNNAMED` lead, where no
    strip of the page is named: a named strip gives the rate, and beside it an unnamed one
    (a row misfound, say) adds only what may be misread; it is then left out."""
    if any(leads is not None and len(leads) == 1 for leads in leads_by_row):
        return leads_by_row
    out, k = [], 0
    for leads in leads_by_row:
        if leads is None:
            k += 1
            leads = (f"{UNNAMED} {k}",)
        out.append(leads)
    return out


#: Pages of this many rows may carry rhythm strips below their first three rows.
STRIP_ROW_COUNTS = (4, 5, 6)


def _strip_names_by_text(image: np.ndarray, rows: list, found: list, read: list[list[Label]],
                         ppm_x: float, ppm_y: float) -> list[list[Label]]:
    """``read`` with the name at the start of each possible rhythm strip (every row after the
    third of a 4-6 row page) read by the page-text recogniser where the templates read none
    there, or none surely (or only "I"): it replaces the templates' first label of the row."""
    if len(rows) not in STRIP_ROW_COUNTS:
        return read
    out = [list(labels) for labels in read]
    for r, row, _, _ in found[3:]:
        baseline, x0, x1 = rows[r]
        start = [label for label in out[r] if label.x <= x0 + 0.15 * (x1 - x0)]
        # a lone bar read surely may be "II" touching the pulse: "I" is read again
        if any(label.match >= SURE_MATCH and label.lead != "I" for label in start):
            continue
        label = read_name_by_text(image, baseline, _half_band(rows, r, ppm_y), x0, row.x, row.y,
                                  row.line_px, ppm_x)
        if label is not None:
            out[r] = [label, *(item for item in out[r] if item not in start)]
    return out


def _refused(image: np.ndarray, refusal: Refusal, calibration: Calibration,
             reasons: tuple[str, ...], signals: np.ndarray | None = None,
             lead_names: tuple[str, ...] = (), layout: str = "none") -> Digitised:
    """A page that gives no record: its failure class first among its reasons."""
    if signals is None:
        signals = np.full((0, int(round(RECORD_S * FS_HZ))), np.nan, np.float32)
    if not (reasons and reasons[0].startswith(refusal.value)):
        reasons = (refusal.value, *(r for r in reasons if r != refusal.value))
    return Digitised(signals, FS_HZ, lead_names, layout, calibration, (), 0.0, reasons, image,
                     refusal)


#: A rhythm strip whose name was not read is named by its line: the lead whose segment its
#: stretch of the same time correlates with at least this well, leaving at most this share of
#: what the next best lead leaves unexplained (1 - r); the strip and the segments are one
#: recording, so the same lead gives nearly 1, and neighbouring leads (V5, V6) often 0.95.
STRIP_MATCH = 0.9
#: The strip is matched to a segment at any shift up to this (mm, 100 ms at 25 mm/s): a page's
#: strips and rows share their time axis only as well as the printer or renderer placed them.
STRIP_LAG_MM = 2.5
STRIP_RESIDUAL_SHARE = 0.5


def _strips_by_signal(leads_by_row: list, rows: list[RowTrace], read: list[set[str]],
                      ppm_x: float) -> list:
    """``leads_by_row`` with each rhythm strip whose name was not ``read`` (unnamed, or lead II
    by default) named by :data:`STRIP_MATCH`. A 3x4 page's rows and strips share their time
    axis, so the strip's line over a segment's columns is that segment's lead when it shows
    the same line; a millimetre at each segment's ends (the bars) is left out. Which name was
    printed does not matter, so no font can defeat it. A strip that matches no segment clearly
    keeps what it had, except that an unnamed one is lead II where II's segment is its best
    match (:func:`_usual_strip`); otherwise it stays unnamed (:func:`_unnamed_strips`)."""
    segments: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for leads, row in zip(leads_by_row, rows):
        ok = np.isfinite(row.y)
        if leads is None or len(leads) < 2 or ok.sum() < 2:
            continue
        # the segments are placed back from the row's end, at the page's scale: a row's start
        # may hold a calibration pulse taken for trace (or left out), its end is 10 s
        last = row.x[ok][-1]
        width = RECORD_S / len(leads) * SPEED_MM_S * ppm_x
        first = last - len(leads) * width
        for c, lead in enumerate(leads):
            columns = np.arange(np.ceil(first + c * width + ppm_x), np.floor(first + (c + 1) * width - ppm_x))
            segments[lead] = (columns, np.interp(columns, row.x[ok], row.y[ok]))
    unsure = [leads is not None and len(leads) == 1 and leads[0] not in names
              for leads, names in zip(leads_by_row, read)]
    named = {leads[0] for leads, guess in zip(leads_by_row, unsure)
             if leads is not None and len(leads) == 1 and not guess}
    out = list(leads_by_row)
    for r, (leads, row) in enumerate(zip(leads_by_row, rows)):
        ok = np.isfinite(row.y)
        if (leads is not None and not unsure[r]) or ok.sum() < 2:
            continue
        scores = []
        lags = np.arange(-STRIP_LAG_MM * ppm_x, STRIP_LAG_MM * ppm_x + 1.0, max(1.0, ppm_x / 4.0))
        for lead, (columns, theirs) in segments.items():
            if lead in named:
                continue
            best = None
            for lag in lags:
                mine = np.interp(columns + lag, row.x[ok], row.y[ok], left=np.nan, right=np.nan)
                both = np.isfinite(mine)
                if both.sum() < 0.5 * len(columns) or np.ptp(theirs[both]) == 0 or np.ptp(mine[both]) == 0:
                    continue
                r_ = float(np.corrcoef(mine[both], theirs[both])[0, 1])
                best = r_ if best is None else max(best, r_)
            if best is not None:
                scores.append((best, lead))
        scores.sort(reverse=True)
        if scores and scores[0][0] >= STRIP_MATCH and (
                len(scores) == 1 or 1.0 - scores[0][0] <= STRIP_RESIDUAL_SHARE * (1.0 - scores[1][0])):
            out[r] = (scores[0][1],)
            named.add(scores[0][1])
        elif leads is None and _usual_strip(scores, named):
            out[r] = ("II",)
            named.add("II")
    return out


#: An unnamed strip is taken for lead II, the usual strip, when II's segment is the one its
#: line matches best, at least this well: a photographed line matches no segment closely, but
#: one that matches another lead better is not lead II.
USUAL_STRIP_MATCH = 0.6


def _usual_strip(scores: list[tuple[float, str]], named: set[str]) -> bool:
    """Whether an unnamed strip whose line matched the segments with ``scores`` (best first)
    is lead II: no other strip is, and II's segment is its best match."""
    return ("II" not in named and bool(scores) and scores[0][1] == "II"
            and scores[0][0] >= USUAL_STRIP_MATCH)


#: A recognised layout prints 10 s per row: rows traced longer than LONGEST_ROW_S at the
#: grid's scale (a traced row can run past its 10 s over a calibration pulse or a printed
#: name: 10.5 s on synthetic 12x1 prints) or shorter than SHORTEST_ROW_S (a row may be cropped,
#: but not by a third) have had their scale misread; the grid is searched again near the scale
#: the rows give.
LONGEST_ROW_S = 13.0
SHORTEST_ROW_S = 7.0
#: How far (relative) the grid's scale may lie from a harmonic of the rows' to be taken for it.
HARMONIC_TOLERANCE = 0.15


def _layout_scale(rows: list[RowTrace], strength: np.ndarray, ppm_x: float,
                  factor: float) -> float | None:
    """The scale (px/mm along x of the page as straightened, before any enlarging by
    ``factor``; ``strength`` and ``ppm_x`` are of that page, the ``rows`` of the image traced) at which the rows of a recognised layout
    span the 10 s every such layout prints (250 mm at 25 mm/s), when the grid's own scale puts
    them far from it; else None. A low-resolution grid whose fine lines alias, or whose bold
    lines alternate in weight, shows a period twice (or five times, or a fraction of) its own:
    the rows' width tells which harmonic of the grid's period the 5 mm lines are, and the grid
    still gives the scale itself. Where the grid's period is no harmonic of the rows', the grid
    is searched again near the rows' scale; failing that the page keeps the grid's scale."""
    extents = [float(row.x[np.isfinite(row.y)][-1] - row.x[np.isfinite(row.y)][0])
               for row in rows if np.isfinite(row.y).sum() >= 0.5 * len(row.y)]
    if not extents:
        return None
    from_rows = float(np.median(extents)) / (RECORD_S * SPEED_MM_S) / factor
    ratio = ppm_x / from_rows
    if SHORTEST_ROW_S <= RECORD_S / ratio <= LONGEST_ROW_S:
        return None
    for harmonic in (2.0, 5.0, 0.5, 0.2):
        if abs(ratio / harmonic - 1.0) <= HARMONIC_TOLERANCE:
            return ppm_x / harmonic
    profile = strength.mean(axis=0)
    grid = grid_near(profile, from_rows, radius=HARMONIC_TOLERANCE / 2)
    if grid is None or abs(grid.px_per_mm / from_rows - 1.0) > HARMONIC_TOLERANCE:
        return None
    return fitted(profile, grid).px_per_mm


def _upsampled(image: np.ndarray, strength: np.ndarray, factor: float, ink: InkFinder):
    """The page, its contrast, ink and grid strength at ``factor`` times the size: a trace a
    pixel or two wide (a screenshot, an e-mailed page) is followed to a fraction of a pixel on
    the smooth (bicubic) image, where at its own size its columns give whole pixels."""
    image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    contrast = normalise(image)
    size = (image.shape[1], image.shape[0])
    return image, contrast, ink(image, contrast), cv2.resize(strength, size, interpolation=cv2.INTER_LINEAR)


def _dewarped(image: np.ndarray, contrast: Contrast, mask: np.ndarray, strength: np.ndarray,
              ppm_x: float, ppm_y: float, ink: InkFinder):
    """The page, its contrast, ink and grid strength flattened by the local grid model
    (:mod:`workstation.scan.dewarp`), or as they were where the grid lies flat."""
    dx = displacement(strength, ~mask, ppm_x, axis=1)
    dy = displacement(strength, ~mask, ppm_y, axis=0)
    if dx is None and dy is None:
        return image, contrast, mask, strength, 0.0
    # how far the paper was out of flat (mm, over 90 % of it): what the flattening may have
    # left, it left in proportion
    warp_mm = max(float(np.percentile(np.abs(d), 90)) / ppm
                  for d, ppm in ((dx, ppm_x), (dy, ppm_y)) if d is not None)
    image = flatten_grid(image, dx, dy)
    contrast = Contrast(flatten_grid(contrast.darkness, dx, dy), flatten_grid(contrast.colour, dx, dy))
    return image, contrast, ink(image, contrast), flatten_grid(strength, dx, dy), warp_mm


def _own_pulse(pulse, rows: list[tuple[float, int, int]], r: int):  # noqa: ANN001, ANN202 - trace.Pulse
    """``pulse`` when it is row ``r``'s own: its foot (0 mV) nearer the row's baseline than
    any other row's, else None. A pulse found from a row whose own pulse is missing can be
    the row above's: ecg00053's V1 strip took the foot of the III row's pulse, 21 mm up, for
    its 0 mV and read 2.1 mV low over its whole length."""
    if pulse is None:
        return None
    baseline = rows[r][0]
    others = [abs(pulse.foot_y - rows[k][0]) for k in range(len(rows)) if k != r]
    return pulse if not others or abs(pulse.foot_y - baseline) < min(others) else None


def _half_band(rows: list[tuple[float, int, int]], r: int, ppm_y: float) -> float:
    gaps = [abs(rows[r][0] - rows[k][0]) for k in (r - 1, r + 1) if 0 <= k < len(rows)]
    return 0.9 * min(gaps) if gaps else 30.0 * ppm_y


def _segment_points(row: RowTrace, xs: np.ndarray, bar_before: bool, bar_after: bool,
                    ppm_y: float) -> np.ndarray:
    """Which of the row's points belong to the segment sampled at ``xs``: those over it, less
    the bar a printer draws across the baseline where two segments meet (points near the
    bar's x and within its height; a QRS passing there stands taller and is kept)."""
    guard = BAR_GUARD * row.line_px + 1.0
    lo = xs[0] - 0.5 if bar_before else -np.inf
    hi = xs[-1] + 0.5 if bar_after else np.inf
    keep = (row.x >= lo) & (row.x <= hi)
    low_enough = np.abs(row.y - row.baseline_y) <= BAR_MM * ppm_y + row.line_px
    if bar_before:
        keep &= ~((row.x <= xs[0] + guard) & low_enough)
    if bar_after:
        keep &= ~((row.x >= xs[-1] - guard) & low_enough)
    return keep


def _sample(row: RowTrace, xs: np.ndarray, crop: tuple[int, int] | None,
            points: np.ndarray | None = None) -> np.ndarray:
    """The line's y at ``xs`` from its ``points`` (all by default) within the crop: linear
    between them, the nearest one's value just beyond; NaN over 3 columns (plus a bar's
    guard at the ends) from any point."""
    found = np.isfinite(row.y) if points is None else np.isfinite(row.y) & points
    if crop is not None:
        found &= (row.x >= crop[0]) & (row.x <= crop[1])
    if found.sum() < 2:
        return np.full(len(xs), np.nan)
    traced = row.x[found]
    ys = np.interp(xs, traced, row.y[found])
    # distance to the nearest traced point: beyond 3 columns the value would be invented
    pos = np.clip(np.searchsorted(traced, xs), 1, len(traced) - 1)
    nearest = np.minimum(np.abs(xs - traced[pos - 1]), np.abs(traced[pos] - xs))
    allowance = np.full(len(xs), 3.0)
    if points is not None:
        guard = BAR_GUARD * row.line_px + 1.0
        allowance[(xs - xs[0] <= guard) | (xs[-1] - xs <= guard)] += guard
    ys[nearest > allowance] = np.nan
    return ys


def _overlap(xs: np.ndarray, ys: np.ndarray, neighbours: list[RowTrace], ppm_y: float) -> float:
    """Share of a segment where a neighbouring row's traced line comes within 1.5 mm of it
    (tall complexes crossing): there the two lines may have been confused."""
    found = np.isfinite(ys)
    if not found.any():
        return 0.0
    close = np.zeros(len(ys), bool)
    for other in neighbours:
        ok = np.isfinite(other.y)
        if ok.sum() < 2:
            continue
        theirs = np.interp(xs, other.x[ok], other.y[ok], left=np.nan, right=np.nan)
        close |= np.abs(theirs - ys) < 1.5 * ppm_y
    return float(close[found].mean())


def _range(mv: np.ndarray) -> float:
    finite = mv[np.isfinite(mv)]
    return float(np.ptp(finite)) if finite.size else 0.0


def _calibration(ppm_x, ppm_y, gains, pulses, grid_found, angle, corners,
                 enlarged: float = 1.0, warp_mm: float = 0.0, aspect_misread: float = 0.0) -> Calibration:
    gain = float(np.median(gains)) if gains else 10.0
    return Calibration(float(ppm_x), float(ppm_y), SPEED_MM_S, gain, bool(grid_found),
                       bool(pulses) and all(pulses), float(angle), corners is not None,
                       float(enlarged), float(warp_mm), float(aspect_misread))


def _merge_reasons(traces: list[LeadTrace]) -> tuple[str, ...]:
    """Reasons of the whole image: each kind of reason once, with the leads it concerns and,
    where the leads' figures differ ("expected SNR 9 dB", "12 dB"), their range."""
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for t in traces:
        for reason in t.reasons:
            by_kind.setdefault(_NUMBER.sub("#", reason), []).append((reason, t.lead))
    n = len({t.lead for t in traces})
    out = []
    for kind, items in by_kind.items():
        leads = list(dict.fromkeys(lead for _, lead in items))
        figures = [[float(v) for v in _NUMBER.findall(reason)] for reason, _ in items]
        text = items[0][0]
        if len({reason for reason, _ in items}) > 1:
            parts = kind.split("#")
            ranges = [_span([f[k] for f in figures]) for k in range(len(parts) - 1)]
            text = "".join(part + (ranges[k] if k < len(ranges) else "") for k, part in enumerate(parts))
        out.append(text if len(leads) == n else f"{', '.join(leads)}: {text}")
    return tuple(out)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _span(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    show = (lambda v: f"{v:g}")
    return show(lo) if lo == hi else f"{show(lo)}-{show(hi)}"
