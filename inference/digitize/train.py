"""Train the trace segmentation network on synthetic prints of LUDB's training records.

Run: ``python -m inference.digitize.train --out resources/models`` (about 25 minutes on one
CPU thread). Pages are rendered from the train split only (every degradation level, paper
style and layout the generator draws, 150 to 250 dpi), the validation split gives the pixel
scores and the probability threshold; the test split is never read. Training runs on random
256 x 256 crops, most of them centred on trace ink, with binary cross-entropy plus a soft Dice
term (trace is about 2 % of a page). Everything is seeded; the number of steps is fixed, so a
run is reproducible. Writes ``trace-segmentation.pt``, its ONNX export ``trace-segmentation.onnx``
(what the digitiser runs, see :mod:`inference.digitize.export`) and ``TRACE_MODEL_CARD.md`` to
``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from inference.digitize.data import Page, resize, training_page
from inference.digitize.export import export_weights
from inference.digitize.model import NetConfig, TraceNet
from inference.digitize.predict import (MAX_PX_PER_MM, MIN_PX_PER_MM, MODEL_NAME, PAGE_LONG_SIDE_MM,
                                        WORK_PX_PER_MM)
from inference.runtime import sha256
from workstation.core.layout import LayoutKind
from workstation.io import read_ecg
from workstation.scan.synth import CAPTURE_CLASSES, GRID_STYLES

MODEL_VERSION = "1.2"
ROOT = Path(__file__).resolve().parents[2]
LUDB = ROOT.parent / "shared" / "data" / "ludb"
#: Share of pages per level: every level and capture class of the generator; clean prints and
#: scans, which the thresholds already read, get the least.
LEVEL_SHARE = {"clean": 0.08, "scan": 0.08, "photo": 0.12, **{c: 0.09 for c in CAPTURE_CLASSES}}
#: Share of pages with handwriting and stamps over the trace, and with extra sensor noise and
#: JPEG (:mod:`inference.digitize.augment`).
MARKS_SHARE = 0.5
CAMERA_SHARE = 0.5
KIND_SHARE = {LayoutKind.STANDARD_3X4_RHYTHM: 0.6, LayoutKind.SIX_BY_TWO: 0.2,
              LayoutKind.TWELVE_BY_ONE: 0.2}
DPIS = (150.0, 200.0, 250.0)
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass(frozen=True)
class TrainConfig:
    pages: int = 80
    val_pages: int = 12
    steps: int = 2500
    batch: int = 8
    crop: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    #: share of crops centred on a trace pixel (the rest anywhere: margins, text, table)
    on_trace: float = 0.7
    seed: int = 0
    #: weights to start from (an earlier version's), or None for a fresh network
    init: Path | None = None


def make_pages(names: list[str], n: int, seed: int, log) -> list[Page]:
    """``n`` pages from the records ``names`` (cycled), with level, layout, dpi and paper style
    drawn from a generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    levels = list(LEVEL_SHARE)
    kinds = list(KIND_SHARE)
    styles = list(GRID_STYLES)
    pages = []
    start = time.perf_counter()
    for i in range(n):
        record = read_ecg(LUDB / f"{names[i % len(names)]}.hea")
        level = levels[rng.choice(len(levels), p=list(LEVEL_SHARE.values()))]
        kind = kinds[rng.choice(len(kinds), p=list(KIND_SHARE.values()))]
        page = training_page(record, level=level, seed=int(rng.integers(1 << 31)), kind=kind,
                             dpi=float(rng.choice(DPIS)), style=str(rng.choice(styles)),
                             marks=bool(rng.random() < MARKS_SHARE),
                             camera=bool(rng.random() < CAMERA_SHARE))
        pages.append(at_work_scale(page))
        if (i + 1) % 10 == 0 or i + 1 == n:
            log(f"  {i + 1}/{n} pages ({time.perf_counter() - start:.0f} s)")
    return pages


def at_work_scale(page: Page) -> Page:
    """The page as the network sees it at inference (:mod:`inference.digitize.predict` shrinks
    pages finer than its working resolution, and enlarges coarse ones: e-mailed pages,
    screenshots)."""
    h, w = page.mask.shape
    ppm = max(h, w) / PAGE_LONG_SIDE_MM
    if MIN_PX_PER_MM <= ppm <= MAX_PX_PER_MM:
        return page
    scale = WORK_PX_PER_MM / ppm
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    features = resize(page.features, size, cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR)
    mask = cv2.resize(page.mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) >= 0.5
    return Page(features, mask)


def sample_batch(pages: list[Page], cfg: TrainConfig, rng: np.random.Generator,
                 trace_points: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = [], []
    c = cfg.crop
    for _ in range(cfg.batch):
        k = int(rng.integers(len(pages)))
        page = pages[k]
        h, w = page.mask.shape
        if rng.random() < cfg.on_trace and len(trace_points[k]):
            cy, cx = trace_points[k][rng.integers(len(trace_points[k]))]
            y0 = int(np.clip(cy - c // 2 + rng.integers(-c // 4, c // 4 + 1), 0, h - c))
            x0 = int(np.clip(cx - c // 2 + rng.integers(-c // 4, c // 4 + 1), 0, w - c))
        else:
            y0, x0 = int(rng.integers(h - c + 1)), int(rng.integers(w - c + 1))
        xs.append(page.features[y0:y0 + c, x0:x0 + c])
        ys.append(page.mask[y0:y0 + c, x0:x0 + c])
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float().div_(255.0)
    y = torch.from_numpy(np.stack(ys)[:, None].astype(np.float32))
    return x, y


def loss_fn(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    bce = nn.functional.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    dice = 1.0 - (2.0 * (p * target).sum() + 1.0) / (p.sum() + target.sum() + 1.0)
    return bce + dice


def pixel_scores(model: TraceNet, pages: list[Page]) -> dict[float, dict[str, float]]:
    """Precision, recall, F1 and IoU of the trace mask over ``pages``, per threshold."""
    counts = {t: np.zeros(3) for t in THRESHOLDS}  # true positive, false positive, false negative
    model.eval()
    m = model.cfg.multiple
    with torch.inference_mode():
        for page in pages:
            h, w = page.mask.shape
            x = cv2.copyMakeBorder(page.features, 0, -h % m, 0, -w % m, cv2.BORDER_REPLICATE)
            prob = torch.sigmoid(model(torch.from_numpy(x).permute(2, 0, 1)[None].float() / 255.0))
            prob = prob[0, 0, :h, :w].numpy()
            for t in THRESHOLDS:
                pred = prob > t
                counts[t] += [np.sum(pred & page.mask), np.sum(pred & ~page.mask), np.sum(~pred & page.mask)]
    model.train()
    scores = {}
    for t, (tp, fp, fn) in counts.items():
        precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        scores[t] = {"precision": precision, "recall": recall,
                     "f1": 2 * precision * recall / max(precision + recall, 1e-9),
                     "iou": tp / max(tp + fp + fn, 1)}
    return scores


def train(out: Path, cfg: TrainConfig) -> None:
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    splits = json.loads((LUDB / "splits.json").read_text())
    log_lines: list[str] = []

    def log(line: str) -> None:
        print(line, flush=True)
        log_lines.append(line)

    began = time.perf_counter()
    log(f"rendering {cfg.pages} training pages from {len(splits['train'])} LUDB train records")
    train_pages = make_pages(splits["train"], cfg.pages, cfg.seed, log)
    log(f"rendering {cfg.val_pages} validation pages from {len(splits['validation'])} LUDB validation records")
    val_pages = make_pages(splits["validation"], cfg.val_pages, cfg.seed + 1, log)
    rendering_s = time.perf_counter() - began
    trace_points = [np.argwhere(p.mask) for p in train_pages]

    model = TraceNet()
    if cfg.init is not None:
        model.load_state_dict(torch.load(cfg.init, map_location="cpu", weights_only=False)["state_dict"])
        log(f"starting from {cfg.init.name}")
    n_params = sum(p.numel() for p in model.parameters())
    log(f"network: {n_params} parameters; {cfg.steps} steps of {cfg.batch} crops of {cfg.crop} px")
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.1)
    start = time.perf_counter()
    running = 0.0
    for step in range(1, cfg.steps + 1):
        x, y = sample_batch(train_pages, cfg, rng, trace_points)
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
        running += loss.item()
        if step % 200 == 0:
            log(f"step {step:>5}  loss {running / 200:.4f}  ({time.perf_counter() - start:.0f} s)")
            running = 0.0
    training_s = time.perf_counter() - start

    scores = pixel_scores(model, val_pages)
    threshold = max(scores, key=lambda t: scores[t]["f1"])
    for t, s in scores.items():
        log(f"validation threshold {t:.1f}: precision {s['precision']:.3f} recall {s['recall']:.3f} "
            f"F1 {s['f1']:.3f} IoU {s['iou']:.3f}")
    out.mkdir(parents=True, exist_ok=True)
    weights = out / f"{MODEL_NAME}.pt"
    torch.save({"name": MODEL_NAME, "version": MODEL_VERSION, "config": NetConfig().to_dict(),
                "state_dict": model.state_dict(), "threshold": threshold}, weights)
    exported = export_weights(weights)
    log(f"wrote {weights} ({weights.stat().st_size / 1e6:.2f} MB), threshold {threshold}, "
        f"and {exported}")
    files = {path.name: sha256(path) for path in (weights, exported)}
    (out / "TRACE_MODEL_CARD.md").write_text(_card(cfg, n_params, rendering_s, training_s,
                                                   scores[threshold], threshold, splits, log_lines,
                                                   files))


def _card(cfg: TrainConfig, n_params: int, rendering_s: float, training_s: float,
          best: dict[str, float], threshold: float, splits: dict, log_lines: list[str],
          files: dict[str, str]) -> str:
    losses = [line for line in log_lines if line.startswith("step")]
    shown = losses[:: max(1, len(losses) // 6)]
    if losses and shown[-1] != losses[-1]:
        shown.append(losses[-1])
    digests = "\n".join(f"- `{name}`: `{digest}`" for name, digest in files.items())
    return f"""# Trace segmentation model card

**{MODEL_NAME} {MODEL_VERSION}**: a compact 2-D U-Net ({n_params:,} parameters, space-to-depth
by 4, widths {NetConfig().widths}) giving each pixel of a straightened paper ECG the probability
of being trace ink: the leads' lines, the calibration pulses and the bars between segments; not
the grid, the lead names, the header text, stains, creases or the table around a photographed
page. `inference.digitize.learned_ink` is the digitiser's ink finder built on it
(`workstation.scan.digitize.digitize(image, ink=learned_ink)`).

## Data
- Synthetic prints from `workstation/scan/synth.py` of the **LUDB train split only**
  ({len(splits['train'])} records): {cfg.pages} pages over every level and capture class of the
  generator, shares {dict(LEVEL_SHARE)},
  layouts 3x4+rhythm / 6x2 / 12x1 ({', '.join(f'{v:.0%}' for v in KIND_SHARE.values())}),
  paper {', '.join(GRID_STYLES)}, {', '.join(f'{d:g}' for d in DPIS)} dpi (finer pages are shrunk to
  200 dpi, as at inference, and pages under 140 dpi enlarged to it).
- On {MARKS_SHARE:.0%} of the pages, 1-5 handwritten words, circles or arrows and 0-2 stamps drawn over
  the print before its degradation; on {CAMERA_SHARE:.0%}, extra sensor noise (sigma 0-20 of 255) and a
  JPEG recompression at quality 20-75 after it (`inference/digitize/augment.py`). The target
  never includes them: it is taken from the clean print before any mark is drawn.
- Target masks: the pixels the classical thresholds find on the *clean* print within a pixel of
  the trace's strokes (redrawn with the generator's geometry), carried through the same seeded
  degradation as the page, then straightened as the digitiser straightens a page
  (`inference/digitize/data.py`): on a scan or photo the network is to give the mask the line
  tracer was tuned for on a perfect print.
- Validation: {cfg.val_pages} pages of the **LUDB validation split** ({len(splits['validation'])}
  records) for the pixel scores and the threshold. The test split is never read in training.

## Training
{cfg.steps} steps of {cfg.batch} random {cfg.crop} x {cfg.crop} crops ({cfg.on_trace:.0%} centred on
trace), AdamW (lr {cfg.lr:g}, one-cycle), BCE + soft Dice, seed {cfg.seed},
{'started from `' + cfg.init.name + '` (the previous version), ' if cfg.init else ''}on the CPU:
rendering {rendering_s / 60:.1f} min, training {training_s / 60:.1f} min.
Loss: {'; '.join(line.split('(')[0].strip() for line in shown)}.

Reproduce: `python -m inference.digitize.train --out resources/models{' --init ' + cfg.init.name if cfg.init else ''}`.

## Files (version {MODEL_VERSION}; SHA-256)
The digitiser runs the ONNX export with ONNX Runtime; the weights are what training and the
export read.

{digests}

## Measured (validation pages, pixel level, threshold {threshold:.1f})
precision {best['precision']:.3f}, recall {best['recall']:.3f}, F1 {best['f1']:.3f}, IoU {best['iou']:.3f}.

Digitisation SNR against the classical thresholds: `benchmarks/digitize_learned.py` (below).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "models")
    defaults = TrainConfig()
    parser.add_argument("--pages", type=int, default=defaults.pages)
    parser.add_argument("--val-pages", type=int, default=defaults.val_pages)
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--init", type=Path, default=None, help="weights to start from (.pt)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train(args.out, TrainConfig(pages=args.pages, val_pages=args.val_pages, steps=args.steps,
                                seed=args.seed, init=args.init))


if __name__ == "__main__":
    main()
