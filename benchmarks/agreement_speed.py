"""How fast agreement is on a big panel: 10,000 records read by 5 annotators and a model.

Run: ``.venv/bin/python benchmarks/agreement_speed.py [--records 10000] [--store PATH]``.

Builds (once, then reused; resumable) a store through the public API: per synthetic 12-lead
record a model proposal (12 leads x 12 beats x P/QRS/T = 432 waves) and 5 annotators' sets
copied from it, each with 6 boundaries moved by up to +-20 ms and submitted (signed). Then
times the full report (``ecgws agreement``: every pair's per-lead and global boundaries,
the intervals' Bland-Altman, the ICC and the disagreement scores): on a store written by an
earlier version (empty set cache: every set's waves are packed and its cross-lead groups
computed, then kept), on a store written by this version (waves packed when each set was
submitted; groups computed by the first report), then twice on the warm cache, as every
later report runs. ``--warm`` runs only the last two.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.store_speed import FS, LEADS, N_SAMPLES, proposal, record_id  # noqa: E402
from tests.store.file_keyring import use_file_keyring  # noqa: E402
from workstation.core.annotation import Boundary  # noqa: E402
from workstation.core.commands import MoveBoundary  # noqa: E402
from workstation.store import AnnotationStore, RecordInfo  # noqa: E402
from workstation.store.connection import write_transaction  # noqa: E402

ANNOTATORS = [f"reader{i}" for i in range(1, 6)]
DEFAULT_STORE = ROOT / "benchmarks" / ".cache" / "agreement_speed" / "panel.ecgws"


def build(path: Path, n_records: int) -> None:
    """Fill the store up to ``n_records`` records, each read by every annotator."""
    with AnnotationStore.open(path) as store:
        store.database.execute("PRAGMA synchronous = OFF")  # building only
        known = {a.id for a in store.annotators()}
        for annotator in ANNOTATORS:
            if annotator not in known:
                store.add_annotator(annotator, f"Cardiologist {annotator[6:]}")
        have = store.database.execute("SELECT count(*) FROM records").fetchone()[0]
        started = time.perf_counter()
        for i in range(have, n_records):
            add_record(store, i)
            if (i + 1) % 500 == 0:
                rate = (i + 1 - have) / (time.perf_counter() - started)
                print(f"  built {i + 1} records ({rate:.1f}/s)", flush=True)


def add_record(store: AnnotationStore, i: int) -> None:
    rng = random.Random(i)
    rid = record_id(i)
    store.add_record(RecordInfo(rid, "WFDB", FS, LEADS, N_SAMPLES, N_SAMPLES / FS, f"{i}.hea"))
    delineation = proposal(rng)
    store.add_proposal(rid, delineation)
    for annotator in ANNOTATORS:
        store.switch_user(annotator)
        set_id = store.open_set(rid).id
        for wave in rng.sample(delineation.waves, 6):
            which = rng.choice((Boundary.ONSET, Boundary.OFFSET))
            old = getattr(wave, which.value)
            new = old + rng.randint(-10, 10)
            if which is Boundary.ONSET:
                new = min(max(0, new), wave.peak)
            else:
                new = max(min(N_SAMPLES - 1, new), wave.peak)
            if new != old:
                store.apply(set_id, MoveBoundary(wave.id, which, old, new))
        store.submit(set_id)


def measure(path: Path, cold: bool) -> None:
    from workstation.panel.agreement import agreement
    from workstation.panel.sources import all_sources, load_panel

    runs = ["warm cache", "warm cache"]
    if cold:
        runs = ["store written by an earlier version (empty set cache)",
                "store written by this version (waves packed at submission)"] + runs
    with AnnotationStore.open(path) as store:
        for run in runs:
            if run.startswith("store written by an earlier"):
                _drop(store, "")
            elif run.startswith("store written by this"):
                _drop(store, "panel/")
            t0 = time.perf_counter()
            sources = all_sources(store)
            data = load_panel(store, sources)
            t1 = time.perf_counter()
            report = agreement(data)
            t2 = time.perf_counter()
            print(f"{run}:\n  read {t1 - t0:6.2f} s, agreement {t2 - t1:6.2f} s, "
                  f"total {t2 - t0:6.2f} s", flush=True)
        print(f"{len(data.records)} records, {len(sources)} sources "
              f"({', '.join(s.name for s in sources)}), {len(data.waves.onset):,} wave rows, "
              f"{len(report.pairs)} pairs")
        pair = report.to_dict()["pairs"][0]
        worst = max(report.disagreement.record_scores().values())
        print(f"  e.g. {pair['b']} vs {pair['a']}: QRS_on SD {pair['boundaries']['QRS_on']['sd_ms']} ms, "
              f"global T_off F1 {pair['global']['T_off']['f1']}, QT bias "
              f"{pair['intervals']['QT']['bias_ms']} ms; worst record {worst:.1f} ms")
        cached = store.database.execute("SELECT count(*), sum(length(data)) FROM set_cache") \
            .fetchone()
        print(f"  set cache: {cached[0]:,} entries, {cached[1] / 2**20:.0f} MB")


def _drop(store: AnnotationStore, prefix: str) -> None:
    with write_transaction(store.database):
        store.database.execute("DELETE FROM set_cache WHERE name LIKE ?", [prefix + "%"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--warm", action="store_true",
                        help="keep the set cache (skip the empty-cache run)")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    args.store.parent.mkdir(parents=True, exist_ok=True)
    use_file_keyring(args.store.parent / "keyring.json")
    build(args.store, args.records)
    if not args.build_only:
        measure(args.store, cold=not args.warm)


if __name__ == "__main__":
    main()
