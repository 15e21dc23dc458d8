"""Synthetic 12-lead ECGs with known answers, and their exact delineation.

Each beat is a P bump, a QRS (optional q and s dips around a triangular R) and a T bump; an ST
offset can be added from the J point to the T onset. The limb leads are projections of one
frontal vector per wave and obey Einthoven's and Goldberger's laws exactly, so the axis of
each wave is the vector's angle. Every lead is delineated at the same samples, so every global
boundary is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rules.axis import LIMB_LEAD_VECTORS
from workstation.core.delineation import Delineation, Wave, WaveKind
from workstation.core.leads import STANDARD_LEADS
from workstation.core.record import ECGRecord, Lead, Patient, SourceInfo

FS = 500.0
PRECORDIAL = ("V1", "V2", "V3", "V4", "V5", "V6")


@dataclass
class Spec:
    """What to synthesise (times in ms, amplitudes in mV)."""

    rr_ms: list[float] = field(default_factory=lambda: [800.0] * 12)
    p_ms: float = 100.0
    pr_ms: float = 160.0
    qrs_ms: float = 90.0
    qt_ms: float = 380.0
    t_ms: float = 160.0
    p_axis: float = 50.0
    qrs_axis: float = 60.0
    t_axis: float = 40.0
    p_mv: float = 0.15
    r_mv: float = 1.2
    q_share: float = 0.0   # q depth as a share of R
    s_share: float = 0.0
    t_mv: float = 0.3
    precordial_r: dict[str, float] = field(default_factory=lambda: dict(zip(
        PRECORDIAL, (0.3, 0.6, 0.9, 1.2, 1.4, 1.2))))
    precordial_s: dict[str, float] = field(default_factory=lambda: dict(zip(
        PRECORDIAL, (-1.0, -1.2, -0.8, -0.5, -0.3, -0.2))))
    precordial_t: dict[str, float] = field(default_factory=lambda: dict(zip(
        PRECORDIAL, (0.1, 0.3, 0.4, 0.4, 0.3, 0.25))))
    st_mv: dict[str, float] = field(default_factory=dict)  # lead -> ST offset J..T onset
    with_p: bool = True
    sex: str | None = "M"
    age: float | None = 55.0
    start_ms: float = 400.0
    dither_mv: float = 0.001  # seeded Gaussian dither: no real ECG is exactly constant


def samples(ms: float) -> int:
    return int(round(ms * FS / 1000.0))


def _bump(length: int) -> np.ndarray:
    return np.sin(np.linspace(0.0, math.pi, length)) if length > 0 else np.zeros(0)


def _qrs(length: int, r: float, q: float, s: float) -> np.ndarray:
    """A QRS of ``length`` samples: q dip, triangular R, s dip (amplitudes in mV)."""
    out = np.zeros(length)
    third = length // 3
    if q:
        out[:third] = -abs(q) * _bump(third)
    mid = length - 2 * third
    out[third:third + mid] = r * (1.0 - np.abs(np.linspace(-1.0, 1.0, mid)))
    if s:
        out[third + mid:] = -abs(s) * _bump(length - third - mid)
    return out


def projection(axis_deg: float, lead: str) -> float:
    angle, gain = LIMB_LEAD_VECTORS[lead]
    return gain * math.cos(math.radians(axis_deg - angle))


def beat_onsets(spec: Spec) -> list[int]:
    """QRS onset of every beat (samples)."""
    onsets = [samples(spec.start_ms)]
    for rr in spec.rr_ms[:-1]:
        onsets.append(onsets[-1] + samples(rr))
    return onsets


def build(spec: Spec) -> tuple[ECGRecord, Delineation]:
    """The record and its exact delineation."""
    onsets = beat_onsets(spec)
    n = onsets[-1] + samples(spec.rr_ms[-1])
    signals = np.zeros((12, n))
    waves: list[Wave] = []
    for name_index, lead in enumerate(STANDARD_LEADS):
        for qrs_on in onsets:
            waves += _draw_beat(signals[name_index], lead, qrs_on, spec)
    signals += np.random.default_rng(7).normal(0.0, spec.dither_mv, signals.shape)
    record = ECGRecord.from_array(signals.astype(np.float32), FS,
                                  [Lead(name) for name in STANDARD_LEADS],
                                  SourceInfo(_path(), "synthetic"),
                                  patient=Patient(sex=spec.sex, age_years=spec.age))
    return record, Delineation(FS, STANDARD_LEADS, tuple(waves), "synthetic", "1")


def _path():
    from pathlib import Path

    return Path("synthetic.hea")


def _amplitudes(lead: str, spec: Spec) -> tuple[float, float, float, float, float]:
    """(p, r, q, s, t) amplitudes of ``lead``."""
    if lead in PRECORDIAL:
        r, s = spec.precordial_r[lead], spec.precordial_s[lead]
        return spec.p_mv * 0.5, r, 0.0, s, spec.precordial_t[lead]
    net = spec.r_mv * projection(spec.qrs_axis, lead)
    p = spec.p_mv * projection(spec.p_axis, lead)
    t = spec.t_mv * projection(spec.t_axis, lead)
    return p, net, spec.q_share * abs(net), spec.s_share * abs(net), t


def _draw_beat(x: np.ndarray, lead: str, qrs_on: int, spec: Spec) -> list[Wave]:
    """Draw one beat into ``x``; boundaries are the marks at the wave's start and end times."""
    p, r, q, s, t = _amplitudes(lead, spec)
    qrs_off = qrs_on + samples(spec.qrs_ms)
    t_off = qrs_on + samples(spec.qt_ms)
    t_on = t_off - samples(spec.t_ms)
    waves = []
    if spec.with_p:
        p_on = qrs_on - samples(spec.pr_ms)
        p_off = p_on + samples(spec.p_ms)
        x[p_on:p_off] += p * _bump(p_off - p_on)
        waves.append(Wave(WaveKind.P, lead, p_on, (p_on + p_off) // 2, p_off))
    length = qrs_off - qrs_on
    if lead in PRECORDIAL:
        x[qrs_on:qrs_off] += _precordial_qrs(length, r, s)
    else:
        x[qrs_on:qrs_off] += _qrs(length, r, q, s)
    st = spec.st_mv.get(lead, 0.0)
    x[qrs_off:t_on] += st
    x[t_on:t_off] += t * _bump(t_off - t_on) + st * np.linspace(1.0, 0.0, t_off - t_on)
    waves.append(Wave(WaveKind.QRS, lead, qrs_on, (qrs_on + qrs_off) // 2, qrs_off))
    waves.append(Wave(WaveKind.T, lead, t_on, (t_on + t_off) // 2, t_off))
    return waves


def _precordial_qrs(length: int, r: float, s: float) -> np.ndarray:
    """An RS complex: R in the first half, S in the second."""
    half = length // 2
    out = np.zeros(length)
    out[:half] = r * _bump(half)
    out[half:] = -abs(s) * _bump(length - half)
    return out
