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
