"""DICOM ECG waveform with measurements (PS3.3 A.34), written with pydicom.

A record with the twelve standard leads, 200-1000 Hz and at most 16384 samples (the 12-Lead
ECG IOD's limits) is stored as 12-Lead ECG Waveform Storage, anything else as General ECG
Waveform Storage. One RHYTHM multiplex group holds every lead as signed 16-bit samples; the
channel sensitivity is 1 µV per bit, or coarser only when a lead would not fit (then the
round-trip error is half a bit). NaN gaps are written as the waveform padding value.
Channel sources are SCP-ECG lead codes (``5.6.3-9-<SCP lead id>``, DICOM CID 3001); the
measurements are LOINC-coded numeric annotations at their precision with UCUM units; each
beat's global P/QRS/T boundaries are sample-position annotations grouped by beat, coded as
SCP-ECG does (``5.10.3-1`` P onset ... ``5.10.3-5`` T offset, the codes ECG carts write); each
rule flag with a standard code is a coded annotation (concept name DCM 121071 "Finding",
value the SNOMED CT concept); the flags (with their lead-wise reasons), triage, confidence,
review decision, device concordance and narrative are unformatted-text annotations, as ECG
carts write their statements.

Checked with ``dciodvfy`` (dicom3tools): no errors. Warnings it gives, and why they stay:

* "Missing attribute or value that would be needed to build DICOMDIR - Patient ID / Study
  ID": both are Type 2 and written empty when the record has none; the workstation does not
  invent a patient identity, and a DICOMDIR is built by the archive that assigns them.
* "Unrecognized defined term <99ECGWS>": only for a lead outside the SCP-ECG lead table
  (General ECG), coded locally with its own label (see ``codes.PRIVATE_CODES``), and for the
  Coding Scheme Identification Sequence that then declares the local scheme.

No MultiplexGroupTimeOffset is written (its condition, synchronised acquisition time, is not
met: the acquisition date-time stands for the group's start), and the Acquisition Context is
an empty Type 2 sequence (the workstation does not know the electrode placement).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from rules.report import supplementary_lines
from rules.reasoning import DISCLAIMER
from workstation import __version__
from workstation.core.layout import has_standard_leads
from workstation.delivery.case import Case
from workstation.delivery.codes import LOCAL_V2, finding_code, flag_statement, reported_values
from workstation.io.scp_sections import LEAD_CODES

TWELVE_LEAD_ECG = "1.2.840.10008.5.1.4.1.1.9.1.1"
GENERAL_ECG = "1.2.840.10008.5.1.4.1.1.9.1.2"
PADDING = -32768
_MAX_TEXT = 1024  # VR ST
#: SCP lead id of each lead name (DICOM CID 3001 codes are 5.6.3-9-<id>).
_SCP_LEADS = {name: code for code, name in LEAD_CODES.items() if code and not name.endswith("-cal")}
#: SCP-ECG codes of the global wave boundaries (as ECG carts write them in DICOM).
_BOUNDARIES = {("P", "onset"): ("5.10.3-1", "P Onset"), ("P", "offset"): ("5.10.3-2", "P Offset"),
               ("QRS", "onset"): ("5.10.3-3", "QRS Onset"),
               ("QRS", "offset"): ("5.10.3-4", "QRS Offset"), ("T", "offset"): ("5.10.3-5", "T Offset")}
FINDING = ("121071", "DCM", "Finding")


def to_dicom(case: Case) -> Dataset:
    """The DICOM dataset (with file meta) of ``case``."""
    sop_class = _sop_class(case)
    ds = Dataset()
    ds.file_meta = _file_meta(sop_class)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    _patient(ds, case)
    _study_and_series(ds, case)
    ds.AcquisitionContextSequence = Sequence()  # Type 2: electrode placement not known
    ds.WaveformSequence = Sequence([_rhythm_group(case)])
    ds.WaveformAnnotationSequence = Sequence(_annotations(case))
    if any(c.ChannelSourceSequence[0].CodingSchemeDesignator == LOCAL_V2
           for c in ds.WaveformSequence[0].ChannelDefinitionSequence):
        ds.CodingSchemeIdentificationSequence = Sequence([_local_scheme()])
    return ds


def _local_scheme() -> Dataset:
    """The local coding scheme declared, as PS3.3 C.12.1.1.5 asks of a private designator."""
    item = Dataset()
    item.CodingSchemeDesignator = LOCAL_V2
    item.CodingSchemeName = "ECG Workstation local codes"
    item.CodingSchemeResponsibleOrganization = "ECG Workstation"
    return item


def write_dicom(case: Case, path: Path) -> Path:
    """Write ``case`` as a DICOM Part 10 file."""
    to_dicom(case).save_as(str(path), enforce_file_format=True)
    return path


def _sop_class(case: Case) -> str:
    r = case.record
    twelve = (has_standard_leads(r.lead_names) and r.n_leads == 12 and 200 <= r.fs <= 1000
              and r.n_samples <= 16384)
    return TWELVE_LEAD_ECG if twelve else GENERAL_ECG


def _file_meta(sop_class: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return meta


def _patient(ds: Dataset, case: Case) -> None:
    p = case.record.patient
    ds.PatientName = person_name(p.name or "")
    ds.PatientID = p.patient_id or ""
    ds.PatientBirthDate = (p.birth_date or "").replace("-", "")
    ds.PatientSex = p.sex or ""
    if p.age_years is not None and 0 <= p.age_years < 1000:
        ds.PatientAge = f"{int(p.age_years):03d}Y"


def _study_and_series(ds: Dataset, case: Case) -> None:
    acquired = case.record.acquisition.time or case.created.replace(tzinfo=None)
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyDate = ds.ContentDate = acquired.strftime("%Y%m%d")
    ds.StudyTime = ds.ContentTime = acquired.strftime("%H%M%S")
    ds.AcquisitionDateTime = acquired.strftime("%Y%m%d%H%M%S")
    ds.ReferringPhysicianName = ""
    ds.StudyID = ""
    ds.AccessionNumber = ""
    ds.Modality = "ECG"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = "ECG Workstation"
    ds.SoftwareVersions = [__version__, case.analysis.model or "no model",
                           case.analysis.ruleset.label]
    ds.SeriesDescription = f"ECG analysis {case.name}"[:64]
    if case.reviewer is not None:
        ds.OperatorsName = person_name(case.reviewer.name)


def person_name(text: str) -> str:
    """A DICOM PN: the first space separates the components; a backslash (DICOM's value
    separator) becomes a space; a single name is the family name ("Clark^": dciodvfy reads
    "Clark" as the retired form)."""
    name = " ".join(text.replace("\\", " ").split()).replace(" ", "^", 1)
    return name + "^" if name and "^" not in name else name


def _rhythm_group(case: Case) -> Dataset:
    record = case.record
    signals_uv = np.asarray(record.signals, dtype=np.float64) * 1000.0
    peak = float(np.nanmax(np.abs(signals_uv))) if np.isfinite(signals_uv).any() else 0.0
    sensitivity = max(1.0, math.ceil(peak / 32000.0 * 100.0) / 100.0)  # µV per bit
    digits = np.rint(np.nan_to_num(signals_uv / sensitivity, nan=PADDING))
    digits[np.isnan(signals_uv)] = PADDING
    group = Dataset()
    group.WaveformOriginality = "ORIGINAL"
    group.NumberOfWaveformChannels = record.n_leads
    group.NumberOfWaveformSamples = record.n_samples
    group.SamplingFrequency = f"{record.fs:g}"
    group.MultiplexGroupLabel = "RHYTHM"
    group.ChannelDefinitionSequence = Sequence(
        [_channel(lead.name, sensitivity, record) for lead in record.leads])
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    group.WaveformPaddingValue = int(PADDING).to_bytes(2, "little", signed=True)
    group.WaveformData = digits.astype("<i2").T.tobytes()  # interleaved: sample by sample
    return group


def _channel(lead: str, sensitivity: float, record) -> Dataset:  # noqa: ANN001 - ECGRecord
    ch = Dataset()
    number = _SCP_LEADS.get(lead)
    ch.ChannelSourceSequence = Sequence([_code(
        f"5.6.3-9-{number}" if number else f"lead-{lead}"[:16], "SCPECG" if number else LOCAL_V2,
        f"Lead {lead}" if number else lead, "1.3" if number else None)])
    ch.ChannelLabel = lead
    ch.ChannelSensitivity = f"{sensitivity:g}"
    ch.ChannelSensitivityUnitsSequence = Sequence([_code("uV", "UCUM", "microvolt", "1.4")])
    ch.ChannelSensitivityCorrectionFactor = 1
    ch.ChannelBaseline = 0
    ch.ChannelSampleSkew = 0
    ch.WaveformBitsStored = 16
    filters = record.acquisition.filters
    if filters.highpass_hz is not None:
        ch.FilterLowFrequency = f"{filters.highpass_hz:g}"
    if filters.lowpass_hz is not None:
        ch.FilterHighFrequency = f"{filters.lowpass_hz:g}"
    if filters.notch_hz is not None:
        ch.NotchFilterFrequency = f"{filters.notch_hz:g}"
    return ch


def _code(value: str, scheme: str, meaning: str, version: str | None = None) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    if version:
        item.CodingSchemeVersion = version
    item.CodeMeaning = meaning
    return item


def _annotations(case: Case) -> list[Dataset]:
    a = case.analysis
    items = []
    for v in reported_values(a):
        item = _annotation()
        item.ConceptNameCodeSequence = Sequence([_code(v.code.loinc, "LN", v.code.dicom_meaning)])
        item.NumericValue = v.text
        item.MeasurementUnitsCodeSequence = Sequence([_code(v.code.ucum, "UCUM", v.code.ucum, "1.4")])
        items.append(item)
    items += _fiducials(case)
    items += _findings(case)
    texts = [flag_statement(f) for f in a.flags]
    texts += supplementary_lines(a)
    texts += [f"Triage: {a.routing.triage.value}; confidence {a.confidence.value:.2f}; "
              f"review {'required' if a.routing.review else 'not required'}",
              a.narrative]
    texts += [] if DISCLAIMER in a.narrative else [DISCLAIMER]
    texts.append("Result: final (signed by the reviewing clinician)" if case.final
                 else "Result: preliminary (not signed)")
    for text in texts:
        for start in range(0, len(text), _MAX_TEXT):
            item = _annotation()
            item.UnformattedTextValue = text[start:start + _MAX_TEXT]
            items.append(item)
    return items


def _fiducials(case: Case) -> list[Dataset]:
    """Each beat's global boundaries (earliest onset, latest offset across the leads), as
    sample positions (1-based) grouped by beat: the delineation the measurements came from."""
    items = []
    for beat in case.analysis.measurements.beats:
        waves = (("P", beat.p), ("QRS", beat.qrs), ("T", beat.t))
        for name, wave in waves:
            if wave is None:
                continue
            for edge, boundary in (("onset", wave.onset), ("offset", wave.offset)):
                if name == "T" and edge == "onset":
                    continue  # a T onset is not a boundary readers (or clinicians) use
                code, meaning = _BOUNDARIES[(name, edge)]
                item = _annotation()
                item.AnnotationGroupNumber = beat.index + 1
                item.ConceptNameCodeSequence = Sequence([_code(code, "SCPECG", meaning, "1.3")])
                item.TemporalRangeType = "POINT"
                item.ReferencedSamplePositions = boundary.sample + 1
                items.append(item)
    return items


def _findings(case: Case) -> list[Dataset]:
    """One coded annotation per flag with a standard code: "Finding" = the SNOMED CT concept."""
    items = []
    for flag in case.analysis.flags:
        code = finding_code(flag)
        if code is None or code.snomed is None:
            continue  # said in its text statement; no standard code (codes.PRIVATE_CODES)
        item = _annotation()
        item.ConceptNameCodeSequence = Sequence([_code(FINDING[0], FINDING[1], FINDING[2])])
        item.ConceptCodeSequence = Sequence([_code(code.snomed, "SCT", code.snomed_display)])
        items.append(item)
    return items


def _annotation() -> Dataset:
    item = Dataset()
    item.ReferencedWaveformChannels = [1, 0]  # group 1, every channel
    item.AnnotationGroupNumber = 0
    return item
