"""Lead-wise reasoning text: one sentence per finding and a deterministic narrative.

The wording is fixed (no randomness, no model), so the same ECG and rule file always read the
same. Every sentence names the measurement, its value, the leads and beats, the threshold
and the source, so that a clinician can check it against the tracing.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from rules.flag import Direction, Flag, Verdict
from rules.ruleset import Rule
from rules.types import Measured, Severity, Triage

DISCLAIMER = "Decision support - clinician review required"
#: Leads are listed by name up to this many; more are counted.
MAX_NAMED_LEADS = 6


def fmt(value: float | None, unit: str) -> str:
    """``value`` with its unit, rounded as a clinician reads it."""
    if value is None:
        return "not measurable"
    digits = {"ms": 0, "bpm": 0, "deg": 0, "mm": 1, "mV": 2, "": 2}.get(unit, 1)
    text = f"{value:.{digits}f}"
    if unit == "deg":
        return f"{text} deg"
    return f"{text} {unit}".strip()


def leads_text(leads: Sequence[str]) -> str:
    if not leads:
        return "no lead"
    if len(leads) > MAX_NAMED_LEADS:
        return f"{len(leads)} leads"
    return ", ".join(leads)


def beats_text(beats: Sequence[int]) -> str:
    """Beats numbered from 1, as a reader counts them on the strip."""
    if not beats:
        return "no beat"
    numbers = sorted(b + 1 for b in beats)
    if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2:
        return f"beats {numbers[0]}-{numbers[-1]}"
    return ("beat " if len(numbers) == 1 else "beats ") + ", ".join(map(str, numbers))


def source(rule: Rule) -> str:
    """Short name of the rule's source: its ``source``, else the citation up to a comma."""
    if rule.source:
        return rule.source
    return rule.citation.split(",")[0].replace(" et al.", "").strip()


def scalar_reason(name: str, measured: Measured, rule: Rule, threshold: float,
                  direction: Direction, verdict: Verdict, qualifier: str = "") -> str:
    """"PR 224 ms (median of 9 beats, beats 1-9; leads II, V1) is above 200 ms (Kusumoto)"."""
    # a value measured on one lead's own beats (a digitised page's strip) has no beat numbers
    # of the record's; it then names its lead alone, never "no beat"
    where = (f"{beats_text(measured.beats)}; {leads_text(measured.leads)}" if measured.beats
             else leads_text(measured.leads))
    head = f"{name} {fmt(measured.value, measured.unit)} ({where})"
    limit = f"{fmt(threshold, measured.unit)}{qualifier}"
    if verdict is Verdict.BORDERLINE:
        return (f"{head} is within {fmt(rule.borderline, measured.unit)} of the threshold "
                f"{direction.value} {limit} ({source(rule)}): borderline")
    return f"{head} is {direction.words} {limit} ({source(rule)})"


def narrative(flags: Iterable[Flag], routing, confidence: float, summary: str,
              poor_leads: Sequence[str], implausible: Sequence[str] = ()) -> str:
    """A short paragraph: rhythm summary, findings by urgency, what was not assessed or was
    implausible, quality, confidence and routing (``routing``: :class:`rules.triage.Routing`)."""
    flags = sorted(flags, key=lambda f: (-f.triage.rank, f.severity is Severity.BORDERLINE,
                                         f.id.value))
    parts = [f"{DISCLAIMER}.", summary]
    firm = [f for f in flags if f.severity is not Severity.BORDERLINE]
    borderline = [f for f in flags if f.severity is Severity.BORDERLINE]
    if firm:
        parts.append("Findings: " + "; ".join(_finding(f) for f in firm) + ".")
    if borderline:
        parts.append("Borderline: " + "; ".join(_finding(f) for f in borderline) + ".")
    if not flags:
        parts.append("No rule fired.")
    if implausible:
        parts.append("Not reported, physiologically implausible: " + "; ".join(implausible) + ".")
    missing = [g for g in routing.not_assessed if g.could_be.rank > routing.triage.rank]
    if missing and routing.triage is not Triage.UNREADABLE:
        parts.append("Not assessed: " + "; ".join(g.text for g in missing) + ".")
    if poor_leads:
        parts.append(f"Poor signal in {leads_text(poor_leads)}: not used for any finding.")
    parts.append(f"Triage: {routing.label}; confidence {confidence:.2f}; "
                 + ("for clinician review." if routing.review else "summarised, not queued for review."))
    return " ".join(parts)


def _finding(flag: Flag) -> str:
    text = flag.id.value.replace("_", " ")
    where = f" in {leads_text(flag.leads)}" if flag.leads and _lead_wise(flag) else ""
    return f"{text} ({fmt(flag.value, flag.unit)}{where})"


def _lead_wise(flag: Flag) -> bool:
    return flag.unit in ("mm", "mV") or flag.id.value == "poor_signal_quality"
