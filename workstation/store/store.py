"""The annotation store: one SQLite file (or a PostgreSQL server's database) holding records,
annotators, sets and their history.

:class:`AnnotationStore` is what the workstation talks to. Every change is one write
transaction holding both the new rows and the event that explains them, committed before the
call returns: there is no "save". Every failure of the file (damaged, foreign, read-only,
disk full) comes out as one :class:`~workstation.store.errors.StoreError` naming the file,
and leaves the store as it was.
"""

from __future__ import annotations

import contextlib
import functools
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, ParamSpec, TypeVar

from sqlite_utils import Database

from workstation.core.annotation import (AnnotationState, Label, SetStatus, Stamp, model_tag,
                                         utc_now)
from workstation.core.commands import Command, command_to_dict
from workstation.core.delineation import Delineation
from workstation.core.record import ECGRecord
from workstation.store import cache, identity, sets
from workstation.store.connection import open_database, write_transaction
from workstation.store.errors import (DATABASE_ERRORS, IdentityError, SetLockedError, StoreError,
                                      store_error)
from workstation.store.events import EventKind, append_event, chain_head
from workstation.store.identity import Annotator, Role
from workstation.store.location import ServerUrl, StoreLocation, parse_location
from workstation.store.rebuild import content_payload, rebuild, waves_payload
from workstation.store.records import RecordInfo, record_info
from workstation.store.sets import SetInfo, WaveTable

P = ParamSpec("P")
T = TypeVar("T")
_ANNOTATOR_ID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


def _guarded(method: Callable[P, T]) -> Callable[P, T]:
    """Turn a database or OS error inside a store method into a StoreError naming the store."""
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            raise store_error(args[0].path, exc) from exc  # type: ignore[attr-defined]
    return wrapper


@dataclass(frozen=True)
class SignatureCheck:
    """Whether a submitted set's signature holds, and who signed it."""

    set_id: int
    annotator_id: str | None
    valid: bool
    reason: str


class AnnotationStore:
    """An open store file. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, db: Database, path: StoreLocation,
                 clock: Callable[[], str] = utc_now) -> None:
        self._db = db
        self.path = path
        self._clock = clock
        self._user: Annotator | None = None

    @classmethod
    def open(cls, path: Path | str | ServerUrl, *,
             clock: Callable[[], str] = utc_now) -> "AnnotationStore":
        """Open (or create) the store at ``path``, a file or a ``postgresql://`` URL;
        StoreError naming it when it cannot."""
        location = parse_location(path)
        if isinstance(location, ServerUrl):
            from workstation.store.server import open_server

            return cls(open_server(location), location, clock)  # type: ignore[arg-type]
        return cls(open_database(location), location, clock)

    @contextlib.contextmanager
    def clock_fixed_at(self, at: str) -> Iterator[None]:
        """Stamp every change made inside with ``at`` (an event synchronised from another
        store keeps the time it was made)."""
        clock = self._clock
        self._clock = lambda: at
        try:
            yield
        finally:
            self._clock = clock

    @property
    def on_server(self) -> bool:
        return isinstance(self.path, ServerUrl)

    def _new_set_id(self) -> int | None:
        """None (the next id) for a store of its own; a random id in [2**30, 2**31) for a
        local store that synchronises with a server, so that sets made offline never take
        an id the server gives out (its ids count up from 1)."""
        if self.on_server:
            return None
        follows = self._db.execute("SELECT count(*) FROM sync_remote").fetchone()[0]
        return secrets.randbelow(2**30) + 2**30 if follows else None

    def integrity(self) -> list[str]:
        """The engine's own check of its files: SQLite's ``integrity_check`` (["ok"] when
        sound); a server keeps its own checks, and answers ["ok"]."""
        if self.on_server:
            return ["ok"]
        return [r[0] for r in self._db.execute("PRAGMA integrity_check").fetchall()]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "AnnotationStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- identity ------------------------------------------------------------------------------

    @_guarded
    def add_annotator(self, annotator_id: str, name: str, role: Role = Role.ANNOTATOR) -> Annotator:
        """Create a profile and its signing secret in this computer's keyring (kept if present)."""
        if not _ANNOTATOR_ID.fullmatch(annotator_id):
            raise IdentityError(self.path, f"annotator id {annotator_id!r}: use 1-64 letters, "
                                           "digits, '.', '_', '@' or '-'")
        secret = identity.ensure_secret(self.path, annotator_id)
        person = Annotator(annotator_id, name, role, identity.key_fingerprint(secret), self._clock())
        with write_transaction(self._db):
            if self._annotator_row(annotator_id) is not None:
                raise IdentityError(self.path, f"annotator {annotator_id} already exists")
            self._db.execute("INSERT INTO annotators (id, name, role, key_id, created_at) "
                             "VALUES (?, ?, ?, ?, ?)", [person.id, person.name, role.value,
                                                        person.key_id, person.created_at])
            append_event(self._db, EventKind.ANNOTATOR_ADDED, person.created_at,
                         {"id": person.id, "name": name, "role": role.value,
                          "key_id": person.key_id}, annotator_id=self._user_id())
        return person

    @_guarded
    def annotators(self) -> list[Annotator]:
        rows = self._db.execute("SELECT id, name, role, key_id, created_at FROM annotators "
                                "ORDER BY id").fetchall()
        return [Annotator(r[0], r[1], Role(r[2]), r[3], r[4]) for r in rows]

    @_guarded
    def annotator(self, annotator_id: str) -> Annotator:
        row = self._annotator_row(annotator_id)
        if row is None:
            raise IdentityError(self.path, f"no annotator {annotator_id!r} in this store")
        return Annotator(row[0], row[1], Role(row[2]), row[3], row[4])

    def switch_user(self, annotator_id: str) -> Annotator:
        """Make ``annotator_id`` the current user: every later change is theirs.

        Refused (IdentityError) when the profile is unknown or this computer's keyring does
        not hold the secret the profile was created with: that user could not sign.
        """
        person = self.annotator(annotator_id)
        secret = identity.read_secret(self.path, annotator_id)
        if identity.key_fingerprint(secret) != person.key_id:
            raise IdentityError(self.path, f"the keyring holds a different signing secret for "
                                           f"{annotator_id} than the one the profile was made with")
        self._user = person
        return person

    @property
    def current_user(self) -> Annotator | None:
        return self._user

    def _user_id(self) -> str | None:
        return self._user.id if self._user else None

    def _require_user(self) -> Annotator:
        if self._user is None:
            raise IdentityError(self.path, "no current user: switch to an annotator first")
        return self._user

    def _annotator_row(self, annotator_id: str) -> tuple | None:
        return self._db.execute("SELECT id, name, role, key_id, created_at FROM annotators "
                                "WHERE id = ?", [annotator_id]).fetchone()

    # -- records and sets ----------------------------------------------------------------------

    @_guarded
    def add_record(self, record: ECGRecord | RecordInfo) -> RecordInfo:
        """Register a record (by the hash of its signal; nothing about the patient); idempotent."""
        info = record if isinstance(record, RecordInfo) else record_info(record)
        at = self._clock()
        with write_transaction(self._db):
            if sets.insert_record(self._db, info, at):
                append_event(self._db, EventKind.RECORD_ADDED, at,
                             {"format": info.format, "fs": info.fs, "leads": list(info.leads),
                              "n_samples": info.n_samples, "source_name": info.source_name},
                             annotator_id=self._user_id(), record_id=info.id)
        return info

    @_guarded
    def record(self, record_id: str) -> RecordInfo:
        info = sets.get_record(self._db, record_id)
        if info is None:
            raise StoreError(self.path, f"no record {record_id} in this store")
        return info

    @_guarded
    def records(self) -> list[RecordInfo]:
        """Every record of the store, by file name."""
        return sets.all_records(self._db)

    def find_record(self, name: str) -> RecordInfo:
        """The record ``name`` designates: its id, a unique start of it (6 characters or more),
        its file name ("1.hea") or the file's stem ("1"); StoreError when none or several match.
        """
        every = self.records()
        text = name.strip()
        stem = Path(text).stem if "." in text else text
        rules = (lambda r: r.id == text.lower(),
                 lambda r: len(text) >= 6 and r.id.startswith(text.lower()),
                 lambda r: r.source_name == Path(text).name,
                 lambda r: Path(r.source_name).stem == stem)
        for rule in rules:
            found = [r for r in every if rule(r)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                listed = "; ".join(f"{r.id[:12]} ({r.source_name}, {r.format})" for r in found[:8])
                raise StoreError(self.path, f"{name!r} names {len(found)} records: {listed}; "
                                            "give more of the id")
        raise StoreError(self.path, f"no record {name} in this store (give its id, a start of "
                                    "it, its file name or its stem)")

    @_guarded
    def add_proposal(self, record_id: str, delineation: Delineation) -> SetInfo:
        """Store a model's delineation as an immutable proposal set (once per model version)."""
        info = self.record(record_id)
        if delineation.fs != info.fs or not set(delineation.lead_names) <= set(info.leads):
            raise StoreError(self.path, f"the delineation ({delineation.fs:g} Hz) does not fit "
                                        f"record {record_id} ({info.fs:g} Hz, {len(info.leads)} leads)")
        model = model_tag(delineation.model_name, delineation.model_version)
        state = AnnotationState.from_proposal(replace(delineation, lead_names=info.leads),
                                              info.n_samples)
        return self.store_proposal(record_id, model, state)

    @_guarded
    def store_proposal(self, record_id: str, model: str, state: AnnotationState, *,
                       set_id: int | None = None) -> SetInfo:
        """Store a proposal's waves (``state``) as ``model``'s set (once per record and model)."""
        with write_transaction(self._db):
            existing = sets.find_set(self._db, record_id, model=model)
            if existing is not None:
                return existing
            new = SetInfo(0, record_id, None, model, None, SetStatus.SUBMITTED, False, False,
                          self._clock())
            set_id = sets.insert_set(self._db, new, set_id or self._new_set_id())
            sets.insert_waves(self._db, set_id, state.waves.values())
            self._log_creation(new, set_id, state, waves_payload(model, state.waves.values()))
            sets.keep_packed(self._db, set_id)
        return replace(new, id=set_id)

    @_guarded
    def open_set(self, record_id: str, *, blind: bool = False, hide_proposal: bool = False,
                 proposal_set_id: int | None = None, set_id: int | None = None) -> SetInfo:
        """The current user's set on a record, created on first opening.

        A new set starts from the record's latest model proposal (or ``proposal_set_id``),
        unless ``hide_proposal``; ``blind`` and ``hide_proposal`` are stored with it and keep
        their first values. ``set_id`` is the id a new set takes (a set made offline keeps
        its id on the server).
        """
        user = self._require_user()
        info = self.record(record_id)
        with write_transaction(self._db):
            existing = sets.find_set(self._db, record_id, annotator_id=user.id)
            if existing is not None:
                return existing
            proposal = None if hide_proposal else self._proposal(record_id, proposal_set_id)
            new = SetInfo(0, record_id, user.id, None, proposal.id if proposal else None,
                          SetStatus.DRAFT, blind or hide_proposal, hide_proposal, self._clock())
            set_id = sets.insert_set(self._db, new, set_id or self._new_set_id())
            if proposal is not None:
                sets.copy_waves(self._db, proposal.id, set_id)
            state = AnnotationState(info.fs, info.leads, info.n_samples)
            self._log_creation(new, set_id, state, None)
        return replace(new, id=set_id)

    def _proposal(self, record_id: str, proposal_set_id: int | None) -> SetInfo | None:
        if proposal_set_id is None:
            return sets.latest_proposal(self._db, record_id)
        chosen = sets.get_set(self._db, proposal_set_id)
        if chosen is None or not chosen.is_proposal or chosen.record_id != record_id:
            raise StoreError(self.path, f"set {proposal_set_id} is not a proposal for {record_id}")
        return chosen

    def _log_creation(self, new: SetInfo, set_id: int, state: AnnotationState,
                      proposal: dict | None, extra: dict | None = None) -> None:
        payload = {"record": new.record_id, "annotator": new.annotator_id, "model": new.model,
                   "from_set": new.proposal_set_id, "status": new.status.value,
                   "blind": new.blind, "hide_proposal": new.hide_proposal, "fs": state.fs,
                   "lead_names": list(state.lead_names), "n_samples": state.n_samples}
        if proposal is not None:
            payload["proposal"] = proposal
        payload.update(extra or {})
        append_event(self._db, EventKind.SET_CREATED, new.created_at, payload,
                     annotator_id=self._user_id(), record_id=new.record_id, set_id=set_id)

    @_guarded
    def import_set(self, record_id: str, state: AnnotationState, *, origin: dict,
                   set_id: int | None = None) -> SetInfo:
        """Add the current user's set on a record holding ``state`` as it is, signed and submitted.

        For content made elsewhere: another tool's annotation files read in as an annotator's
        submission, or an adjudicator's consensus (submitted as adjudicated). ``origin`` (plain
        JSON: the source folder, or every adjudication decision with its rationale) is kept in
        the set's creation event, so the hash chain and the signature cover it. Refused
        (StoreError) when the user already has a set on the record.
        """
        user = self._require_user()
        info = self.record(record_id)
        if state.fs != info.fs or state.n_samples != info.n_samples \
                or not set(state.lead_names) <= set(info.leads):
            raise StoreError(self.path, f"the annotations ({state.fs:g} Hz, {state.n_samples} "
                                        f"samples) do not fit record {record_id}")
        with write_transaction(self._db):
            if sets.find_set(self._db, record_id, annotator_id=user.id) is not None:
                raise StoreError(self.path, f"{user.id} already has a set on record {record_id}")
            new = SetInfo(0, record_id, user.id, None, None, SetStatus.DRAFT, False, True,
                          self._clock())
            set_id = sets.insert_set(self._db, new, set_id or self._new_set_id())
            empty = AnnotationState(info.fs, info.leads, info.n_samples)
            sets.write_changes(self._db, set_id, empty, replace(state, lead_names=info.leads),
                               {}, user.id, new.created_at)
            self._log_creation(new, set_id, empty, None,
                               {"content": content_payload(state), "origin": origin})
        return self.submit(set_id)

    @_guarded
    def find_sets(self, *, annotator_id: str | None = None, model: str | None = None,
             status: SetStatus | None = None) -> list[SetInfo]:
        """Every set in the store (of one annotator, model or status when given), by id."""
        return sets.all_sets(self._db, annotator_id=annotator_id, model=model, status=status)

    @_guarded
    def wave_table(self, set_ids: list[int]) -> WaveTable:
        """The waves of many sets as columns (for agreement over thousands of records).

        Sets read for the first time are packed into the set cache on the way, so the next
        reading costs a blob per set instead of a row per wave.
        """
        table, fresh = sets.wave_table(self._db, set_ids)
        cache.write(self._db, sets.PACKED_WAVES, fresh, table.heads)
        return table

    @_guarded
    def cached(self, name: str, set_ids: list[int]) -> dict[int, bytes]:
        """Derived data kept for these sets under ``name`` (see :mod:`workstation.store.cache`)."""
        return cache.read(self._db, name, set_ids)

    @_guarded
    def keep_cached(self, name: str, entries: dict[int, bytes], read_heads: dict[int, int]) -> int:
        """Keep derived data of sets unchanged since ``read_heads`` (a :class:`WaveTable`'s
        ``heads``); returns how many were kept (0 when the store cannot be written now)."""
        return cache.write(self._db, name, entries, read_heads)

    @_guarded
    def labels_of_sets(self, set_ids: list[int]) -> dict[int, frozenset[Label]]:
        """The labels of many sets at once (sets without labels are left out)."""
        return sets.labels_of_sets(self._db, set_ids)

    @_guarded
    def set_info(self, set_id: int) -> SetInfo:
        info = sets.get_set(self._db, set_id)
        if info is None:
            raise StoreError(self.path, f"no annotation set {set_id} in this store")
        return info

    @_guarded
    def visible_sets(self, record_id: str) -> list[SetInfo]:
        """The record's sets the current user may see.

        An adjudicator sees every set. An annotator whose own set on the record is blind sees
        only that set and, unless it hides the proposal, the model's; otherwise every set.
        """
        user = self._require_user()
        every = sets.sets_of_record(self._db, record_id)
        own = next((s for s in every if s.annotator_id == user.id), None)
        if user.role is Role.ADJUDICATOR or own is None or not own.blind:
            return every
        return [s for s in every if s.id == own.id or (s.is_proposal and not own.hide_proposal)]

    @_guarded
    def load(self, set_id: int) -> AnnotationState:
        """A set's current content (from the materialised tables: one indexed range scan)."""
        self.set_info(set_id)
        return sets.load_state(self._db, set_id)[0]

    @_guarded
    def proposal_of(self, set_id: int) -> tuple[SetInfo, AnnotationState] | None:
        """The proposal a set started from (None when it has none or hides it)."""
        info = self.set_info(set_id)
        if info.proposal_set_id is None or info.hide_proposal:
            return None
        return self.set_info(info.proposal_set_id), self.load(info.proposal_set_id)

    @_guarded
    def wave_versions(self, set_id: int) -> dict[str, int]:
        return sets.wave_versions(self._db, set_id)

    # -- edits -----------------------------------------------------------------------------------

    @_guarded
    def apply(self, set_id: int, command: Command) -> AnnotationState:
        """Apply and commit one command; return the set restricted to the command's scope.

        The command is checked against the rows as they are now, inside the write lock:
        when another workstation changed its ``old`` value first, ConflictError is raised and
        nothing is written.
        """
        user = self._require_user()
        with write_transaction(self._db):
            at = self._clock()  # under the lock: event times follow event order
            info = self._editable(set_id, user)
            before, versions = sets.load_state(self._db, set_id, command.scope())
            after = command.apply(before, Stamp(user.id, at))
            sets.write_changes(self._db, set_id, before, after, versions, user.id, at)
            append_event(self._db, EventKind.COMMAND, at,
                         {"command": command_to_dict(command)}, annotator_id=user.id,
                         record_id=info.record_id, set_id=set_id)
        return after

    def _editable(self, set_id: int, user: Annotator) -> SetInfo:
        info = self.set_info(set_id)
        if info.is_proposal:
            raise SetLockedError(self.path, f"set {set_id} is {info.model}'s proposal: it never changes")
        if info.annotator_id != user.id:
            raise SetLockedError(self.path, f"set {set_id} belongs to {info.annotator_id}; "
                                            f"the current user is {user.id}")
        if info.status is not SetStatus.DRAFT:
            raise SetLockedError(self.path, f"set {set_id} is {info.status.value}; reopen it to edit")
        return info

    @_guarded
    def submit(self, set_id: int) -> SetInfo:
        """Sign and submit the current user's set (an adjudicator's becomes adjudicated)."""
        user = self._require_user()
        secret = identity.read_secret(self.path, user.id)  # before the lock: a keyring may prompt
        status = SetStatus.ADJUDICATED if user.role is Role.ADJUDICATOR else SetStatus.SUBMITTED
        at = self._clock()
        with write_transaction(self._db):
            info = self._editable(set_id, user)
            state, _ = sets.load_state(self._db, set_id)
            head = chain_head(self._db)
            message = identity.signed_message(set_id, info.record_id, user.id, status.value,
                                              state, head)
            signature = identity.sign(secret, message)
            sets.update_status(self._db, set_id, status, submitted_at=at, signature=signature,
                               signed_head=head)
            append_event(self._db, EventKind.SUBMITTED, at,
                         {"status": status.value, "signature": signature, "signed_head": head,
                          "key_id": user.key_id},
                         annotator_id=user.id, record_id=info.record_id, set_id=set_id)
            sets.keep_packed(self._db, set_id)
        return self.set_info(set_id)

    @_guarded
    def reopen(self, set_id: int) -> SetInfo:
        """Make a submitted set a draft again (its author or an adjudicator); the signature goes."""
        user = self._require_user()
        at = self._clock()
        with write_transaction(self._db):
            info = self.set_info(set_id)
            if info.is_proposal or info.status is SetStatus.DRAFT:
                raise SetLockedError(self.path, f"set {set_id} is not a submitted annotator's set")
            if info.annotator_id != user.id and user.role is not Role.ADJUDICATOR:
                raise SetLockedError(self.path, f"only {info.annotator_id} or an adjudicator "
                                                f"may reopen set {set_id}")
            sets.update_status(self._db, set_id, SetStatus.DRAFT, submitted_at=None,
                               signature=None, signed_head=None)
            append_event(self._db, EventKind.REOPENED, at, {}, annotator_id=user.id,
                         record_id=info.record_id, set_id=set_id)
        return self.set_info(set_id)

    @_guarded
    def verify_signature(self, set_id: int) -> SignatureCheck:
        """Check a submitted set's signature with its author's secret from this keyring."""
        info = self.set_info(set_id)
        if info.signature is None or info.annotator_id is None or info.signed_head is None:
            return SignatureCheck(set_id, info.annotator_id, False, "the set is not signed")
        author = self.annotator(info.annotator_id)
        secret = identity.read_secret(self.path, author.id)
        if identity.key_fingerprint(secret) != author.key_id:
            return SignatureCheck(set_id, author.id, False,
                                  "this keyring's secret is not the one the profile was made with")
        state, _ = sets.load_state(self._db, set_id)
        message = identity.signed_message(set_id, info.record_id, author.id, info.status.value,
                                          state, info.signed_head)
        if not identity.signature_matches(secret, message, info.signature):
            return SignatureCheck(set_id, author.id, False,
                                  "the signature does not match the set's content or history")
        return SignatureCheck(set_id, author.id, True, f"signed by {author.id} ({author.name})")

    # -- history ---------------------------------------------------------------------------------

    @_guarded
    def rebuild(self, set_id: int) -> AnnotationState:
        """The set's content replayed from the event log alone (equals :meth:`load`)."""
        self.set_info(set_id)
        return rebuild(self._db, set_id)

    def open_session(self, record_id: str, *, blind: bool = False,
                     hide_proposal: bool = False) -> "EditingSession":
        """Open the current user's set on a record for editing (see :meth:`open_set`)."""
        info = self.open_set(record_id, blind=blind, hide_proposal=hide_proposal)
        return EditingSession(self, info.id)

    @property
    def database(self) -> Database:
        """The sqlite-utils Database, for this package's audit module only."""
        return self._db


from workstation.store.session import EditingSession  # noqa: E402  (it needs AnnotationStore)
