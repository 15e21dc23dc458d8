"""The edit model without a store: commands, their rules, the undo stack and its clean marker."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.store.conftest import N_SAMPLES, first_wave, synthetic_delineation
from workstation.core.annotation import (AnnotationDocument, AnnotationState, Boundary, Label,
                                         LabelKind, LeadStatus, Stamp)
from workstation.core.commands import (AcceptProposal, AddWave, ChangeWaveType, Command,
                                       CommandError, ConflictError, DeleteWave, MarkLeadUnreadable,
                                       MoveBoundary, SetGlobalBoundary, SetLabels, SetNote,
                                       beat_group, command_from_dict, command_to_dict)
from workstation.core.delineation import WaveKind

STAMP = Stamp("ann1", "2024-01-01T00:00:00+00:00")


@pytest.fixture
def state() -> AnnotationState:
    return AnnotationState.from_proposal(synthetic_delineation(), N_SAMPLES)


@pytest.fixture
def doc(state: AnnotationState) -> AnnotationDocument:
    return AnnotationDocument(state, actor="ann1")


def geometry(state: AnnotationState) -> dict:
    return {i: a.wave for i, a in state.waves.items()}


def test_move_boundary_changes_one_mark_and_records_who(state):
    wave = first_wave(state)
    after = MoveBoundary.of(state, wave.id, Boundary.ONSET, wave.onset - 4).apply(state, STAMP)
    moved = after.waves[wave.id]
    assert moved.wave.onset == wave.onset - 4 and moved.wave.id == wave.id
    assert moved.provenance.model == "unet/1.0" and moved.provenance.annotator == "ann1"
    assert state.wave(wave.id).onset == wave.onset  # the old state is untouched


@pytest.mark.parametrize("which, new", [(Boundary.ONSET, 10_000), (Boundary.OFFSET, 0),
                                        (Boundary.PEAK, -1)])
def test_boundaries_stay_in_order(state, which, new):
    wave = first_wave(state)
    with pytest.raises(CommandError, match="not in order|outside the record"):
        MoveBoundary.of(state, wave.id, which, new).apply(state, STAMP)


def test_boundaries_stay_inside_the_record(state):
    last = state.waves_in("II", WaveKind.T)[-1]
    with pytest.raises(CommandError, match="outside the record"):
        MoveBoundary.of(state, last.id, Boundary.OFFSET, N_SAMPLES).apply(state, STAMP)


def test_clamped_move_stops_at_the_neighbouring_mark(state):
    wave = first_wave(state)
    assert MoveBoundary.clamped(state, wave.id, Boundary.ONSET, wave.peak + 50).new == wave.peak
    assert MoveBoundary.clamped(state, wave.id, Boundary.OFFSET, 10 ** 9).new == N_SAMPLES - 1


def test_a_stale_old_value_is_a_conflict_not_an_overwrite(state):
    wave = first_wave(state)
    with pytest.raises(ConflictError, match="changed elsewhere"):
        MoveBoundary(wave.id, Boundary.ONSET, wave.onset + 1, wave.onset + 5).apply(state, STAMP)
    deleted = DeleteWave.of(state, wave.id).apply(state, STAMP)
    with pytest.raises(ConflictError):
        MoveBoundary.of(state, wave.id, Boundary.ONSET, 1).apply(deleted, STAMP)


def test_noop_commands_are_not_pushed(doc):
    wave = first_wave(doc.state)
    assert not doc.execute(MoveBoundary.of(doc.state, wave.id, Boundary.ONSET, wave.onset))
    assert not doc.execute(SetNote.of(doc.state, ""))
    assert not doc.can_undo and doc.is_clean


def test_undo_redo_and_the_clean_marker(doc):
    start = geometry(doc.state)
    wave = first_wave(doc.state)
    assert doc.execute(MoveBoundary.of(doc.state, wave.id, Boundary.OFFSET, wave.offset + 3))
    assert not doc.is_clean and doc.undo_text.startswith("move offset")
    doc.set_clean()
    assert doc.undo() is not None and geometry(doc.state) == start and not doc.is_clean
    assert doc.redo() is not None and doc.is_clean
    doc.undo()
    doc.execute(SetNote.of(doc.state, "new branch"))  # drops the redo branch with the clean state
    assert not doc.can_redo and not doc.is_clean
    while doc.undo():
        pass
    assert geometry(doc.state) == start and not doc.is_clean


def test_nudges_merge_into_one_undo_step(doc):
    wave = first_wave(doc.state)
    for step in range(1, 6):
        doc.execute(MoveBoundary.of(doc.state, wave.id, Boundary.ONSET, wave.onset - step), merge=True)
    assert len(doc.stack) == 1 and doc.state.wave(wave.id).onset == wave.onset - 5
    doc.undo()
    assert doc.state.wave(wave.id).onset == wave.onset and not doc.can_undo


def test_add_delete_and_change_type(doc):
    add = AddWave.new(WaveKind.P, "V1", 4000, 4010, 4030)
    doc.execute(add)
    assert doc.state.wave(add.wave.id).kind is WaveKind.P
    assert doc.state.waves[add.wave.id].provenance.model is None  # drawn by hand
    doc.execute(ChangeWaveType.of(doc.state, add.wave.id, WaveKind.T))
    assert doc.state.wave(add.wave.id).kind is WaveKind.T and doc.state.wave(add.wave.id).id == add.wave.id
    doc.execute(DeleteWave.of(doc.state, add.wave.id))
    assert add.wave.id not in doc.state.waves
    doc.undo()
    doc.undo()
    assert doc.state.wave(add.wave.id).kind is WaveKind.P
    with pytest.raises(ConflictError):
        doc.execute(add)  # the same id twice
    with pytest.raises(CommandError, match="not in the record"):
        doc.execute(AddWave.new(WaveKind.P, "V7", 10, 20, 30))


def test_global_boundary_moves_every_lead_of_the_beat_or_none(doc):
    wave = first_wave(doc.state)
    group = beat_group(doc.state, wave.id)
    assert len(group) == 12 and wave.id in group
    doc.execute(SetGlobalBoundary.of_beat(doc.state, wave.id, Boundary.ONSET, wave.onset - 6))
    assert {doc.state.wave(i).onset for i in group} == {wave.onset - 6}
    assert len(doc.stack) == 1
    before = doc.state
    with pytest.raises(CommandError):  # past the peak on every lead: refused as a whole
        doc.execute(SetGlobalBoundary.of(doc.state, group, Boundary.ONSET, wave.peak + 20))
    assert doc.state is before and len(doc.stack) == 1
    doc.undo()
    assert doc.state.wave(wave.id).onset == wave.onset


def test_accept_proposal_replaces_a_lead_and_undo_restores_it(doc, state):
    wave = first_wave(doc.state)
    doc.execute(MoveBoundary.of(doc.state, wave.id, Boundary.ONSET, wave.onset - 9))
    doc.execute(DeleteWave.of(doc.state, doc.state.waves_in("II")[-1].id))
    edited = doc.state
    doc.execute(AcceptProposal.of(doc.state, state, "unet/1.0", "II"))
    assert doc.state.waves_in("II") == state.waves_in("II")
    assert doc.state.status_of("II") is LeadStatus.ACCEPTED
    assert doc.state.waves[wave.id].provenance.annotator == "ann1"
    doc.undo()
    assert geometry(doc.state) == geometry(edited) and doc.state.status_of("II") is LeadStatus.UNREVIEWED
    doc.execute(AcceptProposal.of(doc.state, state, "unet/1.0"))  # the whole record
    assert all(doc.state.status_of(lead) is LeadStatus.ACCEPTED for lead in state.lead_names)
    assert AcceptProposal.of(doc.state, state, "unet/1.0", "V1").is_noop  # nothing left to accept


def test_lead_status_labels_and_note(doc):
    doc.execute(MarkLeadUnreadable.of(doc.state, "V2"))
    labels = {Label(LabelKind.RHYTHM, "sinus rhythm"), Label(LabelKind.DIAGNOSTIC, "LBBB")}
    doc.execute(SetLabels.of(doc.state, labels))
    doc.execute(SetNote.of(doc.state, "baseline wander in V2"))
    assert doc.state.status_of("V2") is LeadStatus.UNREADABLE
    assert doc.state.labels == labels and doc.state.note == "baseline wander in V2"
    for _ in range(3):
        doc.undo()
    assert doc.state.status_of("V2") is LeadStatus.UNREVIEWED and not doc.state.labels
    assert doc.state.note == ""


def every_command(state: AnnotationState) -> list[Command]:
    wave = first_wave(state)
    return [MoveBoundary.of(state, wave.id, Boundary.PEAK, wave.peak + 1),
            AddWave.new(WaveKind.T, "V6", 4100, 4150, 4200), DeleteWave.of(state, wave.id),
            ChangeWaveType.of(state, wave.id, WaveKind.P),
            SetGlobalBoundary.of_beat(state, wave.id, Boundary.OFFSET, wave.offset + 2),
            AcceptProposal.of(state, state, "unet/1.0", "I"),
            MarkLeadUnreadable.of(state, "aVR"),
            SetLabels.of(state, {Label(LabelKind.RHYTHM, "AF")}), SetNote.of(state, "é ✓")]


def test_every_command_round_trips_through_json(state):
    for command in every_command(state):
        text = json.dumps(command_to_dict(command))
        assert command_from_dict(json.loads(text)) == command
        assert command_from_dict(json.loads(json.dumps(command_to_dict(command.inverted())))) \
            == command.inverted()


@pytest.mark.parametrize("data", [{"type": "Nope"}, {"type": "SetNote", "old": ""},
                                  {"type": "MoveBoundary", "wave_id": "x", "which": "onset",
                                   "old": True, "new": 3},
                                  {"type": "MoveBoundary", "wave_id": "x", "which": "middle",
                                   "old": 1, "new": 3}, []])
def test_malformed_command_dicts_are_refused(data):
    with pytest.raises(CommandError):
        command_from_dict(data)


def test_listeners_hear_every_change_until_unsubscribed(doc):
    heard = []
    unsubscribe = doc.subscribe(lambda state, command: heard.append(command))
    doc.execute(SetNote.of(doc.state, "a"))
    doc.undo()
    unsubscribe()
    doc.redo()
    assert [type(c).__name__ for c in heard] == ["SetNote", "SetNote"] and heard[1].new == ""


class FailingSink:
    def commit(self, command):
        raise OSError("disk on fire")


def test_a_failed_commit_changes_neither_the_document_nor_the_stack(state):
    doc = AnnotationDocument(state, sink=FailingSink())
    with pytest.raises(OSError):
        doc.execute(SetNote.of(state, "lost?"))
    assert doc.state is state and not doc.can_undo and doc.is_clean


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["move", "undo", "redo"]), st.integers(-20, 20)),
                max_size=30))
def test_undoing_everything_returns_to_the_start(steps):
    start = AnnotationState.from_proposal(synthetic_delineation(beats=2), N_SAMPLES)
    doc = AnnotationDocument(start, actor="ann1")
    ids = sorted(start.waves)
    for i, (action, delta) in enumerate(steps):
        if action == "undo":
            doc.undo()
        elif action == "redo":
            doc.redo()
        else:
            wave_id = ids[i % len(ids)]
            try:
                doc.execute(MoveBoundary.clamped(doc.state, wave_id, Boundary.PEAK,
                                                 doc.state.wave(wave_id).peak + delta))
            except CommandError:
                pytest.fail("a clamped move must always be valid")
    while doc.undo():
        pass
    assert geometry(doc.state) == geometry(start)
