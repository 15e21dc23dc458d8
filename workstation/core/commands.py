"""Edits of an annotation set as command objects on one undo stack.

Every change a clinician makes (drag a boundary, add or delete a wave, change its type, set a
boundary on all leads, accept the model's proposal, mark a lead unreadable, label, note) is a
frozen command holding its old and new values. A command

* applies itself to an :class:`~workstation.core.annotation.AnnotationState` and returns a
  new state, enforcing the document's rules (onset <= peak <= offset, positions inside the
  record, known leads) and raising :class:`ConflictError` when the state no longer holds its
  ``old`` value (another workstation changed it first);
* inverts itself (undo is the inverse command, applied and logged like any other);
* names the part of the state it touches (:meth:`Command.scope`), so a store can apply it to
  rows it reloads inside its own transaction;
* round-trips through a plain dict (:func:`command_to_dict`, :func:`command_from_dict`) for
  the event log.

:class:`~workstation.core.annotation.AnnotationDocument` runs commands through an optional
sink (the store commits each one before the document changes) and keeps the undo stack.

No Qt, no torch, no SQL.
"""

from __future__ import annotations

import dataclasses
import secrets
import typing
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import Any

# the document and its undo stack live with the state; re-exported here for the UI's convenience
from workstation.core.annotation import (AnnotatedWave, AnnotationDocument, AnnotationState,
                                         Boundary, CommandSink, Label, LabelKind, LeadStatus,
                                         Scope, Stamp, UndoStack, utc_now)
from workstation.core.delineation import Wave, WaveKind, group_waves, wave_id


__all__ = ["AcceptProposal", "AddWave", "AnnotationDocument", "ChangeWaveType", "Command",
           "CommandError", "CommandSink", "ConflictError", "DeleteWave", "MarkLeadUnreadable",
           "MoveBoundary", "SetGlobalBoundary", "SetLabels", "SetNote", "UndoStack",
           "allowed_range", "beat_group", "command_from_dict", "command_to_dict", "utc_now"]


class CommandError(ValueError):
    """A command breaks a rule of the document (boundaries out of order, unknown wave or lead)."""


class ConflictError(CommandError):
    """The document no longer holds the value a command expected to change.

    Raised instead of overwriting when another workstation changed the same thing first.
    """

    def __init__(self, what: str, expected: Any, found: Any) -> None:
        super().__init__(f"{what} was changed elsewhere: expected {expected}, found {found}; "
                         "reload the record and redo the edit")
        self.what, self.expected, self.found = what, expected, found


# -- helpers shared by the commands ------------------------------------------------------------

def _annotated(state: AnnotationState, wave_id_: str) -> AnnotatedWave:
    try:
        return state.waves[wave_id_]
    except KeyError:
        raise ConflictError(f"wave {wave_id_}", "present", "none (deleted)") from None


def _checked_wave(state: AnnotationState, wave: Wave) -> Wave:
    """``wave`` when it lies on a known lead inside the record; CommandError otherwise."""
    if wave.lead not in state.lead_names:
        raise CommandError(f"lead {wave.lead} is not in the record")
    if wave.onset < 0 or wave.offset >= state.n_samples:
        raise CommandError(f"{wave.kind.value} wave on {wave.lead}: {wave.onset}..{wave.offset} "
                           f"is outside the record (0..{state.n_samples - 1})")
    return wave


def _reshaped(wave: Wave, **changes: Any) -> Wave:
    try:
        return dataclasses.replace(wave, **changes)
    except ValueError as exc:  # Wave refuses boundaries out of order
        raise CommandError(str(exc)) from None


def allowed_range(wave: Wave, which: Boundary, n_samples: int) -> tuple[int, int]:
    """Where ``which`` of ``wave`` may go without breaking onset <= peak <= offset."""
    if which is Boundary.ONSET:
        return 0, wave.peak
    if which is Boundary.PEAK:
        return wave.onset, wave.offset
    return wave.peak, n_samples - 1


def beat_group(state: AnnotationState, wave_id_: str) -> tuple[str, ...]:
    """Ids of the waves of the same beat on every lead (the wave's own included).

    Uses the same overlap clustering as the delineation core, so a "global" boundary means
    what the interval measurements mean by it.
    """
    kind = state.wave(wave_id_).kind
    waves = [a.wave for a in state.waves.values() if a.wave.kind is kind]
    for group in group_waves(waves):
        ids = tuple(w.id for w in group.waves)
        if wave_id_ in ids:
            return ids
    return (wave_id_,)


# -- the commands ------------------------------------------------------------------------------

class Command(ABC):
    """One undoable edit of an annotation set."""

    @abstractmethod
    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        """The state after this edit, changed under ``stamp``; CommandError/ConflictError if refused."""

    @abstractmethod
    def inverted(self) -> "Command":
        """The command that undoes this one."""

    @property
    @abstractmethod
    def is_noop(self) -> bool:
        """True when old and new are equal: such a command is never pushed or logged."""

    @abstractmethod
    def scope(self) -> Scope:
        """The waves (by id, or every wave on some leads) this command reads and writes."""

    @abstractmethod
    def describe(self) -> str:
        """One line for the history viewer and the undo menu: what changed, before -> after."""

    def fields(self) -> dict:
        """This command's values as plain JSON types (enums by value, waves as dicts)."""
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_fields(cls, data: dict) -> "Command":
        """The command whose :meth:`fields` are ``data``; TypeError/ValueError when malformed."""
        hints = typing.get_type_hints(cls)
        return cls(**{f.name: _decode(hints[f.name], data[f.name])
                      for f in dataclasses.fields(cls)})  # type: ignore[arg-type]

    def merged_with(self, following: "Command") -> "Command | None":
        """One command doing this then ``following`` (for arrow-key nudges), or None."""
        return None


@dataclass(frozen=True)
class MoveBoundary(Command):
    """Move one boundary (onset, peak or offset) of one wave from ``old`` to ``new`` (samples)."""

    wave_id: str
    which: Boundary
    old: int
    new: int

    @classmethod
    def of(cls, state: AnnotationState, wave_id_: str, which: Boundary, new: int) -> "MoveBoundary":
        """The move of ``which`` of wave ``wave_id_`` from where it is now to ``new``."""
        return cls(wave_id_, which, getattr(state.wave(wave_id_), which.value), int(new))

    @classmethod
    def clamped(cls, state: AnnotationState, wave_id_: str, which: Boundary,
                new: int) -> "MoveBoundary":
        """As :meth:`of`, with ``new`` held inside the range the wave's other marks allow."""
        lo, hi = allowed_range(state.wave(wave_id_), which, state.n_samples)
        return cls.of(state, wave_id_, which, min(max(int(new), lo), hi))

    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        current = _annotated(state, self.wave_id)
        found = getattr(current.wave, self.which.value)
        if found != self.old:
            raise ConflictError(f"{self.which.value} of {self.wave_id}", self.old, found)
        moved = _checked_wave(state, _reshaped(current.wave, **{self.which.value: self.new}))
        return state.with_waves([AnnotatedWave(moved, current.provenance.touched(stamp))])

    def inverted(self) -> "MoveBoundary":
        return MoveBoundary(self.wave_id, self.which, self.new, self.old)

    def merged_with(self, following: Command) -> "MoveBoundary | None":
        # successive nudges of one boundary undo as one step, as a drag does
        if (isinstance(following, MoveBoundary) and following.wave_id == self.wave_id
                and following.which is self.which and following.old == self.new):
            return MoveBoundary(self.wave_id, self.which, self.old, following.new)
        return None

    @property
    def is_noop(self) -> bool:
        return self.old == self.new

    def scope(self) -> Scope:
        return Scope(frozenset({self.wave_id}))

    def describe(self) -> str:
        return f"move {self.which.value} of {self.wave_id}: {self.old} -> {self.new}"


@dataclass(frozen=True)
class AddWave(Command):
    """Add a wave (a new id; a wave the model proposed keeps its id and model)."""

    wave: AnnotatedWave

    @classmethod
    def new(cls, kind: WaveKind, lead: str, onset: int, peak: int, offset: int) -> "AddWave":
        """A wave drawn by hand: confidences 1, a fresh id that no deleted wave ever had."""
        wave = Wave(kind, lead, int(onset), int(peak), int(offset),
                    id=f"{wave_id(kind, lead, int(onset))}~{secrets.token_hex(4)}")
        return cls(AnnotatedWave(wave))

    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        if self.wave.id in state.waves:
            raise ConflictError(f"wave {self.wave.id}", "absent", "present")
        wave = _checked_wave(state, self.wave.wave)
        return state.with_waves([AnnotatedWave(wave, self.wave.provenance.touched(stamp))])

    def inverted(self) -> "DeleteWave":
        return DeleteWave(self.wave)

    @property
    def is_noop(self) -> bool:
        return False

    def scope(self) -> Scope:
        return Scope(frozenset({self.wave.id}))

    def describe(self) -> str:
        w = self.wave.wave
        return f"add {w.kind.value} wave {w.id} on {w.lead}: {w.onset}/{w.peak}/{w.offset}"


@dataclass(frozen=True)
class DeleteWave(Command):
    """Delete a wave; it carries the whole wave so that undo can put it back."""

    wave: AnnotatedWave

    @classmethod
    def of(cls, state: AnnotationState, wave_id_: str) -> "DeleteWave":
        return cls(state.waves[wave_id_])

    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        current = _annotated(state, self.wave.id)
        if current.wave != self.wave.wave:
            raise ConflictError(f"wave {self.wave.id}", _marks(self.wave.wave), _marks(current.wave))
        return state.with_waves(remove=[self.wave.id])

    def inverted(self) -> AddWave:
        return AddWave(self.wave)

    @property
    def is_noop(self) -> bool:
        return False

    def scope(self) -> Scope:
        return Scope(frozenset({self.wave.id}))

    def describe(self) -> str:
        w = self.wave.wave
        return f"delete {w.kind.value} wave {w.id} on {w.lead}: {w.onset}/{w.peak}/{w.offset}"


def _marks(wave: Wave) -> str:
    return f"{wave.kind.value} {wave.onset}/{wave.peak}/{wave.offset}"


@dataclass(frozen=True)
class ChangeWaveType(Command):
    """Call a wave a P wave, a QRS complex or a T wave instead (its id stays)."""

    wave_id: str
    old: WaveKind
    new: WaveKind

    @classmethod
    def of(cls, state: AnnotationState, wave_id_: str, new: WaveKind) -> "ChangeWaveType":
        return cls(wave_id_, state.wave(wave_id_).kind, new)

    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        current = _annotated(state, self.wave_id)
        if current.wave.kind is not self.old:
            raise ConflictError(f"type of {self.wave_id}", self.old.value, current.wave.kind.value)
        changed = _reshaped(current.wave, kind=self.new)
        return state.with_waves([AnnotatedWave(changed, current.provenance.touched(stamp))])

    def inverted(self) -> "ChangeWaveType":
        return ChangeWaveType(self.wave_id, self.new, self.old)

    @property
    def is_noop(self) -> bool:
        return self.old is self.new

    def scope(self) -> Scope:
        return Scope(frozenset({self.wave_id}))

    def describe(self) -> str:
        return f"change type of {self.wave_id}: {self.old.value} -> {self.new.value}"


@dataclass(frozen=True)
class SetGlobalBoundary(Command):
    """Set one boundary of one beat on several leads at once: one undo step, all or nothing."""

    which: Boundary
    moves: tuple[MoveBoundary, ...]

    def __post_init__(self) -> None:
        if any(m.which is not self.which for m in self.moves):
            raise CommandError("a global boundary moves the same boundary on every lead")

    @classmethod
    def of(cls, state: AnnotationState, wave_ids: tuple[str, ...] | list[str], which: Boundary,
           new: int) -> "SetGlobalBoundary":
        """Move ``which`` of every wave in ``wave_ids`` to ``new`` (waves already there are left out)."""
        moves = (MoveBoundary.of(state, i, which, new) for i in wave_ids)
        return cls(which, tuple(m for m in moves if not m.is_noop))

    @classmethod
    def of_beat(cls, state: AnnotationState, wave_id_: str, which: Boundary,
                new: int) -> "SetGlobalBoundary":
        """Move ``which`` of the beat ``wave_id_`` belongs to, on every lead, to ``new``."""
        return cls.of(state, beat_group(state, wave_id_), which, new)

    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        for move in self.moves:
            state = move.apply(state, stamp)
        return state

    def inverted(self) -> "SetGlobalBoundary":
        return SetGlobalBoundary(self.which, tuple(m.inverted() for m in self.moves))

    @property
    def is_noop(self) -> bool:
        return all(m.is_noop for m in self.moves)

    def scope(self) -> Scope:
        return Scope(frozenset(m.wave_id for m in self.moves))

    def describe(self) -> str:
        moves = ", ".join(f"{m.wave_id} {m.old} -> {m.new}" for m in self.moves)
        return f"set global {self.which.value} on {len(self.moves)} leads: {moves}"


@dataclass(frozen=True)
class AcceptProposal(Command):
    """Take the model's waves for some leads (one lead, or all: the record) and mark them accepted.

    The waves on those leads are replaced by the proposal's; the command carries both lists
    and the leads' statuses so that undo restores exactly what was there.
    """

    model: str
    leads: tuple[str, ...]
    before: tuple[AnnotatedWave, ...]
    after: tuple[AnnotatedWave, ...]
    status_before: tuple[LeadStatus, ...]
    status_after: tuple[LeadStatus, ...]
    reverting: bool = False  # True for the inverse: the undo of an acceptance

    @classmethod
    def of(cls, state: AnnotationState, proposal: AnnotationState, model: str,
           lead: str | None = None) -> "AcceptProposal":
        """Accept ``proposal`` (the model ``model``'s set) on ``lead``, or on every lead when None."""
        leads = tuple(state.lead_names) if lead is None else (lead,)
        before = tuple(state.waves[w.id] for ld in leads for w in state.waves_in(ld))
        after = tuple(proposal.waves[w.id] for ld in leads for w in proposal.waves_in(ld))
        return cls(model, leads, before, after, tuple(state.status_of(ld) for ld in leads),
                   (LeadStatus.ACCEPTED,) * len(leads))

    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        unknown = [ld for ld in self.leads if ld not in state.lead_names]
        if unknown:
            raise CommandError(f"lead {unknown[0]} is not in the record")
        found = {w for ld in self.leads for w in state.waves_in(ld)}
        if found != {a.wave for a in self.before}:
            raise ConflictError(f"waves on {', '.join(self.leads)}", f"{len(self.before)} waves",
                                f"{len(found)} waves, not the same")
        statuses = tuple(state.status_of(ld) for ld in self.leads)
        if statuses != self.status_before:
            raise ConflictError(f"status of {', '.join(self.leads)}",
                                [s.value for s in self.status_before], [s.value for s in statuses])
        added = [AnnotatedWave(_checked_wave(state, a.wave), a.provenance.touched(stamp))
                 for a in self.after]
        state = state.with_waves(added, remove=[a.id for a in self.before])
        for lead, status in zip(self.leads, self.status_after):
            state = state.with_lead_status(lead, status)
        return state

    def inverted(self) -> "AcceptProposal":
        return AcceptProposal(self.model, self.leads, self.after, self.before, self.status_after,
                              self.status_before, not self.reverting)

    @property
    def is_noop(self) -> bool:
        # compare the waves, not who last touched them: re-accepting an accepted lead is a no-op
        return ({a.wave for a in self.before} == {a.wave for a in self.after}
                and self.status_before == self.status_after)

    def scope(self) -> Scope:
        return Scope(frozenset(a.id for a in self.before + self.after), frozenset(self.leads))

    def describe(self) -> str:
        where = "all leads" if len(self.leads) > 1 else self.leads[0]
        verb = "undo accepting" if self.reverting else "accept"
        return (f"{verb} proposal {self.model} on {where}: "
                f"{len(self.before)} waves -> {len(self.after)} waves")


@dataclass(frozen=True)
class MarkLeadUnreadable(Command):
    """Mark a lead unreadable (noise, lead off), or take the mark back (``new`` unreviewed)."""

    lead: str
    old: LeadStatus
    new: LeadStatus

    @classmethod
    def of(cls, state: AnnotationState, lead: str, unreadable: bool = True) -> "MarkLeadUnreadable":
        new = LeadStatus.UNREADABLE if unreadable else LeadStatus.UNREVIEWED
        return cls(lead, state.status_of(lead), new)

    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        if self.lead not in state.lead_names:
            raise CommandError(f"lead {self.lead} is not in the record")
        if state.status_of(self.lead) is not self.old:
            raise ConflictError(f"status of {self.lead}", self.old.value,
                                state.status_of(self.lead).value)
        return state.with_lead_status(self.lead, self.new)

    def inverted(self) -> "MarkLeadUnreadable":
        return MarkLeadUnreadable(self.lead, self.new, self.old)

    @property
    def is_noop(self) -> bool:
        return self.old is self.new

    def scope(self) -> Scope:
        return Scope()

    def describe(self) -> str:
        return f"status of lead {self.lead}: {self.old.value} -> {self.new.value}"


def _labels_text(labels: frozenset[Label]) -> str:
    return ", ".join(f"{l.kind.value}:{l.code}" for l in sorted(labels, key=lambda l: l.sort_key)) or "none"


@dataclass(frozen=True)
class SetLabels(Command):
    """Replace the set's rhythm and diagnostic labels."""

    old: frozenset[Label]
    new: frozenset[Label]

    @classmethod
    def of(cls, state: AnnotationState, labels: frozenset[Label] | set[Label]) -> "SetLabels":
        return cls(state.labels, frozenset(labels))

    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        if state.labels != self.old:
            raise ConflictError("labels", _labels_text(self.old), _labels_text(state.labels))
        return dataclasses.replace(state, labels=self.new)

    def inverted(self) -> "SetLabels":
        return SetLabels(self.new, self.old)

    @property
    def is_noop(self) -> bool:
        return self.old == self.new

    def scope(self) -> Scope:
        return Scope()

    def describe(self) -> str:
        return f"labels: {_labels_text(self.old)} -> {_labels_text(self.new)}"


@dataclass(frozen=True)
class SetNote(Command):
    """Replace the set's free-text note."""

    old: str
    new: str

    @classmethod
    def of(cls, state: AnnotationState, text: str) -> "SetNote":
        return cls(state.note, text)

    def apply(self, state: AnnotationState, stamp: Stamp) -> AnnotationState:
        if state.note != self.old:
            raise ConflictError("note", repr(self.old), repr(state.note))
        return dataclasses.replace(state, note=self.new)

    def inverted(self) -> "SetNote":
        return SetNote(self.new, self.old)

    @property
    def is_noop(self) -> bool:
        return self.old == self.new

    def scope(self) -> Scope:
        return Scope()

    def describe(self) -> str:
        return f"note: {self.old!r} -> {self.new!r}"


# -- the dict form of a command, driven by its dataclass fields' types -----------------------------

def _encode(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, AnnotatedWave):
        return value.to_dict()
    if isinstance(value, Label):
        return [value.kind.value, value.code]
    if isinstance(value, Command):
        return value.fields()
    if isinstance(value, frozenset):
        return sorted(_encode(v) for v in value)  # sorted: one set, one JSON text, one hash
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


_PLAIN = {int: int, str: str, bool: bool}


def _decode(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (tuple, frozenset):
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r}")
        items = (_decode(typing.get_args(hint)[0], v) for v in value)
        return origin(items)
    if hint is AnnotatedWave:
        return AnnotatedWave.from_dict(value)
    if hint is Label:
        return Label(LabelKind(value[0]), str(value[1]))
    if isinstance(hint, type) and issubclass(hint, (Enum, Command)):
        return hint(value) if issubclass(hint, Enum) else hint.from_fields(value)
    # bool is an int in Python: check the exact type so that true never reads as 1
    if type(value) is not _PLAIN[hint]:
        raise TypeError(f"expected {hint.__name__}, got {value!r}")
    return value


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.__name__: cls for cls in (MoveBoundary, AddWave, DeleteWave, ChangeWaveType,
                                  SetGlobalBoundary, AcceptProposal, MarkLeadUnreadable,
                                  SetLabels, SetNote)
}


def command_to_dict(command: Command) -> dict:
    """``{"type": class name, **fields}``: JSON-ready, read back by :func:`command_from_dict`."""
    return {"type": type(command).__name__, **command.fields()}


def command_from_dict(data: dict) -> Command:
    """The command :func:`command_to_dict` wrote; CommandError naming what is wrong."""
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in COMMAND_TYPES:
        raise CommandError(f"unknown command type {kind!r}")
    try:
        return COMMAND_TYPES[kind].from_fields(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise CommandError(f"malformed {kind} command: {exc}") from exc

