"""HL7 v3 annotated ECG, the FDA's aECG format (root element ``AnnotatedECG``).

A ``series`` (RHYTHM preferred) holds a ``sequenceSet``: one time sequence (``GLIST_TS`` or
``GLIST_PQ``: head + increment, giving the sampling rate) and one ``SLIST_PQ`` sequence per
lead, whose physical value is ``origin + scale * digit`` in the stated units. A derived
REPRESENTATIVE_BEAT series becomes :class:`MedianBeats`. Annotation sets give the device's
measurements and statements, wave boundaries (global ones become fiducials, lead-specific
ones on the rhythm become WFDB-style annotations) and the subject's demographics.

Nothing is guessed for the signal: a lead without scale or with unknown units, unequal
lead lengths or non-integer digits make the file be refused with a ValueError.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np

from workstation.core.leads import normalise_lead_name, sort_key
from workstation.core.record import (
    MAX_ABS_MV,
    Acquisition,
    Annotation,
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

FORMAT_NAME = "HL7 aECG"
_UNIT_TO_MV = {"uv": 1e-3, "µv": 1e-3, "mv": 1.0, "v": 1e3, "nv": 1e-6}
_UNIT_TO_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
_TIME_CODES = ("TIME_ABSOLUTE", "TIME_RELATIVE")
_MEDIAN_CODES = ("REPRESENTATIVE_BEAT", "MEDIAN_BEAT")
#: MDC code -> (canonical name, unit when the file states none)
_MEASUREMENTS = {
    "MDC_ECG_HEART_RATE": ("Ventricular rate", "bpm"), "MDC_ECG_TIME_PD_RR": ("RR", "ms"),
    "MDC_ECG_TIME_PD_PP": ("PP", "ms"), "MDC_ECG_TIME_PD_P": ("P duration", "ms"),
    "MDC_ECG_TIME_PD_PR": ("PR", "ms"), "MDC_ECG_TIME_PD_QRS": ("QRS", "ms"),
    "MDC_ECG_TIME_PD_QT": ("QT", "ms"), "MDC_ECG_TIME_PD_QTc": ("QTc", "ms"),
    "MDC_ECG_TIME_PD_QTcB": ("QTc", "ms"), "MDC_ECG_TIME_PD_QTcF": ("QTcF", "ms"),
    "MDC_ECG_ANGLE_P_FRONT": ("P axis", "deg"), "MDC_ECG_ANGLE_QRS_FRONT": ("QRS axis", "deg"),
    "MDC_ECG_ANGLE_T_FRONT": ("T axis", "deg"),
}
_UNIT_NAMES = {"/min": "bpm", "{beats}/min": "bpm", "deg": "deg", "ms": "ms"}
#: wave -> (onset kind, offset kind) for device fiducials; None where the model has no kind
_FIDUCIAL_KINDS = {"P": ("P onset", "P offset"), "QRS": ("QRS onset", "QRS offset"), "T": (None, "T offset")}
#: WFDB (ecgpuwave) symbol of a wave's peak
_PEAK_SYMBOLS = {"P": "p", "R": "N", "QRS": "N", "T": "t"}
_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d+)?([+-]\d{4})?$")


@dataclass
class _Axis:
    """The time axis of a sequence set: rate, and the time of its first sample."""

    fs: float
    start: dt.datetime | float  # absolute time, or seconds for a relative axis
    n_samples: int = 0


@dataclass
class _Sequences:
    """One sequence set: samples (mV, standard lead order), names, time axis, raw digits."""

    signals: np.ndarray
    names: list[str]
    axis: _Axis
    digits: np.ndarray


@dataclass
class _Found:
    """What the annotation sets yield."""

    measurements: dict[str, DeviceMeasurement] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)
    fiducials: list[Fiducial] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    beats: int = 0  # MDC_ECG_BEAT annotations seen on the rhythm, for 1-based beat numbers
    skipped: int = 0  # lead-specific boundaries that have no place in the record


@dataclass(frozen=True)
class _Context:
    """Where an annotation sits: its time axis, beat and enclosing wave."""

    axis: _Axis
    on_median: bool
    beat: int | None  # enclosing MDC_ECG_BEAT, 1-based
    wave: str | None  # enclosing wave (for a PEAK inside an RWAVE)
    top: bool  # a global, not a per-beat, annotation


def sniff(path: Path, head: bytes) -> bool:
    """Recognised by the root element, whatever the file is called."""
    return root_tag(head) == "AnnotatedECG"


def read(path: Path) -> ECGRecord:
    """Read an HL7 aECG file into an :class:`ECGRecord` (mV, float32).

    Raises
    ------
    ValueError
        When no rhythm waveform can be read exactly as the file declares it.
    """
    root = parse_xml(path)
    if local(root.tag) != "AnnotatedECG":
        raise ValueError(f"root element is <{local(root.tag)}>, not <AnnotatedECG>")
    series = _rhythm_series(root)
    rhythm = _read_sequence_set(series, "rhythm")
    median_series = _median_series(series)
    median, median_axis = _read_median(median_series) if median_series is not None else (None, None)
    found = _Found()
    _collect(series, rhythm.axis, on_median=False, found=found)
    if median_axis is not None:
        _collect(median_series, median_axis, on_median=True, found=found)
    record = ECGRecord.from_array(
        rhythm.signals, rhythm.axis.fs, [Lead(_lead_name(n), n) for n in rhythm.names],
        SourceInfo(path, FORMAT_NAME, f"{_code(series) or 'unlabelled'} series"),
        patient=_patient(root),
        acquisition=_acquisition(root, series),
        device_report=DeviceReport(
            program=_program(series), measurements=tuple(found.measurements.values()),
            statements=tuple(found.statements), fiducials=tuple(_unique_median(found.fiducials))),
        annotations=tuple(sorted(found.annotations, key=lambda a: a.sample)),
        median_beats=median,
        comments=_comments(root, series, found),
    )
    return record.with_derived_limb_leads()


# -- series and sequences -----------------------------------------------------------------
def _children(element: Element, name: str) -> list[Element]:
    return [c for c in element if local(c.tag) == name]


def _attr(element: Element | None, name: str) -> str:
    return (element.get(name) or "") if element is not None else ""


def _code(element: Element | None) -> str:
    return _attr(find_local(element, "code"), "code")  # find_local accepts None


def _rhythm_series(root: Element) -> Element:
    series = [s for c in _children(root, "component") for s in _children(c, "series")]
    if not series:
        raise ValueError("no <component>/<series> with waveforms")
    return next((s for s in series if _code(s).upper() == "RHYTHM"), series[0])


def _median_series(series: Element) -> Element | None:
    derived = [d for c in _children(series, "derivation") for d in _children(c, "derivedSeries")]
    return next((d for d in derived if _code(d).upper() in _MEDIAN_CODES), None)


def _read_sequence_set(series: Element, what: str) -> _Sequences:
    """The leads of a series' first sequence set, in standard lead order."""
    sets = [s for c in _children(series, "component") for s in _children(c, "sequenceSet")]
    if not sets:
        raise ValueError(f"{what} series has no <sequenceSet>")
    sequences = [q for c in _children(sets[0], "component") for q in _children(c, "sequence")]
    axis = _time_axis(sequences, what)
    names, rows, scales = [], [], []
    for seq in sequences:
        code = _code(seq)
        if code.upper() in _TIME_CODES:
            continue
        if code in names:
            raise ValueError(f"{what}: lead {code} appears twice")
        names.append(code or f"lead {len(names) + 1}")
        digits, origin, scale = _lead_digits(seq, f"{what} lead {names[-1]}")
        rows.append(digits)
        scales.append((origin, scale))
    if not rows:
        raise ValueError(f"{what} series has no lead sequences")
    lengths = {len(r) for r in rows}
    if len(lengths) != 1:
        detail = ", ".join(f"{n}: {len(r)}" for n, r in zip(names, rows))
        raise ValueError(f"{what}: leads have different lengths ({detail})")
    axis.n_samples = lengths.pop()
    order = sorted(range(len(names)), key=lambda i: sort_key(_lead_name(names[i])))
    digits = np.vstack([rows[i] for i in order])
    origin, scale = (np.array([[scales[i][k]] for i in order]) for k in (0, 1))
    return _Sequences(origin + scale * digits, [names[i] for i in order], axis, digits)


def _time_axis(sequences: list[Element], what: str) -> _Axis:
    seq = next((q for q in sequences if _code(q).upper() in _TIME_CODES), None)
    if seq is None:
        raise ValueError(f"{what}: no TIME_ABSOLUTE or TIME_RELATIVE sequence")
    value = find_local(seq, "value")
    kind = _xsi_type(value)
    if kind not in ("GLIST_TS", "GLIST_PQ"):
        raise ValueError(f"{what}: time sequence of type {kind or '(none)'} is not supported")
    step = _seconds(find_local(value, "increment"))
    if step is None or not step > 0:
        raise ValueError(f"{what}: missing or invalid time increment")
    head = find_local(value, "head")
    start: dt.datetime | float = (_timestamp(_attr(head, "value")) or dt.datetime.min) \
        if kind == "GLIST_TS" else (_seconds(head) or 0.0)
    return _Axis(1.0 / step, start)


def _lead_digits(seq: Element, where: str) -> tuple[np.ndarray, float, float]:
    """Digits, origin (mV) and scale (mV per digit) of one SLIST_PQ sequence."""
    value = find_local(seq, "value")
    kind = _xsi_type(value)
    if kind != "SLIST_PQ":
        raise ValueError(f"{where}: value type {kind or '(none)'} is not supported (SLIST_PQ only)")
    scale = _quantity_mv(find_local(value, "scale"), f"{where}: scale")
    if not scale > 0:
        raise ValueError(f"{where}: scale must be positive")
    origin_el = find_local(value, "origin")
    origin = _quantity_mv(origin_el, f"{where}: origin") if origin_el is not None else 0.0
    tokens = (text_of(value, "digits") or "").split()
    if not tokens:
        raise ValueError(f"{where}: no digits")
    try:
        return np.array(tokens, dtype=np.int64), origin, scale
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{where}: digits are not all integers ({exc})") from exc


def _quantity_mv(element: Element | None, where: str) -> float:
    """A PQ amplitude (value + unit) in mV; missing, non-numeric or unknown units are refused."""
    if element is None:
        raise ValueError(f"{where} missing")
    number, unit = _float(element.get("value")), _attr(element, "unit").strip().lower()
    if number is None:
        raise ValueError(f"{where} has no numeric value")
    if unit not in _UNIT_TO_MV:
        raise ValueError(f"{where}: unknown unit {element.get('unit') or '(none)'!r}")
    return number * _UNIT_TO_MV[unit]


def _read_median(series: Element) -> tuple[MedianBeats, _Axis]:
    """Representative beats and their time axis (for the annotations made on them)."""
    beats = _read_sequence_set(series, "representative beat")
    # files converted from Philips XML keep its 32767 padding after the 1.2 s beat
    padding = np.all((beats.digits == 32767) | (beats.digits == -32768), axis=0)
    end = len(padding)
    while end and padding[end - 1]:
        end -= 1
    signals = beats.signals[:, :end]
    peak = float(np.abs(signals).max()) if signals.size else 0.0
    if not signals.size or peak > MAX_ABS_MV:
        raise ValueError(f"representative beats: peak {peak:.1f} mV is not plausible")
    beats.axis.n_samples = end
    names = tuple(_lead_name(n) for n in beats.names)
    return MedianBeats(signals.astype(np.float32), beats.axis.fs, names), beats.axis


# -- annotations --------------------------------------------------------------------------
def _collect(series: Element, axis: _Axis, on_median: bool, found: _Found) -> None:
    """Walk every annotation set attached to ``series``."""
    for subject in _children(series, "subjectOf"):
        for ann_set in _children(subject, "annotationSet"):
            for comp in _children(ann_set, "component"):
                for ann in _children(comp, "annotation"):
                    _visit(ann, _Context(axis, on_median, None, None, True), found)


def _visit(ann: Element, ctx: _Context, found: _Found) -> None:
    code, value = _code(ann), find_local(ann, "value")
    value_code = (value.get("code") or "") if value is not None else ""
    if code == "MDC_ECG_BEAT" and not ctx.on_median:
        found.beats += 1
        ctx = _Context(ctx.axis, ctx.on_median, found.beats, None, False)
    elif code in ("MDC_ECG_WAVC", "MDC_ECG_WAVC_TYPE") and value_code.startswith("MDC_ECG_WAVC_"):
        wave = _wave_name(value_code, ctx.wave)
        _place_wave(ann, wave, value_code.endswith("_PEAK"), ctx, found)
        ctx = _Context(ctx.axis, ctx.on_median, ctx.beat, wave, ctx.top)
    elif code in ("MDC_ECG_INTERPRETATION_STATEMENT", "MDC_ECG_RHY") and value is not None:
        text = (value.text or "").strip() or value.get("displayName") or value_code
        if text and text not in found.statements:
            found.statements.append(text)
    elif ctx.top and _xsi_type(value) == "PQ":
        _measurement(code, value, found)
    for comp in _children(ann, "component"):
        for child in _children(comp, "annotation"):
            _visit(child, ctx, found)


def _wave_name(value_code: str, outer: str | None) -> str:
    """"MDC_ECG_WAVC_QRSWAVE" -> "QRS"; a PEAK takes the name of its enclosing wave."""
    name = value_code.removeprefix("MDC_ECG_WAVC_").removesuffix("WAVE")
    return outer if name == "PEAK" and outer else name


def _place_wave(ann: Element, wave: str, is_peak: bool, ctx: _Context, found: _Found) -> None:
    """Global boundaries become device fiducials; lead-specific rhythm ones annotations."""
    low, high, lead = _boundaries(ann, ctx.axis)
    if low is None and high is None:
        return
    if lead is not None:
        if ctx.on_median:
            found.skipped += 1  # the record has no place for per-lead median annotations
            return
        if is_peak:
            symbol = _PEAK_SYMBOLS.get(wave, '"')
            found.annotations.append(Annotation(low if low is not None else high, symbol, lead, wave))
        else:
            found.annotations += [Annotation(s, sym, lead, wave)
                                  for s, sym in ((low, "("), (high, ")")) if s is not None]
        return
    onset_kind, offset_kind = _FIDUCIAL_KINDS.get(wave, (None, None))
    for sample, kind in ((low, onset_kind), (high, offset_kind)):
        if sample is not None and kind is not None:
            found.fiducials.append(Fiducial(kind, sample, beat=ctx.beat, on_median=ctx.on_median))


def _lead_name(code: str) -> str:
    """The lead's standard name; a code outside the standard leads loses its MDC prefix
    ("MDC_ECG_LEAD_MLII" -> "MLII", as the sequence's lead is named)."""
    name = normalise_lead_name(code)
    return name.removeprefix("MDC_ECG_LEAD_") if name == code.strip() else name


def _boundaries(ann: Element, axis: _Axis) -> tuple[int | None, int | None, str | None]:
    """Sample positions (inside the signal) and lead of an annotation's region of interest."""
    low = high = lead = None
    roi = find_local(ann, "support", "supportingROI")
    for comp in _children(roi, "component") if roi is not None else []:
        boundary = find_local(comp, "boundary")
        code, value = _code(boundary), find_local(boundary, "value")
        if code.startswith("MDC_ECG_LEAD_"):
            lead = _lead_name(code)
        elif code.upper() in _TIME_CODES and value is not None:
            if _xsi_type(value) in ("PQ", "TS"):
                low = _sample(value, axis)
            else:
                low, high = _sample(find_local(value, "low"), axis), _sample(find_local(value, "high"), axis)
    return low, high, lead


def _sample(element: Element | None, axis: _Axis) -> int | None:
    """A time point as a sample index of ``axis``; None when absent or outside the signal."""
    if element is None or element.get("value") is None:
        return None
    if element.get("unit") is not None:  # a relative time, from the start of the series
        seconds = _seconds(element)
        if seconds is None:
            return None
        if isinstance(axis.start, float):
            seconds -= axis.start
    else:
        when = _timestamp(element.get("value"))
        if when is None or not isinstance(axis.start, dt.datetime):
            return None
        seconds = (when - axis.start).total_seconds()
    sample = round(seconds * axis.fs)
    return sample if 0 <= sample < axis.n_samples else None


def _measurement(code: str, value: Element, found: _Found) -> None:
    number = _float(value.get("value"))
    if number is None or not code:
        return
    name, default_unit = _MEASUREMENTS.get(code, (code.removeprefix("MDC_ECG_"), ""))
    unit = (value.get("unit") or "").strip()
    if unit == "s" and default_unit == "ms":
        number, unit = number * 1000.0, "ms"
    # a PQ without unit is read in the quantity's usual unit (Philips conversions omit "ms")
    unit = _UNIT_NAMES.get(unit, unit) or default_unit
    if name not in found.measurements:
        found.measurements[name] = DeviceMeasurement(name, number, unit)


def _unique_median(fiducials: list[Fiducial]) -> list[Fiducial]:
    """One median beat has one boundary of each kind; repeated kinds are ambiguous and dropped."""
    kinds = [f.kind for f in fiducials if f.on_median]
    return [f for f in fiducials if not f.on_median or kinds.count(f.kind) == 1]


# -- context ------------------------------------------------------------------------------
def _patient(root: Element) -> Patient:
    subject = next((e for e in root.iter() if local(e.tag) == "trialSubject"), None)
    if subject is None:
        return Patient()
    ident = find_local(subject, "id")
    person = find_local(subject, "subjectDemographicPerson")
    sex = _attr(find_local(person, "administrativeGenderCode"), "code").upper()  # None-safe
    born = _timestamp(_attr(find_local(person, "birthTime"), "value"))
    return Patient(
        patient_id=_attr(ident, "extension") or None,
        name=_clean(text_of(person, "name")),
        birth_date=born.date().isoformat() if born else None,
        sex=sex if sex in ("M", "F") else None,
        age_years=_reported_age(root),
    )


def _reported_age(root: Element) -> float | None:
    """LOINC 21612-7 "Reported Age", in the UCUM unit the file gives (a, mo, wk, d)."""
    per_year = {"a": 1.0, "mo": 12.0, "wk": 52.1775, "d": 365.25}
    for control in _children(root, "controlVariable"):
        observation = find_local(control, "relatedObservation")
        if _code(observation) == "21612-7":
            value = find_local(observation, "value")
            number, factor = _float(_attr(value, "value")), per_year.get(_attr(value, "unit") or "a")
            return number / factor if number is not None and factor else None
    return None


def _acquisition(root: Element, series: Element) -> Acquisition:
    when = None
    for element in (find_local(root, "effectiveTime"), find_local(series, "effectiveTime")):
        for name in ("center", "low"):
            when = when or _timestamp(_attr(find_local(element, name), "value"))
    site = next((text_of(e, "location", "name") for e in root.iter()
                 if local(e.tag) in ("testingSite", "trialSite") and text_of(e, "location", "name")), None)
    return Acquisition(time=when, device=_device(series), site=site, filters=_filters(series))


def _device(series: Element) -> str | None:
    author = find_local(series, "author", "seriesAuthor")
    if author is None:
        return None
    parts = [text_of(author, "manufacturerOrganization", "name"),
             text_of(author, "manufacturedSeriesDevice", "manufacturerModelName")]
    return " ".join(p for p in parts if p) or None


def _program(series: Element) -> str | None:
    """The device that made the annotations (and its software), as the file names it."""
    for element in series.iter():
        if local(element.tag) == "assignedDevice":
            parts = [text_of(element, "manufacturerModelName"), text_of(element, "softwareName")]
            return " ".join(p for p in parts if p) or None
    return None


def _filters(series: Element) -> FilterSettings:
    values: dict[str, float | None] = {}
    for outer in _children(series, "controlVariable"):
        control = find_local(outer, "controlVariable")
        for comp in _children(control, "component") if control is not None else []:
            inner = find_local(comp, "controlVariable")
            if _code(inner).endswith(("_CUTOFF_FREQ", "_NOTCH_FREQ")):
                values[_code(control)] = _float(_attr(find_local(inner, "value"), "value"))
    return FilterSettings(highpass_hz=values.get("MDC_ECG_CTL_VBL_ATTR_FILTER_HIGH_PASS"),
                          lowpass_hz=values.get("MDC_ECG_CTL_VBL_ATTR_FILTER_LOW_PASS"),
                          notch_hz=values.get("MDC_ECG_CTL_VBL_ATTR_FILTER_NOTCH"))


def _comments(root: Element, series: Element, found: _Found) -> tuple[str, ...]:
    comments = [text for e in root.iter() if local(e.tag) == "subjectFindingComment"
                if (text := text_of(e, "text"))]
    sets = [s for c in _children(series, "component") for s in _children(c, "sequenceSet")]
    if len(sets) > 1:
        comments.append(f"{len(sets) - 1} further sequence sets of the rhythm series were not read")
    if found.skipped:
        comments.append(f"{found.skipped} lead-specific wave boundaries of the representative "
                        "beat were not read")
    return tuple(comments)


# -- small parsers ------------------------------------------------------------------------
def _clean(text: str | None) -> str | None:
    """Converters write "---" where a field is unknown."""
    return None if text is None or text.strip(" -") == "" else text


def _xsi_type(element: Element | None) -> str:
    if element is None:
        return ""
    for key, value in element.attrib.items():
        if local(key) == "type":
            return value.rsplit(":", 1)[-1]
    return ""


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _seconds(element: Element | None) -> float | None:
    """A PQ time (value + unit s/ms/us) in seconds."""
    if element is None:
        return None
    number, unit = _float(element.get("value")), (element.get("unit") or "s").strip().lower()
    return number * _UNIT_TO_S[unit] if number is not None and unit in _UNIT_TO_S else None


def _timestamp(text: str | None) -> dt.datetime | None:
    """An HL7 TS (YYYYMMDDHHMMSS.UUUU, any trailing part optional); the zone is ignored."""
    match = _TS.match((text or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else d for g, d in
                                              zip(match.groups()[:6], (0, 1, 1, 0, 0, 0)))
    fraction = float(match.group(7)) if match.group(7) else 0.0
    try:
        return dt.datetime(year, month, day, hour, minute, second) + dt.timedelta(seconds=fraction)
    except ValueError:
        return None


SPEC = ReaderSpec(name=FORMAT_NAME, extensions=(".xml",), sniff=sniff, read=read)
