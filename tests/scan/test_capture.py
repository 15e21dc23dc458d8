"""Each capture failure class, on pages the print generator makes: the paper is found, levelled
and flattened, low-resolution pages are read, and a page that gives no record says why."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from workstation.scan import capture
from workstation.scan.digitize import digitize
from workstation.scan.geometry import (Refusal, background_mask, fill_background, orientations,
                                       straighten)
from workstation.scan.metric import snr_by_name, summarise
from workstation.scan.synth import CAPTURE_CLASSES, LEVELS, Print, degrade, render


@pytest.fixture(scope="module")
def small_print(ludb_record) -> Print:
    """A red-grid page at 150 dpi (5.9 px/mm): quick to digitise, above the enlarging limit."""
    return render(ludb_record, dpi=150, style="red")


def _snr(printout: Print, result) -> float:
    """Mean SNR of the twelve standard leads, matched by name; a strip whose name was not read
    (kept apart, unnamed, beside them) takes no part."""
    return summarise(snr_by_name(printout.truth, result.signals, result.lead_names))[0]


def _turned(image: np.ndarray, degrees: float, fill: int = 20) -> np.ndarray:
    """``image`` turned in its own frame, the uncovered corners dark (as a scanner shows it)."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderValue=(fill, fill, fill))


def test_every_capture_class_is_a_level(clean_print):
    assert set(CAPTURE_CLASSES) <= set(LEVELS)
    low = degrade(clean_print, "lowres", seed=1)
    px_per_mm = low.image.shape[1] / (clean_print.image.shape[1] / (200 / 25.4))
    assert capture.LOW_RES_PX_PER_MM[0] <= px_per_mm <= capture.LOW_RES_PX_PER_MM[1]


@pytest.mark.parametrize("degrees", [-14.0, -3.0, 1.0, 4.0, 9.5])
def test_turned_page_with_dark_corners_is_levelled(small_print, degrees):
    upright = straighten(_turned(small_print.image, degrees))
    assert upright.refusal is None
    assert upright.angle == pytest.approx(-degrees, abs=0.15)


def test_dark_corners_are_painted_as_paper_and_a_shadow_is_not(small_print):
    turned = _turned(small_print.image, 4.0)
    background = background_mask(turned)
    assert background[0, 0] and background[-1, -1] and not background[turned.shape[0] // 2, turned.shape[1] // 2]
    filled = fill_background(turned, background)
    assert filled[2, 2].min() > 180  # the corner is now paper-bright
    shaded = degrade(small_print, "shadow", seed=0).image
    assert background_mask(shaded).mean() < 0.001


def test_orientation_is_found_over_a_wide_range(small_print):
    for degrees in (-12.0, 7.0):
        centres = orientations(_turned(small_print.image, degrees))
        assert min(abs(c + degrees) for c in centres) < 1.0


def test_rotated_page_reads_as_well_as_a_flat_one(small_print):
    flat = _snr(small_print, digitize(small_print.image))
    turned = _snr(small_print, digitize(_turned(small_print.image, 3.0)))
    assert turned > flat - 3.0 and turned > 12.0


@pytest.mark.parametrize("level", ["rotated", "perspective", "shadow", "cast", "noisy"])
def test_capture_class_is_read(small_print, level):
    page = degrade(small_print, level, seed=2)
    result = digitize(page.image)
    assert result.refusal is None and result.layout == "3x4+rhythm"
    assert _snr(page, result) > 10.0


def test_crumpled_page_is_flattened_by_the_local_grid(small_print, monkeypatch):
    page = degrade(small_print, "crumpled", seed=1)
    flattened = _snr(page, digitize(page.image))
    import workstation.scan.digitize as module

    monkeypatch.setattr(module, "displacement", lambda *args, **kwargs: None)
    as_if_flat = _snr(page, digitize(page.image))
    assert flattened > as_if_flat + 3.0 and flattened > 8.0


def test_flat_page_is_not_dewarped(small_print):
    from workstation.scan.dewarp import displacement
    from workstation.scan.page import normalise
    from workstation.scan.trace import ink_mask

    contrast = normalise(small_print.image)
    mask = ink_mask(contrast)
    strength = np.where(mask, 0.0, contrast.colour)
    assert displacement(strength, ~mask, 150 / 25.4, axis=1) is None
    assert displacement(strength, ~mask, 150 / 25.4, axis=0) is None


def test_low_resolution_page_is_read_with_a_score_that_says_so(clean_print):
    page = degrade(clean_print, "lowres", seed=1)
    result = digitize(page.image)
    assert result.refusal is None and result.calibration.enlarged > 1.0
    assert any("low resolution" in reason for reason in result.reasons)
    assert _snr(page, result) > 6.0
    assert result.score < digitize(clean_print.image).score


def test_refusals_name_their_failure_class(small_print):
    h, w = small_print.image.shape[:2]
    dark = np.full((h, w, 3), 30, np.uint8)
    dark[h // 3:2 * h // 3, w // 3:3 * w // 4] = 240  # a card, not a page, on a dark table
    result = digitize(dark)
    assert result.refusal is Refusal.PAGE_NOT_FOUND and result.reasons[0].startswith("page not found")
    blank = np.full((h, w, 3), 250, np.uint8)
    result = digitize(blank)
    assert result.refusal is Refusal.GRID_NOT_FOUND and not result.traces
    assert result.reasons[0] == Refusal.GRID_NOT_FOUND.value


def test_page_turned_beyond_the_limit_is_refused(small_print):
    # on a canvas that holds the whole page, turned 30 degrees
    page = capture.rotate_dark(small_print.image.astype(np.float32), np.random.default_rng(0),
                               (30.0, 30.0), reveal=1.0).astype(np.uint8)
    result = digitize(page)
    assert result.refusal is Refusal.ROTATION
    assert "rotation beyond" in result.reasons[0]


def test_page_under_two_pixels_per_millimetre_is_refused_as_too_low(ludb_record):
    page = render(ludb_record, dpi=45, style="red")  # 1.8 px/mm
    result = digitize(page.image)
    assert result.refusal is Refusal.RESOLUTION_TOO_LOW
    assert result.reasons[0].startswith("resolution too low") and not result.traces
