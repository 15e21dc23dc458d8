"""Boundary editing on the paper: gestures and keys in, commands out.

The :class:`BoundaryEditor` sits between the :class:`~workstation.ui.paper.PaperView` and
the annotation document. It never changes the document itself: a finished gesture becomes
one command (a drag is one :class:`~workstation.core.commands.MoveBoundary`, however long it
was), handed to ``on_command``; the window executes it and redraws from the new state.

Mouse: press on a boundary marker and drag (Shift: the same boundary of the beat on every
lead); click selects, right click offers the edits of the wave under the pointer. With a wave
kind armed (P, Q, T), a drag along a lead draws a new wave from onset to offset.

Keys (with a boundary selected): Left/Right nudge one sample, Shift+Left/Right 10 ms; Tab /
Shift+Tab go to the next/previous boundary on the lead; ] and [ to the same boundary one
beat later/earlier; Up/Down to the previous/next lead; Esc clears the selection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.annotation import AnnotationState, Boundary
from workstation.core.commands import AddWave, Command, MoveBoundary, SetGlobalBoundary, allowed_range
from workstation.core.delineation import WaveKind
from workstation.core.layout import PaperPoint
from workstation.core.selection import (Selection, first_selection, hit_test, matching_wave,
                                        step_beat, step_boundary, step_lead)
from workstation.core.snap import snap_position
from workstation.ui.overlays import OverlayItems

#: How far from a marker (screen pixels) a press still takes it.
GRAB_PX = 7.0
NUDGE_COARSE_S = 0.010
#: The selected boundary: a blue core in a yellow halo. Blue-on-yellow stands out on the pale
#: paper, on its red grid, on a grey desk and on every wave's tint, where a red mark vanished
#: into the red grid (and the pair does not rely on telling red from green).
SELECTED_COLOUR = "#0033cc"
SELECTED_HALO = "#ffd400"
PREVIEW_COLOUR = "#7b1fa2"
#: Shortest wave a drag may draw (s): shorter drags are taken as clicks.
MIN_NEW_WAVE_S = 0.012


@dataclass
class _Drag:
    selection: Selection | None  # None when drawing a new wave
    lead: str
    start_sample: int
    sample: int
    global_beat: bool
    kind: WaveKind | None = None  # the wave being drawn


class SelectionMarker(OverlayItems):
    """The selected boundary (blue in a yellow halo) and a drag in progress (violet), on every panel."""

    def show(self, marks: list[tuple[float, float, float]], colour: str, width: float = 2.4,
             fill: tuple[float, float, float, float] | None = None, halo: str | None = None) -> None:
        """Vertical marks (x, y0, y1) in paper mm; with ``fill``, the span between pairs;
        with ``halo``, each mark is drawn on a wider line of that colour."""
        self.clear()
        if not marks:
            return
        xs = np.repeat([m[0] for m in marks], 2)
        ys = np.ravel([(m[1], m[2]) for m in marks])
        if halo is not None:
            under = pg.PlotCurveItem(xs, ys, connect="pairs", pen=pg.mkPen(halo, width=width + 4.0))
            under.setZValue(20)
            self.add(under)
        line = pg.PlotCurveItem(xs, ys, connect="pairs", pen=pg.mkPen(colour, width=width))
        line.setZValue(20)
        self.add(line)
        if fill is not None and len(marks) == 2:
            (x0, y0, y1), (x1, _, _) = marks
            rect = QtWidgets.QGraphicsRectItem(QtCore.QRectF(min(x0, x1), y0, abs(x1 - x0), y1 - y0))
            rect.setBrush(QtGui.QBrush(QtGui.QColor.fromRgbF(*fill)))
            rect.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
            rect.setZValue(19)
            self.add(rect)


class BoundaryEditor(QtCore.QObject):
    """Turns gestures on a paper view into annotation commands.

    Parameters
    ----------
    paper
        The view (its layout maps paper mm to samples).
    on_command
        Called with ``(command, merge)`` for every finished edit; returns whether it was applied.
    """

    selection_changed = QtCore.Signal(object)  # Selection | None
    message = QtCore.Signal(str)
    context_requested = QtCore.Signal(object, object)  # Selection | None, QPoint (global)
    refused = QtCore.Signal()  # an edit was attempted on a set that cannot change now

    def __init__(self, paper, on_command: Callable[[Command, bool], bool]) -> None:  # noqa: ANN001
        super().__init__(paper)
        self.paper = paper
        self.on_command = on_command
        self.state: AnnotationState | None = None
        self.editable = False
        self.snap = False
        self.selection: Selection | None = None
        self.armed: WaveKind | None = None
        self._lead_hint: str | None = None  # lead of the last click, for keyboard starts
        self._drag: _Drag | None = None
        self.marker = SelectionMarker(paper.vb)
        self.preview = SelectionMarker(paper.vb)
        paper.vb.editor = self
        paper.editor = self

    # -- state from the window ------------------------------------------------------------
    def set_state(self, state: AnnotationState | None, *, editable: bool) -> None:
        """Show ``state`` (the document after a change); keeps the selection while it exists."""
        self.state, self.editable = state, editable and state is not None
        if self.selection is not None and (state is None or self.selection.wave_id not in state.waves):
            self.select(None)
        else:
            self._draw_selection()

    def redraw(self) -> None:
        """Draw the selection again (the paper was rebuilt)."""
        self._draw_selection()

    def select(self, selection: Selection | None) -> None:
        self.selection = selection
        self._draw_selection()
        self.selection_changed.emit(selection)

    def arm(self, kind: WaveKind | None) -> None:
        """Draw a new wave of ``kind`` with the next drag (None disarms)."""
        self.armed = kind
        if kind is not None:
            self.message.emit(f"Drag along a lead from onset to offset to add a {kind.value} wave "
                              "(Esc cancels)")

    @property
    def current_lead(self) -> str | None:
        if self.selection is not None and self.state is not None:
            return self.state.wave(self.selection.wave_id).lead
        return self._lead_hint

    # -- mouse (called by the paper's view box) -------------------------------------------------
    def begin_drag(self, point: PaperPoint, modifiers: QtCore.Qt.KeyboardModifier) -> bool:
        """A left drag starts at ``point``: True when the editor takes it (else the paper pans)."""
        if self.paper.layout is None or self.state is None:
            return False
        if not self.editable:
            if hit_test(self.paper.layout, self.state, point, self._tolerance_mm()) is not None:
                self.refused.emit()  # say why the boundary does not move; the drag pans
            return False
        shift = bool(modifiers & QtCore.Qt.KeyboardModifier.ShiftModifier)
        if self.armed is not None:
            panel = self.paper.layout.panel_at(point)
            if panel is None:
                return False
            sample = self._clip(panel.sample_at(point.x_mm))
            self._drag = _Drag(None, panel.lead, sample, sample, False, self.armed)
            self._lead_hint = panel.lead
            return True
        hit = hit_test(self.paper.layout, self.state, point, self._tolerance_mm())
        if hit is None:
            return False
        self._lead_hint = hit.panel.lead
        self.select(hit.selection)
        at = hit.selection.position(self.state)
        self._drag = _Drag(hit.selection, hit.panel.lead, at, at, shift)
        return True

    def drag_to(self, point: PaperPoint, modifiers: QtCore.Qt.KeyboardModifier | None = None) -> None:
        """The drag moved; Shift pressed at any point makes it a drag of the whole beat."""
        drag, layout = self._drag, self.paper.layout
        if drag is None or layout is None:
            return
        if modifiers is not None and modifiers & QtCore.Qt.KeyboardModifier.ShiftModifier:
            drag.global_beat = drag.kind is None
        panel = next((p for p in layout.panels_for(drag.lead)
                      if p.x_mm <= point.x_mm <= p.end_mm), None) or layout.panels_for(drag.lead)[0]
        drag.sample = self._clip(panel.sample_at(point.x_mm))
        self._draw_drag()

    def end_drag(self, point: PaperPoint, modifiers: QtCore.Qt.KeyboardModifier | None = None) -> None:
        drag = self._drag
        if drag is None:
            return
        self.drag_to(point, modifiers)
        self._drag = None
        self.preview.clear()
        if drag.kind is not None:
            self._finish_new_wave(drag)
        else:
            self._finish_move(drag)
        self._draw_selection()

    def cancel_drag(self) -> None:
        self._drag = None
        self.preview.clear()
        self._draw_selection()

    def click(self, point: PaperPoint, button: QtCore.Qt.MouseButton, global_pos: QtCore.QPoint) -> None:
        """Select the boundary under a click (or nothing); a right click asks for the wave's menu."""
        if self.paper.layout is None or self.state is None:
            return
        panel = self.paper.layout.panel_at(point)
        if panel is not None:
            self._lead_hint = panel.lead
        hit = hit_test(self.paper.layout, self.state, point, self._tolerance_mm())
        if hit is None and panel is not None and button == QtCore.Qt.MouseButton.RightButton:
            # a right click inside a wave's span offers that wave's edits too
            sample = panel.sample_at(point.x_mm)
            wave = next((w for w in self.state.waves_in(panel.lead) if w.onset <= sample <= w.offset), None)
            if wave is not None:
                hit_sel = Selection(wave.id, Boundary.PEAK)
                self.select(hit_sel)
        elif hit is not None or button == QtCore.Qt.MouseButton.LeftButton:
            self.select(hit.selection if hit is not None else None)
        if button == QtCore.Qt.MouseButton.RightButton:
            self.context_requested.emit(self.selection, global_pos)

    # -- keys (called by the paper before its own navigation) -------------------------------------
    def handle_key(self, ev: QtGui.QKeyEvent) -> bool:
        """Handle an editing key; False leaves it to the paper (pan, zoom)."""
        key, mods = QtCore.Qt.Key(ev.key()), ev.modifiers()
        shift = bool(mods & QtCore.Qt.KeyboardModifier.ShiftModifier)
        if key == QtCore.Qt.Key.Key_Escape:
            if self._drag is not None:
                self.cancel_drag()
                return True
            if self.armed is not None:
                self.arm(None)
                self.message.emit("Adding a wave cancelled")
                return True
            if self.selection is not None:
                self.select(None)
                return True
            return False
        if self.state is None:
            return False
        if self.selection is None:
            if key in (QtCore.Qt.Key.Key_Tab, QtCore.Qt.Key.Key_Backtab) and self.state.waves:
                return self._select_first()
            return False
        sel, state = self.selection, self.state
        if key in (QtCore.Qt.Key.Key_Left, QtCore.Qt.Key.Key_Right):
            if not self.editable:
                self.refused.emit()
                return True
            step = round(NUDGE_COARSE_S * state.fs) if shift else 1
            self.nudge(step if key == QtCore.Qt.Key.Key_Right else -step)
            return True
        moves: dict[QtCore.Qt.Key, Callable[[], Selection | None]] = {
            QtCore.Qt.Key.Key_Tab: lambda: step_boundary(state, sel, 1),
            QtCore.Qt.Key.Key_Backtab: lambda: step_boundary(state, sel, -1),
            QtCore.Qt.Key.Key_BracketRight: lambda: step_beat(state, sel, 1),
            QtCore.Qt.Key.Key_BracketLeft: lambda: step_beat(state, sel, -1),
            QtCore.Qt.Key.Key_Down: lambda: step_lead(state, sel, 1),
            QtCore.Qt.Key.Key_Up: lambda: step_lead(state, sel, -1),
        }
        move = moves.get(key)
        if move is None:
            return False
        target = move()
        if target is None:
            self.message.emit("No further boundary that way")
        else:
            self.select(target)
            self.ensure_visible(target)
        return True

    def _select_first(self) -> bool:
        assert self.state is not None
        lead = self._lead_hint or self.state.lead_names[0]
        t0, _ = self.paper.visible_seconds()
        sel = first_selection(self.state, lead, int(t0 * self.state.fs))
        if sel is None:
            return False
        self.select(sel)
        return True

    def nudge(self, samples: int) -> None:
        """Move the selected boundary by ``samples`` (consecutive nudges undo as one step)."""
        if self.selection is None or self.state is None:
            return
        sel = self.selection
        new = sel.position(self.state) + samples
        command = MoveBoundary.clamped(self.state, sel.wave_id, sel.which, new)
        if command.is_noop:
            self.message.emit(f"The {sel.which.value} cannot move further that way")
            return
        self.on_command(command, True)

    def ensure_visible(self, selection: Selection) -> None:
        """Pan a strip view so that the selected boundary is on screen."""
        if self.state is None or self.paper.layout is None or not self.paper.strip:
            return
        t = selection.position(self.state) / self.state.fs
        t0, t1 = self.paper.visible_seconds()
        if not t0 <= t <= t1:
            span = t1 - t0
            self.paper.vb.translateBy(x=self.paper.layout.paper.s_to_mm(t - (t0 + span / 2)))

    # -- finishing gestures ---------------------------------------------------------------------
    def _finish_move(self, drag: _Drag) -> None:
        state, sel = self.state, drag.selection
        assert state is not None and sel is not None
        wave = state.wave(sel.wave_id)
        lo, hi = allowed_range(wave, sel.which, state.n_samples)
        target = drag.sample
        if self.snap:
            target = self._snap(wave.lead, target, sel.which, lo, hi)
        if drag.global_beat:
            command: Command = SetGlobalBoundary.of_beat(state, sel.wave_id, sel.which, target)
        else:
            command = MoveBoundary.clamped(state, sel.wave_id, sel.which, target)
        if command.is_noop:
            return
        self.on_command(command, False)

    def _finish_new_wave(self, drag: _Drag) -> None:
        state = self.state
        assert state is not None and drag.kind is not None
        onset, offset = sorted((drag.start_sample, drag.sample))
        if offset - onset < MIN_NEW_WAVE_S * state.fs:
            self.message.emit(f"Drag further to add a {drag.kind.value} wave (from onset to offset)")
            return
        if self.snap:
            onset = self._snap(drag.lead, onset, Boundary.ONSET, 0, offset)
            offset = self._snap(drag.lead, offset, Boundary.OFFSET, onset, state.n_samples - 1)
        start, signal = self._lead_window(drag.lead, onset, offset)
        peak = start + _extremum(signal, onset - start, offset - start)
        command = AddWave.new(drag.kind, drag.lead, onset, peak, offset)
        self.armed = None
        if self.on_command(command, False):
            self.select(Selection(command.wave.id, Boundary.OFFSET))

    # -- drawing --------------------------------------------------------------------------------
    def _marks(self, lead: str, sample: int, global_beat: bool = False,
               wave_id: str | None = None) -> list[tuple[float, float, float]]:
        layout, state = self.paper.layout, self.state
        if layout is None or state is None:
            return []
        leads = [lead]
        if global_beat and wave_id is not None:
            wave = state.wave(wave_id)
            leads = [ld for ld in state.lead_names if matching_wave(state, wave, ld) is not None]
        half = 0.42 * layout.row_pitch_mm
        return [(float(p.x_of(sample)), p.baseline_mm - half, p.baseline_mm + half)
                for ld in leads for p in layout.panels_for(ld) if p.start <= sample < p.stop]

    def _draw_selection(self) -> None:
        sel, state = self.selection, self.state
        if sel is None or state is None or sel.wave_id not in state.waves or self._drag is not None:
            self.marker.clear()
            return
        wave = state.wave(sel.wave_id)
        self.marker.show(self._marks(wave.lead, sel.position(state)), SELECTED_COLOUR, halo=SELECTED_HALO)

    def _draw_drag(self) -> None:
        drag, state = self._drag, self.state
        if drag is None or state is None:
            return
        self.marker.clear()
        if drag.kind is not None:
            marks = self._marks(drag.lead, drag.start_sample) + self._marks(drag.lead, drag.sample)
            self.preview.show(marks, PREVIEW_COLOUR, 1.6, fill=(0.48, 0.12, 0.64, 0.15))
            return
        assert drag.selection is not None
        self.preview.show(self._marks(drag.lead, drag.sample, drag.global_beat,
                                      drag.selection.wave_id), PREVIEW_COLOUR)

    # -- helpers --------------------------------------------------------------------------------
    def _tolerance_mm(self) -> float:
        px_per_mm, _ = self.paper.px_per_mm()
        return GRAB_PX / max(px_per_mm, 1e-6)

    def _clip(self, sample: float) -> int:
        assert self.state is not None
        return int(min(max(round(sample), 0), self.state.n_samples - 1))

    def _lead_window(self, lead: str, lo: int, hi: int) -> tuple[int, np.ndarray]:
        """The displayed (filtered) samples of ``lead`` around ``lo..hi``, and where they start."""
        signals, record = self.paper.display_signals, self.paper.record
        if signals is None or record is None:
            return lo, np.zeros(0)
        margin = int(record.fs)  # a second each side: enough for any snap window
        start, stop = max(0, lo - margin), min(record.n_samples, hi + margin + 1)
        return start, signals.read(record.lead_names.index(lead), start, stop)

    def _snap(self, lead: str, sample: int, which: Boundary, lo: int, hi: int) -> int:
        assert self.state is not None
        start, signal = self._lead_window(lead, sample, sample)
        if len(signal) == 0:
            return sample
        return start + snap_position(signal, self.state.fs, sample - start, which, lo - start, hi - start)


def _extremum(signal: np.ndarray, onset: int, offset: int) -> int:
    """The sample of ``onset..offset`` farthest from the line joining its ends (the peak)."""
    if len(signal) <= offset or offset <= onset:
        return (onset + offset) // 2
    seg = np.asarray(signal[onset:offset + 1], dtype=np.float64)
    if not np.all(np.isfinite(seg)):
        return (onset + offset) // 2
    line = np.linspace(seg[0], seg[-1], len(seg))
    return int(onset + np.argmax(np.abs(seg - line)))
