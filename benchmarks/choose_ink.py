"""Set the digitiser's per-page ink choice (``AUTO_TRY_BELOW``, ``AUTO_MARGIN`` in
:mod:`workstation.scan.digitize`) on validation prints, by measured SNR.

Run: ``.venv/bin/python benchmarks/choose_ink.py /tmp/validation.json`` where the file is what
``benchmarks/digitize_learned.py --split validation --finders classical,learned --save`` wrote
(every page read by both finders). Each candidate rule is applied to every page
(:func:`workstation.scan.digitize.choose_ink`) and scored: the mean SNR over all pages, over the
clean, scan and photo prints (which the thresholds read well) and over the capture classes.
The rule kept is the one with the best mean over all pages among those that lose no more than
:data:`BASE_TOLERANCE_DB` on clean, scan and photo prints; between equals, the one that runs
the network on fewest pages. Never run it on the test split.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from digitize_learned import with_auto  # noqa: E402
from workstation.scan.synth import BASE_LEVELS  # noqa: E402

TRY_BELOW = (0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 1.01)
MARGINS = (-0.02, 0.0, 0.01, 0.02, 0.05, 0.1)
#: How much mean SNR (dB) the choice may lose against the thresholds on clean, scan and photo
#: validation prints.
BASE_TOLERANCE_DB = 0.05


def mean_snr(pages: list[dict], finder: str, levels: set[str] | None = None) -> float:
    values = [v for p in pages if p["finder"] == finder and (levels is None or p["level"] in levels)
              for v in p["snr"]]
    return float(np.mean(values)) if values else float("nan")


def evaluate(pages: list[dict], try_below: float, margin: float) -> dict[str, float]:
    chosen = [p for p in with_auto(pages, try_below, margin) if p["finder"] == "auto"]
    base = set(BASE_LEVELS)
    others = {p["level"] for p in pages} - base
    return {"all": mean_snr(chosen, "auto"), "base": mean_snr(chosen, "auto", base),
            "capture": mean_snr(chosen, "auto", others),
            "ran": float(np.mean([_ran(pages, p, try_below) for p in chosen])),
            "took": float(np.mean([p["took_learned"] for p in chosen]))}


def _ran(pages: list[dict], chosen: dict, try_below: float) -> bool:
    classical = next(p for p in pages if p["finder"] == "classical" and p["record"] == chosen["record"]
                     and p["level"] == chosen["level"])
    return classical["score"] < try_below


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", type=Path)
    args = parser.parse_args()
    pages = [p for p in json.loads(args.pages.read_text()) if p["finder"] in ("classical", "learned")]
    base = set(BASE_LEVELS)
    others = {p["level"] for p in pages} - base
    reference = {"all": mean_snr(pages, "classical"), "base": mean_snr(pages, "classical", base),
                 "capture": mean_snr(pages, "classical", others)}
    learned = {"all": mean_snr(pages, "learned"), "base": mean_snr(pages, "learned", base),
               "capture": mean_snr(pages, "learned", others)}
    print(f"{len({p['record'] for p in pages})} records; mean SNR (dB) all / clean+scan+photo / capture classes")
    print(f"classical {reference['all']:.2f} / {reference['base']:.2f} / {reference['capture']:.2f}")
    print(f"learned   {learned['all']:.2f} / {learned['base']:.2f} / {learned['capture']:.2f}")
    print(f"{'try below':>9} {'margin':>7} {'all':>7} {'base':>7} {'capture':>8} {'net run':>8} {'taken':>6}")
    best = None
    for try_below in TRY_BELOW:
        for margin in MARGINS:
            s = evaluate(pages, try_below, margin)
            print(f"{try_below:>9.2f} {margin:>7.2f} {s['all']:>7.2f} {s['base']:>7.2f} {s['capture']:>8.2f} "
                  f"{s['ran']:>8.0%} {s['took']:>6.0%}")
            if s["base"] < reference["base"] - BASE_TOLERANCE_DB:
                continue
            key = (round(s["all"], 2), -s["ran"])
            if best is None or key > best[0]:
                best = (key, try_below, margin, s)
    if best is None:
        print("no rule keeps clean, scan and photo prints within the tolerance")
        return
    _, try_below, margin, s = best
    print(f"chosen: AUTO_TRY_BELOW = {try_below}, AUTO_MARGIN = {margin}: mean SNR {s['all']:.2f} dB "
          f"(classical {reference['all']:.2f}), clean+scan+photo {s['base']:.2f} ({reference['base']:.2f}), "
          f"capture classes {s['capture']:.2f} ({reference['capture']:.2f}); network run on {s['ran']:.0%} "
          f"of pages, its reading kept on {s['took']:.0%}")


if __name__ == "__main__":
    main()
