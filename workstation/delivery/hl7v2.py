"""HL7 v2.5 ORU^R01: the ECG's measurements and rule flags as an observation result message.

Structure: MSH, PID, OBR (LOINC 11524-6 "EKG study"; result status P until the reviewing
clinician signed, then F; the reviewer as principal result interpreter), NTE (narrative and
"Decision support - clinician review required"), then one OBX per measurement (NM, LOINC,
the value at the measurement's precision, UCUM, abnormal flag N/H/L/A from the rules), one
OBX per rule flag (LOINC 8601-7 "EKG impression", CWE value: the SNOMED CT finding (``SCT``)
with the flag's local id as the alternate code, or the local code alone where no standard
one exists; abnormal flag A/AA) followed by an NTE with its lead-wise reason, and OBX for the
triage category (with the assessment notes: not assessed, device concordance), the
confidence and the review decision. Every abnormal flag (OBX-8) is from HL7 table 0078.
Segments end with a carriage return (HL7 2.5 ch. 2).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from rules.reasoning import DISCLAIMER
from rules.report import supplementary_lines
from workstation.delivery.case import Case
from workstation.delivery.codes import (
    ECG_IMPRESSION,
    ECG_STUDY,
    LOCAL_V2,
    finding_code,
    flag_interpretation,
    flag_title,
    reported_values,
)

SENDING_APPLICATION = "ECGWS"
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


def escape(text: str) -> str:
    """Text safe inside one HL7 v2 component (the default delimiters |^~\\&; line breaks
    become spaces)."""
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return " ".join(text.split())


def to_hl7v2(case: Case, *, facility: str = "", control_id: str | None = None) -> str:
    """The ORU^R01 message of ``case`` (segments separated by carriage returns)."""
    now = _ts(case.created)
    status = "F" if case.final else "P"
    segments = [
        _seg("MSH", "^~\\&", SENDING_APPLICATION, escape(facility), "", "", now, "",
             "ORU^R01^ORU_R01", control_id or uuid.uuid4().hex[:20], "P", "2.5",
             "", "", "", "", "", "UNICODE UTF-8"),  # MSH-18: the character set
        _pid(case),
        _obr(case, now, status),
    ]
    notes = [case.analysis.narrative]
    notes += [] if DISCLAIMER in case.analysis.narrative else [DISCLAIMER]
    segments += [_seg("NTE", str(n), "L", escape(text)) for n, text in enumerate(notes, 1)]
    segments += _observations(case, status)
    return "\r".join(segments) + "\r"


def write_hl7v2(case: Case, path: Path, **kwargs: str) -> Path:
    """Write the message to ``path`` (UTF-8, as MSH-18 declares; carriage-return separated)."""
    path.write_bytes(to_hl7v2(case, **kwargs).encode("utf-8"))
    return path


def _pid(case: Case) -> str:
    p = case.record.patient
    # PID-3 is required: without a patient id the record's name identifies the subject
    ident = f"{escape(p.patient_id)}^^^^MR" if p.patient_id else f"{escape(case.name)}^^^{SENDING_APPLICATION}^RI"
    name = escape(p.name).replace(" ", "^", 1) if p.name else '""'  # PID-5 required: explicit null
    born = (p.birth_date or "").replace("-", "")
    return _seg("PID", "1", "", ident, "", name, "", born, p.sex or "U")


def _obr(case: Case, now: str, status: str) -> str:
    acquired = _ts(case.record.acquisition.time) if case.record.acquisition.time else ""
    reviewer = case.reviewer
    interpreter = escape(reviewer.name) if reviewer else ""
    fields = ["1", "", f"{escape(case.name)}^{SENDING_APPLICATION}",
              f"{ECG_STUDY[0]}^{ECG_STUDY[1]}^LN", "", "", acquired]
    fields += [""] * (22 - len(fields) - 1) + [now, "", "EC", status]  # OBR-22, 24, 25
    fields += [""] * (32 - len(fields) - 1) + [interpreter]  # OBR-32
    return _seg("OBR", *fields)


def _observations(case: Case, status: str) -> list[str]:
    a = case.analysis
    rows: list[tuple[str, str, str, str, str, str]] = []  # type, id, sub, value, unit, flag
    for v in reported_values(a):
        rows.append(("NM", f"{v.code.loinc}^{escape(v.code.loinc_display)}^LN", "",
                     v.text, f"{v.code.ucum}^{v.code.ucum}^UCUM",
                     v.interpretation or "N"))
    notes: dict[int, str] = {}
    for n, flag in enumerate(a.flags, 1):
        rows.append(("CWE", f"{ECG_IMPRESSION[0]}^{ECG_IMPRESSION[1]}^LN", str(n),
                     _finding(flag), "", flag_interpretation(flag)))
        notes[len(rows)] = f"[{flag.severity.value}] {flag.reason}"
    rows.append(("CWE", f"TRIAGE^Triage category^{LOCAL_V2}", "",
                 f"{a.routing.triage.value}^{a.routing.triage.value.replace('_', ' ')}^{LOCAL_V2}",
                 "", ""))
    notes[len(rows)] = " | ".join(supplementary_lines(a))
    rows.append(("NM", f"CONFIDENCE^Record confidence^{LOCAL_V2}", "",
                 f"{a.confidence.value:.2f}", "1^1^UCUM", ""))
    rows.append(("CWE", f"REVIEW^Clinician review required^{LOCAL_V2}", "",
                 f"{'Y^Yes' if a.routing.review else 'N^No'}^HL70136", "", ""))
    segments = []
    for n, (kind, ident, sub, value, unit, flag) in enumerate(rows, 1):
        segments.append(_seg("OBX", str(n), kind, ident, sub, value, unit, "", flag, "", "",
                             status))
        if n in notes:
            segments.append(_seg("NTE", "1", "L", escape(notes[n])))
    return segments


def _finding(flag) -> str:  # noqa: ANN001 - rules.flag.Flag
    """CWE: the SNOMED CT finding with the local id as alternate, or the local code alone."""
    local = f"{flag.id.value}^{escape(flag_title(flag))}^{LOCAL_V2}"
    code = finding_code(flag)
    if code is None or code.snomed is None:
        return local
    return f"{code.snomed}^{escape(code.snomed_display)}^SCT^{local}"


def _seg(name: str, *fields: str) -> str:
    if name == "MSH":  # MSH-1 is the field separator itself
        return "MSH|" + "|".join(fields)
    return "|".join((name, *fields)).rstrip("|")


def _ts(when: dt.datetime) -> str:
    return when.strftime("%Y%m%d%H%M%S")

