"""The printed lead names: where they are in each row and which lead each one names.

A row's label is small ink beside its traced line: what is left of the row's band once the
line (and a stroke's width around it) is taken out, in connected pieces no taller than a few
millimetres, grouped into words by their spacing. Each word is read by template matching:
the twelve standard names are rendered in the Hershey fonts opencv ships (single-stroke and
duplex, upright and italic, the styles electrocardiographs print), cut to their ink, scaled
to the word's height and compared, blurred, by correlation. The aspect of the word sorts
"I" from "II" and "III" before the shapes are compared.

No OCR engine is needed for twelve known words in these fonts. A name the templates do not read
surely (a serif or bold font, say) at the start of a row that may be a rhythm strip is read
again by the page-text recogniser (:func:`read_name_by_text`), offline as well; "I", "II" and
"III" are told apart by the stems the word shows at half its height, not by the letters the
recogniser returns.
"""

from __future__ import annotations

import re
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


#: The start of a row searched for its name by the recogniser: this far before the row's first
#: traced column and after it (mm).
TEXT_BEFORE_MM, TEXT_AFTER_MM = 12.0, 30.0
#: The crop is scaled so that a millimetre is this many pixels (3 mm capitals ~30 px high).
TEXT_PX_PER_MM = 10.0
#: A name read by the recogniser below this confidence is not taken.
MIN_TEXT_SCORE = 0.7
_ROMAN = str.maketrans({"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "l": "I", "|": "I", "1": "I"})


def read_name_by_text(image: np.ndarray, baseline: float, half_band: float, x0: int,
                      line_x: np.ndarray, line_y: np.ndarray, line_px: float,
                      px_per_mm: float) -> Label | None:
    """The lead name printed at the start of a row, read by the page-text recogniser on the
    row's start with its traced line painted over in paper, or, where the tracer followed a
    letter for a stretch and took it away, as printed; None when no lead name is read (or the
    recogniser cannot run)."""
    painted = _name_in_crop(*_start_crop(image, baseline, half_band, x0, line_x, line_y, line_px,
                                         px_per_mm))
    if painted is not None and painted.lead != "I":
        return painted
    # a lone stroke may be what painting the line left of a name ("V1" without its "V", where
    # the tracer took the letter for the line's start): the line painted a pixel wide instead
    printed = _name_in_crop(*_start_crop(image, baseline, half_band, x0, line_x, line_y, -1.0,
                                         px_per_mm))
    return printed if printed is not None else painted


def _name_in_crop(crop: np.ndarray | None, corner: tuple[int, int], scale: float) -> Label | None:
    """The first lead name the recogniser reads in ``crop`` (taken at ``corner`` of the page and
    enlarged ``scale`` times), as a label in the page's pixels."""
    if crop is None:
        return None
    try:
        from workstation.scan.page_text import read_small

        boxes = read_small(crop)
    except Exception:  # noqa: BLE001 - the recogniser missing or failing: not read
        return None
    for box in sorted(boxes, key=lambda b: b.box[0]):
        bx0, by0, bx1, by1 = box.box
        lead = lead_from_text(box.text, crop[max(0, by0):by1, max(0, bx0):bx1])
        if lead is not None and box.score >= MIN_TEXT_SCORE:
            return Label(lead, corner[0] + bx0 / scale, corner[1] + (by0 + by1) / 2 / scale,
                         (by1 - by0) / scale, float(box.score))
    return None


def _start_crop(image: np.ndarray, baseline: float, half_band: float, x0: int,
                line_x: np.ndarray, line_y: np.ndarray, line_px: float, px_per_mm: float):
    """(the grey start of a row, scaled to :data:`TEXT_PX_PER_MM`, with its traced line
    painted over ``2 * line_px + 2`` pixels wide (at least one); its top-left corner on the page; the scale), or (None, ..) when empty."""
    h, w = image.shape[:2]
    y_lo, y_hi = int(max(0, baseline - ABOVE * half_band)), int(min(h, baseline + BELOW * half_band))
    x_lo = int(max(0, x0 - TEXT_BEFORE_MM * px_per_mm))
    x_hi = int(min(w, x0 + TEXT_AFTER_MM * px_per_mm))
    grey = image[y_lo:y_hi, x_lo:x_hi]
    if grey.size == 0:
        return None, (x_lo, y_lo), 1.0
    grey = (grey.max(axis=2) if grey.ndim == 3 else grey).copy()
    found = np.isfinite(line_y)
    if found.sum() >= 2:
        points = np.stack([line_x[found] - x_lo, line_y[found] - y_lo], axis=1)
        cv2.polylines(grey, [np.round(points).astype(np.int32)], False, 255,
                      max(1, int(round(2 * line_px + 2))))
    scale = float(np.clip(TEXT_PX_PER_MM / px_per_mm, 0.5, 3.0))
    crop = cv2.resize(grey, None, fx=scale, fy=scale,
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return crop, (x_lo, y_lo), scale


def lead_from_text(text: str, word: np.ndarray | None = None) -> str | None:
    """The standard lead ``text`` (as a recogniser returns it) names, or None. "V1" is also
    read in "VI", "Vl" and "V|"; a word of strokes only ("I", "ⅡI", "1l") names I, II or III by
    the stems ``word`` (its grey crop, dark ink on paper) shows at half its height."""
    compact = re.sub(r"[\s.:,;_\-'`]", "", text)
    upper = compact.upper()
    if m := re.fullmatch(r"AV([RLF])", upper):
        return "aV" + m.group(1)
    if m := re.fullmatch(r"V([1-6]|[IL|])", upper):
        return "V" + (m.group(1) if m.group(1).isdigit() else "1")
    roman = compact.translate(_ROMAN)
    if roman and set(roman) == {"I"} and len(roman) <= 4:
        stems = _stems(word) if word is not None and word.size else len(roman)
        return {1: "I", 2: "II", 3: "III"}.get(stems)
    return None


def _stems(word: np.ndarray) -> int:
    """How many dark strokes cross the middle third of ``word`` (grey, dark on light): the
    serifs of "I" and "II" are at the top and the bottom, so the middle shows the stems; gaps
    under a tenth of the word's height are closed first."""
    third = max(1, word.shape[0] // 3)
    middle = word[third:2 * third].astype(np.float32).mean(axis=0)
    if middle.size < 2 or np.ptp(middle) < 30:
        return 0
    dark = (middle < (middle.max() + middle.min()) / 2).astype(np.uint8)
    # a gap of a pixel or two (a stroke cut by the painted line) does not split a stem
    gap = max(1, word.shape[0] // 10)
    dark = cv2.morphologyEx(dark[None, :], cv2.MORPH_CLOSE, np.ones((1, gap + 1), np.uint8))[0] > 0
    return int(np.count_nonzero(dark[1:] & ~dark[:-1]) + int(dark[0]))
