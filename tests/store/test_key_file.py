"""The passphrase-protected key file used where there is no OS keyring: real files, real crypto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import keyring
import keyring.backends.fail
import pytest

from tests.store.conftest import synthetic_delineation, synthetic_record
from workstation.core.commands import SetNote
from workstation.store import AnnotationStore, IdentityError, identity
from workstation.store.errors import PassphraseError
from workstation.store.key_file import KEY_FILE_ENV, KeyFile

PASSPHRASE = "correct horse battery"


@pytest.fixture(autouse=True)
def no_os_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No OS keyring (the fail backend), the key file in this test's folder, nothing unlocked."""
    keyring.set_keyring(keyring.backends.fail.Keyring())
    path = tmp_path / "keys" / "signing-keys.json"
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    monkeypatch.delenv(identity.PASSPHRASE_ENV, raising=False)
    monkeypatch.delenv(identity.KEYRING_ENV, raising=False)
    identity.lock_key_file()
    yield path
    identity.lock_key_file()
    identity.set_passphrase_prompt(None)


def test_secrets_round_trip_and_are_not_in_the_file(no_os_keyring: Path) -> None:
    KeyFile.unlock(no_os_keyring, PASSPHRASE).put("ann1", "ab" * 32)
    text = no_os_keyring.read_text()
    assert "ann1" not in text and "ab" * 32 not in text
    assert KeyFile.unlock(no_os_keyring, PASSPHRASE).get("ann1") == "ab" * 32


def test_wrong_passphrase_is_refused(no_os_keyring: Path) -> None:
    KeyFile.unlock(no_os_keyring, PASSPHRASE).put("ann1", "ab" * 32)
    with pytest.raises(PassphraseError, match="wrong passphrase"):
        KeyFile.unlock(no_os_keyring, "incorrect horse battery")


def test_a_weakened_header_makes_the_file_unreadable(no_os_keyring: Path) -> None:
    KeyFile.unlock(no_os_keyring, PASSPHRASE).put("ann1", "ab" * 32)
    body = json.loads(no_os_keyring.read_text())
    body["n"] = 2**10  # cheaper to guess: the header is authenticated, so this cannot pass
    no_os_keyring.write_text(json.dumps(body))
    with pytest.raises(PassphraseError):
        KeyFile.unlock(no_os_keyring, PASSPHRASE)


def test_a_damaged_file_says_so(no_os_keyring: Path) -> None:
    no_os_keyring.parent.mkdir(parents=True)
    no_os_keyring.write_text("not json")
    with pytest.raises(IdentityError, match="not an ECG Workstation key file"):
        KeyFile.unlock(no_os_keyring, PASSPHRASE)


def test_a_short_passphrase_is_refused_when_creating(no_os_keyring: Path) -> None:
    with pytest.raises(PassphraseError, match="at least 8"):
        KeyFile.unlock(no_os_keyring, "short")
    assert not no_os_keyring.exists()


def test_store_signs_and_verifies_without_an_os_keyring(tmp_path: Path, no_os_keyring: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(identity.PASSPHRASE_ENV, PASSPHRASE)
    assert identity.uses_key_file()
    with AnnotationStore.open(tmp_path / "a.ecgws") as store:
        store.add_annotator("ann1", "Annotator One")
        store.switch_user("ann1")
        store.add_record(synthetic_record())
        store.add_proposal("rec-1", synthetic_delineation())
        session = store.open_session("rec-1")
        session.execute(SetNote.of(session.state, "done"))
        session.submit()
        assert store.verify_signature(session.set_id).valid
    assert no_os_keyring.is_file()
    identity.lock_key_file()
    monkeypatch.setenv(identity.PASSPHRASE_ENV, "incorrect horse battery")
    with AnnotationStore.open(tmp_path / "a.ecgws") as store, \
            pytest.raises(PassphraseError, match="wrong passphrase"):
        store.switch_user("ann1")


def test_no_passphrase_is_a_clear_identity_error(tmp_path: Path) -> None:
    with AnnotationStore.open(tmp_path / "a.ecgws") as store, \
            pytest.raises(PassphraseError, match="no OS keyring.*ECGWS_PASSPHRASE"):
        store.add_annotator("ann1", "Annotator One")


def test_the_prompt_is_asked_again_after_a_wrong_passphrase(tmp_path: Path, no_os_keyring: Path) -> None:
    KeyFile.unlock(no_os_keyring, PASSPHRASE)
    asked: list[tuple[bool, str | None]] = []
    answers = iter(["incorrect horse battery", PASSPHRASE])

    def prompt(path: Path, creating: bool, problem: str | None) -> str | None:
        asked.append((creating, problem))
        return next(answers)

    identity.set_passphrase_prompt(prompt)
    with AnnotationStore.open(tmp_path / "a.ecgws") as store:
        store.add_annotator("ann1", "Annotator One")
        store.add_annotator("ann2", "Annotator Two")  # unlocked once per process
    assert asked == [(False, None), (False, "wrong passphrase (or the key file was altered)")]


def test_the_key_file_can_be_chosen_over_an_os_keyring(tmp_path: Path, no_os_keyring: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.store.file_keyring import use_file_keyring

    use_file_keyring(tmp_path / "os-keyring.json")  # an OS keyring is present ...
    monkeypatch.setenv(identity.KEYRING_ENV, "file")  # ... but the profile should travel
    monkeypatch.setenv(identity.PASSPHRASE_ENV, PASSPHRASE)
    with AnnotationStore.open(tmp_path / "a.ecgws") as store:
        store.add_annotator("ann1", "Annotator One")
    assert KeyFile.unlock(no_os_keyring, PASSPHRASE).get("ann1")
    assert keyring.get_password(identity.KEYRING_SERVICE, "ann1") is None
    assert "key file" in identity.describe_keeper()


def test_command_line_takes_the_passphrase_from_the_environment(tmp_path: Path, no_os_keyring: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture) -> None:
    from workstation.cli import main

    monkeypatch.setenv(identity.PASSPHRASE_ENV, PASSPHRASE)
    path = tmp_path / "a.ecgws"
    with AnnotationStore.open(path) as store:
        store.add_annotator("ann1", "Annotator One")
        store.switch_user("ann1")
        store.add_record(synthetic_record())
        session = store.open_session("rec-1")
        session.execute(SetNote.of(session.state, "done"))
        session.submit()
    identity.lock_key_file()
    assert main(["audit", "verify", str(path)]) == 0
    assert "1 signatures valid" in capsys.readouterr().out
    identity.lock_key_file()
    monkeypatch.setenv(identity.PASSPHRASE_ENV, "incorrect horse battery")
    assert main(["audit", "verify", str(path)]) == 3
    assert "cannot be checked" in capsys.readouterr().err
    assert main(["audit", "verify", "--allow-unverified", str(path)]) == 0


def test_import_annotations_uses_the_passphrase_from_the_environment(
        tmp_path: Path, no_os_keyring: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    import shutil

    from resources import sample_ecg_path
    from workstation.cli import main

    folder = tmp_path / "reader"
    shutil.copytree(sample_ecg_path().parent, folder)
    store = tmp_path / "panel.ecgws"
    assert main(["import-annotations", str(store), str(folder), "--annotator", "a2"]) == 2
    assert "ECGWS_PASSPHRASE" in capsys.readouterr().err  # said, not a traceback
    monkeypatch.setenv(identity.PASSPHRASE_ENV, PASSPHRASE)
    assert main(["import-annotations", str(store), str(folder), "--annotator", "a1"]) == 0
    assert KeyFile.unlock(no_os_keyring, PASSPHRASE).get("a1")


def test_keys_command_says_where_the_keys_are(no_os_keyring: Path, capsys: pytest.CaptureFixture) -> None:
    from workstation.cli import main

    assert main(["keys"]) == 0
    assert f"passphrase-protected key file {no_os_keyring}" in capsys.readouterr().out
