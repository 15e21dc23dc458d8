"""DICOM 12-lead waveform: pydicom's own test file and the shared copy."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from workstation.io import ECGReadError, read_ecg


@pytest.fixture(scope="module")
def record():
    return read_ecg(get_testdata_file("waveform_ecg.dcm"))


def test_rhythm_group_in_mv(record):
    ds = pydicom.dcmread(get_testdata_file("waveform_ecg.dcm"))
    assert record.fs == 1000 and record.signals.shape == (12, 10000)
    assert record.lead_names[:6] == ("I", "II", "III", "aVR", "aVL", "aVF")
    # pydicom applies the 1.25 uV sensitivity; we convert uV -> mV
    np.testing.assert_allclose(record.signals, ds.waveform_array(0).T / 1000, rtol=1e-6)
    np.testing.assert_allclose(record.lead("III"), record.lead("II") - record.lead("I"), atol=0.02)


def test_device_measurements_statements_and_fiducials(record):
    report = record.device_report
    values = {m.name: m.value for m in report.measurements}
    assert values == {"RR": 982, "PR": 161, "QRS": 75, "QT": 368, "QTc": 370,
                      "P axis": 74, "QRS axis": 52, "T axis": 57}  # PP 0 = not measured
    assert report.statements == ("RITMO SINUSALE", "ECG NORMALE")
    median = [f for f in report.fiducials if f.on_median]
    assert [f.kind for f in median] == ["P Onset", "P Offset", "QRS Onset", "Fiducial Point",
                                        "QRS Offset", "T Offset"]
    rhythm_fiducials = [f.sample for f in report.fiducials
                        if not f.on_median and f.kind == "Fiducial Point"]
    assert len(rhythm_fiducials) == 10 and rhythm_fiducials[:2] == [526, 1525]


def test_median_beats_patient_and_filters(record):
    assert record.median_beats.signals.shape == (12, 1200)
    assert record.patient.sex == "F" and record.patient.age_years == 42
    assert record.acquisition.filters.highpass_hz == 0.05
    assert record.acquisition.filters.lowpass_hz == 300
    assert record.acquisition.device.startswith("Mortara")


def test_non_ecg_dicom_is_refused_by_name(tmp_path):
    path = tmp_path / "ct.dcm"
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.save_as(path)
    with pytest.raises(ECGReadError, match="ct.dcm: .*not an ECG waveform"):
        read_ecg(path)
