"""The shared real paper-ECG images (scans, screenshots, phone photos) analysed end to end against
what they show, read by eye (``tests/data/real_images/truth.csv``).

Run: ``.venv/bin/python benchmarks/real_images.py [--folder PATH] [--json OUT]``. Each image is
read, digitised, delineated and analysed as ``ecgws analyze`` does; the table gives per image the
layout read, the usable leads, the rate and rhythm against the page's, and any implausible value
reported. The summary counts the readable images (6 or more usable leads), those whose rate is
within 10 % of the beats counted on the page and whose rhythm is right, and the implausible
values reported (there should be none).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.scan.real_images_truth import Verdict, judge, load_truth  # noqa: E402

FOLDER = ROOT.parent / "shared" / "data" / "images" / "ecg-image-kit_real_samples"


def analyse(path: Path) -> tuple[dict | None, str, float]:
    """(JSON analysis or None, layout read or the reason nothing was read, seconds)."""
    from inference import delineate
    from rules.analysis import analysis_window, analyze
    from rules.report import to_json_dict
    from rules.ruleset import load_ruleset
    from workstation.io import ECGReadError, read_ecg

    start = time.perf_counter()
    try:
        full = read_ecg(path)
    except ECGReadError as exc:
        return None, str(exc).split("(")[-1].rstrip(")")[:60], time.perf_counter() - start
    ruleset = load_ruleset()
    record = analysis_window(full, ruleset)
    result = to_json_dict(analyze(record, delineate(record), name=path.stem, ruleset=ruleset,
                                  duration_s=full.duration_s))
    layout = record.digitisation.layout if record.digitisation else "?"
    return result, layout, time.perf_counter() - start


def row(verdict: Verdict | None, name: str, layout: str, seconds: float, truth) -> str:
    if verdict is None:
        return (f"{name:13s} {truth.layout:7s} {'-':14s} {'-':>3s} {truth.rate_bpm:5.0f} {'-':>5s} "
                f"{truth.rhythm:9s} {'-':9s} not read ({layout}) {seconds:4.1f}s")
    hr = "-" if verdict.hr_bpm is None else f"{verdict.hr_bpm:.0f}"
    mark = ("rate ok" if verdict.rate_right else "RATE") + ("" if verdict.rhythm_right else " RHYTHM")
    return (f"{name:13s} {truth.layout:7s} {layout:14s} {verdict.usable_leads:3d} "
            f"{truth.rate_bpm:5.0f} {hr:>5s} {truth.rhythm:9s} "
            f"{'irregular' if verdict.irregular else 'regular':9s} "
            f"{mark if verdict.readable else 'not readable'}"
            f"{' IMPLAUSIBLE ' + ', '.join(verdict.implausible) if verdict.implausible else ''}"
            f" {seconds:4.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=FOLDER)
    parser.add_argument("--json", type=Path, default=None, help="write the verdicts here")
    args = parser.parse_args()
    truth = load_truth()
    verdicts, out = [], []
    print(f"{'image':13s} {'layout':7s} {'read as':14s} {'use':>3s} {'rate':>5s} {'read':>5s} "
          f"{'rhythm':9s} {'read':9s} verdict")
    for name, page in truth.items():
        result, layout, seconds = analyse(args.folder / name)
        verdict = judge(result, page) if result else None
        print(row(verdict, name, layout, seconds, page), flush=True)
        if verdict:
            verdicts.append(verdict)
        out.append({"file": name, "layout": layout, "seconds": round(seconds, 2),
                    **({} if verdict is None else
                       {"usable_leads": verdict.usable_leads, "hr_bpm": verdict.hr_bpm,
                        "irregular": verdict.irregular, "readable": verdict.readable,
                        "rate_right": verdict.rate_right, "rhythm_right": verdict.rhythm_right,
                        "implausible": list(verdict.implausible)})})
    readable = [v for v in verdicts if v.readable]
    with_rate = [v for v in readable if v.hr_bpm is not None]
    right = [v for v in readable if v.rate_right and v.rhythm_right]
    wrong_rate = [v for v in with_rate if not v.rate_right]
    implausible = [v for v in verdicts if v.implausible]
    print(f"\n{len(truth)} images: {len(readable)} readable (6+ usable leads); "
          f"{len(with_rate)} of them report a rate, {len(right)} within 10 % with the right rhythm; "
          f"{len(wrong_rate)} reported rate(s) off by more than 10 % "
          f"({', '.join(v.file for v in wrong_rate) or 'none'}); "
          f"{len(implausible)} image(s) with an implausible value reported")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
