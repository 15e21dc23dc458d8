"""The main window: opening files, layouts, filters, errors, drag and drop, de-identification."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from tests.ui.synthetic import resting_record
from workstation.core.layout import LayoutKind
from workstation.core.leads import STANDARD_LEADS
from workstation.core.record import DeviceMeasurement, DeviceReport, Patient
from workstation.ui.app import sample_path
from workstation.ui.main_window import MainWindow

EXPECTED_3X4 = [
    ("I", 0, 1250), ("aVR", 1250, 2500), ("V1", 2500, 3750), ("V4", 3750, 5000),
    ("II", 0, 1250), ("aVL", 1250, 2500), ("V2", 2500, 3750), ("V5", 3750, 5000),
    ("III", 0, 1250), ("aVF", 1250, 2500), ("V3", 2500, 3750), ("V6", 3750, 5000),
    ("II", 0, 5000),
]


def open_sample(window: MainWindow, qtbot) -> None:
    window.background_loading = True  # the real path: read in a worker thread
    with qtbot.waitSignal(window.record_shown, timeout=20_000):
        window.open_path(sample_path())


def test_sample_opens_as_3x4_plus_rhythm(window, qtbot) -> None:
    open_sample(window, qtbot)
    traces = window.paper.traces
    assert len(traces) == 13
    assert [(t.panel.lead, t.panel.start, t.panel.stop) for t in traces] == EXPECTED_3X4
    assert traces[-1].panel.rhythm
    # each trace holds its panel's samples, placed at their true time
    x, y = traces[1].getData()
    assert len(x) == 1250 and x[0] == pytest.approx(traces[1].panel.x_of(1250))
    assert all(np.isfinite(t.getData()[1]).all() for t in traces)
    fields = [label.text() for label in window.status_labels]
    assert fields[:4] == ["ludb_2.hea", "WFDB (format 16)", "500 Hz", "10.0 s"]
    assert fields[4].startswith("12 leads: I, II, III")
    assert "Male" in window.banner.text() and "64 y" in window.banner.text()


def test_switch_layouts(window, qtbot) -> None:
    window.show_record(resting_record())
    window.trigger_key("view.layout.6x2")
    assert window.state.layout is LayoutKind.SIX_BY_TWO
    panels = [t.panel for t in window.paper.traces]
    assert [p.lead for p in panels if p.column == 0] == list(STANDARD_LEADS[:6])
    assert {(p.start, p.stop) for p in panels if p.column == 1} == {(2500, 5000)}
    window.trigger_key("view.layout.12x1")
    panels = [t.panel for t in window.paper.traces]
    assert [p.lead for p in panels] == list(STANDARD_LEADS)
    assert {(p.start, p.stop) for p in panels} == {(0, 5000)}
    assert window.actions["view.layout.12x1"].isChecked()
    assert not window.actions["view.layout.6x2"].isChecked()
    window.trigger_key("view.layout.3x4+rhythm")
    assert len(window.paper.traces) == 13


def test_gain_and_speed_rescale_the_paper(window) -> None:
    window.show_record(resting_record())
    rhythm = window.paper.traces[-1]
    width_25 = rhythm.panel.width_mm
    window.trigger_key("view.speed.50")
    assert window.paper.traces[-1].panel.width_mm == pytest.approx(2 * width_25)
    window.trigger_key("view.gain.20")
    panel = window.paper.traces[-1].panel
    _, y = window.paper.traces[-1].getData()
    lead_ii = window.record.signals[1]
    r_peak = float(lead_ii.max() - np.median(lead_ii))  # each panel is centred on its row
    assert panel.baseline_mm - y.min() == pytest.approx(20.0 * r_peak, rel=1e-5)
    assert window.actions["view.gain.20"].isChecked() and not window.actions["view.gain.10"].isChecked()


def test_filters_change_the_view_never_the_record(window) -> None:
    record = resting_record()
    record.signals[:, :] += np.linspace(0, 2, record.n_samples, dtype=np.float32)  # baseline drift
    before = record.signals.copy()
    window.show_record(record)
    raw_y = window.paper.traces[-1].getData()[1].copy()
    for key in ("view.filter.baseline", "view.filter.notch50", "view.filter.lowpass40"):
        window.trigger_key(key)
    c = window.state.conditioning
    assert c.baseline_removal and c.notch_hz == 50 and c.lowpass_hz == 40
    filtered_y = window.paper.traces[-1].getData()[1]
    assert not np.allclose(raw_y, filtered_y)
    assert np.array_equal(record.signals, before)  # the record is untouched
    assert "50 Hz notch" in window.banner.text()
    window.trigger_key("view.filter.notch60")  # 50 and 60 exclude each other
    assert window.state.conditioning.notch_hz == 60
    assert not window.actions["view.filter.notch50"].isChecked()


def test_garbage_file_shows_error_and_window_stays_usable(window, qtbot, tmp_path) -> None:
    bad = tmp_path / "garbage.xml"
    bad.write_bytes(b"\x00\x01 this is not an ECG \xff" * 50)
    with qtbot.waitSignal(window.load_failed, timeout=10_000) as blocker:
        window.open_path(bad)
    box = window.last_error_box
    assert box is not None and box.isVisible() and not box.isModal()
    assert "garbage.xml" in box.informativeText()
    assert box.informativeText() == blocker.args[0]
    box.close()
    window.show_record(resting_record())
    assert len(window.paper.traces) == 13
    window.trigger_key("view.layout.6x2")
    assert len(window.paper.traces) == 12


def test_drop_a_file_opens_it(window, qtbot) -> None:
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(sample_path().with_suffix(".dat"))),
                  QtCore.QUrl.fromLocalFile(str(sample_path()))])
    pos = QtCore.QPointF(window.width() / 2, window.height() / 2)
    actions = QtCore.Qt.DropAction.CopyAction
    buttons, mods = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier
    enter = QtGui.QDragEnterEvent(pos.toPoint(), actions, mime, buttons, mods)
    QtCore.QCoreApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(pos, actions, mime, buttons, mods)
    with qtbot.waitSignal(window.record_shown, timeout=20_000):
        QtCore.QCoreApplication.sendEvent(window, drop)
    assert window.record.source.path.name == "ludb_2.hea"  # the header, not the .dat


def test_banner_shows_patient_then_deidentifies(window) -> None:
    patient = Patient(patient_id="P-0042", name="DOE^JANE", sex="F", birth_date="1960-05-20")
    window.show_record(resting_record(patient=patient, path="/data/DOE_JANE.xml"))
    text = window.banner.text()
    for expected in ("DOE^JANE", "P-0042", "Female", "63 y", "2024-03-01 09:30:00", "Synthetic 1000"):
        assert expected in text
    assert "DOE_JANE.xml" in window.windowTitle()
    window.trigger_key("view.deidentify")
    text = window.banner.text()
    assert "De-identified" in text and "DOE" not in text and "P-0042" not in text
    assert window.status_labels[0].text() == "file name hidden"
    assert "DOE" not in window.windowTitle()
    window.trigger_key("view.deidentify")
    assert "DOE^JANE" in window.banner.text()


def test_record_without_patient_fields_is_shown_deidentified(window) -> None:
    window.show_record(resting_record())
    assert window.banner.text().startswith("De-identified")
    assert not window.state.deidentified  # nothing to toggle: there was nothing to hide


def test_device_report_in_a_dock(window) -> None:
    import dataclasses

    report = DeviceReport(program="12SL v23", statements=("Sinus rhythm", "Normal ECG"),
                          measurements=(DeviceMeasurement("QRS", 92, "ms"),
                                        DeviceMeasurement("Ventricular rate", 75, "bpm")))
    window.show_record(dataclasses.replace(resting_record(), device_report=report))
    panel = window.device_panel
    assert panel.isVisible() and panel.table.rowCount() == 2
    assert panel.table.item(0, 0).text() == "QRS" and panel.table.item(0, 1).text() == "92"
    assert panel.statements.count() == 2
    window.show_record(resting_record())
    assert not panel.isVisible()


def test_sample_action_uses_bundled_record(window, qtbot) -> None:
    assert sample_path().exists() and sample_path().name == "ludb_2.hea"
    with qtbot.waitSignal(window.record_shown, timeout=20_000):
        window.trigger_key("file.sample")
    assert window.record.n_leads == 12


def test_layouts_unavailable_for_a_holter_are_disabled(window) -> None:
    from tests.ui.synthetic import holter_record

    record, _ = holter_record(hours=1.0)
    window.show_record(record)
    assert not window.actions["view.layout.6x2"].isEnabled()
    assert not window.actions["view.layout.3x4+rhythm"].isChecked()
    assert [t.panel.lead for t in window.paper.traces] == ["MLII", "V5"]


def test_window_file_path_is_a_path(window) -> None:
    window.show_record(resting_record(path="x/y.hea"))
    assert window.record.source.path == Path("x/y.hea")


def test_a_lead_with_a_dc_offset_stays_on_its_row(window) -> None:
    record = resting_record()
    record.signals[7] -= 17.0  # V2 with a -17 mV electrode offset, as in a real Philips file
    window.show_record(record)
    trace = next(t for t in window.paper.traces if t.panel.lead_index == 7)
    _, y = trace.getData()
    assert abs(float(np.median(y)) - trace.panel.baseline_mm) < 1.0
