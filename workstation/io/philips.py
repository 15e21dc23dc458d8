"""Philips Sierra ECG XML 1.03 / 1.04 / 1.04.01 (root element ``restingecgdata``).

The rhythm waveforms are XLI-compressed (LZW + second differences); the maintained
``sierraecg`` package decodes them and rebuilds III, aVR, aVL and aVF from I, II and the
stored residuals. Everything else (resolution, sampling rate, patient, acquisition,
filters, the Philips measurements and statements) is parsed here from the XML itself.

Samples are int16 counts of ``resolution`` microvolts (5 uV in every known file; the
1 mV calibration pulse that PageWriters append at the end is 200 counts). Before the
package runs, the compressed chunks are walked here so that a damaged length field is
refused instead of sending the decoder into an endless loop.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import struct
import warnings
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np
import sierraecg

from workstation.core.leads import normalise_lead_name, sort_key
from workstation.core.record import (
    MAX_ABS_MV,
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

FORMAT_NAME = "Philips Sierra ECG XML"
#: III, aVR, aVL, aVF may differ from Einthoven/Goldberger by the rounding of the stored
#: residuals (observed: at most 2 counts); anything larger means a wrong reconstruction.
EINTHOVEN_TOLERANCE_COUNTS = 3
#: resolutions outside this range (uV per count) are not a 16-bit surface ECG
_RESOLUTION_RANGE_UV = (0.1, 100.0)
#: global measurement element -> (canonical name, unit); the first found of a name wins
_GLOBAL = (
    ("heartrate", "Ventricular rate", "bpm"), ("meanventrate", "Ventricular rate", "bpm"),
    ("atrialrate", "Atrial rate", "bpm"), ("rrint", "RR", "ms"),
    ("pdur", "P duration", "ms"), ("print", "PR", "ms"), ("meanprint", "PR", "ms"),
    ("qrsdur", "QRS", "ms"), ("meanqrsdur", "QRS", "ms"),
    ("qtint", "QT", "ms"), ("meanqtint", "QT", "ms"),
    ("qtcb", "QTc", "ms"), ("meanqtc", "QTc", "ms"), ("qtcf", "QTcF", "ms"),
    ("pfrontaxis", "P axis", "deg"), ("qrsfrontaxis", "QRS axis", "deg"),
    ("tfrontaxis", "T axis", "deg"), ("i40frontaxis", "I40 frontal axis", "deg"),
    ("t40frontaxis", "T40 frontal axis", "deg"), ("stfrontaxis", "ST frontal axis", "deg"),
    ("phorizaxis", "P horizontal axis", "deg"), ("qrshorizaxis", "QRS horizontal axis", "deg"),
    ("thorizaxis", "T horizontal axis", "deg"), ("sthorizaxis", "ST horizontal axis", "deg"),
    ("qtintdispersion", "QT dispersion", "ms"),
)
#: per-lead measurement element -> (name, unit)
_PER_LEAD = (
    ("pamp", "P amplitude", "uV"), ("qamp", "Q amplitude", "uV"), ("ramp", "R amplitude", "uV"),
    ("samp", "S amplitude", "uV"), ("tamp", "T amplitude", "uV"), ("stmid", "ST mid", "uV"),
    ("st80", "ST80", "uV"), ("pdur", "P duration", "ms"), ("qrsdur", "QRS", "ms"),
    ("print", "PR", "ms"), ("qtint", "QT", "ms"),
)
_SEX = {"male": "M", "female": "F"}
_PLACEHOLDERS = {"", "---", "--", "-"}


def sniff(path: Path, head: bytes) -> bool:
    """Recognised by the root element, also in UTF-16 files."""
    return root_tag(head) == "restingecgdata"


def read(path: Path) -> ECGRecord:
    """Read a Philips Sierra ECG XML file into an :class:`ECGRecord` (mV, float32).

    Raises
    ------
    ValueError
        When the waveform section is missing, damaged or disagrees with its declarations,
        or when the rebuilt limb leads break Einthoven's law.
    """
    root = parse_xml(path)
    if local(root.tag) != "restingecgdata":
        raise ValueError(f"root element is <{local(root.tag)}>, not <restingecgdata>")
    waves = find_local(root, "waveforms", "parsedwaveforms")
    if waves is None:
        raise ValueError("no <waveforms>/<parsedwaveforms> element")
    fs, resolution_uv, n_samples = _signal_parameters(root, waves)
    n_chunks = _check_xli_chunks(waves)
    decoded = _decode(path)
    names, counts = _rhythm_counts(decoded, n_samples, n_chunks)
    _check_einthoven(names, counts)
    pulse = _calibration_pulse(counts, resolution_uv, fs)
    leads = [Lead(normalise_lead_name(n), n) for n in names]
    version = text_of(root, "documentinfo", "documentversion") or "?"
    interpretation = find_local(root, "interpretations", "interpretation")
    return ECGRecord.from_array(
        counts * (resolution_uv / 1000.0), fs, leads,
        SourceInfo(path, FORMAT_NAME, f"version {version}"),
        patient=_patient(root),
        acquisition=_acquisition(root, waves),
        device_report=_device_report(root, interpretation, decoded),
        median_beats=_median_beats(decoded),
        comments=_comments(interpretation, n_chunks - len(names)) + pulse,
    )


# -- waveforms ----------------------------------------------------------------------------
def _signal_parameters(root: Element, waves: Element) -> tuple[float, float, int]:
    """Sampling rate (Hz), resolution (uV per count) and samples per lead, cross-checked."""
    chars = find_local(root, "dataacquisition", "signalcharacteristics")
    fs = _agreed("sampling rate", waves.get("samplespersecond"), text_of(chars, "samplingrate"))
    if not fs > 0:
        raise ValueError(f"sampling rate {fs:g} Hz is invalid")
    resolution = _agreed("signal resolution", waves.get("resolution"), text_of(chars, "resolution"),
                         text_of(chars, "signalresolution"))
    low, high = _RESOLUTION_RANGE_UV
    if not low <= resolution <= high:
        raise ValueError(f"signal resolution {resolution:g} uV per count is implausible")
    duration_ms = _float(waves.get("durationperchannel"))
    if duration_ms is None or duration_ms <= 0:
        raise ValueError("missing or invalid durationperchannel")
    return fs, resolution, int(round(duration_ms * fs / 1000.0))


def _agreed(what: str, *texts: str | None) -> float:
    """The one value that every place stating ``what`` gives; missing or conflicting is an error."""
    stated = [t for t in texts if t is not None]
    values = {_float(t) for t in stated}
    if not values:
        raise ValueError(f"missing {what}")
    if len(values) > 1 or None in values:
        raise ValueError(f"conflicting or invalid {what}: {', '.join(stated)}")
    return values.pop()


def _check_xli_chunks(waves: Element) -> int:
    """Walk the XLI chunk headers; returns the number of chunks (one per lead).

    ``sierraecg`` trusts each chunk's length field; a damaged one could make it loop
    forever, so the layout is verified first.
    """
    method = (waves.get("compressmethod") or waves.get("compression") or "Uncompressed").upper()
    if method != "XLI":
        # the package's limb-lead reconstruction only holds for XLI residuals
        raise ValueError(f"waveform compression {method!r} is not supported (only XLI)")
    if (waves.get("dataencoding") or "").lower() != "base64":
        raise ValueError(f"waveform encoding {waves.get('dataencoding')!r} is not supported")
    try:
        data = base64.b64decode("".join((waves.text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid base64 waveform data ({exc})") from exc
    offset, chunks = 0, 0
    while offset < len(data):
        if offset + 8 > len(data):
            raise ValueError(f"XLI chunk {chunks + 1}: truncated header at byte {offset}")
        (size,) = struct.unpack_from("<i", data, offset)
        if size <= 0 or offset + 8 + size > len(data):
            raise ValueError(f"XLI chunk {chunks + 1}: length {size} does not fit the data")
        offset += 8 + size
        chunks += 1
    if chunks == 0:
        raise ValueError("no waveform data")
    return chunks


def _decode(path: Path) -> sierraecg.SierraEcgFile:
    """Run sierraecg; an int16 overflow while it rebuilds the limb leads is an error,
    never a silently wrapped sample."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return sierraecg.read_file(str(path), include_repbeats=True)
        except RuntimeWarning as exc:
            raise ValueError(f"waveform decoding overflowed ({exc})") from exc


def _rhythm_counts(decoded: sierraecg.SierraEcgFile, n_samples: int,
                   n_chunks: int) -> tuple[list[str], np.ndarray]:
    leads = list(decoded.leads)
    if len(leads) > n_chunks:
        raise ValueError(f"{len(leads)} lead labels for only {n_chunks} compressed leads")
    names = [str(lead.label) for lead in leads]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate lead labels: {' '.join(names)}")
    for lead in leads:
        if len(lead.samples) != n_samples:
            raise ValueError(f"lead {lead.label}: {len(lead.samples)} samples decoded, "
                             f"{n_samples} declared (durationperchannel)")
    return names, np.vstack([np.asarray(lead.samples, dtype=np.float64) for lead in leads])


def _check_einthoven(names: list[str], counts: np.ndarray) -> None:
    """III = II - I, aVR = -(I+II)/2, aVL = I - II/2, aVF = II - I/2, to rounding.

    The calibration pulse (the same value in every lead) is left out: it is not an ECG.
    """
    index = {normalise_lead_name(n): i for i, n in enumerate(names)}
    if not all(n in index for n in ("I", "II", "III", "aVR", "aVL", "aVF")):
        return
    i, ii = counts[index["I"]], counts[index["II"]]
    expected = {"III": ii - i, "aVR": -(i + ii) / 2, "aVL": i - ii / 2, "aVF": ii - i / 2}
    pulse = _pulse_mask(counts)
    for name, want in expected.items():
        error = np.abs(counts[index[name]] - want)[~pulse]
        worst = float(error.max()) if error.size else 0.0
        if worst > EINTHOVEN_TOLERANCE_COUNTS:
            raise ValueError(f"lead {name} differs from its Einthoven/Goldberger value by "
                             f"{worst:g} counts: the limb leads were not rebuilt correctly")


def _pulse_mask(counts: np.ndarray) -> np.ndarray:
    """Samples where every lead holds the same non-zero value: a calibration pulse, not ECG."""
    return np.all(counts == counts[:1], axis=0) & (counts[0] != 0)


def _calibration_pulse(counts: np.ndarray, resolution_uv: float, fs: float) -> tuple[str, ...]:
    """Check the stated resolution against the 1 mV calibration pulse, where there is one.

    The pulse is the only stretch where all leads hold the same non-zero value. A pulse far
    from 1 mV (beyond a half- or double-standard) means the resolution or its unit is wrong.
    """
    pulse = _pulse_mask(counts)
    if pulse.sum() < 0.02 * fs:  # shorter than 20 ms: no pulse
        return ()
    amplitude = float(np.median(counts[0, pulse])) * resolution_uv / 1000.0
    if not 0.45 <= abs(amplitude) <= 2.2:
        raise ValueError(f"the calibration pulse measures {amplitude:.3g} mV, not 1 mV: the "
                         f"signal resolution ({resolution_uv:g} uV per count) cannot be right")
    where = np.flatnonzero(pulse)
    return (f"{amplitude:.2f} mV calibration pulse at {where[0] / fs:.2f}-{(where[-1] + 1) / fs:.2f} s",)


def _median_beats(decoded: sierraecg.SierraEcgFile) -> MedianBeats | None:
    """Representative beats (stored uncompressed, with their own rate and resolution)."""
    beats = dict(getattr(decoded, "repbeats", {}) or {})
    if not beats:
        return None
    rates = {b.sampling_freq for b in beats.values()}
    resolutions = {b.resolution for b in beats.values()}
    lengths = {len(b.samples) for b in beats.values()}
    if len(rates) != 1 or len(resolutions) != 1 or len(lengths) != 1:
        raise ValueError("representative beats differ in rate, resolution or length")
    fs, resolution, length = rates.pop(), resolutions.pop(), lengths.pop()
    if not fs > 0 or not resolution > 0:
        raise ValueError("representative beats: missing samplespersec or resolution")
    for label, beat in beats.items():
        if beat.duration and abs(beat.duration * fs / 1000.0 - length) > 1:
            raise ValueError(f"representative beat {label}: {length} samples for "
                             f"{beat.duration} ms at {fs} Hz")
    names = sorted(beats, key=lambda n: sort_key(normalise_lead_name(n)))
    counts = _trim_padding(np.vstack([np.asarray(beats[n].samples, dtype=np.float64) for n in names]))
    signals = counts * (resolution / 1000.0)
    peak = float(np.abs(signals).max()) if signals.size else 0.0
    if not signals.size or peak > MAX_ABS_MV:
        raise ValueError(f"representative beats: peak {peak:.1f} mV is not plausible")
    return MedianBeats(signals.astype(np.float32), float(fs),
                       tuple(normalise_lead_name(n) for n in names))


def _trim_padding(counts: np.ndarray) -> np.ndarray:
    """Drop trailing samples that hold an int16 extreme in every lead.

    1.04 files store 1.2 s beats in 2.4 s slots, filling the rest with 32767.
    """
    padding = np.all((counts == 32767) | (counts == -32768), axis=0)
    end = len(padding)
    while end and padding[end - 1]:
        end -= 1
    return counts[:, :end]


# -- context ------------------------------------------------------------------------------
def _patient(root: Element) -> Patient:
    general = find_local(root, "patient", "generalpatientdata")
    if general is None:
        return Patient()
    last, first = _clean(text_of(general, "name", "lastname")), _clean(text_of(general, "name", "firstname"))
    return Patient(
        patient_id=_clean(text_of(general, "patientid")),
        name=", ".join(p for p in (last, first) if p) or None,
        birth_date=_clean(text_of(general, "age", "dateofbirth")),
        sex=_SEX.get((text_of(general, "sex") or "").lower()),
        # <age defaultage="50"> is the analysis default, not the patient's age
        age_years=_float(text_of(general, "age", "years")),
    )


def _acquisition(root: Element, waves: Element) -> Acquisition:
    acq = find_local(root, "dataacquisition")
    if acq is None:
        return Acquisition(filters=_filters(root, waves))
    machine = find_local(acq, "machine")
    device = None
    if machine is not None:
        parts = [_clean(machine.text), _clean(machine.get("detaildescription"))]
        device = " / ".join(p for p in parts if p) or None
        if device and _clean(machine.get("machineid")):
            device += f" (id {machine.get('machineid')})"
    site = _clean(text_of(acq, "acquirer", "institutionname")) or \
        _clean(text_of(acq, "acquirer", "departmentname"))
    return Acquisition(time=_datetime(acq.get("date"), acq.get("time")), device=device,
                       site=site, filters=_filters(root, waves))


def _filters(root: Element, waves: Element) -> FilterSettings:
    """The bandwidth of the stored samples (not the report's display filters)."""
    chars = find_local(root, "dataacquisition", "signalcharacteristics")  # text_of accepts None
    high = _float(waves.get("hipass") or text_of(chars, "hipass"))
    low = _float(waves.get("lowpass") or text_of(chars, "lowpass"))
    band = text_of(chars, "signalbandwidth")  # 1.03: "0.05-150"
    if band and (high is None or low is None) and band.count("-") == 1:
        high, low = (_float(x) for x in band.split("-"))
    notch = None
    if (waves.get("notchfiltered") or "").lower() == "true":
        notch = _float(waves.get("notchfilterfreqs") or text_of(chars, "acsetting"))
    return FilterSettings(highpass_hz=high, lowpass_hz=low, notch_hz=notch or None)


# -- Philips report -----------------------------------------------------------------------
def _device_report(root: Element, interpretation: Element | None,
                   decoded: sierraecg.SierraEcgFile) -> DeviceReport:
    blocks = _measurement_blocks(root, interpretation)
    measurements = _global_measurements(blocks) + _lead_measurements(root)
    statements: list[str] = []
    program = "Philips"
    if interpretation is not None:
        statements = _statements(interpretation)
        criteria = interpretation.get("criteriaversion")
        program += f" ECG analysis (criteria {criteria})" if criteria else " ECG analysis"
    fiducials = _median_fiducials(blocks, decoded)
    return DeviceReport(program=program, measurements=tuple(measurements),
                        statements=tuple(statements), fiducials=tuple(fiducials))


def _measurement_blocks(root: Element, interpretation: Element | None) -> list[Element]:
    """Where global measurements live, best first (the interpretation's, then the means)."""
    paths = [("globalmeasurements",), ("interpretationmeasurements",)]
    blocks = [find_local(interpretation, *p) for p in paths] if interpretation is not None else []
    blocks += [find_local(root, "internalmeasurements", "crossleadmeasurements"),
               find_local(root, "measurements", "globalmeasurements")]
    return [b for b in blocks if b is not None]


def _global_measurements(blocks: list[Element]) -> list[DeviceMeasurement]:
    found: dict[str, DeviceMeasurement] = {}
    for block in blocks:
        for tag, name, unit in _GLOBAL:
            value = _float(text_of(block, tag))  # "Indeterminate", "Failed" -> None
            if value is not None and name not in found:
                found[name] = DeviceMeasurement(name, value, unit)
    return list(found.values())


def _lead_measurements(root: Element) -> list[DeviceMeasurement]:
    container = find_local(root, "internalmeasurements", "leadmeasurements")
    if container is None:
        container = find_local(root, "measurements", "leadmeasurements")
    if container is None:
        return []
    found = []
    for item in (c for c in container if local(c.tag) == "leadmeasurement"):
        lead = item.get("leadname")
        if not lead:  # without its lead name a per-lead value cannot be placed
            continue
        for tag, name, unit in _PER_LEAD:
            value = _float(text_of(item, tag))
            if value is not None:
                found.append(DeviceMeasurement(name, value, unit, lead=normalise_lead_name(lead)))
    return found


def _median_fiducials(blocks: list[Element], decoded: sierraecg.SierraEcgFile) -> list[Fiducial]:
    """QRS onset of the representative beat (``qonset``, in ms from its start)."""
    beats = dict(getattr(decoded, "repbeats", {}) or {})
    fs = next(iter(beats.values())).sampling_freq if beats else 0
    onset = next((v for b in blocks if (v := _float(text_of(b, "qonset"))) is not None), None)
    if not fs or onset is None or onset < 0:
        return []
    return [Fiducial("QRS onset", round(onset * fs / 1000.0), on_median=True)]


def _statements(interpretation: Element) -> list[str]:
    statements = []
    for item in (c for c in interpretation if local(c.tag) == "statement"):
        left, right = _clean(text_of(item, "leftstatement")), _clean(text_of(item, "rightstatement"))
        text = ", ".join(p for p in (left, right) if p)
        if text:
            statements.append(text)
    severity = _clean((text_of(interpretation, "severity") or "").strip(" -"))
    if severity:
        statements.append(severity)
    return statements


def _comments(interpretation: Element | None, unlabelled: int) -> tuple[str, ...]:
    comments = []
    if interpretation is not None:
        signature = _clean(text_of(interpretation, "mdsignatureline"))
        comments += [signature] if signature else []
    if unlabelled > 0:
        # 1.03 files carry compressed channels beyond the labelled leads; they are not read
        comments.append(f"{unlabelled} further compressed channels without a lead label were not read")
    return tuple(comments)


# -- small parsers ------------------------------------------------------------------------
def _clean(text: str | None) -> str | None:
    value = (text or "").strip()
    return None if value in _PLACEHOLDERS else value


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _datetime(date: str | None, time: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(f"{date} {time or '00:00:00'}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


SPEC = ReaderSpec(name=FORMAT_NAME, extensions=(".xml",), sniff=sniff, read=read)
