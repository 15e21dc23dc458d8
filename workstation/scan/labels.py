"""The printed lead names: where they are in each row and which lead each one names.

A row's label is small ink beside its traced line: what is left of the row's band once the
line (and a stroke's width around it) is taken out, in connected pieces no taller than a few
millimetres, grouped into words by their spacing. Each word is read by template matching:
the twelve standard names are rendered in the Hershey fonts opencv ships (single-stroke and
duplex, upright and italic, the styles electrocardiographs print), cut to their ink, scaled
to the word's height and compared, blurred, by correlation. The aspect of the word sorts
"I" from "II" and "III" before the shapes are compared.

No OCR engine is needed for twelve known words, and nothing leaves the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from workstation.core.leads import STANDARD_LEADS

#: A label's height (mm): a name printed between these, capitals to baseline.
LABEL_HEIGHT_MM = (1.2, 6.0)
#: A row's names are looked for this share of its half-band above its baseline and below it.
ABOVE, BELOW = 0.6, 0.35
#: Names on one page share a font: a word more than this far from the height of the page's
#: surest names is not one.
HEIGHT_TOLERANCE = 0.25
SURE_MATCH = 0.85
#: Letters of one word are closer than this many letter heights.
WORD_GAP = 0.8
#: Templates are compared at this height (px).
TEMPLATE_PX = 24
PAD = 4
#: A word is read as a lead name when it correlates at least this well with its template...
MIN_MATCH = 0.6
#: ...and better, by this margin, than with any other name.
MIN_MARGIN = 0.04
#: Names that differ in their last character only ("V5", "V6") are compared on the word's last
#: share, and read when one matches better by the margin.
ENDING_SHARE = 0.45
ENDING_MARGIN = 0.04
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_PLAIN,
         cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
         cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC)


@dataclass(frozen=True)
class Label:
    """A lead name read on the page."""

    lead: str
    x: float  # px, left edge of the word
    y: float  # px, centre of the word
    height: float  # px
    match: float  # correlation with the best template, 0..1


def read_labels(mask: np.ndarray, baseline: float, half_band: float, x0: int, x1: int,
                line_x: np.ndarray, line_y: np.ndarray, line_px: float,
                px_per_mm: float, darkness: np.ndarray | None = None) -> list[Label]:
    """The lead names printed in one row's band, left to right: above its baseline, or a
    little below (not as far as the next row's names).

    ``line_x``/``line_y`` is the row's traced line, removed first with ``line_px`` of margin
    (the names sit beside the trace, but a tall complex may pass through one). With the page's
    ``darkness`` the words are read in grey, where a thin stroke the ink threshold broke is
    still whole."""
    h = mask.shape[0]
    y_lo = int(max(0, baseline - ABOVE * half_band))
    y_hi = int(min(h, baseline + BELOW * half_band))
    x_lo, x_hi = max(0, x0 - int(12 * px_per_mm)), min(mask.shape[1], x1 + 1)
    band = mask[y_lo:y_hi, x_lo:x_hi].astype(np.uint8)
    if band.size == 0:
        return []
    found = np.isfinite(line_y)
    clear = np.ones_like(band)  # 0 on the traced line and its margin
    if found.sum() >= 2:
        points = np.stack([line_x[found] - x_lo, line_y[found] - y_lo], axis=1)
        cv2.polylines(clear, [np.round(points).astype(np.int32)], False, 0,
                      max(1, int(round(2 * line_px + 2))))
    band &= clear
    words = _words(band, px_per_mm)
    labels = []
    grey = None if darkness is None else darkness[y_lo:y_hi, x_lo:x_hi] * clear
    for left, top, right, bottom in words:
        word = band[top:bottom, left:right]
        if grey is not None:  # the word's ink and a pixel around it, in grey (not the grid)
            near = cv2.dilate(word, np.ones((3, 3), np.uint8)) > 0
            shade = np.where(near, grey[top:bottom, left:right], 0.0)
            word = shade / shade.max() if shade.max() > 0 else word
        lead, match = _read(word)
        if lead is not None:
            labels.append(Label(lead, float(left + x_lo), float((top + bottom) / 2 + y_lo),
                                float(bottom - top), match))
    return labels


def consistent(rows: list[list[Label]], baselines: list[float]) -> list[list[Label]]:
    """The labels of a page that sit where its surest ones do: a page prints its names in one
    font, at one height above each row's baseline. A piece of a QRS stroke can look like an
    "I", but rarely at the names' size and place as well."""
    sure = [(label.height, label.y - base) for row, base in zip(rows, baselines)
            for label in row if label.match >= SURE_MATCH and label.lead != "I"]
    if not sure:
        return [[] for _ in rows]
    height = float(np.median([h for h, _ in sure]))
    offset = float(np.median([o for _, o in sure]))
    return [[label for label in row if abs(label.height / height - 1.0) <= HEIGHT_TOLERANCE
             and abs(label.y - base - offset) <= HEIGHT_TOLERANCE * height]
            for row, base in zip(rows, baselines)]


def _words(band: np.ndarray, px_per_mm: float) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom) of words: pieces of ink of a label's height, grouped
    along the line by their spacing."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
    lo, hi = LABEL_HEIGHT_MM[0] * px_per_mm, LABEL_HEIGHT_MM[1] * px_per_mm
    pieces = []
    for i in range(1, count):
        x, y, w, hgt, area = stats[i]
        if hgt <= hi and w <= 1.5 * hi and area >= 4 and (hgt >= 0.3 * lo or w >= 0.3 * lo):
            pieces.append([x, y, x + w, y + hgt])
    pieces.sort()
    words: list[list[int]] = []
    for box in pieces:
        if words:
            last = words[-1]
            height = max(last[3] - last[1], box[3] - box[1])
            overlap = min(last[3], box[3]) - max(last[1], box[1])
            if box[0] - last[2] <= WORD_GAP * height and overlap > -0.2 * height:
                last[:] = [min(last[0], box[0]), min(last[1], box[1]), max(last[2], box[2]),
                           max(last[3], box[3])]
                continue
        words.append(list(box))
    return [tuple(w) for w in words if lo <= w[3] - w[1] <= hi and (w[2] - w[0]) <= 4 * hi]


def _read(word: np.ndarray) -> tuple[str | None, float]:
    """The lead name ``word`` (a binary crop) shows, with its match, or (None, best match)."""
    height, width = word.shape
    if height < 4 or not word.any():
        return None, 0.0
    aspect = width / height
    best: dict[str, float] = {}
    pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}  # (word, template) as compared
    for lead, font, template in _templates():
        t_aspect = template.shape[1] / template.shape[0]
        if abs(np.log(aspect / t_aspect)) > 0.4:
            continue
        scaled = cv2.resize(word.astype(np.float32), (template.shape[1], template.shape[0]),
                            interpolation=cv2.INTER_AREA)
        match = _correlation(_soft(scaled), _soft(template))  # both padded with paper
        best[lead] = max(best.get(lead, -1.0), match)
        pairs.setdefault(lead, []).append((scaled, template))
    if not best:
        return None, 0.0
    ranked = sorted(best.items(), key=lambda item: -item[1])
    lead, match = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
    if match >= MIN_MATCH and match - runner_up >= MIN_MARGIN:
        return lead, float(match)
    # "V5" and "V6" differ only in their last character: names that share the best one's
    # beginning and match nearly as well are told apart on that character alone
    close = [name for name, value in ranked[1:] if match - value < MIN_MARGIN]
    if match >= MIN_MATCH and all(name[:-1] == lead[:-1] for name in close):
        tails = sorted(((_ending(pairs[name]), name) for name in (lead, *close)), reverse=True)
        if tails[0][0] - tails[1][0] >= ENDING_MARGIN:
            return tails[0][1], float(best[tails[0][1]])
    return None, float(match)


def _ending(pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The best match of the word's last :data:`ENDING_SHARE` with a name's templates."""
    out = -1.0
    for scaled, template in pairs:
        cut = int(round(template.shape[1] * (1.0 - ENDING_SHARE)))
        out = max(out, _correlation(_soft(scaled[:, cut:]), _soft(template[:, cut:])))
    return out


@cache
def _templates() -> tuple[tuple[str, int, np.ndarray], ...]:
    """Each standard lead name in each font, cut to its ink, :data:`TEMPLATE_PX` high."""
    out = []
    for font in FONTS:
        for thickness in (1, 2):
            for lead in STANDARD_LEADS:
                canvas = np.zeros((120, 300), np.uint8)
                cv2.putText(canvas, lead, (10, 90), font, 2.0, 255, thickness * 2, cv2.LINE_AA)
                ys, xs = np.nonzero(canvas > 96)
                ink = canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1] > 96
                width = max(1, int(round(ink.shape[1] * TEMPLATE_PX / ink.shape[0])))
                scaled = cv2.resize(ink.astype(np.float32), (width, TEMPLATE_PX), interpolation=cv2.INTER_AREA)
                out.append((lead, font, scaled))
    return tuple(out)


def _soft(image: np.ndarray) -> np.ndarray:
    """``image`` on a margin of paper, blurred: a stroke a pixel off still overlaps, and a
    solid bar ("I") is not a constant image."""
    padded = cv2.copyMakeBorder(image.astype(np.float32), PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=0.0)
    return cv2.GaussianBlur(padded, (0, 0), 1.2)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0
