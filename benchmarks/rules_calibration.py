"""Calibrate the delineation's boundary confidences and print the ECE before and after.

Run: ``.venv/bin/python benchmarks/rules_calibration.py [--write]``.

Temperatures (one per boundary kind) are fitted on the LUDB *validation* split, which the
model never trained on; the expected calibration error is printed on the validation split and,
as an untouched check, on the test split (nothing is fitted there). ``--write`` stores the
temperatures in ``resources/rules/calibration.json`` and the reliability diagram of the test
split in ``resources/rules/reliability.png``. See :mod:`rules.calibration` for what
"correct" means.
"""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np

from rules_common import ROOT, model_delineation, record, reference, split, weights_digest
from rules.calibration import (  # noqa: E402
    ECE_BINS, TOLERANCE_MS, Reliability, boundary_outcomes, fit_temperature, reliability, scale)

OUT_JSON = ROOT / "resources" / "rules" / "calibration.json"
OUT_PNG = ROOT / "resources" / "rules" / "reliability.png"


def outcomes(names: list[str]) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str, str]:
    """Pooled (confidence, correct) per boundary kind over ``names``; model name and version."""
    pooled: dict[str, tuple[list, list]] = {k: ([], []) for k in TOLERANCE_MS}
    model = ("", "")
    for name in names:
        rec = record(name)
        predicted = model_delineation(rec, f"ludb-{name}")
        model = (predicted.model_name, predicted.model_version)
        for key, (conf, ok) in boundary_outcomes(predicted, reference(rec, name)).items():
            pooled[key][0].append(conf)
            pooled[key][1].append(ok)
    return ({k: (np.concatenate(c), np.concatenate(y)) for k, (c, y) in pooled.items()},
            *model)


def calibrated(data: dict[str, tuple[np.ndarray, np.ndarray]], temps: dict[str, float] | None):
    conf = np.concatenate([scale(c, temps[k]) if temps else c for k, (c, _) in data.items()])
    ok = np.concatenate([y for _, y in data.values()])
    return conf, ok


def report(label: str, data, temps) -> tuple[Reliability, Reliability]:
    before = reliability(*calibrated(data, None))
    after = reliability(*calibrated(data, temps))
    n = int(before.counts.sum())
    print(f"{label}: {n} boundaries, accuracy {np.concatenate([y for _, y in data.values()]).mean():.3f}; "
          f"ECE before {before.ece:.4f}, after {after.ece:.4f}")
    for key, (conf, ok) in data.items():
        b = reliability(conf, ok).ece
        a = reliability(scale(conf, temps[key]), ok).ece
        print(f"  {key:8s} n={len(ok):5d}  acc {ok.mean():.3f}  mean conf {conf.mean():.3f}  "
              f"ECE {b:.4f} -> {a:.4f}")
    return before, after


def draw(panels: list[tuple[str, Reliability]], path) -> None:
    """Reliability diagrams side by side (OpenCV: no plotting dependency needed)."""
    size, pad = 360, 60
    image = np.full((size + 2 * pad + 20, len(panels) * (size + pad) + pad, 3), 255, np.uint8)
    for p, (title, rel) in enumerate(panels):
        x0, y0 = pad + p * (size + pad), pad

        def at(cx: float, cy: float) -> tuple[int, int]:
            return int(x0 + cx * size), int(y0 + (1 - cy) * size)

        cv2.rectangle(image, at(0, 0), at(1, 1), (0, 0, 0), 1)
        for i in range(ECE_BINS):
            if rel.counts[i] and np.isfinite(rel.accuracy[i]):
                cv2.rectangle(image, at(rel.edges[i], 0), at(rel.edges[i + 1], rel.accuracy[i]),
                              (200, 120, 40), -1)
                cv2.rectangle(image, at(rel.edges[i], 0), at(rel.edges[i + 1], rel.accuracy[i]),
                              (90, 50, 10), 1)
                cv2.putText(image, str(int(rel.counts[i])), at(rel.edges[i] + 0.005, 0.02),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.3, (255, 255, 255), 1, cv2.LINE_AA)
        cv2.line(image, at(0, 0), at(1, 1), (40, 40, 220), 2)
        cv2.putText(image, f"{title}  ECE {rel.ece:.3f}", (x0, y0 - 20),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(image, "confidence", (x0 + size // 2 - 40, y0 + size + 35),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        for tick in (0.0, 0.5, 1.0):
            cv2.putText(image, f"{tick:.1f}", (at(tick, 0)[0] - 8, y0 + size + 15),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
            cv2.putText(image, f"{tick:.1f}", (x0 - 30, at(0, tick)[1] + 4),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(image, "bars: accuracy (share within 2 CSE SDs of a cardiologist's mark), "
                "white: boundaries per bin; red: ideal",
                (pad, image.shape[0] - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                cv2.LINE_AA)
    cv2.imwrite(str(path), image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="store calibration.json and reliability.png in resources/rules/")
    args = parser.parse_args()
    fit, name, version = outcomes(split("validation"))
    temps = {key: fit_temperature(conf, ok) for key, (conf, ok) in fit.items()}
    print(f"model {name} {version}; temperatures (validation split, 20 records): "
          + ", ".join(f"{k} {t:.3f}" for k, t in temps.items()))
    val = report("validation (fitted here)", fit, temps)
    test, _, _ = outcomes(split("test"))
    before, after = report("test (untouched)", test, temps)
    if args.write:
        OUT_JSON.write_text(json.dumps({
            "model_name": name, "model_version": version, "weights_sha256": weights_digest(),
            "method": "temperature scaling per boundary kind (Guo et al., ICML 2017)",
            "fitted_on": "LUDB validation split (splits.json), 20 records",
            "correct_within_ms": TOLERANCE_MS,
            "temperatures": {k: round(t, 4) for k, t in temps.items()},
            "ece": {"validation_before": round(val[0].ece, 4), "validation_after": round(val[1].ece, 4),
                    "test_before": round(before.ece, 4), "test_after": round(after.ece, 4)},
        }, indent=1) + "\n", encoding="utf-8")
        draw([("test, raw", before), ("test, calibrated", after)], OUT_PNG)
        print(f"wrote {OUT_JSON.relative_to(ROOT)} and {OUT_PNG.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
