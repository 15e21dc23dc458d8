"""Work around the reference-count bugs of PySide6 6.12.0 on CPython 3.11.

On CPython 3.11 this PySide6 build hands back ``None``, ``True`` and ``False`` without
taking a reference to them: every void method called from Python (``QLabel.setText``,
``QGraphicsItem.setPos``, ...), every method returning a null pointer (``parentItem()``) and
every ``Signal.emit()`` / ``disconnect()`` removes one reference from one of these
singletons. After some tens of thousands of calls (a minute of panning; a test session) the
interpreter aborts with "Fatal Python error: none_dealloc" or "bool_dealloc". CPython 3.12+
made these objects immortal, which hides the bug there.

:func:`install` probes for the leak and, only when it is present on a CPython older than
3.12, gives the three singletons a reference count so large that it can never reach zero:
the same immortality CPython 3.12 gives them. The singletons are never freed in any case,
so nothing else changes. Remove this module once the project runs on CPython >= 3.12 or
on a PySide6 without the bug.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6 import QtCore

#: Added to the reference count of None, True and False: 2**40 calls before trouble.
IMMORTAL_REFS = 1 << 40
_PROBE_CALLS = 64
_installed = False


class _Probe(QtCore.QObject):
    fired = QtCore.Signal()


def leaks_singleton_refs() -> bool:
    """Whether calling into PySide6 from Python loses references to None or True."""
    probe = _Probe()
    before = (sys.getrefcount(None), sys.getrefcount(True))
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")  # a void method: returns None
        probe.fired.emit()  # returns True
    after = (sys.getrefcount(None), sys.getrefcount(True))
    return any(b - a <= -_PROBE_CALLS // 2 for a, b in zip(before, after, strict=True))


def install() -> bool:
    """Make None/True/False immortal if PySide6 leaks their references; True when done."""
    global _installed
    if _installed:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    if not leaks_singleton_refs():
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every object in CPython < 3.12.
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        refcount.value += IMMORTAL_REFS
    _installed = True
    return True
