"""Record-level confidence: how far the result can be trusted without a second look.

    confidence = quality x delineation x margin x completeness x plausibility   (each 0..1)

* quality: the mean per-lead quality score (:mod:`rules.quality`);
* delineation: the mean calibrated confidence (:mod:`rules.calibration`) of the global
  boundaries the intervals were measured between, on the dominant beats (1 for a human
  reference delineation, whose confidences are 1);
* margin: the smallest margin term over the rules that can make a record subacute or acute:
  0.5 for a value at its threshold, rising linearly to 1 at ``margin_bands`` borderline bands
  from it (a value near such a threshold could fall either side of it with a small
  measurement error, and the side decides the urgency). A value near the threshold of a rule
  that can at most make the record "abnormal, not acute" (a rate of 61 bpm) is shown as a
  borderline flag and does not lower the confidence: it never decides urgency;
* completeness: the share of the key assessments (rate, QRS, QT, QRS axis, and whether the
  amplitudes could be trusted for the ST and voltage rules) that could be made (0 without
  any beat);
* plausibility: 0.5 for each value that was measured but is physiologically impossible
  (:mod:`rules.plausibility`): the measuring went wrong somewhere.

The value is rounded to two decimals once, here: every display and the review threshold use
that same number.

The formula is a documented local choice, not a guideline; each term is reported, so that
the reason for a low confidence is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from rules.beats import Boundary
from rules.calibration import Calibration, boundary_key
from rules.flag import Check
from rules.measure import Measurements
from rules.quality import RecordQuality
from rules.types import FlagId
from workstation.core.delineation import Delineation, WaveKind


@dataclass(frozen=True)
class Confidence:
    """The record-level confidence and its four terms."""

    value: float
    quality: float
    delineation: float
    margin: float
    completeness: float
    calibrated: bool
    limiting_rule: str | None  # the rule whose margin is smallest, when it limits
    plausibility: float = 1.0


def record_confidence(m: Measurements, quality: RecordQuality, delineation: Delineation | None,
                      checks: Iterable[Check], calibration: Calibration | None,
                      margin_bands: float, urgent: frozenset[FlagId] | None = None) -> Confidence:
    """The record-level confidence (see the module docstring)."""
    calibrated = (delineation is not None and calibration is not None
                  and calibration.applies_to(delineation))
    delin = _delineation_term(m, calibration if calibrated else None)
    checks = [c for c in checks if urgent is None or c.flag in urgent]
    margin, limiting = _margin_term(checks, margin_bands)
    complete = _completeness(m, quality.amplitudes.trusted)
    plausible = 0.5 ** len(m.implausible)
    value = quality.score * delin * margin * complete * plausible
    return Confidence(round(float(value), 2), round(quality.score, 4), round(delin, 4),
                      round(margin, 4), round(complete, 4), calibrated, limiting,
                      plausible)


def _delineation_term(m: Measurements, calibration: Calibration | None) -> float:
    values = []
    for beat in m.beats:
        if not beat.dominant:
            continue
        parts = [(beat.qrs.onset, WaveKind.QRS, True), (beat.qrs.offset, WaveKind.QRS, False)]
        if beat.p is not None:
            parts.append((beat.p.onset, WaveKind.P, True))
        if beat.t is not None:
            parts.append((beat.t.offset, WaveKind.T, False))
        values += [_calibrated(b, kind, onset, calibration) for b, kind, onset in parts]
    if not values:
        return 0.0 if m.source == "delineation" else 0.5
    return float(np.mean(values))


def _calibrated(boundary: Boundary, kind: WaveKind, onset: bool,
                calibration: Calibration | None) -> float:
    if calibration is None:
        return boundary.confidence
    return calibration.calibrate(boundary.confidence, boundary_key(kind, onset))


def _margin_term(checks: Iterable[Check], bands: float) -> tuple[float, str | None]:
    worst, limiting = 1.0, None
    for check in checks:
        if check.band <= 0:
            continue
        term = 0.5 + 0.5 * min(1.0, abs(check.margin) / (bands * check.band))
        if term < worst:
            worst, limiting = term, check.flag.value
    return worst, limiting


def _completeness(m: Measurements, amplitudes_trusted: bool) -> float:
    key = (m.rhythm.hr_bpm, m.intervals.qrs_ms, m.intervals.qt_ms, m.qrs_axis)
    if m.rhythm.hr_bpm.value is None:
        return 0.0
    done = sum(v.value is not None for v in key) + (amplitudes_trusted and m.source == "delineation")
    return done / (len(key) + 1)
