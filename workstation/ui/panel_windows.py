"""The panel's windows opened from the main window: agreement dashboard and adjudication.

Both work on the window's annotation store. The dashboard computes the agreement report off
the GUI thread (a 10,000-record store takes seconds) and shows it when done. Adjudication
needs an adjudicator signed in; it finds each queued record's signal among the records this
window can reach (the open one, the worklist's files) by its content hash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from workstation.core.record import ECGRecord
from workstation.store import AnnotationStore, RecordInfo, record_key


class _ReportJob(QtCore.QObject, QtCore.QRunnable):
    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, store_path: Path) -> None:
        QtCore.QObject.__init__(self)
        QtCore.QRunnable.__init__(self)
        self.setAutoDelete(False)
        self.store_path = store_path

    def run(self) -> None:
        from workstation.ui.agreement_dashboard import compute_report

        try:
            self.done.emit(compute_report(self.store_path))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never raised into Qt
            self.failed.emit(f"{self.store_path}: {exc}")


class DashboardWindow(QtWidgets.QMainWindow):
    """The agreement dashboard of one store, filled in when the report is computed."""

    def __init__(self, store_path: Path, parent: QtWidgets.QWidget | None = None, *,
                 background: bool = True) -> None:
        from workstation.ui.agreement_dashboard import AgreementDashboard

        super().__init__(parent)
        self.setWindowTitle(f"Agreement — {store_path.name}")
        self.dashboard = AgreementDashboard(self)
        self.dashboard.summary.setText("Computing agreement over the store …")
        self.setCentralWidget(self.dashboard)
        self.resize(1200, 760)
        self.job = _ReportJob(store_path)
        self.job.done.connect(self.dashboard.set_report)
        self.job.failed.connect(lambda message: self.dashboard.summary.setText(
            f"Agreement could not be computed: {message}"))
        if background:
            QtCore.QThreadPool.globalInstance().start(self.job)
        else:
            self.job.run()

    def closeEvent(self, ev) -> None:  # noqa: ANN001
        QtCore.QThreadPool.globalInstance().waitForDone(30_000)
        super().closeEvent(ev)


class AdjudicationWindow(QtWidgets.QMainWindow):
    """The adjudication panel in its own window."""

    def __init__(self, store: AnnotationStore,
                 find_record: Callable[[RecordInfo], ECGRecord | None],
                 parent: QtWidgets.QWidget | None = None) -> None:
        from workstation.ui.adjudication import AdjudicationPanel

        super().__init__(parent)
        self.setWindowTitle(f"Adjudication — {store.path.name}")
        self.panel = AdjudicationPanel(store, find_record, self)
        self.setCentralWidget(self.panel)
        self.resize(1400, 860)
        self.panel.refresh()


def record_finder(open_record: Callable[[], ECGRecord | None],
                  folders: Iterable[Path]) -> Callable[[RecordInfo], ECGRecord | None]:
    """A ``find_record`` for adjudication: the open record when it is the one asked for, else
    the file in ``folders`` whose signal hashes to the record's id (the panel's finder)."""
    from workstation.panel.export import SignalFinder

    finder = SignalFinder(folders)

    def find(info: RecordInfo) -> ECGRecord | None:
        record = open_record()
        if record is not None and record.n_samples == info.n_samples and record_key(record) == info.id:
            return record
        return finder.find(info)

    return find
