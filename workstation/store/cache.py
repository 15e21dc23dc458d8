"""Derived data kept per annotation set, so that reading thousands of sets stays fast.

An entry is a blob under a name (``waves/1``: the set's waves as packed columns; a panel's
cross-lead figures under its own name). Names carry a format version: a new format is a new
name, and old entries are simply never read again. Triggers on the ``waves`` table (migration
``0002_set_cache``) delete a set's entries whenever its waves change, so an entry is either
current or absent. Entries are written in their own short transaction, after the fact: a
store that cannot be written (read-only file, busy) just goes without them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from workstation.store.connection import write_transaction
from workstation.store.errors import DATABASE_ERRORS

_CHUNK = 500  # set ids per query: under SQLite's bound-parameter limit
_UPSERT = ("INSERT INTO set_cache (set_id, name, data) VALUES (?, ?, ?) "
           "ON CONFLICT (set_id, name) DO UPDATE SET data = excluded.data")


def read(db: Database, name: str, set_ids: Iterable[int]) -> dict[int, bytes]:
    """The entries named ``name`` of the sets that have one."""
    ids = sorted(set(set_ids))
    found: dict[int, bytes] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        found.update(db.execute(
            f"SELECT set_id, data FROM set_cache WHERE name = ? AND set_id IN "
            f"({','.join('?' * len(chunk))})", [name, *chunk]).fetchall())
    return found


def put(db: Database, name: str, set_id: int, data: bytes) -> None:
    """Keep one entry inside the caller's write transaction (made from what it just wrote)."""
    db.execute(_UPSERT, [set_id, name, data])


def write(db: Database, name: str, entries: dict[int, bytes], read_heads: dict[int, int]) -> int:
    """Keep entries derived from sets whose latest event id was ``heads[set_id]`` when they
    were read (``read_heads``); a set changed since then is skipped, so no stale entry is ever written.

    Returns how many were kept: 0 also when the store cannot be written now (read-only, busy).
    Never called inside another transaction: an entry is a convenience, and failing to keep
    one must not undo anything else.
    """
    if not entries or db.conn.in_transaction:
        return 0
    try:
        with write_transaction(db):
            now = heads(db, sorted(entries))
            rows = [(k, name, v) for k, v in entries.items() if now.get(k, 0) == read_heads.get(k)]
            db.conn.executemany(_UPSERT, rows)
    except DATABASE_ERRORS:
        return 0
    return len(rows)


def heads(db: Database, set_ids: list[int]) -> dict[int, int]:
    """Each set's latest event id (0 for a set without events): every change to a set's
    waves appends an event in the same transaction, so an unchanged head means unchanged waves."""
    found = dict.fromkeys(set_ids, 0)
    for start in range(0, len(set_ids), _CHUNK):
        chunk = set_ids[start:start + _CHUNK]
        found.update(db.execute(
            f"SELECT set_id, max(id) FROM events WHERE set_id IN ({','.join('?' * len(chunk))}) "
            f"GROUP BY set_id", chunk).fetchall())
    return found
