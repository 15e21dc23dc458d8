"""Beats from a multi-lead delineation, with their global wave boundaries.

A beat is a QRS complex seen on enough of the usable leads, with the P wave before it and the
T wave after it when the delineation has them. Its global boundaries are the earliest onset
and the latest offset across the leads, as the AHA/ACCF/HRS recommendations prefer for
simultaneously recorded leads (Kligfield P et al., Circulation 2007;115:1306-1324), after
dropping any lead whose boundary lies far from the other leads' median (``outlier_ms`` in the
rule file): one mis-delineated lead must not stretch an interval.

Leads graded poor by :mod:`rules.quality` never contribute.

The earliest onset and latest offset are each taken as the second most extreme of the leads
(when at least ``CONFIRMING_LEADS`` leads show the wave): boundaries placed independently on
each lead each carry their own error, and the most extreme of twelve lies outward of the true
global boundary (an extreme-value bias). Against the recording devices' own global
measurements (9 ECGs from GE, Philips, Mortara and ELI devices; ``benchmarks/rules_devices.py``)
the single most extreme gave QRS +11.8 +- 12.2 ms and QT +10.6 +- 14.9 ms, the second QRS
+7.3 +- 11.6 and QT +4.0 +- 7.5 ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from rules.ruleset import RuleSet
from workstation.core.delineation import Delineation, Wave, WaveGroup, WaveKind, group_waves


#: A wave seen on at least this many leads has its global boundaries confirmed by a second lead.
CONFIRMING_LEADS = 4


@dataclass(frozen=True)
class Boundary:
    """A global boundary: its sample, the lead that set it and that lead's confidence."""

    sample: int
    lead: str
    confidence: float


@dataclass(frozen=True)
class GlobalWave:
    """One wave of one beat across the leads: global onset and offset, contributing leads."""

    kind: WaveKind
    onset: Boundary
    offset: Boundary
    leads: tuple[str, ...]
    waves: tuple[Wave, ...]

    @property
    def duration(self) -> int:
        return self.offset.sample - self.onset.sample

    @property
    def median_onset(self) -> float:
        return float(np.median([w.onset for w in self.waves]))

    @property
    def median_offset(self) -> float:
        return float(np.median([w.offset for w in self.waves]))


@dataclass(frozen=True)
class Beat:
    """One beat: its QRS, the P before it and the T after it (None where not found).

    ``fiducial`` is the median QRS onset across leads (the time RR intervals are measured
    between); ``dominant`` is False for a premature or unusually wide beat, which counts for
    rate and rhythm but not for intervals, amplitudes, ST or axes.
    """

    index: int
    fiducial: int
    qrs: GlobalWave
    p: GlobalWave | None
    t: GlobalWave | None
    dominant: bool = True


def build_beats(delineation: Delineation, usable_leads: tuple[str, ...], ruleset: RuleSet,
                spans: Mapping[str, tuple[int, int]] | None = None) -> tuple[Beat, ...]:
    """The beats of ``delineation`` on ``usable_leads`` (see the module docstring).

    ``spans`` gives the samples each lead shows (a printed page shows most leads for 2.5 s
    only): a wave group must be seen on ``min_lead_share`` of the leads *showing* at its
    time, not of all leads. Without it every lead shows throughout.
    """
    leads = [lead for lead in usable_leads if lead in delineation.lead_names]
    if not leads:
        return ()
    share = float(ruleset.measurement["min_lead_share"])
    shown = {lead: (spans or {}).get(lead, (0, 2 ** 62)) for lead in leads}
    groups = {kind: _groups(delineation, leads, kind, share, shown) for kind in WaveKind}
    qrs = sorted(groups[WaveKind.QRS], key=lambda g: g.onset)
    fs = delineation.fs
    beats = []
    for i, group in enumerate(qrs):
        qrs_wave = global_wave(group, ruleset.outlier_ms("QRS") * fs / 1000.0)
        prev_end = qrs[i - 1].offset if i else -math.inf
        next_start = qrs[i + 1].onset if i + 1 < len(qrs) else math.inf
        p = _p_before(groups[WaveKind.P], qrs_wave, prev_end)
        t = _t_after(groups[WaveKind.T], qrs_wave, next_start)
        beats.append(Beat(
            i, int(round(qrs_wave.median_onset)), qrs_wave,
            None if p is None else global_wave(p, ruleset.outlier_ms("P") * fs / 1000.0),
            None if t is None else global_wave(t, ruleset.outlier_ms("T") * fs / 1000.0)))
    return mark_dominant(tuple(beats), fs, ruleset)


def global_wave(group: WaveGroup, tolerance: float) -> GlobalWave:
    """Earliest onset and latest offset of ``group`` among leads within ``tolerance``
    samples of the median boundary."""
    waves = group.waves
    onsets = np.array([w.onset for w in waves])
    offsets = np.array([w.offset for w in waves])
    keep_on = sorted((w for w in waves if w.onset >= np.median(onsets) - tolerance),
                     key=lambda w: w.onset)
    keep_off = sorted((w for w in waves if w.offset <= np.median(offsets) + tolerance),
                      key=lambda w: -w.offset)
    # the earliest onset (latest offset) that a second lead confirms: with boundaries placed
    # lead by lead, the single most extreme of a dozen lies outward of the true global one
    # by the spread of the per-lead errors (see the module docstring)
    first = keep_on[1] if len(keep_on) >= CONFIRMING_LEADS else keep_on[0]
    last = keep_off[1] if len(keep_off) >= CONFIRMING_LEADS else keep_off[0]
    leads = tuple(dict.fromkeys(w.lead for w in waves if w in keep_on or w in keep_off))
    return GlobalWave(group.kind, Boundary(first.onset, first.lead, first.onset_conf),
                      Boundary(last.offset, last.lead, last.offset_conf), leads, waves)


def mark_dominant(beats: tuple[Beat, ...], fs: float, ruleset: RuleSet) -> tuple[Beat, ...]:
    """Beats with ``dominant`` False where premature or much wider than the median QRS.

    A beat is premature when it comes sooner than ``min_rr_share`` of the median RR after the
    last beat that was not premature, as a premature beat's coupling interval is measured from
    the normal beat before it. Measured from the beat just before, one extra complex (a
    tombstone ST segment or a T wave taken for a QRS, a premature beat) would make the normal
    beat after it premature too: on a printed column with such an extra complex after every
    beat, no beat of the column was left to measure ST on."""
    if len(beats) < 3:
        return beats
    fiducials = np.array([b.fiducial for b in beats], dtype=float)
    median_rr = float(np.median(np.diff(fiducials)))
    widths = np.array([b.qrs.duration for b in beats], dtype=float)
    limit = np.median(widths) + float(ruleset.measurement["extra_qrs_ms"]) * fs / 1000.0
    min_rr = float(ruleset.measurement["min_rr_share"]) * median_rr
    out = []
    normal = None  # fiducial of the last beat that was not premature
    for i, beat in enumerate(beats):
        premature = normal is not None and fiducials[i] - normal < min_rr
        if not premature:
            normal = fiducials[i]
        out.append(Beat(beat.index, beat.fiducial, beat.qrs, beat.p, beat.t,
                        dominant=bool(not premature and widths[i] <= limit)))
    return tuple(out)


def _groups(delineation: Delineation, leads: list[str], kind: WaveKind, share: float,
            shown: Mapping[str, tuple[int, int]]) -> list[WaveGroup]:
    waves = [w for lead in leads for w in delineation.waves_in(lead, kind)]
    kept = [g for g in group_waves(waves)
            if len({w.lead for w in g.waves}) >= max(1, math.ceil(share * len(showing(shown, g.onset))))]
    return sorted(kept, key=lambda g: g.onset)


def showing(shown: Mapping[str, tuple[int, int]], sample: float) -> tuple[str, ...]:
    """The leads whose shown span contains ``sample``."""
    return tuple(lead for lead, (start, stop) in shown.items() if start <= sample < stop)


def _median(values: list[int]) -> float:
    return float(np.median(values))


def _p_before(groups: list[WaveGroup], qrs: GlobalWave, prev_end: float) -> WaveGroup | None:
    """The last P group that starts after the previous QRS and ends before this one starts."""
    start = qrs.median_onset
    found = [g for g in groups
             if _median([w.onset for w in g.waves]) > prev_end
             and _median([w.offset for w in g.waves]) <= start]
    return found[-1] if found else None


def _t_after(groups: list[WaveGroup], qrs: GlobalWave, next_start: float) -> WaveGroup | None:
    """The first T group that starts after this QRS ends and before the next QRS starts."""
    end = qrs.median_offset
    found = [g for g in groups
             if _median([w.onset for w in g.waves]) >= end
             and _median([w.onset for w in g.waves]) < next_start]
    return found[0] if found else None
