"""The patient banner above the paper: who, and how the ECG was taken and is shown."""

from __future__ import annotations

from html import escape

from PySide6 import QtCore, QtGui, QtWidgets

from workstation.ui.summary import DEIDENTIFIED, BannerContent


class PatientBanner(QtWidgets.QFrame):
    """Two lines: identity (or "De-identified") in bold, then acquisition context."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientBanner")
        self.setStyleSheet(
            "#patientBanner { background: #f4f2ef; border-bottom: 1px solid #c9c4bd; }"
            "QLabel { color: #1b1b1b; }"
        )
        self.identity = QtWidgets.QLabel()
        self.context = QtWidgets.QLabel()
        for label in (self.identity, self.context):
            label.setTextFormat(QtCore.Qt.TextFormat.RichText)
            label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(12, 6, 12, 6)
        box.setSpacing(2)
        box.addWidget(self.identity)
        box.addWidget(self.context)
        self.show_content(None)

    def show_content(self, content: BannerContent | None) -> None:
        """Show ``content``; ``None`` means no record is open."""
        if content is None:
            self.identity.setText('<span style="font-size:13pt; color:#6d6a66;">No ECG open</span>')
            self.context.setText('<span style="color:#6d6a66;">File &gt; Open, or drop a file here</span>')
            return
        if content.deidentified:
            who = f'<span style="font-size:13pt; font-weight:bold; color:#7a4b00;">{DEIDENTIFIED}</span>'
        else:
            who = _fields(content.identity, size_pt=13, bold=True)
        self.identity.setText(who)
        self.context.setText(_fields(content.context, size_pt=10, bold=False))

    def text(self) -> str:
        """Plain text of both lines (for tests and accessibility)."""
        return _plain(self.identity.text()) + "\n" + _plain(self.context.text())


def _fields(fields: tuple[tuple[str, str], ...], *, size_pt: int, bold: bool) -> str:
    weight = "bold" if bold else "normal"
    cells = [
        f'<span style="color:#6d6a66;">{escape(label)}</span>&nbsp;'
        f'<span style="font-weight:{weight};">{escape(value)}</span>'
        for label, value in fields
    ]
    return f'<span style="font-size:{size_pt}pt;">' + "&nbsp;&nbsp;&nbsp;&nbsp;".join(cells) + "</span>"


def _plain(html: str) -> str:
    doc = QtGui.QTextDocument()
    doc.setHtml(html)
    return doc.toPlainText().replace("\xa0", " ")
