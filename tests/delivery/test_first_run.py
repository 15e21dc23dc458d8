"""The first-run screen creates a real profile in a real store (signing secret in a file-backed
keyring), saves the settings the main window reads, and asks for the sample."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6 import QtCore, QtWidgets

from resources import sample_ecg_path
from tests.store.file_keyring import use_file_keyring
from workstation.store import AnnotationStore, Role
from workstation.store.identity import KEYRING_SERVICE
from workstation.ui.first_run import FirstRunDialog, needs_first_run, suggest_id


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path):
    path = tmp_path / "keyring.json"
    use_file_keyring(path)
    yield path
    keyring.set_keyring(keyring.backends.fail.Keyring())


@pytest.fixture
def settings(tmp_path: Path) -> QtCore.QSettings:
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


def test_suggested_ids_are_valid_store_ids() -> None:
    assert suggest_id("  Dr. Ana Ruiz-López ") == "dr.ana.ruiz-lopez"
    assert suggest_id("ann_1@ward") == "ann_1@ward"


def test_creates_profile_saves_settings_and_opens_the_sample(qtbot, settings, tmp_path) -> None:
    assert needs_first_run(settings)
    dialog = FirstRunDialog(settings)
    qtbot.addWidget(dialog)
    store_file = tmp_path / "site" / "annotations.sqlite"
    dialog.store.setText(str(store_file))
    ok = dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.name, "Dr Ana Ruiz")
    assert dialog.user_id.text() == "dr.ana.ruiz" and ok.isEnabled()
    dialog.role.setCurrentIndex(dialog.role.findData(Role.ADJUDICATOR))
    created, opened = [], []
    dialog.profile_created.connect(created.append)
    dialog.open_sample.connect(opened.append)
    qtbot.mouseClick(ok, QtCore.Qt.MouseButton.LeftButton)
    assert created == ["dr.ana.ruiz"] and opened == [sample_ecg_path()]
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    with AnnotationStore.open(store_file) as store:
        person = store.annotator("dr.ana.ruiz")
    assert person.name == "Dr Ana Ruiz" and person.role is Role.ADJUDICATOR
    assert keyring.get_password(KEYRING_SERVICE, "dr.ana.ruiz")
    assert not needs_first_run(settings)
    assert settings.value("store/path") == str(store_file)


def test_keyring_refusal_is_shown_and_nothing_is_saved(qtbot, settings, tmp_path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    dialog = FirstRunDialog(settings)
    qtbot.addWidget(dialog)
    dialog.store.setText(str(tmp_path / "annotations.sqlite"))
    qtbot.keyClicks(dialog.name, "Ana")
    with qtbot.assertNotEmitted(dialog.profile_created):
        dialog.accept()
    assert "keyring" in dialog.error.text()
    assert dialog.result() != QtWidgets.QDialog.DialogCode.Accepted
    assert needs_first_run(settings)


def test_first_run_renders(qtbot, settings, tmp_path) -> None:
    dialog = FirstRunDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    image = dialog.grab()
    assert image.width() > 300
    image.save(str(tmp_path / "first-run.png"))
