"""Synthetic paper ECGs with exact ground truth: render a record as a printout, then degrade it.

The page is drawn the way an electrocardiograph prints it (A4 landscape, 1 mm and 5 mm grid,
25 mm/s, 10 mm/mV, a 1 mV calibration pulse at the start of each row, lead names above each
segment), using the same paper layouts as the workstation's own display
(:func:`workstation.core.layout.compute_layout`). The ground truth is the record's own signal
where the page shows it and NaN elsewhere, so that the Challenge 2024 SNR
(:mod:`workstation.scan.metric`) scores exactly what was printed.

Degradation levels model the ways a printout reaches a clinic: ``clean`` (a PDF export),
``scan`` (a slightly skewed, blurred, compressed scan) and ``photo`` (a phone photo: the page on
a table, in perspective, under uneven light, with a crease and a stain, blurred and compressed),
and one level per failure class of a real capture (:mod:`workstation.scan.capture`: rotated
with dark corners, perspective, crumpled, shadow, colour cast, noise, low resolution, and all of
a handled printout's at once).
Everything is drawn with opencv from a seeded generator, so a print is reproducible.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass

import cv2
import numpy as np

from workstation.core.layout import (FOOTER_MM, MAJOR_MM, TOP_MARGIN_MM, LayoutKind, PaperLayout,
                                     PaperSettings, Row, compute_layout)
from workstation.core.leads import STANDARD_LEADS
from workstation.core.record import ECGRecord
from workstation.scan import capture

PAGE_MM = (297.0, 210.0)  # A4 landscape, the smallest page drawn
#: Where the layout's origin sits on the page: a header band for the patient line above it.
ORIGIN_MM = (8.0, 28.0)
#: The original levels, and the capture classes of :mod:`workstation.scan.capture`, one
#: failure class each.
BASE_LEVELS = ("clean", "scan", "photo")
CAPTURE_CLASSES = ("rotated", "perspective", "crumpled", "shadow", "cast", "noisy", "lowres",
                   "capture")
LEVELS = (*BASE_LEVELS, *CAPTURE_CLASSES)

#: Paper styles (BGR): background, minor lines, major lines.
GRID_STYLES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]] = {
    "pink": ((250, 250, 255), (200, 200, 250), (130, 130, 235)),
    "red": ((255, 255, 255), (185, 190, 255), (60, 60, 230)),
    "green": ((245, 255, 245), (190, 235, 190), (110, 200, 110)),
    "grey": ((255, 255, 255), (215, 215, 215), (150, 150, 150)),
}


@dataclass(frozen=True)
class Print:
    """A rendered page and what it shows."""

    image: np.ndarray  # BGR uint8
    truth: np.ndarray  # float32 mV, (12, samples) in standard lead order, NaN where not printed
    fs: float
    dpi: float
    layout: LayoutKind
    level: str
    #: the device-style header printed on the page, when one was (see :func:`make_header`)
    header: "Header | None" = None
    #: where the patient's name, id and birth date are printed: (x0, y0, x1, y1) pixels of the
    #: clean page
    identity_boxes: tuple[tuple[int, int, int, int], ...] = ()


def render(record: ECGRecord, *, kind: LayoutKind = LayoutKind.STANDARD_3X4_RHYTHM,
           dpi: float = 200.0, style: str = "pink", line_mm: float = 0.3,
           rhythm: tuple[str, ...] = ("II",), font: int = cv2.FONT_HERSHEY_SIMPLEX,
           header: "Header | None" = None) -> Print:
    """Draw ``record`` (which must have the 12 standard leads) as a clean printout.

    A 3x4 page carries one rhythm strip per lead in ``rhythm`` (none, one or three, say
    ``("II", "V1", "V5")``); lead names are printed in the Hershey ``font``. With a ``header``
    (:func:`make_header`) the page carries the device's patient line, measurements and
    statements on a white band above the grid, and the traces move down to make room."""
    record = record.in_standard_order()
    if tuple(record.lead_names[:12]) != STANDARD_LEADS:
        raise ValueError("the print generator needs the 12 standard leads")
    unknown = [lead for lead in rhythm if lead not in STANDARD_LEADS]
    if unknown:
        raise ValueError(f"rhythm strips must show standard leads, not {', '.join(unknown)}")
    layout = compute_layout(record.leads, record.n_samples, record.fs, kind, PaperSettings(),
                            rhythm_lead=tuple(rhythm))
    ppm = dpi / 25.4
    origin = ORIGIN_MM if header is None else (ORIGIN_MM[0], HEADER_ORIGIN_MM)
    # A4 landscape, longer where the layout needs it (6x2 and 12x1 on the screen's row pitch)
    page_mm = (max(PAGE_MM[0], origin[0] + layout.width_mm + 5.0),
               max(PAGE_MM[1], origin[1] + layout.height_mm + 5.0))
    width, height = int(round(page_mm[0] * ppm)), int(round(page_mm[1] * ppm))
    background, minor, major = GRID_STYLES[style]
    page = np.empty((height, width, 3), np.uint8)
    page[:] = background
    _draw_grid(page, ppm, page_mm, minor, major)
    ink = (30, 30, 30)
    thickness = max(1, int(round(line_mm * ppm)))
    signals = record.signals
    truth = np.full((12, record.n_samples), np.nan, np.float32)
    for panel in layout.panels:
        values = signals[panel.lead_index, panel.start:panel.stop]
        xs = origin[0] + panel.x_mm + np.arange(len(values)) * panel.mm_per_sample
        ys = origin[1] + panel.baseline_mm - values * panel.mm_per_mv
        _polyline(page, xs * ppm, ys * ppm, ink, thickness)
        truth[panel.lead_index, panel.start:panel.stop] = values
        label_at = (origin[0] + panel.x_mm + 1.0, origin[1] + panel.baseline_mm - 7.0)
        _text(page, panel.lead, label_at, ppm, 2.2, ink, font)
        if panel.column > 0:  # the short bar that separates two segments of a row
            x = (origin[0] + panel.x_mm) * ppm
            y = (origin[1] + panel.baseline_mm) * ppm
            _polyline(page, np.array([x, x]), np.array([y - 2.5 * ppm, y + 2.5 * ppm]), ink, thickness)
    for row in layout.rows:
        xs, ys = layout.calibration_pulse(row)
        _polyline(page, (xs + origin[0]) * ppm, (ys + origin[1]) * ppm, ink, thickness)
    boxes: tuple[tuple[int, int, int, int], ...] = ()
    if header is None:
        _text(page, "ID: synthetic   25 mm/s   10 mm/mV   0.05-150 Hz", (10.0, 12.0), ppm, 3.0, ink)
    else:
        boxes = print_header(page, header, ppm, background)
    window = _shown_window(layout)
    return Print(page, truth[:, window[0]:window[1]], record.fs, dpi, layout.kind, "clean",
                 header, boxes)


def degrade(printout: Print, level: str, seed: int = 0) -> Print:
    """The same page as a scan or a phone photo would deliver it (see the module docstring)."""
    if level not in LEVELS:
        raise ValueError(f"unknown degradation level {level!r} (one of {', '.join(LEVELS)})")
    if level == "clean":
        return printout
    rng = np.random.default_rng(seed)
    img = printout.image.astype(np.float32)
    if level == "scan":
        img = _rotate(img, rng.uniform(-2.0, 2.0), border=255.0)
        img = cv2.GaussianBlur(img, (0, 0), 0.7)
        img += rng.normal(0.0, 4.0, img.shape).astype(np.float32)
        return _finish(printout, img, level, quality=75)
    if level in CAPTURE_CLASSES:
        return _finish(printout, _capture(img, level, rng, printout.dpi / 25.4), level,
                       quality=int(rng.integers(60, 90)))
    img = _crease(img, rng)
    img = _stain(img, rng)
    img = _on_table(img, rng)
    img = _shadow(img, rng)
    img = cv2.GaussianBlur(img, (0, 0), 1.0)
    img += rng.normal(0.0, 6.0, img.shape).astype(np.float32)
    return _finish(printout, img, level, quality=60)


# -- drawing ------------------------------------------------------------------------------
def _draw_grid(page: np.ndarray, ppm: float, page_mm: tuple[float, float], minor, major) -> None:
    height, width = page.shape[:2]
    for step, colour, thick in ((1.0, minor, 1), (5.0, major, max(1, int(round(0.15 * ppm))))):
        for x_mm in np.arange(0.0, page_mm[0] + 1e-6, step):
            x = int(round(x_mm * ppm))
            cv2.line(page, (x, 0), (x, height - 1), colour, thick)
        for y_mm in np.arange(0.0, page_mm[1] + 1e-6, step):
            y = int(round(y_mm * ppm))
            cv2.line(page, (0, y), (width - 1, y), colour, thick)


_SHIFT = 4  # sub-pixel bits for cv2 drawing


def _polyline(page: np.ndarray, xs: np.ndarray, ys: np.ndarray, colour, thickness: int) -> None:
    points = np.round(np.stack([xs, ys], axis=1) * (1 << _SHIFT)).astype(np.int32)
    cv2.polylines(page, [points], False, colour, thickness, cv2.LINE_AA, _SHIFT)


def _text(page: np.ndarray, text: str, at_mm: tuple[float, float], ppm: float, height_mm: float,
          colour, font: int = cv2.FONT_HERSHEY_SIMPLEX) -> None:
    (_, capitals), _ = cv2.getTextSize("I", font, 1.0, 1)
    scale = height_mm * ppm / capitals
    cv2.putText(page, text, (int(at_mm[0] * ppm), int(at_mm[1] * ppm)), font,
                scale, colour, max(1, int(round(0.25 * ppm))), cv2.LINE_AA)


def _shown_window(layout: PaperLayout) -> tuple[int, int]:
    return min(p.start for p in layout.panels), max(p.stop for p in layout.panels)


# -- degradations ---------------------------------------------------------------------------
def _capture(img: np.ndarray, level: str, rng: np.random.Generator, px_per_mm: float) -> np.ndarray:
    """One capture class (see :mod:`workstation.scan.capture`), lightly blurred and noisy as
    every camera's image is (the ``noisy`` class more so)."""
    if level == "rotated":
        img = capture.rotate_dark(img, rng, capture.ROTATION_DEGREES)
    elif level == "perspective":
        img = capture.perspective(img, rng)
    elif level == "crumpled":
        img = capture.crumple(img, rng, px_per_mm)
    elif level == "shadow":
        img = capture.shadow(img, rng)
    elif level == "cast":
        img = capture.colour_cast(img, rng)
    elif level == "lowres":
        img = capture.low_resolution(img, rng, px_per_mm)
    elif level == "capture":
        img = capture.crumple(img, rng, px_per_mm)
        img = capture.colour_cast(img, rng)
        img = capture.rotate_dark(img, rng, capture.CAPTURE_DEGREES, reveal=0.0)
    if level != "lowres":
        img = cv2.GaussianBlur(img, (0, 0), 0.8)
    sigma = capture.NOISE_SIGMA if level in ("noisy", "capture") else (2.0, 5.0)
    return capture.noise(img, rng, sigma)


def _rotate(img: np.ndarray, degrees: float, border: float) -> np.ndarray:
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderValue=(border, border, border))


def _on_table(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The page lying on a darker table, seen from a little off-axis."""
    h, w = img.shape[:2]
    pad = int(0.06 * w)
    table = np.array([rng.uniform(60, 110), rng.uniform(70, 120), rng.uniform(80, 130)], np.float32)
    canvas = np.empty((h + 2 * pad, w + 2 * pad, 3), np.float32)
    canvas[:] = table
    canvas[pad:pad + h, pad:pad + w] = img
    src = np.float32([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]])
    jitter = rng.uniform(-0.035, 0.035, (4, 2)).astype(np.float32) * np.float32([w, h])
    matrix = cv2.getPerspectiveTransform(src, src + jitter)
    return cv2.warpPerspective(canvas, matrix, (canvas.shape[1], canvas.shape[0]),
                               flags=cv2.INTER_LINEAR, borderValue=tuple(float(v) for v in table))


def _shadow(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Light falling off across the page (a hand or the phone casting a soft shadow)."""
    h, w = img.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    gain = 1.0 - rng.uniform(0.25, 0.45) * ramp
    return img * gain[..., None]


def _crease(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A fold: a thin darker line with a lighter edge, roughly vertical."""
    h, w = img.shape[:2]
    x0, x1 = rng.uniform(0.3, 0.7, 2) * w
    mask = np.zeros((h, w), np.float32)
    cv2.line(mask, (int(x0), 0), (int(x1), h - 1), 1.0, max(2, w // 600))
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, w / 1500))
    return img * (1.0 - 0.25 * mask[..., None])


def _stain(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A translucent coffee-coloured ring."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.float32)
    centre = (int(rng.uniform(0.1, 0.9) * w), int(rng.uniform(0.1, 0.9) * h))
    cv2.circle(mask, centre, int(rng.uniform(0.04, 0.08) * w), 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), w / 200)
    tint = np.float32([0.80, 0.88, 0.95])  # BGR: browner
    return img * (1.0 - mask[..., None] * (1.0 - tint))


def _finish(printout: Print, img: np.ndarray, level: str, quality: int) -> Print:
    img8 = np.clip(img, 0, 255).astype(np.uint8)
    ok, buffer = cv2.imencode(".jpg", img8, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    return Print(decoded, printout.truth, printout.fs, printout.dpi, printout.layout, level,
                 printout.header, printout.identity_boxes)


# -- printed header ---------------------------------------------------------------------------
# A device-style header (patient line, the device's measurements and statements) so that
# reading a page's text (:mod:`workstation.scan.page_text`) is measured against exact truth.
# Names, ids and statements are invented; the measurements are the record's own (from its
# reference delineation where it has one).

#: Where the layout's origin sits when a header is printed: the header takes the band above.
HEADER_ORIGIN_MM = 40.0
#: Vendors' header layouts the generator prints.
VENDORS = ("ge", "philips", "mortara")
#: Fonts: opencv's Hershey faces, and "sans" (Pillow's built-in proportional face).
HEADER_FONTS = ("sans", "simplex", "duplex", "complex", "triplex")
_HERSHEY = {"simplex": cv2.FONT_HERSHEY_SIMPLEX, "duplex": cv2.FONT_HERSHEY_DUPLEX,
            "complex": cv2.FONT_HERSHEY_COMPLEX, "triplex": cv2.FONT_HERSHEY_TRIPLEX}
_FIRST = ("Anna", "Marco", "Elena", "Pieter", "Ines", "Tomas", "Greta", "Luca", "Sofia", "Jonas",
          "Clara", "Mateo", "Irene", "Nils", "Olga", "Bruno", "Maren", "Hugo", "Vera", "Emil")
_LAST = ("Varden", "Kestrel", "Morland", "Ashby", "Delacroix", "Brennan", "Lindqvist", "Okafor",
         "Castellan", "Whitcombe", "Novak", "Ferreira", "Halloran", "Bergstrom", "Quenneville",
         "Rasmund", "Tolliver", "Zanetti", "Marchetti", "Oakridge")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Statements a device prints (its wording), beside the rhythm statement chosen by the rate.
_STATEMENTS = ("Left axis deviation", "Right bundle branch block", "Left ventricular hypertrophy",
               "Nonspecific ST and T wave abnormality", "Possible Inferior infarct, age undetermined",
               "Prolonged QT", "Low voltage QRS", "Incomplete right bundle branch block",
               "Septal infarct, age undetermined", "Borderline ECG", "Left anterior fascicular block")
_QUALITY = "*** Poor data quality, interpretation may be adversely affected"


@dataclass(frozen=True)
class Header:
    """What a device printed above the traces: the exact truth a reader is measured against."""

    vendor: str  # one of VENDORS
    font: str  # one of HEADER_FONTS
    name: str  # as printed ("VARDEN, ANNA" or "Anna Varden")
    patient_id: str
    birth_date: dt.date
    age_years: int
    sex: str  # "M" or "F"
    acquired: dt.datetime
    #: canonical name (as DeviceMeasurement names it) -> value, None where the device prints "*"
    measurements: tuple[tuple[str, float | None], ...]
    statements: tuple[str, ...]

    def value(self, name: str) -> float | None:
        return dict(self.measurements).get(name)


def make_header(record: ECGRecord, seed: int = 0, vendor: str | None = None,
                font: str | None = None) -> Header:
    """An invented patient and statements, with the record's own measurements
    (:func:`header_measurements`), in ``vendor``'s layout and ``font`` (drawn at random when
    None)."""
    rng = np.random.default_rng(seed)
    vendor = vendor or VENDORS[int(rng.integers(len(VENDORS)))]
    font = font or HEADER_FONTS[int(rng.integers(len(HEADER_FONTS)))]
    first, last = _FIRST[int(rng.integers(len(_FIRST)))], _LAST[int(rng.integers(len(_LAST)))]
    name = f"{last.upper()}, {first.upper()}" if vendor == "ge" else (
        f"{first} {last}" if vendor == "philips" else f"{last} {first}")
    acquired = dt.datetime(2025, 1, 1, 7, 0) + dt.timedelta(minutes=int(rng.integers(0, 525_000)))
    age = int(rng.integers(18, 95))
    birth = dt.date(acquired.year - age - 1, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
    age = acquired.year - birth.year - ((acquired.month, acquired.day) < (birth.month, birth.day))
    measured = header_measurements(record)
    if rng.random() < 0.2:  # the device could not measure PR (a fibrillating atrium, noise)
        measured["PR"] = None
    rate = measured["Ventricular rate"] or 70.0
    rhythm = ("Sinus bradycardia" if rate < 60 else "Sinus tachycardia" if rate > 100
              else "Normal sinus rhythm")
    if rng.random() < 0.2:
        rhythm = "Sinus rhythm with 2nd degree A-V block" if rate < 60 else (
            "Sinus rhythm with 1st degree A-V block")
    picked = rng.choice(len(_STATEMENTS), size=int(rng.integers(0, 3)), replace=False)
    statements = [rhythm, *(_STATEMENTS[int(i)] for i in picked)]
    statements.append("Abnormal ECG" if picked.size else "Normal ECG")
    if rng.random() < 0.25:
        statements.insert(0, _QUALITY)
    return Header(vendor, font, name, f"{int(rng.integers(10**5, 10**9))}", birth, age,
                  "F" if rng.random() < 0.5 else "M", acquired, tuple(measured.items()),
                  tuple(statements))


def header_measurements(record: ECGRecord) -> dict[str, float | None]:
    """Rate, PR, QRS, QT, QTc (Bazett) and the P, QRS and T axes of ``record``, rounded as a
    device prints them: the medians over the beats of its reference delineation in lead II
    (the axes from the waves' net areas in I and aVF); without a delineation, the rate from
    the R peaks of lead II and the intervals and axes None ("*")."""
    marks = _lead_marks(record, "II")
    peaks = [s for s, sym in marks if sym == "N"]
    if len(peaks) < 2:
        peaks = _r_peaks(record.lead("II"), record.fs)
    rr = float(np.median(np.diff(peaks))) / record.fs if len(peaks) >= 2 else 1.0
    out: dict[str, float | None] = {"Ventricular rate": float(round(60.0 / rr))}
    waves = _waves(marks)
    p, qrs, t = waves.get("p", []), waves.get("N", []), waves.get("t", [])
    ms = 1000.0 / record.fs

    def median(values: list[float]) -> float | None:
        return float(round(np.median(values))) if values else None

    out["PR"] = median([(q[0] - w[0]) * ms for q in qrs for w in p if 0 < q[0] - w[0] < 0.4 * record.fs])
    out["QRS"] = median([(q[2] - q[0]) * ms for q in qrs])
    out["QT"] = median([(w[2] - q[0]) * ms for q in qrs for w in t if 0 < w[2] - q[0] < 0.7 * record.fs])
    out["QTc"] = None if out["QT"] is None else float(round(out["QT"] / math.sqrt(rr)))
    for name, items in (("P axis", p), ("QRS axis", qrs), ("T axis", t)):
        out[name] = _axis(record, items)
    return out


def _lead_marks(record: ECGRecord, lead: str) -> list[tuple[int, str]]:
    return sorted((a.sample, a.symbol) for a in record.annotations if a.lead == lead)


def _waves(marks: list[tuple[int, str]]) -> dict[str, list[tuple[int, int, int]]]:
    """(onset, peak, offset) of each complete wave, by its peak symbol."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    for i in range(1, len(marks) - 1):
        (on, a), (peak, symbol), (off, b) = marks[i - 1], marks[i], marks[i + 1]
        if a == "(" and b == ")" and symbol in ("p", "N", "t"):
            out.setdefault(symbol, []).append((on, peak, off))
    return out


def _r_peaks(signal: np.ndarray, fs: float) -> list[int]:
    from scipy.signal import find_peaks

    energy = np.abs(np.diff(np.nan_to_num(signal)))
    peaks, _ = find_peaks(energy, height=0.4 * float(np.max(energy)), distance=int(0.3 * fs))
    return [int(x) for x in peaks]


def _axis(record: ECGRecord, waves: list[tuple[int, int, int]]) -> float | None:
    if not waves or "I" not in record.lead_names or "aVF" not in record.lead_names:
        return None
    lead_i, avf = record.lead("I"), record.lead("aVF")
    net_i = float(np.median([lead_i[a:b + 1].sum() - (b - a + 1) * lead_i[a] for a, _, b in waves]))
    net_f = float(np.median([avf[a:b + 1].sum() - (b - a + 1) * avf[a] for a, _, b in waves]))
    return float(round(math.degrees(math.atan2(net_f, net_i))))


def _number(value: float | None) -> str:
    return "*" if value is None else f"{value:.0f}"


def _header_items(h: Header) -> list[tuple[float, float, str, bool]]:
    """(x mm, baseline y mm, text, identifying) of every item the vendor's layout prints."""
    m = dict(h.measurements)
    sex = {"M": "Male", "F": "Female"}[h.sex]
    if h.vendor == "ge":
        born = f"{h.birth_date.day:02d}-{_MONTHS[h.birth_date.month - 1]}-{h.birth_date.year}"
        when = h.acquired.strftime("%d-") + _MONTHS[h.acquired.month - 1] + h.acquired.strftime("-%Y  %H:%M:%S")
        items = [(8, 6, h.name, True), (75, 6, f"ID:{h.patient_id}", True), (135, 6, when, False),
                 (8, 10.5, born, True), (45, 10.5, f"({h.age_years} yr)", False), (75, 10.5, sex, False)]
        rows = [("Vent. rate", _number(m["Ventricular rate"]), "BPM"),
                ("PR interval", _number(m["PR"]), "ms"), ("QRS duration", _number(m["QRS"]), "ms"),
                ("QT/QTc", f"{_number(m['QT'])}/{_number(m['QTc'])}", "ms"),
                ("P-R-T axes", "", "")]
        for k, (label, value, unit) in enumerate(rows):
            y = 16 + 4.2 * k
            items += [(8, y, label, False), (42, y, value, False), (62, y, unit, False)]
        items += [(x, 16 + 4.2 * 4, _number(m[name]), False)
                  for x, name in ((40, "P axis"), (50, "QRS axis"), (60, "T axis"))]
        items += [(80, 16 + 4.2 * k, s, False) for k, s in enumerate(h.statements)]
        return items
    if h.vendor == "philips":
        born = h.birth_date.isoformat()
        items = [(8, 6, f"Name: {h.name}", True), (80, 6, f"ID: {h.patient_id}", True),
                 (125, 6, f"DOB: {born}", True), (172, 6, f"Age: {h.age_years} y", False),
                 (205, 6, f"Sex: {h.sex}", False), (230, 6, h.acquired.strftime("%Y-%m-%d %H:%M"), False),
                 (8, 12, f"Rate {_number(m['Ventricular rate'])} bpm", False),
                 (48, 12, f"PR {_number(m['PR'])} ms", False), (80, 12, f"QRSD {_number(m['QRS'])} ms", False),
                 (118, 12, f"QT/QTc {_number(m['QT'])}/{_number(m['QTc'])} ms", False),
                 (170, 12, f"Axis P {_number(m['P axis'])}  QRS {_number(m['QRS axis'])}  "
                           f"T {_number(m['T axis'])}", False)]
        items += [(8, 17.5 + 4.2 * k, s, False) for k, s in enumerate(h.statements)]
        return items
    born = h.birth_date.strftime("%d.%m.%Y")
    items = [(8, 6, f"Patient: {h.name}", True), (80, 6, f"PID: {h.patient_id}", True),
             (125, 6, f"Born: {born}", True), (172, 6, f"{h.age_years} years, {sex.lower()}", False),
             (220, 6, h.acquired.strftime("%d.%m.%Y %H:%M:%S"), False)]
    rows = [f"HR: {_number(m['Ventricular rate'])} bpm", f"PR: {_number(m['PR'])} ms",
            f"QRS: {_number(m['QRS'])} ms", f"QT/QTcB: {_number(m['QT'])}/{_number(m['QTc'])} ms",
            f"P/QRS/T: {_number(m['P axis'])}/{_number(m['QRS axis'])}/{_number(m['T axis'])} deg"]
    items += [(8, 12 + 4.2 * k, text, False) for k, text in enumerate(rows)]
    items += [(75, 12 + 4.2 * k, s, False) for k, s in enumerate(h.statements)]
    return items


def print_header(page: np.ndarray, header: Header, ppm: float,
                 background: tuple[int, int, int]) -> tuple[tuple[int, int, int, int], ...]:
    """Print ``header`` on a white band above the grid; the pixel boxes of the identifying
    items (name, id, birth date)."""
    band = int(round((HEADER_ORIGIN_MM - 4.0) * ppm))
    page[:band] = (255, 255, 255)
    height_mm = 2.2
    boxes = []
    items = _header_items(header)
    if header.font == "sans":
        _print_sans(page, items, ppm, height_mm)
    for x_mm, y_mm, text, identifying in items:
        if header.font != "sans":
            _text(page, text, (x_mm, y_mm), ppm, height_mm, (20, 20, 20), _HERSHEY[header.font])
        if identifying:
            width = _text_width(text, header.font, ppm, height_mm)
            boxes.append((int(x_mm * ppm), int((y_mm - height_mm * 1.4) * ppm),
                          int(x_mm * ppm + width), int((y_mm + height_mm * 0.5) * ppm)))
    return tuple(boxes)


def _sans(ppm: float, height_mm: float):
    from PIL import ImageFont  # Pillow comes with the OCR engine

    return ImageFont.load_default(size=max(8, int(round(height_mm * ppm / 0.72))))


def _print_sans(page: np.ndarray, items, ppm: float, height_mm: float) -> None:
    from PIL import Image, ImageDraw

    font = _sans(ppm, height_mm)
    image = Image.fromarray(page[..., ::-1])
    draw = ImageDraw.Draw(image)
    for x_mm, y_mm, text, _ in items:
        draw.text((x_mm * ppm, y_mm * ppm), text, fill=(20, 20, 20), font=font, anchor="ls")
    page[:] = np.asarray(image)[..., ::-1]


def _text_width(text: str, font: str, ppm: float, height_mm: float) -> float:
    if font == "sans":
        return float(_sans(ppm, height_mm).getlength(text))
    face = _HERSHEY[font]
    (_, capitals), _ = cv2.getTextSize("I", face, 1.0, 1)
    (width, _), _ = cv2.getTextSize(text, face, height_mm * ppm / capitals, max(1, int(round(0.25 * ppm))))
    return float(width)
