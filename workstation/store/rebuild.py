"""Deriving a set's state from the event log alone.

The tables ``waves``, ``labels``, ``notes`` and ``lead_status`` are a materialised view of the
log, kept for speed. :func:`rebuild` replays a set's events (its creation, then every command
under the stamp it was applied with) and must give exactly what the tables hold; the audit
check compares the two for every set.
"""

from __future__ import annotations

from typing import Iterable

from sqlite_utils import Database

from workstation.core.annotation import (AnnotatedWave, AnnotationState, Label, LabelKind,
                                         LeadStatus, Provenance, SetStatus, Stamp)
from workstation.core.commands import command_from_dict
from workstation.store.events import Event, EventKind, events_of_set


def rebuild(db: Database, set_id: int,
            proposals: dict[int, AnnotationState] | None = None) -> AnnotationState:
    """The set's content replayed from its events; ValueError when it has no creation event.

    ``proposals`` memoises replayed proposal sets (they never change) across calls: a whole-
    store audit then replays each proposal once, not once per annotator set copied from it.
    """
    proposals = {} if proposals is None else proposals
    state: AnnotationState | None = None
    for event in events_of_set(db, set_id):
        if event.kind is EventKind.SET_CREATED:
            state = created_state(db, event, proposals)
            if event.payload.get("model"):
                proposals[set_id] = state
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


def created_state(db: Database, event: Event,
                  proposals: dict[int, AnnotationState]) -> AnnotationState:
    """A set's content as its creation event made it (a copied proposal is replayed from
    ``db`` unless memoised in ``proposals``)."""
    payload = event.payload
    if payload.get("from_set") is not None:
        # a proposal set never changes after its creation, so replaying it gives the copy made
        source = int(payload["from_set"])
        return proposals[source] if source in proposals else rebuild(db, source, proposals)
    if "content" in payload:
        return state_from_payload(payload["content"], float(payload["fs"]),
                                  tuple(payload["lead_names"]), int(payload["n_samples"]))
    waves = waves_from_payload(payload["proposal"]) if "proposal" in payload else []
    return AnnotationState(float(payload["fs"]), tuple(payload["lead_names"]),
                           int(payload["n_samples"]), {a.id: a for a in waves})


_COLUMNS = ["id", "kind", "lead", "onset", "peak", "offset", "onset_conf", "peak_conf",
            "offset_conf"]


def waves_payload(model: str, waves: Iterable[AnnotatedWave]) -> dict:
    """A proposal's waves for its creation event: one row per wave, the model named once.

    Rows rather than one dict per wave keep a 12-lead proposal near 20 kB in the log.
    """
    rows = [[a.wave.id, a.wave.kind.value, a.wave.lead, a.wave.onset, a.wave.peak,
             a.wave.offset, a.wave.onset_conf, a.wave.peak_conf, a.wave.offset_conf]
            for a in waves]
    return {"model": model, "columns": _COLUMNS, "rows": rows}


def waves_from_payload(payload: dict) -> list[AnnotatedWave]:
    """The waves :func:`waves_payload` wrote."""
    if payload["columns"] != _COLUMNS:
        raise ValueError(f"unknown proposal columns {payload['columns']}")
    return [AnnotatedWave.from_dict({**dict(zip(_COLUMNS, row)), "model": payload["model"]})
            for row in payload["rows"]]


_CONTENT_COLUMNS = _COLUMNS + ["model", "changed_by", "changed_at"]


def content_payload(state: AnnotationState) -> dict:
    """A whole set's content, provenance of every wave included, for an imported set's creation."""
    rows = [[a.wave.id, a.wave.kind.value, a.wave.lead, a.wave.onset, a.wave.peak,
             a.wave.offset, a.wave.onset_conf, a.wave.peak_conf, a.wave.offset_conf,
             a.provenance.model, a.provenance.annotator, a.provenance.at]
            for a in sorted(state.waves.values(), key=lambda a: a.id)]
    return {"columns": _CONTENT_COLUMNS, "rows": rows,
            "labels": sorted([lb.kind.value, lb.code] for lb in state.labels),
            "note": state.note,
            "lead_status": {lead: s.value for lead, s in sorted(state.lead_status.items())}}


def state_from_payload(payload: dict, fs: float, lead_names: tuple[str, ...],
                       n_samples: int) -> AnnotationState:
    """The state :func:`content_payload` wrote."""
    if payload["columns"] != _CONTENT_COLUMNS:
        raise ValueError(f"unknown content columns {payload['columns']}")
    waves = {}
    for row in payload["rows"]:
        data = dict(zip(_CONTENT_COLUMNS, row))
        wave = AnnotatedWave.from_dict(data).wave
        waves[wave.id] = AnnotatedWave(wave, Provenance(data["model"], data["changed_by"],
                                                        data["changed_at"]))
    labels = frozenset(Label(LabelKind(k), c) for k, c in payload["labels"])
    statuses = {lead: LeadStatus(s) for lead, s in payload["lead_status"].items()}
    return AnnotationState(fs, lead_names, n_samples, waves, labels, payload["note"], statuses)
