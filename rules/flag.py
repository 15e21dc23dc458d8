"""A rule flag, the check behind it, and how a value is judged against a threshold.

Every rule compares one measured value with one threshold from the rule file:

* beyond the threshold by more than the rule's borderline band: the flag fires with the rule's
  severity (info or alert; alert also when the rule's ``alert_at`` is crossed);
* within the band on either side: a ``borderline`` flag (never silently normal or abnormal);
* otherwise no flag, but the check is kept: its distance from the threshold feeds the
  record's confidence (:mod:`rules.confidence`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rules.ruleset import Rule
from rules.types import FlagId, Severity, Triage


class Direction(Enum):
    """Which side of the threshold is abnormal."""

    ABOVE = ">"
    AT_OR_ABOVE = ">="
    BELOW = "<"
    AT_OR_BELOW = "<="

    @property
    def words(self) -> str:
        return {Direction.ABOVE: "above", Direction.AT_OR_ABOVE: "at or above",
                Direction.BELOW: "below", Direction.AT_OR_BELOW: "at or below"}[self]


class Verdict(Enum):
    NORMAL = "normal"
    BORDERLINE = "borderline"
    ABNORMAL = "abnormal"


@dataclass(frozen=True)
class Check:
    """One rule evaluated on one value: how far from the threshold, in bands."""

    flag: FlagId
    value: float
    threshold: float
    margin: float  # signed: positive on the abnormal side
    band: float
    verdict: Verdict


@dataclass(frozen=True)
class Flag:
    """A finding: which rule, how severe, the value against the threshold, where and why.

    Parameters
    ----------
    id
        The rule's stable id.
    severity
        info / borderline / alert.
    value, unit, threshold
        The measured value and the threshold it was judged against, in ``unit``.
    leads, beats
        Where the value was measured (the leads that raised it, for lead-wise rules).
    measurement
        What was measured ("QTc (Framingham)", "ST at J" ...).
    reason
        One clinician-readable sentence: value, leads, threshold and source.
    rule
        The rule (version, citation) from the rule file.
    triage
        The triage category this flag puts the record in.
    """

    id: FlagId
    severity: Severity
    value: float | None
    unit: str
    threshold: float
    leads: tuple[str, ...]
    beats: tuple[int, ...]
    measurement: str
    reason: str
    rule: Rule
    triage: Triage


def judge(value: float, threshold: float, band: float, direction: Direction) -> tuple[Verdict, float]:
    """The verdict on ``value`` and its signed margin (positive on the abnormal side)."""
    above = direction in (Direction.ABOVE, Direction.AT_OR_ABOVE)
    margin = value - threshold if above else threshold - value
    inclusive = direction in (Direction.AT_OR_ABOVE, Direction.AT_OR_BELOW)
    if band > 0:
        if margin > band:
            return Verdict.ABNORMAL, margin
        return (Verdict.BORDERLINE if abs(margin) <= band else Verdict.NORMAL), margin
    fired = margin > 0 or (inclusive and margin == 0)
    return (Verdict.ABNORMAL if fired else Verdict.NORMAL), margin


def make_flag(rule: Rule, verdict: Verdict, *, value: float | None, unit: str, threshold: float,
              leads: tuple[str, ...], beats: tuple[int, ...], measurement: str, reason: str,
              alert: bool = False) -> Flag:
    """A flag for ``verdict`` (abnormal or borderline) with its severity and triage category.

    ``alert`` escalates an abnormal finding to ``alert`` severity and to the rule's
    ``alert_triage``; a borderline flag counts one triage category lower than its rule's.
    """
    if verdict is Verdict.BORDERLINE:
        severity, triage = Severity.BORDERLINE, rule.triage.lower()
    elif alert:
        severity, triage = Severity.ALERT, rule.alert_triage or rule.triage
    else:
        severity, triage = rule.severity, rule.triage
    return Flag(rule.id, severity, value, unit, threshold, leads, beats, measurement, reason,
                rule, triage)
