"""File readers and writers, one module per format, behind :func:`read_ecg`."""

from workstation.io.errors import ECGReadError
from workstation.io.registry import iter_ecg_files, read_ecg

__all__ = ["ECGReadError", "iter_ecg_files", "read_ecg"]
