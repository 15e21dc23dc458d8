"""``ecgws`` subcommands for panels: import-annotations, agreement, export, finetune, monitor.

Top-level imports stay cheap; each command imports what it needs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from workstation.store.location import StoreParam, store_exists

EXIT_BAD_INPUT = 2


def register(group: click.Group) -> None:
    for command in (import_annotations_cmd, agreement_cmd, export_cmd, finetune_cmd,
                    monitor_cmd):
        group.add_command(command)


def _fail(where: object, problem: str) -> None:
    click.echo(f"error: {where}: {problem}", err=True)
    raise SystemExit(EXIT_BAD_INPUT)


def _open_existing(path: Path):
    from workstation.store import AnnotationStore, StoreError

    if not store_exists(path):
        _fail(path, "no such store file")
    try:
        return AnnotationStore.open(path)
    except StoreError as exc:
        _fail(exc.path, exc.problem)


def _progress(items, show: bool | None, desc: str, total: int | None = None):
    if not (sys.stderr.isatty() if show is None else show):
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="record", file=sys.stderr, leave=False, total=total)


_PROGRESS = click.option("--progress/--no-progress", default=None,
                         help="Progress bar on stderr (default: when stderr is a terminal).")


@click.command("import-annotations")
@click.argument("store", type=StoreParam())
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--annotator", required=True,
              help="The reader these annotations are from (created when new).")
@click.option("--records", "records_dir", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Folder of the signals when FOLDER holds annotation files only.")
@click.option("--model", default=None, metavar="NAME/VERSION",
              help="Store the files as this model version's proposals instead of a reader's sets.")
@_PROGRESS
def import_annotations_cmd(store: Path, folder: Path, annotator: str, records_dir: Path | None,
                           model: str | None, progress: bool | None) -> None:
    """Load WFDB annotation files in the LUDB convention from FOLDER into STORE as ANNOTATOR's
    submitted (signed) sets. Records are added by the hash of their signal; STORE is created
    when it does not exist."""
    from workstation.panel.importer import import_folder
    from workstation.store import AnnotationStore, StoreError

    if not folder.is_dir():
        _fail(folder, "no such folder")
    try:
        with AnnotationStore.open(store) as opened:
            results = import_folder(opened, folder, annotator, records_dir=records_dir,
                                    model=model, progress=lambda x: _progress(x, progress,
                                                                              "importing"))
    except StoreError as exc:
        _fail(exc.path, exc.problem)
    bad = [r for r in results if r.problem]
    for r in bad:
        click.echo(f"error: {folder / r.stem}: {r.problem}", err=True)
    done = [r for r in results if not r.problem]
    who = f"model {model}" if model else annotator
    click.echo(f"imported {len(done)} records ({sum(r.waves for r in done)} waves) from "
               f"{folder} as {who}" + (f"; {len(bad)} failed" if bad else ""))
    if bad or not results:
        if not results:
            click.echo(f"error: {folder}: no annotated WFDB records found", err=True)
        raise SystemExit(EXIT_BAD_INPUT)


@click.command("agreement")
@click.argument("store", type=StoreParam())
@click.argument("names", nargs=-1)
@click.option("--annotators", "chosen", is_flag=True,
              help="Compare only the sources named after STORE: annotator ids, model tags "
                   "(name/version) or 'consensus' (default: every source in the store).")
@click.option("--tolerance-ms", type=float, default=150.0, show_default=True)
@click.option("--no-global", is_flag=True,
              help="Per-lead figures only (skip global boundaries, intervals and ICC).")
@click.option("--json", "as_json", is_flag=True, help="The whole report as JSON.")
def agreement_cmd(store: Path, names: tuple[str, ...], chosen: bool, tolerance_ms: float,
                  no_global: bool, as_json: bool) -> None:
    """Inter-annotator agreement in STORE: boundaries (Se, PPV, F1, mean and SD of the
    difference), Bland-Altman of PR/QRS/QT/QTc and their ICC, kappas of the labels, and a
    disagreement score per record and lead."""
    from workstation.panel.agreement import agreement
    from workstation.panel.report import format_report
    from workstation.panel.sources import all_sources, load_labels, load_panel, resolve
    from workstation.store import StoreError

    if names and not chosen:
        _fail(store, f"unexpected {' '.join(names)!r}: name sources after --annotators")
    with _open_existing(store) as opened:
        try:
            sources = resolve(opened, _split_names(names)) if names else all_sources(opened)
        except StoreError as exc:
            _fail(exc.path, exc.problem)
        if len(sources) < 2:
            _fail(store, f"agreement needs two sources; found {len(sources)}")
        data = load_panel(opened, sources)
        report = agreement(data, load_labels(opened, data), tolerance_ms=tolerance_ms,
                           with_global=not no_global)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1))
    else:
        click.echo(format_report(report))


def _split_names(names: tuple[str, ...]) -> list[str]:
    return [n for name in names for n in name.replace(",", " ").split()]


@click.command("export")
@click.argument("store", type=StoreParam())
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "formats", multiple=True, type=click.Choice(["wfdb", "csv", "arrays"]),
              help="What to write (repeat for several; default wfdb).")
@click.option("--source", default=None,
              help="'consensus' (default when the store has one), 'all' annotators, an "
                   "annotator id or a model tag.")
@click.option("--records", "records_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Folders holding the ECG files (the store keeps no signals); repeatable.")
@click.option("--splits", "splits_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="JSON {train: [...], validation: [...], test: [...]} of file "
                                 "stems (e.g. LUDB's splits.json); default: by patient.")
@click.option("--patients", "patients_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="CSV of file name (or record id), patient key: records of one "
                                 "patient share a split.")
@click.option("--keep-identity", is_flag=True, help="Keep patient fields and file names.")
@_PROGRESS
def export_cmd(store: Path, out_dir: Path, formats: tuple[str, ...], source: str | None,
               records_dirs: tuple[Path, ...], splits_file: Path | None,
               patients_file: Path | None, keep_identity: bool, progress: bool | None) -> None:
    """Write STORE's annotation sets as training data to OUT: WFDB (signals + LUDB-convention
    annotation files), a CSV of boundaries, or arrays (signals + per-sample wave masks), with a
    patient-level split file and a dataset card. De-identified unless --keep-identity."""
    from workstation.panel.export import Format, export
    from workstation.store import StoreError

    splits = _json_file(splits_file) if splits_file else None
    patients = _patients(patients_file) if patients_file else None
    needs_signals = set(formats or ["wfdb"]) & {"wfdb", "arrays"}
    if needs_signals and not records_dirs:
        _fail(store, "--records FOLDER is needed to write signals (the store keeps none)")
    with _open_existing(store) as opened:
        try:
            summary = export(opened, out_dir, source=source,
                             formats=[Format(f) for f in formats or ["wfdb"]],
                             records_dirs=records_dirs, deidentify=not keep_identity,
                             patients=patients, splits=splits,
                             progress=lambda x: _progress(x, progress, "exporting"))
        except StoreError as exc:
            _fail(exc.path, exc.problem)
    for name in summary.missing:
        click.echo(f"error: {name}: signal not found in {', '.join(map(str, records_dirs))}",
                   err=True)
    click.echo(f"exported {summary.records} records ({summary.waves} waves) of "
               f"{', '.join(summary.sources)} to {out_dir}: "
               + ", ".join(f"{k} {v}" for k, v in sorted(summary.splits.items())))
    if summary.missing:
        raise SystemExit(EXIT_BAD_INPUT)


def _json_file(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(path, f"not a readable JSON file ({exc})")
    if not isinstance(data, dict) or not {"train", "test"} <= set(data):
        _fail(path, "expected an object with 'train', 'validation' and 'test' lists")
    return {k: [str(x) for x in v] for k, v in data.items() if k in ("train", "validation", "test")}


def _patients(path: Path) -> dict[str, str]:
    import csv

    try:
        with open(path, newline="", encoding="utf-8") as f:
            return {row[0]: row[1] for row in csv.reader(f) if len(row) >= 2}
    except (OSError, UnicodeDecodeError) as exc:
        _fail(path, f"not a readable CSV file ({exc})")


@click.command("finetune")
@click.argument("export_dir", metavar="EXPORT", type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Weights file to write (MODEL.pt; its ONNX export MODEL.onnx, which the "
                   "workstation runs, card MODEL.md and figures MODEL.json beside it). Never the "
                   "shipped model.")
@click.option("--base", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=None, help="Weights to start from (default: the shipped model).")
@click.option("--epochs", type=int, default=6, show_default=True)
@click.option("--patience", type=int, default=2, show_default=True,
              help="Stop after this many epochs without a better validation score.")
@click.option("--lr", type=float, default=3e-4, show_default=True)
@click.option("--steps", type=int, default=None,
              help="Training steps per epoch (default: one pass over the training leads).")
@click.option("--version", "version", default=None,
              help="Version of the new model (default: base version + '-ft.' + a hash).")
def finetune_cmd(export_dir: Path, out: Path, base: Path | None, epochs: int, patience: int,
                 lr: float, steps: int | None, version: str | None) -> None:
    """Fine-tune the delineation model on EXPORT's train split (an `ecgws export --format
    arrays`), keep the epoch best on its validation split, and score before and after on its
    test split with `ecgws evaluate`'s code. Needs torch (the [train] extra)."""
    import dataclasses

    from inference.delineation.predict import default_weights_path

    try:
        from inference.delineation.finetune import ExportError, FinetuneConfig, finetune
    except ImportError as exc:  # torch, onnx: a source install with the [train] extra has them
        click.echo(f"error: fine-tuning needs the training packages ({exc}): "
                   f"pip install -e \".[train]\"", err=True)
        raise SystemExit(EXIT_BAD_INPUT)

    if not export_dir.is_dir():
        _fail(export_dir, "no such export folder")
    if out.resolve() == default_weights_path().resolve():
        _fail(out, "the shipped model is never overwritten: choose another file")
    cfg = dataclasses.replace(FinetuneConfig(), epochs=epochs, patience=patience, lr=lr,
                              steps_per_epoch=steps)
    try:
        figures = finetune(export_dir, out, base, cfg, version, log=click.echo)
    except ExportError as exc:  # its message starts with the file it is about
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    b, a = figures["before"]["per_lead"], figures["after"]["per_lead"]
    click.echo(f"wrote {out} ({figures['model']}), card {out.with_suffix('.md')}")
    for key in b:
        click.echo(f"  {key:<8} F1 {100 * b[key]['f1']:6.2f} -> {100 * a[key]['f1']:6.2f} %   "
                   f"mean {b[key]['mean_ms']:+6.1f} -> {a[key]['mean_ms']:+6.1f} ms   "
                   f"SD {b[key]['sd_ms']:5.1f} -> {a[key]['sd_ms']:5.1f} ms")


@click.command("monitor")
@click.argument("store", type=StoreParam())
@click.option("--records", "records_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Folders holding the incoming ECG files (for devices, quality, amplitudes).")
@click.option("--training", "training_dir", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="LUDB folder whose train split is the training data "
                                 "(default: ../shared/data/ludb when present).")
@click.option("--json", "as_json", is_flag=True, help="The whole report as JSON.")
def monitor_cmd(store: Path, records_dirs: tuple[Path, ...], training_dir: Path | None,
                as_json: bool) -> None:
    """How often and by how much readers correct each model version's boundaries (per wave and
    lead, per month), and drift of the incoming records against the training data."""
    from inference.delineation.data import Split, default_ludb_dir, read_record, split_records
    from workstation.panel.monitor import format_monitor, monitor_report

    training_dir = training_dir or default_ludb_dir()
    training = None
    if (training_dir / "splits.json").exists():
        names = split_records(training_dir, Split.TRAIN)
        training = (read_record(training_dir, n) for n in names)
    elif training_dir is not None and training_dir != default_ludb_dir():
        _fail(training_dir, "no splits.json: not the LUDB folder")
    with _open_existing(store) as opened:
        report = monitor_report(opened, records_dirs=records_dirs, training=training)
    click.echo(json.dumps(report, indent=1) if as_json else format_monitor(report))
