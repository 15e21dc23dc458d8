"""The vocabulary of the rules: enums for every category and the frozen value types.

Everything the rules return is built from these: a :class:`Measured` value always says which
leads and beats it came from, and is ``None`` (never a guess) when it cannot be measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(Enum):
    """How a flag is shown: ``info`` and ``alert`` for a value clearly beyond its threshold
    (which one is the rule's choice), ``borderline`` for a value within the rule's band."""

    INFO = "info"
    BORDERLINE = "borderline"
    ALERT = "alert"


class Triage(Enum):
    """Triage categories of van de Leur RR et al., J Am Heart Assoc 2020;9:e015138."""

    NORMAL = "normal"
    ABNORMAL_NOT_ACUTE = "abnormal_not_acute"
    SUBACUTE = "subacute"
    ACUTE = "acute"
    #: technical, not clinical: too little usable signal to assess; repeat the ECG
    UNREADABLE = "unreadable"

    @property
    def rank(self) -> int:
        """0 (normal) .. 3 (acute), 4 (unreadable): the worklist sorts by it, unreadable
        records first."""
        return list(Triage).index(self)

    @property
    def clinical(self) -> bool:
        return self is not Triage.UNREADABLE

    def lower(self) -> "Triage":
        """The next less urgent clinical category (normal stays normal)."""
        if not self.clinical:
            return self
        return list(Triage)[max(0, self.rank - 1)]


class FlagId(Enum):
    """Stable ids of the rule flags (documented in rules/README.md)."""

    BRADYCARDIA = "bradycardia"
    TACHYCARDIA = "tachycardia"
    IRREGULAR_RHYTHM = "irregular_rhythm"
    POSSIBLE_ATRIAL_FIBRILLATION = "possible_atrial_fibrillation"
    FIRST_DEGREE_AV_BLOCK = "first_degree_av_block"
    SHORT_PR = "short_pr"
    WIDE_QRS = "wide_qrs"
    WIDE_COMPLEX_TACHYCARDIA = "wide_complex_tachycardia"
    LONG_QTC = "long_qtc"
    SHORT_QT = "short_qt"
    ST_ELEVATION = "st_elevation"
    ST_DEPRESSION = "st_depression"
    T_WAVE_INVERSION = "t_wave_inversion"
    LEFT_AXIS_DEVIATION = "left_axis_deviation"
    RIGHT_AXIS_DEVIATION = "right_axis_deviation"
    EXTREME_AXIS = "extreme_axis"
    LVH_VOLTAGE = "lvh_voltage"
    LOW_QRS_VOLTAGE = "low_qrs_voltage"
    PACED_RHYTHM = "paced_rhythm"
    POOR_SIGNAL_QUALITY = "poor_signal_quality"
    INCONSISTENT_AMPLITUDES = "inconsistent_amplitudes"


class QtcFormula(Enum):
    """Heart-rate corrections of the QT interval (see :mod:`rules.qtc`)."""

    BAZETT = "bazett"
    FRIDERICIA = "fridericia"
    FRAMINGHAM = "framingham"
    HODGES = "hodges"


class StPoint(Enum):
    """Where on the ST segment the ST rules read, in ms after the J point."""

    J = "J"
    J60 = "J+60"
    J80 = "J+80"

    @property
    def offset_ms(self) -> float:
        return {StPoint.J: 0.0, StPoint.J60: 60.0, StPoint.J80: 80.0}[self]


class QualityGrade(Enum):
    """Per-lead signal quality. A ``poor`` lead is excluded from every rule."""

    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


class QualityProblem(Enum):
    """What is wrong with a lead's signal (see :mod:`rules.quality`)."""

    LEAD_OFF = "lead_off"
    SATURATION = "saturation"
    NOISE = "noise"
    BASELINE_WANDER = "baseline_wander"
    TOO_SHORT = "too_short"
    GAPS = "gaps"
    DIGITISATION = "digitisation"  # the lead was read off an image and may be misread


@dataclass(frozen=True)
class Measured:
    """A measurement with its provenance.

    Parameters
    ----------
    value
        The value in ``unit``; None when it could not be measured (never a guess).
    unit
        "ms", "bpm", "deg", "mV", "mm" or "" for a ratio.
    leads
        The leads it was measured on.
    beats
        Indices of the beats it was measured on (see :class:`rules.beats.Beat`).
    note
        How it was measured, or why it is missing.
    """

    value: float | None
    unit: str
    leads: tuple[str, ...] = ()
    beats: tuple[int, ...] = ()
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None

    @classmethod
    def missing(cls, unit: str, why: str) -> "Measured":
        return cls(None, unit, note=why)
