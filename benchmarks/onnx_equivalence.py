"""The shipped ONNX exports against the torch networks they come from (needs the [train] extra).

Run: ``.venv/bin/python benchmarks/onnx_equivalence.py [--records 40] [--prints 6]``

Delineation on the LUDB test split: waves found by one and not the other, and how far each
boundary of the common waves moves (samples at 500 Hz). Digitiser on 200-dpi prints of test
records (scan and photo degradations): ink-mask pixels that differ, and whether the traced
signals are identical.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.delineation.data import Split, default_ludb_dir, read_record, split_records  # noqa: E402
from inference.delineation.model import TorchNetwork, fuse_batchnorm, load_trained  # noqa: E402
from inference.delineation.predict import Delineator, default_delineator, default_weights_path  # noqa: E402
from inference.digitize.model import fused  # noqa: E402
from inference.digitize.model import load_trained as load_trace_net  # noqa: E402
from inference.digitize.predict import WEIGHTS_PATH, TraceSegmenter, default_segmenter  # noqa: E402
from workstation.scan.digitize import digitize  # noqa: E402
from workstation.scan.page import normalise  # noqa: E402
from workstation.scan.synth import degrade, render  # noqa: E402


def torch_delineator() -> Delineator:
    model, _ = load_trained(default_weights_path())
    return Delineator(TorchNetwork(fuse_batchnorm(model.eval())), default_delineator().info)


def torch_segmenter() -> TraceSegmenter:
    model, _ = load_trace_net(WEIGHTS_PATH)
    net = fused(model)

    def logits(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return net(torch.from_numpy(x).contiguous(memory_format=torch.channels_last)).numpy()

    return TraceSegmenter(logits, default_segmenter().info, model.cfg.multiple)


def delineation(records: list[str], ludb: Path) -> None:
    ours, theirs = default_delineator(), torch_delineator()
    shifts, only = Counter(), 0
    for name in records:
        record = read_record(ludb, name)
        a = {(w.lead, w.kind, w.onset): w for w in ours.delineate(record).waves}
        b = {(w.lead, w.kind, w.onset): w for w in theirs.delineate(record).waves}
        only += len(a.keys() ^ b.keys())
        for key in a.keys() & b.keys():
            for x, y in ((a[key].peak, b[key].peak), (a[key].offset, b[key].offset)):
                shifts[abs(x - y)] += 1
            shifts[0] += 1  # the onset, equal by the key
    total = sum(shifts.values())
    print(f"delineation, {len(records)} LUDB test records: {total} boundaries of common waves; "
          f"moved by n samples: {dict(sorted(shifts.items()))}; waves in only one: {only}")


def digitiser(records: list[str], ludb: Path) -> None:
    ours, theirs = default_segmenter(), torch_segmenter()
    for i, name in enumerate(records):
        level = ("scan", "photo")[i % 2]
        image = degrade(render(read_record(ludb, name), dpi=200, style="red"), level,
                        seed=int(name)).image
        contrast = normalise(image)
        differing = np.count_nonzero(ours.mask(image, contrast) != theirs.mask(image, contrast))
        a, b = digitize(image, ink=ours.mask), digitize(image, ink=theirs.mask)
        same = a.lead_names == b.lead_names and np.array_equal(a.signals, b.signals,
                                                                equal_nan=True)
        print(f"print of record {name} ({level}, {image.shape[1]}x{image.shape[0]} px): "
              f"{differing} mask pixels differ; traced signals identical: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=40)
    parser.add_argument("--prints", type=int, default=6)
    args = parser.parse_args()
    ludb = default_ludb_dir()
    names = split_records(ludb, Split.TEST)
    delineation(names[:args.records], ludb)
    digitiser(names[:args.prints], ludb)


if __name__ == "__main__":
    main()
