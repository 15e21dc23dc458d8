"""Latency of a correction in the window: gesture finished -> committed -> redrawn.

Opens the bundled sample (12 leads, 10 s) with its reference boundaries as the proposal,
signs in to a fresh store in a temporary folder (a file keyring there too) and times, per
edit, the whole path a nudge takes: the command is checked, committed to SQLite (WAL,
one transaction), the document updated, the overlay of every wave redrawn and a frame
painted. Prints median and 95th percentile for single-boundary nudges, for a global
boundary (12 leads at once) and for undo.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_edit.py [--edits 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6 import QtCore, QtWidgets  # noqa: E402

from tests.store.file_keyring import use_file_keyring  # noqa: E402
from workstation.core.annotation import Boundary  # noqa: E402
from workstation.core.commands import MoveBoundary, SetGlobalBoundary  # noqa: E402
from workstation.core.delineation import WaveKind, read_wfdb_annotations  # noqa: E402
from workstation.io import read_ecg  # noqa: E402
from workstation.store import Role  # noqa: E402
from workstation.ui.app import application, sample_path  # noqa: E402
from workstation.ui.main_window import MainWindow  # noqa: E402


def timed(app: QtWidgets.QApplication, window: MainWindow, action) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    action()
    app.processEvents()  # Qt repaints what the edit made dirty, as on screen
    return (time.perf_counter() - t0) * 1000.0


def full_frame(app: QtWidgets.QApplication, window: MainWindow) -> float:
    t0 = time.perf_counter()
    window.paper.viewport().repaint()
    return (time.perf_counter() - t0) * 1000.0


def summary(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(f"{name:<34} median {statistics.median(ms):6.2f} ms   p95 {p95:6.2f} ms   (n={len(ms)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=200)
    args = parser.parse_args()
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        use_file_keyring(Path(tmp) / "keyring.json")
        settings = QtCore.QSettings(str(Path(tmp) / "settings.ini"), QtCore.QSettings.Format.IniFormat)
        window = MainWindow(background_loading=False, modal_errors=False,
                            store_path=Path(tmp) / "annotations.sqlite", settings=settings)
        window.set_state(dataclasses.replace(window.state, auto_delineate=False))
        window.resize(1600, 1000)
        window.show()
        window.sign_in("bench", "Benchmark", Role.ANNOTATOR, new=True)
        record = read_ecg(sample_path())
        reference = read_wfdb_annotations(sample_path().with_suffix(""), record.lead_names, record.fs)
        window.show_record(record)
        window.show_delineation(dataclasses.replace(reference, model_name="reference", model_version="ludb"))
        app.processEvents()
        waves = window.corrections.state.waves_in("II", WaveKind.QRS)
        nudges, globals_, undos = [], [], []
        for i in range(args.edits):
            wave = window.corrections.state.wave(waves[i % len(waves)].id)
            step = 1 if (i // len(waves)) % 2 == 0 else -1
            command = MoveBoundary.of(window.corrections.state, wave.id, Boundary.OFFSET, wave.offset + step)
            nudges.append(timed(app, window, lambda c=command: window.apply_command(c)))
        for i in range(max(20, args.edits // 10)):
            wave = window.corrections.state.wave(waves[i % len(waves)].id)
            command = SetGlobalBoundary.of_beat(window.corrections.state, wave.id, Boundary.ONSET,
                                                wave.onset + (1 if i % 2 == 0 else -1))
            globals_.append(timed(app, window, lambda c=command: window.apply_command(c)))
            undos.append(timed(app, window, window.undo))
        window.session.reanalyse_timer.stop()
        frames = [full_frame(app, window) for _ in range(20)]
        print(f"sample: {len(window.corrections.state.waves)} waves on 12 leads; store in a temporary folder")
        summary("nudge (commit + redraw + paint)", nudges)
        summary("global boundary, 12 leads", globals_)
        summary("undo", undos)
        summary("for scale: repaint of the whole sheet", frames)
        window.close()


if __name__ == "__main__":
    main()
