"""The Qt-free document model: lead names, derived leads, de-identification, conditioning."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps

from workstation.core.conditioning import ConditioningSettings, condition, resample
from workstation.core.leads import normalise_lead_name
from workstation.core.record import ECGRecord, Lead, Patient, SourceInfo


@pytest.mark.parametrize("raw, name", [
    ("Lead I (Einthoven)", "I"), ("MDC_ECG_LEAD_AVR", "aVR"), ("avf", "aVF"), ("v1", "V1"),
    ("Lead aVL (Goldberger)", "aVL"), ("II", "II"), (" V6 ", "V6"),
    ("MLII", "MLII"), ("CM5", "CM5"), ("-aVR", "-aVR"), ("V4R", "V4R"),
])
def test_lead_names(raw, name):
    assert normalise_lead_name(raw) == name


def _eight_lead_record() -> ECGRecord:
    rng = np.random.default_rng(0)
    data = rng.normal(size=(8, 1000)).astype(np.float32)
    names = ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"]
    return ECGRecord.from_array(data, 500, [Lead(n, n) for n in names], SourceInfo("x", "test"),
                                patient=Patient(name="DOE^JOHN", patient_id="123"))


def test_derived_limb_leads_follow_einthoven_and_goldberger():
    record = _eight_lead_record().with_derived_limb_leads()
    assert record.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF",
                                 "V1", "V2", "V3", "V4", "V5", "V6")
    assert [lead.derived for lead in record.leads] == [False, False] + [True] * 4 + [False] * 6
    i, ii = record.lead("I"), record.lead("II")
    np.testing.assert_allclose(record.lead("III"), ii - i, rtol=1e-6)
    np.testing.assert_allclose(record.lead("aVR"), -(i + ii) / 2, rtol=1e-6)
    np.testing.assert_allclose(record.lead("aVL"), i - ii / 2, rtol=1e-6)
    np.testing.assert_allclose(record.lead("aVF"), ii - i / 2, rtol=1e-6)
    np.testing.assert_allclose(record.window(100, 200), record.signals[:, 100:200])
    # nothing to derive in a complete record
    assert record.with_derived_limb_leads() is record


def test_deidentified_drops_patient_fields_only():
    record = _eight_lead_record()
    anon = record.deidentified()
    assert anon.patient.is_empty and not record.patient.is_empty
    assert anon.signals is record.signals or np.array_equal(anon.signals, record.signals)


def _tone(fs, seconds, freqs):
    t = np.arange(int(fs * seconds)) / fs
    return sum(np.sin(2 * np.pi * f * t) for f in freqs)


def _amplitude_at(x, fs, f):
    freqs, power = sps.periodogram(x, fs)
    return np.sqrt(2 * power[np.argmin(np.abs(freqs - f))] * (freqs[1] - freqs[0]))


def test_notch_removes_mains_and_keeps_ecg_band():
    fs = 500
    x = _tone(fs, 10, [10, 50]).astype(np.float32)
    y = condition(x, fs, ConditioningSettings(notch_hz=50))
    assert _amplitude_at(y, fs, 50) < 0.02 and _amplitude_at(y, fs, 10) > 0.95


def test_baseline_removal_and_lowpass():
    fs = 500
    x = _tone(fs, 20, [0.1, 5, 100]).astype(np.float32)
    y = condition(x, fs, ConditioningSettings(baseline_removal=True, lowpass_hz=40))
    assert _amplitude_at(y, fs, 0.1) < 0.1 and _amplitude_at(y, fs, 100) < 0.01
    assert _amplitude_at(y, fs, 5) > 0.95


def test_conditioning_never_touches_the_input_and_is_zero_phase():
    fs = 500
    x = np.zeros(5000, dtype=np.float32)
    x[2500] = 1.0
    before = x.copy()
    y = condition(x, fs, ConditioningSettings(lowpass_hz=40))
    np.testing.assert_array_equal(x, before)
    assert int(np.argmax(y)) == 2500  # no phase shift: the peak stays where it was


def test_resample_1000_to_500():
    x = _tone(1000, 2, [5]).astype(np.float32)
    y = resample(x, 1000, 500)
    assert y.shape == (1000,) and _amplitude_at(y, 500, 5) > 0.95


def test_standard_leads_are_put_in_clinical_order():
    names = ["V1", "II", "I", "aVR", "V6"]
    data = np.arange(5, dtype=np.float32)[:, None] * np.ones((5, 10), dtype=np.float32)
    record = ECGRecord.from_array(data, 500, [Lead(n, n) for n in names], SourceInfo("x", "t"))
    ordered = record.in_standard_order()
    assert ordered.lead_names == ("I", "II", "aVR", "V1", "V6")
    assert ordered.lead("V1")[0] == 0 and ordered.lead("V6")[0] == 4
    assert ordered.source_signals.read(2, 4)[0, 0] == 2  # lazy reads follow the same order


def test_holter_leads_keep_the_file_order():
    data = np.zeros((2, 10), dtype=np.float32)
    record = ECGRecord.from_array(data, 250, [Lead("MLII"), Lead("V5")], SourceInfo("x", "t"))
    assert record.in_standard_order() is record
