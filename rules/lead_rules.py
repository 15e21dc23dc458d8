"""Lead-wise rules: ST elevation and depression, T-wave inversion, QRS voltage.

ST and T rules follow the Fourth Universal Definition of Myocardial Infarction (Thygesen K et
al., Circulation 2018;138:e618-e651): a finding needs two *contiguous* leads (the rule file's
``[[contiguity]]`` tables), and the ST-elevation cut-point of V2-V3 depends on sex and age.
Amplitudes are in mm at the standard 10 mm/mV (1 mm = 0.1 mV). Only usable (not poor) leads
are read; a flag naming a lead of only fair quality says so.
"""

from __future__ import annotations

from rules.amplitudes import LeadAmplitudes
from rules.flag import Check, Direction, Flag, Verdict, judge, make_flag
from rules.global_rules import Outcome, RuleContext
from rules.reasoning import beats_text, fmt, leads_text, source
from rules.types import FlagId, QualityGrade

MM_PER_MV = 10.0
POSTERIOR = ("V7", "V8", "V9")
RIGHT = ("V3R", "V4R")
LIMB = ("I", "II", "III", "aVR", "aVL", "aVF")
PRECORDIAL = ("V1", "V2", "V3", "V4", "V5", "V6")
_ORDER = [Verdict.NORMAL, Verdict.BORDERLINE, Verdict.ABNORMAL]
LeadVerdict = tuple[Verdict, float, float]  # verdict, margin, threshold (mm)


def st_elevation_threshold(ctx: RuleContext, lead: str) -> tuple[float, str]:
    """The 4th UDMI ST-elevation cut-point (mm) for ``lead`` and its wording."""
    rule = ctx.ruleset.rule(FlagId.ST_ELEVATION)
    sex, age = ctx.sex, ctx.age
    if lead in ("V2", "V3"):
        if sex == "F":
            return rule.param("threshold_v2v3_female"), "for women in V2-V3"
        if sex == "M" and age is not None and age < 40:
            return rule.param("threshold_v2v3_male_under_40"), "for men < 40 y in V2-V3"
        if sex == "M":
            return rule.param("threshold_v2v3_male_40_plus"), (
                "for men >= 40 y in V2-V3" if age is not None else "for men in V2-V3 (age not recorded)")
        return rule.param("threshold_v2v3_unknown"), "in V2-V3 (sex not recorded: the lowest cut-point)"
    if lead in POSTERIOR:
        return rule.param("threshold_posterior"), "in V7-V9"
    if lead in RIGHT:
        if sex == "M" and age is not None and age < 30:
            return rule.param("threshold_right_male_under_30"), "for men < 30 y in V3R-V4R"
        return rule.param("threshold_right"), "in V3R-V4R"
    return rule.param("threshold"), "in leads other than V2-V3"


def contiguous(ctx: RuleContext, verdicts: dict[str, LeadVerdict]) -> tuple[Verdict, tuple[str, ...], float]:
    """The strongest contiguous pair: its verdict (the weaker lead's), the leads of every pair
    with that verdict, and the best pair's margin (the weaker lead's margin)."""
    best, best_margin, leads = Verdict.NORMAL, float("-inf"), {}
    for group in ctx.ruleset.contiguity:
        for a, b in group.pairs():
            if a not in verdicts or b not in verdicts:
                continue
            pair = min(verdicts[a][0], verdicts[b][0], key=_ORDER.index)
            margin = min(verdicts[a][1], verdicts[b][1])
            best_margin = max(best_margin, margin)
            if _ORDER.index(pair) > _ORDER.index(best):
                best, leads = pair, {}
            if pair is best and pair is not Verdict.NORMAL:
                leads.update({a: None, b: None})
    return best, tuple(leads), best_margin


def amplitudes_trusted(ctx: RuleContext) -> bool:
    """False when the file's amplitudes break the limb-lead laws or were normalised lead by
    lead: no rule then reads an absolute amplitude (:mod:`rules.consistency`)."""
    return ctx.quality.amplitudes.trusted


def trusted_leads(ctx: RuleContext) -> tuple[LeadAmplitudes, ...]:
    """The leads whose absolute amplitudes may be read (on a printed page whose limb leads
    break Einthoven's law, the precordial leads only)."""
    untrusted = ctx.quality.amplitudes.untrusted_leads
    return tuple(a for a in ctx.m.leads if a.lead not in untrusted)


def st_elevation(ctx: RuleContext) -> Outcome:
    rule = ctx.ruleset.rule(FlagId.ST_ELEVATION)
    offset = ctx.m.st_point.offset_ms
    verdicts = {}
    for amp in trusted_leads(ctx):
        value = amp.st_mv(offset)
        if value is not None:
            limit, _ = st_elevation_threshold(ctx, amp.lead)
            verdicts[amp.lead] = (*judge(value * MM_PER_MV, limit, rule.borderline,
                                         Direction.AT_OR_ABOVE), limit)
    return _lead_wise(ctx, FlagId.ST_ELEVATION, verdicts, "ST elevation",
                      lambda a: a.st_mv(offset), sign=1.0)


def st_depression(ctx: RuleContext) -> Outcome:
    """ST depression, horizontal or downsloping (the rise to J+80 at most ``max_upslope_mm``)."""
    rule = ctx.ruleset.rule(FlagId.ST_DEPRESSION)
    offset = ctx.m.st_point.offset_ms
    verdicts = {}
    for amp in trusted_leads(ctx):
        value, late = amp.st_mv(offset), amp.st_j80_mv
        if value is None or late is None:
            continue
        limit = rule.param("threshold")
        verdict, margin = judge(-value * MM_PER_MV, limit, rule.borderline, Direction.AT_OR_ABOVE)
        if (late - value) * MM_PER_MV > rule.param("max_upslope_mm"):
            verdict = Verdict.NORMAL  # upsloping: not an ischaemic pattern (4th UDMI)
        verdicts[amp.lead] = (verdict, margin, limit)
    return _lead_wise(ctx, FlagId.ST_DEPRESSION, verdicts, "ST depression",
                      lambda a: a.st_mv(offset), sign=-1.0)


def t_wave_inversion(ctx: RuleContext) -> Outcome:
    """Negative T deeper than the threshold in leads whose R exceeds their S (R/S > 1)."""
    rule = ctx.ruleset.rule(FlagId.T_WAVE_INVERSION)
    verdicts = {}
    for amp in trusted_leads(ctx):
        if amp.t_mv is None or amp.r_mv is None or amp.s_mv is None or amp.r_mv <= -amp.s_mv:
            continue
        limit = rule.param("threshold")
        verdicts[amp.lead] = (*judge(-amp.t_mv * MM_PER_MV, limit, rule.borderline,
                                     Direction.ABOVE), limit)
    return _lead_wise(ctx, FlagId.T_WAVE_INVERSION, verdicts, "T inversion",
                      lambda a: a.t_mv, sign=-1.0)


def _lead_wise(ctx: RuleContext, flag: FlagId, verdicts: dict[str, LeadVerdict], name: str,
               value_of, sign: float) -> Outcome:
    rule = ctx.ruleset.rule(flag)
    if not rule.enabled or not verdicts or not amplitudes_trusted(ctx) or ctx.m.paced_rhythm:
        return None, None
    verdict, leads, margin = contiguous(ctx, verdicts)
    top = max(verdicts, key=lambda lead: verdicts[lead][1])
    check_lead = top if not leads else max(leads, key=lambda lead: verdicts[lead][1])
    limit = verdicts[check_lead][2]
    check = Check(flag, margin + limit, limit, margin, rule.borderline, verdict)
    if verdict is Verdict.NORMAL:
        return None, check
    amps = {a.lead: a for a in trusted_leads(ctx)}
    values = {lead: sign * value_of(amps[lead]) * MM_PER_MV for lead in leads}
    beats = tuple(sorted({b for lead in leads for b in amps[lead].beats}))
    reason = _lead_reason(ctx, flag, name, values, beats, verdict)
    if flag is not FlagId.T_WAVE_INVERSION and verdict is Verdict.ABNORMAL and _wide(ctx):
        verdict, reason = _wide_qrs_verdict(ctx, flag, {lead: amps[lead] for lead in leads},
                                            sign, reason)
    return make_flag(rule, verdict, value=max(values.values()), unit="mm", threshold=limit,
                     leads=leads, beats=beats, measurement=f"{name} at {ctx.m.st_point.value}"
                     if flag is not FlagId.T_WAVE_INVERSION else "T amplitude",
                     reason=reason), check


def _wide_qrs_verdict(ctx: RuleContext, flag: FlagId, amps: dict[str, LeadAmplitudes],
                      sign: float, reason: str) -> tuple[Verdict, str]:
    """An ST finding with a wide QRS: kept where some lead shows an infarction pattern that
    the conduction itself does not make (see :func:`wide_qrs_mi_leads`), else borderline."""
    qrs = fmt(ctx.m.intervals.qrs_ms.value, "ms")
    kept = wide_qrs_mi_leads(ctx, flag, amps, sign)
    if kept:
        return Verdict.ABNORMAL, (f"{reason}; QRS {qrs}: the ST shift in {leads_text(kept)} is "
                                  f"concordant with the QRS or disproportionate to it (modified "
                                  f"Sgarbossa criteria, Smith 2012), so it counts in full")
    return Verdict.BORDERLINE, (f"{reason}; QRS {qrs}: with bundle branch block or pacing the ST "
                                f"shift may come from the conduction itself (4th UDMI), so only "
                                f"borderline")


def wide_qrs_mi_leads(ctx: RuleContext, flag: FlagId, amps: dict[str, LeadAmplitudes],
                      sign: float) -> tuple[str, ...]:
    """Leads whose ST shift signals infarction despite a wide QRS.

    Sgarbossa (N Engl J Med 1996;334:481-487): ST elevation concordant with the QRS (a
    predominantly positive QRS), or ST depression concordant in V1-V3. Smith (Ann Emerg Med
    2012;60:766-776): discordant ST elevation at least ``wide_qrs_discordant_ratio`` of the
    deepest negative QRS deflection.
    """
    ratio = ctx.ruleset.rule(FlagId.ST_ELEVATION).param("wide_qrs_discordant_ratio")
    offset = ctx.m.st_point.offset_ms
    kept = []
    for lead, amp in amps.items():
        st, r = amp.st_mv(offset), amp.r_mv
        deepest = min(amp.q_mv or 0.0, amp.s_mv or 0.0)
        if st is None or r is None:
            continue
        positive = r > -deepest
        if sign > 0 and (positive or (deepest < 0 and st >= ratio * -deepest)):
            kept.append(lead)
        elif sign < 0 and flag is FlagId.ST_DEPRESSION and not positive and lead in ("V1", "V2", "V3"):
            kept.append(lead)
    return tuple(kept)


def _wide(ctx: RuleContext) -> bool:
    qrs = ctx.m.intervals.qrs_ms.value
    return qrs is not None and qrs >= ctx.ruleset.rule(FlagId.WIDE_QRS).param("threshold")


def _lead_reason(ctx: RuleContext, flag: FlagId, name: str, values: dict[str, float],
                 beats: tuple[int, ...], verdict: Verdict) -> str:
    rule = ctx.ruleset.rule(flag)
    point = f" at {ctx.m.st_point.value}" if flag is not FlagId.T_WAVE_INVERSION else ""
    per_lead = ", ".join(f"{fmt(v, 'mm')} in {lead}" for lead, v in values.items())
    if flag is FlagId.ST_ELEVATION:
        limits = sorted({st_elevation_threshold(ctx, lead) for lead in values})
        limit_text = "; ".join(f"{fmt(v, 'mm')} {words}" for v, words in limits)
    else:
        limit_text = fmt(rule.param("threshold"), "mm")
    groups = [g.name for g in ctx.ruleset.contiguity
              if any(a in values and b in values for a, b in g.pairs())]
    fair = [lead for lead in values if ctx.quality.of(lead).grade is QualityGrade.FAIR]
    text = (f"{name} {per_lead}{point} (contiguous: {', '.join(groups)}; median of "
            f"{beats_text(beats)}); threshold {limit_text} ({source(rule)})")
    if fair:
        text += f"; signal only fair in {leads_text(fair)}"
    return text + (": borderline" if verdict is Verdict.BORDERLINE else "")


def lvh_voltage(ctx: RuleContext) -> Outcome:
    """Sokolow-Lyon S(V1) + max R(V5, V6), or Cornell R(aVL) + S(V3) by sex."""
    rule = ctx.ruleset.rule(FlagId.LVH_VOLTAGE)
    if not rule.enabled or (ctx.age is not None and ctx.age < rule.param("min_age")):
        return None, None
    amp = {a.lead: a for a in trusted_leads(ctx)}
    criteria = []
    if _have(amp, "V1") and (_have(amp, "V5") or _have(amp, "V6")):
        r = max(amp[lead].r_mv for lead in ("V5", "V6") if _have(amp, lead))
        criteria.append(("Sokolow-Lyon S(V1) + R(V5/V6)", -amp["V1"].s_mv + r,
                         rule.param("threshold"), Direction.AT_OR_ABOVE, ("V1", "V5", "V6")))
    if _have(amp, "aVL") and _have(amp, "V3") and ctx.sex in ("M", "F"):
        limit = rule.param("cornell_male" if ctx.sex == "M" else "cornell_female")
        criteria.append((f"Cornell R(aVL) + S(V3) ({'men' if ctx.sex == 'M' else 'women'})",
                         amp["aVL"].r_mv - amp["V3"].s_mv, limit, Direction.ABOVE, ("aVL", "V3")))
    return _voltage(ctx, FlagId.LVH_VOLTAGE, criteria, amp)


def low_qrs_voltage(ctx: RuleContext) -> Outcome:
    """QRS peak-to-peak below the threshold in every limb (or every precordial) lead."""
    rule = ctx.ruleset.rule(FlagId.LOW_QRS_VOLTAGE)
    if not rule.enabled:
        return None, None
    amp = {a.lead: a for a in trusted_leads(ctx) if a.qrs_pp_mv is not None}
    criteria = []
    for leads, key, words in ((LIMB, "threshold", "limb"),
                              (PRECORDIAL, "threshold_precordial", "precordial")):
        present = tuple(lead for lead in leads if lead in amp)
        if len(present) >= len(leads) // 2:
            criteria.append((f"largest QRS in the {words} leads",
                             max(amp[lead].qrs_pp_mv for lead in present),
                             rule.param(key), Direction.BELOW, present))
    return _voltage(ctx, FlagId.LOW_QRS_VOLTAGE, criteria, amp)


def _have(amp: dict[str, LeadAmplitudes], lead: str) -> bool:
    return lead in amp and amp[lead].r_mv is not None and amp[lead].s_mv is not None


def _voltage(ctx: RuleContext, flag: FlagId, criteria: list, amp: dict[str, LeadAmplitudes]
             ) -> Outcome:
    """The strongest of ``criteria`` (name, value mV, threshold, direction, leads)."""
    rule = ctx.ruleset.rule(flag)
    if not criteria or not amplitudes_trusted(ctx):
        return None, None
    judged = [(judge(value, limit, rule.borderline, direction), name, value, limit, direction,
               leads) for name, value, limit, direction, leads in criteria]
    (verdict, margin), name, value, limit, direction, leads = max(judged, key=lambda j: j[0][1])
    check = Check(flag, value, limit, margin, rule.borderline, verdict)
    if verdict is Verdict.NORMAL:
        return None, check
    leads = tuple(lead for lead in leads if lead in amp)
    beats = tuple(sorted({b for lead in leads for b in amp[lead].beats}))
    reason = (f"{name} {fmt(value, 'mV')} ({leads_text(leads)}) is {direction.words} "
              f"{fmt(limit, 'mV')} ({source(rule)})"
              + (": borderline" if verdict is Verdict.BORDERLINE else ""))
    return make_flag(rule, verdict, value=value, unit="mV", threshold=limit, leads=leads,
                     beats=beats, measurement=name, reason=reason), check


LEAD_RULES = (st_elevation, st_depression, t_wave_inversion, lvh_voltage, low_qrs_voltage)
