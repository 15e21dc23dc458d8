"""The ECG paper view: a record drawn at true scale on pink grid paper, in millimetres.

The view shows a :class:`~workstation.core.layout.PaperLayout`; it reads samples only through
:class:`~workstation.ui.traces.DisplaySignals` and never changes the record. Two modes:

* **paper** (a resting ECG in 3x4+rhythm, 6x2, 12x1): the whole sheet, zoomed and panned
  with the aspect ratio locked, so that a millimetre is square at every zoom;
* **strip** (full-length rows longer than 10 s, e.g. a Holter): the rows always fill the
  height, the wheel and keys zoom time only, lead labels stay pinned at the left edge, a
  time ruler runs along the top, and long leads are read window by window.

A 12x1 sheet opens at the sheet's width, as a printed 12x1 page is read, and scrolls down.
Zoomed in on a sheet, the lead names stay in view and a time ruler labels the top.

Mouse: wheel zooms (on a 12x1 sheet it scrolls; Ctrl+wheel zooms), left drag pans (measures
when the caliper is on), right drag zooms.
Keys: + / - zoom, arrows pan, Page Up / Page Down pan a screen (scroll a 12x1 sheet), Home
fits, End goes to the end, Esc clears the caliper.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.layout import (
    FOOTER_MM,
    STANDARD_WINDOW_S,
    CaliperMeasurement,
    LayoutKind,
    Panel,
    PaperLayout,
    PaperPoint,
    compute_layout,
    measure_caliper,
    rhythm_leads,
)
from workstation.core.delineation import Delineation
from workstation.core.record import ECGRecord
from workstation.ui.overlays import DelineationOverlay, HighlightOverlay, LeadStatusOverlay
from workstation.ui.paper_items import CaliperOverlay, PaperGrid
from workstation.ui.paper_text import PaperText, TimeRuler, lead_label, note_label
from workstation.ui.state import ViewState, describe_conditioning
from workstation.ui.theme import DESK, INK
from workstation.ui.traces import DisplaySignals
from workstation.ui.traces_items import WINDOWED_MIN_SAMPLES, PaperViewBox, TraceItem
from workstation.ui.zoom_aids import PaperRuler, PinnedLeadLabels

ZOOM_STEP = 1.25
PIXMAP_CACHE_KB = 128 * 1024
PAN_STEP = 0.25  # of the visible width per arrow key
#: The most a strip view shows at once (s): beyond this a screen pixel holds several seconds.
MAX_STRIP_SPAN_S = 300.0
MIN_SPAN_MM = 10.0
#: A single-column sheet with more rows than this is fitted to its width and scrolled (12x1).
TALL_SHEET_ROWS = 6
FIT_MARGIN = 1.02  # a little desk around the sheet
TICK_MM = 2.5  # half-height of the tick marking a lead change in a row
LAYOUT_NAMES = {
    LayoutKind.STANDARD_3X4_RHYTHM: "3×4 + rhythm", LayoutKind.SIX_BY_TWO: "6×2",
    LayoutKind.TWELVE_BY_ONE: "12×1", LayoutKind.ONE_ROW_PER_LEAD: "one row per lead",
}


def layout_name(lay: PaperLayout) -> str:
    """The sheet's name as the footer prints it, a 3x4's rhythm strip leads included."""
    strips = [p.lead for p in lay.panels if p.rhythm]
    if lay.kind is LayoutKind.STANDARD_3X4_RHYTHM and not strips:
        return "3×4"  # a page printed without a rhythm strip
    return f"{LAYOUT_NAMES[lay.kind]} ({', '.join(strips)})" if strips else LAYOUT_NAMES[lay.kind]


class PaperView(pg.GraphicsView):
    """Shows one record on ECG paper; see the module docstring for the gestures."""

    caliper_measured = QtCore.Signal(object)  # CaliperMeasurement
    view_moved = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, background=DESK)
        # the traces of a resting ECG are cached as pixmaps (see TraceItem): room for a
        # zoomed-in sheet's worth, instead of Qt's 10 MB default
        QtGui.QPixmapCache.setCacheLimit(max(QtGui.QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        self.vb = PaperViewBox()
        self.setCentralItem(self.vb)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(False)  # files dropped here go to the main window
        self.viewport().setAcceptDrops(False)
        self.vb.sigCaliperDrag.connect(self._on_caliper_drag)
        self.vb.sigRangeChanged.connect(self._on_range_changed)
        self.vb.sigRangeChangedManually.connect(self._on_manual_change)
        self._record: ECGRecord | None = None
        self._state = ViewState()
        self._layout: PaperLayout | None = None
        self._signals: DisplaySignals | None = None
        self._traces: list[TraceItem] = []
        self._labels: list[tuple[PaperText, float]] = []  # label, its paper x
        self._footer: PaperText | None = None
        self._ruler: TimeRuler | None = None
        self._paper_ruler: PaperRuler | None = None  # a zoomed-in sheet's time labels
        self._pins = PinnedLeadLabels()
        self._caliper: CaliperOverlay | None = None
        self._delineation: Delineation | None = None
        self.overlay = DelineationOverlay(self.vb)
        self.highlight = HighlightOverlay(self.vb)
        self.lead_status = LeadStatusOverlay(self.vb)
        self._unreadable: tuple[str, ...] = ()
        self._fitted = True
        self.strip = False
        self.last_caliper: CaliperMeasurement | None = None
        self.editor = None  # set by workstation.ui.editing.BoundaryEditor

    # -- what is shown ------------------------------------------------------------------
    @property
    def record(self) -> ECGRecord | None:
        return self._record

    @property
    def layout(self) -> PaperLayout | None:
        return self._layout

    @property
    def traces(self) -> list[TraceItem]:
        return list(self._traces)

    @property
    def display_signals(self) -> DisplaySignals | None:
        return self._signals

    def show_record(self, record: ECGRecord | None, state: ViewState) -> None:
        """Draw ``record`` as ``state`` says; keeps the zoom when only the filters changed.

        Nothing is redrawn when what the paper shows did not change (e.g. the banner was
        de-identified), so a placed caliper stays.
        """
        same_sheet = (record is self._record and self._layout is not None
                      and state.layout == self._state.layout and state.paper == self._state.paper)
        same_ink = same_sheet and state.conditioning == self._state.conditioning
        if same_ink:
            self._state = state
            self.vb.caliper_enabled = state.caliper
            return
        if record is not self._record:
            self._delineation = None  # waves belong to the record they were found on
            self._unreadable = ()
        if record is not self._record or state.conditioning != self._state.conditioning:
            self._signals = None if record is None else DisplaySignals(record, state.conditioning)
        self._record, self._state = record, state
        self.vb.caliper_enabled = state.caliper
        if record is None:
            self._layout = None
            self._clear()
            return
        self._layout = compute_layout(record.leads, record.n_samples, record.fs,
                                      state.layout, state.paper, rhythm_lead=rhythm_leads(record))
        self.strip = _is_strip(self._layout, record)
        keep = self.vb.viewRange() if same_sheet else None
        self._rebuild()
        self._configure_navigation()
        if keep is None:
            self.fit()
        else:
            self.vb.setRange(xRange=keep[0], yRange=keep[1], padding=0)
            self._on_range_changed()

    def set_delineation(self, delineation: Delineation | None) -> None:
        """Show ``delineation``'s waves over the record (None hides them)."""
        if delineation is self._delineation:
            return
        self._delineation = delineation
        self._draw_overlay()

    def _draw_overlay(self) -> None:
        d, lay = self._delineation, self._layout
        if d is None or lay is None or self._record is None or list(d.lead_names) != list(self._record.lead_names):
            self.overlay.clear()
            return
        if not self.strip:
            self.overlay.show(lay, d)
            return
        t0, t1 = self.visible_seconds()
        span = max(t1 - t0, 1.0)
        self.overlay.show(lay, d, (max(0.0, t0 - span), t1 + span))

    def set_unreadable_leads(self, leads: tuple[str, ...]) -> None:
        """Grey out the panels of ``leads`` (marked unreadable by the annotator)."""
        self._unreadable = tuple(leads)
        if self._layout is None:
            self.lead_status.clear()
        else:
            self.lead_status.show(self._layout, self._unreadable)

    def set_caliper_enabled(self, enabled: bool) -> None:
        self.vb.caliper_enabled = enabled
        if not enabled:
            self.clear_caliper()

    # -- building the scene -------------------------------------------------------------
    def highlight_finding(self, leads: tuple[str, ...],
                          sample_ranges: tuple[tuple[int, int], ...] = ()) -> None:
        """Mark the leads (and sample ranges) a finding was measured on; empty clears."""
        if self._layout is None or not leads:
            self.highlight.clear()
            return
        self.highlight.show(self._layout, leads, sample_ranges)

    def _clear(self) -> None:
        self.overlay.clear()
        self.highlight.clear()
        self.lead_status.clear()
        self.vb.clear()
        self._traces, self._labels = [], []
        self._footer = self._ruler = self._caliper = self._paper_ruler = None
        self._pins.clear()
        self.last_caliper = None

    def _rebuild(self) -> None:
        self._clear()
        lay, record, signals = self._layout, self._record, self._signals
        assert lay is not None and record is not None and signals is not None
        self.vb.addItem(PaperGrid(lay.width_mm, lay.height_mm))
        self._add_calibration(lay)
        self._add_lead_change_ticks(lay)
        for panel in lay.panels:
            windowed = panel.n_samples > WINDOWED_MIN_SAMPLES
            trace = TraceItem(panel, signals, windowed=windowed)
            self.vb.addItem(trace, ignoreBounds=True)
            self._traces.append(trace)
            self._add_lead_label(lay, panel)
        self._footer = note_label(self._footer_text(lay, record))
        self._add_label(self._footer, lay.trace_x0_mm, lay.height_mm - FOOTER_MM + 2.0)
        if self.strip:
            self._ruler = TimeRuler(self.vb, lay.trace_x0_mm, lay.paper.speed_mm_s, 0.2,
                                    record.acquisition.time)
        else:
            self._paper_ruler = PaperRuler(self.vb, lay)
        self._caliper = CaliperOverlay(self.vb)
        self._draw_overlay()
        if self._unreadable:
            self.lead_status.show(lay, self._unreadable)
        if self.editor is not None:
            self.editor.redraw()

    def _add_lead_label(self, lay: PaperLayout, panel: Panel) -> None:
        if lay.single_column and not self.strip:
            # in the left margin, level with the baseline, clear of pulse and trace
            item = lead_label(panel.lead, panel.derived, anchor_y=0.5)
            self._add_label(item, 0.5, panel.baseline_mm)
            self._pins.add(item, panel, 0.5, panel.baseline_mm)
        else:
            # above the start of the panel (and, in a strip, pinned there while panning)
            x = 0.5 if lay.single_column else panel.x_mm + 0.8
            y = panel.baseline_mm - 0.45 * lay.row_pitch_mm
            item = lead_label(panel.lead, panel.derived)
            self._add_label(item, x, y)
            if not self.strip:  # zoomed in on a sheet, the name stays in view
                self._pins.add(item, panel, x, y)

    def _add_label(self, item: PaperText, x_mm: float, y_mm: float) -> None:
        item.setPos(x_mm, y_mm)
        self.vb.addItem(item, ignoreBounds=True)
        self._labels.append((item, x_mm))

    def _add_calibration(self, lay: PaperLayout) -> None:
        xs, ys = [], []
        for row in lay.rows:
            x, y = lay.calibration_pulse(row)
            xs += [x, [np.nan]]
            ys += [y, [np.nan]]
        item = pg.PlotCurveItem(np.concatenate(xs), np.concatenate(ys), connect="finite",
                                pen=pg.mkPen(INK, width=1.0), antialias=True)
        self.vb.addItem(item)

    def _add_lead_change_ticks(self, lay: PaperLayout) -> None:
        ticks = [p for p in lay.panels if p.column > 0]
        if not ticks:
            return
        xs = np.repeat([p.x_mm for p in ticks], 2)
        ys = np.ravel([(p.baseline_mm - TICK_MM, p.baseline_mm + TICK_MM) for p in ticks])
        item = pg.PlotCurveItem(xs, ys, connect="pairs", pen=pg.mkPen(INK, width=1.0))
        self.vb.addItem(item)

    def _footer_text(self, lay: PaperLayout, record: ECGRecord) -> str:
        return "    ".join((
            lay.paper.describe(),
            f"Display filters: {describe_conditioning(self._state.conditioning)}",
            f"{record.fs:g} Hz",
            layout_name(lay),
        ))

    # -- navigation ---------------------------------------------------------------------
    def _configure_navigation(self) -> None:
        lay = self._layout
        assert lay is not None
        w, h = lay.width_mm, lay.height_mm
        if self.strip:
            self.vb.setAspectLocked(False)
            self.vb.setMouseEnabled(x=True, y=False)
            max_span = min(w + 10.0, lay.paper.s_to_mm(MAX_STRIP_SPAN_S))
            self.vb.setLimits(xMin=-5.0, xMax=w + 5.0, yMin=None, yMax=None,
                              minXRange=MIN_SPAN_MM, maxXRange=max_span,
                              minYRange=None, maxYRange=None)
        else:
            self.vb.setMouseEnabled(x=True, y=True)
            # room by the longer side, so that a narrow sheet (median beats) fits whole too
            side = max(w, h)
            self.vb.setLimits(xMin=w / 2 - side, xMax=w / 2 + side, yMin=h / 2 - side, yMax=h / 2 + side,
                              minXRange=MIN_SPAN_MM, maxXRange=2.0 * side,
                              minYRange=MIN_SPAN_MM, maxYRange=2.0 * side)
            self.vb.setAspectLocked(True, ratio=1.0)

    def fit(self) -> None:
        """Home: the sheet at the zoom that fits a standard one, or the start of a strip.

        The zoom is chosen for the same layout at 25 mm/s and 10 mm/mV, so that switching
        to 50 mm/s or 20 mm/mV makes the paper bigger, as it would be printed, rather than
        shrinking it back into the window; the sheet is then shown from its top-left corner
        (centred when it fits).
        """
        lay, record = self._layout, self._record
        if lay is None or record is None:
            return
        width_px, height_px = max(self.vb.width(), 1.0), max(self.vb.height(), 1.0)
        if self.strip:
            span = min(lay.height_mm * width_px / height_px, lay.width_mm + 5.0)
            self.vb.setRange(xRange=(0.0, span), yRange=(0.0, lay.height_mm), padding=0)
        else:
            ref = compute_layout(record.leads, record.n_samples, record.fs, lay.requested)
            px_per_mm = min(width_px / ref.width_mm, height_px / ref.height_mm) / FIT_MARGIN
            if self.tall_sheet:
                # a 12x1 page is read as printed: at the sheet's width, scrolled down
                px_per_mm = width_px / ref.width_mm / FIT_MARGIN
            w_mm, h_mm = width_px / px_per_mm, height_px / px_per_mm
            x0 = (lay.width_mm - w_mm) / 2 if lay.width_mm <= w_mm else -(FIT_MARGIN - 1) * w_mm / 2
            y0 = (lay.height_mm - h_mm) / 2 if lay.height_mm <= h_mm else -(FIT_MARGIN - 1) * h_mm / 2
            self.vb.setRange(QtCore.QRectF(x0, y0, w_mm, h_mm), padding=0)
        self._fitted = True
        self._on_range_changed()

    def show_region(self, rect: QtCore.QRectF) -> None:
        """Show ``rect`` (paper mm) and keep it there: a resize no longer re-fits the sheet."""
        if self._layout is None:
            return
        if self.strip:
            self.vb.setXRange(rect.left(), rect.right(), padding=0)
        else:
            self.vb.setRange(rect, padding=0)
        self._fitted = False

    def set_px_per_mm(self, px_per_mm: float) -> None:
        """Zoom to ``px_per_mm`` screen pixels per paper mm, about the centre of the view."""
        if self._layout is None or px_per_mm <= 0:
            return
        centre = self.vb.viewRect().center()
        half_w = self.vb.width() / px_per_mm / 2
        x_range = (centre.x() - half_w, centre.x() + half_w)
        if self.strip:
            self.vb.setXRange(*x_range, padding=0)
        else:
            half_h = self.vb.height() / px_per_mm / 2
            self.vb.setRange(xRange=x_range, yRange=(centre.y() - half_h, centre.y() + half_h),
                             padding=0)
        self._fitted = False

    def zoom(self, factor: float) -> None:
        """Zoom in (factor > 1) or out about the centre of the view; time only in a strip."""
        centre = self.vb.viewRect().center()
        s = 1.0 / factor
        self.vb.scaleBy(x=s, y=1.0 if self.strip else s, center=centre)
        self._fitted = False

    @property
    def tall_sheet(self) -> bool:
        """A 12x1 page (not a strip): fitted to the width, read by scrolling down."""
        lay = self._layout
        return (lay is not None and not self.strip and lay.single_column
                and len(lay.rows) > TALL_SHEET_ROWS)

    def wheelEvent(self, ev: QtGui.QWheelEvent) -> None:  # noqa: N802 - Qt's name
        # on a tall sheet the wheel scrolls, as in a document; Ctrl+wheel zooms
        ctrl = bool(ev.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier)
        if self.tall_sheet and not ctrl and ev.angleDelta().y():
            self.pan(0.0, -0.15 * ev.angleDelta().y() / 120.0)
            ev.accept()
            return
        super().wheelEvent(ev)

    def pan(self, fx: float, fy: float = 0.0) -> None:
        """Move by fractions of the visible width and height."""
        rect = self.vb.viewRect()
        self.vb.translateBy(x=fx * rect.width(), y=0.0 if self.strip else fy * rect.height())
        self._fitted = False

    def go_to_end(self) -> None:
        lay = self._layout
        if lay is None:
            return
        rect = self.vb.viewRect()
        self.vb.translateBy(x=lay.width_mm - rect.right())
        self._fitted = False

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        if self.editor is not None and self._layout is not None and self.editor.handle_key(ev):
            ev.accept()
            return
        key = QtCore.Qt.Key
        actions = {
            key.Key_Plus: lambda: self.zoom(ZOOM_STEP), key.Key_Equal: lambda: self.zoom(ZOOM_STEP),
            key.Key_Minus: lambda: self.zoom(1 / ZOOM_STEP),
            key.Key_Left: lambda: self.pan(-PAN_STEP), key.Key_Right: lambda: self.pan(PAN_STEP),
            key.Key_Up: lambda: self.pan(0, -PAN_STEP), key.Key_Down: lambda: self.pan(0, PAN_STEP),
            key.Key_PageUp: lambda: self.pan(0, -0.9) if self.tall_sheet else self.pan(-0.9),
            key.Key_PageDown: lambda: self.pan(0, 0.9) if self.tall_sheet else self.pan(0.9),
            key.Key_Home: self.fit, key.Key_End: self.go_to_end, key.Key_Escape: self.clear_caliper,
        }
        action = actions.get(QtCore.Qt.Key(ev.key()))
        if action is None or self._layout is None:
            super().keyPressEvent(ev)
            return
        action()
        ev.accept()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002 - Qt's name
        # Tab and Shift+Tab step between boundaries while an editor is attached
        return False if self.editor is not None else super().focusNextPrevChild(next)

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        if getattr(self, "_fitted", False) and self._layout is not None:
            self.fit()

    def _on_manual_change(self, *args) -> None:  # noqa: ANN002 - pyqtgraph passes the mask
        self._fitted = False

    def _on_range_changed(self, *args) -> None:  # noqa: ANN002 - pyqtgraph passes ranges
        if self._layout is None or self._record is None:
            return
        rect = self.vb.viewRect()
        width_px = max(self.vb.width(), 1.0)
        for trace in self._traces:
            trace.refresh(rect.left(), rect.right(), width_px)
        if not self.strip:
            px_per_mm = width_px / max(rect.width(), 1e-6)
            self._pins.update(rect, px_per_mm)
            if self._paper_ruler is not None:
                self._paper_ruler.update(rect, px_per_mm)
        if self.strip:
            self._pin_labels(rect)
            if self._delineation is not None and not self.overlay.covers(*self.visible_seconds()):
                self._draw_overlay()
            if self._ruler is not None:
                self._ruler.update(rect.left(), rect.right(), self._record.duration_s)
        self.view_moved.emit()

    def _pin_labels(self, rect: QtCore.QRectF) -> None:
        left = rect.left() + 4.0 * rect.width() / max(self.vb.width(), 1.0)  # 4 px in
        for item, x_mm in self._labels:
            item.setPos(max(x_mm, left), item.pos().y())

    def visible_seconds(self) -> tuple[float, float]:
        """Start and end (s from the record's start) of what the view shows."""
        lay = self._layout
        if lay is None:
            return (0.0, 0.0)
        rect = self.vb.viewRect()
        to_s = lay.paper.mm_to_s
        return (max(0.0, to_s(rect.left() - lay.trace_x0_mm)),
                max(0.0, to_s(rect.right() - lay.trace_x0_mm)))

    # -- caliper ------------------------------------------------------------------------
    def measure(self, start: PaperPoint, end: PaperPoint) -> CaliperMeasurement:
        """Place the caliper between two paper points and return what it reads."""
        self._on_caliper_drag(start, end, True)
        assert self.last_caliper is not None
        return self.last_caliper

    def clear_caliper(self) -> None:
        if self._caliper is not None:
            self._caliper.hide()
        self.last_caliper = None

    @property
    def caliper_text(self) -> str:
        return self._caliper.text if self._caliper is not None and self._caliper.visible else ""

    def _on_caliper_drag(self, start: PaperPoint, end: PaperPoint, finished: bool) -> None:
        if self._layout is None or self._caliper is None:
            return
        m = measure_caliper(start, end, self._layout.paper)
        self._caliper.show(start, end, m)
        self.last_caliper = m
        self.caliper_measured.emit(m)

    # -- coordinates (for tests and overlays) ----------------------------------------------
    def paper_to_viewport(self, point: PaperPoint) -> QtCore.QPoint:
        scene = self.vb.mapViewToScene(QtCore.QPointF(point.x_mm, point.y_mm))
        return self.mapFromScene(scene)

    def px_per_mm(self) -> tuple[float, float]:
        rect = self.vb.viewRect()
        return self.vb.width() / rect.width(), self.vb.height() / rect.height()


def _is_strip(layout: PaperLayout, record: ECGRecord) -> bool:
    full_length = layout.kind in (LayoutKind.TWELVE_BY_ONE, LayoutKind.ONE_ROW_PER_LEAD)
    return full_length and record.duration_s > STANDARD_WINDOW_S * 1.05
