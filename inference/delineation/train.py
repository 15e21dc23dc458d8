"""Train the delineation network on the LUDB training split.

One reproducible command (seeded; prints progress; resumable; uses a GPU when present)::

    .venv/bin/python -m inference.delineation.train --out resources/models

Writes ``OUT/delineation-unet.pt`` (the weights of the epoch that scored best on the
validation split) and ``OUT/checkpoint.pt`` (everything needed to resume after an
interruption: run the same command with ``--resume``). The test split is never read here.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from inference.delineation.augment import AugmentConfig, augment
from inference.delineation.data import LeadSet, Split, default_ludb_dir, load_leads, split_records
from inference.delineation.labels import IGNORE
from inference.delineation.model import MODEL_FS, DelineationNet, NetConfig, count_parameters
from inference.delineation.predict import WEIGHTS_FILE, Delineator, ModelInfo
from inference.delineation.preprocess import prepare
from inference.delineation.scoring import (CSE_SD_MS, Boundary, LeadBoundaries, Scores,
                                           reference_boundaries)

MODEL_NAME = "ecgws-delineation-unet"
MODEL_VERSION = "1.0.0"
CHECKPOINT_FILE = "checkpoint.pt"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (with the seed, it is reproducible)."""

    epochs: int = 60
    batch: int = 32
    crop: int = 4096  # samples at 500 Hz: 8.2 s of context per example
    lr: float = 3e-3
    weight_decay: float = 1e-4
    seed: int = 20240503
    net: NetConfig = NetConfig()


def make_batch(rng: np.random.Generator, data: LeadSet, rows: np.ndarray, crop: int,
               aug: AugmentConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Augmented, prepared inputs (B, 1, crop) and labels (B, crop) for ``rows``."""
    xs, ys = zip(*(augment(rng, data.signals[r].astype(np.float64), data.labels[r], crop, aug)
                   for r in rows))
    x, _, _ = prepare(np.stack(xs), MODEL_FS)
    return torch.from_numpy(x[:, None, :]), torch.from_numpy(np.stack(ys).astype(np.int64))


def validate(model: DelineationNet, data: LeadSet, device: torch.device) -> Scores:
    """Boundary scores on ``data`` with the model as it is now (post-processing included)."""
    model.eval()
    delineator = Delineator(model, ModelInfo(MODEL_NAME, "training"))
    scores = Scores()
    try:
        for lo in range(0, len(data.rows), 48):
            segments = delineator.segments(data.signals[lo:lo + 48].astype(np.float64))
            for segs, (samples, symbols) in zip(segments, data.marks[lo:lo + 48]):
                pred = LeadBoundaries({b: (segs[b.kind].onset if b.is_onset else segs[b.kind].offset)
                                       for b in Boundary})
                scores.add(reference_boundaries(samples, symbols), pred, data.fs)
    finally:
        model.train()
    return scores


def selection_score(scores: Scores) -> float:
    """Mean F1 (%) less the mean SD as a fraction of its CSE tolerance: higher is better."""
    sd = [scores[b].sd_ms / CSE_SD_MS[b.label] for b in Boundary if b.label in CSE_SD_MS]
    return 100 * scores.mean_f1() - float(np.nanmean(sd))


def format_scores(scores: Scores) -> str:
    return "  ".join(f"{b.label} F1 {100 * scores[b].f1:.2f} {scores[b].mean_ms:+.1f}"
                     f"±{scores[b].sd_ms:.1f}" for b in Boundary)


def save_weights(path: Path, model: DelineationNet, cfg: TrainConfig, meta: dict) -> None:
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"name": MODEL_NAME, "version": MODEL_VERSION, "config": cfg.net.to_dict(),
                "state_dict": state, "training": meta}, path)


def train(out: Path, data_dir: Path, cfg: TrainConfig, resume: bool, threads: int) -> None:
    torch.set_num_threads(threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    train_set = load_leads(data_dir, split_records(data_dir, Split.TRAIN))
    val_set = load_leads(data_dir, split_records(data_dir, Split.VALIDATION))
    print(f"data: {len(train_set.rows)} train leads, {len(val_set.rows)} validation leads "
          f"({time.perf_counter() - t0:.1f} s); device {device}, {threads} threads", flush=True)

    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = DelineationNet(cfg.net).to(device)
    steps_per_epoch = len(train_set.rows) // cfg.batch
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, pct_start=0.15,
                                                total_steps=cfg.epochs * steps_per_epoch)
    start_epoch, best, history = 0, -np.inf, []
    ckpt_path = out / CHECKPOINT_FILE
    if resume and ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
        rng.bit_generator.state = ckpt["rng"]
        torch.set_rng_state(ckpt["torch_rng"])
        start_epoch, best, history = ckpt["epoch"], ckpt["best"], ckpt["history"]
        print(f"resumed from {ckpt_path} after epoch {start_epoch}", flush=True)
    print(f"model: {count_parameters(model)} parameters, {cfg}", flush=True)

    aug = AugmentConfig()
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=IGNORE)
    for epoch in range(start_epoch, cfg.epochs):
        te = time.perf_counter()
        order = rng.permutation(len(train_set.rows))
        total = 0.0
        for step in range(steps_per_epoch):
            x, y = make_batch(rng, train_set, order[step * cfg.batch:(step + 1) * cfg.batch],
                              cfg.crop, aug)
            loss = loss_fn(model(x.to(device)), y.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        scores = validate(model, val_set, device)
        score = selection_score(scores)
        history.append({"epoch": epoch + 1, "loss": total / steps_per_epoch, "score": score})
        improved = score > best
        if improved:
            best = score
            save_weights(out / WEIGHTS_FILE, model, cfg, {
                "epoch": epoch + 1, "seed": cfg.seed, "config": repr(cfg),
                "validation": {b.label: [scores[b].f1, scores[b].mean_ms, scores[b].sd_ms]
                               for b in Boundary}})
        print(f"epoch {epoch + 1}/{cfg.epochs} loss {total / steps_per_epoch:.4f} "
              f"val score {score:.2f}{' *' if improved else ''} "
              f"({time.perf_counter() - te:.0f} s, total {time.perf_counter() - t0:.0f} s)\n"
              f"  {format_scores(scores)}", flush=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(), "epoch": epoch + 1, "best": best,
                    "history": history}, ckpt_path)
    print(f"done in {time.perf_counter() - t0:.0f} s; best validation score {best:.2f}; "
          f"weights in {out / WEIGHTS_FILE}", flush=True)


def main(argv: list[str] | None = None) -> None:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for weights and checkpoint")
    parser.add_argument("--data", type=Path, default=None, help="LUDB folder (default ../shared/data/ludb)")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch", type=int, default=defaults.batch)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    args = parser.parse_args(argv)
    cfg = dataclasses.replace(defaults, epochs=args.epochs, batch=args.batch, lr=args.lr,
                              seed=args.seed)
    train(args.out, args.data or default_ludb_dir(), cfg, args.resume, args.threads)


if __name__ == "__main__":
    main()
