"""The device's median beats on ECG paper, with the device's fiducial points.

Each lead's median (representative) beat is shown whole, at true scale, in a 6x2 sheet: the
beat is repeated once so that both columns of the layout show a full beat of their lead,
and the device's fiducial points on the median (P onset ... T offset) are marked on every
lead as the comparison marks them (solid line, downward triangle). The sheet runs at
50 mm/s, as median complexes are read.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6 import QtCore, QtWidgets

from workstation.core.layout import LayoutKind, PaperLayout, available_kinds
from workstation.core.record import ECGRecord, Lead, SourceInfo
from workstation.review.compare import Difference, Mark, median_fiducial_marks
from workstation.ui.comparison_overlay import (COLOUR_A, LEGEND_A, ComparisonOverlay, DifferenceItems,
                                               DifferenceSpan)
from workstation.ui.paper import PaperView
from workstation.ui.state import ViewState

#: Both columns of a 6x2 sheet show a whole beat: the beat is laid twice end to end.
COLUMNS = 2
MEDIAN_SPEED_MM_S = 50.0


def copies(leads: tuple[Lead, ...]) -> int:
    """How many times the beat is laid end to end: twice for a 6x2 sheet, else once (a row per lead)."""
    return COLUMNS if LayoutKind.SIX_BY_TWO in available_kinds(leads) else 1


def median_record(record: ECGRecord) -> ECGRecord:
    """The median beats as a record a 6x2 sheet shows one whole beat per panel."""
    beats = record.median_beats
    assert beats is not None
    leads = tuple(Lead(name) for name in beats.leads)
    source = SourceInfo(record.source.path, record.source.format, "median beats")
    return ECGRecord.from_array(np.tile(beats.signals, copies(leads)), beats.fs, leads, source)


def tiled_marks(marks: tuple[Mark, ...], length: int, n: int) -> tuple[Mark, ...]:
    """``marks`` repeated in each of the ``n`` copies of the beat."""
    return tuple(dataclasses.replace(m, sample=m.sample + k * length) for k in range(n) for m in marks)


class MedianBeatsWindow(QtWidgets.QDialog):
    """A non-modal window: the median beats on paper and what the marks mean."""

    def __init__(self, record: ECGRecord, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        name = record.source.path.name
        self.setWindowTitle(f"Median beats — {name}")
        self.paper = PaperView()
        self.beats = median_record(record)
        # at 50 mm/s a beat's waves are far enough apart to read their boundaries
        kind = LayoutKind.SIX_BY_TWO if copies(self.beats.leads) > 1 else LayoutKind.ONE_ROW_PER_LEAD
        state = dataclasses.replace(ViewState(), layout=kind).with_speed(MEDIAN_SPEED_MM_S)
        self.paper.show_record(self.beats, state)
        self.beat_samples = record.median_beats.signals.shape[1]
        self.marks = tiled_marks(median_fiducial_marks(record), self.beat_samples, copies(self.beats.leads))
        self.overlay = ComparisonOverlay(self.paper.vb)
        kinds = list(dict.fromkeys(m.label() for m in sorted(self.marks, key=lambda m: m.sample)))  # in beat order
        text = (f"<span style='color:{COLOUR_A}'>{LEGEND_A}</span>: the device's fiducial points "
                f"({', '.join(kinds)})" if self.marks else "The device gave no fiducial point on its median beat.")
        legend = QtWidgets.QLabel(text + f" · {record.median_beats.fs:g} Hz, "
                                  f"{record.median_beats.signals.shape[1] / record.median_beats.fs:.2f} s per beat")
        legend.setWordWrap(True)
        box = QtWidgets.QVBoxLayout(self)
        box.addWidget(self.paper, 1)
        box.addWidget(legend)
        self.resize(900, 960)
        self._draw()

    def _draw(self) -> None:
        layout = self.paper.layout
        if layout is None or not self.marks:
            return
        self.overlay.show(layout, self.marks, (), [], ("device", ""))
        self.overlay.add(DifferenceItems(self._hover_spans(layout)))

    def _hover_spans(self, layout: PaperLayout) -> list[DifferenceSpan]:
        """Each fiducial point's name and time into the beat, on hover."""
        length, fs = self.beat_samples, self.beats.fs
        spans = []
        for m in self.marks:
            for panel in layout.panels_for(m.lead):
                if panel.start <= m.sample < panel.stop:
                    x = float(panel.x_of(m.sample))
                    half = 0.45 * layout.row_pitch_mm
                    rect = QtCore.QRectF(x - 0.8, panel.baseline_mm - half, 1.6, 2 * half)
                    same = Difference(m.lead, m.kind, m.which, m.sample, m.sample, fs)
                    tip = f"device {m.label()} in {m.lead}: {(m.sample % length) * 1000 / fs:.0f} ms into the beat"
                    spans.append(DifferenceSpan(same, rect, tip))
        return spans

    def showEvent(self, ev) -> None:  # noqa: ANN001, N802 - Qt's name
        super().showEvent(ev)
        # once the dialog's layout has given the paper its size
        QtCore.QTimer.singleShot(0, self.paper.fit)
