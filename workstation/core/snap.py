"""Snapping a dragged boundary to where the signal says it is.

When snapping is on, a dropped peak goes to the local extremum of the lead (the sample
farthest from the local baseline), and a dropped onset or offset goes to the local
isoelectric point: where the signal is flattest, weighted towards staying close to where
the user let go. Both search a small window (:data:`SNAP_WINDOW_S`) around the drop, so
snapping corrects a few milliseconds of hand jitter and never jumps to another wave.

No Qt, no torch.
"""

from __future__ import annotations

import numpy as np

from workstation.core.annotation import Boundary

#: Half-width of the search window around the dropped position (s).
SNAP_WINDOW_S = 0.020
#: Half-width of the context whose median is taken as the baseline for a peak (s).
BASELINE_WINDOW_S = 0.4
#: How strongly the isoelectric search prefers the drop position (fraction of slope range).
DISTANCE_PENALTY = 0.25


def snap_position(signal: np.ndarray, fs: float, sample: int, which: Boundary,
                  lo: int = 0, hi: int | None = None) -> int:
    """Where ``which`` dropped at ``sample`` snaps to on ``signal`` (one lead, mV).

    Parameters
    ----------
    signal
        The lead's samples (the whole lead, or at least around ``sample``).
    fs
        Sampling rate (Hz).
    sample
        Where the user let go.
    which
        PEAK snaps to the local extremum; ONSET/OFFSET to the local isoelectric point.
    lo, hi
        The range the result must stay in (the wave's other boundaries), inclusive.

    Returns
    -------
    int
        The snapped sample; ``sample`` itself when the window holds no usable signal.
    """
    n = len(signal)
    hi = n - 1 if hi is None else min(hi, n - 1)
    lo = max(lo, 0)
    if hi < lo or not 0 <= sample < n:
        return int(sample)
    half = max(1, int(round(SNAP_WINDOW_S * fs)))
    start, stop = max(lo, sample - half), min(hi, sample + half) + 1
    if stop - start < 3:
        return int(sample)
    window = np.asarray(signal[start:stop], dtype=np.float64)
    if not np.all(np.isfinite(window)):
        return int(sample)
    offsets = np.arange(start, stop) - sample
    if which is Boundary.PEAK:
        wide = int(round(BASELINE_WINDOW_S * fs))
        context = np.asarray(signal[max(0, sample - wide):min(n, sample + wide + 1)], dtype=np.float64)
        baseline = float(np.nanmedian(context))
        return int(start + np.argmax(np.abs(window - baseline)))
    slope = np.abs(np.gradient(window))
    spread = float(slope.max() - slope.min())
    if spread <= 0:
        return int(sample)
    cost = (slope - slope.min()) / spread + DISTANCE_PENALTY * np.abs(offsets) / half
    return int(start + np.argmin(cost))
