"""``ecgws batch`` on a real local Dask cluster (two worker processes) and real ECG files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, shared_path
from workstation.cli import main

pytest.importorskip("dask.distributed", reason="the [batch] extra (dask) is not installed")
pytest.importorskip("pyarrow", reason="the [batch] extra (pyarrow) is not installed")

from workstation.batch.dataset import RECORDS, WAVES, read_table  # noqa: E402
from workstation.batch.runner import run_batch  # noqa: E402


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0", host="127.0.0.1", silence_logs=40)
    with Client(cluster) as opened:
        yield opened
    cluster.close()


def _analyze_json(path: Path, capsys: pytest.CaptureFixture) -> dict:
    capsys.readouterr()
    assert main(["analyze", "--json", str(path)]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """LUDB record 1 (shipped with the tests) and a WFDB header whose signal file is missing."""
    folder = tmp_path / "archive" / "ward-3"
    folder.mkdir(parents=True)
    for source in (FIXTURES / "ludb").glob("1.*"):
        shutil.copy(source, folder / source.name)
    (folder / "lost.hea").write_text("lost 2 500 5000\nlost.dat 16 200 16 0 0 0 0 I\n"
                                     "lost.dat 16 200 16 0 0 0 0 II\n")
    return tmp_path / "archive"


def test_records_equal_analyze_json_waves_are_rows_and_errors_are_rows(inputs, tmp_path, client,
                                                                        capsys):
    out = tmp_path / "dataset"
    summary = run_batch([inputs], out, client=client)
    assert (summary.files, summary.analysed, summary.errors) == (2, 2, 1)
    rows = {r["name"]: r for r in read_table(out, RECORDS).to_pylist()}
    good, lost = rows["1"], rows["lost"]
    assert lost["error"] and lost["analysis_json"] is None and lost["content_hash"]
    assert good["error"] is None and good["format"] == "WFDB" and good["n_leads"] == 12
    expected = _analyze_json(inputs / "ward-3" / "1.hea", capsys)
    assert json.loads(good["analysis_json"]) == expected
    assert good["triage"] == expected["triage"] and good["confidence"] == expected["confidence"]
    assert good["qrs_ms"] == expected["measurements"]["qrs_ms"]
    waves = read_table(out, WAVES).to_pylist()
    assert waves and {w["record_id"] for w in waves} == {good["record_id"]}
    assert {w["kind"] for w in waves} == {"P", "QRS", "T"}
    assert all(0 <= w["onset"] <= w["peak"] <= w["offset"] for w in waves)

    # a rerun skips what is written (by content hash, even moved) and tries the error again
    moved = tmp_path / "moved"
    shutil.move(inputs, moved)
    again = run_batch([moved], out, client=client)
    assert (again.analysed, again.skipped, again.errors) == (1, 1, 1)
    assert len(read_table(out, RECORDS)) == 3 and len(read_table(out, WAVES)) == len(waves)


def test_ludb_records_equal_analyze_json(tmp_path, client, capsys):
    ludb = shared_path("ludb")
    folder = tmp_path / "ludb"
    folder.mkdir()
    stems = [str(n) for n in range(2, 12)]
    for stem in stems:
        for source in ludb.glob(f"{stem}.*"):
            (folder / source.name).symlink_to(source)
    out = tmp_path / "dataset"
    assert run_batch([folder], out, client=client, chunk=3).analysed == len(stems)
    rows = {r["name"]: r for r in read_table(out, RECORDS).to_pylist()}
    for stem in stems:
        assert json.loads(rows[stem]["analysis_json"]) == _analyze_json(folder / f"{stem}.hea",
                                                                        capsys), stem


def test_the_command_runs_its_own_local_cluster(inputs, tmp_path, capsys):
    out = tmp_path / "dataset"
    capsys.readouterr()
    assert main(["batch", str(inputs), "--out", str(out), "--workers", "1", "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["analysed"] == 2 and summary["errors"] == 1 and summary["workers"] == 1
    assert "records/s" in captured.err and "ETA" in captured.err
