"""Work on the open record off the GUI thread: delineation by the model, then the rules.

The model takes tens of milliseconds on a resting ECG and seconds on a Holter; either way
the window stays responsive. Each request carries an increasing id and the record it was
made for; a result for a request that is no longer the latest is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6 import QtCore

from typing import Any

from workstation.core.delineation import Delineation
from workstation.core.record import ECGRecord


def _model_delineate(record: ECGRecord) -> Delineation:
    from inference import delineate  # torch is loaded on first use, in the worker

    return delineate(record)


class _Signals(QtCore.QObject):
    done = QtCore.Signal(int, object, object, float)  # request, record, result or message, s


class _Task(QtCore.QRunnable):
    def __init__(self, request: int, record: ECGRecord,
                 fn: Callable[[ECGRecord], Any], signals: _Signals) -> None:
        super().__init__()
        self._request, self._record, self._fn, self._signals = request, record, fn, signals

    def run(self) -> None:
        start = time.perf_counter()
        try:
            result = self._fn(self._record)
        except Exception as exc:  # noqa: BLE001 - a model or rule bug must not take the window down
            result = _Failure(f"{type(exc).__name__}: {exc}")
        try:
            self._signals.done.emit(self._request, self._record, result, time.perf_counter() - start)
        except RuntimeError:  # the window went away while this ran: nobody waits for the result
            pass


class _Failure(str):
    """An error message, kept apart from a result that happens to be a string."""


class RecordJobRunner(QtCore.QObject):
    """Runs ``fn(record)`` in a worker thread; only the latest request's result is reported.

    Signals
    -------
    finished(record, result, seconds)
    failed(record, message)
    """

    finished = QtCore.Signal(object, object, float)
    failed = QtCore.Signal(object, str)

    def __init__(self, fn: Callable[[ECGRecord], Any], parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._latest = 0
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._pool = QtCore.QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def start(self, record: ECGRecord, *, background: bool = True,
              fn: Callable[[ECGRecord], Any] | None = None) -> None:
        """Run the job (or ``fn``) on ``record``; any earlier request's result will be dropped."""
        self._latest += 1
        task = _Task(self._latest, record, fn or self._fn, self._signals)
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
        if isinstance(result, _Failure):
            self.failed.emit(record, str(result))
        else:
            self.finished.emit(record, result, seconds)


class DelineationRunner(RecordJobRunner):
    """Runs ``delineate`` (default: the shipped model) on records in a worker thread."""

    def __init__(self, parent: QtCore.QObject | None = None,
                 delineate: Callable[[ECGRecord], Delineation] = _model_delineate) -> None:
        super().__init__(delineate, parent)
