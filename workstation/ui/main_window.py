"""The main window: banner, paper, docks, menus; it composes the controllers and shows state.

The window holds the :class:`ViewState`; every menu entry either replaces the state (and
everything is redrawn from it) or runs a named command of the window or of a controller it
composes: :class:`RecordSession` (the open record, its delineation and analysis),
:class:`AnnotationController` (the annotator's corrections), :class:`ReportActions` (reports
and exports), :class:`PanelLauncher` (the panel's windows). The controllers report through
signals; the window shows their messages and errors, and a bad file leaves it running.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.layout import available_kinds
from workstation.core.record import ECGRecord
from workstation.ui.actions import ACTIONS, ActionSpec, build_actions, shortcut_rows, sync_actions
from workstation.ui.annotating import STORE_ENV, AnnotationController, initial_store_and_user
from workstation.ui.annotator_dialogs import ShortcutSheet
from workstation.ui.banner import PatientBanner
from workstation.ui.comparison import ComparisonController
from workstation.ui.device_panel import DevicePanel
from workstation.ui.delegation import forward_to, held_by
from workstation.ui.dialogs import APP_TITLE, show_error_box
from workstation.ui.file_drop import FileDrop
from workstation.ui.findings_panel import FindingsPanel
from workstation.ui.panel_launcher import PanelLauncher
from workstation.ui.paper import PaperView
from workstation.ui.preferences import Preferences, apply_to_view, edit_preferences, load_preferences
from workstation.ui.record_session import RecordSession
from workstation.ui.reporting import ReportActions
from workstation.ui.scan_dock import ScanDock
from workstation.ui.state import ViewState, describe_conditioning
from workstation.ui.status_bar import RecordStatusBar
from workstation.ui.summary import banner_content
from workstation.ui.window_layout import add_menus, lay_out
from workstation.ui.worklist_panel import WorklistPanel

__all__ = ["APP_TITLE", "STORE_ENV", "MainWindow"]

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
        self.state = ViewState()
        self.modal_errors = modal_errors
        self.last_error_box: QtWidgets.QMessageBox | None = None
        self.banner = PatientBanner()
        self.paper = PaperView()
        self.device_panel = DevicePanel(self)
        self.findings = FindingsPanel(self)
        self.worklist = WorklistPanel(self)
        self.scan_dock = ScanDock(self)
        # The actions exist before the controllers (the wave menu uses them); menus come later.
        self.actions = build_actions(ACTIONS, self, self.trigger)
        self._compose(*initial_store_and_user(self.settings, store_path, user))
        self._wire()
        self._commands = self._command_table()
        self.background_loading = background_loading
        lay_out(self, self.banner, self.paper, bottom=self.worklist,
                tabbed=(self.findings, self.device_panel, self.annotation_panel, self.scan_dock,
                        self.comparing.dock))
        for dock in (self.device_panel, self.scan_dock, self.worklist, self.comparing.dock):
            dock.hide()  # shown when there is something to show
        self.toolbar = add_menus(self, ACTIONS, self.actions,
                                 (self.findings, self.worklist, self.device_panel, self.annotation_panel,
                                  self.comparing.dock))
        self.setStatusBar(RecordStatusBar())
        self.status_labels, self.position_label = self.statusBar().labels, self.statusBar().position_label
        self.resize(1600, 1000)
        self._apply_preferences(self.preferences, initial=True)
        self.session.use_remembered_model()

    # -- construction -------------------------------------------------------------------
    def _compose(self, store_path: Path, user: str | None) -> None:
        """Make the controllers; their parts stay reachable on the window (``window.corrections``)."""
        self.annotating = AnnotationController(self.paper, self.actions, self.settings, store_path, user,
                                               self)
        self.corrections, self.editor = self.annotating.corrections, self.annotating.editor
        self.annotation_panel = self.annotating.panel
        self.session = RecordSession(self.corrections, self.findings, self.paper, self.worklist,
                                     self.settings, self)
        self.loader, self.delineator = self.session.loader, self.session.delineator
        self.reports = ReportActions(self.session, self.corrections, self)
        self.panels = PanelLauncher(self.corrections, self.session, self)
        self.comparing = ComparisonController(self, self)

    def _wire(self) -> None:
        """Connect the controllers to each other and to the window."""
        # The waves are redrawn before the editor and the dock, as one change.
        self.corrections.changed.connect(self.session.follow_corrections)
        self.corrections.changed.connect(self.annotating.show_corrections)
        self.session.loaded.connect(self.show_record)
        self.session.load_failed.connect(self.load_failed)
        self.session.delineation_changed.connect(self._draw_waves)
        self.annotating.edited.connect(self.session.reanalyse_soon)
        self.annotating.modified.connect(self.setWindowModified)
        self.annotating.sample_requested.connect(
            lambda path: self.open_path(path) if self.record is None else None)
        for controller in (self.session, self.annotating, self.reports, self.panels):
            controller.problem.connect(lambda message, title: self.show_error(message, title=title))
        self.corrections.changed.connect(lambda: self.comparing.refresh())
        self.record_shown.connect(lambda _record: self.comparing.refresh())
        for controller in (self.session, self.annotating, self.reports, self.comparing):
            controller.message.connect(lambda text, msecs: self.statusBar().showMessage(text, msecs))
        self.scan_dock.record_corrected.connect(self.show_record)
        self.paper.caliper_measured.connect(lambda m: self.statusBar().show_caliper(m))
        self.paper.view_moved.connect(self._show_position)
        FileDrop(self).dropped.connect(self.open_path)

    def _command_table(self) -> dict[str, Callable[[], object]]:
        """The named commands of the menu entries: the window's, then each controller's."""
        return {"quit": self.close, "fit": self.paper.fit, "actual_size": self.actual_size,
                "shortcuts": lambda: ShortcutSheet(shortcut_rows(), self).open(),
                "preferences": self.edit_preferences,
                **self.session.commands, **self.annotating.commands, **self.reports.commands,
                **self.panels.commands, **self.comparing.commands}

    def statusBar(self) -> RecordStatusBar:  # noqa: N802 - Qt's name
        """The status bar, typed as the one the window sets."""
        return super().statusBar()

    # -- the controllers' state and commands, as other code reaches them ----------------------
    record = held_by("session", "record", "The open ECGRecord (None: none).")
    delineation = held_by("session", "delineation",
                          "The Delineation drawn: the annotator's set, else the proposal.")
    analysis = held_by("session", "analysis", "The rules' Analysis of the open record, when done.")
    ruleset = held_by("session", "ruleset", "The RuleSet of the preferences (None: the shipped rules).")

    @property
    def background_loading(self) -> bool:
        """Whether files are read and analysed in worker threads."""
        return self.session.background

    @background_loading.setter
    def background_loading(self, value: bool) -> None:
        self.session.background = value

    open_path = forward_to("session", RecordSession.open_path)
    open_worklist = forward_to("session", RecordSession.open_worklist)
    delineate = forward_to("session", RecordSession.delineate)
    show_delineation = forward_to("session", RecordSession.show_delineation)
    use_model = forward_to("session", RecordSession.use_model)
    apply_command = forward_to("annotating", AnnotationController.apply_command)
    undo = forward_to("annotating", AnnotationController.undo)
    submit = forward_to("annotating", AnnotationController.submit)
    sign_in = forward_to("annotating", AnnotationController.sign_in)
    offer_first_run = forward_to("annotating", AnnotationController.offer_first_run)
    save_report = forward_to("reports", ReportActions.save_report)
    export_for_hospital = forward_to("reports", ReportActions.export_for_hospital)
    open_dashboard = forward_to("panels", PanelLauncher.open_dashboard)
    open_adjudication = forward_to("panels", PanelLauncher.open_adjudication)

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
        """Take ``state`` and redraw everything from it."""
        self.state = state
        self.corrections.set_modes(blind=state.blind, hide_proposal=state.hide_proposal)
        self.editor.snap = state.snap
        self.refresh()

    def actual_size(self) -> None:
        """Zoom so that one paper millimetre is one millimetre on this screen."""
        # Qt 6 gives the physical density in device-independent pixels, the unit of the view.
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        self.paper.set_px_per_mm(screen.physicalDotsPerInch() / 25.4)

    def edit_preferences(self) -> None:
        prefs = edit_preferences(self.settings, self)
        if prefs is not None:
            self._apply_preferences(prefs)

    def _apply_preferences(self, prefs: Preferences, *, initial: bool = False) -> None:
        """Take the preferences: paper and filters, the rules, the store file and the user."""
        old, self.preferences = self.preferences, prefs
        self.session.use_rules(prefs)
        if not initial:
            self.annotating.follow_preferences(prefs)
            if prefs != old and self.record is not None:
                self.session.analyse()
        self.set_state(apply_to_view(self.state, prefs))

    # -- showing ------------------------------------------------------------------------
    def show_record(self, record: ECGRecord) -> None:
        """Show ``record`` (already read); delineate it in the background if so set."""
        self.session.take(record, auto_delineate=self.state.auto_delineate)
        self.editor.select(None)
        self.corrections.attach(record)  # the annotator's own set, when there is one, at once
        self.refresh()
        self.paper.setFocus()  # keys go to the paper, not to whatever had focus
        self.statusBar().clearMessage()
        self.record_shown.emit(record)
        if self.state.auto_delineate:
            self.session.delineate()

    def refresh(self) -> None:
        """Redraw everything from the record and the state."""
        record, state = self.record, self.state
        self.paper.show_record(record, state)
        self._draw_waves()
        self.paper.set_caliper_enabled(state.caliper)
        sync_actions(ACTIONS, self.actions, state, None if record is None else available_kinds(record.leads))
        self.editor.set_state(self.corrections.shown_state if record is not None else None,
                              editable=self.corrections.editable)
        if record is None:
            self.banner.show_content(None)
            self.setWindowTitle(APP_TITLE + "[*]")
            self.annotating.show_saved_state()
            return
        self.banner.show_content(banner_content(record, deidentify=state.deidentified,
                                                display_filters=describe_conditioning(state.conditioning)))
        self.statusBar().show_fields(record, deidentify=state.deidentified)
        self.device_panel.setVisible(self.device_panel.show_record(record, deidentify=state.deidentified))
        if self.scan_dock.record is not record:
            self.scan_dock.setVisible(self.scan_dock.show_record(record))
        self.findings.raise_()
        name = "" if state.deidentified else f" — {record.source.path.name}"
        self.setWindowTitle(APP_TITLE + name + "[*]")
        self.annotating.show_saved_state()
        self._show_position()

    def _draw_waves(self) -> None:
        self.paper.set_delineation(self.delineation if self.state.show_waves else None)
        self.comparing.redraw()  # the paper may have been rebuilt under it

    def _show_position(self) -> None:
        if self.record is None or not self.paper.strip:
            self.statusBar().clear_span()
        else:
            self.statusBar().show_span(*self.paper.visible_seconds(), self.record.acquisition.time)

    def show_error(self, message: str, title: str = "Cannot open ECG") -> QtWidgets.QMessageBox:
        """Show an error; window-modal normally, modeless when ``modal_errors`` is False."""
        self.last_error_box = show_error_box(self, message, title=title, modal=self.modal_errors)
        return self.last_error_box

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self.annotating.prepare_close():
            ev.ignore()
            return
        self.session.wait()
        self.annotating.close()
        super().closeEvent(ev)
