"""EDF (edfio) and the documented CSV format."""

from __future__ import annotations

import numpy as np
import pytest
from edfio import Edf, EdfSignal

from tests.conftest import FIXTURES, shared_path
from workstation.io import ECGReadError, read_ecg
from workstation.io.csv_io import write as write_csv


def test_contec_edf():
    record = read_ecg(shared_path("formats", "edf", "contec_0000050.ECG.edf"))
    assert record.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF",
                                 "V1", "V2", "V3", "V4", "V5", "V6")
    assert record.fs == 800 and record.n_samples == 37855
    assert record.acquisition.time.year == 2020
    # the file's I, II, III obey Einthoven's law, so the channels are not shuffled
    np.testing.assert_allclose(record.lead("III"), record.lead("II") - record.lead("I"), atol=0.05)


def test_edf_units_and_other_channels(tmp_path):
    t = np.arange(5000) / 500
    ecg = 1000 * np.sin(2 * np.pi * t)  # microvolts
    edf = Edf([EdfSignal(ecg, 500, label="ECG II", physical_dimension="uV"),
               EdfSignal(np.full(5000, 97.0), 500, label="SpO2", physical_dimension="%")])
    edf.write(tmp_path / "two.edf")
    record = read_ecg(tmp_path / "two.edf")
    assert record.lead_names == ("II",)
    assert np.abs(record.signals).max() == pytest.approx(1.0, abs=0.01)
    assert "SpO2" in record.source.detail


def test_edf_without_ecg_channels_is_refused(tmp_path):
    Edf([EdfSignal(np.full(500, 97.0), 50, label="SpO2", physical_dimension="%")]).write(tmp_path / "o.edf")
    with pytest.raises(ECGReadError, match="o.edf: .*no channel in volts"):
        read_ecg(tmp_path / "o.edf")


def test_csv_round_trip(tmp_path):
    record = read_ecg(FIXTURES / "ludb" / "1.hea")
    again = read_ecg(write_csv(record, tmp_path / "one.csv"))
    assert again.lead_names == record.lead_names and again.fs == 500
    np.testing.assert_allclose(again.signals, record.signals, atol=1e-4)


def test_csv_time_column_microvolts_and_gaps(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("# units: uV\n# sex: female\ntime_ms;Lead II;MLII\n0;1000;\n2;500;20\n4;0;30\n6;-500;40\n")
    record = read_ecg(path)
    assert record.fs == pytest.approx(500)
    assert record.lead_names == ("II", "MLII")
    assert record.signals[0, 0] == pytest.approx(1.0)
    assert np.isnan(record.signals[1, 0])  # an empty cell is a gap, not a zero
    assert record.patient.sex == "F"


@pytest.mark.parametrize("text, problem", [
    ("# fs: 500\nI,II\n0.1,0.2\n0.1,abc\n", "line 3, column 2: 'abc' is not a number"),
    ("I,II\n0.1,0.2\n", "no sampling rate"),
    ("# fs: 500\nI,II\n0.1,0.2\n0.3\n", "line 3: 1 values for 2 columns"),
    ("# fs: 500\n# units: furlongs\nI\n0.1\n0.2\n", "unknown units"),
    ("# fs: 500\nI\n900\n0.1\n", "exceeds 50 mV"),
    ("# fs: 5\nI\n0.1\n0.1\n", "sampling rate 5 Hz is outside"),
])
def test_bad_csv_is_refused_with_its_line(tmp_path, text, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ECGReadError) as info:
        read_ecg(path)
    assert problem in str(info.value) and "bad.csv" in str(info.value)
