"""Classical thresholds, the learned trace segmentation, and the per-page choice between them,
as the digitiser's ink finder.

Run: ``.venv/bin/python benchmarks/digitize_learned.py [--split test] [--records 20] [--dpi 200]
[--finders classical,learned] [--save pages.json] [--table-only]``

The same held-out prints as ``benchmarks/digitize_snr.py`` (LUDB records rendered as 3x4+rhythm
prints on pink, red, green and grey paper, degraded with the same seeds, at every level and
capture class of :mod:`workstation.scan.synth`), plus ``marked``: the clean print with
handwriting and stamps over its trace (:func:`inference.digitize.augment.draw_marks`), then
scanned. Each page is digitised once per ink finder and scored with the Challenge 2024 SNR.
``auto`` is the digitiser's per-page choice (:func:`workstation.scan.digitize.choose_ink`, what
``digitize(image, ink="auto")`` does) applied to the classical and learned readings of the
same page; its time counts the learned reading only where the choice runs it. The table gives,
per level and finder, mean and median SNR (dB) and the share of pages refused.

``--save`` keeps every page's figures (merged with what the file already holds, so finders can
be run one at a time) for ``benchmarks/choose_ink.py``, which sets the choice on the validation
split. ``--speed-records`` times whole 300-dpi photos; ``--images`` adds the ecg-image-kit
sel100 images and the real samples. ``--weights`` and ``--threshold`` try another network or
cut-off (on the validation split: never tune on test).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.digitize.augment import draw_marks  # noqa: E402
from inference.digitize.predict import MODEL_PATH, TraceSegmenter  # noqa: E402
from workstation.io import read_ecg  # noqa: E402
from workstation.scan.digitize import InkChoice, choose_ink, classical_ink, digitize, tries_learned  # noqa: E402
from workstation.scan.metric import snr_by_name, summarise  # noqa: E402
from workstation.scan.synth import LEVELS, Print, degrade, render  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SEL100 = DATA / "images" / "ecg-image-kit_generated" / "qtdb_sel100"
REAL = DATA / "images" / "ecg-image-kit_real_samples"
GATE = np.ones((5, 5), np.uint8)
STYLES = ("pink", "red", "green", "grey")
#: Handwriting and stamps over a scanned print: not a generator level, drawn here.
MARKED = "marked"
ALL_LEVELS = (*LEVELS, MARKED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--records", type=int, default=20)
    parser.add_argument("--dpi", type=float, default=200.0)
    parser.add_argument("--levels", default=",".join(ALL_LEVELS))
    parser.add_argument("--weights", type=Path, default=MODEL_PATH)
    parser.add_argument("--threshold", type=float, default=None, help="probability cut-off (default: the model's)")
    parser.add_argument("--speed-records", type=int, default=0, help="300-dpi photos timed end to end")
    parser.add_argument("--finders", default="classical,learned", help="classical, learned, gated (comma-separated)")
    parser.add_argument("--save", type=Path, default=None, help="per-page figures (JSON), merged with the file's")
    parser.add_argument("--table-only", action="store_true", help="print the table of --save's pages, run nothing")
    parser.add_argument("--images", action="store_true", help="also sel100 and the real samples")
    args = parser.parse_args()
    segmenter = TraceSegmenter.load(args.weights)
    threshold = segmenter.info.threshold if args.threshold is None else args.threshold
    finders = _finders(segmenter, threshold, args.finders.split(","))
    levels = [lv for lv in args.levels.split(",") if lv]

    pages = _load(args.save)
    if not args.table_only:
        ludb = DATA / "ludb"
        names = json.loads((ludb / "splits.json").read_text())[args.split][:args.records]
        fresh = run_pages(names, levels, args.dpi, finders)
        pages = [p for p in pages if (p["finder"], p["level"], p["record"]) not in
                 {(q["finder"], q["level"], q["record"]) for q in fresh}] + fresh
        if args.save:
            args.save.write_text(json.dumps(pages))
    pages = with_auto(pages)
    records = len({p["record"] for p in pages})
    print(f"LUDB {args.split}, {records} records, {args.dpi:g} dpi, seed 0 (as digitize_snr.py); "
          f"{segmenter.info.name} {segmenter.info.version}, threshold {threshold:g}")
    print(table(pages, [lv for lv in ALL_LEVELS if any(p["level"] == lv for p in pages)]))
    if args.speed_records:
        print()
        names = json.loads((DATA / "ludb" / "splits.json").read_text())[args.split][:args.speed_records]
        _speed([read_ecg(DATA / "ludb" / f"{n}.hea") for n in names], {**finders, "auto": "auto"})
    if args.images:
        print()
        _sel100(finders)
        print()
        _real({**finders, "auto": "auto"})


def _finders(segmenter: TraceSegmenter, threshold: float, names: list[str]) -> dict:
    def learned(image, contrast):
        return segmenter.probability(image, contrast) > threshold

    def gated(image, contrast):  # the thresholds' pixels, kept only within 2 px of the network's
        near = cv2.dilate((segmenter.probability(image, contrast) > threshold).astype(np.uint8), GATE)
        return classical_ink(image, contrast) & near.astype(bool)

    every = {"classical": classical_ink, "learned": learned, "gated": gated}
    return {name: every[name] for name in names}


def page_of(record, k: int, level: str, dpi: float) -> Print:
    """The ``k``-th record's print at ``level``, as ``benchmarks/digitize_snr.py`` draws it
    (``marked``: handwriting and stamps over the clean print, then scanned)."""
    printout = render(record, dpi=dpi, style=STYLES[k % len(STYLES)])
    if level != MARKED:
        return degrade(printout, level, seed=k)
    marks = draw_marks(printout.image, np.random.default_rng([k, 7]), dpi / 25.4)
    marked = Print(marks, printout.truth, printout.fs, printout.dpi, printout.layout, "clean")
    return degrade(marked, "scan", seed=k)


def run_pages(names: list[str], levels: list[str], dpi: float, finders: dict) -> list[dict]:
    """Digitise every record's page at every level with every finder: one dict per reading."""
    out = []
    for k, name in enumerate(names):
        record = read_ecg(DATA / "ludb" / f"{name}.hea")
        for level in levels:
            page = page_of(record, k, level, dpi)
            for finder, ink in finders.items():
                start = time.perf_counter()
                result = digitize(page.image, ink=ink)
                seconds = time.perf_counter() - start
                out.append({"record": name, "level": level, "finder": finder, "seconds": seconds,
                            "score": result.score, "refused": not result.traces,
                            "warp_mm": result.calibration.warp_mm,
                            "enlarged": result.calibration.enlarged, "snr": _snr(page, result)})
        print(f"  {k + 1}/{len(names)} records", file=sys.stderr, flush=True)
    return out


def _snr(page: Print, result) -> list[float]:
    return [float(v) for v in snr_by_name(page.truth, result.signals, result.lead_names)]


def with_auto(pages: list[dict], rule: InkChoice = InkChoice()) -> list[dict]:
    """``pages`` and, for each page read by both the classical and the learned finder, the
    reading :func:`choose_ink` keeps by ``rule``, as finder ``auto``."""
    by_page: dict[tuple[str, str], dict[str, dict]] = {}
    for p in pages:
        if p["finder"] != "auto":
            by_page.setdefault((p["record"], p["level"]), {})[p["finder"]] = p
    out = [p for p in pages if p["finder"] != "auto"]
    for readings in by_page.values():
        if "classical" not in readings or "learned" not in readings:
            continue
        classical, learned = readings["classical"], readings["learned"]
        kept = choose_ink(_reading(classical), _reading(learned), rule)
        ran_learned = tries_learned(_reading(classical), rule)
        out.append({**kept.page, "finder": "auto",
                    "seconds": classical["seconds"] + (learned["seconds"] if ran_learned else 0.0),
                    "took_learned": kept.page["finder"] == "learned", "ran_learned": ran_learned})
    return out


def _reading(page: dict) -> SimpleNamespace:
    """What :func:`choose_ink` looks at in a reading, from a page's saved figures."""
    calibration = SimpleNamespace(warp_mm=page.get("warp_mm", 0.0), enlarged=page.get("enlarged", 1.0))
    return SimpleNamespace(score=page["score"], refusal="refused" if page["refused"] else None,
                           calibration=calibration, page=page)


def summary(pages: list[dict], level: str, finder: str) -> dict[str, float]:
    chosen = [p for p in pages if p["level"] == level and p["finder"] == finder]
    if not chosen:
        return {}
    mean, median = summarise([v for p in chosen for v in p["snr"]])
    return {"mean": mean, "median": median, "refused": float(np.mean([p["refused"] for p in chosen])),
            "seconds": float(np.mean([p["seconds"] for p in chosen])), "pages": len(chosen),
            "learned": float(np.mean([p.get("took_learned", False) for p in chosen]))}


def table(pages: list[dict], levels: list[str]) -> str:
    """One line per level: mean SNR, median SNR and refused share per finder, and how often
    the choice took the learned reading."""
    finders = [f for f in ("classical", "learned", "gated", "auto") if any(p["finder"] == f for p in pages)]
    head = " | ".join(f"{'mean ' + f:>14}" for f in finders) + " | " + " | ".join(
        f"{'median ' + f:>16}" for f in finders) + " | " + " | ".join(f"{'refused ' + f[:5]:>14}" for f in finders)
    lines = [f"{'level':<12} | {head} | auto took learned"]
    rows = []
    for level in [*levels, "all"]:
        shown = pages if level == "all" else [p for p in pages if p["level"] == level]
        cells = [summary([{**p, "level": level} for p in shown], level, f) for f in finders]
        rows.append((level, cells))
        lines.append(f"{level:<12} | " + " | ".join(f"{c.get('mean', np.nan):>14.2f}" for c in cells) + " | "
                     + " | ".join(f"{c.get('median', np.nan):>16.2f}" for c in cells) + " | "
                     + " | ".join(f"{c.get('refused', np.nan):>14.0%}" for c in cells)
                     + f" | {cells[-1].get('learned', 0.0):.0%}")
    return "\n".join(lines)


def _load(path: Path | None) -> list[dict]:
    return json.loads(path.read_text()) if path and path.exists() else []


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
    from workstation.scan.evaluate import evaluate_sel100

    for name, ink in finders.items():
        result = evaluate_sel100(SEL100, ink=ink)
        if result is not None:
            print(f"ecg-image-kit sel100 ({result.records} images), {name:<9}: mean SNR with lead "
                  f"means removed {result.centred_snr:.2f} dB")


def _real(finders) -> None:
    """Real scans and phone photos without ground truth: what each finder makes of them."""
    from workstation.scan.ingest import load_pages

    if not REAL.is_dir():
        return
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
