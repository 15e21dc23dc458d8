"""Set the digitiser's per-page ink choice (``AUTO_TRY_BELOW``, ``AUTO_MARGIN`` in
:mod:`workstation.scan.digitize`) on validation prints, by measured SNR.

Run: ``.venv/bin/python benchmarks/choose_ink.py /tmp/validation.json [more.json ...]`` where the
files are what ``benchmarks/digitize_learned.py --split validation --finders classical,learned
--save`` wrote (every page read by both finders). Each candidate rule
(:class:`workstation.scan.digitize.InkChoice`: the thresholds' quality score below which the
network is tried, the largest flattening of crumpled paper and whether an enlarged low-resolution
page is tried, the score margin its reading must win by) is applied to every page
(:func:`workstation.scan.digitize.choose_ink`) and scored: the mean SNR over all pages, over the
clean, scan and photo prints (which the thresholds read well) and over the other classes.
The rule kept is the one with the best mean over all pages among those that lose no more than
:data:`BASE_TOLERANCE_DB` on clean, scan and photo prints; between equals, the one that runs
the network on fewest pages. Never run it on the test split.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from digitize_learned import with_auto  # noqa: E402
from workstation.scan.digitize import InkChoice  # noqa: E402
from workstation.scan.synth import BASE_LEVELS  # noqa: E402

TRY_BELOW = (0.7, 0.8, 1.01)
MAX_WARP_MM = (0.25, 0.5, 0.75, 1.0, 1.5, math.inf)
ON_ENLARGED = (False, True)
MARGINS = (-1.0, 0.0, 0.02, 0.05)
#: How much mean SNR (dB) the choice may lose against the thresholds on clean, scan and photo
#: validation prints.
BASE_TOLERANCE_DB = 0.05


def mean_snr(pages: list[dict], finder: str, levels: set[str] | None = None) -> float:
    values = [v for p in pages if p["finder"] == finder and (levels is None or p["level"] in levels)
              for v in p["snr"]]
    return float(np.mean(values)) if values else float("nan")


def evaluate(pages: list[dict], rule: InkChoice) -> dict[str, float]:
    chosen = [p for p in with_auto(pages, rule) if p["finder"] == "auto"]
    base = set(BASE_LEVELS)
    others = {p["level"] for p in pages} - base
    return {"all": mean_snr(chosen, "auto"), "base": mean_snr(chosen, "auto", base),
            "capture": mean_snr(chosen, "auto", others),
            "ran": float(np.mean([p["ran_learned"] for p in chosen])),
            "took": float(np.mean([p["took_learned"] for p in chosen]))}


def merged(paths: list[Path]) -> list[dict]:
    """The pages of every file, a later file's reading replacing an earlier one's of the same
    page and finder."""
    pages: dict[tuple[str, str, str], dict] = {}
    for path in paths:
        for p in json.loads(path.read_text()):
            if p["finder"] in ("classical", "learned"):
                pages[(p["finder"], p["level"], p["record"])] = p
    return list(pages.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", type=Path, nargs="+", help="saved pages (later files take precedence)")
    args = parser.parse_args()
    pages = merged(args.pages)
    base = set(BASE_LEVELS)
    others = {p["level"] for p in pages} - base
    reference = {"all": mean_snr(pages, "classical"), "base": mean_snr(pages, "classical", base),
                 "capture": mean_snr(pages, "classical", others)}
    learned = {"all": mean_snr(pages, "learned"), "base": mean_snr(pages, "learned", base),
               "capture": mean_snr(pages, "learned", others)}
    print(f"{len({p['record'] for p in pages})} records; mean SNR (dB) all / clean+scan+photo / other classes")
    print(f"classical {reference['all']:.2f} / {reference['base']:.2f} / {reference['capture']:.2f}")
    print(f"learned   {learned['all']:.2f} / {learned['base']:.2f} / {learned['capture']:.2f}")
    print(f"{'try below':>9} {'max warp':>8} {'enlarged':>8} {'margin':>7} {'all':>7} {'base':>7} "
          f"{'others':>7} {'net run':>8} {'taken':>6}")
    best = None
    for try_below, warp, enlarged, margin in itertools.product(TRY_BELOW, MAX_WARP_MM, ON_ENLARGED, MARGINS):
        rule = InkChoice(try_below, warp, enlarged, margin)
        s = evaluate(pages, rule)
        print(f"{try_below:>9.2f} {warp:>8.2f} {str(enlarged):>8} {margin:>7.2f} {s['all']:>7.2f} "
              f"{s['base']:>7.2f} {s['capture']:>7.2f} {s['ran']:>8.0%} {s['took']:>6.0%}")
        if s["base"] < reference["base"] - BASE_TOLERANCE_DB:
            continue
        key = (round(s["all"], 2), -s["ran"])
        if best is None or key > best[0]:
            best = (key, rule, s)
    if best is None:
        print("no rule keeps clean, scan and photo prints within the tolerance")
        return
    _, rule, s = best
    print(f"chosen: {rule}: mean SNR {s['all']:.2f} dB (classical {reference['all']:.2f}), clean+scan+photo "
          f"{s['base']:.2f} ({reference['base']:.2f}), other classes {s['capture']:.2f} "
          f"({reference['capture']:.2f}); network run on {s['ran']:.0%} of pages, its reading kept on "
          f"{s['took']:.0%}")


if __name__ == "__main__":
    main()
