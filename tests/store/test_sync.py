"""Offline first: a workstation on its local store, synchronising with a real PostgreSQL server.

Two workstations (two processes) edit the same record through one server, one of them offline
for a while; the connection is cut in the middle of its synchronisation. Nothing is lost or
doubled, both chains verify, and the agreement report equals the one of a SQLite store where
the same edits were made directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.store.conftest import synthetic_delineation, synthetic_record
from tests.store.test_server import _as, _panel_server
from workstation.cli import main
from workstation.core.annotation import Boundary
from workstation.core.commands import MoveBoundary
from workstation.store import AnnotationStore, Role, StoreError
from workstation.store.audit import verify_store
from workstation.store.location import ServerUrl
from workstation.store.sync import follow, synchronise

ROOT = Path(__file__).resolve().parents[2]


def _offline_edits(store: AnnotationStore) -> int:
    """r2's work: six onsets on lead II moved 2 samples earlier, one note, then submitted."""
    session = store.open_session("rec-1")
    waves = session.state.waves_in("II")[:6]
    for wave in waves:
        session.execute(MoveBoundary.of(session.state, wave.id, Boundary.ONSET, wave.onset - 2))
    session.submit()
    return session.set_id


def _worker_edits(store: str) -> None:
    """r1's work in another process (tests/store/edit_worker.py): ten onsets on V1."""
    done = subprocess.run([sys.executable, "-m", "tests.store.edit_worker", store, "r1", "rec-1",
                           "V1", "10"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.count("ack ") == 10, done.stderr


def _submit(store_location: str, user: str) -> None:
    with AnnotationStore.open(store_location) as store:
        store.switch_user(user)
        store.submit(store.open_set("rec-1").id)


def _agreement(store: str, capsys: pytest.CaptureFixture) -> dict:
    capsys.readouterr()
    assert main(["agreement", store, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _reference(path: Path) -> str:
    """The same panel and the same edits on one SQLite file."""
    with AnnotationStore.open(path) as store:
        for user in ("r1", "r2"):
            store.add_annotator(user, user.upper())
        store.add_annotator("adj", "ADJ", Role.ADJUDICATOR)
        store.add_record(synthetic_record())
        store.add_proposal("rec-1", synthetic_delineation())
        store.switch_user("r2")
        _offline_edits(store)
    _worker_edits(str(path))
    _submit(str(path), "r1")
    return str(path)


def test_offline_edits_survive_a_cut_mid_sync_and_agreement_equals_sqlite(
        postgres, server_db, admin_url, tmp_path, capsys):
    _panel_server(postgres, admin_url)
    _as(postgres, server_db, "r1").close()  # r1's profile and signing secret
    url = ServerUrl(postgres.url("r2", database=server_db))

    # workstation B: a local store following the server, first synchronised while online
    local = AnnotationStore.open(tmp_path / "workstation-b.ecgws")
    local.add_annotator("r2", "R2")
    local.switch_user("r2")
    follow(local, url)
    with AnnotationStore.open(url) as server:
        first = synchronise(local, server)
    assert first.pulled >= 3 and not first.conflicts  # the record, the proposal, the profiles
    # then offline: the server cannot be reached, the workstation keeps working locally
    with pytest.raises(StoreError, match="cannot be reached"):
        AnnotationStore.open(url.url.replace(f":{postgres.port}/", ":1/"))
    set_id = _offline_edits(local)
    assert set_id >= 2**30  # an id the server never gives out

    # workstation A, another process, edits the same record on the server meanwhile
    _worker_edits(postgres.url("r1", database=server_db))
    _submit(postgres.url("r1", database=server_db), "r1")

    # B comes back: the connection is cut right after the server committed its 3rd event
    pushed = []

    def cut(event_id: int) -> None:
        pushed.append(event_id)
        if len(pushed) == 3:
            postgres.terminate_connections("r2")
            raise ConnectionAbortedError("the network went away")

    server = AnnotationStore.open(url)
    with pytest.raises(ConnectionAbortedError):
        synchronise(local, server, after_push=cut)
    server.close()
    with AnnotationStore.open(url) as server:
        report = synchronise(local, server)
    # the 3rd event is recognised as there (not applied twice); the rest are pushed now
    assert report.already_there == 1 and report.pushed > 0 and not report.conflicts
    with AnnotationStore.open(url) as server:
        assert synchronise(local, server).to_dict() == {  # a third run has nothing to do
            "pushed": 0, "already_there": 0, "pulled": 0, "conflicts": [], "held_sets": []}

    # nothing lost, nothing doubled: the server holds B's set exactly as B does, once
    with AnnotationStore.open(admin_url) as admin:
        assert admin.load(set_id) == local.load(set_id)
        commands = admin.database.execute(
            "SELECT count(*) FROM events WHERE set_id = ? AND kind = 'command'",
            [set_id]).fetchone()[0]
        assert commands == 6
        r1_set = admin.find_sets(annotator_id="r1")[0].id
        assert local.load(r1_set) == admin.load(r1_set)  # and B has A's work
    local.close()
    for store in (admin_url, tmp_path / "workstation-b.ecgws"):
        audit = verify_store(store)
        assert audit.ok, audit.problems

    reference = _reference(tmp_path / "reference.ecgws")
    expected = _agreement(reference, capsys)
    assert _agreement(admin_url, capsys) == expected
    assert _agreement(str(tmp_path / "workstation-b.ecgws"), capsys) == expected


def test_a_tampered_local_chain_is_not_pushed(postgres, server_db, admin_url, tmp_path):
    _panel_server(postgres, admin_url)
    url = ServerUrl(postgres.url("r2", database=server_db))
    local = AnnotationStore.open(tmp_path / "b.ecgws")
    local.add_annotator("r2", "R2")
    local.switch_user("r2")
    follow(local, url)
    with AnnotationStore.open(url) as server:
        synchronise(local, server)
    _offline_edits(local)
    db = local.database
    db.execute("DROP TRIGGER events_append_only_update")
    db.execute("UPDATE events SET at = '2000-01-01T00:00:00Z' WHERE id = 3")
    with AnnotationStore.open(url) as server, pytest.raises(StoreError, match="broken"):
        synchronise(local, server)
    local.close()


def test_ecgws_server_and_sync_commands(postgres, server_db, admin_url, tmp_path, capsys):
    assert main(["server", "init", admin_url]) == 0
    if "r3" not in postgres.passwords:
        postgres.create_login("r3", "pw-r3-secret")
    assert main(["server", "add-member", admin_url, "r3"]) == 0
    with AnnotationStore.open(admin_url) as admin:
        admin.add_record(synthetic_record())
        admin.add_proposal("rec-1", synthetic_delineation())
    local = tmp_path / "mine.ecgws"
    with AnnotationStore.open(local) as store:
        store.add_annotator("r3", "R3")
    capsys.readouterr()
    assert main(["sync", str(local), postgres.url("r3", database=server_db), "--user", "r3",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pushed"] == 1 and report["pulled"] == 2  # the profile; the record, proposal
    with AnnotationStore.open(local) as store:
        store.switch_user("r3")
        _offline_edits(store)
    assert main(["sync", str(local), postgres.url("r3", database=server_db), "--user", "r3"]) == 0
    assert "pushed 8 events" in capsys.readouterr().out  # created, 6 moves, submitted
    with AnnotationStore.open(admin_url) as admin:
        assert admin.find_sets(annotator_id="r3")[0].status.value == "submitted"


def test_the_window_s_fallback_is_this_computer_s_copy(postgres, server_db, admin_url, tmp_path,
                                                         monkeypatch, capsys):
    from tests.postgres import LoopbackProxy
    from workstation.store.sync import open_store_or_replica, replica_path

    monkeypatch.setenv("ECGWS_REPLICAS", str(tmp_path / "replicas"))
    _panel_server(postgres, admin_url)
    _as(postgres, server_db, "r2").close()  # r2's profile, made online
    network = LoopbackProxy(postgres.port)  # the workstation reaches the server through it
    url = postgres.url("r2", database=server_db).replace(f":{postgres.port}/", f":{network.port}/")
    postgres.set_password("r2", postgres.passwords["r2"], port=network.port)
    try:
        network.close()
        with pytest.raises(StoreError, match="cannot be reached"):  # no local copy yet
            open_store_or_replica(ServerUrl(url))
        network.open()
        assert main(["sync", url, "--user", "r2"]) == 0  # makes this computer's copy
        network.close()  # the server goes away: the same URL opens the copy, which says so
        store, note = open_store_or_replica(ServerUrl(url))
        assert note and note.startswith("offline")
        assert store.path == replica_path(ServerUrl(url))
        store.switch_user("r2")
        set_id = _offline_edits(store)
        store.close()
        network.open()
        capsys.readouterr()
        assert main(["sync", url, "--user", "r2"]) == 0
        assert "pushed 8 events" in capsys.readouterr().out
    finally:
        network.close()
    with AnnotationStore.open(admin_url) as admin:
        assert admin.set_info(set_id).status.value == "submitted"


def test_the_network_dropping_mid_push_loses_and_doubles_nothing(postgres, server_db, admin_url,
                                                                 tmp_path):
    from tests.postgres import LoopbackProxy

    _panel_server(postgres, admin_url)
    network = LoopbackProxy(postgres.port)
    url = ServerUrl(postgres.url("r2", database=server_db)
                    .replace(f":{postgres.port}/", f":{network.port}/"))
    postgres.set_password("r2", postgres.passwords["r2"], port=network.port)
    local = AnnotationStore.open(tmp_path / "b.ecgws")
    try:
        local.add_annotator("r2", "R2")
        local.switch_user("r2")
        follow(local, url)
        with AnnotationStore.open(url) as server:
            synchronise(local, server)
        set_id = _offline_edits(local)
        drops = []

        def drop(_event_id: int) -> None:
            drops.append(_event_id)
            if len(drops) == 3:
                network.close()  # between the server's commit and the next event

        with AnnotationStore.open(url) as server, pytest.raises(StoreError, match="reached"):
            synchronise(local, server, after_push=drop)
        network.open()
        with AnnotationStore.open(url) as server:
            report = synchronise(local, server)
        assert report.pushed == 8 - 3 and report.already_there == 0
        with AnnotationStore.open(admin_url) as admin:
            assert admin.load(set_id) == local.load(set_id)
            assert admin.database.execute(
                "SELECT count(*) FROM events WHERE set_id = ?", [set_id]).fetchone()[0] == 8
    finally:
        network.close()
        local.close()
