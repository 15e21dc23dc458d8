"""Triage category, completeness of the assessment, and routing to the review queue.

**Category.** The most urgent category any flag puts the record in (van de Leur RR et al., J
Am Heart Assoc 2020;9:e015138: normal / abnormal not acute / subacute / acute); each rule's
category is set in the rule file and a borderline flag counts one category lower. A critical
device statement our rules do not confirm raises it to the device's urgency
(:mod:`rules.device`).

**Unreadable.** A technical category, apart from the four clinical ones: fewer than
``min_usable_share`` of the leads (at least one) carry a usable signal. The ECG should be
repeated; the worklist shows it first.

**Completeness.** What the rules could not assess (:mod:`rules.coverage`) never lowers the
urgency by omission: when a missing assessment could have led to a more urgent category than
the one found, the assessment is *incomplete*: the label says that more urgent findings are
not excluded and why, the record goes to review, and a record in which nothing abnormal was
found is not called normal (it is "abnormal, not acute", incomplete).

**Review.** A record goes to the review queue when it is unreadable or incomplete, when its
confidence (rounded to two decimals, as shown) is below ``review_threshold``, when its
category is one of ``review_triage`` (acute and subacute by default), or when the device
states something critical that we do not confirm. A borderline flag counts one category
lower, so a borderline finding of a rule that at most makes a record "abnormal, not acute"
(a rate of 59 bpm, a QTc of 361 ms) leaves it normal and never sends it to review; nor does
its closeness to the threshold lower the confidence (:mod:`rules.confidence`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from rules.confidence import Confidence
from rules.coverage import NotAssessed
from rules.flag import Flag
from rules.quality import RecordQuality
from rules.reasoning import fmt, leads_text
from rules.ruleset import RuleSet
from rules.types import Severity, Triage

LABELS = {
    Triage.NORMAL: "Normal",
    Triage.ABNORMAL_NOT_ACUTE: "Abnormal, not acute",
    Triage.SUBACUTE: "Subacute",
    Triage.ACUTE: "Acute",
    Triage.UNREADABLE: "Unreadable: repeat the ECG",
}


@dataclass(frozen=True)
class Routing:
    """Triage category with its reasons, what was not assessed, and whether (and why) the
    record is reviewed."""

    triage: Triage
    reasons: tuple[str, ...]
    review: bool
    review_reasons: tuple[str, ...]
    not_assessed: tuple[NotAssessed, ...] = ()
    complete: bool = True  # nothing missing could have made the record more urgent

    @property
    def label(self) -> str:
        """The category in words; an incomplete one never reads as plain "normal" or "not
        acute"."""
        if self.complete or self.triage is Triage.UNREADABLE:
            return LABELS[self.triage]
        worst = max((g.could_be for g in self.not_assessed), key=lambda t: t.rank)
        found = ("no abnormality found" if self.triage is Triage.NORMAL
                 else f"{LABELS[self.triage].lower()} found")
        return f"Incomplete: {found}, {worst.value.replace('_', ' ')} not excluded"


def route(flags: Sequence[Flag], confidence: Confidence, ruleset: RuleSet,
          quality: RecordQuality, gaps: Sequence[NotAssessed] = (),
          device: tuple[Triage | None, tuple[str, ...]] = (None, ())) -> Routing:
    """Triage and review decision for one record (see the module docstring)."""
    unreadable = _unreadable(quality, float(ruleset.measurement["min_usable_share"]))
    if unreadable:
        return Routing(Triage.UNREADABLE, (unreadable,), True,
                       (f"unreadable: {unreadable}; repeat the ECG",), tuple(gaps), False)
    triage, reasons = categorise(flags)
    device_triage, device_reasons = device
    if device_triage is not None and device_triage.rank > triage.rank:
        triage = device_triage
    reasons = (*device_reasons, *reasons) if device_triage is not None else reasons
    missing = tuple(g for g in gaps if g.could_be.rank > triage.rank)
    if missing and triage is Triage.NORMAL:  # an ECG not fully assessed is not a normal one
        triage = Triage.ABNORMAL_NOT_ACUTE
        reasons = ("not fully assessed: " + "; ".join(g.text for g in missing),)
    review_reasons = list(device_reasons)
    shown = round(confidence.value, 2)
    if shown < ruleset.review_threshold:
        review_reasons.append(f"confidence {shown:.2f} is below the review threshold "
                              f"{ruleset.review_threshold:.2f}")
    if triage in ruleset.review_triage:
        review_reasons.append(f"triage {triage.value} is always reviewed")
    review_reasons += [f"not assessed: {g.text}; {g.could_be.value.replace('_', ' ')} not "
                       f"excluded" for g in missing]
    return Routing(triage, reasons, bool(review_reasons), tuple(dict.fromkeys(review_reasons)),
                   tuple(gaps), not missing)


def categorise(flags: Sequence[Flag]) -> tuple[Triage, tuple[str, ...]]:
    """The most urgent category among ``flags``, with one reason per contributing flag."""
    contributing = sorted((f for f in flags if f.triage is not Triage.NORMAL),
                          key=lambda f: -f.triage.rank)
    if not contributing:
        return Triage.NORMAL, ("no rule placed the ECG in an abnormal category",)
    top = contributing[0].triage
    return top, tuple(_reason(f) for f in contributing)


def _unreadable(quality: RecordQuality, min_share: float) -> str:
    """Why the record is unreadable ("" when it is not)."""
    total, usable = len(quality.leads), len(quality.usable_leads)
    needed = max(1, math.ceil(min_share * total))
    if usable >= needed:
        return ""
    return (f"{usable} of {total} leads carry a usable signal (at least {needed} needed)"
            + (f"; poor: {leads_text(quality.poor_leads)}" if quality.poor_leads else ""))


def _reason(flag: Flag) -> str:
    where = f" in {leads_text(flag.leads)}" if flag.unit in ("mm", "mV") else ""
    kind = " (borderline)" if flag.severity is Severity.BORDERLINE else ""
    return (f"{flag.triage.value}: {flag.id.value}{kind} "
            f"{fmt(flag.value, flag.unit)}{where}")
