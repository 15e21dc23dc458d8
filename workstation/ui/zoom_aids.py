"""What keeps a zoomed-in sheet readable: lead names pinned into view and a time ruler.

Zoomed in on a resting ECG, the lead name printed at the start of a panel scrolls out of
sight, and so does every notion of where in the 10 s one is. :class:`PinnedLeadLabels` keeps
each visible panel's name inside the view (at its left edge, within the panel), and
:class:`PaperRuler` labels the time (s from the record's start) of the panels of the topmost
visible row along the top of the view, at a step that leaves room between the labels.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from workstation.core.layout import Panel, PaperLayout
from workstation.ui.paper_text import PaperText, note_html, note_label

#: Ruler steps (s): the smallest that leaves at least RULER_MIN_PX between two labels is used.
RULER_STEPS_S = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
RULER_MIN_PX = 70.0
#: The ruler shows when the view spans less than this fraction of the sheet's width.
RULER_ZOOM_FRACTION = 0.6
PIN_MARGIN_PX = 4.0


def ruler_step_s(px_per_s: float) -> float:
    """The smallest standard step whose labels are at least :data:`RULER_MIN_PX` apart."""
    for step in RULER_STEPS_S:
        if step * px_per_s >= RULER_MIN_PX:
            return step
    return RULER_STEPS_S[-1]


def ruler_ticks(layout: PaperLayout, rect: QtCore.QRectF, px_per_mm: float) -> list[tuple[float, float]]:
    """(paper x, time s) of the ruler's labels: the panels of the topmost row in view."""
    rows = sorted({p.row for p in layout.panels
                   if rect.top() <= p.baseline_mm + 0.3 * layout.row_pitch_mm
                   and p.baseline_mm - 0.3 * layout.row_pitch_mm <= rect.bottom()})
    if not rows:
        return []
    step = ruler_step_s(layout.paper.speed_mm_s * px_per_mm)
    ticks = []
    for panel in (p for p in layout.panels if p.row == rows[0]):
        lo, hi = max(rect.left(), panel.x_mm), min(rect.right(), panel.end_mm)
        if hi <= lo:
            continue
        t_lo, t_hi = (panel.sample_at(lo) / layout.fs, panel.sample_at(hi) / layout.fs)
        # a panel's end is the next panel's start: it is labelled once, by the next
        end = t_hi - 1e-6 if hi >= panel.end_mm - 1e-9 else t_hi + 1e-9
        for t in np.arange(math.ceil(t_lo / step - 1e-9) * step, end, step):
            ticks.append((float(panel.x_of(t * layout.fs)), float(t)))
    return ticks


def format_seconds(t: float, step: float) -> str:
    return f"{t:.1f} s" if step < 1.0 else f"{t:.0f} s"


class PaperRuler:
    """Time labels along the top of a zoomed-in sheet, from a small pool of text items."""

    def __init__(self, view: pg.ViewBox, layout: PaperLayout) -> None:
        self._view, self._layout = view, layout
        self._pool: list[PaperText] = []

    def update(self, rect: QtCore.QRectF, px_per_mm: float) -> None:
        zoomed = rect.width() < RULER_ZOOM_FRACTION * self._layout.width_mm
        ticks = ruler_ticks(self._layout, rect, px_per_mm) if zoomed else []
        step = ruler_step_s(self._layout.paper.speed_mm_s * px_per_mm)
        while len(self._pool) < len(ticks):
            item = note_label("")
            item.setZValue(25)
            self._view.addItem(item, ignoreBounds=True)
            self._pool.append(item)
        top = rect.top() + PIN_MARGIN_PX / max(px_per_mm, 1e-6)
        for item, (x, t) in zip(self._pool, ticks, strict=False):
            item.set_html(note_html("|" + format_seconds(t, step), 9))
            item.setPos(x - 1.0 / max(px_per_mm, 1e-6), top)
            item.setVisible(True)
        for item in self._pool[len(ticks):]:
            item.setVisible(False)

    @property
    def texts(self) -> list[str]:
        return [item.toPlainText().lstrip("|") for item in self._pool if item.isVisible()]


class PinnedLeadLabels:
    """Keeps each panel's lead name in view: never left of the view, never above it."""

    def __init__(self) -> None:
        self._labels: list[tuple[PaperText, Panel, float, float]] = []  # item, panel, home x, y

    def add(self, item: PaperText, panel: Panel, x_mm: float, y_mm: float) -> None:
        self._labels.append((item, panel, x_mm, y_mm))

    def clear(self) -> None:
        self._labels = []

    def update(self, rect: QtCore.QRectF, px_per_mm: float) -> None:
        margin = PIN_MARGIN_PX / max(px_per_mm, 1e-6)
        label_w = 40.0 / max(px_per_mm, 1e-6)  # room a name needs before the panel ends
        for item, panel, x_mm, y_mm in self._labels:
            x = min(max(x_mm, rect.left() + margin), max(x_mm, panel.end_mm - label_w))
            # the ruler's labels sit at the very top: a pinned name goes just below them
            y = min(max(y_mm, rect.top() + 6.0 * margin), panel.baseline_mm)
            item.setPos(x, y)

    @property
    def positions(self) -> list[tuple[str, float, float]]:
        """(text, paper x, paper y) of every label, for tests."""
        return [(item.toPlainText(), item.pos().x(), item.pos().y()) for item, *_ in self._labels]
