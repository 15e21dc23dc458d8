"""Running the trace segmentation on a straightened page.

The network was trained on pages of 150 to 250 dpi. A page finer than :data:`MAX_PX_PER_MM`
(about 230 dpi) or coarser than :data:`MIN_PX_PER_MM` (about 140 dpi: screenshots, faxes, small
phone photos) is brought to :data:`WORK_PX_PER_MM` (200 dpi) first and the probabilities are
brought back to the page's size; so a 300-dpi page costs what a 200-dpi one does. The scale is
judged from the page's long side, which the digitiser has already cropped to the sheet (A4 is
297 mm long).

The network runs as its ONNX export under ONNX Runtime (:mod:`inference.runtime`): no torch at
run time. Its metadata carries the name, version and probability threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from inference.digitize.data import features, resize
from inference.runtime import metadata, onnx_path, open_session, run
from workstation.scan.page import Contrast

MODELS = Path(__file__).resolve().parents[2] / "resources" / "models"
#: The trained weights (torch reads them; the export is made from them).
WEIGHTS_PATH = MODELS / "trace-segmentation.pt"
#: The same network exported for ONNX Runtime: what the digitiser runs.
MODEL_PATH = MODELS / "trace-segmentation.onnx"
MODEL_NAME = "trace-segmentation"
#: Outside these resolutions (px/mm, judged from the page's long side) the page is rescaled first.
MIN_PX_PER_MM = 5.5
MAX_PX_PER_MM = 9.0
WORK_PX_PER_MM = 200.0 / 25.4
PAGE_LONG_SIDE_MM = 297.0


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    threshold: float  # probability above which a pixel is trace ink


class OnnxNetwork:
    """The exported network run by ONNX Runtime: ``(1, channels, H, W)`` float32 in 0..1 ->
    ``(1, 1, H, W)`` logits, ``H`` and ``W`` multiples of :attr:`multiple`."""

    def __init__(self, path: Path) -> None:
        self._session = open_session(path)
        fields = metadata(self._session)
        self.info = ModelInfo(fields["name"], fields["version"], float(fields["threshold"]))
        self.multiple = int(fields["multiple"])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return run(self._session, x)


class TraceSegmenter:
    """The loaded network and its threshold."""

    def __init__(self, network: Callable[[np.ndarray], np.ndarray], info: ModelInfo,
                 multiple: int) -> None:
        self._network = network
        self.info = info
        self._multiple = multiple

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> "TraceSegmenter":
        """The network exported by :mod:`inference.digitize.export` at ``path`` (an ``.onnx``
        file, or weights with their ``.onnx`` beside them). OSError, KeyError or ONNX Runtime's
        errors when the file is missing or is not such a network."""
        network = OnnxNetwork(onnx_path(Path(path)))
        return cls(network, network.info, network.multiple)

    def probability(self, image: np.ndarray, contrast: Contrast) -> np.ndarray:
        """Each pixel's probability (float32, the image's height and width) of being trace ink."""
        x = features(image, contrast)
        h, w = x.shape[:2]
        ppm = max(h, w) / PAGE_LONG_SIDE_MM
        if not MIN_PX_PER_MM <= ppm <= MAX_PX_PER_MM:
            scale = WORK_PX_PER_MM / ppm
            x = resize(x, (max(1, round(w * scale)), max(1, round(h * scale))),
                       cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR)
        logits = self._logits(x)
        if logits.shape != (h, w):
            logits = cv2.resize(logits, (w, h), interpolation=cv2.INTER_LINEAR if logits.shape[0] < h
                                else cv2.INTER_AREA)
        return 1.0 / (1.0 + np.exp(-logits))

    def mask(self, image: np.ndarray, contrast: Contrast) -> np.ndarray:
        """Boolean mask of the trace ink (the :data:`workstation.scan.digitize.InkFinder` contract)."""
        return self.probability(image, contrast) > self.info.threshold

    def _logits(self, x: np.ndarray) -> np.ndarray:
        h, w = x.shape[:2]
        m = self._multiple
        padded = cv2.copyMakeBorder(x, 0, -h % m, 0, -w % m, cv2.BORDER_REPLICATE)
        tensor = padded.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(255.0)
        out = self._network(tensor)
        return np.ascontiguousarray(out[0, 0, :h, :w], dtype=np.float32)


@lru_cache(maxsize=1)
def default_segmenter() -> TraceSegmenter:
    """The shipped network, loaded once."""
    return TraceSegmenter.load(MODEL_PATH)
