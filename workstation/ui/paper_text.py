"""Text on the paper: lead labels, the footer, the time ruler of a strip view.

Text keeps its size on screen whatever the zoom (``ItemIgnoresTransformations``), so labels
stay legible when zoomed out and do not balloon when zoomed in. A plain QGraphicsTextItem
is used rather than pyqtgraph's TextItem, which recomputes its transform while painting and
so asks for a second repaint on every pan.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workstation.ui.theme import DERIVED_MARK, LABEL, LABEL_FILL, RULER

_FONT = "font-family:sans-serif;"


class PaperText(QtWidgets.QGraphicsTextItem):
    """Rich text pinned to a paper point, unscaled, optionally on a filled box.

    Parameters
    ----------
    fill, border
        Box behind the text (None for none).
    anchor_y
        Which point of the text's left edge sits at the position: 0 its top, 0.5 its
        middle, 1 its bottom.
    """

    def __init__(self, html: str = "", *, fill: QtGui.QColor | None = None,
                 border: QtGui.QColor | None = None, anchor_y: float = 0.0) -> None:
        super().__init__()
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self._fill = fill
        self._border = border
        self._anchor_y = anchor_y
        self._html = ""
        self.set_html(html)

    def set_html(self, html: str) -> None:
        if html == self._html:
            return  # re-laying out text is the costliest thing a pan would do
        self._html = html
        self.setHtml(html)
        if self._anchor_y:
            shift = -self._anchor_y * self.boundingRect().height()
            self.setTransform(QtGui.QTransform.fromTranslate(0.0, shift))

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:  # noqa: ANN001
        if self._fill is not None or self._border is not None:
            painter.setPen(QtCore.Qt.PenStyle.NoPen if self._border is None else QtGui.QPen(self._border))
            painter.setBrush(self._fill if self._fill is not None else QtCore.Qt.BrushStyle.NoBrush)
            painter.drawRect(self.boundingRect().adjusted(1, 1, -1, -1))
        super().paint(painter, option, widget)


def lead_label(name: str, derived: bool, *, anchor_y: float = 0.0) -> PaperText:
    """A lead name in bold ink; a derived lead carries a small "derived" mark."""
    mark = f' <span style="font-size:8pt; font-weight:normal; color:{DERIVED_MARK};">derived</span>'
    html = (f'<span style="{_FONT} font-size:11pt; font-weight:bold; color:{LABEL};">'
            f'{escape(name)}</span>{mark if derived else ""}')
    item = PaperText(html, fill=QtGui.QColor(*LABEL_FILL), anchor_y=anchor_y)
    item.setZValue(5)  # under the ink: a label may never hide signal
    return item


def note_label(text: str, *, size_pt: int = 9, color: str = RULER) -> PaperText:
    """Small plain text printed on the paper (footer, times)."""
    item = PaperText(note_html(text, size_pt, color))
    item.setZValue(20)
    return item


def note_html(text: str, size_pt: int = 9, color: str = RULER) -> str:
    """The HTML of small plain text on the paper (see :func:`note_label`)."""
    return (f'<span style="{_FONT} font-size:{size_pt}pt; color:{color}; white-space:pre;">'
            f'{escape(text)}</span>')


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
        self._pool: list[PaperText] = []

    def update(self, x_lo: float, x_hi: float, duration_s: float) -> None:
        """Label the standard ticks that fall in paper x range [x_lo, x_hi]."""
        t_lo = max(0.0, (x_lo - self._x0) / self._speed)
        t_hi = min(duration_s, (x_hi - self._x0) / self._speed)
        step = tick_step_s(max(t_hi - t_lo, 1e-3))
        times = np.arange(math.ceil(t_lo / step) * step, t_hi + 1e-9, step)
        self._ensure(len(times))
        for item, t in zip(self._pool, times, strict=False):  # the pool may be larger
            item.set_html(note_html(format_time(float(t), self._start), 8))
            item.setPos(self._x0 + t * self._speed, self._y)
            item.setVisible(True)
        for item in self._pool[len(times):]:
            item.setVisible(False)

    @property
    def texts(self) -> list[str]:
        return [item.toPlainText() for item in self._pool if item.isVisible()]

    def _ensure(self, n: int) -> None:
        while len(self._pool) < n:
            item = note_label("")
            self._view.addItem(item, ignoreBounds=True)
            self._pool.append(item)
