"""How paper ECGs really arrive: the distortions of a capture, one class at a time.

Each function takes a page (float32 BGR, 0..255) and a seeded generator and returns the page as
a camera or a scanner would deliver it. :func:`workstation.scan.synth.degrade` names one class
per level, so that the digitiser can be measured, and tested, on each failure class alone:

* ``rotated``: turned 1-15 degrees, the uncovered corners dark (a scanner's lid, a table);
* ``perspective``: on a dark table, seen obliquely (a corner up to 8 % of the side out of place);
* ``crumpled``: a smooth displacement field (crumples) plus sharp folds (creases), with the
  shading they cast;
* ``shadow``: a hand's or a phone's soft-edged shadow and light falling off across the page;
* ``cast``: a warm (tungsten) or cold (daylight, fluorescent) colour cast, dimmed;
* ``noisy``: sensor noise of sigma 5-20 (of 255);
* ``lowres``: an e-mailed page or a screenshot of 2.5-4 px/mm;
* ``capture``: what a phone gives of a handled printout at once: crumples and creases, a
  colour cast, sensor noise and a turn of 1-4 degrees leaving dark corners.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Rotation of the ``rotated`` class (degrees, either direction).
ROTATION_DEGREES = (1.0, 15.0)
#: Rotation of the ``capture`` class: a page laid on the glass or photographed by hand.
CAPTURE_DEGREES = (1.0, 4.0)
#: Sensor noise (standard deviation, of 255).
NOISE_SIGMA = (5.0, 20.0)
#: Resolution of the ``lowres`` class (px/mm).
LOW_RES_PX_PER_MM = (2.5, 4.0)
#: Crumples: the displacement's largest amplitude (mm) and the size of its folds (mm).
CRUMPLE_MM = (0.4, 1.5)
CRUMPLE_SCALE_MM = 40.0


def rotate_dark(img: np.ndarray, rng: np.random.Generator, degrees: tuple[float, float],
                *, reveal: float | None = None) -> np.ndarray:
    """The page turned by a random angle in ``degrees`` (either sign) about its centre, the
    uncovered background dark. ``reveal`` (0..1, random when None) is how much of the turned
    page's bounding box the frame shows: 0 keeps the page's own frame (its corners cut off,
    dark triangles in the frame's corners), 1 shows the whole turned page on the background."""
    h, w = img.shape[:2]
    angle = float(rng.uniform(*degrees) * rng.choice([-1.0, 1.0]))
    reveal = float(rng.uniform(0.0, 1.0)) if reveal is None else reveal
    rad = np.deg2rad(abs(angle))
    box_w = w * np.cos(rad) + h * np.sin(rad)
    box_h = w * np.sin(rad) + h * np.cos(rad)
    out_w = int(round(w + reveal * (box_w - w)))
    out_h = int(round(h + reveal * (box_h - h)))
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[:, 2] += ((out_w - w) / 2, (out_h - h) / 2)
    return cv2.warpAffine(img, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR,
                          borderValue=_dark(rng))


def perspective(img: np.ndarray, rng: np.random.Generator, strength: float = 0.08) -> np.ndarray:
    """The page on a dark table seen obliquely: each corner moved by up to ``strength`` of the
    page's side, the table around it."""
    h, w = img.shape[:2]
    pad = int(0.1 * w)
    table = _dark(rng)
    canvas = np.empty((h + 2 * pad, w + 2 * pad, 3), np.float32)
    canvas[:] = table
    canvas[pad:pad + h, pad:pad + w] = img
    src = np.float32([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]])
    jitter = rng.uniform(-strength, strength, (4, 2)).astype(np.float32) * np.float32([w, h])
    matrix = cv2.getPerspectiveTransform(src, src + jitter)
    return cv2.warpPerspective(canvas, matrix, (canvas.shape[1], canvas.shape[0]),
                               flags=cv2.INTER_LINEAR, borderValue=table)


def crumple(img: np.ndarray, rng: np.random.Generator, px_per_mm: float) -> np.ndarray:
    """Crumpled and creased paper: the print displaced by a smooth random field (the crumples,
    :data:`CRUMPLE_MM` over some :data:`CRUMPLE_SCALE_MM`) and by folds, straight lines across
    which the displacement kinks (the paper beyond a fold is tilted, so foreshortened), shaded
    as light from one side falls on the tilted facets, each fold a thin dark line."""
    h, w = img.shape[:2]
    scale = CRUMPLE_SCALE_MM * px_per_mm
    amplitude = rng.uniform(*CRUMPLE_MM) * px_per_mm
    dx, dy, height = (_smooth_field(rng, (h, w), scale) for _ in range(3))
    dx *= amplitude / max(float(np.abs(dx).max()), 1e-6)
    dy *= amplitude / max(float(np.abs(dy).max()), 1e-6)
    shading = np.zeros((h, w), np.float32)
    folds = np.zeros((h, w), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(int(rng.integers(1, 4))):
        angle = rng.uniform(0, np.pi)
        nx, ny = np.cos(angle), np.sin(angle)
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        signed = nx * (xx - cx) + ny * (yy - cy)
        pull = rng.uniform(0.003, 0.01)  # foreshortening of the tilted side
        dx += (pull * signed * nx).astype(np.float32)
        dy += (pull * signed * ny).astype(np.float32)
        shading += np.float32(rng.uniform(-0.12, 0.12)) * np.sign(signed)
        folds = np.maximum(folds, np.exp(-0.5 * (signed / max(1.0, 0.15 * px_per_mm)) ** 2))
    out = cv2.remap(img, xx + dx, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    gy, gx = np.gradient(height)
    light = rng.uniform(0, 2 * np.pi)
    facets = np.tanh((np.cos(light) * gx + np.sin(light) * gy) * scale / 2.0)
    gain = np.clip(1.0 + 0.12 * facets + cv2.GaussianBlur(shading, (0, 0), 2.0 * px_per_mm)
                   - 0.3 * folds, 0.5, 1.2)
    return out * gain[..., None].astype(np.float32)


def shadow(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A soft-edged shadow (a hand or the phone) over a corner of the page, and light falling
    off from one side to the other."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.float32)
    polygon = np.int32([[0, 0], [rng.uniform(0.2, 0.7) * w, 0],
                        [rng.uniform(0.1, 0.5) * w, rng.uniform(0.3, 0.8) * h],
                        [0, rng.uniform(0.3, 0.9) * h]])
    cv2.fillPoly(mask, [polygon], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), w / 60)
    mask = mask[:, ::-1] if rng.random() < 0.5 else mask  # any of the four corners
    mask = mask[::-1] if rng.random() < 0.5 else mask
    gain = 1.0 - rng.uniform(0.35, 0.6) * mask
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xx / w + np.sin(angle) * yy / h
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    gain *= 1.0 - rng.uniform(0.2, 0.45) * ramp
    return img * gain[..., None]


def colour_cast(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A warm or cold cast: the channels scaled unequally (BGR), and the whole dimmed."""
    strength = rng.uniform(0.15, 0.35)
    warm = np.float32([1.0 - strength, 1.0 - 0.4 * strength, 1.0])
    cold = np.float32([1.0, 1.0 - 0.3 * strength, 1.0 - strength])
    tint = warm if rng.random() < 0.5 else cold
    return img * tint * rng.uniform(0.75, 0.95)


def noise(img: np.ndarray, rng: np.random.Generator, sigma: tuple[float, float] = NOISE_SIGMA) -> np.ndarray:
    """Sensor noise, independent per pixel and channel."""
    return img + rng.normal(0.0, rng.uniform(*sigma), img.shape).astype(np.float32)


def low_resolution(img: np.ndarray, rng: np.random.Generator, px_per_mm: float) -> np.ndarray:
    """The page resampled to :data:`LOW_RES_PX_PER_MM` (an 850-1200 px wide 12-lead page)."""
    target = rng.uniform(*LOW_RES_PX_PER_MM)
    scale = target / px_per_mm
    return cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _dark(rng: np.random.Generator) -> tuple[float, float, float]:
    """A dark background: a scanner's lid left open, a dark table."""
    base = rng.uniform(5, 70)
    return tuple(float(base + rng.uniform(-5, 15)) for _ in range(3))


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], scale_px: float) -> np.ndarray:
    """Random smooth surface with features about ``scale_px`` across, zero mean."""
    h, w = shape
    coarse = rng.normal(0.0, 1.0, (max(2, int(h / scale_px) + 2), max(2, int(w / scale_px) + 2)))
    field = cv2.resize(coarse.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return field - field.mean()
