"""Physiological plausibility: a value no human ECG can have is a measuring error, not a finding.

Each measurement has limits in the rule file's ``[plausibility]`` table (with their sources).
A value outside them is replaced by "not measured (implausible: ...)" before any rule reads it,
and named in :attr:`rules.measure.Measurements.implausible` (each one halves the record's
confidence, :mod:`rules.confidence`). Rates are judged beat to beat: one RR interval outside
the rate limits (a beat missed or counted twice, two beats paired across a gap) makes every
rate and rhythm value unreliable, so none is reported.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from rules.intervals import Intervals, Rhythm
from rules.qtc import FORMULA_NAMES
from rules.types import Measured, QtcFormula

if TYPE_CHECKING:  # measure imports this module
    from rules.measure import Measurements

_INTERVALS = (("p_ms", "P duration"), ("pr_ms", "PR"), ("qrs_ms", "QRS"), ("qt_ms", "QT"))


def screen(m: "Measurements", limits: dict[str, tuple[float, float]]) -> "Measurements":
    """``m`` with every implausible value replaced by a missing one that says why."""
    rejected: list[str] = []
    rhythm = _screen_rhythm(m.rhythm, limits.get("hr_bpm"), rejected)
    values = {key: _screen_value(getattr(m.intervals, key), name, limits.get(key), rejected)
              for key, name in _INTERVALS}
    qt, qrs = values["qt_ms"], values["qrs_ms"]
    if qt.value is not None and qrs.value is not None and qt.value <= qrs.value:
        why = f"QT {qt.value:.0f} ms is not longer than the QRS ({qrs.value:.0f} ms)"
        rejected.append(why)
        values["qt_ms"] = _rejected("ms", why)
    qtc = {f: _screen_qtc(f, m.intervals.qtc[f], values["qt_ms"], rhythm.rr_ms,
                          limits.get("qtc_ms"), rejected) for f in QtcFormula}
    intervals = Intervals(values["p_ms"], values["pr_ms"], values["qrs_ms"], values["qt_ms"], qtc)
    return dataclasses.replace(m, rhythm=rhythm, intervals=intervals,
                               implausible=tuple(dict.fromkeys(rejected)))


def outside(value: float | None, limit: tuple[float, float] | None) -> bool:
    """True when ``value`` lies outside ``limit`` (never for a missing value or limit)."""
    return value is not None and limit is not None and not limit[0] <= value <= limit[1]


def _rejected(unit: str, why: str) -> Measured:
    return Measured.missing(unit, f"not measured (implausible: {why})")


def _screen_value(value: Measured, name: str, limit: tuple[float, float] | None,
                  rejected: list[str]) -> Measured:
    if not outside(value.value, limit):
        return value
    why = f"{name} {value.value:.0f} {value.unit} is outside {limit[0]:g}-{limit[1]:g} {value.unit}"
    rejected.append(why)
    return _rejected(value.unit, why)


def _screen_rhythm(r: Rhythm, limit: tuple[float, float] | None, rejected: list[str]) -> Rhythm:
    """No rate or rhythm value when any beat-to-beat rate is implausible."""
    bad = [(words, v.value) for words, v in (("mean rate", r.hr_bpm), ("slowest beat-to-beat "
           "rate", r.hr_min_bpm), ("fastest beat-to-beat rate", r.hr_max_bpm)) if outside(v.value, limit)]
    if not bad:
        return r
    words, value = bad[0]
    why = (f"{words} {value:.0f} bpm is outside {limit[0]:g}-{limit[1]:g} bpm: a beat missed or "
           f"counted twice, or beats paired across a gap")
    rejected.append(why)
    bpm = _rejected("bpm", why)
    return Rhythm(bpm, bpm, bpm, _rejected("ms", why), _rejected("", why), r.p_share)


def _screen_qtc(formula: QtcFormula, qtc: Measured, qt: Measured, rr: Measured,
                limit: tuple[float, float] | None, rejected: list[str]) -> Measured:
    if qtc.value is None:
        return qtc
    if qt.value is None or rr.value is None:
        return _rejected("ms", f"QTc ({FORMULA_NAMES[formula]}) needs a plausible QT and RR")
    return _screen_value(qtc, f"QTc ({FORMULA_NAMES[formula]})", limit, rejected)
