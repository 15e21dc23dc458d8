"""The delineation network: a small 1-D U-Net that labels every sample background, P, QRS or T.

Each lead enters on its own (a single input channel, the same weights for every lead), so the
network works on any lead set, including Holter leads such as MLII or V5. Cardiologists mark a
lead's P wave knowing where it is in the other leads; so, at the coarse levels of the encoder,
every lead also sees the mean of all the record's leads' features ("lead fusion": a
permutation-invariant pooling, the same for 1, 2 or 12 leads). It runs at :data:`MODEL_FS`.

Why this shape: CPU time. The first operation folds ``FOLD`` consecutive samples into channels
("space to depth"), so every convolution runs at 125 Hz or below with channel counts the CPU
kernels handle efficiently; the head unfolds the class scores back to one per input sample
("depth to space"). That keeps a 10 s 12-lead record well under 100 ms on two CPU cores
while boundaries stay at the 2 ms resolution of the input.

Training code only (torch): the workstation runs the exported ONNX file
(:mod:`inference.delineation.export`, :mod:`inference.runtime`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from inference.delineation.preprocess import MODEL_FS  # noqa: F401 - the network's rate

#: Samples folded into channels by the stem (500 Hz -> 125 Hz feature rate).
FOLD = 4
#: Output classes, in channel order. Matches :class:`inference.delineation.labels.Label`.
N_CLASSES = 4


@dataclass(frozen=True)
class NetConfig:
    """Hyper-parameters that define the architecture (saved beside the weights)."""

    widths: tuple[int, ...] = (24, 32, 48, 64, 64)
    kernel: int = 5
    decoder_kernel: int = 3
    fold: int = FOLD
    n_classes: int = N_CLASSES
    #: encoder levels (1 = after the first pooling) whose features are fused across leads
    fusion_levels: tuple[int, ...] = (2, 3, 4)

    @property
    def multiple(self) -> int:
        """Input lengths must be a multiple of this (fold times all pooling steps)."""
        return self.fold * 2 ** (len(self.widths) - 1)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "NetConfig":
        data = dict(data)
        data["widths"] = tuple(data["widths"])
        data["fusion_levels"] = tuple(data.get("fusion_levels", ()))
        return cls(**data)


def _conv(c_in: int, c_out: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm1d(c_out),
        nn.ReLU(inplace=True),
    )


class LeadFusion(nn.Module):
    """Mix each lead's features with the mean over the record's leads (1x1 convolution)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.mix = _conv(2 * width, width, 1)

    def forward(self, h: torch.Tensor, n_leads: int) -> torch.Tensor:
        rows, width, *rest = h.shape  # rest: (length,), or (1, length) when planar
        pooled = h.reshape(rows // n_leads, n_leads, width, *rest).mean(dim=1, keepdim=True)
        pooled = pooled.expand(-1, n_leads, *([-1] * (1 + len(rest)))).reshape(h.shape)
        return self.mix(torch.cat([h, pooled], dim=1))


class DelineationNet(nn.Module):
    """U-Net over folded single-lead signals; returns class logits per input sample.

    Input ``(records, leads, length)`` with ``length`` a multiple of ``config.multiple``
    (any number of leads, 1 included); output ``(records, leads, n_classes, length)``.
    """

    def __init__(self, config: NetConfig = NetConfig()) -> None:
        super().__init__()
        self.config = config
        w, k, kd = config.widths, config.kernel, config.decoder_kernel
        self.stem = nn.Sequential(_conv(config.fold, w[0], k), _conv(w[0], w[0], k))
        self.down = nn.ModuleList(
            nn.Sequential(nn.MaxPool1d(2), _conv(w[i], w[i + 1], k), _conv(w[i + 1], w[i + 1], k))
            for i in range(len(w) - 1)
        )
        self.up = nn.ModuleList(
            _conv(w[i + 1] + w[i], w[i], kd) for i in reversed(range(len(w) - 1))
        )
        self.head = nn.Conv1d(w[0], config.n_classes * config.fold, 1)
        self.fusion = nn.ModuleDict({str(level): LeadFusion(w[level])
                                     for level in config.fusion_levels})
        #: set by :func:`make_planar` for inference: tensors are (batch, channels, 1, length)
        self.planar = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        records, n_leads, length = x.shape
        batch = records * n_leads
        fold = self.config.fold
        # space to depth: (B, L) -> (B, fold, L / fold), sample t*fold+j in channel j
        h = x.reshape(batch, length // fold, fold).transpose(1, 2)
        if self.planar:
            h = h.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        skips = [self.stem(h)]
        for level, block in enumerate(self.down, start=1):
            h = block(skips[-1])
            if str(level) in self.fusion:
                h = self.fusion[str(level)](h, n_leads)
            skips.append(h)
        h = skips.pop()
        for block in self.up:
            skip = skips.pop()
            h = nn.functional.interpolate(h, size=skip.shape[2:], mode="nearest")
            h = block(torch.cat([h, skip], dim=1))
        out = self.head(h)  # (B, classes * fold, L / fold)
        if self.planar:
            out = out.squeeze(2)
        # depth to space: channel c*fold+j at step t -> class c at sample t*fold+j
        out = out.reshape(batch, self.config.n_classes, fold, length // fold)
        out = out.permute(0, 1, 3, 2).reshape(batch, self.config.n_classes, length)
        return out.reshape(records, n_leads, self.config.n_classes, length)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class Probabilities(nn.Module):
    """The network followed by the softmax over classes: what inference runs.

    Input ``(records, leads, length)``; output ``(records, leads, n_classes, length)``.
    """

    def __init__(self, net: DelineationNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=2)


class TorchNetwork:
    """A torch network with the :class:`inference.delineation.predict.Network` interface
    (numpy in, probabilities out): what training validates with before anything is exported."""

    def __init__(self, model: DelineationNet) -> None:
        self._model = Probabilities(model)
        self.multiple = model.config.multiple

    def __call__(self, x: np.ndarray) -> np.ndarray:
        device = next(self._model.parameters()).device
        with torch.inference_mode():
            return self._model(torch.from_numpy(x).to(device)).cpu().numpy()


def fuse_batchnorm(model: DelineationNet) -> DelineationNet:
    """Fold every BatchNorm into the convolution before it (inference only: fewer passes)."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    for module in model.modules():
        if isinstance(module, nn.Sequential) and len(module) == 3 \
                and isinstance(module[1], nn.BatchNorm1d):
            module[0] = fuse_conv_bn_eval(module[0], module[1])
            module[1] = nn.Identity()
    return model


def load_trained(path: Path) -> tuple[DelineationNet, dict]:
    """The network saved by :mod:`inference.delineation.train` (or fine-tuning) at ``path``,
    as saved (batch norm unfused, trainable), and the file's other fields."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = DelineationNet(NetConfig.from_dict(blob["config"]))
    model.load_state_dict(blob["state_dict"])
    return model, blob


def make_planar(model: DelineationNet) -> DelineationNet:
    """Run the (trained, evaluation-mode) network as (1 x k) 2-D convolutions, channels last.

    Same weights, same results to float rounding. The ONNX export is made of this form:
    ONNX Runtime's 2-D convolutions (blocked channel layout) run the network about a quarter
    faster than its 1-D ones (measured: a 2-lead 132 s window 39 -> 29 ms on two cores), as
    oneDNN's did under torch. Inference only.
    """
    for module in list(model.modules()):
        for name, child in module.named_children():
            if isinstance(child, nn.Conv1d):
                conv = nn.Conv2d(child.in_channels, child.out_channels, (1, child.kernel_size[0]),
                                 padding=(0, child.padding[0]), bias=child.bias is not None)
                conv.weight.data = child.weight.data.unsqueeze(2).clone()
                if child.bias is not None:
                    conv.bias.data = child.bias.data.clone()
                setattr(module, name, conv.to(memory_format=torch.channels_last))
            elif isinstance(child, nn.MaxPool1d):
                setattr(module, name, nn.MaxPool2d((1, 2)))
    model.planar = True
    return model.eval()
