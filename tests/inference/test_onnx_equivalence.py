"""The shipped ONNX exports give what the torch networks they were exported from give.

Delineation: on LUDB test-split records (and the bundled validation record 1), the same waves
with every boundary within one sample. Digitiser: on prints of test-split records, the same
traced signals (and all but a handful of the ink mask's pixels). Needs torch (the ``[train]``
extra) for the reference; the LUDB cases need ../shared/data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch (the [train] extra) is the reference the "
                                            "ONNX exports are compared with")

from inference.delineation.data import Split, read_record, split_records  # noqa: E402
from inference.delineation.model import TorchNetwork, fuse_batchnorm, load_trained  # noqa: E402
from inference.delineation.predict import (Delineator, default_delineator,  # noqa: E402
                                           default_weights_path)
from inference.digitize.model import fused  # noqa: E402
from inference.digitize.model import load_trained as load_trace_net  # noqa: E402
from inference.digitize.predict import WEIGHTS_PATH, TraceSegmenter, default_segmenter  # noqa: E402
from workstation.core.delineation import Delineation  # noqa: E402
from workstation.io import read_ecg  # noqa: E402
from workstation.scan.digitize import digitize  # noqa: E402
from workstation.scan.synth import degrade, render  # noqa: E402

LUDB_1 = Path(__file__).resolve().parents[1] / "data" / "ludb" / "1.hea"
TEST_RECORDS = 3


@pytest.fixture(scope="module")
def torch_delineator() -> Delineator:
    model, _ = load_trained(default_weights_path())
    onnx = default_delineator()
    return Delineator(TorchNetwork(fuse_batchnorm(model.eval())), onnx.info)


@pytest.fixture(scope="module")
def torch_segmenter() -> TraceSegmenter:
    model, _ = load_trace_net(WEIGHTS_PATH)
    net = fused(model)

    def logits(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return net(torch.from_numpy(x).contiguous(memory_format=torch.channels_last)).numpy()

    onnx = default_segmenter()
    return TraceSegmenter(logits, onnx.info, model.cfg.multiple)


def _largest_shift(a: Delineation, b: Delineation) -> int:
    """Most samples any boundary moves between two delineations with the same waves."""
    assert len(a.waves) == len(b.waves)
    key = lambda w: (w.lead, w.kind.value, w.onset)  # noqa: E731
    shifts = [max(abs(x.onset - y.onset), abs(x.peak - y.peak), abs(x.offset - y.offset))
              for x, y in zip(sorted(a.waves, key=key), sorted(b.waves, key=key))
              if (x.lead, x.kind) == (y.lead, y.kind)]
    assert len(shifts) == len(a.waves), "the waves differ"
    return max(shifts, default=0)


def test_delineation_of_the_bundled_record_matches_torch(torch_delineator: Delineator) -> None:
    record = read_ecg(LUDB_1)
    assert _largest_shift(default_delineator().delineate(record),
                          torch_delineator.delineate(record)) <= 1


@pytest.mark.shared_data
def test_delineation_of_test_records_matches_torch(ludb_dir: Path,
                                                   torch_delineator: Delineator) -> None:
    for name in split_records(ludb_dir, Split.TEST)[:TEST_RECORDS]:
        record = read_record(ludb_dir, name)
        assert _largest_shift(default_delineator().delineate(record),
                              torch_delineator.delineate(record)) <= 1, name


def _same_trace(image: np.ndarray, ours: TraceSegmenter, reference: TraceSegmenter) -> None:
    a = digitize(image, ink=ours.mask)
    b = digitize(image, ink=reference.mask)
    assert a.lead_names == b.lead_names
    np.testing.assert_array_equal(a.signals, b.signals)
    differing = np.count_nonzero(ours.mask(image, _contrast(image)) !=
                                 reference.mask(image, _contrast(image)))
    assert differing <= 20  # of millions: only pixels at the threshold itself may flip


def _contrast(image: np.ndarray):
    from workstation.scan.page import normalise

    return normalise(image)


def test_traced_print_of_the_bundled_record_matches_torch(torch_segmenter) -> None:
    printout = degrade(render(read_ecg(LUDB_1), dpi=200, style="pink"), "photo", seed=3)
    _same_trace(printout.image, default_segmenter(), torch_segmenter)


@pytest.mark.shared_data
def test_traced_prints_of_test_records_match_torch(ludb_dir: Path, torch_segmenter) -> None:
    styles = ("red", "green")
    for name, style in zip(split_records(ludb_dir, Split.TEST)[:len(styles)], styles):
        printout = degrade(render(read_record(ludb_dir, name), dpi=200, style=style), "scan",
                           seed=int(name))
        _same_trace(printout.image, default_segmenter(), torch_segmenter)
