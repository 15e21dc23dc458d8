"""Tracing the printed line: steep QRS strokes, peaks and the grid under the trace."""

from __future__ import annotations

import cv2
import numpy as np

from workstation.scan.trace import trace_row

PX_PER_MM = 200 / 25.4
PX_PER_SAMPLE = 25.0 / 500 * PX_PER_MM  # 25 mm/s at 500 Hz: about 0.4 px per sample


def _drawn(mv: np.ndarray, baseline: float = 200.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 0.3 mm antialiased stroke of ``mv`` (10 mm/mV, 25 mm/s, 200 dpi), as the printer
    draws it: its mask and the exact centre line (x, y) of every sample."""
    xs = 20 + np.arange(len(mv)) * PX_PER_SAMPLE
    ys = baseline - mv * 10 * PX_PER_MM
    image = np.zeros((2 * int(baseline), int(xs[-1]) + 40), np.uint8)
    points = np.round(np.stack([xs, ys], axis=1) * 16).astype(np.int32)
    cv2.polylines(image, [points], False, 255, 2, cv2.LINE_AA, 4)
    return image > 100, xs, ys


def test_steep_narrow_complexes_keep_their_shape():
    # 1.5 mV up in 14 ms, down to -0.5 mV in 16 ms: a pixel column holds two or three samples
    beat = np.interp(np.arange(100), [0, 40, 47, 55, 60, 100], [0, 0, 1.5, -0.5, 0, 0])
    mv = np.tile(beat, 10)
    mask, xs, ys = _drawn(mv)
    row = trace_row(mask, 200.0, 0, mask.shape[1] - 1, 190.0, None)
    found = np.isfinite(row.y)
    traced = (200.0 - np.interp(xs, row.x[found], row.y[found])) / (10 * PX_PER_MM)
    snr = 10 * np.log10(np.sum(mv**2) / np.sum((traced - mv) ** 2))
    # one value per pixel column (the run's middle, or its end at a turn) gave 6.6 dB
    assert snr > 9.5
    assert abs(traced.max() - 1.5) < 0.05 and abs(traced.min() + 0.5) < 0.05
