"""WFDB: LUDB (with per-lead annotations), PTB-XL (.mat), format 212, lazy Holter, writing."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from tests.conftest import FIXTURES, shared_path
from workstation.core.signals import ChunkedSource
from workstation.io import ECGReadError, read_ecg
from workstation.io import wfdb_io
from workstation.store import record_key


def test_ludb_fixture_reads_in_mv_with_standard_leads_and_annotations():
    record = read_ecg(FIXTURES / "ludb" / "1")  # named without extension
    raw = wfdb.rdrecord(str(FIXTURES / "ludb" / "1"))
    assert record.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF",
                                 "V1", "V2", "V3", "V4", "V5", "V6")
    assert record.fs == 500 and record.signals.shape == (12, 5000)
    assert record.signals.dtype == np.float32
    np.testing.assert_allclose(record.signals, raw.p_signal.T, atol=1e-5)
    assert record.patient.sex == "F" and record.patient.age_years == 51
    lead_ii = [a for a in record.annotations if a.lead == "II"]
    assert [(a.sample, a.symbol) for a in lead_ii[:3]] == [(644, "("), (662, "N"), (682, ")")]
    assert {a.lead for a in record.annotations} == set(record.lead_names)


def test_all_of_ludb_reads_with_every_annotation():
    folder = shared_path("ludb")
    total = 0
    for n in range(1, 201):
        record = read_ecg(folder / f"{n}.hea")
        assert record.signals.shape == (12, 5000) and record.fs == 500
        total += len(record.annotations)
    assert total == 175_167  # the count given in the data folder's README


@pytest.mark.parametrize("n", range(10))
def test_ptbxl_mat_records(n):
    record = read_ecg(shared_path("ptbxl", "cinc2021_format", f"HR0600{n}.hea"))
    assert record.signals.shape == (12, 5000) and record.fs == 500
    assert record.source.detail == "format 16 (.mat)"
    assert record.patient.sex in ("M", "F")
    assert 0.01 < float(np.median(np.ptp(record.signals, axis=1))) < 10  # mV, not uV


def test_format_212_holter_leads_kept_as_named():
    record = read_ecg(shared_path("images", "ecg-image-kit_generated", "qtdb_sel100", "sel100.hea"))
    assert record.lead_names == ("MLII", "V5") and record.fs == 250
    assert [lead.is_standard for lead in record.leads] == [False, True]


def _write_long_record(tmp_path, hours: float = 1.0, fs: int = 250):
    n = int(hours * 3600 * fs)
    t = np.arange(n) / fs
    sig = np.stack([np.sin(2 * np.pi * 1.2 * t), 0.5 * np.cos(2 * np.pi * 1.2 * t)]).T
    wfdb.wrsamp("holter", fs=fs, units=["mV", "mV"], sig_name=["MLII", "V5"], p_signal=sig,
                fmt=["212", "212"], adc_gain=[200, 200], baseline=[0, 0], write_dir=str(tmp_path))
    return tmp_path / "holter.hea", sig


def test_long_record_is_lazy_and_windows_are_exact(tmp_path):
    path, sig = _write_long_record(tmp_path)
    record = read_ecg(path)
    assert isinstance(record.source_signals, ChunkedSource)
    assert record._cache is None  # nothing was loaded whole
    window = record.window(500_000, 500_250)
    np.testing.assert_allclose(window, sig[500_000:500_250].T, atol=1 / 200)


def test_long_record_falls_back_to_the_public_reader_when_wfdb_changes(tmp_path, monkeypatch):
    from wfdb.io import _signal

    original, calls = _signal._rd_segment, []

    def changed_once(**kwargs):  # the fast path's call fails as a changed signature would
        calls.append(kwargs)
        if len(calls) == 1:
            raise TypeError("_rd_segment() got an unexpected keyword argument")
        return original(**kwargs)

    monkeypatch.setattr(_signal, "_rd_segment", changed_once)
    path, sig = _write_long_record(tmp_path)
    record = read_ecg(path)
    window = record.window(500_000, 500_250)
    np.testing.assert_allclose(window, sig[500_000:500_250].T, atol=1 / 200)
    assert len(calls) >= 2  # the public reader took over


def test_truncated_signal_file_is_refused_with_its_name(tmp_path):
    path, _ = _write_long_record(tmp_path, hours=0.01)
    dat = tmp_path / "holter.dat"
    dat.write_bytes(dat.read_bytes()[:1000])
    with pytest.raises(ECGReadError, match="holter.hea: .*holter.dat is truncated"):
        read_ecg(path)


def test_missing_signal_file_is_named(tmp_path):
    path, _ = _write_long_record(tmp_path, hours=0.01)
    (tmp_path / "holter.dat").unlink()
    with pytest.raises(ECGReadError, match="holter.dat named in the header is missing"):
        read_ecg(path)


def test_header_in_microvolts_is_converted(tmp_path):
    sig = np.array([[1000.0, -500.0], [0.0, 250.0]] * 100)
    wfdb.wrsamp("uv", fs=500, units=["uV", "uV"], sig_name=["I", "II"], p_signal=sig,
                fmt=["16", "16"], adc_gain=[1, 1], baseline=[0, 0], write_dir=str(tmp_path))
    record = read_ecg(tmp_path / "uv.hea")
    assert record.signals[0, 0] == pytest.approx(1.0)


def test_write_round_trip_keeps_signals_and_per_lead_annotations(tmp_path):
    record = read_ecg(FIXTURES / "ludb" / "1.hea")
    written = wfdb_io.write(record, tmp_path, "copy")
    assert (tmp_path / "copy.v6").exists() and len(written) == 2 + 12
    again = read_ecg(tmp_path / "copy.hea")
    # written at LUDB's own resolution (1716 units/mV on lead I), not re-quantised to 1 uV:
    # the very same samples, so the annotation store sees the same record
    assert record.leads[0].adc_per_mv == again.leads[0].adc_per_mv == 1716.0
    np.testing.assert_array_equal(again.signals, record.signals)
    assert record_key(again) == record_key(record)
    assert sorted(again.annotations, key=lambda a: (a.lead, a.sample)) == \
        sorted(record.annotations, key=lambda a: (a.lead, a.sample))
    assert again.patient.is_empty  # de-identified by default


def test_multi_segment_record(tmp_path):
    for name, value in (("seg1", 0.5), ("seg2", -0.5)):
        wfdb.wrsamp(name, fs=250, units=["mV"], sig_name=["II"], p_signal=np.full((500, 1), value),
                    fmt=["16"], adc_gain=[200], baseline=[0], write_dir=str(tmp_path))
    (tmp_path / "multi.hea").write_text("multi/2 1 250 1000\nseg1 500\nseg2 500\n")
    record = read_ecg(tmp_path / "multi")
    assert record.signals.shape == (1, 1000)
    assert record.signals[0, 10] == pytest.approx(0.5) and record.signals[0, 900] == pytest.approx(-0.5)
    assert record.source.detail.startswith("multi-segment")
