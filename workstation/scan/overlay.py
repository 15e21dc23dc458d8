"""The digitised trace drawn over the page, so that a person can check it by eye."""

from __future__ import annotations

import cv2
import numpy as np

from workstation.scan.digitize import Digitised

#: BGR colours: a good lead in blue, a doubtful one in orange, a poor one in red.
GOOD, DOUBTFUL, POOR = (200, 80, 0), (0, 140, 255), (0, 0, 230)


def draw_overlay(result: Digitised, max_side: int = 2400) -> np.ndarray:
    """The flattened page with each lead's traced line, its name and score (BGR uint8)."""
    image = result.image.copy()
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    for trace in result.traces:
        colour = GOOD if trace.score >= 0.8 else DOUBTFUL if trace.score >= 0.5 else POOR
        ok = np.isfinite(trace.y_px)
        for run in _runs(ok):
            points = np.stack([trace.x_px[run], trace.y_px[run]], axis=1) * scale
            cv2.polylines(image, [np.round(points * 16).astype(np.int32)], False, colour, 1,
                          cv2.LINE_AA, 4)
        if ok.any():
            first = int(np.flatnonzero(ok)[0])
            at = (int(trace.x_px[first] * scale), int(trace.y_px[first] * scale) + 18)
            cv2.putText(image, f"{trace.lead} {trace.score:.2f}", at, cv2.FONT_HERSHEY_SIMPLEX,
                        0.5, colour, 1, cv2.LINE_AA)
    cv2.putText(image, f"{result.layout}  quality {result.score:.2f}", (10, 24),
                cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    return image


def _runs(flags: np.ndarray) -> list[slice]:
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return [slice(a, b) for a, b in zip(edges[0::2], edges[1::2]) if b - a >= 2]
