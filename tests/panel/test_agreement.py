"""Agreement from the store: the same figures as ``ecgws evaluate``, labels, disagreement."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inference.delineation.data import read_record
from inference.delineation.evaluate import Method, evaluate
from inference.delineation.predict import default_delineator
from inference.delineation.scoring import Boundary
from tests.panel.conftest import LUDB_RECORDS
from workstation.cli import main
from workstation.core.annotation import Label, LabelKind
from workstation.panel.agreement import agreement, boundary_key
from workstation.panel.importer import header_labels, import_folder
from workstation.panel.sources import all_sources, load_labels, load_panel
from workstation.store import AnnotationStore

pytestmark = pytest.mark.shared_data


def _tallies(scores) -> dict:
    return {b: (scores[b].tp, scores[b].fp, scores[b].fn, np.round(sorted(scores[b].errors_ms), 6)
                .tolist()) for b in Boundary}


def test_reference_and_model_in_the_store_give_evaluates_figures(ludb_dir: Path,
                                                                 store_path: Path) -> None:
    delineator = default_delineator()
    with AnnotationStore.open(store_path) as store:
        done = import_folder(store, ludb_dir, "ludb", stems=LUDB_RECORDS)
        assert [r.problem for r in done] == ["", "", ""]
        for name, result in zip(LUDB_RECORDS, done):
            store.add_proposal(result.record_id, delineator.delineate(read_record(ludb_dir, name)))
        data = load_panel(store, all_sources(store))
        report = agreement(data, load_labels(store, data))
    expected = evaluate((read_record(ludb_dir, n) for n in LUDB_RECORDS), [Method.OURS],
                        delineator.delineate)[0]
    (pair,) = report.pairs
    assert pair.a == "ludb" and pair.b.startswith("ecgws-delineation-unet/")
    assert _tallies(pair.per_lead) == _tallies(expected.per_lead)
    assert _tallies(pair.global_) == _tallies(expected.global_)
    figures = report.to_dict()["pairs"][0]["boundaries"]
    for b in Boundary:
        key = boundary_key(b)
        assert figures[key]["f1"] == pytest.approx(expected.per_lead[b].f1, abs=1e-4)
        assert figures[key]["sd_ms"] == pytest.approx(expected.per_lead[b].sd_ms, abs=1e-4)
        assert figures[key]["n"] == expected.per_lead[b].tp
    assert set(pair.intervals) == {"PR", "QRS", "QT", "QTc"}
    assert abs(pair.intervals["QRS"].bias) < 30  # the model is a good reader on these


def test_header_labels_read_rhythm_and_diagnoses(ludb_dir: Path) -> None:
    labels = header_labels(ludb_dir / "1.hea")
    assert Label(LabelKind.RHYTHM, "Sinus bradycardia") in labels
    assert Label(LabelKind.DIAGNOSTIC, "Left ventricular hypertrophy") in labels
    assert not any("51" in lb.code or lb.code == "F" for lb in labels)  # age, sex never read


def test_cli_imports_and_reports_json(ludb_dir: Path, tmp_path: Path, store_path: Path,
                                      capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "reader"
    folder.mkdir()
    for name in LUDB_RECORDS[:2]:
        for f in ludb_dir.glob(f"{name}.*"):
            (folder / f.name).write_bytes(f.read_bytes())
    assert main(["import-annotations", str(store_path), str(folder), "--annotator", "a1"]) == 0
    assert main(["import-annotations", str(store_path), str(folder), "--annotator", "a2"]) == 0
    capsys.readouterr()
    assert main(["agreement", str(store_path), "--annotators", "a1", "a2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    figures = report["pairs"][0]["boundaries"]
    assert set(figures) == {"P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off"}
    for key in figures:  # the same files twice: perfect agreement
        assert figures[key]["f1"] == 1.0 and figures[key]["mean_ms"] == 0.0
        assert {"se", "ppv", "sd_ms", "n"} <= set(figures[key])
    assert report["pairs"][0]["cohen_kappa"]["rhythm"]["n"] == 2
    assert set(report["disagreement"]["per_record"].values()) == {0.0}


def test_cli_names_the_problem(tmp_path: Path, store_path: Path,
                               capsys: pytest.CaptureFixture) -> None:
    assert main(["agreement", str(store_path)]) == 2
    assert f"error: {store_path}: no such store file" in capsys.readouterr().err
    assert main(["import-annotations", str(store_path), str(tmp_path / "nope"),
                 "--annotator", "a"]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_delineate_output_imported_as_the_model_gives_evaluates_figures(
        tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture) -> None:
    bundled = Path(__file__).resolve().parents[1] / "data" / "ludb"
    out = tmp_path / "delineated"
    assert main(["delineate", str(bundled / "1.hea"), "--out", str(out)]) == 0
    assert main(["import-annotations", str(store_path), str(bundled), "--annotator", "ludb"]) == 0
    assert main(["import-annotations", str(store_path), str(out), "--annotator", "unused",
                 "--records", str(bundled), "--model", "ecgws-delineation-unet/1.0.0"]) == 0
    capsys.readouterr()
    assert main(["agreement", str(store_path), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["pairs"][0]
    expected = evaluate([read_record(bundled, "1")], [Method.OURS],
                        default_delineator().delineate)[0]
    for b in Boundary:
        got = figures["boundaries"][boundary_key(b)]
        assert (got["n"], got["fp"], got["fn"]) == (expected.per_lead[b].tp,
                                                    expected.per_lead[b].fp,
                                                    expected.per_lead[b].fn)
        assert got["mean_ms"] == pytest.approx(expected.per_lead[b].mean_ms, abs=1e-4)
        assert figures["global"][boundary_key(b)]["f1"] == pytest.approx(
            expected.global_[b].f1, abs=1e-4)
