"""GE MUSE, Philips Sierra and HL7 aECG XML readers, on the real files in ../shared/data.

Each real file is checked for shape, sampling rate, lead order, derived flags, amplitudes in
mV and the device's own measurements and statements; the Philips file is compared with its
aECG conversion, and a MUSE file with its WFDB conversion. Damaged copies must be refused
with ECGReadError, never read as a wrong signal.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import shared_path
from workstation.core.leads import STANDARD_LEADS, derive_limb_leads
from workstation.core.record import MAX_ABS_MV, ECGRecord, check_plausible
from workstation.io import aecg, muse, philips
from workstation.io.errors import ECGReadError
from workstation.io.registry import read_ecg

MUSE = ("formats", "ge_muse_xml")
SINUS = (*MUSE, "egm_muse-sinus", "muse-sinus.xml")
PHILIPS = ("formats", "philips_sierra_xml")
AECG = ("formats", "hl7_aecg")
PHILIPS_FILES = ("1_03__129DYPRG.XML", "1_04__3191723_ZZDEMOPTONLY_1-04_orig.xml",
                 "1_04__ad4d3d80-d165_1-04_orig.xml", "1_04_01__2020-5-18_15-48-11.xml")
PHILIPS_TWIN = "1_04__ad4d3d80-d165_1-04_orig.xml"
AECG_TWIN = "sierra-ecg-tools__ad4d3d80-d165_converted_from_philips_1-04.xml"
DERIVED = {"III", "aVR", "aVL", "aVF"}


def value(record: ECGRecord, name: str) -> float:
    found = [m for m in record.device_report.measurements if m.name == name and m.lead is None]
    assert found, f"no global measurement {name!r}"
    return found[0].value


def assert_measurements(record: ECGRecord, expected: dict[str, float]) -> None:
    assert {name: value(record, name) for name in expected} == expected


# -- GE MUSE ------------------------------------------------------------------------------
@pytest.mark.parametrize("parts", [(*MUSE, f"muse_ecg{i}.xml") for i in (1, 2, 3)] + [SINUS])
def test_muse_shape_leads_and_amplitudes(parts):
    record = read_ecg(shared_path(*parts))
    assert record.source.format == "GE MUSE XML"
    assert record.signals.shape == (12, 5000) and record.signals.dtype == np.float32
    assert record.fs == 500.0
    assert record.lead_names == STANDARD_LEADS
    assert {lead.name for lead in record.leads if lead.derived} == DERIVED
    peaks = np.abs(record.signals).max(axis=1)
    assert 0.5 < peaks.max() < 3.0 and peaks.min() > 0.05  # QRS peaks in mV, not uV or counts
    i, ii = record.lead("I"), record.lead("II")
    np.testing.assert_allclose(record.lead("III"), ii - i, atol=1e-6)
    median = record.median_beats
    assert median is not None and median.signals.shape == (12, 600) and median.fs == 500.0
    assert median.leads == STANDARD_LEADS
    expected = derive_limb_leads(median.signals[0], median.signals[1])
    np.testing.assert_allclose(median.signals[3], expected["aVR"], atol=1e-6)


def test_muse_ecg1_report_patient_and_acquisition():
    record = read_ecg(shared_path(*MUSE, "muse_ecg1.xml"))
    assert_measurements(record, {"Ventricular rate": 60, "Atrial rate": 60, "PR": 158, "QRS": 78,
                                 "QT": 364, "QTc": 364, "P axis": 49, "QRS axis": 54, "T axis": 46})
    report = record.device_report
    assert report.program.startswith("GE 12SL")
    assert report.measurement("QRS").unit == "ms" and report.measurement("QRS axis").unit == "deg"
    assert report.statements[0] == "Ventricular-paced rhythm"
    assert "When compared with ECG of 10-MAY-2021 14:14," in report.statements
    assert any("Lateral infarct, age undetermined" in c for c in record.comments)  # unedited ones
    median_marks = {f.kind: f.sample for f in report.fiducials if f.on_median}
    assert median_marks == {"P onset": 140, "P offset": 179, "QRS onset": 219, "QRS offset": 258,
                            "T offset": 401}
    beats = [f for f in report.fiducials if not f.on_median]
    assert len(beats) == 10 and beats[0].sample == 404  # <Time> 808 ms at 500 Hz
    assert record.patient.patient_id == "JAX01234" and record.patient.name == "TEST 05"
    assert record.patient.sex == "M" and record.patient.age_years == 60
    assert record.acquisition.time == dt.datetime(2021, 5, 10, 13, 15, 18)
    assert "MAC55" in record.acquisition.device
    filters = record.acquisition.filters
    assert (filters.highpass_hz, filters.lowpass_hz, filters.notch_hz) == (0.16, 150, 60)


def test_muse_sinus_report_and_patient():
    record = read_ecg(shared_path(*SINUS))
    assert_measurements(record, {"Ventricular rate": 90, "PR": 144, "QRS": 86, "QT": 402,
                                 "QTc": 491, "QTcF": 460})
    assert record.device_report.statements[:2] == ("Normal Sinus rhythm",
                                                   "Anterior infarct, age undetermined")
    patient = record.patient
    assert (patient.patient_id, patient.name, patient.birth_date, patient.sex, patient.age_years) == \
        ("081486213", "DOE, JOHN", "1979-07-08", "M", 43)
    assert record.acquisition.time == dt.datetime(2023, 4, 29, 22, 41, 16)
    assert record.acquisition.filters.highpass_hz == pytest.approx(0.56)


def test_muse_placeholder_statements_are_kept_as_given():
    record = read_ecg(shared_path(*MUSE, "muse_ecg2.xml"))
    assert record.device_report.statements == ("Statement Text(22)", "Statement Text(1684)",
                                               "Statement Text(1300)")


def test_muse_matches_its_wfdb_twin():
    """Same lead order and timing (correlation); the WFDB copy is 5x off in amplitude."""
    record = read_ecg(shared_path(*SINUS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # third-party import-time deprecations
        import wfdb
    twin = wfdb.rdrecord(str(shared_path(*SINUS).with_suffix("")))
    assert twin.fs == record.fs and twin.p_signal.shape == (record.n_samples, 12)
    for index, name in enumerate(twin.sig_name):
        ours = record.lead({"AVR": "aVR", "AVL": "aVL", "AVF": "aVF"}.get(name, name))
        theirs = twin.p_signal[:, index]
        assert np.corrcoef(ours, theirs)[0, 1] > 0.99, name
        assert np.std(theirs) / np.std(ours) == pytest.approx(5.0, rel=0.01), name


# -- Philips ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PHILIPS_FILES)
def test_philips_shape_leads_and_amplitudes(name):
    record = read_ecg(shared_path(*PHILIPS, name))
    assert record.source.format == "Philips Sierra ECG XML"
    assert record.signals.shape == (12, 5500) and record.fs == 500.0
    assert record.lead_names == STANDARD_LEADS
    assert not any(lead.derived for lead in record.leads)
    # PageWriters append a 1 mV calibration pulse (200 counts of 5 uV) to every lead
    np.testing.assert_allclose(record.signals[:, 5350:5450], 1.0, atol=1e-6)
    assert "1.00 mV calibration pulse at 10.70-10.90 s" in record.comments
    ecg = record.signals[:, :5350]
    assert 0.5 < np.abs(ecg).max(axis=1)[:6].max() < 3.0
    i, ii = ecg[0], ecg[1]
    for lead, want in derive_limb_leads(i, ii).items():
        assert np.abs(ecg[STANDARD_LEADS.index(lead)] - want).max() <= 0.015, lead  # 3 counts


def test_philips_1_04_report_patient_and_medians():
    record = read_ecg(shared_path(*PHILIPS, PHILIPS_TWIN))
    assert_measurements(record, {"Ventricular rate": 41, "RR": 1463, "PR": 144, "QRS": 102,
                                 "QT": 564, "QTc": 466, "QTcF": 497, "P axis": 19,
                                 "QRS axis": 85, "T axis": 53})
    report = record.device_report
    assert report.program == "Philips ECG analysis (criteria 0A)"
    assert report.statements == ("SINUS BRADYCARDIA, V-rate<60",
                                 "NO PREVIOUS TRACING AVAILABLE FOR COMPARISON", "OTHERWISE NORMAL ECG")
    r_ii = next(m for m in report.measurements if m.name == "R amplitude" and m.lead == "II")
    assert (r_ii.value, r_ii.unit) == (900, "uV")
    assert abs(np.abs(record.lead("II")[:5350]).max() - r_ii.value / 1000) < 0.2
    assert record.patient.sex == "F" and record.patient.birth_date == "1976-01-01"
    assert record.patient.name is None  # "---" placeholders
    assert record.acquisition.time == dt.datetime(2008, 12, 23, 19, 44, 46)
    assert "PageWriter Touch" in record.acquisition.device
    median = record.median_beats  # 1.2 s beats in 2.4 s slots padded with 32767: trimmed
    assert median.signals.shape == (12, 600) and median.fs == 500.0
    assert np.abs(median.signals).max() < 3.0
    assert [(f.kind, f.sample, f.on_median) for f in report.fiducials] == [("QRS onset", 256, True)]


def test_philips_1_03_and_1_04_01_reports():
    old = read_ecg(shared_path(*PHILIPS, "1_03__129DYPRG.XML"))
    assert_measurements(old, {"Ventricular rate": 41, "PR": 151, "QRS": 135, "QT": 476,
                              "QTc": 393, "QRS axis": -21})
    assert old.device_report.statements[0] == "Sinus bradycardia, rate< 50"
    assert old.median_beats is None and old.patient.age_years == 50
    new = read_ecg(shared_path(*PHILIPS, "1_04_01__2020-5-18_15-48-11.xml"))
    assert_measurements(new, {"Ventricular rate": 64, "PR": 164, "QRS": 102, "QT": 399,
                              "QTc": 412, "QTcF": 408, "QRS axis": 22})
    assert new.median_beats.signals.shape == (12, 1200) and new.median_beats.fs == 1000.0
    demo = read_ecg(shared_path(*PHILIPS, "1_04__3191723_ZZDEMOPTONLY_1-04_orig.xml"))
    assert (demo.patient.patient_id, demo.patient.name) == ("9999", "ZZDEMOPTONLY, ADULT")


def test_philips_matches_its_aecg_twin():
    ours = read_ecg(shared_path(*PHILIPS, PHILIPS_TWIN))
    twin = read_ecg(shared_path(*AECG, AECG_TWIN))
    assert twin.lead_names == ours.lead_names and twin.signals.shape == ours.signals.shape
    # the converter's decoder differs by a few counts of 5 uV; shape and scale agree
    assert np.abs(ours.signals - twin.signals).max() <= 0.021
    for a, b in zip(ours.signals, twin.signals):
        assert np.corrcoef(a, b)[0, 1] > 0.999
        assert np.std(b) / np.std(a) == pytest.approx(1.0, abs=0.01)
    np.testing.assert_array_equal(ours.median_beats.signals, twin.median_beats.signals)
    for name in ("Ventricular rate", "RR", "PR", "QRS", "QT", "QTc"):
        assert value(ours, name) == value(twin, name), name


# -- HL7 aECG -----------------------------------------------------------------------------
def test_aecg_example():
    record = read_ecg(shared_path(*AECG, "Example_aECG.xml"))
    assert record.source.format == "HL7 aECG"
    assert record.signals.shape == (12, 5000) and record.fs == 500.0
    assert record.lead_names == STANDARD_LEADS  # stored as I, II, V1-V6, III, aVR, aVL, aVF
    assert not any(lead.derived for lead in record.leads)
    assert record.lead("I")[:3].tolist() == pytest.approx([-0.005, -0.005, -0.005])  # -2 x 2.5 uV
    assert 0.5 < np.abs(record.signals).max() < 3.0
    assert_measurements(record, {"P duration": 102, "PR": 148, "QRS": 120, "QT": 420, "QTc": 443,
                                 "P axis": 44, "QRS axis": -61, "T axis": 86})
    report = record.device_report
    assert report.statements == ("Sinus Rhythm",) and "ELI250" in report.program
    rhythm_marks = [f for f in report.fiducials if not f.on_median]
    assert len({f.beat for f in rhythm_marks}) == 12
    assert (rhythm_marks[0].kind, rhythm_marks[0].sample, rhythm_marks[0].beat) == ("P onset", 61, 1)
    median_marks = {f.kind: f.sample for f in report.fiducials if f.on_median}
    assert median_marks == {"P onset": 143, "P offset": 194, "QRS onset": 217, "QRS offset": 277,
                            "T offset": 427}
    assert [(a.sample, a.symbol, a.lead) for a in record.annotations[:2]] == [(166, "N", "I"),
                                                                             (534, "(", "II")]
    assert record.median_beats.signals.shape == (12, 599)
    patient = record.patient
    assert (patient.patient_id, patient.name, patient.sex, patient.birth_date, patient.age_years) == \
        ("SBJ-123", "Clark", "M", "1953-05-08", 46)
    assert record.acquisition.time == dt.datetime(2002, 11, 22, 9, 10)
    assert record.acquisition.filters.lowpass_hz == 150 and record.acquisition.filters.notch_hz == 60


def test_aecg_fda_copy_and_minimum():
    example = read_ecg(shared_path(*AECG, "Example_aECG.xml"))
    copy = read_ecg(shared_path(*AECG, "FDA000003_subject1_0.xml"))
    assert copy.patient.patient_id == "subject1"
    np.testing.assert_array_equal(copy.signals, example.signals)
    minimum = read_ecg(shared_path(*AECG, "minimum_aecg.xml"))
    assert minimum.lead_names == ("II",) and minimum.signals.shape == (1, 13)
    assert minimum.signals[0, :5].tolist() == pytest.approx([-0.005, -0.005, -0.005, -0.005, -0.0075])
    assert minimum.device_report.is_empty and minimum.median_beats is None


@pytest.mark.parametrize("spec, parts", [
    (muse.SPEC, (*MUSE, "muse_ecg1.xml")), (philips.SPEC, (*PHILIPS, PHILIPS_TWIN)),
    (aecg.SPEC, (*AECG, "Example_aECG.xml"))])
def test_sniffing_is_by_root_element(spec, parts):
    head = shared_path(*parts).read_bytes()[:4096]
    for other in (muse.SPEC, philips.SPEC, aecg.SPEC):
        assert other.sniff(Path("renamed.bin"), head) == (other is spec)


# -- bad input ----------------------------------------------------------------------------
def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    target = tmp_path / name
    target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return target


def _refused(path: Path, *fragments: str) -> str:
    with pytest.raises(ECGReadError) as info:
        read_ecg(path)
    message = str(info.value)
    assert path.name in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return message


@pytest.mark.parametrize("parts", [(*MUSE, "muse_ecg1.xml"), (*PHILIPS, PHILIPS_TWIN),
                                   (*PHILIPS, "1_03__129DYPRG.XML"), (*AECG, "Example_aECG.xml")])
@pytest.mark.parametrize("fraction", [0.3, 0.7, 0.999])
def test_truncated_copies_are_refused(tmp_path, parts, fraction):
    data = shared_path(*parts).read_bytes()
    _refused(_write(tmp_path, "cut.xml", data[: int(len(data) * fraction)]))


def _muse_text() -> str:
    return shared_path(*MUSE, "muse_ecg1.xml").read_text(encoding="iso-8859-1")


@pytest.mark.parametrize("old, new, fragment", [
    ("<WaveFormData>\n", "<WaveFormData>\n!!not*base64!!", "base64"),
    ("<LeadSampleCountTotal>600<", "<LeadSampleCountTotal>601<", "sample count"),
    ("<LeadAmplitudeUnits>MICROVOLTS<", "<LeadAmplitudeUnits>FURLONGS<", "unknown amplitude units"),
    ("<LeadAmplitudeUnitsPerBit>4.88<", "<LeadAmplitudeUnitsPerBit><", "LeadAmplitudeUnitsPerBit"),
    ("<NumberofLeads>8<", "<NumberofLeads>12<", "declares 12 leads"),
    ("<WaveformType>Rhythm<", "<WaveformType>Other<", "no <Waveform> of type Rhythm"),
])
def test_muse_inconsistent_files_are_refused(tmp_path, old, new, fragment):
    text = _muse_text()
    assert old in text
    _refused(_write(tmp_path, "bad.xml", text.replace(old, new, 1)), fragment)


def test_muse_changed_sample_fails_its_crc(tmp_path):
    text = _muse_text()
    data = re.search(r"<WaveFormData>\s*(\S)", text)
    swapped = "B" if data.group(1) != "B" else "C"
    bad = text[: data.start(1)] + swapped + text[data.start(1) + 1:]
    _refused(_write(tmp_path, "crc.xml", bad), "CRC-32")


def _aecg_text() -> str:
    return shared_path(*AECG, "Example_aECG.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new, fragment", [
    ('<scale value="2.5" unit="uV"/>', "", "scale missing"),
    ('<scale value="2.5" unit="uV"/>', '<scale value="2.5" unit="furlong"/>', "unknown unit"),
    ('<scale value="2.5" unit="uV"/>', '<scale unit="uV"/>', "no numeric value"),
    ("<digits> -2 -2 -2", "<digits> -2 1.5 -2", "not all integers"),
    ("<digits> -2 -2 -2", "<digits> -2 -2 x", "not all integers"),
    ("<digits> -2 -2 -2 -2", "<digits>", "different lengths"),
    ('<increment value="0.002" unit="s"/>', '<increment value="0" unit="s"/>', "time increment"),
])
def test_aecg_inconsistent_files_are_refused(tmp_path, old, new, fragment):
    text = _aecg_text()
    assert old in text
    _refused(_write(tmp_path, "bad.xml", text.replace(old, new, 1)), fragment)


def _philips_text() -> str:
    return shared_path(*PHILIPS, "1_03__129DYPRG.XML").read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new, fragment", [
    ('durationperchannel="11000"', 'durationperchannel="12000"', "declared"),
    ("<signalresolution>5<", "<signalresolution><", "signal resolution"),
    ("<signalresolution>5<", "<signalresolution>5000<", "implausible"),
    ("<signalresolution>5<", "<signalresolution>25<", "calibration pulse measures 5 mV"),
    ('compressmethod="XLI"', 'compressmethod="LZW"', "not supported"),
    ('nbitspersample="16">7gUA', 'nbitspersample="16">7g*UA', "base64"),
    ('nbitspersample="16">7gUA', 'nbitspersample="16">////', "XLI chunk 1"),
])
def test_philips_inconsistent_files_are_refused(tmp_path, old, new, fragment):
    text = _philips_text()
    assert old in text
    _refused(_write(tmp_path, "bad.xml", text.replace(old, new, 1)), fragment)


def test_utf16_philips_copy_with_bad_duration_is_refused(tmp_path):
    text = shared_path(*PHILIPS, PHILIPS_TWIN).read_text(encoding="utf-16")
    bad = text.replace('durationperchannel="11000"', 'durationperchannel="10000"', 1)
    _refused(_write(tmp_path, "bad.xml", bad.encode("utf-16")), "declared")


@pytest.mark.parametrize("text, fragment", [
    ("<?xml version='1.0'?><note><to>someone</to></note>", "not a recognised ECG format"),
    ("<RestingECG><PatientDemographics/></RestingECG>", "no <Waveform> of type Rhythm"),
    ("<restingecgdata xmlns='http://www3.medical.philips.com'/>", "parsedwaveforms"),
    ("<AnnotatedECG xmlns='urn:hl7-org:v3'/>", "series"),
])
def test_other_or_empty_xml_is_refused(tmp_path, text, fragment):
    _refused(_write(tmp_path, "other.xml", text), fragment)


# -- property-based: mangled bytes ---------------------------------------------------------
FUZZ = settings(max_examples=50, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@st.composite
def edits(draw):
    """Up to 6 (kind, relative position, byte) edits: flip a byte, cut the tail, insert, or
    swap a letter/digit for another (which keeps base64 valid, so decoders see the damage)."""
    return [(draw(st.sampled_from(["flip", "cut", "insert", "swap", "swap"])),
             draw(st.floats(0, 1)), draw(st.integers(0, 255)))
            for _ in range(draw(st.integers(1, 6)))]


def _mangle(data: bytes, changes) -> bytes:
    buf = bytearray(data)
    for kind, where, byte in changes:
        pos = min(int(where * len(buf)), max(0, len(buf) - 1))
        if kind == "flip" and buf:
            buf[pos] ^= byte or 0xFF
        elif kind == "cut":
            del buf[max(pos, 1):]
        elif kind == "swap" and buf and buf[pos] in ALNUM:
            buf[pos] = ALNUM[byte % len(ALNUM)]
        elif kind == "insert":
            buf[pos:pos] = bytes([byte])
    return bytes(buf)


def _record_or_refusal(original: Path, changes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / original.name
        path.write_bytes(_mangle(original.read_bytes(), changes))
        try:
            record = read_ecg(path)
        except ECGReadError as exc:
            assert path.name in str(exc)
            return
        assert check_plausible(record) == []
        assert record.signals.dtype == np.float32
        assert np.nanmax(np.abs(record.signals)) <= MAX_ABS_MV


@FUZZ
@given(changes=edits())
def test_mangled_muse_is_read_or_refused(changes):
    _record_or_refusal(shared_path(*MUSE, "muse_ecg1.xml"), changes)


@FUZZ
@given(changes=edits())
def test_mangled_philips_is_read_or_refused(changes):
    _record_or_refusal(shared_path(*PHILIPS, "1_03__129DYPRG.XML"), changes)


@FUZZ
@given(changes=edits())
def test_mangled_aecg_is_read_or_refused(changes):
    _record_or_refusal(shared_path(*AECG, "Example_aECG.xml"), changes)
