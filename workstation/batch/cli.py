"""``ecgws batch``: an archive analysed into a Parquet dataset on Dask."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from workstation.store.location import StoreParam

EXIT_BAD_INPUT = 2


def register(group: click.Group) -> None:
    group.add_command(batch_cmd)


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The dataset folder (records/ and waves/ Parquet tables); a rerun adds "
                   "only what is not yet there.")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="A running Dask scheduler (default: a local cluster on this computer).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the local cluster (default: one per core).")
@click.option("--store", default=None, type=StoreParam(), metavar="STORE",
              help="Also store every delineated record's proposals in STORE (a SQLite file, "
                   "created when missing, or a postgresql:// URL) as the model version's, as "
                   "`ecgws import-annotations --model` does; records already holding them are "
                   "left as they are.")
@click.option("--chunk", type=click.IntRange(min=1), default=16, show_default=True,
              help="Files per task.")
@click.option("--json", "as_json", is_flag=True, help="The summary as JSON on stdout.")
def batch_cmd(inputs: tuple[Path, ...], out: Path, scheduler: str | None, workers: int | None,
              store: object, chunk: int, as_json: bool) -> None:
    """Delineate, analyse (and, for ECG images, digitise) every ECG file under INPUTS, exactly
    as `ecgws analyze --json` does, into a partitioned Parquet dataset: one row per record
    (ids, format, device, quality, measurements, flags, triage, confidence, the analysis
    JSON; or the file's error) and one row per wave. With --store, the model's proposals
    also go into STORE, written by this process only (never by the workers). Progress
    (records per second, errors, ETA) on stderr; the Dask dashboard's address when it has
    one."""
    import importlib.util

    missing = [name for name in ("dask", "distributed", "pyarrow")
               if importlib.util.find_spec(name) is None]
    if missing:
        click.echo(f"error: `ecgws batch` needs the [batch] extra ({', '.join(missing)} missing): "
                   "pip install 'ecg-workstation[batch]'", err=True)
        raise SystemExit(EXIT_BAD_INPUT)

    last = [0.0]

    def show(progress) -> None:  # noqa: ANN001
        now = time.monotonic()
        if now - last[0] >= 1.0 or progress.done == progress.total:
            last[0] = now
            click.echo(f"\r{progress.line()}", err=True, nl=progress.done == progress.total)

    summary = _run(inputs, out, scheduler, workers, chunk, store, show)
    if summary.dashboard:
        click.echo(f"dashboard was at {summary.dashboard}", err=True)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=1))
    else:
        click.echo(_summary_line(out, summary, store))
    sys.stdout.flush()
    if summary.store and summary.store["problems"]:
        for problem in summary.store["problems"]:
            click.echo(f"error: {store}: {problem}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)


def _run(inputs, out, scheduler, workers, chunk, store, show):  # noqa: ANN001, ANN202
    """run_batch, with a store that cannot be opened reported as `error: STORE: problem`."""
    from workstation.batch.runner import run_batch
    from workstation.store import StoreError

    try:
        return run_batch(inputs, out, scheduler=scheduler, workers=workers, chunk=chunk,
                         on_progress=show, store=store)
    except StoreError as exc:
        click.echo(f"error: {exc.path}: {exc.problem}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)


def _summary_line(out: Path, summary, store: object) -> str:  # noqa: ANN001
    line = (f"{out}: {summary.analysed} records analysed, {summary.skipped} already there, "
            f"{summary.errors} errors, in {summary.seconds:.1f} s on {summary.workers} "
            f"worker{'s' if summary.workers != 1 else ''}")
    if summary.store is not None:
        line += (f"; {summary.store['stored']} records' proposals stored in {store} "
                 f"({summary.store['already_there']} already there)")
    return line
