"""Render the README's pictures of reviewing offscreen: comparison mode, the zoomed editor,
the device's median beats and adjudication on paper.

    QT_QPA_PLATFORM=offscreen python -m docs.screenshots [OUT_DIR]

Uses only what a fresh clone has: the bundled LUDB sample, the shipped model and pydicom's
DICOM ECG test file. The annotation store and the signing keys live in a temporary folder.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets  # noqa: E402

OUT = Path(__file__).resolve().parent / "images"


def pump(app: QtWidgets.QApplication, n: int = 10) -> None:
    for _ in range(n):
        app.processEvents()


def main(out: Path = OUT) -> None:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from pydicom.data import get_testdata_file

    from tests.store.file_keyring import use_file_keyring
    from workstation.core.annotation import AnnotationState, Boundary
    from workstation.core.selection import Selection
    from workstation.core.delineation import WaveKind, read_wfdb_annotations
    from workstation.core.layout import PaperPoint
    from workstation.io import read_ecg
    from workstation.store import AnnotationStore, Role
    from workstation.ui.adjudication import AdjudicationPanel
    from workstation.ui.app import sample_path
    from workstation.ui.main_window import MainWindow

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    use_file_keyring(tmp / "keyring.json")
    settings = QtCore.QSettings(str(tmp / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(modal_errors=False, background_loading=False,
                        store_path=tmp / "annotations.sqlite", settings=settings)
    window.resize(1600, 1000)
    window.show()
    window.sign_in("jdoe", "Dr Jane Doe", Role.ANNOTATOR, new=True)
    window.open_path(sample_path())  # the model runs on open
    pump(app)

    # comparison: the model against LUDB's cardiologists, stepped to the largest disagreement
    window.trigger_key("view.compare")
    window.trigger_key("view.compare_next")
    pump(app)
    window.grab().save(str(out / "compare.png"))

    # the zoomed editor: a boundary selected, lead names and the time ruler in view
    window.comparing.dock.close()
    state = window.corrections.state
    v2 = next(p for p in window.paper.layout.panels if p.lead == "V2")
    wave = next(w for w in state.waves_in("V2", WaveKind.T) if w.onset > v2.start + 0.8 * window.record.fs)
    window.editor.select(Selection(wave.id, Boundary.OFFSET))
    x = float(v2.x_of(wave.offset))
    window.paper.show_region(QtCore.QRectF(x - 40, v2.baseline_mm - 20, 80, 40))
    pump(app)
    window.paper.grab().save(str(out / "zoomed_editor.png"))

    # the device's median beats with its fiducial points
    window.open_path(Path(get_testdata_file("waveform_ecg.dcm")))
    pump(app)
    medians = window.comparing.show_medians()
    pump(app, 20)
    medians.grab().save(str(out / "median_beats.png"))
    medians.close()

    # adjudication on paper: two readers, the second ends lead II's T waves 40 ms later
    record = read_ecg(sample_path())
    reference = read_wfdb_annotations(sample_path().with_suffix(""), record.lead_names, record.fs,
                                      source="ludb", version="1.0.1")
    store = AnnotationStore.open(tmp / "panel.sqlite")
    store.add_annotator("adj", "Dr Ada Adjudicator", Role.ADJUDICATOR)
    info = store.add_record(record)
    base = AnnotationState.from_proposal(reference, record.n_samples)
    for reader, shift in (("jdoe", 0), ("asmith", 20)):
        store.add_annotator(reader, reader)
        store.switch_user(reader)
        waves = {k: dataclasses.replace(a, wave=dataclasses.replace(a.wave, offset=a.wave.offset + shift))
                 if (a.wave.lead, a.wave.kind) == ("II", WaveKind.T) else a for k, a in base.waves.items()}
        store.import_set(info.id, dataclasses.replace(base, waves=waves), origin={})
    store.switch_user("adj")
    panel = AdjudicationPanel(store, find_record=lambda _info: record)
    panel.resize(1500, 950)
    panel.show()
    panel.threshold.setValue(3.0)
    panel.refresh()
    panel.queue.selectRow(0)
    panel.source_box.setCurrentText("jdoe")
    panel.rationale.setText("jdoe's T ends at the return to baseline")
    panel.accept_lead()
    consensus = panel.adjudication.result()
    t_wave = consensus.waves_in("II", WaveKind.T)[2]
    paper = panel.paper.paper
    lead_panel = paper.layout.panels[0]
    x = float(lead_panel.x_of(t_wave.offset))
    paper.show_region(QtCore.QRectF(x - 45, lead_panel.baseline_mm - 32, 90, 45))
    panel.rationale.setText("T end where the down-slope meets the baseline")
    editor = panel.paper.editor
    point = PaperPoint(x, lead_panel.baseline_mm)
    if editor.begin_drag(point, QtCore.Qt.KeyboardModifier.NoModifier):
        editor.end_drag(PaperPoint(float(lead_panel.x_of(t_wave.offset + 6)), point.y_mm))
    pump(app)
    panel.grab().save(str(out / "adjudication.png"))
    panel.close()
    store.close()
    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
