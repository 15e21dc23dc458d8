"""Annotation folders into the store: WFDB files in the LUDB convention, as a reader's sets.

A folder holds, per record, ``STEM.<lead>`` annotation files (``(`` onset, ``p``/``N``/``t``
peak, ``)`` offset; LUDB's own reference, ``ecgws delineate`` output, another tool's) and
usually the record itself (``STEM.hea`` + signal). When the signals live elsewhere (as for
``ecgws delineate`` output), ``records_dir`` names their folder. Each record is added to the
store by the hash of its signal, so the same ECG imported from two folders is one record.

Labels come from the header's comments in LUDB's layout (``#Rhythm: Sinus rhythm.`` and
the diagnosis lines after it): the rhythm as a rhythm label, every other line as a diagnostic
statement. Patient lines (``<age>``, ``<sex>``) are never read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from workstation.core.annotation import AnnotationState, Label, LabelKind
from workstation.core.delineation import Delineation, annotation_extension, read_wfdb_annotations
from workstation.core.record import ECGRecord
from workstation.io import ECGReadError, read_ecg
from workstation.store import AnnotationStore, SetInfo, StoreError


@dataclass(frozen=True)
class Imported:
    """One record read in: its stem, store id and number of waves (or the problem)."""

    stem: str
    record_id: str | None
    waves: int
    problem: str = ""


def _natural(stem: str) -> tuple:
    return (0, int(stem), "") if stem.isdigit() else (1, 0, stem)


def header_labels(header: Path) -> frozenset[Label]:
    """Rhythm and diagnostic statements from a LUDB-style header's comments."""
    if not header.exists():
        return frozenset()
    labels, in_diagnoses = set(), False
    for line in header.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            continue
        text = line[1:].strip()
        if text.startswith("<diagnoses>"):
            in_diagnoses = True
        elif text.startswith("<"):
            in_diagnoses = False
        elif text.lower().startswith("rhythm:"):
            labels.add(Label(LabelKind.RHYTHM, text.split(":", 1)[1].strip().rstrip(".")))
        elif in_diagnoses and text:
            labels.add(Label(LabelKind.DIAGNOSTIC, text.rstrip(". ")))
    return frozenset(labels)


def read_folder(folder: Path, records_dir: Path | None = None, stems: Iterable[str] | None = None
                ) -> Iterator[tuple[str, ECGRecord | None, Delineation | None, str]]:
    """(stem, record, delineation, problem) for each record with annotation files in ``folder``
    (only ``stems`` when given)."""
    wanted = None if stems is None else set(stems)
    for stem in _candidate_stems(folder, records_dir):
        if wanted is not None and stem not in wanted:
            continue
        header = _header(folder, records_dir, stem)
        if header is None:
            yield stem, None, None, f"no record {stem}.hea in {folder}" + (
                f" or {records_dir}" if records_dir else "")
            continue
        try:
            record = read_ecg(header)
        except ECGReadError as exc:
            yield stem, None, None, str(exc)
            continue
        if not any((folder / f"{stem}.{annotation_extension(lead)}").exists()
                   for lead in record.lead_names):
            continue
        try:
            delineation = read_wfdb_annotations(folder / stem, record.lead_names, record.fs)
        except (ValueError, OSError, IndexError) as exc:
            yield stem, record, None, f"{folder / stem}: unreadable annotation file ({exc})"
            continue
        yield stem, record, delineation, ""


def _candidate_stems(folder: Path, records_dir: Path | None) -> list[str]:
    """Records named in ``folder``: its headers, ``ecgws delineate``'s JSON files, and the
    headers of ``records_dir`` with a file of the same stem in ``folder``."""
    stems = {p.stem for p in folder.glob("*.hea")} | {p.stem for p in folder.glob("*.json")}
    if records_dir is not None:
        present = {p.name.split(".")[0] for p in folder.iterdir() if p.is_file()}
        stems |= {p.stem for p in records_dir.glob("*.hea") if p.stem in present}
    return sorted(stems, key=_natural)


def _header(folder: Path, records_dir: Path | None, stem: str) -> Path | None:
    for where in (folder, records_dir):
        if where is not None and (where / f"{stem}.hea").exists():
            return where / f"{stem}.hea"
    return None


def import_folder(store: AnnotationStore, folder: Path, annotator: str, *,
                  records_dir: Path | None = None, model: str | None = None,
                  stems: Iterable[str] | None = None,
                  progress: Callable[[Iterable], Iterable] = lambda x: x) -> list[Imported]:
    """Import every annotated record of ``folder`` as ``annotator``'s submitted sets.

    With ``model`` ("name/version") the files are stored as that model version's proposals
    instead (e.g. ``ecgws delineate`` output), so agreement treats them as the model's.
    A record the annotator already has a set on is reported, not changed.
    """
    if model is None:
        _ensure_annotator(store, annotator)
        store.switch_user(annotator)
    results = []
    for stem, record, delineation, problem in progress(read_folder(folder, records_dir, stems)):
        if problem or record is None or delineation is None:
            results.append(Imported(stem, None, 0, problem))
            continue
        results.append(_import_one(store, stem, record, delineation, folder, annotator, model))
    return results


def _ensure_annotator(store: AnnotationStore, annotator: str) -> None:
    if annotator not in {a.id for a in store.annotators()}:
        store.add_annotator(annotator, annotator)


def add_model_proposal(store: AnnotationStore, record_id: str, delineation: Delineation,
                       model: str) -> SetInfo:
    """Store ``delineation`` as model ``name/version``'s proposal on the record ``record_id``
    (already added by the hash of its signal). Once per record and model version: when the
    record already holds that version's proposal, that set is returned and nothing changes."""
    name, _, version = model.partition("/")
    return store.add_proposal(record_id, replace(delineation, model_name=name,
                                                 model_version=version or "imported"))


def _import_one(store: AnnotationStore, stem: str, record: ECGRecord, delineation: Delineation,
                folder: Path, annotator: str, model: str | None) -> Imported:
    info = store.add_record(record)
    try:
        if model is not None:
            add_model_proposal(store, info.id, delineation, model)
        else:
            state = AnnotationState.from_proposal(delineation, record.n_samples)
            state = replace(state, waves={k: replace(a, provenance=replace(a.provenance, model=None))
                                          for k, a in state.waves.items()},
                            labels=header_labels(folder / f"{stem}.hea"))
            store.import_set(info.id, state, origin={"imported_from": folder.name,
                                                     "stem": stem, "format": "wfdb-ludb"})
    except StoreError as exc:
        return Imported(stem, info.id, 0, str(exc))
    return Imported(stem, info.id, len(delineation.waves))
