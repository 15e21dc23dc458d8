"""The worklist: a folder analysed in the background, sorted by urgency, filtered, stepped through."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import FIXTURES
from workstation.review.worklist import ReviewStatus, WorklistEntry, urgency_key
from workstation.ui.app import sample_path


@pytest.fixture
def folder(tmp_path):
    for part in ("hea", "dat"):
        shutil.copy(sample_path().with_suffix("." + part), tmp_path / f"ludb_2.{part}")
        shutil.copy(FIXTURES / "ludb" / f"1.{part}", tmp_path / f"1.{part}")
    (tmp_path / "broken.hea").write_text("broken 12 500 5000\nbroken.dat 16 200 16 0 0 0 0 I\n")
    return tmp_path


def test_folder_is_analysed_sorted_and_stepped_through(window, folder, qtbot) -> None:
    window.open_worklist(folder)
    panel = window.worklist
    assert [e.path.name for e in panel.entries] and len(panel.entries) == 3
    shown = panel._shown
    assert shown[0].path.name == "broken.hea" and shown[0].error  # unreadable first
    assert [urgency_key(e) for e in shown] == sorted(urgency_key(e) for e in shown)
    assert panel.table.rowCount() == 3 and panel.table.item(0, 1).text() == "unreadable"
    panel.table.selectRow(0)
    with qtbot.waitSignal(window.record_shown, timeout=30_000):
        panel.open_next()  # the next unreviewed case after the selected one
    opened = window.record.source.path
    assert next(e for e in panel.entries if e.path == opened).status is ReviewStatus.IN_REVIEW
    window.trigger_key("tools.mark_reviewed")
    assert next(e for e in panel.entries if e.path == opened).status is ReviewStatus.REVIEWED
    panel.hide_reviewed.setChecked(True)
    assert opened not in [e.path for e in panel._shown] and panel.table.rowCount() == 2


def test_filters(window, folder) -> None:
    window.open_worklist(folder)
    panel = window.worklist
    panel.search.setText("ludb_2")
    assert [e.name for e in panel._shown] == ["ludb_2"]
    panel.search.setText("")
    panel.review_only.setChecked(True)
    assert all(e.review for e in panel._shown)


def test_unreadable_entries_sort_before_any_analysis(tmp_path) -> None:
    bad = WorklistEntry(tmp_path / "x.hea", error="damaged")
    assert urgency_key(bad) < (1,)
