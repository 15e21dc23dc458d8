"""``ecgws delineate`` and ``ecgws evaluate`` (with the shipped weights)."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import wfdb

from inference.delineation.peers import Peer
from tests.conftest import FIXTURES
from workstation.cli import main
from workstation.core.delineation import read_json

LUDB_EXTENSIONS = ["avf", "avl", "avr", "i", "ii", "iii", "v1", "v2", "v3", "v4", "v5", "v6"]


def test_new_subcommands_have_help(capsys):
    for sub in ("delineate", "evaluate"):
        assert main([sub, "--help"]) == 0
        assert "Usage: ecgws " + sub in capsys.readouterr().out


def test_delineate_writes_json_and_one_ludb_annotation_file_per_lead(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["delineate", str(FIXTURES / "ludb" / "1.hea"), "--out", str(out),
                 "--no-progress"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert sorted(p.suffix[1:] for p in out.iterdir() if p.suffix != ".json") == LUDB_EXTENSIONS
    delineation = read_json(out / "1.json")
    assert delineation.model_name == "ecgws-delineation-unet" and len(delineation.lead_names) == 12
    ann = wfdb.rdann(str(out / "1"), "v1")
    assert set(ann.symbol) <= {"(", ")", "p", "N", "t"} and ann.symbol.count("N") >= 6
    assert len(ann.sample) == 3 * len(delineation.waves_in("V1"))


def test_delineate_folder_reports_bad_files_and_exits_2(tmp_path, capsys):
    shutil.copytree(FIXTURES / "ludb", tmp_path / "in")
    (tmp_path / "in" / "broken.hea").write_text("broken 12 500 5000\nbroken.dat 16 200 16 0 0 0 0 I\n")
    status = main(["delineate", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--progress"])
    captured = capsys.readouterr()
    assert status == 2
    # the progress bar redraws with carriage returns on the same stream
    errors = [line for line in re.split(r"[\r\n]", captured.err) if line.startswith("error:")]
    assert len(errors) == 1 and "broken" in errors[0]
    assert (tmp_path / "out" / "1.json").exists()


def _tiny_ludb(tmp_path):
    data = tmp_path / "ludb"
    shutil.copytree(FIXTURES / "ludb", data)
    (data / "splits.json").write_text(json.dumps({"train": [], "validation": [], "test": ["1"]}))
    return data


def test_evaluate_prints_the_table_for_our_model(tmp_path, capsys):
    data = _tiny_ludb(tmp_path)
    assert main(["evaluate", "--data", str(data), "--method", "ours", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "LUDB test split: 1 records" in out and "Global" in out
    for label in ("P on", "P off", "QRS on", "QRS off", "T on", "T off"):
        assert label in out
    qrs_on = next(line for line in out.splitlines() if line.startswith("QRS on"))
    assert float(qrs_on.split()[5]) > 95.0  # F1 %


def test_evaluate_says_which_peers_are_missing_and_how_to_install_them(tmp_path, capsys,
                                                                       monkeypatch):
    monkeypatch.setattr(Peer, "available", lambda self: False)
    data = _tiny_ludb(tmp_path)
    assert main(["evaluate", "--data", str(data), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "skipped NeuroKit2: not installed (pip install neurokit2)" in out
    assert "skipped ecgdeli: not installed (pip install ecgdeli)" in out


def test_evaluate_refuses_a_folder_without_splits(tmp_path, capsys):
    assert main(["evaluate", "--data", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error:")


def test_evaluate_runs_a_peer_on_the_same_records(tmp_path, capsys):
    pytest.importorskip("ecgdeli")
    data = _tiny_ludb(tmp_path)
    assert main(["evaluate", "--data", str(data), "--method", "ours", "--method", "ecgdeli",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "ours = ecgws-delineation-unet" in out and "ecgdeli = ecgdeli" in out
    qrs_on = [line.split() for line in out.splitlines() if "ecgdeli" in line and "." in line]
    assert qrs_on  # a row of figures for the peer
