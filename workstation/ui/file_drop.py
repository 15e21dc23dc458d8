"""Opening a file by dropping it on a window: accept local files, pick the ECG among them."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from workstation.ui.dialogs import choose_dropped_file


class FileDrop(QtCore.QObject):
    """Accepts local files dragged onto ``target`` and reports the ECG file among those dropped.

    An event filter rather than overridden handlers, so that the window keeps no drag logic.

    Signals
    -------
    dropped(Path)
        The file to open (a record's header rather than its signal file, see
        :func:`~workstation.ui.dialogs.choose_dropped_file`).
    """

    dropped = QtCore.Signal(Path)

    def __init__(self, target: QtWidgets.QWidget) -> None:
        super().__init__(target)
        target.setAcceptDrops(True)
        target.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QtCore.QEvent.Type.DragEnter:
            return _accept_if_files(event, otherwise_ignore=True)
        if kind == QtCore.QEvent.Type.DragMove:
            return _accept_if_files(event, otherwise_ignore=False)
        if kind == QtCore.QEvent.Type.Drop:
            path = choose_dropped_file(local_paths(event.mimeData()))
            if path is None:
                event.ignore()
            else:
                event.acceptProposedAction()
                self.dropped.emit(path)
            return True
        return False


def _accept_if_files(event: QtGui.QDragMoveEvent, *, otherwise_ignore: bool) -> bool:
    """Accept a drag that carries local files; True when the event was handled here."""
    if local_paths(event.mimeData()):
        event.acceptProposedAction()
        return True
    if otherwise_ignore:
        event.ignore()
        return True
    return False  # the widget's own handler decides


def local_paths(mime: QtCore.QMimeData) -> list[Path]:
    """The local files a drag carries (URLs of other kinds are left out)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
