"""EDF and EDF+ (continuous) recordings via ``edfio``.

Only channels with a voltage unit (uV, mV, V) at the dominant sampling rate become leads;
other channels (respiration, SpO2, annotations, or ECG channels at another rate) are
listed in the source detail rather than resampled silently. Long recordings are read
lazily from the memory-mapped file.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import edfio
import numpy as np

from workstation.core.leads import normalise_lead_name
from workstation.core.record import (
    Acquisition,
    Annotation,
    ECGRecord,
    FilterSettings,
    Lead,
    Patient,
    SourceInfo,
)
from workstation.core.signals import ArraySource, ChunkedSource
from workstation.io.registry import ReaderSpec

_TO_MV = {"uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "mv": 1.0, "v": 1e3}
LAZY_THRESHOLD_SAMPLES = 4_000_000
_PLACEHOLDERS = {"X", "dd-MMM-yyyy"}


def sniff(path: Path, head: bytes) -> bool:
    """EDF's fixed header: version "0" padded to 8 bytes, and a numeric header length."""
    if len(head) < 256 or head[:8] != b"0       ":
        return False
    header_bytes = head[184:192].strip()
    return header_bytes.isdigit() and int(header_bytes) % 256 == 0


def read(path: Path) -> ECGRecord:
    edf = edfio.read_edf(path, lazy_load_data=True)
    signals = [s for s in edf.signals]
    voltage = [s for s in signals if s.physical_dimension.strip().lower() in _TO_MV]
    if not voltage:
        units = ", ".join(sorted({s.physical_dimension.strip() or "none" for s in signals}))
        raise ValueError(f"no channel in volts, millivolts or microvolts (units: {units})")
    fs = Counter(s.sampling_frequency for s in voltage).most_common(1)[0][0]
    chosen = [s for s in voltage if s.sampling_frequency == fs]
    skipped = [s.label for s in signals if s not in chosen]
    n_samples = min(_n_samples(s, edf) for s in chosen)
    factors = np.array([_TO_MV[s.physical_dimension.strip().lower()] for s in chosen], dtype=np.float32)
    source = _source(chosen, factors, n_samples)
    detail = "EDF+" if edf.version and str(edf.local_patient_identification).strip() else "EDF"
    if skipped:
        detail += f"; channels not shown: {', '.join(skipped)}"
    return ECGRecord(
        source, float(fs),
        tuple(Lead(normalise_lead_name(s.label), s.label) for s in chosen),
        SourceInfo(path, "EDF", detail),
        patient=_patient(edf),
        acquisition=_acquisition(edf, chosen[0]),
        annotations=_annotations(edf, fs),
    )


def _n_samples(signal: edfio.EdfSignal, edf: edfio.Edf) -> int:
    return int(round(signal.sampling_frequency * edf.duration))


def _source(chosen: list, factors: np.ndarray, n_samples: int):
    fs = chosen[0].sampling_frequency

    def reader(start: int, stop: int) -> np.ndarray:
        rows = [s.get_data_slice(start / fs, (stop - start) / fs) for s in chosen]
        data = np.stack([r[: stop - start] for r in rows])
        return (data * factors[:, None]).astype(np.float32)

    if n_samples * len(chosen) > LAZY_THRESHOLD_SAMPLES:
        return ChunkedSource(len(chosen), n_samples, reader)
    return ArraySource(reader(0, n_samples))


def _patient(edf: edfio.Edf) -> Patient:
    try:
        p = edf.patient
        sex = {"M": "M", "F": "F"}.get(p.sex)
        birth = p.birthdate.isoformat() if isinstance(p.birthdate, dt.date) else None
        name = p.name.replace("_", " ") if p.name not in ("X", "") else None
        code = p.code if p.code not in ("X", "") else None
        return Patient(patient_id=code, name=name, birth_date=birth, sex=sex)
    except Exception:  # noqa: BLE001 - plain EDF: free-text identification, kept as the id
        # keep the free text unless it is only the EDF+ placeholders ("X", "dd-MMM-yyyy")
        words = [w for w in str(edf.local_patient_identification).split() if w not in _PLACEHOLDERS]
        return Patient(patient_id=" ".join(words) or None)


def _acquisition(edf: edfio.Edf, signal) -> Acquisition:
    try:
        start = edf.startdatetime
        when = start.replace(tzinfo=None) if isinstance(start, dt.datetime) else None
    except Exception:  # noqa: BLE001 - a malformed date is not a reason to refuse the signal
        when = None
    try:
        equipment = edf.recording.equipment_code
    except Exception:  # noqa: BLE001
        equipment = None
    return Acquisition(time=when, device=equipment if equipment not in (None, "X") else None,
                       filters=_filters(signal.prefiltering))


def _filters(prefiltering: str) -> FilterSettings:
    """Parse EDF+ prefiltering text such as ``HP:0.05Hz LP:150Hz N:50Hz``."""
    values: dict[str, float] = {}
    for token in prefiltering.replace(",", " ").split():
        key, _, value = token.partition(":")
        try:
            values[key.upper()] = float(value.lower().rstrip("hz"))
        except ValueError:
            continue
    return FilterSettings(values.get("HP"), values.get("LP"), values.get("N") or values.get("NOTCH"))


def _annotations(edf: edfio.Edf, fs: float) -> tuple[Annotation, ...]:
    try:
        items = edf.annotations
    except Exception:  # noqa: BLE001
        return ()
    return tuple(Annotation(int(round(a.onset * fs)), '"', None, a.text) for a in items)


SPEC = ReaderSpec(name="EDF", extensions=(".edf",), sniff=sniff, read=read)
