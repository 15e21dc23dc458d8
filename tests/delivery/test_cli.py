"""``ecgws interop``, ``ecgws report`` and ``ecgws --self-test`` as a user runs them."""

from __future__ import annotations

import json

import pydicom
import pytest

from resources import sample_ecg_path
from workstation.cli import main


@pytest.mark.parametrize("fmt, suffix", [("hl7", ".hl7"), ("fhir", ".json"), ("dicom", ".dcm"),
                                         ("aecg", ".xml")])
def test_interop_writes_each_format(fmt: str, suffix: str, tmp_path, capsys) -> None:
    out = tmp_path / f"sample{suffix}"
    assert main(["interop", str(sample_ecg_path()), "--to", fmt, "--out", str(out),
                 "--no-model", "--reviewer", "Dr Who"]) == 0
    assert out.is_file() and out.stat().st_size > 100
    assert f"wrote {out}" in capsys.readouterr().out
    if fmt == "fhir":
        assert json.loads(out.read_text())["resourceType"] == "Observation"
    if fmt == "dicom":
        assert pydicom.dcmread(out).OperatorsName == "Dr^Who"


def test_interop_into_a_folder_uses_the_record_name(tmp_path) -> None:
    assert main(["interop", str(sample_ecg_path()), "--to", "hl7", "--out", str(tmp_path),
                 "--no-model"]) == 0
    assert (tmp_path / "ludb_2.hl7").read_bytes().startswith(b"MSH|^~\\&|ECGWS")


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys) -> None:
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(b"not an ecg")
    assert main(["interop", str(bad), "--to", "fhir", "--out", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "broken.dcm" in err[0]
    assert not (tmp_path / "x.json").exists()


def test_report_command_writes_a_pdf(qapp, tmp_path) -> None:
    out = tmp_path / "r.pdf"
    assert main(["report", str(sample_ecg_path()), "--out", str(out), "--no-model"]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"


def test_self_test_passes_and_names_its_steps(qapp, capsys) -> None:
    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    assert "self-test passed" in out
    for step in ("read the bundled sample", "delineate", "evaluate the rules", "PDF report",
                 "export"):
        assert step in out


def test_self_test_names_the_failing_step(monkeypatch, capsys) -> None:
    import inference

    def broken(record):  # noqa: ANN001, ANN202
        raise RuntimeError("weights unreadable")

    monkeypatch.setattr(inference, "delineate", broken)
    assert main(["--self-test"]) == 1
    out = capsys.readouterr().out
    assert "FAILED at step 'delineate (shipped model)'" in out and "weights unreadable" in out


def test_export_without_a_working_model_warns_and_says_so(monkeypatch, tmp_path, capsys) -> None:
    import inference

    def broken(record):  # noqa: ANN001, ANN202
        raise RuntimeError("weights unreadable")

    monkeypatch.setattr(inference, "delineate", broken)
    out = tmp_path / "x.json"
    assert main(["interop", str(sample_ecg_path()), "--to", "fhir", "--out", str(out)]) == 0
    assert "warning:" in capsys.readouterr().err
    assert "none (rate from a QRS detector)" in json.loads(out.read_text())["method"]["text"]


def test_report_from_a_fresh_process_without_a_qt_application(tmp_path) -> None:
    import os
    import subprocess
    import sys

    out = tmp_path / "fresh.pdf"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "workstation.cli", "report", str(sample_ecg_path()),
                           "--out", str(out), "--no-model"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
