"""GE MUSE resting ECG XML (root element ``RestingECG``).

MUSE stores each lead of the rhythm and median waveforms as base64 little-endian int16
(``WaveFormData``) with its own scale (``LeadAmplitudeUnitsPerBit`` in
``LeadAmplitudeUnits``) and a CRC-32 of the decoded bytes. Usually only the 8 independent
leads (I, II, V1-V6) are stored; III, aVR, aVL and aVF are derived and marked as such.
The GE 12SL program's measurements, fiducial points (on the median beat) and statements
become the :class:`DeviceReport`.

Every declared count (leads, bytes, samples, CRC) is checked: a file that disagrees with
itself is refused with a ValueError rather than shown as a wrong signal.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import zlib
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np

from workstation.core.leads import DERIVABLE_LEADS, derive_limb_leads, normalise_lead_name, sort_key
from workstation.core.record import (
    Acquisition,
    DeviceMeasurement,
    DeviceReport,
    ECGRecord,
    Fiducial,
    FilterSettings,
    Lead,
    MedianBeats,
    Patient,
    SourceInfo,
)
from workstation.io.registry import ReaderSpec
from workstation.io.xmlutil import find_local, local, parse_xml, root_tag, text_of

FORMAT_NAME = "GE MUSE XML"
_UNIT_TO_MV = {"MICROVOLTS": 1e-3, "MILLIVOLTS": 1.0, "VOLTS": 1e3, "NANOVOLTS": 1e-6}
#: 12SL measurement element -> (canonical name, unit)
_MEASUREMENTS = (
    ("VentricularRate", "Ventricular rate", "bpm"),
    ("AtrialRate", "Atrial rate", "bpm"),
    ("PRInterval", "PR", "ms"),
    ("QRSDuration", "QRS", "ms"),
    ("QTInterval", "QT", "ms"),
    ("QTCorrected", "QTc", "ms"),
    ("QTcFrederica", "QTcF", "ms"),  # GE's spelling of Fridericia
    ("PAxis", "P axis", "deg"),
    ("RAxis", "QRS axis", "deg"),
    ("TAxis", "T axis", "deg"),
    ("QRSCount", "QRS count", "beats"),
)
#: 12SL fiducial element -> Fiducial kind. Positions are samples of the median beat.
_FIDUCIALS = (
    ("POnset", "P onset"), ("POffset", "P offset"), ("QOnset", "QRS onset"),
    ("QOffset", "QRS offset"), ("TOffset", "T offset"),
)
_SEX = {"MALE": "M", "FEMALE": "F"}


def sniff(path: Path, head: bytes) -> bool:
    """A MUSE export is recognised by its root element, whatever the file is called."""
    return root_tag(head) == "RestingECG"


def read(path: Path) -> ECGRecord:
    """Read a MUSE ``RestingECG`` XML file into an :class:`ECGRecord` (mV, float32).

    Raises
    ------
    ValueError
        When the waveforms are missing, undecodable or disagree with their declarations.
    """
    root = parse_xml(path)
    if local(root.tag) != "RestingECG":
        raise ValueError(f"root element is <{local(root.tag)}>, not <RestingECG>")
    rhythm_el = _waveform_element(root, "Rhythm")
    if rhythm_el is None:
        raise ValueError("no <Waveform> of type Rhythm")
    signals, fs, names = _read_waveform(rhythm_el, "Rhythm")
    median = _read_median(root)
    leads = [Lead(normalise_lead_name(n), n) for n in names]
    statements, original = _statements(root, "Diagnosis"), _statements(root, "OriginalDiagnosis")
    record = ECGRecord.from_array(
        signals, fs, leads,
        SourceInfo(path, FORMAT_NAME, _detail(root)),
        patient=_patient(root),
        acquisition=_acquisition(root, rhythm_el),
        device_report=_device_report(root, median, fs, statements or original),
        median_beats=median,
        comments=_comments(root, statements, original),
    )
    return record.with_derived_limb_leads()


# -- waveforms ----------------------------------------------------------------------------
def _waveform_element(root: Element, kind: str) -> Element | None:
    for element in root:
        declared = (text_of(element, "WaveformType") or "").lower()
        if local(element.tag) == "Waveform" and declared == kind.lower():
            return element
    return None


def _read_waveform(element: Element, kind: str) -> tuple[np.ndarray, float, list[str]]:
    """Samples (mV, leads x samples), sampling rate and lead names of one ``<Waveform>``."""
    fs = _sampling_rate(element, "SampleBase", "SampleExponent", kind)
    lead_elements = [c for c in element if local(c.tag) == "LeadData"]
    if not lead_elements:
        raise ValueError(f"{kind} waveform has no <LeadData>")
    declared = _int(text_of(element, "NumberofLeads"))
    if declared is not None and declared != len(lead_elements):
        raise ValueError(f"{kind} waveform declares {declared} leads but holds {len(lead_elements)}")
    names, rows = [], []
    for lead_el in lead_elements:
        name, samples = _read_lead(lead_el, kind)
        if name in names:
            raise ValueError(f"{kind} waveform: lead {name} appears twice")
        names.append(name)
        rows.append(samples)
    lengths = {len(r) for r in rows}
    if len(lengths) != 1:
        detail = ", ".join(f"{n}: {len(r)}" for n, r in zip(names, rows))
        raise ValueError(f"{kind} waveform: leads have different lengths ({detail})")
    order = sorted(range(len(names)), key=lambda i: sort_key(normalise_lead_name(names[i])))
    return np.vstack([rows[i] for i in order]).astype(np.float32), fs, [names[i] for i in order]


def _read_lead(element: Element, kind: str) -> tuple[str, np.ndarray]:
    """Decode one ``<LeadData>``; every declaration it makes must hold."""
    name = text_of(element, "LeadID")
    if not name:
        raise ValueError(f"{kind} waveform: a <LeadData> has no <LeadID>")
    where = f"{kind} lead {name}"
    raw = _decode_base64(text_of(element, "WaveFormData"), where)
    sample_size = _int(text_of(element, "LeadSampleSize", default="2"))
    if sample_size != 2:
        raise ValueError(f"{where}: sample size {sample_size} bytes is not supported (only 2)")
    if len(raw) % 2:
        raise ValueError(f"{where}: {len(raw)} bytes is not a whole number of 16-bit samples")
    _check_declared(element, "LeadByteCountTotal", len(raw), f"{where}: byte count")
    _check_declared(element, "LeadSampleCountTotal", len(raw) // 2, f"{where}: sample count")
    crc = text_of(element, "LeadDataCRC32")
    if crc is not None and _int(crc) != zlib.crc32(raw):
        raise ValueError(f"{where}: CRC-32 of the samples does not match the file's ({crc})")
    return name, np.frombuffer(raw, dtype="<i2").astype(np.float64) * _lead_scale(element, where)


def _decode_base64(text: str | None, where: str) -> bytes:
    if not text:
        raise ValueError(f"{where}: no <WaveFormData>")
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{where}: invalid base64 waveform data ({exc})") from exc
    if not raw:
        raise ValueError(f"{where}: empty waveform data")
    return raw


def _check_declared(element: Element, tag: str, actual: int, what: str) -> None:
    text = text_of(element, tag)
    if text is None:
        return
    declared = _int(text)
    if declared != actual:
        raise ValueError(f"{what} {actual} does not match the declared {text}")


def _lead_scale(element: Element, where: str) -> float:
    """mV per stored unit, from ``LeadAmplitudeUnitsPerBit`` and ``LeadAmplitudeUnits``."""
    per_bit = _float(text_of(element, "LeadAmplitudeUnitsPerBit"))
    if per_bit is None or not per_bit > 0:
        raise ValueError(f"{where}: missing or invalid LeadAmplitudeUnitsPerBit")
    units = (text_of(element, "LeadAmplitudeUnits") or "").upper()
    if units not in _UNIT_TO_MV:
        raise ValueError(f"{where}: unknown amplitude units {units or '(none)'!r}")
    return per_bit * _UNIT_TO_MV[units]


def _sampling_rate(element: Element, base_tag: str, exp_tag: str, kind: str) -> float:
    base = _float(text_of(element, base_tag))
    exponent = _int(text_of(element, exp_tag, default="0"))
    if base is None or exponent is None or not base > 0 or abs(exponent) > 6:
        raise ValueError(f"{kind} waveform: missing or invalid {base_tag}/{exp_tag}")
    return base * 10.0 ** exponent


def _read_median(root: Element) -> MedianBeats | None:
    element = _waveform_element(root, "Median")
    if element is None:
        return None
    signals, fs, names = _read_waveform(element, "Median")
    signals, names = _add_derived(signals, [normalise_lead_name(n) for n in names])
    return MedianBeats(signals.astype(np.float32), fs, tuple(names))


def _add_derived(signals: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Median beats with III, aVR, aVL, aVF computed from I and II, in standard lead order."""
    missing = [n for n in DERIVABLE_LEADS if n not in names]
    if not missing or "I" not in names or "II" not in names:
        return signals, names
    derived = derive_limb_leads(signals[names.index("I")], signals[names.index("II")])
    rows = dict(zip(names, signals)) | {n: derived[n] for n in missing}
    order = sorted(rows, key=sort_key)
    return np.vstack([rows[n] for n in order]), order


# -- context ------------------------------------------------------------------------------
def _patient(root: Element) -> Patient:
    demo = find_local(root, "PatientDemographics")
    if demo is None:
        return Patient()
    last, first = text_of(demo, "PatientLastName"), text_of(demo, "PatientFirstName")
    name = ", ".join(p for p in (last, first) if p) or None
    return Patient(
        patient_id=text_of(demo, "PatientID"),
        name=name,
        birth_date=_iso_date(text_of(demo, "DateofBirth")),
        sex=_SEX.get((text_of(demo, "Gender") or "").upper()),
        age_years=_age_years(text_of(demo, "PatientAge"), text_of(demo, "AgeUnits")),
    )


def _age_years(value: str | None, units: str | None) -> float | None:
    age = _float(value)
    per_year = {"YEARS": 1.0, "MONTHS": 12.0, "WEEKS": 52.1775, "DAYS": 365.25, "HOURS": 8766.0}
    factor = per_year.get((units or "YEARS").upper())
    return None if age is None or factor is None else age / factor


def _acquisition(root: Element, rhythm: Element) -> Acquisition:
    test = find_local(root, "TestDemographics")
    device = site = when = None
    if test is not None:
        model, version = text_of(test, "AcquisitionDevice"), text_of(test, "AcquisitionSoftwareVersion")
        device = f"GE {model}" + (f" (software {version})" if version else "") if model else None
        site = text_of(test, "SiteName") or text_of(test, "LocationName")
        when = _datetime(text_of(test, "AcquisitionDate"), text_of(test, "AcquisitionTime"))
    # MUSE gives the high-pass corner in hundredths of a hertz (16 = 0.16 Hz, 56 = 0.56 Hz)
    highpass = _float(text_of(rhythm, "HighPassFilter"))
    filters = FilterSettings(
        highpass_hz=highpass / 100.0 if highpass is not None else None,
        lowpass_hz=_float(text_of(rhythm, "LowPassFilter")),
        notch_hz=_float(text_of(rhythm, "ACFilter")),
    )
    return Acquisition(time=when, device=device, site=site, filters=filters)


def _detail(root: Element) -> str:
    version = text_of(root, "MuseInfo", "MuseVersion")
    status = text_of(root, "TestDemographics", "Status")
    parts = [f"MUSE {version}" if version else "", status.lower() if status else ""]
    return ", ".join(p for p in parts if p)


# -- 12SL report --------------------------------------------------------------------------
def _device_report(root: Element, median: MedianBeats | None, fs: float,
                   statements: tuple[str, ...]) -> DeviceReport:
    block = find_local(root, "RestingECGMeasurements")
    if block is None:  # (an Element's truth value is its child count, so no `or` here)
        block = find_local(root, "OriginalRestingECGMeasurements")
    measurements: list[DeviceMeasurement] = []
    fiducials: list[Fiducial] = []
    if block is not None:
        measurements = _measurements(block)
        fiducials = _median_fiducials(block, median)
    global_rr = _float(text_of(root, "QRSTimesTypes", "GlobalRR"))
    if global_rr is not None:
        measurements.append(DeviceMeasurement("RR", global_rr, "ms"))
    fiducials += _qrs_times(root, fs)
    version = text_of(root, "TestDemographics", "AnalysisSoftwareVersion")
    program = "GE 12SL" + (f" (analysis version {version})" if version else "")
    return DeviceReport(program=program, measurements=tuple(measurements),
                        statements=statements, fiducials=tuple(fiducials))


def _measurements(block: Element) -> list[DeviceMeasurement]:
    found = []
    for tag, name, unit in _MEASUREMENTS:
        value = _float(text_of(block, tag))
        if value is not None:
            found.append(DeviceMeasurement(name, value, unit))
    return found


def _median_fiducials(block: Element, median: MedianBeats | None) -> list[Fiducial]:
    """12SL wave boundaries, given in samples of the median beat at ``ECGSampleBase``."""
    try:
        base_fs = _sampling_rate(block, "ECGSampleBase", "ECGSampleExponent", "measurement")
    except ValueError:
        base_fs = median.fs if median is not None else None
    if base_fs is None:
        return []
    ratio = median.fs / base_fs if median is not None else 1.0
    found = []
    for tag, kind in _FIDUCIALS:
        value = _int(text_of(block, tag))
        if value is not None and value >= 0:
            found.append(Fiducial(kind, round(value * ratio), on_median=True))
    return found


def _qrs_times(root: Element, fs: float) -> list[Fiducial]:
    """The QRS fiducial of each rhythm beat; MUSE gives ``<Time>`` in milliseconds."""
    block = find_local(root, "QRSTimesTypes")
    if block is None:
        return []
    found = []
    for qrs in (c for c in block if local(c.tag) == "QRS"):
        time_ms, number = _float(text_of(qrs, "Time")), _int(text_of(qrs, "Number"))
        if time_ms is not None and time_ms >= 0:
            found.append(Fiducial("fiducial", round(time_ms * fs / 1000.0), beat=number))
    return found


def _statements(root: Element, block_tag: str) -> tuple[str, ...]:
    """Statements of a diagnosis block. A statement may span several ``<DiagnosisStatement>``
    pieces; the piece flagged ``ENDSLINE`` ends it."""
    block = find_local(root, block_tag)
    if block is None:
        return ()
    statements, pieces = [], []
    for item in (c for c in block if local(c.tag) == "DiagnosisStatement"):
        text = text_of(item, "StmtText")
        if text:
            pieces.append(text)
        flags = {(c.text or "").strip().upper() for c in item if local(c.tag) == "StmtFlag"}
        if "ENDSLINE" in flags and pieces:
            statements.append(_join(pieces))
            pieces = []
    if pieces:
        statements.append(_join(pieces))
    return tuple(statements)


def _join(pieces: list[str]) -> str:
    text = pieces[0]
    for piece in pieces[1:]:
        # ", age undetermined" continues the previous words without a space
        text += piece if piece[:1] in ",.;:" else " " + piece
    return text


def _comments(root: Element, statements: tuple[str, ...], original: tuple[str, ...]) -> tuple[str, ...]:
    comments = []
    if statements and original and statements != original:
        comments.append("Original (unedited) 12SL statements: " + "; ".join(original))
    editor = text_of(root, "TestDemographics", "EditListStatus")
    if editor:
        comments.append(f"MUSE edit status: {editor}")
    return tuple(comments)


# -- small parsers ------------------------------------------------------------------------
def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _int(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text is not None else None
    except ValueError:
        return None


def _iso_date(text: str | None) -> str | None:
    """MUSE dates are MM-DD-YYYY."""
    try:
        return dt.datetime.strptime(text or "", "%m-%d-%Y").date().isoformat()
    except ValueError:
        return text or None


def _datetime(date: str | None, time: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(f"{date} {time or '00:00:00'}", "%m-%d-%Y %H:%M:%S")
    except ValueError:
        return None


SPEC = ReaderSpec(name=FORMAT_NAME, extensions=(".xml",), sniff=sniff, read=read)
