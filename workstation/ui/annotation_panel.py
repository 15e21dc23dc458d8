"""The annotation dock: who is annotating, where edits go, labels, note, and the set's life.

Shows the signed-in annotator and the set's status (draft / submitted / adjudicated, blind),
whether edits are being saved, the selected boundary, rhythm and diagnostic labels (common
ones as check boxes, any other typed in), a free-text note, and the buttons that act on the
whole set: accept the model's proposal, submit and sign, reopen, history. Every change is
sent to the window as a command; the panel redraws from the state it is given.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from workstation.core.annotation import AnnotationState, Label, LabelKind, LeadStatus
from workstation.core.commands import SetLabels, SetNote

#: Labels offered as check boxes (any other can be typed). Wording as in AHA/ACC/HRS statements.
COMMON_LABELS = (
    (LabelKind.RHYTHM, ("Sinus rhythm", "Sinus bradycardia", "Sinus tachycardia",
                        "Atrial fibrillation", "Atrial flutter", "Paced rhythm")),
    (LabelKind.DIAGNOSTIC, ("Normal ECG", "First-degree AV block", "Left bundle branch block",
                            "Right bundle branch block", "Left ventricular hypertrophy",
                            "ST elevation", "ST depression / T inversion", "Long QT")),
)
#: Idle time after typing before the note is committed (ms); leaving the box commits at once.
NOTE_COMMIT_MS = 800


class AnnotationPanel(QtWidgets.QDockWidget):
    """The dock; ``command`` carries (Command, merge) to the window, ``request`` names an action."""

    command = QtCore.Signal(object, bool)
    request = QtCore.Signal(str)  # "switch_user", "accept_record", "submit", "reopen", "history"
    note_pending = QtCore.Signal(bool)  # typed but not yet committed

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Annotation", parent)
        self.setObjectName("annotationDock")
        self._state: AnnotationState | None = None
        self._updating = False
        body = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(body)
        box.setContentsMargins(8, 6, 8, 6)
        self.user_label = QtWidgets.QLabel()
        self.user_label.setWordWrap(True)
        switch = QtWidgets.QPushButton("Switch user…")
        switch.clicked.connect(lambda: self.request.emit("switch_user"))
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.user_label, 1)
        top.addWidget(switch)
        box.addLayout(top)
        self.status_label = QtWidgets.QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setObjectName("annotationStatus")
        box.addWidget(self.status_label)
        self.selection_label = QtWidgets.QLabel()
        self.selection_label.setWordWrap(True)
        box.addWidget(self.selection_label)
        self.leads_label = QtWidgets.QLabel()
        self.leads_label.setWordWrap(True)
        box.addWidget(self.leads_label)

        labels_box = QtWidgets.QGroupBox("Labels")
        grid = QtWidgets.QVBoxLayout(labels_box)
        self.checks: dict[Label, QtWidgets.QCheckBox] = {}
        for kind, codes in COMMON_LABELS:
            heading = QtWidgets.QLabel(f"<b>{kind.value.capitalize()}</b>")
            grid.addWidget(heading)
            for code in codes:
                check = QtWidgets.QCheckBox(code)
                check.toggled.connect(self._labels_edited)
                grid.addWidget(check)
                self.checks[Label(kind, code)] = check
        self.other_labels = QtWidgets.QLabel()
        self.other_labels.setWordWrap(True)
        grid.addWidget(self.other_labels)
        add_row = QtWidgets.QHBoxLayout()
        self.new_kind = QtWidgets.QComboBox()
        self.new_kind.addItems([k.value for k in LabelKind])
        self.new_label = QtWidgets.QLineEdit()
        self.new_label.setPlaceholderText("Other label, Enter adds")
        self.new_label.returnPressed.connect(self._add_label)
        add_row.addWidget(self.new_kind)
        add_row.addWidget(self.new_label, 1)
        grid.addLayout(add_row)
        box.addWidget(labels_box)

        box.addWidget(QtWidgets.QLabel("<b>Note</b>"))
        self.note = QtWidgets.QPlainTextEdit()
        self.note.setPlaceholderText("Free-text note on this record (saved as you type)")
        self.note.setMaximumHeight(90)
        self.note.textChanged.connect(self._note_typed)
        self._note_timer = QtCore.QTimer(self, singleShot=True, interval=NOTE_COMMIT_MS)
        self._note_timer.timeout.connect(self.commit_note)
        self.note.installEventFilter(self)
        box.addWidget(self.note)

        buttons = QtWidgets.QGridLayout()
        for i, (text, name) in enumerate((("Accept model (record)", "accept_record"),
                                          ("Submit and sign", "submit"),
                                          ("Reopen for editing", "reopen"),
                                          ("History…", "history"))):
            button = QtWidgets.QPushButton(text)
            button.setObjectName(f"annotation.{name}")
            button.clicked.connect(lambda _=False, n=name: self.request.emit(n))
            buttons.addWidget(button, i // 2, i % 2)
        box.addLayout(buttons)
        box.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self.set_state(None, editable=False, user_text="", status_text="")

    # -- from the window ------------------------------------------------------------------------
    def set_state(self, state: AnnotationState | None, *, editable: bool, user_text: str,
                  status_text: str, warn: bool = False) -> None:
        self._state = state
        self.user_label.setText(user_text or "<i>No annotator signed in</i>")
        colour = "#b00020" if warn else "#333333"
        self.status_label.setText(f"<span style='color:{colour}'>{status_text}</span>")
        self._updating = True
        labels = state.labels if state is not None else frozenset()
        for label, check in self.checks.items():
            check.setChecked(label in labels)
            check.setEnabled(editable)
        others = sorted((lb for lb in labels if lb not in self.checks), key=lambda lb: lb.sort_key)
        self.other_labels.setText("Also: " + "; ".join(f"{lb.code} ({lb.kind.value})" for lb in others)
                                  if others else "")
        self.new_label.setEnabled(editable)
        if not self.note.hasFocus() or state is None:
            text = state.note if state is not None else ""
            if self.note.toPlainText() != text:
                self.note.setPlainText(text)
        self.note.setReadOnly(not editable)
        self._updating = False
        if state is None:
            self.leads_label.setText("")
        else:
            unreadable = [ld for ld in state.lead_names if state.status_of(ld) is LeadStatus.UNREADABLE]
            accepted = [ld for ld in state.lead_names if state.status_of(ld) is LeadStatus.ACCEPTED]
            parts = [f"{len(state.waves)} waves"]
            if accepted:
                parts.append("accepted: " + ", ".join(accepted))
            if unreadable:
                parts.append("unreadable: " + ", ".join(unreadable))
            self.leads_label.setText(" · ".join(parts))

    def show_selection(self, text: str) -> None:
        self.selection_label.setText(text)

    # -- edits ------------------------------------------------------------------------------------
    def _labels_edited(self) -> None:
        if self._updating or self._state is None:
            return
        chosen = {label for label, check in self.checks.items() if check.isChecked()}
        chosen |= {lb for lb in self._state.labels if lb not in self.checks}
        self.command.emit(SetLabels.of(self._state, frozenset(chosen)), False)

    def _add_label(self) -> None:
        text = self.new_label.text().strip()
        if not text or self._state is None:
            return
        label = Label(LabelKind(self.new_kind.currentText()), text)
        self.new_label.clear()
        self.command.emit(SetLabels.of(self._state, self._state.labels | {label}), False)

    def _note_typed(self) -> None:
        if self._updating or self._state is None:
            return
        self.note_pending.emit(True)
        self._note_timer.start()

    def commit_note(self) -> None:
        """Commit the typed note now (also on leaving the box and before the window closes)."""
        self._note_timer.stop()
        if self._state is None:
            return
        text = self.note.toPlainText()
        if text != self._state.note:
            self.command.emit(SetNote.of(self._state, text), True)
        self.note_pending.emit(False)

    @property
    def has_pending_note(self) -> bool:
        return self._note_timer.isActive()

    def eventFilter(self, obj: QtCore.QObject, ev: QtCore.QEvent) -> bool:
        if obj is self.note and ev.type() == QtCore.QEvent.Type.FocusOut:
            self.commit_note()
        return super().eventFilter(obj, ev)
