"""``measure(record, delineation, quality, ruleset) -> Measurements``: every measurement.

Pure computation over the record, its delineation and the per-lead quality. Poor leads are
left out of everything. A record read off a paper ECG takes its rate and rhythm from its
strips and within its printed columns (:mod:`rules.printed`). Without a delineation (the model could not run), only the rate and
rhythm are measured, from the QRS detector of :mod:`rules.fallback`; everything else is None
with the reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from rules.amplitudes import LeadAmplitudes, lead_amplitudes
from rules.axis import frontal_axis
from rules.beats import Beat, build_beats
from rules.fallback import detect_qrs
from rules.intervals import Intervals, Rhythm, intervals, rhythm
from rules.pacing import Pacing, pacing
from rules.plausibility import screen
from rules.printed import printed_rhythm, time_axis_unsure, untimed
from rules.quality import RecordQuality
from rules.qtc import FORMULA_NAMES
from rules.ruleset import RuleSet
from rules.types import Measured, QtcFormula, StPoint
from workstation.core.delineation import Delineation, WaveKind
from workstation.core.record import ECGRecord

#: A wave whose lead changes by less than this over the whole wave lies on a flat line (mV):
#: below the 5-10 uV resolution of resting ECG devices.
FLAT_WAVE_MV = 0.01
#: A beat whose QRS starts this soon after the recording starts cannot show its P wave (local
#: choice: the longest normal PR, 200 ms, plus a P wave).
P_ROOM_MS = 300.0


@dataclass(frozen=True)
class Measurements:
    """All measurements of one record; each value names its leads and beats.

    ``leads`` holds the per-lead amplitudes of the usable leads only; ``beats`` the beats they
    refer to (numbered from 0 here, from 1 in text).
    """

    beats: tuple[Beat, ...]
    rhythm: Rhythm
    intervals: Intervals
    qtc_formula: QtcFormula
    st_point: StPoint
    p_axis: Measured
    qrs_axis: Measured
    t_axis: Measured
    leads: tuple[LeadAmplitudes, ...]
    source: str  # "delineation" or "QRS detector only"
    #: what was measured but is physiologically impossible, in words (:mod:`rules.plausibility`)
    implausible: tuple[str, ...] = ()
    #: pacemaker spikes and the beats they drive (None: not sought, no delineation)
    pacing: Pacing | None = None

    @property
    def paced_rhythm(self) -> bool:
        return self.pacing is not None and self.pacing.paced_rhythm

    @property
    def qtc(self) -> Measured:
        """QTc by the rule file's formula."""
        return self.intervals.qtc[self.qtc_formula]

    @property
    def qtc_name(self) -> str:
        return FORMULA_NAMES[self.qtc_formula]

    def lead(self, name: str) -> LeadAmplitudes | None:
        return next((a for a in self.leads if a.lead == name), None)


def measure(record: ECGRecord, delineation: Delineation | None, quality: RecordQuality,
            ruleset: RuleSet) -> Measurements:
    """Every measurement of ``record`` (see the module docstring). A page whose time axis is
    not sure (:func:`rules.printed.time_axis_unsure`) has no rate, rhythm or interval."""
    m = _measure(record, delineation, quality, ruleset)
    why = (time_axis_unsure(dict(record.digitisation.calibration))
           if record.digitisation is not None else None)
    if why is None:
        return m
    rhythm_, intervals_ = untimed(m.rhythm, m.intervals, why)
    return dataclasses.replace(m, rhythm=rhythm_, intervals=intervals_)


def _measure(record: ECGRecord, delineation: Delineation | None, quality: RecordQuality,
             ruleset: RuleSet) -> Measurements:
    usable = quality.usable_leads
    if delineation is None:
        return screen(_rate_only(record, quality, ruleset), dict(ruleset.plausibility))
    spans = {q.lead: q.span for q in quality.leads if q.usable}
    beats = build_beats(drop_flat_waves(delineation, record, quality), usable, ruleset, spans)
    paced = pacing(_usable_signals(record, usable), record.fs, beats)
    if not paced.paced_rhythm and paced.paced_beats:  # occasional paced beats: like ectopics
        beats = tuple(dataclasses.replace(b, dominant=b.dominant and b.index not in paced.paced_beats)
                      for b in beats)
    fiducials = np.array([b.fiducial for b in beats], dtype=float)
    p_room = int(P_ROOM_MS * record.fs / 1000.0)
    if record.digitisation is not None:  # a printed page: strips and columns, see rules.printed
        complexes = {lead: [(w.onset, w.offset) for w in delineation.waves_in(lead, WaveKind.QRS)]
                     for lead in usable if lead in delineation.lead_names}
        rhythm_ = printed_rhythm(record.signals, record.lead_names, record.fs, spans, beats, p_room,
                                 complexes)
    else:
        rhythm_ = rhythm(fiducials, record.fs, _beat_leads(beats), beats, p_room,
                         _joined(fiducials, spans))
    signals = record.signals
    baseline_ms = float(ruleset.measurement["baseline_window_ms"])
    leads = tuple(lead_amplitudes(name, np.asarray(signals[record.lead_index(name)], float),
                                  beats, record.fs, baseline_ms) for name in usable)
    dominant = tuple(b.index for b in beats if b.dominant)
    axes = {wave: _axis(leads, dominant, wave, quality) for wave in ("P", "QRS", "T")}
    return screen(Measurements(beats, rhythm_, intervals(beats, record.fs, rhythm_.rr_ms),
                               ruleset.qtc_formula, ruleset.st_point, axes["P"], axes["QRS"],
                               axes["T"], leads, "delineation", pacing=paced),
                  dict(ruleset.plausibility))


def drop_flat_waves(delineation: Delineation, record: ECGRecord,
                    quality: RecordQuality) -> Delineation:
    """The delineation without waves lying on a flat line, a gap or filler (padding, a
    calibration pulse: :func:`rules.quality.signal_span`) of their lead: a model can place
    waves there, where there is no signal to measure."""
    signals = record.signals
    kept = []
    for wave in delineation.waves:
        if wave.lead not in record.lead_names:
            continue
        start, stop = quality.of(wave.lead).span
        if wave.onset < start or wave.offset >= stop:
            continue
        seg = signals[record.lead_index(wave.lead), wave.onset:wave.offset + 1]
        if len(seg) and np.isfinite(seg).all() and float(np.ptp(seg)) >= FLAT_WAVE_MV:
            kept.append(wave)
    if len(kept) == len(delineation.waves):
        return delineation
    return Delineation(delineation.fs, delineation.lead_names, tuple(kept),
                       delineation.model_name, delineation.model_version)


def _axis(leads: tuple[LeadAmplitudes, ...], beats: tuple[int, ...], wave: str,
          quality: RecordQuality) -> Measured:
    """The frontal axis of ``wave``; with the limb leads' gains restored when the file broke
    Einthoven's law (:mod:`rules.consistency`), None when they cannot be restored."""
    check = quality.amplitudes
    areas = {a.lead: getattr(a, f"{wave.lower()}_area") for a in leads}
    if check.limb_consistent:
        return frontal_axis(areas, beats, wave)
    if check.limb_gains is None:
        return Measured.missing("deg", f"{wave} axis: {check.note}")
    restored = {lead: None if area is None else area * check.limb_gains.get(lead, 1.0)
                for lead, area in areas.items()}
    axis = frontal_axis(restored, beats, wave)
    return dataclasses.replace(axis, note=f"{axis.note}; limb-lead gains restored by "
                                          f"Einthoven's law")


def _joined(fiducials: np.ndarray, spans: dict[str, tuple[int, int]]) -> np.ndarray:
    """For each pair of successive beats, whether one lead shows both (and everything between):
    beats on different segments of a printed page are never paired into an RR interval, since
    the segments' shared time axis is only as good as the page's."""
    ok = []
    for a, b in zip(fiducials[:-1], fiducials[1:]):
        ok.append(any(start <= a and b < stop for start, stop in spans.values()))
    return np.array(ok, dtype=bool)


def _usable_signals(record: ECGRecord, usable: tuple[str, ...]) -> np.ndarray:
    rows = [record.lead_index(name) for name in usable]
    return np.asarray(record.signals, dtype=float)[rows] if rows else np.empty((0, record.n_samples))


def _beat_leads(beats: tuple[Beat, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for beat in beats:
        for lead in beat.qrs.leads:
            seen.setdefault(lead, None)
    return tuple(seen)


def _rate_only(record: ECGRecord, quality: RecordQuality, ruleset: RuleSet) -> Measurements:
    usable = quality.usable_leads
    why = "no delineation: not measured"
    if record.digitisation is not None:
        rhythm_ = printed_rhythm(record.signals, record.lead_names, record.fs,
                                 {q.lead: q.span for q in quality.leads if q.usable}, None, 0)
    else:
        rhythm_ = rhythm(detect_qrs(record, usable), record.fs, usable, None)
    missing_ms = Measured.missing("ms", why)
    empty = Intervals(missing_ms, missing_ms, missing_ms, missing_ms,
                      {f: missing_ms for f in QtcFormula})
    axis = Measured.missing("deg", why)
    return Measurements((), rhythm_, empty, ruleset.qtc_formula, ruleset.st_point, axis, axis,
                        axis, (), "QRS detector only")
