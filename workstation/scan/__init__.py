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
