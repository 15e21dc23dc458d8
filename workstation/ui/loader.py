"""Reading ECG files off the GUI thread.

Each request carries an increasing id; a result arriving after a newer request was made is
dropped, so that a slow file opened first can never replace one opened after it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore

from workstation.core.record import ECGRecord
from workstation.io.errors import ECGReadError
from workstation.io.registry import read_ecg


class _Signals(QtCore.QObject):
    done = QtCore.Signal(int, object, object)  # request id, path, ECGRecord or error message (str)


class _ReadTask(QtCore.QRunnable):
    def __init__(self, request: int, path: Path, reader: Callable[[Path], ECGRecord],
                 signals: _Signals) -> None:
        super().__init__()
        self._request, self._path, self._reader, self._signals = request, path, reader, signals

    def run(self) -> None:
        try:
            result: ECGRecord | str = self._reader(self._path)
        except ECGReadError as exc:
            result = str(exc)
        except Exception as exc:  # noqa: BLE001 - a reader bug must not kill the worker silently
            result = f"{self._path}: unexpected error while reading ({type(exc).__name__}: {exc})"
        self._signals.done.emit(self._request, self._path, result)


class RecordLoader(QtCore.QObject):
    """Reads files with ``reader`` (default :func:`read_ecg`) and reports the newest result.

    Signals
    -------
    loaded(path, record)
    failed(path, message)
    """

    loaded = QtCore.Signal(object, object)
    failed = QtCore.Signal(object, str)

    def __init__(self, parent: QtCore.QObject | None = None,
                 reader: Callable[[Path], ECGRecord] = read_ecg) -> None:
        super().__init__(parent)
        self._reader = reader
        self._latest = 0
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._pool = QtCore.QThreadPool(self)
        self._pool.setMaxThreadCount(2)

    def load(self, path: Path, *, background: bool = True) -> None:
        """Start reading ``path``; in the foreground when ``background`` is False."""
        self._latest += 1
        task = _ReadTask(self._latest, Path(path), self._reader, self._signals)
        if background:
            self._pool.start(task)
        else:
            task.run()

    @property
    def busy(self) -> bool:
        return self._pool.activeThreadCount() > 0

    def wait(self, msecs: int = 30_000) -> bool:
        return self._pool.waitForDone(msecs)

    def _on_done(self, request: int, path: Path, result: object) -> None:
        if request != self._latest:
            return  # a newer file was asked for meanwhile
        if isinstance(result, str):
            self.failed.emit(path, result)
        else:
            self.loaded.emit(path, result)
