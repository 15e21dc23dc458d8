"""Delineating the open record off the GUI thread.

The model takes tens of milliseconds on a resting ECG and seconds on a Holter; either way
the window stays responsive. Each request carries an increasing id and the record it was
made for; a result for a record that is no longer shown is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6 import QtCore

from workstation.core.delineation import Delineation
from workstation.core.record import ECGRecord


def _model_delineate(record: ECGRecord) -> Delineation:
    from inference import delineate  # torch is loaded on first use, in the worker

    return delineate(record)


class _Signals(QtCore.QObject):
    done = QtCore.Signal(int, object, object, float)  # request, record, Delineation or message, s


class _Task(QtCore.QRunnable):
    def __init__(self, request: int, record: ECGRecord,
                 fn: Callable[[ECGRecord], Delineation], signals: _Signals) -> None:
        super().__init__()
        self._request, self._record, self._fn, self._signals = request, record, fn, signals

    def run(self) -> None:
        start = time.perf_counter()
        try:
            result: Delineation | str = self._fn(self._record)
        except Exception as exc:  # noqa: BLE001 - the model must never take the window down
            result = f"delineation failed ({type(exc).__name__}: {exc})"
        self._signals.done.emit(self._request, self._record, result, time.perf_counter() - start)


class DelineationRunner(QtCore.QObject):
    """Runs ``delineate`` (default: the shipped model) on records in a worker thread.

    Signals
    -------
    finished(record, delineation, seconds)
    failed(record, message)
    """

    finished = QtCore.Signal(object, object, float)
    failed = QtCore.Signal(object, str)

    def __init__(self, parent: QtCore.QObject | None = None,
                 delineate: Callable[[ECGRecord], Delineation] = _model_delineate) -> None:
        super().__init__(parent)
        self._fn = delineate
        self._latest = 0
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._pool = QtCore.QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def start(self, record: ECGRecord, *, background: bool = True) -> None:
        """Delineate ``record``; any earlier request's result will be dropped."""
        self._latest += 1
        task = _Task(self._latest, record, self._fn, self._signals)
        if background:
            self._pool.start(task)
        else:
            task.run()

    def cancel(self) -> None:
        """Forget pending requests (their results are dropped when they arrive)."""
        self._latest += 1

    def wait(self, msecs: int = 60_000) -> bool:
        return self._pool.waitForDone(msecs)

    def _on_done(self, request: int, record: ECGRecord, result: object, seconds: float) -> None:
        if request != self._latest:
            return
        if isinstance(result, str):
            self.failed.emit(record, result)
        else:
            self.finished.emit(record, result, seconds)
