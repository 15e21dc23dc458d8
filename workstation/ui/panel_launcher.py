"""Opening the panel's windows from the main window: agreement dashboard and adjudication.

The windows themselves live in :mod:`workstation.ui.panel_windows`, imported when first
opened so that the reading window starts without them.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from workstation.ui.corrections import Corrections
from workstation.ui.record_session import RecordSession


class PanelLauncher(QtCore.QObject):
    """Opens the dashboard and the adjudication panel over the window's annotation store.

    Parameters
    ----------
    corrections
        The store and the user signed in.
    session
        The open record and the worklist (adjudication looks for records in their folders),
        and whether to compute in worker threads.
    parent
        The window the panel windows belong to.

    Signals
    -------
    problem(str, str)
        A message and a title the user must read.
    """

    problem = QtCore.Signal(str, str)

    def __init__(self, corrections: Corrections, session: RecordSession, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.corrections, self.session = corrections, session
        self.panel_window: QtWidgets.QMainWindow | None = None  # kept alive while shown
        self.commands = {"dashboard": self.open_dashboard, "adjudicate": self.open_adjudication}

    def open_dashboard(self, *, background: bool | None = None) -> QtWidgets.QMainWindow | None:
        """The agreement dashboard over this window's annotation store.

        The report is computed in a worker unless ``background`` is False (None: as the
        record session computes).
        """
        from workstation.ui.panel_windows import DashboardWindow

        if self.corrections.store is None:
            self.problem.emit(f"No annotation store: {self.corrections.store_error}", "Agreement dashboard")
            return None
        background = self.session.background if background is None else background
        return self._show(DashboardWindow(self.corrections.store_path, self._parent, background=background))

    def open_adjudication(self) -> QtWidgets.QMainWindow | None:
        """The adjudication panel (the signed-in user must be an adjudicator)."""
        from workstation.store import Role
        from workstation.ui.panel_windows import AdjudicationWindow, record_finder

        user = self.corrections.user
        if self.corrections.store is None or user is None or user.role is not Role.ADJUDICATOR:
            self.problem.emit("Adjudication needs an adjudicator signed in (Annotate > Switch user).",
                              "Adjudication")
            return None
        folders = {e.path.parent for e in self.session.worklist.entries}
        if self.session.record is not None:
            folders.add(self.session.record.source.path.parent)
        finder = record_finder(lambda: self.session.record, sorted(folders))
        return self._show(AdjudicationWindow(self.corrections.store, finder, self._parent))

    def _show(self, window: QtWidgets.QMainWindow) -> QtWidgets.QMainWindow:
        self.panel_window = window
        window.show()
        return window
