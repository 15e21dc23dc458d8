"""The findings dock: triage, confidence, review, measurements, flags and the narrative.

It shows a :class:`rules.analysis.Analysis` and nothing else; selecting a flag asks the
window (through ``flag_selected``) to highlight the flag's leads and beats on the paper.
Decision support: the narrative is always labelled for clinician review.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from rules.analysis import Analysis
from rules.device import Agreement, Concordance
from rules.flag import Flag
from rules.types import QtcFormula, Severity, Triage

TRIAGE_TEXT = {
    Triage.NORMAL: ("Normal", "#1e7d46"),
    Triage.ABNORMAL_NOT_ACUTE: ("Abnormal, not acute", "#9a6a00"),
    Triage.SUBACUTE: ("Subacute", "#c0581b"),
    Triage.ACUTE: ("Acute", "#b3122e"),
    Triage.UNREADABLE: ("Unreadable: repeat the ECG", "#5b3a8c"),
}
AGREEMENT_TEXT = {
    Agreement.AGREE: ("agree", "#1e7d46"),
    Agreement.PARTLY: ("partly", "#6b7d1e"),
    Agreement.DEVICE_ONLY: ("device only", "#9a6a00"),
    Agreement.OURS_ONLY: ("ours only", "#1f5fa8"),
    Agreement.NOT_COMPARED: ("not compared", "#666666"),
}
#: our measurement row -> the device's name for it
DEVICE_NAMES = {"Heart rate": "Ventricular rate", "P duration": "P duration", "PR": "PR",
                "QRS": "QRS", "QT": "QT", "QTc (Bazett)": "QTc", "P axis": "P axis",
                "QRS axis": "QRS axis", "T axis": "T axis"}
BEYOND_COLOUR = "#b3122e"
SEVERITY_COLOUR = {Severity.ALERT: "#b3122e", Severity.BORDERLINE: "#9a6a00", Severity.INFO: "#1f5fa8"}
DISCLAIMER = "Decision support - clinician review required"


def measurement_rows(a: Analysis) -> list[tuple[str, str, str]]:
    """(name, value, where) rows; an unmeasured value reads "not measured" (with the reason
    "implausible" where it was measured but cannot be right), never a guess."""
    m, r, i = a.measurements, a.measurements.rhythm, a.measurements.intervals
    items = [("Heart rate", r.hr_bpm), ("RR", r.rr_ms), ("P duration", i.p_ms), ("PR", i.pr_ms),
             ("QRS", i.qrs_ms), ("QT", i.qt_ms), (f"QTc ({a.measurements.qtc_name})", m.qtc)]
    if any(p.name == "QTc" for p in a.device_measurements) and m.qtc_formula is not QtcFormula.BAZETT:
        items.append(("QTc (Bazett)", i.qtc[QtcFormula.BAZETT]))
    items += [("P axis", m.p_axis), ("QRS axis", m.qrs_axis), ("T axis", m.t_axis)]
    rows = []
    for name, measured in items:
        value = f"{measured.value:.0f} {measured.unit}" if measured.value is not None else (
            "not measured (implausible)" if "implausible" in measured.note else "not measured")
        where = ", ".join(measured.leads) if len(measured.leads) <= 4 else f"{len(measured.leads)} leads"
        rows.append((name, value, where))
    return rows


def device_cells(a: Analysis, name: str) -> tuple[str, str, bool, str]:
    """The device's value, our difference from it, whether it is beyond tolerance, and a
    tooltip; empty when the device did not measure ``name``."""
    pair = next((p for p in a.device_measurements if p.name == DEVICE_NAMES.get(name)), None)
    if pair is None:
        return "", "", False, ""
    device = f"{pair.device:.0f} {pair.unit}"
    if pair.difference is None:
        return device, "", False, "ours not measured"
    diff = f"{round(pair.difference):+d}" if round(pair.difference) else "0"
    tip = (f"tolerance {pair.tolerance:g} {pair.unit}" if pair.tolerance is not None else "")
    return device, diff, pair.beyond, "; ".join(t for t in (tip, pair.note) if t)


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
        self.table = _table(["Measurement", "Value", "Leads", "Device (diff)"])
        self.flags = QtWidgets.QListWidget()
        self.flags.setWordWrap(True)
        self.flags.currentRowChanged.connect(self._on_flag_row)
        self.device_label = QtWidgets.QLabel("Device statements")
        self.device = QtWidgets.QListWidget()
        self.device.setWordWrap(True)
        self.narrative = QtWidgets.QLabel()
        self.narrative.setWordWrap(True)
        self.narrative.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        body = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(body)
        for widget, stretch in ((self.headline, 0), (self.table, 3), (QtWidgets.QLabel("Flags"), 0),
                                (self.flags, 3), (self.device_label, 0), (self.device, 2),
                                (self.narrative, 0)):
            box.addWidget(widget, stretch)
        scroll = QtWidgets.QScrollArea()  # a short screen scrolls the dock rather than crushing it
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self.show_analysis(None)

    def show_analysis(self, analysis: Analysis | None, *, pending: str = "",
                      printed: bool = False) -> None:
        """Show ``analysis``; with None, say what is happening (``pending``) instead.
        ``printed``: the device's values and statements were read off a printed page."""
        self.analysis = analysis
        self.flags.clear()
        self.device.clear()
        if analysis is None:
            self.headline.setText(pending or "No analysis yet.")
            self.table.setRowCount(0)
            self.narrative.setText("")
            return
        self.headline.setText(_headline(analysis))
        rows = measurement_rows(analysis)
        with_device = bool(analysis.device_measurements)
        self._fit_columns(with_device)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            device, diff, beyond, tip = device_cells(analysis, row[0])
            cell = f"{device} ({diff})" if diff else device
            name, value, leads = row
            if with_device and leads:
                # the dock has no room for four columns: the leads go under the measurement's name
                name = f"{name}\n{leads}"
            for c, text in enumerate((name, value, leads, cell)):
                item = QtWidgets.QTableWidgetItem(text)
                if c == 3 and beyond:
                    item.setForeground(QtGui.QColor(BEYOND_COLOUR))
                    item.setToolTip(f"beyond the tolerance; {tip}")
                elif c == 3:
                    item.setToolTip(tip)
                elif c == 1:
                    item.setToolTip(f"leads: {row[2]}" if row[2] else "")
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        # every measurement in view: the table is the first thing read, not a thing to scroll
        rows_px = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setMinimumHeight(min(rows_px + self.table.horizontalHeader().height() + 6, 420))
        for row in analysis.device_concordance:
            self.device.addItem(_concordance_item(row))
        self.device.setVisible(bool(analysis.device_concordance))
        self.device_label.setVisible(bool(analysis.device_concordance))
        self._name_device_source(printed)
        for flag in analysis.flags:
            self.flags.addItem(_flag_item(flag))
        if not analysis.flags:
            self.flags.addItem("No rule flag raised.")
        text = analysis.narrative
        if text.startswith(DISCLAIMER):
            text = text[len(DISCLAIMER):].lstrip(" .:-")
        self.narrative.setText(f"<b>{DISCLAIMER}.</b> {text}")

    def _fit_columns(self, with_device: bool) -> None:
        """Measurement | Value | Leads, the leads wrapping in the dock's width; with the device's
        values, Measurement (its leads under it) | Value | Device (diff), the device's column
        taking the width."""
        self.table.setColumnHidden(2, with_device)
        self.table.setColumnHidden(3, not with_device)
        header = self.table.horizontalHeader()
        stretch, fit = (3, 2) if with_device else (2, 3)
        header.setSectionResizeMode(stretch, QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(fit, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)

    def _name_device_source(self, printed: bool) -> None:
        """The device's column and statements say when they were read off the printed page."""
        header = "Printed (diff)" if printed else "Device (diff)"
        self.table.setHorizontalHeaderItem(3, QtWidgets.QTableWidgetItem(header))
        self.device_label.setText("Printed statements (read from the image)" if printed
                                  else "Device statements")

    def select_flag(self, row: int) -> None:
        self.flags.setCurrentRow(row)

    def _on_flag_row(self, row: int) -> None:
        a = self.analysis
        self.flag_selected.emit(a.flags[row] if a is not None and 0 <= row < len(a.flags) else None)


def _headline(a: Analysis) -> str:
    _, colour = TRIAGE_TEXT[a.routing.triage]
    review = ("<b>Review required</b>: " + "; ".join(a.routing.review_reasons)
              if a.routing.review else "No review required by the rules")
    calibrated = "" if a.confidence.calibrated else " (uncalibrated)"
    poor = a.quality.poor_leads
    quality = f"poor leads: {', '.join(poor)}" if poor else "all leads usable"
    return (f"<span style='font-size:15pt; color:{colour}'><b>{a.routing.label}</b></span> "
            f"&nbsp; confidence {a.confidence.value:.2f}{calibrated}<br>"
            f"{review}<br><span style='color:#555'>Quality: {quality}. Rule set {a.ruleset.label}; "
            f"model {a.model or 'none'}</span>")


def _concordance_item(row: Concordance) -> QtWidgets.QListWidgetItem:
    words, colour = AGREEMENT_TEXT[row.agreement]
    ours = ", ".join(f.value for f in row.flags) or "none"
    said = f"\u201c{row.statement}\u201d" if row.statement else "(no statement)"
    text = f"[{words}] {said} - ours: {ours}"
    if row.critical:
        text += " - critical: raised to the device's urgency for review"
        colour = BEYOND_COLOUR
    item = QtWidgets.QListWidgetItem(text)
    item.setForeground(QtGui.QColor(colour))
    item.setToolTip(", ".join(c.value for c in row.concepts) or "outside our vocabulary")
    return item


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
    header = table.horizontalHeader()
    header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
    if "Leads" in headers:
        # the leads wrap within the dock's width rather than being cut at its edge
        header.setSectionResizeMode(headers.index("Leads"), QtWidgets.QHeaderView.ResizeMode.Stretch)
        table.setWordWrap(True)
        table.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    else:
        header.setStretchLastSection(True)
    return table
