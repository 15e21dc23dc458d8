"""The recording device's own interpretation beside ours: statements and measurements.

**Statements.** Each device statement (GE 12SL, Philips, Mortara, ... as the file carries
them, in English or Italian, German, French or Spanish) is mapped onto our vocabulary by the
patterns of :data:`CONCEPTS`; a clause starting with "not" or "no" is dropped first ("not
LBBB/RBBB" names neither). Each mapped statement is then compared with our flags:

* ``agree``: one of our flags (borderline included) says the same;
* ``partly``: the statement names several findings and ours share only some;
* ``device_only``: the device says it, we do not (or have no rule for it);
* ``ours_only``: one of our clinical flags that no device statement names;
* ``not_compared``: a statement outside our vocabulary (comparison with an earlier ECG,
  confirmation, an unresolved code).

A device-only (or, by us, less urgent) *critical* statement - acute MI, ventricular
tachycardia or fibrillation, complete heart block - raises the triage to the device's urgency
and sends the record to review: a human decides, never the omission.

**Measurements.** Our rate, intervals, QTc and axes beside the device's, with the
difference; a difference beyond the rule file's ``[device_comparison]`` tolerance (IEC
60601-2-25 style: PR and QRS 10 ms, QT 25 ms) is marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Mapping, Sequence

from rules.flag import Flag
from rules.measure import Measurements
from rules.types import FlagId, QtcFormula, Triage
from workstation.core.record import DeviceReport


class Concept(Enum):
    """What a device statement says, in our vocabulary."""

    ACUTE_MI = "acute MI / STEMI"
    OLD_INFARCT = "infarct, not acute or age undetermined"
    ST_ELEVATION = "ST elevation"
    ST_DEPRESSION = "ST depression"
    T_WAVE_ABNORMALITY = "T-wave abnormality / ischaemia"
    ATRIAL_FIBRILLATION = "atrial fibrillation"
    ATRIAL_FLUTTER = "atrial flutter"
    VENTRICULAR_TACHYCARDIA = "ventricular tachycardia"
    VENTRICULAR_FIBRILLATION = "ventricular fibrillation"
    AV_BLOCK_1 = "first-degree AV block"
    AV_BLOCK_2 = "second-degree AV block"
    AV_BLOCK_3 = "complete heart block"
    LBBB = "left bundle branch block"
    RBBB = "right bundle branch block"
    IVCD = "intraventricular conduction delay"
    LVH = "left ventricular hypertrophy"
    LONG_QT = "long QT"
    SHORT_PR = "short PR / pre-excitation"
    PACED = "paced rhythm"
    SINUS_BRADYCARDIA = "bradycardia"
    SINUS_TACHYCARDIA = "tachycardia"
    SINUS_RHYTHM = "sinus rhythm"
    LOW_VOLTAGE = "low QRS voltage"
    LEFT_AXIS = "left axis deviation"
    RIGHT_AXIS = "right axis deviation"
    NORMAL = "normal ECG"
    ABNORMAL = "abnormal ECG"


#: Concept -> regular expression on the lower-cased statement (English first, then the
#: common Italian, German, French and Spanish wordings).
CONCEPTS: dict[Concept, str] = {
    Concept.ACUTE_MI: r"acute (mi\b|myocardial infarct|infarct)|infarct[^,;]*,? ?acute|\bstemi\b|"
                      r"injury current|\bami\b|infarto (miocardico )?acuto|akuter? (myokard)?infarkt|"
                      r"infarctus aigu|infarto agudo",
    Concept.OLD_INFARCT: r"infarct[^;]*(age undetermined|old|prior|possible|probable|cannot rule out)|"
                         r"(old|prior|possible) [a-z ]*infarct|pregresso|alter infarkt",
    Concept.ST_ELEVATION: r"st[ -]?elevation|st elev|\bste\b|sopraslivellamento|st-hebung|"
                          r"sus-d[eé]calage|elevaci[oó]n del st",
    Concept.ST_DEPRESSION: r"st[ -]?depression|st depr|\bstd\b|sottoslivellamento|st-senkung|"
                           r"sous-d[eé]calage|depresi[oó]n del st",
    Concept.T_WAVE_ABNORMALITY: r"t[ -]?wave (abnormal|inversion|change)|inverted t|negative t|"
                                r"\bst[ -/&]*t\b|ischemi|ischaemi|repolari[sz]ation abnormal|"
                                r"onda t|t-welle|onde t",
    Concept.ATRIAL_FIBRILLATION: r"atrial fibrillation|\ba-?fib|fibrillazione atriale|"
                                 r"vorhofflimmern|fibrillation auriculaire|fibrilaci[oó]n auricular",
    Concept.ATRIAL_FLUTTER: r"atrial flutter|flutter atriale|vorhofflattern|flutter auriculaire",
    Concept.VENTRICULAR_TACHYCARDIA: r"ventricular tachycardia|\bv-?tach|\bvt\b|"
                                     r"tachicardia ventricolare|kammertachykardie",
    Concept.VENTRICULAR_FIBRILLATION: r"ventricular fibrillation|\bvf\b|fibrillazione ventricolare|"
                                      r"kammerflimmern",
    Concept.AV_BLOCK_3: r"(3rd|third)[ -]degree|complete (heart|av|a-v|atrioventricular) block|"
                        r"blocco av (di )?(iii|terzo)|av-block (iii|3)",
    Concept.AV_BLOCK_2: r"(2nd|second)[ -]degree|mobitz|wenckebach|blocco av (di )?(ii|secondo)\b",
    Concept.AV_BLOCK_1: r"(1st|first)[ -]degree|prolonged pr|long pr\b|blocco av (di )?(i|primo)\b|"
                        r"av-block (i|1)\b",
    Concept.LBBB: r"left bundle branch block|\blbbb\b|blocco di branca sinistra|linksschenkelblock",
    Concept.RBBB: r"right bundle branch block|\brbbb\b|blocco di branca destra|rechtsschenkelblock",
    Concept.IVCD: r"intraventricular conduction|\bivcd\b",
    Concept.LVH: r"left ventricular hypertrophy|\blvh\b|ipertrofia ventricolare sinistra|"
                 r"linksherzhypertrophie|hypertrophie ventriculaire gauche",
    Concept.LONG_QT: r"(long|prolonged) qt|qt prolong|qtc prolong|qt lungo",
    Concept.SHORT_PR: r"short pr|\bwpw\b|pre-?excitation|wolff",
    Concept.PACED: r"\bpaced\b|pacing|pacemaker|elettroindotto|schrittmacher|stimul[eé]",
    Concept.SINUS_BRADYCARDIA: r"bradycardia|bradicardia|bradykardie|bradycardie",
    Concept.SINUS_TACHYCARDIA: r"(?<!ventricular )tachycardia|(?<!ventricolare )tachicardia sinusale|"
                               r"sinustachykardie",
    Concept.SINUS_RHYTHM: r"sinus rhythm|ritmo sinusale|sinusrhythmus|rythme sinusal|ritmo sinusal",
    Concept.LOW_VOLTAGE: r"low (qrs )?voltage|basso voltaggio|niedervoltage|microvoltage",
    Concept.LEFT_AXIS: r"left axis deviation|deviazione assiale sinistra|linkstyp",
    Concept.RIGHT_AXIS: r"right axis deviation|deviazione assiale destra|rechtstyp",
    Concept.ABNORMAL: r"\babnormal ecg|ecg anormale|ecg abnorme|pathologisches ekg|ecg anormal",
    Concept.NORMAL: r"(?<!ab)normal ecg|ecg normale|normales ekg|ecg normal\b|within normal limits",
}

#: Our flags that say the same as a concept (None: no rule of ours assesses it).
MATCHES: dict[Concept, frozenset[FlagId]] = {
    Concept.ACUTE_MI: frozenset({FlagId.ST_ELEVATION}),
    Concept.ST_ELEVATION: frozenset({FlagId.ST_ELEVATION}),
    Concept.ST_DEPRESSION: frozenset({FlagId.ST_DEPRESSION}),
    Concept.T_WAVE_ABNORMALITY: frozenset({FlagId.T_WAVE_INVERSION, FlagId.ST_DEPRESSION}),
    Concept.ATRIAL_FIBRILLATION: frozenset({FlagId.POSSIBLE_ATRIAL_FIBRILLATION}),
    Concept.ATRIAL_FLUTTER: frozenset({FlagId.POSSIBLE_ATRIAL_FIBRILLATION}),
    Concept.VENTRICULAR_TACHYCARDIA: frozenset({FlagId.WIDE_COMPLEX_TACHYCARDIA}),
    Concept.AV_BLOCK_1: frozenset({FlagId.FIRST_DEGREE_AV_BLOCK}),
    Concept.LBBB: frozenset({FlagId.WIDE_QRS}),
    Concept.RBBB: frozenset({FlagId.WIDE_QRS}),
    Concept.IVCD: frozenset({FlagId.WIDE_QRS}),
    Concept.LVH: frozenset({FlagId.LVH_VOLTAGE}),
    Concept.LONG_QT: frozenset({FlagId.LONG_QTC}),
    Concept.SHORT_PR: frozenset({FlagId.SHORT_PR}),
    Concept.PACED: frozenset({FlagId.PACED_RHYTHM}),
    Concept.SINUS_BRADYCARDIA: frozenset({FlagId.BRADYCARDIA}),
    Concept.SINUS_TACHYCARDIA: frozenset({FlagId.TACHYCARDIA}),
    Concept.LOW_VOLTAGE: frozenset({FlagId.LOW_QRS_VOLTAGE}),
    Concept.LEFT_AXIS: frozenset({FlagId.LEFT_AXIS_DEVIATION, FlagId.EXTREME_AXIS}),
    Concept.RIGHT_AXIS: frozenset({FlagId.RIGHT_AXIS_DEVIATION, FlagId.EXTREME_AXIS}),
}

#: Statements whose omission by our rules must never lower the urgency.
CRITICAL: dict[Concept, Triage] = {
    Concept.ACUTE_MI: Triage.ACUTE, Concept.VENTRICULAR_TACHYCARDIA: Triage.ACUTE,
    Concept.VENTRICULAR_FIBRILLATION: Triage.ACUTE, Concept.AV_BLOCK_3: Triage.ACUTE,
}

#: Our flags that are about the recording, not the heart: never "ours only".
TECHNICAL = frozenset({FlagId.POOR_SIGNAL_QUALITY, FlagId.INCONSISTENT_AMPLITUDES})

_NEGATION = re.compile(r"\b(not|no|without|kein|non|sans|sin)\b[^,;()]*")


class Agreement(Enum):
    AGREE = "agree"
    PARTLY = "partly"  # some of what the statement names, not all
    DEVICE_ONLY = "device_only"
    OURS_ONLY = "ours_only"
    NOT_COMPARED = "not_compared"


@dataclass(frozen=True)
class Concordance:
    """One device statement (or one flag of ours) and how the two sides compare."""

    statement: str | None  # None for one of our flags no statement names
    concepts: tuple[Concept, ...]
    flags: tuple[FlagId, ...]  # our matching flags (or the ours-only flag)
    agreement: Agreement
    critical: bool = False  # a critical statement we do not confirm at its urgency

    @property
    def text(self) -> str:
        ours = ", ".join(f.value for f in self.flags) or "none"
        said = f"device: {self.statement!r}" if self.statement else "device: -"
        return f"{said}; ours: {ours}; {self.agreement.value.replace('_', ' ')}"


def classify(statement: str) -> tuple[Concept, ...]:
    """The concepts a device statement names (empty when none of ours)."""
    text = _NEGATION.sub(" ", statement.lower().replace(">", " ").replace("<", " "))
    found = [c for c, pattern in CONCEPTS.items() if re.search(pattern, text)]
    if Concept.ACUTE_MI in found and Concept.OLD_INFARCT in found:
        found.remove(Concept.OLD_INFARCT)
    if Concept.VENTRICULAR_TACHYCARDIA in found and Concept.SINUS_TACHYCARDIA in found:
        found.remove(Concept.SINUS_TACHYCARDIA)
    return tuple(found)


def concordance(statements: Sequence[str], flags: Sequence[Flag]) -> tuple[Concordance, ...]:
    """Every device statement against our flags, then our flags no statement names."""
    if not statements:
        return ()
    ours = {f.id: f for f in flags}
    clinical = {i for i in ours if i not in TECHNICAL}
    rows, named = [], set()
    for statement in statements:
        concepts = classify(statement)
        rows.append(_compare(statement, concepts, ours, clinical))
        named |= {f for c in concepts for f in MATCHES.get(c, ())}
    rows += [Concordance(None, (), (f,), Agreement.OURS_ONLY)
             for f in sorted(clinical - named, key=lambda f: f.value)
             if ours[f].triage is not Triage.NORMAL]
    return tuple(rows)


def _compare(statement: str, concepts: tuple[Concept, ...], ours: Mapping[FlagId, Flag],
             clinical: set[FlagId]) -> Concordance:
    if not concepts:
        return Concordance(statement, (), (), Agreement.NOT_COMPARED)
    abnormal = any(ours[f].triage is not Triage.NORMAL for f in clinical)
    matched: list[FlagId] = []
    agree, some = True, False
    for concept in concepts:
        if concept is Concept.NORMAL:
            agree &= not abnormal or _otherwise_normal(statement)
        elif concept is Concept.ABNORMAL:
            agree &= abnormal
        elif concept is Concept.SINUS_RHYTHM:
            agree &= FlagId.POSSIBLE_ATRIAL_FIBRILLATION not in ours
        elif concept is Concept.OLD_INFARCT and len(concepts) > 1:
            continue  # qualifies another concept of the statement
        else:
            hits = sorted(MATCHES.get(concept, frozenset()) & set(ours), key=lambda f: f.value)
            matched += hits
            agree &= bool(hits)
            some |= bool(hits)
    urgency = max((CRITICAL[c] for c in concepts if c in CRITICAL), default=None,
                  key=lambda t: t.rank)
    reached = max((ours[f].triage for f in matched), default=Triage.NORMAL, key=lambda t: t.rank)
    critical = urgency is not None and reached.rank < urgency.rank
    verdict = Agreement.AGREE if agree else (Agreement.PARTLY if some else Agreement.DEVICE_ONLY)
    return Concordance(statement, concepts, tuple(dict.fromkeys(matched)), verdict, critical)


def _otherwise_normal(statement: str) -> bool:
    """"Otherwise normal ECG" agrees with findings the other statements name."""
    return "otherwise" in statement.lower()


def critical_urgency(rows: Sequence[Concordance]) -> tuple[Triage | None, tuple[str, ...]]:
    """The device's urgency from its critical statements we do not confirm, with reasons;
    without one, a device-only abnormal statement on a record we find normal (the device's
    reading against ours: a human decides) gives the reason and no urgency."""
    found = [(max((CRITICAL[c] for c in r.concepts if c in CRITICAL), key=lambda t: t.rank), r)
             for r in rows if r.critical]
    if not found:
        return None, disagreements(rows)
    top = max((t for t, _ in found), key=lambda t: t.rank)
    reasons = tuple(f"{t.value}: the device states {r.statement!r} "
                    f"({', '.join(c.value for c in r.concepts if c in CRITICAL)}), which our rules "
                    f"do not confirm at that urgency: raised for a clinician to decide"
                    for t, r in found)
    return top, reasons


def disagreements(rows: Sequence[Concordance]) -> tuple[str, ...]:
    """Device statements of an abnormality that none of our clinical flags shares, when none
    of ours is abnormal either (a normal reading against an abnormal one)."""
    if any(r.agreement is Agreement.OURS_ONLY for r in rows) or any(r.flags for r in rows):
        return ()
    benign = {Concept.NORMAL, Concept.SINUS_RHYTHM, Concept.ABNORMAL}
    return tuple(f"the device states {r.statement!r} ({', '.join(c.value for c in r.concepts)}), "
                 f"which our rules do not find" for r in rows
                 if r.agreement is Agreement.DEVICE_ONLY and set(r.concepts) - benign)


# -- measurements ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MeasurementPair:
    """Our value beside the device's, with the difference and the tolerance."""

    name: str  # the device's canonical name: "Ventricular rate", "PR", "QTc" ...
    unit: str
    ours: float | None
    device: float
    tolerance: float | None
    note: str = ""

    @property
    def difference(self) -> float | None:
        if self.ours is None:
            return None
        d = self.ours - self.device
        return (d + 180.0) % 360.0 - 180.0 if self.unit == "deg" else d

    @property
    def beyond(self) -> bool:
        """The difference exceeds the tolerance."""
        d = self.difference
        return d is not None and self.tolerance is not None and abs(d) > self.tolerance


#: device name -> (our value, unit, tolerance key in [device_comparison], note)
_COMPARED = {
    "Ventricular rate": (lambda m: m.rhythm.hr_bpm.value, "bpm", "rate_bpm", ""),
    "P duration": (lambda m: m.intervals.p_ms.value, "ms", "p_ms", ""),
    "PR": (lambda m: m.intervals.pr_ms.value, "ms", "pr_ms", ""),
    "QRS": (lambda m: m.intervals.qrs_ms.value, "ms", "qrs_ms", ""),
    "QT": (lambda m: m.intervals.qt_ms.value, "ms", "qt_ms", ""),
    "QTc": (lambda m: m.intervals.qtc[QtcFormula.BAZETT].value, "ms", "qt_ms",
            "ours by Bazett, the devices' formula"),
    "P axis": (lambda m: m.p_axis.value, "deg", "axis_deg", ""),
    "QRS axis": (lambda m: m.qrs_axis.value, "deg", "axis_deg", ""),
    "T axis": (lambda m: m.t_axis.value, "deg", "axis_deg", ""),
}


def compare_measurements(m: Measurements, report: DeviceReport,
                         tolerances: Mapping[str, float]) -> tuple[MeasurementPair, ...]:
    """Our global measurements beside every global one the device reports."""
    device = {x.name: x.value for x in report.measurements if x.lead is None}
    if "Ventricular rate" not in device and device.get("RR"):
        device["Ventricular rate"] = 60000.0 / device["RR"]
    pairs = []
    for name, (get, unit, key, note) in _COMPARED.items():
        if name in device:
            pairs.append(MeasurementPair(name, unit, get(m), float(device[name]),
                                         tolerances.get(key), note))
    return tuple(pairs)


# -- a printed page's measurements against its digitised signal ----------------------------

#: A measurement of the digitised signal this far from the one printed on the same page says
#: that the page was misread (a wrong speed or scale, a lost or an extra beat), since both
#: come from the same recording: twice the device tolerance of IEC 60601-2-25 for intervals
#: (PR, QRS 10 ms; QT 25 ms) and 10 bpm for the rate (one beat in a 6 s window at 60 bpm).
PRINTED_LIMITS = {"Ventricular rate": 10.0, "PR": 20.0, "QRS": 20.0, "QT": 50.0, "QTc": 50.0}
#: Each such disagreement multiplies the page's quality by this: one brings a good page
#: (0.9) below the review threshold (0.6).
PRINTED_PENALTY = 0.6
_LABELS = {"Ventricular rate": "rate"}


def printed_disagreements(pairs: Sequence[MeasurementPair]) -> tuple[str, ...]:
    """The reasons, one per measurement whose digitised value is beyond
    :data:`PRINTED_LIMITS` of the value printed on the page ("digitised rate 49 bpm,
    printed 59")."""
    return tuple(f"digitised {_LABELS.get(p.name, p.name)} {p.ours:.0f} {p.unit}, printed {p.device:.0f}"
                 for p in pairs if p.name in PRINTED_LIMITS and p.difference is not None
                 and abs(p.difference) > PRINTED_LIMITS[p.name])
