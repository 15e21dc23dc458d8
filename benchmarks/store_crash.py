"""Crash and concurrency figures for the annotation store, with real processes and SIGKILL.

Run: ``.venv/bin/python benchmarks/store_crash.py [--rounds 20] [--workers 4]``.

1. Crash: a child workstation (``tests/store/edit_worker.py``) applies a stream of edits and
   prints an acknowledgement after each commit; it is killed with SIGKILL after a random
   number of acknowledgements, ``--rounds`` times. Prints acknowledged edits, how many were
   lost (must be 0), edits committed but not yet acknowledged when killed, and whether
   ``PRAGMA integrity_check`` and the audit check passed after every kill.
2. Concurrency: ``--workers`` processes edit one store at the same moment (two of them the
   same set, from "two machines"); prints throughput and lost updates (must be 0).
3. Conflicts: two connections move the same boundaries from the same stale state; prints
   how many second moves were refused with ConflictError (must be all).
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.store.conftest import LEADS, synthetic_delineation, synthetic_record  # noqa: E402
from tests.store.file_keyring import use_file_keyring  # noqa: E402
from workstation.core.annotation import Boundary  # noqa: E402
from workstation.core.commands import ConflictError, MoveBoundary  # noqa: E402
from workstation.store import AnnotationStore  # noqa: E402
from workstation.store.audit import verify_store  # noqa: E402


def new_store(folder: Path, users: list[str]) -> Path:
    path = folder / "annotations.ecgws"
    with AnnotationStore.open(path) as store:
        for user in users:
            store.add_annotator(user, user)
        store.switch_user(users[0])
        store.add_record(synthetic_record())
        store.add_proposal("rec-1", synthetic_delineation())
        for user in users:
            store.switch_user(user)
            store.open_set("rec-1")
    return path


def worker(path: Path, user: str, leads: tuple[str, ...], count: int,
           go: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "tests.store.edit_worker", str(path), user, "rec-1",
            ",".join(leads), str(count)] + ([str(go)] if go else [])
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def stored_onsets(path: Path, user: str) -> dict[str, int]:
    with AnnotationStore.open(path) as store:
        store.switch_user(user)
        state = store.load(store.open_set("rec-1").id)
        return {i: a.wave.onset for i, a in state.waves.items()}


def command_count(path: Path) -> int:
    with AnnotationStore.open(path) as store:
        return store.database.execute(
            "SELECT count(*) FROM events WHERE kind = 'command'").fetchone()[0]


def crash_rounds(folder: Path, rounds: int) -> None:
    path = new_store(folder, ["ann1"])
    rng = random.Random(5)
    acked = lost = unacked_committed = sound = 0
    for _ in range(rounds):
        before = command_count(path)
        child = worker(path, "ann1", LEADS, 432)
        wanted, acks = rng.randint(1, 150), []
        while len(acks) < wanted:
            parts = child.stdout.readline().split()
            if parts and parts[0] == "ack":
                acks.append((parts[1], int(parts[2])))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        child.stderr.close()
        onsets = stored_onsets(path, "ann1")
        lost += sum(onsets[w] != onset for w, onset in acks)
        acked += len(acks)
        unacked_committed += command_count(path) - before - len(acks)
        sound += verify_store(path).ok
    print(f"crash: {rounds} SIGKILLs mid-stream, {acked} acknowledged edits, {lost} lost; "
          f"{unacked_committed} committed but not yet acknowledged when killed; "
          f"integrity + hash chain + replay ok after {sound}/{rounds} kills")


def concurrency(folder: Path, n_workers: int) -> None:
    users = ["ann1"] + [f"ann{i}" for i in range(2, n_workers)]
    path = new_store(folder, users)
    go = folder / "go"
    halves = (LEADS[:6], LEADS[6:])
    plans = [("ann1", halves[0]), ("ann1", halves[1])] + [(u, LEADS) for u in users[1:]]
    children = [worker(path, user, leads, 100, go) for user, leads in plans[:n_workers]]
    for child in children:
        child.stdout.readline()  # "ready"
    started = time.perf_counter()
    go.touch()
    outputs = [child.communicate()[0] for child in children]
    seconds = time.perf_counter() - started
    acks = [[line.split() for line in out.splitlines() if line.startswith("ack")]
            for out in outputs]
    lost = 0
    for user in set(u for u, _ in plans[:n_workers]):
        onsets = stored_onsets(path, user)
        mine = [a for (u, _), acks_ in zip(plans, acks) if u == user for a in acks_]
        lost += sum(onsets[w] != int(onset) for _, w, onset in mine)
    total = sum(len(a) for a in acks)
    print(f"concurrency: {len(children)} processes, {total} edits committed in {seconds:.2f} s "
          f"({total / seconds:.0f} edits/s across processes), {lost} lost updates, "
          f"audit {'ok' if verify_store(path).ok else 'FAILED'}")


def conflicts(folder: Path, n: int = 100) -> None:
    path = new_store(folder, ["ann1"])
    with AnnotationStore.open(path) as first_store, AnnotationStore.open(path) as second_store:
        first_store.switch_user("ann1")
        second_store.switch_user("ann1")
        first = first_store.open_session("rec-1")
        second = second_store.open_session("rec-1")
        refused = 0
        for wave in list(first.state.waves_in("II"))[:n]:
            first.execute(MoveBoundary.of(first.state, wave.id, Boundary.ONSET, wave.onset - 1))
            try:
                second.execute(MoveBoundary.of(second.state, wave.id, Boundary.ONSET, wave.onset + 1))
            except ConflictError:
                refused += 1
        moved = min(n, len(first.state.waves_in("II")))
    print(f"conflicts: {refused}/{moved} stale moves of an already-moved boundary refused "
          f"with ConflictError, none overwritten")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        use_file_keyring(folder / "keyring.json")
        for name, step in (("crash", lambda f: crash_rounds(f, args.rounds)),
                           ("concurrency", lambda f: concurrency(f, args.workers)),
                           ("conflicts", conflicts)):
            sub = folder / name
            sub.mkdir()
            step(sub)


if __name__ == "__main__":
    main()
