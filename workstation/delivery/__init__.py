"""Delivery: the analysis of one ECG leaves the workstation for the hospital.

Exports of one :class:`~workstation.delivery.case.Case` (record, delineation, rule analysis,
reviewing clinician) to the formats hospital systems read:

* :mod:`.hl7v2`: HL7 v2.5 ORU^R01 (OBX per LOINC-coded measurement and per rule flag);
* :mod:`.fhir`: a FHIR R4 ECG ``Observation`` (components, interpretation, SampledData);
* :mod:`.dicom_export`: DICOM 12-lead (or General) ECG Waveform Storage with measurements;
* :mod:`.aecg_export`: HL7 v3 annotated ECG (FDA aECG) with the wave boundaries.

Every export is checked by the field's own validators (:mod:`.conformance`: dciodvfy, the HL7
FHIR validator where installed, fhirkit, fhir.resources, hl7apy strict) and read back by our own
readers; README.md beside this file lists the codes and what each validator reported. The PDF report and printing live in the Qt layer (:mod:`workstation.ui.report`).
Nothing here imports Qt; torch is loaded only when a case is built with the model.
"""
