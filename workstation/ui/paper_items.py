"""Graphics items of the ECG paper: the grid, text labels, the time ruler and the caliper.

All items live in paper millimetres (y downward, see :mod:`workstation.core.layout`). They
draw; they hold no data of the record and decide nothing about it.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from workstation.core.layout import CaliperMeasurement, PaperPoint

# Colours of a classic printout: pale paper, light-red small boxes, red large boxes, black ink.
DESK = "#d9d6d2"
PAPER = "#fffaf8"
GRID_MINOR = "#f6cdc8"
GRID_MAJOR = "#e58f87"
INK = "#111111"
LABEL = "#1b1b1b"
DERIVED_MARK = "#9a5b00"
CALIPER = "#0b5cad"
RULER = "#6b4f4b"

#: The paper's 1 mm small boxes and 5 mm large boxes. Zoomed far out (an hour of Holter on
#: screen) the large-box lines would merge into a solid fill, so coarser multiples of 5 mm
#: take their place; the small boxes are simply left out when closer than MIN_MINOR_PX.
MINOR_MM = 1.0
MAJOR_LEVELS_MM = (5.0, 25.0, 125.0, 625.0, 3125.0, 15625.0, 78125.0)
MIN_MINOR_PX = 2.0
MIN_MAJOR_PX = 4.0


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


def lead_label(name: str, derived: bool) -> pg.TextItem:
    """A lead name in bold ink; a derived lead carries a small "derived" mark."""
    mark = f' <span style="font-size:8pt; font-weight:normal; color:{DERIVED_MARK};">derived</span>'
    html = (f'<span style="font-family:sans-serif; font-size:11pt; font-weight:bold; color:{LABEL};">'
            f'{name}</span>{mark if derived else ""}')
    item = pg.TextItem(html=html, anchor=(0, 0), fill=pg.mkBrush(255, 250, 248, 190))
    item.setZValue(5)  # under the ink: a label may never hide signal
    return item


def note_label(text: str, *, size_pt: int = 9, color: str = RULER) -> pg.TextItem:
    """Small plain text printed on the paper (footer, times)."""
    item = pg.TextItem(anchor=(0, 0))
    item.setHtml(f'<span style="font-family:sans-serif; font-size:{size_pt}pt; color:{color};'
                 f' white-space:pre;">'
                 f'{_escape(text)}</span>')
    item.setZValue(20)
    return item


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- time ruler (strip view) --------------------------------------------------------------
TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


def tick_step_s(visible_s: float, max_ticks: int = 8) -> int:
    """The smallest standard step that puts at most ``max_ticks`` labels in ``visible_s``."""
    for step in TICK_STEPS_S:
        if visible_s / step <= max_ticks:
            return step
    return TICK_STEPS_S[-1]


def format_time(seconds: float, start: dt.datetime | None = None) -> str:
    """Clock time when the recording's start is known, else elapsed time, as HH:MM:SS."""
    if start is not None:
        return (start + dt.timedelta(seconds=seconds)).strftime("%H:%M:%S")
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


class TimeRuler:
    """Time labels along the top of a strip view, reusing a small pool of text items."""

    def __init__(self, view: pg.ViewBox, x0_mm: float, speed_mm_s: float, y_mm: float,
                 start: dt.datetime | None = None) -> None:
        self._view = view
        self._x0 = x0_mm
        self._speed = speed_mm_s
        self._y = y_mm
        self._start = start
        self._pool: list[pg.TextItem] = []

    def update(self, x_lo: float, x_hi: float, duration_s: float) -> None:
        t_lo = max(0.0, (x_lo - self._x0) / self._speed)
        t_hi = min(duration_s, (x_hi - self._x0) / self._speed)
        step = tick_step_s(max(t_hi - t_lo, 1e-3))
        times = np.arange(math.ceil(t_lo / step) * step, t_hi + 1e-9, step)
        self._ensure(len(times))
        for item, t in zip(self._pool, times):
            item.setHtml(f'<span style="font-family:sans-serif; font-size:8pt; color:{RULER};">'
                         f'{format_time(float(t), self._start)}</span>')
            item.setPos(self._x0 + t * self._speed, self._y)
            item.setVisible(True)
        for item in self._pool[len(times):]:
            item.setVisible(False)

    def _ensure(self, n: int) -> None:
        while len(self._pool) < n:
            item = note_label("")
            self._view.addItem(item, ignoreBounds=True)
            self._pool.append(item)


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
        self._text = pg.TextItem(anchor=(0, 1), fill=pg.mkBrush(255, 255, 255, 225),
                                 border=pg.mkPen(CALIPER, width=1))
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
        self._text.setHtml(f'<span style="font-family:sans-serif; font-size:10pt; color:{CALIPER};">'
                           f'{caliper_text(m)}</span>')
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
        return self._text.textItem.toPlainText()
