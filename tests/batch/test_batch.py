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


# -- the model's proposals into a store --------------------------------------------------------

MODEL = "ecgws-delineation-unet/1.0.0"


def _boundaries(waves) -> set[tuple]:  # noqa: ANN001
    return {(w.lead, w.kind.value, w.onset, w.peak, w.offset) for w in waves}


def _proposals(db: Path) -> tuple[dict[str, set[tuple]], int]:
    """{record id: its proposal's boundaries} of every model proposal in ``db``, and the
    number of events in its log."""
    from workstation.store import AnnotationStore

    with AnnotationStore.open(db) as store:
        proposals = [s for s in store.find_sets() if s.model is not None]
        by_record = {s.record_id: _boundaries(a.wave for a in store.load(s.id).waves.values())
                     for s in proposals}
        assert len(by_record) == len(proposals), "one proposal per record and model version"
        assert {s.model for s in proposals} <= {MODEL}
        assert store.integrity() == ["ok"]
        events = store.database.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    return by_record, events


@pytest.fixture
def archive(inputs: Path) -> Path:
    """The ``inputs`` archive with LUDB records 2 and 3 and a DICOM waveform ECG added."""
    folder = inputs / "ward-4"
    folder.mkdir()
    for stem in ("2", "3"):
        for source in shared_path("ludb").glob(f"{stem}.*"):
            (folder / source.name).symlink_to(source)
    dicom = shared_path("formats", "dicom", "waveform_ecg.dcm")
    (folder / dicom.name).symlink_to(dicom)
    return inputs


def test_proposals_go_into_the_store_once_as_delineate_and_import_annotations_store_them(
        archive, tmp_path, client, capsys):
    from workstation.core.delineation import read_json

    out, db = tmp_path / "dataset", tmp_path / "panel.db"
    summary = run_batch([archive], out, client=client, store=db)
    assert (summary.analysed, summary.errors) == (5, 1)
    assert summary.store == {"stored": 4, "already_there": 0, "problems": []}
    stored, events = _proposals(db)
    rows = [r for r in read_table(out, RECORDS).to_pylist() if r["error"] is None]
    assert set(stored) == {r["record_id"] for r in rows}
    assert {r["model"] for r in rows} == {MODEL.replace("/", " ")}

    # the same boundaries as `ecgws delineate`, stored as `ecgws import-annotations --model`
    # stores that output (the WFDB records; the DICOM file against delineate's JSON)
    delineated, imported = tmp_path / "delineated", tmp_path / "imported.db"
    for record in (archive / "ward-3" / "1.hea", archive / "ward-4" / "2.hea",
                   archive / "ward-4" / "3.hea"):
        folder = delineated / record.stem
        assert main(["delineate", str(record), "--out", str(folder), "--no-progress"]) == 0
        assert main(["import-annotations", str(imported), str(folder), "--annotator", "x",
                     "--records", str(record.parent), "--model", MODEL, "--no-progress"]) == 0
    expected, _ = _proposals(imported)
    assert len(expected) == 3 and all(stored[key] == waves for key, waves in expected.items())
    dicom = {r["record_id"] for r in rows if r["format"] != "WFDB"}
    assert len(dicom) == 1
    assert main(["delineate", str(archive / "ward-4" / "waveform_ecg.dcm"), "--out",
                 str(delineated), "--no-progress"]) == 0
    reference = read_json(delineated / "waveform_ecg.json")
    assert stored[dicom.pop()] == _boundaries(reference.waves)
    assert main(["audit", "verify", str(db)]) == 0

    # a rerun (the command, same dataset and store) adds nothing to either
    capsys.readouterr()
    assert main(["batch", str(archive), "--out", str(out), "--store", str(db), "--workers", "1",
                 "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["analysed"], again["skipped"]) == (1, 4)
    assert again["store"] == {"stored": 0, "already_there": 4, "problems": []}
    assert _proposals(db) == (stored, events)

    # a new dataset into the same store: analysed again, proposals not duplicated
    fresh = run_batch([archive], tmp_path / "fresh", client=client, store=db)
    assert fresh.analysed == 5 and fresh.store["stored"] == 0
    assert fresh.store["already_there"] == 4
    assert _proposals(db) == (stored, events)

    # the written dataset into a new store: only the proposals are made, no rows added
    late = tmp_path / "late.db"
    n_rows = len(read_table(out, RECORDS))
    added = run_batch([archive], out, client=client, store=late)
    assert (added.analysed, added.skipped) == (1, 4)
    assert added.store == {"stored": 4, "already_there": 0, "problems": []}
    assert _proposals(late)[0] == stored
    assert len(read_table(out, RECORDS)) == n_rows + 1  # the unreadable file's row again


def test_a_recording_longer_than_the_analysis_has_its_whole_length_proposed(tmp_path):
    """The analysis reads the first 60 s; the proposal covers the recording, as
    `ecgws delineate` does (LUDB record 1 repeated to 70 s)."""
    import inference
    import numpy as np

    from workstation.batch.process import analyse_file
    from workstation.core.record import ECGRecord
    from workstation.io import read_ecg
    from workstation.io.wfdb_io import write

    one = read_ecg(FIXTURES / "ludb" / "1.hea")
    long = ECGRecord.from_array(np.tile(one.window(0, one.n_samples), 7), one.fs, one.leads,
                                one.source)
    write(long, tmp_path, "long")
    result = analyse_file(tmp_path / "long.hea", with_proposal=True)
    assert result.row["error"] is None and result.row["duration_s"] == 70.0
    assert max(w["offset"] for w in result.waves) < 60 * one.fs
    proposal = result.proposal
    assert proposal.info.n_samples == 70 * one.fs and proposal.model == MODEL
    whole = inference.delineate(read_ecg(tmp_path / "long.hea"))
    assert proposal.delineation.waves == whole.waves
    assert max(w.offset for w in proposal.delineation.waves) > 65 * one.fs


def test_a_store_url_with_a_password_is_refused_before_anything_runs(inputs, tmp_path, capsys):
    out = tmp_path / "dataset"
    assert main(["batch", str(inputs), "--out", str(out), "--store",
                 "postgresql://reader:secret@db.example/ecgws"]) == 2
    assert "password" in capsys.readouterr().err and not out.exists()
