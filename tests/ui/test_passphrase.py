"""Annotating on a computer without an OS keyring: the welcome screen asks for a passphrase.

No OS keyring is installed (the keyring library's fail backend); the key file is a real file in
the test's folder, encrypted with real scrypt and AES-GCM.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6 import QtCore, QtWidgets

from workstation.store import identity
from workstation.store.key_file import KEY_FILE_ENV, KeyFile
from workstation.ui.main_window import MainWindow
from workstation.ui.passphrase_dialog import PassphraseDialog

PASSPHRASE = "correct horse battery"


@pytest.fixture(autouse=True)
def no_os_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    path = tmp_path / "signing-keys.json"
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    monkeypatch.delenv(identity.PASSPHRASE_ENV, raising=False)
    monkeypatch.delenv(identity.KEYRING_ENV, raising=False)
    monkeypatch.delenv("ECGWS_STORE", raising=False)
    identity.lock_key_file()
    yield path
    identity.lock_key_file()
    identity.set_passphrase_prompt(None)


def make_window(qtbot, tmp_path: Path, settings: QtCore.QSettings) -> MainWindow:
    settings.setValue("store/path", str(tmp_path / "first.sqlite"))
    window = MainWindow(modal_errors=False, background_loading=False, settings=settings)
    window.set_state(dataclasses.replace(window.state, auto_delineate=False))
    qtbot.addWidget(window)
    window.show()
    return window


def answer_dialogs(answers: list[Callable[[PassphraseDialog], None]], seen: list[PassphraseDialog]) -> None:
    """Answer each passphrase dialog, as it opens, with the next of ``answers``."""
    def answer() -> None:
        dialog = QtWidgets.QApplication.activeModalWidget()
        if not isinstance(dialog, PassphraseDialog):
            QtCore.QTimer.singleShot(20, answer)  # not open yet
            return
        seen.append(dialog)
        answers.pop(0)(dialog)
        if answers:
            QtCore.QTimer.singleShot(20, answer)

    QtCore.QTimer.singleShot(20, answer)


def typed(passphrase: str, repeat: str | None = None) -> Callable[[PassphraseDialog], None]:
    def fill(dialog: PassphraseDialog) -> None:
        dialog.passphrase.setText(passphrase)
        dialog.repeat.setText(passphrase if repeat is None else repeat)
        dialog.snapshot = (dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled(),
                           dialog.error.text())
        dialog.accept()
    return fill


def cancelled(dialog: PassphraseDialog) -> None:
    dialog.reject()


def test_welcome_screen_creates_a_profile_in_a_new_key_file(qtbot, tmp_path, settings, no_os_keyring) -> None:
    window = make_window(qtbot, tmp_path, settings)
    welcome = window.offer_first_run()
    assert "passphrase" in welcome.findChild(QtWidgets.QLabel).text()
    welcome.name.setText("Dr Ana Ruiz")
    welcome.open_after.setChecked(False)
    seen: list[PassphraseDialog] = []
    answer_dialogs([typed(PASSPHRASE)], seen)
    welcome.accept()
    assert len(seen) == 1 and seen[0].creating
    assert window.corrections.user is not None and window.corrections.user.id == "dr.ana.ruiz"
    assert KeyFile.unlock(no_os_keyring, PASSPHRASE).get("dr.ana.ruiz")


def test_wrong_passphrase_is_said_in_the_dialog_and_asked_once_per_session(
        qtbot, tmp_path, settings, no_os_keyring) -> None:
    from workstation.store import AnnotationStore, Role

    KeyFile.unlock(no_os_keyring, PASSPHRASE)  # made on an earlier day
    window = make_window(qtbot, tmp_path, settings)
    seen: list[PassphraseDialog] = []
    answer_dialogs([typed("incorrect horse battery"), typed(PASSPHRASE)], seen)
    assert window.sign_in("ann1", "Annotator One", Role.ANNOTATOR, new=True)
    assert [d.creating for d in seen] == [False, False]
    assert "Wrong passphrase" in seen[1].snapshot[1]  # the second dialog says why it asks again
    assert window.corrections.user.id == "ann1"
    # the key file stays unlocked for the rest of the session: no more dialogs
    assert window.sign_in("ann2", "Annotator Two", Role.ANNOTATOR, new=True)
    assert len(seen) == 2
    with AnnotationStore.open(tmp_path / "first.sqlite") as store:
        assert {a.id for a in store.annotators()} == {"ann1", "ann2"}


def test_cancelling_keeps_the_welcome_screen_with_a_wrapped_reason(qtbot, tmp_path, settings,
                                                                    no_os_keyring) -> None:
    window = make_window(qtbot, tmp_path, settings)
    welcome = window.offer_first_run()
    welcome.name.setText("Dr Ana Ruiz")
    width = welcome.width()
    seen: list[PassphraseDialog] = []
    answer_dialogs([cancelled], seen)
    welcome.accept()
    assert len(seen) == 1 and welcome.isVisible() and window.corrections.user is None
    assert "no passphrase was given" in welcome.error.text()
    QtWidgets.QApplication.processEvents()
    assert welcome.width() <= max(width, 700)  # the reason wraps instead of widening the dialog
    assert not no_os_keyring.exists()


def test_new_passphrases_must_match_and_be_long_enough(qtbot, tmp_path) -> None:
    dialog = PassphraseDialog(tmp_path / "keys.json", creating=True)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    dialog.passphrase.setText("short")
    assert not ok.isEnabled() and "At least 8" in dialog.error.text()
    dialog.passphrase.setText(PASSPHRASE)
    dialog.repeat.setText(PASSPHRASE + "!")
    assert not ok.isEnabled() and "differ" in dialog.error.text()
    dialog.repeat.setText(PASSPHRASE)
    assert ok.isEnabled() and dialog.error.text() == ""
