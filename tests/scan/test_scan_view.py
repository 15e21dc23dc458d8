"""The scan check widget, driven offscreen: overlay, quality, and corrections that re-digitise."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from workstation.ui.scan_view import POOR, ScanView, score_colour  # noqa: E402


@pytest.fixture
def view(qtbot, clean_print):
    widget = ScanView(clean_print.image)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    return widget


def test_overlay_draws_every_lead_over_the_page(view):
    paths = [item for item in view.scene.items() if item.type() == 2]  # QGraphicsPathItem
    assert len(paths) == 13  # 12 segments and the rhythm strip
    pixmaps = [item for item in view.scene.items() if item.type() == 7]
    assert len(pixmaps) == 1 and pixmaps[0].pixmap().width() == view.result.image.shape[1]
    assert "3x4+rhythm" in view.quality_label.text()
    assert view.px_x.value() == pytest.approx(200 / 25.4, rel=0.003)
    image = view.grab().toImage()
    assert not image.isNull() and image.width() >= 1000


def test_gain_correction_redigitises_and_halves_the_signal(view, qtbot):
    before = view.result.signals[1].copy()
    view.gain.setCurrentIndex(view.gain.findData(20.0))
    with qtbot.waitSignal(view.redigitised, timeout=20000) as signal:
        view.redigitise_button.click()
    after = signal.args[0].signals[1]
    ratio = np.nanmedian(np.abs(after) / np.maximum(np.abs(before), 1e-6))
    assert ratio == pytest.approx(0.5, abs=0.01)
    assert view.gain.currentData() == 20.0


def test_crop_leaves_the_rest_of_a_lead_missing(view):
    view.lead.setCurrentText("V1")
    first, last = view.crop_first.value(), view.crop_last.value()
    view.crop_last.setValue(first + (last - first) // 2)
    view.apply_crop.click()
    result = view.redigitise()
    v1 = result.signals[result.lead_names.index("V1")]
    shown = np.isfinite(v1).sum()
    assert 550 <= shown <= 700  # about half of the 1250 samples of the segment
    view.clear_crops.click()
    assert np.isfinite(view.redigitise().signals[result.lead_names.index("V1")]).sum() > 1200


def test_record_keeps_the_corrections(view, tmp_path):
    path = tmp_path / "page.png"
    path.write_bytes(b"image bytes")
    record = view.record(path)
    assert record.digitisation is not None and record.digitisation.image == b"image bytes"
    assert score_colour(0.1) == POOR


def test_traced_line_is_thin_see_through_and_beside_the_ink(view):
    from workstation.ui.scan_view import BESIDE_MM

    paths = [item for item in view.scene.items() if item.type() == 2]
    pen = paths[0].pen()
    assert pen.isCosmetic() and pen.widthF() <= 1.5 and 0 < pen.color().alpha() < 255
    # one blue on every grid colour: far in hue from red, pink and green
    assert 200 <= pen.color().hue() <= 250
    shift = BESIDE_MM * view.result.calibration.px_per_mm_y

    def lowest_ink(item) -> float:
        return item.path().boundingRect().bottom()

    beside = sorted(lowest_ink(item) for item in paths)
    view.beside.setChecked(False)
    over = sorted(lowest_ink(item) for item in view.scene.items() if item.type() == 2)
    assert np.allclose(np.array(beside) - np.array(over), shift, atol=0.5)


class _Recorder:
    """Stands in for a QPainter: records the polylines drawn."""

    def __init__(self) -> None:
        self.polylines: list[list[tuple[float, float]]] = []

    def setRenderHint(self, *_) -> None:  # noqa: N802 - Qt's name
        pass

    def setPen(self, *_) -> None:  # noqa: N802 - Qt's name
        pass

    def drawPolyline(self, polygon) -> None:  # noqa: N802 - Qt's name
        self.polylines.append([(p.x(), p.y()) for p in polygon])


def test_report_lifts_the_pen_where_a_digitised_lead_is_not_shown():
    # a digitised lead is NaN outside its printed segment: joined, Qt drew a stray line from
    # the panel's corner to the trace
    from PySide6 import QtGui

    from workstation.ui.report import _Page

    recorder = _Recorder()
    page = _Page(recorder, QtGui.QImage(297, 10, QtGui.QImage.Format.Format_RGB32))
    ys = np.array([np.nan, np.nan, 1.0, 2.0, 3.0, np.nan, 4.0, 5.0, np.nan])
    page.polyline(np.arange(len(ys), dtype=float), ys, None)
    assert [len(line) for line in recorder.polylines] == [3, 2]
    assert all(np.isfinite(line).all() for line in recorder.polylines)
