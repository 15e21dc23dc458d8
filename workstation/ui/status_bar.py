"""The main window's status bar: messages on the left, the record's fields and the time shown on the right."""

from __future__ import annotations

from datetime import datetime

from PySide6 import QtWidgets

from workstation.core.layout import CaliperMeasurement
from workstation.core.record import ECGRecord
from workstation.ui.paper_items import caliper_text
from workstation.ui.paper_text import format_time
from workstation.ui.summary import status_fields

#: How many fields of :func:`~workstation.ui.summary.status_fields` are shown.
N_FIELDS = 5


class RecordStatusBar(QtWidgets.QStatusBar):
    """Status messages, the open record's file, format, rate, duration and leads, and the span shown."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels = [QtWidgets.QLabel() for _ in range(N_FIELDS)]
        self.position_label = QtWidgets.QLabel()
        for label in self.labels + [self.position_label]:
            label.setContentsMargins(6, 0, 6, 0)
            self.addPermanentWidget(label)

    def show_fields(self, record: ECGRecord, *, deidentify: bool) -> None:
        """The record's fields (the file name hidden when de-identified)."""
        for label, text in zip(self.labels, status_fields(record, deidentify=deidentify), strict=True):
            label.setText(text)

    def show_span(self, t0: float, t1: float, start: datetime | None) -> None:
        """The seconds shown, as clock times when the acquisition ``start`` is known."""
        self.position_label.setText(f"Showing {format_time(t0, start)} – {format_time(t1, start)}")

    def clear_span(self) -> None:
        self.position_label.setText("")

    def show_caliper(self, m: CaliperMeasurement) -> None:
        """The caliper's measurement, until the next message."""
        self.showMessage("Caliper: " + caliper_text(m))
