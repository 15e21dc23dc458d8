"""How far a digitised signal can be trusted: a score 0..1 per lead and per image, with reasons.

Every check maps one measurable property of the image or the trace onto 0..1 (1 = no doubt)
and names the problem when it falls below :data:`REASON_BELOW`. A lead's score is the product
of the image's checks and its own; the image's score is the mean of its leads' scores. The
thresholds are set from what the pipeline can resolve: a 1 mm grid square must span several
pixels, a stroke wider than 0.6 mm is blurred, a trace followed over less than 90 % of its
segment has been lost, cut off or hidden, and a trace only a few pixels tall loses its shape.
On synthetic prints of LUDB validation records the trace's size in pixels was the strongest
single predictor of the SNR (Spearman 0.6); ``benchmarks/digitize_snr.py`` reports the
correlation of the whole score.
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


def ramp(value: float, bad: float, good: float) -> float:
    """0 at ``bad``, 1 at ``good``, linear between (either direction)."""
    if good == bad:
        return 1.0
    return float(np.clip((value - bad) / (good - bad), 0.0, 1.0))


def check(score: float, reason: str) -> Check:
    return Check(score, reason if score < REASON_BELOW else None)


def resolution(px_per_mm: float) -> Check:
    return check(ramp(px_per_mm, 2.0, 5.0), f"low resolution ({px_per_mm:.1f} px/mm; 5 or more needed)")


def grid(found: bool, correlation: float) -> Check:
    if not found:
        return Check(0.3, "no paper grid found: scale assumed from the page size")
    return check(ramp(correlation, 0.1, 0.35), f"faint or irregular grid (periodicity {correlation:.2f})")


def blur(line_mm: float) -> Check:
    return check(ramp(line_mm, 0.9, 0.5), f"blurred trace (stroke {line_mm:.2f} mm wide)")


def uniformity(variation: float) -> Check:
    return check(ramp(variation, 0.04, 0.01),
                 f"grid spacing varies by {100 * variation:.0f}% across the page (curved paper or perspective)")


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


def detail(rms_px: float) -> Check:
    """A small trace (few pixels from its baseline) loses its shape to the pixel grid and the
    stroke: of all checks, the one that best predicts the SNR on synthetic prints."""
    return check(ramp(rms_px, 1.0, 10.0), f"small trace at this resolution ({rms_px:.1f} px RMS)")


def amplitude(range_mv: float) -> Check:
    if range_mv < 0.05:
        return Check(0.2, f"flat trace ({range_mv:.2f} mV range)")
    return check(ramp(range_mv, 8.0, 5.0), f"implausible amplitude ({range_mv:.1f} mV range)")


def combine(checks: list[Check]) -> tuple[float, tuple[str, ...]]:
    score = float(np.prod([c.score for c in checks])) if checks else 0.0
    return round(score, 3), tuple(c.reason for c in checks if c.reason)
