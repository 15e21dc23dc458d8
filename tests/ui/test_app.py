"""Starting the program: the sample path, run() with an existing QApplication, PySide6 soundness."""

from __future__ import annotations

import sys

from PySide6 import QtCore

from workstation.ui.app import application, run, sample_path
from workstation.ui.main_window import MainWindow


def test_sample_path_points_at_the_bundled_record() -> None:
    path = sample_path()
    assert path.name == "ludb_2.hea" and path.is_file()
    assert path.with_suffix(".dat").is_file()


def test_run_reuses_the_application_and_opens_the_sample(qapp, qtbot) -> None:
    assert application() is qapp
    seen: list[MainWindow] = []

    def finish() -> None:
        windows = [w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        seen.extend(windows)
        for w in windows:
            w.loader.wait()
        qapp.processEvents()
        for w in windows:
            w.close()  # closing the last window ends exec(), as a user quitting would

    QtCore.QTimer.singleShot(1500, finish)
    assert run([], sample=True) == 0
    assert len(seen) == 1
    assert seen[0].record is not None and seen[0].record.n_leads == 12


def test_pyside_keeps_references_to_none_and_true() -> None:
    """PySide6 6.12.0 on CPython 3.11 dropped a reference to None/True on every void call and
    emit, aborting the interpreter after a few thousand calls; the pin in pyproject.toml
    excludes it. This fails if a leaking build is ever installed again."""

    class Probe(QtCore.QObject):
        fired = QtCore.Signal()

    probe = Probe()
    before = (sys.getrefcount(None), sys.getrefcount(True))
    for _ in range(2_000):
        probe.setObjectName("x")
        probe.fired.emit()
    after = (sys.getrefcount(None), sys.getrefcount(True))
    assert all(a >= b - 100 for a, b in zip(after, before))
