"""A local grid model: the page flattened where it is crumpled, creased or curved.

One scale per axis (:mod:`workstation.scan.grid`) describes a flat page. On crumpled or creased
paper each facet is tilted its own way: the grid, and the trace printed on it, is displaced by a
millimetre or two, and a fold foreshortens everything beyond it. Those displacements move beats
in time and the trace in voltage; the grid shows them. Along each axis, in bands across the
page, the grid's bold lines are demodulated at their 5 mm period: the phase of the result, as it
drifts along the band, is how far the grid there lies from where a flat page would have it.
The displacement field (smoothed, and interpolated between bands) is undone with one remap, so
that everything after it reads a flat page.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Height (across the axis measured) of the bands the displacement is measured in (mm).
BAND_MM = 12.0
#: The complex demodulated grid is averaged over this length along the band (mm, a Gaussian's
#: sigma): long enough to see through a QRS or a lead name, short enough to follow a fold.
SMOOTH_MM = 10.0
#: How far (mm) around the ink the paper is not read: a stroke's antialiased, blurred rim.
INK_RIM_MM = 0.5
#: Below this share of the page's median grid response a place has no grid to go by (text,
#: ink, a stain): its displacement is interpolated from places that have.
MIN_RESPONSE_SHARE = 0.25
#: A page whose displacement stays within this (mm) over 90 % of it is flat: it is left as it
#: is. The measurement wanders by a pixel on a blurred, compressed photo of a faint grid (and
#: by a fraction of one where the grid's lines are drawn on whole pixels), which undoing it
#: would add to the trace; a crumpled or creased page is displaced by 0.4 mm or more.
FLAT_MM = 0.2
#: The displacement must be smooth: a change faster than this (px per px) is a misread phase
#: (a jump of a whole period), and the page is left as it is.
MAX_SLOPE = 0.08


def displacement(strength: np.ndarray, valid: np.ndarray, px_per_mm: float,
                 axis: int) -> np.ndarray | None:
    """How far the grid lies from a flat page's, along ``axis`` (1: x, 0: y), at every pixel
    (float32, image size, px; a feature seen at p belongs at p - d), or None where the page
    is flat or its grid too weak to say. Only ``valid`` pixels (paper, not ink) are read."""
    # the stroke's soft rim, never in the ink mask, is no grid either
    rim = max(3, int(round(2 * INK_RIM_MM * px_per_mm)) | 1)
    valid = cv2.erode(valid.astype(np.uint8), np.ones((rim, rim), np.uint8)).astype(bool)
    if axis == 0:
        strength, valid = strength.T, valid.T
    h, w = strength.shape
    period = 5.0 * px_per_mm
    bands = max(2, int(round(h / (BAND_MM * px_per_mm))))
    weight = cv2.resize(valid.astype(np.float32), (w, bands), interpolation=cv2.INTER_AREA)
    profiles = cv2.resize(np.where(valid, strength, 0).astype(np.float32), (w, bands),
                          interpolation=cv2.INTER_AREA)
    # the ink left out, each band is the mean of its paper: normalised convolution
    profiles = profiles / np.maximum(weight, 1e-3)
    profiles -= _weighted_blur(profiles, weight, period, 0.0)
    carrier = np.exp(-2j * np.pi * np.arange(w) / period)
    demodulated = profiles * carrier[None, :]
    sigma = SMOOTH_MM * px_per_mm
    smooth = (_weighted_blur(demodulated.real, weight, sigma, 0.7)
              + 1j * _weighted_blur(demodulated.imag, weight, sigma, 0.7))
    response = np.abs(smooth)
    good = (response > MIN_RESPONSE_SHARE * np.median(response)) & (weight > 0.3)
    if good.mean() < 0.5:
        return None
    field = _bands_field(smooth, good, period)
    if field is None or np.percentile(np.abs(field), 90) < FLAT_MM * px_per_mm:
        return None
    full = cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)
    return full if axis == 1 else full.T.copy()


def _weighted_blur(values: np.ndarray, weight: np.ndarray, sigma_x: float,
                   sigma_y: float) -> np.ndarray:
    """A Gaussian average of ``values`` over ``weight`` (normalised convolution): places
    without paper, and the page's ends, do not pull it towards zero."""
    blur = (lambda x: cv2.GaussianBlur(x, (0, 0), sigma_x, sigmaY=max(sigma_y, 1e-3),
                                       borderType=cv2.BORDER_CONSTANT))
    weighted = blur((values * weight).astype(np.float32))
    return weighted / np.maximum(blur(weight.astype(np.float32)), 1e-3)


def _bands_field(smooth: np.ndarray, good: np.ndarray, period: float) -> np.ndarray | None:
    """The displacement in every band (bands x width, px, median 0). A band whose phase
    slips by a period somewhere (its displacement changing faster than :data:`MAX_SLOPE`:
    noise where the grid is faint) is replaced by its neighbours'; None when most slip."""
    bands, w = smooth.shape
    field = np.zeros((bands, w), np.float32)
    usable = np.zeros(bands, bool)
    for b in range(bands):
        shift = _band_shift(np.angle(smooth[b]), good[b], period)
        if shift is not None and np.abs(np.diff(shift)).max() <= MAX_SLOPE:
            field[b], usable[b] = shift, True
    if usable.mean() < 0.5:
        return None
    rows = np.flatnonzero(usable)
    # each band's constant is arbitrary (its unwrapping started anywhere): the bands are tied
    # to one another by their median difference, a whole number of periods
    for a, b in zip(rows[:-1], rows[1:]):
        offset = np.median(field[b] - field[a])
        field[b] -= period * np.round(offset / period)
    if len(rows) < bands:
        field = np.stack([np.interp(np.arange(bands), rows, field[rows, x]) for x in range(w)], axis=1)
    return (field - np.median(field)).astype(np.float32)


def _band_shift(phase: np.ndarray, good: np.ndarray, period: float) -> np.ndarray | None:
    """One band's displacement (px) from its demodulated phase, unwrapped over the places
    with a grid and interpolated across those without."""
    idx = np.flatnonzero(good)
    if len(idx) < 0.3 * len(phase):
        return None
    unwrapped = np.unwrap(phase[idx])
    # cos(2 pi (x - d) / P) demodulated at 1/P has the phase -2 pi d / P
    shift = -unwrapped * period / (2.0 * np.pi)
    return np.interp(np.arange(len(phase)), idx, shift).astype(np.float32)


def flatten_grid(image: np.ndarray, dx: np.ndarray | None, dy: np.ndarray | None) -> np.ndarray:
    """``image`` (any channels) with the displacements undone: each output pixel is read where
    the grid put it."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x = xx + dx if dx is not None else xx
    map_y = yy + dy if dy is not None else yy
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
