"""The scan check: a digitised page with its traced lines drawn over it, and the corrections a
reader can make by eye.

The page is shown as the digitiser flattened and levelled it, so the traced lines sit exactly
beside the ink they were read from: thin, semi-transparent and in one blue that shows on red,
pink, green and grey grids, drawn :data:`BESIDE_MM` below the ink so that the ink stays in view
(or over it, to check a detail); its stroke says its quality score (solid good, dashed
doubtful, dotted poor) and its label gives the lead's name and score in the score's colour. When a line is off, the reader
corrects the calibration (pixels per millimetre on either axis, the gain of the pulse) or crops
a lead to the columns where it is right, and digitises the page again; ``redigitised`` then
carries the new :class:`~workstation.scan.digitize.Digitised`, and :meth:`ScanView.record`
gives the record with the corrections applied.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.record import ECGRecord
from workstation.scan.digitize import Adjustments, Digitised, digitize
from workstation.scan.quality import REASON_BELOW, REVIEW_BELOW
from workstation.scan.record import to_record

GOOD, DOUBTFUL, POOR = QtGui.QColor("#0066ff"), QtGui.QColor("#ff8c00"), QtGui.QColor("#e00000")
#: The traced line: a saturated blue, far in hue from red, pink and green grids and darker
#: than a grey one, two-thirds opaque so that the grid and the ink show through.
TRACE_COLOUR = QtGui.QColor(20, 50, 255, 170)
#: Width of the traced line on the screen (px), whatever the zoom.
TRACE_WIDTH_PX = 1.3
#: How far below the ink the traced line is drawn (mm of paper), so that both can be seen.
BESIDE_MM = 1.5
GAINS_MM_MV = (5.0, 10.0, 20.0)


def score_colour(score: float) -> QtGui.QColor:
    return GOOD if score >= REASON_BELOW else DOUBTFUL if score >= REVIEW_BELOW else POOR


def trace_pen(score: float) -> QtGui.QPen:
    """The traced line's pen: thin, see-through blue; solid, dashed or dotted by ``score``."""
    pen = QtGui.QPen(TRACE_COLOUR, TRACE_WIDTH_PX)
    pen.setCosmetic(True)  # thin at any zoom
    pen.setStyle(QtCore.Qt.PenStyle.SolidLine if score >= REASON_BELOW else
                 QtCore.Qt.PenStyle.DashLine if score >= REVIEW_BELOW else QtCore.Qt.PenStyle.DotLine)
    return pen


def to_qimage(image: np.ndarray) -> QtGui.QImage:
    """A BGR uint8 array as a QImage (copied, so the array may go)."""
    rgb = np.ascontiguousarray(image[..., ::-1])
    h, w = rgb.shape[:2]
    return QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


class ScanView(QtWidgets.QWidget):
    """A digitised page, its traced lines, its quality, and calibration and crop corrections."""

    redigitised = QtCore.Signal(object)  # Digitised

    def __init__(self, page: np.ndarray, result: Digitised | None = None, *,
                 path: Path | None = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._page = page
        self._path = path
        self._crops: dict[str, tuple[int, int]] = {}
        self.result = result if result is not None else digitize(page)

        self.scene = QtWidgets.QGraphicsScene(self)
        self.view = QtWidgets.QGraphicsView(self.scene)
        self.view.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        self.view.setDragMode(QtWidgets.QGraphicsView.DragMode.ScrollHandDrag)
        self.view.setTransformationAnchor(QtWidgets.QGraphicsView.ViewportAnchor.AnchorUnderMouse)

        self.quality_label = QtWidgets.QLabel()
        self.quality_label.setWordWrap(True)
        self.reasons = QtWidgets.QListWidget()
        self.reasons.setWordWrap(True)  # a reason is a sentence: read whole, not scrolled
        self.px_x = self._spin(0.5, 80.0, 3, " px/mm")
        self.px_y = self._spin(0.5, 80.0, 3, " px/mm")
        self.gain = QtWidgets.QComboBox()
        for g in GAINS_MM_MV:
            self.gain.addItem(f"{g:g} mm/mV", g)
        self.lead = QtWidgets.QComboBox()
        self.crop_first = QtWidgets.QSpinBox()
        self.crop_last = QtWidgets.QSpinBox()
        for box in (self.crop_first, self.crop_last):
            box.setRange(0, max(page.shape[:2]) * 4)
        self.apply_crop = QtWidgets.QPushButton("Crop lead")
        self.clear_crops = QtWidgets.QPushButton("Clear crops")
        self.redigitise_button = QtWidgets.QPushButton("Digitise again")
        self.zoom_fit = QtWidgets.QPushButton("Fit page")
        self.beside = QtWidgets.QCheckBox("Traced line beside the ink")
        self.beside.setChecked(True)
        self.beside.setToolTip(f"Draw the traced line {BESIDE_MM:g} mm below the ink it was read "
                               "from; untick to draw it over the ink")

        form = QtWidgets.QFormLayout()
        form.addRow("Scale x", self.px_x)
        form.addRow("Scale y", self.px_y)
        form.addRow("Gain", self.gain)
        form.addRow("Lead", self.lead)
        form.addRow("First column", self.crop_first)
        form.addRow("Last column", self.crop_last)
        crop_row = QtWidgets.QHBoxLayout()
        crop_row.addWidget(self.apply_crop)
        crop_row.addWidget(self.clear_crops)
        side = QtWidgets.QVBoxLayout()
        side.addWidget(self.quality_label)
        side.addWidget(self.beside)
        side.addWidget(QtWidgets.QLabel("Why the score is not higher:"))
        side.addWidget(self.reasons, 1)
        calibration = QtWidgets.QGroupBox("Calibration and crop")
        calibration.setLayout(form)
        side.addWidget(calibration)
        side.addLayout(crop_row)
        side.addWidget(self.redigitise_button)
        side.addWidget(self.zoom_fit)
        panel = QtWidgets.QWidget()
        panel.setLayout(side)
        panel.setFixedWidth(300)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(panel)

        self.apply_crop.clicked.connect(self._crop_lead)
        self.clear_crops.clicked.connect(self._clear_crops)
        self.redigitise_button.clicked.connect(self.redigitise)
        self.zoom_fit.clicked.connect(self.fit)
        self.beside.toggled.connect(lambda _: self._show(self.result))
        self.lead.currentTextChanged.connect(self._show_lead_span)
        self._show(self.result)

    # -- public ---------------------------------------------------------------------------
    def adjustments(self) -> Adjustments:
        """The corrections as they stand in the form."""
        return Adjustments(px_per_mm_x=self.px_x.value(), px_per_mm_y=self.px_y.value(),
                           gain_mm_mv=float(self.gain.currentData()), crops=dict(self._crops))

    def redigitise(self) -> Digitised:
        """Digitise the page again with the corrections; shows and emits the result."""
        self.result = digitize(self._page, self.adjustments())
        self._show(self.result)
        self.redigitised.emit(self.result)
        return self.result

    def record(self, path: Path | None = None, page: int = 0) -> ECGRecord:
        """The record of the page as it now reads (corrections applied)."""
        where = path or self._path
        if where is None:
            raise ValueError("the scan view was opened without a file: give the path")
        return to_record(self.result, where, page)

    def fit(self) -> None:
        self.view.fitInView(self.scene.sceneRect(), QtCore.Qt.AspectRatioMode.KeepAspectRatio)

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt's name
        # fitted when built, the page fitted the widget's first, small size: fit its real one
        super().showEvent(event)
        QtCore.QTimer.singleShot(0, self.fit)

    # -- drawing --------------------------------------------------------------------------
    def _show(self, result: Digitised) -> None:
        self.scene.clear()
        # the page is shown faded so that the traced lines stand out from the ink below them
        faded = (result.image.astype(np.float32) * 0.45 + 140.0).astype(np.uint8)
        self.scene.addPixmap(QtGui.QPixmap.fromImage(to_qimage(faded)))
        self.scene.setSceneRect(0, 0, result.image.shape[1], result.image.shape[0])
        font = QtGui.QFont()
        font.setPixelSize(max(10, result.image.shape[0] // 70))
        shift = BESIDE_MM * result.calibration.px_per_mm_y if self.beside.isChecked() else 0.0
        for trace in result.traces:
            self.scene.addPath(_path(trace.x_px, trace.y_px + shift), trace_pen(trace.score))
            finite = np.flatnonzero(np.isfinite(trace.y_px))
            if len(finite):
                label = self.scene.addSimpleText(f"{trace.lead} {trace.score:.2f}", font)
                label.setBrush(score_colour(trace.score))
                label.setPos(float(trace.x_px[finite[0]]), float(np.nanmax(trace.y_px)) + shift + 2)
        cal = result.calibration
        self.px_x.setValue(cal.px_per_mm_x)
        self.px_y.setValue(cal.px_per_mm_y)
        self.gain.setCurrentIndex(max(0, self.gain.findData(cal.gain_mm_mv)))
        current = self.lead.currentText()
        self.lead.blockSignals(True)
        self.lead.clear()
        self.lead.addItems(list(dict.fromkeys(t.lead for t in result.traces)))
        self.lead.blockSignals(False)
        if current:
            self.lead.setCurrentText(current)
        self._show_lead_span(self.lead.currentText())
        colour = score_colour(result.score).name()
        grid = "grid found" if cal.grid_found else "no grid"
        pulse = "pulse found" if cal.pulse_found else "no pulse"
        self.quality_label.setText(
            f"<b>{result.layout}</b>, quality <b style='color:{colour}'>{result.score:.2f}</b><br>"
            f"{cal.px_per_mm_x:.2f} x {cal.px_per_mm_y:.2f} px/mm, {cal.gain_mm_mv:g} mm/mV, "
            f"{cal.speed_mm_s:g} mm/s; {grid}, {pulse}")
        self.reasons.clear()
        self.reasons.addItems(list(result.reasons) or ["none: every check passed"])
        self.fit()

    def _show_lead_span(self, lead: str) -> None:
        spans = [t for t in self.result.traces if t.lead == lead]
        if not spans:
            return
        first, last = self._crops.get(lead, (int(spans[0].x_px[0]), int(spans[0].x_px[-1])))
        self.crop_first.setValue(first)
        self.crop_last.setValue(last)

    def _crop_lead(self) -> None:
        lead = self.lead.currentText()
        if lead and self.crop_first.value() < self.crop_last.value():
            self._crops[lead] = (self.crop_first.value(), self.crop_last.value())

    def _clear_crops(self) -> None:
        self._crops.clear()
        self._show_lead_span(self.lead.currentText())

    @staticmethod
    def _spin(low: float, high: float, decimals: int, suffix: str) -> QtWidgets.QDoubleSpinBox:
        box = QtWidgets.QDoubleSpinBox()
        box.setRange(low, high)
        box.setDecimals(decimals)
        box.setSingleStep(0.01)
        box.setSuffix(suffix)
        return box


def _path(xs: np.ndarray, ys: np.ndarray) -> QtGui.QPainterPath:
    """A polyline broken where the trace was lost."""
    path = QtGui.QPainterPath()
    pen_down = False
    for x, y in zip(xs.tolist(), ys.tolist()):
        if y != y:  # NaN: lift the pen
            pen_down = False
            continue
        if pen_down:
            path.lineTo(x, y)
        else:
            path.moveTo(x, y)
            pen_down = True
    return path
