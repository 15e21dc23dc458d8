"""The analysis JSON (documented in rules/README.md) and ``ecgws analyze``."""

from __future__ import annotations

import json
import shutil

import pytest

from rules.analysis import analyze
from rules.report import SCHEMA, SCHEMA_VERSION, to_json_dict
from rules.types import FlagId
from tests.conftest import FIXTURES
from tests.rules.synthetic import Spec, build
from workstation.cli import main

NUMBER = (int, float)
OPTIONAL_NUMBER = (int, float, type(None))
#: The documented top-level fields and their JSON types.
TOP = {
    "schema": str, "schema_version": int, "record": str, "rule_set": dict,
    "model": (str, type(None)), "analysed_s": list, "duration_s": NUMBER, "context": dict,
    "measurements": dict, "measurement_sources": dict, "st_point": str, "leads": dict,
    "beats": list, "flags": list, "triage": str, "triage_reasons": list,
    "confidence": NUMBER, "confidence_terms": dict, "quality": dict, "review": bool,
    "review_reasons": list, "narrative": str, "disclaimer": str,
    "triage_label": str, "assessment": str, "not_assessed": list, "implausible": list,
    "paced": (dict, type(None)), "device_concordance": list, "device_measurements": list,
    "page_quality": (dict, type(None)),
}
MEASUREMENTS = ("hr_bpm", "hr_min_bpm", "hr_max_bpm", "rr_ms", "rr_nrmssd", "p_share", "p_ms",
                "pr_ms", "qrs_ms", "qt_ms", "qtc_ms", "qtc_bazett_ms", "qtc_fridericia_ms",
                "qtc_framingham_ms", "qtc_hodges_ms", "p_axis_deg", "qrs_axis_deg", "t_axis_deg")
FLAG = {"id": str, "severity": str, "leads": list, "beats": list, "value": OPTIONAL_NUMBER,
        "unit": str, "threshold": NUMBER, "measurement": str, "rule_id": str,
        "rule_version": str, "citation": str, "triage": str, "reason": str}
LEAD = ("q_mv", "r_mv", "s_mv", "qrs_pp_mv", "st_j_mv", "st_j60_mv", "st_j80_mv", "t_mv")


def check_schema(doc: dict) -> None:
    """Every documented field present with its type; nothing undocumented at the top."""
    assert set(doc) == set(TOP)
    for key, kind in TOP.items():
        assert isinstance(doc[key], kind), key
    assert doc["schema"] == SCHEMA and doc["schema_version"] == SCHEMA_VERSION
    assert set(doc["measurements"]) == set(MEASUREMENTS) | {"qtc_formula"}
    for name in MEASUREMENTS:
        assert isinstance(doc["measurements"][name], OPTIONAL_NUMBER), name
        assert set(doc["measurement_sources"][name]) == {"unit", "leads", "beats", "note"}
    assert doc["triage"] in ("normal", "abnormal_not_acute", "subacute", "acute")
    assert 0.0 <= doc["confidence"] <= 1.0
    assert set(doc["confidence_terms"]) == {"quality", "delineation", "margin", "completeness",
                                            "calibrated", "limiting_rule", "plausibility"}
    assert set(doc["rule_set"]) == {"name", "version", "site", "label"}
    assert set(doc["quality"]) == {"score", "poor_leads", "leads"}
    for flag in doc["flags"]:
        assert set(flag) == set(FLAG)
        for key, kind in FLAG.items():
            assert isinstance(flag[key], kind), key
        assert flag["id"] in {f.value for f in FlagId}
        assert flag["severity"] in ("info", "borderline", "alert")
    for values in doc["leads"].values():
        assert set(values) == set(LEAD) | {"beats"}
    for beat in doc["beats"]:
        assert set(beat) == {"number", "dominant", "qrs_onset", "qrs_offset", "p_onset",
                             "p_offset", "t_offset"}
    json.dumps(doc, allow_nan=False)  # strict JSON: no NaN anywhere


def test_json_of_a_synthetic_st_elevation():
    record, d = build(Spec(st_mv={"V2": 0.3, "V3": 0.3}, pr_ms=230.0))
    doc = to_json_dict(analyze(record, d))
    check_schema(doc)
    assert doc["measurements"]["pr_ms"] == 230.0 and doc["measurements"]["qtc_formula"] == "framingham"
    ids = {f["id"] for f in doc["flags"]}
    assert {"st_elevation", "first_degree_av_block"} <= ids
    st = next(f for f in doc["flags"] if f["id"] == "st_elevation")
    assert st["leads"] == ["V2", "V3"] and st["beats"][0] == 1 and st["unit"] == "mm"
    assert doc["triage"] == "acute" and doc["review"] is True


def test_json_keeps_unmeasurable_values_null():
    record, d = build(Spec(with_p=False))
    doc = to_json_dict(analyze(record, d))
    check_schema(doc)
    assert doc["measurements"]["pr_ms"] is None and doc["measurements"]["p_axis_deg"] is None


def test_cli_analyze_text_on_the_fixture(capsys):
    path = FIXTURES / "ludb" / "1.hea"
    assert main(["analyze", "--delineation", "reference", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1: triage ") and "flag        [info] bradycardia" in out
    assert "Decision support - clinician review required" in out


def test_cli_analyze_json_on_the_fixture(capsys):
    path = FIXTURES / "ludb" / "1.hea"
    assert main(["analyze", "--json", "--delineation", "reference", str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    check_schema(doc)
    assert doc["record"] == "1" and doc["model"] == "reference"
    assert doc["measurements"]["hr_bpm"] == pytest.approx(45.3, abs=1.0)
    assert "bradycardia" in {f["id"] for f in doc["flags"]}


def test_cli_uses_the_model_by_default(monkeypatch, capsys):
    import inference
    from workstation.core.delineation import read_wfdb_annotations

    calls = []

    def fake_delineate(record):
        calls.append(record.n_samples)
        return read_wfdb_annotations(FIXTURES / "ludb" / "1", record.lead_names, record.fs,
                                     source="fake-model", version="0")

    monkeypatch.setattr(inference, "delineate", fake_delineate)
    assert main(["analyze", "--json", str(FIXTURES / "ludb" / "1.hea")]) == 0
    assert calls == [5000] and json.loads(capsys.readouterr().out)["model"] == "fake-model 0"


def test_cli_falls_back_to_rate_and_rhythm_when_the_model_fails(monkeypatch, capsys):
    import inference

    def broken(record):
        raise RuntimeError("weights missing")

    monkeypatch.setattr(inference, "delineate", broken)
    assert main(["analyze", "--json", str(FIXTURES / "ludb" / "1.hea")]) == 0
    captured = capsys.readouterr()
    assert "warning:" in captured.err and "weights missing" in captured.err
    doc = json.loads(captured.out)
    assert doc["model"] is None and doc["measurements"]["hr_bpm"] is not None
    assert doc["measurements"]["qrs_ms"] is None and doc["review"] is True


def test_cli_folder_summary_and_bad_files(tmp_path, capsys):
    shutil.copytree(FIXTURES / "ludb", tmp_path / "ludb")
    (tmp_path / "ludb" / "broken.hea").write_text("broken 12 500 5000\nbroken.dat 16 200 16 0 0 0 0 I\n")
    status = main(["analyze", "--delineation", "reference", "--no-progress", str(tmp_path / "ludb")])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "broken.hea" in lines[0]
    table = captured.out.split("\n\n")[-1].splitlines()
    assert table[0].split()[:4] == ["record", "triage", "conf", "review"]
    assert table[1].split()[0] == "1"


def test_cli_refuses_a_bad_rule_file(tmp_path, capsys):
    bad = tmp_path / "site.toml"
    bad.write_text("[rules.bradycardia]\nthreshhold = 50\n", encoding="utf-8")
    status = main(["analyze", "--rules", str(bad), str(FIXTURES / "ludb" / "1.hea")])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "threshhold" in err


def test_cli_analyze_help(capsys):
    assert main(["analyze", "--help"]) == 0
    assert "Usage: ecgws analyze" in capsys.readouterr().out
