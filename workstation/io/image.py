"""Paper ECGs as images: PNG, JPEG, TIFF, BMP and PDF files are digitised on reading.

The signal is measured from the page by :mod:`workstation.scan` (classical image processing,
no learned model), and the record keeps the image, the quality score and its reasons in
``record.digitisation``. Files are recognised by their first bytes.
"""

from __future__ import annotations

from pathlib import Path

from workstation.io.registry import ReaderSpec
from workstation.scan.ingest import image_kind
from workstation.scan.record import FORMAT_NAME, read_image_record


def sniff(path: Path, head: bytes) -> bool:
    return image_kind(head) is not None


SPEC = ReaderSpec(
    name=FORMAT_NAME,
    extensions=(".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".pdf"),
    sniff=sniff,
    read=read_image_record,
)
