"""Retraining exports: formats, split, card, de-identification, and re-import."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from inference.delineation.labels import Label as MaskLabel
from tests.panel.conftest import LUDB_RECORDS
from workstation.cli import main
from workstation.panel.export import Format, assign_splits, export
from workstation.panel.importer import import_folder
from workstation.store import AnnotationStore, RecordInfo


def _content(store: AnnotationStore, annotator: str) -> list:
    """Each set's waves (lead, kind, onset, peak, offset) and labels, in a stable order."""
    out = []
    for info in store.find_sets(annotator_id=annotator):
        state = store.load(info.id)
        waves = sorted((w.lead, w.kind.value, w.onset, w.peak, w.offset)
                       for w in (a.wave for a in state.waves.values()))
        out.append((waves, sorted((lb.kind.value, lb.code) for lb in state.labels)))
    return sorted(out)


@pytest.mark.shared_data
def test_export_writes_every_format_and_reimports_to_the_same_sets(
        ludb_dir: Path, tmp_path: Path, store_path: Path) -> None:
    out = tmp_path / "export"
    with AnnotationStore.open(store_path) as store:
        first = import_folder(store, ludb_dir, "ludb", stems=LUDB_RECORDS)
        summary = export(store, out, source="ludb", records_dirs=[ludb_dir],
                         formats=[Format.WFDB, Format.CSV, Format.ARRAYS])
        original = _content(store, "ludb")
    assert summary.records == 3 and not summary.missing
    split = json.loads((out / "split.json").read_text())
    assert sorted(sum(split.values(), [])) == sorted(p.stem for p in (out / "arrays").glob("*.npz"))
    headers = list((out / "wfdb").glob("*.hea"))
    assert len(headers) == 3
    for header in headers:  # de-identified: no file name, no age or sex
        text = header.read_text()
        assert "source:" not in text and "<age>" not in text and "<sex>" not in text
        assert "#Rhythm:" in text
    with open(out / "boundaries.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == summary.waves and {r["kind"] for r in rows} == {"P", "QRS", "T"}
    arrays = np.load(next((out / "arrays").glob("*.npz")))
    assert arrays["signals"].shape == arrays["mask"].shape == (12, 5000)
    assert set(np.unique(arrays["mask"])) <= {-1, *(int(v) for v in MaskLabel)}
    card = json.loads((out / "dataset.json").read_text())
    assert card["records"] == 3 and card["deidentified"] and card["ruleset_version"]
    assert "ludb" in (out / "dataset_card.md").read_text()

    with AnnotationStore.open(tmp_path / "again.ecgws") as again:
        done = import_folder(again, out / "wfdb", "ludb")
        assert [r.problem for r in done] == ["", "", ""]
        assert _content(again, "ludb") == original
    # the signals were written at LUDB's own resolution, so each record keeps its id
    assert sorted(r.record_id for r in done) == sorted(r.record_id for r in first)


def test_split_is_by_patient_and_stable() -> None:
    infos = {f"id{i}": RecordInfo(f"id{i}", "WFDB", 500.0, ("II",), 5000, 10.0, f"r{i}.hea")
             for i in range(200)}
    patients = {f"r{i}.hea": f"patient{i // 4}" for i in range(200)}
    split = assign_splits(infos, patients)
    assert split == assign_splits(infos, patients)
    for p in range(50):  # a patient's four records share a split
        assert len({split[f"id{i}"] for i in range(4 * p, 4 * p + 4)}) == 1
    assert {"train", "validation", "test"} == set(split.values())
    given = assign_splits(infos, given={"train": ["r1"], "validation": [], "test": ["r2"]})
    assert given == {"id1": "train", "id2": "test"}


def test_export_cli_without_signals_folder_is_refused(tmp_path: Path, store_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    AnnotationStore.open(store_path).close()
    assert main(["export", str(store_path), "--out", str(tmp_path / "x")]) == 2
    assert "--records FOLDER is needed" in capsys.readouterr().err
    assert main(["export", str(store_path), "--out", str(tmp_path / "x"), "--format", "csv"]) == 2
    assert "no consensus in this store" in capsys.readouterr().err
