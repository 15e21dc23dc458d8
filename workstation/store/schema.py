"""The store's schema, declared once, as numbered migrations (sqlite-utils ``Migrations``).

Nothing else creates or alters a table. A new column or table is a new migration appended
here; an applied migration is never edited. :func:`workstation.store.connection.open_database`
applies pending migrations inside one write transaction, so two workstations opening a new
store at the same moment do not both create it.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

#: ``PRAGMA application_id`` of an annotation store ("ECGW"): a SQLite file with other tables
#: and another id is someone else's database, and is refused rather than migrated.
APPLICATION_ID = 0x45434757

MIGRATIONS = Migrations("ecgws-store")


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    _records_and_people(db)
    _sets_and_content(db)
    _events(db)


def _records_and_people(db: Database) -> None:
    # records hold de-identified metadata only: no patient field ever reaches the store
    db["records"].create(
        {"id": str, "format": str, "fs": float, "leads": str, "n_samples": int,
         "duration_s": float, "source_name": str, "added_at": str},
        pk="id", not_null={"format", "fs", "leads", "n_samples", "duration_s", "source_name",
                           "added_at"}, strict=True)
    # the signing secret is in the OS keyring; key_id (a hash of it) tells which secret signed
    db["annotators"].create(
        {"id": str, "name": str, "role": str, "key_id": str, "created_at": str},
        pk="id", not_null={"name", "role", "key_id", "created_at"}, strict=True)


def _sets_and_content(db: Database) -> None:
    db["annotation_sets"].create(
        {"id": int, "record_id": str, "annotator_id": str, "model": str, "proposal_set_id": int,
         "status": str, "blind": int, "hide_proposal": int, "created_at": str,
         "submitted_at": str, "signature": str, "signed_head": str},
        pk="id", not_null={"record_id", "status", "blind", "hide_proposal", "created_at"},
        foreign_keys=[("record_id", "records", "id"), ("annotator_id", "annotators", "id"),
                      ("proposal_set_id", "annotation_sets", "id")], strict=True)
    # one set per record and annotator, one per record and model version (NULLs are distinct)
    db["annotation_sets"].create_index(["record_id", "annotator_id"], unique=True)
    db["annotation_sets"].create_index(["record_id", "model"], unique=True)
    # written out because sqlite-utils cannot declare WITHOUT ROWID or CHECK: the rows are
    # stored in (set_id, id) order, so opening a set reads one contiguous range and no second
    # index doubles the largest table; the checks repeat the document's rules as a last guard
    db.execute("""
        CREATE TABLE waves (
            set_id INTEGER NOT NULL REFERENCES annotation_sets(id),
            id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('P', 'QRS', 'T')),
            lead TEXT NOT NULL,
            onset INTEGER NOT NULL,
            peak INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            onset_conf REAL NOT NULL,
            peak_conf REAL NOT NULL,
            offset_conf REAL NOT NULL,
            model TEXT,
            changed_by TEXT REFERENCES annotators(id),
            changed_at TEXT,
            version INTEGER NOT NULL,
            PRIMARY KEY (set_id, id),
            CHECK (0 <= onset AND onset <= peak AND peak <= offset)
        ) STRICT, WITHOUT ROWID""")
    db["labels"].create({"set_id": int, "kind": str, "code": str}, pk=("set_id", "kind", "code"),
                        foreign_keys=[("set_id", "annotation_sets", "id")], strict=True)
    db["notes"].create({"set_id": int, "text": str, "changed_by": str, "changed_at": str},
                       pk="set_id", not_null={"text"},
                       foreign_keys=[("set_id", "annotation_sets", "id")], strict=True)
    db["lead_status"].create({"set_id": int, "lead": str, "status": str}, pk=("set_id", "lead"),
                             not_null={"status"},
                             foreign_keys=[("set_id", "annotation_sets", "id")], strict=True)


def _events(db: Database) -> None:
    db["events"].create(
        {"id": int, "at": str, "annotator_id": str, "record_id": str, "set_id": int, "kind": str,
         "payload": str, "prev_hash": str, "hash": str},
        pk="id", not_null={"at", "kind", "payload", "prev_hash", "hash"}, strict=True)
    db["events"].create_index(["set_id", "id"])
    db["events"].create_index(["record_id", "id"])
    # append-only at the SQL level too; the hash chain catches whoever drops these triggers
    db.execute("CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
               "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END")
    db.execute("CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
               "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END")


@MIGRATIONS(name="0002_set_cache")
def _set_cache(db: Database) -> None:
    # derived data of a set (its waves as packed columns, a panel's cross-lead figures), so
    # that agreement over thousands of sets reads a blob per set instead of a row per wave;
    # any change to a set's waves drops its entries, so a stale entry cannot be read
    db.execute("""
        CREATE TABLE set_cache (
            set_id INTEGER NOT NULL REFERENCES annotation_sets(id),
            name TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (set_id, name)
        ) STRICT, WITHOUT ROWID""")
    for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
        db.execute(f"CREATE TRIGGER set_cache_on_wave_{event.lower()} AFTER {event} ON waves "
                   f"BEGIN DELETE FROM set_cache WHERE set_id = {row}.set_id; END")
    # an update can move a wave to another set in principle: drop that set's entries too
    db.execute("CREATE TRIGGER set_cache_on_wave_move AFTER UPDATE OF set_id ON waves "
               "BEGIN DELETE FROM set_cache WHERE set_id = NEW.set_id; END")


@MIGRATIONS(name="0003_sync")
def _sync(db: Database) -> None:
    # a workstation's local store synchronising with a server (workstation/store/sync.py):
    # the server it follows, its own origin id and the last server event pulled; which local
    # events were pushed (or pulled in, or held back by a conflict); and, on the server, which
    # workstation's event each pushed change came from (written in the same transaction, so a
    # push cut off after the server committed is recognised instead of applied twice)
    db["sync_remote"].create({"remote": str, "origin": str, "pulled_through": int},
                             pk="remote", not_null={"origin", "pulled_through"}, strict=True)
    db.execute("""
        CREATE TABLE sync_log (
            event_id INTEGER PRIMARY KEY,
            remote_event_id INTEGER,
            direction TEXT NOT NULL CHECK (direction IN ('push', 'pull', 'held'))
        ) STRICT""")
    db["sync_applied"].create({"origin": str, "local_event_id": int, "first_event_id": int,
                               "last_event_id": int},
                              pk=("origin", "local_event_id"), strict=True)
