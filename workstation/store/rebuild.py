"""Deriving a set's state from the event log alone.

The tables ``waves``, ``labels``, ``notes`` and ``lead_status`` are a materialised view of the
log, kept for speed. :func:`rebuild` replays a set's events (its creation, then every command
under the stamp it was applied with) and must give exactly what the tables hold; the audit
check compares the two for every set.
"""

from __future__ import annotations

from sqlite_utils import Database

from workstation.core.annotation import AnnotatedWave, AnnotationState, SetStatus, Stamp
from workstation.core.commands import command_from_dict
from workstation.store.events import Event, EventKind, events_of_set


def rebuild(db: Database, set_id: int) -> AnnotationState:
    """The set's content replayed from its events; ValueError when it has no creation event."""
    state: AnnotationState | None = None
    for event in events_of_set(db, set_id):
        if event.kind is EventKind.SET_CREATED:
            state = _created(db, event)
        elif event.kind is EventKind.COMMAND:
            if state is None:
                raise ValueError(f"set {set_id}: event {event.id} edits a set not yet created")
            command = command_from_dict(event.payload["command"])
            state = command.apply(state, Stamp(event.annotator_id, event.at))
    if state is None:
        raise ValueError(f"set {set_id} has no creation event")
    return state


def rebuild_status(db: Database, set_id: int) -> SetStatus:
    """The set's status replayed from its events."""
    status = SetStatus.DRAFT
    for event in events_of_set(db, set_id):
        if event.kind is EventKind.SET_CREATED:
            status = SetStatus(event.payload["status"])
        elif event.kind is EventKind.SUBMITTED:
            status = SetStatus(event.payload["status"])
        elif event.kind is EventKind.REOPENED:
            status = SetStatus.DRAFT
    return status


def _created(db: Database, event: Event) -> AnnotationState:
    payload = event.payload
    if payload.get("from_set") is not None:
        # a proposal set never changes after its creation, so replaying it gives the copy made
        return rebuild(db, int(payload["from_set"]))
    waves = (AnnotatedWave.from_dict(w) for w in payload.get("waves", []))
    return AnnotationState(float(payload["fs"]), tuple(payload["lead_names"]),
                           int(payload["n_samples"]), {a.id: a for a in waves})
