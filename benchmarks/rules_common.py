"""Shared helpers of the rules benchmarks: LUDB records, splits, diagnoses and delineations.

Model delineations are cached under ``benchmarks/.cache/rules/`` keyed by the weights'
SHA-256, so a re-run after retraining delineates again and an unchanged model does not.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workstation.core.delineation import (  # noqa: E402
    Delineation, read_json, read_wfdb_annotations, write_json)
from workstation.core.record import ECGRecord  # noqa: E402
from workstation.io import read_ecg  # noqa: E402

SHARED = Path(os.environ.get("ECGWS_SHARED_DATA", ROOT.parent / "shared" / "data"))
LUDB = SHARED / "ludb"
CACHE = ROOT / "benchmarks" / ".cache" / "rules"


def split(name: str) -> list[str]:
    """Record names of an LUDB split ("train", "validation", "test") or "all"."""
    splits = json.loads((LUDB / "splits.json").read_text(encoding="utf-8"))
    if name == "all":
        return sorted({n for k in ("train", "validation", "test") for n in splits[k]}, key=int)
    return [str(n) for n in splits[name]]


def record(name: str) -> ECGRecord:
    return read_ecg(LUDB / f"{name}.hea")


def reference(rec: ECGRecord, name: str) -> Delineation:
    """LUDB's cardiologists' per-lead annotations as a Delineation (confidences 1)."""
    return read_wfdb_annotations(LUDB / name, rec.lead_names, rec.fs, source="reference")


def weights_digest() -> str:
    from resources import resource_path

    data = resource_path("models", "delineation-unet.pt").read_bytes()
    return hashlib.sha256(data).hexdigest()


def model_delineation(rec: ECGRecord, key: str) -> Delineation:
    """The shipped model's delineation of ``rec``, cached by weights digest and ``key``."""
    folder = CACHE / weights_digest()[:16]
    path = folder / f"{key}.json"
    if path.exists():
        return read_json(path)
    import inference

    delineation = inference.delineate(rec)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(delineation, path)
    return delineation


def diagnoses() -> dict[str, dict[str, str]]:
    """ludb.csv rows by record name; each cell's lines joined with " | ", lower case."""
    with open(LUDB / "ludb.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {row["ID"]: {k: " | ".join(v.strip().lower() for v in (row[k] or "").splitlines()
                                      if v.strip())
                        for k in row} for row in rows}
