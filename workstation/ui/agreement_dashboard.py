"""The agreement dashboard: how well the panel's readers agree, in tables and plots.

Shows an :class:`~workstation.panel.agreement.AgreementReport` (computed off the GUI thread
by whoever opens the dashboard; see :func:`compute_report`):

* **Matrix**: one row and column per source; each cell the per-lead mean F1 (%) of the pair
  and the mean absolute difference (ms) of its matched boundaries;
* **Boundaries**: per pair and boundary kind, Se, PPV, F1, mean and SD of the difference, n;
* **Bland-Altman**: for a chosen pair and interval (PR, QRS, QT, QTc), difference against
  mean per record, with the bias and the 95 % limits of agreement;
* **By wave and lead**: the mean disagreement (ms) per boundary kind and lead, shaded.

Everything visible can be saved: :meth:`AgreementDashboard.export_csv` writes every table,
:meth:`AgreementDashboard.export_png` the current tab as an image.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workstation.panel.agreement import INTERVALS, AgreementReport

_BOUNDARIES = ("P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off")


def compute_report(store_path: Path, names: list[str] | None = None) -> AgreementReport:
    """The report for a store (every source, or ``names``); run it in a worker thread."""
    from workstation.panel.agreement import agreement
    from workstation.panel.sources import all_sources, load_labels, load_panel, resolve
    from workstation.store import AnnotationStore

    with AnnotationStore.open(store_path) as store:
        sources = resolve(store, names) if names else all_sources(store)
        data = load_panel(store, sources)
        return agreement(data, load_labels(store, data))


def _fmt(x: float | None, spec: str = ".1f") -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, spec)


def _shade(value: float, worst: float) -> QtGui.QColor:
    """White (agreement) to orange (the worst value shown)."""
    t = 0.0 if worst <= 0 else max(0.0, min(1.0, value / worst))
    return QtGui.QColor(255, int(255 - 120 * t), int(255 - 200 * t))


class AgreementDashboard(QtWidgets.QWidget):
    """Tabs of tables and plots over one agreement report, with CSV and PNG export."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: AgreementReport | None = None
        self.tabs = QtWidgets.QTabWidget()
        self.matrix = self._table()
        self.boundaries = self._table()
        self.by_wave = self._table()
        self.pair_box = QtWidgets.QComboBox()
        self.interval_box = QtWidgets.QComboBox()
        self.interval_box.addItems(INTERVALS)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "mean of the two readers (ms)")
        self.plot.setLabel("left", "difference b - a (ms)")
        self.ba_summary = QtWidgets.QLabel()
        self.tabs.addTab(self.matrix, "Matrix")
        self.tabs.addTab(self.boundaries, "Boundaries")
        self.tabs.addTab(self._bland_altman_tab(), "Bland-Altman")
        self.tabs.addTab(self.by_wave, "By wave and lead")
        self.summary = QtWidgets.QLabel("No agreement report yet.")
        self.csv_button = QtWidgets.QPushButton("Export CSV…")
        self.png_button = QtWidgets.QPushButton("Export PNG…")
        self.csv_button.clicked.connect(self._ask_csv)
        self.png_button.clicked.connect(self._ask_png)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.csv_button)
        buttons.addWidget(self.png_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.tabs, 1)
        self.pair_box.currentIndexChanged.connect(self._draw_bland_altman)
        self.interval_box.currentIndexChanged.connect(self._draw_bland_altman)
        self._set_enabled(False)

    @staticmethod
    def _table() -> QtWidgets.QTableWidget:
        table = QtWidgets.QTableWidget()
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(
            QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        return table

    def _bland_altman_tab(self) -> QtWidgets.QWidget:
        tab = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Pair"))
        row.addWidget(self.pair_box, 1)
        row.addWidget(QtWidgets.QLabel("Interval"))
        row.addWidget(self.interval_box)
        layout = QtWidgets.QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.ba_summary)
        return tab

    def _set_enabled(self, on: bool) -> None:
        self.csv_button.setEnabled(on)
        self.png_button.setEnabled(on)

    # -- showing a report ----------------------------------------------------------------------

    def set_report(self, report: AgreementReport) -> None:
        self.report = report
        names = [s.name for s in report.sources]
        records = len(report.disagreement.records)
        self.summary.setText(f"{len(names)} sources, {records} records, "
                             f"{report.tolerance_ms:g} ms matching window")
        self._fill(self.matrix, *self.matrix_rows())
        self._fill(self.boundaries, *self.boundary_rows())
        self._fill(self.by_wave, *self.by_wave_rows(), shade=True)
        self.pair_box.blockSignals(True)
        self.pair_box.clear()
        self.pair_box.addItems([f"{p.b} vs {p.a}" for p in report.pairs])
        self.pair_box.blockSignals(False)
        self._draw_bland_altman()
        self._set_enabled(True)

    def matrix_rows(self) -> tuple[list[str], list[list[str]]]:
        """The agreement matrix: per pair, mean per-lead F1 (%) / mean |difference| (ms)."""
        names = [s.name for s in self.report.sources]
        cells = {}
        for p in self.report.pairs:
            errors = np.abs(np.concatenate([np.asarray(t.errors_ms, dtype=float)
                                            for t in p.per_lead.tallies.values()]))
            mad = float(errors.mean()) if errors.size else float("nan")
            cells[(p.a, p.b)] = cells[(p.b, p.a)] = (f"{_fmt(100 * p.per_lead.mean_f1(), '.1f')} % "
                                                     f"/ {_fmt(mad)} ms")
        rows = [[a] + [("" if a == b else cells.get((a, b), "-")) for b in names] for a in names]
        return ["F1 / mean |Δ|"] + names, rows

    def boundary_rows(self) -> tuple[list[str], list[list[str]]]:
        header = ["a", "b", "boundary", "Se %", "PPV %", "F1 %", "mean ms", "SD ms", "MAD ms", "n"]
        rows = []
        for pair in self.report.pairs:
            for key, t in pair.to_dict()["boundaries"].items():
                rows.append([pair.a, pair.b, key, _fmt(_pct(t["se"])), _fmt(_pct(t["ppv"])),
                             _fmt(_pct(t["f1"])), _fmt(t["mean_ms"], "+.1f"), _fmt(t["sd_ms"]),
                             _fmt(t["mad_ms"]), str(t["n"])])
        return header, rows

    def by_wave_rows(self) -> tuple[list[str], list[list[str]]]:
        data = self.report.disagreement.by_wave_and_lead()
        leads = list(self.report.disagreement.lead_names)
        rows = [[key] + [_fmt(data.get(key, {}).get(lead)) for lead in leads]
                for key in _BOUNDARIES]
        return ["boundary"] + leads, rows

    def bland_altman_rows(self) -> tuple[list[str], list[list[str]]]:
        header = ["a", "b", "interval", "n", "bias ms", "SD ms", "lower LoA ms", "upper LoA ms"]
        rows = [[p.a, p.b, name, str(ba.n), _fmt(ba.bias, "+.1f"), _fmt(ba.sd),
                 _fmt(ba.lower, "+.1f"), _fmt(ba.upper, "+.1f")]
                for p in self.report.pairs for name, ba in p.intervals.items()]
        return header, rows

    def _fill(self, table: QtWidgets.QTableWidget, header: list[str], rows: list[list[str]],
              shade: bool = False) -> None:
        table.clear()
        table.setColumnCount(len(header))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels(header)
        values = [float(c) for r in rows for c in r[1:] if _is_number(c)]
        worst = max(values, default=0.0)
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                item = QtWidgets.QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight
                                          | QtCore.Qt.AlignmentFlag.AlignVCenter)
                if shade and j and _is_number(text):
                    item.setBackground(_shade(float(text), worst))
                table.setItem(i, j, item)

    def _draw_bland_altman(self) -> None:
        self.plot.clear()
        if self.report is None or not self.report.pairs or self.pair_box.currentIndex() < 0:
            return
        pair = self.report.pairs[self.pair_box.currentIndex()]
        ba = pair.intervals.get(self.interval_box.currentText())
        if ba is None or not ba.n:
            self.ba_summary.setText("No paired values for this interval.")
            return
        self.plot.addItem(pg.ScatterPlotItem(list(ba.means), list(ba.diffs), size=7,
                                             brush=pg.mkBrush(30, 90, 200, 160), pen=None))
        for y, style in ((ba.bias, QtCore.Qt.PenStyle.SolidLine),
                         (ba.lower, QtCore.Qt.PenStyle.DashLine),
                         (ba.upper, QtCore.Qt.PenStyle.DashLine)):
            if math.isfinite(y):
                self.plot.addItem(pg.InfiniteLine(y, angle=0, pen=pg.mkPen((200, 60, 40), width=1.5,
                                                                           style=style)))
        self.ba_summary.setText(f"{self.interval_box.currentText()}: bias {_fmt(ba.bias, '+.1f')} ms,"
                                f" limits of agreement {_fmt(ba.lower, '+.1f')} to "
                                f"{_fmt(ba.upper, '+.1f')} ms (n = {ba.n})")

    # -- export ----------------------------------------------------------------------------------

    def export_csv(self, path: Path) -> Path:
        """Every table (matrix, boundaries, Bland-Altman, by wave and lead) in one CSV file."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            for title, (header, rows) in (("agreement matrix (mean per-lead F1 %)", self.matrix_rows()),
                                          ("boundaries", self.boundary_rows()),
                                          ("Bland-Altman", self.bland_altman_rows()),
                                          ("disagreement by wave and lead (ms)", self.by_wave_rows())):
                writer.writerow([f"# {title}"])
                writer.writerow(header)
                writer.writerows(rows)
                writer.writerow([])
        return path

    def export_png(self, path: Path) -> Path:
        """The current tab as a PNG image."""
        if not self.tabs.currentWidget().grab().save(str(path), "PNG"):
            raise OSError(f"{path}: could not write the image")
        return path

    def _ask_csv(self) -> None:
        self._ask("CSV files (*.csv)", ".csv", self.export_csv)

    def _ask_png(self) -> None:
        self._ask("PNG images (*.png)", ".png", self.export_png)

    def _ask(self, filter_: str, suffix: str, write) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export", f"agreement{suffix}",
                                                        filter_)
        if not name:
            return
        try:
            write(Path(name))
        except OSError as exc:
            QtWidgets.QMessageBox.warning(self, "Export", str(exc))


def _pct(x: float | None) -> float | None:
    return None if x is None else 100 * x


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
