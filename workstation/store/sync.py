"""Offline first: a local SQLite store that follows a server, and synchronises when it can.

A workstation edits its local store whether or not the server answers. :func:`synchronise`
then pushes its chain (every local event not yet on the server, in the local chain's order,
re-applied on the server by the store's own methods, so the server checks and logs each as if
made there: the conflict rule holds, a submission is signed there with the same secret) and
pulls the others' (every server event the user may see, in the server chain's order,
replicated into the local store with its original author and time).

Nothing is lost or applied twice when the connection drops at any point:

- each pushed event is applied on the server in one transaction together with a row of
  ``sync_applied`` naming the workstation (its origin id) and the local event; a rerun that
  finds the row knows the event is there, even if the workstation never heard back;
- each pulled event is replicated locally in one transaction together with its ``sync_log``
  row and the new ``pulled_through``.

Both chains are checked before anything moves: the local one in full, the server's links
(every event's id and hashes, readable by every member) and the hashes of the events pulled.

Sets keep their ids in both stores: a set made offline takes a random id in [2**30, 2**31)
(see :meth:`AnnotationStore._new_set_id`), which the server keeps, so a set's signature
(which binds its id) is checked the same way on both sides.

A pushed edit that conflicts on the server (the same set was changed from another
workstation meanwhile) is reported and held back with the rest of its set's events, never
forced; so is a pulled one that conflicts with local edits not yet pushed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from workstation.core.annotation import AnnotationState, SetStatus, Stamp
from workstation.core.commands import CommandError, ConflictError, command_from_dict
from workstation.store import sets
from workstation.store.connection import outer_transaction, write_transaction
from workstation.store.errors import (BackendError, ServerUnreachableError, SetLockedError,
                                      StoreError, store_error)
from workstation.store.events import (GENESIS_HASH, Event, EventKind, append_event, event_hash,
                                      events_of_record, verify_chain)
from workstation.store.location import ServerUrl
from workstation.store.rebuild import created_state, state_from_payload
from workstation.store.records import RecordInfo
from workstation.store.store import AnnotationStore


@dataclass
class SyncReport:
    """What one synchronisation did."""

    pushed: int = 0
    already_there: int = 0  # pushed before, the answer lost: recognised, not applied again
    pulled: int = 0
    conflicts: list[str] = field(default_factory=list)
    held_sets: set[int] = field(default_factory=set)

    def to_dict(self) -> dict:
        return {"pushed": self.pushed, "already_there": self.already_there,
                "pulled": self.pulled, "conflicts": list(self.conflicts),
                "held_sets": sorted(self.held_sets)}


#: Where this computer keeps its local stores that follow servers (default ~/.ecg-workstation/replicas).
REPLICAS_ENV = "ECGWS_REPLICAS"


def replica_path(url: ServerUrl, folder: Path | None = None) -> Path:
    """This computer's local store that follows ``url`` (one per server, database and user)."""
    base = folder or Path(os.environ.get(REPLICAS_ENV) or Path.home() / ".ecg-workstation" /
                          "replicas")
    return base / f"{hashlib.sha256(url.url.encode()).hexdigest()[:20]}.sqlite"


def open_store_or_replica(location: Path | ServerUrl, folder: Path | None = None
                          ) -> tuple[AnnotationStore, str | None]:
    """The store at ``location``; when it is a server that cannot be reached and this computer
    has a local store following it, that one, with a line saying so (else the error)."""
    try:
        return AnnotationStore.open(location), None
    except ServerUnreachableError:
        if not isinstance(location, ServerUrl):
            raise
        local = replica_path(location, folder)
        if not local.is_file():
            raise
    return AnnotationStore.open(local), (f"offline: working on this computer's copy of "
                                         f"{location.name}; `ecgws sync` when it is back")


def follow(local: AnnotationStore, url: ServerUrl) -> str:
    """Make ``local`` follow the server at ``url`` (once); return this store's origin id.

    Only a store that holds no sets yet may start following: its sets must take ids the
    server never gives out.
    """
    db = local.database
    row = db.execute("SELECT origin FROM sync_remote WHERE remote = ?", [url.url]).fetchone()
    if row:
        return row[0]
    if db.execute("SELECT count(*) FROM sync_remote").fetchone()[0]:
        raise StoreError(local.path, "this store already follows another server")
    if db.execute("SELECT count(*) FROM annotation_sets").fetchone()[0]:
        raise StoreError(local.path, "only a new, empty store can follow a server: make a new "
                                     "one for it (its sets are pulled from the server)")
    origin = uuid.uuid4().hex
    with write_transaction(db):
        db.execute("INSERT INTO sync_remote (remote, origin, pulled_through) VALUES (?, ?, 0)",
                   [url.url, origin])
    return origin


def adopt_profile(local: AnnotationStore, server: AnnotationStore, annotator_id: str) -> None:
    """Copy ``annotator_id``'s profile (its creation event) from the server into a local store
    that lacks it, so that a new local copy can be signed in to before its first pull."""
    if annotator_id in {a.id for a in local.annotators()}:
        return
    rows = server.database.execute(f"SELECT {_EVENT_COLUMNS} FROM events "
                                   "WHERE kind = 'annotator_added' ORDER BY id").fetchall()
    for row in rows:
        event = Event(row[0], row[1], row[2], row[3], row[4], EventKind(row[5]), _json(row[6]),
                      row[7], row[8])
        if event.payload.get("id") == annotator_id:
            with write_transaction(local.database):
                _replicate(local, server, event)
            return
    raise StoreError(server.path, f"no annotator {annotator_id!r} on the server: create the "
                                  "profile first (the window's first-run dialog)")


def _remote(local: AnnotationStore, server: AnnotationStore) -> tuple[str, int]:
    row = local.database.execute("SELECT origin, pulled_through FROM sync_remote WHERE remote = ?",
                                 [server.path.url]).fetchone()  # type: ignore[union-attr]
    if row is None:
        raise StoreError(local.path, f"this store does not follow {server.path}")
    return row[0], int(row[1])


def synchronise(local: AnnotationStore, server: AnnotationStore, *,
                after_push: Callable[[int], None] | None = None) -> SyncReport:
    """Push the local chain to ``server``, then pull the others' events; see the module doc.

    Both stores must have the same current user (the server's URL user). ``after_push`` is
    called with each local event id once the server committed it, before the local store
    records that (a cut there is the case the origin rows exist for).
    Raises StoreError (nothing half-done) when either chain is broken or the server goes
    away; rerunning carries on where it stopped.
    """
    user = local.current_user
    if user is None:
        raise StoreError(local.path, "switch to an annotator first: events are pushed as them")
    if server.current_user is not None and server.current_user.id != user.id:
        raise StoreError(server.path, f"the server is open as {server.current_user.id}, "
                                      f"the local store as {user.id}")
    try:
        _check_local_chain(local)
        report = SyncReport()
        origin, _ = _remote(local, server)
        _push(local, server, origin, report, after_push)
        _ensure_user(server, user.id)
        _pull(local, server, origin, report)
    except BackendError as exc:  # the server's, read outside a store method
        raise store_error(server.path, exc) from exc
    except sqlite3.Error as exc:  # the local file's
        raise store_error(local.path, exc) from exc
    return report


# -- checks ------------------------------------------------------------------------------------

def _check_local_chain(local: AnnotationStore) -> None:
    _, broken = verify_chain(local.database)
    if broken is not None:
        raise StoreError(local.path, f"the local event log is broken at event {broken.event_id} "
                                     f"({broken.problem}); nothing was synchronised")


def _server_links(server: AnnotationStore) -> dict[int, str]:
    """The server's chain of ids and hashes, checked link by link; its hash by event id."""
    previous, hashes = GENESIS_HASH, {}
    rows = server.database.execute("SELECT id, prev_hash, hash FROM ecgws_chain_links()").fetchall()
    for event_id, prev_hash, digest in rows:
        if prev_hash != previous:
            raise StoreError(server.path, f"the server's event log is broken at event {event_id} "
                                          "(an event was removed, inserted or altered); "
                                          "nothing was pulled")
        hashes[event_id] = previous = digest
    return hashes


# -- push --------------------------------------------------------------------------------------

def _pending(local: AnnotationStore) -> list[Event]:
    done = {row[0] for row in local.database.execute("SELECT event_id FROM sync_log")}
    return [e for e in events_of_record(local.database, None) if e.id not in done]


def _push(local: AnnotationStore, server: AnnotationStore, origin: str, report: SyncReport,
          after_push: Callable[[int], None] | None) -> None:
    user = local.current_user
    applied = {row[0] for row in server.database.execute(
        "SELECT local_event_id FROM sync_applied WHERE origin = ?", [origin])}
    done: list[int] = []  # recorded locally in batches: the server's rows make a rerun safe
    try:
        for event in _pending(local):
            if event.set_id in report.held_sets:
                continue
            if event.annotator_id not in (None, user.id):  # type: ignore[union-attr]
                report.conflicts.append(f"event {event.id} is {event.annotator_id}'s: "
                                        f"synchronise as {event.annotator_id} to push it")
                _hold(report, event)
                continue
            if event.kind is not EventKind.ANNOTATOR_ADDED:
                _ensure_user(server, user.id)  # type: ignore[union-attr]
            if event.id in applied:
                report.already_there += 1
            else:
                try:
                    _push_one(server, origin, event)
                except (ConflictError, SetLockedError, CommandError) as exc:
                    report.conflicts.append(f"set {event.set_id}: event {event.id} was not "
                                            f"pushed: {exc}; the set is held back (reload it "
                                            "from the server)")
                    _hold(report, event)
                    continue
                report.pushed += 1
                if after_push is not None:
                    after_push(event.id)
            done.append(event.id)
            if len(done) >= _LOG_BATCH:
                _log_pushed(local, done)
    finally:
        _log_pushed(local, done)


#: Pushed events recorded in the local log per transaction (each is one fsync).
_LOG_BATCH = 64


def _log_pushed(local: AnnotationStore, done: list[int]) -> None:
    if done:
        with write_transaction(local.database):
            local.database.conn.executemany(
                "INSERT INTO sync_log (event_id, remote_event_id, direction) "
                "VALUES (?, NULL, 'push')", [(i,) for i in done])
        done.clear()


def _ensure_user(server: AnnotationStore, user_id: str) -> None:
    """Switch the server to the local user once their profile is there (pushed first)."""
    if server.current_user is None:
        server.switch_user(user_id)


def _hold(report: SyncReport, event: Event) -> None:
    if event.set_id is not None:
        report.held_sets.add(event.set_id)


def _head_id(server: AnnotationStore) -> int:
    row = server.database.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return int(row[0]) if row else 0


def _push_one(server: AnnotationStore, origin: str, event: Event) -> None:
    """Apply one local event on the server, with the row that says it came from here."""
    db = server.database
    with server.clock_fixed_at(event.at), outer_transaction(db):  # it keeps its time
        first = _head_id(server)
        _apply_on_server(server, event)
        db.execute("INSERT INTO sync_applied (origin, local_event_id, first_event_id, "
                   "last_event_id) VALUES (?, ?, ?, ?)", [origin, event.id, first + 1,
                                                          _head_id(server)])


def _apply_on_server(server: AnnotationStore, event: Event) -> None:
    p, kind = event.payload, event.kind
    if kind is EventKind.ANNOTATOR_ADDED:
        if p["id"] not in {a.id for a in server.annotators()}:
            server.add_annotator(p["id"], p["name"], _role(p["role"]))
    elif kind is EventKind.RECORD_ADDED:
        server.add_record(RecordInfo(event.record_id or "", p["format"], float(p["fs"]),
                                     tuple(p["leads"]), int(p["n_samples"]),
                                     int(p["n_samples"]) / float(p["fs"]), p["source_name"]))
    elif kind is EventKind.SET_CREATED:
        _create_on_server(server, event)
    elif kind is EventKind.COMMAND:
        server.apply(event.set_id, command_from_dict(p["command"]))  # type: ignore[arg-type]
    elif kind is EventKind.SUBMITTED:
        if server.set_info(event.set_id).status is SetStatus.DRAFT:  # type: ignore[arg-type]
            server.submit(event.set_id)  # type: ignore[arg-type]
    elif kind is EventKind.REOPENED:
        if server.set_info(event.set_id).status is not SetStatus.DRAFT:  # type: ignore[arg-type]
            server.reopen(event.set_id)  # type: ignore[arg-type]


def _role(value: str):
    from workstation.store.identity import Role

    return Role(value)


def _create_on_server(server: AnnotationStore, event: Event) -> None:
    p, record_id, set_id = event.payload, event.record_id or "", event.set_id
    state = AnnotationState(float(p["fs"]), tuple(p["lead_names"]), int(p["n_samples"]))
    if p.get("model"):
        proposal = created_state(_NoDatabase(), event, {})
        made = server.store_proposal(record_id, p["model"], proposal, set_id=set_id)
        if made.id != set_id:
            raise ConflictError(f"proposal {p['model']} on {record_id}", f"set {set_id}",
                                f"set {made.id} on the server")
        return
    if "content" in p:
        content = state_from_payload(p["content"], state.fs, state.lead_names, state.n_samples)
        server.import_set(record_id, content, origin=p.get("origin", {}), set_id=set_id)
        return
    proposal_id = _server_proposal(server, record_id, p.get("from_set"))
    made = server.open_set(record_id, blind=bool(p["blind"]), hide_proposal=bool(p["hide_proposal"]),
                           proposal_set_id=proposal_id, set_id=set_id)
    if made.id != set_id:
        raise ConflictError(f"{made.annotator_id}'s set on {record_id}", f"set {set_id}",
                            f"set {made.id}, opened from another workstation")


def _server_proposal(server: AnnotationStore, record_id: str, from_set: int | None) -> int | None:
    """The proposal a set made offline started from, as the server knows it (the same model's
    proposal on the record when the server got it from elsewhere, under another id)."""
    if from_set is None:
        return None
    found = sets.get_set(server.database, from_set)
    if found is not None:
        return found.id
    raise ConflictError(f"proposal set {from_set}", "on the server", "missing")


class _NoDatabase:
    """:func:`rebuild.created_state` needs a database only to replay a copied proposal."""

    def execute(self, *_args: object) -> None:  # pragma: no cover - never reached
        raise AssertionError("a proposal's creation reads nothing")


# -- pull --------------------------------------------------------------------------------------

_EVENT_COLUMNS = "id, at, annotator_id, record_id, set_id, kind, payload, prev_hash, hash"


def _pull(local: AnnotationStore, server: AnnotationStore, origin: str,
          report: SyncReport) -> None:
    _, pulled_through = _remote(local, server)
    links = _server_links(server)
    ours = _our_ranges(server, origin)
    rows = server.database.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE id > ? ORDER BY id",
                                   [pulled_through]).fetchall()
    for row in rows:
        fields = dict(zip(_EVENT_COLUMNS.split(", "), row))
        if event_hash(fields) != fields["hash"] or links.get(fields["id"]) != fields["hash"]:
            raise StoreError(server.path, f"the server's event {fields['id']} does not match its "
                                          "hash; nothing more was pulled")
        event = Event(row[0], row[1], row[2], row[3], row[4], EventKind(row[5]),
                      _json(row[6]), row[7], row[8])
        mine = any(lo <= event.id <= hi for lo, hi in ours)
        try:
            with write_transaction(local.database):
                if not mine and event.set_id not in report.held_sets \
                        and _replicate(local, server, event):
                    report.pulled += 1
                local.database.execute(
                    "UPDATE sync_remote SET pulled_through = ? WHERE remote = ?",
                    [event.id, server.path.url])  # type: ignore[union-attr]
        except (ConflictError, CommandError) as exc:
            # this event alone is rolled back; the next pull starts again from it
            report.conflicts.append(f"set {event.set_id}: the server's event {event.id} "
                                    f"conflicts with local edits not yet pushed ({exc}); "
                                    "pulling stopped there")
            _hold(report, Event(event.id, event.at, None, None, event.set_id, event.kind, {},
                                "", ""))
            return


def _json(text: str) -> dict:
    import json

    return json.loads(text)


def _our_ranges(server: AnnotationStore, origin: str) -> list[tuple[int, int]]:
    rows = server.database.execute("SELECT first_event_id, last_event_id FROM sync_applied "
                                   "WHERE origin = ? AND last_event_id >= first_event_id",
                                   [origin]).fetchall()
    return [(int(a), int(b)) for a, b in rows]


def _replicate(local: AnnotationStore, server: AnnotationStore, event: Event) -> bool:
    """Write a server event into the local store as it happened there; False if nothing to do."""
    db, p, kind = local.database, event.payload, event.kind
    if kind is EventKind.ANNOTATOR_ADDED:
        if db.execute("SELECT 1 FROM annotators WHERE id = ?", [p["id"]]).fetchone():
            return False
        db.execute("INSERT INTO annotators (id, name, role, key_id, created_at) VALUES "
                   "(?, ?, ?, ?, ?)", [p["id"], p["name"], p["role"], p["key_id"], event.at])
    elif kind is EventKind.RECORD_ADDED:
        if not sets.insert_record(db, server.record(event.record_id or ""), event.at):
            return False
    elif kind is EventKind.SET_CREATED:
        if sets.get_set(db, event.set_id) is not None:  # type: ignore[arg-type]
            return False
        _replicate_creation(db, event)
    elif kind is EventKind.COMMAND:
        command = command_from_dict(p["command"])
        before, versions = sets.load_state(db, event.set_id, command.scope())  # type: ignore[arg-type]
        after = command.apply(before, Stamp(event.annotator_id, event.at))
        sets.write_changes(db, event.set_id, before, after, versions,  # type: ignore[arg-type]
                           event.annotator_id, event.at)
    elif kind is EventKind.SUBMITTED:
        sets.update_status(db, event.set_id, SetStatus(p["status"]),  # type: ignore[arg-type]
                           submitted_at=event.at, signature=p["signature"],
                           signed_head=p["signed_head"])
        sets.keep_packed(db, event.set_id)  # type: ignore[arg-type]
    elif kind is EventKind.REOPENED:
        sets.update_status(db, event.set_id, SetStatus.DRAFT, submitted_at=None,  # type: ignore[arg-type]
                           signature=None, signed_head=None)
    local_id = append_event(db, kind, event.at, p, annotator_id=event.annotator_id,
                            record_id=event.record_id, set_id=event.set_id)
    db.execute("INSERT INTO sync_log (event_id, remote_event_id, direction) VALUES (?, ?, 'pull')",
               [local_id, event.id])
    return True


def _replicate_creation(db, event: Event) -> None:
    p = event.payload
    info = sets.SetInfo(0, event.record_id or "", p.get("annotator"), p.get("model"),
                        p.get("from_set"), SetStatus(p["status"]), bool(p["blind"]),
                        bool(p["hide_proposal"]), event.at)
    set_id = sets.insert_set(db, info, event.set_id)
    if p.get("from_set") is not None:
        sets.copy_waves(db, int(p["from_set"]), set_id)
    elif "content" in p:
        empty = AnnotationState(float(p["fs"]), tuple(p["lead_names"]), int(p["n_samples"]))
        content = state_from_payload(p["content"], empty.fs, empty.lead_names, empty.n_samples)
        sets.write_changes(db, set_id, empty, replace(content, lead_names=empty.lead_names), {},
                           p.get("annotator"), event.at)
    elif "proposal" in p:
        sets.insert_waves(db, set_id, created_state(_NoDatabase(), event, {}).waves.values())
        sets.keep_packed(db, set_id)
