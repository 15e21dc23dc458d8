"""The workstation runs its models without torch: ``ecgws delineate``, ``ecgws digitize``, the
window (delineating the open record) and the worklist, each in a fresh interpreter where any
``import torch`` fails, as in the frozen app and in an install without the ``[train]`` extra."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from resources import sample_ecg_path

ROOT = Path(__file__).resolve().parents[2]
#: Makes every later ``import torch`` raise ImportError, whether or not torch is installed,
#: and checks at exit that nothing loaded it.
BLOCK_TORCH = """
import atexit, sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch is not available here")
sys.meta_path.insert(0, NoTorch())
atexit.register(lambda: "torch" in sys.modules and sys.exit("torch was imported"))
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_TORCH + code, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _ok(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


def test_ecgws_delineate_runs_without_torch(tmp_path: Path) -> None:
    code = "from workstation.cli import main; sys.exit(main(sys.argv[1:]))"
    _ok(_run(code, "delineate", str(sample_ecg_path()), "--out", str(tmp_path), "--no-progress"))
    assert (tmp_path / "ludb_2.json").exists()


def test_ecgws_digitize_and_the_learned_ink_finder_run_without_torch(tmp_path: Path) -> None:
    import cv2

    from workstation.io import read_ecg
    from workstation.scan.synth import render

    image = tmp_path / "print.png"
    cv2.imwrite(str(image), render(read_ecg(sample_ecg_path()), dpi=150, style="red").image)
    code = ("from workstation.cli import main\n"
            "import cv2\nfrom inference.digitize import learned_ink\n"
            "from workstation.scan.digitize import digitize\n"
            "assert digitize(cv2.imread(sys.argv[2]), ink=learned_ink).traces\n"
            "sys.exit(main(sys.argv[1:]))")
    _ok(_run(code, "digitize", str(image), "--out", str(tmp_path / "out")))
    assert (tmp_path / "out" / "print.hea").exists()


WINDOW = """
from pathlib import Path
from PySide6 import QtCore, QtWidgets
app = QtWidgets.QApplication([])
from workstation.ui.main_window import MainWindow
folder = Path(sys.argv[1])
settings = QtCore.QSettings(str(folder / "settings.ini"), QtCore.QSettings.Format.IniFormat)
win = MainWindow(modal_errors=False, background_loading=False,
                 store_path=folder / "annotations.sqlite", settings=settings)
win.session.open_sample()
win.session.delineate()
assert win.session.delineation is not None and win.session.delineation.waves
win.session.open_worklist(folder / "ecgs", background=False)
app.processEvents()
print(win.worklist.count_text() if hasattr(win.worklist, "count_text") else "worklist done")
"""


def test_window_and_worklist_delineate_without_torch(tmp_path: Path) -> None:
    ecgs = tmp_path / "ecgs"
    ecgs.mkdir()
    for part in sample_ecg_path().parent.glob(f"{sample_ecg_path().stem}.*"):
        shutil.copy(part, ecgs)
    done = _run(WINDOW, str(tmp_path))
    _ok(done)
    assert "Traceback" not in done.stderr
