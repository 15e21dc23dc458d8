"""Signal conditioning for display: baseline-wander removal, powerline notch, low-pass, resampling.

These filters change what the clinician *sees*; they are applied to a copy and never to the
stored raw signal. All filters are zero-phase (forward-backward) so that wave boundaries do
not shift in time, as the AHA recommends for diagnostic display (Kligfield et al.,
Circulation 2007;115:1306-1324: high-pass no higher than 0.67 Hz for zero-phase filters,
low-pass at least 150 Hz for diagnostic adult ECGs; 40 Hz is a common "monitoring" setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal as sps

#: High-pass corner for baseline-wander removal (Hz). 0.67 Hz is the highest zero-phase
#: corner that preserves the ST segment (AHA/ACCF/HRS 2007, Kligfield et al.).
BASELINE_CUTOFF_HZ = 0.67
NOTCH_Q = 30.0  # narrow notch: -3 dB band of about 1.7 Hz at 50 Hz


@dataclass(frozen=True)
class ConditioningSettings:
    """Which display filters are on. The default is the raw signal."""

    baseline_removal: bool = False
    notch_hz: float | None = None  # 50 or 60
    lowpass_hz: float | None = None  # e.g. 40 or 150

    @property
    def is_raw(self) -> bool:
        return not self.baseline_removal and self.notch_hz is None and self.lowpass_hz is None


def condition(signals: np.ndarray, fs: float, settings: ConditioningSettings) -> np.ndarray:
    """Apply the display filters in ``settings`` to a copy of ``signals``.

    Parameters
    ----------
    signals
        float mV, shape (leads, samples) or (samples,).
    fs
        Sampling rate in Hz.
    settings
        Which filters to apply. Filters whose corner is at or above Nyquist are skipped.

    Returns
    -------
    numpy.ndarray
        float32 array of the same shape; the input is never modified.
    """
    out = np.array(signals, dtype=np.float64, copy=True)
    if settings.baseline_removal:
        out = remove_baseline(out, fs)
    if settings.notch_hz is not None:
        out = notch(out, fs, settings.notch_hz)
    if settings.lowpass_hz is not None:
        out = lowpass(out, fs, settings.lowpass_hz)
    return out.astype(np.float32)


def remove_baseline(x: np.ndarray, fs: float, cutoff_hz: float = BASELINE_CUTOFF_HZ) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth high-pass (second-order sections for stability)."""
    sos = sps.butter(2, cutoff_hz, btype="highpass", fs=fs, output="sos")
    return _filtfilt(sos, x)


def notch(x: np.ndarray, fs: float, freq_hz: float, q: float = NOTCH_Q) -> np.ndarray:
    """Zero-phase IIR notch at the powerline frequency (50 or 60 Hz)."""
    if freq_hz >= fs / 2:
        return x
    b, a = sps.iirnotch(freq_hz, q, fs=fs)
    return _filtfilt(sps.tf2sos(b, a), x)


def lowpass(x: np.ndarray, fs: float, cutoff_hz: float) -> np.ndarray:
    """Zero-phase 4th-order Butterworth low-pass; skipped when the corner is at or above Nyquist."""
    if cutoff_hz >= fs / 2:
        return x
    sos = sps.butter(4, cutoff_hz, btype="lowpass", fs=fs, output="sos")
    return _filtfilt(sos, x)


def resample(x: np.ndarray, fs: float, target_fs: float) -> np.ndarray:
    """Polyphase resampling along the last axis (anti-aliased), e.g. 1000 Hz -> 500 Hz."""
    if fs == target_fs:
        return np.array(x, dtype=np.float32, copy=True)
    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    y = sps.resample_poly(x, ratio.numerator, ratio.denominator, axis=-1)
    return y.astype(np.float32)


def _filtfilt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    # sosfiltfilt needs a minimum length; a signal too short to filter is shown unfiltered
    # rather than padded with invented data.
    padlen = 3 * (2 * len(sos) + 1)
    if x.shape[-1] <= padlen:
        return x
    finite = np.isfinite(x)
    if finite.all():
        return sps.sosfiltfilt(sos, x, axis=-1)
    # NaN marks "no signal here" (e.g. digitised segments); filter with zeros, restore the gaps.
    y = sps.sosfiltfilt(sos, np.where(finite, x, 0.0), axis=-1)
    return np.where(finite, y, np.nan)
