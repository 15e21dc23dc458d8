"""Image files to page images: PNG, JPEG, TIFF (every page), BMP, PDF (every page) and DICOM
images (secondary capture, multi-frame, encapsulated PDF).

Formats are recognised by their first bytes, not their extension. PDF pages are rendered with
PDFium (pypdfium2) at :data:`PDF_DPI`. Transparent pixels are laid on white paper. Every failure
raises :class:`ScanInputError` with a one-line reason.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np

#: Resolution at which PDF pages are rendered: enough for 1 mm grid squares of 12 px.
PDF_DPI = 300.0
#: Pages read from one file at most (a PDF report bundle can be long).
MAX_PAGES = 50
#: Images larger than this (pixels) are refused rather than exhausting memory.
MAX_PIXELS = 200_000_000

ENCAPSULATED_PDF_SOP = "1.2.840.10008.5.1.4.1.1.104.1"
#: Secondary capture image storage SOP classes (single-frame and the multi-frame variants).
SECONDARY_CAPTURE_SOPS = frozenset({
    "1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.5.1.4.1.1.7.1", "1.2.840.10008.5.1.4.1.1.7.2",
    "1.2.840.10008.5.1.4.1.1.7.3", "1.2.840.10008.5.1.4.1.1.7.4",
})


class ScanInputError(ValueError):
    """An image that cannot be read as a page."""


def image_kind(head: bytes) -> str | None:
    """"png", "jpeg", "tiff", "bmp" or "pdf" from a file's first bytes, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    return None


def is_dicom_image(sop_class_uid: str) -> bool:
    """True for the DICOM SOP classes this package reads as pages."""
    return sop_class_uid == ENCAPSULATED_PDF_SOP or sop_class_uid in SECONDARY_CAPTURE_SOPS


def load_pages(path: Path) -> list[np.ndarray]:
    """Every page of an image, PDF or DICOM file as BGR uint8 arrays."""
    return pages_from_bytes(path.read_bytes())


def pages_from_bytes(data: bytes) -> list[np.ndarray]:
    """Every page of a file's bytes (as kept in ``ECGRecord.digitisation.image``)."""
    if len(data) >= 132 and data[128:132] == b"DICM":
        return dicom_pages(data)
    kind = image_kind(data[:64])
    if kind is None:
        raise ScanInputError("not a PNG, JPEG, TIFF, BMP, PDF or DICOM image")
    if kind == "pdf":
        return pdf_pages(data)
    buffer = np.frombuffer(data, np.uint8)
    if kind == "tiff":
        ok, frames = cv2.imdecodemulti(buffer, cv2.IMREAD_UNCHANGED)
        if not ok or not frames:
            raise ScanInputError("damaged TIFF image")
        return [_to_bgr(frame) for frame in frames[:MAX_PAGES]]
    image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ScanInputError(f"damaged or truncated {kind.upper()} image")
    return [_to_bgr(image)]


def pdf_pages(data: bytes) -> list[np.ndarray]:
    import pypdfium2 as pdfium  # imported on use: only PDFs need it

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ScanInputError(f"damaged PDF ({exc})") from exc
    try:
        if len(document) == 0:
            raise ScanInputError("PDF has no pages")
        pages = []
        for index in range(min(len(document), MAX_PAGES)):
            bitmap = document[index].render(scale=PDF_DPI / 72.0, fill_color=(255, 255, 255, 255))
            rgb = bitmap.to_numpy()
            pages.append(_to_bgr(np.ascontiguousarray(rgb[..., 2::-1]) if rgb.shape[2] >= 3 else rgb))
        return pages
    finally:
        document.close()


def dicom_pages(data: bytes) -> list[np.ndarray]:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data))
    sop = str(ds.get("SOPClassUID", ""))
    if sop == ENCAPSULATED_PDF_SOP:
        document = bytes(ds.get("EncapsulatedDocument", b""))
        if not document:
            raise ScanInputError("encapsulated PDF DICOM without a document")
        return pdf_pages(document.rstrip(b"\x00"))
    if "PixelData" not in ds:
        raise ScanInputError("DICOM object has no image (no PixelData)")
    pixels = ds.pixel_array
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric.startswith("YBR"):
        from pydicom.pixels import convert_color_space

        pixels = convert_color_space(pixels, photometric, "RGB")
        photometric = "RGB"
    images = list(pixels) if frames > 1 else [pixels]
    pages = []
    for image in images[:MAX_PAGES]:
        image = _to_uint8(np.asarray(image))
        if photometric == "MONOCHROME1":
            image = 255 - image
        if image.ndim == 3:
            image = np.ascontiguousarray(image[..., ::-1])  # RGB -> BGR
        pages.append(_to_bgr(image))
    return pages


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    image = image.astype(np.float64)
    lo, hi = float(image.min()), float(image.max())
    return np.zeros(image.shape, np.uint8) if hi <= lo else ((image - lo) / (hi - lo) * 255).astype(np.uint8)


def _to_bgr(image: np.ndarray) -> np.ndarray:
    """BGR uint8, with transparency laid on white."""
    if image.size > MAX_PIXELS:
        raise ScanInputError(f"image of {image.size} values is too large")
    image = _to_uint8(image)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255.0
        colour = image[..., :3].astype(np.float32)
        return (colour * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    if image.shape[2] == 1:
        return cv2.cvtColor(image[..., 0], cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(image[..., :3])
