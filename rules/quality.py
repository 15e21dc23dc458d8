"""Per-lead signal quality, computed at ingest from the signal alone (no delineation needed).

Each lead is checked for: lead off or flat line, saturation (clipping), high-frequency noise,
baseline wander, missing samples and a recording too short to measure. Each check scores
0..1 against the limits of the rule file's ``[quality]`` table; a lead's score is its worst
check and its grade is good / fair / poor. A poor lead is excluded from every rule and named
in the result; no rule ever reasons over it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from rules.consistency import AmplitudeCheck, check_amplitudes
from rules.ruleset import QualityLimits, RuleSet
from rules.types import QualityGrade, QualityProblem
from workstation.core.conditioning import BASELINE_CUTOFF_HZ, lowpass
from workstation.core.record import ECGRecord

#: Noise is what lies above this frequency (Hz): the common "monitoring" low-pass corner
#: (Kligfield et al., Circulation 2007;115:1306-1324), above most of the P, T and ST energy.
NOISE_CUTOFF_HZ = 40.0
#: Scale from the median absolute deviation to the SD of Gaussian noise.
MAD_TO_SD = 1.4826
#: Constant runs covering this much of the start or end of a lead are filler (padding or a
#: calibration pulse), counted as missing; each run of the filler is at least FILLER_RUN_MS.
PADDING_MS = 100.0
FILLER_RUN_MS = 20.0
#: A digitised lead whose digitisation score (workstation.scan.quality) is below these is
#: graded fair / poor whatever its signal looks like: the trace itself may be misread.
DIGITISED_FAIR_BELOW = 0.8
DIGITISED_POOR_BELOW = 0.6


@dataclass(frozen=True)
class LeadQuality:
    """Quality of one lead: grade, score 0..1, what is wrong and the metrics behind it."""

    lead: str
    grade: QualityGrade
    score: float
    problems: tuple[QualityProblem, ...]
    duration_s: float
    range_mv: float | None
    noise_mv: float | None
    wander_mv: float | None
    gap_share: float
    span: tuple[int, int] = (0, 0)

    @property
    def usable(self) -> bool:
        """A lead the rules may reason over (good or fair)."""
        return self.grade is not QualityGrade.POOR


@dataclass(frozen=True)
class RecordQuality:
    """Quality of every lead of a record, in the record's lead order, and whether its
    amplitudes can be trusted (:mod:`rules.consistency`)."""

    leads: tuple[LeadQuality, ...]
    amplitudes: AmplitudeCheck

    def of(self, lead: str) -> LeadQuality:
        for quality in self.leads:
            if quality.lead == lead:
                return quality
        raise KeyError(lead)

    @property
    def usable_leads(self) -> tuple[str, ...]:
        return tuple(q.lead for q in self.leads if q.usable)

    @property
    def poor_leads(self) -> tuple[str, ...]:
        return tuple(q.lead for q in self.leads if not q.usable)

    @property
    def score(self) -> float:
        """Mean lead score (0 for a record without leads)."""
        return float(np.mean([q.score for q in self.leads])) if self.leads else 0.0


def assess_quality(record: ECGRecord, ruleset: RuleSet) -> RecordQuality:
    """Quality of every lead of ``record`` (see the module docstring)."""
    signals = np.asarray(record.signals, dtype=np.float64)
    if record.digitisation is not None:  # read off a printout: see digitised_lead
        scores = dict(record.digitisation.lead_scores)
        measurable = dict(record.digitisation.lead_measurable) or scores
        leads = tuple(digitised_lead(name, signals[i], record.fs, ruleset, scores.get(name, 0.0),
                                     measurable.get(name, 0.0))
                      for i, name in enumerate(record.lead_names))
    else:
        leads = tuple(assess_lead(name, signals[i], record.fs, ruleset)
                      for i, name in enumerate(record.lead_names))
    amplitudes = check_amplitudes(_within_spans(signals, leads), record.lead_names,
                                  float(ruleset.quality["limb_residual_max"]),
                                  float(ruleset.quality["equal_range_tolerance"]),
                                  float(ruleset.quality["max_range_mv"]),
                                  _printed(record, ruleset))
    return RecordQuality(leads, amplitudes)


def _printed(record: ECGRecord, ruleset: RuleSet) -> tuple[float, float] | None:
    """(sampling rate, limit) of the printed-page limb check for a digitised record."""
    if record.digitisation is None:
        return None
    return record.fs, float(ruleset.quality["printed_limb_residual_max"])


def _within_spans(signals: np.ndarray, leads: tuple[LeadQuality, ...]) -> np.ndarray:
    """``signals`` with everything outside each lead's real signal (padding, the device's
    calibration pulse: :func:`signal_span`) set to NaN. A 1 mV pulse on every lead breaks
    Einthoven's law (III shows it too, where II - I is zero) and would switch the ST, T and
    voltage rules off on a file whose leads are consistent."""
    masked = signals.copy()
    for row, quality in zip(masked, leads):
        start, stop = quality.span
        if (start, stop) == (0, 0):
            continue  # a flat or unprinted lead: its samples are what they are
        row[:start] = np.nan
        row[stop:] = np.nan
    return masked


def assess_lead(name: str, x: np.ndarray, fs: float, ruleset: RuleSet) -> LeadQuality:
    """Quality of one lead ``x`` (mV) sampled at ``fs`` Hz."""
    span = signal_span(x, fs)
    finite = np.isfinite(x)
    finite[:span[0]] = False
    finite[span[1]:] = False
    gap_share = 1.0 - float(finite.mean()) if len(x) else 1.0
    duration_s = float(finite.sum()) / fs
    if span == (0, 0) and np.isfinite(x).any():  # constant from end to end
        return LeadQuality(name, QualityGrade.POOR, 0.0, (QualityProblem.LEAD_OFF,), 0.0,
                           0.0, None, None, gap_share, span)
    if finite.sum() < max(3, int(0.5 * fs)):
        return LeadQuality(name, QualityGrade.POOR, 0.0, (QualityProblem.TOO_SHORT,), duration_s,
                           None, None, None, gap_share, span)
    y = _bridge(x, finite)[span[0]:span[1]]
    finite = finite[span[0]:span[1]]
    low, high = np.percentile(y[finite], [0.5, 99.5])
    range_mv = float(high - low)
    noise = _noise_mv(y, fs)
    wander = _wander_mv(y, fs)
    checks = [
        (QualityProblem.TOO_SHORT, _grade_low(duration_s, ruleset.quality_limits("duration_s"))),
        (QualityProblem.GAPS, _grade_high(gap_share, ruleset.quality_limits("gap_share"))),
        (QualityProblem.NOISE, _grade_high(noise, ruleset.quality_limits("noise_mv"))),
        (QualityProblem.BASELINE_WANDER, _grade_high(wander, ruleset.quality_limits("wander_mv"))),
    ]
    if range_mv < float(ruleset.quality["flat_range_mv"]) or _stuck_share(y) > 0.9:
        checks.append((QualityProblem.LEAD_OFF, (0.0, QualityGrade.POOR)))
    run = int(round(float(ruleset.quality["saturation_run_ms"]) * fs / 1000.0))
    if _clipped(y[finite], max(2, run)):
        checks.append((QualityProblem.SATURATION, (0.0, QualityGrade.POOR)))
    score = min(score for _, (score, _) in checks)
    grade = max((grade for _, (_, grade) in checks), key=_GRADE_ORDER.index)
    problems = tuple(problem for problem, (_, g) in checks if g is not QualityGrade.GOOD)
    return LeadQuality(name, grade, round(score, 4), problems, duration_s, range_mv,
                       noise, wander, gap_share, span)


def digitised_lead(name: str, x: np.ndarray, fs: float, ruleset: RuleSet,
                   digitisation_score: float, measurable: float | None = None) -> LeadQuality:
    """Quality of a lead measured from a paper ECG image.

    A printout shows most leads for only part of the record (2.5 s in a 3x4 layout), so the
    lead is judged on the segment it was printed for: the unprinted NaN at either end is not a
    gap, and a whole printed segment is long enough. The digitisation's own score for the lead
    (blur, resolution, overlap, lost trace, expected SNR...) caps the lead's score, and so the
    record's confidence. The grade comes from how far the lead can be *measured*
    (``measurable``, :func:`workstation.scan.quality.measurable`; the score when not given):
    below ``DIGITISED_POOR_BELOW`` the lead is poor and no rule reasons over it. A measurable
    lead whose waveform is reproduced only roughly (a low-resolution page read at 10 dB, say)
    is fair: the rules use it, and say so.
    """
    measurable = digitisation_score if measurable is None else measurable
    shown = np.flatnonzero(np.isfinite(x))
    if len(shown) == 0:
        return LeadQuality(name, QualityGrade.POOR, 0.0, (QualityProblem.DIGITISATION,), 0.0,
                           None, None, None, 1.0)
    start, stop = int(shown[0]), int(shown[-1]) + 1
    quality = assess_lead(name, x[start:stop], fs, _printed_limits(ruleset, (stop - start) / fs))
    quality = dataclasses.replace(quality, span=(start + quality.span[0], start + quality.span[1]))
    if min(digitisation_score, measurable) >= DIGITISED_FAIR_BELOW:
        return quality
    grade = QualityGrade.POOR if measurable < DIGITISED_POOR_BELOW else QualityGrade.FAIR
    grade = max(grade, quality.grade, key=_GRADE_ORDER.index)
    return dataclasses.replace(quality, grade=grade, score=round(min(quality.score, digitisation_score), 4),
                               problems=(*quality.problems, QualityProblem.DIGITISATION))


def _printed_limits(ruleset: RuleSet, segment_s: float) -> RuleSet:
    """The rule file with the duration limits lowered to a printed segment's length."""
    table = dict(ruleset.quality)
    table["duration_s"] = {"fair_at": min(float(ruleset.quality_limits("duration_s").fair_at), 0.95 * segment_s),
                           "poor_at": min(float(ruleset.quality_limits("duration_s").poor_at), 0.5 * segment_s)}
    return dataclasses.replace(ruleset, quality=table)


def signal_span(x: np.ndarray, fs: float) -> tuple[int, int]:
    """Samples ``start:stop`` of real signal: without filler at either end.

    Filler is a stretch of at least ``PADDING_MS`` made only of constant runs of at least
    ``FILLER_RUN_MS`` each: zero padding, or a calibration pulse (Philips files end with a
    1 mV, 200 ms pulse between zeros). A model would find beats in it; nobody should.
    """
    least = int(PADDING_MS * fs / 1000.0)
    shortest = max(2, int(FILLER_RUN_MS * fs / 1000.0))
    start = _filler_length(x, shortest)
    end = _filler_length(x[::-1], shortest)
    start = start if start >= least else 0
    stop = len(x) - end if end >= least else len(x)
    return (start, stop) if start < stop else (0, 0)


def _filler_length(x: np.ndarray, shortest: int) -> int:
    """Samples at the start of ``x`` covered by constant runs of at least ``shortest``."""
    changes = np.flatnonzero(x[1:] != x[:-1]) + 1
    bounds = np.concatenate(([0], changes, [len(x)]))
    covered = 0
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a < shortest:
            break
        covered = int(b)
    return covered


_GRADE_ORDER = [QualityGrade.GOOD, QualityGrade.FAIR, QualityGrade.POOR]


def _grade_high(value: float | None, limits: QualityLimits) -> tuple[float, QualityGrade]:
    """Score and grade of a metric where more is worse."""
    if value is None:
        return 1.0, QualityGrade.GOOD
    span = max(limits.poor_at - limits.fair_at, 1e-12)
    score = float(np.clip(1.0 - 0.5 * (value - limits.fair_at) / span, 0.0, 1.0))
    if value > limits.poor_at:
        return score, QualityGrade.POOR
    return score, QualityGrade.FAIR if value > limits.fair_at else QualityGrade.GOOD


def _grade_low(value: float, limits: QualityLimits) -> tuple[float, QualityGrade]:
    """Score and grade of a metric where less is worse (``fair_at`` > ``poor_at``)."""
    return _grade_high(-value, QualityLimits(-limits.fair_at, -limits.poor_at))


def _bridge(x: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """Gaps filled by linear interpolation so that filters can run (quality only)."""
    if finite.all():
        return x
    idx = np.arange(len(x))
    return np.interp(idx, idx[finite], x[finite])


def _noise_mv(y: np.ndarray, fs: float) -> float | None:
    """Robust RMS (MAD-based, so the brief QRS complexes barely count) above 40 Hz."""
    if fs <= 2.5 * NOISE_CUTOFF_HZ:
        return None
    high = y - lowpass(y, fs, NOISE_CUTOFF_HZ)
    return float(MAD_TO_SD * np.median(np.abs(high - np.median(high))))


def _wander_mv(y: np.ndarray, fs: float) -> float:
    """Range (1st to 99th percentile) of the component below the baseline-removal corner."""
    low = lowpass(y, fs, BASELINE_CUTOFF_HZ)
    p1, p99 = np.percentile(low, [1, 99])
    return float(p99 - p1)


def _stuck_share(y: np.ndarray) -> float:
    """Share of successive samples that do not change: a disconnected lead sits still."""
    return float(np.mean(np.diff(y) == 0.0)) if len(y) > 1 else 1.0


def _clipped(y: np.ndarray, run: int) -> bool:
    """True when the signal sits exactly at its max (or min) for ``run`` samples at least
    twice, or for five times ``run`` once: an amplifier at its rail clips beat after beat,
    while a smooth wave's summit (LUDB has flat tops of up to 60 ms) stays flat once. The
    rail lies far from the baseline (the median)."""
    median, spread = float(np.median(y)), float(y.max() - y.min())
    for extreme in (y.max(), y.min()):
        if abs(extreme - median) < 0.3 * spread:
            continue  # a plateau at the baseline is an isoelectric segment, not a rail
        at = np.concatenate(([0], (y == extreme).astype(np.int8), [0]))
        edges = np.flatnonzero(np.diff(at))
        lengths = edges[1::2] - edges[0::2]
        if np.sum(lengths >= run) >= 2 or np.any(lengths >= 5 * run):
            return True
    return False
