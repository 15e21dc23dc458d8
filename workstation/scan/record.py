"""Digitised pages as :class:`~workstation.core.record.ECGRecord`: the shape every other part of
the workstation reads, with the image, the quality and the calibration kept beside the signal.

A page usually has the twelve standard leads, each shown for part of the 10 s (2.5 s in a
3x4 layout): those samples are NaN elsewhere, so nothing is ever invented. A multi-page file is
read as the page that digitises best, unless a page is asked for.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from workstation.core.record import Digitisation, ECGRecord, Lead, SourceInfo
from workstation.scan.digitize import Adjustments, Digitised, digitize
from workstation.scan.ingest import ScanInputError, load_pages

FORMAT_NAME = "ECG image (digitised)"


def read_image_record(path: Path, page: int | None = None,
                      adjustments: Adjustments = Adjustments(), *, read_text: bool = True) -> ECGRecord:
    """Digitise ``path`` (an image, PDF or DICOM image) into a record; with ``read_text``, the
    page's printed text too (:mod:`workstation.scan.page_text`): the device's measurements and
    statements, the acquisition time and the patient header."""
    pages = load_pages(path)
    if page is not None:
        if not 0 <= page < len(pages):
            raise ScanInputError(f"page {page + 1} asked for, the file has {len(pages)}")
        results = {page: digitize(pages[page], adjustments)}
    else:
        results = {i: digitize(image, adjustments) for i, image in enumerate(pages)}
    best = max(results, key=lambda i: (bool(results[i].traces), results[i].score))
    record = to_record(results[best], path, best)
    return _with_text(record, pages[best]) if read_text else record


def _with_text(record: ECGRecord, image) -> ECGRecord:
    """The record with its page's printed text; without it (and the reason in the comments)
    when the text cannot be read: the traces never depend on it."""
    from workstation.scan.page_text import read_page_text, with_page_text

    try:
        return with_page_text(record, read_page_text(image))
    except Exception as exc:  # noqa: BLE001 - the OCR engine missing or failing
        return dataclasses.replace(record, comments=(*record.comments, f"page text not read ({exc})"),
                                   _cache=record._cache)


def to_record(result: Digitised, path: Path, page: int = 0, image: bytes | None = None) -> ECGRecord:
    """The record of one digitised page of ``path``."""
    if not result.traces:
        raise ScanInputError("no ECG trace found on the page (" + "; ".join(result.reasons) + ")")
    digitisation = Digitisation(
        image_path=path,
        image=image if image is not None else path.read_bytes(),
        page=page,
        score=result.score,
        reasons=result.reasons,
        lead_scores=tuple((name, result.lead_score(name)) for name in result.lead_names),
        lead_measurable=tuple((name, result.lead_measurable(name)) for name in result.lead_names),
        layout=result.layout,
        calibration=tuple(result.calibration.as_dict().items()),
    )
    detail = f"{result.layout}, page {page + 1}, quality {result.score:.2f}"
    return ECGRecord.from_array(
        result.signals, result.fs, [Lead(name, name) for name in result.lead_names],
        SourceInfo(path, FORMAT_NAME, detail),
        comments=("signal digitised from a paper ECG image",),
        digitisation=digitisation,
    )
