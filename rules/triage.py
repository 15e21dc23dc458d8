"""Triage category and routing to the review queue.

The category is the most urgent one any flag puts the record in (van de Leur RR et al., J Am
Heart Assoc 2020;9:e015138: normal / abnormal not acute / subacute / acute). Each rule's
category is set in the rule file; a borderline flag counts one category lower. A record in
which nothing could be measured is not "normal": it is abnormal_not_acute, with the reason,
and always goes to review.

Review: a record goes to the review queue when its confidence is below the rule file's
``review_threshold`` or its category is one of ``review_triage`` (acute and subacute by
default); the others are summarised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rules.confidence import Confidence
from rules.flag import Flag
from rules.measure import Measurements
from rules.reasoning import fmt, leads_text
from rules.ruleset import RuleSet
from rules.types import Severity, Triage


@dataclass(frozen=True)
class Routing:
    """Triage category with its reasons, and whether (and why) the record is reviewed."""

    triage: Triage
    reasons: tuple[str, ...]
    review: bool
    review_reasons: tuple[str, ...]


def route(flags: Sequence[Flag], m: Measurements, confidence: Confidence,
          ruleset: RuleSet) -> Routing:
    """Triage and review decision for one record."""
    triage, reasons = categorise(flags, m)
    review_reasons = []
    if confidence.value < ruleset.review_threshold:
        review_reasons.append(f"confidence {confidence.value:.3f} is below the review "
                              f"threshold {ruleset.review_threshold:.2f}")
    if triage in ruleset.review_triage:
        review_reasons.append(f"triage {triage.value} is always reviewed")
    return Routing(triage, reasons, bool(review_reasons), tuple(review_reasons))


def categorise(flags: Sequence[Flag], m: Measurements) -> tuple[Triage, tuple[str, ...]]:
    """The most urgent category among ``flags``, with one reason per contributing flag."""
    if m.rhythm.hr_bpm.value is None:
        return Triage.ABNORMAL_NOT_ACUTE, (
            "not assessable: no heart rate could be measured (an unreadable ECG is not a "
            "normal one)",)
    contributing = sorted((f for f in flags if f.triage is not Triage.NORMAL),
                          key=lambda f: -f.triage.rank)
    if not contributing:
        return Triage.NORMAL, ("no rule placed the ECG in an abnormal category",)
    top = contributing[0].triage
    return top, tuple(_reason(f) for f in contributing)


def _reason(flag: Flag) -> str:
    where = f" in {leads_text(flag.leads)}" if flag.unit in ("mm", "mV") else ""
    kind = " (borderline)" if flag.severity is Severity.BORDERLINE else ""
    return (f"{flag.triage.value}: {flag.id.value}{kind} "
            f"{fmt(flag.value, flag.unit)}{where}")
