"""The agreement dashboard and the adjudication panel, driven with pytest-qt (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtGui

from workstation.store import AnnotationStore
from workstation.ui.adjudication import AdjudicationPanel
from workstation.ui.agreement_dashboard import AgreementDashboard, compute_report

SHOTS = Path("/tmp")  # where the rendered widgets are saved for a look


def test_dashboard_shows_matrix_bland_altman_and_exports(qtbot, panel: AnnotationStore,
                                                         store_path: Path, tmp_path: Path) -> None:
    report = compute_report(store_path)
    dashboard = AgreementDashboard()
    qtbot.addWidget(dashboard)
    assert not dashboard.csv_button.isEnabled()
    dashboard.set_report(report)
    dashboard.resize(900, 600)
    names = [s.name for s in report.sources]
    assert dashboard.matrix.rowCount() == len(names) == 3
    assert dashboard.matrix.item(0, 0).text() == "ann1"
    # ann1 vs ann2: all matched; 12 T offsets 30 ms apart among 1,728 boundaries
    assert dashboard.matrix.item(0, 2).text() == "100.0 % / 0.2 ms"
    v2 = [dashboard.by_wave.horizontalHeaderItem(j).text()
          for j in range(dashboard.by_wave.columnCount())].index("V2")
    t_off = [dashboard.by_wave.item(i, 0).text() for i in range(6)].index("T_off")
    assert float(dashboard.by_wave.item(t_off, v2).text()) > 0
    dashboard.tabs.setCurrentIndex(2)
    dashboard.interval_box.setCurrentText("QT")
    assert "limits of agreement" in dashboard.ba_summary.text()
    with open(dashboard.export_csv(tmp_path / "agreement.csv"), newline="") as f:
        text = f.read()
    assert "# agreement matrix" in text and "# Bland-Altman" in text and "T_off" in text
    png = dashboard.export_png(tmp_path / "ba.png")
    assert not QtGui.QImage(str(png)).isNull()
    dashboard.export_png(SHOTS / "agreement_dashboard.png")
    dashboard.tabs.setCurrentIndex(0)
    dashboard.export_png(SHOTS / "agreement_matrix.png")


def test_adjudication_panel_queue_decisions_and_signed_consensus(qtbot, panel: AnnotationStore
                                                                 ) -> None:
    panel.switch_user("adj")
    widget = AdjudicationPanel(panel)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.threshold.setValue(3.0)  # V2: 30 ms on one of 6 boundaries, in 2 of 3 pairs
    widget.refresh()
    assert widget.queue.rowCount() == 1 and widget.queue.item(0, 0).text() == "rec-1.hea"
    assert widget.queue.item(0, 2).text().startswith("V2")
    widget.queue.selectRow(0)
    assert widget.lead_box.currentText() == "V2"  # the worst lead first
    header = [widget.waves.horizontalHeaderItem(j).text() for j in range(widget.waves.columnCount())]
    t_rows = [r for r in range(widget.waves.rowCount()) if widget.waves.item(r, 0).text() == "T"]
    assert widget.waves.item(t_rows[0], header.index("Δ offset ms")).text() == "30"
    assert not widget.accept_record()  # no rationale: refused, nothing decided
    assert widget.decision_list.count() == 0
    widget.source_box.setCurrentText("ann1")
    widget.rationale.setText("ann1 is the reference reader")
    assert widget.accept_record()
    widget.source_box.setCurrentText("ann2")
    widget.rationale.setText("T end at the return to baseline")
    assert widget.accept_lead()
    assert widget.decision_list.count() == 2
    widget.grab().save(str(SHOTS / "adjudication_panel.png"))
    with qtbot.waitSignal(widget.consensusSubmitted) as signal:
        set_id = widget.sign()
    assert signal.args == ["rec-1", set_id]
    assert panel.verify_signature(set_id).valid
    assert widget.queue.rowCount() == 0  # adjudicated: out of the queue


@pytest.fixture(autouse=True)
def _no_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused decision shows a message box; offscreen tests must not block on it."""
    from PySide6 import QtWidgets

    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a, **k: None)
    monkeypatch.setattr(QtWidgets.QMessageBox, "information", lambda *a, **k: None)
