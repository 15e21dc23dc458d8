"""The small things a reader meets every hour: the selected boundary's colour, a zoomed sheet's
lead names and time ruler, 12x1 read by scrolling, same-named worklist rows, the Annotation
dock's signed-in line, the measurements table's Leads, the welcome dialog's store path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from tests.store.file_keyring import use_file_keyring
from workstation.core.delineation import read_wfdb_annotations
from workstation.core.layout import LayoutKind
from workstation.core.selection import first_selection
from workstation.io import read_ecg
from workstation.review.worklist import WorklistEntry, distinct_names
from workstation.store import Role
from workstation.ui import theme
from workstation.ui.app import sample_path
from workstation.ui.editing import SELECTED_COLOUR, SELECTED_HALO
from workstation.ui.first_run import FirstRunDialog
from workstation.ui.main_window import MainWindow
from workstation.ui.overlays import EDGE


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path):
    use_file_keyring(tmp_path / "keyring.json")
    yield
    keyring.set_keyring(keyring.backends.fail.Keyring())


@pytest.fixture(scope="module")
def sample():
    return read_ecg(sample_path())


@pytest.fixture
def reading(window, sample):
    reference = read_wfdb_annotations(sample_path().with_suffix(""), sample.lead_names, sample.fs)
    window.show_record(sample)
    window.show_delineation(dataclasses.replace(reference, model_name="reference", model_version="ludb"))
    return window


def _luminance(colour: str) -> float:
    c = QtGui.QColor(colour)
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_selected_boundary_stands_out_on_every_paper_colour(reading) -> None:
    backgrounds = (theme.PAPER, theme.GRID_MINOR, theme.GRID_MAJOR, theme.DESK)
    # the core against the light paper and grid, the halo against the dark ink and wave edges
    assert min(contrast(SELECTED_COLOUR, bg) for bg in backgrounds) > 3.0
    assert min(contrast(SELECTED_HALO, dark) for dark in (theme.INK, *EDGE.values())) > 3.0
    hue = QtGui.QColor(SELECTED_COLOUR).hslHue()
    assert 180 < hue < 260  # blue: not the red of the grid
    state = reading.corrections.shown_state
    reading.editor.select(first_selection(state, "II", 0))
    assert len(reading.editor.marker._items) == 2  # noqa: SLF001 - halo under the core


def test_zoomed_in_the_lead_names_stay_in_view_and_a_ruler_gives_the_time(reading, qtbot) -> None:
    paper = reading.paper
    panel = next(p for p in paper.layout.panels if p.lead == "V2")
    # zoom to the middle of V2's panel: its name's printed place is off screen to the left
    x = panel.x_mm + 0.5 * panel.width_mm
    paper.show_region(QtCore.QRectF(x - 15, panel.baseline_mm - 10, 30, 20))
    rect = paper.vb.viewRect()
    labels = {text: (lx, ly) for text, lx, ly in paper._pins.positions}  # noqa: SLF001
    lx, ly = labels["V2"]
    assert rect.left() <= lx <= rect.right() and rect.top() <= ly <= rect.bottom()
    times = [float(t.split()[0]) for t in paper._paper_ruler.texts]  # noqa: SLF001
    t_mid = panel.sample_at(x) / reading.record.fs
    assert times == sorted(times) and len(times) >= 3 and times[0] <= t_mid <= times[-1]
    paper.fit()
    assert paper._paper_ruler.texts == []  # noqa: SLF001 - the whole sheet needs no ruler
    paper.grab().save(str(Path("/tmp") / "zoomed_sheet.png"))


def test_12x1_opens_at_the_sheets_width_and_scrolls(reading, qtbot) -> None:
    reading.trigger_key(f"view.layout.{LayoutKind.TWELVE_BY_ONE.value}")
    paper = reading.paper
    assert paper.tall_sheet and not paper.strip
    rect = paper.vb.viewRect()
    layout = paper.layout
    assert rect.width() < 1.1 * layout.width_mm  # the width fills the view
    assert rect.height() < 0.8 * layout.height_mm  # so not every row fits: it scrolls
    px_per_mm = paper.px_per_mm()[0]
    assert px_per_mm > 3.0  # a millimetre box is readable
    top = rect.top()
    wheel = QtGui.QWheelEvent(QtCore.QPointF(50, 50), QtCore.QPointF(50, 50), QtCore.QPoint(0, 0),
                              QtCore.QPoint(0, -120), QtCore.Qt.MouseButton.NoButton,
                              QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    paper.wheelEvent(wheel)
    assert paper.vb.viewRect().top() > top and paper.px_per_mm()[0] == pytest.approx(px_per_mm)
    qtbot.keyClick(paper, QtCore.Qt.Key.Key_PageDown)
    assert paper.vb.viewRect().top() > top + 0.5 * rect.height()
    paper.grab().save(str(Path("/tmp") / "twelve_by_one.png"))


def test_worklist_rows_of_same_named_files_are_told_apart(window, tmp_path) -> None:
    paths = [tmp_path / "ward_a" / "17.hea", tmp_path / "ward_b" / "17.hea",
             tmp_path / "ward_a" / "17.xml", tmp_path / "ward_a" / "3.hea"]
    assert distinct_names(paths) == {paths[0]: "ward_a/17.hea", paths[1]: "ward_b/17.hea",
                                     paths[2]: "ward_a/17.xml", paths[3]: "3"}
    worklist = window.worklist
    worklist.entries = [WorklistEntry(p, error="unreadable") for p in paths]
    worklist._refresh()  # noqa: SLF001
    shown = {worklist.table.item(r, 0).text() for r in range(worklist.table.rowCount())}
    assert shown == {"ward_a/17.hea", "ward_b/17.hea", "ward_a/17.xml", "3"}
    tips = {worklist.table.item(r, 0).toolTip() for r in range(worklist.table.rowCount())}
    assert tips == {str(p) for p in paths}


def test_the_annotation_dock_shows_the_annotator_restored_at_start(qtbot, tmp_path, settings) -> None:
    store = tmp_path / "annotations.sqlite"
    first = MainWindow(modal_errors=False, background_loading=False, store_path=store, settings=settings)
    qtbot.addWidget(first)
    assert first.sign_in("jdoe", "Dr Jane Doe", Role.ANNOTATOR, new=True)
    first.close()
    again = MainWindow(modal_errors=False, background_loading=False, store_path=store, settings=settings)
    qtbot.addWidget(again)
    assert again.corrections.user is not None and again.corrections.user.id == "jdoe"
    text = again.annotation_panel.user_label.text()
    assert "jdoe" in text and "No annotator" not in text


def test_the_measurements_table_shows_its_leads_whole(reading, sample) -> None:
    from rules.analysis import analyze_recording

    findings = reading.findings
    findings.show_analysis(analyze_recording(sample, reading.delineation))
    table = findings.table
    assert not table.isColumnHidden(2)
    assert table.horizontalScrollBarPolicy() == QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    assert table.minimumHeight() >= min(rows, 400)
    metrics = table.fontMetrics()
    for r in range(table.rowCount()):
        text = table.item(r, 2).text()
        lines = max(1, table.rowHeight(r) // metrics.height())
        assert metrics.horizontalAdvance(text) <= lines * table.columnWidth(2)


def test_the_welcome_dialog_shows_the_whole_store_path(qtbot, tmp_path) -> None:
    deep = tmp_path / "a fairly long folder name" / "another level of folders" / "annotations.sqlite"
    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue("store/path", str(deep))
    dialog = FirstRunDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    field = dialog.store
    assert field.text() == str(deep)
    fits = field.width() >= field.fontMetrics().horizontalAdvance(field.text())
    # the field shows it whole, or (wider than the screen allows) it is written out below
    assert fits or (dialog.store_full.isVisible()
                    and dialog.store_full.text().replace("\u200b", "") == str(deep))
    shallow = tmp_path / "annotations.sqlite"
    field.setText(str(shallow))
    assert field.width() >= field.fontMetrics().horizontalAdvance(str(shallow))
    assert not dialog.store_full.isVisible()
    dialog.grab().save(str(Path("/tmp") / "welcome.png"))
    assert isinstance(dialog.findChild(QtWidgets.QPushButton), QtWidgets.QPushButton)
