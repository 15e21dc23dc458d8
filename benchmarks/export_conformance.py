"""Every export of every shared ECG through the field's validators, and read back.

Run: ``.venv/bin/python benchmarks/export_conformance.py [--data ../shared/data] [--out DIR]``.

Each record and device file of the shared data folder is read, delineated with the shipped
model, analysed, and exported as DICOM, FHIR, HL7 v2 and aECG
(:func:`workstation.delivery.conformance.check_exports`); each export goes through its
validators and is read back. Prints, per export and validator, the files checked, the files
that passed, the errors and warnings (each distinct message with its count), and the files
a validator could not run on with the reason: the table of the delivery README.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.delivery.shared_files import shared_ecg_files  # noqa: E402
from workstation.delivery.case import case_from_file  # noqa: E402
from workstation.delivery.conformance import (  # noqa: E402
    check_exports,
    fetch_fhir_schema,
    fetch_fhir_validator,
)
from workstation.io import ECGReadError  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=None, help="keep the exports here")
    args = parser.parse_args()
    files = shared_ecg_files(args.data)
    if not files:
        print(f"no ECG files under {args.data}")
        return 1
    print(fetch_fhir_schema(), file=sys.stderr)
    print(fetch_fhir_validator(), file=sys.stderr)
    tally: dict[tuple[str, str], dict] = {}
    unreadable = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        for n, path in enumerate(files, 1):
            try:
                case = case_from_file(path)
            except ECGReadError as exc:
                unreadable.append(f"{path.relative_to(args.data)}: {exc}")
                continue
            folder = out / re.sub(r"[^A-Za-z0-9_.-]", "_", str(path.relative_to(args.data)))
            for fmt, verdicts in check_exports(case, folder).items():
                for v in verdicts:
                    _count(tally, fmt, v, path.relative_to(args.data))
            if n % 25 == 0:
                print(f"  {n}/{len(files)} files, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    _print(tally, len(files), unreadable, time.perf_counter() - start)
    return 0 if all(not t["error_files"] for t in tally.values()) else 1


def _count(tally: dict, fmt: str, v, name: Path) -> None:  # noqa: ANN001 - Verdict
    t = tally.setdefault((fmt, v.validator), {"files": 0, "passed": 0, "error_files": [],
                                              "errors": collections.Counter(),
                                              "warnings": collections.Counter(),
                                              "not_run": collections.Counter()})
    if not v.available:
        t["not_run"][v.reason] += 1
        return
    t["files"] += 1
    t["passed"] += v.passed
    if v.errors:
        t["error_files"].append(str(name))
    t["errors"].update(v.errors)
    t["warnings"].update(_general(w) for w in v.warnings)


def _general(message: str) -> str:
    return re.sub(r"\s+", " ", message)[:160]


def _print(tally: dict, n_files: int, unreadable: list[str], seconds: float) -> None:
    print(f"{n_files} shared files ({len(unreadable)} not readable as an ECG), {seconds:.0f} s\n")
    print("| export | validator | files | passed | errors | warnings |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (fmt, validator), t in tally.items():
        if t["files"]:
            print(f"| {fmt} | {validator} | {t['files']} | {t['passed']} | "
                  f"{sum(t['errors'].values())} | {sum(t['warnings'].values())} |")
    for (fmt, validator), t in tally.items():
        for reason, count in t["not_run"].items():
            print(f"\n{fmt} / {validator}: not run on {count} files: {reason}")
        for kind in ("errors", "warnings"):
            for message, count in t[kind].most_common():
                print(f"{fmt} / {validator} {kind[:-1]} x{count}: {message}")
        if t["error_files"]:
            print(f"{fmt} / {validator}: files with errors: {', '.join(t['error_files'][:20])}")
    for line in unreadable:
        print(f"not readable: {line}")


if __name__ == "__main__":
    raise SystemExit(main())
