"""Opening a store file safely: refuse foreign or damaged files, then WAL, busy timeout, migrations.

Every edit is one ``BEGIN IMMEDIATE`` transaction (:func:`write_transaction`): the write lock
is taken first, so workstations sharing a file queue on the busy timeout instead of failing.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Iterator

from sqlite_utils import Database

from workstation.store.errors import StoreError, store_error
from workstation.store.schema import APPLICATION_ID, MIGRATIONS

SQLITE_MAGIC = b"SQLite format 3\x00"
#: How long a write waits for another workstation's transaction (ours last milliseconds).
BUSY_TIMEOUT_MS = 10_000


def open_database(path: Path) -> Database:
    """The store at ``path`` (created when absent), migrated; StoreError naming the file if not."""
    path = Path(path)
    _check_file(path)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        db = Database(conn, execute_plugins=False)
        _check_application(db, path)
        _configure(db)
        if MIGRATIONS.pending(db):
            with write_transaction(db):
                MIGRATIONS.apply(db)  # apply() re-reads what is pending, now under the lock
    except (sqlite3.Error, OSError, StoreError) as exc:
        if conn is not None:
            conn.close()
        raise store_error(path, exc) from exc
    return db


def _check_file(path: Path) -> None:
    """Refuse a folder, an unreadable file or a non-SQLite file before SQLite touches it."""
    if path.is_dir():
        raise StoreError(path, "is a folder, not an annotation store file")
    if not path.parent.is_dir():
        raise StoreError(path, f"the folder {path.parent} does not exist")
    if not path.exists():
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise store_error(path, exc) from exc
    if head and head != SQLITE_MAGIC:
        raise StoreError(path, "not an annotation store (not a SQLite file); it was left untouched")


def _check_application(db: Database, path: Path) -> None:
    """Refuse another program's SQLite database: migrating it would alter someone else's file."""
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return
    if app_id != 0 or db.table_names():
        raise StoreError(path, "is a SQLite database but not an ECG Workstation annotation store; "
                               "it was left untouched")


def _configure(db: Database) -> None:
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.enable_wal()  # readers never block the writer, and a crash never leaves a torn page
    # FULL: WAL with NORMAL may lose the last commits on a power cut; an fsync per edit is cheap
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One atomic write: ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error.

    sqlite-utils' ``db.atomic()`` begins a *deferred* transaction. Under WAL a deferred
    transaction that reads (the stored value, the chain head) and then writes fails at once
    with "database is locked", without waiting, when another connection committed in between;
    taking the write lock up front makes it wait on the busy timeout and then read fresh rows.
    """
    if getattr(db, "ecgws_outer", False):  # inside :func:`outer_transaction`: part of it
        yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


@contextlib.contextmanager
def outer_transaction(db: Database) -> Iterator[Database]:
    """One write transaction around several store calls (each one's own becomes part of it):
    synchronisation writes an event and the record that it was applied, or neither."""
    with write_transaction(db):
        db.ecgws_outer = True  # type: ignore[attr-defined]
        try:
            yield db
        finally:
            db.ecgws_outer = False  # type: ignore[attr-defined]
