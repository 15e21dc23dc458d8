"""Records in the store: identified by a hash of their signal, described without the patient.

The id is a content hash, not a file name: the same ECG exported twice, renamed or copied to
another workstation is the same record, and a different ECG can never take its annotations.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from workstation.core.record import ECGRecord

_HASH_CHUNK = 1 << 20  # samples per lead read at a time: a 24 h Holter never sits in memory


@dataclass(frozen=True)
class RecordInfo:
    """What the store keeps about a record: de-identified metadata only.

    ``source_name`` is the file's name without its folder (folders often carry names).
    """

    id: str
    format: str
    fs: float
    leads: tuple[str, ...]
    n_samples: int
    duration_s: float
    source_name: str


def record_key(record: ECGRecord) -> str:
    """SHA-256 of the recorded signal: sampling rate, lead names and float32 samples.

    Leads computed by the workstation (derived limb leads) are left out and the recorded ones
    are taken in name order, so neither display order nor derivation changes the id.
    """
    recorded = sorted((lead.name, i) for i, lead in enumerate(record.leads) if not lead.derived)
    digest = hashlib.sha256()
    names = ",".join(name for name, _ in recorded)
    digest.update(f"ecgws-signal-v1|{record.fs!r}|{record.n_samples}|{names}|".encode())
    rows = [i for _, i in recorded]
    for start in range(0, record.n_samples, _HASH_CHUNK):
        window = record.window(start, min(start + _HASH_CHUNK, record.n_samples))
        for i in rows:
            digest.update(np.ascontiguousarray(window[i], dtype="<f4").tobytes())
    return digest.hexdigest()


def record_info(record: ECGRecord) -> RecordInfo:
    """The de-identified description of ``record`` (its id hashed from the signal)."""
    return RecordInfo(record_key(record), record.source.format, float(record.fs),
                      record.lead_names, record.n_samples, float(record.duration_s),
                      record.source.path.name)
