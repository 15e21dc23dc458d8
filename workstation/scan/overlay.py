"""The digitised trace drawn over the page, so that a person can check it by eye."""

from __future__ import annotations

import cv2
import numpy as np

from workstation.scan.digitize import Digitised

#: BGR colours of the labels: a good lead in blue, a doubtful one in orange, a poor one in red.
GOOD, DOUBTFUL, POOR = (200, 80, 0), (0, 140, 255), (0, 0, 230)
#: The traced line (BGR) and its opacity: one blue that shows on red, pink, green and grey grids.
TRACE = (255, 50, 20)
TRACE_OPACITY = 0.65
#: The traced line is drawn this far below the ink it was read from (mm), so both are seen.
BESIDE_MM = 1.5


def draw_overlay(result: Digitised, max_side: int = 2400) -> np.ndarray:
    """The flattened page with each lead's traced line (thin, see-through, :data:`BESIDE_MM`
    below the ink), its name and score (BGR uint8)."""
    image = result.image.copy()
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    lines = image.copy()
    shift = BESIDE_MM * result.calibration.px_per_mm_y
    for trace in result.traces:
        ok = np.isfinite(trace.y_px)
        for run in _runs(ok):
            points = np.stack([trace.x_px[run], trace.y_px[run] + shift], axis=1) * scale
            cv2.polylines(lines, [np.round(points * 16).astype(np.int32)], False, TRACE, 1,
                          cv2.LINE_AA, 4)
    # thin and see-through: the ink and the grid stay visible under and beside the line
    image = cv2.addWeighted(lines, TRACE_OPACITY, image, 1.0 - TRACE_OPACITY, 0.0)
    for trace in result.traces:
        colour = GOOD if trace.score >= 0.8 else DOUBTFUL if trace.score >= 0.5 else POOR
        ok = np.isfinite(trace.y_px)
        if ok.any():
            first = int(np.flatnonzero(ok)[0])
            at = (int(trace.x_px[first] * scale), int((trace.y_px[first] + shift) * scale) + 18)
            cv2.putText(image, f"{trace.lead} {trace.score:.2f}", at, cv2.FONT_HERSHEY_SIMPLEX,
                        0.5, colour, 1, cv2.LINE_AA)
    cv2.putText(image, f"{result.layout}  quality {result.score:.2f}", (10, 24),
                cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    return image


def _runs(flags: np.ndarray) -> list[slice]:
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return [slice(a, b) for a, b in zip(edges[0::2], edges[1::2]) if b - a >= 2]
