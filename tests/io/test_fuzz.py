"""Property-based bad input: mangled bytes never crash a reader and never give a wrong signal.

Each example is a real file with bytes flipped, cut or inserted. ``read_ecg`` must either
raise ECGReadError (naming the file) or return a record that passes the plausibility
checks; any other exception is a bug.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from edfio import Edf, EdfSignal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file

from tests.conftest import FIXTURES
from workstation.core.record import MAX_ABS_MV, check_plausible
from workstation.io import ECGReadError, read_ecg
from workstation.io.csv_io import write as write_csv

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def mutations(draw, size: int):
    """A list of (kind, position, byte) edits for a file of ``size`` bytes."""
    n = draw(st.integers(1, 8))
    return [(draw(st.sampled_from(["flip", "cut", "insert", "zero"])),
             draw(st.integers(0, max(0, size - 1))), draw(st.integers(0, 255))) for _ in range(n)]


def mangle(data: bytes, edits) -> bytes:
    buf = bytearray(data)
    for kind, pos, value in edits:
        pos = min(pos, max(0, len(buf) - 1))
        if kind == "flip" and buf:
            buf[pos] ^= value or 0xFF
        elif kind == "cut":
            del buf[pos:]
        elif kind == "insert":
            buf[pos:pos] = bytes([value]) * (1 + value % 7)
        elif kind == "zero" and buf:
            buf[pos:pos + 16] = bytes(len(buf[pos:pos + 16]))
    return bytes(buf)


def assert_refused_or_sound(path: Path) -> None:
    try:
        record = read_ecg(path)
    except ECGReadError as exc:
        assert path.name in str(exc) and "\n" not in str(exc)
        return
    assert check_plausible(record) == []
    data = record.signals
    assert data.dtype == np.float32 and data.shape == (record.n_leads, record.n_samples)
    assert np.nanmax(np.abs(data)) <= MAX_ABS_MV


def _fuzz_file(tmp_path: Path, original: Path, edits, name: str | None = None) -> Path:
    target = tmp_path / (name or original.name)
    target.write_bytes(mangle(original.read_bytes(), edits))
    return target


@FUZZ
@given(edits=mutations(size=290_000))
def test_dicom(tmp_path, edits):
    assert_refused_or_sound(_fuzz_file(tmp_path, Path(get_testdata_file("waveform_ecg.dcm")), edits))


@FUZZ
@given(edits=mutations(size=1_200), target=st.sampled_from(["1.hea", "1.dat"]))
def test_wfdb_header_and_signal(tmp_path, edits, target):
    for part in ("1.hea", "1.dat", "1.ii"):
        shutil.copy(FIXTURES / "ludb" / part, tmp_path / part)
    _fuzz_file(tmp_path, FIXTURES / "ludb" / target, edits)
    assert_refused_or_sound(tmp_path / "1.hea")


@FUZZ
@given(edits=mutations(size=12_000))
def test_edf(tmp_path_factory, tmp_path, edits):
    seed = tmp_path_factory.getbasetemp() / "seed.edf"
    if not seed.exists():
        t = np.arange(2500) / 250
        Edf([EdfSignal(np.sin(2 * np.pi * t), 250, label=name, physical_dimension="mV")
             for name in ("I", "II")]).write(seed)
    assert_refused_or_sound(_fuzz_file(tmp_path, seed, edits, "fuzz.edf"))


@FUZZ
@given(edits=mutations(size=3_000))
def test_csv(tmp_path_factory, tmp_path, edits):
    seed = tmp_path_factory.getbasetemp() / "seed.csv"
    if not seed.exists():
        record = read_ecg(FIXTURES / "ludb" / "1.hea")
        short = type(record).from_array(record.signals[:3, :200], record.fs, record.leads[:3], record.source)
        write_csv(short, seed)
    assert_refused_or_sound(_fuzz_file(tmp_path, seed, edits, "fuzz.csv"))
