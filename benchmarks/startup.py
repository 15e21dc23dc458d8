"""How long the workstation takes to start: imports, the window with the sample drawn, the model.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/startup.py [--repeat 5]
[--app dist/ecgws/ecgws]``

Each run is a fresh interpreter (cold imports, warm disk cache after the first). Prints the
median over the runs of: importing the window's modules; the window shown with the bundled
sample read and painted (automatic delineation off, so that the next step is the model's);
the sample delineated (importing the runtime and loading the model included); the peak
resident memory; and whether torch was imported. With ``--app``, also the frozen app's
``--self-test`` wall time (start, imports, delineation, rules, report, exports).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import json, resource, sys, time
start = time.perf_counter()
from PySide6 import QtCore, QtWidgets
from workstation.ui.main_window import MainWindow
imported = time.perf_counter()
app = QtWidgets.QApplication([])
settings = QtCore.QSettings(sys.argv[1] + "/settings.ini", QtCore.QSettings.Format.IniFormat)
win = MainWindow(modal_errors=False, background_loading=False,
                 store_path=__import__("pathlib").Path(sys.argv[1]) / "a.sqlite", settings=settings)
win.set_state(__import__("dataclasses").replace(win.state, auto_delineate=False))
win.resize(1600, 1000)
win.show()
win.session.open_sample()
win.repaint()
app.processEvents()
shown = time.perf_counter()
win.session.delineate()
app.processEvents()
delineated = time.perf_counter()
assert win.session.delineation is not None
print(json.dumps({"import_s": imported - start, "window_s": shown - start,
                  "delineated_s": delineated - start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "torch": "torch" in sys.modules}))
"""


def run_once(folder: Path) -> dict:
    """One cold start in a fresh interpreter; its figures."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    done = subprocess.run([sys.executable, "-c", RUN, str(folder)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def app_self_test_s(app: Path) -> float:
    """Wall time of the frozen app's ``--self-test``."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    subprocess.run([str(app), "--self-test"], env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--app", type=Path, default=None, help="a frozen app to time too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [run_once(Path(tmp)) for _ in range(args.repeat)]
    for key, label in (("import_s", "imports (Qt, window, core)"),
                       ("window_s", "window shown, sample drawn"),
                       ("delineated_s", "sample delineated (model loaded)")):
        print(f"{label:<34} median {statistics.median(r[key] for r in runs):5.2f} s")
    print(f"{'peak resident memory':<34} median {statistics.median(r['peak_rss_mb'] for r in runs):5.0f} MB")
    print(f"{'torch imported':<34} {any(r['torch'] for r in runs)}")
    if args.app:
        times = [app_self_test_s(args.app) for _ in range(args.repeat)]
        print(f"{'frozen app --self-test':<34} median {statistics.median(times):5.2f} s")


if __name__ == "__main__":
    main()
