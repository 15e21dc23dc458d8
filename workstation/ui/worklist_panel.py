"""The worklist dock: a folder's ECGs sorted by triage urgency and confidence.

A folder is imported in a worker thread (read, delineate, apply the rules, file by file) with
a progress bar and a Cancel button; rows appear sorted as they arrive. Enter (or a double
click) opens a case, N opens the next unreviewed one, R marks the open one reviewed.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from rules.types import Triage
from workstation.review.worklist import (
    ReviewStatus,
    WorklistEntry,
    WorklistFilter,
    distinct_names,
    next_index,
    ordered,
    with_status,
)
from workstation.ui.findings_panel import TRIAGE_TEXT

COLUMNS = ("Record", "Triage", "Confidence", "Review", "Status", "Main flags", "Quality")


def analyse_file(path: Path) -> WorklistEntry:
    """Read, delineate and analyse one file (run in the worker); errors become the entry's."""
    from workstation.io import ECGReadError, read_ecg
    from rules.analysis import analyze_recording

    try:
        record = read_ecg(path)
    except ECGReadError as exc:
        return WorklistEntry(path, error=exc.problem)
    try:
        from inference import delineate

        delineation = delineate(record)
    except Exception:  # noqa: BLE001 - rules still run on rate and rhythm without the model
        delineation = None
    return WorklistEntry(path, analysis=analyze_recording(record, delineation))


class _ImportSignals(QtCore.QObject):
    entry = QtCore.Signal(int, object, int, int)  # import id, WorklistEntry, done, total
    finished = QtCore.Signal(int)


class _ImportTask(QtCore.QRunnable):
    def __init__(self, import_id: int, folder: Path, signals: _ImportSignals,
                 cancel: threading.Event) -> None:
        super().__init__()
        self._id, self._folder, self._signals, self._cancel = import_id, folder, signals, cancel

    def run(self) -> None:
        from workstation.io import iter_ecg_files

        files = list(iter_ecg_files(self._folder))
        for done, path in enumerate(files, start=1):
            if self._cancel.is_set():
                break
            self._signals.entry.emit(self._id, analyse_file(path), done, len(files))
        self._signals.finished.emit(self._id)


class WorklistPanel(QtWidgets.QDockWidget):
    """Dock with the sorted worklist; ``open_requested(path)`` asks the window to open a case."""

    open_requested = QtCore.Signal(object)  # Path

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Worklist", parent)
        self.setObjectName("worklistDock")
        self.entries: list[WorklistEntry] = []
        self.filter = WorklistFilter()
        self._shown: list[WorklistEntry] = []
        self._import_id = 0
        self._cancel = threading.Event()
        self._signals = _ImportSignals(self)
        self._signals.entry.connect(self._on_entry)
        self._signals.finished.connect(self._on_finished)
        self._pool = QtCore.QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self.setWidget(self._build())

    # -- construction -------------------------------------------------------------------
    def _build(self) -> QtWidgets.QWidget:
        self.triage_box = QtWidgets.QComboBox()
        self.triage_box.addItem("All categories", None)
        for triage in reversed(list(Triage)):
            self.triage_box.addItem(TRIAGE_TEXT[triage][0], triage)
        self.review_only = QtWidgets.QCheckBox("Review only")
        self.hide_reviewed = QtWidgets.QCheckBox("Hide reviewed")
        self.search = QtWidgets.QLineEdit(placeholderText="Filter by name or flag")
        for signal in (self.triage_box.currentIndexChanged, self.review_only.toggled,
                       self.hide_reviewed.toggled, self.search.textChanged):
            signal.connect(self._on_filter)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        QtGui.QShortcut(QtGui.QKeySequence("Return"), self.table, lambda: self.open_row(self.table.currentRow()))
        self.progress = QtWidgets.QProgressBar()
        self.progress.hide()
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_import)
        self.cancel_button.hide()
        filters = QtWidgets.QHBoxLayout()
        for widget in (self.triage_box, self.review_only, self.hide_reviewed, self.search):
            filters.addWidget(widget)
        progress = QtWidgets.QHBoxLayout()
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.cancel_button)
        body = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(body)
        box.addLayout(filters)
        box.addLayout(progress)
        box.addWidget(self.table, 1)
        return body

    # -- importing ----------------------------------------------------------------------
    def import_folder(self, folder: Path, *, background: bool = True) -> None:
        """Replace the worklist with ``folder``'s ECGs, analysed in a worker thread."""
        self.cancel_import()
        self._cancel = threading.Event()
        self._import_id += 1
        self.entries = []
        self._refresh()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        task = _ImportTask(self._import_id, Path(folder), self._signals, self._cancel)
        if background:
            self._pool.start(task)
        else:
            task.run()

    def cancel_import(self) -> None:
        self._cancel.set()

    def wait(self, msecs: int = 600_000) -> bool:
        return self._pool.waitForDone(msecs)

    def _on_entry(self, import_id: int, entry: WorklistEntry, done: int, total: int) -> None:
        if import_id != self._import_id:
            return
        self.entries.append(entry)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"Analysed {done} of {total}")
        self._refresh()

    def _on_finished(self, import_id: int) -> None:
        if import_id == self._import_id:
            self.progress.hide()
            self.cancel_button.hide()

    # -- review -------------------------------------------------------------------------
    def open_row(self, row: int) -> None:
        if 0 <= row < len(self._shown):
            self._set_status(self._shown[row].path, ReviewStatus.IN_REVIEW)
            self.open_requested.emit(self._shown[row].path)

    def open_next(self) -> None:
        """Open the next case not yet reviewed, in worklist order."""
        current = max(self.table.currentRow(), -1)
        i = next_index(self._shown, current) if self._shown else None
        if i is not None:
            self.table.selectRow(i)
            self.open_row(i)

    def open_previous(self) -> None:
        """Open the case above the current one in worklist order (reviewed or not)."""
        current = self.table.currentRow()
        if current > 0:
            self.table.selectRow(current - 1)
            self.open_row(current - 1)

    def mark_reviewed(self, path: Path) -> None:
        self._set_status(path, ReviewStatus.REVIEWED)

    def _set_status(self, path: Path, status: ReviewStatus) -> None:
        self.entries = [with_status(e, status) if e.path == path else e for e in self.entries]
        self._refresh()

    # -- showing ------------------------------------------------------------------------
    def _on_filter(self, *_args) -> None:  # noqa: ANN002
        self.filter = WorklistFilter(self.triage_box.currentData(), self.review_only.isChecked(),
                                     self.hide_reviewed.isChecked(), self.search.text())
        self._refresh()

    def _refresh(self) -> None:
        selected = self._shown[self.table.currentRow()].path if 0 <= self.table.currentRow() < len(self._shown) else None
        self._shown = [e for e in ordered(self.entries) if self.filter.accepts(e)]
        self.table.setRowCount(len(self._shown))
        names = distinct_names(e.path for e in self.entries)  # same stem: folder and format tell them apart
        for r, entry in enumerate(self._shown):
            for c, (text, colour) in enumerate(_cells(entry, names[entry.path])):
                item = QtWidgets.QTableWidgetItem(text)
                if colour:
                    item.setForeground(QtGui.QColor(colour))
                if c == 0:
                    item.setToolTip(str(entry.path))
                self.table.setItem(r, c, item)
            if entry.path == selected:
                self.table.selectRow(r)
        self.table.resizeColumnsToContents()


def _cells(entry: WorklistEntry, name: str) -> list[tuple[str, str | None]]:
    if entry.analysis is None:
        return [(name, None), ("unreadable", "#b3122e"), ("", None), ("yes", None),
                (entry.status.value, None), (entry.error or "", "#b3122e"), ("", None)]
    _, colour = TRIAGE_TEXT[entry.analysis.routing.triage]
    text = entry.analysis.routing.label
    return [(name, None), (text, colour), (f"{entry.confidence:.2f}", None),
            ("yes" if entry.review else "no", None), (entry.status.value, None),
            (entry.main_flags(), None), (entry.quality(), None)]
