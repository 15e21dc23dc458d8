"""The FHIR ECG Observation re-read and validated by fhir.resources (pydantic FHIR models).

fhir.resources ships R4B (4.3) models and no 4.0.1 ones; every element used here (Observation,
component, interpretation, SampledData, Quantity, contained) is unchanged between R4 and R4B.
The R4 (4.0.1) checks are in test_conformance.py.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from fhir.resources.R4B.observation import Observation

from workstation.core.record import DeviceMeasurement, DeviceReport, ECGRecord, Lead, SourceInfo
from workstation.delivery.case import Case, build_case
from workstation.delivery.codes import (
    LOCAL_SYSTEM,
    LOINC_SYSTEM,
    MDC_SYSTEM,
    SNOMED_SYSTEM,
    finding_code,
    reported_values,
)
from workstation.delivery.fhir import to_fhir, write_fhir


@pytest.fixture(scope="module")
def observation(sample_case: Case, tmp_path_factory) -> Observation:
    path = write_fhir(sample_case, tmp_path_factory.mktemp("fhir") / "ecg.json")
    return Observation.model_validate_json(path.read_text(encoding="utf-8"))


def test_observation_validates_as_an_ecg_study(observation: Observation) -> None:
    assert observation.status == "preliminary"
    assert observation.code.coding[0].system == LOINC_SYSTEM
    assert observation.code.coding[0].code == "11524-6"
    assert "clinician review required" in " ".join(n.text for n in observation.note)


def test_measurements_are_components_with_loinc_and_ucum(sample_case: Case,
                                                         observation: Observation) -> None:
    by_code = {c.code.coding[0].code: c for c in observation.component
               if c.code.coding[0].system == LOINC_SYSTEM}
    for value in reported_values(sample_case.analysis):
        quantity = by_code[value.code.loinc].valueQuantity
        assert float(quantity.value) == float(value.text)  # at the measurement's precision
        assert quantity.code == value.code.ucum


def test_flags_are_coded_findings_with_lead_wise_reasons(sample_case: Case,
                                                         observation: Observation) -> None:
    flags = sample_case.analysis.flags
    findings = [c for c in observation.component if c.code.coding[0].code == "8601-7"]
    assert len(findings) == len(flags) >= 1
    for component, flag in zip(findings, flags):
        coding = component.valueCodeableConcept.coding
        code = finding_code(flag)
        if code is not None:
            assert (coding[0].system, coding[0].code) == (SNOMED_SYSTEM, code.snomed)
        assert (coding[-1].system, coding[-1].code) == (LOCAL_SYSTEM, flag.id.value)
        assert component.interpretation[0].coding[0].code in ("A", "AA")
        assert flag.reason in component.valueCodeableConcept.text
    assert observation.interpretation[0].coding[0].code in ("A", "AA")


def test_waveform_sampled_data_reproduces_every_lead(sample_case: Case,
                                                     observation: Observation) -> None:
    waves = [c for c in observation.component if c.valueSampledData is not None]
    record = sample_case.record
    assert [c.code.coding[0].code for c in waves][:2] == ["131329", "131330"]  # leads I, II
    assert all(c.code.coding[0].system == MDC_SYSTEM for c in waves)
    assert len(waves) == record.n_leads
    for index, component in enumerate(waves):
        data = component.valueSampledData
        assert float(data.period) == pytest.approx(1000.0 / record.fs)
        signal = float(data.origin.value) + float(data.factor) * np.array(data.data.split(), float)
        assert np.max(np.abs(signal - record.signals[index])) <= 0.0005 + 1e-9


def test_signed_case_is_final_with_subject_and_performer(signed_case: Case) -> None:
    data = to_fhir(signed_case, waveform=False)
    observation = Observation.model_validate(data)
    assert observation.status == "final"
    assert observation.subject.identifier.value == "MRN|0042"
    assert "Dr Ana Ruiz" in observation.performer[0].display
    assert observation.effectiveDateTime.isoformat().startswith("2026-03-04T05:06:07")
    assert not any(c.valueSampledData for c in observation.component)
    json.dumps(data)  # plain JSON types only


def test_the_devices_measurements_travel_beside_ours(sample_case: Case) -> None:
    device = DeviceReport(program="GE 12SL", measurements=(
        DeviceMeasurement("QRS", 88.0, "ms"), DeviceMeasurement("QTc", 431.0, "ms"),
        DeviceMeasurement("Ventricular rate", 71.0, "bpm")))
    record = dataclasses.replace(sample_case.record, device_report=device)
    case = build_case(record, sample_case.delineation)
    data = to_fhir(case, waveform=False)
    observation = Observation.model_validate(data)
    contained = observation.contained[0]
    assert observation.hasMember[0].reference == f"#{contained.id}"
    assert contained.device.display == "GE 12SL"
    values = {c.code.coding[0].code: float(c.valueQuantity.value) for c in contained.component}
    assert values == {"8633-0": 88.0, "8636-3": 431.0, "8867-4": 71.0}
    ours = {c.code.coding[0].code: c for c in observation.component
            if c.code.coding[0].system == LOINC_SYSTEM and c.valueQuantity is not None}
    assert "8633-0" in ours  # ours beside the device's
    notes = [c.valueString for c in observation.component if c.valueString]
    assert any(n.startswith("Beside the device: QRS") for n in notes)


def test_a_gap_is_written_as_no_valid_value(tmp_path) -> None:
    signals = np.zeros((1, 500), np.float32)
    signals[0, 100:103] = np.nan
    record = ECGRecord.from_array(signals, 500.0, [Lead("II")], SourceInfo(tmp_path / "g", "test"))
    data = to_fhir(build_case(record, None))
    sampled = next(c for c in data["component"] if "valueSampledData" in c)
    values = sampled["valueSampledData"]["data"].split()
    assert values[99:104] == ["0", "E", "E", "E", "0"]
    Observation.model_validate(data)
