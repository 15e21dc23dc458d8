"""Graphics items of the ECG paper: the grid and the caliper (text lives in paper_text).

All items live in paper millimetres (y downward, see :mod:`workstation.core.layout`). They
draw; they hold no data of the record and decide nothing about it.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from workstation.core.layout import CaliperMeasurement, PaperPoint
from workstation.ui.paper_text import PaperText
from workstation.ui.theme import CALIPER, GRID_MAJOR, GRID_MINOR, PAPER

#: The paper's 1 mm small boxes and 5 mm large boxes. Zoomed far out (an hour of Holter on
#: screen) the large-box lines would merge into a solid fill, so coarser multiples of 5 mm
#: take their place; the small boxes are simply left out when closer than MIN_MINOR_PX.
MINOR_MM = 1.0
MAJOR_LEVELS_MM = (5.0, 25.0, 125.0, 625.0, 3125.0, 15625.0, 78125.0)
MIN_MINOR_PX = 2.0
MIN_MAJOR_PX = 8.0


def grid_spacing(px_per_mm: float) -> tuple[float | None, float]:
    """(minor, major) line spacing in mm at this zoom; minor is None when too dense to draw."""
    minor = MINOR_MM if MINOR_MM * px_per_mm >= MIN_MINOR_PX else None
    major = next((m for m in MAJOR_LEVELS_MM if m * px_per_mm >= MIN_MAJOR_PX), MAJOR_LEVELS_MM[-1])
    return minor, major


def grid_lines(lo: float, hi: float, spacing: float, major: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions of minor and major lines in [lo, hi] (minor excludes the major ones)."""
    first = math.ceil(lo / spacing - 1e-9)
    last = math.floor(hi / spacing + 1e-9)
    pos = np.arange(first, last + 1, dtype=np.float64) * spacing
    is_major = np.isclose(np.remainder(pos + major / 2, major), major / 2, atol=spacing * 1e-3)
    return pos[~is_major], pos[is_major]


class PaperGrid(pg.GraphicsObject):
    """The sheet: pale fill with 1 mm minor and 5 mm major lines, drawn only where visible."""

    def __init__(self, width_mm: float, height_mm: float) -> None:
        super().__init__()
        self._rect = QtCore.QRectF(0.0, 0.0, width_mm, height_mm)
        self.setZValue(-100)
        self._minor_pen = pg.mkPen(GRID_MINOR, width=1)
        self._major_pen = pg.mkPen(GRID_MAJOR, width=1)
        self._paper = QtGui.QBrush(QtGui.QColor(PAPER))

    def boundingRect(self) -> QtCore.QRectF:
        return self._rect

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:  # noqa: ANN001
        visible = self._visible_rect()
        if visible.isEmpty():
            return
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        painter.fillRect(visible, self._paper)
        transform = painter.transform()
        px_x = math.hypot(transform.m11(), transform.m12())
        px_y = math.hypot(transform.m21(), transform.m22())
        minor_x, minor_y = self._lines(visible, px_x, px_y, major=False)
        major_x, major_y = self._lines(visible, px_x, px_y, major=True)
        painter.setPen(self._minor_pen)
        painter.drawLines(minor_x + minor_y)
        major_pen = QtGui.QPen(self._major_pen)
        if min(px_x, px_y) >= 8.0:  # zoomed in: the large boxes get a heavier line, as on paper
            major_pen.setWidthF(2.0)
        painter.setPen(major_pen)
        painter.drawLines(major_x + major_y)

    def _visible_rect(self) -> QtCore.QRectF:
        view = self.getViewBox()
        if view is None:
            return self._rect
        return self._rect.intersected(view.viewRect())

    def _lines(self, r: QtCore.QRectF, px_x: float, px_y: float, *, major: bool) -> tuple[list, list]:
        xs = _axis_lines(r.left(), r.right(), px_x, major=major)
        ys = _axis_lines(r.top(), r.bottom(), px_y, major=major)
        vertical = [QtCore.QLineF(x, r.top(), x, r.bottom()) for x in xs]
        horizontal = [QtCore.QLineF(r.left(), y, r.right(), y) for y in ys]
        return vertical, horizontal


def _axis_lines(lo: float, hi: float, px_per_mm: float, *, major: bool) -> np.ndarray:
    minor_mm, major_mm = grid_spacing(px_per_mm)
    if major:
        return grid_lines(lo, hi, major_mm, major_mm)[1]
    if minor_mm is None:
        return np.empty(0)
    return grid_lines(lo, hi, minor_mm, major_mm)[0]


# -- caliper --------------------------------------------------------------------------------
def caliper_text(m: CaliperMeasurement) -> str:
    """Readout of a caliper, e.g. "800 ms  75 bpm  0.00 mV"."""
    rate = m.rate_bpm
    rate_text = f"  {rate:.0f} bpm" if rate is not None and rate <= 600 else ""
    return f"Δt {abs(m.dt_ms):.0f} ms{rate_text}   ΔV {abs(m.dv_mv):.2f} mV"


class CaliperOverlay:
    """Two vertical calliper legs, the span between them and a readout, in paper mm."""

    LEG_MM = 6.0

    def __init__(self, view: pg.ViewBox) -> None:
        pen = pg.mkPen(CALIPER, width=1.6)
        self._lines = pg.PlotCurveItem(pen=pen, antialias=True, connect="pairs")
        self._text = PaperText(fill=QtGui.QColor(255, 255, 255, 225), border=QtGui.QColor(CALIPER),
                               anchor_y=1.0)
        for item in (self._lines, self._text):
            item.setZValue(50)
            view.addItem(item, ignoreBounds=True)
        self.hide()

    def show(self, start: PaperPoint, end: PaperPoint, m: CaliperMeasurement) -> None:
        leg = self.LEG_MM
        xs = [start.x_mm, start.x_mm, end.x_mm, end.x_mm, start.x_mm, end.x_mm,
              end.x_mm - 1.5, end.x_mm + 1.5]
        ys = [start.y_mm - leg, start.y_mm + leg, end.y_mm - leg, end.y_mm + leg,
              start.y_mm, start.y_mm, end.y_mm, end.y_mm]
        self._lines.setData(np.array(xs), np.array(ys))
        style = f"font-family:sans-serif; font-size:10pt; color:{CALIPER}; white-space:pre;"
        self._text.set_html(f'<span style="{style}">{caliper_text(m)}</span>')
        self._text.setPos(max(start.x_mm, end.x_mm) + 1.0, min(start.y_mm, end.y_mm) - leg)
        self._lines.setVisible(True)
        self._text.setVisible(True)

    def hide(self) -> None:
        self._lines.setVisible(False)
        self._text.setVisible(False)

    @property
    def visible(self) -> bool:
        return self._lines.isVisible()

    @property
    def text(self) -> str:
        return self._text.toPlainText()
