"""The same LUDB references and model proposals in a SQLite file and on a PostgreSQL server
give the same ``ecgws audit verify`` and ``ecgws agreement --json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workstation.cli import main

RECORDS = ("5", "10", "15")


def _ecgws(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture
def ludb_three(ludb_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "ludb3"
    folder.mkdir()
    for stem in RECORDS:
        for source in ludb_dir.glob(f"{stem}.*"):
            (folder / source.name).symlink_to(source)
    return folder


def _load(store: str, ludb: Path, proposals: Path, capsys) -> None:
    status, _, err = _ecgws(capsys, "import-annotations", store, str(ludb), "--annotator", "ludb")
    assert status == 0, err
    status, _, err = _ecgws(capsys, "import-annotations", store, str(proposals), "--records",
                            str(ludb), "--model", "unet/test", "--annotator", "unet")
    assert status == 0, err


def test_audit_and_agreement_match_between_sqlite_and_postgresql(ludb_three, admin_url, tmp_path,
                                                                  capsys):
    proposals = tmp_path / "proposals"
    status, _, err = _ecgws(capsys, "delineate", str(ludb_three), "--out", str(proposals),
                            "--no-progress")
    assert status == 0, err
    sqlite = str(tmp_path / "panel.ecgws")
    reports = {}
    for store in (sqlite, admin_url):
        _load(store, ludb_three, proposals, capsys)
        status, audit, err = _ecgws(capsys, "audit", "verify", store)
        assert status == 0, err
        status, agreement, err = _ecgws(capsys, "agreement", store, "--json")
        assert status == 0, err
        reports[store] = (audit.replace(store, "STORE"), json.loads(agreement))
    assert reports[sqlite][0] == reports[admin_url][0]
    assert "ok: STORE: " in reports[sqlite][0] and "3 signatures valid" in reports[sqlite][0]
    assert reports[sqlite][1] == reports[admin_url][1]
    assert [s["name"] for s in reports[sqlite][1]["sources"]] == ["ludb", "unet/test"]


def _proposal_waves(store: str) -> dict[str, set[tuple]]:
    from workstation.store import AnnotationStore
    from workstation.store.location import parse_location

    with AnnotationStore.open(parse_location(store)) as opened:
        return {s.record_id: {(w.wave.lead, w.wave.kind.value, w.wave.onset, w.wave.peak,
                               w.wave.offset) for w in opened.load(s.id).waves.values()}
                for s in opened.find_sets() if s.model is not None}


def test_batch_stores_the_same_proposals_in_sqlite_and_postgresql(ludb_three, admin_url,
                                                                   tmp_path):
    pytest.importorskip("dask.distributed", reason="the [batch] extra (dask) is not installed")
    from dask.distributed import Client, LocalCluster

    from workstation.batch.runner import run_batch
    from workstation.store.location import parse_location

    sqlite = str(tmp_path / "panel.ecgws")
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                           dashboard_address=":0", host="127.0.0.1", silence_logs=40)
    with Client(cluster) as client:
        runs = {store: run_batch([ludb_three], tmp_path / f"out-{i}", client=client,
                                 store=parse_location(store))
                for i, store in enumerate((sqlite, admin_url))}
        again = run_batch([ludb_three], tmp_path / "out-1", client=client,
                          store=parse_location(admin_url))
    cluster.close()
    assert all(r.store == {"stored": 3, "already_there": 0, "problems": []}
               for r in runs.values())
    assert again.store == {"stored": 0, "already_there": 3, "problems": []}
    stored = _proposal_waves(sqlite)
    assert len(stored) == 3 and _proposal_waves(admin_url) == stored
