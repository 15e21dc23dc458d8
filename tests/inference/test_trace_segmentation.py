"""The shipped trace segmentation network as the digitiser's ink finder, on prints of the bundled
LUDB record 1 (a validation-split record: the network never saw it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from inference.digitize import learned_ink
from inference.digitize.data import STROKE_SHARE, stroke_sheet, target_on_clean, training_page
from inference.digitize.predict import MODEL_PATH, TraceSegmenter, default_segmenter
from workstation.core.layout import LayoutKind
from workstation.io import read_ecg
from workstation.scan.digitize import digitize
from workstation.scan.metric import snr_per_lead, summarise
from workstation.scan.page import Contrast, normalise
from workstation.scan.synth import GRID_STYLES, degrade, render

LUDB_1 = Path(__file__).resolve().parents[1] / "data" / "ludb" / "1.hea"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def record():
    return read_ecg(LUDB_1)


@pytest.fixture(scope="module")
def clean(record):
    """A clean red-grid print, the mask the network should give (the trace's pixels), and
    where its grid and its text are."""
    printout = render(record, dpi=200, style="red")
    strokes = stroke_sheet(record, LayoutKind.STANDARD_3X4_RHYTHM, 200)
    trace = target_on_clean(printout, strokes)
    _, minor, major = GRID_STYLES["red"]
    grid = (printout.image == minor).all(axis=2) | (printout.image == major).all(axis=2)
    drawn = (strokes[..., 1] < 255 * (1 - STROKE_SHARE)).astype(np.uint8)
    near_trace = cv2.dilate(drawn, np.ones((7, 7), np.uint8)).astype(bool)
    text = (printout.image.max(axis=2) < 120) & ~near_trace  # dark strokes far from the trace
    return printout, trace, grid, text


def test_shipped_weights_load_and_are_small():
    segmenter = TraceSegmenter.load()
    assert segmenter.info.name == "trace-segmentation"
    assert 0.0 < segmenter.info.threshold < 1.0
    assert MODEL_PATH.stat().st_size < 5_000_000


def test_mask_has_the_page_shape(clean):
    printout, *_ = clean
    image = printout.image[:1001, :1403]  # not a multiple of the network's stride
    mask = learned_ink(image, normalise(image))
    assert mask.dtype == np.bool_ and mask.shape == image.shape[:2]


def test_mask_keeps_the_trace_and_drops_grid_and_text(clean):
    printout, trace, grid, text = clean
    probability = default_segmenter().probability(printout.image, normalise(printout.image))
    assert probability.dtype == np.float32 and probability.shape == trace.shape
    mask = learned_ink(printout.image, normalise(printout.image))
    assert mask[trace].mean() > 0.9  # recall of the trace's pixels
    assert mask[grid].mean() < 0.005
    assert mask[text].mean() < 0.3  # the classical thresholds keep all of the lead names and header
    assert (mask & trace).sum() / mask.sum() > 0.8  # precision


def test_mask_finds_the_trace_on_a_photo(record):
    """A degraded phone photo (perspective, shadow, stain, crease, JPEG), straightened as the
    digitiser straightens it, with its exact trace mask."""
    page = training_page(record, level="photo", seed=5, kind=LayoutKind.STANDARD_3X4_RHYTHM,
                         dpi=200, style="green")
    image = np.ascontiguousarray(page.features[..., 2:])
    contrast = Contrast(page.features[..., 0] / np.float32(255), page.features[..., 1] / np.float32(255))
    mask = learned_ink(image, contrast)
    assert mask[page.mask].mean() > 0.8
    assert (mask & page.mask).sum() / mask.sum() > 0.7


def test_digitising_a_photo_with_the_learned_finder(record):
    printout = degrade(render(record, dpi=200, style="pink"), "photo", seed=3)
    result = digitize(printout.image, ink=learned_ink)
    assert result.layout == "3x4+rhythm" and len(result.lead_names) == 12
    n = printout.truth.shape[1]
    mean_snr, _ = summarise(snr_per_lead(printout.truth, result.signals[:, :n]))
    assert mean_snr > 8.0


def test_importing_the_package_does_not_load_torch():
    code = "import sys, inference.digitize; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
