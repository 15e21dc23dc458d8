"""How long a page takes to digitise, by resolution and degradation.

Run: ``.venv/bin/python benchmarks/digitize_speed.py [--repeat N] [--ink classical|auto|learned]``.

A 3x4+rhythm print of the bundled LUDB record 1 is rendered at 150, 200 and 300 dpi (an A4
page at 300 dpi is 3508 x 2480 px), clean, as a phone photo and as a handled printout
photographed turned with dark corners (the ``capture`` class), and digitised ``--repeat``
times; the median wall time of :func:`workstation.scan.digitize.digitize` is printed, with the
time to read the PNG from disk. Target: a 300-dpi 12-lead page in under 5 s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workstation.io import read_ecg  # noqa: E402
from workstation.scan.digitize import AUTO, classical_ink, digitize, learned_ink  # noqa: E402
from workstation.scan.ingest import load_pages  # noqa: E402
from workstation.scan.synth import degrade, render  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ink", choices=("default", "classical", "auto", "learned"), default="default",
                        help="ink finder (default: the digitiser's own)")
    args = parser.parse_args()
    options = {"default": {}, "classical": {"ink": classical_ink}, "auto": {"ink": AUTO},
               "learned": {"ink": learned_ink}}[args.ink]
    record = read_ecg(ROOT / "tests" / "data" / "ludb" / "1.hea")
    print(f"{'dpi':>4} {'level':<8} {'pixels':>12} {'read s':>7} {'digitise s':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for dpi in (150, 200, 300):
            printout = render(record, dpi=dpi)
            for level in ("clean", "photo", "capture"):
                page = degrade(printout, level, seed=1)
                path = Path(tmp) / f"page_{dpi}_{level}.png"
                cv2.imwrite(str(path), page.image)
                reads, runs = [], []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    image = load_pages(path)[0]
                    reads.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    digitize(image, **options)
                    runs.append(time.perf_counter() - start)
                h, w = page.image.shape[:2]
                print(f"{dpi:>4} {level:<8} {f'{w}x{h}':>12} {statistics.median(reads):>7.2f} "
                      f"{statistics.median(runs):>11.2f}")


if __name__ == "__main__":
    main()
