"""The open record and what is computed over it: reading, delineating, the rules.

:class:`RecordSession` holds the record the window shows, the delineation drawn over it (the
model's proposal, or the annotator's set once one is open) and the rules' analysis. Files are
read, delineated and analysed off the GUI thread when ``background`` is set; a result that
arrives for a record no longer open is dropped. It reports through signals: the window decides
how a message or an error is shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from workstation.core.delineation import Delineation
from workstation.core.record import ECGRecord
from workstation.ui.corrections import Corrections
from workstation.ui.delineation_runner import DelineationRunner, RecordJobRunner
from workstation.ui.dialogs import ask_choice, ask_open_path
from workstation.ui.findings_panel import FindingsPanel
from workstation.ui.loader import RecordLoader
from workstation.ui.paper import PaperView
from workstation.ui.preferences import Preferences
from workstation.ui.worklist_panel import WorklistPanel

if TYPE_CHECKING:
    from rules.analysis import Analysis
    from rules.ruleset import RuleSet

#: Idle time after a correction before the measurements are recomputed (ms).
REANALYSE_MS = 400
#: Preference key of the delineation model file (empty: the shipped model).
SETTINGS_MODEL = "model/path"


class RecordSession(QtCore.QObject):
    """The open record, its delineation and its analysis, and the jobs that compute them.

    Parameters
    ----------
    corrections
        The annotator's corrections: a new proposal is attached to them, and what they hold
        is drawn in place of the proposal.
    findings, paper
        The Findings dock the analysis is shown in, and the paper a finding is highlighted on.
    worklist
        The Worklist dock: folders of records opened one after another.
    settings
        Where the chosen delineation model is remembered.
    parent
        The window: dialogs open over it.

    Signals
    -------
    loaded(ECGRecord), load_failed(str)
        A file asked for with :meth:`open_path` was read, or could not be.
    delineation_changed()
        :attr:`delineation` was replaced: redraw the waves.
    message(str, int)
        Status text and how long to show it (ms; 0 until replaced).
    problem(str, str)
        A message and a title the user must read.
    """

    loaded = QtCore.Signal(object)  # ECGRecord
    load_failed = QtCore.Signal(str)
    delineation_changed = QtCore.Signal()
    message = QtCore.Signal(str, int)
    problem = QtCore.Signal(str, str)

    def __init__(self, corrections: Corrections, findings: FindingsPanel, paper: PaperView,
                 worklist: WorklistPanel, settings: QtCore.QSettings, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.corrections, self.findings, self.paper, self.settings = corrections, findings, paper, settings
        self.worklist = worklist
        worklist.open_requested.connect(self.open_path)
        self.record: ECGRecord | None = None
        self.delineation: Delineation | None = None
        self.analysis: Analysis | None = None
        self.ruleset: RuleSet | None = None  # from the preferences; None: the shipped rules
        self.background = True  # read and compute in worker threads
        self.loader = RecordLoader(self)
        self.loader.loaded.connect(lambda _path, record: self.loaded.emit(record))
        self.loader.failed.connect(self._on_load_failed)
        self.delineator = DelineationRunner(self)
        self.delineator.finished.connect(self._on_delineated)
        self.delineator.failed.connect(self._on_delineation_failed)
        self.analyser = RecordJobRunner(_analyse, self)
        self.analyser.finished.connect(self._on_analysed)
        self.analyser.failed.connect(self._on_analysis_failed)
        self.reanalyse_timer = QtCore.QTimer(self, singleShot=True, interval=REANALYSE_MS)
        self.reanalyse_timer.timeout.connect(self.analyse)
        findings.flag_selected.connect(self._highlight_flag)
        self.commands = {"open": self.open_dialog, "open_sample": self.open_sample,
                         "open_worklist_dialog": self.open_worklist_dialog,
                         "mark_reviewed": self.mark_reviewed,
                         "next_case": worklist.open_next, "previous_case": worklist.open_previous,
                         "delineate": self.delineate, "choose_model": self.choose_model}

    # -- the record -----------------------------------------------------------------------
    def open_dialog(self) -> None:
        """Ask for an ECG file and read it."""
        path = ask_open_path(self._parent)
        if path is not None:
            self.open_path(path)

    def open_sample(self) -> None:
        """Read the sample ECG shipped with the workstation."""
        from workstation.ui.app import sample_path  # app imports the window, which imports this

        self.open_path(sample_path())

    def open_path(self, path: Path, *, background: bool | None = None) -> None:
        """Read ``path`` (in a worker unless told otherwise); :attr:`loaded` brings the record."""
        self.message.emit(f"Reading {Path(path).name} …", 0)
        self.loader.load(Path(path), background=self.background if background is None else background)

    def open_worklist_dialog(self) -> None:
        """Ask for a folder of ECGs and list them by urgency."""
        folder = QtWidgets.QFileDialog.getExistingDirectory(self._parent, "Open a folder of ECGs")
        if folder:
            self.open_worklist(Path(folder))

    def open_worklist(self, folder: Path, *, background: bool | None = None) -> None:
        """Analyse every ECG in ``folder`` in the background and list them by urgency."""
        self.worklist.show()
        self.worklist.import_folder(folder, background=self.background if background is None else background)

    def mark_reviewed(self) -> None:
        """Tick the open record off the worklist."""
        if self.record is not None:
            self.worklist.mark_reviewed(self.record.source.path)
            self.message.emit(f"Marked {self.record.source.path.name} reviewed", 5000)

    def take(self, record: ECGRecord, *, auto_delineate: bool) -> None:
        """Make ``record`` the open one: the last record's results and pending jobs are dropped."""
        self.record = record
        self.delineation = None
        self.delineator.cancel()
        self.analysis = None
        self.analyser.cancel()
        self.findings.show_analysis(None, pending="Waiting for the delineation …"
                                    if auto_delineate else "Not analysed (Ctrl+L).")

    def _on_load_failed(self, path: Path, message: str) -> None:
        self.message.emit("", 0)
        self.problem.emit(message, "Cannot open ECG")
        self.load_failed.emit(message)

    # -- delineation ----------------------------------------------------------------------
    def delineate(self) -> None:
        """Run the delineation model on the open record, off the GUI thread."""
        if self.record is None:
            return
        self.message.emit("Delineating P, QRS and T …", 0)
        self.delineator.start(self.record, background=self.background)

    def show_delineation(self, delineation: Delineation | None) -> None:
        """Take ``delineation`` (the model's, on the open record) as the proposal and draw.

        What is drawn is the annotator's set when one is open (it starts as a copy of the
        proposal), otherwise the proposal itself.
        """
        if self.record is not None and delineation is not None:
            self.corrections.attach(self.record, delineation)
        self.delineation = self.corrections.display_delineation() or delineation
        self.delineation_changed.emit()

    def follow_corrections(self) -> None:
        """Draw the annotator's set (or the proposal) after the corrections changed."""
        if self.record is None:
            return
        shown = self.corrections.display_delineation()
        if shown is not None or self.corrections.state is not None:
            self.delineation = shown
        self.delineation_changed.emit()

    def _on_delineated(self, record: ECGRecord, delineation: Delineation, seconds: float) -> None:
        if record is not self.record:
            return
        self.show_delineation(delineation)
        self.analyse()
        self.message.emit(f"Delineated {len(delineation.waves)} waves in {seconds * 1000:.0f} ms "
                          f"({delineation.model_name} {delineation.model_version})", 10_000)

    def _on_delineation_failed(self, record: ECGRecord, message: str) -> None:
        if record is self.record:
            self.message.emit(f"No delineation: {message}", 20_000)
            self.analyse()  # the rules run even when the model cannot

    # -- the rules ------------------------------------------------------------------------
    def use_rules(self, prefs: Preferences) -> None:
        """Apply the rules the preferences name; a bad rule file leaves the shipped rules."""
        from rules.ruleset import RuleSetError

        try:
            self.ruleset = prefs.ruleset()
        except RuleSetError as exc:
            self.ruleset = None
            self.problem.emit(f"{exc}. The shipped rules are used instead.", "Rule file not used")

    def analyse(self) -> None:
        """Run the rules on the open record and its delineation (None: rate and rhythm only)."""
        if self.record is None:
            return
        self.findings.show_analysis(None, pending="Measuring and applying the rules …")
        self.reanalyse_timer.stop()
        d, ruleset = self.delineation, self.ruleset
        self.analyser.start(self.record, background=self.background,
                            fn=lambda record: _analyse(record, d, ruleset))

    def reanalyse_soon(self) -> None:
        """Recompute the measurements once the corrections pause (a drag is many edits)."""
        self.reanalyse_timer.start()

    def current_analysis(self) -> Analysis | None:
        """The analysis when it reflects the boundaries shown now, else None."""
        return None if self.reanalyse_timer.isActive() else self.analysis

    def _on_analysed(self, record: ECGRecord, analysis: Analysis, seconds: float) -> None:
        if record is self.record:
            self.analysis = analysis
            self.findings.show_analysis(analysis, printed=record.device_report.read_from_image)

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

    # -- the delineation model --------------------------------------------------------------
    def choose_model(self) -> None:
        """Ask for a fine-tuned model file, or go back to the shipped model."""
        role = QtWidgets.QMessageBox.ButtonRole
        choice = ask_choice(self._parent, "Delineation model", "Use a fine-tuned model file, or the "
                            "model shipped with the workstation?",
                            [("Choose model file…", role.AcceptRole), ("Shipped model", role.ResetRole)])
        if choice == 1:
            self.use_model(None)
        elif choice == 0:
            name, _ = QtWidgets.QFileDialog.getOpenFileName(self._parent, "Delineation model", "",
                                                            "Delineation models (*.onnx *.pt)")
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
                self.message.emit(message, 20_000)
            else:
                self.problem.emit(message, "Model not changed")
            return False
        self.settings.setValue(SETTINGS_MODEL, "" if path is None else str(path))
        self.message.emit(f"Delineation model: {info.name} {info.version}", 8000)
        if self.record is not None and not quiet:
            self.delineate()
        return True

    def use_remembered_model(self) -> None:
        """At start-up, delineate with the model chosen last time, if any."""
        model = str(self.settings.value(SETTINGS_MODEL, "") or "")
        if model:
            self.use_model(Path(model), quiet=True)

    def wait(self) -> None:
        """Let the jobs still running finish, and stop the worklist's import (the window is closing)."""
        self.loader.wait(5000)
        self.delineator.wait(30_000)
        self.analyser.wait(30_000)
        self.worklist.cancel_import()
        self.worklist.wait(30_000)


def _analyse(record: ECGRecord, delineation: Delineation | None = None,
             ruleset: RuleSet | None = None) -> Analysis:
    """The rules over ``record`` (imported in the worker: the window opens without them)."""
    from rules.analysis import analyze_recording

    return analyze_recording(record, delineation, ruleset)
