"""Clinical safety: what a guard cannot assess is said and reviewed, an impossible value is
never a finding, an unreadable record is "repeat the ECG", the device's own reading is shown
and its critical statements are never lowered by omission, and paced beats are not read as
ischaemia."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rules.analysis import analyze
from rules.device import Agreement, Concept, classify, concordance, critical_urgency
from rules.intervals import rhythm
from rules.pacing import find_spikes
from rules.plausibility import screen
from rules.types import FlagId, Triage
from tests.conftest import shared_path
from tests.rules.synthetic import FS, Spec, beat_onsets, build, samples
from workstation.core.record import DeviceMeasurement, DeviceReport, ECGRecord


def _with(record: ECGRecord, signals: np.ndarray, **changes) -> ECGRecord:
    return ECGRecord.from_array(signals.astype(np.float32), record.fs, record.leads, record.source,
                                patient=record.patient, **changes)


# -- the device's calibration pulse -------------------------------------------------------

def test_a_calibration_pulse_at_the_end_does_not_switch_the_st_rules_off():
    # inferior ST elevation that obeys Einthoven's law (I = II - III = 0)
    record, d = build(Spec(st_mv={"II": 0.25, "III": 0.25, "aVF": 0.25, "aVR": -0.125,
                                  "aVL": -0.125}))
    x = np.asarray(record.signals, float)
    assert analyze(record, d).quality.amplitudes.trusted
    pulse = np.zeros((12, samples(400.0)))
    pulse[:, samples(100.0):samples(300.0)] = 1.0  # 1 mV for 200 ms on every lead, as Philips
    padded = _with(record, np.concatenate([x, pulse], axis=1))
    a = analyze(padded, d)
    assert a.quality.amplitudes.trusted
    assert a.routing.triage is Triage.ACUTE
    flag = next(f for f in a.flags if f.id is FlagId.ST_ELEVATION)
    assert set(flag.leads) == {"II", "III", "aVF"}


@pytest.fixture(scope="module")
def philips():
    from inference import delineate
    from workstation.io import read_ecg

    record = read_ecg(shared_path("formats", "philips_sierra_xml", "1_03__129DYPRG.XML"))
    return analyze(record, delineate(record))


def test_the_philips_inferior_stemi_is_acute_and_agrees_with_the_device(philips):
    a = philips
    assert a.routing.triage is Triage.ACUTE and a.routing.review
    flag = next(f for f in a.flags if f.id is FlagId.ST_ELEVATION)
    assert {"II", "III", "aVF"} <= set(flag.leads)
    acute = next(c for c in a.device_concordance if "Acute MI" in (c.statement or ""))
    assert acute.agreement is Agreement.AGREE and not acute.critical
    names = {p.name for p in a.device_measurements}
    assert {"Ventricular rate", "PR", "QRS", "QT", "QTc"} <= names


# -- plausibility --------------------------------------------------------------------------

def test_an_impossible_pr_is_not_measured_and_raises_no_flag():
    record, d = build(Spec())
    a = analyze(record, d)
    bad = dataclasses.replace(a.measurements.intervals.pr_ms, value=1705.0)
    m = dataclasses.replace(a.measurements, intervals=dataclasses.replace(
        a.measurements.intervals, pr_ms=bad))
    screened = screen(m, dict(a.ruleset.plausibility))
    assert screened.intervals.pr_ms.value is None
    assert "implausible: PR 1705 ms is outside 60-400 ms" in screened.intervals.pr_ms.note
    assert screened.implausible == ("PR 1705 ms is outside 60-400 ms",)


def test_an_rr_interval_of_a_missed_beat_leaves_the_rate_unmeasured_not_wrong():
    # beats at 1 s, then one missed: a beat-to-beat rate of 17 bpm
    spec = Spec(rr_ms=[1000.0, 1000.0, 3500.0, 1000.0, 1000.0])
    record, d = build(spec)
    a = analyze(record, d)
    r = a.measurements.rhythm
    assert r.hr_bpm.value is None and "implausible" in r.hr_bpm.note
    assert a.measurements.implausible and a.confidence.plausibility == 0.5
    assert not {FlagId.BRADYCARDIA, FlagId.IRREGULAR_RHYTHM} & {f.id for f in a.flags}
    assert a.routing.review and not a.routing.complete
    assert "Not reported, physiologically implausible" in a.narrative


def test_beats_on_separate_segments_are_not_paired():
    fiducials = np.array([100, 600, 1400, 1900])
    joined = np.array([True, False, True])
    r = rhythm(fiducials, FS, ("II",), None, 0, joined)
    assert r.hr_bpm.value == pytest.approx(60.0) and "not paired" in r.hr_bpm.note


# -- unreadable and incomplete ---------------------------------------------------------------

def test_a_record_with_one_usable_lead_is_unreadable_not_acute():
    record, d = build(Spec(rr_ms=[450.0] * 20))  # a fast rate on the one lead left
    x = np.asarray(record.signals, float)
    x[1:] = 0.0  # eleven leads off
    a = analyze(_with(record, x), d)
    assert a.routing.triage is Triage.UNREADABLE and a.routing.review
    assert a.routing.label == "Unreadable: repeat the ECG"
    assert "1 of 12 leads carry a usable signal" in a.routing.reasons[0]


def test_untrusted_amplitudes_never_leave_a_record_normal_or_unreviewed():
    record, d = build(Spec())
    x = np.asarray(record.signals, float)
    x[2] *= 3.0  # lead III scaled: the limb leads break Einthoven's law
    a = analyze(_with(record, x), d)
    assert not a.quality.amplitudes.trusted
    assert a.routing.triage is not Triage.NORMAL and not a.routing.complete
    assert a.routing.review and "acute not excluded" in a.routing.label
    gap = next(g for g in a.routing.not_assessed if g.what.startswith("ST elevation"))
    assert gap.could_be is Triage.ACUTE and "cannot be trusted" in gap.why
    assert "Not assessed: ST elevation" in a.narrative


def test_a_missing_territory_is_named():
    record, d = build(Spec())
    x = np.asarray(record.signals, float)
    for lead in (7, 9, 11):  # V2, V4, V6 off: V1, V3, V5 are not neighbours
        x[lead] = 0.0
    a = analyze(_with(record, x), d)
    assert a.quality.amplitudes.trusted
    assert any(g.what == "ST elevation and depression in the anterior leads"
               for g in a.routing.not_assessed)
    assert a.routing.review


# -- the device's statements -------------------------------------------------------------------

@pytest.mark.parametrize("statement, concepts", [
    (">>> Acute MI <<<", {Concept.ACUTE_MI}),
    ("Inferior infarct, acute (LCx), ST>0.10mV, II III aVF", {Concept.ACUTE_MI}),
    ("Anterior infarct, age undetermined", {Concept.OLD_INFARCT}),
    ("Nonspecific intraventricular conduction delay, QRSd >115mS, not LBBB/RBBB", {Concept.IVCD}),
    ("Ventricular-paced rhythm", {Concept.PACED}),
    ("T wave abnormality, consider lateral ischemia", {Concept.T_WAVE_ABNORMALITY}),
    ("(SB) SINUS BRADYCARDIA, V-rate<60,", {Concept.SINUS_BRADYCARDIA}),
    ("ECG NORMALE", {Concept.NORMAL}),
    ("ABNORMAL ECG", {Concept.ABNORMAL}),
    ("Complete heart block", {Concept.AV_BLOCK_3}),
    ("Ventricular tachycardia", {Concept.VENTRICULAR_TACHYCARDIA}),
    ("When compared with ECG of 30-MAR-2023 09:09,", set()),
])
def test_statements_map_onto_our_vocabulary(statement, concepts):
    assert set(classify(statement)) == concepts


def test_a_device_only_critical_statement_raises_the_triage_and_routes_to_review():
    record, d = build(Spec())
    report = DeviceReport("device", (DeviceMeasurement("QRS", 75.0, "ms"),),
                          ("Sinus rhythm", ">>> Acute MI <<<"))
    a = analyze(dataclasses.replace(record, device_report=report), d)
    assert a.routing.triage is Triage.ACUTE and a.routing.review
    assert any("Acute MI" in r and "do not confirm" in r for r in a.routing.review_reasons)
    row = next(c for c in a.device_concordance if c.statement == ">>> Acute MI <<<")
    assert row.agreement is Agreement.DEVICE_ONLY and row.critical
    qrs = a.device_measurements[0]
    assert qrs.device == 75.0 and qrs.difference == pytest.approx(15.0, abs=3) and qrs.beyond


def test_concordance_lists_our_findings_the_device_does_not_name():
    record, d = build(Spec(pr_ms=240.0))
    a = analyze(record, d)
    rows = concordance(("Sinus rhythm",), a.flags)
    assert any(r.agreement is Agreement.OURS_ONLY and r.flags == (FlagId.FIRST_DEGREE_AV_BLOCK,)
               for r in rows)
    assert critical_urgency(rows) == (None, ())


# -- pacing ------------------------------------------------------------------------------------

def _paced(spec: Spec) -> tuple[ECGRecord, object]:
    record, d = build(spec)
    x = np.asarray(record.signals, float)
    for onset in beat_onsets(spec):
        x[:, onset - samples(20.0)] += 3.0  # a 2 ms spike 20 ms before every QRS
    return _with(record, x), d


def test_pacing_spikes_give_a_paced_rhythm_and_no_qrs_or_st_finding():
    spec = Spec(qrs_ms=160.0, st_mv={"V2": 0.3, "V3": 0.3})
    record, d = _paced(spec)
    assert len(find_spikes(np.asarray(record.signals, float), FS)) == len(spec.rr_ms)
    a = analyze(record, d)
    ids = {f.id for f in a.flags}
    assert FlagId.PACED_RHYTHM in ids
    assert not ids & {FlagId.WIDE_QRS, FlagId.ST_ELEVATION, FlagId.T_WAVE_INVERSION}
    assert any("paced beats" in g.what for g in a.routing.not_assessed) and a.routing.review


def test_no_spike_is_found_on_an_unpaced_record():
    record, _ = build(Spec())
    assert len(find_spikes(np.asarray(record.signals, float), FS)) == 0


@pytest.mark.parametrize("name, paced", [("45", True), ("90", True),
                                         ("5", False), ("10", False), ("100", False)])
def test_pacing_on_ludb_test_records(name, paced):
    from rules.pacing import pacing
    from workstation.core.delineation import read_wfdb_annotations
    from workstation.io import read_ecg
    from rules.beats import build_beats
    from rules.ruleset import load_ruleset

    path = shared_path("ludb", f"{name}.hea").with_suffix("")
    record = read_ecg(path)
    reference = read_wfdb_annotations(path, record.lead_names, record.fs)
    beats = build_beats(reference, record.lead_names, load_ruleset())
    assert pacing(np.asarray(record.signals, float), record.fs, beats).paced_rhythm is paced


# -- printed pages -------------------------------------------------------------------------------

def _printed_columns(x: np.ndarray) -> np.ndarray:
    """A 3x4 page's signal: I, II, III shown in the first 2.5 s only, the others later."""
    out = np.full_like(x, np.nan)
    quarter = x.shape[1] // 4
    for lead in range(12):
        column = (0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3)[lead]
        out[lead, column * quarter:(column + 1) * quarter] = x[lead, column * quarter:(column + 1) * quarter]
    return out


def test_einthoven_is_checked_on_a_printed_page_and_catches_a_misnamed_strip():
    from rules.consistency import printed_residual

    record, _ = build(Spec())
    x = np.asarray(record.signals, float)
    page = _printed_columns(x)
    assert printed_residual(page, record.lead_names, FS) < 0.1
    misread = page.copy()
    misread[1] = x[6]  # the V1 rhythm strip stored as lead II
    assert printed_residual(misread, record.lead_names, FS) > 0.3
