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


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("file.open", "&File", "&Open…", shortcut="Ctrl+O", command="open", toolbar=True,
               tip="Open an ECG file (WFDB, DICOM, MUSE, HL7 aECG, SCP, EDF, CSV …)"),
    ActionSpec("file.sample", "&File", "Open &sample ECG", command="open_sample"),
    ActionSpec("file.worklist", "&File", "Open &folder as worklist…", shortcut="Ctrl+Shift+O",
               command="open_worklist_dialog",
               tip="Analyse every ECG of a folder in the background, sorted by urgency"),
    ActionSpec("file.quit", "&File", "&Quit", shortcut="Ctrl+Q", command="quit", separator_before=True),
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
    ActionSpec("tools.caliper", "&Tools", "&Caliper", shortcut="C", toolbar=True,
               tip="Drag on the paper to measure time (ms, bpm) and voltage (mV)",
               update=ViewState.toggle_caliper, checked=lambda s: s.caliper),
    ActionSpec("tools.next_case", "&Tools", "&Next case", shortcut="N", command="next_case",
               separator_before=True, tip="Open the next unreviewed ECG of the worklist"),
    ActionSpec("tools.mark_reviewed", "&Tools", "Mark &reviewed", shortcut="R",
               command="mark_reviewed", needs_record=True,
               tip="Mark the open ECG reviewed on the worklist"),
    ActionSpec("tools.delineate", "&Tools", "&Delineate now", shortcut="Ctrl+L",
               command="delineate", needs_record=True, separator_before=True,
               tip="Run the delineation model on the open record"),
    ActionSpec("tools.auto_delineate", "&Tools", "Delineate &automatically on open",
               tip="Run the delineation model whenever a record opens",
               update=ViewState.toggle_auto_delineate, checked=lambda s: s.auto_delineate),
)


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
            action.setShortcut(QtGui.QKeySequence(spec.shortcut))
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
