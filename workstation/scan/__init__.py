"""Paper ECGs to measured waveforms: scans, phone photos, PDFs and DICOM images.

:func:`workstation.scan.digitize.digitize` turns one page image into signals with a quality
score and its reasons; :mod:`workstation.scan.ingest` reads image files, PDFs and DICOM
secondary captures into page images; :mod:`workstation.scan.record` builds the
:class:`~workstation.core.record.ECGRecord` that the rest of the workstation reads, with what
:mod:`workstation.scan.page_text` reads of the page's printed text (the device's measurements and
statements, the acquisition time, the patient header).
:mod:`workstation.scan.synth` renders records as printouts with exact ground truth and
:mod:`workstation.scan.metric` scores a digitisation with the Challenge 2024 SNR.

Nothing here imports Qt or torch: the package sits below :mod:`workstation.io`.
"""

import os as _os


def _opencv_without_ipp() -> None:
    """Image processing on OpenCV's own code paths, not Intel IPP's, in every install.

    PyPI's OpenCV wheels route some functions (cubic resizing, warps) through IPP, which rounds
    differently from OpenCV's own code by one grey level on a few pixels in a hundred; the
    desktop app's OpenCV (``packaging/opencv.py``) has no IPP. One grey level was enough to
    change a printed value read off a real page, so the workstation turns IPP off for the
    whole process (``OPENCV_IPP=disabled``, which OpenCV reads once, for every thread): an
    image gives the same pixels, the same trace and the same readings in a source install and
    in the app. A value the user sets for ``OPENCV_IPP`` is kept.
    """
    _os.environ.setdefault("OPENCV_IPP", "disabled")
    import cv2

    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_ERROR)  # OpenCV warns that IPP was turned off
    try:
        cv2.ipp.useIPP()  # reads OPENCV_IPP now
    finally:
        logging.setLogLevel(level)


_opencv_without_ipp()
