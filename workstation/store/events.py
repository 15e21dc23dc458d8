"""The append-only event log and its hash chain.

Every change to the store is one event row: when, who, which record and set, what (a kind
and a JSON payload: a command with its old and new values, a set's creation, a submission).
Each row stores ``hash = SHA-256(canonical JSON of its own fields + the previous row's hash)``,
so editing, inserting or deleting a row anywhere but at the very end breaks every later link:
:func:`verify_chain` names the first event that no longer fits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterator

from sqlite_utils import Database

GENESIS_HASH = "0" * 64


class EventKind(Enum):
    """What an event records."""

    ANNOTATOR_ADDED = "annotator_added"
    RECORD_ADDED = "record_added"
    SET_CREATED = "set_created"
    COMMAND = "command"
    SUBMITTED = "submitted"
    REOPENED = "reopened"


@dataclass(frozen=True)
class Event:
    """One row of the log."""

    id: int
    at: str
    annotator_id: str | None
    record_id: str | None
    set_id: int | None
    kind: EventKind
    payload: dict
    prev_hash: str
    hash: str


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept (what is hashed and signed)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def event_hash(row: dict) -> str:
    """SHA-256 of an event row's fields (the payload as stored text) and its ``prev_hash``."""
    fields = {k: row[k] for k in ("id", "at", "annotator_id", "record_id", "set_id", "kind",
                                  "payload", "prev_hash")}
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def chain_head(db: Database) -> str:
    """Hash of the last event (the genesis hash for an empty log)."""
    row = db.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else GENESIS_HASH


def append_event(db: Database, kind: EventKind, at: str, payload: dict, *,
                 annotator_id: str | None = None, record_id: str | None = None,
                 set_id: int | None = None) -> int:
    """Append one event, chained to the last; call inside the write transaction of the change."""
    last = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    row = {"id": (last[0] + 1) if last else 1, "at": at, "annotator_id": annotator_id,
           "record_id": record_id, "set_id": set_id, "kind": kind.value,
           "payload": canonical_json(payload), "prev_hash": last[1] if last else GENESIS_HASH}
    row["hash"] = event_hash(row)
    db.execute("INSERT INTO events (id, at, annotator_id, record_id, set_id, kind, payload, "
               "prev_hash, hash) VALUES (:id, :at, :annotator_id, :record_id, :set_id, :kind, "
               ":payload, :prev_hash, :hash)", row)
    return row["id"]


_COLUMNS = "id, at, annotator_id, record_id, set_id, kind, payload, prev_hash, hash"


def _event(row: tuple) -> Event:
    return Event(row[0], row[1], row[2], row[3], row[4], EventKind(row[5]), json.loads(row[6]),
                 row[7], row[8])


def events_of_set(db: Database, set_id: int) -> list[Event]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM events WHERE set_id = ? ORDER BY id", [set_id])
    return [_event(r) for r in rows]


def events_of_record(db: Database, record_id: str | None) -> list[Event]:
    """A record's events in order (every event when ``record_id`` is None)."""
    if record_id is None:
        rows = db.execute(f"SELECT {_COLUMNS} FROM events ORDER BY id")
    else:
        rows = db.execute(f"SELECT {_COLUMNS} FROM events WHERE record_id = ? ORDER BY id",
                          [record_id])
    return [_event(r) for r in rows]


@dataclass(frozen=True)
class ChainBreak:
    """The first event that does not fit the chain, and why."""

    event_id: int
    problem: str


def verify_chain(db: Database) -> tuple[int, ChainBreak | None]:
    """Check every link; return how many events were checked and the first break (or None)."""
    previous, count = GENESIS_HASH, 0
    for row in _all_rows(db):
        count += 1
        problem = _link_problem(row, previous)
        if problem:
            return count, ChainBreak(row["id"], problem)
        previous = row["hash"]
    return count, None


def _link_problem(row: dict, previous: str) -> str:
    if row["prev_hash"] != previous:
        return "does not follow the event before it (an event was removed, inserted or altered)"
    if event_hash(row) != row["hash"]:
        return "its content does not match its hash (the row was edited)"
    try:
        EventKind(row["kind"])
        json.loads(row["payload"])
    except ValueError:
        return "unreadable kind or payload"
    return ""


def _all_rows(db: Database) -> Iterator[dict]:
    cursor = db.execute(f"SELECT {_COLUMNS} FROM events ORDER BY id")
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row))
