"""Delineation overlays: P, QRS and T spans shaded per lead, boundaries as thin markers.

A boundary whose confidence is below :data:`LOW_CONFIDENCE` is drawn dashed in amber, so
that the eye goes to where the model hesitates. Hovering a span shows the lead, the wave,
its onset and offset in ms and the confidences. The overlay only reads the delineation and
the layout; it never changes either. For long records only the waves near the visible
window are drawn, re-read as the view moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.delineation import Delineation, Wave, WaveKind
from workstation.core.layout import PaperLayout

#: Below this boundary confidence a marker is drawn dashed amber ("please look").
LOW_CONFIDENCE = 0.6
#: Fill (RGBA) per wave kind: pale, so that the ink stays the darkest thing on the paper.
FILL = {WaveKind.P: (52, 120, 219, 38), WaveKind.QRS: (230, 126, 34, 38), WaveKind.T: (39, 174, 96, 38)}
EDGE = {WaveKind.P: "#1f5fa8", WaveKind.QRS: "#b35806", WaveKind.T: "#1e7d46"}
LOW_CONF_COLOUR = "#e69500"
SPAN_HALF_HEIGHT = 0.3  # of the row pitch, above and below the baseline


@dataclass(frozen=True)
class Span:
    """One wave as drawn: its rectangle on the paper (mm) and what hovering it says."""

    wave: Wave
    x0: float
    x1: float
    y0: float
    y1: float
    tip: str


def spans_for(layout: PaperLayout, delineation: Delineation, lo_s: float = 0.0,
              hi_s: float = float("inf")) -> list[Span]:
    """Every wave of ``delineation`` that falls in a panel of ``layout`` (within lo..hi s)."""
    half = SPAN_HALF_HEIGHT * layout.row_pitch_mm
    fs = delineation.fs
    lo, hi = lo_s * fs, hi_s * fs
    spans = []
    for panel in layout.panels:
        for wave in delineation.waves_in(panel.lead):
            if wave.offset < max(panel.start, lo) or wave.onset >= min(panel.stop, hi):
                continue
            x0 = float(panel.x_of(max(wave.onset, panel.start)))
            x1 = float(panel.x_of(min(wave.offset, panel.stop - 1)))
            spans.append(Span(wave, x0, max(x1, x0 + 0.2), panel.baseline_mm - half,
                              panel.baseline_mm + half, describe_wave(wave, fs)))
    return spans


def describe_wave(wave: Wave, fs: float) -> str:
    """Hover text: lead, wave, onset/offset in ms from the record start, confidences."""
    to_ms = 1000.0 / fs
    flag = "  - low confidence, please look" if min(wave.onset_conf, wave.offset_conf) < LOW_CONFIDENCE else ""
    return (f"{wave.kind.value} in {wave.lead}{flag}\n"
            f"onset {wave.onset * to_ms:.0f} ms (confidence {wave.onset_conf:.2f})\n"
            f"offset {wave.offset * to_ms:.0f} ms (confidence {wave.offset_conf:.2f})\n"
            f"duration {(wave.offset - wave.onset) * to_ms:.0f} ms")


class WaveSpans(pg.GraphicsObject):
    """All shaded wave spans in one item (one paint call), with hover tool tips."""

    def __init__(self, spans: list[Span]) -> None:
        super().__init__()
        self.spans = spans
        self._brushes = {k: QtGui.QBrush(QtGui.QColor(*rgba)) for k, rgba in FILL.items()}
        self._x0 = np.array([s.x0 for s in spans])
        self._x1 = np.array([s.x1 for s in spans])
        self._y0 = np.array([s.y0 for s in spans])
        self._y1 = np.array([s.y1 for s in spans])
        self._bounds = (QtCore.QRectF(self._x0.min(), self._y0.min(), self._x1.max() - self._x0.min(),
                                      self._y1.max() - self._y0.min()) if spans else QtCore.QRectF())
        self._rects: dict[WaveKind, list[QtCore.QRectF]] = {}
        for span in spans:
            self._rects.setdefault(span.wave.kind, []).append(
                QtCore.QRectF(span.x0, span.y0, span.x1 - span.x0, span.y1 - span.y0))
        self.setAcceptHoverEvents(True)
        self.setZValue(5)  # above the grid, below the ink

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def paint(self, painter: QtGui.QPainter, *args) -> None:  # noqa: ANN002
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for kind, rects in self._rects.items():  # one call per colour: a few hundred spans
            painter.setBrush(self._brushes[kind])
            painter.drawRects(rects)

    def span_at(self, x: float, y: float) -> Span | None:
        hit = np.flatnonzero((self._x0 <= x) & (x <= self._x1) & (self._y0 <= y) & (y <= self._y1))
        return self.spans[int(hit[0])] if hit.size else None

    def hoverMoveEvent(self, ev: QtWidgets.QGraphicsSceneHoverEvent) -> None:
        span = self.span_at(ev.pos().x(), ev.pos().y())
        self.setToolTip(span.tip if span is not None else "")


def boundary_items(spans: list[Span]) -> list[pg.PlotCurveItem]:
    """Onset/offset markers: solid in the wave's colour, dashed amber when unsure."""
    items = []
    for kind in WaveKind:
        for unsure in (False, True):
            xs, ys = [], []
            for s in spans:
                if s.wave.kind is not kind:
                    continue
                for x, conf in ((s.x0, s.wave.onset_conf), (s.x1, s.wave.offset_conf)):
                    if (conf < LOW_CONFIDENCE) == unsure:
                        xs += [x, x]
                        ys += [s.y0, s.y1]
            if not xs:
                continue
            pen = (pg.mkPen(LOW_CONF_COLOUR, width=1.6, style=QtCore.Qt.PenStyle.DashLine) if unsure
                   else pg.mkPen(EDGE[kind], width=1.0))
            item = pg.PlotCurveItem(np.array(xs), np.array(ys), connect="pairs", pen=pen)
            item.setZValue(6)
            items.append(item)
        peaks = [s for s in spans if s.wave.kind is kind]
        if peaks:  # a short tick at each peak, on the edge of the span: editable like the others
            xs = np.repeat([_peak_x(s) for s in peaks], 2)
            ys = np.ravel([(s.y0, s.y0 + PEAK_TICK_FRACTION * (s.y1 - s.y0)) for s in peaks])
            item = pg.PlotCurveItem(xs, ys, connect="pairs", pen=pg.mkPen(EDGE[kind], width=1.6))
            item.setZValue(6)
            items.append(item)
    return items


PEAK_TICK_FRACTION = 0.22


def _peak_x(span: Span) -> float:
    """Paper x of a span's peak (interpolated between its drawn onset and offset)."""
    w = span.wave
    if w.offset == w.onset:
        return span.x0
    return span.x0 + (span.x1 - span.x0) * (w.peak - w.onset) / (w.offset - w.onset)


class OverlayItems:
    """Items one overlay has added to a view box, removed together by :meth:`clear`."""

    def __init__(self, view_box: pg.ViewBox) -> None:
        self._vb = view_box
        self._items: list[QtWidgets.QGraphicsItem] = []

    def add(self, item: QtWidgets.QGraphicsItem) -> None:
        self._vb.addItem(item, ignoreBounds=True)
        self._items.append(item)

    def clear(self) -> None:
        for item in self._items:
            if item.scene() is not None:
                self._vb.removeItem(item)
        self._items = []


class DelineationOverlay(OverlayItems):
    """Adds and replaces the overlay items of one view box."""

    def __init__(self, view_box: pg.ViewBox) -> None:
        super().__init__(view_box)
        self.spans: list[Span] = []
        self._window: tuple[float, float] | None = None

    def show(self, layout: PaperLayout, delineation: Delineation,
             window_s: tuple[float, float] | None = None) -> None:
        """Draw the waves of ``delineation`` (only those within ``window_s`` when given)."""
        self.clear()
        lo, hi = window_s if window_s is not None else (0.0, float("inf"))
        self.spans = spans_for(layout, delineation, lo, hi)
        self._window = window_s
        if not self.spans:
            return
        for item in (WaveSpans(self.spans), *boundary_items(self.spans)):
            self.add(item)

    def covers(self, lo_s: float, hi_s: float) -> bool:
        """Whether the drawn window already contains lo..hi seconds."""
        return self._window is None or (self._window[0] <= lo_s and hi_s <= self._window[1])

    def clear(self) -> None:
        super().clear()
        self.spans, self._window = [], None



HIGHLIGHT_FILL = (255, 213, 0, 70)
HIGHLIGHT_EDGE = "#c79a00"


class HighlightOverlay(OverlayItems):
    """Marks where a selected finding was measured: its leads, and its beats when known."""

    def __init__(self, view_box: pg.ViewBox) -> None:
        super().__init__(view_box)
        self.rects: list[QtCore.QRectF] = []

    def show(self, layout: PaperLayout, leads: tuple[str, ...],
             sample_ranges: tuple[tuple[int, int], ...] = ()) -> None:
        """Highlight ``leads`` (every panel showing them) over ``sample_ranges`` (or all of it)."""
        self.clear()
        half = 0.45 * layout.row_pitch_mm
        for panel in layout.panels:
            if panel.lead not in leads:
                continue
            ranges = sample_ranges or ((panel.start, panel.stop),)
            for lo, hi in ranges:
                lo, hi = max(lo, panel.start), min(hi, panel.stop)
                if hi <= lo:
                    continue
                x0, x1 = float(panel.x_of(lo)), float(panel.x_of(hi))
                self.rects.append(QtCore.QRectF(x0, panel.baseline_mm - half, x1 - x0, 2 * half))
        for rect in self.rects:
            item = QtWidgets.QGraphicsRectItem(rect)
            item.setBrush(QtGui.QBrush(QtGui.QColor(*HIGHLIGHT_FILL)))
            item.setPen(pg.mkPen(HIGHLIGHT_EDGE, width=1.2))
            item.setZValue(4)
            self.add(item)

    def clear(self) -> None:
        super().clear()
        self.rects = []


UNREADABLE_FILL = (90, 90, 90, 60)


class LeadStatusOverlay(OverlayItems):
    """Greys out every panel of a lead the annotator marked unreadable, and says so."""

    def __init__(self, view_box: pg.ViewBox) -> None:
        super().__init__(view_box)
        self.unreadable: tuple[str, ...] = ()

    def show(self, layout: PaperLayout, unreadable: tuple[str, ...]) -> None:
        self.clear()
        self.unreadable = unreadable
        half = 0.45 * layout.row_pitch_mm
        for panel in layout.panels:
            if panel.lead not in unreadable:
                continue
            rect = QtWidgets.QGraphicsRectItem(QtCore.QRectF(panel.x_mm, panel.baseline_mm - half,
                                                             panel.width_mm, 2 * half))
            rect.setBrush(QtGui.QBrush(QtGui.QColor(*UNREADABLE_FILL), QtCore.Qt.BrushStyle.BDiagPattern))
            rect.setPen(pg.mkPen("#555555", width=1.0, style=QtCore.Qt.PenStyle.DashLine))
            rect.setZValue(7)
            rect.setToolTip(f"{panel.lead} marked unreadable by the annotator")
            self.add(rect)

    def clear(self) -> None:
        super().clear()
        self.unreadable = ()
