"""A photographed printout opened in the window: drawn, delineated, annotatable, scan checkable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import pytest

from workstation.io import read_ecg
from workstation.scan.synth import render

LUDB_1 = Path(__file__).resolve().parents[1] / "data" / "ludb" / "1.hea"


@pytest.fixture(scope="module")
def printout(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scan") / "printout.png"
    cv2.imwrite(str(path), render(read_ecg(LUDB_1), dpi=200, style="pink").image)
    return path


def test_a_printout_opens_like_any_ecg_and_shows_its_scan(window, qtbot, printout) -> None:
    window.open_path(printout, background=False)
    record = window.record
    assert record is not None and record.digitisation is not None
    assert record.n_leads == 12 and window.paper.traces
    assert window.scan_dock.isVisible()
    assert f"{record.digitisation.score:.2f}" in window.scan_dock.summary.text()
    window.scan_dock.show_scan()
    view = window.scan_dock.view
    assert view is not None and view.result.traces  # the traced lines drawn over the page
    # correcting the calibration digitises again and replaces the record in the window
    with qtbot.waitSignal(window.record_shown, timeout=20_000):
        view.redigitise()
    assert window.record is not record and window.record.digitisation is not None
