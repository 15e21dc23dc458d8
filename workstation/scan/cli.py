"""``ecgws digitize`` and ``ecgws digitize-eval``: paper ECG images to WFDB, and how well.

Imports here stay cheap; the image processing is imported inside each command.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

EXIT_BAD_INPUT = 2


@click.command("digitize")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for STEM.hea/.dat and STEM.json (created if absent).")
@click.option("--overlay", is_flag=True, help="Also write STEM.overlay.png: the traced lines over the page.")
@click.option("--page-image", is_flag=True,
              help="Also write STEM.page.png: the page itself (a dataset pairs it with the signal).")
@click.option("--keep-identity", is_flag=True,
              help="Keep the patient's printed name, id and birth date: in the images (blacked out "
                   "otherwise) and the WFDB header (left out otherwise).")
@click.option("--ink", type=click.Choice(["thresholds", "learned", "auto"]), default="thresholds",
              show_default=True,
              help="How the trace's pixels are found: the thresholds; the learned segmentation "
                   "network; or, per page, both where the network may help (a flat page not "
                   "enlarged for low resolution) keeping the reading with the higher quality "
                   "(README: 'A learned ink finder').")
def digitize_cmd(images: tuple[Path, ...], out_dir: Path, overlay: bool, page_image: bool,
                 keep_identity: bool, ink: str) -> None:
    """Digitise paper ECG IMAGES (PNG, JPEG, TIFF, BMP, PDF, DICOM image) into WFDB records.

    Each page becomes STEM.hea/.dat (the 12 standard leads at 500 Hz where the layout has them,
    each segment at its true time, NaN elsewhere) and STEM.json (quality score and reasons,
    layout, calibration, and what the page's printed text says: the device's measurements and
    statements with a confidence each). Pages after the first are written as STEM_p2, STEM_p3, ...
    """
    import cv2

    from workstation.io import wfdb_io
    from workstation.scan.digitize import AUTO, classical_ink, digitize, learned_ink
    from workstation.scan.ingest import load_pages
    from workstation.scan.overlay import draw_overlay
    from workstation.scan.page_text import read_page_text, redact, redacted, with_page_text
    from workstation.scan.record import to_record

    finder = {"thresholds": classical_ink, "learned": learned_ink, "auto": AUTO}[ink]
    failed = False
    for path in images:
        try:
            pages = load_pages(path)
            data = path.read_bytes()
        except Exception as exc:  # noqa: BLE001 - each bad file is one line, the rest go on
            click.echo(f"error: {path}: {_describe(exc)}", err=True)
            failed = True
            continue
        for index, page in enumerate(pages):
            stem = path.stem if index == 0 else f"{path.stem}_p{index + 1}"
            try:
                result = digitize(page, ink=finder)
                text = read_page_text(page)
                summary = _summary(result, path, index) | {"ink": ink, "printed": _printed(text)}
                out_dir.mkdir(parents=True, exist_ok=True)
                if result.traces:
                    record = with_page_text(to_record(result, path, index, data), text)
                    wfdb_io.write(record, out_dir, stem, keep_identity=keep_identity)
                (out_dir / f"{stem}.json").write_text(json.dumps(summary, indent=2) + "\n")
                if page_image:
                    shown = page if keep_identity else redact(page, text.identity_boxes)
                    cv2.imwrite(str(out_dir / f"{stem}.page.png"), shown)
                if overlay:  # drawn on the straightened page: its text is found again there
                    base = result.image if keep_identity else redacted(result.image)
                    cv2.imwrite(str(out_dir / f"{stem}.overlay.png"),
                                draw_overlay(dataclasses.replace(result, image=base)))
            except Exception as exc:  # noqa: BLE001
                click.echo(f"error: {path}: page {index + 1}: {_describe(exc)}", err=True)
                failed = True
                continue
            if not result.traces:
                click.echo(f"error: {path}: page {index + 1}: no ECG trace found "
                           f"({'; '.join(result.reasons)})", err=True)
                failed = True
                continue
            click.echo(f"{path}: page {index + 1}: {result.layout}, quality {result.score:.2f}"
                       + (f" ({'; '.join(result.reasons)})" if result.reasons else "")
                       + f" -> {out_dir / stem}.hea")
    if failed:
        raise SystemExit(EXIT_BAD_INPUT)


@click.command("digitize-eval")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("../shared/data/ludb"), show_default=True,
              help="LUDB folder (WFDB records and splits.json).")
@click.option("--split", default="test", show_default=True, help="LUDB split to render (train/validation/test).")
@click.option("--records", "n_records", type=int, default=10, show_default=True, help="How many records of the split.")
@click.option("--levels", default="clean,scan,photo", show_default=True, help="Degradation levels.")
@click.option("--dpi", type=float, default=200.0, show_default=True, help="Print resolution.")
@click.option("--images", "images_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("../shared/data/images/ecg-image-kit_generated/qtdb_sel100"), show_default=True,
              help="Folder of real images with ground truth (the ecg-image-kit sel100 set).")
def digitize_eval_cmd(data_dir: Path, split: str, n_records: int, levels: str, dpi: float,
                      images_dir: Path) -> None:
    """Print the Challenge 2024 SNR per degradation level on synthetic prints of held-out records,
    and on images with ground truth, with the quality score's rank correlation to SNR."""
    from workstation.io import ECGReadError, read_ecg
    from workstation.scan.evaluate import (evaluate_sel100, evaluate_synthetic, format_table,
                                           spearman_overall)
    from workstation.scan.synth import LEVELS

    wanted = [lv.strip() for lv in levels.split(",") if lv.strip()]
    unknown = [lv for lv in wanted if lv not in LEVELS]
    if unknown:
        click.echo(f"error: unknown level {unknown[0]!r} (one of {', '.join(LEVELS)})", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    splits_file = data_dir / "splits.json"
    try:
        names = json.loads(splits_file.read_text())[split][:n_records]
    except (OSError, KeyError, ValueError) as exc:
        click.echo(f"error: {splits_file}: {_describe(exc)}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    records = []
    for name in names:
        try:
            records.append(read_ecg(data_dir / f"{name}.hea"))
        except ECGReadError as exc:
            click.echo(f"error: {exc}", err=True)
    results = [dataclasses.replace(r, name=f"LUDB {split} {r.name}")
               for r in evaluate_synthetic(records, wanted, dpi=dpi)]
    real = evaluate_sel100(images_dir) if images_dir.is_dir() else None
    if real is not None:
        results.append(real)
    click.echo(format_table(results))
    click.echo(f"quality vs SNR over all leads: Spearman {spearman_overall(results):.2f}")
    sys.stdout.flush()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 300 else text[:297] + "..."


def _summary(result, path: Path, page: int) -> dict:
    return {
        "file": str(path),
        "page": page + 1,
        "layout": result.layout,
        "quality": result.score,
        "refused": result.refusal.value if result.refusal is not None else None,
        "reasons": list(result.reasons),
        "calibration": result.calibration.as_dict(),
        "leads": [{"lead": t.lead, "start_s": t.start / result.fs, "stop_s": t.stop / result.fs,
                   "quality": t.score, "measurable": t.measurable, "reasons": list(t.reasons)}
                  for t in result.traces],
        "fs": result.fs,
    }


def _printed(text) -> dict:  # noqa: ANN001 - workstation.scan.page_text.PageText
    """What the page's printed text says, without the patient's fields."""
    confidence = dict(text.confidences)
    return {
        "measurements": [{"name": m.name, "value": m.value, "unit": m.unit,
                          "confidence": confidence.get(m.name)} for m in text.measurements],
        "not_measured": list(text.not_measured),
        "statements": [{"text": s, "confidence": confidence.get(f"statement {k + 1}")}
                       for k, s in enumerate(text.statements)],
        "acquired": text.acquired.isoformat() if text.acquired else None,
        "patient_fields_read": sorted(n for n in confidence if n in ("name", "patient_id", "birth_date",
                                                                     "age", "sex")),
        "seconds": text.seconds,
    }


def register(group: click.Group) -> None:
    group.add_command(digitize_cmd)
    group.add_command(digitize_eval_cmd)
