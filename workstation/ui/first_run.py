"""The first-run screen: create the annotator profile, then open the sample ECG.

Shown when the settings name no user (:func:`needs_first_run`). The person gives their name,
an id (suggested from the name), their role (annotator, or adjudicator of a panel) and where
the annotation store lives. Accepting creates the profile in the store
(:meth:`AnnotationStore.add_annotator`: its signing secret goes to this computer's keyring),
saves ``user/name`` and ``store/path`` in the settings, emits :attr:`FirstRunDialog.profile_created`
and, when asked, :attr:`FirstRunDialog.open_sample` with the bundled sample's path. Any
failure (store unreadable, keyring refused, bad id) is shown in the dialog, which stays open.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from resources import sample_ecg_path
from workstation.store import AnnotationStore, Role, StoreError, identity
from workstation.store.location import LocationError, is_server, parse_location
from workstation.ui.corrections import SETTINGS_STORE, SETTINGS_USER, settings_store_path
from workstation.ui.dialogs import wrappable

_ID_CHARS = re.compile(r"[^A-Za-z0-9._@-]+")


def needs_first_run(settings: QtCore.QSettings) -> bool:
    """True until a user has been set up on this computer."""
    return not str(settings.value(SETTINGS_USER, "") or "")


def suggest_id(name: str) -> str:
    """"Dr. Ana Ruiz-López" -> "dr.ana.ruiz-lopez": store ids allow letters, digits, . _ @ -."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    dotted = _ID_CHARS.sub(".", ascii_name.strip().lower())
    return re.sub(r"\.{2,}", ".", dotted).strip(".")[:64]


def _key_place() -> str:
    """Where the new profile's signing key will be kept, in the welcome screen's words."""
    if identity.uses_key_file():
        return "a key file protected by a passphrase (you choose it next)"
    return "this computer's keyring"


class FirstRunDialog(QtWidgets.QDialog):
    """Welcome, profile, store; then the sample."""

    profile_created = QtCore.Signal(str)  # the annotator id
    open_sample = QtCore.Signal(Path)  # the bundled sample, when "open it" was checked

    def __init__(self, settings: QtCore.QSettings, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Welcome to ECG Workstation")
        self.setObjectName("first-run")
        layout = QtWidgets.QVBoxLayout(self)
        intro = QtWidgets.QLabel(
            "<b>Set up your annotator profile.</b><br>Your corrections and signatures are "
            f"recorded under this profile. Its signing key is kept in {_key_place()}."
            "<br><i>Decision support - clinician review required.</i>")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QtWidgets.QFormLayout()
        self.name = QtWidgets.QLineEdit()
        self.name.setPlaceholderText("e.g. Dr Ana Ruiz")
        self.user_id = QtWidgets.QLineEdit()
        self.user_id.setPlaceholderText("suggested from the name")
        self.role = QtWidgets.QComboBox()
        self.role.addItem("Annotator", Role.ANNOTATOR)
        self.role.addItem("Adjudicator (resolves a panel's disagreements)", Role.ADJUDICATOR)
        self.store = QtWidgets.QLineEdit(str(settings_store_path(settings)))
        self.store.setToolTip("The SQLite file your corrections are saved in")
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        store_row = QtWidgets.QHBoxLayout()
        store_row.addWidget(self.store, 1)
        store_row.addWidget(browse)
        self.open_after = QtWidgets.QCheckBox("Open the sample ECG when done")
        self.open_after.setChecked(True)
        form.addRow("Your name", self.name)
        form.addRow("Id", self.user_id)
        form.addRow("Role", self.role)
        form.addRow("Annotation store", store_row)
        # a path too long for the screen is also written out in full, wrapped, below the field
        self.store_full = QtWidgets.QLabel()
        self.store_full.setWordWrap(True)
        self.store_full.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.store_full.setStyleSheet("color: #555555")
        form.addRow("", self.store_full)
        self._form = form
        self.store.textChanged.connect(lambda _text: self._fit_store_path())
        layout.addLayout(form)
        layout.addWidget(self.open_after)
        self.error = QtWidgets.QLabel("")
        self.error.setStyleSheet("color: #b30000")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Create profile")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._id_edited = False
        self.name.textChanged.connect(self._suggest)
        self.user_id.textEdited.connect(lambda _text: setattr(self, "_id_edited", True))
        self._update_ok()
        self.name.textChanged.connect(self._update_ok)
        self.user_id.textChanged.connect(self._update_ok)
        self._fit_store_path()

    def _fit_store_path(self) -> None:
        """Wide enough for the whole store path (up to most of the screen), never cut."""
        metrics = self.store.fontMetrics()
        text_px = metrics.horizontalAdvance(self.store.text()) + 4 * metrics.averageCharWidth()
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        limit = int(0.75 * screen.availableGeometry().width()) if screen is not None else 900
        self.store.setMinimumWidth(min(max(text_px, 320), limit))
        self.store.setCursorPosition(0)
        too_long = text_px > limit
        self._form.setRowVisible(self.store_full, too_long)  # no empty gap when it is not needed
        # wrap after each folder: a path has no spaces to break at
        breakable = self.store.text().replace("/", "/\u200b").replace("\\", "\\\u200b")
        self.store_full.setText(breakable if too_long else "")

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Annotation store", self.store.text(), "Annotation store (*.sqlite)",
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.store.setText(path)
            self._fit_store_path()

    def _suggest(self, name: str) -> None:
        if not self._id_edited:
            self.user_id.setText(suggest_id(name))

    def _update_ok(self) -> None:
        ok = bool(self.name.text().strip() and self.user_id.text().strip())
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def accept(self) -> None:
        """Create the profile; stay open with the reason when it cannot be created."""
        name, user_id = self.name.text().strip(), self.user_id.text().strip()
        text = self.store.text().strip()
        try:
            store_path = parse_location(text) if is_server(text) else Path(text).expanduser()
            if isinstance(store_path, Path):
                store_path.parent.mkdir(parents=True, exist_ok=True)
            with AnnotationStore.open(store_path) as store:
                store.add_annotator(user_id, name, self.role.currentData())
        except (StoreError, OSError, LocationError) as exc:  # keyring refusals: IdentityError
            self.error.setText(wrappable(f"The profile could not be created: {exc}"))
            return
        self.settings.setValue(SETTINGS_USER, user_id)
        self.settings.setValue(SETTINGS_STORE, str(store_path))
        self.settings.sync()
        super().accept()
        self.profile_created.emit(user_id)
        if self.open_after.isChecked():
            self.open_sample.emit(sample_ecg_path())
