"""How well and how fast a paper ECG's printed text is read: per field, against exact truth.

Run: ``.venv/bin/python benchmarks/page_text.py [--records N] [--levels clean,scan,photo]
[--engine rapidocr|rapidocr-v4|tesseract] [--real] [--speed]``.

Generated pages: LUDB records (the shared test split, or the bundled record 1 without the
shared data) printed at 200 dpi with a device-style header (:func:`workstation.scan.synth.make_header`:
the GE, Philips and Mortara layouts in turn, five fonts in turn, invented names and statements,
the record's own measurements), clean, as a scan and as a phone photo. For each field, the share
read exactly (numbers, the patient id, birth date, age, sex and the acquisition time to the
minute) or with the right meaning (statements: the same concepts of :func:`rules.device.classify`,
or the same words for a statement outside our vocabulary), and the share of pages whose
images, once the identifying boxes found are blacked out, no longer give the patient's name or
id to the same reader.

``--real [NAMES]``: every real scan and photo (or those named) of the shared data in which a measurement or a statement
is read, as read (compare by eye with the image). ``--speed``: the time to digitise a 300-dpi
page and to read its text, median of 3. ``--engine`` swaps the recogniser (the parse is the same):
``rapidocr-v4`` (PP-OCRv4 of the older rapidocr_onnxruntime wheel) and ``tesseract``
(pytesseract and the tesseract binary) need those installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rules.device import classify  # noqa: E402
from workstation.io import read_ecg  # noqa: E402
from workstation.scan import page_text  # noqa: E402
from workstation.scan.page_text import TextBox, parse, redact  # noqa: E402
from workstation.scan.synth import HEADER_FONTS, VENDORS, degrade, make_header, render  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
NUMBERS = ("Ventricular rate", "PR", "QRS", "QT", "QTc", "P axis", "QRS axis", "T axis")
PATIENT = ("patient_id", "birth_date", "age", "sex", "acquisition time", "name")


# -- engines -------------------------------------------------------------------------------

def _rapidocr_v4():
    """PP-OCRv4 (the rapidocr_onnxruntime wheel's models) run by the same rapidocr 3 engine."""
    import rapidocr_onnxruntime
    from rapidocr import OCRVersion, RapidOCR

    models = Path(rapidocr_onnxruntime.__file__).parent / "models"
    engine = RapidOCR(params={
        "Global.log_level": "error", "Global.use_cls": False, "Global.max_side_len": 4400,
        "Det.model_path": str(models / "ch_PP-OCRv4_det_infer.onnx"), "Det.ocr_version": OCRVersion.PPOCRV4,
        "Rec.model_path": str(models / "ch_PP-OCRv4_rec_infer.onnx"), "Rec.ocr_version": OCRVersion.PPOCRV4,
        "Det.limit_type": "max", "Det.limit_side_len": page_text.DETECT_SIDE_PX})
    page_text._Engine._instance = engine


def _tesseract_boxes(image: np.ndarray) -> list[TextBox]:
    """Tesseract's lines (its words grouped by block, paragraph and line)."""
    import pytesseract

    scale = page_text.READ_SIDE_PX / max(image.shape[:2])
    light = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC).max(axis=2)
    data = pytesseract.image_to_data(light, config="--psm 3",
                                     output_type=pytesseract.Output.DICT)
    lines: dict = defaultdict(list)
    for i, word in enumerate(data["text"]):
        if word.strip() and float(data["conf"][i]) >= 0:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines[key].append(i)
    out = []
    for idx in lines.values():
        # a line that jumps a column gap is two boxes, as a detector gives them
        groups, last = [[idx[0]]], idx[0]
        for i in idx[1:]:
            gap = data["left"][i] - (data["left"][last] + data["width"][last])
            if gap > 2.5 * data["height"][last]:
                groups.append([])
            groups[-1].append(i)
            last = i
        for g in groups:
            x0 = min(data["left"][i] for i in g) / scale
            y0 = min(data["top"][i] for i in g) / scale
            x1 = max(data["left"][i] + data["width"][i] for i in g) / scale
            y1 = max(data["top"][i] + data["height"][i] for i in g) / scale
            text = " ".join(data["text"][i] for i in g)
            score = min(float(data["conf"][i]) for i in g) / 100.0
            out.append(TextBox(text, score, (int(x0), int(y0), int(x1), int(y1))))
    return out


CPU_SECONDS: dict[str, list[float]] = defaultdict(list)


def read(image: np.ndarray, engine: str, level: str | None = None):
    """What ``engine`` reads on ``image``, and the wall time (the CPU time, all threads
    together, is kept by level: on a shared machine it is the steadier figure)."""
    start, cpu = time.perf_counter(), time.process_time()
    if engine == "tesseract":
        boxes = _tesseract_boxes(image)
        text = parse(boxes)
    else:  # the workstation's own path, with its second look at rows whose values were missed
        text = page_text.read_page_text(image)
        boxes = list(text.boxes)
    if level:
        CPU_SECONDS[level].append(time.process_time() - cpu)
    return text, boxes, time.perf_counter() - start


# -- scoring -------------------------------------------------------------------------------

def _same_meaning(truth: str, read_statements: tuple[str, ...]) -> bool:
    concepts = classify(truth)
    norm = re.sub(r"\W+", " ", truth.lower()).strip()
    return any((concepts and classify(s) == concepts) or re.sub(r"\W+", " ", s.lower()).strip() == norm
               for s in read_statements)


def score_page(header, text) -> dict[str, bool]:
    out: dict[str, bool] = {}
    values = {m.name: m.value for m in text.measurements}
    for name, value in header.measurements:
        out[name] = name in text.not_measured if value is None else values.get(name) == value
    p = text.patient
    out["patient_id"] = p.patient_id == header.patient_id
    out["birth_date"] = p.birth_date == header.birth_date.isoformat()
    out["age"] = p.age_years == header.age_years
    out["sex"] = p.sex == header.sex
    out["acquisition time"] = (text.acquired is not None
                               and text.acquired.replace(second=0) == header.acquired.replace(second=0))
    out["name"] = (p.name or "").replace(" ", "").lower() == header.name.replace(" ", "").lower()
    for k, s in enumerate(header.statements):
        out[f"statement/{k}"] = _same_meaning(s, text.statements)
        out[f"statement exact/{k}"] = s in text.statements
    return out


def name_readable(image: np.ndarray, header, engine: str) -> bool:
    """Whether the reader still finds the name or id: in the top 40 % of the page, where the
    generator prints its header (also on a photo's page in perspective on a table)."""
    _, boxes, _ = read(image[: int(0.4 * image.shape[0])], engine)
    seen = " ".join(b.text.lower() for b in boxes)
    words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", header.name)]
    return any(w in seen for w in words) or header.patient_id in seen.replace(" ", "")


def generated(records, levels: list[str], engine: str) -> None:
    tallies: dict[str, dict[str, list[bool]]] = {lv: defaultdict(list) for lv in levels}
    seconds: dict[str, list[float]] = defaultdict(list)
    for i, record in enumerate(records):
        vendor, font = VENDORS[i % len(VENDORS)], HEADER_FONTS[i % len(HEADER_FONTS)]
        header = make_header(record, seed=i, vendor=vendor, font=font)
        clean = render(record, dpi=200, header=header)
        for level in levels:
            page = degrade(clean, level, seed=i)
            text, _, took = read(page.image, engine, level)
            seconds[level].append(took)
            for field, ok in score_page(header, text).items():
                tallies[level][field.split("/")[0]].append(ok)
            hidden = not name_readable(redact(page.image, text.identity_boxes), header, engine)
            tallies[level]["name blacked out"].append(hidden)
            print(f"  {record.source.path.stem:>4} {vendor:<8} {font:<8} {level:<6} {took:5.1f} s "
                  f"wrong: {', '.join(f for f, ok in score_page(header, text).items() if not ok) or '-'}"
                  f"{'' if hidden else '; NAME READABLE'}", flush=True)
    fields = [*NUMBERS, *PATIENT, "statement", "statement exact", "name blacked out"]
    print(f"\nengine {engine}: share read exactly (statements: right meaning), "
          f"{len(records)} pages per level")
    print(f"{'field':<18}" + "".join(f"{lv:>10}" for lv in levels))
    for f in fields:
        print(f"{f:<18}" + "".join(f"{_share(tallies[lv][f]):>10}" for lv in levels))
    numbers = {lv: [ok for f in NUMBERS for ok in tallies[lv][f]] for lv in levels}
    print(f"{'all numbers':<18}" + "".join(f"{_share(numbers[lv]):>10}" for lv in levels))
    print(f"{'seconds / page':<18}" + "".join(f"{statistics.median(seconds[lv]):>10.2f}" for lv in levels))
    print(f"{'CPU s / page':<18}" + "".join(f"{statistics.median(CPU_SECONDS[lv]):>10.2f}" for lv in levels))


def _share(values: list[bool]) -> str:
    return f"{100 * np.mean(values):.1f}%" if values else "-"


def real(engine: str, names: list[str]) -> None:
    folder = SHARED / "images" / "ecg-image-kit_real_samples"
    if not folder.is_dir():
        print(f"no {folder}: the shared data is not here")
        return
    print("\nreal scans and photos with printed text read (compare with the image)")
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp") or names and path.name not in names:
            continue
        image = cv2.imread(str(path))
        if image is None:
            continue
        text, _, took = read(image, engine)
        if not (text.measurements or text.statements or text.not_measured):
            continue
        values = ", ".join(f"{m.name} {m.value:g}" for m in text.measurements)
        print(f"{path.name} ({took:.1f} s): {values or '-'}"
              + (f"; not measured: {', '.join(text.not_measured)}" if text.not_measured else ""))
        for s in text.statements:
            print(f"    {s}")


def speed(records) -> None:
    from workstation.scan.digitize import digitize

    header = make_header(records[0], seed=0, vendor="ge", font="sans")
    page = render(records[0], dpi=300, header=header).image
    page_text.read_boxes(page[:200])  # the networks load once per run (about 1 s)
    digitise, ocr, cpu = [], [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        digitize(page)
        t1, c1 = time.perf_counter(), time.process_time()
        page_text.read_page_text(page)
        t2, c2 = time.perf_counter(), time.process_time()
        digitise.append(t1 - t0)
        ocr.append(t2 - t1)
        cpu.append((c1 - c0, c2 - c1))
    print(f"\n300-dpi page {page.shape[1]} x {page.shape[0]} px: digitise "
          f"{statistics.median(digitise):.2f} s, read text {statistics.median(ocr):.2f} s, "
          f"total {statistics.median(digitise) + statistics.median(ocr):.2f} s (median of 3); CPU time "
          f"digitise {statistics.median(c[0] for c in cpu):.2f} s, read text "
          f"{statistics.median(c[1] for c in cpu):.2f} s; load average {os.getloadavg()[0]:.1f}")


def load_records(n: int):
    splits = SHARED / "ludb" / "splits.json"
    if splits.is_file():
        names = json.loads(splits.read_text())["test"][:n]
        return [read_ecg(SHARED / "ludb" / f"{name}.hea") for name in names]
    return [read_ecg(ROOT / "tests" / "data" / "ludb" / "1.hea")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=15)
    parser.add_argument("--levels", default="clean,scan,photo")
    parser.add_argument("--engine", default="rapidocr", choices=("rapidocr", "rapidocr-v4", "tesseract"))
    parser.add_argument("--real", nargs="?", const="", default=None,
                        help="the real samples (all, or these comma-separated file names)")
    parser.add_argument("--speed", action="store_true")
    args = parser.parse_args()
    if args.engine == "rapidocr-v4":
        _rapidocr_v4()
    records = load_records(args.records)
    if args.records:
        generated(records, [lv for lv in args.levels.split(",") if lv], args.engine)
    if args.real is not None:
        real(args.engine, [n for n in args.real.split(",") if n])
    if args.speed:
        speed(records or load_records(1))


if __name__ == "__main__":
    main()
