"""The passphrase of the key file of signing secrets, asked for once per session.

Used where the computer has no OS keyring (or ``$ECGWS_KEYRING=file``): the store calls
:func:`ask_passphrase` (installed with :func:`install`) when a secret is first needed, as an
OS keyring would show its own unlock prompt. A wrong passphrase is said inside the dialog,
which is asked again; cancelling leaves the window read-only with the reason.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6 import QtCore, QtWidgets

from workstation.store import identity
from workstation.store.key_file import MIN_PASSPHRASE
from workstation.ui.dialogs import wrappable


class PassphraseDialog(QtWidgets.QDialog):
    """Asks for the key file's passphrase; when ``creating``, for a new one, twice.

    Parameters
    ----------
    key_file
        The file the passphrase opens (shown, so the user knows what to copy between computers).
    creating
        No key file yet: the passphrase chosen now protects a new one.
    problem
        What went wrong with the last attempt (a wrong passphrase), or None.
    """

    def __init__(self, key_file: Path, creating: bool, problem: str | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.creating = creating
        self.setWindowTitle("Signing key passphrase")
        self.setObjectName("passphrase")
        self.setMinimumWidth(460)
        self.setMaximumWidth(640)  # long paths wrap instead of widening the dialog off screen
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(_wrapped(_explanation(key_file, creating)))
        form = QtWidgets.QFormLayout()
        self.passphrase = _secret_field()
        form.addRow("Passphrase", self.passphrase)
        self.repeat = _secret_field()
        if creating:
            form.addRow("Repeat it", self.repeat)
        layout.addLayout(form)
        self._problem = (problem or "")[:1].upper() + (problem or "")[1:]
        self.error = _wrapped(self._problem)
        self.error.setStyleSheet("color: #b30000")
        layout.addWidget(self.error)
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for field in (self.passphrase, self.repeat):
            field.textChanged.connect(self._update_ok)
        self._update_ok()

    def _update_ok(self) -> None:
        """OK once a passphrase is typed; a new one must be long enough and typed twice alike."""
        text = self.passphrase.text()
        if self.creating and text and len(text) < MIN_PASSPHRASE:
            hint = f"At least {MIN_PASSPHRASE} characters."
        elif self.creating and self.repeat.text() and self.repeat.text() != text:
            hint = "The two passphrases differ."
        else:
            hint = ""
        ok = bool(text) and not hint and (not self.creating or self.repeat.text() == text)
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        self.error.setText(hint or self._problem)


def ask_passphrase(key_file: Path, creating: bool, problem: str | None) -> str | None:
    """The passphrase typed in a :class:`PassphraseDialog`, or None when cancelled."""
    dialog = PassphraseDialog(key_file, creating, problem, QtWidgets.QApplication.activeWindow())
    typed: list[str] = []
    # kept as it is accepted: a window closing meanwhile takes its child dialog with it
    dialog.accepted.connect(lambda: typed.append(dialog.passphrase.text()))
    dialog.exec()
    if shiboken6.isValid(dialog):
        shiboken6.delete(dialog)  # at once: a dialog left for later would stay the active window
    return typed[0] if typed else None


def install() -> None:
    """Ask with :func:`ask_passphrase` whenever the key file must be unlocked in this process."""
    identity.set_passphrase_prompt(ask_passphrase)


def _explanation(key_file: Path, creating: bool) -> str:
    lead = ("Your signing key is kept in " if identity.os_keyring_available()
            else "This computer has no OS keyring, so your signing key is kept in ")
    where = f"a key file protected by a passphrase:<br><tt>{wrappable(str(key_file))}</tt><br>"
    if creating:
        return (lead + where + f"Choose a passphrase of at least {MIN_PASSPHRASE} characters. It is "
                "asked for once per session and cannot be recovered: without it, your signatures "
                "cannot be made or checked here.")
    return lead + where + "Enter its passphrase (asked for once per session)."


def _wrapped(text: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)  # the path
    return label


def _secret_field() -> QtWidgets.QLineEdit:
    field = QtWidgets.QLineEdit()
    field.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
    return field
