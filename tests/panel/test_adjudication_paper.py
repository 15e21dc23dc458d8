"""Adjudicating on ECG paper: the sources' labelled lanes, a drag that places the
adjudicator's own boundary, the editor's keys, an own wave drawn with T + drag, a signed
consensus. Real widgets (pytest-qt, offscreen) over a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtWidgets

from workstation.core.annotation import Boundary
from workstation.core.delineation import WaveKind
from workstation.core.layout import LayoutKind, PaperPoint
from workstation.panel.adjudication import Scope
from workstation.store import AnnotationStore
from workstation.ui.adjudication import AdjudicationPanel
from workstation.ui.adjudication_paper import lane_y

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def _no_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a, **k: None)
    monkeypatch.setattr(QtWidgets.QMessageBox, "information", lambda *a, **k: None)


@pytest.fixture
def adjudicating(qtbot, panel: AnnotationStore) -> AdjudicationPanel:
    """The V2 disagreement of rec-1 open, ann1's lead taken as the starting consensus."""
    panel.switch_user("adj")
    widget = AdjudicationPanel(panel)
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    qtbot.waitExposed(widget)
    widget.threshold.setValue(3.0)
    widget.refresh()
    widget.queue.selectRow(0)
    assert widget.lead_box.currentText() == "V2"
    widget.source_box.setCurrentText("ann1")
    widget.rationale.setText("ann1's lead as the start")
    assert widget.accept_lead()
    return widget


def drag(qtbot, view, start: PaperPoint, end: PaperPoint, steps: int = 6) -> None:
    viewport = view.viewport()
    p0, p1 = view.paper_to_viewport(start), view.paper_to_viewport(end)
    qtbot.mousePress(viewport, LEFT, pos=p0)
    for k in range(1, steps + 1):
        qtbot.wait(20)  # pyqtgraph drops mouse moves closer than 1/60 s
        qtbot.mouseMove(viewport, p0 + (p1 - p0) * (k / steps))
    qtbot.mouseRelease(viewport, LEFT, pos=p1)


def zoom_to(paper, sample: int) -> PaperPoint:
    panel = paper.layout.panels[0]
    x = float(panel.x_of(sample))
    paper.show_region(QtCore.QRectF(x - 30, panel.baseline_mm - 15, 60, 30))
    return PaperPoint(x, panel.baseline_mm)


def test_the_lead_is_on_true_scale_paper_with_each_source_in_a_labelled_lane(adjudicating) -> None:
    paper = adjudicating.paper
    layout = paper.paper.layout
    assert layout.kind is LayoutKind.ONE_ROW_PER_LEAD and layout.paper.speed_mm_s == 25.0
    assert [p.lead for p in layout.panels] == ["V2"]
    names = [label.toPlainText() for label, _ in paper.lanes.labels]
    assert names == [f"{chr(65 + i)}  {n}" for i, n in enumerate(adjudicating.sources)]
    # lanes above the trace, one under the other, none on the baseline
    ys = [y for _, y in paper.lanes.labels]
    assert ys == sorted(ys) and all(y < layout.panels[0].baseline_mm for y in ys)
    assert ys[-1] == lane_y(layout.panels[0], layout, len(ys) - 1, len(ys))
    # the wave table's headers are whole: each column at least as wide as its title
    header = adjudicating.waves.horizontalHeader()
    for c in range(adjudicating.waves.columnCount()):
        title = adjudicating.waves.horizontalHeaderItem(c).text()
        assert header.sectionSize(c) >= header.fontMetrics().horizontalAdvance(title)


def test_a_drag_places_the_adjudicators_own_boundary(adjudicating, qtbot, panel) -> None:
    widget = adjudicating
    paper = widget.paper.paper
    consensus = widget.adjudication.result()
    t_wave = [w for w in consensus.waves_in("V2", WaveKind.T)][2]
    start = zoom_to(paper, t_wave.offset)
    target = t_wave.offset - 10
    end = PaperPoint(float(paper.layout.panels[0].x_of(target)), start.y_mm)
    widget.rationale.setText("T ends where the slope meets the baseline")
    drag(qtbot, paper, PaperPoint(start.x_mm, start.y_mm - 2), end, steps=8)
    last = widget.adjudication.decisions[-1]
    assert last.scope is Scope.BOUNDARY and last.source is None and last.boundary is Boundary.OFFSET
    assert abs(last.sample - target) <= 1
    assert len(widget.adjudication.decisions) == 2  # eight mouse moves, one decision
    moved = widget.adjudication.result().wave(t_wave.id)
    assert moved.offset == last.sample and moved.onset == t_wave.onset
    assert widget.decision_list.count() == 2
    # the editor's keys: Right nudges the selected boundary, still one decision
    qtbot.keyClick(paper, QtCore.Qt.Key.Key_Right)
    assert widget.adjudication.decisions[-1].sample == last.sample + 1
    assert len(widget.adjudication.decisions) == 2
    # signed consensus keeps the adjudicator's own boundary, attributed to them
    set_id = widget.sign()
    assert panel.verify_signature(set_id).valid
    stored = panel.load(set_id).waves[t_wave.id]
    assert stored.wave.offset == last.sample + 1 and stored.provenance.annotator == "adj"


def test_without_a_rationale_a_drag_decides_nothing(adjudicating, qtbot) -> None:
    widget = adjudicating
    paper = widget.paper.paper
    t_wave = widget.adjudication.result().waves_in("V2", WaveKind.T)[1]
    start = zoom_to(paper, t_wave.offset)
    widget.rationale.clear()
    end = PaperPoint(float(paper.layout.panels[0].x_of(t_wave.offset - 10)), start.y_mm)
    drag(qtbot, paper, PaperPoint(start.x_mm, start.y_mm - 2), end)
    assert len(widget.adjudication.decisions) == 1
    assert "rationale" in widget.message.text()
    assert widget.adjudication.result().wave(t_wave.id).offset == t_wave.offset


def test_t_then_a_drag_draws_the_adjudicators_own_wave(adjudicating, qtbot) -> None:
    widget = adjudicating
    paper = widget.paper.paper
    consensus = widget.adjudication.result()
    t_wave = consensus.waves_in("V2", WaveKind.T)[3]
    start = zoom_to(paper, t_wave.onset)
    widget.rationale.setText("my own T")
    paper.setFocus()
    qtbot.keyClick(paper, QtCore.Qt.Key.Key_T)
    assert widget.paper.editor.armed is WaveKind.T
    x = paper.layout.panels[0].x_of
    drag(qtbot, paper, PaperPoint(float(x(t_wave.onset + 5)), start.y_mm + 3),
         PaperPoint(float(x(t_wave.offset - 5)), start.y_mm + 3))
    last = widget.adjudication.decisions[-1]
    assert last.scope is Scope.OWN and last.wave.kind is WaveKind.T
    assert abs(last.wave.onset - (t_wave.onset + 5)) <= 1
    result = widget.adjudication.result()
    assert t_wave.id not in result.waves  # the own wave replaced the one it overlaps
    qtbot.keyClick(paper, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert t_wave.id in widget.adjudication.result().waves
    assert len(widget.adjudication.decisions) == 1


def test_the_panel_renders_without_cut_text(adjudicating, tmp_path: Path) -> None:
    image = adjudicating.grab()
    assert not image.isNull()
    image.save(str(tmp_path / "adjudication.png"))
