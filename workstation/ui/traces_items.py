"""The trace of one panel, drawn in paper mm, and the view box that holds the paper.

A short panel (a 2.5 s column, a 10 s strip) is handed to pyqtgraph whole, with automatic
peak downsampling and clipping to the view. A long one (a lead of a 24 h Holter) is
*windowed*: each time the view moves, only the visible samples (plus a view's width each
side, so that small pans need no new read) are read through :class:`DisplaySignals` and
reduced to min/max pairs at about the pixel width. All samples are never drawn.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from workstation.core.layout import Panel, PaperPoint
from workstation.ui.decimate import peak_decimate
from workstation.ui.theme import INK
from workstation.ui.traces import DisplaySignals

#: Panels longer than this (samples) are windowed (read and decimated per view).
WINDOWED_MIN_SAMPLES = 200_000
#: Min/max bins per screen pixel of a windowed trace.
BINS_PER_PIXEL = 1.0
#: Ink width in screen pixels. Qt strokes an antialiased path wider than one pixel about ten
#: times slower than a one-pixel one; a noisy Holter trace is drawn at one pixel to stay
#: smooth, a resting ECG slightly heavier, closer to a printout's ink.
INK_PX = 1.3
WINDOWED_INK_PX = 1.0


class PaperViewBox(pg.ViewBox):
    """A view box in paper mm (y downward) whose left drag measures when the caliper is on."""

    sigCaliperDrag = QtCore.Signal(object, object, bool)  # start, end (PaperPoint), finished

    def __init__(self) -> None:
        super().__init__(invertY=True, lockAspect=True, enableMenu=False, defaultPadding=0.0)
        self.caliper_enabled = False
        self.editor = None  # a BoundaryEditor takes left drags that start on a boundary
        self._editing = False

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: ANN001 - pyqtgraph signature
        left = ev.button() == QtCore.Qt.MouseButton.LeftButton
        if left and self.editor is not None and not self.caliper_enabled:
            point = self._paper_point(ev.scenePos())
            if ev.isStart():
                start = self._paper_point(ev.buttonDownScenePos())
                self._editing = self.editor.begin_drag(start, ev.modifiers())
            if self._editing:
                ev.accept()
                if ev.isFinish():
                    self._editing = False
                    self.editor.end_drag(point, ev.modifiers())
                else:
                    self.editor.drag_to(point, ev.modifiers())
                return
        if self.caliper_enabled and left:
            ev.accept()
            start = self.mapSceneToView(ev.buttonDownScenePos())
            end = self.mapSceneToView(ev.scenePos())
            self.sigCaliperDrag.emit(PaperPoint(start.x(), start.y()),
                                     PaperPoint(end.x(), end.y()), ev.isFinish())
            return
        super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev) -> None:  # noqa: ANN001 - pyqtgraph signature
        if self.editor is not None and ev.button() in (QtCore.Qt.MouseButton.LeftButton,
                                                       QtCore.Qt.MouseButton.RightButton):
            ev.accept()
            self.editor.click(self._paper_point(ev.scenePos()), ev.button(), ev.screenPos().toPoint())
            return
        super().mouseClickEvent(ev)

    def _paper_point(self, scene_pos: QtCore.QPointF) -> PaperPoint:
        view = self.mapSceneToView(scene_pos)
        return PaperPoint(view.x(), view.y())


class TraceItem(pg.PlotDataItem):
    """The ink of one :class:`~workstation.core.layout.Panel`.

    Parameters
    ----------
    panel
        Which lead and samples, and where on the paper.
    signals
        Conditioned, read-only samples of the record.
    windowed
        Read only the visible window on every view change (long records).
    """

    def __init__(self, panel: Panel, signals: DisplaySignals, *, windowed: bool) -> None:
        width = WINDOWED_INK_PX if windowed else INK_PX
        super().__init__(pen=pg.mkPen(INK, width=width), antialias=True, connect="finite")
        self.panel = panel
        self.windowed = windowed
        self._signals = signals
        self._loaded: tuple[int, int, float] | None = None  # start, stop, samples per bin
        self.setZValue(10)
        self.setClipToView(True)
        if not windowed:
            self._load_whole()
            # the ink of a resting ECG is drawn once per zoom and then blitted: editing the
            # overlays above it repaints them without stroking every trace again
            self.curve.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def _load_whole(self) -> None:
        p = self.panel
        y = self._signals.read(p.lead_index, p.start, p.stop)
        x = p.x_of(np.arange(p.start, p.start + len(y)))
        self.setData(x, p.y_of(y - centring_offset(y)))
        self.setDownsampling(auto=True, method="peak")

    def viewRangeChanged(self, vb=None, ranges=None, changed=None) -> None:  # noqa: ANN001
        # While being added to the scene the item has no view box yet and pyqtgraph would
        # ask the bare GraphicsView for its auto-range; wait until it is in its view box.
        if isinstance(self.getViewBox(), pg.ViewBox):
            super().viewRangeChanged(vb, ranges, changed)

    def refresh(self, x_lo_mm: float, x_hi_mm: float, width_px: float) -> bool:
        """Re-read a windowed trace if the view left what is loaded; True when it read."""
        if not self.windowed:
            return False
        lo, hi = self.panel.visible_samples(x_lo_mm, x_hi_mm)
        span = max(hi - lo, 1)
        per_bin = span / max(width_px * BINS_PER_PIXEL, 1.0)
        if self._covers(lo, hi, per_bin):
            return False
        self._load_window(lo - span, hi + span, per_bin)
        return True

    def _covers(self, lo: int, hi: int, per_bin: float) -> bool:
        if self._loaded is None:
            return False
        start, stop, loaded_per_bin = self._loaded
        inside = start <= lo and hi <= stop
        return inside and 0.5 <= loaded_per_bin / max(per_bin, 1e-9) <= 2.0

    def _load_window(self, start: int, stop: int, per_bin: float) -> None:
        p = self.panel
        start, stop = max(p.start, start), min(p.stop, stop)
        y = self._signals.read(p.lead_index, start, stop)
        n_bins = int(len(y) / max(per_bin, 1.0))
        x, y_mv = peak_decimate(y, n_bins, x0=float(p.x_of(start)), dx=p.mm_per_sample)
        self.setData(x, p.y_of(y_mv))
        self._loaded = (start, stop, per_bin)

    @property
    def n_points(self) -> int:
        """Vertices held (before pyqtgraph's own clipping)."""
        x, _ = self.getData()
        return 0 if x is None else len(x)


def centring_offset(y: np.ndarray) -> float:
    """The offset that centres a panel's trace on its row: the median of its finite samples.

    An electrode's DC offset carries no clinical information, and electrocardiographs print
    each lead AC-coupled around its row; without this, a lead with a -17 mV offset (seen in
    real Philips files) would be drawn across its neighbours. Amplitude differences, and so
    every caliper reading, are unchanged.
    """
    finite = y[np.isfinite(y)]
    return float(np.median(finite)) if finite.size else 0.0
