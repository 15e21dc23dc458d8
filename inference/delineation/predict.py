"""``delineate(record) -> Delineation``: the trained network applied to any record.

The network runs as its ONNX export under ONNX Runtime (:mod:`inference.runtime`): no torch at
run time.

Any sampling rate (resampled to 500 Hz and mapped back to the record's grid), any lead set
(each lead is delineated on its own, all leads in one batch), NaN gaps (bridged for the
network, no wave kept that touches one), and records of any length: long ones (a 24 h
Holter) are read window by window through ``record.window`` with overlapping margins, so
memory stays bounded by one window.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from inference.delineation.postprocess import Segments, find_waves
from inference.delineation.preprocess import MODEL_FS, fill_gaps, prepare
from inference.runtime import metadata, onnx_path, open_session, run
from workstation.core.conditioning import resample
from workstation.core.delineation import Delineation, Wave, WaveKind, wave_id
from workstation.core.record import ECGRecord

#: The trained weights (training and fine-tuning start from them; torch reads them).
WEIGHTS_FILE = "delineation-unet.pt"
#: The same network exported for ONNX Runtime: what the workstation runs.
MODEL_FILE = "delineation-unet.onnx"
#: Long records are delineated in windows of this core length plus margins either side.
CHUNK_S = 120.0
#: Context either side of a window's core; longer than any wave plus the network's reach.
MARGIN_S = 6.0


@dataclass(frozen=True)
class ModelInfo:
    """Provenance of the weights, stored with them."""

    name: str
    version: str


class Network(Protocol):
    """Class probabilities for prepared leads: ``(records, leads, samples)`` float32 in,
    ``(records, leads, classes, samples)`` out; ``samples`` a multiple of :attr:`multiple`."""

    multiple: int

    def __call__(self, x: np.ndarray) -> np.ndarray: ...


class OnnxNetwork:
    """The exported network run by ONNX Runtime on the CPU (see :mod:`inference.runtime`)."""

    def __init__(self, path: Path) -> None:
        self._session = open_session(path)
        fields = metadata(self._session)
        config = json.loads(fields["config"])
        self.info = ModelInfo(fields["name"], fields["version"])
        self.multiple = int(config["fold"]) * 2 ** (len(config["widths"]) - 1)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return run(self._session, x)


def default_weights_path() -> Path:
    """The shipped weights file (what fine-tuning starts from)."""
    from resources import resource_path

    return resource_path("models", WEIGHTS_FILE)


def default_model_path() -> Path:
    """The shipped network as run by the workstation (ONNX)."""
    from resources import resource_path

    return resource_path("models", MODEL_FILE)


class Delineator:
    """A loaded network and what turns its output into a :class:`Delineation`."""

    def __init__(self, network: Network, info: ModelInfo) -> None:
        self.network = network
        self.info = info
        self._lock = threading.Lock()  # one forward pass at a time per instance

    @classmethod
    def load(cls, path: Path | None = None) -> "Delineator":
        """The network at ``path`` (an ``.onnx`` file, or weights with their ``.onnx`` beside
        them; default the shipped one). OSError, KeyError or ONNX Runtime's errors when the
        file is missing or is not such a network."""
        network = OnnxNetwork(onnx_path(path or default_model_path()))
        return cls(network, network.info)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (leads, classes, samples) for normalised leads (leads, samples)."""
        n, length = x.shape
        multiple = self.network.multiple
        padded = -(-length // multiple) * multiple
        batch = np.zeros((1, n, padded), dtype=np.float32)  # one record, all its leads
        batch[0, :, :length] = x
        with self._lock:
            probs = self.network(batch)[0]
        return probs[..., :length]

    def segments(self, signals: np.ndarray, valid: np.ndarray | None = None
                 ) -> list[dict[WaveKind, Segments]]:
        """Waves per lead on the 500 Hz grid for signals (leads, samples) in mV at 500 Hz."""
        x, clean, finite = prepare(signals, MODEL_FS)
        valid = finite if valid is None else valid & finite
        return find_waves(self.probabilities(x), clean, valid)

    def delineate(self, record: ECGRecord) -> Delineation:
        """Every P, QRS and T on every lead of ``record``, in the record's samples."""
        waves: list[Wave] = []
        for start, stop, core_start, core_stop in windows(record.n_samples, record.fs):
            raw = record.window(start, stop)
            for lead, segs in zip(record.lead_names, self._window_segments(raw, record.fs)):
                waves += _to_waves(segs, lead, record.fs, start, core_start, core_stop)
        return Delineation(record.fs, record.lead_names, tuple(waves),
                           self.info.name, self.info.version)

    def _window_segments(self, raw: np.ndarray, fs: float) -> list[dict[WaveKind, Segments]]:
        filled, valid = fill_gaps(raw)
        if fs == MODEL_FS:
            return self.segments(filled, valid)
        x = resample(filled, fs, MODEL_FS)
        if valid.all():  # nothing to map back to the network's grid
            return self.segments(x)
        source = np.minimum((np.arange(x.shape[-1]) * fs / MODEL_FS).astype(np.int64),
                            raw.shape[-1] - 1)
        return self.segments(x, valid[:, source])


def windows(n_samples: int, fs: float) -> list[tuple[int, int, int, int]]:
    """(start, stop, core_start, core_stop) of each window over a record, in its samples.

    A wave belongs to the window whose core holds its onset; the margins give it the context
    the network needs and room for its offset.
    """
    core, margin = int(CHUNK_S * fs), int(MARGIN_S * fs)
    if n_samples <= core + 2 * margin:
        return [(0, n_samples, 0, n_samples)]
    out = []
    for core_start in range(0, n_samples, core):
        core_stop = min(n_samples, core_start + core)
        out.append((max(0, core_start - margin), min(n_samples, core_stop + margin),
                    core_start, core_stop))
    return out


def _to_waves(segs: dict[WaveKind, Segments], lead: str, fs: float, start: int,
              core_start: int, core_stop: int) -> list[Wave]:
    """Waves of one lead mapped from the 500 Hz grid of a window to the record's samples."""
    ratio = fs / MODEL_FS
    waves = []
    for kind, s in segs.items():
        on = start + np.rint(s.onset * ratio).astype(np.int64)
        pk = start + np.rint(s.peak * ratio).astype(np.int64)
        off = start + np.rint(s.offset * ratio).astype(np.int64)
        keep = np.flatnonzero((on >= core_start) & (on < core_stop))
        conf = np.clip(np.stack([s.onset_conf, s.peak_conf, s.offset_conf]), 0.0, 1.0)[:, keep]
        prefix = wave_id(kind, lead, 0)[:-1]  # ids made here: one string join per wave
        for a, p, b, ca, cp, cb in zip(on[keep].tolist(), pk[keep].tolist(), off[keep].tolist(),
                                       *conf.tolist()):
            waves.append(Wave(kind, lead, a, p, b, ca, cp, cb, f"{prefix}{a}"))
    return waves


@lru_cache(maxsize=1)
def default_delineator() -> Delineator:
    """The shipped model, loaded once."""
    return Delineator.load()


def delineate(record: ECGRecord) -> Delineation:
    """Delineate ``record`` with the shipped model (see :class:`Delineator`)."""
    return default_delineator().delineate(record)
