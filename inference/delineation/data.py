"""LUDB as arrays for training and validation: one row per (record, lead).

LUDB (Kalyakulina et al., IEEE Access 2020;8:186181-186190; PhysioNet, ODC-By 1.0): 200
ten-second 12-lead records at 500 Hz, every P, QRS and T marked on every lead. The split is
the project's ``splits.json`` beside the data (train / validation / test).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from inference.delineation.labels import label_lead
from workstation.core.record import ECGRecord
from workstation.io import read_ecg


class Split(Enum):
    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


def default_ludb_dir() -> Path:
    """``$ECGWS_SHARED_DATA/ludb``, else ``../shared/data/ludb`` beside the checkout."""
    shared = os.environ.get("ECGWS_SHARED_DATA")
    if shared:
        return Path(shared) / "ludb"
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "ludb"


def split_records(data_dir: Path, split: Split) -> list[str]:
    """Record names (``"5"``, ``"10"``...) of ``split`` from ``data_dir/splits.json``."""
    path = data_dir / "splits.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no splits.json (is {data_dir} the LUDB folder?)")
    return [str(name) for name in json.loads(path.read_text(encoding="utf-8"))[split.value]]


def read_record(data_dir: Path, name: str) -> ECGRecord:
    return read_ecg(data_dir / f"{name}.hea")


def lead_marks(record: ECGRecord, lead: str) -> tuple[list[int], list[str]]:
    """Samples and symbols of the annotations on ``lead``, by sample."""
    marks = sorted((a.sample, a.symbol) for a in record.annotations if a.lead == lead)
    return [m[0] for m in marks], [m[1] for m in marks]


@dataclass(frozen=True)
class LeadSet:
    """Signals and labels of many leads of equal length (one row each)."""

    signals: np.ndarray  # float32 mV, (rows, samples)
    labels: np.ndarray  # int8 Label or IGNORE, (rows, samples)
    rows: tuple[tuple[str, str], ...]  # (record, lead) of each row
    marks: tuple[tuple[list[int], list[str]], ...]  # (samples, symbols) of each row
    fs: float


def load_leads(data_dir: Path, records: list[str]) -> LeadSet:
    """Every lead of ``records`` with its per-sample labels."""
    signals, labels, rows, marks = [], [], [], []
    fs = None
    for name in records:
        record = read_record(data_dir, name)
        fs = record.fs if fs is None else fs
        if record.fs != fs:
            raise ValueError(f"record {name}: {record.fs} Hz, expected {fs} Hz")
        for i, lead in enumerate(record.lead_names):
            samples, symbols = lead_marks(record, lead)
            signals.append(record.signals[i])
            labels.append(label_lead(record.n_samples, samples, symbols))
            rows.append((name, lead))
            marks.append((samples, symbols))
    return LeadSet(np.stack(signals).astype(np.float32), np.stack(labels), tuple(rows),
                   tuple(marks), float(fs or 0))
