"""Comparing two annotation sources: matching, the common span, the CSE tolerances, the sources."""

from __future__ import annotations

import dataclasses

import numpy as np

from workstation.core.annotation import Boundary
from workstation.core.delineation import Delineation, Wave, WaveKind, read_wfdb_annotations
from workstation.core.record import (DeviceReport, ECGRecord, Fiducial, Lead, MedianBeats,
                                     SourceInfo)
from workstation.io import read_ecg
from workstation.review.compare import (MATCH_WINDOW_MS, Mark, compare, delineation_marks,
                                        disagreements, fiducial_marks, file_delineation,
                                        median_fiducial_marks)
from workstation.ui.app import sample_path

FS = 500.0


def marks(lead: str, kind: WaveKind, which: Boundary, *samples: int) -> tuple[Mark, ...]:
    return tuple(Mark(lead, kind, which, s) for s in samples)


def test_nearest_pairs_are_matched_and_the_largest_difference_comes_first() -> None:
    a = marks("II", WaveKind.QRS, Boundary.ONSET, 100, 600, 1100)
    b = marks("II", WaveKind.QRS, Boundary.ONSET, 104, 630, 1099)
    found = compare(a, b, FS)
    assert [d.ms for d in found] == [60.0, 8.0, -2.0]  # b - a, largest |difference| first
    # the CSE tolerance of a QRS onset is 6.5 ms: 60 and 8 ms disagree, 2 ms does not
    assert [d.ms for d in disagreements(found)] == [60.0, 8.0]


def test_a_boundary_one_source_lacks_counts_only_where_both_annotated_the_lead() -> None:
    # a annotates 0.2..2.2 s; b only the middle beat, at 1.2 s (as LUDB's cardiologists do)
    a = marks("V1", WaveKind.T, Boundary.OFFSET, 100, 600, 1100)
    b = marks("V1", WaveKind.T, Boundary.OFFSET, 600) + marks("V1", WaveKind.P, Boundary.ONSET, 550, 1050)
    found = compare(a, b, FS)
    t_offsets = [d for d in found if d.kind is WaveKind.T]
    assert [(d.a, d.b) for d in t_offsets] == [(600, 600)]  # a's edge beats are not held against b
    # b's P onsets lie inside the span both annotated, and a has no P there: real omissions
    p = [d for d in found if d.kind is WaveKind.P]
    assert sorted(d.b for d in p) == [550, 1050] and all(d.a is None and d.disagrees for d in p)
    assert all(d.size_ms <= MATCH_WINDOW_MS for d in found)


def test_marks_further_apart_than_the_window_are_two_omissions() -> None:
    a = marks("I", WaveKind.P, Boundary.ONSET, 500, 1000, 2000)
    b = marks("I", WaveKind.P, Boundary.ONSET, 500, 1000 + int(0.2 * FS), 2000)
    found = compare(a, b, FS)
    assert sorted((d.a or 0, d.b or 0) for d in found if d.ms is None) == [(0, 1100), (1000, 0)]
    assert found[0].ms is None and "only" in found[0].describe("model", "reader")


def test_hover_text_names_both_positions_and_the_difference() -> None:
    d = compare(marks("II", WaveKind.T, Boundary.OFFSET, 1000), marks("II", WaveKind.T, Boundary.OFFSET, 1020),
                FS)[0]
    text = d.describe("model", "LUDB")
    assert "T offset in II" in text and "+40 ms" in text and "2000 ms" in text and "2040 ms" in text
    assert "beyond the CSE tolerance (30.6 ms)" in text


def test_the_sample_files_annotations_are_the_cardiologists_waves() -> None:
    record = read_ecg(sample_path())
    found = file_delineation(record)
    reference = read_wfdb_annotations(sample_path().with_suffix(""), record.lead_names, record.fs)
    assert found is not None and len(found.waves) == len(reference.waves) > 100
    assert sorted((w.lead, w.onset, w.offset) for w in found.waves) == \
        sorted((w.lead, w.onset, w.offset) for w in reference.waves)
    # a source compared with itself has no difference at all
    same = compare(delineation_marks(found), delineation_marks(reference), record.fs)
    assert same and not disagreements(same) and all(d.ms == 0 for d in same)


def test_device_fiducials_on_the_rhythm_and_on_the_median_beat() -> None:
    signals = np.zeros((2, 5000), dtype=np.float32)
    fiducials = (Fiducial("P Onset", 300, beat=1), Fiducial("QRS onset", 450, beat=1),
                 Fiducial("Fiducial Point", 480, beat=1),  # not a boundary: left out
                 Fiducial("QRS onset", 200, on_median=True), Fiducial("T offset", 650, lead="II"))
    record = ECGRecord.from_array(signals, FS, (Lead("I"), Lead("II")), SourceInfo(sample_path(), "test"),
                                  device_report=DeviceReport(fiducials=fiducials),
                                  median_beats=MedianBeats(np.zeros((2, 600), np.float32), FS, ("I", "II")))
    rhythm = fiducial_marks(record)
    assert Mark("I", WaveKind.P, Boundary.ONSET, 300) in rhythm  # a global point: on every lead
    assert Mark("II", WaveKind.P, Boundary.ONSET, 300) in rhythm
    assert Mark("II", WaveKind.T, Boundary.OFFSET, 650) in rhythm  # a lead's point: on its lead
    assert not any(m.lead == "I" and m.kind is WaveKind.T for m in rhythm)
    assert len(rhythm) == 5
    assert median_fiducial_marks(record) == (Mark("I", WaveKind.QRS, Boundary.ONSET, 200),
                                             Mark("II", WaveKind.QRS, Boundary.ONSET, 200))


def test_a_delineation_gives_each_waves_onset_and_offset() -> None:
    d = Delineation(FS, ("II",), (Wave(WaveKind.QRS, "II", 100, 110, 140),), "m", "1")
    assert delineation_marks(d) == (Mark("II", WaveKind.QRS, Boundary.ONSET, 100),
                                    Mark("II", WaveKind.QRS, Boundary.OFFSET, 140))
    assert dataclasses.replace(delineation_marks(d)[0], sample=5).label() == "QRS onset"
