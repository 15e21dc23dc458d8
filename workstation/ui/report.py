"""The one-page ECG report (PDF with Qt's QPdfWriter) and printing it.

A4 landscape, as ECG carts print: a header with the patient, the acquisition, the
measurements, triage, confidence, quality, versions and the reviewing clinician; the 12-lead
in the standard 3x4 + rhythm presentation (lead II, or a digitised page's own strip) on a
true-scale grid (25 mm/s, 10 mm/mV, 1 mm and 5 mm boxes, a 1 mV calibration pulse per row)
with the P/QRS/T spans of the delineation shaded as in the workstation; below it every rule
flag with its lead-wise reason, the narrative, and "Decision support - clinician review
required".

:func:`render` draws on any paged device, so the PDF (:func:`write_pdf`) and the printer
(:func:`print_report`) get the same page. Geometry is in millimetres on the sheet; text is
drawn untransformed so that point sizes stay true on every device.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from rules.reasoning import DISCLAIMER, leads_text
from rules.types import Severity, Triage
from workstation import __version__
from workstation.core.layout import (
    MAJOR_MM,
    LayoutKind,
    PaperLayout,
    PaperSettings,
    compute_layout,
    rhythm_leads,
)
from workstation.delivery.case import Case
from workstation.delivery.codes import flag_statement, reported_values
from workstation.ui import theme
from workstation.ui.overlays import FILL, spans_for

PAGE_W_MM, PAGE_H_MM = 297.0, 210.0
MARGIN_MM = 8.0
GRID_TOP_MM = 50.0
GRID_H_MM = 120.0  # four rows of 30 mm (3x4 + rhythm)
WINDOW_S = 10.0
_TRIAGE_COLOURS = {Triage.ACUTE: "#b30000", Triage.SUBACUTE: "#d35400",
                   Triage.ABNORMAL_NOT_ACUTE: "#9a7b00", Triage.NORMAL: "#1e7d46",
                   Triage.UNREADABLE: "#5b3a8c"}
_SEVERITY_COLOURS = {Severity.ALERT: "#b30000", Severity.BORDERLINE: "#9a7b00",
                     Severity.INFO: "#1b1b1b"}


def report_layout(case: Case, paper: PaperSettings = PaperSettings()) -> PaperLayout:
    """The report's paper layout: 3x4 + rhythm (any other lead set: one row per lead) over
    the first 10 s, rows packed into the report's grid band, in mm from the grid's corner."""
    record = case.record
    n = min(record.n_samples, round(WINDOW_S * record.fs))
    layout = compute_layout(record.leads, n, record.fs, LayoutKind.STANDARD_3X4_RHYTHM, paper,
                            rhythm_lead=rhythm_leads(record))
    n_rows = len(layout.rows)
    pitch = max(MAJOR_MM, math.floor(GRID_H_MM / n_rows / MAJOR_MM) * MAJOR_MM)
    baselines = [pitch * (r + 0.5) + (MAJOR_MM / 2 if pitch % (2 * MAJOR_MM) else 0.0)
                 for r in range(n_rows)]
    rows = tuple(dataclasses.replace(row, baseline_mm=baselines[row.index]) for row in layout.rows)
    panels = tuple(dataclasses.replace(p, baseline_mm=baselines[p.row]) for p in layout.panels)
    return dataclasses.replace(layout, rows=rows, panels=panels, row_pitch_mm=pitch,
                               height_mm=pitch * n_rows)


def write_pdf(case: Case, path: Path) -> Path:
    """Write the report of ``case`` as a one-page PDF (creating the Qt application when
    there is none yet, as on the command line)."""
    _ensure_application()
    writer = QtGui.QPdfWriter(str(path))
    writer.setTitle(f"ECG report {case.name}")
    writer.setCreator(f"ECG Workstation {__version__}")
    writer.setPageSize(QtGui.QPageSize(QtGui.QPageSize.PageSizeId.A4))
    writer.setPageOrientation(QtGui.QPageLayout.Orientation.Landscape)
    writer.setPageMargins(QtCore.QMarginsF(0, 0, 0, 0), QtGui.QPageLayout.Unit.Millimeter)
    writer.setResolution(600)
    render(case, writer)
    if not path.is_file() or path.stat().st_size == 0:
        raise OSError(f"{path}: the PDF could not be written")
    return path


_APP: list[QtWidgets.QApplication] = []  # the application made here, kept alive


def _ensure_application() -> None:
    """Fonts and the PDF writer need a Qt application; make one when called without."""
    if QtWidgets.QApplication.instance() is None:
        _APP.append(QtWidgets.QApplication(["ecgws"]))


def print_report(case: Case, parent: QtWidgets.QWidget | None = None) -> bool:
    """Ask for a printer (A4 landscape preselected) and print the report; False when the
    user cancelled."""
    from PySide6 import QtPrintSupport

    printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
    dialog = QtPrintSupport.QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print ECG report {case.name}")
    _prepare(printer)
    if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
        return False
    print_to(case, printer)
    return True


def print_to(case: Case, printer) -> None:  # noqa: ANN001 - QtPrintSupport.QPrinter
    """Print the report on ``printer`` (full page, A4 landscape) without asking."""
    _prepare(printer)
    render(case, printer)


def _prepare(printer) -> None:  # noqa: ANN001 - QtPrintSupport.QPrinter
    printer.setPageSize(QtGui.QPageSize(QtGui.QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QtGui.QPageLayout.Orientation.Landscape)
    printer.setFullPage(True)


def render(case: Case, device: QtGui.QPagedPaintDevice) -> None:
    """Draw the one-page report on ``device`` (a PDF writer, a printer or an image)."""
    painter = QtGui.QPainter(device)
    try:
        page = _Page(painter, device)
        page.fill(0, 0, PAGE_W_MM, PAGE_H_MM, "#ffffff")
        layout = report_layout(case)
        _header(page, case)
        _grid_and_traces(page, case, layout)
        top = GRID_TOP_MM + layout.height_mm + 2.0
        shown = _page_thumbnail(page, case, top)
        _findings(page, case, top, PAGE_W_MM - 2 * MARGIN_MM - shown)
    finally:
        painter.end()


#: Width (mm) of the thumbnail of the page a digitised record was read from.
THUMBNAIL_MM = 62.0


def _page_thumbnail(page: "_Page", case: Case, top: float) -> float:
    """The paper ECG a digitised record was read from, small, at the right of the findings,
    with the patient's printed name, id and birth date always blacked out; the width it takes
    (0 for a record from a file)."""
    from workstation.scan.page_text import page_image

    if case.record.digitisation is None:
        return 0.0
    image = page_image(case.record)
    height, width = image.shape[:2]
    x, y, w, h = thumbnail_rect(top, width, height)
    if w < 20.0:
        return 0.0
    rgb = np.ascontiguousarray(image[..., ::-1])
    qimage = QtGui.QImage(rgb.data, width, height, 3 * width, QtGui.QImage.Format.Format_RGB888)
    page.painter.drawImage(page.rect(x, y, w, h), qimage)
    return w + 2.0


def thumbnail_rect(top: float, width_px: int, height_px: int) -> tuple[float, float, float, float]:
    """Where (mm: x, y, width, height) a page of this size is drawn below ``top``."""
    bottom = PAGE_H_MM - MARGIN_MM - 5.0
    w = min(THUMBNAIL_MM, (bottom - top - 3.0) * width_px / height_px)
    return PAGE_W_MM - MARGIN_MM - w, top + 3.0, w, w * height_px / width_px


class _Page:
    """Millimetre drawing on a paint device (geometry scaled, text drawn untransformed)."""

    def __init__(self, painter: QtGui.QPainter, device: QtGui.QPaintDevice) -> None:
        self.painter = painter
        width_px = device.width() or 1
        self.k = width_px / PAGE_W_MM  # device pixels per mm (the page is drawn full-bleed)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)

    def pen(self, colour: str, width_mm: float) -> QtGui.QPen:
        pen = QtGui.QPen(QtGui.QColor(colour))
        pen.setWidthF(width_mm * self.k)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
        return pen

    def fill(self, x: float, y: float, w: float, h: float, colour: str | QtGui.QColor) -> None:
        self.painter.fillRect(self.rect(x, y, w, h), QtGui.QColor(colour))

    def rect(self, x: float, y: float, w: float, h: float) -> QtCore.QRectF:
        return QtCore.QRectF(x * self.k, y * self.k, w * self.k, h * self.k)

    def lines(self, segments: list[tuple[float, float, float, float]], pen: QtGui.QPen) -> None:
        self.painter.setPen(pen)
        k = self.k
        self.painter.drawLines([QtCore.QLineF(a * k, b * k, c * k, d * k) for a, b, c, d in segments])

    def polyline(self, xs, ys, pen: QtGui.QPen) -> None:  # noqa: ANN001 - numpy arrays
        """The line through the finite points, lifted where a value is missing (NaN: a
        digitised lead where the page does not show it); Qt would join a NaN point to the
        panel's corner."""
        self.painter.setPen(pen)
        k = self.k
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        finite = np.concatenate(([False], np.isfinite(xs) & np.isfinite(ys), [False]))
        edges = np.flatnonzero(np.diff(finite.astype(np.int8)))
        for start, stop in zip(edges[0::2], edges[1::2]):
            if stop - start >= 2:
                self.painter.drawPolyline(QtGui.QPolygonF(
                    [QtCore.QPointF(x * k, y * k) for x, y in zip(xs[start:stop], ys[start:stop])]))

    def height(self, text: str, w: float, *, size: float = 7.0, bold: bool = False) -> float:
        """The height (mm) ``text`` takes wrapped in ``w`` mm, as :meth:`text` draws it."""
        self.painter.setFont(self._font(size, bold))
        flags = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop
                    | QtCore.Qt.TextFlag.TextWordWrap)
        return self.painter.boundingRect(self.rect(0, 0, w, 1000), flags, text).height() / self.k

    @staticmethod
    def _font(size: float, bold: bool) -> QtGui.QFont:
        font = QtGui.QFont("DejaVu Sans")
        font.setStyleHint(QtGui.QFont.StyleHint.SansSerif)
        font.setPointSizeF(size)
        font.setBold(bold)
        return font

    def text(self, x: float, y: float, w: float, h: float, text: str, *, size: float = 7.0,
             bold: bool = False, colour: str = theme.INK,
             align: QtCore.Qt.AlignmentFlag = QtCore.Qt.AlignmentFlag.AlignLeft) -> float:
        """Draw wrapped text in the box; returns the height it took (mm)."""
        if h <= 0:
            return 0.0
        self.painter.setFont(self._font(size, bold))
        self.painter.setPen(QtGui.QColor(colour))
        flags = int(align | QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.TextFlag.TextWordWrap)
        box = self.rect(x, y, w, h)
        used = self.painter.boundingRect(box, flags, text)
        self.painter.save()
        self.painter.setClipRect(box)  # text never spills into the next block
        self.painter.drawText(box, flags, text)
        self.painter.restore()
        return min(h, used.height() / self.k)


def _header(page: _Page, case: Case) -> None:
    a = case.analysis
    top = MARGIN_MM
    n = case.record.n_leads
    title = "Resting 12-lead ECG report" if n == 12 else f"ECG report ({n} lead{'s' * (n > 1)})"
    page.text(MARGIN_MM, top, 120, 7, title, size=13, bold=True)
    page.text(150, top + 0.5, PAGE_W_MM - 150 - MARGIN_MM, 6, DISCLAIMER, size=10, bold=True,
              colour="#b30000", align=QtCore.Qt.AlignmentFlag.AlignRight)
    y = top + 8.0
    columns = (
        (MARGIN_MM, 84, _patient_lines(case)),
        (MARGIN_MM + 86, 58, _measurement_lines(case)),
        (MARGIN_MM + 146, PAGE_W_MM - 2 * MARGIN_MM - 146, _routing_lines(case)),
    )
    room = GRID_TOP_MM - 3.0 - y
    size = min(_fitting_size(page, lines, width - 26, room) for _, width, lines in columns)
    for x, width, lines in columns:
        row = y
        for label, value, colour in lines:
            if row > GRID_TOP_MM - 5.0:  # no room for a line above the grid
                break
            page.text(x, row, 26, 4, label, size=size, colour=theme.RULER)
            row += page.text(x + 26, row, width - 26, min(8.0, GRID_TOP_MM - 3.0 - row), value,
                             size=size, colour=colour, bold=colour != theme.INK) + 0.6
    triage = a.routing.triage
    page.fill(MARGIN_MM, GRID_TOP_MM - 2.2, PAGE_W_MM - 2 * MARGIN_MM, 0.5,
              _TRIAGE_COLOURS[triage])


#: Type sizes (pt) a header column may be set in, largest first: a record with many printed
#: values and statements takes a smaller size rather than run under the grid.
HEADER_SIZES = (7.0, 6.5, 6.0, 5.5)


def _fitting_size(page: _Page, lines: list[tuple[str, str, str]], width: float, room: float) -> float:
    """The largest of :data:`HEADER_SIZES` at which ``lines`` (label, value, colour), their
    values wrapped in ``width`` mm, fit in ``room`` mm (the smallest when none does: each
    value is then cut at the grid)."""
    for size in HEADER_SIZES:
        if sum(min(8.0, page.height(value, width, size=size, bold=colour != theme.INK)) + 0.6
               for _, value, colour in lines) <= room:
            return size
    return HEADER_SIZES[-1]


def _patient_lines(case: Case) -> list[tuple[str, str, str]]:
    record, p = case.record, case.record.patient
    acq = record.acquisition
    filters = acq.filters
    band = ", ".join(part for part in (
        f"high-pass {filters.highpass_hz:g} Hz" if filters.highpass_hz else "",
        f"low-pass {filters.lowpass_hz:g} Hz" if filters.lowpass_hz else "",
        f"notch {filters.notch_hz:g} Hz" if filters.notch_hz else "") if part)
    age = f"{p.age_years:.0f} y" if p.age_years is not None else "-"
    return [
        ("Record", case.name, theme.INK),
        ("Patient", " ".join(x for x in (p.name or "", f"ID {p.patient_id}" if p.patient_id else "")
                             if x) or "de-identified", theme.INK),
        ("Sex / age", f"{p.sex or '-'} / {age}", theme.INK),
        ("Acquired", acq.time.strftime("%Y-%m-%d %H:%M:%S") if acq.time else "unknown", theme.INK),
        ("Device", acq.device or record.source.format, theme.INK),
        ("Recording", f"{record.n_leads} leads, {record.fs:g} Hz, {record.duration_s:.1f} s; "
                      f"analysed {case.analysis.analysed_s[1]:.1f} s", theme.INK),
        ("Filters", band or "as recorded (none stated)", theme.INK),
        ("Reviewer", _reviewer(case), theme.INK),
        # a line each, so that no name is broken at its hyphens
        ("Versions", f"model {case.analysis.model or 'none (QRS detector only)'}\nrules "
                     f"{case.analysis.ruleset.label}; ECG Workstation {__version__}", theme.INK),
    ]


def _reviewer(case: Case) -> str:
    reviewer = case.reviewer
    who = f"{reviewer.name} ({reviewer.role})" if reviewer else "not yet reviewed"
    return f"{who}; {reviewer.status if reviewer else 'not signed (preliminary)'}"


def _measurement_lines(case: Case) -> list[tuple[str, str, str]]:
    lines = []
    for v in reported_values(case.analysis):
        text = f"{v.value:.0f}°" if v.code.ucum == "deg" else \
            f"{v.value:.0f} {'bpm' if v.code.ucum == '/min' else v.code.ucum}"
        if v.interpretation:
            lines.append((v.code.label, f"{text}  ({v.interpretation})", "#b30000"))
        else:
            lines.append((v.code.label, text, theme.INK))
    return lines or [("Measurements", "none could be made", "#b30000")]


def _device_summary(a) -> str:  # noqa: ANN001 - rules.analysis.Analysis
    """One short line: how the device's statements compare with ours, and its measurements
    that differ from ours beyond tolerance (the workstation and the exports give each)."""
    parts = []
    counts = {}
    for c in a.device_concordance:
        if c.agreement.value != "not_compared":
            counts[c.agreement.value] = counts.get(c.agreement.value, 0) + 1
    if counts:
        parts.append("statements " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()))
    critical = [c.statement for c in a.device_concordance if c.critical]
    if critical:
        parts.append("critical, not confirmed: " + "; ".join(critical))
    beyond = [f"{p.name} {p.device:.0f} (ours {p.ours:.0f})" for p in a.device_measurements if p.beyond]
    if beyond:
        parts.append("beyond tolerance: " + ", ".join(beyond))
    elif a.device_measurements:
        parts.append("measurements within tolerance")
    return "; ".join(parts)


def _printed_lines(case: Case) -> list[tuple[str, str, str]]:
    """What the page's printed text says, beside ours: the device's measurements and its
    statements, read off the image (only for a digitised page that had them)."""
    report, a = case.record.device_report, case.analysis
    if not report.read_from_image:
        return []
    values = []
    for p in a.device_measurements:
        ours = "" if p.ours is None else f" (ours {p.ours:.0f})"
        values.append(f"{p.name} {p.device:.0f} {p.unit}{ours}")
    statements = [f"{c.statement} ({c.agreement.value.replace('_', ' ')})"
                  for c in a.device_concordance if c.statement]
    lines = []
    if values:
        lines.append(("Printed values", ", ".join(values), theme.INK))
    if statements:
        lines.append(("Printed statements", "; ".join(statements), theme.INK))
    if a.page is not None and any(r.startswith("digitised ") for r in a.page.reasons):
        lines.append(("Page vs printed", "; ".join(r for r in a.page.reasons if r.startswith("digitised ")),
                      "#b30000"))
    return lines




#: The review reasons the header prints, in characters (about two lines); the rest are named
#: by number (the workstation and the exports carry them all).
REVIEW_CHARS = 200


def _shortened(reasons: list[str], limit: int) -> str:
    """``reasons`` joined, those past ``limit`` characters counted instead of printed."""
    kept: list[str] = []
    for reason in reasons:
        if kept and len("; ".join([*kept, reason])) > limit:
            break
        kept.append(reason if len(reason) <= limit else reason[:limit - 1].rstrip() + "…")
    rest = len(reasons) - len(kept)
    return "; ".join(kept) + (f"; and {rest} more (see the workstation)" if rest else "")


def _routing_lines(case: Case) -> list[tuple[str, str, str]]:
    a = case.analysis
    q = a.quality
    conf = a.confidence.value
    reasons = [r for r in a.routing.review_reasons if not r.startswith("not assessed:")]
    if len(reasons) < len(a.routing.review_reasons):
        reasons.append("not fully assessed (above)")
    review = ("yes: " + _shortened(reasons, REVIEW_CHARS)) if a.routing.review else "no"
    device = _device_summary(a)
    missing = [f"{g.what} ({g.why.split(':')[0]})" for g in a.routing.not_assessed
               if g.could_be.rank > a.routing.triage.rank]
    # the device's own values and statements last: on a crowded page they give way first
    return [
        ("Triage", a.routing.label.upper(), _TRIAGE_COLOURS[a.routing.triage]),
        *([("Not assessed", "; ".join(missing), "#b30000")] if missing else []),
        ("Confidence", f"{conf:.2f} (quality {a.confidence.quality:.2f}, delineation "
                       f"{a.confidence.delineation:.2f}, margin {a.confidence.margin:.2f}, "
                       f"completeness {a.confidence.completeness:.2f})", theme.INK),
        ("Review", review, theme.INK),
        ("Quality", f"{len(q.usable_leads)}/{len(q.leads)} leads usable"
                    + (f"; poor: {leads_text(q.poor_leads)}" if q.poor_leads else ""), theme.INK),
        *([("Device", device, theme.INK)] if device else []),
        *_printed_lines(case),
    ]


def _grid_and_traces(page: _Page, case: Case, layout: PaperLayout) -> None:
    painter = page.painter
    painter.save()
    width, height = layout.width_mm - 5.0, layout.height_mm
    left = (PAGE_W_MM - width) / 2  # centred on the sheet
    painter.translate(left * page.k, GRID_TOP_MM * page.k)
    page.fill(0, 0, width, height, theme.PAPER)
    _grid(page, width, height)
    painter.setClipRect(page.rect(0, 0, width, height))
    if case.delineation is not None:
        for span in spans_for(layout, case.delineation):
            page.fill(span.x0, span.y0, span.x1 - span.x0, span.y1 - span.y0,
                      QtGui.QColor(*FILL[span.wave.kind]))
    ink = page.pen(theme.INK, 0.18)
    for row in layout.rows:
        xs, ys = layout.calibration_pulse(row)
        page.polyline(xs, ys, ink)
    signals = case.record.signals
    for panel in layout.panels:
        samples = signals[panel.lead_index, panel.start:panel.stop]
        xs = panel.x_of(range(panel.start, panel.stop))
        page.polyline(xs, panel.y_of(samples), ink)
        label = panel.lead + ("*" if panel.derived else "")
        page.text(panel.x_mm + 1.0, panel.baseline_mm - layout.row_pitch_mm / 2 + 0.8, 20, 4,
                  label, size=8, bold=True)
        if panel.column > 0:  # the lead change mark between columns
            page.lines([(panel.x_mm, panel.baseline_mm - 2.0, panel.x_mm, panel.baseline_mm + 2.0)],
                       ink)
    painter.restore()
    settings = layout.paper.describe()
    page.text(left, GRID_TOP_MM + height + 0.3, 200, 4,
              f"{settings}   1 mV calibration   first {layout.panels[-1].stop / case.record.fs:.1f} s"
              "   shading: P blue, QRS orange, T green (delineation "
              f"{case.analysis.model or 'not available'})", size=6.5, colour=theme.RULER)


def _grid(page: _Page, width: float, height: float) -> None:
    minor = [(float(x), 0.0, float(x), height) for x in range(int(width) + 1) if x % 5]
    minor += [(0.0, float(y), width, float(y)) for y in range(int(height) + 1) if y % 5]
    major = [(float(x), 0.0, float(x), height) for x in range(0, int(width) + 1, 5)]
    major += [(0.0, float(y), width, float(y)) for y in range(0, int(height) + 1, 5)]
    page.lines(minor, page.pen(theme.GRID_MINOR, 0.07))
    page.lines(major, page.pen(theme.GRID_MAJOR, 0.14))


def _findings(page: _Page, case: Case, top: float, width: float = PAGE_W_MM - 2 * MARGIN_MM) -> None:
    a = case.analysis
    y = top + 3.0
    bottom = PAGE_H_MM - MARGIN_MM - 4.0
    page.text(MARGIN_MM, y, 60, 5, f"Findings ({len(a.flags)})", size=8, bold=True)
    y += 4.0
    if not a.flags:
        y += page.text(MARGIN_MM, y, 200, 4, "No rule flagged this ECG.", size=7)
    for n, flag in enumerate(a.flags):
        if y > bottom - 4.0:
            page.text(MARGIN_MM, y, 200, 4, f"... and {len(a.flags) - n} more: see the "
                                            "workstation or the exports", size=7)
            y += 3.5
            break
        y += page.text(MARGIN_MM, y, width, bottom - y, "• " +
                       flag_statement(flag), size=7, colour=_SEVERITY_COLOURS[flag.severity]) + 0.5
    if y < bottom:
        page.text(MARGIN_MM, y + 0.5, width, bottom - y, a.narrative,
                  size=7, colour=theme.RULER)
    footer = (f"{case.name}  |  created {case.created.strftime('%Y-%m-%d %H:%M UTC')}  |  "
              f"{'final' if case.final else 'preliminary: not signed'}  |  {DISCLAIMER}  |  page 1/1")
    page.text(MARGIN_MM, PAGE_H_MM - MARGIN_MM - 2.5, PAGE_W_MM - 2 * MARGIN_MM, 4, footer,
              size=6.5, colour=theme.RULER, align=QtCore.Qt.AlignmentFlag.AlignRight)
