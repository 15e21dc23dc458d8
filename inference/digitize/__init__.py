"""A learned ink finder for the paper-ECG digitiser: which pixels of a straightened page are
the ECG trace (see :mod:`inference.digitize.model` for the network, ``TRACE_MODEL_CARD.md`` for
its data and figures).

:func:`learned_ink` has the :data:`workstation.scan.digitize.InkFinder` signature, so
``digitize(image, ink=learned_ink)`` digitises with it in place of the classical thresholds.
Importing this package does not import torch; the network is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from workstation.scan.page import Contrast


def learned_ink(image: "np.ndarray", contrast: "Contrast") -> "np.ndarray":
    """Boolean mask (the image's height and width) of the trace's pixels on the straightened
    page ``image`` (BGR uint8), found by the shipped segmentation network."""
    from inference.digitize.predict import default_segmenter

    return default_segmenter().mask(image, contrast)
