"""Models over ECG records (delineation, digitisation of scans). Pure computation, no Qt.

Nothing here imports torch: the networks run as ONNX exports under ONNX Runtime
(:mod:`inference.runtime`); torch is needed only to train, fine-tune and export them (the
``[train]`` extra). :func:`delineate` loads the model on first use. The shipped delineation
model is used unless another one (a fine-tuned version, see
:mod:`inference.delineation.finetune`: ``MODEL.onnx``, or its ``MODEL.pt`` with the export
beside it) is made the active one with :func:`set_active_model` or passed as ``model_path``;
every delineation names the model version that made it.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inference.delineation.predict import Delineator, ModelInfo
    from workstation.core.delineation import Delineation
    from workstation.core.record import ECGRecord

_active_path: Path | None = None
_lock = threading.Lock()


def delineate(record: "ECGRecord", model_path: Path | str | None = None) -> "Delineation":
    """P, QRS and T onset, peak and offset on every lead of ``record``.

    With the model at ``model_path``, else the active one (:func:`set_active_model`), else the
    shipped model. Any sampling rate, any lead set, NaN gaps and records of any length; safe
    to call from a worker thread. See :mod:`inference.delineation.predict`.
    """
    path = Path(model_path) if model_path is not None else _active_path
    if path is None:
        from inference.delineation.predict import delineate as _delineate

        return _delineate(record)
    return _delineator(path.resolve()).delineate(record)


def set_active_model(path: Path | str | None) -> "ModelInfo":
    """Make the model at ``path`` (None: the shipped model) what :func:`delineate` uses.

    ``path`` is an ONNX export, or a weights file with its export beside it. Loads it first,
    so a bad file raises here (OSError, KeyError, ONNX Runtime's errors) and the active model
    stays as it was. Returns the model's name and version.
    """
    global _active_path
    from inference.delineation.predict import default_delineator

    chosen = None if path is None else Path(path).resolve()
    info = (default_delineator() if chosen is None else _delineator(chosen)).info
    with _lock:
        _active_path = chosen
    return info


def active_model() -> "ModelInfo":
    """Name and version of the model :func:`delineate` uses now."""
    from inference.delineation.predict import default_delineator

    return (default_delineator() if _active_path is None else _delineator(_active_path)).info


@lru_cache(maxsize=4)
def _delineator(path: Path) -> "Delineator":
    from inference.delineation.predict import Delineator

    return Delineator.load(path)
