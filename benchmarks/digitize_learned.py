"""Classical thresholds against the learned trace segmentation, as the digitiser's ink finder.

Run: ``.venv/bin/python benchmarks/digitize_learned.py [--split test] [--records 20] [--dpi 200]``
The same held-out prints as ``benchmarks/digitize_snr.py`` (LUDB records rendered as 3x4+rhythm
prints on pink, red, green and grey paper, degraded with the same seeds) are digitised twice,
once per ink finder, and scored with the Challenge 2024 SNR; the table puts the two side by side
per degradation level (mean and median SNR in dB, the quality score's Spearman rank correlation
with SNR, seconds per page). Then whole-pipeline time on a 300-dpi photo, and the ecg-image-kit
images of QTDB sel100 (real rendering, known signal), whose SNR is scored with each lead's mean
removed since those prints carry no calibration pulse, and what each finder makes of the real
scans and photos (no ground truth: layout and quality score). Three finders: ``classical``
(the thresholds), ``learned`` (the network alone) and ``gated`` (the thresholds' pixels within
2 px of the network's: the network says where the trace is, the thresholds how thick).
``--weights`` and ``--threshold`` try another network or cut-off (on the validation split: never
tune on test).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.digitize.predict import MODEL_PATH, TraceSegmenter  # noqa: E402
from workstation.io import read_ecg  # noqa: E402
from workstation.scan.digitize import classical_ink, digitize  # noqa: E402
from workstation.scan.evaluate import (LevelResult, evaluate_sel100, evaluate_synthetic,  # noqa: E402
                                       spearman_overall)
from workstation.scan.synth import LEVELS, degrade, render  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SEL100 = DATA / "images" / "ecg-image-kit_generated" / "qtdb_sel100"
REAL = DATA / "images" / "ecg-image-kit_real_samples"
GATE = np.ones((5, 5), np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--records", type=int, default=20)
    parser.add_argument("--dpi", type=float, default=200.0)
    parser.add_argument("--weights", type=Path, default=MODEL_PATH)
    parser.add_argument("--threshold", type=float, default=None, help="probability cut-off (default: the model's)")
    parser.add_argument("--speed-records", type=int, default=3, help="300-dpi photos timed end to end")
    parser.add_argument("--finders", default="classical,learned,gated", help="which finders, comma-separated")
    parser.add_argument("--no-images", action="store_true", help="skip sel100 and the real samples")
    args = parser.parse_args()
    segmenter = TraceSegmenter.load(args.weights)
    threshold = segmenter.info.threshold if args.threshold is None else args.threshold

    def learned(image, contrast):
        return segmenter.probability(image, contrast) > threshold

    def gated(image, contrast):  # the thresholds' pixels, kept only within 2 px of the network's
        near = cv2.dilate((segmenter.probability(image, contrast) > threshold).astype(np.uint8), GATE)
        return classical_ink(image, contrast) & near.astype(bool)

    ludb = DATA / "ludb"
    names = json.loads((ludb / "splits.json").read_text())[args.split][:args.records]
    records = [read_ecg(ludb / f"{name}.hea") for name in names]
    finders = {"classical": classical_ink, "learned": learned, "gated": gated}
    finders = {name: finders[name] for name in args.finders.split(",")}
    results = {name: evaluate_synthetic(records, LEVELS, dpi=args.dpi, ink=ink) for name, ink in finders.items()}

    print(f"LUDB {args.split}, {len(records)} records, {args.dpi:g} dpi, seed 0 (as digitize_snr.py); "
          f"{segmenter.info.name} {segmenter.info.version}, threshold {threshold:g}")
    print(_table(results))
    for name, shown in results.items():
        print(f"{name:<10} quality vs SNR over all leads: Spearman {spearman_overall(shown):.2f}")
    print()
    _speed(records[:args.speed_records], finders)
    if SEL100.is_dir() and not args.no_images:
        print()
        _sel100(finders)
    if REAL.is_dir() and not args.no_images:
        print()
        _real(finders)


def _table(results: dict[str, list[LevelResult]]) -> str:
    """One line per level; under each measure, one column per finder."""
    names = list(results)
    width = 10 * len(names) - 1
    heads = ("mean SNR (dB)", "median SNR (dB)", "rho(quality, SNR)", "s/page")
    pair = " ".join(f"{name[:9]:>9}" for name in names)
    lines = [f"{'level':<6} | " + " | ".join(f"{h:^{width}}" for h in heads),
             f"{'':<6} | " + " | ".join(pair for _ in heads)]
    for k, level in enumerate(results[names[0]]):
        rows = [results[name][k] for name in names]
        cells = [" ".join(f"{getattr(r, field):>9.2f}" for r in rows)
                 for field in ("mean_snr", "median_snr", "spearman", "seconds_per_page")]
        lines.append(f"{level.name:<6} | " + " | ".join(cells))
    return "\n".join(lines)


def _speed(records, finders) -> None:
    """Whole digitisation of 300-dpi photos (page finding to traced leads), per finder."""
    pages = [degrade(render(record, dpi=300.0), "photo", seed=k).image for k, record in enumerate(records)]
    for name, ink in finders.items():
        digitize(pages[0], ink=ink)  # load and warm up
        times = []
        for page in pages:
            start = time.perf_counter()
            digitize(page, ink=ink)
            times.append(time.perf_counter() - start)
        print(f"300-dpi photo ({pages[0].shape[1]} x {pages[0].shape[0]} px), {name:<10}: "
              f"{np.mean(times):.2f} s/page (max {max(times):.2f})")


def _sel100(finders) -> None:
    """ecg-image-kit's sel100 images: SNR with each lead's mean removed, as in digitize_snr.py."""
    for name, ink in finders.items():
        result = evaluate_sel100(SEL100, ink=ink)
        print(f"ecg-image-kit sel100 ({result.records} images), {name:<9}: mean SNR with lead "
              f"means removed {result.centred_snr:.2f} dB")


def _real(finders) -> None:
    """Real scans and phone photos without ground truth: what each finder makes of them."""
    from workstation.scan.ingest import load_pages

    paths = sorted(p for p in REAL.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".tif"))
    for name, ink in finders.items():
        scores, layouts, failures = [], [], 0
        for path in paths:
            try:
                result = digitize(load_pages(path)[0], ink=ink)
            except Exception:  # noqa: BLE001 - counted: a real image must never crash the reader
                failures += 1
                continue
            scores.append(result.score)
            layouts.append(result.layout)
        standard = sum(layout.startswith("3x4") for layout in layouts)
        print(f"real samples ({len(paths)} images), {name:<9}: {failures} failed, {standard} read as 3x4, "
              f"quality mean {np.mean(scores):.2f} median {np.median(scores):.2f}, "
              f"{sum(s >= 0.6 for s in scores)} at 0.6 or above")


if __name__ == "__main__":
    main()
