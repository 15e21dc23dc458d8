"""Record-level confidence, triage category, review routing and the narrative."""

from __future__ import annotations

import pytest

from rules.analysis import analysis_window, analyze
from rules.confidence import record_confidence
from rules.flag import Check, Verdict
from rules.reasoning import DISCLAIMER
from rules.ruleset import load_ruleset
from rules.types import FlagId, Severity, Triage
from tests.rules.synthetic import Spec, build


def run(spec: Spec, ruleset=None, delineation=True):
    record, d = build(spec)
    return analyze(record, d if delineation else None, ruleset=ruleset)


def test_a_normal_ecg_is_normal_confident_and_not_reviewed():
    a = run(Spec())
    assert a.flags == () and a.routing.triage is Triage.NORMAL
    assert a.confidence.value == pytest.approx(1.0) and not a.routing.review
    assert a.narrative.startswith(DISCLAIMER) and "No rule fired" in a.narrative


def test_st_elevation_is_acute_and_always_reviewed():
    a = run(Spec(st_mv={"V2": 0.3, "V3": 0.3}))
    assert a.routing.triage is Triage.ACUTE and a.routing.review
    assert any("always reviewed" in r for r in a.routing.review_reasons)
    flag = next(f for f in a.flags if f.id is FlagId.ST_ELEVATION)
    assert flag.leads == ("V2", "V3") and flag.severity is Severity.ALERT
    assert flag.beats == tuple(range(12))
    assert a.flags[0].id is FlagId.ST_ELEVATION  # most urgent first
    assert "st elevation (3.0 mm in V2, V3)" in a.narrative


def test_a_borderline_flag_alone_never_sends_a_record_to_review():
    a = run(Spec(pr_ms=198.0))
    flag = next(f for f in a.flags if f.id is FlagId.FIRST_DEGREE_AV_BLOCK)
    assert flag.severity is Severity.BORDERLINE and a.routing.triage is Triage.NORMAL
    assert a.confidence.margin == 1.0 and not a.routing.review


def test_a_value_near_an_urgent_threshold_lowers_confidence():
    # 0.9 mm in II and aVF: within the band of the acute 1 mm ST-elevation threshold
    a = run(Spec(st_mv={"II": 0.09, "aVF": 0.09}))
    assert a.confidence.limiting_rule == "st_elevation" and a.confidence.margin < 0.7
    assert a.routing.triage is Triage.SUBACUTE and a.routing.review  # borderline acute rule


def test_review_threshold_is_configurable(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text("[confidence]\nreview_threshold = 0.99\n", encoding="utf-8")
    a = run(Spec(st_mv={"II": 0.09, "aVF": 0.09}), ruleset=load_ruleset(site))
    assert a.routing.review and "below the review threshold 0.99" in a.routing.review_reasons[0]


def test_confidence_is_rounded_once_and_the_threshold_reads_the_same_number(tmp_path):
    site = tmp_path / "site.toml"
    a = run(Spec(st_mv={"II": 0.09, "aVF": 0.09}))
    site.write_text(f"[confidence]\nreview_threshold = {a.confidence.value}\n", encoding="utf-8")
    b = run(Spec(st_mv={"II": 0.09, "aVF": 0.09}), ruleset=load_ruleset(site))
    assert a.confidence.value == round(a.confidence.value, 2)
    assert not any("below the review threshold" in r for r in b.routing.review_reasons)
    assert f"confidence {a.confidence.value:.2f}" in b.narrative


def test_margin_term_from_checks():
    check = Check(FlagId.WIDE_QRS, 115.0, 120.0, -5.0, 10.0, Verdict.BORDERLINE)
    record, d = build(Spec())
    base = analyze(record, d)
    conf = record_confidence(base.measurements, base.quality, d, [check], None, 2.0)
    assert conf.margin == pytest.approx(0.5 + 0.5 * 5.0 / 20.0)


def test_not_assessable_is_never_normal():
    record, d = build(Spec())
    empty = type(d)(d.fs, d.lead_names, (), "m", "1")
    a = analyze(record, empty)
    assert a.routing.triage is Triage.ABNORMAL_NOT_ACUTE and a.confidence.value == 0.0
    assert not a.routing.complete and a.routing.review
    assert "not fully assessed" in a.routing.reasons[0]
    assert a.routing.label == "Incomplete: abnormal, not acute found, acute not excluded"
    assert any(r.startswith("not assessed: rate and rhythm") for r in a.routing.review_reasons)


def test_without_a_model_the_rate_rules_still_run():
    a = run(Spec(rr_ms=[1200.0] * 8, qt_ms=420.0), delineation=False)
    assert a.model is None and a.measurements.rhythm.hr_bpm.value == pytest.approx(50.0, abs=1)
    assert FlagId.BRADYCARDIA in {f.id for f in a.flags}
    assert a.routing.review  # confidence is low without a delineation
    assert "QRS detector" in a.narrative


def test_long_records_are_analysed_on_their_first_window(ruleset):
    record, _ = build(Spec(rr_ms=[800.0] * 100))
    window = analysis_window(record, ruleset)
    assert window.duration_s == pytest.approx(60.0) and window.patient == record.patient
    short, _ = build(Spec())
    assert analysis_window(short, ruleset) is short
