"""Export trace segmentation weights (``NAME.pt``) to the ONNX file the digitiser runs
(``NAME.onnx``).

Called by :mod:`inference.digitize.train` when it writes weights; by hand (needs the ``[train]``
extra)::

    python -m inference.digitize.export resources/models/trace-segmentation.pt

The file holds the network rearranged for inference (:func:`inference.digitize.model.fused`)
for a page of any height and width that are multiples of its stride, giving logits; its
metadata holds the name, version, probability threshold, stride and the SHA-256 of the weights.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from inference.digitize.model import TraceNet, fused, load_trained
from inference.export import export_onnx
from inference.runtime import ONNX_SUFFIX, sha256

#: Largest page side (pixels) the exported network is declared for: above a 600-dpi A4.
MAX_SIDE = 1 << 14


def export_weights(weights: Path, out: Path | None = None) -> Path:
    """Write the ONNX export of the weights file ``weights`` (default: beside it, ``.onnx``).

    Parameters
    ----------
    weights
        Weights saved by training (``name``, ``version``, ``config``, ``state_dict``,
        ``threshold``).
    out
        Where to write; default ``weights`` with the suffix ``.onnx``.

    Returns
    -------
    Path
        The file written.
    """
    model, blob = load_trained(weights)
    fields = {"name": blob["name"], "version": blob["version"],
              "threshold": repr(float(blob["threshold"])), "weights_sha256": sha256(weights)}
    return export_network(model, out or Path(weights).with_suffix(ONNX_SUFFIX), fields)


def export_network(model: TraceNet, out: Path, fields: dict[str, str]) -> Path:
    """Write ``model``'s inference form (logits per pixel) to ``out`` with ``fields``."""
    multiple = model.cfg.multiple
    rows = torch.export.Dim("rows", min=1, max=MAX_SIDE // multiple)
    cols = torch.export.Dim("cols", min=1, max=MAX_SIDE // multiple)
    example = torch.zeros(1, model.cfg.in_channels, 3 * multiple, 4 * multiple)
    return export_onnx(fused(model).float(), example, out, {2: multiple * rows, 3: multiple * cols},
                       {**fields, "multiple": str(multiple)})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", type=Path, nargs="+", help="weights files (.pt)")
    args = parser.parse_args(argv)
    for weights in args.weights:
        out = export_weights(weights)
        print(f"{out} ({out.stat().st_size / 1e6:.2f} MB, sha256 {sha256(out)})")


if __name__ == "__main__":
    main()
