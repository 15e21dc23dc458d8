"""One lead of the record on true-scale ECG paper, for adjudicating its boundaries.

The lead is drawn as the main window draws it (pink grid, 25 mm/s, 10 mm/mV, zoom and pan
with the wheel and the keys). Above the trace, each source has a lane of its own: its
boundaries as ticks in its own colour *and* dash, its name written at the lane's left end
(kept in view when zoomed), and each tick's source, boundary and time on hover. On the trace
is the consensus as the decisions so far give it, drawn and edited as in the main window:
drag a boundary to place it yourself (one decision per drag), Left/Right nudge it, Tab and
] [ step between boundaries, and P, Q or T then a drag along the lead draws a wave of your
own. Every gesture goes to ``on_command``; the panel turns it into a decision.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.annotation import AnnotationState
from workstation.core.commands import Command
from workstation.core.delineation import Delineation, WaveKind
from workstation.core.layout import LayoutKind, Panel, PaperLayout
from workstation.core.record import ECGRecord, Lead, SourceInfo
from workstation.ui.editing import BoundaryEditor
from workstation.ui.overlays import OverlayItems
from workstation.ui.paper import PaperView
from workstation.ui.paper_text import PaperText, note_html
from workstation.ui.state import ViewState

#: Okabe-Ito colours, each with its own dash: a source is told apart without colour too.
LANE_STYLES = (
    ((0, 114, 178), QtCore.Qt.PenStyle.SolidLine),
    ((213, 94, 0), QtCore.Qt.PenStyle.DashLine),
    ((0, 158, 115), QtCore.Qt.PenStyle.DotLine),
    ((204, 121, 167), QtCore.Qt.PenStyle.DashDotLine),
    ((86, 180, 233), QtCore.Qt.PenStyle.DashDotDotLine),
    ((120, 120, 120), QtCore.Qt.PenStyle.SolidLine),
)
LANE_MM = 4.5  # height of one source's lane: room for its name at the fitted zoom
LANE_TOP = 0.28  # the lanes end this fraction of the row pitch above the baseline


def lane_style(i: int) -> tuple[tuple[int, int, int], QtCore.Qt.PenStyle]:
    return LANE_STYLES[i % len(LANE_STYLES)]


def lead_record(record: ECGRecord | None, lead: str, fs: float, n_samples: int) -> ECGRecord:
    """``lead`` of ``record`` as a record of its own; a flat line when the file was not found."""
    if record is not None and lead in record.lead_names:
        signal = record.window(0, record.n_samples)[record.lead_names.index(lead)][None, :]
        source = record.source
    else:
        signal = np.zeros((1, n_samples), dtype=np.float32)
        source = SourceInfo(Path("signal not found"), "signal not found")
    return ECGRecord.from_array(signal, fs, (Lead(lead),), source)


def lane_y(panel: Panel, layout: PaperLayout, i: int, n: int) -> float:
    """Paper y (mm) of the middle of source ``i``'s lane (of ``n``), above the trace: A on top."""
    return panel.baseline_mm - LANE_TOP * layout.row_pitch_mm - (n - i - 0.5) * LANE_MM


class HoverTicks(pg.GraphicsObject):
    """Invisible hover areas over the lanes' ticks, each with its tool tip."""

    def __init__(self, rects: list[tuple[QtCore.QRectF, str]]) -> None:
        super().__init__()
        self.rects = rects
        self._bounds = QtCore.QRectF()
        for rect, _ in rects:
            self._bounds = self._bounds.united(rect)
        self.setAcceptHoverEvents(True)
        self.setZValue(8)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt's name
        return self._bounds

    def paint(self, *args) -> None:  # noqa: ANN002 - nothing to draw
        return

    def tip_at(self, x: float, y: float) -> str:
        hits = [tip for rect, tip in self.rects if rect.contains(QtCore.QPointF(x, y))]
        return hits[0] if hits else ""

    def hoverMoveEvent(self, ev: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.setToolTip(self.tip_at(ev.pos().x(), ev.pos().y()))


class SourceLanes(OverlayItems):
    """Each source's boundaries of one lead in a labelled lane above the trace."""

    def __init__(self, view_box: pg.ViewBox) -> None:
        super().__init__(view_box)
        self.labels: list[tuple[PaperText, float]] = []  # label, its lane's y

    def show(self, layout: PaperLayout, lead: str, versions: dict[str, AnnotationState]) -> None:
        self.clear()
        panel = layout.panels_for(lead)[0]
        hover: list[tuple[QtCore.QRectF, str]] = []
        for i, (name, state) in enumerate(versions.items()):
            colour, dash = lane_style(i)
            y = lane_y(panel, layout, i, len(versions))
            xs, ys = [], []
            for wave in state.waves_in(lead):
                for which in ("onset", "offset"):
                    sample = getattr(wave, which)
                    x = float(panel.x_of(sample))
                    xs += [x, x]
                    ys += [y - 0.42 * LANE_MM, y + 0.42 * LANE_MM]
                    hover.append((QtCore.QRectF(x - 0.5, y - LANE_MM / 2, 1.0, LANE_MM),
                                  f"{name}: {wave.kind.value} {which} at "
                                  f"{sample * 1000.0 / state.fs:.0f} ms"))
            rule = pg.PlotCurveItem(np.array([panel.x_mm, panel.end_mm]), np.array([y, y]),
                                    pen=pg.mkPen((*colour, 70), width=0.8))
            ticks = pg.PlotCurveItem(np.array(xs), np.array(ys), connect="pairs",
                                     pen=pg.mkPen(colour, width=2.0, style=dash))
            for item in (rule, ticks):
                item.setZValue(7)
                self.add(item)
            label = PaperText(note_html(f"{chr(65 + i)}  {name}", 9, "#%02x%02x%02x" % colour),
                              fill=QtGui.QColor(255, 250, 248, 220), anchor_y=0.5)
            label.setZValue(21)
            label.setPos(0.5, y)
            self.add(label)
            self.labels.append((label, y))
        if hover:
            self.add(HoverTicks(hover))

    def pin(self, rect: QtCore.QRectF, px_per_mm: float) -> None:
        """Keep the lane names at the view's left edge when zoomed in."""
        left = rect.left() + 4.0 / max(px_per_mm, 1e-6)
        for label, y in self.labels:
            label.setPos(max(0.5, left), y)

    def clear(self) -> None:
        super().clear()
        self.labels = []


class AdjudicationPaper(QtWidgets.QWidget):
    """The chosen lead on paper: the sources' lanes, and the consensus to edit."""

    def __init__(self, on_command: Callable[[Command, bool], bool],
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.paper = PaperView()
        self.paper.setMinimumHeight(260)
        self.editor = BoundaryEditor(self.paper, on_command)
        self.lanes = SourceLanes(self.paper.vb)
        self.lead: str | None = None
        self._source: ECGRecord | None = None  # the record the lead was taken from
        self.paper.view_moved.connect(self._pin)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.paper)
        for key, kind in (("P", WaveKind.P), ("Q", WaveKind.QRS), ("T", WaveKind.T)):
            QtGui.QShortcut(QtGui.QKeySequence(key), self.paper, lambda k=kind: self.editor.arm(k))

    def show_lead(self, record: ECGRecord | None, lead: str, versions: dict[str, AnnotationState],
                  consensus: AnnotationState) -> None:
        """Draw ``lead`` with every source's lane and the consensus so far."""
        template = next(iter(versions.values()))
        if lead != self.lead or self.paper.record is None or record is not self._source:
            self._source = record
            self.paper.show_record(lead_record(record, lead, template.fs, template.n_samples),
                                   dataclasses.replace(ViewState(), layout=LayoutKind.ONE_ROW_PER_LEAD))
            self.lead = lead
        layout = self.paper.layout
        assert layout is not None
        self.lanes.show(layout, lead, versions)
        self.show_consensus(consensus)
        self._pin()

    def show_consensus(self, consensus: AnnotationState) -> None:
        """The consensus's waves on this lead, drawn on the trace and editable."""
        lead = self.lead
        if lead is None:
            return
        waves = {k: a for k, a in consensus.waves.items() if a.wave.lead == lead}
        state = AnnotationState(consensus.fs, (lead,), consensus.n_samples, waves)
        self.paper.set_delineation(Delineation(consensus.fs, (lead,), tuple(a.wave for a in waves.values()),
                                               "consensus", ""))
        self.editor.set_state(state, editable=True)

    def _pin(self) -> None:
        rect = self.paper.vb.viewRect()
        self.lanes.pin(rect, self.paper.px_per_mm()[0])
