"""The store on a real PostgreSQL server: the same behaviour as the file, roles, TLS."""

from __future__ import annotations

import pytest

from tests.store.conftest import first_wave, synthetic_delineation, synthetic_record
from workstation.core.annotation import Boundary, SetStatus
from workstation.core.commands import ConflictError, MoveBoundary
from workstation.store import AnnotationStore, Role, StoreError
from workstation.store.audit import verify_store
from workstation.store.location import LocationError, ServerUrl, parse_location
from workstation.store.server_schema import add_member


def _panel_server(postgres, admin_url: str, readers=("r1", "r2"), adjudicator="adj"):
    """Logins for the readers and the adjudicator, made members; one record with a proposal."""
    with AnnotationStore.open(admin_url) as admin:
        for user in (*readers, adjudicator):
            if user not in postgres.passwords:
                postgres.create_login(user, f"pw-{user}-secret")
            add_member(admin.database, user,
                       "adjudicator" if user == adjudicator else "annotator")
        admin.add_record(synthetic_record())
        admin.add_proposal("rec-1", synthetic_delineation())


def _as(postgres, server_db: str, user: str, role: Role = Role.ANNOTATOR) -> AnnotationStore:
    store = AnnotationStore.open(postgres.url(user, database=server_db))
    if user not in {a.id for a in store.annotators()}:
        store.add_annotator(user, user.upper(), role)
    store.switch_user(user)
    return store


def test_a_url_with_a_password_is_refused():
    with pytest.raises(LocationError, match="must not contain a password"):
        parse_location("postgresql://jdoe:secret@db.example.org/ecgws")
    url = parse_location("postgresql://jdoe@db.example.org/ecgws?sslmode=verify-full")
    assert isinstance(url, ServerUrl) and url.uses_tls and url.user == "jdoe"


def test_edit_undo_submit_and_audit_on_the_server(admin_url):
    with AnnotationStore.open(admin_url) as store:
        store.add_annotator("ann1", "Annotator One")
        store.switch_user("ann1")
        store.add_record(synthetic_record())
        store.add_proposal("rec-1", synthetic_delineation())
        session = store.open_session("rec-1")
        wave = first_wave(session.state)
        session.execute(MoveBoundary.of(session.state, wave.id, Boundary.ONSET, wave.onset - 7))
        session.execute(MoveBoundary.of(session.state, wave.id, Boundary.OFFSET, wave.offset + 3))
        session.undo()
        assert store.load(session.set_id).wave(wave.id).onset == wave.onset - 7
        assert store.rebuild(session.set_id) == store.load(session.set_id)
        info = session.submit()
        assert info.status is SetStatus.SUBMITTED and store.verify_signature(info.id).valid
    report = verify_store(admin_url)
    assert report.ok, report.problems
    assert report.events == 8 and report.signatures_checked == 1


def test_a_stale_edit_is_refused_never_overwritten(admin_url):
    with AnnotationStore.open(admin_url) as one, AnnotationStore.open(admin_url) as two:
        one.add_annotator("ann1", "Annotator One")
        one.switch_user("ann1")
        two.switch_user("ann1")
        one.add_record(synthetic_record())
        one.add_proposal("rec-1", synthetic_delineation())
        first, second = one.open_session("rec-1"), two.open_session("rec-1")
        wave = first_wave(first.state)
        first.execute(MoveBoundary.of(first.state, wave.id, Boundary.ONSET, wave.onset - 5))
        with pytest.raises(ConflictError):
            second.execute(MoveBoundary.of(second.state, wave.id, Boundary.ONSET, wave.onset + 5))
        assert two.load(second.set_id).wave(wave.id).onset == wave.onset - 5
        second.refresh()
        assert second.state.wave(wave.id).onset == wave.onset - 5


def test_the_server_enforces_blind_reading(postgres, server_db, admin_url):
    _panel_server(postgres, admin_url)
    r1, r2 = _as(postgres, server_db, "r1"), _as(postgres, server_db, "r2")
    adj = _as(postgres, server_db, "adj", Role.ADJUDICATOR)
    try:
        own1 = r1.open_set("rec-1", blind=True)
        own2 = r2.open_set("rec-1", blind=True)
        # even the raw tables show a blind reader only their set and the model's
        seen = r1.database.execute("SELECT id FROM annotation_sets ORDER BY id").fetchall()
        assert {row[0] for row in seen} == {own1.id, own1.proposal_set_id}
        assert r1.database.execute("SELECT count(*) FROM waves WHERE set_id = ?",
                                   [own2.id]).fetchone()[0] == 0
        assert {s.id for s in adj.find_sets()} == {own1.id, own2.id, own1.proposal_set_id}
        # nor can a reader change another's rows, or the log, by hand
        changed = r1.database.execute("UPDATE waves SET onset = onset + 1 WHERE set_id = ?",
                                      [own2.id])
        assert changed.rowcount == 0
        with pytest.raises(StoreError, match="does not allow"):
            _guarded_sql(r1, "UPDATE events SET at = 'x'")
        with pytest.raises(StoreError, match="does not allow|row-level security"):
            _guarded_sql(r1, "INSERT INTO annotators (id, name, role, key_id, created_at) "
                             "VALUES ('r9', 'x', 'adjudicator', 'k', 't')")
        # nor write an event in someone else's name, or in nobody's
        for author in ("'r2'", "NULL"):
            with pytest.raises(StoreError, match="does not allow|row-level security"):
                _guarded_sql(r1, "INSERT INTO events (id, at, annotator_id, record_id, set_id, "
                                 f"kind, payload, prev_hash, hash) VALUES (999, 't', {author}, "
                                 f"'rec-1', {own2.id}, 'command', '{{}}', 'x', 'y')")
        # and the role a profile claims is the role the server gives
        with pytest.raises(StoreError):
            r1.add_annotator("r1-boss", "Boss", Role.ADJUDICATOR)
    finally:
        for store in (r1, r2, adj):
            store.close()


def _guarded_sql(store: AnnotationStore, sql: str) -> None:
    from workstation.store.errors import DATABASE_ERRORS, store_error

    try:
        store.database.execute(sql)
    except DATABASE_ERRORS as exc:
        raise store_error(store.path, exc) from exc


def test_the_connection_is_encrypted_when_the_url_says_so(postgres, server_db):
    if not postgres.tls:
        pytest.skip("this PostgreSQL build has no TLS (the pgserver wheel is built without it; "
                    "Debian's postgresql package has it)")
    with AnnotationStore.open(postgres.url(database=server_db, tls=True)) as store:
        assert store.path.uses_tls
        assert store.database.execute("SELECT ssl FROM pg_stat_ssl "
                                      "WHERE pid = pg_backend_pid()").fetchone()[0] is True
    with AnnotationStore.open(postgres.url(database=server_db, tls=False)) as store:
        assert store.database.execute("SELECT ssl FROM pg_stat_ssl "
                                      "WHERE pid = pg_backend_pid()").fetchone()[0] is False


def test_an_unreachable_server_is_one_clear_error(postgres, server_db):
    url = postgres.url(database=server_db).replace(f":{postgres.port}/", ":1/")
    with pytest.raises(StoreError, match="cannot be reached"):
        AnnotationStore.open(url)


def test_a_non_owner_cannot_set_up_a_store(postgres, server_db, admin_url):
    if "stranger" not in postgres.passwords:
        postgres.create_login("stranger", "pw-stranger-secret")
    with pytest.raises(StoreError, match="not set up"):
        AnnotationStore.open(postgres.url("stranger", database=server_db))
