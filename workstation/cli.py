"""``ecgws``: the workstation's command line.

Subcommands are thin: they parse arguments and call the readers, writers and the UI.
Every bad file is reported on one line (``error: FILE: problem``) and makes the exit
status non-zero; the other files are still processed.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Iterator

import click

from workstation import __version__
from workstation.core.summary import summarise
from workstation.io import ECGReadError, iter_ecg_files, read_ecg
from workstation.io.registry import resolve_path
from workstation.store.location import StoreParam, store_exists

EXIT_BAD_INPUT = 2
EXIT_AUDIT_FAILED = 1  # the store was read and something in it is wrong
EXIT_UNVERIFIED = 3  # nothing wrong was found, but some signatures could not be checked here


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit status."""
    try:
        cli.main(args=argv, prog_name="ecgws", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except SystemExit as exc:  # commands exit with a status of their own
        return exc.code if isinstance(exc.code, int) else 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    return 0


def _self_test(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        from workstation.delivery.selftest import run_self_test

        raise SystemExit(run_self_test())  # ctx.exit's status would be lost by main()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ECG Workstation")
@click.option("--self-test", is_flag=True, is_eager=True, expose_value=False, callback=_self_test,
              help="Check this installation end to end (sample, model, rules, report) and exit.")
def cli() -> None:
    """ECG Workstation: read, annotate and review electrocardiograms offline.

    Reads WFDB, DICOM waveform ECG, GE MUSE XML, Philips Sierra XML, HL7 aECG, SCP-ECG, EDF/EDF+
    and the documented CSV. A WFDB record may be named by its .hea file or by its path without
    extension.
    """


@cli.command("open")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--sample", is_flag=True, help="Open the bundled sample 12-lead ECG.")
def open_cmd(files: tuple[Path, ...], sample: bool) -> None:
    """Open FILES (or the bundled sample) in the workstation window."""
    from workstation.ui.app import run  # Qt is imported only when a window is wanted

    raise SystemExit(run([resolve_path(f) for f in files], sample=sample or not files))


@cli.command("info")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (JSON Lines).")
@click.option("--identify", is_flag=True, help="Show patient fields (withheld by default).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on folders (default: when stderr is a terminal).")
def info_cmd(paths: tuple[Path, ...], as_json: bool, identify: bool, progress: bool | None) -> None:
    """Summarise each ECG file, or every ECG file in a folder.

    Prints format, leads, sampling rate, duration and the device's own measurements and
    statements where the file carries them.
    """
    failures = 0
    for path in _expand(paths, progress):
        try:
            record = read_ecg(path)
        except ECGReadError as exc:
            failures += 1
            click.echo(f"error: {exc}", err=True)
            continue
        summary = summarise(record, identify=identify)
        click.echo(json.dumps(summary) if as_json else _format_summary(summary))
    if failures:
        raise SystemExit(EXIT_BAD_INPUT)


@cli.command("convert")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--keep-identity", is_flag=True,
              help="Keep age, sex and acquisition date in the header (de-identified by default).")
def convert_cmd(source: Path, target: Path, keep_identity: bool) -> None:
    """Write SOURCE (any readable ECG file) as a WFDB record TARGET.

    TARGET is a folder (the record keeps SOURCE's name) or a record path such as out/rec or
    out/rec.hea. Annotations in SOURCE are written as WFDB annotation files, one per lead
    (LUDB convention: rec.i, rec.ii, ... rec.v6).
    """
    from workstation.io.wfdb_io import write

    try:
        record = read_ecg(source)
    except ECGReadError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    if target.is_dir() or str(target).endswith(("/", "\\")):
        out_dir, stem = target, resolve_path(source).stem
    else:
        out_dir, stem = target.parent, target.stem if target.suffix == ".hea" else target.name
    written = write(record, out_dir, _wfdb_safe(stem), keep_identity=keep_identity)
    click.echo(f"wrote {written[0]} ({record.n_leads} leads, {record.fs:g} Hz, "
               f"{record.duration_s:.1f} s, {len(written) - 2} annotation files)")


@cli.command("delineate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder for STEM.json and the per-lead annotation files.")
@click.option("--weights", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=None, help="Model: its .onnx export, or weights with the export beside "
              "them (default: the shipped model).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
def delineate_cmd(paths: tuple[Path, ...], out_dir: Path, weights: Path | None,
                  progress: bool | None) -> None:
    """Find P, QRS and T onset, peak and offset on every lead of each ECG file.

    PATHS are files or folders (every readable ECG file in them). For each record STEM
    (the file name without extension) writes OUT/STEM.json (waves with confidences and the
    model's name and version) and WFDB annotation files OUT/STEM.<lead> in the LUDB
    convention: one per lead, ( onset, p/N/t peak, ) offset.
    """
    from inference.delineation.predict import Delineator, default_delineator
    from workstation.core.delineation import write_json, write_wfdb_annotations

    delineator = Delineator.load(weights) if weights else default_delineator()
    files, failures = _files(paths)
    bar = _progress(files, progress, "delineating")
    for path in bar:
        try:
            record = read_ecg(path)
        except ECGReadError as exc:
            failures += 1
            _echo(bar, f"error: {exc}", err=True)
            continue
        delineation = delineator.delineate(record)
        stem = _wfdb_safe(resolve_path(path).stem)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_json(delineation, out_dir / f"{stem}.json")
        written = write_wfdb_annotations(delineation, out_dir, stem)
        _echo(bar, f"wrote {out_dir / stem}.json ({len(delineation.waves)} waves on "
                   f"{record.n_leads} leads, {len(written)} annotation files)")
    if failures:
        raise SystemExit(EXIT_BAD_INPUT)


@cli.command("evaluate")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None,
              help="LUDB folder with splits.json (default: ../shared/data/ludb).")
@click.option("--split", type=click.Choice(["test", "validation", "train"]), default="test",
              show_default=True)
@click.option("--method", "methods", multiple=True,
              type=click.Choice(["ours", "NeuroKit2", "ecgdeli"]),
              help="Methods to compare (default: all three).")
@click.option("--tolerance-ms", type=float, default=150.0, show_default=True,
              help="Matching window either side of a reference boundary.")
@click.option("--weights", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=None, help="Model: its .onnx export, or weights with the export beside "
              "them (default: the shipped model).")
@click.option("--count-unknown", is_flag=True,
              help="Also count as false positives unmatched boundaries where the reference "
                   "wave lacks that boundary (stricter; by default there is no ground truth).")
@click.option("--limit", type=int, default=None, help="Only the first N records of the split.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
def evaluate_cmd(data_dir: Path | None, split: str, methods: tuple[str, ...],
                 tolerance_ms: float, weights: Path | None, count_unknown: bool,
                 limit: int | None, progress: bool | None) -> None:
    """Score our delineation and the open peers against LUDB's cardiologists.

    Prints, per boundary (P, QRS, T onset and offset), sensitivity, PPV and F1 with the
    matching window, and the mean and SD of the signed error in ms, for every method on the
    same records; per lead and for the global boundaries (earliest onset / latest offset
    across the leads).
    """
    from inference.delineation.data import Split, default_ludb_dir, read_record, split_records
    from inference.delineation.evaluate import Method, evaluate, format_table
    from inference.delineation.predict import Delineator, default_delineator

    data_dir = data_dir or default_ludb_dir()
    try:
        names = split_records(data_dir, Split(split))[:limit]
    except (FileNotFoundError, ValueError, KeyError) as exc:
        click.echo(f"error: {data_dir}: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    chosen = [Method(m) for m in (methods or [m.value for m in Method])]
    runnable = []
    for method in chosen:
        if method.peer is not None and not method.peer.available():
            click.echo(f"skipped {method.value}: not installed ({method.peer.pip_command})")
        else:
            runnable.append(method)
    delineator = Delineator.load(weights) if weights else default_delineator()
    records = (read_record(data_dir, name) for name in names)
    results = evaluate(_progress(records, progress, "evaluating", total=len(names)), runnable,
                       delineator.delineate, tolerance_ms, count_unknown)
    click.echo(f"LUDB {split} split: {len(names)} records, {tolerance_ms:g} ms window; "
               + ", ".join(f"{r.method.value} = {r.label} "
                           f"({1000 * r.seconds / max(r.records, 1):.0f} ms/record)"
                           for r in results))
    click.echo("\nPer lead (each lead against its own reference marks):")
    click.echo(format_table(results, "per lead"))
    click.echo("\nGlobal (earliest onset / latest offset of each beat across the leads):")
    click.echo(format_table(results, "global"))


@cli.command("analyze")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per record (JSON Lines; fields in rules/README.md).")
@click.option("--delineation", "source", type=click.Choice(["model", "reference", "none"]),
              default="model", show_default=True,
              help="Waves from the shipped model, from the annotations stored with the file "
                   "(LUDB style, one per lead), or none (rate and rhythm only).")
@click.option("--rules", "rules_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Site rule file overriding the shipped thresholds "
                                 "(default: $ECGWS_RULES when set).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on folders (default: when stderr is a terminal).")
def analyze_cmd(paths: tuple[Path, ...], as_json: bool, source: str, rules_file: Path | None,
                progress: bool | None) -> None:
    """Measure, flag, triage and route each ECG file (decision support, not a diagnosis).

    Prints per record the measurements, the rule flags with their leads, values, thresholds
    and severity, the triage category, the confidence, the signal quality and whether the
    record goes to clinician review; after folders, a summary table sorted by urgency.
    """
    from rules.analysis import analysis_window, analyze
    from rules.report import format_table, format_text, summary_row, to_json_dict
    from rules.ruleset import RuleSetError, load_ruleset

    try:
        ruleset = load_ruleset(rules_file)
    except RuleSetError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    failures, results = 0, []
    for path in _expand(paths, progress):
        try:
            full = read_ecg(path)
        except ECGReadError as exc:
            failures += 1
            click.echo(f"error: {exc}", err=True)
            continue
        record = analysis_window(full, ruleset)
        delineation = _delineation_for(record, source, path)
        result = analyze(record, delineation, name=resolve_path(path).stem, ruleset=ruleset,
                         duration_s=full.duration_s)
        results.append(result)
        click.echo(json.dumps(to_json_dict(result)) if as_json else format_text(result))
    if results and not as_json and any(p.is_dir() for p in paths):
        ranked = sorted(results, key=lambda a: (-a.routing.triage.rank, a.routing.complete,
                                                a.confidence.value))
        click.echo("\n" + format_table([summary_row(a) for a in ranked]))
        if not all(a.routing.complete for a in results):
            click.echo("* incomplete: something not assessed could be more urgent (see "
                       "'not assessed' above); reviewed, never called normal")
    if failures:
        raise SystemExit(EXIT_BAD_INPUT)


def _delineation_for(record, source: str, path: Path):
    """The record's delineation from ``source``; None (rate and rhythm only) when the model
    cannot run or the file has no annotations, with a warning on stderr."""
    from workstation.core.delineation import Delineation, waves_from_marks

    if source == "none":
        return None
    if source == "reference":
        waves = []
        for lead in record.lead_names:
            marks = sorted((a.sample, a.symbol) for a in record.annotations if a.lead == lead)
            waves += [w for w in waves_from_marks(lead, [m[0] for m in marks], [m[1] for m in marks])
                      if w.offset < record.n_samples]
        if not waves:
            click.echo(f"warning: {path}: no per-lead wave annotations; rate and rhythm only",
                       err=True)
            return None
        return Delineation(record.fs, record.lead_names, tuple(waves), "reference", "")
    try:
        import inference  # lazily: torch is loaded only when the model is wanted

        return inference.delineate(record)
    except Exception as exc:  # the rules still run without the model
        click.echo(f"warning: {path}: delineation model unavailable ({exc}); rate and rhythm "
                   f"only", err=True)
        return None


def _files(paths: tuple[Path, ...]) -> tuple[list[Path], int]:
    """Files named and every ECG file in the folders named, and how many folders had none."""
    files: list[Path] = []
    empty = 0
    for path in paths:
        if not path.is_dir():
            files.append(resolve_path(path))
            continue
        found = list(iter_ecg_files(path))
        if not found:
            empty += 1
            click.echo(f"error: {path}: no ECG files found in this folder", err=True)
        files += found
    return files, empty


def _echo(bar, message: str, *, err: bool = False) -> None:
    """Print a line; above the progress bar when one is showing, so the two never share a line."""
    if hasattr(bar, "write"):
        bar.write(message, file=sys.stderr if err else sys.stdout)
    else:
        click.echo(message, err=err)


def _progress(items, progress: bool | None, desc: str, total: int | None = None):
    """``items`` wrapped in a tqdm bar on stderr when wanted (default: stderr is a terminal)."""
    show = sys.stderr.isatty() if progress is None else progress
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="record", file=sys.stderr, leave=False, total=total)


def _wfdb_safe(stem: str) -> str:
    """WFDB record names allow letters, digits, '_' and '-' only."""
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in stem) or "record"


def _expand(paths: tuple[Path, ...], progress: bool | None) -> Iterator[Path]:
    for path in paths:
        if not path.is_dir():
            yield resolve_path(path)
            continue
        files = list(iter_ecg_files(path))
        if not files:
            click.echo(f"error: {path}: no ECG files found in this folder", err=True)
        show = sys.stderr.isatty() if progress is None else progress
        if show:
            from tqdm import tqdm

            yield from tqdm(files, desc=str(path), unit="file", file=sys.stderr, leave=False)
        else:
            yield from files


def _format_summary(summary: dict) -> str:
    lines = [f"{summary['path']}",
             f"  format      {summary['format']}" + (f" ({summary['detail']})" if summary["detail"] else ""),
             f"  leads       {len(summary['leads'])}: {', '.join(summary['leads'])}"]
    if summary["derived_leads"]:
        lines.append(f"  derived     {', '.join(summary['derived_leads'])} (computed from I and II)")
    lines.append(f"  sampling    {summary['fs_hz']:g} Hz, {summary['samples']} samples, "
                 f"{summary['duration_s']:.2f} s")
    if summary["acquired"]:
        lines.append(f"  acquired    {summary['acquired']}")
    if summary["device"]:
        lines.append(f"  device      {summary['device']}")
    lines.append(f"  patient     {summary['patient']}")
    if summary["median_beats"]:
        lines.append(f"  median beat {summary['median_beats']}")
    if summary["annotations"]:
        lines.append(f"  annotations {summary['annotations']}")
    measurements = summary["device_measurements"]
    if measurements:
        program = summary["device_program"] or "device"
        text = ", ".join(f"{m['name']} {m['value']:g} {m['unit']}" for m in measurements)
        lines.append(f"  measured by {program}: {text}")
    for statement in summary["device_statements"]:
        lines.append(f"  statement   {statement}")
    return "\n".join(lines)


@cli.command("keys")
def keys_cmd() -> None:
    """Say where this computer keeps annotators' signing keys: the OS keyring, or the
    passphrase-protected key file ($ECGWS_KEY_FILE; chosen with $ECGWS_KEYRING=file, or when
    there is no OS keyring)."""
    from workstation.store.identity import describe_keeper

    click.echo(f"signing keys: {describe_keeper()}")


@cli.group("audit")
def audit_group() -> None:
    """Check an annotation store and read its history (who changed what, and when)."""


@audit_group.command("verify")
@click.argument("store", type=StoreParam())
@click.option("--quick", is_flag=True,
              help="Skip replaying every set from its history (the slowest check).")
@click.option("--allow-unverified", is_flag=True,
              help="Succeed even when some signatures cannot be checked on this computer.")
def audit_verify_cmd(store: Path, quick: bool, allow_unverified: bool) -> None:
    """Check STORE: SQLite's integrity check, the hash chain of the whole event log, every
    annotation set against its history, and every signature.

    A signature is checked with its author's secret from this computer's OS keyring or key
    file (its passphrase from $ECGWS_PASSPHRASE). Exits 1 naming the first bad event (or set)
    when anything is wrong, 2 when STORE cannot be read at all, 3 when some signatures could
    not be checked here (unless --allow-unverified).
    """
    from workstation.store import StoreError
    from workstation.store.audit import verify_store

    if not store_exists(store):  # opening would create an empty store
        click.echo(f"error: {store}: no such store file", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    try:
        report = verify_store(store, replay=not quick)
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    for problem in report.problems:
        click.echo(f"error: {store}: {problem}", err=True)
    if report.problems:
        raise SystemExit(EXIT_AUDIT_FAILED)
    if report.signatures_unchecked and not allow_unverified:
        _refuse_unverified(store, report.signatures_unchecked)
    unchecked = (f", {report.signatures_unchecked} not checkable here (no secret on this computer)"
                 if report.signatures_unchecked else "")
    replayed = "not replayed (--quick)" if quick else "match their history"
    click.echo(f"ok: {store}: {report.events} events chained, integrity ok, {report.sets} sets "
               f"{replayed}, {report.signatures_checked} signatures valid{unchecked}")


def _refuse_unverified(store: Path, unchecked: int) -> None:
    """Exit with :data:`EXIT_UNVERIFIED`: an unchecked signature is no evidence of integrity."""
    from workstation.store.identity import describe_keeper

    click.echo(f"error: {store}: {unchecked} signatures cannot be checked on this computer: their "
               f"authors' secrets are not in {describe_keeper()} (a key file needs "
               "$ECGWS_PASSPHRASE); pass --allow-unverified to accept that", err=True)
    raise SystemExit(EXIT_UNVERIFIED)


@audit_group.command("log")
@click.argument("store", type=StoreParam())
@click.option("--record", "record_id", default=None,
              help="Only this record's history: its id, a start of it (6+ characters), its file "
                   "name or its stem.")
def audit_log_cmd(store: Path, record_id: str | None) -> None:
    """Print the history of STORE, or of one record: when, who, which set, what (before -> after)."""
    from workstation.store import AnnotationStore, StoreError
    from workstation.store.audit import history

    if not store_exists(store):
        click.echo(f"error: {store}: no such store file", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    try:
        with AnnotationStore.open(store) as opened:
            if record_id is not None:
                record_id = opened.find_record(record_id).id
            entries = history(opened, record_id)
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    for entry in entries:
        where = f"set {entry.set_id}" if entry.set_id is not None else ""
        click.echo(f"{entry.at}  {entry.who:<12} {where:<8} {entry.text}")


#: Packages that add subcommands of their own; each module has ``register(group)``.
#: Their imports stay cheap: the heavy work is imported inside each command.
_COMMAND_MODULES = (
    "workstation.panel.cli",     # import-annotations, agreement, export, finetune, monitor
    "workstation.scan.cli",      # digitize, digitize-eval
    "workstation.delivery.cli",  # export-report, export-hl7 / fhir / dicom / aecg
    "workstation.store.cli",     # server init / add-member, sync
    "workstation.batch.cli",     # batch (Dask; the [batch] extra)
)


def _register_commands() -> None:
    for module_name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue  # package not part of this build
            raise
        module.register(cli)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
