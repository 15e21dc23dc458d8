"""The window takes the preferences, offers the first-run screen, and prints the report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6 import QtCore

from tests.store.file_keyring import use_file_keyring
from workstation.io import read_ecg
from workstation.ui.app import sample_path
from workstation.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path):
    use_file_keyring(tmp_path / "keyring.json")
    yield
    keyring.set_keyring(keyring.backends.fail.Keyring())


def make_window(qtbot, tmp_path, settings, **kwargs) -> MainWindow:
    window = MainWindow(modal_errors=False, background_loading=False, settings=settings, **kwargs)
    window.set_state(dataclasses.replace(window.state, auto_delineate=False))
    qtbot.addWidget(window)
    window.show()
    return window


def test_preferred_paper_filters_and_qtc_formula_are_applied(qtbot, tmp_path, settings) -> None:
    settings.setValue("paper/speed_mm_s", "50")
    settings.setValue("paper/gain_mm_mv", "20")
    settings.setValue("filters/notch_hz", "60")
    settings.setValue("rules/qtc_formula", "bazett")
    window = make_window(qtbot, tmp_path, settings, store_path=tmp_path / "a.sqlite")
    assert window.state.paper.speed_mm_s == 50 and window.state.paper.gain_mm_mv == 20
    assert window.state.conditioning.notch_hz == 60
    assert window.actions["view.speed.50"].isChecked()
    assert window.ruleset is not None and window.ruleset.qtc_formula.value == "bazett"


def test_first_run_creates_the_profile_and_signs_in(qtbot, tmp_path, settings, monkeypatch) -> None:
    monkeypatch.delenv("ECGWS_STORE")
    settings.setValue("store/path", str(tmp_path / "first.sqlite"))
    window = make_window(qtbot, tmp_path, settings)
    dialog = window.offer_first_run()
    assert dialog is not None and dialog.isVisible()
    dialog.name.setText("Dr Ana Ruiz")
    dialog.open_after.setChecked(False)
    dialog.accept()
    assert window.corrections.user is not None and window.corrections.user.id == "dr.ana.ruiz"
    assert window.corrections.store_path == tmp_path / "first.sqlite"
    assert window.offer_first_run() is None  # only once


def test_report_of_the_open_record_is_written_as_pdf(qtbot, tmp_path, settings) -> None:
    window = make_window(qtbot, tmp_path, settings, store_path=tmp_path / "a.sqlite")
    window.show_record(read_ecg(sample_path()))
    path = window.save_report(tmp_path / "report.pdf")
    assert path is not None and path.read_bytes().startswith(b"%PDF")
    assert window.actions["file.print"].isEnabled()


def test_switching_the_delineation_model(qtbot, tmp_path, settings) -> None:
    import inference

    window = make_window(qtbot, tmp_path, settings, store_path=tmp_path / "a.sqlite")
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not weights")
    assert not window.use_model(bad)
    assert "not a usable delineation model" in window.last_error_box.informativeText()
    assert window.use_model(None)
    assert inference.active_model().name == inference.set_active_model(None).name
    assert settings.value("model/path") == ""


@pytest.mark.parametrize("kind", ["hl7", "fhir", "dicom", "aecg"])
def test_hospital_exports_from_the_window(qtbot, tmp_path, settings, kind) -> None:
    window = make_window(qtbot, tmp_path, settings, store_path=tmp_path / "a.sqlite")
    window.show_record(read_ecg(sample_path()))
    path = window.export_for_hospital(kind, tmp_path / f"out.{kind}")
    assert path is not None and path.stat().st_size > 0
    if kind in ("dicom", "aecg"):  # our own readers take them back
        assert read_ecg(path).n_leads == 12
