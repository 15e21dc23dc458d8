"""A documented CSV format for ECGs exported from spreadsheets and research scripts.

Format (see also README "CSV format")::

    # fs: 500
    # units: mV
    I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6
    0.012,0.034,...

- Optional comment lines start with ``#`` and hold ``key: value`` pairs: ``fs`` (Hz),
  ``units`` (``mV`` default, ``uV`` or ``V``), ``patient_id``, ``sex``, ``age``, ``device``.
- The first non-comment line is the header: one column per lead (any names; standard leads are
  normalised). A first column named ``time_s`` or ``time_ms`` may replace the ``fs`` line:
  the sampling rate is derived from it and must be uniform.
- Comma, semicolon or tab separated; an empty cell is a missing sample (NaN, shown as a gap).
  Any other non-numeric cell is an error naming its line and column.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from workstation.core.leads import normalise_lead_name
from workstation.core.record import Acquisition, ECGRecord, Lead, Patient, SourceInfo
from workstation.io.registry import ReaderSpec

_UNITS = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "v": 1e3}
_TIME_COLUMNS = {"time_s": 1.0, "time_ms": 1e-3}
MAX_CSV_BYTES = 512 * 1024 * 1024


def sniff(path: Path, head: bytes) -> bool:
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if len(lines) < 2:
        return False
    header = _split(lines[0])
    return len(header) >= 1 and not _is_number(header[0]) and all(_is_number(c) or not c.strip()
                                                                   for c in _split(lines[1]))


def read(path: Path) -> ECGRecord:
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ValueError(f"CSV larger than {MAX_CSV_BYTES // 2**20} MiB; convert long recordings to WFDB or EDF")
    text = path.read_text(encoding="utf-8-sig")
    meta, body = _split_comments(text)
    rows = list(csv.reader(io.StringIO(body), dialect=_dialect(body)))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError("no data rows after the header")
    header = [c.strip() for c in rows[0]]
    data = _numeric(rows[1:], len(header))
    fs, data, header = _sampling_rate(meta, data, header)
    factor = _UNITS.get(meta.get("units", "mV").lower())
    if factor is None:
        raise ValueError(f"unknown units {meta['units']!r} (use mV, uV or V)")
    leads = [Lead(normalise_lead_name(name), name) for name in header]
    return ECGRecord.from_array(
        data.T * factor, fs, leads, SourceInfo(path, "CSV"),
        patient=Patient(patient_id=meta.get("patient_id"), sex=_sex(meta.get("sex")),
                        age_years=float(meta["age"]) if _is_number(meta.get("age", "")) else None),
        acquisition=Acquisition(device=meta.get("device")),
    )


def _split_comments(text: str) -> tuple[dict[str, str], str]:
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip()
        else:
            body.append(line)
    return meta, "\n".join(body)


def _dialect(body: str) -> type[csv.Dialect]:
    first = body.lstrip().split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def _numeric(rows: list[list[str]], width: int) -> np.ndarray:
    out = np.empty((len(rows), width), dtype=np.float64)
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"line {i + 2}: {len(row)} values for {width} columns")
        for j, cell in enumerate(row):
            cell = cell.strip()
            try:
                out[i, j] = float(cell) if cell else np.nan
            except ValueError:
                raise ValueError(f"line {i + 2}, column {j + 1}: {cell[:20]!r} is not a number") from None
    return out


def _sampling_rate(meta: dict[str, str], data: np.ndarray, header: list[str]):
    key = header[0].lower()
    if key in _TIME_COLUMNS:
        t = data[:, 0] * _TIME_COLUMNS[key]
        steps = np.diff(t)
        if len(steps) == 0 or not np.all(steps > 0) or np.ptp(steps) > 1e-3 * steps.mean():
            raise ValueError(f"column {header[0]} is not uniformly increasing")
        fs = 1.0 / float(steps.mean())
        return round(fs, 6), data[:, 1:], header[1:]
    if "fs" not in meta:
        raise ValueError("no sampling rate: add a '# fs: <Hz>' line or a time_s/time_ms column")
    try:
        return float(meta["fs"]), data, header
    except ValueError:
        raise ValueError(f"sampling rate {meta['fs']!r} is not a number") from None


def _sex(value: str | None) -> str | None:
    return {"m": "M", "male": "M", "f": "F", "female": "F"}.get((value or "").strip().lower())


def _split(line: str) -> list[str]:
    delimiter = max(",;\t", key=line.count)
    return line.split(delimiter)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def write(record: ECGRecord, path: Path) -> Path:
    """Write ``record`` in the documented CSV format (mV, no patient fields)."""
    lines = [f"# fs: {record.fs:g}", "# units: mV", ",".join(record.lead_names)]
    body = "\n".join(",".join("" if np.isnan(v) else f"{v:.4f}" for v in row) for row in record.signals.T)
    path.write_text("\n".join(lines) + "\n" + body + "\n", encoding="utf-8")
    return path


SPEC = ReaderSpec(name="CSV", extensions=(".csv", ".txt", ".tsv"), sniff=sniff, read=read)
