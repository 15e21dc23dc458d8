"""Digitisation accuracy: the Challenge 2024 SNR per degradation level, and how well the quality
score predicts it.

Run: ``.venv/bin/python benchmarks/digitize_snr.py [--split test] [--records 20] [--dpi 200]
[--levels clean,scan,...] [--layout-records 5]`` (the same numbers as ``ecgws digitize-eval``,
plus the SNR by lead and the share of leads the quality score would send to review). Held-out
LUDB records are rendered as 3x4+rhythm prints on pink, red, green and grey paper, degraded
(clean, scan, photo, and each capture class of :mod:`workstation.scan.capture`: rotated with
dark corners, perspective, crumpled, shadow, colour cast, noisy, low resolution, and all of a
handled printout's at once), digitised and scored, with the share of pages refused; then the
ecg-image-kit images of QTDB sel100, whose source signal is known, are scored the same way (and
with each lead's mean removed, since those prints carry no calibration pulse to fix 0 mV).
Last, the first ``--layout-records`` records are printed in every layout (3x4 with 0, 1 or 3
rhythm strips, 6x2, 12x1; lead names in rotating fonts), clean and as photos: how often the
layout and the rhythm strips' leads are read right, and the SNR.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workstation.io import read_ecg  # noqa: E402
from workstation.scan.evaluate import (evaluate_sel100, evaluate_synthetic, format_table,  # noqa: E402
                                       spearman_overall)
from workstation.scan.quality import REVIEW_BELOW  # noqa: E402
from workstation.scan.synth import LEVELS  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--records", type=int, default=20)
    parser.add_argument("--dpi", type=float, default=200.0)
    parser.add_argument("--no-sel100", action="store_true", help="skip the ecg-image-kit sel100 images")
    parser.add_argument("--levels", default=",".join(LEVELS),
                        help="degradation levels and capture classes, comma-separated")
    parser.add_argument("--layout-records", type=int, default=5,
                        help="records printed in every layout for the layout table")
    args = parser.parse_args()
    ludb = DATA / "ludb"
    names = json.loads((ludb / "splits.json").read_text())[args.split][:args.records]
    records = [read_ecg(ludb / f"{name}.hea") for name in names]
    levels = [lv.strip() for lv in args.levels.split(",") if lv.strip()]
    results = evaluate_synthetic(records, levels, dpi=args.dpi)
    sel100 = None if args.no_sel100 else evaluate_sel100(DATA / "images" / "ecg-image-kit_generated" / "qtdb_sel100")
    shown = results + ([sel100] if sel100 else [])
    print(f"LUDB {args.split}, {len(records)} records, {args.dpi:g} dpi")
    print(format_table(shown))
    print(f"quality vs SNR over all leads: Spearman {spearman_overall(shown):.2f}")
    print()
    print(f"{'level':<8} {'SNR p10':>8} {'p50':>6} {'p90':>6} {'leads to review':>16} {'their mean SNR':>15} {'others':>7}")
    for r in results:
        snr, q = np.array(r.lead_snr), np.array(r.lead_quality)
        low = q < REVIEW_BELOW
        p10, p50, p90 = np.nanpercentile(snr, [10, 50, 90])
        print(f"{r.name:<8} {p10:>8.1f} {p50:>6.1f} {p90:>6.1f} {low.mean():>16.0%} "
              f"{np.nanmean(snr[low]) if low.any() else float('nan'):>15.1f} "
              f"{np.nanmean(snr[~low]) if (~low).any() else float('nan'):>7.1f}")
    if sel100:
        print(f"\nsel100 with each lead's mean removed: mean SNR {sel100.centred_snr:.2f} dB")
    if args.layout_records:
        print()
        _layouts(records[:args.layout_records], args.dpi)


def _layouts(records, dpi: float) -> None:
    """Each paper layout the generator prints, clean and as a photo: how often the digitiser
    names the layout (and its rhythm strips) right, and the mean SNR."""
    import cv2

    from workstation.core.layout import LayoutKind
    from workstation.scan.digitize import digitize
    from workstation.scan.metric import snr_by_name, summarise
    from workstation.scan.synth import degrade, render

    cases = (("3x4+rhythm II", LayoutKind.STANDARD_3X4_RHYTHM, ("II",), "3x4+rhythm"),
             ("3x4 + II,V1,V5", LayoutKind.STANDARD_3X4_RHYTHM, ("II", "V1", "V5"), "3x4+rhythm"),
             ("3x4", LayoutKind.STANDARD_3X4_RHYTHM, (), "3x4"),
             ("6x2", LayoutKind.SIX_BY_TWO, ("II",), "6x2"),
             ("12x1", LayoutKind.TWELVE_BY_ONE, ("II",), "12x1"))
    fonts = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX)
    print(f"Layouts: {len(records)} records, lead names in rotating fonts")
    print(f"{'printed':<16} {'level':<6} {'layout right':>12} {'strips right':>12} {'mean SNR':>9}")
    for name, kind, strips, expected in cases:
        for level in ("clean", "photo"):
            right, strips_right, snrs = 0, 0, []
            for k, record in enumerate(records):
                printout = degrade(render(record, kind=kind, dpi=dpi, rhythm=strips,
                                          font=fonts[k % len(fonts)]), level, seed=k)
                result = digitize(printout.image)
                right += result.layout == expected
                long = {t.lead for t in result.traces if t.stop - t.start > 4500}
                strips_right += kind is not LayoutKind.STANDARD_3X4_RHYTHM or long == set(strips)
                snrs.extend(snr_by_name(printout.truth, result.signals, result.lead_names))
            print(f"{name:<16} {level:<6} {right:>7}/{len(records):<4} "
                  f"{strips_right:>7}/{len(records):<4} {summarise(snrs)[0]:>9.2f}")


if __name__ == "__main__":
    main()
