"""Our measurements beside the recording devices' own (Mortara, GE 12SL, Philips, ELI 250).

Run: ``.venv/bin/python benchmarks/rules_devices.py [--delineation model|reference]``.

Every file under ``../shared/data/formats`` whose device report carries global measurements is
analysed (model delineation by default); the table prints the device's value, ours and the
difference per measurement (rate in bpm, intervals in ms, axes in degrees). The devices report
QTc by Bazett (checked: QT / sqrt(RR) reproduces every device QTc here), so our Bazett QTc is
the one compared. Files that hold the same ECG as an earlier one (identical device values)
(the same PR, QRS and QT) are listed but left out of the statistics, as are physiologically
implausible device values (``PLAUSIBLE``). The summary gives mean and SD of the differences
against IEC 60601-2-25-style tolerances (mean within +-10 ms, SD within 10 ms for P, PR and
QRS, and within +-25 ms / 30 ms for QT), which are stated for the CSE database, not for a
handful of files: read them as orientation, not as a test.
"""

from __future__ import annotations

import argparse

import numpy as np

from rules_common import SHARED, model_delineation
from rules.analysis import Analysis, analysis_window, analyze  # noqa: E402
from rules.ruleset import load_ruleset  # noqa: E402
from rules.types import QtcFormula  # noqa: E402
from workstation.core.delineation import Delineation, waves_from_marks  # noqa: E402
from workstation.core.record import ECGRecord  # noqa: E402
from workstation.io import ECGReadError, iter_ecg_files, read_ecg  # noqa: E402

#: device measurement name -> (our value getter, unit, tolerance of the mean, of the SD)
COMPARED = {
    "Ventricular rate": (lambda a: a.measurements.rhythm.hr_bpm.value, "bpm", None, None),
    "P duration": (lambda a: a.measurements.intervals.p_ms.value, "ms", 10.0, 15.0),
    "PR": (lambda a: a.measurements.intervals.pr_ms.value, "ms", 10.0, 10.0),
    "QRS": (lambda a: a.measurements.intervals.qrs_ms.value, "ms", 10.0, 10.0),
    "QT": (lambda a: a.measurements.intervals.qt_ms.value, "ms", 25.0, 30.0),
    "QTc": (lambda a: a.measurements.intervals.qtc[QtcFormula.BAZETT].value, "ms", None, None),
    "P axis": (lambda a: a.measurements.p_axis.value, "deg", None, None),
    "QRS axis": (lambda a: a.measurements.qrs_axis.value, "deg", None, None),
    "T axis": (lambda a: a.measurements.t_axis.value, "deg", None, None),
}


#: Device values outside these limits are printed but not counted (device artefacts, such as a
#: Philips file's P duration of 508 ms).
PLAUSIBLE = {"P duration": (40.0, 250.0), "PR": (60.0, 500.0), "QRS": (40.0, 250.0),
             "QT": (200.0, 700.0)}


def device_values(record: ECGRecord) -> dict[str, float]:
    report = record.device_report
    values = {m.name: m.value for m in report.measurements if m.lead is None}
    if "Ventricular rate" not in values and values.get("RR"):
        values["Ventricular rate"] = 60000.0 / values["RR"]
    return {k: v for k, v in values.items() if k in COMPARED}


def stored_reference(record: ECGRecord) -> Delineation | None:
    waves = []
    for lead in record.lead_names:
        marks = sorted((a.sample, a.symbol) for a in record.annotations if a.lead == lead)
        waves += waves_from_marks(lead, [m[0] for m in marks], [m[1] for m in marks])
    return Delineation(record.fs, record.lead_names, tuple(waves), "reference", "") if waves else None


def difference(ours: float, theirs: float, unit: str) -> float:
    d = ours - theirs
    return (d + 180.0) % 360.0 - 180.0 if unit == "deg" else d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delineation", choices=["model", "reference"], default="model")
    args = parser.parse_args()
    ruleset = load_ruleset()
    diffs: dict[str, list[float]] = {name: [] for name in COMPARED}
    rows: list[tuple[str, str, bool, list[str]]] = []
    seen: dict[tuple, str] = {}
    # native files first: a converted copy of the same ECG is then the one left out
    for path in sorted(iter_ecg_files(SHARED / "formats"), key=lambda p: "converted" in p.name):
        try:
            record = read_ecg(path)
        except ECGReadError as exc:
            print(f"skipped {path.name}: {exc}")
            continue
        theirs = device_values(record)
        if len(theirs) < 3 and not record.device_report.statements:
            continue
        window = analysis_window(record, ruleset)
        delineation = (model_delineation(window, f"formats-{path.name}")
                       if args.delineation == "model" else stored_reference(window))
        a: Analysis = analyze(window, delineation, name=path.name, ruleset=ruleset)
        key = tuple(theirs.get(k) for k in ("PR", "QRS", "QT"))
        duplicate = seen.get(key)
        seen.setdefault(key, path.name)
        print(f"\n{path.name} ({record.device_report.program or 'device'}; {record.fs:g} Hz)"
              + (f"  [same ECG as {duplicate}: not in the statistics]" if duplicate else ""))
        print(f"  ours: {a.routing.label}; review {'yes' if a.routing.review else 'no'}; flags "
              + (", ".join(f.id.value + ("?" if f.severity.value == "borderline" else "")
                           for f in a.flags) or "none"))
        for row in a.device_concordance:
            print(f"  statement {row.agreement.value:12s} {row.statement or '-'!r:60.60s} "
                  f"ours: {', '.join(f.value for f in row.flags) or 'none'}"
                  + ("  [critical: raised]" if row.critical else ""))
        rows.append((path.name, a.routing.triage.value, a.routing.review,
                     [c.agreement.value for c in a.device_concordance]))
        for name, value in theirs.items():
            get, unit, _, _ = COMPARED[name]
            ours = get(a)
            if ours is None:
                print(f"  {name:17s} device {value:7.1f}  ours      -")
                continue
            d = difference(ours, value, unit)
            low, high = PLAUSIBLE.get(name, (-np.inf, np.inf))
            plausible = low <= value <= high
            print(f"  {name:17s} device {value:7.1f}  ours {ours:7.1f}  diff {d:+7.1f} {unit}"
                  + ("" if plausible else "  (implausible device value: not counted)"))
            if not duplicate and plausible:
                diffs[name].append(d)
    print("\nSummary (ours minus device; unique ECGs):")
    for name, values in diffs.items():
        if not values:
            continue
        _, unit, tol_mean, tol_sd = COMPARED[name]
        mean, sd = float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        verdict = ""
        if tol_mean is not None:
            verdict = (f"  tolerance mean +-{tol_mean:g}, SD {tol_sd:g}: "
                       + ("within" if abs(mean) <= tol_mean and sd <= tol_sd else "outside"))
        print(f"  {name:17s} n={len(values):2d}  mean {mean:+7.1f}  SD {sd:6.1f}  "
              f"max |diff| {max(abs(v) for v in values):6.1f} {unit}{verdict}")


    print_concordance(rows)


def print_concordance(rows: list[tuple[str, str, bool, list[str]]]) -> None:
    """One line per file: our triage, review, and the agreement counts of its statements."""
    print("\nStatements against our flags, per file (agree / partly / device only / ours only):")
    for name, triage, review, agreements in rows:
        counts = [agreements.count(k) for k in ("agree", "partly", "device_only", "ours_only")]
        print(f"  {name:58.58s} {triage:19s} review {'yes' if review else 'no ':3s} "
              + " / ".join(map(str, counts)))
    print(f"  reviewed: {sum(r[2] for r in rows)} of {len(rows)} files")


if __name__ == "__main__":
    main()
