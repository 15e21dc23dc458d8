"""HL7 v2.5 ORU^R01 re-read by hl7apy with strict validation against the 2.5 message structure."""

from __future__ import annotations

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from rules.types import QtcFormula
from workstation.delivery.case import Case
from workstation.delivery.codes import finding_code, reported_values
from workstation.delivery.conformance import TABLE_0078
from workstation.delivery.hl7v2 import escape, to_hl7v2, write_hl7v2


def _parse(text: str):
    message = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    assert message.validate()
    return message


def _observations(message):
    order = message.oru_r01_patient_result.oru_r01_order_observation
    return order, list(order.oru_r01_observation)


def test_message_is_a_valid_oru_r01(sample_case: Case) -> None:
    message = _parse(to_hl7v2(sample_case))
    assert message.msh.msh_9.to_er7() == "ORU^R01^ORU_R01"
    assert message.msh.msh_12.to_er7() == "2.5"
    assert message.msh.msh_18.to_er7() == "UNICODE UTF-8"
    order, _ = _observations(message)
    assert order.obr.obr_4.to_er7() == "11524-6^EKG study^LN"
    assert order.obr.obr_25.to_er7() == "P"  # not signed: preliminary


def test_measurements_are_loinc_coded_with_their_values(sample_case: Case) -> None:
    _, observations = _observations(_parse(to_hl7v2(sample_case)))
    numeric = {o.obx.obx_3.obx_3_1.to_er7(): o.obx for o in observations
               if o.obx.obx_2.to_er7() == "NM" and o.obx.obx_3.obx_3_3.to_er7() == "LN"}
    expected = reported_values(sample_case.analysis)
    assert len(numeric) == len(expected) >= 6
    for value in expected:
        obx = numeric[value.code.loinc]
        assert obx.obx_2.to_er7() == "NM"
        assert obx.obx_5.to_er7() == value.text  # at the measurement's precision
        assert float(obx.obx_5.to_er7()) == pytest.approx(value.value, abs=0.5)
        assert obx.obx_6.obx_6_1.to_er7() == value.code.ucum
        assert obx.obx_11.to_er7() == "P"
    qtc = {QtcFormula.BAZETT: "76635-2", QtcFormula.FRIDERICIA: "76634-5"}.get(
        sample_case.analysis.measurements.qtc_formula, "8636-3")
    assert qtc in numeric and "8634-8" in numeric and "8867-4" in numeric


def test_every_flag_is_an_obx_with_interpretation_and_its_reason(sample_case: Case) -> None:
    _, observations = _observations(_parse(to_hl7v2(sample_case)))
    flags = [o for o in observations if o.obx.obx_3.obx_3_1.to_er7() == "8601-7"]
    assert len(flags) == len(sample_case.analysis.flags) >= 1
    for observation, flag in zip(flags, sample_case.analysis.flags):
        value = observation.obx.obx_5
        code = finding_code(flag)
        if code is None:
            assert value.obx_5_1.to_er7() == flag.id.value
            assert value.obx_5_3.to_er7() == "99ECGWS"
        else:  # the SNOMED CT finding, the local id as the alternate code
            assert (value.obx_5_1.to_er7(), value.obx_5_3.to_er7()) == (code.snomed, "SCT")
            assert (value.obx_5_4.to_er7(), value.obx_5_6.to_er7()) == (flag.id.value, "99ECGWS")
        assert observation.obx.obx_8.to_er7() in ("A", "AA")
        note = observation.nte.nte_3.to_er7()
        assert flag.severity.value in note
    triage = next(o for o in observations if o.obx.obx_3.obx_3_1.to_er7() == "TRIAGE")
    assert triage.obx.obx_5.obx_5_1.to_er7() == sample_case.analysis.routing.triage.value


def test_signed_case_is_final_and_awkward_text_survives(signed_case: Case, tmp_path) -> None:
    path = write_hl7v2(signed_case, tmp_path / "result.hl7")
    message = _parse(path.read_bytes().decode("utf-8"))
    order, observations = _observations(message)
    assert order.obr.obr_25.to_er7() == "F"
    assert all(o.obx.obx_11.to_er7() == "F" for o in observations)
    pid = message.oru_r01_patient_result.oru_r01_patient.pid
    assert pid.pid_3.pid_3_1.to_er7() == escape("MRN|0042")  # still escaped in ER7
    assert pid.pid_7.to_er7() == "19500203" and pid.pid_8.to_er7() == "F"
    assert order.obr.obr_32.to_er7() == escape("Dr Ana Ruiz~Lopez\\")
    assert order.obr.obr_7.to_er7() == "20260304050607"


def test_abnormal_flags_are_from_table_0078(sample_case: Case, signed_case: Case) -> None:
    for case in (sample_case, signed_case):
        _, observations = _observations(_parse(to_hl7v2(case)))
        flags = {o.obx.obx_8.to_er7() for o in observations} - {""}
        assert flags and flags <= TABLE_0078


def test_escape_covers_every_delimiter() -> None:
    assert escape("a|b^c&d~e\\f\r\ng") == "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f g"


def test_values_carry_the_precision_of_the_measurement(sample_case: Case) -> None:
    """HR 60, not 59.947: whole bpm, ms and degrees, as the device prints them."""
    _, observations = _observations(_parse(to_hl7v2(sample_case)))
    numeric = [o.obx.obx_5.to_er7() for o in observations
               if o.obx.obx_2.to_er7() == "NM" and o.obx.obx_3.obx_3_3.to_er7() == "LN"]
    assert numeric and all(value.lstrip("-").isdigit() for value in numeric)


def test_reported_precision_rounds_half_away_from_zero() -> None:
    from workstation.delivery.codes import reported_precision

    assert [reported_precision(v) for v in (59.947, 59.5, 412.49, -30.5, 0.4)] == [60.0, 60.0, 412.0, -31.0, 0.0]
