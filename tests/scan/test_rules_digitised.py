"""A digitised record goes through the rules like any other, judged on its printed segments,
and a poorly digitised one is routed to review with the reasons."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rules.analysis import analyze
from rules.quality import assess_quality
from rules.ruleset import load_ruleset
from rules.types import QualityGrade, QualityProblem
from workstation.scan.digitize import digitize
from workstation.scan.record import to_record


@pytest.fixture(scope="module")
def digitised(clean_print, tmp_path_factory):
    path = tmp_path_factory.mktemp("scan") / "page.png"
    return to_record(digitize(clean_print.image), path, image=b"not used")


def test_printed_segments_are_not_gaps(digitised):
    quality = assess_quality(digitised, load_ruleset())
    v1 = quality.of("V1")
    assert v1.usable and QualityProblem.GAPS not in v1.problems and QualityProblem.TOO_SHORT not in v1.problems
    assert 2490 <= v1.span[0] <= 2510 and 3740 <= v1.span[1] <= 3760


def test_a_well_digitised_record_is_analysed_and_says_it_was_digitised(digitised):
    analysis = analyze(digitised, None)
    # only the two smallest traces (III and aVF, about 7 dB SNR) are left out of the rules
    assert set(analysis.quality.poor_leads) <= {"III", "aVF"}
    assert analysis.quality.of("II").usable
    assert analysis.measurements.rhythm.hr_bpm.value == pytest.approx(46, abs=3)
    assert "digitised from a paper ECG image" in analysis.narrative
    # the image alone would not send it to review; its page does break Einthoven's law, as
    # LUDB stores every lead normalised to its own range, and the page's quality says so
    assert analysis.page.image >= 0.6
    assert all("limb leads disagree" in reason for reason in analysis.page.reasons)


def test_a_poorly_digitised_record_is_routed_to_review_with_reasons(digitised):
    # blur bears on what can be measured: the leads cannot be measured either
    poor = dataclasses.replace(digitised.digitisation, score=0.3,
                               reasons=("blurred trace (stroke 0.95 mm wide)",),
                               lead_scores=tuple((name, 0.3) for name in digitised.lead_names),
                               lead_measurable=tuple((name, 0.3) for name in digitised.lead_names))
    record = dataclasses.replace(digitised, digitisation=poor)
    analysis = analyze(record, None)
    assert analysis.routing.review
    assert any("blurred trace" in reason for reason in analysis.routing.review_reasons)
    assert set(analysis.quality.poor_leads) == set(digitised.lead_names)
    assert QualityProblem.DIGITISATION in analysis.quality.of("II").problems


def test_a_measurable_lead_reproduced_roughly_is_used_and_said_to_be_fair(digitised):
    """A low-resolution page: the waveform's expected SNR is low, but beats, intervals and
    amplitudes are resolved; the leads are fair (used, and named), and the confidence falls."""
    rough = dataclasses.replace(
        digitised.digitisation, score=0.3,
        reasons=("small or fast trace for this resolution (expected SNR 10 dB)",),
        lead_scores=tuple((name, 0.3) for name in digitised.lead_names),
        lead_measurable=tuple((name, 0.95) for name in digitised.lead_names))
    analysis = analyze(dataclasses.replace(digitised, digitisation=rough), None)
    reference = analyze(digitised, None)
    assert not analysis.quality.poor_leads
    assert all(q.grade is QualityGrade.FAIR and QualityProblem.DIGITISATION in q.problems
               for q in analysis.quality.leads)
    assert analysis.measurements.rhythm.hr_bpm.value == pytest.approx(
        reference.measurements.rhythm.hr_bpm.value, abs=1)
    assert analysis.confidence.value < reference.confidence.value


def test_an_undigitised_record_is_unaffected(ludb_record):
    quality = assess_quality(ludb_record, load_ruleset())
    assert all(QualityProblem.DIGITISATION not in q.problems for q in quality.leads)
    assert np.isfinite(ludb_record.signals).all()
