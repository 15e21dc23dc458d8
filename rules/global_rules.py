"""Rules over record-level values: rate, rhythm, conduction, QT, axis and signal quality.

Each function takes the :class:`RuleContext` and returns ``(flag or None, check or None)``;
thresholds come only from the rule file (see ``resources/rules/ruleset.toml`` for sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rules.flag import Check, Direction, Flag, Verdict, judge, make_flag
from rules.measure import Measurements
from rules.quality import RecordQuality
from rules.reasoning import fmt, leads_text, scalar_reason, source
from rules.ruleset import RuleSet
from rules.types import FlagId, Measured

Outcome = tuple[Flag | None, Check | None]
_ORDER = [Verdict.NORMAL, Verdict.BORDERLINE, Verdict.ABNORMAL]


@dataclass(frozen=True)
class RuleContext:
    """What every rule may read: measurements, quality, the rule file and the patient."""

    m: Measurements
    quality: RecordQuality
    ruleset: RuleSet
    sex: str | None  # "M", "F" or None
    age: float | None


def weakest(*verdicts: Verdict) -> Verdict:
    """The least abnormal of ``verdicts`` (for rules that need all their parts)."""
    return min(verdicts, key=_ORDER.index)


def both_margin(margin: float, band: float, other: float, other_band: float) -> float:
    """The margin of a rule that needs two conditions, in the first one's unit: the less
    abnormal of the two in bands (a rate far below tachycardia keeps a QRS of 118 ms far from
    wide complex tachycardia)."""
    if band <= 0 or other_band <= 0:
        return margin
    return min(margin / band, other / other_band) * band


def scalar(ctx: RuleContext, flag: FlagId, measured: Measured, name: str, direction: Direction,
           *, threshold: float | None = None, qualifier: str = "",
           alert: Callable[[float], bool] | None = None) -> Outcome:
    """Judge one measured value against its rule's threshold (see :mod:`rules.flag`)."""
    rule = ctx.ruleset.rule(flag)
    if not rule.enabled or measured.value is None:
        return None, None
    limit = rule.param("threshold") if threshold is None else threshold
    verdict, margin = judge(measured.value, limit, rule.borderline, direction)
    check = Check(flag, measured.value, limit, margin, rule.borderline, verdict)
    if verdict is Verdict.NORMAL:
        return None, check
    escalate = verdict is Verdict.ABNORMAL and alert is not None and alert(measured.value)
    reason = scalar_reason(name, measured, rule, limit, direction, verdict, qualifier)
    return make_flag(rule, verdict, value=measured.value, unit=measured.unit, threshold=limit,
                     leads=measured.leads, beats=measured.beats, measurement=name,
                     reason=reason, alert=escalate), check


def bradycardia(ctx: RuleContext) -> Outcome:
    return scalar(ctx, FlagId.BRADYCARDIA, ctx.m.rhythm.hr_bpm, "Heart rate", Direction.BELOW)


def tachycardia(ctx: RuleContext) -> Outcome:
    return scalar(ctx, FlagId.TACHYCARDIA, ctx.m.rhythm.hr_bpm, "Heart rate", Direction.ABOVE)


def irregular_rhythm(ctx: RuleContext) -> Outcome:
    return scalar(ctx, FlagId.IRREGULAR_RHYTHM, ctx.m.rhythm.rr_nrmssd,
                  "RR irregularity (normalised RMSSD)", Direction.ABOVE)


def first_degree_av_block(ctx: RuleContext) -> Outcome:
    return scalar(ctx, FlagId.FIRST_DEGREE_AV_BLOCK, ctx.m.intervals.pr_ms, "PR", Direction.ABOVE)


def short_pr(ctx: RuleContext) -> Outcome:
    return scalar(ctx, FlagId.SHORT_PR, ctx.m.intervals.pr_ms, "PR", Direction.BELOW)


def wide_qrs(ctx: RuleContext) -> Outcome:
    if ctx.m.paced_rhythm:
        return None, None  # a paced QRS is wide by design: see paced_rhythm
    return scalar(ctx, FlagId.WIDE_QRS, ctx.m.intervals.qrs_ms, "QRS duration",
                  Direction.AT_OR_ABOVE)


def long_qtc(ctx: RuleContext) -> Outcome:
    rule = ctx.ruleset.rule(FlagId.LONG_QTC)
    key, qualifier = {"M": ("threshold_male", " for men"),
                      "F": ("threshold_female", " for women")}.get(
        ctx.sex or "", ("threshold_unknown", " (sex not recorded: the lower cut-point)"))
    alert_at = rule.param("alert_at") if rule.has("alert_at") else None
    flag, check = scalar(ctx, FlagId.LONG_QTC, ctx.m.qtc, f"QTc ({ctx.m.qtc_name})",
                         Direction.AT_OR_ABOVE, threshold=rule.param(key), qualifier=qualifier,
                         alert=None if alert_at is None else (lambda v: v >= alert_at))
    if check is not None and alert_at is not None:
        # the threshold that decides urgency is alert_at (subacute): the confidence's margin
        # reads the distance from it, not from the 450 ms that only makes a record abnormal
        verdict, margin = judge(check.value, alert_at, rule.borderline, Direction.AT_OR_ABOVE)
        check = Check(rule.id, check.value, alert_at, margin, rule.borderline, verdict)
    return flag, check


def short_qt(ctx: RuleContext) -> Outcome:
    return scalar(ctx, FlagId.SHORT_QT, ctx.m.qtc, f"QTc ({ctx.m.qtc_name})",
                  Direction.AT_OR_BELOW)


def axis_rule(flag: FlagId) -> Callable[[RuleContext], Outcome]:
    """A rule for one axis range [lower, upper]: its ``threshold`` is the edge where it is
    judged (with the borderline band); the other edge only bounds the range."""

    def rule_fn(ctx: RuleContext) -> Outcome:
        rule = ctx.ruleset.rule(flag)
        axis = ctx.m.qrs_axis
        if axis.value is None:
            return None, None
        lower, upper, threshold = rule.param("lower"), rule.param("upper"), rule.param("threshold")
        below = threshold == upper
        if (below and axis.value < lower) or (not below and axis.value > upper):
            return None, None  # in a neighbouring abnormal range, judged by that rule
        return scalar(ctx, flag, axis, "QRS axis", Direction.BELOW if below else Direction.ABOVE)

    return rule_fn


def possible_atrial_fibrillation(ctx: RuleContext) -> Outcome:
    """Irregular RR and P waves before fewer than ``threshold`` of the beats."""
    rule = ctx.ruleset.rule(FlagId.POSSIBLE_ATRIAL_FIBRILLATION)
    irregular, p_share = ctx.m.rhythm.rr_nrmssd, ctx.m.rhythm.p_share
    if not rule.enabled or irregular.value is None or p_share.value is None:
        return None, None
    irr_rule = ctx.ruleset.rule(FlagId.IRREGULAR_RHYTHM)
    irr_verdict, _ = judge(irregular.value, irr_rule.param("threshold"), irr_rule.borderline,
                           Direction.ABOVE)
    limit = rule.param("threshold")
    p_verdict, margin = judge(p_share.value, limit, rule.borderline, Direction.BELOW)
    verdict = weakest(irr_verdict, p_verdict)
    margin = both_margin(margin, rule.borderline, irregular.value - irr_rule.param("threshold"),
                         irr_rule.borderline)
    check = Check(rule.id, p_share.value, limit, margin, rule.borderline, verdict)
    if verdict is Verdict.NORMAL:
        return None, check
    hr = ctx.m.rhythm.hr_bpm.value
    rapid = rule.has("alert_at") and hr is not None and hr > rule.param("alert_at")
    reason = (f"RR irregular (normalised RMSSD {fmt(irregular.value, '')}, threshold "
              f"{fmt(irr_rule.param('threshold'), '')}) and {p_share.note} "
              f"(P share {p_share.value:.0%}, threshold below {limit:.0%}) ({source(rule)})"
              + (f"; ventricular rate {fmt(hr, 'bpm')}" if hr is not None else "")
              + (": borderline" if verdict is Verdict.BORDERLINE else ""))
    return make_flag(rule, verdict, value=p_share.value, unit="", threshold=limit,
                     leads=p_share.leads, beats=p_share.beats, measurement="P share + RR",
                     reason=reason, alert=rapid), check


def wide_complex_tachycardia(ctx: RuleContext) -> Outcome:
    """QRS at or above the threshold with a rate above the tachycardia threshold."""
    rule = ctx.ruleset.rule(FlagId.WIDE_COMPLEX_TACHYCARDIA)
    qrs, hr = ctx.m.intervals.qrs_ms, ctx.m.rhythm.hr_bpm
    if not rule.enabled or qrs.value is None or hr.value is None or ctx.m.paced_rhythm:
        return None, None
    tachy = ctx.ruleset.rule(FlagId.TACHYCARDIA)
    hr_verdict, _ = judge(hr.value, tachy.param("threshold"), tachy.borderline, Direction.ABOVE)
    limit = rule.param("threshold")
    qrs_verdict, margin = judge(qrs.value, limit, rule.borderline, Direction.AT_OR_ABOVE)
    verdict = weakest(hr_verdict, qrs_verdict)
    hr_margin = hr.value - tachy.param("threshold")
    margin = both_margin(margin, rule.borderline, hr_margin, tachy.borderline)
    check = Check(rule.id, qrs.value, limit, margin, rule.borderline, verdict)
    if verdict is Verdict.NORMAL:
        return None, check
    reason = (f"QRS {fmt(qrs.value, 'ms')} (threshold {fmt(limit, 'ms')}) at a rate of "
              f"{fmt(hr.value, 'bpm')} (threshold {fmt(tachy.param('threshold'), 'bpm')}): wide "
              f"complex tachycardia, ventricular tachycardia until proven otherwise "
              f"({source(rule)})" + (": borderline" if verdict is Verdict.BORDERLINE else ""))
    return make_flag(rule, verdict, value=qrs.value, unit="ms", threshold=limit,
                     leads=qrs.leads, beats=qrs.beats, measurement="QRS duration + rate",
                     reason=reason), check


def paced_rhythm(ctx: RuleContext) -> Outcome:
    """Most beats follow a pacemaker spike (:mod:`rules.pacing`)."""
    rule = ctx.ruleset.rule(FlagId.PACED_RHYTHM)
    pacing = ctx.m.pacing
    if not rule.enabled or pacing is None or not pacing.paced_rhythm:
        return None, None
    kinds = " and ".join(k for k, beats in (("ventricular", pacing.ventricular),
                                             ("atrial", pacing.atrial)) if beats)
    reason = (f"Pacemaker spikes before {len(pacing.paced_beats)} of {pacing.n_beats} beats "
              f"({kinds} pacing); the QRS-width, ST and T-wave rules were not applied to the "
              f"paced beats, whose QRS and repolarisation the pacing itself shapes "
              f"({source(rule)})")
    share = len(pacing.paced_beats) / max(pacing.n_beats, 1)
    return make_flag(rule, Verdict.ABNORMAL, value=share, unit="", threshold=rule.param("threshold"),
                     leads=(), beats=pacing.paced_beats, measurement="paced beats",
                     reason=reason), None


def poor_signal_quality(ctx: RuleContext) -> Outcome:
    rule = ctx.ruleset.rule(FlagId.POOR_SIGNAL_QUALITY)
    poor = ctx.quality.poor_leads
    if not rule.enabled or len(poor) < rule.param("threshold"):
        return None, None
    problems = "; ".join(
        f"{q.lead}: {', '.join(p.value.replace('_', ' ') for p in q.problems)}"
        for q in ctx.quality.leads if not q.usable)
    reason = (f"Poor signal in {leads_text(poor)} ({problems}); these leads are left out of "
              f"every measurement and rule")
    return make_flag(rule, Verdict.ABNORMAL, value=float(len(poor)), unit="leads",
                     threshold=rule.param("threshold"), leads=poor, beats=(),
                     measurement="poor leads", reason=reason), None


def inconsistent_amplitudes(ctx: RuleContext) -> Outcome:
    """The file's amplitudes cannot be trusted: say so, and which rules did not run."""
    rule = ctx.ruleset.rule(FlagId.INCONSISTENT_AMPLITUDES)
    check = ctx.quality.amplitudes
    if not rule.enabled or (check.trusted and not check.untrusted_leads):
        return None, None
    if check.trusted:  # a printed page: only the limb leads are set aside
        leads = check.untrusted_leads
        reason = (f"{check.note[0].upper()}{check.note[1:]}: the ST, T-wave and voltage rules "
                  f"did not read {', '.join(leads)} ({source(rule)})")
    else:
        leads = tuple(q.lead for q in ctx.quality.leads)
        reason = (f"{check.note[0].upper()}{check.note[1:]}: the ST, T-wave and voltage rules "
                  f"were not applied and absolute amplitudes should not be read ({source(rule)})")
    value = check.limb_residual
    return make_flag(rule, Verdict.ABNORMAL, value=value, unit="",
                     threshold=float(ctx.ruleset.quality["limb_residual_max"]),
                     leads=leads, beats=(), measurement="limb-lead relation residual",
                     reason=reason), None


GLOBAL_RULES: tuple[Callable[[RuleContext], Outcome], ...] = (
    bradycardia, tachycardia, irregular_rhythm, possible_atrial_fibrillation,
    first_degree_av_block, short_pr, wide_qrs, wide_complex_tachycardia, long_qtc, short_qt,
    axis_rule(FlagId.LEFT_AXIS_DEVIATION), axis_rule(FlagId.RIGHT_AXIS_DEVIATION),
    axis_rule(FlagId.EXTREME_AXIS), paced_rhythm, poor_signal_quality, inconsistent_amplitudes,
)
