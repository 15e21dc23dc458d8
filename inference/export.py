"""Writing a trained network as an ONNX file for :mod:`inference.runtime` (needs torch and onnx:
the ``[train]`` extra).

The training and fine-tuning code calls this whenever it writes weights, so a ``NAME.pt`` always
has its ``NAME.onnx`` beside it. The file holds the network in evaluation form (batch norm
folded, output activation included) and its provenance as ONNX metadata.
"""

from __future__ import annotations

import io
import logging
import tempfile
import warnings
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Iterator

import onnx
import torch

#: ONNX operator set written (ONNX Runtime 1.18 and later run it).
OPSET = 18


def export_onnx(module: torch.nn.Module, example: torch.Tensor, path: Path,
                dynamic_shapes: dict, fields: dict[str, str]) -> Path:
    """Write ``module`` (evaluation mode) to ``path`` with ``fields`` as metadata.

    Parameters
    ----------
    module
        The network to export, in evaluation mode; its forward takes one tensor ``x``.
    example
        An input of a valid shape (traced once).
    path
        The ``.onnx`` file to write (written aside, then renamed: never half a file).
    dynamic_shapes
        ``torch.export`` dynamic dimensions of ``x`` (e.g. leads and samples).
    fields
        Provenance written as the model's metadata (name, version, ...).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        traced = Path(tmp) / "model.onnx"
        # the exporter prints its progress and warns about its own internals
        with warnings.catch_warnings(), redirect_stdout(io.StringIO()), _quiet("torch.onnx"):
            warnings.simplefilter("ignore")
            torch.onnx.export(module.eval(), (example,), traced, input_names=["x"],
                              output_names=["y"], dynamic_shapes={"x": dynamic_shapes},
                              opset_version=OPSET, dynamo=True, external_data=False)
        model = onnx.load(traced)
    _set_metadata(model, fields)
    onnx.checker.check_model(model)
    tmp_path = path.with_suffix(".onnx.tmp")
    onnx.save(model, tmp_path)
    tmp_path.replace(path)
    return path


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Errors only from ``logger_name`` while the block runs."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _set_metadata(model: onnx.ModelProto, fields: dict[str, str]) -> None:
    del model.metadata_props[:]
    for key, value in fields.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
