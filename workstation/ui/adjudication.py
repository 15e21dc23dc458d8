"""The adjudication panel: settle the readers' disagreements into a signed consensus.

For a user with the adjudicator role. On the left, the queue: records whose disagreement
score (ms; see :mod:`workstation.panel.agreement`) exceeds a threshold the adjudicator sets,
worst first. On the right, the chosen record lead by lead, on true-scale ECG paper
(:mod:`workstation.ui.adjudication_paper`): each source's boundaries in a labelled lane of its
own above the trace, and the consensus so far on the trace, edited with the editor's gestures
and keys: dragging a boundary places the adjudicator's own position of it, P / Q / T then a
drag draws a wave of their own. Below, a table of every wave as each source drew it (ms) with
the spread of its onset and offset. The adjudicator also takes a source's version of the
record, of the lead or of the selected wave; every decision keeps the rationale typed above
the buttons. "Sign consensus" stores the result as their signed, adjudicated set
(:func:`workstation.panel.adjudication.submit_consensus`). The readers' sets are never changed.
"""

from __future__ import annotations

from typing import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.annotation import AnnotationState, Boundary
from workstation.core.commands import AddWave, Command, MoveBoundary
from workstation.core.record import ECGRecord
from workstation.panel.adjudication import (Adjudication, QueueItem, WaveComparison,
                                            adjudication_queue, compare_lead, load_adjudication,
                                            submit_consensus)
from workstation.panel.agreement import agreement
from workstation.panel.sources import SourceKind, all_sources, load_panel, sets_of
from workstation.store import AnnotationStore, RecordInfo, SetInfo, StoreError
from workstation.ui.adjudication_paper import AdjudicationPaper, lane_style

DEFAULT_THRESHOLD_MS = 20.0


class AdjudicationPanel(QtWidgets.QWidget):
    """Queue, per-lead comparison and decisions for one store's current adjudicator."""

    consensusSubmitted = QtCore.Signal(str, int)  # record id, consensus set id

    def __init__(self, store: AnnotationStore,
                 find_record: Callable[[RecordInfo], ECGRecord | None] | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.find_record = find_record
        self.items: list[QueueItem] = []
        self.adjudication: Adjudication | None = None
        self.sources: dict[str, SetInfo] = {}
        self.record: ECGRecord | None = None
        self.rows: list[WaveComparison] = []
        self._build()

    # -- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.threshold = QtWidgets.QDoubleSpinBox(suffix=" ms", decimals=1, maximum=150.0)
        self.threshold.setValue(DEFAULT_THRESHOLD_MS)
        self.threshold.setToolTip("Records whose disagreement (or one lead's) exceeds this")
        refresh = QtWidgets.QPushButton("Refresh queue")
        refresh.clicked.connect(self.refresh)
        self.queue = _table(["record", "score ms", "leads over threshold (ms)"])
        self.queue.itemSelectionChanged.connect(self._record_chosen)
        left = QtWidgets.QVBoxLayout()
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Threshold"))
        row.addWidget(self.threshold)
        row.addWidget(refresh)
        left.addLayout(row)
        left.addWidget(self.queue, 1)
        self.lead_box = QtWidgets.QComboBox()
        self.lead_box.currentTextChanged.connect(self._show_lead)
        self.paper = AdjudicationPaper(self._on_command)
        # Ctrl+Z takes back the last decision, as it undoes the last correction in the editor
        QtGui.QShortcut(QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Undo), self, self.undo)
        self.editor = self.paper.editor
        self.editor.message.connect(self._say)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.waves = _table(["wave"])
        right = QtWidgets.QVBoxLayout()
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Lead"))
        top.addWidget(self.lead_box, 1)
        right.addLayout(top)
        right.addWidget(self.paper, 3)
        right.addWidget(self.message)
        right.addWidget(self.waves, 2)
        right.addLayout(self._decision_controls())
        self.decision_list = QtWidgets.QListWidget()
        right.addWidget(self.decision_list, 1)
        split = QtWidgets.QSplitter()
        for layout in (left, right):
            holder = QtWidgets.QWidget()
            holder.setLayout(layout)
            split.addWidget(holder)
        split.setStretchFactor(1, 3)
        split.setSizes([380, 900])
        QtWidgets.QVBoxLayout(self).addWidget(split)
        self._enable_decisions(False)

    def _decision_controls(self) -> QtWidgets.QLayout:
        self.source_box = QtWidgets.QComboBox()
        self.rationale = QtWidgets.QLineEdit(
            placeholderText="Rationale (required; kept with every decision, drags included)")
        self.buttons = {}
        grid = QtWidgets.QGridLayout()
        grid.addWidget(QtWidgets.QLabel("Take"), 0, 0)
        grid.addWidget(self.source_box, 0, 1)
        grid.addWidget(self.rationale, 0, 2, 1, 4)
        for i, (name, slot) in enumerate((("Accept record", self.accept_record),
                                          ("Accept lead", self.accept_lead),
                                          ("Accept wave", self.accept_wave),
                                          ("Undo decision", self.undo),
                                          ("Sign consensus", self.sign))):
            button = QtWidgets.QPushButton(name)
            button.clicked.connect(slot)
            self.buttons[name] = button
            grid.addWidget(button, 1, i)
        hint = QtWidgets.QLabel("<small>Your own boundary: drag it on the paper (Left/Right "
                                "nudge, Tab next). Your own wave: P, Q or T, then drag along "
                                "the lead from onset to offset.</small>")
        hint.setWordWrap(True)
        grid.addWidget(hint, 2, 0, 1, 6)
        return grid

    def _enable_decisions(self, on: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(on)

    # -- the queue --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Recompute agreement over the readers and the model, and list what exceeds the threshold."""
        sources = [s for s in all_sources(self.store) if s.kind is not SourceKind.CONSENSUS]
        done = {s.record_id for s in self.store.find_sets(
            annotator_id=self.store.current_user.id if self.store.current_user else None)}
        self.items = []
        if len(sources) >= 2:
            report = agreement(load_panel(self.store, sources, with_global=False),
                               with_global=False)
            self.items = [i for i in adjudication_queue(report, self.threshold.value())
                          if i.record_id not in done]
        self.queue.setRowCount(len(self.items))
        for r, item in enumerate(self.items):
            name = self.store.record(item.record_id).source_name
            values = (name, f"{item.score:.1f}",
                      ", ".join(f"{lead} {s:.0f}" for lead, s in item.leads))
            for c, text in enumerate(values):
                self.queue.setItem(r, c, QtWidgets.QTableWidgetItem(text))

    def _record_chosen(self) -> None:
        rows = self.queue.selectionModel().selectedRows()
        if rows:
            self.open_record(self.items[rows[0].row()].record_id)

    def open_record(self, record_id: str) -> None:
        """Show a record's versions and start deciding on it."""
        self.sources = {}
        for source in all_sources(self.store):
            if source.kind is not SourceKind.CONSENSUS:
                found = sets_of(self.store, source).get(record_id)
                if found is not None:
                    self.sources[source.name] = found
        try:
            self.adjudication = load_adjudication(self.store, record_id, self.sources)
        except StoreError as exc:
            QtWidgets.QMessageBox.warning(self, "Adjudication", str(exc))
            return
        info = self.store.record(record_id)
        self.record = self.find_record(info) if self.find_record else None
        self.source_box.clear()
        self.source_box.addItems(list(self.sources))
        leads = list(self.adjudication.template.lead_names)
        worst = next((i.leads[0][0] for i in self.items if i.record_id == record_id and i.leads),
                     leads[0])
        self.lead_box.blockSignals(True)
        self.lead_box.clear()
        self.lead_box.addItems(leads)
        self.lead_box.blockSignals(False)
        self.lead_box.setCurrentText(worst)
        self._show_lead(worst)
        self._list_decisions()
        self._enable_decisions(True)

    # -- one lead ----------------------------------------------------------------------------------

    def _show_lead(self, lead: str) -> None:
        if self.adjudication is None or not lead:
            return
        self.rows = compare_lead(self.adjudication.versions, lead)
        self._draw(lead)
        self._fill_waves()

    def _draw(self, lead: str) -> None:
        """The lead on paper: each source in its lane, the consensus so far on the trace."""
        self.paper.show_lead(self.record, lead, self.adjudication.versions, self.adjudication.result())

    def _redraw_consensus(self) -> None:
        if self.adjudication is not None:
            self.paper.show_consensus(self.adjudication.result())

    def _fill_waves(self) -> None:
        names = list(self.sources)
        fs = self.adjudication.template.fs
        header = ["wave"] + [f"{chr(65 + i)} {n} (ms)" for i, n in enumerate(names)] \
            + ["Δ onset ms", "Δ offset ms"]
        self.waves.clear()
        self.waves.setColumnCount(len(header))
        self.waves.setHorizontalHeaderLabels(header)
        self.waves.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            cells = [row.kind.value] + [f"{w.onset * 1000 / fs:.0f}–{w.offset * 1000 / fs:.0f}" if w else "—"
                                        for w in (row.waves[n] for n in names)]
            cells += [_ms(row.spread_ms(Boundary.ONSET)), _ms(row.spread_ms(Boundary.OFFSET))]
            for c, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if c > len(names) and text not in ("—", "0"):
                    item.setForeground(QtCore.Qt.GlobalColor.darkRed)
                self.waves.setItem(r, c, item)
        for c in range(1, len(names) + 1):  # each source's column in its lane's colour
            colour, _ = lane_style(c - 1)
            self.waves.horizontalHeaderItem(c).setForeground(QtGui.QColor(*colour))
        self.waves.resizeColumnsToContents()

    # -- decisions ----------------------------------------------------------------------------------

    def _decide(self, action: Callable[[], None]) -> bool:
        try:
            action()
        except ValueError as exc:
            QtWidgets.QMessageBox.warning(self, "Adjudication", str(exc))
            return False
        self._list_decisions()
        self._redraw_consensus()
        self.rationale.clear()
        return True

    def accept_record(self) -> bool:
        return self._decide(lambda: self.adjudication.accept_record(
            self.source_box.currentText(), self.rationale.text()))

    def accept_lead(self) -> bool:
        return self._decide(lambda: self.adjudication.accept_lead(
            self.source_box.currentText(), self.lead_box.currentText(), self.rationale.text()))

    def accept_wave(self) -> bool:
        rows = self.waves.selectionModel().selectedRows()
        source = self.source_box.currentText()
        wave = self.rows[rows[0].row()].waves.get(source) if rows else None
        if wave is None:
            QtWidgets.QMessageBox.information(self, "Adjudication",
                                              f"Select a wave that {source} drew.")
            return False
        return self._decide(lambda: self.adjudication.accept_wave(source, wave,
                                                                  self.rationale.text()))

    def _on_command(self, command: Command, merge: bool) -> bool:
        """A gesture on the paper becomes a decision: a moved boundary is the adjudicator's own
        position of it, a drawn wave their own wave. Both keep the rationale typed."""
        if self.adjudication is None:
            return False
        rationale = self.rationale.text()
        if not rationale.strip():
            self._say("Type the rationale first: every decision keeps one")
            return False
        consensus = self.adjudication.result()
        if isinstance(command, MoveBoundary) and command.wave_id in consensus.waves:
            wave = consensus.wave(command.wave_id)
            self.adjudication.move_boundary(wave, command.which, command.new, rationale, merge=merge)
        elif isinstance(command, AddWave):
            self.adjudication.place(command.wave.wave, rationale)
        else:
            self._say("Here a boundary is moved on this lead only, or a wave drawn; take a "
                      "source's version with the buttons below")
            return False
        self._list_decisions()
        self._redraw_consensus()
        return True

    def _say(self, text: str) -> None:
        self.message.setText(f"<span style='color:#7a4b00'>{text}</span>")

    def undo(self) -> None:
        if self.adjudication is not None and self.adjudication.undo() is not None:
            self._list_decisions()
            self._redraw_consensus()

    def _list_decisions(self) -> None:
        self.decision_list.clear()
        fs = self.adjudication.template.fs if self.adjudication else 1.0
        for d in self.adjudication.decisions if self.adjudication else ():
            where = d.lead or "whole record"
            if d.boundary is not None and d.wave is not None:  # one boundary: which, and where
                what = (f"{d.source or 'own'} {d.wave.kind.value} {d.boundary.value} at "
                        f"{d.sample * 1000 / fs:.0f} ms")
            elif d.wave is not None:
                what = f"{d.source or 'own'} {d.wave.kind.value} wave"
            else:
                what = d.source or "own"
            self.decision_list.addItem(f"{d.scope.value}: {what} on {where} — {d.rationale}")

    def sign(self) -> int | None:
        """Store the consensus, signed; the record leaves the queue. Returns the set id."""
        if self.adjudication is None:
            return None
        try:
            info = submit_consensus(self.store, self.adjudication, self.sources)
        except StoreError as exc:
            QtWidgets.QMessageBox.warning(self, "Adjudication", str(exc))
            return None
        record_id = self.adjudication.record_id
        self.adjudication = None
        self._enable_decisions(False)
        self.decision_list.clear()
        self.consensusSubmitted.emit(record_id, info.id)
        self.refresh()
        return info.id


def _table(header: list[str]) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, len(header))
    table.setHorizontalHeaderLabels(header)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    header = table.horizontalHeader()
    header.setStretchLastSection(True)
    header.setDefaultAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
    table.verticalHeader().hide()
    return table


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"
