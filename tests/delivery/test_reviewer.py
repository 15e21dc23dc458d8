"""The reviewer and signature status come from a real store: a result is final only when the
reviewer's set is submitted and its HMAC signature holds with this keyring's secret."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from tests.store.file_keyring import use_file_keyring
from workstation.delivery.case import Case, build_case, reviewer_from_store
from workstation.delivery.fhir import to_fhir
from workstation.store import KEYRING_SERVICE, AnnotationStore, Role


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path):
    use_file_keyring(tmp_path / "keyring.json")
    yield
    keyring.set_keyring(keyring.backends.fail.Keyring())


@pytest.fixture
def reviewed(sample_case: Case, tmp_path: Path):
    store = AnnotationStore.open(tmp_path / "annotations.sqlite")
    store.add_annotator("ana", "Dr Ana Ruiz", Role.ANNOTATOR)
    store.switch_user("ana")
    record_id = store.add_record(sample_case.record).id
    store.add_proposal(record_id, sample_case.delineation)
    set_id = store.open_set(record_id).id
    yield store, set_id
    store.close()


def test_a_draft_is_preliminary(reviewed, sample_case: Case) -> None:
    store, set_id = reviewed
    reviewer = reviewer_from_store(store, set_id)
    assert reviewer.name == "Dr Ana Ruiz" and not reviewer.signed
    case = build_case(sample_case.record, sample_case.delineation, reviewer=reviewer)
    assert not case.final and to_fhir(case, waveform=False)["status"] == "preliminary"


def test_a_signed_set_makes_the_result_final(reviewed, sample_case: Case) -> None:
    store, set_id = reviewed
    store.submit(set_id)
    reviewer = reviewer_from_store(store, set_id)
    assert reviewer.signed and reviewer.signed_at and reviewer.status.startswith("signed")
    case = build_case(sample_case.record, sample_case.delineation, reviewer=reviewer)
    assert case.final and to_fhir(case, waveform=False)["status"] == "final"


def test_a_signature_that_does_not_hold_is_never_final(reviewed) -> None:
    store, set_id = reviewed
    store.submit(set_id)
    keyring.set_password(KEYRING_SERVICE, "ana", "0" * 64)  # another computer's secret
    reviewer = reviewer_from_store(store, set_id)
    assert not reviewer.signed and "NOT valid" in reviewer.status


def test_a_model_proposal_is_no_reviewer(reviewed) -> None:
    store, set_id = reviewed
    proposal = store.set_info(set_id).proposal_set_id
    with pytest.raises(ValueError, match="proposal"):
        reviewer_from_store(store, proposal)
