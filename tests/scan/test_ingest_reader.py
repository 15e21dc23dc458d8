"""Image files, PDFs and DICOM images in; ECG records and WFDB files out."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pydicom
import pypdfium2 as pdfium
import pytest
import wfdb
from click.testing import CliRunner
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from workstation.cli import cli
from workstation.io import ECGReadError, read_ecg
from workstation.scan.ingest import (ENCAPSULATED_PDF_SOP, ScanInputError, image_kind, load_pages,
                                     pages_from_bytes)


@pytest.fixture(scope="module")
def page(clean_print) -> np.ndarray:
    return clean_print.image


def _pdf(pages: list[np.ndarray], dpi: float = 200.0) -> bytes:
    document = pdfium.PdfDocument.new()
    for image in pages:
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        assert ok
        obj = pdfium.PdfImage.new(document)
        obj.load_jpeg(io.BytesIO(jpeg.tobytes()), inline=False, autoclose=True)
        w, h = obj.get_px_size()
        size = (w * 72 / dpi, h * 72 / dpi)
        obj.set_matrix(pdfium.PdfMatrix().scale(*size))
        pdf_page = document.new_page(*size)
        pdf_page.insert_obj(obj)
        pdf_page.gen_content()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _dicom(path: Path, sop: str, **elements) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "ECG" if sop == ENCAPSULATED_PDF_SOP else "OT"
    for key, value in elements.items():
        setattr(ds, key, value)
    ds.save_as(str(path), enforce_file_format=True)
    return path


@pytest.mark.parametrize("ext, kind", [(".png", "png"), (".jpg", "jpeg"), (".bmp", "bmp"), (".tif", "tiff")])
def test_image_formats_are_sniffed_and_read(tmp_path, page, ext, kind):
    path = tmp_path / f"page{ext}"
    assert cv2.imwrite(str(path), page)
    assert image_kind(path.read_bytes()[:64]) == kind
    pages = load_pages(path)
    assert len(pages) == 1 and pages[0].shape == page.shape


def test_multipage_tiff_and_pdf_give_every_page(tmp_path, page):
    small = cv2.resize(page, None, fx=0.5, fy=0.5)
    tiff = tmp_path / "two.tif"
    assert cv2.imwritemulti(str(tiff), [small, small[:, ::-1].copy()])
    assert len(load_pages(tiff)) == 2
    pdf_pages = pages_from_bytes(_pdf([page, small], dpi=200.0))
    assert len(pdf_pages) == 2
    # PDF pages are rendered at 300 dpi: the 200 dpi page comes back 1.5 times larger
    assert pdf_pages[0].shape[1] == pytest.approx(page.shape[1] * 1.5, abs=3)


def test_transparent_png_is_laid_on_white(tmp_path):
    rgba = np.zeros((50, 60, 4), np.uint8)  # fully transparent black
    path = tmp_path / "clear.png"
    cv2.imwrite(str(path), rgba)
    assert load_pages(path)[0].min() == 255


def test_read_ecg_digitises_an_image_and_keeps_it(tmp_path, page):
    path = tmp_path / "scan.png"
    cv2.imwrite(str(path), page)
    record = read_ecg(path)
    assert record.source.format == "ECG image (digitised)"
    assert record.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    assert record.fs == 500.0 and record.n_samples == 5000
    d = record.digitisation
    assert d is not None and d.image == path.read_bytes() and d.layout == "3x4+rhythm"
    assert d.score > 0.6 and dict(d.calibration)["gain_mm_mv"] == 10.0
    assert np.isfinite(record.lead("II")).mean() > 0.95
    assert np.isfinite(record.lead("V1")).mean() == pytest.approx(0.25, abs=0.02)


def test_read_ecg_reads_a_pdf(tmp_path, page):
    path = tmp_path / "report.pdf"
    path.write_bytes(_pdf([page]))
    record = read_ecg(path)
    assert record.digitisation.layout == "3x4+rhythm"


def test_dicom_secondary_capture_and_encapsulated_pdf_are_digitised(tmp_path, page):
    rgb = np.ascontiguousarray(page[..., ::-1])
    sc = _dicom(tmp_path / "sc.dcm", "1.2.840.10008.5.1.4.1.1.7", Rows=rgb.shape[0], Columns=rgb.shape[1],
                SamplesPerPixel=3, PhotometricInterpretation="RGB", PlanarConfiguration=0,
                BitsAllocated=8, BitsStored=8, HighBit=7, PixelRepresentation=0, PixelData=rgb.tobytes())
    record = read_ecg(sc)
    assert record.digitisation is not None and record.digitisation.score > 0.6
    # the kept bytes give the page back (the scan check digitises it again from them)
    assert pages_from_bytes(record.digitisation.image)[0].shape == page.shape
    document = _pdf([page])
    if len(document) % 2:
        document += b"\0"
    epdf = _dicom(tmp_path / "epdf.dcm", ENCAPSULATED_PDF_SOP, MIMETypeOfEncapsulatedDocument="application/pdf",
                  EncapsulatedDocument=document)
    assert read_ecg(epdf).digitisation.layout == "3x4+rhythm"
    assert pydicom.dcmread(str(epdf)).SOPClassUID == ENCAPSULATED_PDF_SOP


def test_damaged_images_are_refused_with_the_file_named(tmp_path, page):
    ok, png = cv2.imencode(".png", page)
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(png.tobytes()[:2000])
    with pytest.raises(ECGReadError, match="cut.png"):
        read_ecg(truncated)
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((600, 900, 3), 255, np.uint8))
    with pytest.raises(ECGReadError, match="no ECG trace found"):
        read_ecg(blank)
    with pytest.raises(ScanInputError):
        pages_from_bytes(b"%PDF-1.4 not really")


def test_cli_digitize_writes_wfdb_and_json(tmp_path, page):
    image = tmp_path / "scan.jpg"
    cv2.imwrite(str(image), page)
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["digitize", str(image), str(bad), "--out", str(out), "--overlay"])
    assert result.exit_code == 2
    assert f"error: {bad}: not a PNG" in result.output
    signal, fields = wfdb.rdsamp(str(out / "scan"))
    assert fields["fs"] == 500 and signal.shape == (5000, 12)
    assert fields["sig_name"][6] == "V1"
    assert np.isnan(signal[:2400, 6]).all() and np.isfinite(signal[2600:3700, 6]).all()
    summary = json.loads((out / "scan.json").read_text())
    assert summary["layout"] == "3x4+rhythm" and 0.0 <= summary["quality"] <= 1.0
    assert summary["calibration"]["gain_mm_mv"] == 10.0
    assert {lead["lead"] for lead in summary["leads"]} >= {"I", "V6"}
    assert (out / "scan.overlay.png").exists()


def test_cli_digitize_reads_with_the_chosen_ink_finder(tmp_path, page):
    # the learned network reads the page as the thresholds do: the same leads, the same layout
    image = tmp_path / "scan.png"
    cv2.imwrite(str(image), page)
    for ink in ("learned", "auto"):
        out = tmp_path / ink
        result = CliRunner().invoke(cli, ["digitize", str(image), "--out", str(out), "--ink", ink])
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "scan.json").read_text())
        assert summary["ink"] == ink and summary["layout"] == "3x4+rhythm"
        signal, fields = wfdb.rdsamp(str(out / "scan"))
        assert signal.shape == (5000, 12) and np.isfinite(signal[2600:3700, 6]).all()
    refused = CliRunner().invoke(cli, ["digitize", str(image), "--out", str(tmp_path), "--ink", "magic"])
    assert refused.exit_code == 2 and "magic" in refused.output
