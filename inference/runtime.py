"""The shipped models at run time: ONNX files run by ONNX Runtime on the CPU. No torch here.

Each network is trained with torch and exported next to its weights (``NAME.pt`` ->
``NAME.onnx``, see :mod:`inference.delineation.export` and :mod:`inference.digitize.export`);
the ONNX file carries its own provenance (name, version, architecture) as metadata, so the
workstation needs neither torch nor the weights file to run it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnxruntime as ort

#: File suffix of an exported network.
ONNX_SUFFIX = ".onnx"


def onnx_path(path: Path) -> Path:
    """The exported network for a weights file (``NAME.pt`` -> ``NAME.onnx``) or an ONNX file.

    Raises
    ------
    FileNotFoundError
        When there is no ONNX file: it is written by the training code's export step.
    """
    path = Path(path)
    exported = path if path.suffix == ONNX_SUFFIX else path.with_suffix(ONNX_SUFFIX)
    if not exported.is_file():
        raise FileNotFoundError(
            f"{exported}: no exported network for {path.name}; write it with "
            f"`python -m inference.delineation.export {path}` (needs the [train] extra)")
    return exported


def open_session(path: Path) -> ort.InferenceSession:
    """An ONNX Runtime session on the CPU for the network in ``path``.

    The worker threads sleep rather than spin while waiting: on a CPU shared with the GUI
    and other programs, spinning threads slow everything else down (the same reason torch
    ran with ``OMP_WAIT_POLICY=PASSIVE``).
    """
    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: no notes on stderr in a terminal command
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def metadata(session: ort.InferenceSession) -> dict[str, str]:
    """The provenance fields written into the ONNX file by the export step."""
    return dict(session.get_modelmeta().custom_metadata_map)


def run(session: ort.InferenceSession, x: np.ndarray) -> np.ndarray:
    """The network's single output for its single input ``x`` (float32)."""
    name = session.get_inputs()[0].name
    return session.run(None, {name: np.ascontiguousarray(x, dtype=np.float32)})[0]


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file (model cards and metadata quote it)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
