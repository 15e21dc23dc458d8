"""The document side of a paper ECG: the printed measurements, statements, acquisition time and
patient header are read (RapidOCR, offline) and understood, used beside ours by the rules, and
the patient's name, id and birth date are blacked out in the images the workstation writes."""

from __future__ import annotations

import dataclasses
import datetime as dt

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from rules.analysis import analyze
from rules.device import Agreement
from tests.conftest import shared_path
from workstation.cli import cli
from workstation.io import read_ecg
from workstation.scan.page_text import (TextBox, correct, group_slots, page_image, parse,
                                        read_boxes, read_page_text)
from workstation.scan.synth import Header, degrade, make_header, render

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _boxes(*rows: tuple[str, ...]) -> list[TextBox]:
    """Text boxes laid out as rows (20 px high, 40 px apart), each item in its own box."""
    out = []
    for r, row in enumerate(rows):
        x = 10
        for text in row:
            out.append(TextBox(text, 0.97, (x, 40 * r, x + 10 * len(text), 40 * r + 20)))
            x += 10 * len(text) + 60
    return out


def test_a_ge_style_header_is_understood():
    text = parse(_boxes(
        ("DOE, JANE", "ID:00012345", "03-Feb-2024 09:15:02"),
        ("12-Mar-1950", "(73 yr)", "Female"),
        ("Vent. rate", "47", "BPM", "Sinus rhythm with 2nd degree A-V block"),
        ("PR interval", "*", "ms", "Left axis deviation"),
        ("QRS duration", "92", "ms", "Abnommal ECG"),
        ("QT/QTc", "464/410", "ms"),
        ("P-R-T axes", "52", "-41", "23"),
    ))
    values = {m.name: (m.value, m.unit) for m in text.measurements}
    assert values == {"Ventricular rate": (47, "bpm"), "QRS": (92, "ms"), "QT": (464, "ms"),
                      "QTc": (410, "ms"), "P axis": (52, "deg"), "QRS axis": (-41, "deg"),
                      "T axis": (23, "deg")}
    assert text.not_measured == ("PR",)
    assert text.statements == ("Sinus rhythm with 2nd degree A-V block", "Left axis deviation",
                               "Abnormal ECG")
    assert text.patient.name == "DOE, JANE" and text.patient.patient_id == "00012345"
    assert text.patient.birth_date == "1950-03-12" and text.patient.age_years == 73
    assert text.patient.sex == "F"
    assert text.acquired == dt.datetime(2024, 2, 3, 9, 15, 2)
    report = text.device_report
    assert report.read_from_image and report.measurement("Ventricular rate").value == 47
    confidences = dict(text.confidences)
    assert confidences["Ventricular rate"] == pytest.approx(0.97) and "statement 3" in confidences
    assert len(text.identity_boxes) == 3  # name, id, birth date


def test_one_line_and_european_layouts_are_understood():
    philips = parse(_boxes(("Name: Jan Novak", "ID: 4471", "DOB: 1961-07-30", "Sex: M"),
                           ("Rate 59 bpm", "PR 172 ms", "QRSD 104 ms", "QT/QTc 398/401 ms",
                            "Axis P 60  QRS 41  T 38")))
    assert {m.name: m.value for m in philips.measurements} == {
        "Ventricular rate": 59, "PR": 172, "QRS": 104, "QT": 398, "QTc": 401, "P axis": 60,
        "QRS axis": 41, "T axis": 38}
    assert philips.patient.name == "Jan Novak" and philips.patient.birth_date == "1961-07-30"
    european = parse(_boxes(("Patient: Rossi Marco", "PID: A-99812", "Born: 02.11.1948"),
                            ("HR: 8O bpm", "Atrial fibrillation with rapid ventricular response"),
                            ("QT/QTcB: 310/377 ms", "P/QRS/T: */-32/140 deg")))
    values = {m.name: m.value for m in european.measurements}
    assert values["Ventricular rate"] == 80 and values["QRS axis"] == -32 and values["T axis"] == 140
    assert european.not_measured == ("P axis",)
    assert european.statements == ("Atrial fibrillation with rapid ventricular response",)
    assert european.patient.birth_date == "1948-11-02" and european.patient.patient_id == "A-99812"


def test_units_settings_and_lead_names_are_not_statements():
    text = parse(_boxes(("25 mm/s   10 mm/mV   0.05-150 Hz",), ("aVR", "V1", "II"),
                        ("Technician: KL",)))
    assert text.statements == () and text.measurements == ()


def test_short_letter_runs_are_not_statements_but_plain_ones_are():
    # a run of short letter groups read off a trace or the grid ("nin nil") is no statement;
    # a statement outside the device vocabulary with a plain word still is
    text = parse(_boxes(("nin nil",), ("No previous ECGs available",), ("Abnormal ECG",)))
    assert text.statements == ("No previous ECGs available", "Abnormal ECG")


def test_misread_statement_words_are_corrected():
    assert correct("Abnommal ECG") == "Abnormal ECG"
    assert correct("Sinus bradycardla") == "Sinus bradycardia"
    assert correct("Sinus rhythm") == "Sinus rhythm"


def _axes_line(values: tuple[str, ...], read: tuple[bool, ...]) -> tuple[np.ndarray, list[TextBox]]:
    """A GE-style "P-R-T axes" line printed with ``values`` in three slots, and the boxes a
    detector gives: the label and the values marked ``read`` ("" prints nothing)."""
    page = np.full((60, 700, 3), 255, np.uint8)
    font, size, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.8, 2
    items = [(20, "P-R-T axes", True), *((260 + 90 * k, v, r) for k, (v, r) in enumerate(zip(values, read)))]
    boxes = []
    for x, text, seen in items:
        if not text:
            continue
        cv2.putText(page, text, (x, 40), font, size, (0, 0, 0), thick)
        (w, h), base = cv2.getTextSize(text, font, size, thick)
        if seen:
            boxes.append(TextBox(text, 0.95, (x - 3, 40 - h - 4, x + w + 3, 40 + base + 2)))
    return page, boxes


def _axes(page: np.ndarray, boxes: list[TextBox]):
    text = group_slots(page, parse(boxes))
    return {m.name: m.value for m in text.measurements}, text.not_measured


def test_a_star_the_detector_missed_is_found_in_its_slot():
    for values in (("*", "18", "-29"), ("40", "*", "-29"), ("40", "18", "*")):
        read = tuple(v != "*" for v in values)
        page, boxes = _axes_line(values, read)
        assert parse(boxes).measurements == ()  # two numbers for three axes: none by the text
        numbers, stars = _axes(page, boxes)
        names = ("P axis", "QRS axis", "T axis")
        assert numbers == {n: float(v) for n, v in zip(names, values) if v != "*"}, values
        assert stars == tuple(n for n, v in zip(names, values) if v == "*"), values
    page, boxes = _axes_line(("*", "18", "29"), (True, True, True))
    boxes[1] = dataclasses.replace(boxes[1], text="\u5927")  # a star read as another sign
    assert _axes(page, boxes) == ({"QRS axis": 18, "T axis": 29}, ("P axis",))
    boxes[1] = dataclasses.replace(boxes[1], text="8")  # a star read as a digit: taken back
    assert parse(boxes).measurements[0].value == 8
    assert _axes(page, boxes) == ({"QRS axis": 18, "T axis": 29}, ("P axis",))


def test_a_slot_is_never_guessed():
    page, boxes = _axes_line(("", "18", "29"), (False, True, True))  # nothing printed: unknown
    assert _axes(page, boxes) == ({}, ())
    page, boxes = _axes_line(("140", "18", "29"), (False, True, True))  # a number left unread
    assert _axes(page, boxes) == ({"QRS axis": 18, "T axis": 29}, ())


@pytest.mark.parametrize("font, level, star", [("sans", "clean", "P axis"), ("complex", "scan", "T axis")])
def test_a_generated_page_with_a_starred_axis_is_read(ludb_record, font, level, star):
    header = make_header(ludb_record, seed=3, vendor="ge", font=font)
    header = dataclasses.replace(header, measurements=tuple(
        (name, None if name == star else value) for name, value in header.measurements))
    text = read_page_text(degrade(render(ludb_record, dpi=200, header=header), level, seed=3).image)
    read = {m.name: m.value for m in text.measurements}
    assert star in text.not_measured
    for name in ("P axis", "QRS axis", "T axis"):
        if name != star:
            assert read[name] == header.value(name), name


@pytest.fixture(scope="module")
def printed_pages(ludb_record):
    """A clean page per vendor layout, with its header (the truth) and what was read."""
    pages = []
    for seed, (vendor, font) in enumerate((("ge", "sans"), ("philips", "duplex"), ("mortara", "simplex"))):
        header = make_header(ludb_record, seed=seed, vendor=vendor, font=font)
        printout = render(ludb_record, dpi=200, header=header)
        pages.append((printout, read_page_text(printout.image)))
    return pages


def test_generated_headers_are_read_exactly(printed_pages):
    for printout, text in printed_pages:
        truth: Header = printout.header
        read = {m.name: m.value for m in text.measurements}
        for name, value in truth.measurements:
            if value is None:
                assert name in text.not_measured, (truth.vendor, name)
            else:
                assert read.get(name) == value, (truth.vendor, name, read.get(name), value)
        assert text.statements == truth.statements, truth.vendor
        assert text.patient.patient_id == truth.patient_id
        assert text.patient.birth_date == truth.birth_date.isoformat()
        assert text.patient.age_years == truth.age_years and text.patient.sex == truth.sex
        assert text.acquired.replace(second=0) == truth.acquired.replace(second=0)


def test_identifying_boxes_cover_the_printed_name_id_and_birth_date(printed_pages):
    for printout, text in printed_pages:
        found = text.identity_boxes
        for x0, y0, x1, y1 in printout.identity_boxes:
            centre = ((x0 + x1) / 2, (y0 + y1) / 2)
            assert any(a <= centre[0] <= c and b <= centre[1] <= d for a, b, c, d in found), printout.header.vendor


@pytest.fixture(scope="module")
def photographed(ludb_record, tmp_path_factory):
    """A phone photo of a page printed with "Vent. rate 47 BPM" and an A-V block statement."""
    header = make_header(ludb_record, seed=7, vendor="ge", font="sans")
    header = dataclasses.replace(header, measurements=tuple(
        (name, 47.0 if name == "Ventricular rate" else value) for name, value in header.measurements),
        statements=("Sinus rhythm with 2nd degree A-V block", "Abnormal ECG"))
    path = tmp_path_factory.mktemp("page") / "photographed.png"
    cv2.imwrite(str(path), degrade(render(ludb_record, dpi=200, header=header), "photo", seed=3).image)
    return header, path, read_ecg(path)


def test_a_page_record_carries_the_printed_report_patient_and_time(photographed):
    header, _, record = photographed
    assert record.device_report.read_from_image
    assert record.device_report.measurement("Ventricular rate").value == 47
    assert "Sinus rhythm with 2nd degree A-V block" in record.device_report.statements
    assert record.patient.name == header.name and record.patient.patient_id == header.patient_id
    assert record.acquisition.time is not None
    printed = dict(record.digitisation.printed)
    assert printed["Ventricular rate"] > 0.5 and "name" in printed
    assert len(record.digitisation.identity_boxes) == 3


def test_printed_values_and_statements_stand_beside_ours(photographed):
    _, _, record = photographed
    analysis = analyze(record, None)
    rate = next(p for p in analysis.device_measurements if p.name == "Ventricular rate")
    assert rate.device == 47 and rate.ours == pytest.approx(46, abs=3)
    block = next(c for c in analysis.device_concordance if c.statement and "A-V block" in c.statement)
    assert block.agreement is Agreement.DEVICE_ONLY
    # 46 against 47: agrees, so the printed values take nothing off the page's score
    assert not any(r.startswith("digitised ") for r in analysis.page.reasons)


def test_a_large_disagreement_lowers_the_page_quality_with_the_reason(photographed):
    _, _, record = photographed
    report = record.device_report
    wrong = dataclasses.replace(report, measurements=tuple(
        dataclasses.replace(m, value=59.0) if m.name == "Ventricular rate" else m for m in report.measurements))
    analysis = analyze(dataclasses.replace(record, device_report=wrong), None)
    reason = next(r for r in analysis.page.reasons if r.startswith("digitised rate"))
    assert reason.endswith("bpm, printed 59")
    assert analysis.page.score < record.digitisation.score
    assert analysis.routing.review and any("printed 59" in r for r in analysis.routing.review_reasons)


def _reads_name(image: np.ndarray, header: Header) -> bool:
    words = [w.lower() for w in header.name.replace(",", " ").split()]
    text = " ".join(b.text.lower() for b in read_boxes(image))
    return any(w in text for w in words) or header.patient_id in text


def test_images_written_have_the_name_blacked_out_unless_identity_is_kept(photographed, tmp_path):
    header, path, record = photographed
    assert _reads_name(page_image(record, keep_identity=True), header)
    assert not _reads_name(page_image(record), header)
    result = CliRunner().invoke(cli, ["digitize", str(path), "--out", str(tmp_path), "--page-image",
                                      "--overlay"])
    assert result.exit_code == 0, result.output
    for name in ("photographed.page.png", "photographed.overlay.png"):
        assert not _reads_name(cv2.imread(str(tmp_path / name)), header), name
    hea = (tmp_path / "photographed.hea").read_text()
    assert header.name not in hea and header.patient_id not in hea
    assert "Sinus rhythm with 2nd degree A-V block" in hea


@pytest.mark.shared_data
@pytest.mark.parametrize("name, rate, pr, qrs, qt_qtc, axes, statements", [
    ("ecg00016.jpg", 80, 148, 88, (394, 454), (56, -17, -40),
     ("*** Poor data quality, interpretation may be adversely affected", "Normal sinus rhythm",
      "Possible Inferior infarct, age undetermined", "Abnormal ECG")),
    ("ecg00025.jpg", 82, 160, 92, (392, 457), (52, -41, 23),
     ("*** Poor data quality, interpretation may be adversely affected", "Normal sinus rhythm",
      "Left axis deviation", "Nonspecific ST and T wave abnormality", "Abnormal ECG")),
    ("ecg00053.png", 61, 146, 128, (490, 493), (67, 44, 68),
     ("Atrial-sensed ventricular-paced rhythm", "Abnormal ECG", "No previous ECGs available")),
])
def test_real_printed_headers_are_read(name, rate, pr, qrs, qt_qtc, axes, statements):
    path = shared_path("images", "ecg-image-kit_real_samples", name)
    text = read_page_text(cv2.imread(str(path)))
    values = {m.name: m.value for m in text.measurements}
    assert values == {"Ventricular rate": rate, "PR": pr, "QRS": qrs, "QT": qt_qtc[0],
                      "QTc": qt_qtc[1], "P axis": axes[0], "QRS axis": axes[1], "T axis": axes[2]}
    assert tuple(s.replace(" ,", ",") for s in text.statements) == statements


def test_the_networks_ship_in_the_package_and_nothing_is_downloaded(monkeypatch):
    import socket

    from workstation.scan import page_text

    def refuse(*args, **kwargs):
        raise AssertionError("the OCR tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(page_text._Engine, "_instance", None)
    page = np.full((100, 700, 3), 255, np.uint8)
    cv2.putText(page, "QT/QTc  464/410  ms", (20, 60), cv2.FONT_HERSHEY_DUPLEX, 1.0, (0, 0, 0), 2)
    text = read_page_text(page)
    assert {m.name: m.value for m in text.measurements} == {"QT": 464, "QTc": 410}


def test_the_report_shows_the_printed_values_and_a_blacked_out_thumbnail(qapp, photographed, tmp_path):
    import pypdfium2 as pdfium

    from workstation.delivery.case import Case
    from workstation.ui.report import GRID_TOP_MM, report_layout, thumbnail_rect, write_pdf

    _, _, record = photographed
    case = Case(record, None, analyze(record, None))
    pdf = pdfium.PdfDocument(str(write_pdf(case, tmp_path / "report.pdf")))
    try:
        page = pdf[0]
        textpage = page.get_textpage()
        text = " ".join(textpage.get_text_range().split())
        scale = 300 / 72
        image = np.asarray(page.render(scale=scale).to_pil().convert("L"))
        textpage.close()
        page.close()
    finally:
        pdf.close()
    assert "Printed values" in text and "Ventricular rate 47 bpm" in text
    assert "Sinus rhythm with 2nd degree A-V block (device only)" in text
    px_per_mm = 300 / 25.4
    height, width = page_image(record).shape[:2]
    x, y, w, _ = thumbnail_rect(GRID_TOP_MM + report_layout(case).height_mm + 2.0, width, height)
    assert w >= 20.0
    x0, y0, k = x * px_per_mm, y * px_per_mm, w * px_per_mm / width
    for bx0, by0, bx1, by1 in record.digitisation.identity_boxes:
        cx, cy = x0 + k * (bx0 + bx1) / 2, y0 + k * (by0 + by1) / 2
        assert image[int(cy) - 1:int(cy) + 2, int(cx) - 1:int(cx) + 2].mean() < 60  # blacked out


def test_findings_show_the_printed_values_and_statements_beside_ours(qtbot, photographed):
    from workstation.ui.findings_panel import FindingsPanel

    _, _, record = photographed
    panel = FindingsPanel()
    qtbot.addWidget(panel)
    panel.show_analysis(analyze(record, None), printed=record.device_report.read_from_image)
    assert panel.table.horizontalHeaderItem(3).text() == "Printed (diff)"
    cells = [panel.table.item(r, 3).text() for r in range(panel.table.rowCount()) if panel.table.item(r, 3)]
    assert any(c.startswith("47") for c in cells), cells
    statements = [panel.device.item(i).text() for i in range(panel.device.count())]
    assert any("2nd degree A-V block" in s for s in statements)
    assert panel.device_label.text().startswith("Printed statements")


def test_a_second_look_at_a_row_keeps_the_lines_printed_close_above_and_below():
    # two device lines printed closer than a line's height: the second look at the rate's
    # row reaches into the PR line below; what was read there stays, and a text the look's
    # edge cuts through is not taken
    from workstation.scan.page_text import _label_names, _value_region, read_boxes, reread, rows_of

    page = np.full((120, 520, 3), 255, np.uint8)
    for y, line in ((40, "Vent. rate      80    BPM"), (55, "PR interval    148    ms")):
        cv2.putText(page, line, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (20, 20, 20), 1, cv2.LINE_AA)
    boxes = read_boxes(page)
    row, k = next((row, k) for row in rows_of(boxes) for k, b in enumerate(row.boxes)
                  if _label_names(b.text) == ("Ventricular rate",))
    region = _value_region(row, k)
    below = next(b for b in boxes if b.text == "148")
    assert region[1] <= (below.box[1] + below.box[3]) / 2 <= region[3]  # inside the look
    again = reread(page, boxes, [region])
    assert below in again
    assert sorted(b.text for b in again) == sorted(b.text for b in boxes)
    assert {m.name: m.value for m in parse(again).measurements} == {"Ventricular rate": 80, "PR": 148}
