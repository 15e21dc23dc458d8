"""The open record's annotation set, as the window edits it: store, user, session, errors.

:class:`Corrections` owns the annotation store file, the current annotator and one
:class:`~workstation.store.EditingSession` per record opened in this window. The window
asks it for the state to draw and sends it every finished gesture as a command; it commits
the command (or says why not) and tells the window to redraw. There is no save: every edit is
in the store when :meth:`execute` returns True.

When the store cannot be opened (damaged, foreign, read-only folder) the window stays usable:
edits are kept in memory, the window title marks them unsaved, the panel says why, and on
closing the user is offered to write them elsewhere. Nothing is lost silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore

from workstation.core.annotation import AnnotationDocument, AnnotationState, SetStatus
from workstation.core.commands import AcceptProposal, Command, CommandError, ConflictError
from workstation.core.delineation import Delineation, write_json, write_wfdb_annotations
from workstation.core.record import ECGRecord
from workstation.store import (AnnotationStore, Annotator, EditingSession, IdentityError, Role,
                               SetInfo, SetLockedError, StoreError)
from workstation.store.location import LocationError, StoreLocation, parse_location
from workstation.store.sync import open_store_or_replica

log = logging.getLogger(__name__)

STORE_FILE_NAME = "annotations.sqlite"
SETTINGS_STORE = "store/path"
SETTINGS_USER = "user/name"
SETTINGS_BLIND = "annotate/blind"
SETTINGS_HIDE_PROPOSAL = "annotate/hide_proposal"


def default_store_path() -> Path:
    """Where the annotation store lives unless the preferences say otherwise."""
    base = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".ecg-workstation") / STORE_FILE_NAME


#: Records with more values than this are identified (hashed) only once delineated.
HASH_AT_OPEN_MAX_VALUES = 5_000_000


def _is_long(record: ECGRecord) -> bool:
    return record.n_samples * len(record.leads) > HASH_AT_OPEN_MAX_VALUES


def settings_store_path(settings: QtCore.QSettings) -> StoreLocation:
    """The store the preferences name: a file, or a ``postgresql://`` URL (without password)."""
    value = settings.value(SETTINGS_STORE, "")
    try:
        return parse_location(str(value)) if value else default_store_path()
    except LocationError as exc:
        log.warning("preferences name an unusable store: %s", exc)
        return default_store_path()


@dataclass
class _Open:
    """What the window holds for one record."""

    record: ECGRecord
    record_id: str | None = None
    proposal: Delineation | None = None
    session: EditingSession | None = None
    memory: AnnotationDocument | None = None  # used only when the store cannot be
    memory_proposal: AnnotationState | None = None
    start: AnnotationState | None = None  # what the user's set will start from (cached)


class Corrections(QtCore.QObject):
    """The current record's annotation set and everything needed to edit it safely.

    Parameters
    ----------
    store_path
        The store file (created when absent).
    user
        The annotator to sign in as (an id in the store), or None: read-only until one is chosen.
    """

    changed = QtCore.Signal()  # the set, its status or the user changed: redraw
    problem = QtCore.Signal(str)  # something the user must read (an edit was refused or not saved)

    def __init__(self, store_path: Path, user: str | None = None,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.store: AnnotationStore | None = None
        self.store_path = parse_location(store_path)
        self.store_error: str | None = None
        self.offline_note: str | None = None  # working on a local copy of an unreachable server
        self.blind = False
        self.hide_proposal = False
        self._open: _Open | None = None
        self._sessions: dict[str, EditingSession] = {}
        self.open_store(self.store_path)
        if user and self.store is not None:
            self.switch_user(user, quiet=True)

    # -- the store and the user ---------------------------------------------------------------
    def open_store(self, path: StoreLocation) -> bool:
        """Use the store at ``path`` (a file or a server's URL; when the server cannot be
        reached, this computer's local store following it, if there is one); on failure keep
        working in memory and say why."""
        if self.store is not None:
            self.store.close()
        self.store, self.store_path, self._sessions = None, parse_location(path), {}
        try:
            if isinstance(self.store_path, Path):
                self.store_path.parent.mkdir(parents=True, exist_ok=True)
            self.store, self.offline_note = open_store_or_replica(self.store_path)
            self.store.annotators()  # reads the schema: a foreign file fails here, not mid-edit
            self.store_error = None
        except (StoreError, OSError) as exc:
            self.store = None
            self.store_error = str(exc)
            log.warning("annotation store unavailable: %s", exc)
        if self._open is not None:
            self._open.session = None
            self._attach_current()
        self.changed.emit()
        return self.store is not None

    def set_modes(self, *, blind: bool, hide_proposal: bool) -> None:
        """Blind / hidden-proposal labelling for sets created from now on."""
        if (blind, hide_proposal) == (self.blind, self.hide_proposal):
            return
        self.blind, self.hide_proposal = blind, hide_proposal
        if self._open is not None and self._open.session is None:
            self._open.start = None
            self.changed.emit()

    @property
    def user(self) -> Annotator | None:
        return self.store.current_user if self.store is not None else None

    def annotators(self) -> list[Annotator]:
        return self.store.annotators() if self.store is not None else []

    def switch_user(self, annotator_id: str, *, quiet: bool = False) -> bool:
        """Sign in as ``annotator_id``: later edits are theirs. Explicit; refused without their secret."""
        if self.store is None:
            self.problem.emit(f"Cannot sign in: {self.store_error}")
            return False
        try:
            self.store.switch_user(annotator_id)
        except StoreError as exc:
            if not quiet:
                self.problem.emit(f"Cannot sign in as {annotator_id}: {exc.problem}")
            return False
        self._sessions = {}
        if self._open is not None:
            self._open.session = None
            self._open.start = None
            self._attach_current()
        self.changed.emit()
        return True

    def create_user(self, annotator_id: str, name: str, role: Role) -> bool:
        """Create a profile (its signing secret goes to the keyring) and sign in as it."""
        if self.store is None:
            self.problem.emit(f"Cannot create a profile: {self.store_error}")
            return False
        try:
            self.store.add_annotator(annotator_id, name, role)
        except StoreError as exc:
            self.problem.emit(f"Cannot create profile {annotator_id}: {exc.problem}")
            return False
        return self.switch_user(annotator_id)

    # -- the record --------------------------------------------------------------------------
    def attach(self, record: ECGRecord, proposal: Delineation | None = None) -> None:
        """Show ``record``'s set: the user's own if there is one, else from ``proposal``.

        Called when a record opens (``proposal`` None: an existing set is shown at once) and
        again when the model's delineation arrives (stored as an immutable proposal).
        """
        current = self._open
        if current is None or current.record is not record:
            current = self._open = _Open(record)
        if proposal is not None:
            current.proposal = proposal
            current.start = None
        self._attach_current()
        self.changed.emit()

    def detach(self) -> None:
        self._open = None
        self.changed.emit()

    def _attach_current(self) -> None:
        current = self._open
        assert current is not None
        if self.store is None:
            self._attach_in_memory(current)
            return
        if current.record_id is None and current.proposal is None and _is_long(current.record):
            return  # hashing a long recording waits until its delineation is in
        try:
            if current.record_id is None:
                current.record_id = self.store.add_record(current.record).id
            if current.proposal is not None:
                self.store.add_proposal(current.record_id, current.proposal)
            if self.user is None or current.session is not None:
                return
            existing = self._sessions.get(current.record_id)
            if existing is None and self._own_set(current.record_id):
                existing = self.store.open_session(current.record_id)
            if existing is not None:
                self._sessions[current.record_id] = existing
                current.session = existing
            # otherwise the set is created with the first edit: viewing a record leaves no trace
        except StoreError as exc:
            self.problem.emit(f"The annotation store cannot be used: {exc}")

    def _ensure_session(self) -> bool:
        """Create the user's set on the open record (at its first edit); False when it cannot be."""
        current = self._open
        if current is None or current.session is not None or current.memory is not None:
            return current is not None
        if self.store is None or self.user is None or current.record_id is None:
            return False
        try:
            session = self.store.open_session(current.record_id, blind=self.blind,
                                              hide_proposal=self.hide_proposal)
        except StoreError as exc:
            self.problem.emit(f"Not saved, and not applied: {exc}")
            return False
        self._sessions[current.record_id] = session
        current.session = session
        return True

    def _own_set(self, record_id: str) -> bool:
        assert self.store is not None and self.user is not None
        return any(s.annotator_id == self.user.id for s in self.store.visible_sets(record_id))

    def _attach_in_memory(self, current: _Open) -> None:
        if current.memory is not None or current.proposal is None:
            return
        proposal = AnnotationState.from_proposal(current.proposal, current.record.n_samples)
        current.memory_proposal = proposal
        start = AnnotationState(proposal.fs, proposal.lead_names, proposal.n_samples) \
            if self.hide_proposal else proposal
        current.memory = AnnotationDocument(start, actor="unsaved")
        current.memory.set_clean()

    # -- what the window shows ------------------------------------------------------------------
    @property
    def document(self) -> AnnotationDocument | None:
        current = self._open
        if current is None:
            return None
        if current.session is not None:
            return current.session.document
        return current.memory

    @property
    def state(self) -> AnnotationState | None:
        """What is drawn and what edits apply to: the user's set, or what it will start from.

        Before the user's first edit on a record that is the model's proposal (or, with the
        proposal hidden, an empty set); without a user, the proposal, read-only.
        """
        document = self.document
        if document is not None:
            return document.state
        current = self._open
        if current is None:
            return None
        if current.start is None:
            record = current.record
            if self.hide_proposal:
                if self.user is not None:
                    current.start = AnnotationState(record.fs, record.lead_names, record.n_samples)
            elif current.proposal is not None:
                current.start = AnnotationState.from_proposal(current.proposal, record.n_samples)
        return current.start

    shown_state = state

    @property
    def record(self) -> ECGRecord | None:
        """The record whose corrections are held (None: none attached)."""
        return self._open.record if self._open is not None else None

    @property
    def proposal(self) -> Delineation | None:
        """The model's proposal on the open record (None: none yet)."""
        return self._open.proposal if self._open is not None else None

    @property
    def record_id(self) -> str | None:
        """The open record's id in the store (its content hash), once known."""
        return self._open.record_id if self._open is not None else None

    @property
    def set_info(self) -> SetInfo | None:
        current = self._open
        if current is None or current.session is None:
            return None
        try:
            return current.session.info
        except StoreError:
            return None

    @property
    def editable(self) -> bool:
        """Whether gestures may change the set now (a user's draft, or the in-memory copy).

        A signed-in user with no set on the record yet may edit: the set is made at the first edit.
        """
        current = self._open
        if current is None:
            return False
        if current.memory is not None:
            return True
        if current.session is None:
            return (self.store is not None and self.user is not None and current.record_id is not None
                    and (current.proposal is not None or self.hide_proposal))
        info = self.set_info
        return info is not None and info.status is SetStatus.DRAFT

    @property
    def saved(self) -> bool:
        """False while edits exist only in memory (the store could not take them)."""
        document = self.document
        return document is None or document.is_clean

    def display_delineation(self) -> Delineation | None:
        """The waves to draw: the user's set when open, else the model's proposal.

        With the proposal hidden (blind labelling) the model's waves are never returned.
        """
        current = self._open
        if current is None:
            return None
        document = self.document
        if document is None:  # nothing edited yet: the model's own output (or nothing, hidden)
            state = self.state
            if self.hide_proposal:
                return state.to_delineation("annotation", "") if state is not None else None
            return current.proposal
        who = self.user.id if self.user is not None else "this window (not saved)"
        return document.state.to_delineation(f"annotation by {who}", "")

    def status_text(self) -> str:
        """One line for the panel and the status bar: where edits go, whose, in which state."""
        if self.store is None:
            return f"NOT SAVED - edits are kept in memory only: {self.store_error}"
        if self.user is None:
            return "Read-only: sign in (Annotate > Switch user) to correct boundaries"
        info = self.set_info
        if info is None:
            mode = " (blind" + (", model hidden)" if self.hide_proposal else ")") if self.blind else ""
            return (f"Signed in as {self.user.name} ({self.user.id}); your set on this record "
                    f"starts with your first edit{mode}")
        mode = " · blind" if info.blind else ""
        mode += " · model hidden" if info.hide_proposal else ""
        offline = f" · {self.offline_note}" if self.offline_note else ""
        return (f"{info.status.value.capitalize()} set {info.id} of {self.user.id}{mode} · "
                f"every edit saved to {self.store_path.name}{offline}")

    # -- edits -----------------------------------------------------------------------------------
    def execute(self, command: Command, merge: bool = False) -> bool:
        """Commit ``command``; False (and a message) when it was refused or could not be saved."""
        if not self.editable:
            self.explain_read_only()
            return False
        if not self._ensure_session():
            return False
        document = self.document
        if document is None:
            self.problem.emit("Nothing to edit: the record has no annotation set yet")
            return False
        return self._guard(lambda: document.execute(command, merge=merge))

    def undo(self) -> bool:
        document = self.document
        return document is not None and self._guard(lambda: document.undo() is not None)

    def redo(self) -> bool:
        document = self.document
        return document is not None and self._guard(lambda: document.redo() is not None)

    def accept_proposal(self, lead: str | None = None) -> bool:
        """Take the model's waves on ``lead`` (or every lead) and mark them accepted."""
        current = self._open
        if current is None or not self.editable or not self._ensure_session():
            self.explain_read_only()
            return False
        if current.session is not None:
            return self._guard(lambda: current.session.accept_proposal(lead))
        if current.memory is not None and current.memory_proposal is not None:
            assert current.proposal is not None
            command = AcceptProposal.of(current.memory.state, current.memory_proposal,
                                        current.proposal.model_name, lead)
            return self._guard(lambda: current.memory.execute(command))
        return False

    def submit(self) -> bool:
        """Sign and submit the user's set (an adjudicator's becomes adjudicated)."""
        current = self._open
        if current is None or not self._ensure_session() or current.session is None:
            self.explain_read_only()
            return False
        ok = self._guard(lambda: current.session.submit() is not None)
        self.changed.emit()
        return ok

    def reopen(self) -> bool:
        current = self._open
        if current is None or current.session is None or self.store is None:
            return False
        ok = self._guard(lambda: self.store.reopen(current.session.set_id) is not None)
        self.changed.emit()
        return ok

    def history(self) -> list:
        """The open record's history (audit entries), oldest first."""
        current = self._open
        if self.store is None or current is None or current.record_id is None:
            return []
        from workstation.store.audit import history

        return history(self.store, current.record_id)

    def save_unsaved(self, folder: Path) -> list[Path]:
        """Write in-memory edits to ``folder`` (JSON with confidences + LUDB-style WFDB files)."""
        current = self._open
        if current is None or current.memory is None:
            return []
        delineation = current.memory.state.to_delineation("annotation", "unsaved")
        stem = current.record.source.path.stem
        folder.mkdir(parents=True, exist_ok=True)
        paths = [write_json(delineation, folder / f"{stem}.delineation.json")]
        paths += write_wfdb_annotations(delineation, folder, stem)
        current.memory.set_clean()
        self.changed.emit()
        return paths

    def _guard(self, action) -> bool:  # noqa: ANN001 - a callable returning bool
        try:
            done = bool(action())
        except ConflictError as exc:
            self.problem.emit(f"Not applied: {exc}. The set has been reloaded with the other "
                              "workstation's change.")
            session = self._open.session if self._open is not None else None
            if session is not None:
                try:
                    session.refresh()
                except StoreError:
                    pass
            self.changed.emit()
            return False
        except SetLockedError as exc:
            self.problem.emit(f"Not applied: {exc.problem}")
            return False
        except StoreError as exc:
            self.problem.emit(f"Not saved, and not applied: {exc}")
            return False
        except CommandError as exc:
            self.problem.emit(f"Not applied: {exc}")
            return False
        self.changed.emit()
        return done

    def explain_read_only(self) -> None:
        if self.store is not None and self.user is None:
            self.problem.emit("Sign in first (Annotate > Switch user…): every correction is "
                              "attributed to its author.")
        elif self.set_info is not None and self.set_info.status is not SetStatus.DRAFT:
            self.problem.emit(f"This set is {self.set_info.status.value}; reopen it "
                              "(Annotate > Reopen for editing) to change it.")
        else:
            self.problem.emit("There is nothing to edit yet: delineate the record first (Ctrl+L).")

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


__all__ = ["Corrections", "IdentityError", "default_store_path", "settings_store_path"]
