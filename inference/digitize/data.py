"""Training pages for the trace segmentation: synthetic prints with the exact mask of the trace.

A page is rendered and degraded by :mod:`workstation.scan.synth`. What counts as trace ink is
each lead's line, the calibration pulses and the short bars between segments (every stroke the
digitiser follows; not the grid, the lead names or the header). Those strokes are drawn here on
a blank sheet with the generator's geometry (its layout, page origin and stroke width).

The target is not the strokes' full extent but the part of them that the classical thresholds
(:func:`workstation.scan.trace.ink_mask`) find on the *clean* print: the line tracer's constants
(the pen's core depth, the allowance for a stroke's round cap) were tuned on such masks, and a
mask as wide as the anti-aliased stroke reads peaks and row ends a pixel off. So the network
learns to give, on a scan or a photo, the mask the thresholds give on a perfect print.

The target is carried through the same degradation as the page:
:func:`workstation.scan.synth.degrade` draws its random numbers independently of the picture,
so a blank sheet degraded with the same seed moves exactly as the page does, and the target is
where the degraded sheet-with-target is darker than the degraded blank sheet. Both are then
straightened as the digitiser straightens a page (:mod:`workstation.scan.geometry`), so the
network learns on what it will see.

What a handled printout adds on the paper (handwriting, stamps) and what a camera adds after
(sensor noise, JPEG) come from :mod:`inference.digitize.augment`; the target never includes
them, so the network learns to leave them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from inference.digitize.augment import camera_noise, draw_marks
from workstation.core.layout import LayoutKind, PaperSettings, compute_layout
from workstation.core.record import ECGRecord
from workstation.scan.geometry import level_transform
from workstation.scan.geometry import straighten as straighten_page
from workstation.scan.page import Contrast, flatten, normalise
from workstation.scan.synth import ORIGIN_MM, PAGE_MM, Print, degrade, render
from workstation.scan.trace import ink_mask

#: Input channels of the network, in order: darkness, colour (from :func:`normalise`), B, G, R.
N_FEATURES = 5
#: A stroke's pixel is drawn where the anti-aliased stroke covers at least this share of it.
STROKE_SHARE = 0.35
#: A degraded target pixel counts where it darkens the degraded sheet by at least this share.
TARGET_SHARE = 0.5
_SHIFT = 4  # sub-pixel bits, as the generator draws


@dataclass(frozen=True)
class Page:
    """One straightened training page: network input (uint8, H x W x N_FEATURES) and mask."""

    features: np.ndarray
    mask: np.ndarray  # bool, H x W: trace ink


def features(image: np.ndarray, contrast: Contrast) -> np.ndarray:
    """The network's input for a straightened page, uint8 H x W x :data:`N_FEATURES`."""
    return np.dstack([_to_u8(contrast.darkness), _to_u8(contrast.colour), image])


def resize(x: np.ndarray, size: tuple[int, int], interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """``x`` (H x W x C, any C) resized to ``size`` (width, height); opencv takes 4 channels at most."""
    parts = [cv2.resize(x[..., i:i + 4], size, interpolation=interpolation) for i in range(0, x.shape[2], 4)]
    return np.dstack([p if p.ndim == 3 else p[..., None] for p in parts])


def stroke_sheet(record: ECGRecord, kind: LayoutKind, dpi: float, line_mm: float = 0.3) -> np.ndarray:
    """A white page (BGR, the size :func:`render` gives) with only the trace strokes drawn in
    black: the same polylines, origin and stroke width as the generator."""
    record = record.in_standard_order()
    layout = compute_layout(record.leads, record.n_samples, record.fs, kind, PaperSettings())
    ppm = dpi / 25.4
    page_mm = (max(PAGE_MM[0], ORIGIN_MM[0] + layout.width_mm + 5.0),
               max(PAGE_MM[1], ORIGIN_MM[1] + layout.height_mm + 5.0))
    sheet = np.full((int(round(page_mm[1] * ppm)), int(round(page_mm[0] * ppm)), 3), 255, np.uint8)
    thickness = max(1, int(round(line_mm * ppm)))
    signals = record.signals
    strokes = []
    for panel in layout.panels:
        values = signals[panel.lead_index, panel.start:panel.stop]
        xs = ORIGIN_MM[0] + panel.x_mm + np.arange(len(values)) * panel.mm_per_sample
        strokes.append((xs, ORIGIN_MM[1] + panel.baseline_mm - values * panel.mm_per_mv))
        if panel.column > 0:
            x, y = ORIGIN_MM[0] + panel.x_mm, ORIGIN_MM[1] + panel.baseline_mm
            strokes.append((np.array([x, x]), np.array([y - 2.5, y + 2.5])))
    for row in layout.rows:
        xs, ys = layout.calibration_pulse(row)
        strokes.append((xs + ORIGIN_MM[0], ys + ORIGIN_MM[1]))
    for xs, ys in strokes:
        points = np.round(np.stack([xs * ppm, ys * ppm], axis=1) * (1 << _SHIFT)).astype(np.int32)
        cv2.polylines(sheet, [points], False, (0, 0, 0), thickness, cv2.LINE_AA, _SHIFT)
    return sheet


def target_on_clean(printout: Print, strokes: np.ndarray) -> np.ndarray:
    """What the network should find on the clean ``printout`` (see the module docstring): the
    thresholds' pixels within a pixel of the trace's strokes (``strokes``: :func:`stroke_sheet`)."""
    drawn = (strokes[..., 1] < 255 * (1.0 - STROKE_SHARE)).astype(np.uint8)
    near = cv2.dilate(drawn, np.ones((3, 3), np.uint8)).astype(bool)
    return ink_mask(normalise(printout.image)) & near


def training_page(record: ECGRecord, *, level: str, seed: int, kind: LayoutKind, dpi: float,
                  style: str, marks: bool = False, camera: bool = False) -> Page:
    """Render, degrade and straighten one page of ``record`` with its target mask.

    With ``marks`` the print first carries handwriting and stamps over its trace; with
    ``camera`` the degraded page gets extra sensor noise and JPEG compression
    (:mod:`inference.digitize.augment`). Both leave the target as it was: it is taken from the
    clean print before any mark is drawn, and noise and compression move no pixel."""
    printout = render(record, kind=kind, dpi=dpi, style=style)
    strokes = stroke_sheet(record, kind, dpi)
    if strokes.shape != printout.image.shape:
        raise RuntimeError(f"stroke sheet {strokes.shape} does not match the print {printout.image.shape}")
    mask = target_on_clean(printout, strokes)
    extra = np.random.default_rng([seed, 1])  # apart from the degradation's own numbers
    marked = _like(printout, draw_marks(printout.image, extra, dpi / 25.4)) if marks else printout
    page = degrade(marked, level, seed=seed).image
    if camera:
        page = camera_noise(page, extra)
    if level != "clean":
        sheet = np.where(mask[..., None], np.uint8(0), np.uint8(255)).repeat(3, axis=2)
        drawn = _grey(degrade(_like(printout, sheet), level, seed=seed).image)
        blank = _grey(degrade(_like(printout, np.full_like(sheet, 255)), level, seed=seed).image)
        mask = (blank - drawn) > TARGET_SHARE * np.maximum(blank, 1.0)
    return straighten(page, mask)


def straighten(image: np.ndarray, mask: np.ndarray) -> Page:
    """Make ``image`` upright as :func:`workstation.scan.digitize.digitize` does
    (:func:`workstation.scan.geometry.straighten`: the sheet found and flattened, the
    background painted as paper, white-balanced, levelled on a canvas that holds the turned
    page), moving ``mask`` with it. A page the digitiser would refuse keeps its own geometry."""
    upright = straighten_page(image)
    ink = mask.astype(np.uint8) * 255
    if upright.corners is not None:
        ink = flatten(ink, upright.corners)
    if upright.refusal is None and abs(upright.angle) >= 0.05:
        matrix, size = level_transform(ink.shape[:2], upright.angle)
        ink = cv2.warpAffine(ink, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0)
    image = upright.image
    if ink.shape != image.shape[:2]:
        raise RuntimeError(f"mask {ink.shape} and page {image.shape[:2]} came apart")
    return Page(features(image, normalise(image)), ink >= 128)


def _like(printout: Print, image: np.ndarray) -> Print:
    return Print(image, printout.truth, printout.fs, printout.dpi, printout.layout, printout.level)


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)


def _to_u8(x: np.ndarray) -> np.ndarray:
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)
