"""The findings dock: triage, confidence, review, measurements, flags and the narrative.

It shows a :class:`rules.analysis.Analysis` and nothing else; selecting a flag asks the
window (through ``flag_selected``) to highlight the flag's leads and beats on the paper.
Decision support: the narrative is always labelled for clinician review.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from rules.analysis import Analysis
from rules.flag import Flag
from rules.types import Severity, Triage

TRIAGE_TEXT = {
    Triage.NORMAL: ("Normal", "#1e7d46"),
    Triage.ABNORMAL_NOT_ACUTE: ("Abnormal, not acute", "#9a6a00"),
    Triage.SUBACUTE: ("Subacute", "#c0581b"),
    Triage.ACUTE: ("Acute", "#b3122e"),
}
SEVERITY_COLOUR = {Severity.ALERT: "#b3122e", Severity.BORDERLINE: "#9a6a00", Severity.INFO: "#1f5fa8"}
DISCLAIMER = "Decision support - clinician review required"


def measurement_rows(a: Analysis) -> list[tuple[str, str, str]]:
    """(name, value, where) rows; an unmeasured value reads "not measured", never a guess."""
    m, r, i = a.measurements, a.measurements.rhythm, a.measurements.intervals
    items = [("Heart rate", r.hr_bpm), ("RR", r.rr_ms), ("P duration", i.p_ms), ("PR", i.pr_ms),
             ("QRS", i.qrs_ms), ("QT", i.qt_ms), (f"QTc ({a.measurements.qtc_name})", m.qtc),
             ("P axis", m.p_axis), ("QRS axis", m.qrs_axis), ("T axis", m.t_axis)]
    rows = []
    for name, measured in items:
        value = "not measured" if measured.value is None else f"{measured.value:.0f} {measured.unit}"
        where = ", ".join(measured.leads) if len(measured.leads) <= 4 else f"{len(measured.leads)} leads"
        rows.append((name, value, where))
    return rows


class FindingsPanel(QtWidgets.QDockWidget):
    """Dock listing what the rules found on the open record."""

    flag_selected = QtCore.Signal(object)  # Flag or None

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Findings", parent)
        self.setObjectName("findingsDock")
        self.analysis: Analysis | None = None
        self.headline = QtWidgets.QLabel()
        self.headline.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.table = _table(["Measurement", "Value", "Leads"])
        self.flags = QtWidgets.QListWidget()
        self.flags.setWordWrap(True)
        self.flags.currentRowChanged.connect(self._on_flag_row)
        self.narrative = QtWidgets.QLabel()
        self.narrative.setWordWrap(True)
        self.narrative.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        body = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(body)
        for widget, stretch in ((self.headline, 0), (self.table, 3), (QtWidgets.QLabel("Flags"), 0),
                                (self.flags, 3), (self.narrative, 0)):
            box.addWidget(widget, stretch)
        self.setWidget(body)
        self.show_analysis(None)

    def show_analysis(self, analysis: Analysis | None, *, pending: str = "") -> None:
        """Show ``analysis``; with None, say what is happening (``pending``) instead."""
        self.analysis = analysis
        self.flags.clear()
        if analysis is None:
            self.headline.setText(pending or "No analysis yet.")
            self.table.setRowCount(0)
            self.narrative.setText("")
            return
        self.headline.setText(_headline(analysis))
        rows = measurement_rows(analysis)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(text))
        for flag in analysis.flags:
            self.flags.addItem(_flag_item(flag))
        if not analysis.flags:
            self.flags.addItem("No rule flag raised.")
        text = analysis.narrative
        if text.startswith(DISCLAIMER):
            text = text[len(DISCLAIMER):].lstrip(" .:-")
        self.narrative.setText(f"<b>{DISCLAIMER}.</b> {text}")

    def select_flag(self, row: int) -> None:
        self.flags.setCurrentRow(row)

    def _on_flag_row(self, row: int) -> None:
        a = self.analysis
        self.flag_selected.emit(a.flags[row] if a is not None and 0 <= row < len(a.flags) else None)


def _headline(a: Analysis) -> str:
    text, colour = TRIAGE_TEXT[a.routing.triage]
    review = ("<b>Review required</b>: " + "; ".join(a.routing.review_reasons)
              if a.routing.review else "No review required by the rules")
    calibrated = "" if a.confidence.calibrated else " (uncalibrated)"
    poor = a.quality.poor_leads
    quality = f"poor leads: {', '.join(poor)}" if poor else "all leads usable"
    return (f"<span style='font-size:15pt; color:{colour}'><b>{text}</b></span> "
            f"&nbsp; confidence {int(a.confidence.value * 100) / 100:.2f}{calibrated}<br>"
            f"{review}<br><span style='color:#555'>Quality: {quality}. Rule set {a.ruleset.label}; "
            f"model {a.model or 'none'}</span>")


def _flag_item(flag: Flag) -> QtWidgets.QListWidgetItem:
    item = QtWidgets.QListWidgetItem(f"[{flag.severity.value}] {flag.id.value}: {flag.reason}")
    item.setForeground(QtGui.QColor(SEVERITY_COLOUR[flag.severity]))
    item.setToolTip(f"{flag.measurement}; threshold {flag.threshold:g} {flag.unit}; "
                    f"leads {', '.join(flag.leads) or 'global'}")
    return item


def _table(headers: list[str]) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table
