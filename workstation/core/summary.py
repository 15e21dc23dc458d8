"""A plain, JSON-ready summary of a record, for ``ecgws info`` and the status bar."""

from __future__ import annotations

from collections import Counter

from workstation.core.record import ECGRecord


def summarise(record: ECGRecord, *, identify: bool = False) -> dict:
    """Format, leads, rate, duration, device report; patient fields only when ``identify``.

    Values are JSON-serialisable (str, int, float, list, dict, None).
    """
    acq = record.acquisition
    report = record.device_report
    global_measurements = [m for m in report.measurements if m.lead is None]
    return {
        "path": str(record.source.path),
        "format": record.source.format,
        "detail": record.source.detail,
        "leads": list(record.lead_names),
        "derived_leads": [lead.name for lead in record.leads if lead.derived],
        "fs_hz": record.fs,
        "samples": record.n_samples,
        "duration_s": round(record.duration_s, 3),
        "acquired": acq.time.isoformat(sep=" ") if acq.time else None,
        "device": acq.device,
        "filters_hz": {"highpass": acq.filters.highpass_hz, "lowpass": acq.filters.lowpass_hz,
                       "notch": acq.filters.notch_hz},
        "patient": _patient_text(record, identify),
        "median_beats": _median_text(record),
        "annotations": _annotation_text(record),
        "device_program": report.program,
        "device_measurements": [
            {"name": m.name, "value": m.value, "unit": m.unit} for m in global_measurements
        ],
        "device_lead_measurements": len(report.measurements) - len(global_measurements),
        "device_statements": list(report.statements),
        "device_fiducials": len(report.fiducials),
    }


def _patient_text(record: ECGRecord, identify: bool) -> str:
    p = record.patient
    if p.is_empty:
        return "none in file"
    if not identify:
        return "withheld (de-identified; --identify to show)"
    parts = [p.name, f"id {p.patient_id}" if p.patient_id else None, p.sex,
             f"{p.age_years:g} y" if p.age_years is not None else None,
             f"born {p.birth_date}" if p.birth_date else None]
    return ", ".join(x for x in parts if x)


def _median_text(record: ECGRecord) -> str | None:
    m = record.median_beats
    if m is None:
        return None
    return f"{len(m.leads)} leads x {m.signals.shape[1]} samples at {m.fs:g} Hz"


def _annotation_text(record: ECGRecord) -> str | None:
    if not record.annotations:
        return None
    leads = Counter(a.lead or "record" for a in record.annotations)
    return f"{len(record.annotations)} in {len(leads)} file(s)"
