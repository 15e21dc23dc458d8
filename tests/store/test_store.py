"""The annotation store on real SQLite files: sets, edits, history, identity, blind mode."""

from __future__ import annotations

import sqlite3

import keyring
import numpy as np
import pytest

from tests.store.conftest import first_wave, synthetic_delineation, synthetic_record
from workstation.core.annotation import Boundary, Label, LabelKind, LeadStatus, SetStatus
from workstation.core.commands import (AddWave, ChangeWaveType, DeleteWave, MarkLeadUnreadable,
                                       MoveBoundary, SetGlobalBoundary, SetLabels, SetNote)
from workstation.core.delineation import WaveKind
from workstation.core.record import ECGRecord, Lead, SourceInfo
from workstation.store import (KEYRING_SERVICE, AnnotationStore, IdentityError, SetLockedError,
                               StoreError, record_info)
from workstation.store.schema import MIGRATIONS


def test_schema_comes_from_migrations_and_is_not_reapplied(store, store_path):
    assert [m.name for m in MIGRATIONS.applied(store.database)] == ["0001_initial",
                                                                    "0002_set_cache",
                                                                    "0003_sync"]
    with AnnotationStore.open(store_path) as again:
        assert again.database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert again.database.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert len(MIGRATIONS.applied(again.database)) == 3


def test_an_annotator_set_starts_from_the_proposal(store):
    session = store.open_session("rec-1")
    assert len(session.state.waves) == 12 * 12 * 3
    assert all(a.provenance.model == "unet/1.0" for a in session.state.waves.values())
    assert session.info.proposal_set_id is not None and session.info.status is SetStatus.DRAFT
    assert store.open_set("rec-1").id == session.set_id  # one set per record and annotator


def test_edits_are_in_the_store_at_once_with_provenance(store, store_path):
    session = store.open_session("rec-1")
    wave = first_wave(session.state)
    session.execute(MoveBoundary.of(session.state, wave.id, Boundary.ONSET, wave.onset - 5))
    assert session.document.is_clean  # nothing left to save
    with AnnotationStore.open(store_path) as other:  # another connection sees it committed
        stored = other.load(session.set_id).waves[wave.id]
    assert stored.wave.onset == wave.onset - 5
    assert stored.provenance.annotator == "ann1" and stored.provenance.model == "unet/1.0"
    assert store.wave_versions(session.set_id)[wave.id] == 2


def test_rebuild_from_the_log_equals_the_tables(store):
    session = store.open_session("rec-1")
    state = session.state
    wave = first_wave(state)
    added = AddWave.new(WaveKind.P, "V3", 4700, 4720, 4750)
    for command in (MoveBoundary.of(state, wave.id, Boundary.PEAK, wave.peak + 2),
                    SetGlobalBoundary.of_beat(state, wave.id, Boundary.OFFSET, wave.offset + 4),
                    added, MarkLeadUnreadable.of(state, "aVL"),
                    SetLabels.of(state, {Label(LabelKind.RHYTHM, "sinus rhythm")}),
                    SetNote.of(state, "noisy V1")):
        session.execute(command)
    session.execute(ChangeWaveType.of(session.state, added.wave.id, WaveKind.T))
    session.execute(DeleteWave.of(session.state, session.state.waves_in("V6")[0].id))
    session.undo()
    session.undo()
    session.redo()
    session.accept_proposal("I")
    assert store.rebuild(session.set_id) == store.load(session.set_id) == session.state
    assert store.load(session.set_id).status_of("aVL") is LeadStatus.UNREADABLE


def test_proposals_and_submitted_sets_are_locked(store):
    proposal = store.open_set("rec-1").proposal_set_id
    wave = first_wave(store.load(proposal))
    with pytest.raises(SetLockedError, match="proposal"):
        store.apply(proposal, MoveBoundary(wave.id, Boundary.ONSET, wave.onset, wave.onset - 1))
    session = store.open_session("rec-1")
    session.submit()
    with pytest.raises(SetLockedError, match="submitted"):
        session.execute(SetNote.of(session.state, "late"))
    assert store.reopen(session.set_id).status is SetStatus.DRAFT
    assert session.execute(SetNote.of(session.state, "after reopening"))


def test_switching_user_is_explicit_and_sets_are_personal(store):
    session = store.open_session("rec-1")
    store.switch_user("ann2")
    with pytest.raises(SetLockedError, match="belongs to ann1"):
        session.execute(SetNote.of(session.state, "not mine"))
    other = store.open_session("rec-1")
    assert other.set_id != session.set_id and store.current_user.id == "ann2"
    with pytest.raises(IdentityError, match="no annotator"):
        store.switch_user("nobody")


def test_submission_is_signed_and_verifiable(store):
    session = store.open_session("rec-1")
    session.execute(SetNote.of(session.state, "done"))
    info = session.submit()
    assert info.status is SetStatus.SUBMITTED and info.signature
    check = store.verify_signature(session.set_id)
    assert check.valid and check.annotator_id == "ann1"
    # the content changed behind the store's back: the signature no longer holds
    store.database.execute("UPDATE notes SET text = 'edited' WHERE set_id = ?", [session.set_id])
    assert not store.verify_signature(session.set_id).valid


def test_an_adjudicators_submission_is_adjudicated(store):
    store.switch_user("adj")
    assert store.open_session("rec-1").submit().status is SetStatus.ADJUDICATED


def test_the_secret_lives_in_the_keyring_not_in_the_database(store, store_path, file_keyring):
    secret = keyring.get_password(KEYRING_SERVICE, "ann1")
    assert secret and len(secret) == 64
    store.close()
    assert secret.encode() not in store_path.read_bytes()
    keyring.delete_password(KEYRING_SERVICE, "ann1")
    with AnnotationStore.open(store_path) as again:
        with pytest.raises(IdentityError, match="no signing secret for ann1"):
            again.switch_user("ann1")
        keyring.set_password(KEYRING_SERVICE, "ann1", "ab" * 32)  # a different secret
        with pytest.raises(IdentityError, match="different signing secret"):
            again.switch_user("ann1")


def test_blind_sets_hide_other_annotators_and_optionally_the_proposal(store):
    store.switch_user("ann2")
    store.open_set("rec-1")  # ann2 works openly
    store.switch_user("ann1")
    own = store.open_set("rec-1", blind=True)
    visible = store.visible_sets("rec-1")
    assert {s.id for s in visible} == {own.id, own.proposal_set_id}
    store.switch_user("ann2")
    assert len(store.visible_sets("rec-1")) == 3  # not blind: sees everything
    store.add_annotator("ann3", "Annotator Three")
    store.switch_user("ann3")
    session = store.open_session("rec-1", hide_proposal=True)
    assert not session.state.waves and session.info.blind and session.info.proposal_set_id is None
    assert [s.id for s in store.visible_sets("rec-1")] == [session.set_id]
    with pytest.raises(StoreError, match="no visible model proposal"):
        session.accept_proposal()
    store.switch_user("adj")
    assert len(store.visible_sets("rec-1")) == 4


def test_records_are_identified_by_their_signal(store):
    signal = np.random.default_rng(0).normal(size=(2, 1000)).astype(np.float32)
    leads = (Lead("I"), Lead("II"))
    a = ECGRecord.from_array(signal, 500.0, leads, SourceInfo(store.path / "a.hea", "WFDB"))
    b = ECGRecord.from_array(signal[::-1].copy(), 500.0, leads[::-1],
                             SourceInfo(store.path / "renamed.csv", "CSV"))
    assert record_info(a).id == record_info(b).id  # same signal, other order and name
    changed = signal.copy()
    changed[1, 500] += 0.001
    c = ECGRecord.from_array(changed, 500.0, leads, SourceInfo(store.path / "a.hea", "WFDB"))
    assert record_info(c).id != record_info(a).id
    assert store.add_record(a).source_name == "a.hea"
    assert store.add_record(b).id == record_info(a).id  # registered once


def test_the_same_model_version_is_stored_once(store):
    first = store.open_set("rec-1").proposal_set_id
    assert store.add_proposal("rec-1", synthetic_delineation()).id == first
    newer = store.add_proposal("rec-1", synthetic_delineation(version="2.0"))
    assert newer.id != first and newer.model == "unet/2.0"


def test_event_rows_cannot_be_changed_through_sql(store):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.database.execute("UPDATE events SET at = 'yesterday' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.database.execute("DELETE FROM events")


def test_unknown_ids_are_store_errors(store):
    with pytest.raises(StoreError, match="no record"):
        store.open_set("missing")
    with pytest.raises(StoreError, match="no annotation set 99"):
        store.load(99)
    store.add_record(synthetic_record("rec-2"))
    with pytest.raises(StoreError, match="does not fit"):
        store.add_proposal("rec-2", synthetic_delineation(leads=("I", "X")))


def test_quit_without_saving_and_find_every_correction_on_reopening(store, store_path):
    session = store.open_session("rec-1")
    for wave in session.state.waves_in("V4")[:5]:
        session.execute(MoveBoundary.of(session.state, wave.id, Boundary.OFFSET, wave.offset + 1))
    edited = session.state
    store.close()  # no save call anywhere
    with AnnotationStore.open(store_path) as reopened:
        reopened.switch_user("ann1")
        again = reopened.open_session("rec-1")
        assert again.state == edited and again.document.is_clean and not again.document.can_undo
        changed = [a for a in again.state.waves.values() if a.provenance.annotator]
        assert len(changed) == 5 and {a.provenance.annotator for a in changed} == {"ann1"}
