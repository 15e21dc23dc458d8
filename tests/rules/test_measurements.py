"""Measurements on synthetic ECGs with known answers, and on the bundled LUDB sample."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from resources import sample_ecg_path
from rules.analysis import analyze
from rules.axis import frontal_axis
from rules.beats import build_beats
from rules.intervals import rhythm
from rules.measure import measure
from rules.quality import assess_quality
from rules.ruleset import load_ruleset
from rules.types import QtcFormula
from tests.rules.synthetic import Spec, build
from workstation.core.delineation import Delineation, Wave, WaveKind, read_wfdb_annotations
from workstation.io import read_ecg


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset()


def measured(spec: Spec, ruleset):
    record, delineation = build(spec)
    return measure(record, delineation, assess_quality(record, ruleset), ruleset)


def test_intervals_and_rate_match_the_synthetic_answers(ruleset):
    m = measured(Spec(), ruleset)
    assert m.rhythm.hr_bpm.value == pytest.approx(75.0)
    assert m.rhythm.rr_ms.value == pytest.approx(800.0)
    assert m.rhythm.rr_nrmssd.value == pytest.approx(0.0)
    assert m.rhythm.p_share.value == pytest.approx(1.0)
    i = m.intervals
    assert (i.p_ms.value, i.pr_ms.value, i.qrs_ms.value, i.qt_ms.value) == (100.0, 160.0, 90.0, 380.0)
    assert i.qtc[QtcFormula.BAZETT].value == pytest.approx(380.0 / np.sqrt(0.8))
    assert m.qtc.value == pytest.approx(380.0 + 154.0 * 0.2)  # default: Framingham


def test_min_max_rate_and_irregularity_from_varying_rr(ruleset):
    rr = [600.0, 1000.0] * 6
    m = measured(Spec(rr_ms=rr, qt_ms=360.0), ruleset)
    assert m.rhythm.hr_min_bpm.value == pytest.approx(60.0)
    assert m.rhythm.hr_max_bpm.value == pytest.approx(100.0)
    intervals = rr[:-1]  # 12 beats, 11 RR intervals
    assert m.rhythm.hr_bpm.value == pytest.approx(60000.0 / np.mean(intervals), abs=0.2)
    assert m.rhythm.rr_nrmssd.value == pytest.approx(400.0 / np.mean(intervals), rel=0.02)


def test_every_value_names_its_leads_and_beats(ruleset):
    m = measured(Spec(), ruleset)
    for value in (m.rhythm.hr_bpm, m.intervals.pr_ms, m.intervals.qrs_ms, m.intervals.qt_ms,
                  m.qtc, m.qrs_axis):
        assert value.leads and value.beats, value
    assert m.intervals.qrs_ms.beats == tuple(range(12))


@pytest.mark.parametrize("axis", [-135.0, -45.0, 0.0, 60.0, 120.0, 175.0])
def test_frontal_axis_from_limb_leads(axis, ruleset):
    m = measured(Spec(qrs_axis=axis, t_axis=axis, p_axis=axis), ruleset)
    assert m.qrs_axis.value == pytest.approx(axis, abs=1.0)
    assert m.t_axis.value == pytest.approx(axis, abs=1.0)
    assert m.p_axis.value == pytest.approx(axis, abs=1.0)


def test_axis_needs_two_independent_leads_and_a_net_deflection():
    assert frontal_axis({"I": 5.0}, (), "QRS").value is None
    assert frontal_axis({"I": 5.0, "V1": 3.0}, (), "QRS").value is None
    assert frontal_axis({"I": 5.0, "aVF": 5.0 * np.sqrt(3) / 2}, (), "QRS").value == pytest.approx(45.0)
    flat = frontal_axis({lead: 0.0 for lead in ("I", "II", "III", "aVR", "aVL", "aVF")}, (), "QRS")
    assert flat.value is None and "indeterminate" in flat.note
    # areas no single frontal vector explains: I and III up, II down
    clash = frontal_axis({"I": 1.0, "II": -1.0, "III": 1.0}, (), "QRS")
    assert clash.value is None


def test_q_r_s_amplitudes_st_levels_and_t(ruleset):
    spec = Spec(q_share=0.2, s_share=0.3, st_mv={"V2": 0.2, "II": -0.1})
    m = measured(spec, ruleset)
    ii = m.lead("II")
    assert ii.r_mv == pytest.approx(1.2, abs=0.01)  # lead II is parallel to the 60 deg axis
    assert ii.q_mv == pytest.approx(-0.24, abs=0.01)
    assert ii.s_mv == pytest.approx(-0.36, abs=0.01)
    assert ii.st_j_mv == pytest.approx(-0.1, abs=0.01)
    assert ii.st_j60_mv == pytest.approx(-0.1, abs=0.01)
    v2 = m.lead("V2")
    assert (v2.r_mv, v2.s_mv) == (pytest.approx(0.6, abs=0.01), pytest.approx(-1.2, abs=0.01))
    assert v2.st_j_mv == pytest.approx(0.2, abs=0.01)
    assert v2.st_j80_mv == pytest.approx(0.2, abs=0.01)
    assert v2.t_mv == pytest.approx(0.4, abs=0.02)  # 0.3 T on the ST offset fading to 0: 0.1 at its peak
    assert m.lead("V5").st_j_mv == pytest.approx(0.0, abs=0.01)


def _qrs_with(ruleset, onset_shift: dict[str, int], offset_shift: dict[str, int]):
    record, delineation = build(Spec())
    waves = []
    for w in delineation.waves:
        if w.kind is WaveKind.QRS:
            w = dataclasses.replace(w, onset=w.onset - onset_shift.get(w.lead, 0),
                                    offset=w.offset + offset_shift.get(w.lead, 0), id="")
        waves.append(w)
    shifted = Delineation(delineation.fs, delineation.lead_names, tuple(waves), "t", "1")
    return measure(record, shifted, assess_quality(record, ruleset), ruleset).intervals.qrs_ms


def test_global_boundaries_take_the_earliest_onset_two_leads_confirm_but_not_an_outlier(ruleset):
    # V2 and V4 8 ms earlier: confirmed, taken; V3 60 ms later: an outlier, ignored
    qrs = _qrs_with(ruleset, {"V2": 4, "V4": 4}, {"V3": 30})
    assert qrs.value == pytest.approx(98.0)
    assert "V4" in qrs.leads and "V3" not in qrs.leads


def test_one_lead_alone_does_not_stretch_the_global_qrs(ruleset):
    # one lead 8 ms early is within the outlier tolerance, but no second lead confirms it
    assert _qrs_with(ruleset, {"V2": 4}, {}).value == pytest.approx(90.0)


def test_unmeasurable_values_are_none_never_guessed(ruleset):
    m = measured(Spec(with_p=False), ruleset)
    assert m.intervals.pr_ms.value is None and m.intervals.p_ms.value is None
    assert m.intervals.pr_ms.note
    assert m.rhythm.p_share.value == 0.0
    record, _ = build(Spec())
    empty = Delineation(record.fs, record.lead_names, (), "t", "1")
    m = measure(record, empty, assess_quality(record, ruleset), ruleset)
    assert m.rhythm.hr_bpm.value is None and m.qtc.value is None and m.qrs_axis.value is None


def test_premature_wide_beat_counts_for_rate_but_not_for_morphology(ruleset):
    record, delineation = build(Spec())
    beats = build_beats(delineation, record.lead_names, ruleset)
    assert all(b.dominant for b in beats)
    rr = [800.0] * 5 + [500.0, 1100.0] + [800.0] * 5
    record, delineation = build(Spec(rr_ms=rr))
    beats = build_beats(delineation, record.lead_names, ruleset)
    assert [b.index for b in beats if not b.dominant] == [6]


def test_rate_without_a_delineation_comes_from_the_qrs_detector(ruleset):
    record, _ = build(Spec())
    m = measure(record, None, assess_quality(record, ruleset), ruleset)
    assert m.rhythm.hr_bpm.value == pytest.approx(75.0, abs=1.0)
    assert m.intervals.qrs_ms.value is None and m.source == "QRS detector only"


def test_rhythm_needs_two_beats():
    r = rhythm(np.array([100]), 500.0, ("II",))
    assert r.hr_bpm.value is None and "2" in r.hr_bpm.note


def test_bundled_sample_with_its_reference_annotations(ruleset):
    path = sample_ecg_path()
    record = read_ecg(path)
    reference = read_wfdb_annotations(path.with_suffix(""), record.lead_names, record.fs)
    a = analyze(record, reference, ruleset=ruleset)
    m = a.measurements
    qrs_ii = [w for w in reference.waves_in("II", WaveKind.QRS)]
    expected_hr = 60000.0 / np.mean(np.diff([w.onset for w in qrs_ii]) * 2.0)
    assert m.rhythm.hr_bpm.value == pytest.approx(expected_hr, abs=1.0)
    assert 180.0 <= m.intervals.pr_ms.value <= 210.0
    assert 100.0 <= m.intervals.qrs_ms.value <= 125.0
    assert 400.0 <= m.intervals.qt_ms.value <= 460.0
    assert 30.0 <= m.qrs_axis.value <= 80.0  # LUDB: "normal" axis
    # LUDB stores each lead normalised to 1 mV: amplitudes are not reasoned over
    assert not a.quality.amplitudes.trusted
    assert "inconsistent_amplitudes" in {f.id.value for f in a.flags}
    assert not {"st_elevation", "st_depression", "lvh_voltage"} & {f.id.value for f in a.flags}


def test_waves_on_filler_are_dropped(ruleset):
    """A model's waves inside a calibration pulse at the end are not beats."""
    record, delineation = build(Spec())
    signals = record.signals.copy()
    signals[:, -150:-100] = 0.0
    signals[:, -100:-50] = 1.0
    signals[:, -50:] = 0.0
    fake = [Wave(WaveKind.QRS, lead, record.n_samples - 105, record.n_samples - 100,
                 record.n_samples - 95) for lead in record.lead_names]
    padded = dataclasses.replace(record, _cache=signals.astype(np.float32))
    with_fake = Delineation(delineation.fs, delineation.lead_names,
                            delineation.waves + tuple(fake), "t", "1")
    m = measure(padded, with_fake, assess_quality(padded, ruleset), ruleset)
    assert len(m.beats) == 12
