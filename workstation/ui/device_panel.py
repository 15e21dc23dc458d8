"""The device's own report (measurements, statements) in a dock beside the paper."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from workstation.core.record import ECGRecord

_COLUMNS = ("Measurement", "Value", "Unit", "Lead")


class DevicePanel(QtWidgets.QDockWidget):
    """A simple table of device measurements and the list of its statements.

    Hidden when the record carries no device report and no notes.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Device report", parent)
        self.setObjectName("devicePanel")
        self.setAllowedAreas(QtCore.Qt.DockWidgetArea.RightDockWidgetArea
                             | QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        self.program = QtWidgets.QLabel()
        self.table = QtWidgets.QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.statements = QtWidgets.QListWidget()
        self.statements.setWordWrap(True)
        self.statements.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.statements.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        body = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(body)
        box.addWidget(self.program)
        box.addWidget(self.table, 2)
        box.addWidget(QtWidgets.QLabel("Statements and notes"))
        box.addWidget(self.statements, 1)
        self.setWidget(body)
        self.setMinimumWidth(260)

    def show_record(self, record: ECGRecord | None, *, deidentify: bool = False) -> bool:
        """Fill from ``record``; returns whether there is anything to show.

        Free-text notes of the file are left out when de-identifying (they may name the
        patient); the device's statements are kept.
        """
        report = None if record is None else record.device_report
        measurements = report.measurements if report else ()
        lines = list(report.statements if report else ())
        if record is not None and not deidentify:
            lines += file_notes(record)
        self.program.setText(f"Program: {report.program}" if report and report.program else "")
        self.program.setVisible(bool(report and report.program))
        self.table.setRowCount(len(measurements))
        for row, m in enumerate(measurements):
            for col, text in enumerate((m.name, f"{m.value:g}", m.unit, m.lead or "global")):
                self.table.setItem(row, col, QtWidgets.QTableWidgetItem(text))
        self.table.setVisible(bool(measurements))
        self.statements.clear()
        self.statements.addItems(lines)
        return bool(measurements or lines)


def file_notes(record: ECGRecord) -> list[str]:
    """The file's free-text comments, less the ``<field>: value`` lines readers already parse."""
    return [c for c in record.comments if c.strip() and not c.lstrip().startswith("<")]
