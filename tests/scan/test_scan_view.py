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
