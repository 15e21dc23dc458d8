"""What the rules could not assess, and why: absence of evidence is not evidence of absence.

A rule that cannot run (amplitudes that cannot be trusted, poor leads, no delineation, a value
that was not measured or was implausible, paced beats) says nothing about the ECG. Each such
gap is listed with the most urgent triage category the missing assessment could have led to;
when that is more urgent than what was found, the record's assessment is *incomplete*: the
triage says so, names what was not assessed, and the record goes to review
(:mod:`rules.triage`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.global_rules import RuleContext
from rules.types import FlagId, Triage

#: Territories that a standard 12-lead ECG must let the ST rules read (4th UDMI contiguity).
REQUIRED_TERRITORIES = ("inferior", "lateral", "anterior")


@dataclass(frozen=True)
class NotAssessed:
    """One assessment the rules could not make."""

    what: str  # "ST elevation and depression", "rate and rhythm" ...
    why: str
    could_be: Triage  # the most urgent category it could have led to

    @property
    def text(self) -> str:
        return f"{self.what} ({plain(self.why)})"


def plain(note: str) -> str:
    """A missing value's note without its "not measured (...)" wrapper."""
    prefix = "not measured ("
    return note[len(prefix):-1] if note.startswith(prefix) and note.endswith(")") else note


def not_assessed(ctx: RuleContext, delineated: bool) -> tuple[NotAssessed, ...]:
    """Every assessment of ``ctx`` that could not be made (see the module docstring)."""
    gaps = [*_rhythm(ctx), *_intervals(ctx, delineated), *_amplitudes(ctx, delineated)]
    if ctx.m.paced_rhythm:
        gaps.append(NotAssessed("ischaemia (ST and T) and QRS width on the paced beats",
                                "paced rhythm: the pacing shapes the QRS and the ST-T, so the "
                                "4th UDMI criteria do not apply",
                                _urgency(ctx, FlagId.ST_ELEVATION)))
    return tuple(gaps)


def _urgency(ctx: RuleContext, *flags: FlagId) -> Triage:
    """The most urgent category any of ``flags`` can give (its alert category included)."""
    rules = [ctx.ruleset.rule(f) for f in flags if ctx.ruleset.rule(f).enabled]
    cats = [c for r in rules for c in (r.triage, r.alert_triage) if c is not None]
    return max(cats, key=lambda c: c.rank, default=Triage.NORMAL)


def _rhythm(ctx: RuleContext) -> list[NotAssessed]:
    r = ctx.m.rhythm
    if r.hr_bpm.value is None:
        return [NotAssessed("rate and rhythm", r.hr_bpm.note or "no rate measured",
                            _urgency(ctx, FlagId.POSSIBLE_ATRIAL_FIBRILLATION,
                                     FlagId.WIDE_COMPLEX_TACHYCARDIA, FlagId.BRADYCARDIA))]
    if r.p_share.value is None or r.rr_nrmssd.value is None:
        why = r.p_share.note if r.p_share.value is None else r.rr_nrmssd.note
        return [NotAssessed("atrial fibrillation", why,
                            _urgency(ctx, FlagId.POSSIBLE_ATRIAL_FIBRILLATION))]
    return []


def _intervals(ctx: RuleContext, delineated: bool) -> list[NotAssessed]:
    if not delineated:
        return [NotAssessed("PR, QRS, QT and the axis", "no delineation: only the rate was "
                            "measured", _urgency(ctx, FlagId.WIDE_COMPLEX_TACHYCARDIA,
                                                 FlagId.LONG_QTC))]
    i, gaps = ctx.m.intervals, []
    if i.qrs_ms.value is None:
        gaps.append(NotAssessed("QRS width (bundle branch block, wide complex tachycardia)",
                                i.qrs_ms.note, _urgency(ctx, FlagId.WIDE_COMPLEX_TACHYCARDIA)))
    if ctx.m.qtc.value is None:
        gaps.append(NotAssessed("QTc", ctx.m.qtc.note, _urgency(ctx, FlagId.LONG_QTC)))
    if i.pr_ms.value is None and (ctx.m.rhythm.p_share.value or 0.0) >= 0.5:
        gaps.append(NotAssessed("PR (AV conduction)", i.pr_ms.note,
                                _urgency(ctx, FlagId.FIRST_DEGREE_AV_BLOCK)))
    return gaps


def _amplitudes(ctx: RuleContext, delineated: bool) -> list[NotAssessed]:
    st = _urgency(ctx, FlagId.ST_ELEVATION, FlagId.ST_DEPRESSION)
    what = "ST elevation and depression, T-wave inversion and QRS voltage"
    if not delineated:
        return [NotAssessed(what, "no delineation", st)]
    if not ctx.quality.amplitudes.trusted:
        return [NotAssessed(what, f"the file's amplitudes cannot be trusted: "
                                  f"{ctx.quality.amplitudes.note}", st)]
    missing = [name for name in _territories(ctx) if not _st_readable(ctx, name)]
    if not missing:
        return []
    return [NotAssessed(f"ST elevation and depression in the {', '.join(missing)} leads",
                        "fewer than two contiguous leads there with a usable signal and a "
                        "measured ST level", st)]


def _territories(ctx: RuleContext) -> list[str]:
    """The contiguity groups to be read: the 12-lead ones, and any other the record has."""
    recorded = set(q.lead for q in ctx.quality.leads)
    names = []
    for group in ctx.ruleset.contiguity:
        if group.name in REQUIRED_TERRITORIES or recorded & set(group.leads):
            names.append(group.name)
    return names


def _st_readable(ctx: RuleContext, territory: str) -> bool:
    group = next(g for g in ctx.ruleset.contiguity if g.name == territory)
    offset = ctx.m.st_point.offset_ms
    untrusted = ctx.quality.amplitudes.untrusted_leads
    measured = {a.lead for a in ctx.m.leads
                if a.st_mv(offset) is not None and a.lead not in untrusted}
    return any(a in measured and b in measured for a, b in group.pairs())
