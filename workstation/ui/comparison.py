"""Comparison mode: any two annotation sources on the same leads, their disagreements listed.

The sources of the open record are the model's proposal, the annotations the file carries,
the device's fiducial points, the signed-in reader's own set, every other reader's set the
user may see in the store and the consensus. A blind reader sees neither the file's
annotations nor other readers' sets. The Compare dock picks
two (A and B); the paper draws both (see :mod:`workstation.ui.comparison_overlay`) and the dock
lists the boundaries where they disagree beyond the CSE tolerance, largest first. D and
Shift+D step through that list: the paper zooms to the boundary, the status bar says the
difference, and when A is the reader's own set its boundary is selected, ready to nudge.
"Median beats…" shows the device's median beats with its fiducial points.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from workstation.core.annotation import SetStatus
from workstation.core.record import ECGRecord
from workstation.core.selection import Selection
from workstation.store.records import record_key
from workstation.review.compare import (Difference, Mark, compare, delineation_marks,
                                        disagreements, file_delineation, fiducial_marks)
from workstation.ui.comparison_overlay import (COLOUR_A, COLOUR_B, LEGEND_A, LEGEND_B,
                                               ComparisonOverlay)

NONE = "(none)"
#: How much paper (mm) a step to a disagreement shows around it.
STEP_SPAN_MM = 60.0


def record_sources(window) -> dict[str, tuple[Mark, ...]]:  # noqa: ANN001 - the main window
    """The sources of the open record that have any boundary, by display name."""
    record: ECGRecord | None = window.record
    if record is None:
        return {}
    c = window.corrections
    out: dict[str, tuple[Mark, ...]] = {}
    if c.document is not None and c.user is not None:
        out[f"You ({c.user.id})"] = delineation_marks(c.state.to_delineation())
    proposal = c.proposal
    if proposal is not None and not window.state.hide_proposal:
        out[f"Model ({proposal.model_name} {proposal.model_version})".replace(" )", ")")] = \
            delineation_marks(proposal)
    # a blind reader sees no other human's boundaries: not the file's reference, not the store's
    info = c.set_info
    blind = window.state.blind or (info is not None and info.blind)
    found = None if blind else file_delineation(record)
    if found is not None:
        out[f"File annotations ({record.source.format})"] = delineation_marks(found)
    device = fiducial_marks(record)
    if device:
        out["Device fiducials"] = device
    out.update(_store_sources(c))
    return {name: marks for name, marks in out.items() if marks}


def _store_sources(c) -> dict[str, tuple[Mark, ...]]:  # noqa: ANN001 - Corrections
    """Other readers' submitted sets and the consensus, as far as the user may see them."""
    if c.store is None or c.user is None or c.record is None:
        return {}
    record_id = c.record_id or record_key(c.record)  # known to the store before the first edit
    out = {}
    for info in c.store.visible_sets(record_id):
        if info.status is SetStatus.DRAFT or info.is_proposal or info.annotator_id == c.user.id:
            continue
        name = (f"Consensus ({info.annotator_id})" if info.status is SetStatus.ADJUDICATED
                else f"Reader {info.annotator_id}")
        out[name] = delineation_marks(c.store.load(info.id).to_delineation())
    return out


class ComparisonDock(QtWidgets.QDockWidget):
    """Chooses the two sources, explains the marks, lists the disagreements."""

    sources_chosen = QtCore.Signal()
    difference_chosen = QtCore.Signal(int)  # index in :attr:`shown`
    medians_requested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Compare", parent)
        self.setObjectName("compareDock")
        self.shown: list[Difference] = []
        self.box_a, self.box_b = QtWidgets.QComboBox(), QtWidgets.QComboBox()
        for box in (self.box_a, self.box_b):
            box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.currentIndexChanged.connect(lambda _i: self.sources_chosen.emit())
        form = QtWidgets.QVBoxLayout()  # each choice on a line of its own: names are long
        for letter, colour, legend, box in (("A", COLOUR_A, LEGEND_A, self.box_a),
                                            ("B", COLOUR_B, LEGEND_B, self.box_b)):
            form.addWidget(self._key(letter, colour, legend))
            form.addWidget(box)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Lead", "Boundary", "B − A ms", "at s"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellClicked.connect(lambda row, _col: self.difference_chosen.emit(row))
        medians = QtWidgets.QPushButton("Median beats…")
        medians.setToolTip("The device's median beats with its fiducial points")
        medians.clicked.connect(self.medians_requested)
        self.medians_button = medians
        hint = QtWidgets.QLabel("<small>D / Shift+D: next / previous disagreement, largest "
                                "first. Hover a boundary for both positions.</small>")
        hint.setWordWrap(True)
        body = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(body)
        box.addLayout(form)
        box.addWidget(self.summary)
        box.addWidget(self.table, 1)
        box.addWidget(hint)
        box.addWidget(medians)
        self.setWidget(body)

    @staticmethod
    def _key(letter: str, colour: str, legend: str) -> QtWidgets.QLabel:
        label = QtWidgets.QLabel(f"<b style='color:{colour}'>{letter}</b> "
                                 f"<span style='color:{colour}'>{legend}</span>")
        return label

    def set_sources(self, names: list[str], a: str | None, b: str | None) -> None:
        for box, chosen in ((self.box_a, a), (self.box_b, b)):
            box.blockSignals(True)
            box.clear()
            box.addItems([NONE, *names])
            box.setCurrentText(chosen if chosen in names else NONE)
            box.blockSignals(False)
        self.medians_button.setEnabled(True)

    @property
    def chosen(self) -> tuple[str | None, str | None]:
        a, b = self.box_a.currentText(), self.box_b.currentText()
        return (None if a in ("", NONE) else a, None if b in ("", NONE) else b)

    def show_differences(self, differences: list[Difference], compared: int, off_paper: int = 0) -> None:
        """List the disagreements (``differences``) of ``compared`` boundaries; ``off_paper``
        more fall on parts of the leads the layout does not show."""
        self.shown = differences
        if compared == 0:
            self.summary.setText("Choose two sources that both annotated this record.")
        else:
            more = (f" {off_paper} more on parts of the leads this layout does not show "
                    "(12×1 shows them all)." if off_paper else "")
            self.summary.setText(f"{compared} boundaries compared; <b>{len(differences)}</b> "
                                 f"differ beyond the CSE tolerance (amber on the paper).{more}")
        self.table.setRowCount(len(differences))
        for r, d in enumerate(differences):
            ms = d.ms
            cells = (d.lead, f"{d.kind.value} {d.which.value}",
                     f"{ms:+.0f}" if ms is not None else f"only {'A' if d.b is None else 'B'}",
                     f"{d.sample / d.fs:.2f}")
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(text))

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)


class ComparisonController(QtCore.QObject):
    """Keeps the Compare dock, the paper's comparison overlay and the stepping in step."""

    message = QtCore.Signal(str, int)

    def __init__(self, window, parent: QtWidgets.QWidget) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.window = window
        self.dock = ComparisonDock(parent)
        self.overlay = ComparisonOverlay(window.paper.vb)
        self.sources: dict[str, tuple[Mark, ...]] = {}
        self.differences: list[Difference] = []
        self.current = -1
        self.median_window: QtWidgets.QWidget | None = None
        self.dock.sources_chosen.connect(self.redraw)
        self.dock.difference_chosen.connect(self.go_to)
        self.dock.medians_requested.connect(self.show_medians)
        self.dock.toggleViewAction().toggled.connect(lambda on: self.refresh() if on else self.redraw())
        self.commands: dict[str, Callable[[], object]] = {
            "compare": self.open, "compare_next": lambda: self.step(1),
            "compare_previous": lambda: self.step(-1), "median_beats": self.show_medians}

    def open(self) -> None:
        """Show the dock with the sources of the open record (A: what is drawn, B: a reference)."""
        self.refresh(default=True)
        self.dock.show()
        self.dock.raise_()

    @property
    def active(self) -> bool:
        """Whether the Compare dock is open (shown, or a tab behind another dock)."""
        return self.dock.toggleViewAction().isChecked()

    def refresh(self, *, default: bool = False) -> None:
        """Re-read the sources (a record was opened, a set changed) and redraw."""
        if not (default or self.active):
            self.sources, self.differences = {}, []  # read again when the dock opens
            self.overlay.clear()
            return
        self.sources = record_sources(self.window)
        names = list(self.sources)
        a, b = self.dock.chosen
        if default or a not in names or b not in names:
            a = names[0] if names else None
            b = next((n for n in names if n.startswith(("File", "Device"))), None) or \
                (names[1] if len(names) > 1 else None)
        self.dock.set_sources(names, a, b)
        self.redraw()

    def redraw(self) -> None:
        self.overlay.clear()
        a, b = self.dock.chosen
        layout, record = self.window.paper.layout, self.window.record
        if a is None or b is None or layout is None or record is None or not self.active \
                or a not in self.sources or b not in self.sources:
            self.differences, self.current = [], -1
            self.dock.show_differences([], 0)
            return
        every = compare(self.sources[a], self.sources[b], record.fs)
        # a 3x4 sheet shows 2.5 s of each lead: the rest is listed once the layout shows it
        on_paper = [d for d in disagreements(every)
                    if any(p.start <= d.sample < p.stop for p in layout.panels_for(d.lead))]
        self.differences, self.current = on_paper, -1
        self.overlay.show(layout, self.sources[a], self.sources[b], every, (a, b))
        self.dock.show_differences(self.differences, len(every),
                                   len(disagreements(every)) - len(on_paper))

    def step(self, direction: int) -> None:
        """Go to the next (1) or previous (-1) disagreement, largest first."""
        if not self.differences:
            self.open()
            if not self.differences:
                self.message.emit("No disagreement beyond the CSE tolerance between the two sources", 6000)
                return
        self.go_to((self.current + direction) % len(self.differences))

    def go_to(self, index: int) -> None:
        """Zoom the paper to disagreement ``index`` and say what it is."""
        paper, d = self.window.paper, self.differences[index]
        self.current = index
        self.dock.select_row(index)
        panel = next((p for p in paper.layout.panels_for(d.lead) if p.start <= d.sample < p.stop), None)
        if panel is not None:
            x = float(panel.x_of(d.sample))
            paper.show_region(QtCore.QRectF(x - STEP_SPAN_MM / 2, panel.baseline_mm - STEP_SPAN_MM / 4,
                                            STEP_SPAN_MM, STEP_SPAN_MM / 2))
        self._select_own(d)
        a, b = self.dock.chosen
        self.message.emit(f"{index + 1}/{len(self.differences)}: "
                          + d.describe(a or "A", b or "B").replace("\n", " · "), 0)

    def _select_own(self, d: Difference) -> None:
        """Select A's boundary in the set being edited (the reader's, or the proposal it will
        start from), so that it can be nudged at once."""
        state = self.window.corrections.state
        if state is None or d.a is None:
            return
        wave = next((w for w in state.waves_in(d.lead, d.kind) if getattr(w, d.which.value) == d.a), None)
        if wave is not None:
            self.window.editor.select(Selection(wave.id, d.which))

    def show_medians(self) -> QtWidgets.QWidget | None:
        """The device's median beats, on paper, with its fiducial points."""
        from workstation.ui.median_view import MedianBeatsWindow

        record = self.window.record
        if record is None or record.median_beats is None:
            self.message.emit("This file has no median beats from the device", 6000)
            return None
        self.median_window = MedianBeatsWindow(record, self.window)
        self.median_window.show()
        return self.median_window
