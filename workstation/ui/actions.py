"""Menus and toolbar declared as data.

Every entry is an :class:`ActionSpec`: either a *state transition* (``update``: ViewState ->
ViewState, with ``checked`` telling whether the entry shows as ticked) or a named window
*command* ("open", "quit", ...). The window builds QActions from the table, routes triggers,
and re-derives every tick mark from the state after each change, so menus cannot drift from
what is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6 import QtGui, QtWidgets

from workstation.core.layout import LayoutKind
from workstation.ui.state import ViewState


@dataclass(frozen=True)
class ActionSpec:
    """One menu entry."""

    key: str  # stable id, e.g. "view.gain.10"
    menu: str  # top-level menu title
    text: str
    submenu: str | None = None
    shortcut: str | None = None
    alt_shortcut: str | None = None
    tip: str = ""
    command: str | None = None  # name of a window command
    update: Callable[[ViewState], ViewState] | None = None
    checked: Callable[[ViewState], bool] | None = None
    needs_record: bool = False
    layout: LayoutKind | None = None  # enabled only when the record can be shown so
    toolbar: bool = False
    separator_before: bool = False

    @property
    def checkable(self) -> bool:
        return self.checked is not None


def _layout(kind: LayoutKind, text: str, shortcut: str) -> ActionSpec:
    return ActionSpec(f"view.layout.{kind.value}", "&View", text, submenu="&Layout",
                      shortcut=shortcut, update=lambda s: s.with_layout(kind),
                      checked=lambda s: s.layout is kind, layout=kind, toolbar=True)


def _gain(gain: float) -> ActionSpec:
    return ActionSpec(f"view.gain.{gain:g}", "&View", f"{gain:g} mm/mV", submenu="&Gain",
                      update=lambda s: s.with_gain(gain),
                      checked=lambda s: s.paper.gain_mm_mv == gain)


def _speed(speed: float) -> ActionSpec:
    return ActionSpec(f"view.speed.{speed:g}", "&View", f"{speed:g} mm/s", submenu="&Speed",
                      update=lambda s: s.with_speed(speed),
                      checked=lambda s: s.paper.speed_mm_s == speed)


def _notch(hz: float) -> ActionSpec:
    return ActionSpec(f"view.filter.notch{hz:g}", "&View", f"{hz:g} Hz notch", submenu="&Filters",
                      tip=f"Remove {hz:g} Hz mains interference (display only)",
                      update=lambda s: s.toggle_notch(hz), checked=lambda s: s.conditioning.notch_hz == hz)


def _lowpass(hz: float) -> ActionSpec:
    return ActionSpec(f"view.filter.lowpass{hz:g}", "&View", f"Low-pass {hz:g} Hz", submenu="&Filters",
                      tip=f"Zero-phase low-pass at {hz:g} Hz (display only)",
                      update=lambda s: s.toggle_lowpass(hz),
                      checked=lambda s: s.conditioning.lowpass_hz == hz)


#: Keys the paper handles itself (they depend on what has focus, so they are not menu entries).
PAPER_KEYS = (
    ("Drag a boundary", "move it (one undo step); with Shift, on every lead of the beat"),
    ("Click / right click", "select a boundary / the edits of the wave under the pointer"),
    ("Left / Right", "nudge the selected boundary one sample (pan when nothing is selected)"),
    ("Shift+Left / Shift+Right", "nudge the selected boundary 10 ms"),
    ("Tab / Shift+Tab", "next / previous boundary on the lead"),
    ("] / [", "the same boundary one beat later / earlier"),
    ("Down / Up", "the same boundary on the next / previous lead (pan when nothing is selected)"),
    ("Esc", "cancel the drag or the wave being added, clear the selection, then the caliper"),
    ("+ / -", "zoom in / out"),
    ("Page Up / Page Down", "pan a screen"),
    ("Home / End", "fit the page / go to the end"),
    ("Wheel / right drag", "zoom"),
)


def _edit(key: str, text: str, shortcut: str | None, command: str, tip: str = "",
          **extra) -> ActionSpec:  # noqa: ANN003
    return ActionSpec(f"edit.{key}", "&Edit", text, shortcut=shortcut, command=command, tip=tip,
                      needs_record=True, **extra)


def _annotate(key: str, text: str, shortcut: str | None, command: str, tip: str = "",
              **extra) -> ActionSpec:  # noqa: ANN003
    return ActionSpec(f"annotate.{key}", "&Annotate", text, shortcut=shortcut, command=command,
                      tip=tip, **extra)


EDIT_ACTIONS = (
    _edit("undo", "&Undo", "Ctrl+Z", "undo", "Undo the last correction (it is undone in the store too)"),
    _edit("redo", "&Redo", "Ctrl+Shift+Z", "redo", "Redo the last undone correction",
          alt_shortcut="Ctrl+Y"),
    _edit("add_p", "Add &P wave", "P", "add_p", "Then drag along a lead from onset to offset",
          separator_before=True),
    _edit("add_qrs", "Add &QRS complex", "Q", "add_qrs", "Then drag along a lead from onset to offset"),
    _edit("add_t", "Add &T wave", "T", "add_t", "Then drag along a lead from onset to offset"),
    _edit("delete", "&Delete wave", "Del", "delete_wave", "Delete the selected wave",
          alt_shortcut="Backspace"),
    _edit("type_p", "Make it a P wave", "Shift+P", "type_p", "Change the selected wave's type",
          submenu="Change &type"),
    _edit("type_qrs", "Make it a QRS complex", "Shift+Q", "type_qrs", submenu="Change &type"),
    _edit("type_t", "Make it a T wave", "Shift+T", "type_t", submenu="Change &type"),
    _edit("global", "Set this boundary on &all leads", "G", "global_boundary",
          "Move the selected boundary of this beat to the same instant on every lead",
          separator_before=True),
    ActionSpec("edit.preferences", "&Edit", "Pre&ferences…", shortcut="Ctrl+,", command="preferences",
               separator_before=True,
               tip="Paper speed and gain, filters, QTc formula, rule file, review threshold, store, user"),
    ActionSpec("edit.snap", "&Edit", "&Snap to signal", shortcut="S",
               tip="Dropped peaks go to the local extremum, onsets and offsets to the flattest point",
               update=ViewState.toggle_snap, checked=lambda s: s.snap),
)

ANNOTATE_ACTIONS = (
    _annotate("accept_lead", "Accept model on this &lead", "A", "accept_lead",
              "Take the model's waves on the selected lead and mark it accepted", needs_record=True),
    _annotate("accept_record", "Accept model on &all leads", "Shift+A", "accept_record",
              "Take the model's waves on every lead and mark them accepted", needs_record=True),
    _annotate("unreadable", "Lead &unreadable", "U", "toggle_unreadable",
              "Mark (or unmark) the selected lead as unreadable: noise, lead off", needs_record=True),
    _annotate("submit", "&Submit and sign", "Ctrl+Return", "submit",
              "Sign the set with your key and submit it; it is locked until reopened",
              needs_record=True, separator_before=True),
    _annotate("reopen", "&Reopen for editing", None, "reopen", needs_record=True),
    _annotate("history", "&History of this record…", "Ctrl+H", "history", needs_record=True),
    ActionSpec("annotate.blind", "&Annotate", "&Blind (hide other annotators)", separator_before=True,
               tip="New annotation sets are blind: you see only your own work (and the model's, "
                   "unless hidden)", update=ViewState.toggle_blind, checked=lambda s: s.blind),
    ActionSpec("annotate.hide_proposal", "&Annotate", "Hide the &model's proposal",
               tip="New annotation sets start empty: label without seeing the model's boundaries",
               update=ViewState.toggle_hide_proposal, checked=lambda s: s.hide_proposal),
    _annotate("switch_user", "S&witch user…", "Ctrl+U", "switch_user", separator_before=True,
              tip="Sign in as another annotator, or create a profile"),
    _annotate("dashboard", "Agreement &dashboard…", None, "dashboard", separator_before=True,
              tip="How the store's readers agree with each other, the model and the consensus"),
    _annotate("adjudicate", "Ad&judicate disagreements…", None, "adjudicate",
              tip="For adjudicators: resolve the records where the readers disagree into a "
                  "signed consensus"),
)


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("file.open", "&File", "&Open…", shortcut="Ctrl+O", command="open", toolbar=True,
               tip="Open an ECG file (WFDB, DICOM, MUSE, HL7 aECG, SCP, EDF, CSV …)"),
    ActionSpec("file.sample", "&File", "Open &sample ECG", command="open_sample"),
    ActionSpec("file.worklist", "&File", "Open &folder as worklist…", shortcut="Ctrl+Shift+O",
               command="open_worklist_dialog",
               tip="Analyse every ECG of a folder in the background, sorted by urgency"),
    ActionSpec("file.print", "&File", "&Print report…", shortcut="Ctrl+P", command="print_report",
               needs_record=True, separator_before=True,
               tip="Print the one-page report: 12-lead on a true-scale grid, measurements, flags"),
    ActionSpec("file.report_pdf", "&File", "Save report as P&DF…", shortcut="Ctrl+Shift+P",
               command="save_report", needs_record=True),
    ActionSpec("file.export_hl7", "&File", "HL7 v2 result message (ORU^R01)…", submenu="&Export",
               command="export_hl7", needs_record=True),
    ActionSpec("file.export_fhir", "&File", "FHIR R4 Observation…", submenu="&Export",
               command="export_fhir", needs_record=True),
    ActionSpec("file.export_dicom", "&File", "DICOM 12-lead ECG waveform…", submenu="&Export",
               command="export_dicom", needs_record=True),
    ActionSpec("file.export_aecg", "&File", "HL7 aECG XML…", submenu="&Export",
               command="export_aecg", needs_record=True),
    ActionSpec("file.quit", "&File", "&Quit", shortcut="Ctrl+Q", command="quit", separator_before=True),
    *EDIT_ACTIONS,
    _layout(LayoutKind.STANDARD_3X4_RHYTHM, "3×4 + rhythm", "Ctrl+1"),
    _layout(LayoutKind.SIX_BY_TWO, "6×2", "Ctrl+2"),
    _layout(LayoutKind.TWELVE_BY_ONE, "12×1", "Ctrl+3"),
    _gain(5.0), _gain(10.0), _gain(20.0),
    _speed(25.0), _speed(50.0),
    ActionSpec("view.filter.baseline", "&View", "Baseline wander removal", submenu="&Filters",
               tip="Zero-phase 0.67 Hz high-pass (display only)",
               update=ViewState.toggle_baseline, checked=lambda s: s.conditioning.baseline_removal),
    _notch(50.0), _notch(60.0), _lowpass(40.0), _lowpass(150.0),
    ActionSpec("view.fit", "&View", "&Fit page", shortcut="Ctrl+0", command="fit",
               separator_before=True, needs_record=True),
    ActionSpec("view.actual_size", "&View", "&Actual size (1 mm = 1 mm)", command="actual_size",
               needs_record=True),
    ActionSpec("view.deidentify", "&View", "&De-identify", shortcut="Ctrl+D", toolbar=True,
               separator_before=True, tip="Hide the patient's name, id, age and the file name",
               update=ViewState.toggle_deidentified, checked=lambda s: s.deidentified),
    ActionSpec("view.waves", "&View", "&Waves (P, QRS, T)", shortcut="W", toolbar=True,
               separator_before=True,
               tip="Show the delineation: P, QRS and T spans per lead; dashed amber = unsure",
               update=ViewState.toggle_waves, checked=lambda s: s.show_waves),
    ActionSpec("view.compare", "&View", "&Compare annotations…", shortcut="Ctrl+K", toolbar=True,
               command="compare", needs_record=True,
               tip="Draw two sources (model, file, device, readers, consensus) on the same leads"),
    ActionSpec("view.compare_next", "&View", "Next &disagreement", shortcut="D",
               command="compare_next", needs_record=True,
               tip="Go to the next largest difference between the two compared sources"),
    ActionSpec("view.compare_previous", "&View", "Previous disagreement", shortcut="Shift+D",
               command="compare_previous", needs_record=True),
    ActionSpec("view.median_beats", "&View", "Device &median beats…", command="median_beats",
               needs_record=True, tip="The device's median beats with its fiducial points"),
    *ANNOTATE_ACTIONS,
    ActionSpec("tools.caliper", "&Tools", "&Caliper", shortcut="C", toolbar=True,
               tip="Drag on the paper to measure time (ms, bpm) and voltage (mV)",
               update=ViewState.toggle_caliper, checked=lambda s: s.caliper),
    ActionSpec("tools.next_case", "&Tools", "&Next case", shortcut="N", command="next_case",
               separator_before=True, tip="Open the next unreviewed ECG of the worklist"),
    ActionSpec("tools.mark_reviewed", "&Tools", "Mark &reviewed", shortcut="R",
               command="mark_reviewed", needs_record=True,
               tip="Mark the open ECG reviewed on the worklist"),
    ActionSpec("tools.previous_case", "&Tools", "&Previous case", shortcut="Shift+N",
               command="previous_case", tip="Open the case above the current one in the worklist"),
    ActionSpec("tools.delineate", "&Tools", "&Delineate now", shortcut="Ctrl+L",
               command="delineate", needs_record=True, separator_before=True,
               tip="Run the delineation model on the open record"),
    ActionSpec("tools.model", "&Tools", "Delineation &model…", command="choose_model",
               tip="Use a fine-tuned delineation model (ecgws finetune), or the shipped one"),
    ActionSpec("tools.auto_delineate", "&Tools", "Delineate &automatically on open",
               tip="Run the delineation model whenever a record opens",
               update=ViewState.toggle_auto_delineate, checked=lambda s: s.auto_delineate),
    ActionSpec("help.shortcuts", "&Help", "&Keyboard shortcuts", shortcut="F1", command="shortcuts",
               tip="Every key of the window"),
)


def shortcut_rows(specs: tuple[ActionSpec, ...] = ()) -> list[tuple[str, str, str]]:
    """(where, key, what) for the shortcut sheet: the menus' keys, then the paper's own."""
    rows = []
    for spec in specs or ACTIONS:
        if spec.shortcut:
            keys = " or ".join(k for k in (spec.shortcut, spec.alt_shortcut) if k)
            where = spec.menu.replace("&", "") + (f" > {spec.submenu.replace('&', '')}" if spec.submenu else "")
            rows.append((where, keys, spec.text.replace("&", "").rstrip("…")))
    return rows + [("Paper", key, what) for key, what in PAPER_KEYS]


def build_actions(
    specs: tuple[ActionSpec, ...],
    parent: QtWidgets.QWidget,
    on_trigger: Callable[[ActionSpec], None],
) -> dict[str, QtGui.QAction]:
    """One QAction per spec, keyed by ``spec.key``; triggering calls ``on_trigger(spec)``."""
    actions = {}
    for spec in specs:
        action = QtGui.QAction(spec.text, parent)
        action.setObjectName(spec.key)
        action.setCheckable(spec.checkable)
        if spec.shortcut:
            keys = [QtGui.QKeySequence(k) for k in (spec.shortcut, spec.alt_shortcut) if k]
            action.setShortcuts(keys)
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        action.triggered.connect(lambda _checked=False, s=spec: on_trigger(s))
        actions[spec.key] = action
    return actions


def populate_menus(
    menubar: QtWidgets.QMenuBar,
    toolbar: QtWidgets.QToolBar,
    specs: tuple[ActionSpec, ...],
    actions: dict[str, QtGui.QAction],
) -> None:
    """Put every action in its menu (and submenu), and toolbar ones on the toolbar."""
    menus: dict[tuple[str, str | None], QtWidgets.QMenu] = {}

    def menu_for(title: str, sub: str | None) -> QtWidgets.QMenu:
        if (title, sub) not in menus:
            parent_menu = menubar if sub is None else menu_for(title, None)
            menus[(title, sub)] = parent_menu.addMenu(sub or title)
        return menus[(title, sub)]

    for spec in specs:
        menu = menu_for(spec.menu, spec.submenu)
        if spec.separator_before:
            menu.addSeparator()
        menu.addAction(actions[spec.key])
    previous_menu = None
    for spec in specs:
        if spec.toolbar:
            if previous_menu is not None and (spec.menu, spec.submenu) != previous_menu:
                toolbar.addSeparator()
            toolbar.addAction(actions[spec.key])
            previous_menu = (spec.menu, spec.submenu)


def sync_actions(
    specs: tuple[ActionSpec, ...],
    actions: dict[str, QtGui.QAction],
    state: ViewState,
    available: tuple[LayoutKind, ...] | None,
) -> None:
    """Tick and enable every action from the state; ``available`` is None with no record."""
    for spec in specs:
        action = actions[spec.key]
        enabled = True
        if spec.needs_record:
            enabled = available is not None
        if spec.layout is not None and available is not None:
            enabled = spec.layout in available
        action.setEnabled(enabled)
        if spec.checked is not None:
            # a layout the record cannot take is not what is shown: leave it unticked
            action.setChecked(spec.checked(state) and enabled)
