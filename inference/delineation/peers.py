"""The open delineators a user would otherwise pick, run on the same records for comparison.

- NeuroKit2 ``ecg_delineate`` (discrete wavelet method, after NeuroKit2's own cleaning and
  R-peak detection; Makowski et al., Behav Res Methods 2021;53:1689-1696), lead by lead.
- ``ecgdeli``, the Python port of KIT-IBT's ECGdeli (Pilia et al., SoftwareX 2021;13:100639),
  all leads at once with its own filtering.

Both report one row per beat (onset, peak, offset of each wave, NaN where missing), so each
wave is parsed by its own beat row, never by adjacency: a P offset that lands after the QRS
onset stays that P wave's offset. Boundaries whose partner is missing are still scored.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from enum import Enum

import numpy as np

from inference.delineation.preprocess import fill_gaps
from inference.delineation.scoring import Boundary, LeadBoundaries
from workstation.core.delineation import Delineation, Wave, WaveKind
from workstation.core.record import ECGRecord


class Peer(Enum):
    """A third-party delineator, by its display name."""

    NEUROKIT2 = "NeuroKit2"
    ECGDELI = "ecgdeli"

    @property
    def module(self) -> str:
        return {Peer.NEUROKIT2: "neurokit2", Peer.ECGDELI: "ecgdeli"}[self]

    @property
    def pip_command(self) -> str:
        return f"pip install {self.module}"

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


@dataclass(frozen=True)
class PeerOutput:
    """A peer's result: complete waves as a Delineation, and every boundary it reported."""

    delineation: Delineation
    boundaries: dict[str, LeadBoundaries]


#: Per kind, the (onset, peak, offset) columns of a beat table.
BeatTable = dict[WaveKind, tuple[np.ndarray, np.ndarray, np.ndarray]]


def parse_beats(lead: str, table: BeatTable) -> tuple[list[Wave], LeadBoundaries]:
    """Waves (where onset and offset are both present) and all boundaries of one lead.

    A peak outside its own wave's span is clipped into it; a wave whose offset precedes its
    onset is no wave (its boundaries are still scored as reported).
    """
    waves, positions = [], {}
    for kind, (on, pk, off) in table.items():
        on, pk, off = (np.asarray(a, dtype=np.float64) for a in (on, pk, off))
        positions[Boundary((kind, True))] = np.sort(on[np.isfinite(on)]).astype(np.int64)
        positions[Boundary((kind, False))] = np.sort(off[np.isfinite(off)]).astype(np.int64)
        for a, p, b in zip(on.tolist(), pk.tolist(), off.tolist()):
            if np.isfinite(a) and np.isfinite(b) and a <= b:
                peak = int(np.clip(p, a, b)) if np.isfinite(p) else int((a + b) // 2)
                waves.append(Wave(kind, lead, int(a), peak, int(b)))
    return waves, LeadBoundaries(positions)


def run_peer(peer: Peer, record: ECGRecord) -> PeerOutput:
    """Delineate ``record`` with ``peer`` (which must be installed)."""
    signals, _ = fill_gaps(record.signals)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both peers warn freely on short or noisy leads
        tables = (_neurokit_tables(signals, record.fs) if peer is Peer.NEUROKIT2
                  else _ecgdeli_tables(signals, record.fs))
    waves, boundaries = [], {}
    for lead, table in zip(record.lead_names, tables):
        lead_waves, boundaries[lead] = parse_beats(lead, table)
        waves += lead_waves
    version = _version(peer.module)
    return PeerOutput(Delineation(record.fs, record.lead_names, tuple(waves), peer.value, version),
                      boundaries)


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return ""


def _neurokit_tables(signals: np.ndarray, fs: float) -> list[BeatTable]:
    import neurokit2 as nk

    tables = []
    for x in signals:
        try:
            clean = nk.ecg_clean(x, sampling_rate=fs)
            _, info = nk.ecg_peaks(clean, sampling_rate=fs)
            r = np.asarray(info["ECG_R_Peaks"], dtype=np.float64)
            _, w = nk.ecg_delineate(clean, info["ECG_R_Peaks"], sampling_rate=fs, method="dwt")
        except Exception:  # noqa: BLE001 - a peer failing on a lead delineates nothing there
            tables.append({})
            continue
        tables.append({
            WaveKind.P: (w["ECG_P_Onsets"], w["ECG_P_Peaks"], w["ECG_P_Offsets"]),
            WaveKind.QRS: (w["ECG_R_Onsets"], r, w["ECG_R_Offsets"]),
            WaveKind.T: (w["ECG_T_Onsets"], w["ECG_T_Peaks"], w["ECG_T_Offsets"]),
        })
    return tables


def _ecgdeli_tables(signals: np.ndarray, fs: float) -> list[BeatTable]:
    import ecgdeli

    try:
        filtered = ecgdeli.filter_ecg(signals.T, fs)
        annotation = ecgdeli.annotate(filtered, fs)
    except Exception:  # noqa: BLE001
        return [{} for _ in signals]
    tables = []
    for fpt in annotation.leads:
        s = fpt.samples  # (beats, 12) float, NaN where missing
        col = ecgdeli.Wave
        tables.append({
            WaveKind.P: (s[:, col.P_ON], s[:, col.P_PEAK], s[:, col.P_OFF]),
            WaveKind.QRS: (s[:, col.QRS_ON], s[:, col.R_PEAK], s[:, col.QRS_OFF]),
            WaveKind.T: (s[:, col.T_ON], s[:, col.T_PEAK], s[:, col.T_OFF]),
        })
    return tables
