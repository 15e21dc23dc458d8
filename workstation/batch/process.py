"""One ECG file as rows: the record's (ids, format, device, quality, measurements, flags,
triage, confidence, and the whole ``ecgws analyze --json`` object) and one per wave; and, when
asked, the model's proposal for a store (see :class:`Proposal`).

A file that cannot be read or analysed is a record row with its error, never an exception.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Measurements copied into columns of their own (all are in ``analysis_json`` too).
MEASUREMENT_COLUMNS = ("hr_bpm", "rr_ms", "p_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms",
                       "p_axis_deg", "qrs_axis_deg", "t_axis_deg")
_SIGNAL_SUFFIXES = (".dat", ".mat")
_CHUNK = 1 << 20


def source_files(path: Path) -> list[Path]:
    """The files a record is read from: a WFDB header with its signal files, else the file."""
    if path.suffix.lower() != ".hea":
        return [path]
    return [path] + sorted(p for p in path.parent.glob(f"{path.stem}.*")
                           if p.suffix.lower() in _SIGNAL_SUFFIXES)


@dataclass(frozen=True)
class Proposal:
    """What a store needs of one delineated record: its de-identified description (its id
    hashed from the signal) and the model's waves over the whole recording, as
    ``ecgws delineate`` finds them. Made on a worker, stored by the one client process."""

    info: Any  # workstation.store.records.RecordInfo
    delineation: Any  # workstation.core.delineation.Delineation

    @property
    def model(self) -> str:
        """The model version's tag, ``name/version``."""
        return f"{self.delineation.model_name}/{self.delineation.model_version}"


@dataclass(frozen=True)
class FileResult:
    """One file analysed: its record row, its wave rows, and its proposal when one was asked
    for (None on an error or when the model could not run)."""

    row: dict[str, Any]
    waves: list[dict[str, Any]]
    proposal: Proposal | None = None


def content_hash(path: Path) -> str:
    """SHA-256 of the record's files' bytes (names left out): a rerun recognises a record
    already written even when its folder was moved or renamed; the file is not parsed."""
    digest = hashlib.sha256(b"ecgws-file-v1")
    for part in source_files(path):
        with part.open("rb") as fh:
            while block := fh.read(_CHUNK):
                digest.update(block)
    return digest.hexdigest()


def empty_record_row(path: Path, file_hash: str, error: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "content_hash": file_hash, "record_id": None, "source": str(path), "name": path.stem,
        "format": None, "device": None, "n_leads": None, "fs": None, "duration_s": None,
        "model": None, "quality_score": None, "poor_leads": None, "triage": None,
        "assessment": None, "review": None, "confidence": None, "flags": None,
        "analysis_json": None, "error": error, "elapsed_s": None}
    row.update(dict.fromkeys(MEASUREMENT_COLUMNS))
    return row


def process_file(path: Path, ruleset: Any = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read, delineate and analyse one file exactly as ``ecgws analyze --json`` does."""
    result = analyse_file(path, ruleset)
    return result.row, result.waves


def analyse_file(path: Path, ruleset: Any = None, *, with_proposal: bool = False) -> FileResult:
    """:func:`process_file`'s rows, and with ``with_proposal`` the model's :class:`Proposal`."""
    started = time.perf_counter()
    try:
        file_hash = content_hash(path)
    except OSError as exc:
        return FileResult(empty_record_row(path, "", f"cannot read: {exc.strerror or exc}"), [])
    try:
        result = _analysed(path, file_hash, ruleset, with_proposal)
    except Exception as exc:  # noqa: BLE001  any failure of one file is that file's row
        text = str(exc).strip() or type(exc).__name__
        return FileResult(empty_record_row(path, file_hash, text[:500]), [])
    result.row["elapsed_s"] = round(time.perf_counter() - started, 4)
    return result


def proposal_of(path: Path) -> Proposal | None:
    """The model's proposal for one file only (no analysis; a record whose rows are already
    written); None when it cannot be read or delineated."""
    from workstation.io import read_ecg
    from workstation.store.records import record_info

    try:
        full = read_ecg(path)
    except Exception:  # noqa: BLE001  its row already says how it went
        return None
    delineation = _delineate(full)
    return None if delineation is None else Proposal(record_info(full), delineation)


def _analysed(path: Path, file_hash: str, ruleset: Any, with_proposal: bool) -> FileResult:
    from rules.analysis import analysis_window, analyze
    from rules.report import to_json_dict
    from rules.ruleset import load_ruleset
    from workstation.io import read_ecg
    from workstation.io.registry import resolve_path
    from workstation.store.records import record_info

    ruleset = ruleset or load_ruleset(None)
    full = read_ecg(path)
    info = record_info(full)
    record = analysis_window(full, ruleset)
    delineation = _delineate(record)
    analysis = analyze(record, delineation, name=resolve_path(path).stem, ruleset=ruleset,
                       duration_s=full.duration_s)
    row = _record_row(path, file_hash, full, info.id, to_json_dict(analysis))
    waves = _wave_rows(file_hash, info.id, delineation, float(record.fs))
    proposal = _proposal(full, record, delineation, info) if with_proposal else None
    return FileResult(row, waves, proposal)


def _record_row(path: Path, file_hash: str, full: Any, record_id: str,
                report: dict[str, Any]) -> dict[str, Any]:
    """The record's row: its description, the report's main fields, the whole report."""
    row = empty_record_row(path, file_hash)
    row.update({
        "record_id": record_id, "format": full.source.format,
        "device": full.acquisition.device, "n_leads": len(full.leads), "fs": float(full.fs),
        "duration_s": float(full.duration_s), "model": report["model"],
        "quality_score": report["quality"].get("score"),
        "poor_leads": ",".join(report["quality"].get("poor_leads") or []),
        "triage": report["triage"], "assessment": report["assessment"],
        "review": bool(report["review"]), "confidence": report["confidence"],
        "flags": ",".join(f["id"] for f in report["flags"]),
        "analysis_json": json.dumps(report, sort_keys=True)})
    for name in MEASUREMENT_COLUMNS:
        value = report["measurements"].get(name)
        row[name] = float(value) if value is not None else None
    return row


def _proposal(full: Any, window: Any, delineation: Any, info: Any) -> Proposal | None:
    """The model's waves over the whole recording: the analysed window's when the window is
    the whole recording (any ECG up to ``max_analysis_s``), else the recording delineated."""
    if window is not full:
        delineation = _delineate(full)
    return None if delineation is None else Proposal(info, delineation)


def _delineate(record: Any) -> Any:
    """The shipped model's waves, or None (rate and rhythm only) as ``ecgws analyze`` does."""
    try:
        import inference

        return inference.delineate(record)
    except Exception:  # noqa: BLE001  the rules still run without the model
        return None


def _wave_rows(file_hash: str, record_id: str, delineation: Any, fs: float) -> list[dict]:
    if delineation is None:
        return []
    return [{"content_hash": file_hash, "record_id": record_id, "lead": w.lead,
             "kind": w.kind.value, "onset": int(w.onset), "peak": int(w.peak),
             "offset": int(w.offset), "onset_conf": float(w.onset_conf),
             "peak_conf": float(w.peak_conf), "offset_conf": float(w.offset_conf), "fs": fs}
            for w in delineation.waves]
