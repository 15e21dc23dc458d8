"""Correcting boundaries in the window: real gestures on the paper, committed to a real store.

Each test opens the bundled sample with the cardiologists' own boundaries as the "model's"
proposal (so no model run is needed), signs in with a real file-backed keyring, and drives
the window with mouse and keys through pytest-qt.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6 import QtCore, QtWidgets

from tests.store.file_keyring import use_file_keyring
from workstation.core.annotation import Boundary, Label, LabelKind, LeadStatus
from workstation.core.delineation import Delineation, WaveKind, read_wfdb_annotations
from workstation.core.layout import PaperPoint
from workstation.core.selection import Selection
from workstation.io import read_ecg
from workstation.store import AnnotationStore, Role
from workstation.store.audit import verify_store
from workstation.ui.app import sample_path
from workstation.ui.main_window import MainWindow

LEFT = QtCore.Qt.MouseButton.LeftButton
KEY = QtCore.Qt.Key
SHIFT = QtCore.Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path):
    use_file_keyring(tmp_path / "keyring.json")
    yield
    keyring.set_keyring(keyring.backends.fail.Keyring())


@pytest.fixture(scope="module")
def sample():
    return read_ecg(sample_path())


@pytest.fixture(scope="module")
def proposal(sample) -> Delineation:
    reference = read_wfdb_annotations(sample_path().with_suffix(""), sample.lead_names, sample.fs)
    return dataclasses.replace(reference, model_name="reference", model_version="ludb")


@pytest.fixture
def editing(window, sample, proposal) -> MainWindow:
    """The window signed in as jdoe, with the sample open and its proposal copied into jdoe's set."""
    assert window.sign_in("jdoe", "Dr Jane Doe", Role.ANNOTATOR, new=True)
    window.show_record(sample)
    window.show_delineation(proposal)
    assert window.corrections.editable
    return window


def rhythm_panel(window):
    return window.paper.layout.panels[-1]  # lead II, 10 s


def boundary_point(window, sample: int) -> PaperPoint:
    panel = rhythm_panel(window)
    return PaperPoint(float(panel.x_of(sample)), panel.baseline_mm)


def zoom_to(window, sample: int, width_mm: float = 60.0) -> None:
    """Zoom the paper in around ``sample`` of the rhythm strip, as one does to correct it."""
    p = boundary_point(window, sample)
    window.paper.vb.setRange(QtCore.QRectF(p.x_mm - width_mm / 2, p.y_mm - width_mm / 4,
                                           width_mm, width_mm / 2), padding=0)


def drag(qtbot, view, start: PaperPoint, end: PaperPoint, steps: int = 6,
         modifier=QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    viewport = view.viewport()
    p0, p1 = view.paper_to_viewport(start), view.paper_to_viewport(end)
    qtbot.mousePress(viewport, LEFT, modifier, pos=p0)
    for k in range(1, steps + 1):
        qtbot.wait(20)  # pyqtgraph drops mouse moves closer than 1/60 s: move like a hand
        qtbot.mouseMove(viewport, p0 + (p1 - p0) * (k / steps))
    qtbot.mouseRelease(viewport, LEFT, modifier, pos=p1)


def second_qrs(window):
    return window.corrections.state.waves_in("II", WaveKind.QRS)[1]


def stored_wave(store_path: Path, wave_id: str):
    with AnnotationStore.open(store_path) as store:
        store.switch_user("jdoe")
        own = [s for s in store.visible_sets(store.record(store.add_record(read_ecg(sample_path())).id).id)
               if s.annotator_id == "jdoe"]
        return store.load(own[0].id).waves[wave_id]


def test_drag_moves_a_boundary_as_one_committed_undo_step(editing, qtbot, tmp_path) -> None:
    window = editing
    wave = second_qrs(window)
    target = wave.onset - 12  # 24 ms earlier
    zoom_to(window, wave.onset)
    drag(qtbot, window.paper, boundary_point(window, wave.onset), boundary_point(window, target), steps=8)
    moved = window.corrections.state.wave(wave.id)
    assert abs(moved.onset - target) <= 1
    document = window.corrections.document
    assert len(document.stack) == 1  # eight mouse moves, one undo step
    # committed: another connection to the file sees it, attributed to jdoe
    row = stored_wave(tmp_path / "annotations.sqlite", wave.id)
    assert row.wave.onset == moved.onset and row.provenance.annotator == "jdoe"
    # drawn: the overlay now shows the moved onset on the rhythm strip
    spans = [s for s in window.paper.overlay.spans if s.wave.id == wave.id]
    assert spans and spans[0].wave.onset == moved.onset
    # Ctrl+Z / Ctrl+Shift+Z through the real shortcuts
    qtbot.keyClick(window.paper, KEY.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.corrections.state.wave(wave.id).onset == wave.onset
    assert stored_wave(tmp_path / "annotations.sqlite", wave.id).wave.onset == wave.onset
    qtbot.keyClick(window.paper, KEY.Key_Z,
                   QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert window.corrections.state.wave(wave.id).onset == moved.onset
    assert not window.isWindowModified()  # every edit is in the store: nothing unsaved


def test_a_drag_that_starts_off_a_boundary_pans(editing, qtbot) -> None:
    window = editing
    before = window.paper.vb.viewRange()[0]
    panel = rhythm_panel(window)
    wave = second_qrs(window)
    gap = (wave.offset + window.corrections.state.waves_in("II", WaveKind.T)[1].onset) // 2
    start = PaperPoint(float(panel.x_of(gap)), panel.baseline_mm + 8)
    drag(qtbot, window.paper, start, PaperPoint(start.x_mm + 20, start.y_mm))
    assert window.paper.vb.viewRange()[0] != before
    assert window.corrections.document is None  # nothing edited: no set was even created


def test_arrow_keys_nudge_one_sample_and_10_ms_as_one_step(editing, qtbot) -> None:
    window = editing
    wave = second_qrs(window)
    window.editor.select(Selection(wave.id, Boundary.OFFSET))
    window.paper.setFocus()
    qtbot.keyClick(window.paper, KEY.Key_Right)
    qtbot.keyClick(window.paper, KEY.Key_Right)
    assert window.corrections.state.wave(wave.id).offset == wave.offset + 2
    qtbot.keyClick(window.paper, KEY.Key_Left, SHIFT)  # 10 ms = 5 samples at 500 Hz
    assert window.corrections.state.wave(wave.id).offset == wave.offset - 3
    assert len(window.corrections.document.stack) == 1
    window.undo()
    assert window.corrections.state.wave(wave.id).offset == wave.offset


def test_keyboard_moves_between_boundaries_beats_and_leads(editing, qtbot) -> None:
    window = editing
    state = window.corrections.state
    wave = second_qrs(window)
    window.editor.select(Selection(wave.id, Boundary.ONSET))
    window.paper.setFocus()
    qtbot.keyClick(window.paper, KEY.Key_Tab)
    assert window.editor.selection == Selection(wave.id, Boundary.PEAK)
    qtbot.keyClick(window.paper, KEY.Key_BracketRight)
    third = state.waves_in("II", WaveKind.QRS)[2]
    assert window.editor.selection == Selection(third.id, Boundary.PEAK)
    qtbot.keyClick(window.paper, KEY.Key_Down)
    selected = state.wave(window.editor.selection.wave_id)
    assert selected.lead == "III" and selected.kind is WaveKind.QRS
    assert selected.overlap(third.onset, third.offset) > 0
    qtbot.keyClick(window.paper, KEY.Key_Escape)
    assert window.editor.selection is None


def test_add_a_wave_by_key_and_drag_then_retype_and_delete(editing, qtbot) -> None:
    window = editing
    state = window.corrections.state
    t_waves = state.waves_in("II", WaveKind.T)
    p_waves = state.waves_in("II", WaveKind.P)
    # an empty stretch between the second T wave and the third P wave
    lo, hi = t_waves[1].offset + 10, p_waves[2].onset - 10
    assert hi - lo > 30
    before = len(state.waves)
    qtbot.keyClick(window.paper, KEY.Key_P)  # arm: add a P wave
    zoom_to(window, lo)
    drag(qtbot, window.paper, boundary_point(window, lo), boundary_point(window, lo + 30))
    state = window.corrections.state
    assert len(state.waves) == before + 1
    added = state.wave(window.editor.selection.wave_id)
    assert added.kind is WaveKind.P and abs(added.onset - lo) <= 1 and abs(added.offset - lo - 30) <= 1
    assert added.onset <= added.peak <= added.offset
    qtbot.keyClick(window.paper, KEY.Key_T, SHIFT)  # it was a T wave after all
    assert window.corrections.state.wave(added.id).kind is WaveKind.T
    qtbot.keyClick(window.paper, KEY.Key_Delete)
    assert added.id not in window.corrections.state.waves
    assert window.editor.selection is None


def test_shift_drag_sets_the_boundary_on_every_lead_of_the_beat(editing, qtbot) -> None:
    window = editing
    wave = second_qrs(window)
    target = wave.onset - 5
    zoom_to(window, wave.onset)
    drag(qtbot, window.paper, boundary_point(window, wave.onset), boundary_point(window, target),
         modifier=SHIFT)
    state = window.corrections.state
    group = [state.wave(i) for i in window.corrections.document.stack.peek_undo().scope().wave_ids]
    assert len({w.lead for w in group}) >= 10
    assert all(abs(w.onset - target) <= 1 for w in group)
    window.undo()  # one step for every lead
    assert window.corrections.state.wave(wave.id).onset == wave.onset


def test_unreadable_lead_accept_labels_and_note_are_stored(editing, qtbot, tmp_path) -> None:
    window = editing
    wave = window.corrections.state.waves_in("V2", WaveKind.QRS)[0]
    window.editor.select(Selection(wave.id, Boundary.ONSET))
    qtbot.keyClick(window.paper, KEY.Key_U)
    assert window.corrections.state.status_of("V2") is LeadStatus.UNREADABLE
    assert "V2" in window.paper.lead_status.unreadable and window.paper.lead_status._items
    qtbot.keyClick(window.paper, KEY.Key_A, SHIFT)  # accept the model on every lead
    assert all(window.corrections.state.status_of(ld) is LeadStatus.ACCEPTED
               for ld in window.corrections.state.lead_names)
    panel = window.annotation_panel
    panel.checks[Label(LabelKind.RHYTHM, "Sinus rhythm")].setChecked(True)
    panel.note.setFocus()
    qtbot.keyClicks(panel.note, "baseline wander in V1")
    assert window.isWindowModified()  # typed, not yet committed
    panel.commit_note()
    assert not window.isWindowModified()
    with AnnotationStore.open(tmp_path / "annotations.sqlite") as store:
        store.switch_user("jdoe")
        set_id = window.corrections.set_info.id
        state = store.load(set_id)
        assert Label(LabelKind.RHYTHM, "Sinus rhythm") in state.labels
        assert state.note == "baseline wander in V1"
        assert store.rebuild(set_id) == state  # the log alone gives the same set


def test_reopening_finds_every_correction_attributed(qtbot, tmp_path, settings, sample, proposal) -> None:
    store_path = tmp_path / "annotations.sqlite"
    first = MainWindow(modal_errors=False, background_loading=False, store_path=store_path,
                       settings=settings)
    qtbot.addWidget(first)
    first.set_state(dataclasses.replace(first.state, auto_delineate=False))
    first.show()
    first.sign_in("jdoe", "Dr Jane Doe", Role.ANNOTATOR, new=True)
    first.show_record(sample)
    first.show_delineation(proposal)
    wave = second_qrs(first)
    first.editor.select(Selection(wave.id, Boundary.OFFSET))
    for _ in range(4):
        qtbot.keyClick(first.paper, KEY.Key_Right)
    first.close()  # no save step anywhere

    again = MainWindow(modal_errors=False, background_loading=False, store_path=store_path,
                       settings=settings)  # remembers the user from the preferences
    qtbot.addWidget(again)
    again.set_state(dataclasses.replace(again.state, auto_delineate=False))
    again.show()
    assert again.corrections.user is not None and again.corrections.user.id == "jdoe"
    again.show_record(read_ecg(sample_path()))  # read afresh: found by content, not by object
    state = again.corrections.state  # shown before any delineation runs
    assert state is not None and state.wave(wave.id).offset == wave.offset + 4
    assert state.waves[wave.id].provenance.annotator == "jdoe"
    history = again.corrections.history()
    assert any(e.who == "jdoe" and "offset" in e.text for e in history)
    assert verify_store(store_path).ok


def test_submit_locks_the_set_until_reopened(editing, qtbot) -> None:
    window = editing
    window.submit()
    assert window.corrections.set_info.status.value == "submitted"
    assert window.corrections.store.verify_signature(window.corrections.set_info.id).valid
    wave = second_qrs(window)
    zoom_to(window, wave.onset)
    drag(qtbot, window.paper, boundary_point(window, wave.onset), boundary_point(window, wave.onset - 10))
    assert window.corrections.state.wave(wave.id).onset == wave.onset  # refused, not applied
    assert "reopen" in window.last_error_box.informativeText().lower()
    window.corrections.reopen()
    assert window.corrections.editable


def test_hidden_proposal_starts_an_empty_blind_set(window, qtbot, sample, proposal) -> None:
    window.trigger_key("annotate.hide_proposal")
    assert window.state.blind and window.state.hide_proposal
    window.sign_in("blinded", "Reader B", Role.ANNOTATOR, new=True)
    window.show_record(sample)
    window.show_delineation(proposal)
    assert window.corrections.state.waves == {}
    assert window.paper.overlay.spans == []  # the model's waves are not drawn
    from workstation.core.commands import AddWave
    assert window.apply_command(AddWave.new(WaveKind.QRS, "II", 990, 1010, 1035))
    info = window.corrections.set_info  # made with the first edit, blind and without the model
    assert info.blind and info.hide_proposal and info.proposal_set_id is None
    assert len(window.corrections.state.waves) == 1 and len(window.paper.overlay.spans) >= 1


def test_without_a_user_the_proposal_is_read_only(window, qtbot, sample, proposal) -> None:
    window.show_record(sample)
    window.show_delineation(proposal)
    assert not window.corrections.editable
    assert window.paper.overlay.spans  # the proposal is still shown
    wave = proposal.waves_in("II", WaveKind.QRS)[1]
    zoom_to(window, wave.onset)
    drag(qtbot, window.paper, boundary_point(window, wave.onset), boundary_point(window, wave.onset - 10))
    assert "sign in" in window.corrections.status_text().lower()
    assert "Sign in first" in window.last_error_box.informativeText()  # told why nothing moved


def test_conflicting_edit_from_a_second_workstation_is_reported(editing, qtbot, tmp_path) -> None:
    window = editing
    wave = second_qrs(window)
    # a second workstation (another connection, same user profile) moves the same onset first
    with AnnotationStore.open(tmp_path / "annotations.sqlite") as other:
        other.switch_user("jdoe")
        session = other.open_session(window.corrections.record_id)
        from workstation.core.commands import MoveBoundary
        session.execute(MoveBoundary.of(session.state, wave.id, Boundary.ONSET, wave.onset - 20))
    zoom_to(window, wave.onset)
    drag(qtbot, window.paper, boundary_point(window, wave.onset), boundary_point(window, wave.onset - 6))
    assert "changed elsewhere" in window.last_error_box.informativeText()
    # not overwritten: the set now shows the other workstation's value
    assert window.corrections.state.wave(wave.id).onset == wave.onset - 20


def test_unusable_store_keeps_edits_in_memory_and_says_so(qtbot, tmp_path, settings, sample,
                                                          proposal) -> None:
    bad = tmp_path / "not-a-store.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    window = MainWindow(modal_errors=False, background_loading=False, store_path=bad, settings=settings)
    qtbot.addWidget(window)
    window.set_state(dataclasses.replace(window.state, auto_delineate=False))
    window.show()
    window.show_record(sample)
    window.show_delineation(proposal)
    assert window.corrections.store is None and "not an annotation store" in window.corrections.status_text()
    wave = second_qrs(window)
    window.editor.select(Selection(wave.id, Boundary.ONSET))
    qtbot.keyClick(window.paper, KEY.Key_Left)
    assert window.corrections.state.wave(wave.id).onset == wave.onset - 1
    assert window.isWindowModified()  # the title says: not saved
    paths = window.corrections.save_unsaved(tmp_path / "rescued")
    assert any(p.suffix == ".json" for p in paths) and not window.isWindowModified()
    assert bad.read_bytes().startswith(b"this is not a database")  # the foreign file is untouched


def test_shortcut_sheet_lists_menu_and_paper_keys(window, qtbot) -> None:
    window.trigger_key("help.shortcuts")
    sheet = next(w for w in QtWidgets.QApplication.topLevelWidgets()
                 if w.windowTitle() == "Keyboard shortcuts" and w.isVisible())
    keys = {sheet.table.item(r, 1).text() for r in range(sheet.table.rowCount())}
    assert {"Ctrl+Z", "Ctrl+Shift+Z or Ctrl+Y", "P", "Tab / Shift+Tab", "Shift+Left / Shift+Right"} <= keys
    sheet.close()


def test_store_keeps_integrity_after_a_session_of_edits(editing, qtbot, tmp_path) -> None:
    window = editing
    wave = second_qrs(window)
    window.editor.select(Selection(wave.id, Boundary.ONSET))
    for key in (KEY.Key_Left, KEY.Key_Left, KEY.Key_Right):
        qtbot.keyClick(window.paper, key)
    window.close()
    with sqlite3.connect(tmp_path / "annotations.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_history_viewer_lists_who_changed_what(editing, qtbot) -> None:
    window = editing
    wave = second_qrs(window)
    window.editor.select(Selection(wave.id, Boundary.ONSET))
    qtbot.keyClick(window.paper, KEY.Key_Left)
    window.trigger_key("annotate.history")
    dialog = next(w for w in QtWidgets.QApplication.topLevelWidgets()
                  if w.windowTitle().startswith("History") and w.isVisible())
    rows = [[dialog.table.item(r, c).text() for c in range(4)] for r in range(dialog.table.rowCount())]
    assert any(row[1] == "jdoe" and "onset" in row[3] and str(wave.onset) in row[3] for row in rows)
    dialog.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root ignores folder permissions")
def test_read_only_folder_keeps_the_window_usable(qtbot, tmp_path, settings, sample, proposal) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        window = MainWindow(modal_errors=False, background_loading=False,
                            store_path=folder / "annotations.sqlite", settings=settings)
        qtbot.addWidget(window)
        window.show_record(sample)
        window.show_delineation(proposal)
        assert window.corrections.store is None and "NOT SAVED" in window.corrections.status_text()
        assert window.corrections.editable
    finally:
        folder.chmod(0o700)


def test_two_blind_readers_then_dashboard_and_adjudication(window, qtbot, sample, proposal) -> None:
    from workstation.core.commands import MoveBoundary

    window.trigger_key("annotate.blind")
    for reader, shift in (("reader.a", -25), ("reader.b", 0)):
        assert window.sign_in(reader, reader, Role.ANNOTATOR, new=True)
        window.show_record(sample)
        window.show_delineation(proposal)
        for wave in window.corrections.state.waves_in("V1", WaveKind.QRS)[:4]:
            window.apply_command(MoveBoundary.of(window.corrections.state, wave.id,
                                                 Boundary.ONSET, wave.onset + shift))
        assert window.corrections.set_info.blind
        window.submit()
    dashboard = window.open_dashboard(background=False)
    assert dashboard is not None and dashboard.dashboard.report is not None
    header, rows = dashboard.dashboard.matrix_rows()
    assert any("reader.a" in h for h in header) and any("reader.b" in h for h in header)
    dashboard.close()
    assert window.open_adjudication() is None  # readers cannot adjudicate
    assert window.sign_in("chief", "Dr Chief", Role.ADJUDICATOR, new=True)
    adjudication = window.open_adjudication()
    assert adjudication is not None
    adjudication.panel.threshold.setValue(2.0)  # four QRS onsets 50 ms apart on one lead
    adjudication.panel.refresh()
    assert adjudication.panel.queue.rowCount() >= 1
    adjudication.panel.queue.selectRow(0)  # the signal is found: the open record itself
    assert adjudication.panel.record is not None and adjudication.panel.record.n_leads == 12
    adjudication.close()


def test_closing_with_unsaved_edits_offers_to_save_them(qtbot, tmp_path, settings, sample, proposal,
                                                         monkeypatch) -> None:
    import workstation.ui.annotating as annotating  # asks the close question

    bad = tmp_path / "foreign.sqlite"
    bad.write_bytes(b"not a database" * 100)
    window = MainWindow(modal_errors=False, background_loading=False, store_path=bad, settings=settings)
    qtbot.addWidget(window)
    window.show()
    window.show_record(sample)
    window.show_delineation(proposal)
    wave = second_qrs(window)
    window.editor.select(Selection(wave.id, Boundary.ONSET))
    qtbot.keyClick(window.paper, KEY.Key_Left)
    asked = []
    monkeypatch.setattr(annotating, "ask_choice", lambda *a, **k: asked.append(a) or None)  # Cancel
    assert not window.close() and window.isVisible()  # cancelled: the window stays, edits kept
    rescue = tmp_path / "rescue"
    monkeypatch.setattr(annotating, "ask_choice", lambda *a, **k: 0)  # "Save to folder…"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *a, **k: str(rescue))
    assert window.close()
    assert asked and (rescue / "ludb_2.delineation.json").is_file() and (rescue / "ludb_2.ii").is_file()
