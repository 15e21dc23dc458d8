"""Min/max ("peak") decimation: reduce a trace to about two points per screen pixel.

Plotting one vertex per sample of a 24 h Holter is neither possible nor useful. Keeping the
minimum and maximum of each pixel-wide bin draws exactly the envelope a full-resolution plot
would show (no QRS complex disappears between two points), at a cost linear in the samples
read. Pure numpy, no Qt.
"""

from __future__ import annotations

import numpy as np


def peak_decimate(
    y: np.ndarray, n_bins: int, *, x0: float = 0.0, dx: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Decimate ``y`` to the min and max of ``n_bins`` equal bins.

    Parameters
    ----------
    y
        1-D samples.
    n_bins
        Number of bins (about the pixel width of the drawn range). When ``y`` has no more
        than ``2 * n_bins`` samples it is returned as is.
    x0, dx
        x of ``y[0]`` and the x step between samples; the returned x are in the same units.

    Returns
    -------
    x, y : numpy.ndarray
        float64 x and y of the same length. Each bin contributes its min then its max
        (in the order they occur, so that a falling edge is drawn falling).
    """
    n = len(y)
    if n_bins <= 0 or n <= 2 * n_bins:
        return x0 + dx * np.arange(n, dtype=np.float64), np.asarray(y, dtype=np.float64)
    size = int(np.ceil(n / n_bins))
    n_full = n // size
    body = np.asarray(y[: n_full * size]).reshape(n_full, size)
    if np.isnan(body).any():
        body = _fill_all_nan(body)
        lo_i, hi_i = np.nanargmin(body, axis=1), np.nanargmax(body, axis=1)
    else:
        lo_i, hi_i = body.argmin(axis=1), body.argmax(axis=1)
    first = np.minimum(lo_i, hi_i)
    second = np.maximum(lo_i, hi_i)
    base = np.arange(n_full) * size
    idx = np.empty(2 * n_full, dtype=np.int64)
    idx[0::2] = base + first
    idx[1::2] = base + second
    tail = np.arange(n_full * size, n)  # the last partial bin, kept as is (fewer than `size`)
    idx = np.concatenate([idx, tail])
    return x0 + dx * idx.astype(np.float64), np.asarray(y, dtype=np.float64)[idx]


def _fill_all_nan(body: np.ndarray) -> np.ndarray:
    """Bins that are all NaN would make nanargmin raise; give them one zero-index NaN-free slot."""
    all_nan = np.isnan(body).all(axis=1)
    if not all_nan.any():
        return body
    body = body.copy()
    body[all_nan, 0] = 0.0
    return body
