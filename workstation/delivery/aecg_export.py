"""HL7 v3 annotated ECG (FDA aECG) XML: the signal, the delineation and the analysis.

One RHYTHM series with one sequence set: a ``TIME_RELATIVE`` ``GLIST_PQ`` time axis (0 s,
one sampling period) and one ``SLIST_PQ`` sequence per lead in integer microvolts. Its
annotation set carries the measurements (MDC codes, PQ values at the measurement's precision),
every rule flag, the triage and review decision, the assessment notes (not assessed, device
concordance) and the narrative as interpretation statements, each flag with a standard code
also as a coded finding (SNOMED CT, ``MDC_ECG_INTERPRETATION`` with a CE value), and every wave of the
delineation as a lead-specific ``MDC_ECG_WAVC`` annotation (P, QRS, T: onset-offset region
with the peak inside), the way the aECG Implementation Guide (HL7, 2005) describes them.
Times of annotations are relative to the series start, in seconds. The demographics known
to the record go in ``trialSubject``.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from rules.report import supplementary_lines
from rules.reasoning import DISCLAIMER
from workstation.core.delineation import Wave, WaveKind
from workstation.delivery.case import Case
from workstation.delivery.codes import finding_code, flag_statement, reported_values

HL7_NS = "urn:hl7-org:v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ACT_CODE = "2.16.840.1.113883.5.4"
MDC = "2.16.840.1.113883.6.24"
SNOMED_OID = "2.16.840.1.113883.6.96"
_WAVES = {WaveKind.P: "MDC_ECG_WAVC_PWAVE", WaveKind.QRS: "MDC_ECG_WAVC_QRSWAVE",
          WaveKind.T: "MDC_ECG_WAVC_TWAVE"}
_LEAD_CODES = {"aVR": "AVR", "aVL": "AVL", "aVF": "AVF"}


def to_aecg(case: Case) -> ET.ElementTree:
    """The aECG document of ``case``."""
    ET.register_namespace("", HL7_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = _el(None, "AnnotatedECG")
    _el(root, "id", root=str(uuid.uuid4()))
    _el(root, "code", code="93000", codeSystem="2.16.840.1.113883.6.12", codeSystemName="CPT-4")
    when = case.record.acquisition.time
    if when is not None:
        _el(_el(root, "effectiveTime"), "center", value=when.strftime("%Y%m%d%H%M%S"))
    _subject(root, case)
    series = _el(_el(root, "component"), "series")
    _el(series, "code", code="RHYTHM", codeSystem=ACT_CODE)
    _author(series, case)
    _sequence_set(_el(_el(series, "component"), "sequenceSet"), case)
    annotations = _el(_el(series, "subjectOf"), "annotationSet")
    for element in _measurements(case) + _statements(case) + _findings(case) + _waves(case):
        _el(annotations, "component").append(element)
    ET.indent(root, space=" ")
    return ET.ElementTree(root)


def write_aecg(case: Case, path: Path) -> Path:
    to_aecg(case).write(path, encoding="utf-8", xml_declaration=True)
    return path


def lead_code(lead: str) -> str:
    """MDC_ECG_LEAD_<name> (aVR -> MDC_ECG_LEAD_AVR)."""
    return f"MDC_ECG_LEAD_{_LEAD_CODES.get(lead, lead)}"


def _el(parent: ET.Element | None, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    tag = f"{{{HL7_NS}}}{name}"
    element = ET.Element(tag) if parent is None else ET.SubElement(parent, tag)
    for key, value in attrs.items():
        element.set(f"{{{XSI_NS}}}type" if key == "xsi_type" else key, value)
    if text is not None:
        element.text = text
    return element


def _subject(root: ET.Element, case: Case) -> None:
    p = case.record.patient
    assignment = _el(_el(_el(root, "componentOf"), "timepointEvent"), "componentOf")
    subject = _el(_el(_el(assignment, "subjectAssignment"), "subject"), "trialSubject")
    _el(subject, "id", root="ecgws", extension=p.patient_id or case.name)
    person = _el(subject, "subjectDemographicPerson")
    if p.name:
        _el(person, "name", p.name)
    if p.sex:
        _el(person, "administrativeGenderCode", code=p.sex, codeSystem="2.16.840.1.113883.5.1")
    if p.birth_date:
        _el(person, "birthTime", value=p.birth_date.replace("-", ""))


def _author(series: ET.Element, case: Case) -> None:
    author = _el(_el(series, "author"), "seriesAuthor")
    device = _el(author, "manufacturedSeriesDevice")
    _el(device, "manufacturerModelName", "ECG Workstation")
    _el(device, "softwareName", case.analysis.model or "no delineation model")
    _el(_el(author, "manufacturerOrganization"), "name", "ECG Workstation")


def _sequence_set(seq_set: ET.Element, case: Case) -> None:
    record = case.record
    time = _el(_el(seq_set, "component"), "sequence")
    _el(time, "code", code="TIME_RELATIVE", codeSystem=ACT_CODE)
    value = _el(time, "value", xsi_type="GLIST_PQ")
    _el(value, "head", value="0", unit="s")
    _el(value, "increment", value=f"{1.0 / record.fs:.9g}", unit="s")
    for index, lead in enumerate(record.leads):
        sequence = _el(_el(seq_set, "component"), "sequence")
        _el(sequence, "code", code=lead_code(lead.name), codeSystem=MDC)
        value = _el(sequence, "value", xsi_type="SLIST_PQ")
        _el(value, "origin", value="0", unit="uV")
        _el(value, "scale", value="1", unit="uV")
        signal = np.asarray(record.signals[index], dtype=np.float64)
        if not np.isfinite(signal).all():
            raise ValueError(f"lead {lead.name} has gaps (NaN), which aECG cannot hold")
        _el(value, "digits", " ".join(map(str, np.rint(signal * 1000.0).astype(np.int64).tolist())))


def _measurements(case: Case) -> list[ET.Element]:
    out = []
    for v in reported_values(case.analysis):
        ann = _el(None, "annotation")
        _el(ann, "code", code=v.code.mdc, codeSystem=MDC)
        _el(ann, "value", xsi_type="PQ", value=v.text, unit=v.code.ucum)
        out.append(ann)
    return out


def _statements(case: Case) -> list[ET.Element]:
    a = case.analysis
    texts = [flag_statement(f) for f in a.flags]
    texts += supplementary_lines(a)
    texts += [f"Triage: {a.routing.triage.value}; confidence {a.confidence.value:.2f}; "
              f"review {'required' if a.routing.review else 'not required'}", a.narrative]
    texts += [] if DISCLAIMER in a.narrative else [DISCLAIMER]
    out = []
    for text in texts:
        ann = _el(None, "annotation")
        _el(ann, "code", code="MDC_ECG_INTERPRETATION_STATEMENT", codeSystem=MDC)
        _el(ann, "value", text, xsi_type="ST")
        out.append(ann)
    return out


def _findings(case: Case) -> list[ET.Element]:
    out = []
    for flag in case.analysis.flags:
        code = finding_code(flag)
        if code is None or code.snomed is None:
            continue  # in its statement only: no standard code
        ann = _el(None, "annotation")
        _el(ann, "code", code="MDC_ECG_INTERPRETATION", codeSystem=MDC)
        _el(ann, "value", xsi_type="CE", code=code.snomed, codeSystem=SNOMED_OID,
            codeSystemName="SNOMED CT", displayName=code.snomed_display)
        out.append(ann)
    return out


def _waves(case: Case) -> list[ET.Element]:
    if case.delineation is None:
        return []
    fs = case.record.fs
    return [_wave(w, fs) for w in case.delineation.waves if w.offset < case.record.n_samples]


def _wave(wave: Wave, fs: float) -> ET.Element:
    ann = _el(None, "annotation")
    _el(ann, "code", code="MDC_ECG_WAVC", codeSystem=MDC)
    _el(ann, "value", xsi_type="CE", code=_WAVES[wave.kind], codeSystem=MDC)
    _roi(ann, wave.lead, wave.onset, wave.offset, fs)
    peak = _el(_el(ann, "component"), "annotation")
    _el(peak, "code", code="MDC_ECG_WAVC", codeSystem=MDC)
    _el(peak, "value", xsi_type="CE", code="MDC_ECG_WAVC_PEAK", codeSystem=MDC)
    _roi(peak, wave.lead, wave.peak, None, fs)
    return ann


def _roi(ann: ET.Element, lead: str, low: int, high: int | None, fs: float) -> None:
    roi = _el(_el(ann, "support"), "supportingROI")
    _el(roi, "code", code="ROIPS", codeSystem=ACT_CODE)
    boundary = _el(_el(roi, "component"), "boundary")
    _el(boundary, "code", code="TIME_RELATIVE", codeSystem=ACT_CODE)
    if high is None:
        _el(boundary, "value", xsi_type="PQ", value=f"{low / fs:.6f}", unit="s")
    else:
        value = _el(boundary, "value", xsi_type="IVL_PQ")
        _el(value, "low", value=f"{low / fs:.6f}", unit="s")
        _el(value, "high", value=f"{high / fs:.6f}", unit="s")
    _el(_el(_el(roi, "component"), "boundary"), "code", code=lead_code(lead), codeSystem=MDC)
