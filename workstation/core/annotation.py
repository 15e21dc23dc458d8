"""An annotation set as a document: the waves, labels, note and lead statuses one author holds.

A model's :class:`~workstation.core.delineation.Delineation` is an immutable proposal. An
annotator's set starts as a copy of it (or empty, when the proposal is hidden) and changes
only through the commands in :mod:`workstation.core.commands`; this module holds the state
those commands transform. Every wave keeps its stable id and its provenance: the model that
proposed it, and the annotator who last changed it and when.

:class:`AnnotationState` is immutable: a command returns a new state. Its mappings are plain
dicts that nothing mutates after construction (copying a few hundred entries per edit costs
microseconds and makes snapshots, undo and comparison with a rebuilt state trivial).

No Qt, no torch, no SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Protocol

from workstation.core.delineation import Delineation, Wave, WaveKind

if TYPE_CHECKING:  # commands import this module; the document only calls their methods
    from workstation.core.commands import Command


class Boundary(Enum):
    """Which of a wave's three marks a command moves."""

    ONSET = "onset"
    PEAK = "peak"
    OFFSET = "offset"


class LeadStatus(Enum):
    """What the annotator said about a lead as a whole (unreviewed unless stated)."""

    UNREVIEWED = "unreviewed"
    ACCEPTED = "accepted"
    UNREADABLE = "unreadable"


class LabelKind(Enum):
    """Rhythm labels (sinus rhythm, AF ...) and diagnostic statements (LBBB, STEMI ...)."""

    RHYTHM = "rhythm"
    DIAGNOSTIC = "diagnostic"


class SetStatus(Enum):
    """Life of an annotation set: edited as a draft, then submitted (signed), then adjudicated."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ADJUDICATED = "adjudicated"


@dataclass(frozen=True)
class Label:
    """One rhythm or diagnostic label, by its code (free text or a coding system's code)."""

    kind: LabelKind
    code: str

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise ValueError("a label needs a code")

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.kind.value, self.code)


@dataclass(frozen=True)
class Stamp:
    """Who applied a change and when (ISO 8601, UTC); ``annotator`` None for the system."""

    annotator: str | None
    at: str


@dataclass(frozen=True)
class Provenance:
    """Where a wave came from: the proposing model ("name/version"), its last editor and when."""

    model: str | None = None
    annotator: str | None = None
    at: str | None = None

    def touched(self, stamp: Stamp) -> "Provenance":
        """The same origin, last changed under ``stamp``."""
        return Provenance(self.model, stamp.annotator, stamp.at)


@dataclass(frozen=True)
class AnnotatedWave:
    """A wave with its provenance."""

    wave: Wave
    provenance: Provenance = Provenance()

    @property
    def id(self) -> str:
        return self.wave.id

    def to_dict(self) -> dict:
        """The wave and its proposing model as plain JSON types (the editor is stamped apart)."""
        w = self.wave
        return {"id": w.id, "kind": w.kind.value, "lead": w.lead, "onset": w.onset,
                "peak": w.peak, "offset": w.offset, "onset_conf": w.onset_conf,
                "peak_conf": w.peak_conf, "offset_conf": w.offset_conf,
                "model": self.provenance.model}

    @classmethod
    def from_dict(cls, data: dict) -> "AnnotatedWave":
        """The wave :meth:`to_dict` wrote; KeyError/TypeError/ValueError when malformed."""
        wave = Wave(WaveKind(data["kind"]), str(data["lead"]), int(data["onset"]),
                    int(data["peak"]), int(data["offset"]), float(data["onset_conf"]),
                    float(data["peak_conf"]), float(data["offset_conf"]), str(data["id"]))
        return cls(wave, Provenance(model=data.get("model")))


@dataclass(frozen=True)
class Scope:
    """The part of a state a command reads and writes: some waves, and every wave on some leads.

    A store applies a command to this part only (loaded fresh inside its transaction), so a
    change elsewhere in the set by another workstation never counts as a conflict.
    """

    wave_ids: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()

    def covers(self, wave: Wave) -> bool:
        return wave.id in self.wave_ids or wave.lead in self.leads


def utc_now() -> str:
    """The current time, ISO 8601 in UTC with microseconds (sortable as text)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def model_tag(name: str, version: str) -> str:
    """How provenance names a model: ``name/version``."""
    return f"{name}/{version}"


@dataclass(frozen=True)
class AnnotationState:
    """Everything one annotation set holds, at one moment.

    Parameters
    ----------
    fs
        Sampling rate of the record (Hz); wave positions are integer samples at this rate.
    lead_names
        The record's leads, in its order.
    n_samples
        Length of the record: every boundary lies in ``0 .. n_samples - 1``.
    waves
        Waves by stable id.
    labels, note
        Rhythm/diagnostic labels and a free-text note.
    lead_status
        Leads whose status is not :attr:`LeadStatus.UNREVIEWED` (those are left out, so two
        states that say the same thing compare equal).
    """

    fs: float
    lead_names: tuple[str, ...]
    n_samples: int
    waves: Mapping[str, AnnotatedWave] = field(default_factory=dict)
    labels: frozenset[Label] = frozenset()
    note: str = ""
    lead_status: Mapping[str, LeadStatus] = field(default_factory=dict)

    def __post_init__(self) -> None:
        statuses = {lead: s for lead, s in self.lead_status.items() if s is not LeadStatus.UNREVIEWED}
        object.__setattr__(self, "lead_status", statuses)
        object.__setattr__(self, "waves", dict(self.waves))

    @classmethod
    def from_proposal(cls, proposal: Delineation, n_samples: int) -> "AnnotationState":
        """A set starting from a model's proposal: its waves, attributed to the model."""
        origin = Provenance(model=model_tag(proposal.model_name, proposal.model_version))
        waves = {w.id: AnnotatedWave(w, origin) for w in proposal.waves}
        return cls(proposal.fs, proposal.lead_names, n_samples, waves)

    def wave(self, wave_id: str) -> Wave:
        """The wave with id ``wave_id``; KeyError when there is none."""
        return self.waves[wave_id].wave

    def waves_in(self, lead: str, kind: WaveKind | None = None) -> tuple[Wave, ...]:
        """The waves on ``lead`` (of ``kind`` when given), by onset."""
        found = (a.wave for a in self.waves.values() if a.wave.lead == lead)
        return tuple(sorted((w for w in found if kind is None or w.kind is kind),
                            key=lambda w: (w.onset, w.kind.value, w.id)))

    def status_of(self, lead: str) -> LeadStatus:
        return self.lead_status.get(lead, LeadStatus.UNREVIEWED)

    def to_delineation(self, name: str = "annotation", version: str = "") -> Delineation:
        """The waves as a :class:`Delineation`, for measurement and display code that reads one."""
        return Delineation(self.fs, self.lead_names, tuple(a.wave for a in self.waves.values()),
                           name, version)

    def with_waves(self, upsert: Iterable[AnnotatedWave] = (),
                   remove: Iterable[str] = ()) -> "AnnotationState":
        """A state with the waves ``remove`` dropped, then ``upsert`` added or replaced."""
        waves = dict(self.waves)
        for wave_id in remove:
            waves.pop(wave_id, None)
        for annotated in upsert:
            waves[annotated.id] = annotated
        return dataclasses.replace(self, waves=waves)

    def with_lead_status(self, lead: str, status: LeadStatus) -> "AnnotationState":
        return dataclasses.replace(self, lead_status={**self.lead_status, lead: status})

    def restrict(self, scope: Scope) -> "AnnotationState":
        """The same state holding only the waves in ``scope`` (labels, note and statuses kept)."""
        waves = {i: a for i, a in self.waves.items() if scope.covers(a.wave)}
        return dataclasses.replace(self, waves=waves)

    def merge(self, part: "AnnotationState", scope: Scope) -> "AnnotationState":
        """This state with ``scope`` replaced by ``part`` (a state restricted to ``scope``).

        Labels, note and lead statuses are taken from ``part``: they are small and a store
        always returns them whole.
        """
        waves = {i: a for i, a in self.waves.items() if not scope.covers(a.wave)}
        waves.update(part.waves)
        return dataclasses.replace(self, waves=waves, labels=part.labels, note=part.note,
                                   lead_status=part.lead_status)


# -- the document: a state, the commands that changed it, and where they are committed ---------

class CommandSink(Protocol):
    """Where a document commits each command before showing it (the annotation store).

    ``commit`` applies the command to the sink's own copy under its own stamp (current user,
    time) and returns that copy restricted to ``command.scope()``; it raises
    :class:`~workstation.core.commands.ConflictError` or its own error and then changes nothing.
    """

    def commit(self, command: "Command") -> AnnotationState: ...


class UndoStack:
    """Done and undone commands, with a clean marker (the semantics of Qt's QUndoStack)."""

    def __init__(self) -> None:
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean: int | None = 0  # len(_done) at the clean state; None once unreachable

    def push(self, command: "Command", *, merge: bool = False) -> None:
        """Record ``command`` as done; the redo branch is dropped.

        With ``merge`` it is folded into the top command when that one accepts it
        (:meth:`Command.merged_with`), so a run of nudges undoes in one step.
        """
        if self._clean is not None and self._clean > len(self._done):
            self._clean = None  # the clean state was in the dropped redo branch
        self._undone.clear()
        merged = self._done[-1].merged_with(command) if merge and self._done else None
        if merged is None:
            self._done.append(command)
            return
        if self._clean == len(self._done):
            self._clean = None  # the clean state lay between the two merged steps
        self._done.pop()
        if not merged.is_noop:
            self._done.append(merged)

    def peek_undo(self) -> "Command | None":
        return self._done[-1] if self._done else None

    def peek_redo(self) -> "Command | None":
        return self._undone[-1] if self._undone else None

    def step_back(self) -> None:
        """The top command was undone."""
        self._undone.append(self._done.pop())

    def step_forward(self) -> None:
        """The next undone command was redone."""
        self._done.append(self._undone.pop())

    @property
    def is_clean(self) -> bool:
        return self._clean == len(self._done)

    def set_clean(self) -> None:
        self._clean = len(self._done)

    def __len__(self) -> int:
        return len(self._done)


#: Called after every change with the new state and the command applied (None on a reload).
Listener = Callable[[AnnotationState, "Command | None"], None]


class AnnotationDocument:
    """One annotation set being edited: its state, its undo stack, and its sink.

    Data flows one way: the view turns a finished gesture into a command and calls
    :meth:`execute`; the document checks the command against its rules, has the sink commit
    it, takes the committed state and tells every listener, which redraws. Listeners must not
    execute commands in response (a model-driven update is not a gesture).

    Parameters
    ----------
    state
        The set as loaded.
    sink
        Commits each command before the document changes (the store); None for a document
        kept in memory, whose clean marker then says whether it was saved.
    actor
        Annotator stamped on changes when there is no sink (the sink stamps its own user).
    """

    def __init__(self, state: AnnotationState, *, sink: CommandSink | None = None,
                 actor: str | None = None, clock: Callable[[], str] = utc_now) -> None:
        self._state = state
        self._sink = sink
        self._actor = actor
        self._clock = clock
        self._stack = UndoStack()
        self._listeners: list[Listener] = []

    @property
    def state(self) -> AnnotationState:
        return self._state

    @property
    def stack(self) -> UndoStack:
        return self._stack

    def execute(self, command: "Command", *, merge: bool = False) -> bool:
        """Apply, commit and push ``command``; False (nothing done) when it changes nothing."""
        if command.is_noop:
            return False
        self._run(command)
        self._stack.push(command, merge=merge)
        self._committed()
        return True

    def undo(self) -> "Command | None":
        """Undo the top command (its inverse is applied and committed); None when none is left."""
        command = self._stack.peek_undo()
        if command is None:
            return None
        self._run(command.inverted())
        self._stack.step_back()
        self._committed()
        return command

    def redo(self) -> "Command | None":
        """Redo the last undone command; None when there is none."""
        command = self._stack.peek_redo()
        if command is None:
            return None
        self._run(command)
        self._stack.step_forward()
        self._committed()
        return command

    @property
    def can_undo(self) -> bool:
        return self._stack.peek_undo() is not None

    @property
    def can_redo(self) -> bool:
        return self._stack.peek_redo() is not None

    @property
    def undo_text(self) -> str:
        command = self._stack.peek_undo()
        return command.describe() if command else ""

    @property
    def redo_text(self) -> str:
        command = self._stack.peek_redo()
        return command.describe() if command else ""

    @property
    def is_clean(self) -> bool:
        """True when nothing is unsaved: always after a commit when there is a sink."""
        return self._stack.is_clean

    def set_clean(self) -> None:
        """Mark the current state as saved (a document without a sink calls this after saving)."""
        self._stack.set_clean()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(state, command)`` after every change; returns the unsubscribe call.

        ``command`` is the one applied (the inverse on undo), None when the state was reloaded.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def reload(self, state: AnnotationState) -> None:
        """Show ``state`` (fresh from the store after another workstation's edit).

        The undo stack is kept: undoing a step another workstation has since overridden
        raises a ConflictError rather than overwriting its work.
        """
        self._state = state
        for listener in list(self._listeners):
            listener(state, None)

    def _run(self, command: "Command") -> None:
        # the rules are checked on the local state first: a refused edit never reaches the store
        state = command.apply(self._state, Stamp(self._actor, self._clock()))
        if self._sink is not None:
            state = self._state.merge(self._sink.commit(command), command.scope())
        self._state = state
        for listener in list(self._listeners):
            listener(state, command)

    def _committed(self) -> None:
        if self._sink is not None:
            self._stack.set_clean()  # the sink committed it: nothing is left unsaved
