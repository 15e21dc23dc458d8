"""Dialogs of annotation work: choose or create the annotator, a record's history, the keys.

* :class:`ProfileDialog` lists the store's annotators and creates a new profile (id, name,
  role); switching user is always this explicit step.
* :class:`HistoryDialog` shows who changed what on the open record, when, before -> after.
* :class:`ShortcutSheet` lists every key of the window, from the same tables that bind them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6 import QtCore, QtWidgets

from workstation.store import Annotator, Role


class ProfileDialog(QtWidgets.QDialog):
    """Pick an existing annotator or create one; ``chosen()`` is (id, name, role, is_new)."""

    def __init__(self, annotators: Sequence[Annotator], current: str | None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Switch user")
        self.setMinimumWidth(420)
        box = QtWidgets.QVBoxLayout(self)
        box.addWidget(QtWidgets.QLabel("Every correction is saved under the signed-in annotator's "
                                       "name and signed with their key from this computer's keyring."))
        self.list = QtWidgets.QListWidget()
        for person in annotators:
            item = QtWidgets.QListWidgetItem(f"{person.name}  ({person.id}, {person.role.value})")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, person.id)
            self.list.addItem(item)
            if person.id == current:
                self.list.setCurrentItem(item)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        box.addWidget(self.list)
        group = QtWidgets.QGroupBox("New profile")
        form = QtWidgets.QFormLayout(group)
        self.new_id = QtWidgets.QLineEdit()
        self.new_id.setPlaceholderText("short id, e.g. jdoe")
        self.new_name = QtWidgets.QLineEdit()
        self.new_name.setPlaceholderText("full name, e.g. Dr Jane Doe")
        self.new_role = QtWidgets.QComboBox()
        self.new_role.addItems([r.value for r in Role])
        form.addRow("Id", self.new_id)
        form.addRow("Name", self.new_name)
        form.addRow("Role", self.new_role)
        box.addWidget(group)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)

    def chosen(self) -> tuple[str, str, Role, bool] | None:
        """What the user picked: a new profile when its id is filled in, else the selected one."""
        new_id = self.new_id.text().strip()
        if new_id:
            name = self.new_name.text().strip() or new_id
            return new_id, name, Role(self.new_role.currentText()), True
        item = self.list.currentItem()
        if item is None:
            return None
        return str(item.data(QtCore.Qt.ItemDataRole.UserRole)), "", Role.ANNOTATOR, False


class HistoryDialog(QtWidgets.QDialog):
    """A record's history from the store's audit log (read-only)."""

    def __init__(self, entries: Iterable, title: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History — {title}")
        self.resize(900, 420)
        box = QtWidgets.QVBoxLayout(self)
        self.table = QtWidgets.QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["When (UTC)", "Who", "Set", "What (before -> after)"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        for entry in entries:
            row = self.table.rowCount()
            self.table.insertRow(row)
            values = (entry.at[:19].replace("T", " "), entry.who,
                      "" if entry.set_id is None else str(entry.set_id), entry.text)
            for col, value in enumerate(values):
                self.table.setItem(row, col, QtWidgets.QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        box.addWidget(self.table)
        if self.table.rowCount() == 0:
            box.addWidget(QtWidgets.QLabel("No history: this record has not been annotated in this store."))
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        box.addWidget(close)


class ShortcutSheet(QtWidgets.QDialog):
    """Every key of the window in one table: menu shortcuts and the paper's editing keys."""

    def __init__(self, rows: Sequence[tuple[str, str, str]], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 720)
        box = QtWidgets.QVBoxLayout(self)
        self.table = QtWidgets.QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Where", "Key", "Does"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        box.addWidget(self.table)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        box.addWidget(close)
