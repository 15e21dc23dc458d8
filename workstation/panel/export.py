"""Retraining exports: the store's annotation sets as training data.

``export(store, out, ...)`` writes, from the consensus (adjudicated sets), one annotator's
submitted sets, a model version's proposals, or every annotator's:

* ``wfdb/``: each record's signals (``STEM.hea``/``.dat``, de-identified: no patient field, no
  acquisition time, no source file name) with one annotation file per lead in the LUDB
  convention, and the labels as LUDB-style header comments (``#Rhythm: ...``). With every
  annotator, each one's annotation files go to ``wfdb/<annotator>/`` (re-import each with
  ``--records wfdb``); the labels, which differ by reader, are then in ``labels.csv`` only
  (``--format csv``).
* ``boundaries.csv``: one row per wave (record, source, lead, kind, onset/peak/offset in
  samples and ms) and ``labels.csv``.
* ``arrays/``: ``STEM.npz`` per record and source: ``signals`` (float32 mV, leads x samples),
  ``mask`` (int8 per sample: 0 background, 1 P, 2 QRS, 3 T, -1 no ground truth outside the
  annotated span; :func:`inference.delineation.labels.label_lead`), ``fs``, ``leads`` and
  ``waves`` (one row per wave: lead index, kind 0/1/2 for P/QRS/T, onset, peak, offset).

Always ``split.json`` (train / validation / test, at patient level), ``records.csv`` and a
dataset card (``dataset_card.md`` + ``dataset.json``: counts, annotators, agreement, model
and rule versions). Records stream one at a time (memory holds one record), with a progress
callback. The store keeps no signals: they are found in ``records_dirs`` by the hash of
their signal (the file named in the store first).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from inference.delineation.labels import label_lead
from workstation.core.annotation import AnnotationState, LabelKind
from workstation.core.delineation import (OFFSET_SYMBOL, ONSET_SYMBOL, Delineation,
                                          write_wfdb_annotations)
from workstation.core.record import ECGRecord
from workstation.io import ECGReadError, iter_ecg_files, read_ecg
from workstation.io import wfdb_io
from workstation.panel.sources import CONSENSUS, Source, SourceKind, all_sources, resolve, sets_of
from workstation.store import AnnotationStore, RecordInfo, StoreError, record_key
from workstation.store.sets import KIND_ORDER

EXPORT_FORMAT = "ecgws-export"
EXPORT_VERSION = 1
SPLITS = ("train", "validation", "test")
#: Share of patients in train and validation (the rest is test) when no split file is given.
SPLIT_SHARES = (0.7, 0.15)
#: The dataset card's agreement figures are computed on at most this many exported records.
CARD_AGREEMENT_RECORDS = 1000


class Format(Enum):
    WFDB = "wfdb"
    CSV = "csv"
    ARRAYS = "arrays"


def _write_page(record: ECGRecord, folder: Path, stem: str, deidentify: bool) -> None:
    """A record digitised from a paper ECG keeps its page beside the signal (a digitiser's
    training pair), the patient's printed name, id and birth date blacked out unless
    identity is kept."""
    if record.digitisation is None:
        return
    import cv2

    from workstation.scan.page_text import page_image

    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / f"{stem}.png"), page_image(record, keep_identity=not deidentify))


@dataclass
class ExportSummary:
    """What an export wrote and what it could not."""

    out: Path
    sources: list[str]
    records: int = 0
    waves: int = 0
    splits: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # records whose signal was not found


# -- finding the signals ------------------------------------------------------------------------

class SignalFinder:
    """Finds a store record's ECG file in some folders, by the hash of its signal."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self._by_hash: dict[str, Path] | None = None

    def find(self, info: RecordInfo) -> ECGRecord | None:
        for folder in self.folders:
            candidate = folder / info.source_name
            record = _read_if(candidate, info.id)
            if record is not None:
                return record
        path = self._index().get(info.id)
        return _read_if(path, info.id) if path else None

    def _index(self) -> dict[str, Path]:
        """Every ECG file of the folders by signal hash (built once, when a name did not match)."""
        if self._by_hash is None:
            self._by_hash = {}
            for folder in self.folders:
                for path in iter_ecg_files(folder):
                    try:
                        self._by_hash.setdefault(record_key(read_ecg(path)), path)
                    except ECGReadError:
                        continue
        return self._by_hash


def _read_if(path: Path, record_id: str) -> ECGRecord | None:
    if not path.exists():
        return None
    try:
        record = read_ecg(path)
    except ECGReadError:
        return None
    return record if record_key(record) == record_id else None


# -- splits -------------------------------------------------------------------------------------

def assign_splits(records: dict[str, RecordInfo], patients: dict[str, str] | None = None,
                  given: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Split of each record: from ``given`` (source stems per split), else by patient.

    ``patients`` maps a record id or source name to a patient key (each record is its own
    patient otherwise). A patient's records always share a split: a hash of the patient key
    decides, so the same patient lands in the same split in every export.
    """
    out = {}
    by_stem = {stem: split for split, stems in (given or {}).items() for stem in stems}
    for record_id, info in records.items():
        stem = Path(info.source_name).stem
        if given is not None:
            if stem in by_stem:
                out[record_id] = by_stem[stem]
            continue
        key = (patients or {}).get(record_id) or (patients or {}).get(info.source_name) or record_id
        u = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        out[record_id] = ("train" if u < SPLIT_SHARES[0] else
                          "validation" if u < sum(SPLIT_SHARES) else "test")
    return out


# -- writing ------------------------------------------------------------------------------------

def lead_marks(state: AnnotationState, lead: str) -> tuple[list[int], list[str]]:
    """A lead's waves as LUDB marks: ``(`` onset, peak symbol, ``)`` offset."""
    marks = sorted((m for w in state.waves_in(lead)
                    for m in ((w.onset, 0, ONSET_SYMBOL), (w.peak, 1, w.kind.peak_symbol),
                              (w.offset, 2, OFFSET_SYMBOL))))
    return [m[0] for m in marks], [m[2] for m in marks]


def wave_mask(state: AnnotationState, record: ECGRecord) -> np.ndarray:
    """Per-sample classes (leads x samples, int8) of the set, as the network is trained on."""
    rows = []
    for lead in record.lead_names:
        samples, symbols = lead_marks(state, lead) if lead in state.lead_names else ([], [])
        rows.append(label_lead(record.n_samples, samples, symbols))
    return np.stack(rows)


def wave_rows(state: AnnotationState, leads: tuple[str, ...]) -> np.ndarray:
    """The set's waves as int64 rows: lead index, kind (0 P, 1 QRS, 2 T), onset, peak, offset."""
    kinds = {kind: i for i, kind in enumerate(KIND_ORDER)}
    rows = [(leads.index(w.lead), kinds[w.kind], w.onset, w.peak, w.offset)
            for w in (a.wave for a in state.waves.values()) if w.lead in leads]
    return np.array(sorted(rows), dtype=np.int64).reshape(-1, 5)


def header_comments(state: AnnotationState) -> list[str]:
    """The set's labels as LUDB header comments (read back by the importer)."""
    rhythm = sorted(lb.code for lb in state.labels if lb.kind is LabelKind.RHYTHM)
    other = sorted(lb.code for lb in state.labels if lb.kind is LabelKind.DIAGNOSTIC)
    if not rhythm and not other:
        return []
    return ["<diagnoses>:"] + [f"Rhythm: {r}." for r in rhythm] + [f"{d}." for d in other]


def _write_signals(record: ECGRecord, folder: Path, stem: str, comments: list[str],
                   deidentify: bool) -> None:
    plain = dataclasses.replace(record.deidentified() if deidentify else record, annotations=())
    wfdb_io.write(plain, folder, stem, keep_identity=not deidentify)
    header = folder / f"{stem}.hea"
    lines = header.read_text(encoding="utf-8").splitlines()
    if deidentify:  # the source file's name may carry the patient's
        lines = [ln for ln in lines if not ln.lstrip("# ").startswith("source:")]
    header.write_text("\n".join(lines + [f"#{c}" for c in comments]) + "\n", encoding="utf-8")


@dataclass
class _Writers:
    """Open CSV files of an export (only for the csv format)."""

    boundaries: csv.writer
    labels: csv.writer
    files: list


def _open_csv(out: Path) -> _Writers:
    files = [open(out / name, "w", newline="", encoding="utf-8")
             for name in ("boundaries.csv", "labels.csv")]
    b, lab = csv.writer(files[0]), csv.writer(files[1])
    b.writerow(["record", "source", "lead", "kind", "onset", "peak", "offset", "fs",
                "onset_ms", "peak_ms", "offset_ms"])
    lab.writerow(["record", "source", "kind", "code"])
    return _Writers(b, lab, files)


def _write_csv_rows(w: _Writers, stem: str, source: str, state: AnnotationState) -> None:
    ms = 1000.0 / state.fs
    for lead in state.lead_names:
        for wave in state.waves_in(lead):
            w.boundaries.writerow([stem, source, lead, wave.kind.value, wave.onset, wave.peak,
                                   wave.offset, f"{state.fs:g}", round(wave.onset * ms, 1),
                                   round(wave.peak * ms, 1), round(wave.offset * ms, 1)])
    for lb in sorted(state.labels, key=lambda x: x.sort_key):
        w.labels.writerow([stem, source, lb.kind.value, lb.code])


def export(store: AnnotationStore, out: Path, *, source: str | None = None,
           formats: Iterable[Format] = (Format.WFDB,), records_dirs: Iterable[Path] = (),
           deidentify: bool = True, patients: dict[str, str] | None = None,
           splits: dict[str, list[str]] | None = None,
           progress: Callable[[Iterable], Iterable] = lambda x: x) -> ExportSummary:
    """Write the export (see the module docstring); StoreError when the source is unknown."""
    chosen = choose_sources(store, source)
    formats = set(formats)
    by_source = {s.name: sets_of(store, s) for s in chosen}
    record_ids = sorted({r for sets in by_source.values() for r in sets})
    infos = {r: store.record(r) for r in record_ids}
    split_of = assign_splits(infos, patients, splits)
    out.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(out, [s.name for s in chosen])
    finder = SignalFinder(records_dirs)
    writers = _open_csv(out) if Format.CSV in formats else None
    rows = []
    try:
        for record_id in progress(record_ids):
            if record_id not in split_of:
                continue
            row = _export_record(store, infos[record_id], by_source, chosen, split_of[record_id],
                                 formats, finder, writers, out, deidentify, summary)
            if row:
                rows.append(row)
    finally:
        for f in writers.files if writers else ():
            f.close()
    _write_index(out, rows, summary)
    write_card(store, out, chosen, summary, formats, deidentify, splits is not None, rows)
    return summary


def choose_sources(store: AnnotationStore, source: str | None) -> list[Source]:
    """The sets to export: ``consensus`` (default when it exists), ``all`` annotators, or one."""
    everything = all_sources(store)
    if source == "all":
        return [s for s in everything if s.kind is SourceKind.ANNOTATOR]
    if source is not None:
        return resolve(store, [source])
    if any(s.kind is SourceKind.CONSENSUS for s in everything):
        return [Source(CONSENSUS, SourceKind.CONSENSUS)]
    humans = [s for s in everything if s.kind is SourceKind.ANNOTATOR]
    if len(humans) == 1:
        return humans
    raise StoreError(store.path, "no consensus in this store: choose --source (an annotator, "
                                 f"a model tag or 'all'; annotators: "
                                 f"{', '.join(s.name for s in humans) or 'none'})")


def _export_record(store: AnnotationStore, info: RecordInfo, by_source: dict, chosen: list[Source],
                   split: str, formats: set[Format], finder: SignalFinder,
                   writers: _Writers | None, out: Path, deidentify: bool,
                   summary: ExportSummary) -> list | None:
    stem = info.id[:16] if deidentify else Path(info.source_name).stem
    needs_signal = formats & {Format.WFDB, Format.ARRAYS}
    record = finder.find(info) if needs_signal else None
    if needs_signal and record is None:
        summary.missing.append(info.source_name)
        return None
    states = {s.name: store.load(by_source[s.name][info.id].id) for s in chosen
              if info.id in by_source[s.name]}
    several = len(chosen) > 1
    for name, state in states.items():
        summary.waves += len(state.waves)
        if writers:
            _write_csv_rows(writers, stem, name, state)
        if Format.ARRAYS in formats:
            folder = out / "arrays" / (name.replace("/", "_") if several else "")
            folder.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(folder / f"{stem}.npz", signals=record.signals.astype(np.float32),
                                mask=wave_mask(state, record), fs=record.fs,
                                leads=np.array(record.lead_names),
                                waves=wave_rows(state, record.lead_names))
    if Format.WFDB in formats:
        first = next(iter(states.values()))
        _write_signals(record, out / "wfdb", stem, [] if several else header_comments(first),
                       deidentify)
        _write_page(record, out / "images", stem, deidentify)
        for name, state in states.items():
            folder = out / "wfdb" / (name.replace("/", "_") if several else "")
            delineation = Delineation(state.fs, state.lead_names,
                                      tuple(a.wave for a in state.waves.values()), name, "")
            write_wfdb_annotations(delineation, folder, stem)
    summary.records += 1
    summary.splits[split] = summary.splits.get(split, 0) + 1
    return [stem, info.id, split, f"{info.fs:g}", len(info.leads), info.n_samples,
            ";".join(states)]


def _write_index(out: Path, rows: list[list], summary: ExportSummary) -> None:
    with open(out / "records.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["stem", "record_id", "split", "fs", "leads", "n_samples", "sources"])
        w.writerows(rows)
    split = {name: [r[0] for r in rows if r[2] == name] for name in SPLITS}
    (out / "split.json").write_text(json.dumps(split, indent=1), encoding="utf-8")


def write_card(store: AnnotationStore, out: Path, chosen: list[Source], summary: ExportSummary,
               formats: set[Format], deidentify: bool, given_split: bool,
               rows: list[list]) -> None:
    """``dataset.json`` and ``dataset_card.md``: what is in the export and where it came from."""
    from rules.ruleset import load_ruleset

    models = sorted({s.model for s in store.find_sets() if s.model})
    card = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
            "sources": [{"name": s.name, "kind": s.kind.value} for s in chosen],
            "annotators": [{"id": a.id, "role": a.role.value} for a in store.annotators()],
            "records": summary.records, "waves": summary.waves, "splits": summary.splits,
            "split_rule": "given split file" if given_split else
                          "by patient, SHA-256 of the patient key: 70/15/15",
            "missing_signals": len(summary.missing), "formats": sorted(f.value for f in formats),
            "deidentified": deidentify, "models_in_store": models,
            "ruleset_version": load_ruleset().version,
            "agreement": _agreement_summary(store, [r[1] for r in rows])}
    (out / "dataset.json").write_text(json.dumps(card, indent=1), encoding="utf-8")
    (out / "dataset_card.md").write_text(_card_text(card), encoding="utf-8")


def _agreement_summary(store: AnnotationStore, records: list[str]) -> list[dict]:
    """Mean per-lead F1 and boundary SD of each pair of readers on (up to
    :data:`CARD_AGREEMENT_RECORDS` of) the exported records: the card stays cheap to write."""
    from workstation.panel.agreement import agreement
    from workstation.panel.sources import load_panel

    sources = all_sources(store)
    if len(sources) < 2 or not records:
        return []
    sample = set(sorted(records)[:CARD_AGREEMENT_RECORDS])
    report = agreement(load_panel(store, sources, sample, with_global=False), with_global=False)
    return [{"a": p.a, "b": p.b, "records": p.records,
             "mean_f1": round(p.per_lead.mean_f1(), 4),
             "sd_ms": {k: v["sd_ms"] for k, v in p.to_dict()["boundaries"].items()}}
            for p in report.pairs]


def _card_text(card: dict) -> str:
    lines = ["# Dataset card", "",
             f"Exported by ECG Workstation ({card['format']} v{card['version']}).", "",
             f"- **Sources**: {', '.join(s['name'] + ' (' + s['kind'] + ')' for s in card['sources'])}",
             f"- **Records**: {card['records']} ({card['waves']} waves); splits "
             + ", ".join(f"{k} {v}" for k, v in sorted(card["splits"].items()))
             + f" ({card['split_rule']})",
             "- **Annotators in the store**: "
             + ", ".join(f"{a['id']} ({a['role']})" for a in card["annotators"]),
             f"- **Models whose proposals the store holds**: {', '.join(card['models_in_store']) or 'none'}",
             f"- **Rule set**: {card['ruleset_version']}",
             f"- **De-identified**: {'yes' if card['deidentified'] else 'no'}; formats "
             f"{', '.join(card['formats'])}",
             f"- **Records left out (signal not found)**: {card['missing_signals']}", "",
             f"## Agreement between the readers (per lead, 150 ms window; on up to "
             f"{CARD_AGREEMENT_RECORDS} of the exported records)", ""]
    lines += [f"- {p['b']} vs {p['a']}: mean F1 {100 * p['mean_f1']:.2f} % on {p['records']} records"
              for p in card["agreement"]] or ["- one reader only"]
    return "\n".join(lines) + "\n"

