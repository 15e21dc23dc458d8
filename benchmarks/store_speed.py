"""How fast the annotation store is: an edit's commit, and opening a record's annotations in a big store.

Run: ``.venv/bin/python benchmarks/store_speed.py [--records 10000] [--store PATH] [--audit]``.

Builds (once, then reused) a store of synthetic annotated 12-lead records through the public
API: per record its de-identified metadata, a model proposal (12 leads x 12 beats x P/QRS/T
= 432 waves), one annotator's set copied from it with three corrected boundaries, every
tenth set submitted (signed). Then, in this process, prints milliseconds for: opening the
store, opening one record's annotation set (``open_session``: find the user's set and load
its 432 waves), loading the proposal, committing one edit, undoing it, and replaying a set
from the event log; with ``--audit`` also the whole-store checks of ``ecgws audit verify``.
The keyring is a file keyring in the store's folder (never the real OS keyring).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.store.file_keyring import use_file_keyring  # noqa: E402
from workstation.core.annotation import Boundary  # noqa: E402
from workstation.core.commands import MoveBoundary  # noqa: E402
from workstation.core.delineation import Delineation, Wave, WaveKind  # noqa: E402
from workstation.store import AnnotationStore, RecordInfo  # noqa: E402
from workstation.store.events import verify_chain  # noqa: E402

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
FS, N_SAMPLES, BEATS = 500.0, 5000, 12
ANNOTATORS = [f"ann{i}" for i in range(1, 6)]
DEFAULT_STORE = ROOT / "benchmarks" / ".cache" / "store_speed" / "annotations.ecgws"


def record_id(i: int) -> str:
    return f"{i:064x}"  # shaped like the SHA-256 ids real records get


def proposal(rng: random.Random) -> Delineation:
    """P, QRS and T of 12 beats on 12 leads at a random heart rate (60-90 bpm)."""
    rr = rng.randint(333, 400)
    waves = []
    for li, lead in enumerate(LEADS):
        for b in range(BEATS):
            start = 10 + b * rr + (li % 3)
            for kind, on, peak, off in ((WaveKind.P, 0, 22, 48), (WaveKind.QRS, 76, 96, 125),
                                        (WaveKind.T, 190, 245, 300)):
                conf = round(rng.uniform(0.5, 1.0), 3)
                waves.append(Wave(kind, lead, start + on, start + peak,
                                  min(start + off, N_SAMPLES - 1), conf, conf, conf))
    return Delineation(FS, LEADS, tuple(waves), "unet-lead-fusion", "1.0")


def build(path: Path, n_records: int) -> None:
    """Fill the store up to ``n_records`` annotated records (resumes a partial build)."""
    with AnnotationStore.open(path) as store:
        # building only: skip the per-commit fsync (a crash here just means building again);
        # the measurements below reopen the store with its normal synchronous=FULL
        store.database.execute("PRAGMA synchronous = OFF")
        known = {a.id for a in store.annotators()}
        for annotator in ANNOTATORS:
            if annotator not in known:
                store.add_annotator(annotator, f"Cardiologist {annotator[3:]}")
        have = store.database.execute("SELECT count(*) FROM records").fetchone()[0]
        started = time.perf_counter()
        for i in range(have, n_records):
            add_annotated_record(store, i)
            if (i + 1) % 1000 == 0:
                rate = (i + 1 - have) / (time.perf_counter() - started)
                print(f"  built {i + 1} records ({rate:.0f}/s)", flush=True)


def add_annotated_record(store: AnnotationStore, i: int) -> None:
    rng = random.Random(i)
    rid = record_id(i)
    store.switch_user(ANNOTATORS[i % len(ANNOTATORS)])
    store.add_record(RecordInfo(rid, "WFDB", FS, LEADS, N_SAMPLES, N_SAMPLES / FS, f"{i}.hea"))
    delineation = proposal(rng)
    store.add_proposal(rid, delineation)
    set_id = store.open_set(rid).id
    for wave in rng.sample(delineation.waves, 3):
        store.apply(set_id, MoveBoundary(wave.id, Boundary.ONSET, wave.onset, wave.onset - 2))
    if i % 10 == 0:
        store.submit(set_id)


def stats(times_s: list[float]) -> str:
    ms = sorted(t * 1000 for t in times_s)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"median {statistics.median(ms):6.2f} ms, p95 {p95:6.2f} ms, max {ms[-1]:6.2f} ms (n={len(ms)})"


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def measure(path: Path, n_records: int, samples: int, audit: bool) -> None:
    rng = random.Random(2024)
    chosen = rng.sample(range(n_records), samples)
    open_s, store = timed(lambda: AnnotationStore.open(path))
    print(f"open the store file:                     {1000 * open_s:.1f} ms")
    with store:
        first = chosen[0]
        store.switch_user(ANNOTATORS[first % len(ANNOTATORS)])
        cold, session = timed(lambda: store.open_session(record_id(first)))
        print(f"first record opened after opening store: {1000 * cold:.2f} ms "
              f"({len(session.state.waves)} waves)")
        opens, loads, proposals, edits, undos, rebuilds = [], [], [], [], [], []
        for i in chosen:
            store.switch_user(ANNOTATORS[i % len(ANNOTATORS)])
            seconds, session = timed(lambda: store.open_session(record_id(i)))
            opens.append(seconds)
            loads.append(timed(lambda: store.load(session.set_id))[0])
            proposals.append(timed(lambda: store.proposal_of(session.set_id))[0])
            if session.info.status.value != "draft":
                continue
            wave = session.state.waves_in("V2", WaveKind.QRS)[3]
            move = MoveBoundary.of(session.state, wave.id, Boundary.OFFSET, wave.offset + 1)
            edits.append(timed(lambda: session.execute(move))[0])
            undos.append(timed(session.undo)[0])
            if len(rebuilds) < 50:
                rebuilds.append(timed(lambda: store.rebuild(session.set_id))[0])
        under = sum(t < 0.05 for t in opens) / len(opens)
        print(f"open a record's annotation set:          {stats(opens)}; "
              f"{100 * under:.1f}% under 50 ms")
        print(f"  load the set alone (432 waves):        {stats(loads)}")
        print(f"  load the model's proposal:             {stats(proposals)}")
        print(f"commit one edit (MoveBoundary):          {stats(edits)}")
        print(f"commit its undo:                         {stats(undos)}")
        print(f"rebuild a set from its event log:        {stats(rebuilds)}")
        if audit:
            audit_figures(store)


def audit_figures(store: AnnotationStore) -> None:
    db = store.database
    seconds, (count, broken) = timed(lambda: verify_chain(db))
    print(f"verify the hash chain:                   {seconds:.1f} s for {count} events "
          f"({'intact' if broken is None else f'broken at {broken.event_id}'})")
    seconds, result = timed(lambda: db.execute("PRAGMA integrity_check").fetchone()[0])
    print(f"PRAGMA integrity_check:                  {seconds:.1f} s ({result})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--samples", type=int, default=300, help="records opened and edited")
    parser.add_argument("--audit", action="store_true", help="also time the whole-store checks")
    args = parser.parse_args()
    args.store.parent.mkdir(parents=True, exist_ok=True)
    use_file_keyring(args.store.parent / "keyring.json")
    print(f"store {args.store}: {args.records} annotated 12-lead records")
    seconds, _ = timed(lambda: build(args.store, args.records))
    size = sum(p.stat().st_size for p in args.store.parent.glob(args.store.name + "*"))
    print(f"build/resume: {seconds:.0f} s; file size {size / 2**20:.0f} MiB")
    measure(args.store, args.records, min(args.samples, args.records), args.audit)


if __name__ == "__main__":
    main()
