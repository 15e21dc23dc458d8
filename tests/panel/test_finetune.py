"""Fine-tuning from an export, and switching the workstation to the new model version."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import inference
from inference.delineation.finetune import ExportError, FinetuneConfig, finetune, read_split
from inference.delineation.predict import default_weights_path
from workstation.cli import main
from workstation.io import read_ecg
from workstation.panel.export import Format, export
from workstation.panel.importer import import_folder
from workstation.store import AnnotationStore

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = (ROOT / "tests" / "data" / "ludb", ROOT / "resources" / "sample")


@pytest.fixture
def small_export(tmp_path: Path, store_path: Path) -> Path:
    """Two bundled LUDB records as one reader's sets: record 1 to train on, record 2 held out."""
    out = tmp_path / "export"
    with AnnotationStore.open(store_path) as store:
        for folder in FOLDERS:
            assert all(not r.problem for r in import_folder(store, folder, "reader"))
        export(store, out, source="reader", formats=[Format.ARRAYS], records_dirs=FOLDERS,
               splits={"train": ["1"], "validation": [], "test": ["ludb_2"]})
    return out


def test_finetune_writes_a_new_version_with_card_and_leaves_the_shipped_model(
        small_export: Path, tmp_path: Path) -> None:
    shipped = hashlib.sha256(default_weights_path().read_bytes()).hexdigest()
    out = tmp_path / "models" / "ft.pt"
    cfg = FinetuneConfig(epochs=1, patience=1, batch=4, steps_per_epoch=1)
    figures = finetune(small_export, out, cfg=cfg, log=lambda _: None)
    assert hashlib.sha256(default_weights_path().read_bytes()).hexdigest() == shipped
    assert figures["model"].startswith("ecgws-delineation-unet/1.0.0-ft.")
    assert figures["data"] == {"train": 1, "validation": 0, "test": 1}
    assert figures["before"]["records"] == figures["after"]["records"] == 1
    assert 0.5 < figures["before"]["per_lead"]["QRS_on"]["f1"] <= 1.0
    assert json.loads(out.with_suffix(".json").read_text())["model"] == figures["model"]
    assert "Held-out test split, before and after" in out.with_suffix(".md").read_text()

    record = read_ecg(FOLDERS[1] / "ludb_2.hea")
    try:
        info = inference.set_active_model(out)
        assert f"{info.name}/{info.version}" == figures["model"]
        assert inference.delineate(record).model_version == info.version
        assert inference.delineate(record, model_path=default_weights_path()).model_version \
            == "1.0.0"
    finally:
        inference.set_active_model(None)
    assert inference.delineate(record).model_version == "1.0.0"


def test_finetune_names_a_folder_that_is_not_an_export(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ExportError, match="split.json"):
        read_split(tmp_path, "train")
    assert main(["finetune", str(tmp_path), "--out", str(tmp_path / "m.pt")]) == 2
    assert "split.json: not an export's split file" in capsys.readouterr().err
    assert main(["finetune", str(tmp_path), "--out", str(default_weights_path())]) == 2
    assert "never overwritten" in capsys.readouterr().err
