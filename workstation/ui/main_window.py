"""The main window: banner, paper, device report, menus; it routes gestures and shows state.

The window holds the open record and the :class:`ViewState`. Every menu entry either
replaces the state (and everything is redrawn from it) or runs a named command. Files are
read off the GUI thread; a bad file shows the reader's message and the window carries on.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.annotation import Boundary, LeadStatus
from workstation.core.commands import ChangeWaveType, DeleteWave, MarkLeadUnreadable, SetGlobalBoundary
from workstation.core.delineation import Delineation, WaveKind
from workstation.core.layout import CaliperMeasurement, available_kinds
from workstation.core.record import ECGRecord
from workstation.ui.actions import (ACTIONS, ActionSpec, build_actions, populate_menus,
                                    shortcut_rows, sync_actions)
from workstation.ui.annotation_panel import AnnotationPanel
from workstation.ui.annotator_dialogs import HistoryDialog, ProfileDialog, ShortcutSheet
from workstation.ui.banner import PatientBanner
from workstation.ui.corrections import SETTINGS_USER, Corrections, settings_store_path
from workstation.ui.delineation_runner import DelineationRunner, RecordJobRunner
from workstation.ui.device_panel import DevicePanel
from workstation.ui.findings_panel import FindingsPanel
from workstation.ui.worklist_panel import WorklistPanel
from workstation.ui.dialogs import ask_choice, ask_open_path, choose_dropped_file, error_box
from workstation.ui.editing import BoundaryEditor
from workstation.ui.loader import RecordLoader
from workstation.ui.paper import PaperView
from workstation.ui.paper_items import caliper_text
from workstation.ui.paper_text import format_time
from workstation.ui.scan_dock import ScanDock
from workstation.ui.preferences import apply_to_view, edit_preferences, load_preferences
from workstation.ui.state import ViewState, describe_conditioning
from workstation.ui.summary import banner_content, status_fields

APP_TITLE = "ECG Workstation"
#: Environment variable naming the annotation store file (overrides the preferences).
STORE_ENV = "ECGWS_STORE"
#: Idle time after a correction before the measurements are recomputed (ms).
REANALYSE_MS = 400
#: Preference key of the delineation model file (empty: the shipped model).
SETTINGS_MODEL = "model/path"


class MainWindow(QtWidgets.QMainWindow):
    """The reading window.

    Parameters
    ----------
    modal_errors
        Show read errors window-modal (normal use); False shows them modeless, for tests.
    background_loading
        Read files in a worker thread (normal use); False reads them in the caller.
    store_path, user
        The annotation store file and the annotator to sign in as; by default from
        ``$ECGWS_STORE`` or the preferences (``settings``), and the last user signed in.
    settings
        Where the preferences live (the application's QSettings by default).
    """

    record_shown = QtCore.Signal(object)  # ECGRecord
    load_failed = QtCore.Signal(str)

    def __init__(self, *, modal_errors: bool = True, background_loading: bool = True,
                 store_path: Path | None = None, user: str | None = None,
                 settings: QtCore.QSettings | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QtCore.QSettings()
        self.preferences = load_preferences(self.settings)
        self.ruleset = None  # rules.ruleset.RuleSet from the preferences; None: the shipped one
        self.first_run_dialog: QtWidgets.QDialog | None = None
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
        if store_path is None:
            env = os.environ.get(STORE_ENV)
            store_path = Path(env) if env else settings_store_path(self.settings)
        if user is None:
            user = str(self.settings.value(SETTINGS_USER, "") or "") or None
        self.corrections = Corrections(store_path, user, self)
        self.corrections.changed.connect(self._on_corrections_changed)
        self.corrections.problem.connect(self._on_correction_problem)
        self.editor = BoundaryEditor(self.paper, self.apply_command)
        self.editor.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.editor.selection_changed.connect(self._on_selection)
        self.editor.context_requested.connect(self._wave_menu)
        self.editor.refused.connect(self.corrections.explain_read_only)
        self.scan_dock = ScanDock(self)
        self.scan_dock.record_corrected.connect(self.show_record)
        self.annotation_panel = AnnotationPanel(self)
        self.annotation_panel.command.connect(self.apply_command)
        self.annotation_panel.request.connect(lambda name: self._commands[name]())
        self.annotation_panel.note_pending.connect(lambda _pending: self._show_saved_state())
        self._reanalyse = QtCore.QTimer(self, singleShot=True, interval=REANALYSE_MS)
        self._reanalyse.timeout.connect(self.analyse)
        self._build_body()
        self._build_actions()
        self._build_status_bar()
        self.paper.caliper_measured.connect(self._on_caliper)
        self.paper.view_moved.connect(self._show_position)
        self.setAcceptDrops(True)
        self.resize(1600, 1000)
        self._apply_preferences(self.preferences, initial=True)
        model = str(self.settings.value(SETTINGS_MODEL, "") or "")
        if model:
            self.use_model(Path(model), quiet=True)

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
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.annotation_panel)
        self.tabifyDockWidget(self.findings, self.annotation_panel)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.scan_dock)
        self.tabifyDockWidget(self.findings, self.scan_dock)
        self.scan_dock.hide()
        self.device_panel.hide()
        self.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.worklist)
        self.worklist.hide()

    def _build_actions(self) -> None:
        self._commands = {
            "open": self.open_dialog, "open_sample": self.open_sample, "quit": self.close,
            "fit": self.paper.fit, "actual_size": self.actual_size,
            "delineate": self.delineate, "open_worklist_dialog": self.open_worklist_dialog,
            "next_case": self.worklist.open_next, "mark_reviewed": self.mark_reviewed,
            "previous_case": self.worklist.open_previous,
            "undo": self.undo, "redo": self.redo,
            "add_p": lambda: self.editor.arm(WaveKind.P),
            "add_qrs": lambda: self.editor.arm(WaveKind.QRS),
            "add_t": lambda: self.editor.arm(WaveKind.T),
            "delete_wave": self.delete_wave,
            "type_p": lambda: self.change_type(WaveKind.P),
            "type_qrs": lambda: self.change_type(WaveKind.QRS),
            "type_t": lambda: self.change_type(WaveKind.T),
            "global_boundary": self.global_boundary,
            "accept_lead": lambda: self.accept_proposal(self.editor.current_lead),
            "accept_record": lambda: self.accept_proposal(None),
            "toggle_unreadable": self.toggle_unreadable,
            "submit": self.submit, "reopen": self.corrections.reopen,
            "history": self.show_history, "switch_user": self.switch_user_dialog,
            "shortcuts": self.show_shortcuts,
            "preferences": self.edit_preferences, "print_report": self.print_report,
            "save_report": self.save_report,
            "dashboard": self.open_dashboard, "adjudicate": self.open_adjudication,
            "choose_model": self.choose_model,
            "export_hl7": lambda: self.export_for_hospital("hl7"),
            "export_fhir": lambda: self.export_for_hospital("fhir"),
            "export_dicom": lambda: self.export_for_hospital("dicom"),
            "export_aecg": lambda: self.export_for_hospital("aecg"),
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
        view_menu.addAction(self.annotation_panel.toggleViewAction())

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
        self.corrections.set_modes(blind=state.blind, hide_proposal=state.hide_proposal)
        self.editor.snap = state.snap
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
        self.editor.select(None)
        self.corrections.attach(record)  # the annotator's own set, when there is one, at once
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
        """Take ``delineation`` (the model's, on the open record) as the proposal and draw.

        What is drawn is the annotator's set when one is open (it starts as a copy of the
        proposal), otherwise the proposal itself.
        """
        if self.record is not None and delineation is not None:
            self.corrections.attach(self.record, delineation)
        self.delineation = self.corrections.display_delineation() or delineation
        self.paper.set_delineation(self.delineation if self.state.show_waves else None)

    def refresh(self) -> None:
        """Redraw everything from the record and the state."""
        record, state = self.record, self.state
        self.paper.show_record(record, state)
        self.paper.set_delineation(self.delineation if state.show_waves else None)
        self.paper.set_caliper_enabled(state.caliper)
        available = None if record is None else available_kinds(record.leads)
        sync_actions(ACTIONS, self.actions, state, available)
        self.editor.set_state(self.corrections.shown_state if record is not None else None,
                              editable=self.corrections.editable)
        if record is None:
            self.banner.show_content(None)
            self.setWindowTitle(APP_TITLE + "[*]")
            self._show_saved_state()
            return
        filters = describe_conditioning(state.conditioning)
        self.banner.show_content(banner_content(record, deidentify=state.deidentified,
                                                display_filters=filters))
        fields = status_fields(record, deidentify=state.deidentified)
        for label, text in zip(self.status_labels, fields, strict=True):
            label.setText(text)
        self.device_panel.setVisible(self.device_panel.show_record(record, deidentify=state.deidentified))
        if self.scan_dock.record is not record:
            self.scan_dock.setVisible(self.scan_dock.show_record(record))
        self.findings.raise_()
        name = "" if state.deidentified else f" — {record.source.path.name}"
        self.setWindowTitle(APP_TITLE + name + "[*]")
        self._show_saved_state()
        self._show_position()

    def show_error(self, message: str, title: str = "Cannot open ECG") -> QtWidgets.QMessageBox:
        """Show an error; window-modal normally, modeless when ``modal_errors`` is False."""
        box = error_box(self, message, title=title)
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
        self._reanalyse.stop()
        d, ruleset = self.delineation, self.ruleset
        self.analyser.start(self.record, background=self.background_loading,
                            fn=lambda record: _analyse(record, d, ruleset))

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

    # -- preferences, first run, reports ---------------------------------------------------
    def edit_preferences(self) -> None:
        prefs = edit_preferences(self.settings, self)
        if prefs is not None:
            self._apply_preferences(prefs)

    def _apply_preferences(self, prefs, *, initial: bool = False) -> None:  # noqa: ANN001 - Preferences
        """Take the preferences: paper and filters, the rules, the store file and the user."""
        from rules.ruleset import RuleSetError

        old = self.preferences
        self.preferences = prefs
        try:
            self.ruleset = prefs.ruleset()
        except RuleSetError as exc:
            self.ruleset = None
            self.show_error(f"{exc}. The shipped rules are used instead.", title="Rule file not used")
        if not initial:
            self._use_store(prefs.store_path or settings_store_path(self.settings))
            if prefs.user and (self.corrections.user is None or prefs.user != self.corrections.user.id):
                self.sign_in(prefs.user)
            if prefs != old and self.record is not None:
                self.analyse()
        self.set_state(apply_to_view(self.state, prefs))

    def offer_first_run(self) -> QtWidgets.QDialog | None:
        """The welcome screen that creates the annotator profile, when no one has signed in yet."""
        from workstation.ui.first_run import FirstRunDialog, needs_first_run

        if not needs_first_run(self.settings) or self.corrections.user is not None:
            return None
        dialog = FirstRunDialog(self.settings, self)
        dialog.profile_created.connect(self._on_profile_created)
        dialog.open_sample.connect(lambda path: self.open_path(path) if self.record is None else None)
        self.first_run_dialog = dialog
        dialog.open()
        return dialog

    def _on_profile_created(self, annotator_id: str) -> None:
        self._use_store(settings_store_path(self.settings))
        self.sign_in(annotator_id)

    def _use_store(self, path: Path) -> None:
        """Switch to the store the preferences name (``$ECGWS_STORE``, when set, wins)."""
        if os.environ.get(STORE_ENV) is None and path != self.corrections.store_path:
            self.corrections.open_store(path)

    def report_case(self):  # noqa: ANN201 - workstation.delivery.case.Case | None
        """The open record as a report sees it: boundaries shown, rules, and who reviewed it."""
        if self.record is None:
            return None
        from workstation.delivery.case import Case, Reviewer, build_case, reviewer_from_store
        from workstation.store import StoreError

        user, info = self.corrections.user, self.corrections.set_info
        reviewer = None
        if info is not None and self.corrections.store is not None:
            try:  # final only when the set is submitted and its signature holds here
                reviewer = reviewer_from_store(self.corrections.store, info.id)
            except StoreError:
                reviewer = None
        if reviewer is None and user is not None:
            reviewer = Reviewer(user.name, user.role.value)
        if self.analysis is not None and not self._reanalyse.isActive():
            return Case(self.record, self.delineation, self.analysis, reviewer)
        return build_case(self.record, self.delineation, reviewer=reviewer, ruleset=self.ruleset)

    def export_for_hospital(self, kind: str, path: Path | None = None) -> Path | None:
        """Write the open record as HL7 v2 ORU^R01, FHIR R4 Observation, DICOM ECG or HL7 aECG."""
        from workstation.delivery import aecg_export, dicom_export, fhir, hl7v2

        writers = {"hl7": (hl7v2.write_hl7v2, "HL7 v2 message (*.hl7)", ".hl7"),
                   "fhir": (fhir.write_fhir, "FHIR JSON (*.json)", ".fhir.json"),
                   "dicom": (dicom_export.write_dicom, "DICOM ECG (*.dcm)", ".dcm"),
                   "aecg": (aecg_export.write_aecg, "HL7 aECG (*.xml)", ".aecg.xml")}
        write, filter_, suffix = writers[kind]
        case = self.report_case()
        if case is None:
            return None
        if path is None:
            name, _ = QtWidgets.QFileDialog.getSaveFileName(
                self, "Export", f"{self.record.source.path.stem}{suffix}", filter_)
            if not name:
                return None
            path = Path(name)
        try:
            written = write(case, path)
        except (OSError, ValueError) as exc:
            self.show_error(f"{path}: {exc}", title="Not exported")
            return None
        state = "final (signed)" if case.final else "preliminary (not signed)"
        self.statusBar().showMessage(f"Exported {state} result to {written}", 8000)
        return written

    def print_report(self) -> None:
        from workstation.ui.report import print_report

        case = self.report_case()
        if case is not None and print_report(case, self):
            self.statusBar().showMessage("Report sent to the printer", 5000)

    def save_report(self, path: Path | None = None) -> Path | None:
        """Write the one-page PDF report (asks where unless ``path`` is given)."""
        from workstation.ui.report import write_pdf

        case = self.report_case()
        if case is None:
            return None
        if path is None:
            name, _ = QtWidgets.QFileDialog.getSaveFileName(
                self, "Save report as PDF", f"{self.record.source.path.stem}-report.pdf", "PDF (*.pdf)")
            if not name:
                return None
            path = Path(name)
        try:
            written = write_pdf(case, path)
        except OSError as exc:
            self.show_error(str(exc), title="Report not saved")
            return None
        self.statusBar().showMessage(f"Report saved to {written}", 8000)
        return written

    # -- the delineation model -------------------------------------------------------------
    def choose_model(self) -> None:
        role = QtWidgets.QMessageBox.ButtonRole
        choice = ask_choice(self, "Delineation model", "Use a fine-tuned model file, or the model "
                            "shipped with the workstation?",
                            [("Choose model file…", role.AcceptRole), ("Shipped model", role.ResetRole)])
        if choice == 1:
            self.use_model(None)
        elif choice == 0:
            name, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Delineation model", "",
                                                            "Model weights (*.pt)")
            if name:
                self.use_model(Path(name))

    def use_model(self, path: Path | None, *, quiet: bool = False) -> bool:
        """Delineate with the model at ``path`` (None: the shipped one) from now on; re-delineate."""
        import inference

        try:
            info = inference.set_active_model(path)
        except Exception as exc:  # noqa: BLE001 - a bad weights file must not take the window down
            message = f"{path}: not a usable delineation model ({exc}); the model is unchanged"
            if quiet:  # at start-up: the shipped model is used, and the status bar says why
                self.settings.remove(SETTINGS_MODEL)
                self.statusBar().showMessage(message, 20_000)
            else:
                self.show_error(message, title="Model not changed")
            return False
        self.settings.setValue(SETTINGS_MODEL, "" if path is None else str(path))
        self.statusBar().showMessage(f"Delineation model: {info.name} {info.version}", 8000)
        if self.record is not None and not quiet:
            self.delineate()
        return True

    # -- panel ----------------------------------------------------------------------------
    def open_dashboard(self, *, background: bool | None = None) -> QtWidgets.QMainWindow | None:
        """The agreement dashboard over this window's annotation store."""
        from workstation.ui.panel_windows import DashboardWindow

        if self.corrections.store is None:
            self.show_error(f"No annotation store: {self.corrections.store_error}",
                            title="Agreement dashboard")
            return None
        window = DashboardWindow(self.corrections.store_path, self,
                                 background=self.background_loading if background is None else background)
        self.panel_window = window
        window.show()
        return window

    def open_adjudication(self) -> QtWidgets.QMainWindow | None:
        """The adjudication panel (the signed-in user must be an adjudicator)."""
        from workstation.store import Role
        from workstation.ui.panel_windows import AdjudicationWindow, record_finder

        user = self.corrections.user
        if self.corrections.store is None or user is None or user.role is not Role.ADJUDICATOR:
            self.show_error("Adjudication needs an adjudicator signed in (Annotate > Switch user).",
                            title="Adjudication")
            return None

        folders = {e.path.parent for e in self.worklist.entries}
        if self.record is not None:
            folders.add(self.record.source.path.parent)
        finder = record_finder(lambda: self.record, sorted(folders))
        window = AdjudicationWindow(self.corrections.store, finder, self)
        self.panel_window = window
        window.show()
        return window

    # -- corrections ----------------------------------------------------------------------
    def apply_command(self, command, merge: bool = False) -> bool:  # noqa: ANN001 - a Command
        """Commit one correction (every gesture ends here); False when refused or not saved."""
        done = self.corrections.execute(command, merge)
        if done:
            self._reanalyse.start()  # measurements follow the corrected boundaries
        return done

    def undo(self) -> None:
        if self.corrections.undo():
            self._reanalyse.start()

    def redo(self) -> None:
        if self.corrections.redo():
            self._reanalyse.start()

    def delete_wave(self) -> None:
        sel, state = self.editor.selection, self.corrections.state
        if sel is None or state is None:
            self.statusBar().showMessage("Select a wave first (click one of its boundaries)", 5000)
            return
        if self.apply_command(DeleteWave.of(state, sel.wave_id)):
            self.editor.select(None)

    def change_type(self, kind: WaveKind) -> None:
        sel, state = self.editor.selection, self.corrections.state
        if sel is None or state is None:
            self.statusBar().showMessage("Select a wave first (click one of its boundaries)", 5000)
            return
        self.apply_command(ChangeWaveType.of(state, sel.wave_id, kind))

    def global_boundary(self) -> None:
        """Put the selected boundary of this beat at the same instant on every lead."""
        sel, state = self.editor.selection, self.corrections.state
        if sel is None or state is None:
            self.statusBar().showMessage("Select a boundary first", 5000)
            return
        command = SetGlobalBoundary.of_beat(state, sel.wave_id, sel.which, sel.position(state))
        if command.is_noop:
            self.statusBar().showMessage("Already at this instant on every lead of the beat", 5000)
            return
        self.apply_command(command)

    def accept_proposal(self, lead: str | None) -> None:
        if self.corrections.accept_proposal(lead):
            self._reanalyse.start()
            where = f"lead {lead}" if lead else "every lead"
            self.statusBar().showMessage(f"Accepted the model's waves on {where}", 5000)

    def toggle_unreadable(self) -> None:
        lead, state = self.editor.current_lead, self.corrections.state
        if lead is None or state is None:
            self.statusBar().showMessage("Click on a lead (or select a boundary) first", 5000)
            return
        unreadable = state.status_of(lead) is not LeadStatus.UNREADABLE
        self.apply_command(MarkLeadUnreadable.of(state, lead, unreadable))

    def submit(self) -> None:
        self.annotation_panel.commit_note()
        if self.corrections.submit():
            self.statusBar().showMessage("Submitted and signed; the set is locked until reopened", 8000)

    def switch_user_dialog(self) -> None:
        dialog = ProfileDialog(self.corrections.annotators(),
                               self.corrections.user.id if self.corrections.user else None, self)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        chosen = dialog.chosen()
        if chosen is not None:
            self.sign_in(*chosen)

    def sign_in(self, annotator_id: str, name: str = "", role=None, new: bool = False) -> bool:  # noqa: ANN001
        """Sign in as ``annotator_id`` (creating the profile when ``new``); remembered for next time."""
        from workstation.store import Role

        self.annotation_panel.commit_note()
        ok = (self.corrections.create_user(annotator_id, name or annotator_id, role or Role.ANNOTATOR)
              if new else self.corrections.switch_user(annotator_id))
        if ok:
            self.settings.setValue(SETTINGS_USER, annotator_id)
            self.statusBar().showMessage(f"Signed in as {annotator_id}", 5000)
        return ok

    def show_history(self) -> None:
        title = self.record.source.path.name if self.record is not None else ""
        HistoryDialog(self.corrections.history(), title, self).open()

    def show_shortcuts(self) -> None:
        ShortcutSheet(shortcut_rows(), self).open()

    def _on_corrections_changed(self) -> None:
        c = self.corrections
        if self.record is not None:
            d = c.display_delineation()
            if d is not None or c.state is not None:
                self.delineation = d
            self.paper.set_delineation(self.delineation if self.state.show_waves else None)
        state = c.state
        self.editor.set_state(c.shown_state, editable=c.editable)
        self.paper.set_unreadable_leads(tuple(ld for ld in state.lead_names
                                              if state.status_of(ld) is LeadStatus.UNREADABLE)
                                        if state is not None else ())
        user = c.user
        user_text = f"<b>{user.name}</b> ({user.id}, {user.role.value})" if user else ""
        self.annotation_panel.set_state(state, editable=c.editable, user_text=user_text,
                                        status_text=c.status_text(),
                                        warn=c.store is None or not c.saved)
        document = c.document
        undo, redo = self.actions["edit.undo"], self.actions["edit.redo"]
        undo.setText(f"&Undo {document.undo_text}" if document and document.can_undo else "&Undo")
        redo.setText(f"&Redo {document.redo_text}" if document and document.can_redo else "&Redo")
        self._show_saved_state()

    def _show_saved_state(self) -> None:
        """The title's unsaved mark: edits held only in memory, or a note being typed."""
        self.setWindowModified(not self.corrections.saved or self.annotation_panel.has_pending_note)

    def _on_correction_problem(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)
        self.show_error(message, title="Correction not applied")

    def _on_selection(self, selection) -> None:  # noqa: ANN001 - Selection | None
        state = self.corrections.state
        if selection is None or state is None or selection.wave_id not in state.waves:
            self.annotation_panel.show_selection("")
            return
        wave = state.wave(selection.wave_id)
        ms = selection.position(state) * 1000.0 / state.fs
        text = f"Selected: {wave.kind.value} {selection.which.value} on {wave.lead} at {ms:.0f} ms"
        self.annotation_panel.show_selection(text)
        self.statusBar().showMessage(text, 5000)

    def _wave_menu(self, selection, global_pos: QtCore.QPoint) -> None:  # noqa: ANN001
        """The right-click menu: the edits of the wave under the pointer, and of its lead."""
        menu = QtWidgets.QMenu(self)
        keys = ["edit.delete", "edit.type_p", "edit.type_qrs", "edit.type_t", "edit.global", None,
                "annotate.accept_lead", "annotate.unreadable", None, "edit.add_p", "edit.add_qrs",
                "edit.add_t"]
        if selection is None:
            keys = keys[6:]
        for key in keys:
            if key is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions[key])
        self.context_menu = menu
        menu.popup(global_pos)

    def _keep_unsaved_edits(self) -> bool:
        """Closing with edits held in memory: save them to a folder, discard, or stay."""
        role = QtWidgets.QMessageBox.ButtonRole
        choice = ask_choice(self, APP_TITLE, "Your corrections were NOT saved to the annotation store "
                            f"({self.corrections.store_error}).\n\nSave them as files before closing?",
                            [("Save to folder…", role.AcceptRole), ("Discard", role.DestructiveRole)],
                            icon=QtWidgets.QMessageBox.Icon.Warning)
        if choice == 1:
            return True
        if choice == 0:
            folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Save corrections to a folder")
            if folder:
                paths = self.corrections.save_unsaved(Path(folder))
                return bool(paths)
        return False

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
        if self.first_run_dialog is not None:
            self.first_run_dialog.close()
        self.annotation_panel.commit_note()
        if not self.corrections.saved and not self._keep_unsaved_edits():
            ev.ignore()
            return
        self.loader.wait(5000)
        self.delineator.wait(30_000)
        self.analyser.wait(30_000)
        self.worklist.cancel_import()
        self.worklist.wait(30_000)
        self.corrections.close()
        super().closeEvent(ev)


def _local_paths(mime: QtCore.QMimeData) -> list[Path]:
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def _analyse(record: ECGRecord, delineation: Delineation | None = None, ruleset=None):  # noqa: ANN001, ANN202
    """The rules over ``record`` (imported in the worker: the window opens without them)."""
    from rules.analysis import analyze_recording

    return analyze_recording(record, delineation, ruleset)
