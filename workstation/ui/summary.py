"""What the banner and the status bar say about a record, as plain text (no Qt).

De-identification is decided here once: when the reader asks for it, or when the record
carries no patient fields at all, no identifying text leaves this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from workstation.core.record import ECGRecord, FilterSettings, Patient

DEIDENTIFIED = "De-identified"
UNKNOWN = "—"
_SEX = {"M": "Male", "F": "Female"}


@dataclass(frozen=True)
class BannerContent:
    """The two lines of the patient banner."""

    identity: tuple[tuple[str, str], ...]  # (label, value); empty when de-identified
    context: tuple[tuple[str, str], ...]
    deidentified: bool


def banner_content(record: ECGRecord, *, deidentify: bool, display_filters: str) -> BannerContent:
    """Banner fields: name, id, sex, age; acquisition time, device, filters."""
    hidden = deidentify or record.patient.is_empty
    identity = () if hidden else _identity(record.patient, record.acquisition.time)
    acq = record.acquisition
    context = (
        ("Acquired", acq.time.strftime("%Y-%m-%d %H:%M:%S") if acq.time else UNKNOWN),
        ("Device", acq.device or UNKNOWN),
        ("Device filters", describe_device_filters(acq.filters)),
        ("Display filters", display_filters),
    )
    return BannerContent(identity, context, hidden)


def _identity(patient: Patient, acquired: dt.datetime | None) -> tuple[tuple[str, str], ...]:
    return (
        ("Name", patient.name or UNKNOWN),
        ("ID", patient.patient_id or UNKNOWN),
        ("Sex", _SEX.get(patient.sex or "", patient.sex or UNKNOWN)),
        ("Age", age_text(patient, acquired)),
    )


def age_text(patient: Patient, acquired: dt.datetime | None) -> str:
    """Age in years as stated, else from the birth date (ISO) at acquisition, else unknown."""
    if patient.age_years is not None:
        return f"{patient.age_years:.0f} y"
    if patient.birth_date and acquired is not None:
        try:
            born = dt.date.fromisoformat(patient.birth_date[:10])
        except ValueError:
            return UNKNOWN
        on = acquired.date()
        years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        return f"{years} y"
    return UNKNOWN


def describe_device_filters(f: FilterSettings) -> str:
    """E.g. "0.05–150 Hz, 50 Hz notch", or "not stated"."""
    parts = []
    if f.highpass_hz is not None or f.lowpass_hz is not None:
        lo = f"{f.highpass_hz:g}" if f.highpass_hz is not None else "?"
        hi = f"{f.lowpass_hz:g}" if f.lowpass_hz is not None else "?"
        parts.append(f"{lo}–{hi} Hz")
    if f.notch_hz is not None:
        parts.append(f"{f.notch_hz:g} Hz notch")
    return ", ".join(parts) if parts else "not stated"


def duration_text(seconds: float) -> str:
    """"10.0 s" for a resting ECG, "24 h 00 min 00 s" for a Holter."""
    if seconds < 120:
        return f"{seconds:.1f} s"
    total = int(round(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h} h {m:02d} min {s:02d} s" if h else f"{m} min {s:02d} s"


def status_fields(record: ECGRecord, *, deidentify: bool) -> tuple[str, ...]:
    """Status bar: file, format, sampling rate, duration, leads.

    The file name is withheld when the reader de-identifies: names of ECG files often
    carry the patient's name or id.
    """
    leads = ", ".join(lead.name + ("*" if lead.derived else "") for lead in record.leads)
    return (
        "file name hidden" if deidentify else Path(record.source.path).name,
        record.source.format + (f" ({record.source.detail})" if record.source.detail else ""),
        f"{record.fs:g} Hz",
        duration_text(record.duration_s),
        f"{record.n_leads} leads: {leads}",
    )
