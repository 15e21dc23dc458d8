"""The store under crashes, concurrent workstations and broken files (real SQLite files, real processes)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import ROOT
from tests.store.conftest import LEADS, first_wave
from workstation.core.annotation import Boundary
from workstation.core.commands import ConflictError, MoveBoundary, SetNote
from workstation.store import AnnotationStore, StoreError
from workstation.store.audit import verify_store


def start_worker(store_path: Path, user: str, leads: tuple[str, ...], count: int,
                 go_file: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "tests.store.edit_worker", str(store_path), user, "rec-1",
            ",".join(leads), str(count)] + ([str(go_file)] if go_file else [])
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def read_acks(worker: subprocess.Popen, wanted: int) -> list[tuple[str, int]]:
    acks = []
    while len(acks) < wanted:
        line = worker.stdout.readline()
        if not line:
            raise AssertionError(f"worker ended early: {worker.stderr.read()}")
        if line.startswith("ack "):
            _, wave_id, onset = line.split()
            acks.append((wave_id, int(onset)))
    return acks


def assert_sound(store_path: Path) -> None:
    report = verify_store(store_path)
    assert report.ok, report.problems
    assert report.integrity == "ok"


@pytest.mark.parametrize("kill_after", [1, 17, 60])
def test_sigkill_mid_stream_loses_no_acknowledged_edit(store, store_path, kill_after):
    store.open_set("rec-1")
    store.close()
    worker = start_worker(store_path, "ann1", LEADS, 400)
    acks = read_acks(worker, kill_after)
    worker.send_signal(signal.SIGKILL)  # while it is most likely inside its next transaction
    worker.wait(timeout=30)
    worker.stdout.close()
    worker.stderr.close()
    with AnnotationStore.open(store_path) as after:
        after.switch_user("ann1")
        state = after.load(after.open_set("rec-1").id)
        for wave_id, onset in acks:
            assert state.wave(wave_id).onset == onset
        commands = after.database.execute(
            "SELECT count(*) FROM events WHERE kind = 'command'").fetchone()[0]
    # every acknowledged edit is in the log; a loaded machine may have committed a few more
    # before the signal landed (committed but not yet acknowledged: also kept, never half)
    assert commands >= kill_after
    assert_sound(store_path)


def test_two_workstations_editing_one_store_lose_no_update(store, store_path, tmp_path):
    store.open_set("rec-1")
    store.switch_user("ann2")
    store.open_set("rec-1")
    store.close()
    go = tmp_path / "go"
    workers = [start_worker(store_path, "ann1", LEADS[:6], 72, go),  # one set, two machines
               start_worker(store_path, "ann1", LEADS[6:], 72, go),
               start_worker(store_path, "ann2", LEADS, 72, go)]      # another set, same file
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
    go.touch()
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert all(w.returncode == 0 for w in workers), [o[1] for o in outputs]
    acks = [[line.split() for line in out.splitlines() if line.startswith("ack")]
            for out, _ in outputs]
    assert [len(a) for a in acks] == [72, 72, 72]
    with AnnotationStore.open(store_path) as after:
        for user, user_acks in (("ann1", acks[0] + acks[1]), ("ann2", acks[2])):
            after.switch_user(user)
            state = after.load(after.open_set("rec-1").id)
            assert all(state.wave(w).onset == int(onset) for _, w, onset in user_acks)
        writers = [row[0] for row in after.database.execute(
            "SELECT annotator_id || substr(payload, instr(payload, '\"wave_id\":\"') + 11, 2) "
            "FROM events WHERE kind = 'command' ORDER BY id")]
    switches = sum(a != b for a, b in zip(writers, writers[1:]))
    assert switches >= 2, "the workstations did not actually write at the same time"
    assert_sound(store_path)


def test_moving_the_same_boundary_on_two_workstations_is_a_conflict(store, store_path):
    first = store.open_session("rec-1")
    with AnnotationStore.open(store_path) as other_machine:
        other_machine.switch_user("ann1")
        second = other_machine.open_session("rec-1")
        wave = first_wave(first.state)
        first.execute(MoveBoundary.of(first.state, wave.id, Boundary.ONSET, wave.onset - 4))
        stale = second.state
        with pytest.raises(ConflictError, match=f"onset of {wave.id} was changed elsewhere"):
            second.execute(MoveBoundary.of(second.state, wave.id, Boundary.ONSET, wave.onset + 4))
        assert second.state is stale and not second.document.can_undo
        # a different boundary of the same wave is not a conflict, and comes back fresh
        second.execute(MoveBoundary.of(second.state, wave.id, Boundary.OFFSET, wave.offset + 2))
        assert second.state.wave(wave.id).onset == wave.onset - 4
        # undoing a step the other machine has since overridden is refused, not forced
        first.refresh()
        first.execute(MoveBoundary.of(first.state, wave.id, Boundary.OFFSET, wave.offset + 7))
        with pytest.raises(ConflictError):
            second.undo()
    stored = store.load(first.set_id).wave(wave.id)
    assert (stored.onset, stored.offset) == (wave.onset - 4, wave.offset + 7)


def test_a_busy_store_makes_an_edit_wait_not_fail(store, store_path):
    session = store.open_session("rec-1")
    holder = sqlite3.connect(store_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    started = time.perf_counter()
    session.execute(SetNote.of(session.state, "waited"))
    assert time.perf_counter() - started >= 0.25
    holder.close()
    assert store.load(session.set_id).note == "waited"


def test_an_edit_commits_in_a_few_milliseconds(store):
    session = store.open_session("rec-1")
    waves = session.state.waves_in("V5")
    times = []
    for wave in waves:
        started = time.perf_counter()
        session.execute(MoveBoundary.of(session.state, wave.id, Boundary.PEAK, wave.peak + 1))
        times.append(time.perf_counter() - started)
    times.sort()
    assert times[len(times) // 2] < 0.02, f"median {1000 * times[len(times) // 2]:.1f} ms"


# -- broken files --------------------------------------------------------------------------------

def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damage(path: Path, keep_header: bool) -> None:
    data = bytearray(path.read_bytes())
    start = 4096 if keep_header else 0
    for offset in range(start, len(data), 1024):
        data[offset:offset + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))


def use(store_path: Path) -> None:
    with AnnotationStore.open(store_path) as opened:
        opened.switch_user("ann1")
        opened.load(opened.open_set("rec-1").id)


@pytest.mark.parametrize("keep_header", [True, False])
def test_a_damaged_store_is_a_clear_error_and_is_left_as_it_is(store, store_path, keep_header):
    session = store.open_session("rec-1")
    session.execute(SetNote.of(session.state, "precious"))
    store.close()
    damage(store_path, keep_header)
    before = digest(store_path)
    with pytest.raises(StoreError) as caught:
        use(store_path)
    message = str(caught.value)
    assert str(store_path) in message
    assert "damaged" in message or "not an annotation store" in message
    assert digest(store_path) == before


def test_a_truncated_store_is_a_clear_error(store, store_path):
    store.close()
    data = store_path.read_bytes()
    store_path.write_bytes(data[: len(data) // 3])
    with pytest.raises(StoreError, match="damaged|not an annotation store"):
        use(store_path)


def test_a_foreign_file_is_refused_untouched(tmp_path):
    text_file = tmp_path / "export.csv"
    text_file.write_text("I,II\n0.1,0.2\n")
    with pytest.raises(StoreError, match="not a SQLite file"):
        AnnotationStore.open(text_file)
    assert text_file.read_text() == "I,II\n0.1,0.2\n"
    other_db = tmp_path / "hospital.sqlite"
    with contextlib.closing(sqlite3.connect(other_db)) as conn:
        conn.execute("CREATE TABLE patients (name TEXT)")
        conn.commit()
    before = digest(other_db)
    with pytest.raises(StoreError, match="not an ECG Workstation annotation store"):
        AnnotationStore.open(other_db)
    assert digest(other_db) == before
    with pytest.raises(StoreError, match="is a folder"):
        AnnotationStore.open(tmp_path)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` read-only, for root too (the immutable attribute) where possible."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("running as root without chattr: cannot make a folder read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def test_a_read_only_folder_is_a_clear_error_and_no_loss(store, store_path, tmp_path):
    session = store.open_session("rec-1")
    session.execute(SetNote.of(session.state, "kept"))
    store.close()
    new_store = tmp_path / "locked" / "new.ecgws"
    new_store.parent.mkdir()
    with read_only(new_store.parent):
        with pytest.raises(StoreError, match=f"{new_store}.*read-only"):
            AnnotationStore.open(new_store)
    with read_only(tmp_path):
        with pytest.raises(StoreError, match=f"{store_path}.*read-only"):
            use(store_path)
    with AnnotationStore.open(store_path) as reopened:  # usable again once writable
        assert reopened.load(session.set_id).note == "kept"


def test_a_full_disk_refuses_the_edit_and_keeps_everything_else(store, store_path):
    session = store.open_session("rec-1")
    session.execute(SetNote.of(session.state, "before the disk filled"))
    db = store.database
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: a full disk
    with pytest.raises(StoreError, match="disk is full") as caught:
        for size in range(1, 100):
            session.execute(SetNote.of(session.state, "x" * 4000 * size))
    assert str(store_path) in str(caught.value)
    refused = session.state
    assert store.load(session.set_id) == refused  # the document shows exactly what is stored
    assert_sound(store_path)
    db.execute("PRAGMA max_page_count = 1073741823")  # space freed: editing goes on
    assert session.execute(SetNote.of(session.state, "after"))
    assert store.load(session.set_id).note == "after"
    assert_sound(store_path)
