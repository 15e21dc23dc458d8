"""The main window: banner, paper, device report, menus; it routes gestures and shows state.

The window holds the open record and the :class:`ViewState`. Every menu entry either
replaces the state (and everything is redrawn from it) or runs a named command. Files are
read off the GUI thread; a bad file shows the reader's message and the window carries on.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.delineation import Delineation
from workstation.core.layout import CaliperMeasurement, available_kinds
from workstation.core.record import ECGRecord
from workstation.ui.actions import ACTIONS, ActionSpec, build_actions, populate_menus, sync_actions
from workstation.ui.banner import PatientBanner
from workstation.ui.delineation_runner import DelineationRunner, RecordJobRunner
from workstation.ui.device_panel import DevicePanel
from workstation.ui.findings_panel import FindingsPanel
from workstation.ui.worklist_panel import WorklistPanel
from workstation.ui.dialogs import ask_open_path, choose_dropped_file, error_box
from workstation.ui.loader import RecordLoader
from workstation.ui.paper import PaperView
from workstation.ui.paper_items import caliper_text
from workstation.ui.paper_text import format_time
from workstation.ui.state import ViewState, describe_conditioning
from workstation.ui.summary import banner_content, status_fields

APP_TITLE = "ECG Workstation"


class MainWindow(QtWidgets.QMainWindow):
    """The reading window.

    Parameters
    ----------
    modal_errors
        Show read errors window-modal (normal use); False shows them modeless, for tests.
    background_loading
        Read files in a worker thread (normal use); False reads them in the caller.
    """

    record_shown = QtCore.Signal(object)  # ECGRecord
    load_failed = QtCore.Signal(str)

    def __init__(self, *, modal_errors: bool = True, background_loading: bool = True,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = ViewState()
        self.record: ECGRecord | None = None
        self.delineation: Delineation | None = None
        self.analysis = None  # rules.analysis.Analysis of the open record, when done
        self.modal_errors = modal_errors
        self.background_loading = background_loading
        self.last_error_box: QtWidgets.QMessageBox | None = None
        self.banner = PatientBanner()
        self.paper = PaperView()
        self.device_panel = DevicePanel(self)
        self.loader = RecordLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.delineator = DelineationRunner(self)
        self.delineator.finished.connect(self._on_delineated)
        self.delineator.failed.connect(self._on_delineation_failed)
        self.analyser = RecordJobRunner(_analyse, self)
        self.analyser.finished.connect(self._on_analysed)
        self.analyser.failed.connect(self._on_analysis_failed)
        self.findings = FindingsPanel(self)
        self.findings.flag_selected.connect(self._highlight_flag)
        self.worklist = WorklistPanel(self)
        self.worklist.open_requested.connect(self.open_path)
        self._build_body()
        self._build_actions()
        self._build_status_bar()
        self.paper.caliper_measured.connect(self._on_caliper)
        self.paper.view_moved.connect(self._show_position)
        self.setAcceptDrops(True)
        self.resize(1600, 1000)
        self.refresh()

    # -- construction -------------------------------------------------------------------
    def _build_body(self) -> None:
        body = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(body)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.banner)
        box.addWidget(self.paper, 1)
        self.setCentralWidget(body)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.findings)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.device_panel)
        self.tabifyDockWidget(self.findings, self.device_panel)
        self.device_panel.hide()
        self.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.worklist)
        self.worklist.hide()

    def _build_actions(self) -> None:
        self._commands = {
            "open": self.open_dialog, "open_sample": self.open_sample, "quit": self.close,
            "fit": self.paper.fit, "actual_size": self.actual_size,
            "delineate": self.delineate, "open_worklist_dialog": self.open_worklist_dialog,
            "next_case": self.worklist.open_next, "mark_reviewed": self.mark_reviewed,
        }
        self.actions = build_actions(ACTIONS, self, self.trigger)
        self.toolbar = self.addToolBar("Main")
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        populate_menus(self.menuBar(), self.toolbar, ACTIONS, self.actions)
        view_menu = next(m for m in self.menuBar().findChildren(QtWidgets.QMenu)
                         if m.title() == "&View")
        view_menu.addAction(self.findings.toggleViewAction())
        view_menu.addAction(self.worklist.toggleViewAction())
        view_menu.addAction(self.device_panel.toggleViewAction())

    def _build_status_bar(self) -> None:
        self.status_labels = [QtWidgets.QLabel() for _ in range(5)]
        self.position_label = QtWidgets.QLabel()
        for label in self.status_labels + [self.position_label]:
            label.setContentsMargins(6, 0, 6, 0)
            self.statusBar().addPermanentWidget(label)

    # -- commands -----------------------------------------------------------------------
    def trigger(self, spec: ActionSpec) -> None:
        """Run a menu entry: a state transition or a named command."""
        if spec.update is not None:
            self.set_state(spec.update(self.state))
        elif spec.command is not None:
            self._commands[spec.command]()

    def trigger_key(self, key: str) -> None:
        """Trigger the action ``key`` as a click would (used by tests and scripts)."""
        self.actions[key].trigger()

    def set_state(self, state: ViewState) -> None:
        self.state = state
        self.refresh()

    def open_dialog(self) -> None:
        path = ask_open_path(self)
        if path is not None:
            self.open_path(path)

    def open_worklist_dialog(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Open a folder of ECGs")
        if folder:
            self.open_worklist(Path(folder))

    def open_worklist(self, folder: Path, *, background: bool | None = None) -> None:
        """Analyse every ECG in ``folder`` in the background and list them by urgency."""
        self.worklist.show()
        self.worklist.import_folder(folder, background=self.background_loading if background is None else background)

    def mark_reviewed(self) -> None:
        if self.record is not None:
            self.worklist.mark_reviewed(self.record.source.path)
            self.statusBar().showMessage(f"Marked {self.record.source.path.name} reviewed", 5000)

    def open_sample(self) -> None:
        from workstation.ui.app import sample_path  # app imports this module

        self.open_path(sample_path())

    def open_path(self, path: Path, *, background: bool | None = None) -> None:
        """Read ``path`` (in a worker unless told otherwise); the result arrives as a signal."""
        self.statusBar().showMessage(f"Reading {Path(path).name} …")
        self.loader.load(Path(path), background=self.background_loading if background is None else background)

    def actual_size(self) -> None:
        """Zoom so that one paper millimetre is one millimetre on this screen."""
        # Qt 6 gives the physical density in device-independent pixels, the unit of the view.
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        self.paper.set_px_per_mm(screen.physicalDotsPerInch() / 25.4)

    # -- showing ------------------------------------------------------------------------
    def show_record(self, record: ECGRecord) -> None:
        """Show ``record`` (already read); delineate it in the background if so set."""
        self.record = record
        self.delineation = None
        self.delineator.cancel()
        self.analysis = None
        self.analyser.cancel()
        self.findings.show_analysis(None, pending="Waiting for the delineation …"
                                    if self.state.auto_delineate else "Not analysed (Ctrl+L).")
        self.refresh()
        self.paper.setFocus()  # keys go to the paper, not to whatever had focus
        self.statusBar().clearMessage()
        self.record_shown.emit(record)
        if self.state.auto_delineate:
            self.delineate()

    def delineate(self) -> None:
        """Run the delineation model on the open record, off the GUI thread."""
        if self.record is None:
            return
        self.statusBar().showMessage("Delineating P, QRS and T …")
        self.delineator.start(self.record, background=self.background_loading)

    def show_delineation(self, delineation: Delineation | None) -> None:
        """Overlay ``delineation`` (found on the open record) on the paper."""
        self.delineation = delineation
        self.paper.set_delineation(delineation if self.state.show_waves else None)

    def refresh(self) -> None:
        """Redraw everything from the record and the state."""
        record, state = self.record, self.state
        self.paper.show_record(record, state)
        self.paper.set_delineation(self.delineation if state.show_waves else None)
        self.paper.set_caliper_enabled(state.caliper)
        available = None if record is None else available_kinds(record.leads)
        sync_actions(ACTIONS, self.actions, state, available)
        if record is None:
            self.banner.show_content(None)
            self.setWindowTitle(APP_TITLE)
            return
        filters = describe_conditioning(state.conditioning)
        self.banner.show_content(banner_content(record, deidentify=state.deidentified,
                                                display_filters=filters))
        fields = status_fields(record, deidentify=state.deidentified)
        for label, text in zip(self.status_labels, fields, strict=True):
            label.setText(text)
        self.device_panel.setVisible(self.device_panel.show_record(record, deidentify=state.deidentified))
        self.findings.raise_()
        name = "" if state.deidentified else f" — {record.source.path.name}"
        self.setWindowTitle(APP_TITLE + name)
        self._show_position()

    def show_error(self, message: str) -> QtWidgets.QMessageBox:
        """Show a read error; window-modal normally, modeless when ``modal_errors`` is False."""
        box = error_box(self, message)
        self.last_error_box = box
        if self.modal_errors:
            box.open()
        else:
            box.setModal(False)
            box.show()
        return box

    def _on_loaded(self, path: Path, record: ECGRecord) -> None:
        self.show_record(record)

    def _on_failed(self, path: Path, message: str) -> None:
        self.statusBar().clearMessage()
        self.show_error(message)
        self.load_failed.emit(message)

    def analyse(self) -> None:
        """Run the rules on the open record and its delineation (None: rate and rhythm only)."""
        if self.record is None:
            return
        self.findings.show_analysis(None, pending="Measuring and applying the rules …")
        d = self.delineation
        self.analyser.start(self.record, background=self.background_loading,
                            fn=lambda record: _analyse(record, d))

    def _on_analysed(self, record: ECGRecord, analysis, seconds: float) -> None:  # noqa: ANN001
        if record is self.record:
            self.analysis = analysis
            self.findings.show_analysis(analysis)

    def _on_analysis_failed(self, record: ECGRecord, message: str) -> None:
        if record is self.record:
            self.findings.show_analysis(None, pending=f"The rules could not run: {message}")

    def _highlight_flag(self, flag) -> None:  # noqa: ANN001 - rules.flag.Flag or None
        if flag is None or self.analysis is None:
            self.paper.highlight_finding(())
            return
        from rules.analysis import beat_span

        beats = self.analysis.measurements.beats
        ranges = tuple(beat_span(beats[i]) for i in flag.beats if 0 <= i < len(beats))
        leads = flag.leads or tuple(self.record.lead_names if self.record else ())
        self.paper.highlight_finding(leads, ranges)

    def _on_delineated(self, record: ECGRecord, delineation: Delineation, seconds: float) -> None:
        if record is not self.record:
            return
        self.show_delineation(delineation)
        self.analyse()
        n = len(delineation.waves)
        self.statusBar().showMessage(
            f"Delineated {n} waves in {seconds * 1000:.0f} ms "
            f"({delineation.model_name} {delineation.model_version})", 10_000)

    def _on_delineation_failed(self, record: ECGRecord, message: str) -> None:
        if record is self.record:
            self.statusBar().showMessage(f"No delineation: {message}", 20_000)
            self.analyse()  # the rules run even when the model cannot

    def _on_caliper(self, m: CaliperMeasurement) -> None:
        self.statusBar().showMessage("Caliper: " + caliper_text(m))

    def _show_position(self) -> None:
        if self.record is None or not self.paper.strip:
            self.position_label.setText("")
            return
        t0, t1 = self.paper.visible_seconds()
        start = self.record.acquisition.time
        self.position_label.setText(f"Showing {format_time(t0, start)} – {format_time(t1, start)}")

    # -- drag and drop ------------------------------------------------------------------
    def dragEnterEvent(self, ev: QtGui.QDragEnterEvent) -> None:
        if _local_paths(ev.mimeData()):
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dragMoveEvent(self, ev: QtGui.QDragMoveEvent) -> None:
        if _local_paths(ev.mimeData()):
            ev.acceptProposedAction()

    def dropEvent(self, ev: QtGui.QDropEvent) -> None:
        path = choose_dropped_file(_local_paths(ev.mimeData()))
        if path is None:
            ev.ignore()
            return
        ev.acceptProposedAction()
        self.open_path(path)

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        self.loader.wait(5000)
        self.delineator.wait(30_000)
        self.analyser.wait(30_000)
        self.worklist.cancel_import()
        self.worklist.wait(30_000)
        super().closeEvent(ev)


def _local_paths(mime: QtCore.QMimeData) -> list[Path]:
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def _analyse(record: ECGRecord, delineation: Delineation | None = None):  # noqa: ANN202
    """The rules over ``record`` (imported in the worker: the window opens without them)."""
    from rules.analysis import analyze_recording

    return analyze_recording(record, delineation)
