"""Dialogs of the main window, built by functions so that tests can inspect them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6 import QtWidgets

#: The product's name, in window titles and in the dialogs that speak for the window.
APP_TITLE = "ECG Workstation"
#: File-dialog filter: every format the readers know, then all files.
OPEN_FILTER = (
    "ECG files (*.hea *.xml *.dcm *.scp *.edf *.csv *.txt *.json);;"
    "WFDB header (*.hea);;XML (*.xml);;DICOM (*.dcm);;SCP-ECG (*.scp);;EDF (*.edf);;"
    "CSV (*.csv *.txt);;All files (*)"
)


def wrappable(text: str) -> str:
    """``text`` with a break opportunity after each path separator, so a long path wraps in a label."""
    return text.replace("/", "/\u200b").replace("\\", "\\\u200b")


def error_box(parent: QtWidgets.QWidget | None, message: str, *,
              title: str = "Cannot open ECG") -> QtWidgets.QMessageBox:
    """A warning box with the reader's one-line message (not yet shown)."""
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(title)
    box.setInformativeText(message)
    box.setStandardButtons(QtWidgets.QMessageBox.StandardButton.Ok)
    return box


def show_error_box(parent: QtWidgets.QWidget, message: str, *, title: str,
                   modal: bool = True) -> QtWidgets.QMessageBox:
    """Show :func:`error_box`: window-modal, or modeless (for tests) when ``modal`` is False."""
    box = error_box(parent, message, title=title)
    if modal:
        box.open()
    else:
        box.setModal(False)
        box.show()
    return box


def ask_choice(parent: QtWidgets.QWidget | None, title: str, text: str,
               choices: Sequence[tuple[str, QtWidgets.QMessageBox.ButtonRole]], *,
               icon: QtWidgets.QMessageBox.Icon = QtWidgets.QMessageBox.Icon.Question) -> int | None:
    """Ask with one button per choice (plus Cancel); the index chosen, None when cancelled."""
    box = QtWidgets.QMessageBox(icon, title, text, parent=parent)
    buttons = [box.addButton(label, role) for label, role in choices]
    box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    return next((i for i, b in enumerate(buttons) if b is clicked), None)


def ask_open_path(parent: QtWidgets.QWidget | None, start_dir: str = "") -> Path | None:
    """The file the user picks in a standard open dialog, or None when cancelled."""
    name, _ = QtWidgets.QFileDialog.getOpenFileName(parent, "Open ECG", start_dir, OPEN_FILTER)
    return Path(name) if name else None


def choose_dropped_file(paths: Sequence[Path]) -> Path | None:
    """The file to open from a drop: a WFDB header wins over its data files; else the first."""
    if not paths:
        return None
    headers = [p for p in paths if p.suffix.lower() == ".hea"]
    if headers:
        return headers[0]
    first = paths[0]
    sibling = first.with_suffix(".hea")
    if first.suffix.lower() == ".dat" and sibling.exists():
        return sibling
    return first
