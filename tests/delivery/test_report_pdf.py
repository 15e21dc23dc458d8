"""The PDF report: one A4 landscape page, true-scale grid, every required item, and its text
read back by PDFium (pypdfium2)."""

from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium
import pytest

from rules.reasoning import DISCLAIMER
from workstation.delivery.case import Case
from workstation.ui.report import GRID_TOP_MM, PAGE_H_MM, report_layout, write_pdf

MM_PER_PT = 25.4 / 72.0


def _page_text_and_image(path):
    pdf = pdfium.PdfDocument(str(path))
    try:
        assert len(pdf) == 1
        page = pdf[0]
        width, height = page.get_size()
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        image = np.asarray(page.render(scale=300 / 72).to_pil().convert("RGB"))
        textpage.close()
        page.close()
    finally:
        pdf.close()
    return (width, height), " ".join(text.split()), image


@pytest.fixture(scope="module")
def rendered(qapp, sample_case: Case, tmp_path_factory):
    path = write_pdf(sample_case, tmp_path_factory.mktemp("pdf") / "report.pdf")
    return _page_text_and_image(path)


def test_one_a4_landscape_page(rendered) -> None:
    (width, height), _, _ = rendered
    assert width * MM_PER_PT == pytest.approx(297, abs=1)
    assert height * MM_PER_PT == pytest.approx(210, abs=1)


def test_required_content_is_on_the_page(sample_case: Case, rendered) -> None:
    _, text, _ = rendered
    a = sample_case.analysis
    assert DISCLAIMER in text and "Resting 12-lead ECG report" in text
    for label in ("Heart rate", "PR interval", "QRS duration", "QTc", "Triage", "Confidence",
                  "Quality", "Versions", "Reviewer", "25 mm/s", "10 mm/mV"):
        assert label in text, label
    assert f"{a.measurements.intervals.qrs_ms.value:.0f} ms" in text
    assert " ".join(a.routing.label.upper().split()[:4]) in text
    if not a.routing.complete:  # what was not assessed is printed, never left out
        assert "Not assessed" in text
    assert a.model in text and a.ruleset.label in text
    assert "not signed" in text
    for flag in a.flags:  # each flag with its lead-wise reason (first words: wrapped text)
        assert " ".join(flag.reason.split()[:6]) in text
    for lead in ("aVR", "V1", "V6"):
        assert lead in text


def test_grid_is_true_scale(sample_case: Case) -> None:
    layout = report_layout(sample_case)
    assert layout.paper.speed_mm_s == 25.0 and layout.paper.gain_mm_mv == 10.0
    first = layout.panels[0]
    assert float(first.x_of(first.start + sample_case.record.fs)) - first.x_mm == pytest.approx(25.0)
    assert float(first.y_of(0.0) - first.y_of(1.0)) == pytest.approx(10.0)
    assert [p.lead for p in layout.panels[:4]] == ["I", "aVR", "V1", "V4"]
    assert layout.panels[-1].rhythm and layout.panels[-1].lead == "II"
    assert GRID_TOP_MM + layout.height_mm < PAGE_H_MM - 30  # room for the findings


def test_grid_and_ink_are_drawn(rendered) -> None:
    _, _, image = rendered
    k = image.shape[1] / 297.0
    band = image[int((GRID_TOP_MM + 5) * k):int((GRID_TOP_MM + 100) * k), int(20 * k):int(280 * k)]
    red = (band[..., 0] > 200) & (band[..., 1] < 200) & (band[..., 2] < 200)
    dark = band.max(axis=2) < 80
    assert red.mean() > 0.02  # grid lines
    assert dark.mean() > 0.002  # traces


def test_a_record_without_model_still_reports(qapp, tmp_path) -> None:
    from resources import sample_ecg_path
    from workstation.delivery.case import case_from_file

    case = case_from_file(sample_ecg_path(), use_model=False)
    _, text, _ = _page_text_and_image(write_pdf(case, tmp_path / "no-model.pdf"))
    assert "none (QRS detector only)" in text and DISCLAIMER in text


def test_printing_goes_through_the_same_page(qapp, sample_case: Case, tmp_path) -> None:
    from PySide6 import QtPrintSupport

    from workstation.ui.report import print_to

    printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QtPrintSupport.QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    print_to(sample_case, printer)
    (width, height), text, _ = _page_text_and_image(tmp_path / "printed.pdf")
    assert width > height and DISCLAIMER in text and "Findings" in text


def test_a_two_lead_holter_excerpt_reports_one_row_per_lead(qapp, tmp_path) -> None:
    from workstation.core.record import ECGRecord, Lead, SourceInfo
    from workstation.delivery.case import build_case

    t = np.arange(60 * 250) / 250.0
    beats = np.exp(-((t % 0.8) - 0.4) ** 2 / 0.0002)  # 75 bpm spikes, 1 mV
    record = ECGRecord.from_array(np.vstack([beats, 0.5 * beats]).astype(np.float32), 250.0,
                                  [Lead("MLII"), Lead("V5")], SourceInfo(tmp_path / "h.dat", "test"))
    case = build_case(record, None)
    layout = report_layout(case)
    assert [p.lead for p in layout.panels] == ["MLII", "V5"]
    assert layout.panels[0].stop == 10 * 250  # the first 10 s of the minute
    _, text, _ = _page_text_and_image(write_pdf(case, tmp_path / "holter.pdf"))
    assert "MLII" in text and "V5" in text and DISCLAIMER in text
    assert "ECG report (2 leads)" in text and "12-lead" not in text
