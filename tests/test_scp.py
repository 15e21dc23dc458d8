"""SCP-ECG reader: the four real files, synthetic files for the paths they lack, and damage.

The synthetic records are built here with a small writer (CRCs, pointers, a Huffman encoder)
so that custom Huffman tables with table switching, first differences, reference beat
subtraction, staggered lead ranges and bimodal compression are all exercised.
"""

from __future__ import annotations

import binascii
import datetime as dt
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import shared_path
from workstation.core.record import MAX_ABS_MV, check_plausible
from workstation.io import scp
from workstation.io.errors import ECGReadError
from workstation.io.registry import read_ecg

EXAMPLE = ("formats", "scp_ecg", "ecgtoolkit_Example.scp")
CONTEC = ("formats", "scp_ecg", "contec_0000050.ECG.scp")
CONTEC_EDF = ("formats", "edf", "contec_0000050.ECG.edf")


# -- a minimal SCP-ECG writer for synthetic records -----------------------------------------
def crc(data: bytes) -> int:
    return binascii.crc_hqx(data, 0xFFFF)


def section(sid: int, body: bytes) -> bytes:
    header = struct.pack("<HIBB6s", sid, 16 + len(body), 20, 20, b"SCPECG" if sid == 0 else bytes(6))
    return struct.pack("<H", crc(header + body)) + header + body


def build_record(sections: dict[int, bytes]) -> bytes:
    """A complete record: section 0 with pointers for 0-11 (and any others), then the sections."""
    ids = sorted(set(range(12)) | set(sections))
    length0 = 16 + 10 * len(ids)
    pointers, blobs, index = [(0, length0, 7)], [], 7 + length0
    for sid in ids[1:]:
        if sid in sections:
            blob = section(sid, sections[sid])
            pointers.append((sid, len(blob), index))
            blobs.append(blob)
            index += len(blob)
        else:
            pointers.append((sid, 0, 0))
    body = section(0, b"".join(struct.pack("<HII", *p) for p in pointers)) + b"".join(blobs)
    sized = struct.pack("<I", 6 + len(body)) + body
    return struct.pack("<H", crc(sized)) + sized


def leads_section(ranges: list[tuple[int, int, int]], flags: int = 0x04) -> bytes:
    return bytes([len(ranges), flags]) + b"".join(struct.pack("<IIB", *r) for r in ranges)


def samples_section(streams: list[bytes], avm: int = 5000, interval: int = 2000,
                    difference: int = 0, bimodal: int = 0) -> bytes:
    lengths = struct.pack(f"<{len(streams)}H", *(len(s) for s in streams))
    return struct.pack("<HHBB", avm, interval, difference, bimodal) + lengths + b"".join(streams)


def int16(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype="<i2").tobytes()


def reversed_bits(code: str) -> int:
    return int(code[::-1], 2)


#: Two custom tables. Table 1: 0, +-1, a 16-bit escape and a switch to table 2;
#: table 2: a 12-bit escape and a switch back. (prefix, total, mode, value, code)
TABLE_1 = [(1, 1, 1, 0, "0"), (3, 3, 1, 1, "100"), (3, 3, 1, -1, "101"),
           (3, 19, 1, 0, "110"), (3, 3, 0, 2, "111")]
TABLE_2 = [(1, 13, 1, 0, "0"), (1, 1, 0, 1, "1")]


def huffman_section(tables: list[list[tuple]]) -> bytes:
    out = struct.pack("<H", len(tables))
    for table in tables:
        out += struct.pack("<H", len(table))
        for prefix, total, mode, value, code in table:
            out += struct.pack("<BBBhI", prefix, total, mode, value, reversed_bits(code))
    return out


def encode_custom(values: np.ndarray) -> bytes:
    """Encode with TABLE_1/TABLE_2, switching to table 2 for every run of mid-size values."""
    bits, table = [], 1
    for v in (int(x) for x in values):
        small = -1 <= v <= 1
        if not small and -2048 <= v < 2048:
            if table == 1:
                bits.append("111")
                table = 2
            bits.append("0" + format(v & 0xFFF, "012b"))
            continue
        if table == 2:
            bits.append("1")
            table = 1
        bits.append({0: "0", 1: "100", -1: "101"}.get(v) or "110" + format(v & 0xFFFF, "016b"))
    stream = "".join(bits)
    stream += "0" * (-len(stream) % 8)
    return int(stream, 2).to_bytes(len(stream) // 8, "big") if stream else b""


def ecg_like(n: int, fs: float, seed: int) -> np.ndarray:
    """An integer test signal (units of 5 uV) with spikes, waves and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fs
    beat = 300 * np.exp(-((t % 0.8) - 0.3) ** 2 / 2e-4) + 60 * np.sin(2 * np.pi * 0.7 * t)
    return np.round(beat + rng.normal(0, 3, n)).astype(np.int64)


def write(tmp_path: Path, data: bytes, name: str = "synthetic.scp") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- the real files -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def example():
    return read_ecg(shared_path(*EXAMPLE))


def test_example_signal(example):
    assert example.signals.shape == (12, 5000) and example.fs == 500
    # stored as I, II, V1-V6, III, aVR, aVL, aVF; presented in clinical order
    assert example.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF",
                                  "V1", "V2", "V3", "V4", "V5", "V6")
    # the stored III, aVR, aVL, aVF obey Einthoven/Goldberger: decoding is exact
    np.testing.assert_allclose(example.lead("III"), example.lead("II") - example.lead("I"), atol=1e-6)
    np.testing.assert_allclose(example.lead("aVF"), example.lead("II") - example.lead("I") / 2,
                               atol=0.0025)
    peak = np.abs(example.signals).max()
    assert 0.5 < peak < 5 and "second differences" in example.source.detail
    assert "default table" in example.source.detail


def test_example_context(example):
    assert example.patient.patient_id == "SBJ-123" and example.patient.name == "Clark"
    assert example.patient.birth_date == "1953-05-08" and example.patient.sex == "M"
    assert example.acquisition.time == dt.datetime(2002, 11, 22, 9, 10, 0)
    assert example.acquisition.device == "ECGConversion ELI250"


def test_example_median_beats_and_section7(example):
    medians = example.median_beats
    assert medians is not None and medians.signals.shape == (12, 599) and medians.fs == 500
    assert medians.leads == example.lead_names
    values = {m.name: (m.value, m.unit) for m in example.device_report.measurements}
    assert values == {"P duration": (102, "ms"), "PR": (148, "ms"), "QRS": (120, "ms"),
                      "QT": (420, "ms"), "QTc": (443, "ms"), "P axis": (44, "deg"),
                      "QRS axis": (-61, "deg"), "T axis": (86, "deg")}
    fiducials = {f.kind: f.sample for f in example.device_report.fiducials if f.on_median}
    # section 7 gives ms from the start of the reference beat; 500 Hz -> ms / 2
    assert fiducials == {"P onset": 143, "P offset": 194, "QRS onset": 217,
                         "QRS offset": 277, "T offset": 427}


def test_contec_agrees_with_its_edf_twin():
    edfio = pytest.importorskip("edfio")
    record = read_ecg(shared_path(*CONTEC))
    edf = edfio.read_edf(shared_path(*CONTEC_EDF))
    assert record.fs == edf.signals[0].sampling_frequency == 800
    assert record.lead_names == tuple(s.label for s in edf.signals)
    # the converter capped the 16-bit byte count: 32767 of the 37855 samples are stored
    assert record.n_samples == 32767 and "37855" in record.source.detail
    twin = np.array([s.data[:record.n_samples] for s in edf.signals])
    # the EDF maps the same integers onto +-1000 mV (2000/65535 mV per unit); SCP says 5 uV
    edf_units = np.round((twin - 1000 / 65535) / (2000 / 65535))
    np.testing.assert_array_equal(edf_units, np.round(record.signals / 0.005))
    lead_ii, twin_ii = record.lead("II"), twin[1]
    assert np.corrcoef(lead_ii, twin_ii)[0, 1] > 0.9999
    lags = np.arange(-40, 41)
    xcorr = [np.dot(lead_ii[100:-100], np.roll(twin_ii, k)[100:-100]) for k in lags]
    assert lags[int(np.argmax(xcorr))] == 0  # same sample clock, no offset
    assert 0.3 < np.abs(lead_ii).max() < 3  # 5 uV/unit gives a physiological R wave
    assert not record.signals[6:].any()  # chest electrodes were not connected
    # the device records II and III; the converter derived I = II - III in integers
    np.testing.assert_allclose(record.lead("I"), record.lead("II") - record.lead("III"), atol=1e-6)
    assert record.acquisition.time == dt.datetime(2020, 11, 16, 21, 44, 39)


@pytest.mark.parametrize("name", ["healforce_62.SCP", "healforce_63.SCP"])
def test_healforce_variant(name):
    record = read_ecg(shared_path("formats", "scp_ecg", name))
    assert record.signals.shape == (3, 4500) and record.fs == 150  # 30 s
    assert record.lead_names == ("I", "II", "III") and "Healforce" in record.source.detail
    peak_ii = np.abs(record.lead("II")).max()
    assert 0.5 < peak_ii < 3
    residual = record.lead("I") + record.lead("III") - record.lead("II")
    assert np.sqrt(np.mean(residual ** 2)) < 0.3 * np.sqrt(np.mean(record.lead("II") ** 2))
    assert record.patient.patient_id == "00000"
    assert record.acquisition.time.date() == dt.date(2019, 8, 8)


def test_healforce_with_damage_is_refused(tmp_path):
    data = bytearray(shared_path("formats", "scp_ecg", "healforce_62.SCP").read_bytes())
    data[600] ^= 0x10  # inside the rhythm data: the file checksum no longer matches
    with pytest.raises(ECGReadError, match="0-based"):
        read_ecg(write(tmp_path, bytes(data), "damaged.SCP"))


# -- synthetic records: the paths the real files lack ---------------------------------------
def test_custom_huffman_tables_with_switching_and_first_differences(tmp_path):
    signal = [ecg_like(2000, 500, seed) for seed in (1, 2)]
    diffs = [np.diff(s, prepend=0) for s in signal]
    diffs[0][10:12] = (3000, -3000)  # a 15 mV spike: the 16-bit escape of table 1
    signal[0] = np.cumsum(diffs[0])
    data = build_record({
        2: huffman_section([TABLE_1, TABLE_2]),
        3: leads_section([(1, 2000, 1), (1, 2000, 2)]),
        6: samples_section([encode_custom(d) for d in diffs], difference=1),
    })
    record = read_ecg(write(tmp_path, data))
    np.testing.assert_allclose(record.signals, np.vstack(signal) * 0.005, atol=1e-5)
    assert "custom tables" in record.source.detail and "first differences" in record.source.detail


def test_reference_beat_subtraction_is_undone(tmp_path):
    fs, n, ref_len = 500, 3000, 300
    reference = np.round(400 * np.exp(-((np.arange(ref_len) - 150) / 8.0) ** 2)).astype(np.int64)
    fiducials = [400, 1200, 2000, 2700]
    truth = ecg_like(n, fs, 3) // 4
    residual, qrs = truth.copy(), b""
    for fc in fiducials:  # zone: the whole reference beat, its sample 151 on fiducial fc (1-based)
        residual[fc - 151:fc - 151 + ref_len] -= reference
        qrs += struct.pack("<HIII", 0, fc - 150, fc, fc - 150 + ref_len - 1)
    data = build_record({
        3: leads_section([(1, n, 2)], flags=0x04 | 1),
        4: struct.pack("<HHH", ref_len * 1000 // fs, 151, len(fiducials)) + qrs,
        5: samples_section([int16(reference)]),
        6: samples_section([int16(residual)]),
    })
    record = read_ecg(write(tmp_path, data))
    np.testing.assert_allclose(record.lead("II"), truth * 0.005, atol=1e-5)
    assert record.median_beats.signals.shape == (1, ref_len)
    beats = [f.sample for f in record.device_report.fiducials if not f.on_median]
    assert beats == [fc - 1 for fc in fiducials]


def test_staggered_leads_are_nan_outside_their_range(tmp_path):
    a, b = ecg_like(1000, 500, 4), ecg_like(1000, 500, 5)
    data = build_record({3: leads_section([(1, 1000, 1), (501, 1500, 2)], flags=0),
                         6: samples_section([int16(a), int16(b)])})
    record = read_ecg(write(tmp_path, data))
    assert record.signals.shape == (2, 1500)
    assert np.isnan(record.lead("I")[1000:]).all() and np.isnan(record.lead("II")[:500]).all()
    np.testing.assert_allclose(record.lead("II")[500:], b * 0.005, atol=1e-5)


def test_statements_from_sections_8_and_11(tmp_path):
    header = struct.pack("<BHBBBBB", 0, 2024, 1, 2, 3, 4, 5)
    s8 = header + bytes([1]) + struct.pack("<BH", 1, 14) + b"Sinus rhythm\0\0"
    s11 = header + bytes([1]) + struct.pack("<BH", 1, 12) + b"\x02Normal ECG\0"
    data = build_record({3: leads_section([(1, 1000, 1)]),
                         6: samples_section([int16(ecg_like(1000, 500, 6))]), 8: s8, 11: s11})
    record = read_ecg(write(tmp_path, data))
    assert record.device_report.statements == ("Sinus rhythm", "Normal ECG")


def test_bimodal_compression_is_refused_with_a_message(tmp_path):
    data = build_record({3: leads_section([(1, 1000, 1)]),
                         6: samples_section([int16(ecg_like(1000, 500, 7))], bimodal=1)})
    with pytest.raises(ECGReadError, match="bimodal compression"):
        read_ecg(write(tmp_path, data))


def test_unknown_lead_codes_keep_a_descriptive_name(tmp_path):
    data = build_record({3: leads_section([(1, 1000, 9), (1, 1000, 200)]),
                         6: samples_section([int16(ecg_like(1000, 500, 8))] * 2)})
    record = read_ecg(write(tmp_path, data))
    assert record.lead_names == ("V7", "SCP lead code 200")


# -- damage ---------------------------------------------------------------------------------
def test_bad_file_crc_alone_is_read_with_a_warning(tmp_path):
    data = bytearray(shared_path(*EXAMPLE).read_bytes())
    data[0] ^= 0xFF
    record = read_ecg(write(tmp_path, bytes(data)))
    assert record.signals.shape == (12, 5000) and "file CRC mismatch" in record.source.detail


@pytest.mark.parametrize("damage, message", [
    (lambda d: d[:20000], "truncated"),
    (lambda d: d[:-1], "truncated"),
    (lambda d: d[:5000] + bytes([d[5000] ^ 0x40]) + d[5001:], "CRC mismatch in section"),
    (lambda d: d[:30] + b"\xff\xff" + d[32:], "pointer"),  # section 0's own pointer
    (lambda d: d[:2] + struct.pack("<I", 50) + d[6:], "does not fit"),  # record size field
])
def test_damaged_copies_are_refused(tmp_path, damage, message):
    data = damage(shared_path(*EXAMPLE).read_bytes())
    with pytest.raises(ECGReadError, match=message):
        read_ecg(write(tmp_path, data))


def test_garbled_structure_with_valid_crcs_is_refused(tmp_path):
    # section 3 declares more leads than its bytes hold, with every CRC recomputed
    data = build_record({3: bytes([5, 0x04]) + struct.pack("<IIB", 1, 1000, 1),
                         6: samples_section([int16(ecg_like(1000, 500, 9))])})
    with pytest.raises(ECGReadError, match="section 3 declares 5 leads"):
        read_ecg(write(tmp_path, data))


def test_not_sniffed_as_scp(tmp_path):
    assert not scp.sniff(tmp_path / "x.scp", b"0       " + bytes(300))
    assert not scp.sniff(tmp_path / "x.bin", bytes(64))


@pytest.fixture(scope="module")
def example_data() -> bytes:
    return shared_path(*EXAMPLE).read_bytes()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 34143), st.integers(1, 255)), min_size=1, max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 34143)))
def test_mutated_example_is_read_plausibly_or_refused(tmp_path, example_data, edits, cut):
    data = bytearray(example_data)
    for pos, xor in edits:
        data[pos] ^= xor
    if cut is not None:
        del data[cut:]
    path = write(tmp_path, bytes(data), "mutated.scp")
    try:
        record = read_ecg(path)
    except ECGReadError as exc:
        assert path.name in str(exc) and "\n" not in str(exc)
        return
    assert check_plausible(record) == []
    assert record.signals.dtype == np.float32 and record.signals.shape == (record.n_leads, record.n_samples)
    assert np.nanmax(np.abs(record.signals)) <= MAX_ABS_MV


def refresh_crcs(data: bytes) -> bytes:
    """Recompute every CRC a damaged copy still points at, so the damage reaches the decoder."""
    buf = bytearray(data)
    if len(buf) < 32:
        return bytes(buf)
    (length0,) = struct.unpack_from("<I", buf, 10)
    for pos in range(22, min(6 + length0, len(buf) - 9), 10):
        _, length, index = struct.unpack_from("<HII", buf, pos)
        if length >= 16 and index >= 1 and index - 1 + length <= len(buf):
            buf[index - 1:index + 1] = struct.pack("<H", crc(bytes(buf[index + 1:index - 1 + length])))
    if 6 + length0 <= len(buf) and length0 >= 16:
        buf[6:8] = struct.pack("<H", crc(bytes(buf[8:6 + length0])))
    (size,) = struct.unpack_from("<I", buf, 2)
    if size <= len(buf):
        buf[0:2] = struct.pack("<H", crc(bytes(buf[2:size])))
    return bytes(buf)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.one_of(st.integers(0, 4000), st.integers(0, 34143)),
                                st.integers(1, 255)), min_size=1, max_size=4))
def test_damage_behind_valid_crcs_raises_only_clear_errors(tmp_path, example_data, edits):
    """With the CRCs forged, the damage reaches every parser: it may only raise ValueError.

    The reader is called directly, because the registry turns any exception into
    ECGReadError and would hide an IndexError or struct.error here.
    """
    data = bytearray(example_data)
    for pos, xor in edits:
        data[pos] ^= xor
    path = write(tmp_path, refresh_crcs(bytes(data)), "forged.scp")
    try:
        record = scp.read(path)
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert record.signals.shape == (record.n_leads, record.n_samples)
