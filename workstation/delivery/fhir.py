"""A FHIR R4 ECG ``Observation`` (JSON): measurements as components, flags as interpretation,
the waveform as SampledData.

Modelled on the ECG example of the FHIR specification (``observation-example-sample-data``):
``code`` LOINC 11524-6 "EKG study"; one component per measurement (LOINC, plus MDC where
FHIR has its numeric code; UCUM quantity at the measurement's precision; its N/H/L/A
interpretation); one component per rule flag (LOINC 8601-7 "EKG impression" whose value is
the finding in SNOMED CT, SCP-ECG where it has a statement, and the flag's local id; its lead-wise
reason as text; interpretation A or AA); one component per lead (MDC_ECG_ELEC_POTL_<lead>)
whose ``valueSampledData`` holds the signal as integers in microvolts (``factor`` 0.001 mV,
``period`` in ms; a gap is ``E``, SampledData's "no valid value"); ``interpretation`` the worst of the flags (AA for an alert, A otherwise;
absent without a flag); the triage category, the confidence and the review decision as
components with local codes (see ``codes.PRIVATE_CODES``); ``status`` preliminary until the
reviewing clinician signed, then final; the narrative and "Decision support - clinician
review required" as notes.

Where the recording device reported its own measurements, they travel beside ours: a
contained Observation (``#device``, the device named in ``device.display``, ``method`` "as
measured by the recording device") with one LOINC-coded component per measurement, referenced
from ``hasMember``; each comparison with the tolerance is also an assessment note.
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
    ECG_IMPRESSION,
    ECG_STUDY,
    INTERPRETATION_SYSTEM,
    LOCAL_SYSTEM,
    LOINC_SYSTEM,
    MDC_FHIR_SYSTEM,
    MDC_SYSTEM,
    SCP_STATEMENT_SYSTEM,
    SNOMED_SYSTEM,
    UCUM_SYSTEM,
    MeasurementCode,
    device_code,
    finding_code,
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
        "component": _measurements(case) + [_flag(f) for f in a.flags] + _routing(case)
        + (_waveforms(case) if waveform else []),
        "note": [{"text": a.narrative}]
        + ([] if DISCLAIMER in a.narrative else [{"text": DISCLAIMER}]),
    }
    if a.flags:
        worst = "AA" if any(flag_interpretation(f) == "AA" for f in a.flags) else "A"
        obs["interpretation"] = [_concept(INTERPRETATION_SYSTEM, worst,
                                          _INTERPRETATION_NAMES[worst])]
    device = _device_observation(case)
    if device is not None:
        obs["contained"] = [device]
        obs["hasMember"] = [{"reference": "#device",
                             "display": "the recording device's own measurements"}]
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
        component = _quantity(v.code, v.value)
        code = v.interpretation or "N"
        component["interpretation"] = [_concept(INTERPRETATION_SYSTEM, code,
                                                _INTERPRETATION_NAMES[code])]
        out.append(component)
    return out


def _quantity(code: MeasurementCode, value: float, text: str | None = None) -> dict[str, Any]:
    concept = _concept(LOINC_SYSTEM, code.loinc, code.loinc_display, text or code.label)
    if code.mdc_numeric:
        concept["coding"].append({"system": MDC_FHIR_SYSTEM, "code": code.mdc_numeric,
                                  "display": code.mdc})
    return {"code": concept,
            "valueQuantity": {"value": code.rounded(value), "unit": code.ucum,
                              "system": UCUM_SYSTEM, "code": code.ucum}}


def _device_observation(case: Case) -> dict[str, Any] | None:
    """The device's own measurements (those with a standard code) as a contained Observation."""
    pairs = [(p, device_code(p.name)) for p in case.analysis.device_measurements]
    components = [_quantity(code, p.device, f"{p.name} (recording device)")
                  for p, code in pairs if code is not None]
    if not components:
        return None
    device = (case.record.device_report.program or case.record.acquisition.device
              or "the recording device")
    return {"resourceType": "Observation", "id": "device",
            "status": "final", "code": _concept(LOINC_SYSTEM, *ECG_STUDY),
            "method": {"text": "as measured by the recording device"},
            "device": {"display": device}, "component": components}


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
    """An "EKG impression" component: the finding's codes, its reason, A or AA."""
    codes = finding_code(flag)
    coding = []
    if codes is not None and codes.snomed:
        coding.append({"system": SNOMED_SYSTEM, "code": codes.snomed,
                       "display": codes.snomed_display})
    if codes is not None and codes.scp:
        coding.append({"system": SCP_STATEMENT_SYSTEM, "code": codes.scp,
                       "display": codes.scp_display})
    coding.append({"system": LOCAL_SYSTEM, "code": flag.id.value, "display": flag_title(flag)})
    interpretation = flag_interpretation(flag)
    return {"code": _concept(LOINC_SYSTEM, *ECG_IMPRESSION),
            "valueCodeableConcept": {"coding": coding, "text": f"{flag_title(flag)}: {flag.reason}"},
            "interpretation": [_concept(INTERPRETATION_SYSTEM, interpretation,
                                        _INTERPRETATION_NAMES[interpretation])]}


def _waveforms(case: Case) -> list[dict[str, Any]]:
    record = case.record
    out = []
    for index, lead in enumerate(record.leads):
        code = lead_code_fhir(lead.name)
        coding = ({"system": MDC_SYSTEM, "code": code, "display": f"MDC_ECG_ELEC_POTL_{lead.name}"}
                  if code else {"system": LOCAL_SYSTEM, "code": f"lead-{lead.name}",
                                "display": lead.name})
        signal = record.signals[index]
        digits = np.rint(np.nan_to_num(signal) / FACTOR_MV).astype(np.int64).astype(str)
        digits[~np.isfinite(signal)] = "E"  # SampledData's code for "no valid value"
        out.append({"code": {"coding": [coding], "text": f"Lead {lead.name}"},
                    "valueSampledData": {
                        "origin": {"value": 0, "unit": "mV", "system": UCUM_SYSTEM, "code": "mV"},
                        "period": round(1000.0 / record.fs, 6), "factor": FACTOR_MV,
                        "dimensions": 1, "data": " ".join(digits.tolist())}})
    return out
