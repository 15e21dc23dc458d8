"""Page geometry and contrast: find the paper in a photo, flatten it, level it, and separate ink.

* :func:`find_page` looks for the sheet as the largest bright quadrilateral; a photo of a page on
  a table is warped to a flat rectangle (perspective correction). A scan that is all paper is
  left as it is.
* :func:`normalise` divides out the paper's brightness (shadows, uneven light, yellowed paper),
  giving *darkness* (0 = paper, 1 = black) and *colour* (how far from grey a pixel is). The
  printed trace is dark and grey; grid lines are coloured or light.
* :func:`skew_angle` finds the rotation that makes the grid and baselines horizontal (the one
  that maximises the variance of the row profile), and :func:`rotate` undoes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: A quadrilateral smaller than this share of the image is not the page.
MIN_PAGE_SHARE = 0.25
#: Work size for the coarse steps (page finding, skew): long side in pixels.
WORK_SIDE = 900


@dataclass(frozen=True)
class Contrast:
    """Per-pixel measures after the paper's brightness is divided out (float32, 0..1)."""

    darkness: np.ndarray
    colour: np.ndarray


def find_page(image: np.ndarray) -> np.ndarray | None:
    """Corners (4x2 float32, clockwise from top-left, in image pixels) of the sheet, or None
    when the image is all paper (or no clear sheet is visible)."""
    h, w = image.shape[:2]
    scale = WORK_SIDE / max(h, w)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    grey = cv2.GaussianBlur(grey, (5, 5), 0)
    _, bright = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(largest)
    total = small.shape[0] * small.shape[1]
    if area < MIN_PAGE_SHARE * total or area > 0.97 * total:
        return None
    x, y, bw, bh = cv2.boundingRect(largest)
    margin = 3
    if x <= margin and y <= margin and x + bw >= small.shape[1] - margin and y + bh >= small.shape[0] - margin:
        return None  # the bright region reaches every edge: a scan, not a sheet on a table
    quad = cv2.approxPolyDP(largest, 0.02 * cv2.arcLength(largest, True), True)
    if len(quad) != 4 or not cv2.isContourConvex(quad):
        return None
    corners = _order(quad.reshape(4, 2).astype(np.float32)) / scale
    grey_full = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (5, 5), 0).astype(np.float32)
    return _refine(corners, grey_full, search=max(6.0, 3.0 / scale))


def _refine(corners: np.ndarray, grey: np.ndarray, search: float) -> np.ndarray:
    """Corners as the intersections of lines fitted to each side's sharpest edge.

    The sheet's outline at the working size is only as good as its threshold, which uneven
    light biases by several pixels; along each side the edge is looked for at full size, on
    normals ``search`` pixels either side, where the brightness changes fastest."""
    lines = []
    for k in range(4):
        a, b = corners[k], corners[(k + 1) % 4]
        side = b - a
        length = float(np.hypot(*side))
        if length < 20:
            return corners
        normal = np.array([-side[1], side[0]]) / length
        offsets = np.arange(-search, search + 1.0)
        points = []
        for t in np.linspace(0.1, 0.9, 40):
            centre = a + t * side
            xy = centre[None, :] + offsets[:, None] * normal[None, :]
            values = cv2.remap(grey, xy[:, 0:1].astype(np.float32), xy[:, 1:2].astype(np.float32),
                               cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).ravel()
            gradient = np.abs(np.diff(values))
            if gradient.max() < 8.0:  # no clear edge here
                continue
            i = int(np.argmax(gradient))
            points.append(centre + (offsets[i] + 0.5) * normal)
        if len(points) < 8:
            return corners
        vx, vy, x0, y0 = cv2.fitLine(np.float32(points), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    refined = []
    for k in range(4):
        (p1, d1), (p2, d2) = lines[k - 1], lines[k]
        matrix = np.array([d1, -d2]).T
        if abs(np.linalg.det(matrix)) < 1e-6:
            return corners
        t = np.linalg.solve(matrix, p2 - p1)
        refined.append(p1 + t[0] * d1)
    refined = np.float32(refined)
    return refined if np.abs(refined - corners).max() < 3 * search else corners


def flatten(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The sheet inside ``corners`` warped to an upright rectangle (its mean side lengths)."""
    tl, tr, br, bl = corners
    width = int(round((np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2))
    height = int(round((np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2))
    target = np.float32([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]])
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def normalise(image: np.ndarray) -> Contrast:
    """Darkness and colour relative to the local paper brightness (see the module docstring)."""
    b, g, r = cv2.split(image)
    brightest = cv2.max(cv2.max(b, g), r)
    darkest = cv2.min(cv2.min(b, g), r)
    # paper brightness: the brightest value nearby, smoothed (ink and grid lines are thin);
    # estimated at a quarter of the size, where it is 16 times cheaper and just as smooth
    h, w = brightest.shape
    small = cv2.resize(brightest, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    side = max(5, (min(small.shape) // 40) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    paper = cv2.blur(cv2.dilate(small, kernel), (side, side))
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    paper = np.maximum(paper, 1.0)
    darkness = np.clip(1.0 - brightest.astype(np.float32) / paper, 0.0, 1.0)
    colour = np.clip((brightest.astype(np.float32) - darkest) / paper, 0.0, 1.0)
    return Contrast(darkness, colour)


def skew_angle(strength: np.ndarray, max_degrees: float = 6.0, centre: float = 0.0) -> float:
    """Rotation (degrees, counter-clockwise as :func:`rotate` takes it) that levels the lines of
    ``strength`` (grid and trace), found within ``max_degrees`` of ``centre`` by maximising the
    variance of its row profile."""
    return levelling(strength, max_degrees, centre)[0]


def levelling(strength: np.ndarray, max_degrees: float = 6.0,
              centre: float = 0.0) -> tuple[float, float]:
    """:func:`skew_angle` and how sharp the row profile is there (its variance), so that
    rotations found near different ``centre`` angles can be compared."""
    scale = min(1.0, WORK_SIDE / max(strength.shape))
    small = cv2.resize(strength, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)

    h, w = small.shape

    inside = np.ones_like(small)

    def sharpness(angle: float) -> float:
        # each row's mean over the part of it that was in the image: a replicated border would
        # draw the page's edge lines across the corners, and a constant one would shorten the
        # corner rows' sums, either sharper the further it turns
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), 1.0)
        turned, seen = (cv2.warpAffine(x, matrix, (w, h), flags=cv2.INTER_LINEAR,
                                       borderMode=cv2.BORDER_CONSTANT, borderValue=0).sum(axis=1)
                        for x in (small, inside))
        rows = seen > 0.5 * w
        return float(np.var(turned[rows] / seen[rows]) * w * w) if rows.sum() > 2 else 0.0

    def merit(angle: float) -> tuple[float, float]:
        return sharpness(angle), -abs(angle - centre)  # on a tie (nothing to level) the centre

    coarse = np.arange(centre - max_degrees, centre + max_degrees + 1e-6, 0.5)
    best = max(coarse, key=merit)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-6, 0.05)
    angle = float(max(fine, key=merit))
    return angle, sharpness(angle)


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` rotated about its centre, same size, borders replicated."""
    if abs(degrees) < 1e-3:
        return image
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _order(points: np.ndarray) -> np.ndarray:
    """Four points ordered top-left, top-right, bottom-right, bottom-left."""
    s = points.sum(axis=1)
    d = np.diff(points, axis=1).ravel()
    return np.float32([points[np.argmin(s)], points[np.argmin(d)], points[np.argmax(s)],
                       points[np.argmax(d)]])
