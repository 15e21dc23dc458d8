"""Where the paper is in a capture and how far it is turned: the page made upright and alone.

A page reaches the digitiser on a table, on a scanner's dark lid, or turned in its frame so that
dark corners show where it turned. Left in, that dark background is the darkest, most contrasted
thing in the image: it pulls a levelling search to its limit and passes for ink. So, in order:

1. :func:`~workstation.scan.page.find_page` finds a whole sheet on a table (a bright quadrilateral
   inside the frame) and :func:`~workstation.scan.page.flatten` undoes its perspective.
2. :func:`background_mask` marks what is not paper: solid dark regions joined to the frame's
   edge (a table, dark corners, a scanner's lid). :func:`fill_background` paints them with the
   paper's own brightness, extrapolated from the paper nearby, so that no edge remains.
3. :func:`orientations` measures the grid's orientation from the image's gradients over any angle
   (the grid's lines and the rows' baselines all lie along two perpendicular directions, so
   the gradients' directions modulo 90 degrees peak at the page's turn); the existing
   variance search (:func:`~workstation.scan.page.levelling`) refines each likely turn within a
   degree, and the one that levels the rows most sharply is taken.
4. :func:`white_balanced` makes the paper neutral under a colour cast.
5. :func:`level` turns the page upright on a canvas large enough for its corners, the uncovered
   corners painted as paper.

A page that cannot be made upright says why (:class:`Refusal`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import cv2
import numpy as np

from workstation.scan.page import WORK_SIDE, find_page, flatten, levelling, normalise

#: A pixel darker than this share of the paper's brightness may be background (a shadow on the
#: paper keeps more of it: a hand's shadow takes 40-60 %, and light falling off a third more).
BACKGROUND_SHARE = 0.4
#: Background regions are solid: strokes, text and grid lines thinner than this (mm, at the
#: work size's scale of a 300 mm page) are not.
BACKGROUND_SOLID_MM = 3.0
#: A background region smaller than this share of the image is a redaction box or a stain:
#: left to the ink finder, which knows text from trace.
BACKGROUND_MIN_SHARE = 0.002
#: A background region's rim is at least this sharp (Sobel gradient over the paper's brightness):
#: 0.8 or more where a page meets a table or dark corners, under 0.05 at a shadow's edge.
SHARP_RIM = 0.25
#: A paper colour whose channels differ by no more than this share is taken as it is.
NEUTRAL_CAST = 0.1
#: The paper must cover at least this share of the image.
MIN_PAPER_SHARE = 0.2
#: Rotations the digitiser reads (degrees): a page turned further is refused, not guessed.
MAX_ROTATION_DEGREES = 20.0
#: The gradient-orientation histogram's bin (degrees) and the smoothing of its peak (bins).
ORIENTATION_BIN = 0.1
ORIENTATION_SMOOTH = 5
#: How many of the gradients' strongest directions are tried.
ORIENTATION_PEAKS = 3
#: A turn found far from level must sharpen the row profile (its variance) this much more
#: than the best turn near level.
LEVEL_GAIN = 1.2
#: The variance search refines the gradients' angle within this span (degrees).
REFINE_DEGREES = 1.0


class Refusal(enum.Enum):
    """Why a page gives no record: its failure class."""

    PAGE_NOT_FOUND = "page not found"
    ROTATION = f"rotation beyond {MAX_ROTATION_DEGREES:g} degrees"
    GRID_NOT_FOUND = "grid not found"
    RESOLUTION_TOO_LOW = "resolution too low"
    NO_ROWS = "no ECG rows found"


@dataclass(frozen=True)
class Upright:
    """The page made upright: the image the rest of the pipeline reads, and how it was made."""

    image: np.ndarray  # BGR uint8, flattened, background painted as paper, levelled
    angle: float  # degrees turned (counter-clockwise, as cv2 takes it)
    corners: np.ndarray | None  # the sheet's corners in the capture, when it was flattened
    paper_share: float  # share of the capture that is paper
    refusal: Refusal | None


def straighten(image: np.ndarray) -> Upright:
    """Find the paper in ``image`` (BGR uint8) and make it upright (see the module docstring)."""
    corners = find_page(image)
    if corners is not None:
        image = flatten(image, corners)
    background = background_mask(image)
    paper_share = 1.0 - float(background.mean())
    if paper_share < MIN_PAPER_SHARE:
        return Upright(image, 0.0, corners, paper_share, Refusal.PAGE_NOT_FOUND)
    if background.any():
        image = fill_background(image, background)
    image = white_balanced(image)
    angle = _turn(image)
    if abs(angle) > MAX_ROTATION_DEGREES:
        return Upright(image, angle, corners, paper_share, Refusal.ROTATION)
    return Upright(level(image, angle), angle, corners, paper_share, None)


def white_balanced(image: np.ndarray) -> np.ndarray:
    """``image`` with its paper made neutral: each channel scaled so that the paper (its
    99th percentile) is as bright in it as in its brightest channel. Under a warm
    or cold cast the grey ink takes the paper's tint and would pass for a coloured grid line;
    a cast within :data:`NEUTRAL_CAST` (tinted paper, pink or green ECG paper) is left alone."""
    h, w = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA).reshape(-1, 3)
    # each channel's own bright end: a dense red grid does not tint the estimate
    paper = np.percentile(small, 99, axis=0).astype(np.float64)
    if paper.min() < 1.0 or paper.max() / paper.min() <= 1.0 + NEUTRAL_CAST:
        return image
    gains = paper.max() / paper
    levels = np.arange(256, dtype=np.float64)
    channels = [cv2.LUT(channel, np.clip(levels * gain, 0, 255).astype(np.uint8))
                for channel, gain in zip(cv2.split(image), gains)]
    return cv2.merge(channels)


def _turn(image: np.ndarray) -> float:
    """The rotation that levels ``image``: each likely turn (:func:`orientations`, the first
    near 0) refined by the variance search and judged by how sharply it levels the rows. A
    turn far from level must level them clearly better (:data:`LEVEL_GAIN`) than the best
    near level: a page with no lines to level (blank, noise) is left as it is."""
    strength = _strength(image)
    found = [levelling(strength, REFINE_DEGREES, centre) for centre in orientations(image)]
    near_level, best = found[0], max(found, key=lambda item: item[1])
    return best[0] if best[1] > LEVEL_GAIN * near_level[1] else near_level[0]


def _strength(image: np.ndarray) -> np.ndarray:
    """Grid and trace strength (:func:`~workstation.scan.page.normalise`) at the work size,
    where the levelling search reads it."""
    h, w = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    contrast = normalise(small)
    return np.maximum(contrast.colour, contrast.darkness)


def background_mask(image: np.ndarray) -> np.ndarray:
    """What is not paper (boolean, image size): solid regions darker than
    :data:`BACKGROUND_SHARE` of the paper, joined to the frame's edge."""
    h, w = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # the brightest channel: a colour cast or a coloured grid leaves paper bright in one of them
    bright = cv2.GaussianBlur(small.max(axis=2), (0, 0), 1.5).astype(np.float32)
    # the paper is the brightest thing in view, however little of the view it fills
    paper = float(np.percentile(bright, 99))
    raw = (bright < BACKGROUND_SHARE * paper).astype(np.uint8)
    side = max(3, int(round(BACKGROUND_SOLID_MM * max(small.shape) / 300.0)) | 1)
    dark = cv2.morphologyEx(raw, cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    gradient = cv2.magnitude(cv2.Sobel(bright, cv2.CV_32F, 1, 0), cv2.Sobel(bright, cv2.CV_32F, 0, 1))
    keep = [k for k in edge if k and stats[k, cv2.CC_STAT_AREA] >= BACKGROUND_MIN_SHARE * dark.size
            and _sharp_rim(labels == k, gradient, paper)]
    background = np.isin(labels, keep).astype(np.uint8)
    # the opening cut the thin tips of dark wedges: grown back over dark pixels only, a few
    # steps, so that a trace touching the background is not swallowed with it
    for _ in range(2):
        background = cv2.dilate(background, np.ones((side, side), np.uint8)) & raw
    # the page's own edge (a soft, shaded rim) goes with the background
    background = cv2.dilate(background, np.ones((3, 3), np.uint8))
    return cv2.resize(background, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)


#: Long side (px) at which the paper's brightness is extrapolated: it varies slowly.
FILL_SIDE = 240


def _sharp_rim(region: np.ndarray, gradient: np.ndarray, paper: float) -> bool:
    """Whether ``region`` ends in a sharp edge where it meets the paper, as a table or a
    scanner's lid meets a page's edge; a shadow on the paper fades out over centimetres."""
    region = region.astype(np.uint8)
    ring = cv2.dilate(region, np.ones((5, 5), np.uint8)) - cv2.erode(region, np.ones((5, 5), np.uint8))
    ring[[0, -1], :] = 0  # the frame's own edge is no edge of the region
    ring[:, [0, -1]] = 0
    if not ring.any():
        return True
    edge = float(np.percentile(gradient[ring > 0], 75))
    return edge >= SHARP_RIM * paper


def fill_background(image: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``image`` with ``background`` painted as the paper nearby: the paper's colour averaged
    with a wide Gaussian over paper pixels only (normalised convolution), so that the fill
    meets a shaded page at its own brightness and leaves no edge that could pass for ink."""
    h, w = image.shape[:2]
    size = (max(1, round(w * FILL_SIDE / max(h, w))), max(1, round(h * FILL_SIDE / max(h, w))))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    valid = cv2.resize((~background).astype(np.float32), size, interpolation=cv2.INTER_AREA)
    valid = (valid > 0.99).astype(np.float32)
    sigma = FILL_SIDE / 40.0
    weight = cv2.GaussianBlur(valid, (0, 0), sigma)
    paper = cv2.GaussianBlur(small * valid[..., None], (0, 0), sigma)
    paper /= np.maximum(weight, 1e-3)[..., None]
    # far from any paper the normalised average is undefined: the paper's median colour
    median = np.median(small[valid > 0], axis=0) if valid.any() else np.full(3, 255.0)
    paper = np.where((weight < 1e-3)[..., None], median, paper)
    paper = cv2.resize(np.clip(paper, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    out = image.copy()
    np.copyto(out, paper, where=background[..., None])
    return out


def orientations(image: np.ndarray, count: int = ORIENTATION_PEAKS) -> list[float]:
    """Likely rotations (degrees in [-45, 45), counter-clockwise as cv2 takes it) that level
    the page, from the direction of its gradients, and 0 (most pages are level): grid lines,
    baselines and the page's own edges are all horizontal or vertical on the page, so the
    gradients' angles modulo 90 degrees, weighted by their strength, peak at the turn whatever
    it is (no search over a limited range). The ``count`` highest peaks are returned: a
    grid's moire at the work size can raise a false one."""
    h, w = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    grey = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA).min(axis=2)
    grey = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.0)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    strong = magnitude > np.percentile(magnitude, 80)
    # with y pointing down, a page turned clockwise by a has its lines' normals at +a, and
    # is levelled by turning it counter-clockwise by a (cv2's positive sense)
    angles = np.degrees(np.arctan2(gy[strong], gx[strong]))
    folded = (angles + 45.0) % 90.0 - 45.0
    bins = int(round(90.0 / ORIENTATION_BIN))
    hist, edges = np.histogram(folded, bins=bins, range=(-45.0, 45.0), weights=magnitude[strong])
    # circular smoothing: -45 and 45 degrees are the same orientation
    pad = ORIENTATION_SMOOTH
    wrapped = np.concatenate([hist[-pad:], hist, hist[:pad]])
    smooth = np.convolve(wrapped, np.ones(pad) / pad, mode="same")[pad:-pad]
    centres = (edges[:-1] + edges[1:]) / 2.0
    peaks = []
    for i in np.argsort(smooth)[::-1]:
        if all(abs(centres[i] - p) > 2.0 * REFINE_DEGREES for p in peaks):
            peaks.append(float(centres[i]))
        if len(peaks) == count:
            break
    return [0.0, *[p for p in peaks if abs(p) > REFINE_DEGREES]]


def level_transform(shape: tuple[int, int], degrees: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The affine matrix and canvas size (width, height) with which :func:`level` turns an
    image of ``shape`` (height, width) by ``degrees``: shared with whatever must move exactly
    as the page does (a training page's trace mask)."""
    h, w = shape
    rad = np.deg2rad(abs(degrees))
    # the canvas grows by whole pixels each side: a half-pixel shift would make every pixel
    # the mean of two, blurring the trace (1 dB on validation scans)
    pad_x = int(np.ceil((w * np.cos(rad) + h * np.sin(rad) - w) / 2))
    pad_y = int(np.ceil((w * np.sin(rad) + h * np.cos(rad) - h) / 2))
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    matrix[:, 2] += (pad_x, pad_y)
    return matrix, (w + 2 * pad_x, h + 2 * pad_y)


def level(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` turned by ``degrees`` about its centre onto a canvas that holds all of it, the
    uncovered corners painted as the paper nearby (:func:`fill_background`)."""
    if abs(degrees) < 0.05:
        return image
    h, w = image.shape[:2]
    matrix, (out_w, out_h) = level_transform((h, w), degrees)
    turned = cv2.warpAffine(image, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    inside = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix, (out_w, out_h),
                            flags=cv2.INTER_NEAREST, borderValue=0)
    # the interpolated rim mixes in the black border: it goes too
    outside = cv2.dilate((inside == 0).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return fill_background(turned, outside)
