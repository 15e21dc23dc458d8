"""A FHIR R4 ECG ``Observation`` (JSON): measurements as components, flags as interpretation,
the waveform as SampledData.

Modelled on the ECG example of the FHIR specification (``observation-example-sample-data``):
``code`` LOINC 11524-6 "EKG study"; one component per measurement (LOINC, UCUM quantity, its
H/L/A interpretation); one component per lead (MDC_ECG_ELEC_POTL_<lead>) whose
``valueSampledData`` holds the signal as integers in microvolts (``factor`` 0.001 mV,
``period`` in ms); ``interpretation`` one concept per rule flag (v3 ObservationInterpretation
A or AA, the flag's local code, its lead-wise reason as text); the triage category, the
confidence and the review decision as components with local codes; ``status`` preliminary
until the reviewing clinician signed, then final; the narrative and "Decision support -
clinician review required" as notes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rules.reasoning import DISCLAIMER
from rules.report import supplementary_lines
from workstation.delivery.case import Case
from workstation.delivery.codes import (
    ECG_STUDY,
    INTERPRETATION_SYSTEM,
    LOCAL_SYSTEM,
    LOINC_SYSTEM,
    MDC_SYSTEM,
    UCUM_SYSTEM,
    flag_interpretation,
    flag_title,
    lead_code_fhir,
    reported_values,
)

#: Samples are written as integers of this many mV (1 µV), the resolution of diagnostic ECGs.
FACTOR_MV = 0.001
_INTERPRETATION_NAMES = {"H": "High", "L": "Low", "A": "Abnormal", "AA": "Critical abnormal",
                         "N": "Normal"}


def to_fhir(case: Case, *, waveform: bool = True) -> dict[str, Any]:
    """The Observation as a JSON-ready dict (``waveform=False`` leaves the signals out)."""
    a = case.analysis
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final" if case.final else "preliminary",
        "category": [_concept("http://terminology.hl7.org/CodeSystem/observation-category",
                              "procedure", "Procedure")],
        "code": _concept(LOINC_SYSTEM, *ECG_STUDY),
        "issued": case.created.isoformat(timespec="seconds"),
        "method": {"text": f"rule set {a.ruleset.label}; delineation "
                           f"{a.model or 'none (rate from a QRS detector)'}"},
        "device": {"display": f"ECG Workstation ({a.model or 'no delineation model'})"},
        "component": _measurements(case) + _routing(case)
        + (_waveforms(case) if waveform else []),
        "note": [{"text": a.narrative}]
        + ([] if DISCLAIMER in a.narrative else [{"text": DISCLAIMER}]),
    }
    if a.flags:
        obs["interpretation"] = [_flag(f) for f in a.flags]
    if case.record.acquisition.time is not None:
        # FHIR needs a zone with a time; a device's naive time is read as this computer's
        obs["effectiveDateTime"] = case.record.acquisition.time.astimezone().isoformat(
            timespec="seconds")
    if case.record.patient.patient_id:
        obs["subject"] = {"identifier": {"value": case.record.patient.patient_id}}
    if case.reviewer is not None:
        obs["performer"] = [{"display": f"{case.reviewer.name} ({case.reviewer.role}; "
                                        f"{case.reviewer.status})"}]
    return obs


def write_fhir(case: Case, path: Path, *, waveform: bool = True) -> Path:
    path.write_text(json.dumps(to_fhir(case, waveform=waveform), indent=1), encoding="utf-8")
    return path


def _concept(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


def _measurements(case: Case) -> list[dict[str, Any]]:
    out = []
    for v in reported_values(case.analysis):
        component: dict[str, Any] = {
            "code": _concept(LOINC_SYSTEM, v.code.loinc, v.code.loinc_display, v.code.label),
            "valueQuantity": {"value": round(v.value, 3), "unit": v.code.ucum,
                              "system": UCUM_SYSTEM, "code": v.code.ucum},
        }
        if v.interpretation:
            component["interpretation"] = [_concept(INTERPRETATION_SYSTEM, v.interpretation,
                                                    _INTERPRETATION_NAMES[v.interpretation])]
        out.append(component)
    return out


def _routing(case: Case) -> list[dict[str, Any]]:
    a = case.analysis
    triage = a.routing.triage.value
    return [
        {"code": _concept(LOCAL_SYSTEM, "triage", "Triage category"),
         "valueCodeableConcept": _concept(LOCAL_SYSTEM, triage, triage.replace("_", " "),
                                          "; ".join(a.routing.reasons) or None)},
        *({"code": _concept(LOCAL_SYSTEM, "assessment-note", "Assessment note"),
           "valueString": line} for line in supplementary_lines(a)),
        {"code": _concept(LOCAL_SYSTEM, "confidence", "Record confidence"),
         "valueQuantity": {"value": round(a.confidence.value, 2), "unit": "1",
                           "system": UCUM_SYSTEM, "code": "1"}},
        {"code": _concept(LOCAL_SYSTEM, "review", "Clinician review required",
                          "; ".join(a.routing.review_reasons) or None),
         "valueBoolean": a.routing.review},
    ]


def _flag(flag) -> dict[str, Any]:  # noqa: ANN001 - rules.flag.Flag
    code = flag_interpretation(flag)
    concept = _concept(INTERPRETATION_SYSTEM, code, _INTERPRETATION_NAMES[code],
                       f"{flag_title(flag)}: {flag.reason}")
    concept["coding"].append({"system": LOCAL_SYSTEM, "code": flag.id.value,
                              "display": flag_title(flag)})
    return concept


def _waveforms(case: Case) -> list[dict[str, Any]]:
    record = case.record
    out = []
    for index, lead in enumerate(record.leads):
        code = lead_code_fhir(lead.name)
        coding = ({"system": MDC_SYSTEM, "code": code, "display": f"MDC_ECG_ELEC_POTL_{lead.name}"}
                  if code else {"system": LOCAL_SYSTEM, "code": f"lead-{lead.name}",
                                "display": lead.name})
        digits = np.rint(np.nan_to_num(record.signals[index]) / FACTOR_MV).astype(np.int64)
        out.append({"code": {"coding": [coding], "text": f"Lead {lead.name}"},
                    "valueSampledData": {
                        "origin": {"value": 0, "unit": "mV", "system": UCUM_SYSTEM, "code": "mV"},
                        "period": round(1000.0 / record.fs, 6), "factor": FACTOR_MV,
                        "dimensions": 1, "data": " ".join(map(str, digits.tolist()))}})
    return out
