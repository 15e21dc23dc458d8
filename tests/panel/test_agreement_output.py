"""What ``ecgws agreement`` prints: records by file name, label kappas only between sources
that labelled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workstation.cli import main
from workstation.core.annotation import Label, LabelKind
from workstation.panel.agreement import label_items, record_names
from workstation.store import AnnotationStore, RecordInfo


def test_records_are_named_by_file_and_kappas_need_labels_on_both_sides(
        panel: AnnotationStore, store_path: Path, capsys: pytest.CaptureFixture) -> None:
    panel.close()  # the CLI opens the file itself
    assert main(["agreement", str(store_path), "--annotators", "ann1", "ann2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["record_names"] == {"rec-1": "rec-1.hea", "rec-2": "rec-2.hea"}
    # neither reader labelled anything: no kappa at all, rather than a kappa of "(none)" vs "(none)"
    assert report["pairs"][0]["cohen_kappa"] == {}
    assert main(["agreement", str(store_path), "--annotators", "ann1", "ann2", "--no-global"]) == 0
    text = capsys.readouterr().out
    worst = text.split("most disagreement")[1]
    assert "rec-1.hea" in worst and "kappa" not in text


def test_a_source_without_labels_is_left_out_of_the_label_items() -> None:
    sinus = frozenset({Label(LabelKind.RHYTHM, "Sinus rhythm")})
    items = label_items({("a", "r1"): sinus, ("b", "r1"): frozenset(), ("a", "r2"): sinus})
    assert items["rhythm"] == {("a", "r1"): "Sinus rhythm", ("a", "r2"): "Sinus rhythm"}


def test_two_files_of_one_name_are_told_apart_by_their_id() -> None:
    infos = {i: RecordInfo(i, "WFDB", 500.0, ("I",), 10, 0.02, name)
             for i, name in (("aa11" * 16, "100.hea"), ("bb22" * 16, "100.hea"), ("cc33" * 16, "7.xml"))}
    names = record_names(infos)
    assert names["cc33" * 16] == "7.xml"
    assert names["aa11" * 16] == "100.hea [aa11aa11]" and names["bb22" * 16] == "100.hea [bb22bb22]"
