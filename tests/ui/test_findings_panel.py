"""The findings dock shows the triage label, the device's measurements beside ours and its
statements against our flags (real widgets, offscreen)."""

from __future__ import annotations

import dataclasses

import numpy as np

from rules.analysis import analyze
from tests.rules.synthetic import Spec, build
from workstation.core.record import DeviceMeasurement, DeviceReport, ECGRecord
from workstation.ui.findings_panel import FindingsPanel


def test_device_values_and_statements_are_shown(qtbot):
    record, d = build(Spec())
    report = DeviceReport("device", (DeviceMeasurement("QRS", 60.0, "ms"),
                                     DeviceMeasurement("PR", 161.0, "ms")),
                          ("Sinus rhythm", ">>> Acute MI <<<"))
    a = analyze(dataclasses.replace(record, device_report=report), d)
    panel = FindingsPanel()
    qtbot.addWidget(panel)
    panel.show_analysis(a)
    # beside the device's column the leads go under each measurement's name
    assert panel.table.isColumnHidden(2) and not panel.table.isColumnHidden(3)
    rows = {panel.table.item(r, 0).text().split("\n")[0]: r for r in range(panel.table.rowCount())}
    leads = panel.table.item(rows["QRS"], 2).text()
    assert leads and panel.table.item(rows["QRS"], 0).text() == f"QRS\n{leads}"
    qrs = panel.table.item(rows["QRS"], 3)
    assert qrs.text().startswith("60 ms (+") and "beyond" in qrs.toolTip()
    assert panel.table.item(rows["PR"], 3).text() == "161 ms (-1)"
    statements = [panel.device.item(i).text() for i in range(panel.device.count())]
    assert any("Acute MI" in t and "critical" in t for t in statements)
    assert "Acute" in panel.headline.text()


def test_an_unreadable_record_says_repeat(qtbot):
    record, d = build(Spec())
    x = np.asarray(record.signals, float)
    x[1:] = 0.0
    flat = ECGRecord.from_array(x.astype(np.float32), record.fs, record.leads, record.source)
    panel = FindingsPanel()
    qtbot.addWidget(panel)
    panel.show_analysis(analyze(flat, d))
    assert "Unreadable: repeat the ECG" in panel.headline.text()
    assert panel.device.isHidden() and panel.table.isColumnHidden(3)
