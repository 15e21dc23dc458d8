"""``ecgws convert`` without --keep-identity: no staff name written into a device statement leaves."""

from __future__ import annotations

import numpy as np
import wfdb

from workstation.cli import main
from workstation.core.deidentify import REMOVED, remove_names
from workstation.core.record import DeviceReport, ECGRecord, Lead, SourceInfo
from workstation.io.wfdb_io import write

STATEMENTS = ("Sinus rhythm", "Confirmed by Doe, John (123456) on 03/04/2021",
              "Reviewed by: Dr. A. Smith", "Technician: J. Brown", "Referred by DR SMITH")


def record(tmp_path) -> ECGRecord:
    return ECGRecord.from_array(np.zeros((1, 500), np.float32), 500.0, (Lead("II"),),
                                SourceInfo(tmp_path / "in.xml", "test"),
                                device_report=DeviceReport(statements=STATEMENTS))


def test_names_in_statements_are_removed_and_the_reading_kept() -> None:
    cleaned = [remove_names(s) for s in STATEMENTS]
    assert cleaned[0] == "Sinus rhythm"
    assert cleaned[1] == f"Confirmed by {REMOVED} on 03/04/2021"
    assert cleaned[2] == f"Reviewed by: {REMOVED}"
    assert cleaned[3] == f"Technician: {REMOVED}"
    assert cleaned[4] == f"Referred by {REMOVED}"
    assert not any(name in " ".join(cleaned) for name in ("Doe", "John", "123456", "Smith", "Brown"))


def test_the_written_header_has_no_name_unless_identity_is_kept(tmp_path) -> None:
    write(record(tmp_path), tmp_path / "out", "rec")
    comments = " ".join(wfdb.rdheader(str(tmp_path / "out" / "rec")).comments)
    assert "Sinus rhythm" in comments and "Doe" not in comments and "123456" not in comments
    write(record(tmp_path), tmp_path / "kept", "rec", keep_identity=True)
    assert "Confirmed by Doe, John (123456)" in " ".join(wfdb.rdheader(str(tmp_path / "kept" / "rec")).comments)


def test_convert_of_a_device_file_keeps_statements_but_not_names(tmp_path) -> None:
    from pydicom.data import get_testdata_file

    assert main(["convert", get_testdata_file("waveform_ecg.dcm"), str(tmp_path / "rec")]) == 0
    comments = wfdb.rdheader(str(tmp_path / "rec")).comments
    assert any(c.startswith("device statement:") for c in comments)
