"""The real scans and phone photos of the shared data (no ground truth): none crashes, and each
gives either a readable record or a low score that says why. The ecg-image-kit images with a
known source signal are digitised into the right layout."""

from __future__ import annotations

import pytest

from tests.conftest import shared_path
from workstation.scan.digitize import digitize
from workstation.scan.ingest import load_pages
from workstation.scan.quality import REVIEW_BELOW


def _images(folder):
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".bmp"))


def test_every_real_image_is_digitised_or_explained():
    folder = shared_path("images", "ecg-image-kit_real_samples")
    images = _images(folder)
    assert len(images) >= 30
    for path in images:
        result = digitize(load_pages(path)[0])
        assert 0.0 <= result.score <= 1.0, path.name
        if result.score < REVIEW_BELOW or not result.traces:
            assert result.reasons, f"{path.name}: low score {result.score} without a reason"
        else:
            assert result.layout in ("3x4+rhythm", "3x4", "6x2", "12x1"), path.name


def test_clean_generated_12_lead_pages_read_as_3x4_with_rhythm():
    folder = shared_path("images", "ecg-image-kit_generated", "ptbxl")
    for name in ("PTB_XL_op__00002_hr-0.png", "PTB_XL_op__00003_hr-0.png"):
        result = digitize(load_pages(folder / name)[0])
        assert result.layout == "3x4+rhythm"
        assert result.calibration.pulse_found and result.calibration.gain_mm_mv == 10.0
        assert result.score >= REVIEW_BELOW


@pytest.mark.parametrize("n", [0, 1, 10])
def test_sel100_strips_are_found_at_the_right_scale(n):
    folder = shared_path("images", "ecg-image-kit_generated", "qtdb_sel100")
    result = digitize(load_pages(folder / f"sel100-{n}.png")[0])
    assert result.layout == "2 rows"
    # 10 s at 25 mm/s spans the strip: each row is traced over (nearly) all of it
    assert all(trace.stop - trace.start >= 4900 for trace in result.traces)
