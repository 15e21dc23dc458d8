"""Export delineation weights (``NAME.pt``) to the ONNX file the workstation runs (``NAME.onnx``).

Called by :mod:`inference.delineation.train` and :mod:`inference.delineation.finetune` whenever
they write weights; by hand (needs the ``[train]`` extra)::

    python -m inference.delineation.export resources/models/delineation-unet.pt

The file holds the network with batch norm folded, as (1 x k) 2-D convolutions, and the softmax
over classes, for one record
of any number of leads and any length that is a multiple of the network's stride; its metadata
holds the model's name, version and architecture, and the SHA-256 of the weights it came from.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from inference.delineation.model import (DelineationNet, Probabilities, fuse_batchnorm,
                                         load_trained, make_planar)
from inference.export import export_onnx
from inference.runtime import ONNX_SUFFIX, sha256

#: Most leads and samples the exported network is declared for (a 132 s window at 500 Hz
#: is 66,000 samples; the bound only has to be above what the workstation feeds it).
MAX_LEADS = 64
MAX_SAMPLES = 1 << 22


def export_weights(weights: Path, out: Path | None = None) -> Path:
    """Write the ONNX export of the weights file ``weights`` (default: beside it, ``.onnx``).

    Parameters
    ----------
    weights
        Weights saved by training or fine-tuning (``name``, ``version``, ``config``,
        ``state_dict``).
    out
        Where to write; default ``weights`` with the suffix ``.onnx``.

    Returns
    -------
    Path
        The file written.
    """
    model, blob = load_trained(weights)
    fields = {"name": blob["name"], "version": blob["version"],
              "config": json.dumps(blob["config"]), "weights_sha256": sha256(weights)}
    return export_network(model, out or Path(weights).with_suffix(ONNX_SUFFIX), fields)


def export_network(model: DelineationNet, out: Path, fields: dict[str, str]) -> Path:
    """Write ``model`` (any mode; a copy is folded and made planar for inference, see
    :func:`inference.delineation.model.make_planar`) to ``out`` with ``fields``."""
    folded = DelineationNet(model.config)
    folded.load_state_dict(model.state_dict())
    net = Probabilities(make_planar(fuse_batchnorm(folded.eval()))).eval()
    multiple = model.config.multiple
    steps = torch.export.Dim("steps", min=1, max=MAX_SAMPLES // multiple)
    leads = torch.export.Dim("leads", min=1, max=MAX_LEADS)
    example = torch.zeros(1, 3, 4 * multiple)
    return export_onnx(net, example, out, {1: leads, 2: multiple * steps}, fields)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", type=Path, nargs="+", help="weights files (.pt)")
    args = parser.parse_args(argv)
    for weights in args.weights:
        out = export_weights(weights)
        print(f"{out} ({out.stat().st_size / 1e6:.2f} MB, sha256 {sha256(out)})")


if __name__ == "__main__":
    main()
