"""The DICOM ECG re-read by pydicom (its waveform handler) and by our own reader."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from workstation.core.record import ECGRecord, Lead, SourceInfo
from workstation.delivery.case import Case, build_case
from workstation.delivery.codes import finding_code
from workstation.delivery.dicom_export import GENERAL_ECG, TWELVE_LEAD_ECG, write_dicom
from workstation.io import read_ecg


@pytest.fixture(scope="module")
def written(sample_case: Case, tmp_path_factory):
    return write_dicom(sample_case, tmp_path_factory.mktemp("dicom") / "ecg.dcm")


def test_pydicom_reads_a_12_lead_waveform(sample_case: Case, written) -> None:
    ds = pydicom.dcmread(written)
    assert ds.SOPClassUID == TWELVE_LEAD_ECG and ds.Modality == "ECG"
    samples = ds.waveform_array(0)  # sensitivity applied: µV
    record = sample_case.record
    assert samples.shape == (record.n_samples, record.n_leads)
    np.testing.assert_allclose(samples.T / 1000.0, record.signals, atol=0.0005 + 1e-6)
    meanings = [c.ChannelSourceSequence[0].CodeMeaning for c in ds.WaveformSequence[0].ChannelDefinitionSequence]
    assert meanings[:3] == ["Lead I", "Lead II", "Lead III"]


def test_our_reader_gets_signal_measurements_and_flags(sample_case: Case, written) -> None:
    back = read_ecg(written)
    record = sample_case.record
    assert back.lead_names == record.lead_names and back.fs == record.fs
    np.testing.assert_allclose(back.signals, record.signals, atol=0.0005 + 1e-6)
    qrs = back.device_report.measurement("QRS")
    assert qrs is not None
    assert qrs.value == round(sample_case.analysis.measurements.intervals.qrs_ms.value)
    statements = " ".join(back.device_report.statements)
    for flag in sample_case.analysis.flags:
        assert flag.reason in statements
    assert "clinician review required" in statements and "preliminary" in statements


def test_signed_case_names_patient_and_is_final(signed_case: Case, tmp_path) -> None:
    ds = pydicom.dcmread(write_dicom(signed_case, tmp_path / "signed.dcm"))
    assert ds.PatientID == "MRN|0042" and ds.PatientSex == "F" and ds.PatientAge == "076Y"
    assert ds.AcquisitionDateTime == "20260304050607"
    assert any("final" in str(a.get("UnformattedTextValue", "")) for a in ds.WaveformAnnotationSequence)


def test_two_lead_holter_becomes_general_ecg_with_a_coarser_scale(tmp_path) -> None:
    t = np.arange(2000) / 250.0
    signals = np.vstack([40.0 * np.sin(2 * np.pi * t), 0.5 * np.cos(2 * np.pi * t)]).astype(np.float32)
    record = ECGRecord.from_array(signals, 250.0, [Lead("MLII"), Lead("V5")],
                                  SourceInfo(tmp_path / "holter.dat", "test"))
    path = write_dicom(build_case(record, None), tmp_path / "holter.dcm")
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == GENERAL_ECG
    back = read_ecg(path)
    assert back.lead_names == ("MLII", "V5")
    sensitivity_mv = float(ds.WaveformSequence[0].ChannelDefinitionSequence[0].ChannelSensitivity) / 1000
    assert sensitivity_mv > 0.001  # 40 mV does not fit 16 bits at 1 µV
    np.testing.assert_allclose(back.signals, signals, atol=sensitivity_mv / 2 + 1e-6)


def test_beat_boundaries_travel_as_fiducials(sample_case: Case, written) -> None:
    back = read_ecg(written)
    fiducials = back.device_report.fiducials
    beats = sample_case.analysis.measurements.beats
    qrs_onsets = sorted(f.sample for f in fiducials if f.kind == "QRS Onset")
    assert qrs_onsets == sorted(b.qrs.onset.sample for b in beats)
    first = beats[0]
    got = {f.kind: f.sample for f in fiducials if f.beat == first.index + 1}
    assert got["QRS Offset"] == first.qrs.offset.sample
    if first.t is not None:
        assert got["T Offset"] == first.t.offset.sample


def test_boundaries_findings_and_leads_use_standard_codes(sample_case: Case, written) -> None:
    ds = pydicom.dcmread(written)
    schemes = {c.CodingSchemeDesignator for a in ds.WaveformAnnotationSequence
               for c in [*a.get("ConceptNameCodeSequence", []), *a.get("ConceptCodeSequence", [])]}
    assert schemes <= {"LN", "SCPECG", "DCM", "SCT"}
    boundary = next(a for a in ds.WaveformAnnotationSequence if "ReferencedSamplePositions" in a)
    assert boundary.ConceptNameCodeSequence[0].CodeValue.startswith("5.10.3-")
    findings = [a.ConceptCodeSequence[0].CodeValue for a in ds.WaveformAnnotationSequence
                if "ConceptCodeSequence" in a]
    assert len(findings) == sum(1 for f in sample_case.analysis.flags
                                if finding_code(f) is not None)
    sources = [c.ChannelSourceSequence[0] for c in ds.WaveformSequence[0].ChannelDefinitionSequence]
    assert {s.CodingSchemeDesignator for s in sources} == {"SCPECG"}
    assert "MultiplexGroupTimeOffset" not in ds.WaveformSequence[0]
    assert ds.AcquisitionContextSequence == []
