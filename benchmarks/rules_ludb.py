"""Our rule flags against LUDB's cardiologists' diagnoses (ludb.csv), per flag.

Run: ``.venv/bin/python benchmarks/rules_ludb.py [--split test|validation|train|all]``.

For every record of the split (default: test), the rules run twice: on the shipped model's
delineation and, for reference, on the cardiologists' own per-lead annotations. Printed per
flag: sensitivity and specificity against the matching diagnosis, counting a flag as raised
when it fires firmly (info or alert) and, in a second column, also when it is borderline.
Then how our QRS axis spreads over LUDB's axis categories, and how the model's measurements
differ from those on the reference annotations.

Caveats printed with the figures: LUDB stores every lead normalised to a 1 mV range (see
rules/consistency.py), so no amplitude rule runs on it and the axis uses restored limb gains;
LUDB's axis categories follow a convention where "left axis deviation" starts near 0 deg, not
at -30 deg as in the AHA/ACCF/HRS definition our rule uses.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable

import numpy as np

from rules_common import diagnoses, model_delineation, record, reference, split
from rules.analysis import Analysis, analyze  # noqa: E402
from rules.types import FlagId, Severity  # noqa: E402

Row = dict[str, str]


@dataclass(frozen=True)
class Target:
    """A diagnosis in ludb.csv and the flag(s) compared with it."""

    label: str
    truth: Callable[[Row], bool]
    flags: tuple[FlagId, ...]


def _has(column: str, *words: str) -> Callable[[Row], bool]:
    return lambda row: any(w in row[column] for w in words)


def _complete_bbb(row: Row) -> bool:
    parts = row["Conduction abnormalities"].split(" | ")
    return any("bundle branch block" in p and "incomplete" not in p for p in parts)


TARGETS = (
    Target("sinus bradycardia", _has("Rhythms", "sinus bradycardia"), (FlagId.BRADYCARDIA,)),
    Target("sinus tachycardia", _has("Rhythms", "sinus tachycardia"), (FlagId.TACHYCARDIA,)),
    Target("I degree AV block", _has("Conduction abnormalities", "i degree av block"),
           (FlagId.FIRST_DEGREE_AV_BLOCK,)),
    Target("left axis deviation", _has("Electric axis of the heart", "left axis deviation"),
           (FlagId.LEFT_AXIS_DEVIATION,)),
    Target("right axis deviation", _has("Electric axis of the heart", "right axis deviation"),
           (FlagId.RIGHT_AXIS_DEVIATION,)),
    Target("complete BBB", _complete_bbb, (FlagId.WIDE_QRS,)),
    Target("atrial fibrillation", _has("Rhythms", "atrial fibrillation"),
           (FlagId.IRREGULAR_RHYTHM,)),
    Target("atrial fibrillation", _has("Rhythms", "atrial fibrillation"),
           (FlagId.POSSIBLE_ATRIAL_FIBRILLATION,)),
    Target("cardiac pacing", lambda row: bool(row["Cardiac pacing"].strip()),
           (FlagId.PACED_RHYTHM,)),
)


def normal(row: Row) -> bool:
    """Sinus rhythm and nothing else in any of LUDB's diagnosis columns."""
    rhythm = row["Rhythms"].strip().lower()
    others = [c for c in row if c not in ("ID", "Sex", "Age", "Rhythms",
                                         "Electric axis of the heart")]
    axis = row["Electric axis of the heart"].lower()
    return (rhythm == "sinus rhythm" and ("normal" in axis or not axis.strip())
            and not any(row[c].strip() for c in others))


def raised(a: Analysis, flags: tuple[FlagId, ...], borderline: bool) -> bool:
    return any(f.id in flags and (borderline or f.severity is not Severity.BORDERLINE)
               for f in a.flags)


def rate(hits: int, total: int) -> str:
    return f"{hits:>2}/{total:<3} {hits / total:6.1%}" if total else "  -/0         "


def agreement(results: dict[str, Analysis], rows: dict[str, Row], target: Target,
              borderline: bool) -> tuple[str, str]:
    tp = fn = fp = tn = 0
    for name, a in results.items():
        truth, flag = target.truth(rows[name]), raised(a, target.flags, borderline)
        tp += truth and flag
        fn += truth and not flag
        fp += flag and not truth
        tn += not truth and not flag
    return rate(tp, tp + fn), rate(tn, tn + fp)


def print_agreement(runs: dict[str, dict[str, Analysis]], rows: dict[str, Row]) -> None:
    print(f"{'diagnosis':22s} {'flag':30s} {'delineation':12s} {'sensitivity':>15s} "
          f"{'specificity':>15s} | {'sens. (+borderline)':>19s} {'spec. (+borderline)':>19s}")
    for target in TARGETS:
        for source, results in runs.items():
            firm = agreement(results, rows, target, False)
            loose = agreement(results, rows, target, True)
            print(f"{target.label:22s} {'/'.join(f.value for f in target.flags):30s} "
                  f"{source:12s} {firm[0]:>15s} {firm[1]:>15s} | {loose[0]:>19s} {loose[1]:>19s}")


def print_axis_spread(runs: dict[str, dict[str, Analysis]], rows: dict[str, Row]) -> None:
    print("\nOur QRS axis (deg) by LUDB's axis category: median [min, max] (n)")
    for source, results in runs.items():
        by: dict[str, list[float]] = {}
        for name, a in results.items():
            category = rows[name]["Electric axis of the heart"].replace(
                "electric axis of the heart: ", "") or "(none)"
            if a.measurements.qrs_axis.value is not None:
                by.setdefault(category, []).append(a.measurements.qrs_axis.value)
        cells = [f"{c} {np.median(v):.0f} [{min(v):.0f}, {max(v):.0f}] ({len(v)})"
                 for c, v in sorted(by.items())]
        print(f"  {source:10s} " + "; ".join(cells))


def print_conventions(runs: dict[str, dict[str, Analysis]], rows: dict[str, Row]) -> None:
    """Our measurements against LUDB's labels at the cut-points LUDB's cardiologists appear to
    use (axis below 0 deg for left deviation, rate above 90 bpm for tachycardia): shows
    whether a disagreement is in the measurement or in the convention. Not a rule."""
    print("\nWith LUDB's apparent conventions (measurement check, not our rules):")
    checks = (("left axis deviation", "axis < 0 deg",
               _has("Electric axis of the heart", "left axis deviation"),
               lambda a: a.measurements.qrs_axis.value is not None
               and -90.0 <= a.measurements.qrs_axis.value < 0.0),
              ("sinus tachycardia", "rate > 90 bpm", _has("Rhythms", "sinus tachycardia"),
               lambda a: (a.measurements.rhythm.hr_bpm.value or 0.0) > 90.0))
    for label, rule, truth, test in checks:
        for source, results in runs.items():
            tp = sum(truth(rows[n]) and test(a) for n, a in results.items())
            pos = sum(truth(rows[n]) for n in results)
            tn = sum(not truth(rows[n]) and not test(a) for n, a in results.items())
            print(f"  {label:22s} {rule:15s} {source:10s} sensitivity {rate(tp, pos)}  "
                  f"specificity {rate(tn, len(results) - pos)}")


def print_measurement_gap(runs: dict[str, dict[str, Analysis]]) -> None:
    if set(runs) != {"model", "reference"}:
        return
    print("\nModel minus reference delineation, same records: mean +- SD (n)")
    for label, get in (("HR bpm", lambda a: a.measurements.rhythm.hr_bpm.value),
                       ("P ms", lambda a: a.measurements.intervals.p_ms.value),
                       ("PR ms", lambda a: a.measurements.intervals.pr_ms.value),
                       ("QRS ms", lambda a: a.measurements.intervals.qrs_ms.value),
                       ("QT ms", lambda a: a.measurements.intervals.qt_ms.value),
                       ("QRS axis deg", lambda a: a.measurements.qrs_axis.value)):
        diffs = [get(runs["model"][n]) - get(runs["reference"][n]) for n in runs["model"]
                 if get(runs["model"][n]) is not None and get(runs["reference"][n]) is not None]
        if diffs:
            print(f"  {label:13s} {np.mean(diffs):+7.1f} +- {np.std(diffs):6.1f} ({len(diffs)})")


def print_routing(runs: dict[str, dict[str, Analysis]]) -> None:
    print("\nRouting: triage counts, share sent to review, confidence quartiles and terms")
    for source, results in runs.items():
        analyses = list(results.values())
        triage: dict[str, int] = {}
        for a in analyses:
            triage[a.routing.triage.value] = triage.get(a.routing.triage.value, 0) + 1
        conf = np.array([a.confidence.value for a in analyses])
        terms = {t: np.median([getattr(a.confidence, t) for a in analyses])
                 for t in ("quality", "delineation", "margin", "completeness")}
        print(f"  {source:10s} {triage}; review {np.mean([a.routing.review for a in analyses]):.0%}; "
              f"confidence quartiles {np.percentile(conf, [25, 50, 75]).round(2).tolist()}; "
              "median terms " + ", ".join(f"{k} {v:.2f}" for k, v in terms.items()))


def print_normal_review(runs: dict[str, dict[str, Analysis]], rows: dict[str, Row]) -> None:
    """How many records whose cardiologists found sinus rhythm and nothing else go to review,
    and why (the most common first reason)."""
    print("\nRecords labelled sinus rhythm and nothing else: share sent to review, and why")
    for source, results in runs.items():
        plain = {n: a for n, a in results.items() if normal(rows[n])}
        if not plain:
            continue
        reviewed = [a for a in plain.values() if a.routing.review]
        why: dict[str, int] = {}
        for a in reviewed:
            for reason in a.routing.review_reasons:
                key = reason.split(":")[0].split(" (")[0][:60]
                why[key] = why.get(key, 0) + 1
        top = sorted(why.items(), key=lambda kv: -kv[1])[:4]
        # LUDB's per-lead normalisation alone makes the ST rules unusable: the rate without it
        other = [a for a in reviewed if any("amplitudes cannot be trusted" not in r
                                            for r in a.routing.review_reasons)]
        print(f"  {source:10s} {len(reviewed)}/{len(plain)} reviewed "
              f"({len(reviewed) / len(plain):.0%}); reasons: "
              + "; ".join(f"{k} ({v})" for k, v in top)
              + f"; for a reason other than the untrusted amplitudes: {len(other)}/{len(plain)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["test", "validation", "train", "all"])
    parser.add_argument("--reference-only", action="store_true",
                        help="skip the model (rules on the cardiologists' annotations only)")
    args = parser.parse_args()
    names, rows = split(args.split), diagnoses()
    runs: dict[str, dict[str, Analysis]] = {"model": {}, "reference": {}}
    if args.reference_only:
        del runs["model"]
    for name in names:
        rec = record(name)
        if "model" in runs:
            runs["model"][name] = analyze(rec, model_delineation(rec, f"ludb-{name}"), name=name)
        runs["reference"][name] = analyze(rec, reference(rec, name), name=name)
    positives = {t.label: sum(t.truth(rows[n]) for n in names) for t in TARGETS}
    print(f"LUDB {args.split} split: {len(names)} records; positives per diagnosis: "
          + ", ".join(f"{k} {v}" for k, v in positives.items()))
    print_agreement(runs, rows)
    print_axis_spread(runs, rows)
    print_conventions(runs, rows)
    print_measurement_gap(runs)
    print_routing(runs)
    print_normal_review(runs, rows)
    print("\nCaveats: LUDB leads are stored normalised to 1 mV each, so the amplitude rules do "
          "not run (every record is therefore reviewed: ST elevation is not excluded) and the axis "
          "uses limb gains restored by Einthoven's law; LUDB's 'left axis "
          "deviation' begins near 0 deg (our rule: below -30 deg, AHA/ACCF/HRS 2009).")


if __name__ == "__main__":
    main()
