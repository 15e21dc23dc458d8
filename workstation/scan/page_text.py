"""The document side of a paper ECG: the text a device printed beside the traces.

A recording device prints its own measurements ("Vent. rate 47 BPM", "QT/QTc 464/410 ms",
"PR interval * ms" when it could not measure), its interpretation statements, the acquisition
time and a patient header. :func:`read_page_text` reads them off a page image offline with
RapidOCR (PP-OCR detection and recognition networks run by ONNX Runtime; the models ship
inside the ``rapidocr`` package, nothing is downloaded) and :func:`parse` turns the text into
the structures the file readers fill: :class:`~workstation.core.record.DeviceReport`,
:class:`~workstation.core.record.Patient` and the acquisition time, each field with the
recogniser's confidence and, for the identifying ones (name, id, birth date), where they are
printed so that they can be blacked out (:func:`redact`).

Parsing works on rows of text boxes: boxes whose heights overlap form a row, the row's text
is matched against the layouts of the common vendors (GE's label column, Philips' one-line
"Rate 47 bpm  PR 160 ms", the European "HR: 47 bpm"), and what no measurement or patient
pattern takes is a statement when it reads like one (words, not units or lead names).
Nothing here imports Qt or torch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from workstation.core.record import (PRINTED_PROGRAM, DeviceMeasurement, DeviceReport, ECGRecord,
                                     Patient)
#: The page is scaled so that its longer side is this many pixels before reading: 2.2 mm
#: capitals on an A4 page are then about 15 px high, and a 72-dpi fax is enlarged.
READ_SIDE_PX = 2200
#: Text detection runs on the page reduced to this longer side (recognition on the full
#: scaled page): detection is most of the time, and finds header text of a 150-300 dpi page
#: at this size. A page under :data:`SMALL_PAGE_PX` (a 72-120 dpi fax or screenshot) is
#: detected at :data:`DETECT_ENLARGE` times its own size, where its close lines stay apart.
DETECT_SIDE_PX = 1280
SMALL_PAGE_PX = 1400
DETECT_ENLARGE = 1.8
#: Boxes the recogniser reads below this confidence are dropped.
MIN_SCORE = 0.5
#: Black-out margin around an identifying box, as a share of its height.
REDACT_MARGIN = 0.35

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the page's pixels


@dataclass(frozen=True)
class TextBox:
    """One line of text as the recogniser read it."""

    text: str
    score: float
    box: Box
    #: the slope (dy/dx) of the line the text sits on: a photographed page is seldom level
    slope: float = 0.0


@dataclass(frozen=True)
class ReadField:
    """One field understood from the page's text: ``name`` is a measurement's canonical name
    ("Ventricular rate", "PR", ...), "statement", "name", "patient_id", "birth_date", "age",
    "sex" or "acquisition time"; ``text`` is what was read, ``confidence`` the recogniser's
    lowest score over the boxes it came from."""

    name: str
    text: str
    confidence: float
    boxes: tuple[Box, ...] = ()


IDENTIFYING = frozenset({"name", "patient_id", "birth_date"})


@dataclass(frozen=True)
class PageText:
    """What the page's text says, with the boxes it was read from."""

    boxes: tuple[TextBox, ...]
    measurements: tuple[DeviceMeasurement, ...] = ()
    #: measurements the device printed as not measured ("PR interval * ms")
    not_measured: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    patient: Patient = Patient()
    acquired: dt.datetime | None = None
    fields: tuple[ReadField, ...] = ()
    seconds: float = 0.0

    @property
    def device_report(self) -> DeviceReport:
        """The device's measurements and statements, marked as read from the image."""
        if not (self.measurements or self.statements):
            return DeviceReport()
        return DeviceReport(PRINTED_PROGRAM, self.measurements, self.statements)

    @property
    def identity_boxes(self) -> tuple[Box, ...]:
        """Where the patient's name, id and birth date are printed."""
        return tuple(b for f in self.fields if f.name in IDENTIFYING for b in f.boxes)

    @property
    def confidences(self) -> tuple[tuple[str, float], ...]:
        """(field, confidence) of every field read; statements as "statement N"."""
        out, k = [], 0
        for f in self.fields:
            if f.name == "statement":
                k += 1
                out.append((f"statement {k}", round(f.confidence, 3)))
            else:
                out.append((f.name, round(f.confidence, 3)))
        return tuple(out)


# -- reading ---------------------------------------------------------------------------------

class _Engine:
    """RapidOCR, created on first use (loading the networks takes about a second) and shared;
    one page is read at a time (the ONNX sessions use every core)."""

    _lock = threading.Lock()
    _instance = None

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._instance is None:
                cls._instance = _create_engine()
            return cls._instance


def model_dir() -> Path:
    """The folder of the recognition models inside the installed ``rapidocr`` package."""
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models"


#: The networks read, all inside the ``rapidocr`` wheel: PP-OCRv6 small detection and
#: recognition (Latin letters, digits and punctuation among its characters).
DETECTION_MODEL = "PP-OCRv6_det_small.onnx"
RECOGNITION_MODEL = "PP-OCRv6_rec_small.onnx"


def _create_engine():
    import logging

    from rapidocr import RapidOCR

    folder = model_dir()
    for name in (DETECTION_MODEL, RECOGNITION_MODEL):
        if not (folder / name).is_file():  # never let the engine fetch a missing model
            raise FileNotFoundError(f"OCR model {name} missing from {folder}")
    engine = RapidOCR(params={
        "Global.log_level": "error", "Global.use_cls": False, "Global.text_score": MIN_SCORE,
        "Global.max_side_len": 2 * READ_SIDE_PX,
        "Det.model_path": str(folder / DETECTION_MODEL), "Rec.model_path": str(folder / RECOGNITION_MODEL),
        "Det.limit_type": "max", "Det.limit_side_len": DETECT_SIDE_PX,
        # every core (rapidocr's default leaves ONNX Runtime's own choice, one thread here)
        "EngineConfig.onnxruntime.intra_op_num_threads": os.cpu_count() or 1,
    })
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return engine


def read_boxes(image: np.ndarray) -> list[TextBox]:
    """Every line of text on a page (BGR uint8), boxes in the page's own pixels.

    The page is scaled to :data:`READ_SIDE_PX` and each pixel takes its lightest channel,
    which fades a red, pink or green grid to near white and leaves black print black."""
    scale = READ_SIDE_PX / max(image.shape[:2])
    scaled = cv2.resize(image, None, fx=scale, fy=scale,
                        interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    side = max(image.shape[:2])
    detect = int(min(READ_SIDE_PX, DETECT_ENLARGE * side)) if side < SMALL_PAGE_PX else DETECT_SIDE_PX
    out = []
    for quad, text, score in _recognise(_light(scaled), detect):
        quad = quad / scale
        run = quad[1, 0] - quad[0, 0]  # the top edge, left to right
        slope = float((quad[1, 1] - quad[0, 1]) / run) if run > 0 else 0.0
        out.append(TextBox(text, score, _bounds(quad), slope))
    return out


def read_small(image: np.ndarray) -> list[TextBox]:
    """Every line of text on a small crop (grey or BGR uint8, a few hundred pixels), read at its
    own size on a margin of paper; boxes in the crop's pixels."""
    return [TextBox(text, score, _bounds(quad)) for quad, text, score in _recognise_padded(_light(image))]


#: Paper added around a crop before it is read: text touching its edge is still detected.
PAD_PX = 16


def _light(image: np.ndarray) -> np.ndarray:
    """Each pixel's lightest channel (a grey image as it is): a coloured grid fades to white."""
    return image.max(axis=2) if image.ndim == 3 else image


def _recognise(light: np.ndarray, detect_side: int) -> list[tuple[np.ndarray, str, float]]:
    """(corner points, text, confidence) of every non-empty line the recogniser reads on the
    grey image ``light``, text detected at ``detect_side`` pixels on the longer side."""
    engine = _Engine.get()
    with _Engine._lock:
        _detector(engine).limit_side_len = detect_side  # read by the detector on every call
        result = engine(cv2.cvtColor(light, cv2.COLOR_GRAY2BGR))
    if result.boxes is None:
        return []
    lines = [(np.asarray(quad, np.float64), str(text).strip(), float(score))
             for quad, text, score in zip(result.boxes, result.txts, result.scores)]
    return [line for line in lines if line[1]]


def _recognise_padded(light: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
    """:func:`_recognise` on a small grey crop with :data:`PAD_PX` of paper around it, detected
    at its own size; points in the crop's pixels."""
    pad = cv2.copyMakeBorder(light, PAD_PX, PAD_PX, PAD_PX, PAD_PX, cv2.BORDER_CONSTANT, value=255)
    return [(quad - PAD_PX, text, score) for quad, text, score in _recognise(pad, max(pad.shape[:2]))]


def _bounds(quad: np.ndarray) -> Box:
    """The whole-pixel box around a line's corner points."""
    return (int(quad[:, 0].min()), int(quad[:, 1].min()),
            int(np.ceil(quad[:, 0].max())), int(np.ceil(quad[:, 1].max())))


def _detector(engine):
    """RapidOCR's text detector (rapidocr 3.x loads it on first use)."""
    return engine._load_det_model() if getattr(engine, "text_det", None) is None else engine.text_det


def read_page_text(image: np.ndarray) -> PageText:
    """Read and understand the text of a page image (BGR uint8)."""
    start = time.perf_counter()
    boxes = read_boxes(image)
    parsed = parse(boxes)
    regions = unread_values(boxes, parsed)
    if regions:  # a second look, closer, where a label's values were missed
        boxes = reread(image, boxes, regions)
        parsed = _blanks_kept(parse(boxes), parsed)
    parsed = group_slots(image, parsed)
    return PageText(parsed.boxes, parsed.measurements, parsed.not_measured, parsed.statements,
                    parsed.patient, parsed.acquired, parsed.fields,
                    round(time.perf_counter() - start, 3))


def _blanks_kept(again: PageText, first: PageText) -> PageText:
    """``again`` (the page parsed after the closer look) with the values the first look read
    as left blank still blank where the closer look read no value for them either (it may
    read a star as another mark)."""
    read = {m.name for m in again.measurements} | set(again.not_measured)
    blank = tuple(name for name in first.not_measured if name not in read)
    return dataclasses.replace(again, not_measured=(*again.not_measured, *blank)) if blank else again


#: A box that is only a measurement's label, with the names it prints.
_LABELS = ((re.compile(r"^vent\.?\s*rate$", re.I), ("Ventricular rate",)),
           (re.compile(r"^pr\s*interval$", re.I), ("PR",)),
           (re.compile(r"^qrs\s*duration$", re.I), ("QRS",)),
           (re.compile(r"^qt\s*/\s*qtc$", re.I), ("QT", "QTc")),
           (re.compile(r"^p-r-t\s*axes$", re.I), ("P axis", "QRS axis", "T axis")))
#: Enlargement of the second look at a row whose values were missed.
REREAD_SCALE = 2.0


def unread_values(boxes: list[TextBox], text: PageText) -> list[Box]:
    """Where a label stands alone in a column of labels with (some of) its values unread: from
    the label's right end to the next statement-like box of its row (at most five label widths
    further), over the row's height."""
    return [_value_region(row, k) for row, k, _ in _unread_labels(boxes, text)]


def _unread_labels(boxes, text: PageText):
    """(row, index of the label box in it, the names it prints) of every label box some of
    whose values were not read. A label followed by its unit alone counts as unread too: a
    number the first look missed ("Vent. rate [80 unseen] BPM") reads as a value the device
    left blank until the closer look finds it or confirms the blank."""
    read = {m.name for m in text.measurements}
    for row in rows_of(list(boxes)):
        for k, b in enumerate(row.boxes):
            names = _label_names(b.text)
            if names is not None and not all(n in read for n in names):
                yield row, k, names


def _label_names(text: str) -> tuple[str, ...] | None:
    """The names a box that is only a measurement's label prints, None for another box."""
    return next((n for pattern, n in _LABELS if pattern.match(text)), None)


def _value_region(row: "_Row", k: int) -> Box:
    """Where the values of the label ``row.boxes[k]`` are printed: from its right end to the
    next statement-like box of the row (at most five label widths further), over the row's
    height and a third of it above and below."""
    x0, y0, x1, y1 = row.boxes[k].box
    right = x1 + 5 * (x1 - x0)
    for other in row.boxes[k + 1:]:
        if len(other.text) >= 8:
            right = min(right, other.box[0] - 1)
            break
    margin = (y1 - y0) // 3
    return x1 + 1, y0 - margin, right, y1 + margin


def _row_band(region: Box) -> Box:
    """The label's own line in a region of :func:`_value_region` (its margins above and
    below, a third of the line's height each, are context for the reader, not the row)."""
    x0, y0, x1, y1 = region
    margin = (y1 - y0) // 5
    return x0, y0 + margin, x1, y1 - margin


def reread(image: np.ndarray, boxes: list[TextBox], regions: list[Box]) -> list[TextBox]:
    """``boxes`` with those of each region's own line replaced by what reading the region
    alone, enlarged :data:`REREAD_SCALE` times, finds there. On closely printed lines the
    region's margins reach into the lines above and below: what was read there is kept, and
    what the closer look reads over it again (part of a neighbouring line, cut by the
    region's edge) is not taken."""
    kept = [b for b in boxes if not any(_inside(b.box, _row_band(r)) for r in regions)]
    neighbours = list(kept)
    for region in regions:
        x0, y0, x1, y1 = max(0, region[0]), max(0, region[1]), region[2], region[3]
        crop = image[y0:y1, x0:x1]
        if crop.size == 0:
            continue
        scale = REREAD_SCALE * READ_SIDE_PX / max(image.shape[:2])
        big = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        for quad, text, score in _recognise_padded(_light(big)):
            bx0, by0, bx1, by1 = _bounds(quad / scale)
            box = (x0 + bx0, y0 + by0, x0 + bx1, y0 + by1)
            if _inside(box, _row_band(region)) and not any(_over(box, b.box) for b in neighbours):
                kept.append(TextBox(text, score, box))
    return [b for b in kept if b.text]


def _over(box: Box, other: Box) -> bool:
    """Whether ``box`` lies over ``other``: they overlap over half the smaller's height and
    half the narrower's width (boxes of two lines printed closer than a line's height overlap
    by less)."""
    high = min(box[3], other[3]) - max(box[1], other[1])
    wide = min(box[2], other[2]) - max(box[0], other[0])
    return (high > 0.5 * min(box[3] - box[1], other[3] - other[1])
            and wide > 0.5 * min(box[2] - box[0], other[2] - other[0]))


def _inside(box: Box, region: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


# -- the slots of a labelled group -------------------------------------------------------------

#: A group's value is taken by position only when the page's ink shows as many values as the
#: label has slots. Glyphs of one value are closer than this share of the capital height; a
#: mark no taller than :data:`STAR_HEIGHT` and no wider than :data:`STAR_WIDTH` capitals (and
#: at least :data:`MIN_MARK` of one, not a speck) is a star: "not measured".
VALUE_GAP = 0.6
STAR_HEIGHT = 0.8
STAR_WIDTH = 1.2
MIN_MARK = 0.2
_NUMBER = re.compile(r"^(?:\*|[-\u2212]?\d{1,4})$")


@dataclass(frozen=True)
class _Mark:
    """Ink of one printed value: its extent in the page's pixels and what was read there."""

    x0: int
    x1: int
    height: int
    text: str | None = None


def group_slots(image: np.ndarray, text: PageText) -> PageText:
    """``text`` with the values of each label printed alone ("P-R-T axes", "QT/QTc") found by
    position where its boxes did not give a value for every slot (a star too small for the
    text detector, or read as another sign): the marks of ink right of the label, one per slot,
    each the number read there, a star where a small mark was not read as a number (not
    measured), nothing where a larger one was not (unknown). A number read from a mark too
    small for a digit is a star misread ("8" for "*"), and is taken back. A label whose ink
    shows more or fewer marks than slots is left as it was."""
    measured = {m.name for m in text.measurements}
    read = measured | set(text.not_measured)
    slope, found = page_slope(list(text.boxes)), []
    for row in rows_of(list(text.boxes)):
        for k, box in enumerate(row.boxes):
            names = _label_names(box.text) or ()
            if len(names) < 2 or 0 < len(read & set(names)) < len(names):
                continue
            marks = _slot_marks(image, row, k, slope)
            if len(marks) != len(names):
                continue
            slots = _assigned(names, marks, box)
            found += [s for s in slots if s[0] not in read or s[0] in measured and s[2] is None]
    return _with_fields(text, found) if found else text


def _slot_marks(image: np.ndarray, row: "_Row", k: int, slope: float) -> list[_Mark]:
    """The marks of ink right of the label ``row.boxes[k]`` up to the next box that is not a
    value, each with the word of the value box that covers it; [] when the boxes and the ink
    do not agree (a box over no mark, or over a number of marks its words do not match)."""
    label = row.boxes[k]
    x0, _, x1, _ = _value_region(row, k)
    values = []
    for b in row.boxes[k + 1:]:
        if b.box[0] > x1 or not _value_like(b.text):
            x1 = min(x1, b.box[0] - 1)
            break
        values.append(b)
    level, cap = _print_level(image, label.box)
    if cap == 0 or x1 <= x0:
        return []
    marks = _marks(image, level, cap, (x0, x1), _centre_line(values or [label], slope))
    for b in values:
        inside = [i for i, m in enumerate(marks) if b.box[0] <= (m.x0 + m.x1) / 2 <= b.box[2]]
        words = b.text.split()
        numbers = all(_NUMBER.match(w) for w in words)
        if not inside or numbers and len(words) != len(inside):
            return []
        for i, word in zip(inside, words if numbers else [None] * len(inside)):
            marks[i] = dataclasses.replace(marks[i], text=word)
    return [m if m.text is not None and not _small(m, cap)
            else dataclasses.replace(m, text=_unread_mark(m, cap)) for m in marks]


def _value_like(text: str) -> bool:
    """A box a group's value may be read as: numbers and stars, or one or two signs that are
    not letters or digits of the page's alphabet (a star read as another mark)."""
    return bool(re.fullmatch(r"[-\u2212*/\d\s]+", text)) or (
        len(text) <= 2 and not re.search(r"[A-Za-z0-9]", text))


def _lightest(image: np.ndarray, box: Box) -> np.ndarray:
    """The lightest channel of ``image`` (BGR or grey) in ``box``: a coloured grid fades."""
    x0, y0, x1, y1 = (max(0, v) for v in box)
    return _light(image[y0:y1, x0:x1])


def _print_level(image: np.ndarray, label: Box) -> tuple[float, int]:
    """The grey level halfway between the paper and the strokes of the ``label``'s print, and
    the capital height of that print in pixels (0 where the label shows no clear print)."""
    crop = _lightest(image, label)
    if crop.size == 0:
        return 0.0, 0
    paper, dark = float(np.percentile(crop, 60)), float(np.percentile(crop, 2))
    if paper - dark < 40:
        return 0.0, 0
    level = (paper + dark) / 2
    n, _, stats, _ = cv2.connectedComponentsWithStats((crop < level).astype(np.uint8))
    heights = [h for h in stats[1:, cv2.CC_STAT_HEIGHT] if h < 0.9 * crop.shape[0]]
    return level, int(np.percentile(heights, 90)) if heights else 0


def _centre_line(boxes: list[TextBox], slope: float) -> tuple[float, float]:
    """(intercept, slope) of the line at the page's ``slope`` through the centres of a row's
    value boxes (of its label where none was read): a scanned or photographed page is seldom
    level."""
    xs = np.array([(b.box[0] + b.box[2]) / 2 for b in boxes])
    ys = np.array([(b.box[1] + b.box[3]) / 2 for b in boxes])
    return float(np.mean(ys - slope * xs)), slope


def _marks(image: np.ndarray, level: float, cap: int, span: tuple[int, int],
           line: tuple[float, float]) -> list[_Mark]:
    """The marks of a row's ink between ``span``'s x, left to right: connected pieces darker
    than ``level``, at least :data:`MIN_MARK` of a capital tall or wide, centred within half a
    capital of the row's middle (``line``, a box's centre, brought to the middle of the row's
    full-height glyphs), pieces closer than :data:`VALUE_GAP` capitals joined."""
    (x0, x1), (intercept, slope) = (max(0, span[0]), span[1]), line
    ends = [intercept + slope * x for x in (x0, x1)]
    y0, y1 = max(0, int(min(ends) - 1.5 * cap)), int(max(ends) + 1.5 * cap)
    ink = (_lightest(image, (x0, y0, x1, y1)) < level).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink)
    pieces = []  # x0, x1, y0, y1 in the page, and the centre's offset from the line
    for x, y, w, h, _ in stats[1:]:
        offset = y0 + y + h / 2 - intercept - slope * (x0 + x + w / 2)
        if max(w, h) >= MIN_MARK * cap and abs(offset) < cap:
            pieces.append((x0 + x, x0 + x + w, y0 + y, y0 + y + h, offset))
    tall = [p[4] for p in pieces if p[3] - p[2] >= 0.7 * cap]
    middle = float(np.median(tall)) if tall else 0.0
    marks: list[list[int]] = []
    for a, b, top, bottom, offset in sorted(pieces):
        if abs(offset - middle) >= 0.5 * cap:
            continue
        if marks and a - marks[-1][1] < VALUE_GAP * cap:
            last = marks[-1]
            marks[-1] = [last[0], max(last[1], b), min(last[2], top), max(last[3], bottom)]
        else:
            marks.append([a, b, top, bottom])
    return [_Mark(int(a), int(b), int(bottom - top)) for a, b, top, bottom in marks]


def _small(mark: _Mark, cap: int) -> bool:
    """Whether ``mark`` is too small for a digit: no taller than :data:`STAR_HEIGHT` and no
    wider than :data:`STAR_WIDTH` capitals."""
    return mark.height <= STAR_HEIGHT * cap and mark.x1 - mark.x0 <= STAR_WIDTH * cap


def _unread_mark(mark: _Mark, cap: int) -> str:
    """A mark not read as a number (or too small for one): "*" when small (a star), ""
    (unknown) otherwise."""
    return "*" if _small(mark, cap) and mark.height >= MIN_MARK * cap else ""


def _assigned(names: tuple[str, ...], marks: list[_Mark],
              label: TextBox) -> list[tuple[str, str, float | None, TextBox]]:
    """(name, text, value (None: not measured), label) of each slot whose mark gives a number
    or a star; a mark that gives neither, or an implausible number, gives nothing."""
    out = []
    for name, mark in zip(names, marks):
        if not mark.text:
            continue
        value = _value(mark.text, name)
        if value is not False:
            out.append((name, mark.text, value, label))
    return out


def _with_fields(text: PageText, found) -> PageText:
    """``text`` with the measurements (and stars: not measured) found by position in place of
    what was read for them."""
    units = {name: unit for names, _, unit in MEASUREMENT_PATTERNS for name in names}
    names = {f[0] for f in found}
    measurements = [m for m in text.measurements if m.name not in names]
    not_measured = [n for n in text.not_measured if n not in names]
    fields = [f for f in text.fields if f.name not in names]
    for name, word, value, label in found:
        if value is None:
            not_measured.append(name)
        else:
            measurements.append(DeviceMeasurement(name, value, units[name]))
        fields.append(ReadField(name, word, label.score, (label.box,)))
    return dataclasses.replace(text, measurements=tuple(measurements), not_measured=tuple(not_measured),
                               fields=tuple(fields))


def with_page_text(record: ECGRecord, text: PageText) -> ECGRecord:
    """``record`` (digitised from a page) with what the page's text says: the device's
    measurements and statements (marked as read from the image), the patient and the
    acquisition time, where the record does not already have them, and the confidence of each
    field and the identifying boxes in its digitisation."""
    if record.digitisation is None:
        raise ValueError("only a record digitised from an image has a printed page")
    report = record.device_report if not record.device_report.is_empty else text.device_report
    patient = record.patient if not record.patient.is_empty else text.patient
    acquisition = record.acquisition
    if acquisition.time is None and text.acquired is not None:
        acquisition = dataclasses.replace(acquisition, time=text.acquired)
    digitisation = dataclasses.replace(record.digitisation, printed=text.confidences,
                                       identity_boxes=text.identity_boxes)
    comments = record.comments
    if not text.device_report.is_empty:
        comments = (*comments, "device measurements and statements read from the printed page")
    return dataclasses.replace(record, device_report=report, patient=patient, acquisition=acquisition,
                               digitisation=digitisation, comments=comments, _cache=record._cache)


def carry_page_text(before: ECGRecord, after: ECGRecord) -> ECGRecord:
    """``after`` (the same page digitised again, with corrections) with what ``before`` read
    from the page's text: the text does not change when the calibration does."""
    if before.digitisation is None or after.digitisation is None:
        return after
    digitisation = dataclasses.replace(after.digitisation, printed=before.digitisation.printed,
                                       identity_boxes=before.digitisation.identity_boxes)
    return dataclasses.replace(after, device_report=before.device_report, patient=before.patient,
                               acquisition=before.acquisition, digitisation=digitisation,
                               comments=before.comments, _cache=after._cache)


def page_image(record: ECGRecord, *, keep_identity: bool = False) -> np.ndarray | None:
    """The page a digitised record was read from (BGR), with the patient's printed name, id
    and birth date blacked out unless ``keep_identity``; None for a record from a file."""
    from workstation.scan.ingest import pages_from_bytes

    d = record.digitisation
    if d is None:
        return None
    page = pages_from_bytes(d.image)[d.page]
    return page if keep_identity else redact(page, d.identity_boxes)


def redacted(image: np.ndarray) -> np.ndarray:
    """``image`` (any picture of a page: an overlay, a corrected page) with the identifying
    text that reading it finds blacked out."""
    return redact(image, read_page_text(image).identity_boxes)


def redact(image: np.ndarray, boxes: tuple[Box, ...] | list[Box]) -> np.ndarray:
    """A copy of ``image`` with each box (and a margin) painted black."""
    out = image.copy()
    for x0, y0, x1, y1 in boxes:
        m = int(round(REDACT_MARGIN * (y1 - y0))) + 1
        cv2.rectangle(out, (max(0, x0 - m), max(0, y0 - m)), (x1 + m, y1 + m), (0, 0, 0), -1)
    return out


# -- understanding -------------------------------------------------------------------------

@dataclass
class _Row:
    boxes: list[TextBox]
    text: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)  # each box's characters
    taken: list[tuple[int, int]] = field(default_factory=list)  # spans already understood

    def __post_init__(self) -> None:
        parts, pos = [], 0
        self.boxes = [TextBox(_digits(b.text), b.score, b.box) for b in self.boxes]
        for b in self.boxes:
            parts.append(b.text)
            self.spans.append((pos, pos + len(b.text)))
            pos += len(b.text) + 3
        self.text = "   ".join(parts)

    def boxes_in(self, start: int, stop: int) -> list[TextBox]:
        return [b for b, (s, e) in zip(self.boxes, self.spans) if s < stop and start < e]

    def free(self, start: int, stop: int) -> bool:
        return all(stop <= s or e <= start for s, e in self.taken)


_DIGIT_LIKE = re.compile(r"^[-\u2212*/\dOoIl|]*\d[-\u2212*/\dOoIl|]*$")


def _digits(text: str) -> str:
    """Letters misread in a number ("8O", "l48") as the digits they stand for."""
    return " ".join(w.translate(str.maketrans("OoIl|", "00111")) if _DIGIT_LIKE.match(w) else w
                    for w in text.split(" "))


def page_slope(boxes: list[TextBox]) -> float:
    """The median slope (dy/dx) of the page's long lines of text."""
    long = [b.slope for b in boxes if b.box[2] - b.box[0] > 3 * (b.box[3] - b.box[1])]
    return float(np.median(long)) if long else 0.0


def rows_of(boxes: list[TextBox]) -> list[_Row]:
    """Boxes grouped into rows (vertical centres within 0.4 of a box height, measured along
    the text's median slope: a photographed page's lines are not level), left to right."""
    slope = page_slope(boxes)

    def level(b: TextBox) -> float:  # the box's centre, brought level
        return (b.box[1] + b.box[3]) / 2 - slope * (b.box[0] + b.box[2]) / 2

    rows: list[list[TextBox]] = []
    for b in sorted(boxes, key=level):
        centre, height = level(b), b.box[3] - b.box[1] - abs(slope) * (b.box[2] - b.box[0])
        if rows:
            last = rows[-1]
            c = np.mean([level(x) for x in last])
            h = np.median([x.box[3] - x.box[1] - abs(slope) * (x.box[2] - x.box[0]) for x in last])
            if abs(centre - c) < 0.4 * max(1.0, min(h, height)):
                last.append(b)
                continue
        rows.append([b])
    return [_Row(sorted(r, key=lambda b: b.box[0])) for r in rows]


_NUM = r"(\*|[-\u2212]?\d{1,4})"
_POS = r"(\*|\d{1,4})"
#: a duration or rate the device left blank or starred: the label followed by its unit alone
#: (a star photographed or faxed is often read as another small mark: ' ` " ^ . ,)
_OPT = r"(\*|\d{1,4}|[*'`\"^.,\u00b0]{1,3}(?=\s*(?:ms|bpm)\b)|(?=\s+(?:ms|bpm)\b))"
_SEP = r"\s*[:=]?\s*"
#: between two numbers of a column: a space, or none before a minus sign ("48-21" is 48, -21)
_GAP = r"(?:\s+|(?=[-\u2212]))"
#: (canonical names, pattern, unit) in the order they are tried: axes before durations, so
#: that "QRS -41" in an axis line is never read as a QRS duration.
MEASUREMENT_PATTERNS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("P axis", "QRS axis", "T axis"), rf"\bp\s*-\s*r\s*-\s*t\s*ax[ei]s{_SEP}{_NUM}{_GAP}{_NUM}{_GAP}{_NUM}", "deg"),
    (("P axis", "QRS axis", "T axis"),
     rf"\b(?:ax[ei]s\s*)?p\s*/\s*qrs\s*/\s*t(?:\s*ax[ei]s)?{_SEP}{_NUM}\s*/\s*{_NUM}\s*/\s*{_NUM}", "deg"),
    (("P axis", "QRS axis", "T axis"),
     rf"\bax[ei]s{_SEP}p{_SEP}{_NUM}\s*qrs{_SEP}{_NUM}\s*t{_SEP}{_NUM}", "deg"),
    (("QT", "QTc"), rf"\bqt\s*/\s*qtc[bfh]?{_SEP}{_POS}\s*/\s*{_POS}", "ms"),
    (("QTc",), rf"\bqtc[bfh]?{_SEP}{_OPT}", "ms"),
    (("QT",), rf"\bqt(?:\s*int(?:erval)?)?{_SEP}{_OPT}", "ms"),
    (("Ventricular rate",), rf"\b(?:vent\.?\s*rate|ventricular\s*rate|heart\s*rate|v\.?\s*rate|rate|hr|fc)"
                            rf"{_SEP}{_OPT}", "bpm"),
    (("PR",), rf"\b(?:pr|pq)(?:\s*int(?:erval)?\.?)?{_SEP}{_OPT}", "ms"),
    (("QRS",), rf"\bqrs\s*(?:d\b|dur(?:ation|\.)?)?{_SEP}{_OPT}", "ms"),
    (("P duration",), rf"\bp(?:\s*dur(?:ation|\.)?)?{_SEP}{_POS}\s*ms", "ms"),
)
#: Plausible ranges of what a device prints: a reading outside is a misread, not a value.
PLAUSIBLE = {"Ventricular rate": (15, 350), "PR": (40, 600), "QRS": (30, 300), "QT": (150, 800),
             "QTc": (150, 800), "P duration": (20, 300), "P axis": (-180, 360),
             "QRS axis": (-180, 360), "T axis": (-180, 360)}

_MONTH = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec"))}
_DATE = (r"(\d{1,2})[-. ]([A-Za-z]{3})[a-z]*[-. ](\d{4})"  # 15-Jan-1984
         r"|(\d{4})-(\d{1,2})-(\d{1,2})"  # 1984-01-15
         r"|(\d{1,2})[./](\d{1,2})[./](\d{4})")  # 15.01.1984, 01/15/1984
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?"
_NAME_LABEL = r"\b(?:patient\s*name|patient|name|pat\.)\s*:\s*"
_GE_NAME = r"^([A-Z][A-Z'\-]+,\s*[A-Z][A-Z'\-]+(?:\s+[A-Z][A-Z'\-.]+)*)$"
_ID = r"\b(?:patient\s*id|pat\.?\s*id|pid|mrn|id)\s*[:#.]?\s*([A-Za-z0-9][A-Za-z0-9\-/]{2,})"
_BIRTH_LABEL = r"\b(?:dob|d\.o\.b\.?|born|birth\s*date|date\s*of\s*birth)\s*:?\s*"
_AGE = r"\b(?:age\s*:?\s*(\d{1,3})\s*(?:y|yr|yrs|years?)?\b|(\d{1,3})\s*(?:yr|yrs|years?|y)\b)"
_SEX = r"\b(?:sex\s*:?\s*([mf])\b|(male|female))"
#: Text that is never a statement: units and settings, lead names, labels of other fields.
_NOT_STATEMENT = re.compile(
    r"mm/s|mm/mv|\bhz\b|\bkg\b|\bcm\b|^(i|ii|iii|avr|avl|avf|v[1-6])$|^(ms|bpm|deg|mv)$|"
    r"^(vent\.? rate|pr interval|qrs duration|qt/qtc|p-r-t axes)$|"
    r"\b(technician|referred|room|location|loc|order|page|confirmed|unconfirmed|reviewed|ward|"
    r"operator|physician|department|dept|bed|indication|test ind|under \d+)\b|:\s*$|"
    r"\b(filter|speed|gain|version|device)\b", re.IGNORECASE)
#: Words of device statements: a misread word this close to one of them is corrected
#: ("Abnommal" -> "Abnormal") before the statement is matched to a meaning.
STATEMENT_WORDS = (
    "abnormal", "normal", "borderline", "otherwise", "sinus", "rhythm", "bradycardia",
    "tachycardia", "arrhythmia", "atrial", "fibrillation", "flutter", "ventricular", "response",
    "rapid", "block", "degree", "bundle", "branch", "right", "left", "incomplete", "complete",
    "fascicular", "anterior", "posterior", "inferior", "lateral", "septal", "infarct", "acute",
    "undetermined", "possible", "probable", "consider", "hypertrophy", "enlargement",
    "deviation", "nonspecific", "abnormality", "wave", "prolonged", "voltage", "criteria",
    "premature", "complexes", "junctional", "paced", "pacemaker", "ischemia", "injury",
    "elevation", "depression", "repolarization", "early", "interpretation", "quality",
    "adversely", "affected", "poor", "data", "leads", "limb", "precordial", "with", "mobitz",
    "wenckebach", "intraventricular", "conduction", "delay", "pattern", "axis", "undetermined")


@dataclass
class _Parsed:
    boxes: tuple[TextBox, ...]
    measurements: list[DeviceMeasurement] = field(default_factory=list)
    not_measured: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    patient: dict = field(default_factory=dict)
    acquired: dt.datetime | None = None
    fields: list[ReadField] = field(default_factory=list)


def parse(boxes: list[TextBox]) -> PageText:
    """Understand the text boxes of a page (see the module docstring)."""
    out = _Parsed(tuple(boxes))
    rows = rows_of(list(boxes))
    for row in rows:
        _measurements(row, out)
    for row in rows:
        _patient(row, out)
    for row in rows:
        _statements(row, out)
    return PageText(out.boxes, tuple(out.measurements), tuple(out.not_measured),
                    tuple(out.statements), Patient(**out.patient), out.acquired, tuple(out.fields))


def _take(row: _Row, match: re.Match, group: int = 0) -> tuple[float, tuple[Box, ...]]:
    """Mark the match as understood; the lowest score of its boxes and the boxes."""
    row.taken.append(match.span(group))
    used = row.boxes_in(*match.span(group)) or row.boxes_in(*match.span())
    return min((b.score for b in used), default=0.0), tuple(b.box for b in used)


def _measurements(row: _Row, out: _Parsed) -> None:
    seen = {m.name for m in out.measurements} | set(out.not_measured)
    for names, pattern, unit in MEASUREMENT_PATTERNS:
        for match in re.finditer(pattern, row.text, re.IGNORECASE):
            if not row.free(*match.span()) or any(n in seen for n in names):
                continue
            values = match.groups()[-len(names):]
            parsed = [_value(v, n) for v, n in zip(values, names)]
            if any(p is False for p in parsed):
                continue  # implausible: a misread, or another field's number
            tail = re.match(r"\s*(bpm|ms|deg|°|/min)\b", row.text[match.end():], re.IGNORECASE)
            end = match.end() + (tail.end() if tail else 0)
            row.taken.append((match.start(), end))
            confidence, boxes = _take(row, match)
            for name, value, text in zip(names, parsed, values):
                seen.add(name)
                if value is None:
                    out.not_measured.append(name)
                else:
                    out.measurements.append(DeviceMeasurement(name, value, unit))
                out.fields.append(ReadField(name, text, confidence, boxes))


def _value(text: str, name: str) -> float | None | bool:
    """The number, None for "*" (not measured), False when implausible."""
    if not any(c.isdigit() for c in text):
        return None
    value = float(text.replace("\u2212", "-"))
    lo, hi = PLAUSIBLE[name]
    if not lo <= value <= hi:
        return False
    return value - 360.0 if value > 180 and name.endswith("axis") else value


def _patient(row: _Row, out: _Parsed) -> None:
    text = row.text
    found = out.patient
    if "name" not in found:
        for pattern in (rf"{_NAME_LABEL}([^\s:][^:]*?)(?=\s{{3}}|$)",):
            match = re.search(pattern, text, re.IGNORECASE)
            if match and row.free(*match.span(1)) and re.search(r"[A-Za-z]{2}", match.group(1)):
                _field(row, match, 1, "name", match.group(1).strip(), out)
                break
        else:
            for b, span in zip(row.boxes, row.spans):
                match = re.match(_GE_NAME, b.text)
                if match and row.free(*span) and not _NOT_STATEMENT.search(b.text):
                    row.taken.append(span)
                    found["name"] = b.text
                    out.fields.append(ReadField("name", b.text, b.score, (b.box,)))
                    break
    match = re.search(_ID, text, re.IGNORECASE)
    if "patient_id" not in found and match and re.search(r"\d", match.group(1)) and row.free(*match.span()):
        _field(row, match, 0, "patient_id", match.group(1), out)
    match = re.search(_BIRTH_LABEL + f"(?:{_DATE})", text, re.IGNORECASE)
    if "birth_date" not in found and match and row.free(*match.span()):
        _field(row, match, 0, "birth_date", _iso(match.group(0)), out)
    for match in re.finditer(f"(?:{_DATE})(?:,?\\s*{_TIME})?", text):
        if not row.free(*match.span()):
            continue
        date = _date(match.group(0))
        if date is None:
            continue
        timed = re.search(_TIME + r"\s*$", match.group(0))
        if timed and out.acquired is None:
            hh, mm, ss = (int(x or 0) for x in timed.groups())
            if hh < 24 and mm < 60:
                out.acquired = dt.datetime(date.year, date.month, date.day, hh, mm, ss)
                confidence, boxes = _take(row, match)
                out.fields.append(ReadField("acquisition time", out.acquired.isoformat(), confidence, boxes))
        elif not timed and "birth_date" not in found:
            _field(row, match, 0, "birth_date", date.isoformat(), out)
    match = re.search(_AGE, text, re.IGNORECASE)
    if "age_years" not in found and match and row.free(*match.span()):
        age = float(match.group(1) or match.group(2))
        if 0 <= age <= 125:
            _field(row, match, 0, "age_years", age, out, "age")
    match = re.search(_SEX, text, re.IGNORECASE)
    if "sex" not in found and match and row.free(*match.span()):
        _field(row, match, 0, "sex", (match.group(1) or match.group(2))[0].upper(), out)


def _field(row: _Row, match: re.Match, group: int, key: str, value, out: _Parsed,
           name: str | None = None) -> None:
    confidence, boxes = _take(row, match, group)
    row.taken.append(match.span())
    out.patient[key] = value
    out.fields.append(ReadField(name or key, str(value), confidence, boxes))


def _date(text: str) -> dt.date | None:
    match = re.search(_DATE, text)
    if match is None:
        return None
    g = match.groups()
    try:
        if g[0]:
            month = _MONTH.get(g[1].lower()[:3])
            return dt.date(int(g[2]), month, int(g[0])) if month else None
        if g[3]:
            return dt.date(int(g[3]), int(g[4]), int(g[5]))
        first, second, year = int(g[6]), int(g[7]), int(g[8])
        if "/" in match.group(0) and first <= 12 < second:  # 01/15/1984: month first
            first, second = second, first
        return dt.date(year, second, first)
    except ValueError:
        return None


def _iso(text: str) -> str:
    date = _date(text)
    return date.isoformat() if date else text


def _statements(row: _Row, out: _Parsed) -> None:
    for b, (start, stop) in zip(row.boxes, row.spans):
        rest = re.sub(r"^[^\w*(]+", "", _untaken(row, start, stop)).strip(" ,;")  # a speck before it
        words = re.findall(r"[A-Za-z]{3,}", rest)
        if len(rest) < 6 or len(words) < 2 and len(rest) < 10 or _NOT_STATEMENT.search(rest):
            continue
        if sum(c.isdigit() for c in rest) > len(rest) / 3 or not re.match(r"[*A-Za-z(]", rest):
            continue
        statement = correct(rest)
        if not _reads_as_words(statement):
            continue
        out.statements.append(statement)
        out.fields.append(ReadField("statement", statement, b.score, (b.box,)))


#: A statement holds a word of the device vocabulary or at least one word this long: short
#: letter runs alone ("nin nil", read off a trace or the grid) are not a statement.
MIN_PLAIN_WORD = 5


def _reads_as_words(statement: str) -> bool:
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", statement)]
    return any(w in STATEMENT_WORDS or len(w) >= MIN_PLAIN_WORD for w in words)


def _untaken(row: _Row, start: int, stop: int) -> str:
    chars = list(row.text[start:stop])
    for s, e in row.taken:
        for i in range(max(s, start), min(e, stop)):
            chars[i - start] = " "
    return re.sub(r"\s+", " ", "".join(chars))


def correct(statement: str) -> str:
    """``statement`` with each misread word of :data:`STATEMENT_WORDS` corrected."""
    def fix(match: re.Match) -> str:
        word = match.group(0)
        lower = word.lower()
        if len(lower) < 5 or lower in STATEMENT_WORDS:
            return word
        close = difflib.get_close_matches(lower, STATEMENT_WORDS, n=1, cutoff=0.8)
        if not close:
            return word
        fixed = close[0]
        return fixed.upper() if word.isupper() else fixed.capitalize() if word[0].isupper() else fixed
    return re.sub(r"[A-Za-z]+", fix, statement)
