"""The Scan dock: for a record digitised from an image, the scan itself with the traced lines.

The dock says how far the digitised signal can be trusted (score and reasons) and, on
request, shows in a window of its own the page with each lead's traced line drawn over it
(:class:`~workstation.ui.scan_view.ScanView`) so that the reader checks it by eye and can
correct the calibration or a lead's crop. A corrected digitisation replaces the record in the
window (``record_corrected``). The original image travels with the record, unchanged.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.record import ECGRecord


class ScanDock(QtWidgets.QDockWidget):
    """Shown only for digitised records."""

    record_corrected = QtCore.Signal(object)  # ECGRecord

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Scan", parent)
        self.setObjectName("scanDock")
        self.record: ECGRecord | None = None
        self.view = None  # ScanView, built on request (it digitises the page again)
        self.window_: QtWidgets.QMainWindow | None = None
        body = QtWidgets.QWidget()
        self._box = QtWidgets.QVBoxLayout(body)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.show_button = QtWidgets.QPushButton("Check the scan: traced lines over the image…")
        self.show_button.clicked.connect(self.show_scan)
        self._box.addWidget(self.summary)
        self._box.addWidget(self.show_button)
        self._box.addStretch(1)
        self.setWidget(body)

    def show_record(self, record: ECGRecord | None) -> bool:
        """Describe ``record``'s digitisation; False (and nothing to show) for a digital record."""
        self.record = record
        if self.view is not None:
            self.window_.close()
            self.window_.deleteLater()
            self.view = None
        d = record.digitisation if record is not None else None
        if d is None:
            self.summary.setText("")
            return False
        colour = "#1b7a1b" if d.score >= 0.7 else "#c77700" if d.score >= 0.4 else "#b00020"
        reasons = "".join(f"<li>{r}</li>" for r in d.reasons) or "<li>none found</li>"
        leads = ", ".join(f"{name} {score:.2f}" for name, score in d.lead_scores)
        self.summary.setText(
            f"<b>Digitised from {d.image_path.name}</b> (page {d.page + 1}, layout {d.layout})<br>"
            f"Quality <b style='color:{colour}'>{d.score:.2f}</b> - what lowers it:<ul>{reasons}</ul>"
            f"Per lead: {leads}<br><i>The measurements come from a digitised printout: check the "
            f"traced lines against the image.</i>")
        return True

    def show_scan(self) -> None:
        """Digitise the page again and show it with its traced lines (a second or two)."""
        from workstation.scan.ingest import pages_from_bytes
        from workstation.ui.scan_view import ScanView

        d = self.record.digitisation if self.record is not None else None
        if d is None:
            return
        if self.view is not None:
            self.window_.show()
            self.window_.raise_()
            return
        QtWidgets.QApplication.setOverrideCursor(QtGui.QCursor(QtCore.Qt.CursorShape.WaitCursor))
        try:
            page = pages_from_bytes(d.image)[d.page]
            self.view = ScanView(page, path=d.image_path)
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        self.view.redigitised.connect(self._redigitised)
        # its own window, as large as the page needs: the ECG paper keeps the main window
        self.window_ = QtWidgets.QMainWindow(self)
        self.window_.setWindowTitle(f"Scan check — {d.image_path.name}, page {d.page + 1}")
        self.window_.setCentralWidget(self.view)
        self.window_.resize(1400, 900)
        self.window_.show()

    def _redigitised(self, _result) -> None:  # noqa: ANN001 - Digitised
        d = self.record.digitisation if self.record is not None else None
        if d is None or self.view is None:
            return
        from workstation.scan.page_text import carry_page_text

        try:
            corrected = carry_page_text(self.record, self.view.record(d.image_path, d.page))
        except ValueError as exc:  # no trace found with these corrections
            QtWidgets.QMessageBox.warning(self, "Scan", f"{d.image_path.name}: {exc}")
            return
        self.record_corrected.emit(corrected)
