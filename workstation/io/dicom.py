"""DICOM waveform ECGs (12-lead, General and Ambulatory ECG Waveform Storage) via pydicom.

Channel sensitivity, baseline and correction factor are applied by pydicom; units come from
each channel's ``ChannelSensitivityUnitsSequence`` (UCUM: uV, mV). The rhythm multiplex group
becomes the record; a "MEDIAN BEAT" group becomes :class:`MedianBeats`. The device's
measurements, statements and fiducial points come from ``WaveformAnnotationSequence``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.waveforms.numpy_handler import multiplex_array

from workstation.core.leads import normalise_lead_name
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

ECG_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.9.1.1": "12-lead ECG",
    "1.2.840.10008.5.1.4.1.1.9.1.2": "General ECG",
    "1.2.840.10008.5.1.4.1.1.9.1.3": "Ambulatory ECG",
}
_UNIT_TO_MV = {"uv": 1e-3, "mv": 1.0, "v": 1e3, "nv": 1e-6}
#: DICOM/SCP-ECG code meanings -> the workstation's canonical measurement names.
_MEASUREMENT_NAMES = {
    "rr interval": "RR", "pp interval": "PP", "pr interval": "PR", "qrs duration": "QRS",
    "qt interval": "QT", "qtc interval": "QTc", "p axis": "P axis", "qrs axis": "QRS axis",
    "t axis": "T axis", "p duration": "P duration", "ventricular rate": "Ventricular rate",
    "heart rate": "Ventricular rate", "atrial rate": "Atrial rate",
}


def sniff(path: Path, head: bytes) -> bool:
    """The DICM magic after the 128-byte preamble (files without preamble are not accepted)."""
    return len(head) >= 132 and head[128:132] == b"DICM"


def read(path: Path) -> ECGRecord:
    ds = pydicom.dcmread(str(path))
    sop = str(ds.get("SOPClassUID", ""))
    if sop not in ECG_SOP_CLASSES:
        from workstation.scan.ingest import is_dicom_image  # image processing only when needed

        if is_dicom_image(sop):  # a printout as secondary capture or encapsulated PDF: digitise it
            from workstation.scan.record import read_image_record

            return read_image_record(path)
        name = getattr(ds.get("SOPClassUID"), "name", sop) or "unknown"
        raise ValueError(f"DICOM object is not an ECG waveform (SOP class: {name})")
    groups = list(ds.get("WaveformSequence", []))
    if not groups:
        raise ValueError("no WaveformSequence in the DICOM ECG")
    rhythm = _pick_group(groups, median=False)
    median = _pick_group(groups, median=True)
    signals, fs, leads = _group_signals(ds, groups, rhythm)
    medians = None
    if median is not None:
        m_signals, m_fs, m_leads = _group_signals(ds, groups, median)
        medians = MedianBeats(m_signals, m_fs, tuple(lead.name for lead in m_leads))
    return ECGRecord.from_array(
        signals, fs, leads,
        SourceInfo(path, "DICOM waveform", f"{ECG_SOP_CLASSES[sop]} Waveform Storage"),
        patient=_patient(ds),
        acquisition=_acquisition(ds, groups[rhythm]),
        device_report=_device_report(ds, medians, fs),
        median_beats=medians,
    )


def _pick_group(groups: list[Dataset], *, median: bool) -> int | None:
    labels = [str(g.get("MultiplexGroupLabel", "")).upper() for g in groups]
    matches = [i for i, label in enumerate(labels) if ("MEDIAN" in label) == median]
    if median:
        return matches[0] if matches else None
    if not matches:
        raise ValueError("only median-beat waveforms, no rhythm data")
    return max(matches, key=lambda i: int(groups[i].NumberOfWaveformSamples))


def _group_signals(ds: Dataset, groups: list[Dataset], index: int) -> tuple[np.ndarray, float, list[Lead]]:
    group = groups[index]
    fs = float(group.SamplingFrequency)
    data = np.asarray(ds.waveform_array(index), dtype=np.float64).T  # (channels, samples)
    padding = _padding_value(group)
    if padding is not None:  # samples written as the padding value are gaps, not signal
        raw = multiplex_array(ds, index, as_raw=True).T
        data[raw == padding] = np.nan
    channels = list(group.ChannelDefinitionSequence)
    if data.shape[0] != len(channels):
        raise ValueError(f"{data.shape[0]} channels of data for {len(channels)} channel definitions")
    leads, factors = [], []
    for ch in channels:
        raw_name = _channel_name(ch)
        leads.append(Lead(normalise_lead_name(raw_name), raw_name))
        factors.append(_channel_factor(ch, raw_name))
    return (data * np.asarray(factors)[:, None]).astype(np.float32), fs, leads


def _padding_value(group: Dataset) -> int | None:
    """Waveform Padding Value (OB, in the group's sample interpretation), or None."""
    raw = group.get("WaveformPaddingValue")
    kind = str(group.get("WaveformSampleInterpretation", ""))
    if not raw or kind not in ("SS", "US", "SB", "UB"):
        return None
    width = int(group.get("WaveformBitsAllocated", 16)) // 8
    return int.from_bytes(bytes(raw)[:width], "little", signed=kind in ("SS", "SB"))


def _channel_name(ch: Dataset) -> str:
    source = ch.get("ChannelSourceSequence")
    if source and "CodeMeaning" in source[0]:
        return str(source[0].CodeMeaning)
    return str(ch.get("ChannelLabel", "?"))


def _channel_factor(ch: Dataset, name: str) -> float:
    units = ch.get("ChannelSensitivityUnitsSequence")
    unit = str(units[0].CodeValue).strip().lower() if units else "uv"
    if unit not in _UNIT_TO_MV:
        raise ValueError(f"channel {name}: unsupported sensitivity unit {unit!r}")
    return _UNIT_TO_MV[unit]


def _patient(ds: Dataset) -> Patient:
    age = str(ds.get("PatientAge", "") or "")
    age_years = float(age[:3]) if age[:3].isdigit() and age.endswith("Y") else None
    sex = str(ds.get("PatientSex", "") or "").upper()[:1] or None
    return Patient(
        patient_id=str(ds.get("PatientID", "") or "") or None,
        name=str(ds.get("PatientName", "") or "") or None,
        birth_date=_date_text(str(ds.get("PatientBirthDate", "") or "")),
        sex=sex if sex in ("M", "F") else None,
        age_years=age_years,
    )


def _acquisition(ds: Dataset, group: Dataset) -> Acquisition:
    channel = group.ChannelDefinitionSequence[0]
    notch = _float(channel.get("NotchFilterFrequency"))
    filters = FilterSettings(
        highpass_hz=_float(channel.get("FilterLowFrequency")),
        lowpass_hz=_float(channel.get("FilterHighFrequency")),
        notch_hz=notch if notch else None,
    )
    device = " ".join(str(ds.get(k, "") or "") for k in ("Manufacturer", "ManufacturerModelName"))
    return Acquisition(time=_datetime(ds), device=device.strip() or None,
                       site=str(ds.get("InstitutionName", "") or "") or None, filters=filters)


def _device_report(ds: Dataset, medians: MedianBeats | None, fs: float) -> DeviceReport:
    measurements, statements, fiducials = [], [], []
    median_len = medians.signals.shape[1] if medians is not None else 0
    for item in ds.get("WaveformAnnotationSequence", []):
        meaning = _concept(item)
        if "UnformattedTextValue" in item:
            statements.append(str(item.UnformattedTextValue).strip())
        elif "NumericValue" in item and meaning:
            units = item.get("MeasurementUnitsCodeSequence")
            unit = str(units[0].CodeValue) if units else ""
            name = _MEASUREMENT_NAMES.get(meaning.lower(), meaning)
            if unit == "ms" and float(item.NumericValue) == 0:
                continue  # devices write 0 for an interval they did not measure (e.g. PP)
            measurements.append(DeviceMeasurement(name, float(item.NumericValue), unit))
        elif "ReferencedSamplePositions" in item and meaning:
            positions = item.ReferencedSamplePositions
            position = int(positions[0] if isinstance(positions, MultiValue) else positions)
            fiducials.append(Fiducial(meaning, position - 1,  # DICOM sample positions are 1-based
                                      beat=int(item.get("AnnotationGroupNumber", 0))))
    fiducials = _mark_median_sets(fiducials, median_len, fs)
    return DeviceReport(program=str(ds.get("Manufacturer", "") or "") or None,
                        measurements=tuple(measurements), statements=tuple(s for s in statements if s),
                        fiducials=tuple(fiducials))


def _mark_median_sets(fiducials: list[Fiducial], median_len: int, fs: float) -> list[Fiducial]:
    """Flag the fiducial set that describes the median beat rather than a rhythm beat.

    Devices (e.g. Mortara) declare every set on the rhythm group, yet the first set's
    positions are those of the median beat. Two rhythm beats cannot have fiducial points
    closer than 200 ms (the ventricular refractory period), so when the first set's
    fiducial point lies that close to the second's and the first set fits in the median
    beat, the first set is taken as the median's.
    """
    sets: dict[int | None, list[Fiducial]] = {}
    for f in fiducials:
        sets.setdefault(f.beat, []).append(f)
    if not median_len or len(sets) < 2:
        return fiducials
    keys = sorted(sets, key=lambda k: -1 if k is None else k)
    first, second = (_fiducial_point(sets[k]) for k in keys[:2])
    fits = max(f.sample for f in sets[keys[0]]) < median_len
    if first is None or second is None or not fits or abs(second - first) >= 0.2 * fs:
        return fiducials
    return [Fiducial(f.kind, f.sample, f.lead, f.beat, on_median=f.beat == keys[0]) for f in fiducials]


def _fiducial_point(items: list[Fiducial]) -> int | None:
    return next((f.sample for f in items if f.kind.lower() == "fiducial point"), None)


def _concept(item: Dataset) -> str | None:
    seq = item.get("ConceptNameCodeSequence")
    return str(seq[0].CodeMeaning) if seq and "CodeMeaning" in seq[0] else None


def _float(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _date_text(value: str) -> str | None:
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value or None


def _datetime(ds: Dataset) -> dt.datetime | None:
    text = str(ds.get("AcquisitionDateTime", "") or "")
    if not text:
        text = str(ds.get("ContentDate", "") or "") + str(ds.get("ContentTime", "") or "")
    text = text.split(".")[0].split("+")[0]
    for fmt in ("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text[: len(dt.datetime(2000, 1, 1).strftime(fmt))], fmt)
        except ValueError:
            continue
    return None


SPEC = ReaderSpec(name="DICOM waveform", extensions=(".dcm",), sniff=sniff, read=read)
