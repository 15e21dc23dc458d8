"""The aECG re-read by a plain XML parser (structure) and by our aECG reader (content)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from workstation.core.delineation import waves_from_marks
from workstation.core.record import ECGRecord, Lead, SourceInfo
from workstation.delivery.aecg_export import HL7_NS, write_aecg
from workstation.delivery.case import Case, build_case
from workstation.io import read_ecg

NS = {"v3": HL7_NS}


@pytest.fixture(scope="module")
def written(sample_case: Case, tmp_path_factory):
    return write_aecg(sample_case, tmp_path_factory.mktemp("aecg") / "ecg.xml")


def test_xml_structure(sample_case: Case, written) -> None:
    root = ET.parse(written).getroot()
    assert root.tag == f"{{{HL7_NS}}}AnnotatedECG"
    series = root.find("v3:component/v3:series", NS)
    assert series.find("v3:code", NS).get("code") == "RHYTHM"
    sequences = series.findall("v3:component/v3:sequenceSet/v3:component/v3:sequence", NS)
    assert len(sequences) == 1 + sample_case.record.n_leads
    codes = [s.find("v3:code", NS).get("code") for s in sequences]
    assert codes[:3] == ["TIME_RELATIVE", "MDC_ECG_LEAD_I", "MDC_ECG_LEAD_II"]
    assert "MDC_ECG_LEAD_AVR" in codes


def test_our_reader_gets_signal_measurements_and_statements(sample_case: Case, written) -> None:
    back = read_ecg(written)
    record = sample_case.record
    assert back.source.format == "HL7 aECG"
    assert back.lead_names == record.lead_names and back.fs == pytest.approx(record.fs)
    np.testing.assert_allclose(back.signals, record.signals, atol=0.0005 + 1e-6)
    qt = back.device_report.measurement("QT")
    assert qt is not None and qt.unit == "ms"
    assert qt.value == round(sample_case.analysis.measurements.intervals.qt_ms.value)
    statements = " ".join(back.device_report.statements)
    assert all(flag.reason in statements for flag in sample_case.analysis.flags)


def test_delineation_round_trips_wave_by_wave(sample_case: Case, written) -> None:
    back = read_ecg(written)
    waves = []
    for lead in back.lead_names:
        marks = sorted((a.sample, a.symbol) for a in back.annotations if a.lead == lead)
        waves += waves_from_marks(lead, [m[0] for m in marks], [m[1] for m in marks])
    got = sorted((w.lead, w.kind.value, w.onset, w.peak, w.offset) for w in waves)
    want = sorted((w.lead, w.kind.value, w.onset, w.peak, w.offset)
                  for w in sample_case.delineation.waves)
    assert len(want) > 100
    assert got == want


def test_gaps_are_refused_not_written_as_zero(tmp_path) -> None:
    signals = np.zeros((1, 500), np.float32)
    signals[0, 100:120] = np.nan
    record = ECGRecord.from_array(signals, 500.0, [Lead("II")], SourceInfo(tmp_path / "g", "test"))
    with pytest.raises(ValueError, match="gaps"):
        write_aecg(build_case(record, None), tmp_path / "g.xml")
