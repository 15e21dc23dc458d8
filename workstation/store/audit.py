"""Checking a store and reading its history: what ``ecgws audit`` prints.

:func:`verify_store` runs SQLite's ``PRAGMA integrity_check``, walks the whole hash chain,
and replays every annotation set from the log to compare with its tables (a row edited by
hand outside the log shows up there). :func:`history` lists a record's events as lines a
person reads: who, what, when, before -> after.
"""

from __future__ import annotations

from dataclasses import dataclass

from workstation.core.commands import CommandError, command_from_dict
from workstation.store import sets
from workstation.store.errors import DATABASE_ERRORS, IdentityError, PassphraseError, StoreError
from workstation.store.events import Event, EventKind, events_of_record, verify_chain
from workstation.store.rebuild import rebuild, rebuild_status
from workstation.store.store import AnnotationStore


@dataclass(frozen=True)
class AuditReport:
    """What :func:`verify_store` found; ``problems`` is empty when everything holds."""

    path: object  # a file's Path or a server's URL
    events: int
    sets: int  # sets in the store; replayed and compared unless the check was quick
    integrity: str
    first_bad_event: int | None
    problems: tuple[str, ...]
    signatures_checked: int = 0
    signatures_unchecked: int = 0  # signed by someone whose secret this keyring does not hold

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class HistoryEntry:
    """One event as a line of a record's history."""

    event_id: int
    at: str
    who: str
    set_id: int | None
    text: str


def verify_store(path: object, *, replay: bool = True) -> AuditReport:
    """Check integrity, the hash chain, signatures and (``replay``) every set against its history.

    Raises StoreError when the file cannot be read at all.
    """
    with AnnotationStore.open(path) as store:
        db = store.database
        try:
            integrity = store.integrity()
            count, broken = verify_chain(db)
            set_problems = _set_problems(store) if replay and broken is None else []
            checked, unchecked, bad_signatures = _signature_problems(store)
            n_sets = db.execute("SELECT count(*) FROM annotation_sets").fetchone()[0]
        except DATABASE_ERRORS as exc:  # a damaged page surfaces here, mid-walk
            raise StoreError(path, f"cannot be checked: {exc}") from exc
    problems = [] if integrity == ["ok"] else [f"integrity check: {'; '.join(integrity[:5])}"]
    if broken is not None:
        problems.append(f"event {broken.event_id}: {broken.problem}")
    problems += set_problems + bad_signatures
    return AuditReport(store.path, count, n_sets, "; ".join(integrity[:5]),
                       broken.event_id if broken else None, tuple(problems), checked, unchecked)


def _set_problems(store: AnnotationStore) -> list[str]:
    db = store.database
    problems: list[str] = []
    proposals: dict = {}
    for (set_id,) in db.execute("SELECT id FROM annotation_sets ORDER BY id").fetchall():
        try:
            replayed, status = rebuild(db, set_id, proposals), rebuild_status(db, set_id)
        except (CommandError, ValueError, KeyError) as exc:
            problems.append(f"set {set_id}: its history cannot be replayed ({exc})")
            continue
        stored, _ = sets.load_state(db, set_id)
        if replayed != stored:
            problems.append(f"set {set_id}: its tables differ from its history "
                            "(a row was changed outside the event log)")
        if status is not store.set_info(set_id).status:
            problems.append(f"set {set_id}: its status differs from its history")
    return problems


def _signature_problems(store: AnnotationStore) -> tuple[int, int, list[str]]:
    """Check every signed set whose author's secret this keyring holds.

    The chain alone cannot tell a log rewritten from some event onwards with fresh hashes;
    a signature binds the content and the chain head to a secret the forger does not have.
    """
    checked, unchecked, problems = 0, 0, []
    signed = store.database.execute(
        "SELECT id FROM annotation_sets WHERE signature IS NOT NULL ORDER BY id").fetchall()
    for n, (set_id,) in enumerate(signed):
        try:
            check = store.verify_signature(set_id)
        except PassphraseError:  # the key file stays locked: trying each set again costs seconds
            unchecked += len(signed) - n
            break
        except IdentityError:
            unchecked += 1
            continue
        checked += 1
        if not check.valid:
            problems.append(f"set {set_id}: signature of {check.annotator_id} fails: {check.reason}")
    return checked, unchecked, problems


def history(store: AnnotationStore, record_id: str | None = None) -> list[HistoryEntry]:
    """A record's events (every event when ``record_id`` is None), oldest first."""
    return [HistoryEntry(e.id, e.at, e.annotator_id or "system", e.set_id, describe_event(e))
            for e in events_of_record(store.database, record_id)]


def describe_event(event: Event) -> str:
    """What an event did, in a line: the command's own "before -> after" for edits."""
    p = event.payload
    if event.kind is EventKind.COMMAND:
        try:
            return command_from_dict(p["command"]).describe()
        except CommandError as exc:
            return f"unreadable command ({exc})"
    if event.kind is EventKind.SET_CREATED:
        if p.get("model"):
            return f"proposal by {p['model']} stored: {len(p['proposal']['rows'])} waves"
        start = f"from proposal set {p['from_set']}" if p.get("from_set") else "empty"
        mode = " (blind, proposal hidden)" if p.get("hide_proposal") else (
            " (blind)" if p.get("blind") else "")
        return f"set created for {p.get('annotator')}, {start}{mode}"
    if event.kind is EventKind.SUBMITTED:
        return f"set {p['status']}: draft -> {p['status']}, signed (key {p.get('key_id')})"
    if event.kind is EventKind.REOPENED:
        return "set reopened: submitted -> draft"
    if event.kind is EventKind.RECORD_ADDED:
        return (f"record added: {p['format']}, {p['fs']:g} Hz, {len(p['leads'])} leads, "
                f"{p['source_name']}")
    return f"annotator {p['id']} ({p['name']}, {p['role']}) added"
