"""Running a batch on Dask: chunks of files as tasks, progress, and resumption.

Without a scheduler address a local cluster of worker processes (one thread each: the
delineation model and the rules are CPU-bound Python and numpy) runs on this computer; with
one, the same tasks go to that cluster, whose workers must see the input files and the
output folder at the same paths (a shared file system). With a store, the tasks hand the
model's proposals back and this process alone writes them (:mod:`workstation.batch.proposals`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from workstation.batch import dataset

#: Files per task: large enough that the scheduler's few milliseconds per task vanish,
#: small enough that the progress moves and a lost worker costs little.
DEFAULT_CHUNK = 16


@dataclass
class Progress:
    """Where a batch stands; ``line`` is what the terminal shows."""

    total: int
    done: int = 0
    skipped: int = 0
    errors: int = 0
    stored: int | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        """Records analysed per second since the start (skipped ones left out)."""
        elapsed = time.monotonic() - self.started
        return (self.done - self.skipped) / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        left = self.total - self.done
        eta = f"{left / self.rate:,.0f} s" if self.rate > 0 else "?"
        stored = "" if self.stored is None else f", {self.stored:,} proposals stored"
        return (f"{self.done:,}/{self.total:,} records, {self.rate:.1f} records/s, "
                f"{self.errors} errors, {self.skipped} already written{stored}, ETA {eta}")


@dataclass(frozen=True)
class BatchSummary:
    """What a run did."""

    files: int
    analysed: int
    skipped: int
    errors: int
    seconds: float
    workers: int
    dashboard: str | None
    worker_rss_mib: tuple[float, ...] = ()
    store: dict | None = None

    def to_dict(self) -> dict:
        return {"files": self.files, "analysed": self.analysed, "skipped": self.skipped,
                "errors": self.errors, "seconds": round(self.seconds, 3),
                "records_per_s": round(self.analysed / self.seconds, 3) if self.seconds else None,
                "workers": self.workers, "dashboard": self.dashboard,
                "worker_rss_mib": list(self.worker_rss_mib), "store": self.store}


def discover(inputs: Iterable[Path]) -> list[Path]:
    """Every ECG file (and ECG image) named or found under the folders named, in order."""
    from workstation.io import iter_ecg_files
    from workstation.io.registry import resolve_path

    files: list[Path] = []
    for path in inputs:
        files += list(iter_ecg_files(path)) if path.is_dir() else [resolve_path(path)]
    return files


def process_chunk(paths: list[str], out: str, run_id: str, chunk: int,
                  skip: frozenset[str], proposals: bool = False,
                  redo: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One task: analyse ``paths`` (those whose content hash is not in ``skip``), write the
    rows as one part of each table, and say how it went. With ``proposals`` the result also
    holds each analysed record's :class:`~workstation.batch.process.Proposal`, and those of
    the files in ``redo`` (rows already written, proposals not yet stored; not analysed)."""
    from workstation.batch.process import analyse_file, proposal_of

    started = time.perf_counter()
    records, waves, made, skipped = [], [], [], 0
    for text in paths:
        path = Path(text)
        known = _known_hash(path)
        if known in redo:
            skipped += 1
            proposal = proposal_of(path)
            made += [proposal] if proposal is not None else []
            continue
        if known in skip:
            skipped += 1
            continue
        result = analyse_file(path, _ruleset(), with_proposal=proposals)
        records.append(result.row)
        waves += result.waves
        made += [result.proposal] if result.proposal is not None else []
    dataset.write_part(Path(out), run_id, chunk, records, waves)
    return {"files": len(paths), "skipped": skipped,
            "errors": sum(1 for r in records if r["error"] is not None),
            "seconds": time.perf_counter() - started, "rss": _rss_bytes(), "proposals": made}


def _known_hash(path: Path) -> str | None:
    """The file's content hash, or None when it cannot be read (its error row says why)."""
    from workstation.batch.process import content_hash

    try:
        return content_hash(path)
    except OSError:
        return None


_RULESET: Any = None


def _ruleset() -> Any:
    """The rule set, loaded once per worker process."""
    global _RULESET
    if _RULESET is None:
        from rules.ruleset import load_ruleset

        _RULESET = load_ruleset(None)
    return _RULESET


def _rss_bytes() -> int:
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except ImportError:  # pragma: no cover - psutil comes with distributed
        return 0


def open_client(scheduler: str | None, workers: int | None) -> Any:
    """A Dask client: of the cluster at ``scheduler``, or of a new local cluster."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="20s")
    # any free port: the scheduler's web server (and dashboard, with bokeh) is there even
    # without a dashboard, and 8787 may belong to another cluster on this computer
    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                           processes=True, dashboard_address=":0",
                           host="127.0.0.1", silence_logs=40)
    return Client(cluster)


def _has_dashboard() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def run_batch(inputs: Iterable[Path], out: Path, *, scheduler: str | None = None,
              workers: int | None = None, chunk: int = DEFAULT_CHUNK,
              on_progress: Callable[[Progress], None] | None = None,
              client: Any = None, store: Any = None) -> BatchSummary:
    """Analyse every file under ``inputs`` into the dataset ``out``; see the module doc.

    With ``store`` (a SQLite path, created when missing, or a server URL) every delineated
    record's proposals go into it, written by this process alone."""
    from workstation.batch.proposals import ProposalWriter

    started = time.monotonic()
    files = [str(p) for p in discover(inputs)]
    writer = ProposalWriter.open(store) if store is not None else None
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = dataset.written_records(out)
        redo = frozenset(writer.missing(written)) if writer is not None else frozenset()
        skip = frozenset(h for h, _, _ in written) - redo
        own = client is None
        client = client or open_client(scheduler, workers)
        try:
            progress, rss = _run_tasks(client, files, out, chunk, skip, redo, writer,
                                       on_progress)
            n_workers = len(client.scheduler_info().get("workers", {}))
            dashboard = client.dashboard_link if _has_dashboard() or scheduler else None
        finally:
            if own:
                _close(client)
    finally:
        if writer is not None:
            writer.close()
    top = sorted(rss.values(), reverse=True)[:n_workers]
    return BatchSummary(len(files), progress.done - progress.skipped, progress.skipped,
                        progress.errors, time.monotonic() - started, n_workers, dashboard,
                        tuple(round(v / 2**20, 1) for v in top),
                        writer.summary() if writer is not None else None)


def _run_tasks(client: Any, files: list[str], out: Path, chunk: int, skip: frozenset[str],
               redo: frozenset[str], writer: Any,
               on_progress: Callable[[Progress], None] | None) -> tuple[Progress, dict]:
    """Submit the files in tasks of ``chunk``; as each result comes back, count it and store
    its proposals (here, in this one process). The progress and each task's worker memory."""
    from dask.distributed import as_completed

    # one copy per worker, not one per task (scatter takes a list as items: wrap it)
    shared = [client.scatter([items], broadcast=True)[0] if items else frozenset()
              for items in (skip, redo)]
    run_id = dataset.new_run_id()
    futures = [client.submit(process_chunk, files[i:i + chunk], str(out.resolve()), run_id,
                             k, shared[0], writer is not None, shared[1], pure=False)
               for k, i in enumerate(range(0, len(files), chunk))]
    progress, rss = Progress(len(files), stored=0 if writer is not None else None), {}
    for future in as_completed(futures):
        result = future.result()
        progress.done += result["files"]
        progress.skipped += result["skipped"]
        progress.errors += result["errors"]
        rss[future.key] = result["rss"]
        if writer is not None:
            progress.stored += sum(writer.write(p) for p in result["proposals"])
        if on_progress is not None:
            on_progress(progress)
    return progress, rss


def _close(client: Any) -> None:
    """Close a client, and the local cluster it started."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()
