"""Train the delineation network on the LUDB training split.

One reproducible command (seeded; prints progress; resumable; uses a GPU when present)::

    .venv/bin/python -m inference.delineation.train --out resources/models

Writes ``OUT/delineation-unet.pt`` (the weights of the epoch that scored best on the
validation split), its ONNX export ``OUT/delineation-unet.onnx`` (what the workstation runs,
see :mod:`inference.delineation.export`) and, after every epoch, ``build/delineation/checkpoint.pt`` (everything
needed to resume after an interruption: run the same command with ``--resume``; kept out of
``resources/`` so it is never packaged). The test split is never read here.
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
from inference.delineation.export import export_weights
from inference.delineation.model import (MODEL_FS, DelineationNet, NetConfig, TorchNetwork,
                                         count_parameters)
from inference.delineation.predict import WEIGHTS_FILE, Delineator, ModelInfo
from inference.delineation.preprocess import prepare
from inference.delineation.scoring import (CSE_SD_MS, Boundary, LeadBoundaries, Scores,
                                           reference_boundaries)

MODEL_NAME = "ecgws-delineation-unet"
MODEL_VERSION = "1.0.0"
DEFAULT_CHECKPOINT = Path("build") / "delineation" / "checkpoint.pt"


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


#: Leads per record in a training batch, and how often: the network must work on a lone
#: lead, a two-lead Holter and a full 12-lead record alike.
LEAD_COUNTS = (1, 2, 3, 6, 12)
LEAD_COUNT_P = (0.15, 0.2, 0.15, 0.2, 0.3)
#: Validation also runs on this two-lead subset (the usual Holter pair).
HOLTER_LEADS = ("II", "V5")


def record_rows(data: LeadSet) -> list[np.ndarray]:
    """Row indices of each record's leads, by record."""
    rows: dict[str, list[int]] = {}
    for i, (record, _) in enumerate(data.rows):
        rows.setdefault(record, []).append(i)
    return [np.array(v) for v in rows.values()]


def make_batch(rng: np.random.Generator, data: LeadSet, records: list[np.ndarray], rows: int,
               crop: int, aug: AugmentConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Augmented, prepared inputs (records, leads, crop) and labels (records * leads, crop).

    Each batch has a random number of leads per record (a random subset of its leads) and
    about ``rows`` leads in all.
    """
    n = int(rng.choice(LEAD_COUNTS, p=LEAD_COUNT_P))
    picks = rng.choice(len(records), size=max(1, round(rows / n)), replace=False)
    xs, ys = [], []
    for r in picks:
        leads = rng.choice(records[r], size=min(n, len(records[r])), replace=False)
        x, y = augment(rng, data.signals[leads].astype(np.float64), data.labels[leads], crop, aug)
        xs.append(x)
        ys.append(y)
    x, _, _ = prepare(np.concatenate(xs), MODEL_FS)
    return (torch.from_numpy(x.reshape(len(picks), -1, crop)),
            torch.from_numpy(np.concatenate(ys).astype(np.int64)))


def validate(model: DelineationNet, data: LeadSet, leads: tuple[str, ...] | None = None) -> Scores:
    """Boundary scores on ``data`` (every lead, or only ``leads``), post-processing included."""
    model.eval()
    delineator = Delineator(TorchNetwork(model), ModelInfo(MODEL_NAME, "training"))
    scores = Scores()
    try:
        for rows in record_rows(data):
            if leads is not None:
                rows = np.array([i for i in rows if data.rows[i][1] in leads])
            segments = delineator.segments(data.signals[rows].astype(np.float64))
            for segs, row in zip(segments, rows):
                samples, symbols = data.marks[row]
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


def train(out: Path, data_dir: Path, cfg: TrainConfig, resume: bool, threads: int,
          ckpt_path: Path = DEFAULT_CHECKPOINT) -> None:
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
    ckpt_path.parent.mkdir(parents=True, exist_ok=True)
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
    records = record_rows(train_set)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=IGNORE)
    for epoch in range(start_epoch, cfg.epochs):
        te = time.perf_counter()
        total = 0.0
        for step in range(steps_per_epoch):
            x, y = make_batch(rng, train_set, records, cfg.batch, cfg.crop, aug)
            logits = model(x.to(device))
            loss = loss_fn(logits.flatten(0, 1), y.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        scores = validate(model, val_set)
        holter = validate(model, val_set, HOLTER_LEADS)
        score = selection_score(scores)
        history.append({"epoch": epoch + 1, "loss": total / steps_per_epoch, "score": score})
        improved = score > best
        if improved:
            best = score
            save_weights(out / WEIGHTS_FILE, model, cfg, {
                "epoch": epoch + 1, "seed": cfg.seed, "config": repr(cfg), "device": str(device),
                "seconds": round(time.perf_counter() - t0),
                "validation": {b.label: [scores[b].f1, scores[b].mean_ms, scores[b].sd_ms]
                               for b in Boundary}})
        print(f"epoch {epoch + 1}/{cfg.epochs} loss {total / steps_per_epoch:.4f} "
              f"val score {score:.2f}{' *' if improved else ''} "
              f"({time.perf_counter() - te:.0f} s, total {time.perf_counter() - t0:.0f} s)\n"
              f"  12 leads: {format_scores(scores)}\n"
              f"  {'+'.join(HOLTER_LEADS)} only: {format_scores(holter)}", flush=True)
        # written aside, then renamed: an interruption mid-save leaves the last good checkpoint
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(), "epoch": epoch + 1, "best": best,
                    "history": history}, tmp)
        tmp.replace(ckpt_path)
    exported = export_weights(out / WEIGHTS_FILE)
    print(f"done in {time.perf_counter() - t0:.0f} s; best validation score {best:.2f}; "
          f"weights in {out / WEIGHTS_FILE}, ONNX export in {exported}", flush=True)


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
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT,
                        help=f"resumable state, written every epoch (default {DEFAULT_CHECKPOINT})")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    args = parser.parse_args(argv)
    cfg = dataclasses.replace(defaults, epochs=args.epochs, batch=args.batch, lr=args.lr,
                              seed=args.seed)
    train(args.out, args.data or default_ludb_dir(), cfg, args.resume, args.threads, args.checkpoint)


if __name__ == "__main__":
    main()
