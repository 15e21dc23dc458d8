"""The delineation document (workstation.core.delineation): waves, groups, JSON and WFDB files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import wfdb

from workstation.core.delineation import (Delineation, Wave, WaveKind, from_json_dict,
                                          group_waves, read_json, read_wfdb_annotations,
                                          to_json_dict, waves_from_marks, write_json,
                                          write_wfdb_annotations)

LEADS = ("I", "II", "aVR", "V1", "MLII")


def _delineation() -> Delineation:
    waves = []
    for lead_index, lead in enumerate(LEADS):
        for beat in range(3):
            base = 100 + 400 * beat + lead_index  # leads disagree by a sample or two
            waves += [Wave(WaveKind.P, lead, base, base + 20, base + 45, 0.9, 0.8, 0.7),
                      Wave(WaveKind.QRS, lead, base + 70, base + 90, base + 115, 0.99, 1.0, 0.95),
                      Wave(WaveKind.T, lead, base + 200, base + 260, base + 320, 0.6, 0.9, 0.5)]
    return Delineation(500.0, LEADS, tuple(waves), "test-model", "0.1")


def test_wave_checks_order_and_confidence_and_gets_a_stable_id():
    wave = Wave(WaveKind.QRS, "V1", 10, 20, 30)
    assert wave.id == "V1/QRS/10" and wave.duration == 20
    with pytest.raises(ValueError, match="not in order"):
        Wave(WaveKind.P, "I", 30, 20, 40)
    with pytest.raises(ValueError, match="outside 0..1"):
        Wave(WaveKind.T, "I", 1, 2, 3, onset_conf=1.5)


def test_delineation_sorts_and_filters_by_lead_and_kind():
    d = _delineation()
    assert [w.onset for w in d.waves_in("II", WaveKind.QRS)] == [171, 571, 971]
    assert len(d.waves_in("V1")) == 9 and len(d.of_kind(WaveKind.T)) == 15
    assert d.wave("aVR/T/302").kind is WaveKind.T
    with pytest.raises(ValueError, match="not in the record"):
        Delineation(500.0, ("I",), (Wave(WaveKind.P, "II", 1, 2, 3),), "m", "1")


def test_groups_give_one_global_wave_per_beat_with_earliest_onset_latest_offset():
    d = _delineation()
    groups = d.groups(WaveKind.QRS)
    assert len(groups) == 3
    assert [g.onset for g in groups] == [170, 570, 970]
    assert [g.offset for g in groups] == [219, 619, 1019]
    assert set(groups[0].leads) == set(LEADS)


def test_groups_keep_neighbouring_beats_apart_and_respect_min_leads():
    waves = [Wave(WaveKind.T, "I", 0, 50, 100), Wave(WaveKind.T, "II", 5, 50, 98),
             Wave(WaveKind.T, "I", 101, 150, 200), Wave(WaveKind.T, "II", 150, 170, 190)]
    groups = group_waves(waves)
    assert [len(g.waves) for g in groups] == [2, 2]
    assert len(group_waves(waves[:3], min_leads=2)) == 1


def test_json_round_trip(tmp_path):
    d = _delineation()
    path = write_json(d, tmp_path / "rec.json")
    assert read_json(path) == d
    data = json.loads(path.read_text())
    assert data["model_name"] == "test-model" and data["waves"][0]["kind"] == "P"
    with pytest.raises(ValueError, match="not an"):
        from_json_dict({"format": "other"})
    broken = to_json_dict(d)
    del broken["waves"][0]["onset"]
    with pytest.raises(ValueError, match="onset"):
        from_json_dict(broken)


def test_wfdb_annotation_files_follow_ludb_and_round_trip(tmp_path):
    d = _delineation()
    written = write_wfdb_annotations(d, tmp_path, "rec")
    assert sorted(p.name for p in written) == ["rec.avr", "rec.i", "rec.ii", "rec.mlii", "rec.v1"]
    ann = wfdb.rdann(str(tmp_path / "rec"), "v1")
    assert ann.symbol[:6] == ["(", "p", ")", "(", "N", ")"]
    assert list(ann.sample[:3]) == [103, 123, 148] and ann.fs == 500
    back = read_wfdb_annotations(tmp_path / "rec", LEADS, 500.0)
    assert [(w.kind, w.lead, w.onset, w.peak, w.offset) for w in back.waves] == \
        [(w.kind, w.lead, w.onset, w.peak, w.offset) for w in d.waves]


def test_marks_are_parsed_by_their_own_peak():
    # a QRS without onset and a "()" pair without peak are skipped, never re-paired
    samples = [10, 20, 30, 50, 60, 70, 80, 90, 100, 110]
    symbols = ["(", "p", ")", "N", ")", "(", ")", "(", "t", ")"]
    waves = waves_from_marks("II", samples, symbols)
    assert [(w.kind, w.onset, w.offset) for w in waves] == [(WaveKind.P, 10, 30), (WaveKind.T, 90, 110)]


def test_empty_lead_writes_no_file(tmp_path):
    d = Delineation(250.0, ("I", "II"), (Wave(WaveKind.QRS, "I", 5, 8, 12),), "m", "1")
    assert [p.name for p in write_wfdb_annotations(d, tmp_path, "r")] == ["r.i"]
    assert np.array_equal(wfdb.rdann(str(tmp_path / "r"), "i").sample, [5, 8, 12])
