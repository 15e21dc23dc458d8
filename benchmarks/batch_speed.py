"""How fast ``ecgws batch`` analyses an archive, and what a million records would take.

Run: ``.venv/bin/python benchmarks/batch_speed.py [--records 60] [--workers 1 2]``
(needs the [batch] extra and ../shared/data/ludb). For each number of worker processes it
runs a local Dask cluster on LUDB records (warmed up first: each worker loads the model once)
and prints records per second; then the memory one record takes (Python and numpy
allocations at their peak, with tracemalloc) and each worker's resident memory; the
scheduler's overhead per task (no-op tasks); what storing one record's proposals costs the
client (``--store``, a SQLite file: the one process that writes it); and checks that the
Parquet rows equal ``ecgws analyze --json`` record for record. From these it estimates a
1-million-record archive on N workers: N x the one-worker rate, unless the one scheduler (its
overhead per task) or, with ``--store``, the one client writing proposals is the slower.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workstation.batch.dataset import RECORDS, read_table  # noqa: E402
from workstation.batch.process import analyse_file, process_file  # noqa: E402
from workstation.batch.proposals import ProposalWriter  # noqa: E402
from workstation.batch.runner import DEFAULT_CHUNK, run_batch  # noqa: E402

LUDB = ROOT.parent / "shared" / "data" / "ludb"


def _noop(x: int) -> int:
    return x


def _archive(folder: Path, stems: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        for source in LUDB.glob(f"{stem}.*"):
            target = folder / source.name
            if not target.exists():
                target.symlink_to(source)
    return folder


def _cluster(workers: int):
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", host="127.0.0.1", silence_logs=40)
    return cluster, Client(cluster)


def throughput(workers: int, stems: list[str], tmp: Path) -> dict:
    cluster, client = _cluster(workers)
    try:
        warm = _archive(tmp / f"warm-{workers}", [str(200 - i) for i in range(2 * workers)])
        run_batch([warm], tmp / f"warm-out-{workers}", client=client, chunk=1)
        archive = _archive(tmp / "archive", stems)
        summary = run_batch([archive], tmp / f"out-{workers}", client=client)
        started = time.perf_counter()
        n_tasks = 2000
        client.gather(client.map(_noop, range(n_tasks), pure=False))
        per_task_ms = (time.perf_counter() - started) / n_tasks * 1000
    finally:
        client.close()
        cluster.close()
    return {"workers": workers, "records": summary.analysed, "seconds": round(summary.seconds, 2),
            "records_per_s": round(summary.analysed / summary.seconds, 2),
            "worker_rss_mib": list(summary.worker_rss_mib),
            "scheduler_ms_per_task": round(per_task_ms, 2), "errors": summary.errors}


def per_record_memory(stem: str) -> float:
    """Peak Python + numpy allocations while one (warm) record is analysed, MiB."""
    path = LUDB / f"{stem}.hea"
    process_file(path)  # the model and rules load here, outside the measurement
    tracemalloc.start()
    process_file(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 2**20, 1)


def store_ms_per_record(stems: list[str], tmp: Path) -> float:
    """Milliseconds the client takes to store one record's proposals in a new SQLite store
    (the proposals made beforehand, as the workers hand them back)."""
    made = [analyse_file(LUDB / f"{stem}.hea", with_proposal=True).proposal for stem in stems]
    with ProposalWriter.open(tmp / "proposals.db") as writer:
        started = time.perf_counter()
        for proposal in made:
            writer.write(proposal)
        seconds = time.perf_counter() - started
    assert writer.stored == len(made)
    return round(seconds / len(made) * 1000, 1)


def matches_analyze(out: Path, archive: Path) -> tuple[int, int]:
    """(records equal to `ecgws analyze --json`, records compared)."""
    done = subprocess.run([sys.executable, "-m", "workstation.cli", "analyze", "--json",
                           "--no-progress", str(archive)], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    expected = {d["record"]: d for d in map(json.loads, done.stdout.splitlines())}
    rows = read_table(out, RECORDS).to_pylist()
    equal = sum(1 for r in rows if json.loads(r["analysis_json"]) == expected.get(r["name"]))
    return equal, len(rows)


def estimate(rate_per_worker: float, per_task_ms: float, chunk: int, workers: int,
             n: int = 1_000_000, store_ms: float = 0.0) -> float:
    """Hours for ``n`` records: the workers' share, or the scheduler's, or (with a store) the
    one client's writing, whichever is the slowest."""
    compute_s = n / (rate_per_worker * workers)
    scheduler_s = n / chunk * per_task_ms / 1000
    store_s = n * store_ms / 1000
    return max(compute_s, scheduler_s, store_s) / 3600


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=60)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--store-records", type=int, default=20,
                        help="Records whose proposals are stored to time --store.")
    args = parser.parse_args()
    if not LUDB.is_dir():
        sys.exit(f"needs {LUDB}")
    stems = [str(n) for n in range(1, args.records + 1)]
    with tempfile.TemporaryDirectory(prefix="ecgws-batch-") as folder:
        tmp = Path(folder)
        runs = [throughput(w, stems, tmp) for w in args.workers]
        equal, compared = matches_analyze(tmp / f"out-{args.workers[0]}", tmp / "archive")
        store_ms = store_ms_per_record(stems[:args.store_records], tmp)
    memory = per_record_memory("1")
    one = next((r for r in runs if r["workers"] == 1), runs[0])
    rate = one["records_per_s"] / one["workers"]
    per_task = max(r["scheduler_ms_per_task"] for r in runs)
    hours = {str(n): round(estimate(rate, per_task, DEFAULT_CHUNK, n), 2)
             for n in (1, 2, 8, 32, 128)}
    with_store = {str(n): round(estimate(rate, per_task, DEFAULT_CHUNK, n, store_ms=store_ms), 2)
                  for n in (1, 2, 8, 32, 128)}
    result = {"runs": runs, "per_record_peak_mib": memory,
              "store_ms_per_record": store_ms,
              "parquet_equals_analyze_json": f"{equal}/{compared}",
              "million_records_hours": hours, "million_records_hours_with_store": with_store}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
