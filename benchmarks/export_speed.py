"""How fast exports stream, and that memory stays bounded.

Run: ``.venv/bin/python benchmarks/export_speed.py [--store PATH] [--ludb DIR]``.

1. The boundary CSV of one reader's sets from the 10,000-record panel store that
   ``benchmarks/agreement_speed.py`` builds (no signals involved): first 1,000 records, then
   all, with the process's peak resident memory after each (it must not grow with the size).
2. WFDB + arrays (signals read, wave masks computed, files compressed) of LUDB's 200 records
   imported as a reader (``../shared/data/ludb``): records per second.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.agreement_speed import DEFAULT_STORE  # noqa: E402
from tests.store.file_keyring import use_file_keyring  # noqa: E402
from workstation.panel.export import Format, export  # noqa: E402
from workstation.store import AnnotationStore  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Limited:
    """The first ``n`` records of an export's stream (to time a part of the store)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, items):
        for i, item in enumerate(items):
            if i >= self.n:
                return
            yield item


def csv_export(store_path: Path, work: Path) -> None:
    use_file_keyring(store_path.parent / "keyring.json")
    with AnnotationStore.open(store_path) as store:
        total = store.database.execute("SELECT count(*) FROM records").fetchone()[0]
        for n in (1000, total):
            out = work / f"csv{n}"
            t0 = time.perf_counter()
            summary = export(store, out, source="reader1", formats=[Format.CSV],
                             progress=Limited(n))
            seconds = time.perf_counter() - t0
            size = (out / "boundaries.csv").stat().st_size / 1e6
            print(f"CSV, {summary.records:>6} records ({summary.waves:,} waves, {size:.0f} MB): "
                  f"{seconds:6.1f} s, {summary.records / seconds:6.0f} records/s, "
                  f"peak memory {peak_mb():.0f} MB")


def signal_export(ludb: Path, work: Path) -> None:
    from workstation.panel.importer import import_folder

    use_file_keyring(work / "keyring.json")
    with AnnotationStore.open(work / "ludb.ecgws") as store:
        t0 = time.perf_counter()
        import_folder(store, ludb, "ludb")
        print(f"import of LUDB's reference: {time.perf_counter() - t0:.1f} s")
        t1 = time.perf_counter()
        summary = export(store, work / "signals", source="ludb", records_dirs=[ludb],
                         formats=[Format.WFDB, Format.ARRAYS])
        seconds = time.perf_counter() - t1
        print(f"WFDB + arrays, {summary.records} records: {seconds:.1f} s "
              f"({summary.records / seconds:.1f} records/s), peak memory {peak_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--ludb", type=Path, default=ROOT.parent / "shared" / "data" / "ludb")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ecgws-export-"))
    try:
        if args.ludb.exists():
            signal_export(args.ludb, work)
        if args.store.exists():
            csv_export(args.store, work)
        else:
            print(f"no {args.store}: run benchmarks/agreement_speed.py first")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
