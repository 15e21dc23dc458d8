"""Starting the program: the sample path, run() with an existing QApplication, the PySide guard."""

from __future__ import annotations

import sys

from PySide6 import QtCore

from workstation.ui import pyside_compat
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


def test_pyside_guard_keeps_singletons_alive() -> None:
    pyside_compat.install()
    probe = QtCore.QObject()
    for _ in range(20_000):  # more void calls than None has references on a fresh 3.11
        probe.setObjectName("x")
    assert sys.getrefcount(None) > 1000
