"""Models over ECG records (delineation, digitisation of scans). Pure computation, no Qt.

Importing this package does not import torch; :func:`delineate` loads the model on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workstation.core.delineation import Delineation
    from workstation.core.record import ECGRecord


def delineate(record: "ECGRecord") -> "Delineation":
    """P, QRS and T onset, peak and offset on every lead of ``record`` (the shipped model).

    Any sampling rate, any lead set, NaN gaps and records of any length; safe to call from a
    worker thread. See :mod:`inference.delineation.predict`.
    """
    from inference.delineation.predict import delineate as _delineate

    return _delineate(record)
