"""Frame times of the ECG paper view: panning a 24 h Holter, and opening the 10 s sample.

Builds a synthetic two-lead (MLII, V5) 24 h Holter at 250 Hz in a memory-mapped file
(21.6 M samples per lead, read lazily through a ChunkedSource as a real Holter reader
would), opens it in the main window offscreen, pans across it and prints the mean and 95th
percentile time per step. Each step moves the view, processes events (the view reads and
decimates what became visible, the scene repaints) and forces a synchronous repaint when
processing did not paint, so that every step is exactly one painted frame.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_pan.py [--steps 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402

from workstation.core.record import ECGRecord, Lead, SourceInfo  # noqa: E402
from workstation.core.signals import ChunkedSource  # noqa: E402

FS = 250.0
HOURS = 24.0
SEGMENT_S = 600  # a 10 min synthetic segment, repeated to fill the day
# (amplitude mV, centre s relative to R, width s) of P, Q, R, S, T
WAVES = ((0.15, -0.20, 0.025), (-0.10, -0.03, 0.008), (1.2, 0.0, 0.010),
         (-0.25, 0.03, 0.010), (0.30, 0.25, 0.045))


def synthetic_segment(seconds: int, fs: float, seed: int = 1) -> np.ndarray:
    """Two leads of beats with RR variability, baseline wander and noise, float32 mV."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    beat_times = np.cumsum(rng.normal(0.8, 0.05, size=int(seconds / 0.6)))
    beat_times = beat_times[beat_times < seconds]
    nearest = beat_times[np.clip(np.searchsorted(beat_times, t) - 1, 0, len(beat_times) - 1)]
    following = beat_times[np.clip(np.searchsorted(beat_times, t), 0, len(beat_times) - 1)]
    phase = np.where(np.abs(t - nearest) < np.abs(t - following), t - nearest, t - following)
    ecg = sum(a * np.exp(-0.5 * ((phase - c) / w) ** 2) for a, c, w in WAVES)
    wander = 0.2 * np.sin(2 * np.pi * 0.15 * t)
    lead1 = ecg + wander + rng.normal(0, 0.02, n)
    lead2 = 0.7 * ecg - 0.5 * wander + rng.normal(0, 0.02, n)
    return np.stack([lead1, lead2]).astype(np.float32)


def build_holter(folder: Path) -> ECGRecord:
    """A lazily read 24 h record over a memory-mapped (leads, samples) float32 file."""
    n = int(HOURS * 3600 * FS)
    data = np.lib.format.open_memmap(folder / "holter.npy", mode="w+", dtype=np.float32, shape=(2, n))
    segment = synthetic_segment(SEGMENT_S, FS)
    step = segment.shape[1]
    for start in range(0, n, step):
        stop = min(n, start + step)
        data[:, start:stop] = segment[:, : stop - start]
    data.flush()
    mapped = np.load(folder / "holter.npy", mmap_mode="r")
    source = ChunkedSource(2, n, lambda a, b: mapped[:, a:b])
    return ECGRecord(source, FS, (Lead("MLII"), Lead("V5")),
                     SourceInfo(folder / "holter.npy", "Synthetic Holter (memmap)"))


class PaintCounter(QtCore.QObject):
    """Counts paint events of a widget (to check that each step is exactly one frame)."""

    def __init__(self, widget: QtWidgets.QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.Paint:
            self.count += 1
        return False


def timed(step: Callable[[], None], viewport: QtWidgets.QWidget, n: int) -> list[float]:
    """Milliseconds for each of ``n`` frames: step, process events, and a synchronous repaint
    when processing the events did not already paint (so every frame is painted exactly once)."""
    app = QtWidgets.QApplication.instance()
    counter = PaintCounter(viewport)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        before = counter.count
        step()
        app.processEvents()
        if counter.count == before:
            viewport.repaint()
        times.append((time.perf_counter() - t0) * 1000.0)
    counter.deleteLater()
    return times


def report(name: str, times: list[float]) -> None:
    p95 = float(np.percentile(times, 95))
    print(f"{name:<44} mean {statistics.fmean(times):6.2f} ms   p95 {p95:6.2f} ms   "
          f"max {max(times):6.2f} ms   (n={len(times)})")


def bench_holter(window, steps: int) -> None:  # noqa: ANN001 - MainWindow, imported late
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        record = build_holter(Path(folder))
        print(f"built 24 h 2-lead 250 Hz memmap Holter ({record.n_samples:,} samples/lead) "
              f"in {time.perf_counter() - t0:.1f} s")
        app = QtWidgets.QApplication.instance()
        t0 = time.perf_counter()
        window.show_record(record)
        app.processEvents()
        window.paper.viewport().repaint()
        print(f"open 24 h Holter into the window (first frame): {(time.perf_counter() - t0) * 1000:.1f} ms")
        paper = window.paper
        viewport = paper.viewport()
        drag_step = timed(lambda: paper.pan(0.025), viewport, steps)
        report("pan 1/40 screen (mouse-drag step), ~8 s view", drag_step)
        report("pan 1/4 screen (arrow key), ~8 s view", timed(lambda: paper.pan(0.25), viewport, steps))
        report("pan 1 screen (Page Down), ~8 s view", timed(lambda: paper.pan(0.9), viewport, steps))
        paper.vb.setXRange(paper.vb.viewRect().left(), paper.vb.viewRect().left() + 300 * 25, padding=0)
        app.processEvents()
        report("pan 1 screen (Page Down), 5 min view", timed(lambda: paper.pan(0.9), viewport, steps // 2))
        report("zoom in/out alternately, ~5 min view", timed(_zoom_toggler(paper), viewport, steps // 2))
        biggest = max(t.n_points for t in paper.traces)
        print(f"vertices per trace at most {biggest:,} for a {paper.vb.width():.0f} px wide view")


def _zoom_toggler(paper) -> Callable[[], None]:  # noqa: ANN001
    state = {"in": True}

    def step() -> None:
        paper.zoom(1.6 if state["in"] else 1 / 1.6)
        state["in"] = not state["in"]

    return step


def bench_sample_open(window, repeats: int = 5) -> None:  # noqa: ANN001
    from workstation.io.registry import read_ecg
    from workstation.ui.app import sample_path

    app = QtWidgets.QApplication.instance()
    times, read_times = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        record = read_ecg(sample_path())
        t1 = time.perf_counter()
        window.show_record(record)
        app.processEvents()
        window.paper.viewport().repaint()
        times.append((time.perf_counter() - t0) * 1000)
        read_times.append((t1 - t0) * 1000)
    print(f"open 10 s 12-lead sample (read + layout + first frame): first {times[0]:.1f} ms, "
          f"then mean {statistics.fmean(times[1:]):.1f} ms "
          f"(read alone {statistics.fmean(read_times[1:]):.1f} ms)")
    report("pan 1/40 screen, 3x4 sheet zoomed x2", _pan_sheet(window))


def _pan_sheet(window) -> list[float]:  # noqa: ANN001
    paper = window.paper
    paper.zoom(2.0)
    return timed(lambda: paper.pan(0.025), paper.viewport(), 100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    from workstation.ui.app import application
    from workstation.ui.main_window import MainWindow

    app = application()
    window = MainWindow(background_loading=False, modal_errors=False)
    window.resize(args.width, args.height)
    window.show()
    app.processEvents()
    print(f"Qt platform {app.platformName()}, window {args.width}x{args.height}")
    bench_sample_open(window)
    bench_holter(window, args.steps)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
