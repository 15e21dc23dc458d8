"""Render the main window offscreen to PNG files, to look at what a reader would see.

Writes, at 1600x1000 by default: the sample ECG in 3x4+rhythm, 6x2 and 12x1, with the caliper
on an R-R interval, de-identified at 50 mm/s with display filters on, and a synthetic 24 h
Holter at its start and zoomed out to five minutes.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_screenshots.py [--out /tmp]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ui_pan import build_holter  # noqa: E402
from workstation.core.layout import PaperPoint  # noqa: E402
from workstation.io.registry import read_ecg  # noqa: E402
from workstation.ui.app import application, sample_path  # noqa: E402
from workstation.ui.main_window import MainWindow  # noqa: E402


def save(window: MainWindow, out: Path, name: str) -> None:
    application().processEvents()
    path = out / f"ecgws_{name}.png"
    window.grab().save(str(path))
    print(path)


def caliper_on_rr(window: MainWindow) -> None:
    """Put the caliper between the first two R peaks of the rhythm strip."""
    panel = window.paper.traces[-1].panel
    lead = window.record.signals[panel.lead_index]
    fs = window.record.fs
    first = int(lead[: int(1.5 * fs)].argmax())
    second = first + int(0.4 * fs) + int(lead[first + int(0.4 * fs): first + int(1.3 * fs)].argmax())
    start = PaperPoint(float(panel.x_of(first)), float(panel.y_of(lead[first])))
    end = PaperPoint(float(panel.x_of(second)), float(panel.y_of(0.0)))
    window.trigger_key("tools.caliper")
    window.paper.measure(start, end)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    application()
    window = MainWindow(background_loading=False, modal_errors=False)
    window.resize(args.width, args.height)
    window.show()
    window.show_record(read_ecg(sample_path()))
    save(window, args.out, "main")
    for key, name in (("view.layout.6x2", "6x2"), ("view.layout.12x1", "12x1")):
        window.trigger_key(key)
        save(window, args.out, name)
    window.trigger_key("view.layout.3x4+rhythm")
    caliper_on_rr(window)
    save(window, args.out, "caliper")
    window.trigger_key("tools.caliper")
    for key in ("view.speed.50", "view.deidentify", "view.filter.baseline", "view.filter.notch50"):
        window.trigger_key(key)
    save(window, args.out, "deidentified_50mms_filtered")
    for key in ("view.speed.25", "view.deidentify", "view.filter.baseline", "view.filter.notch50"):
        window.trigger_key(key)
    with tempfile.TemporaryDirectory() as folder:
        window.show_record(build_holter(Path(folder)))
        save(window, args.out, "holter")
        view = window.paper
        left = 3600 * 25.0 + view.layout.trace_x0_mm
        view.vb.setXRange(left, left + 300 * 25.0, padding=0)
        save(window, args.out, "holter_5min")
        window.show_record(read_ecg(sample_path()))  # release the memory map before cleanup
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
