"""Fixtures for the rules tests: the shipped rule set and hand-built measurement contexts."""

from __future__ import annotations

import pytest

from rules.amplitudes import LeadAmplitudes
from rules.consistency import AmplitudeCheck
from rules.global_rules import RuleContext
from rules.intervals import Intervals, Rhythm
from rules.measure import Measurements
from rules.quality import LeadQuality, RecordQuality
from rules.ruleset import RuleSet, load_ruleset
from rules.types import Measured, QtcFormula, QualityGrade

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
BEATS = tuple(range(10))


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_ruleset()


def value(v: float | None, unit: str) -> Measured:
    return Measured(v, unit, ("II",), BEATS) if v is not None else Measured.missing(unit, "test")


def lead(name: str, *, r: float = 1.0, s: float = -0.3, st: float = 0.0, st80: float | None = None,
         t: float = 0.3) -> LeadAmplitudes:
    """Amplitudes (mV) of one lead; ST the same at J and J+60, J+80 as given."""
    return LeadAmplitudes(name, 0.0, r, s, r - s, st, st, st if st80 is None else st80, t,
                          1.0, 1.0, 1.0, BEATS)


def context(ruleset: RuleSet, *, hr: float | None = 70.0, pr: float | None = 160.0,
            qrs: float | None = 90.0, qt: float | None = 380.0, qtc: float | None = 410.0,
            axis: float | None = 60.0, nrmssd: float | None = 0.02, p_share: float | None = 1.0,
            leads: dict[str, LeadAmplitudes] | None = None, sex: str | None = "M",
            age: float | None = 55.0, poor: tuple[str, ...] = (),
            trusted: bool = True) -> RuleContext:
    """A rule context with exactly these values (anything else normal)."""
    amps = {name: lead(name) for name in LEADS}
    amps.update(leads or {})
    rhythm = Rhythm(value(hr, "bpm"), value(hr, "bpm"), value(hr, "bpm"),
                    value(60000.0 / hr if hr else None, "ms"), value(nrmssd, ""),
                    value(p_share, ""))
    qtc_m = value(qtc, "ms")
    intervals = Intervals(value(100.0, "ms"), value(pr, "ms"), value(qrs, "ms"),
                          value(qt, "ms"), {f: qtc_m for f in QtcFormula})
    m = Measurements((), rhythm, intervals, ruleset.qtc_formula, ruleset.st_point,
                     value(50.0, "deg"), value(axis, "deg"), value(40.0, "deg"),
                     tuple(a for n, a in amps.items() if n not in poor), "delineation")
    quality = RecordQuality(
        tuple(LeadQuality(n, QualityGrade.POOR if n in poor else QualityGrade.GOOD,
                          0.0 if n in poor else 1.0, (), 10.0, 1.0, 0.01, 0.1, 0.0, (0, 5000))
              for n in LEADS),
        AmplitudeCheck(0.01, False, None, trusted, "test",
                       limb_consistent=trusted))
    return RuleContext(m, quality, ruleset, sex, age)
