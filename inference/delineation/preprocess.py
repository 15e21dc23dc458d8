"""Signal preparation shared by training and inference, so the network sees the same thing.

Gaps (NaN) are bridged by linear interpolation, baseline wander is removed with the display
module's zero-phase 0.67 Hz high-pass (zero phase: boundaries do not move; AHA/ACCF/HRS 2007,
Kligfield et al.), and each lead is divided by its robust amplitude so that a 0.3 mV lead and
a 3 mV lead look alike to the network.
"""

from __future__ import annotations

import numpy as np

from workstation.core.conditioning import remove_baseline

#: Sampling rate the network works at; other rates are resampled to it and back.
MODEL_FS = 500.0
#: Amplitude floor (mV): a flat or disconnected lead is not blown up into noise.
MIN_SCALE_MV = 0.1
#: Percentiles whose distance is the lead's robust amplitude (about the QRS excursion).
SCALE_PERCENTILES = (0.5, 99.5)


def fill_gaps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bridge NaN gaps linearly per lead; returns (filled float64 copy, finite mask)."""
    x = np.array(x, dtype=np.float64, ndmin=2)
    valid = np.isfinite(x)
    if valid.all():
        return x, valid
    index = np.arange(x.shape[-1])
    for row in range(x.shape[0]):
        good = valid[row]
        x[row] = np.interp(index, index[good], x[row, good]) if good.any() else 0.0
    return x, valid


def robust_scale(x: np.ndarray) -> np.ndarray:
    """Per-lead amplitude (mV), shape (leads, 1), never below :data:`MIN_SCALE_MV`."""
    lo, hi = np.percentile(x, SCALE_PERCENTILES, axis=-1)
    return np.maximum(hi - lo, MIN_SCALE_MV)[:, None]


def prepare(signals: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Network input from raw mV leads.

    Parameters
    ----------
    signals
        (leads, samples) mV at ``fs``; NaN marks missing samples.
    fs
        Sampling rate in Hz.

    Returns
    -------
    (normalised float32 input, baseline-free mV float64, finite mask), each (leads, samples).
    """
    filled, valid = fill_gaps(signals)
    clean = remove_baseline(filled, fs)
    normalised = (clean / robust_scale(clean)).astype(np.float32)
    return normalised, clean, valid
