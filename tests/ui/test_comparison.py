"""Comparison mode in the window: two sources on the same leads, hover, stepping, median beats.

The sample's own file carries the LUDB cardiologists' boundaries; the "model" is the same
reference with every T offset of lead II moved 40 ms later, so that the disagreements are
known exactly and no model needs to run.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keyring
import keyring.backends.fail
import numpy as np
import pytest
from PySide6 import QtCore

from tests.store.file_keyring import use_file_keyring
from workstation.core.annotation import Boundary
from workstation.core.delineation import Delineation, WaveKind, read_wfdb_annotations
from workstation.core.layout import LayoutKind
from workstation.core.record import DeviceReport, ECGRecord, Fiducial, Lead, MedianBeats, SourceInfo
from workstation.io import read_ecg
from workstation.store import Role
from workstation.ui.app import sample_path

SHIFT = 20  # samples at 500 Hz: 40 ms, beyond the CSE tolerance of a T offset (30.6 ms)


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path):
    use_file_keyring(tmp_path / "keyring.json")
    yield
    keyring.set_keyring(keyring.backends.fail.Keyring())


@pytest.fixture(scope="module")
def sample() -> ECGRecord:
    return read_ecg(sample_path())


def late_t_in_ii(sample: ECGRecord) -> Delineation:
    reference = read_wfdb_annotations(sample_path().with_suffix(""), sample.lead_names, sample.fs)
    waves = tuple(dataclasses.replace(w, offset=w.offset + SHIFT)
                  if (w.lead, w.kind) == ("II", WaveKind.T) else w for w in reference.waves)
    return dataclasses.replace(reference, waves=waves, model_name="test-model", model_version="1")


@pytest.fixture
def comparing(window, sample):
    assert window.sign_in("jdoe", "Dr Jane Doe", Role.ANNOTATOR, new=True)
    window.show_record(sample)
    window.show_delineation(late_t_in_ii(sample))
    window.trigger_key("view.compare")
    return window


def test_the_model_and_the_files_own_annotations_are_compared_on_the_same_leads(comparing, sample) -> None:
    dock = comparing.comparing.dock
    a, b = dock.chosen
    assert a.startswith("Model (test-model 1)") and b.startswith("File annotations")
    differences = comparing.comparing.differences
    t_in_ii = [w for w in read_wfdb_annotations(sample_path().with_suffix(""), sample.lead_names,
                                                sample.fs).waves if (w.lead, w.kind) == ("II", WaveKind.T)]
    # every T offset of lead II, and nothing else, disagrees: by -40 ms (b - a)
    assert len(differences) == len(t_in_ii) > 5
    assert {(d.lead, d.kind, d.which, d.ms) for d in differences} == {("II", WaveKind.T, Boundary.OFFSET, -40.0)}
    assert dock.table.rowCount() == len(differences) and dock.table.item(0, 2).text() == "-40"
    # both sources are drawn: the overlay's hover areas say where each put the boundary
    spans = comparing.comparing.overlay.spans
    tips = [s.tip for s in spans if s.difference.disagrees]
    assert tips and "-40 ms" in tips[0] and "beyond the CSE tolerance" in tips[0]
    assert comparing.comparing.overlay._items  # noqa: SLF001 - the marks are on the paper


def test_hovering_a_disagreement_shows_the_difference_in_ms(comparing, qtbot) -> None:
    item = next(i for i in comparing.comparing.overlay._items if hasattr(i, "span_at"))  # noqa: SLF001
    span = next(s for s in item.spans if s.difference.disagrees)
    centre = span.rect.center()
    found = item.span_at(centre.x(), centre.y())
    assert found is not None and "-40 ms" in found.tip


def test_d_steps_through_the_disagreements_largest_first_and_selects_the_boundary(comparing, qtbot) -> None:
    window = comparing
    before = window.paper.vb.viewRect().width()
    qtbot.keyClick(window.paper, QtCore.Qt.Key.Key_D)
    first = window.comparing.current
    assert first == 0
    assert window.paper.vb.viewRect().width() < before / 2  # zoomed to it
    assert "-40 ms" in window.statusBar().currentMessage()
    d = window.comparing.differences[0]
    sel = window.editor.selection
    assert sel is not None and sel.which is Boundary.OFFSET
    assert window.corrections.state.wave(sel.wave_id).offset == d.a  # the model's, ready to nudge
    qtbot.keyClick(window.paper, QtCore.Qt.Key.Key_D)
    assert window.comparing.current == 1
    qtbot.keyClick(window.paper, QtCore.Qt.Key.Key_D, QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert window.comparing.current == 0


def test_any_two_sources_can_be_chosen_and_a_correction_is_compared_at_once(comparing, qtbot) -> None:
    window = comparing
    qtbot.keyClick(window.paper, QtCore.Qt.Key.Key_D)
    # the reader moves the selected T offset back to the cardiologists' position
    for _ in range(SHIFT):
        qtbot.keyClick(window.paper, QtCore.Qt.Key.Key_Left)
    names = [window.comparing.dock.box_a.itemText(i) for i in range(window.comparing.dock.box_a.count())]
    assert "You (jdoe)" in names
    window.comparing.dock.box_a.setCurrentText("You (jdoe)")
    assert all(d.ms == -40.0 for d in window.comparing.differences)
    before = len(window.comparing.differences)
    window.comparing.dock.box_b.setCurrentText(names[names.index("You (jdoe)") + 1])  # the model
    assert len(window.comparing.differences) == 1 and window.comparing.differences[0].ms == 40.0
    assert before >= 1


def test_a_layout_that_hides_part_of_a_lead_says_how_many_more_there_are(comparing) -> None:
    window = comparing
    window.trigger_key(f"view.layout.{LayoutKind.SIX_BY_TWO.value}")
    shown = len(window.comparing.differences)
    window.trigger_key(f"view.layout.{LayoutKind.TWELVE_BY_ONE.value}")
    assert len(window.comparing.differences) >= shown
    window.comparing.dock.grab().save(str(Path("/tmp") / "compare_dock.png"))


def test_device_fiducials_and_median_beats(window, qtbot, tmp_path) -> None:
    fs, n = 500.0, 5000
    t = np.arange(n) / fs
    names = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    signals = np.vstack([np.sin(2 * np.pi * 1.2 * t)] * 12).astype(np.float32) * 0.5
    beat = np.exp(-((np.arange(600) - 250) / 8.0) ** 2).astype(np.float32)
    fiducials = tuple(Fiducial("QRS onset", int(s), beat=i) for i, s in enumerate(range(200, n, 500)))
    fiducials += (Fiducial("QRS onset", 240, on_median=True), Fiducial("QRS offset", 262, on_median=True))
    record = ECGRecord.from_array(signals, fs, tuple(Lead(n) for n in names),
                                  SourceInfo(tmp_path / "dev.xml", "test"),
                                  device_report=DeviceReport(fiducials=fiducials),
                                  median_beats=MedianBeats(np.vstack([beat] * 12), fs, names))
    window.show_record(record)
    window.trigger_key("view.compare")
    assert "Device fiducials" in [window.comparing.dock.box_b.itemText(i)
                                  for i in range(window.comparing.dock.box_b.count())]
    medians = window.comparing.show_medians()
    qtbot.addWidget(medians)
    assert medians.paper.layout.kind is LayoutKind.SIX_BY_TWO
    # both median fiducials on every lead, in each of the two copies of the beat (two columns)
    assert len(medians.marks) == 2 * 12 * 2
    hover = next(i for i in medians.overlay._items if hasattr(i, "span_at"))  # noqa: SLF001
    centre = hover.spans[0].rect.center()
    assert "device QRS onset" in hover.span_at(centre.x(), centre.y()).tip
    assert "480 ms into the beat" in hover.span_at(centre.x(), centre.y()).tip
    assert not medians.grab().isNull()


def test_another_readers_set_is_a_source_unless_the_reader_works_blind(window, sample) -> None:
    from workstation.core.annotation import AnnotationState
    from workstation.store.records import record_key

    assert window.sign_in("jdoe", "Dr Jane Doe", Role.ANNOTATOR, new=True)
    store = window.corrections.store
    record_id = store.add_record(sample).id
    assert record_id == record_key(sample)
    store.add_annotator("asmith", "Dr A Smith")
    store.switch_user("asmith")
    store.import_set(record_id, AnnotationState.from_proposal(late_t_in_ii(sample), sample.n_samples),
                     origin={})
    assert window.sign_in("jdoe")
    window.show_record(sample)
    window.show_delineation(late_t_in_ii(sample))
    window.trigger_key("view.compare")
    names = [window.comparing.dock.box_b.itemText(i) for i in range(window.comparing.dock.box_b.count())]
    assert "Reader asmith" in names
    window.comparing.dock.box_b.setCurrentText("Reader asmith")
    # asmith's set is the same late-T proposal as the model's: nothing to disagree on
    assert window.comparing.differences == []


def test_a_blind_reader_is_not_shown_the_files_reference(window, sample) -> None:
    assert window.sign_in("jdoe", "Dr Jane Doe", Role.ANNOTATOR, new=True)
    window.set_state(dataclasses.replace(window.state, blind=True))
    window.show_record(sample)
    window.show_delineation(late_t_in_ii(sample))
    window.trigger_key("view.compare")
    names = [window.comparing.dock.box_b.itemText(i) for i in range(window.comparing.dock.box_b.count())]
    assert not any(n.startswith("File annotations") for n in names)
    assert any(n.startswith("Model") for n in names)
