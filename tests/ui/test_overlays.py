"""Delineation overlays: spans per lead, unsure boundaries, toggles, background runs."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from PySide6 import QtCore

from workstation.core.delineation import Delineation, Wave, WaveKind, read_wfdb_annotations
from workstation.io import read_ecg
from workstation.ui.app import sample_path
from workstation.ui.delineation_runner import DelineationRunner
from workstation.ui.overlays import LOW_CONFIDENCE, describe_wave


@pytest.fixture(scope="module")
def sample():
    return read_ecg(sample_path())


@pytest.fixture(scope="module")
def reference(sample) -> Delineation:
    """The cardiologists' own boundaries shipped with the sample (LUDB record 2)."""
    return read_wfdb_annotations(sample_path().with_suffix(""), sample.lead_names, sample.fs)


def test_reference_waves_are_drawn_in_every_panel(window, sample, reference) -> None:
    window.show_record(sample)
    window.show_delineation(reference)
    spans = window.paper.overlay.spans
    assert {s.wave.lead for s in spans} == set(sample.lead_names)
    # each drawn span lies inside the panel that shows its lead, in paper x
    for span in spans:
        panel = next(p for p in window.paper.layout.panels
                     if p.lead == span.wave.lead and p.start <= span.wave.offset and span.wave.onset < p.stop
                     and p.baseline_mm - 30 < span.y0 < p.baseline_mm)
        assert panel.x_mm - 1e-6 <= span.x0 <= span.x1 <= panel.end_mm + 1e-6
    # the rhythm strip (lead II, 10 s) shows every lead-II QRS of the reference
    rhythm = window.paper.layout.panels[-1]
    drawn = [s for s in spans if s.wave.kind is WaveKind.QRS and s.y0 > rhythm.baseline_mm - 30]
    assert len(drawn) == len(reference.waves_in("II", WaveKind.QRS))


def test_waves_toggle_hides_and_shows(window, sample, reference) -> None:
    window.show_record(sample)
    window.show_delineation(reference)
    shown = len(window.paper.overlay.spans)
    window.trigger_key("view.waves")
    assert window.paper.overlay.spans == [] and not window.actions["view.waves"].isChecked()
    window.trigger_key("view.waves")
    assert len(window.paper.overlay.spans) == shown


def test_unsure_boundaries_are_dashed_amber(window, sample) -> None:
    sure = Wave(WaveKind.QRS, "II", 500, 520, 545, 0.99, 0.99, 0.99, "a")
    unsure = Wave(WaveKind.T, "II", 700, 780, 860, 0.95, 0.9, LOW_CONFIDENCE / 2, "b")
    window.show_record(sample)
    window.show_delineation(Delineation(sample.fs, sample.lead_names, (sure, unsure), "test", "1"))
    dashed = [item for item in window.paper.overlay._items
              if hasattr(item, "opts") and item.opts["pen"].style() == QtCore.Qt.PenStyle.DashLine]
    assert len(dashed) == 1
    assert "low confidence" in describe_wave(unsure, sample.fs)
    assert "low confidence" not in describe_wave(sure, sample.fs)
    assert "onset 1000 ms" in describe_wave(sure, sample.fs)


def test_a_new_record_drops_the_old_waves(window, sample, reference) -> None:
    window.show_record(sample)
    window.show_delineation(reference)
    window.show_record(read_ecg(sample_path()))  # same leads, another record object
    assert window.delineation is None and window.paper.overlay.spans == []


def test_stale_results_are_dropped(qtbot, sample, reference) -> None:
    first, second = sample, dataclasses.replace(sample)
    release = threading.Event()

    def slow_then_fast(record):
        if record is first:
            release.wait(10)
        return reference

    runner = DelineationRunner(delineate=slow_then_fast)
    got = []
    runner.finished.connect(lambda record, d, s: got.append(record))
    runner.start(first)
    runner.start(second)
    release.set()
    runner.wait()
    qtbot.waitUntil(lambda: len(got) >= 1, timeout=5000)
    QtCore.QCoreApplication.processEvents()
    assert got == [second]


def test_opening_the_sample_runs_the_shipped_model(window, qtbot) -> None:
    window.set_state(dataclasses.replace(window.state, auto_delineate=True))
    window.open_path(sample_path())
    assert window.delineation is not None, window.statusBar().currentMessage()
    record = window.record
    for lead in record.lead_names:
        assert len(window.delineation.waves_in(lead, WaveKind.QRS)) >= 10, lead
    assert {s.wave.lead for s in window.paper.overlay.spans} == set(record.lead_names)
    assert "Delineated" in window.statusBar().currentMessage()


def test_findings_panel_shows_the_rules_and_highlights_a_flag(window) -> None:
    from workstation.ui.findings_panel import DISCLAIMER

    window.set_state(dataclasses.replace(window.state, auto_delineate=True))
    window.open_path(sample_path())
    analysis = window.analysis
    assert analysis is not None and window.findings.analysis is analysis
    assert window.findings.table.rowCount() >= 8
    assert window.findings.narrative.text().count(DISCLAIMER) == 1
    assert window.findings.flags.count() == max(1, len(analysis.flags))
    flagged = [i for i, f in enumerate(analysis.flags) if f.leads]
    assert flagged, [f.id for f in analysis.flags]
    window.findings.select_flag(flagged[0])
    flag = analysis.flags[flagged[0]]
    assert window.paper.highlight.rects  # the flag's leads are marked on the paper
    shown = {p.lead for p in window.paper.layout.panels
             if any(p.x_mm - 1e-6 <= r.left() and r.right() <= p.end_mm + 1e-6
                    and p.baseline_mm - 30 < r.center().y() < p.baseline_mm + 30
                    for r in window.paper.highlight.rects)}
    assert shown and shown <= set(flag.leads)


def test_rules_run_even_when_the_model_cannot(qtbot) -> None:
    from workstation.ui.main_window import MainWindow

    def broken(record):
        raise RuntimeError("no model here")

    win = MainWindow(modal_errors=False, background_loading=False)
    qtbot.addWidget(win)
    win.delineator._fn = broken
    win.open_path(sample_path())
    assert win.delineation is None
    assert win.analysis is not None and win.analysis.model is None
    assert win.analysis.measurements.rhythm.hr_bpm.value is not None
