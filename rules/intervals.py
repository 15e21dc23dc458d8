"""Rate, rhythm and the global intervals: pure functions over beats.

Every value is a :class:`~rules.types.Measured` that names its leads and beats, and is None
with a reason when it cannot be measured. Intervals are measured per dominant beat between
the global boundaries of :mod:`rules.beats`, and the median over beats is reported (the
median is robust to one badly delineated beat, as a device's median-beat analysis is).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from rules.beats import Beat
from rules.qtc import FORMULA_NAMES, qtc_ms
from rules.types import Measured, QtcFormula


@dataclass(frozen=True)
class Rhythm:
    """Rate and RR regularity of a record."""

    hr_bpm: Measured
    hr_min_bpm: Measured
    hr_max_bpm: Measured
    rr_ms: Measured
    rr_nrmssd: Measured
    p_share: Measured


@dataclass(frozen=True)
class Intervals:
    """Global intervals (median over dominant beats) and the QT corrections."""

    p_ms: Measured
    pr_ms: Measured
    qrs_ms: Measured
    qt_ms: Measured
    qtc: dict[QtcFormula, Measured]


def rhythm(fiducials: np.ndarray, fs: float, leads: tuple[str, ...],
           beats: tuple[Beat, ...] | None = None, p_window_start: int = 0,
           joined: np.ndarray | None = None) -> Rhythm:
    """Heart rate (mean, min, max), mean RR, RR irregularity and the share of beats with a P.

    Parameters
    ----------
    fiducials
        One sample per beat (QRS onset), increasing.
    fs
        Sampling rate (Hz).
    leads
        The leads the beats were found on.
    beats
        The beats, when a delineation gave them (None: no P-wave information).
    p_window_start
        Beats whose QRS starts earlier than this sample cannot show a P and are left out of
        the P share (the recording starts just before them).
    joined
        Per pair of successive beats, whether they may form an RR interval (both on one
        stretch of signal); default all. Irregularity is measured only between successive
        RR intervals that are both kept.
    """
    ids = tuple(range(len(fiducials)))
    if len(fiducials) < 2:
        missing = Measured.missing("bpm", f"{len(fiducials)} beat(s): at least 2 are needed")
        return Rhythm(missing, missing, missing, Measured.missing("ms", missing.note),
                      Measured.missing("", missing.note), _p_share(beats, p_window_start, leads))
    rr_all = np.diff(np.asarray(fiducials, dtype=float)) * 1000.0 / fs
    keep = np.ones(len(rr_all), bool) if joined is None else np.asarray(joined, bool)
    rr = rr_all[keep]
    if len(rr) == 0:
        missing = Measured.missing("bpm", "no two successive beats on one stretch of signal")
        return Rhythm(missing, missing, missing, Measured.missing("ms", missing.note),
                      Measured.missing("", missing.note), _p_share(beats, p_window_start, leads))
    note = f"{len(rr)} RR intervals" + ("" if keep.all() else
                                        f" (beats on separate segments not paired)")
    successive = np.diff(rr_all)[keep[:-1] & keep[1:]] if len(rr_all) > 1 else np.array([])

    def made(value: float, unit: str, how: str) -> Measured:
        return Measured(float(value), unit, leads, ids, f"{how} of {note}")

    nrmssd = (made(np.sqrt(np.mean(successive ** 2)) / np.mean(rr), "", "RMSSD / mean RR")
              if len(successive) >= 1 else Measured.missing("", "2 successive RR intervals needed"))
    return Rhythm(made(60000.0 / np.mean(rr), "bpm", "60000 / mean RR"),
                  made(60000.0 / np.max(rr), "bpm", "longest RR"),
                  made(60000.0 / np.min(rr), "bpm", "shortest RR"),
                  made(np.mean(rr), "ms", "mean"), nrmssd,
                  _p_share(beats, p_window_start, leads))


def _p_share(beats: tuple[Beat, ...] | None, start: int, leads: tuple[str, ...]) -> Measured:
    if beats is None:
        return Measured.missing("", "no delineation: P waves not sought")
    eligible = [b for b in beats if b.qrs.onset.sample >= start]
    if not eligible:
        return Measured.missing("", "no beat with room for a P wave before it")
    with_p = [b.index for b in eligible if b.p is not None]
    return Measured(len(with_p) / len(eligible), "", leads, tuple(b.index for b in eligible),
                    f"{len(with_p)} of {len(eligible)} beats have a P wave before the QRS")


def intervals(beats: tuple[Beat, ...], fs: float, rr_ms: Measured) -> Intervals:
    """P duration, PR, QRS, QT and QTc by every formula (see :mod:`rules.qtc`).

    QTc uses the median QT and the mean RR of the record, as devices do with a median beat.
    """
    dominant = tuple(b for b in beats if b.dominant)
    p_ms = _interval(dominant, fs, "P duration", lambda b: b.p and (b.p.onset, b.p.offset))
    pr_ms = _interval(dominant, fs, "PR", lambda b: b.p and (b.p.onset, b.qrs.onset))
    qrs_ms = _interval(dominant, fs, "QRS", lambda b: (b.qrs.onset, b.qrs.offset))
    qt_ms = _interval(dominant, fs, "QT", lambda b: b.t and (b.qrs.onset, b.t.offset))
    return Intervals(p_ms, pr_ms, qrs_ms, qt_ms,
                     {f: _qtc(f, qt_ms, rr_ms) for f in QtcFormula})


def _interval(beats: tuple[Beat, ...], fs: float, name: str,
              span: Callable[[Beat], object]) -> Measured:
    """Median over ``beats`` of the time between the two boundaries ``span`` picks."""
    values, used, leads = [], [], {}
    for beat in beats:
        ends = span(beat)
        if not ends:
            continue
        start, stop = ends
        values.append((stop.sample - start.sample) * 1000.0 / fs)
        used.append(beat.index)
        leads.setdefault(start.lead, None)
        leads.setdefault(stop.lead, None)
    if not values:
        return Measured.missing("ms", f"{name}: no beat with both boundaries")
    return Measured(float(np.median(values)), "ms", tuple(leads), tuple(used),
                    f"median of {len(values)} beats; global onset/offset across leads")


def _qtc(formula: QtcFormula, qt: Measured, rr: Measured) -> Measured:
    name = FORMULA_NAMES[formula]
    if qt.value is None or rr.value is None:
        return Measured.missing("ms", f"QTc ({name}): needs QT and RR")
    value = qtc_ms(formula, qt.value, rr.value)
    return Measured(value, "ms", qt.leads, qt.beats, f"{name}, median QT and mean RR")
