"""The trace segmentation network: a compact 2-D U-Net giving each pixel's probability of being
ECG trace ink (the leads' lines and the calibration pulses; not grid, text or stains).

Why this shape: CPU time. A 200-dpi page is about four million pixels and the whole
digitisation of a 300-dpi page must stay under 5 s on two cores. The stem folds each 4 x 4 block
of pixels into channels ("space to depth"), so every 3 x 3 convolution runs at a sixteenth of
the pixels; three poolings give a receptive field of several millimetres, enough to tell a lead
name's letters from a QRS. The head sees the decoder's features beside the block's own pixels
and unfolds one score per input pixel ("depth to space"), so the mask keeps the stroke's full
resolution. For inference the network is rearranged into the same function at a fraction of the
cost (:func:`fused`).

Training code only (torch): the digitiser runs the exported ONNX file
(:mod:`inference.digitize.export`, :mod:`inference.runtime`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from inference.digitize.data import N_FEATURES


@dataclass(frozen=True)
class NetConfig:
    """Hyper-parameters that define the architecture (saved beside the weights)."""

    widths: tuple[int, ...] = (24, 32, 48, 64)
    fold: int = 4
    in_channels: int = N_FEATURES
    head_width: int = 32

    @property
    def multiple(self) -> int:
        """Input height and width must be a multiple of this."""
        return self.fold * 2 ** (len(self.widths) - 1)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "NetConfig":
        data = dict(data)
        data["widths"] = tuple(data["widths"])
        return cls(**data)


def _conv(c_in: int, c_out: int, kernel: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class TraceNet(nn.Module):
    """(batch, in_channels, H, W) float input in 0..1 -> (batch, 1, H, W) logits."""

    def __init__(self, cfg: NetConfig = NetConfig()) -> None:
        super().__init__()
        self.cfg = cfg
        folded = cfg.in_channels * cfg.fold ** 2
        w = cfg.widths
        self.unfold = nn.PixelUnshuffle(cfg.fold)
        self.stem = _conv(folded, w[0], 1)
        self.encoder = nn.ModuleList()
        previous = w[0]
        for width in w:
            self.encoder.append(nn.Sequential(_conv(previous, width), _conv(width, width)))
            previous = width
        self.decoder = nn.ModuleList(_conv(w[i + 1] + w[i], w[i]) for i in range(len(w) - 2, -1, -1))
        self.head = nn.Sequential(_conv(w[0] + folded, cfg.head_width, 1),
                                  nn.Conv2d(cfg.head_width, cfg.fold ** 2, 1))
        self.fold_back = nn.PixelShuffle(cfg.fold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pixels = self.unfold(x - 0.5)
        h = _u_path(self.stem(pixels), self.encoder, self.decoder)
        return self.fold_back(self.head(torch.cat([h, pixels], 1)))


def load_trained(path: Path) -> tuple[TraceNet, dict]:
    """The network saved by :mod:`inference.digitize.train` at ``path`` and the file's fields."""
    blob = torch.load(Path(path), map_location="cpu", weights_only=True)
    model = TraceNet(NetConfig.from_dict(blob["config"]))
    model.load_state_dict(blob["state_dict"])
    return model.eval(), blob


def _u_path(h: torch.Tensor, encoder: nn.ModuleList, decoder: nn.ModuleList) -> torch.Tensor:
    """Down the encoder (pooling between levels), then up the decoder with the skips."""
    skips = []
    for level, block in enumerate(encoder):
        if level:
            h = nn.functional.max_pool2d(h, 2)
        h = block(h)
        skips.append(h)
    for block, skip in zip(decoder, reversed(skips[:-1])):
        h = block(torch.cat([nn.functional.interpolate(h, scale_factor=2.0, mode="nearest"), skip], 1))
    return h


def fused(model: TraceNet) -> nn.Module:
    """The same function as ``model`` in eval mode, rearranged for CPU inference: each batch
    normalisation folded into its convolution; unfolding 4 x 4 blocks into channels and then
    a 1 x 1 convolution (the stem, and the head's view of the pixels) done as one 4 x 4
    convolution of stride 4, which reads the image once instead of copying it; the input's
    centring folded into those convolutions' biases; channels-last memory."""
    return _Inference(model.eval()).eval().to(memory_format=torch.channels_last)


class _Inference(nn.Module):
    def __init__(self, model: TraceNet) -> None:
        super().__init__()
        fold, channels, split = model.cfg.fold, model.cfg.in_channels, model.cfg.widths[0]
        self.stem = _patchify(_folded(model.stem), fold, channels)
        self.encoder = nn.ModuleList(nn.Sequential(*(_with_relu(u) for u in block)) for block in model.encoder)
        self.decoder = nn.ModuleList(_with_relu(unit) for unit in model.decoder)
        head = _folded(model.head[0])  # on [decoder features, unfolded pixels]: split it in two
        self.head_features = nn.Conv2d(split, head.out_channels, 1, bias=False)
        self.head_features.weight.data = head.weight.data[:, :split].clone()
        pixels = nn.Conv2d(head.in_channels - split, head.out_channels, 1)
        pixels.weight.data = head.weight.data[:, split:].clone()
        pixels.bias.data = head.bias.data.clone()
        self.head_pixels = _patchify(pixels, fold, channels)
        self.out = model.head[1]
        self.fold_back = nn.PixelShuffle(fold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = _u_path(torch.relu(self.stem(x)), self.encoder, self.decoder)
        h = torch.relu(self.head_features(h) + self.head_pixels(x))
        return self.fold_back(self.out(h))


def _folded(unit: nn.Sequential) -> nn.Conv2d:
    """The convolution of a (convolution, batch norm, ReLU) unit with the batch norm folded in."""
    return fuse_conv_bn_eval(unit[0], unit[1])


def _with_relu(unit: nn.Sequential) -> nn.Sequential:
    return nn.Sequential(_folded(unit), nn.ReLU(inplace=True))


def _patchify(conv: nn.Conv2d, fold: int, channels: int) -> nn.Conv2d:
    """A 1 x 1 convolution over 4 x 4 blocks unfolded into channels (``nn.PixelUnshuffle``
    order: channel, row, column), applied to ``x - 0.5``, as one convolution of ``x``."""
    weight = conv.weight.data.reshape(conv.out_channels, channels, fold, fold)
    patch = nn.Conv2d(channels, conv.out_channels, fold, stride=fold)
    patch.weight.data = weight.clone()
    patch.bias.data = conv.bias.data - 0.5 * weight.sum(dim=(1, 2, 3))
    return patch
