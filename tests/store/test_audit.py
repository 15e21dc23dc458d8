"""``ecgws audit``: the hash chain catches hand edits; the log shows who did what, when."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from tests.store.conftest import first_wave
from workstation.cli import main
from workstation.core.annotation import Boundary
from workstation.core.commands import MoveBoundary, SetNote
from workstation.store.events import event_hash


@pytest.fixture
def edited(store, store_path) -> Path:
    """A store where ann1 moved a boundary, wrote a note and submitted; closed."""
    session = store.open_session("rec-1")
    wave = first_wave(session.state)
    session.execute(MoveBoundary.of(session.state, wave.id, Boundary.ONSET, wave.onset - 3))
    session.execute(SetNote.of(session.state, "checked"))
    session.submit()
    store.close()
    return store_path


@contextlib.contextmanager
def hand_edit(path: Path):
    """A plain sqlite3 connection with the append-only triggers dropped, as a forger would."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER events_append_only_update")
    conn.execute("DROP TRIGGER events_append_only_delete")
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def command_event(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT min(id) FROM events WHERE kind = 'command'").fetchone()[0]


def test_verify_passes_on_an_honest_store(edited, capsys):
    assert main(["audit", "verify", str(edited)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok: {edited}:") and "1 signatures valid" in out
    assert main(["audit", "verify", "--quick", str(edited)]) == 0
    assert "not replayed (--quick)" in capsys.readouterr().out


def test_an_edited_event_is_named(edited, capsys):
    with hand_edit(edited) as conn:
        event_id = command_event(conn)
        payload = conn.execute("SELECT payload FROM events WHERE id = ?", [event_id]).fetchone()[0]
        conn.execute("UPDATE events SET payload = ? WHERE id = ?",
                     [payload.replace('"new":', '"new":1'), event_id])
    assert main(["audit", "verify", str(edited)]) == 1
    err = capsys.readouterr().err
    assert f"event {event_id}: its content does not match its hash" in err.splitlines()[0]


def test_a_removed_event_is_named_by_the_next_one(edited, capsys):
    with hand_edit(edited) as conn:
        event_id = command_event(conn)
        conn.execute("DELETE FROM events WHERE id = ?", [event_id])
    assert main(["audit", "verify", str(edited)]) == 1
    assert f"event {event_id + 1}: does not follow" in capsys.readouterr().err


def test_a_rewritten_chain_is_caught_by_the_signature(edited, capsys):
    """A forger who edits a row and re-hashes every later event still cannot sign."""
    with hand_edit(edited) as conn:
        conn.row_factory = sqlite3.Row
        event_id = command_event(conn)
        rows = [dict(r) for r in conn.execute("SELECT * FROM events WHERE id >= ? ORDER BY id",
                                              [event_id])]
        previous = conn.execute("SELECT hash FROM events WHERE id = ?", [event_id - 1]).fetchone()[0]
        payload = json.loads(rows[0]["payload"])
        payload["command"]["new"] -= 50
        rows[0]["payload"] = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        for row in rows:
            row["prev_hash"] = previous
            row["hash"] = previous = event_hash(row)
            conn.execute("UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE id = ?",
                         [row["payload"], row["prev_hash"], row["hash"], row["id"]])
        wave_id = payload["command"]["wave_id"]
        conn.execute("UPDATE waves SET onset = onset - 50 WHERE id = ? AND set_id = 2", [wave_id])
    assert main(["audit", "verify", str(edited)]) == 1
    assert "signature of ann1 fails" in capsys.readouterr().err


def test_a_wave_row_edited_outside_the_log_is_found(edited, capsys):
    with hand_edit(edited) as conn:
        conn.execute("UPDATE waves SET offset = offset + 1 WHERE set_id = 2 AND lead = 'V4'")
    assert main(["audit", "verify", str(edited)]) == 1
    assert "set 2: its tables differ from its history" in capsys.readouterr().err
    # without the replay, the submitted set's signature still gives the edit away
    assert main(["audit", "verify", "--quick", str(edited)]) == 1
    err = capsys.readouterr().err
    assert "signature of ann1 fails" in err and "differ from its history" not in err


def test_verify_refuses_what_it_cannot_read(tmp_path, capsys):
    missing = tmp_path / "missing.ecgws"
    assert main(["audit", "verify", str(missing)]) == 2
    assert not missing.exists()  # checking never creates a store
    junk = tmp_path / "junk.ecgws"
    junk.write_bytes(b"not a database at all")
    assert main(["audit", "verify", str(junk)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: {missing}: no such store file",
        f"error: {junk}: not an annotation store (not a SQLite file); it was left untouched"]


def test_the_log_shows_who_what_when_before_and_after(edited, capsys):
    assert main(["audit", "log", str(edited), "--record", "rec-1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("ann1" in line and "move onset of" in line and "->" in line for line in lines)
    assert any("note: '' -> 'checked'" in line for line in lines)
    assert "submitted" in lines[-1] and lines[-1][:4].isdigit()
    assert main(["audit", "log", str(edited), "--record", "nope"]) == 2
    assert "no record nope" in capsys.readouterr().err
    assert main(["audit", "--help"]) == 0


def test_verify_fails_when_a_signature_cannot_be_checked_here(edited, capsys):
    import keyring

    from workstation.store import KEYRING_SERVICE

    keyring.delete_password(KEYRING_SERVICE, "ann1")  # the author's secret is not on this computer
    assert main(["audit", "verify", str(edited)]) == 3
    assert "1 signatures cannot be checked" in capsys.readouterr().err
    assert main(["audit", "verify", "--allow-unverified", str(edited)]) == 0
    assert "1 not checkable here" in capsys.readouterr().out


def test_the_log_finds_a_record_by_file_name_stem_or_a_start_of_its_id(tmp_path, capsys):
    from workstation.store import AnnotationStore, RecordInfo, StoreError

    path = tmp_path / "named.ecgws"
    ids = ("3f2a" + "0" * 60, "3f2b" + "1" * 60, "9c01" + "2" * 60)
    names = ("patient_17.hea", "patient_17.xml", "other.dcm")
    with AnnotationStore.open(path) as store:
        for record_id, name in zip(ids, names, strict=True):
            store.add_record(RecordInfo(record_id, "WFDB", 500.0, ("I",), 5000, 10.0, name))
        assert store.find_record("other.dcm").id == ids[2]  # file name
        assert store.find_record("other").id == ids[2]  # stem
        assert store.find_record("patient_17.xml").id == ids[1]
        assert store.find_record(ids[0][:8]).id == ids[0]  # a start of the id
        assert store.find_record(ids[1].upper()).id == ids[1]
        with pytest.raises(StoreError, match="names 2 records"):
            store.find_record("patient_17")  # two files share the stem: both listed
        with pytest.raises(StoreError, match="no record"):
            store.find_record("3f2")  # too short to be taken for an id
    assert main(["audit", "log", str(path), "--record", "other"]) == 0
    assert ids[2][:8] not in capsys.readouterr().err
    assert main(["audit", "log", str(path), "--record", "patient_17"]) == 2
    err = capsys.readouterr().err
    assert "patient_17.hea" in err and "patient_17.xml" in err
