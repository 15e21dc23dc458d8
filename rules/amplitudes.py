"""Per-lead amplitudes: Q, R, S, QRS peak-to-peak, ST at J / J+60 / J+80, T; and net areas.

Every amplitude is relative to the isoelectric level just before QRS onset (the median of the
``baseline_window_ms`` before the global QRS onset of the beat: Rautaharju PM et al.,
AHA/ACCF/HRS part IV, Circulation 2009;119:e241-e250 recommend QRS onset as the reference for
ST amplitude). The J point is the global QRS offset of the beat. Values are measured on each
dominant beat and the median over beats is reported, per lead.

Conventions: R is the largest positive deflection of the QRS (0 when there is none), Q the
most negative deflection before R, S the most negative after R; a QRS with no positive
deflection is a QS complex (all of it reported as Q). Q and S are <= 0 mV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rules.beats import Beat

#: ST levels are averaged over this window centred on the point (ms), to damp noise.
ST_AVERAGE_MS = 10.0
ST_OFFSETS_MS = (0.0, 60.0, 80.0)


@dataclass(frozen=True)
class LeadAmplitudes:
    """Median amplitudes (mV) of one lead over its beats; None where not measurable."""

    lead: str
    q_mv: float | None
    r_mv: float | None
    s_mv: float | None
    qrs_pp_mv: float | None
    st_j_mv: float | None
    st_j60_mv: float | None
    st_j80_mv: float | None
    t_mv: float | None
    p_area: float | None  # mV*ms, net
    qrs_area: float | None
    t_area: float | None
    beats: tuple[int, ...]

    def st_mv(self, offset_ms: float) -> float | None:
        return {0.0: self.st_j_mv, 60.0: self.st_j60_mv, 80.0: self.st_j80_mv}[offset_ms]


def lead_amplitudes(lead: str, x: np.ndarray, beats: tuple[Beat, ...], fs: float,
                    baseline_ms: float) -> LeadAmplitudes:
    """Amplitudes of lead signal ``x`` (mV) over the dominant ``beats``."""
    rows = [row for beat in beats if beat.dominant
            if (row := _beat_values(x, beat, fs, baseline_ms)) is not None]
    if not rows:
        return LeadAmplitudes(lead, *([None] * 11), beats=())
    names = list(rows[0][1])
    med = {name: _median([r[1][name] for r in rows]) for name in names}
    return LeadAmplitudes(lead, beats=tuple(r[0] for r in rows), **med)


def _median(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.median(kept)) if kept else None


def _beat_values(x: np.ndarray, beat: Beat, fs: float, baseline_ms: float
                 ) -> tuple[int, dict[str, float | None]] | None:
    on, off = beat.qrs.onset.sample, beat.qrs.offset.sample
    base = _level(x, on - int(round(baseline_ms * fs / 1000.0)), on)
    if base is None or off >= len(x) or on < 0:
        return None
    seg = x[on:off + 1] - base
    if not np.isfinite(seg).all() or len(seg) < 2:
        return None
    values: dict[str, float | None] = dict(zip(("q_mv", "r_mv", "s_mv"), qrs_deflections(seg)))
    values["qrs_pp_mv"] = float(seg.max() - seg.min())
    half = max(1, int(round(ST_AVERAGE_MS * fs / 2000.0)))
    for name, offset in zip(("st_j_mv", "st_j60_mv", "st_j80_mv"), ST_OFFSETS_MS):
        at = off + int(round(offset * fs / 1000.0))
        level = _level(x, at - half, at + half + 1)
        values[name] = None if level is None else level - base
    values["t_mv"] = _t_peak(x, beat, base)
    values["p_area"] = _p_area(x, beat, fs, baseline_ms)
    values["qrs_area"] = float(np.sum(seg)) * 1000.0 / fs
    values["t_area"] = _area(x, beat.t and (beat.t.onset.sample, beat.t.offset.sample), base, fs)
    return beat.index, values


def qrs_deflections(seg: np.ndarray) -> tuple[float, float, float]:
    """(Q, R, S) in mV of a QRS segment already referred to the baseline."""
    peak = int(np.argmax(seg))
    r = float(seg[peak])
    if r <= 0.0:  # QS complex
        return float(min(seg.min(), 0.0)), 0.0, 0.0
    q = float(min(seg[:peak].min(), 0.0)) if peak > 0 else 0.0
    s = float(min(seg[peak + 1:].min(), 0.0)) if peak + 1 < len(seg) else 0.0
    return q, r, s


def _level(x: np.ndarray, start: int, stop: int) -> float | None:
    """Median of ``x[start:stop]`` (clipped to the signal); None when empty or not finite."""
    part = x[max(0, start):max(0, min(len(x), stop))]
    part = part[np.isfinite(part)]
    return float(np.median(part)) if len(part) else None


def _t_peak(x: np.ndarray, beat: Beat, base: float) -> float | None:
    """Signed T amplitude: the sample of the T wave furthest from the baseline."""
    if beat.t is None or beat.t.offset.sample >= len(x):
        return None
    seg = x[beat.t.onset.sample:beat.t.offset.sample + 1] - base
    if not len(seg) or not np.isfinite(seg).all():
        return None
    return float(seg[int(np.argmax(np.abs(seg)))])


def _p_area(x: np.ndarray, beat: Beat, fs: float, baseline_ms: float) -> float | None:
    """Net P area against the level just before P onset (the TP segment)."""
    if beat.p is None:
        return None
    on = beat.p.onset.sample
    base = _level(x, on - int(round(baseline_ms * fs / 1000.0)), on + 1)
    return _area(x, (on, beat.p.offset.sample), base, fs)


def _area(x: np.ndarray, span: tuple[int, int] | None, base: float | None,
          fs: float) -> float | None:
    if not span or base is None or span[1] >= len(x) or span[0] < 0:
        return None
    seg = x[span[0]:span[1] + 1] - base
    return float(np.sum(seg)) * 1000.0 / fs if np.isfinite(seg).all() else None
