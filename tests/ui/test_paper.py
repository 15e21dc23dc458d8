"""The paper view: caliper gestures, keyboard navigation, long-record windowing, labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore

from tests.ui.synthetic import holter_record, resting_record, spike_record
from workstation.core.layout import PaperPoint
from workstation.core.record import ECGRecord, Lead, SourceInfo
from workstation.ui.paper_items import PaperGrid, grid_lines, grid_spacing

LEFT = QtCore.Qt.MouseButton.LeftButton


def drag(qtbot, view, start: PaperPoint, end: PaperPoint, steps: int = 5) -> None:
    """A real left-button drag on the view's viewport between two paper points."""
    viewport = view.viewport()
    p0, p1 = view.paper_to_viewport(start), view.paper_to_viewport(end)
    qtbot.mousePress(viewport, LEFT, pos=p0)
    for k in range(1, steps + 1):
        qtbot.mouseMove(viewport, p0 + (p1 - p0) * (k / steps))
    qtbot.mouseRelease(viewport, LEFT, pos=p1)


def rhythm_points(window, t0: float, t1: float, mv: float = 1.0) -> tuple[PaperPoint, PaperPoint]:
    panel = window.paper.traces[-1].panel  # the lead II rhythm strip
    fs = window.record.fs
    return (PaperPoint(float(panel.x_of(t0 * fs)), float(panel.y_of(mv))),
            PaperPoint(float(panel.x_of(t1 * fs)), float(panel.y_of(0.0))))


def test_caliper_drag_measures_800_ms_75_bpm(window, qtbot) -> None:
    window.show_record(spike_record((1.0, 1.8)))
    window.trigger_key("tools.caliper")
    assert window.state.caliper and window.actions["tools.caliper"].isChecked()
    start, end = rhythm_points(window, 1.0, 1.8)
    view_before = window.paper.vb.viewRange()
    with qtbot.waitSignal(window.paper.caliper_measured):
        drag(qtbot, window.paper, start, end)
    m = window.paper.last_caliper
    ms_per_px = 1000 / 25 / window.paper.px_per_mm()[0]
    assert m.dt_ms == pytest.approx(800.0, abs=1.5 * ms_per_px)
    assert m.rate_bpm == pytest.approx(75.0, abs=1.0)
    assert abs(m.dv_mv) == pytest.approx(1.0, abs=0.05)
    assert window.paper.vb.viewRange() == view_before  # measuring did not pan
    assert "bpm" in window.paper.caliper_text and "Caliper" in window.statusBar().currentMessage()


def test_caliper_exact_in_paper_coordinates_at_50_mm_s(window) -> None:
    window.show_record(spike_record((1.0, 1.8)))
    window.trigger_key("view.speed.50")
    window.trigger_key("view.gain.20")
    start, end = rhythm_points(window, 1.0, 1.8)
    m = window.paper.measure(start, end)
    assert (m.dt_ms, m.rate_bpm, m.dv_mv) == pytest.approx((800.0, 75.0, -1.0))  # ends lower
    assert "800 ms" in window.paper.caliper_text and "75 bpm" in window.paper.caliper_text
    window.paper.clear_caliper()
    assert window.paper.caliper_text == ""


def test_drag_pans_when_the_caliper_is_off(window, qtbot) -> None:
    window.show_record(resting_record())
    x_before = window.paper.vb.viewRange()[0]
    start, end = rhythm_points(window, 4.0, 2.0)
    drag(qtbot, window.paper, start, end)
    assert window.paper.last_caliper is None
    assert window.paper.vb.viewRange()[0][0] > x_before[0] + 10  # dragged left: view moved right


def test_keyboard_zoom_pan_home(window, qtbot) -> None:
    window.show_record(resting_record())
    view = window.paper
    view.setFocus()
    fitted = view.vb.viewRect()
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Plus)
    zoomed = view.vb.viewRect()
    assert zoomed.width() == pytest.approx(fitted.width() / 1.25, rel=0.02)
    px_x, px_y = view.px_per_mm()
    assert px_x == pytest.approx(px_y, rel=0.01)  # millimetres stay square
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Right)
    assert view.vb.viewRect().left() > zoomed.left()
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Minus)
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Home)
    assert view.vb.viewRect().width() == pytest.approx(fitted.width(), rel=1e-3)


def test_wheel_zooms(window, qtbot) -> None:
    window.show_record(resting_record())
    vb = window.paper.vb
    width = vb.viewRect().width()
    vb.scaleBy((0.5, 0.5))  # what a wheel step does, through pyqtgraph's own handler
    assert vb.viewRect().width() == pytest.approx(width / 2, rel=0.02)


def test_holter_reads_only_visible_windows(window, qtbot) -> None:
    record, reader = holter_record(hours=24.0)
    window.show_record(record)
    view = window.paper
    assert view.strip and all(t.windowed for t in view.traces)
    assert reader.largest < 20 * 60 * 250  # never more than a few minutes at once
    width_px = view.vb.width()
    assert all(t.n_points <= 4 * width_px + 10 for t in view.traces)
    view.setFocus()
    for _ in range(30):
        qtbot.keyClick(view, QtCore.Qt.Key.Key_PageDown)
    assert view.visible_seconds()[0] > 100
    for _ in range(12):
        qtbot.keyClick(view, QtCore.Qt.Key.Key_Minus)  # zoom out in time only
    t0, t1 = view.visible_seconds()
    assert 60 < t1 - t0 <= 301
    assert reader.largest <= 3 * 301 * 250 + 10
    assert view.px_per_mm()[1] == pytest.approx(view.vb.height() / window.paper.layout.height_mm, rel=0.01)
    qtbot.keyClick(view, QtCore.Qt.Key.Key_End)
    assert view.visible_seconds()[1] == pytest.approx(24 * 3600, abs=2)
    assert "Showing" in window.position_label.text()
    x, _ = view.traces[0].getData()
    assert x.max() <= view.traces[0].panel.end_mm + 1e-6


def test_holter_filters_apply_window_by_window(window) -> None:
    record, reader = holter_record(hours=6.0)
    window.show_record(record)
    window.trigger_key("view.filter.baseline")
    assert window.paper.display_signals.lazy
    assert all(np.isfinite(t.getData()[1]).all() for t in window.paper.traces)
    assert reader.largest < 20 * 60 * 250


def test_derived_leads_carry_a_mark(window) -> None:
    full = resting_record()
    keep = [0, 1, 6, 7, 8, 9, 10, 11]  # I, II, V1-V6: an 8-lead file
    eight = ECGRecord.from_array(full.signals[keep], full.fs, [full.leads[i] for i in keep],
                                 SourceInfo(full.source.path, "Synthetic"))
    window.show_record(eight.with_derived_limb_leads())
    assert len(window.paper.traces) == 13
    derived = {t.panel.lead for t in window.paper.traces if t.panel.derived}
    assert derived == {"III", "aVR", "aVL", "aVF"}
    labels = [item.toPlainText() for item, _ in window.paper._labels]
    assert "III derived" in labels and "II" in labels
    assert "12 leads: I, II, III*" in window.status_labels[4].text()


def test_two_lead_short_record_one_row_each(window) -> None:
    data = np.zeros((2, 2500), dtype=np.float32)
    source = SourceInfo(Path("x.hea"), "Synthetic")
    rec = ECGRecord.from_array(data, 250.0, [Lead("MLII"), Lead("V5")], source)
    window.show_record(rec)
    assert [t.panel.lead for t in window.paper.traces] == ["MLII", "V5"]
    assert not window.paper.strip


def test_grid_spacing_keeps_1_and_5_mm_at_normal_zoom() -> None:
    assert grid_spacing(5.0) == (1.0, 5.0)
    assert grid_spacing(2.5) == (1.0, 5.0)
    assert grid_spacing(1.8) == (None, 5.0)  # small boxes too dense: large boxes only
    minor, major = grid_spacing(0.01)  # an hour on screen
    assert minor is None and major * 0.01 >= 8.0
    minor_pos, major_pos = grid_lines(0.0, 10.0, 1.0, 5.0)
    assert list(major_pos) == [0.0, 5.0, 10.0]
    assert list(minor_pos) == [1, 2, 3, 4, 6, 7, 8, 9]


def test_grid_draws_only_what_is_visible(window) -> None:
    record, _ = holter_record(hours=24.0)
    window.show_record(record)
    grid = next(i for i in window.paper.vb.addedItems if isinstance(i, PaperGrid))
    visible = grid._visible_rect()
    assert visible.width() < 2000  # mm, out of 2.16 million
    window.paper.grab()  # paints without error


def test_real_wheel_event_zooms_about_the_cursor(window, qtbot) -> None:
    from PySide6 import QtGui

    window.show_record(resting_record())
    view = window.paper
    before = view.vb.viewRect()
    pos = QtCore.QPointF(view.viewport().width() / 2, view.viewport().height() / 2)
    event = QtGui.QWheelEvent(pos, view.viewport().mapToGlobal(pos), QtCore.QPoint(0, 0),
                              QtCore.QPoint(0, 240), QtCore.Qt.MouseButton.NoButton,
                              QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase,
                              False)
    QtCore.QCoreApplication.sendEvent(view.viewport(), event)
    after = view.vb.viewRect()
    assert after.width() < 0.9 * before.width()
    assert after.width() / after.height() == pytest.approx(before.width() / before.height(), rel=0.01)


def test_one_hour_in_memory_record_is_windowed_too(window) -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(0, 0.1, size=(2, 3600 * 250)).astype(np.float32)
    leads = [Lead("MLII"), Lead("V5")]
    rec = ECGRecord.from_array(data, 250.0, leads, SourceInfo(Path("h.hea"), "Synthetic"))
    window.show_record(rec)
    assert window.paper.strip and all(t.windowed for t in window.paper.traces)
    assert all(t.n_points < 10_000 for t in window.paper.traces)


def test_toggling_deidentification_keeps_the_caliper(window) -> None:
    window.show_record(spike_record((1.0, 1.8)))
    window.trigger_key("tools.caliper")
    window.paper.measure(*rhythm_points(window, 1.0, 1.8))
    traces = window.paper.traces
    window.trigger_key("view.deidentify")
    assert window.paper.traces == traces  # not rebuilt
    assert "800 ms" in window.paper.caliper_text
    window.trigger_key("tools.caliper")  # caliper off: the measurement goes
    assert window.paper.caliper_text == ""
