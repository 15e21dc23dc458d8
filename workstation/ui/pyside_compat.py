"""Work around a reference-count bug of PySide6 6.12.0 on CPython < 3.12.

``SignalInstance.emit()`` returns ``True`` without taking a reference to it. Every emit
from Python therefore removes one reference from ``True``; after a few thousand emits
(pyqtgraph emits on every mouse move) the interpreter aborts with "Fatal Python error:
bool_dealloc: deallocating True or False". CPython 3.12+ makes ``True`` immortal, which
hides the bug.

:func:`install` probes for the leak and, only when it is present, wraps ``emit`` so that
the missing reference is added back. An extra reference to a bool is harmless, so the
wrapper stays correct even if a later PySide6 fixes the bug in some paths. Remove this module
once the project requires a PySide6 without the bug (or Python >= 3.12).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6 import QtCore

_PROBE_EMITS = 16
_installed = False


class _Probe(QtCore.QObject):
    fired = QtCore.Signal()


def emit_leaks_bool_refs() -> bool:
    """Whether emitting a signal from Python loses references to ``True``."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.fired.emit()
    return sys.getrefcount(True) - before <= -_PROBE_EMITS // 2


def install() -> bool:
    """Patch ``SignalInstance.emit`` if it leaks; returns whether the patch is active."""
    global _installed
    if _installed or not emit_leaks_bool_refs():
        return _installed
    original = QtCore.SignalInstance.emit

    def emit(self: QtCore.SignalInstance, *args: object) -> object:
        result = original(self, *args)
        if result is True or result is False:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))  # the reference emit forgot
        return result

    emit.__doc__ = original.__doc__
    QtCore.SignalInstance.emit = emit
    _installed = True
    return True
