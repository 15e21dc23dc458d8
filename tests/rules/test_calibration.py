"""Temperature scaling, ECE, boundary outcomes and the shipped calibration file."""

from __future__ import annotations

import numpy as np
import pytest

from rules.calibration import (
    Calibration, boundary_outcomes, fit_temperature, load_calibration, reliability, scale)
from workstation.core.delineation import Delineation, Wave, WaveKind


def test_scale_is_identity_at_temperature_one_and_sharpens_below():
    c = np.array([0.2, 0.5, 0.7, 0.9])
    assert scale(c, 1.0) == pytest.approx(c)
    sharper = scale(c, 0.5)
    assert sharper[1] == pytest.approx(0.5)
    assert sharper[2] > 0.7 and sharper[3] > 0.9 and sharper[0] < 0.2


def test_fit_recovers_a_known_temperature_and_lowers_the_ece():
    rng = np.random.default_rng(0)
    true_p = rng.uniform(0.05, 0.95, 20000)
    outcome = rng.uniform(size=true_p.size) < true_p
    reported = scale(true_p, 1 / 0.4)  # under-confident: logits shrunk by 0.4
    temperature = fit_temperature(reported, outcome)
    assert temperature == pytest.approx(0.4, rel=0.1)
    before = reliability(reported, outcome).ece
    after = reliability(scale(reported, temperature), outcome).ece
    assert after < 0.02 < before


def test_ece_of_a_perfectly_calibrated_toy():
    conf = np.array([0.25] * 4 + [0.75] * 4)
    ok = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=bool)
    table = reliability(conf, ok)
    assert table.ece == pytest.approx(0.0)
    assert table.counts.sum() == 8


def test_boundary_outcomes_use_tolerances_and_the_annotated_span():
    ref = Delineation(500.0, ("II",), (Wave(WaveKind.QRS, "II", 1000, 1020, 1045),
                                       Wave(WaveKind.QRS, "II", 1400, 1420, 1445)), "ref", "")
    pred = Delineation(500.0, ("II",), (
        Wave(WaveKind.QRS, "II", 1003, 1020, 1046, 0.8, 0.9, 0.7),   # on +6 ms, off +2 ms
        Wave(WaveKind.QRS, "II", 1420, 1430, 1445, 0.6, 0.9, 0.9),   # on +40 ms: wrong
        Wave(WaveKind.QRS, "II", 3000, 3020, 3045, 0.9, 0.9, 0.9),   # outside the span
    ), "model", "1")
    out = boundary_outcomes(pred, ref)
    conf, ok = out["QRS_on"]
    assert conf.tolist() == [0.8, 0.6] and ok.tolist() == [True, False]
    assert out["QRS_off"][1].tolist() == [True, True]
    assert len(out["P_on"][0]) == 0


def test_shipped_calibration_matches_its_model(tmp_path):
    calibration = load_calibration(weights=tmp_path / "absent.pt")  # the file, whatever the weights
    assert calibration is not None and set(calibration.temperatures) == {
        "P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off"}
    same = Delineation(500.0, ("II",), (), calibration.model_name, calibration.model_version)
    other = Delineation(500.0, ("II",), (), "another-model", "9")
    assert calibration.applies_to(same) and not calibration.applies_to(other)


def test_calibration_is_dropped_for_other_weights(tmp_path):
    other = tmp_path / "retrained.pt"
    other.write_bytes(b"not the weights the temperatures were fitted on")
    assert load_calibration(weights=other) is None


def test_calibrate_one_value():
    calibration = Calibration("m", "1", {"QRS_on": 0.5})
    assert calibration.calibrate(0.75, "QRS_on") == pytest.approx(0.9)
    assert calibration.calibrate(0.75, "unknown") == pytest.approx(0.75)
