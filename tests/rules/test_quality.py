"""Per-lead signal quality at ingest and the amplitude consistency check."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rules.consistency import check_amplitudes
from rules.quality import assess_lead, assess_quality, signal_span
from rules.types import QualityGrade, QualityProblem
from tests.rules.synthetic import Spec, build

FS = 500.0


@pytest.fixture(scope="module")
def clean():
    record, _ = build(Spec())
    return record


def lead_ii(record) -> np.ndarray:
    return np.asarray(record.lead("II"), dtype=float)


def test_clean_synthetic_leads_are_good(clean, ruleset):
    quality = assess_quality(clean, ruleset)
    assert all(q.grade is QualityGrade.GOOD for q in quality.leads)
    assert quality.score == pytest.approx(1.0) and quality.amplitudes.trusted


@pytest.mark.parametrize("damage, problem", [
    (lambda x: np.full_like(x, 0.2), QualityProblem.LEAD_OFF),
    (lambda x: np.clip(x, None, 0.15), QualityProblem.SATURATION),  # T waves and R clipped
    (lambda x: x + np.random.default_rng(1).normal(0, 0.15, len(x)), QualityProblem.NOISE),
    (lambda x: x + 2.0 * np.sin(2 * np.pi * 0.2 * np.arange(len(x)) / FS),
     QualityProblem.BASELINE_WANDER),
    (lambda x: x[:1500], QualityProblem.TOO_SHORT),
    (lambda x: np.where(np.arange(len(x)) % 1000 < 300, np.nan, x), QualityProblem.GAPS),
])
def test_each_problem_makes_a_lead_poor(clean, ruleset, damage, problem):
    quality = assess_lead("II", damage(lead_ii(clean)), FS, ruleset)
    assert quality.grade is QualityGrade.POOR and problem in quality.problems
    assert not quality.usable and quality.score <= 0.5


def test_moderate_noise_is_fair(clean, ruleset):
    noisy = lead_ii(clean) + np.random.default_rng(2).normal(0, 0.045, len(lead_ii(clean)))
    quality = assess_lead("II", noisy, FS, ruleset)
    assert quality.grade is QualityGrade.FAIR and quality.problems == (QualityProblem.NOISE,)
    assert 0.5 < quality.score < 1.0


def test_filler_at_the_end_is_not_signal():
    x = np.sin(np.arange(5000) / 20.0)
    x[-150:-100], x[-100:-50], x[-50:] = 0.0, 1.0, 0.0  # zeros, 1 mV pulse, zeros
    assert signal_span(x, FS) == (0, 4850)
    assert signal_span(np.sin(np.arange(5000) / 20.0), FS) == (0, 5000)


def test_normalised_leads_and_broken_einthoven_law_are_untrusted(clean):
    signals = np.asarray(clean.signals, dtype=float)
    good = check_amplitudes(signals, clean.lead_names, 0.15, 0.005)
    assert good.trusted and good.limb_residual < 0.01
    normalised = signals / np.ptp(signals, axis=1, keepdims=True)
    bad = check_amplitudes(normalised, clean.lead_names, 0.15, 0.005)
    assert not bad.trusted and bad.equal_ranges and bad.limb_residual > 0.15
    assert bad.limb_gains is not None  # restorable: gains relative to lead II
    ratio = bad.limb_gains["I"] / bad.limb_gains["II"]
    assert ratio == pytest.approx(np.ptp(signals[0]) / np.ptp(signals[1]), rel=0.01)


def test_a_gain_error_makes_amplitudes_untrusted(clean):
    signals = np.asarray(clean.signals, dtype=float) * 8.0  # stored in the wrong unit
    check = check_amplitudes(signals, clean.lead_names, 0.15, 0.005, 7.0)
    assert check.limb_consistent and not check.trusted and "gain" in check.note


def test_restored_gains_give_the_true_axis(ruleset):
    from rules.analysis import analyze

    record, delineation = build(Spec(qrs_axis=-50.0))
    scaled = np.asarray(record.signals, dtype=float).copy()
    scaled[:6] *= np.array([0.5, 1.0, 2.0, 0.7, 1.5, 0.9])[:, None]
    changed = dataclasses.replace(record, _cache=scaled.astype(np.float32))
    analysis = analyze(changed, delineation, ruleset=ruleset)
    assert not analysis.quality.amplitudes.limb_consistent
    assert analysis.measurements.qrs_axis.value == pytest.approx(-50.0, abs=2.0)
    assert "restored" in analysis.measurements.qrs_axis.note
