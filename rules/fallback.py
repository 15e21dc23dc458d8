"""A plain QRS detector, so that the rate and rhythm rules run even when the model cannot.

Band-pass 5-15 Hz (the QRS's energy band; Pan J, Tompkins WJ, IEEE Trans Biomed Eng
1985;32:230-236), squared slope summed over the usable leads, a 100 ms moving-window
integration, then peaks at least 250 ms apart above a fraction of the robust maximum. It gives
beat times only: no boundary is guessed from it.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from workstation.core.record import ECGRecord

BAND_HZ = (5.0, 15.0)
INTEGRATION_MS = 100.0
REFRACTORY_MS = 250.0
#: Peaks must reach this share of the 99th percentile of the integrated energy.
PEAK_SHARE = 0.3


def detect_qrs(record: ECGRecord, leads: tuple[str, ...]) -> np.ndarray:
    """Sample of each QRS (the integrated energy's peak), increasing; empty when none."""
    if not leads or record.fs < 4 * BAND_HZ[1] or record.n_samples < record.fs:
        return np.empty(0, dtype=np.int64)
    sos = sps.butter(2, BAND_HZ, btype="bandpass", fs=record.fs, output="sos")
    energy = np.zeros(record.n_samples)
    for name in leads:
        x = np.asarray(record.signals[record.lead_index(name)], dtype=float)
        x = np.where(np.isfinite(x), x, 0.0)
        energy += np.diff(sps.sosfiltfilt(sos, x), prepend=0.0) ** 2
    width = max(1, int(INTEGRATION_MS * record.fs / 1000.0))
    integrated = np.convolve(energy, np.ones(width) / width, mode="same")
    height = PEAK_SHARE * float(np.percentile(integrated, 99))
    if height <= 0:
        return np.empty(0, dtype=np.int64)
    peaks, _ = sps.find_peaks(integrated, height=height,
                              distance=max(1, int(REFRACTORY_MS * record.fs / 1000.0)))
    return peaks.astype(np.int64)
