"""Two sources' boundaries on the paper, told apart by shape and line as well as by colour.

Source **A** is drawn along the top of each lead's band: a solid tick under a downward
triangle. Source **B** is drawn along the bottom: a dashed tick over an upward triangle. The
middle of the band, where the trace runs, stays clear. Where the two differ beyond the CSE tolerance, the gap
between them is shaded amber across the band; hovering any compared boundary shows both
positions and the difference in ms. The overlay only reads; it never changes a source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.layout import Panel, PaperLayout
from workstation.review.compare import Difference, Mark
from workstation.ui.overlays import OverlayItems

#: Okabe-Ito blue and reddish purple: apart for colour-blind readers too (and shape and
#: dash tell them apart without colour).
COLOUR_A = "#0072b2"
COLOUR_B = "#cc3d8f"
DISAGREE_FILL = (230, 159, 0, 90)
DISAGREE_EDGE = "#b37400"
HALF = 0.42  # of the row pitch: the band the marks use, above and below the baseline
SYMBOL_PX = 9
TICK_INNER = 0.3  # a tick runs from the band's edge to this fraction of the half band
#: Legend text (the dock shows it; nothing is written over the trace).
LEGEND_A = "▼ solid, along the top"
LEGEND_B = "▲ dashed, along the bottom"


@dataclass(frozen=True)
class DifferenceSpan:
    """A compared boundary as drawn: its rectangle (paper mm) and its hover text."""

    difference: Difference
    rect: QtCore.QRectF
    tip: str


def _panel_of(layout: PaperLayout, lead: str, sample: int) -> list[Panel]:
    return [p for p in layout.panels_for(lead) if p.start <= sample < p.stop]


def difference_spans(layout: PaperLayout, differences: list[Difference], name_a: str,
                     name_b: str) -> list[DifferenceSpan]:
    """Every difference on every panel that shows it, with a little room to hover."""
    spans = []
    half = HALF * layout.row_pitch_mm
    for d in differences:
        samples = [s for s in (d.a, d.b) if s is not None]
        for panel in _panel_of(layout, d.lead, min(samples)):
            x0, x1 = (float(panel.x_of(s)) for s in (min(samples), max(samples)))
            rect = QtCore.QRectF(x0 - 0.6, panel.baseline_mm - half, x1 - x0 + 1.2, 2 * half)
            spans.append(DifferenceSpan(d, rect, d.describe(name_a, name_b)))
    return spans


class DifferenceItems(pg.GraphicsObject):
    """The compared boundaries as hover areas; those beyond tolerance shaded amber."""

    def __init__(self, spans: list[DifferenceSpan]) -> None:
        super().__init__()
        self.spans = spans
        rects = [s.rect for s in spans]
        self._bounds = QtCore.QRectF()
        for r in rects:
            self._bounds = self._bounds.united(r)
        self._shaded = [s.rect for s in spans if s.difference.disagrees]
        self.setAcceptHoverEvents(True)
        self.setZValue(8)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt's name
        return self._bounds

    def paint(self, painter: QtGui.QPainter, *args) -> None:  # noqa: ANN002
        painter.setPen(pg.mkPen(DISAGREE_EDGE, width=1.0))
        painter.setBrush(QtGui.QBrush(QtGui.QColor(*DISAGREE_FILL)))
        painter.drawRects(self._shaded)

    def span_at(self, x: float, y: float) -> DifferenceSpan | None:
        """The narrowest compared boundary under (x, y) mm."""
        hits = [s for s in self.spans if s.rect.contains(QtCore.QPointF(x, y))]
        return min(hits, key=lambda s: s.rect.width()) if hits else None

    def hoverMoveEvent(self, ev: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        span = self.span_at(ev.pos().x(), ev.pos().y())
        self.setToolTip(span.tip if span is not None else "")


class ComparisonOverlay(OverlayItems):
    """Draws two sources' marks and their differences over one paper view."""

    def __init__(self, view_box: pg.ViewBox) -> None:
        super().__init__(view_box)
        self.spans: list[DifferenceSpan] = []

    def show(self, layout: PaperLayout, a: tuple[Mark, ...], b: tuple[Mark, ...],
             differences: list[Difference], names: tuple[str, str]) -> None:
        self.clear()
        half = HALF * layout.row_pitch_mm
        # ticks at the band's edges, clear of the trace in its middle
        self._marks(layout, a, -half, -TICK_INNER * half, COLOUR_A, QtCore.Qt.PenStyle.SolidLine, "t")
        self._marks(layout, b, TICK_INNER * half, half, COLOUR_B, QtCore.Qt.PenStyle.DashLine, "t1")
        self.spans = difference_spans(layout, differences, *names)
        if self.spans:
            self.add(DifferenceItems(self.spans))

    def _marks(self, layout: PaperLayout, marks: tuple[Mark, ...], dy0: float, dy1: float,
               colour: str, style: QtCore.Qt.PenStyle, symbol: str) -> None:
        xs, ys, tips = [], [], []
        for m in marks:
            for panel in _panel_of(layout, m.lead, m.sample):
                x = float(panel.x_of(m.sample))
                xs += [x, x]
                ys += [panel.baseline_mm + dy0, panel.baseline_mm + dy1]
        if not xs:
            return
        line = pg.PlotCurveItem(np.array(xs), np.array(ys), connect="pairs",
                                pen=pg.mkPen(colour, width=1.6, style=style))
        line.setZValue(9)
        self.add(line)
        # the triangle sits at the outer end of the line: top for A, bottom for B
        ends = np.array(ys[0::2] if dy0 < 0 else ys[1::2])
        dots = pg.ScatterPlotItem(np.array(xs[0::2]), ends, symbol=symbol, size=SYMBOL_PX,
                                  pen=pg.mkPen("#ffffff", width=0.8), brush=pg.mkBrush(colour))
        dots.setZValue(9)
        self.add(dots)

    def clear(self) -> None:
        super().clear()
        self.spans = []
