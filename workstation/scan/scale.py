"""The page's scale: the grid's period on both axes, made to agree, and how evenly it runs.

The grid's strength is the paper's colour (red, pink, green paper) or its darkness (grey grids),
whichever is the more periodic on both axes (:func:`grids`); :func:`scale` turns the two axes'
grids into pixels per millimetre, or assumes a page width where no grid is found.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from workstation.scan.grid import AxisGrid, axis_grid, fitted, period_near
from workstation.scan.page import Contrast

#: Below this colour (99th percentile off the ink) the paper and its grid are grey.
GREY_PAPER_COLOUR = 0.04
#: Assumed sheet width (mm) when no grid is found.
ASSUMED_PAGE_MM = 280.0
#: Pages read at fewer px/mm than this are enlarged before tracing (see
#: :mod:`workstation.scan.digitize`); only on them may the fine lines alias.
LOW_PX_PER_MM = 5.0


def grids(contrast: Contrast, mask: np.ndarray) -> tuple[AxisGrid | None, AxisGrid | None, np.ndarray]:
    """The grid on x and y, and the strength image it came from: colour (red, pink, green
    paper) or darkness (grey grids), whichever is the more periodic on both axes. (Colour
    first whenever it gives a grid did worse on the validation photos: a table or a stain
    around a grey page is coloured too.)"""
    paper = ~mask
    coloured = paper.any() and float(np.percentile(contrast.colour[paper], 99)) > GREY_PAPER_COLOUR
    # on grey paper the colour channel holds only compression artefacts (8-pixel blocks)
    best: tuple[tuple[int, float], AxisGrid | None, AxisGrid | None, np.ndarray] | None = None
    for strength in ((contrast.colour, contrast.darkness) if coloured else (contrast.darkness,)):
        strength = np.where(mask, 0.0, strength)
        gx = axis_grid(strength.mean(axis=0))
        gy = axis_grid(strength.mean(axis=1), min_extent_mm=0.0)
        if _good(gx) and _good(gy):
            gy = _agreeing(gy, gx)
            gx, gy = _square(gx, gy, strength.mean(axis=0), strength.mean(axis=1))
        found = [g.correlation for g in (gx, gy) if _good(g)]
        merit = (len(found), min(found) if found else 0.0)
        if best is None or merit > best[0]:
            best = (merit, gx, gy, strength)
    _, gx, gy, strength = best
    gx = fitted(strength.mean(axis=0), gx) if _good(gx) else gx
    gy = fitted(strength.mean(axis=1), gy) if _good(gy) else gy
    return gx, gy, strength


def grid_variation(strength: np.ndarray, ppm_x: float, ppm_y: float) -> float:
    """Largest relative difference of the grid period between the thirds of the page (left
    and right for x, top and bottom for y) and the whole: curved paper or perspective left."""
    h, w = strength.shape
    worst = 0.0
    for part, axis, ppm in ((strength[:, : w // 3], 0, ppm_x), (strength[:, -(w // 3):], 0, ppm_x),
                            (strength[: h // 3], 1, ppm_y), (strength[-(h // 3):], 1, ppm_y)):
        local = period_near(part.mean(axis=axis), ppm)
        if local is not None:
            worst = max(worst, abs(local - ppm) / ppm)
    return worst


def _agreeing(gy: AxisGrid, gx: AxisGrid) -> AxisGrid:
    """The y grid at the x grid's scale where they differ by the 1 mm / 5 mm ambiguity."""
    for factor in (5.0, 0.2):
        if abs(gy.px_per_mm * factor / gx.px_per_mm - 1.0) < 0.15:
            return dataclasses.replace(gy, px_per_mm=gy.px_per_mm * factor)
    return gy


#: A page's grid is square, but a page flattened from a photo keeps the aspect its corners
#: gave: only on a low-resolution page, where the fine lines alias, are x and y scales further
#: apart than this share a misread.
ASPECT_TOLERANCE = 0.15


def _square(gx: AxisGrid, gy: AxisGrid, profile_x: np.ndarray,
            profile_y: np.ndarray) -> tuple[AxisGrid, AxisGrid]:
    """The two axes' grids made to agree where, on a low-resolution page, one took a beat of
    its fine lines for the grid (below about 4 px/mm the 1 mm lines alias): the scale whose
    5 mm period the other axis' profile also shows is kept for both."""
    if (abs(gy.px_per_mm / gx.px_per_mm - 1.0) <= ASPECT_TOLERANCE
            or max(gx.px_per_mm, gy.px_per_mm) >= LOW_PX_PER_MM * (1.0 + ASPECT_TOLERANCE)):
        return gx, gy
    for kept, other_profile in ((gy, profile_x), (gx, profile_y)):
        local = period_near(other_profile, kept.px_per_mm)
        if local is not None and abs(local / kept.px_per_mm - 1.0) < 0.02:
            return (dataclasses.replace(gx, px_per_mm=local) if kept is gy else gx,
                    dataclasses.replace(gy, px_per_mm=local) if kept is gx else gy)
    return gx, gy


#: x and y scales further apart than ASPECT_TOLERANCE but not than this share, on a page not
#: flattened from its corners, are one axis misread; further apart still, the page's pixels
#: are not square (a fax at standard resolution is 204 x 98 dpi) and each axis is its own.
MISREAD_ASPECT = 0.4


def misread_aspect(ppm_x: float, ppm_y: float, from_corners: bool) -> float:
    """How far apart (relative) the x and y scales of a grid are when that means one of them
    was misread, else 0. A grid is square: on a page not flattened from its corners (which
    keeps the aspect the corners gave), scales more than :data:`ASPECT_TOLERANCE` apart (and
    at most :data:`MISREAD_ASPECT`) are a photographed grid's moire, a dotted grid's dots or
    lines smeared by a curled page read for the period - on one axis or on both, and which is
    not known: the real page ecg00047 read 3.5 px/mm along x and 4.4 along y, where its
    beats show 4.2, and gave 60 bpm for 70."""
    if from_corners or min(ppm_x, ppm_y) <= 0:
        return 0.0
    apart = max(ppm_x, ppm_y) / min(ppm_x, ppm_y) - 1.0
    return apart if ASPECT_TOLERANCE < apart <= MISREAD_ASPECT else 0.0


def _good(g: AxisGrid | None) -> bool:
    return g is not None and g.found


def scale(gx: AxisGrid | None, gy: AxisGrid | None, width: int) -> tuple[float, float, bool, float]:
    """px/mm on x and y, whether a grid gave them, and the grid's periodicity."""
    good = [g for g in (gx, gy) if g is not None and g.found]
    if not good:
        ppm = width / ASSUMED_PAGE_MM
        return ppm, ppm, False, 0.0
    x = gx.px_per_mm if gx is not None and gx.found else good[0].px_per_mm
    y = gy.px_per_mm if gy is not None and gy.found else good[0].px_per_mm
    return x, y, True, min(g.correlation for g in good)
