"""How far a digitised signal can be trusted: a score 0..1 per lead and per image, with reasons.

Every check maps one measurable property of the image or the trace onto 0..1 (1 = no doubt)
and names the problem when it falls below :data:`REASON_BELOW`. A lead's score is the product
of the image's checks and its own; the image's score is the mean of its leads' scores.

Two questions are kept apart. The score answers "how closely does the trace reproduce the printed
waveform" (the SNR it predicts, on which a tenth of a pixel's misplacement on a steep QRS edge
weighs heavily). Whether the lead can be *measured* - its beats, intervals and amplitudes
resolved - is a different, weaker demand: at 2.5 px/mm a pixel is 16 ms and 0.04 mV, finer than
any interval or amplitude the rules judge. :func:`measurable` therefore leaves out the checks
that only bear on reproduction (the expected SNR, the flattening's residual) and keeps those
that say the trace may be wrong: lost, overlapped, flat or huge, blurred, unscaled, or named
from an unread layout. The
thresholds are set from what the pipeline can resolve: a 1 mm grid square must span several
pixels, a stroke wider than 0.6 mm is blurred, a trace followed over less than 90 % of its
segment has been lost, cut off or hidden, and a trace that is small or steep for the pixels
that draw it loses its shape (:func:`expected_snr`). ``benchmarks/digitize_snr.py`` reports
the correlation of the whole score with the SNR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A check scoring below this is named in the reasons.
REASON_BELOW = 0.8
#: Below this score a digitised lead or image should be checked by a person.
REVIEW_BELOW = 0.6


@dataclass(frozen=True)
class Check:
    score: float
    reason: str | None
    #: False for a check that bears only on how exactly the waveform is reproduced, not on
    #: whether its beats, intervals and amplitudes can be measured (see the module docstring)
    measurement: bool = True


def ramp(value: float, bad: float, good: float) -> float:
    """0 at ``bad``, 1 at ``good``, linear between (either direction)."""
    if good == bad:
        return 1.0
    return float(np.clip((value - bad) / (good - bad), 0.0, 1.0))


def check(score: float, reason: str) -> Check:
    return Check(score, reason if score < REASON_BELOW else None)


#: Below this (px/mm) a 1 mm square is under two pixels: no trace is read from the page.
MIN_PX_PER_MM = 2.0


#: Below this resolution (px/mm) the reasons say so; the score falls only towards
#: :data:`MIN_PX_PER_MM`, since each lead's expected SNR (:func:`fidelity`) already counts the
#: pixel's size, and counted twice a 3 px/mm page read at 11 dB scored 0.1.
LOW_PX_PER_MM = 5.0
SOFT_PX_PER_MM = 2.5


def resolution(px_per_mm: float) -> Check:
    score = ramp(px_per_mm, MIN_PX_PER_MM, SOFT_PX_PER_MM)
    low = px_per_mm < LOW_PX_PER_MM
    return Check(score, f"low resolution ({px_per_mm:.1f} px/mm; 5 or more needed)" if low else None)


def grid(found: bool, correlation: float) -> Check:
    if not found:
        return Check(0.3, "no paper grid found: scale assumed from the page size")
    return check(ramp(correlation, 0.1, 0.35), f"faint or irregular grid (periodicity {correlation:.2f})")


def blur(line_mm: float) -> Check:
    return check(ramp(line_mm, 0.9, 0.5), f"blurred trace (stroke {line_mm:.2f} mm wide)")


def uniformity(variation: float) -> Check:
    return check(ramp(variation, 0.04, 0.01),
                 f"grid spacing varies by {100 * variation:.0f}% across the page (curved paper or perspective)")


#: Displacement (mm, over 90 % of the page) of crumpled or creased paper at which the check
#: scores 1 and its floor: the local grid flattens it, but not exactly (validation crumpled
#: prints, 0.4-0.9 mm, read at 11-12 dB against 19 flat). A smoothly curved page is
#: displaced further yet flattened well, so the score stops at the floor.
WARP_MM = (0.2, 1.0)
WARP_FLOOR = 0.5


def flattened(warp_mm: float) -> Check:
    """Paper that was crumpled, creased or curved, flattened by the local grid model."""
    if warp_mm <= 0.0:
        return Check(1.0, None, measurement=False)
    return Check(max(WARP_FLOOR, ramp(warp_mm, WARP_MM[1], WARP_MM[0])),
                 f"crumpled, creased or curved paper, flattened from its grid "
                 f"(up to {warp_mm:.1f} mm out of place)", measurement=False)


#: The page's score when its grid is not square (see :func:`aspect`).
ASPECT_SCORE = 0.5


def aspect(apart: float, ppm_x: float, ppm_y: float) -> Check:
    """A grid read as not square (:func:`workstation.scan.scale.misread_aspect`): one axis'
    scale is misread, so the page's times (rate, intervals) are not measured; its waveform
    stays, for what a reader sees in it."""
    if apart <= 0.0:
        return Check(1.0, None, measurement=False)
    return Check(ASPECT_SCORE, f"the grid's x and y scales differ by {apart:.0%} ({ppm_x:.1f} and "
                               f"{ppm_y:.1f} px/mm): the time axis is not sure, so rate and "
                               "intervals are not measured", measurement=False)


def layout(known: bool, name: str) -> Check:
    return Check(1.0, None) if known else Check(0.5, f"layout not recognised ({name}): rows named by position")


def six_rows() -> Check:
    return Check(0.55, "6 rows read as 6x2, but a 3x4 page with 3 rhythm strips looks the same: "
                       "check the lead names against the image")


def pulse(found: bool) -> Check:
    return check(1.0 if found else 0.85, "no calibration pulse: 10 mm/mV and 0 mV at the row median assumed")


def coverage(share: float) -> Check:
    return check(ramp(share, 0.6, 0.95), f"trace lost over {100 * (1 - share):.0f}% of the segment (cropped, faint or hidden)")


def overlap(share: float) -> Check:
    return check(ramp(share, 0.6, 0.2), f"overlaps another lead over {100 * share:.0f}% of the segment")


#: The digitiser's errors, in pixels: where a column's samples fall in time (their share of a
#: column) and the line's height. Fitted on synthetic prints of LUDB validation records; with
#: them :func:`expected_snr` predicts the clean prints' mean SNR to within 0.3 dB.
TIME_ERROR_COLUMNS = 0.3
HEIGHT_ERROR_PX = 0.3
#: Expected SNR (dB) at which a lead scores 0 and 1 for :func:`fidelity`.
FIDELITY_DB = (5.0, 20.0)


def expected_snr(mv: np.ndarray, px_per_mm_x: float, px_per_mm_y: float, gain_mm_mv: float,
                 fs: float, speed_mm_s: float = 25.0) -> float:
    """The SNR (dB, as the Challenge 2024 scores it) that a lead read from a page at this
    resolution can be expected to have: its power over the error a sub-pixel misplacement
    makes, :data:`TIME_ERROR_COLUMNS` of a pixel column in time (which costs most where the
    line is steep, on a QRS) and :data:`HEIGHT_ERROR_PX` of a pixel in height. A small or fast
    trace at a low resolution has a low expected SNR."""
    finite = np.isfinite(mv)
    if finite.sum() < 10:
        return 0.0
    power = float(np.mean(np.square(mv[finite], dtype=np.float64)))
    slope = np.diff(mv.astype(np.float64)) * fs
    slope = slope[np.isfinite(slope)]
    time_error = TIME_ERROR_COLUMNS / (speed_mm_s * px_per_mm_x)
    height_error = HEIGHT_ERROR_PX / (px_per_mm_y * gain_mm_mv)
    error = time_error**2 * (float(np.mean(slope**2)) if slope.size else 0.0) + height_error**2
    return 10.0 * float(np.log10(max(power, 1e-12) / error))


def fidelity(expected_db: float) -> Check:
    """Of all checks, the one that best predicts the SNR on synthetic prints (Spearman 0.76 on
    clean validation prints, against 0.43 for the trace's size in pixels)."""
    score = ramp(expected_db, *FIDELITY_DB)
    return Check(score, f"small or fast trace for this resolution (expected SNR {expected_db:.0f} dB)"
                 if score < REASON_BELOW else None, measurement=False)


def amplitude(range_mv: float) -> Check:
    if range_mv < 0.05:
        return Check(0.2, f"flat trace ({range_mv:.2f} mV range)")
    return check(ramp(range_mv, 8.0, 5.0), f"implausible amplitude ({range_mv:.1f} mV range)")


def combine(checks: list[Check]) -> tuple[float, tuple[str, ...]]:
    score = float(np.prod([c.score for c in checks])) if checks else 0.0
    return round(score, 3), tuple(c.reason for c in checks if c.reason)


def measurable(checks: list[Check]) -> float:
    """How far the lead's beats, intervals and amplitudes can be measured: the product of the
    checks that bear on measurement (the module docstring says which do not)."""
    kept = [c.score for c in checks if c.measurement]
    return round(float(np.prod(kept)), 3) if checks else 0.0
