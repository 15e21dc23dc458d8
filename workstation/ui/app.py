"""Start the workstation's window: ``ecgws open`` calls :func:`run`."""

from __future__ import annotations

import importlib.resources
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6 import QtWidgets

from workstation.ui.main_window import MainWindow

SAMPLE_RECORD = "ludb_2.hea"


def sample_path() -> Path:
    """The bundled sample ECG (LUDB record 2, 10 s, 12 leads, 500 Hz), as a file path."""
    return Path(str(importlib.resources.files("resources") / "sample" / SAMPLE_RECORD))


def application() -> QtWidgets.QApplication:
    """The running QApplication, created if there is none."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName("ECG Workstation")
        app.setOrganizationName("ECG Workstation")
    assert isinstance(app, QtWidgets.QApplication)
    return app


def open_windows(paths: Sequence[Path], *, sample: bool = False) -> list[MainWindow]:
    """One shown window per file (the sample first when asked); one empty window if none.

    A folder opens as a worklist: its ECGs analysed in the background and sorted by urgency.
    """
    targets = ([sample_path()] if sample else []) + [Path(p) for p in paths]
    windows = []
    for path in targets or [None]:
        window = MainWindow()
        window.show()
        if path is not None and path.is_dir():
            window.open_worklist(path)
        elif path is not None:
            window.open_path(path)
        windows.append(window)
    windows[0].offer_first_run()  # no annotator yet on this computer: the welcome screen
    return windows


def run(paths: list[Path], *, sample: bool = False) -> int:
    """Open ``paths`` (and/or the sample) in windows and run the event loop to the end.

    Returns
    -------
    int
        The application's exit code.
    """
    app = application()
    windows = open_windows(paths, sample=sample)  # kept referenced until the loop ends
    code = app.exec()
    del windows
    return int(code)
