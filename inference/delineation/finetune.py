"""Fine-tune the shipped delineation model on a panel's export, and say whether it helped.

``ecgws finetune EXPORT --out MODEL.pt`` (or ``python -m inference.delineation.finetune``):

1. reads the export's ``arrays/`` (signals, per-sample wave masks and the waves; see
   :mod:`workstation.panel.export`) and its ``split.json``;
2. scores the base model on the export's **test** split with the code ``ecgws evaluate`` uses
   (:func:`inference.delineation.evaluate.evaluate`: per lead and global);
3. trains from the base weights on the **train** split (the same batches and augmentation as
   :mod:`train`, a small learning rate), keeping the epoch that scores best on the
   **validation** split and stopping when it has not improved for ``patience`` epochs;
4. scores the result on the test split again, and writes ``MODEL.pt`` (a new version: the
   base version plus ``-ft.`` and a hash of the export and settings), its ONNX export
   ``MODEL.onnx`` (what the workstation runs, without torch), ``MODEL.md`` (its card: data,
   settings, before/after figures, the files' SHA-256) and ``MODEL.json`` (the same figures).

The shipped weights are never touched. The workstation loads the result with
``inference.set_active_model(MODEL.pt)`` (or ``MODEL.onnx``); every proposal it makes then
names this version. The figures "after" are those of the exported file.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from inference.delineation.augment import AugmentConfig
from inference.delineation.data import LeadSet
from inference.delineation.evaluate import Method, MethodResult, evaluate
from inference.delineation.labels import IGNORE
from inference.delineation.export import export_weights
from inference.delineation.model import MODEL_FS, DelineationNet, load_trained
from inference.delineation.predict import Delineator, default_weights_path
from inference.delineation.scoring import CSE_SD_MS, Boundary, Scores
from inference.runtime import ONNX_SUFFIX, sha256
from inference.delineation.train import make_batch, record_rows, validate
from workstation.core.delineation import OFFSET_SYMBOL, ONSET_SYMBOL, WaveKind
from workstation.core.record import Annotation, ECGRecord, Lead, SourceInfo

KINDS = (WaveKind.P, WaveKind.QRS, WaveKind.T)


class ExportError(ValueError):
    """An export folder that cannot be fine-tuned on (names the file and the problem)."""


@dataclass(frozen=True)
class FinetuneConfig:
    """What determines a fine-tuning run (with the seed and the export, it is reproducible)."""

    epochs: int = 6
    patience: int = 2
    batch: int = 32
    crop: int = 4096
    lr: float = 3e-4
    weight_decay: float = 1e-4
    seed: int = 20240612
    steps_per_epoch: int | None = None  # default: one pass over the training leads


@dataclass(frozen=True)
class ExportRecord:
    """One record of an export: its signals, mask and waves."""

    stem: str
    signals: np.ndarray
    mask: np.ndarray
    fs: float
    leads: tuple[str, ...]
    waves: np.ndarray  # rows: lead index, kind, onset, peak, offset

    def marks(self, lead_index: int) -> tuple[list[int], list[str]]:
        """The lead's waves as LUDB marks (what the reference scoring reads)."""
        rows = self.waves[self.waves[:, 0] == lead_index]
        marks = sorted(m for _, k, on, pk, off in rows.tolist()
                       for m in ((on, 0, ONSET_SYMBOL), (pk, 1, KINDS[k].peak_symbol),
                                 (off, 2, OFFSET_SYMBOL)))
        return [m[0] for m in marks], [m[2] for m in marks]

    def as_record(self) -> ECGRecord:
        """An ECG record carrying the waves as annotations, as ``evaluate`` expects LUDB's."""
        annotations = tuple(Annotation(s, y, lead)
                            for i, lead in enumerate(self.leads)
                            for s, y in zip(*self.marks(i)))
        return ECGRecord.from_array(self.signals, self.fs, [Lead(n) for n in self.leads],
                                    SourceInfo(Path(f"{self.stem}.npz"), "ecgws export"),
                                    annotations=annotations)


def read_split(export_dir: Path, split: str) -> list[ExportRecord]:
    """The records of ``split`` in an export (ExportError naming the file when unreadable)."""
    split_file = export_dir / "split.json"
    try:
        names = json.loads(split_file.read_text(encoding="utf-8"))[split]
    except (OSError, ValueError, KeyError) as exc:
        raise ExportError(f"{split_file}: not an export's split file ({exc})") from exc
    out = []
    for stem in names:
        path = export_dir / "arrays" / f"{stem}.npz"
        try:
            with np.load(path) as a:
                out.append(ExportRecord(stem, a["signals"], a["mask"], float(a["fs"]),
                                        tuple(str(x) for x in a["leads"]), a["waves"]))
        except (OSError, KeyError, ValueError) as exc:
            raise ExportError(f"{path}: unreadable training arrays ({exc}); export with "
                              f"--format arrays") from exc
    return out


def lead_set(records: list[ExportRecord]) -> LeadSet:
    """Every lead of ``records`` as training rows (padded to one length with no ground truth)."""
    usable = [r for r in records if r.fs == MODEL_FS]
    if not usable:
        raise ExportError(f"no record at {MODEL_FS:g} Hz to train on")
    length = max(r.signals.shape[1] for r in usable)
    signals, labels, rows, marks = [], [], [], []
    for r in usable:
        pad = length - r.signals.shape[1]
        signals.append(np.pad(r.signals, ((0, 0), (0, pad))))
        labels.append(np.pad(r.mask, ((0, 0), (0, pad)), constant_values=IGNORE))
        rows += [(r.stem, lead) for lead in r.leads]
        marks += [r.marks(i) for i in range(len(r.leads))]
    return LeadSet(np.concatenate(signals).astype(np.float32), np.concatenate(labels),
                   tuple(rows), tuple(marks), MODEL_FS)


def selection_score(scores: Scores) -> float:
    """Mean F1 (%) less the mean RMS error as a fraction of its CSE tolerance: higher is better.

    Unlike the base training's score (:func:`inference.delineation.train.selection_score`,
    SD only), the bias counts: adopting a panel's convention is mostly moving the mean.
    """
    rms = [float(np.sqrt(np.mean(np.square(scores[b].errors_ms)))) / CSE_SD_MS[b.label]
           for b in Boundary if b.label in CSE_SD_MS and scores[b].errors_ms]
    return 100 * scores.mean_f1() - float(np.mean(rms))


def score(model: Path, records: list[ExportRecord]) -> MethodResult:
    """``ecgws evaluate``'s scores of the network at ``model`` (ONNX, or weights with their
    export beside them) on ``records``."""
    delineator = Delineator.load(model)
    return evaluate((r.as_record() for r in records), [Method.OURS], delineator.delineate)[0]


def _figures(result: MethodResult) -> dict:
    def block(scores) -> dict:
        return {b.label.replace(" ", "_"): {"f1": scores[b].f1, "mean_ms": scores[b].mean_ms,
                                            "sd_ms": scores[b].sd_ms, "n": scores[b].tp}
                for b in Boundary}
    return {"records": result.records, "per_lead": block(result.per_lead),
            "global": block(result.global_)}


def finetune(export_dir: Path, out: Path, base: Path | None = None,
             cfg: FinetuneConfig = FinetuneConfig(), version: str | None = None,
             log: Callable[[str], None] = print) -> dict:
    """Fine-tune, evaluate before and after, write ``out`` with its card; return the figures."""
    base = base or default_weights_path()
    train_records = read_split(export_dir, "train")
    val_records = read_split(export_dir, "validation")
    test_records = read_split(export_dir, "test")
    if not train_records or not test_records:
        raise ExportError(f"{export_dir / 'split.json'}: the train and test splits must not be "
                          "empty")
    train_set, val_set = lead_set(train_records), lead_set(val_records or train_records)
    log(f"data: {len(train_records)} train, {len(val_records)} validation, "
        f"{len(test_records)} test records")
    before = score(_exported(base), test_records)
    log(f"before: test mean F1 {100 * before.per_lead.mean_f1():.2f} %")
    model, blob = load_trained(base)
    version = version or _version(blob["version"], export_dir, cfg)
    history = _train(model, train_set, val_set, cfg, log)
    out.parent.mkdir(parents=True, exist_ok=True)
    state = history.pop("best_state")
    torch.save({"name": blob["name"], "version": version, "config": blob["config"],
                "state_dict": state,
                "training": {"base": f"{blob['name']}/{blob['version']}",
                             "export": str(export_dir), "config": dataclasses.asdict(cfg),
                             "history": history["epochs"]}}, out)
    exported = export_weights(out)
    after = score(exported, test_records)
    log(f"after:  test mean F1 {100 * after.per_lead.mean_f1():.2f} %")
    figures = {"model": f"{blob['name']}/{version}", "base": f"{blob['name']}/{blob['version']}",
               "export": str(export_dir), "config": dataclasses.asdict(cfg),
               "data": {"train": len(train_records), "validation": len(val_records),
                        "test": len(test_records)},
               "files": {out.name: sha256(out), exported.name: sha256(exported)},
               "history": history["epochs"], "before": _figures(before),
               "after": _figures(after)}
    out.with_suffix(".json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text(model_card(figures), encoding="utf-8")
    return figures


def _exported(weights: Path) -> Path:
    """The ONNX export beside ``weights``, written first when it is missing."""
    exported = weights.with_suffix(ONNX_SUFFIX)
    return exported if exported.is_file() else export_weights(weights)


def _version(base_version: str, export_dir: Path, cfg: FinetuneConfig) -> str:
    digest = hashlib.sha256((export_dir / "split.json").read_bytes())
    digest.update(repr(cfg).encode())
    for path in sorted((export_dir / "arrays").glob("*.npz")):
        digest.update(path.name.encode() + path.stat().st_size.to_bytes(8, "little"))
    return f"{base_version}-ft.{digest.hexdigest()[:8]}"


def _train(model: DelineationNet, train_set: LeadSet, val_set: LeadSet, cfg: FinetuneConfig,
           log: Callable[[str], None]) -> dict:
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    records = record_rows(train_set)
    steps = cfg.steps_per_epoch or max(1, len(train_set.rows) // cfg.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=IGNORE)
    best = selection_score(validate(model, val_set))
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    epochs, waited = [{"epoch": 0, "validation_score": best}], 0
    log(f"epoch 0 (base): validation score {best:.2f}")
    model.train()
    for epoch in range(1, cfg.epochs + 1):
        t0, total = time.perf_counter(), 0.0
        for _ in range(steps):
            x, y = make_batch(rng, train_set, records, cfg.batch,
                              min(cfg.crop, train_set.signals.shape[1]), AugmentConfig())
            loss = loss_fn(model(x).flatten(0, 1), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach())
        current = selection_score(validate(model, val_set))
        epochs.append({"epoch": epoch, "loss": total / steps, "validation_score": current})
        improved = current > best
        log(f"epoch {epoch}: loss {total / steps:.4f}, validation score {current:.2f}"
            f"{' *' if improved else ''} ({time.perf_counter() - t0:.0f} s)")
        if improved:
            best, waited = current, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited >= cfg.patience:
                break
    return {"epochs": epochs, "best_state": best_state}


def model_card(figures: dict) -> str:
    """The fine-tuned model's card: where it came from and what it changed on held-out data."""
    lines = [f"# Model card: {figures['model']}", "",
             f"Fine-tuned from **{figures['base']}** on the export `{figures['export']}` "
             f"({figures['data']['train']} train, {figures['data']['validation']} validation, "
             f"{figures['data']['test']} held-out test records) by `ecgws finetune`.", "",
             f"Settings: {figures['config']}", "",
             "Files (the workstation runs the ONNX export; SHA-256):", ""]
    lines += [f"- `{name}`: `{digest}`" for name, digest in figures["files"].items()]
    lines += ["", "Epochs (validation selection score; the best epoch's weights are kept):", ""]
    lines += [f"- epoch {e['epoch']}: {e['validation_score']:.2f}" for e in figures["history"]]
    lines += ["", "## Held-out test split, before and after (`ecgws evaluate` scoring)", "",
              "| boundary | F1 before | F1 after | mean ms before | mean ms after | "
              "SD ms before | SD ms after |", "|---|---|---|---|---|---|---|"]
    for which in ("per_lead", "global"):
        for key, b in figures["before"][which].items():
            a = figures["after"][which][key]
            lines.append(f"| {key} ({which.replace('_', ' ')}) | {100 * b['f1']:.2f} | "
                         f"{100 * a['f1']:.2f} | {b['mean_ms']:+.1f} | {a['mean_ms']:+.1f} | "
                         f"{b['sd_ms']:.1f} | {a['sd_ms']:.1f} |")
    lines += ["", "The test split is the export's: read it to know whose convention these "
                  "figures measure agreement with."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    defaults = FinetuneConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    args = parser.parse_args(argv)
    finetune(args.export, args.out,
             cfg=dataclasses.replace(defaults, epochs=args.epochs, lr=args.lr))


if __name__ == "__main__":
    main()
