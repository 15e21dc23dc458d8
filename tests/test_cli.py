"""``ecgws`` subcommands: info, convert, error reporting, help."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, shared_path
from workstation.cli import main
from workstation.io import read_ecg


def test_every_subcommand_has_help(capsys):
    for sub in ("open", "info", "convert"):
        assert main([sub, "--help"]) == 0
        assert "Usage: ecgws " + sub in capsys.readouterr().out


def test_info_text_and_json(capsys):
    assert main(["info", str(FIXTURES / "ludb" / "1")]) == 0
    out = capsys.readouterr().out
    assert "WFDB" in out and "500 Hz" in out and "10.00 s" in out
    assert "withheld" in out  # patient fields are not printed by default
    assert main(["info", "--json", str(FIXTURES / "ludb" / "1.hea")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["leads"][:2] == ["I", "II"] and summary["fs_hz"] == 500


def test_info_folder_reports_bad_files_and_exits_non_zero(tmp_path, capsys):
    shutil.copytree(FIXTURES / "ludb", tmp_path / "ludb")
    (tmp_path / "broken.hea").write_text("broken 12 500 5000\nbroken.dat 16 200 16 0 0 0 0 I\n")
    status = main(["info", "--json", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 2
    assert [json.loads(line)["path"].endswith("1.hea") for line in captured.out.splitlines()] == [True]
    error_lines = captured.err.strip().splitlines()
    assert len(error_lines) == 1 and "broken.hea" in error_lines[0]


def test_info_reads_every_shared_format_file(capsys):
    folder = shared_path("formats")
    status = main(["info", "--json", str(folder)])
    captured = capsys.readouterr()
    formats = {json.loads(line)["format"] for line in captured.out.splitlines()}
    assert {"DICOM waveform", "EDF", "WFDB"} <= formats
    assert status in (0, 2)  # non-compliant files may be refused, each with a one-line reason
    for line in captured.err.strip().splitlines():
        assert line.startswith("error: ") and str(folder) in line


def test_convert_to_wfdb_keeps_annotations(tmp_path, capsys):
    assert main(["convert", str(FIXTURES / "ludb" / "1.hea"), str(tmp_path / "out" / "rec")]) == 0
    assert "12 annotation files" in capsys.readouterr().out
    copy = read_ecg(tmp_path / "out" / "rec")
    assert copy.n_leads == 12 and len(copy.annotations) == len(read_ecg(FIXTURES / "ludb" / "1").annotations)


def test_convert_dicom_into_a_folder(tmp_path):
    from pydicom.data import get_testdata_file

    assert main(["convert", get_testdata_file("waveform_ecg.dcm"), str(tmp_path)]) == 0
    copy = read_ecg(tmp_path / "waveform_ecg.hea")
    assert copy.fs == 1000 and copy.n_samples == 10000


def test_console_script_prints_one_line_error_and_fails(tmp_path):
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"\x00\x01 not an ecg at all")
    done = subprocess.run([sys.executable, "-m", "workstation.cli", "info", str(garbage)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "garbage.xml: not a recognised ECG format" in done.stderr
