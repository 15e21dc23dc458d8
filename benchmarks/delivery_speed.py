"""How long each delivery step takes on the bundled sample (10 s, 12 leads, 500 Hz).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/delivery_speed.py [--repeat N]

Prints the median wall-clock time of: the model's delineation, the rules, the PDF report,
and each export (HL7 v2, FHIR with the waveform, DICOM, aECG), with the output sizes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from PySide6 import QtWidgets

import inference
from resources import sample_ecg_path
from workstation.delivery.aecg_export import write_aecg
from workstation.delivery.case import build_case
from workstation.delivery.dicom_export import write_dicom
from workstation.delivery.fhir import write_fhir
from workstation.delivery.hl7v2 import write_hl7v2
from workstation.io import read_ecg
from workstation.ui.report import write_pdf


def median_ms(func, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])  # noqa: F841
    record = read_ecg(sample_ecg_path())
    inference.delineate(record)  # load the weights once
    delineation = inference.delineate(record)
    case = build_case(record, delineation)
    out = Path(tempfile.mkdtemp(prefix="ecgws-bench-"))
    steps = {
        "delineate (model)": lambda: inference.delineate(record),
        "rules": lambda: build_case(record, delineation),
        "PDF report": lambda: write_pdf(case, out / "r.pdf"),
        "HL7 v2 ORU^R01": lambda: write_hl7v2(case, out / "r.hl7"),
        "FHIR Observation": lambda: write_fhir(case, out / "r.json"),
        "DICOM waveform": lambda: write_dicom(case, out / "r.dcm"),
        "HL7 aECG": lambda: write_aecg(case, out / "r.xml"),
    }
    files = {"PDF report": "r.pdf", "HL7 v2 ORU^R01": "r.hl7", "FHIR Observation": "r.json",
             "DICOM waveform": "r.dcm", "HL7 aECG": "r.xml"}
    print(f"bundled sample, median of {args.repeat} runs")
    for name, step in steps.items():
        ms = median_ms(step, args.repeat)
        size = f"{(out / files[name]).stat().st_size / 1024:8.0f} KiB" if name in files else ""
        print(f"  {name:<20} {ms:8.1f} ms {size}")


if __name__ == "__main__":
    main()
