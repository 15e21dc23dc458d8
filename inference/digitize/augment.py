"""What a handled printout and a poor camera add to a page, beyond the print generator's levels.

Clinicians write on ECGs (a rate, an arrow to an ST segment, a circled complex, initials) and
departments stamp them (received, reviewed, a date); such ink crosses the trace in the same
dark colours, and a threshold takes it for trace. A phone in a dim ward adds sensor noise up
to sigma 20 (of 255), and messaging apps recompress to low JPEG qualities. The trace
segmentation is trained with these on its pages (:func:`inference.digitize.data.training_page`)
and its target stays the trace alone, so it learns to leave them out.

Everything is drawn with opencv from the generator passed in, so a page is reproducible.
"""

from __future__ import annotations

import cv2
import numpy as np

from workstation.scan import capture

#: Pens (BGR): blue ballpoint, black, red, green felt tip.
PEN_COLOURS = ((150, 60, 20), (35, 30, 30), (40, 40, 190), (60, 120, 30))
#: Stamp inks (BGR): blue, red, violet.
STAMP_COLOURS = ((170, 80, 30), (50, 40, 200), (150, 50, 120))
#: Pen width (mm).
PEN_MM = (0.25, 0.7)
#: Sensor noise added by :func:`camera_noise` (standard deviation, of 255).
NOISE_SIGMA = (0.0, 20.0)
#: JPEG quality of :func:`camera_noise`'s recompression.
JPEG_QUALITY = (20, 75)
_SHIFT = 4


def draw_marks(image: np.ndarray, rng: np.random.Generator, px_per_mm: float) -> np.ndarray:
    """``image`` (BGR uint8, a clean print) with 1-5 handwritten words or marks and 0-2 stamps,
    many of them over the traces' rows (the middle of the page)."""
    h, w = image.shape[:2]
    coverage = np.zeros((h, w), np.float32)
    colour_map = np.zeros((h, w, 3), np.float32)
    for _ in range(int(rng.integers(1, 6))):
        colour = PEN_COLOURS[int(rng.integers(len(PEN_COLOURS)))]
        stroke = _handwriting(rng, (h, w), px_per_mm) if rng.random() < 0.7 else _circle_mark(rng, (h, w), px_per_mm)
        _paint(coverage, colour_map, stroke, colour, float(rng.uniform(0.75, 1.0)))
    for _ in range(int(rng.integers(0, 3))):
        colour = STAMP_COLOURS[int(rng.integers(len(STAMP_COLOURS)))]
        _paint(coverage, colour_map, _stamp(rng, (h, w), px_per_mm), colour, float(rng.uniform(0.45, 0.85)))
    out = image.astype(np.float32)
    # ink is translucent: it darkens what lies below towards its own colour (multiply blend)
    tinted = out * (colour_map / 255.0)
    blended = out * (1.0 - coverage[..., None]) + tinted * coverage[..., None]
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def camera_noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``image`` (BGR uint8) with sensor noise of sigma up to 20 and a JPEG recompression at a
    low quality, each on about two pages in three."""
    out = image
    if rng.random() < 0.65:
        noisy = capture.noise(out.astype(np.float32), rng, NOISE_SIGMA)
        out = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.65:
        quality = int(rng.integers(*JPEG_QUALITY))
        ok, buffer = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    return out


def _paint(coverage: np.ndarray, colour_map: np.ndarray, stroke: np.ndarray, colour,
           opacity: float) -> None:
    """Add one mark (``stroke``: float coverage 0..1) in ``colour`` to the layer."""
    alpha = stroke * opacity
    more = alpha > coverage
    coverage[more] = alpha[more]
    colour_map[more] = colour


def _where(rng: np.random.Generator, shape: tuple[int, int]) -> tuple[float, float]:
    """A point on the page, most often within the rows of traces (between 20 % and 90 % of the
    height), where marks hurt the thresholds."""
    h, w = shape
    return float(rng.uniform(0.02, 0.95) * w), float(rng.uniform(0.2, 0.9) * h if rng.random() < 0.8
                                                     else rng.uniform(0.02, 0.98) * h)


def _handwriting(rng: np.random.Generator, shape: tuple[int, int], ppm: float) -> np.ndarray:
    """A cursive-like word: loops along a slowly bending baseline (a trochoid with random
    letter heights and spacing), 15-70 mm long, letters 2.5-7 mm tall."""
    x0, y0 = _where(rng, shape)
    length = rng.uniform(15.0, 70.0) * ppm
    height = rng.uniform(2.5, 7.0) * ppm
    letters = max(2, int(length / (rng.uniform(0.5, 1.0) * height)))
    t = np.linspace(0.0, 2 * np.pi * letters, letters * 24)
    jitter = np.interp(t, np.linspace(0, t[-1], letters + 1), rng.uniform(0.5, 1.3, letters + 1))
    slant = rng.uniform(-0.4, 0.2)
    ys = -0.5 * height * jitter * (1 - np.cos(t))
    xs = t / t[-1] * length + 0.35 * height * np.sin(t) + slant * ys
    tilt = np.deg2rad(rng.uniform(-20, 20))
    bend = rng.uniform(-0.1, 0.1) * (xs / max(length, 1.0)) ** 2 * length
    px = x0 + xs * np.cos(tilt) - (ys + bend) * np.sin(tilt)
    py = y0 + xs * np.sin(tilt) + (ys + bend) * np.cos(tilt)
    return _stroke(shape, [np.stack([px, py], axis=1)], rng.uniform(*PEN_MM) * ppm)


def _circle_mark(rng: np.random.Generator, shape: tuple[int, int], ppm: float) -> np.ndarray:
    """A hand-drawn ellipse round a complex, or an arrow pointing at one."""
    x0, y0 = _where(rng, shape)
    width = rng.uniform(*PEN_MM) * ppm
    if rng.random() < 0.5:
        a, b = rng.uniform(4.0, 15.0, 2) * ppm
        t = np.linspace(0, 2 * np.pi * rng.uniform(1.0, 1.2), 120)
        wobble = 1.0 + 0.08 * np.sin(3 * t + rng.uniform(0, 6))
        points = np.stack([x0 + a * wobble * np.cos(t), y0 + b * wobble * np.sin(t)], axis=1)
        return _stroke(shape, [points], width)
    angle = rng.uniform(0, 2 * np.pi)
    size = rng.uniform(8.0, 25.0) * ppm
    tip = np.array([x0, y0])
    tail = tip - size * np.array([np.cos(angle), np.sin(angle)])
    heads = [tip - 0.3 * size * np.array([np.cos(angle + s), np.sin(angle + s)]) for s in (0.5, -0.5)]
    return _stroke(shape, [np.stack([tail, tip]), np.stack([heads[0], tip, heads[1]])], width)


def _stamp(rng: np.random.Generator, shape: tuple[int, int], ppm: float) -> np.ndarray:
    """A rubber stamp: a ring or a box with text inside, unevenly inked."""
    h, w = shape
    x0, y0 = _where(rng, shape)
    size = rng.uniform(12.0, 35.0) * ppm
    layer = np.zeros((h, w), np.uint8)
    line = max(1, int(round(rng.uniform(0.3, 0.8) * ppm)))
    centre = (int(x0), int(y0))
    if rng.random() < 0.5:
        cv2.circle(layer, centre, int(size / 2), 255, line, cv2.LINE_AA)
        cv2.circle(layer, centre, int(size / 2 * 0.8), 255, max(1, line // 2), cv2.LINE_AA)
    else:
        half = np.array([size / 2, size / 4])
        cv2.rectangle(layer, tuple((np.array(centre) - half).astype(int)),
                      tuple((np.array(centre) + half).astype(int)), 255, line, cv2.LINE_AA)
    letters = "ABCDEFGHIKLMNOPRSTUVW0123456789"
    text = "".join(letters[int(i)] for i in rng.integers(len(letters), size=int(rng.integers(4, 9))))
    scale = size / 2.5 / max(1, cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, 1.0, 1)[0][0]) * 2.0
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, max(1, line))
    cv2.putText(layer, text, (int(x0 - tw / 2), int(y0 + th / 2)), cv2.FONT_HERSHEY_DUPLEX, scale,
                255, max(1, line), cv2.LINE_AA)
    angle = rng.uniform(-30, 30)
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    layer = cv2.warpAffine(layer, matrix, (w, h), flags=cv2.INTER_LINEAR)
    stroke = layer.astype(np.float32) / 255.0
    # uneven inking: a smooth field of patches where the stamp barely touched the paper
    field = cv2.resize(rng.uniform(0.3, 1.0, (max(2, h // 40), max(2, w // 40))).astype(np.float32),
                       (w, h), interpolation=cv2.INTER_LINEAR)
    return stroke * field


def _stroke(shape: tuple[int, int], polylines: list[np.ndarray], width_px: float) -> np.ndarray:
    """Anti-aliased coverage (float 0..1) of ``polylines`` drawn ``width_px`` wide."""
    layer = np.zeros(shape, np.uint8)
    points = [np.round(p * (1 << _SHIFT)).astype(np.int32) for p in polylines]
    cv2.polylines(layer, points, False, 255, max(1, int(round(width_px))), cv2.LINE_AA, _SHIFT)
    return layer.astype(np.float32) / 255.0
