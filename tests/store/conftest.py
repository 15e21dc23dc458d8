"""Fixtures for the store tests: a file keyring, a store in tmp_path, a synthetic 12-lead record."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import keyring
import keyring.backends.fail
import pytest

from tests.store.file_keyring import ENV_VAR, use_file_keyring
from workstation.core.annotation import AnnotationState
from workstation.core.delineation import Delineation, Wave, WaveKind
from workstation.store import AnnotationStore, RecordInfo, Role

if TYPE_CHECKING:
    from tests.postgres import PostgresServer

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
FS = 500.0
N_SAMPLES = 5000
RR = 400  # samples between beats: 75 bpm at 500 Hz, 12 beats in 10 s


def synthetic_delineation(leads: tuple[str, ...] = LEADS, beats: int = 12,
                          version: str = "1.0") -> Delineation:
    """P, QRS and T of ``beats`` beats on every lead, a few samples apart from lead to lead."""
    waves = []
    for li, lead in enumerate(leads):
        for b in range(beats):
            start = 20 + b * RR + (li % 3)
            for kind, on, peak, off in ((WaveKind.P, 0, 25, 50), (WaveKind.QRS, 80, 100, 130),
                                        (WaveKind.T, 200, 260, 320)):
                waves.append(Wave(kind, lead, start + on, start + peak, start + off, 0.9, 0.8, 0.7))
    return Delineation(FS, leads, tuple(waves), "unet", version)


def synthetic_record(record_id: str = "rec-1") -> RecordInfo:
    return RecordInfo(record_id, "WFDB", FS, LEADS, N_SAMPLES, N_SAMPLES / FS, f"{record_id}.hea")


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real keyring backend storing to a JSON file in this test's folder."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv(ENV_VAR, str(path))
    use_file_keyring(path)
    yield path
    keyring.set_keyring(keyring.backends.fail.Keyring())  # never the real OS keyring


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "annotations.ecgws"


@pytest.fixture
def store(store_path: Path) -> Iterator[AnnotationStore]:
    """A store with annotators ann1, ann2 and adjudicator adj, ann1 current, one record + proposal."""
    with AnnotationStore.open(store_path) as opened:
        opened.add_annotator("ann1", "Annotator One")
        opened.add_annotator("ann2", "Annotator Two")
        opened.add_annotator("adj", "Adjudicator", Role.ADJUDICATOR)
        opened.switch_user("ann1")
        opened.add_record(synthetic_record())
        opened.add_proposal("rec-1", synthetic_delineation())
        yield opened


def first_wave(state: AnnotationState, lead: str = "II", kind: WaveKind = WaveKind.QRS) -> Wave:
    return state.waves_in(lead, kind)[0]


@pytest.fixture(scope="session")
def postgres() -> Iterator["PostgresServer"]:
    """A real PostgreSQL server on 127.0.0.1 for the whole run (skips, saying why, without one)."""
    pytest.importorskip("psycopg", reason="the [server] extra (psycopg) is not installed")
    from tests.postgres import ServerUnavailable, start_server

    try:
        server = start_server()
    except ServerUnavailable as exc:
        pytest.skip(f"no PostgreSQL server could be started here: {exc}")
    yield server
    server.stop()


@pytest.fixture
def server_db(postgres, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A fresh database on the test server; returns its name. Passwords come from the
    server's pgpass file ($PGPASSFILE), as a workstation's would from ~/.pgpass."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres.admin_sql(f"CREATE DATABASE {name}", database="postgres")
    monkeypatch.setenv("PGPASSFILE", str(postgres.passfile))
    return name


@pytest.fixture
def admin_url(postgres, server_db: str) -> str:
    return postgres.url(database=server_db)
