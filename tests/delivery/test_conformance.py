"""Every export checked by the field's own validators and read back.

``dciodvfy`` (dicom3tools) for DICOM, the official HL7 FHIR validator where its jar is
installed plus fhirkit (R4 4.0.1) and fhir.resources (R4B) for FHIR, hl7apy's strict 2.5
validation and table 0078 for HL7 v2, and a read back of each export (samples within the
quantisation, boundaries, measurements). A validator that is not installed skips its test
with the reason; the others still run. The shared-data test covers every record and device
file of ../shared/data and skips where that folder is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pydicom
import pytest

from tests.conftest import SHARED_DATA
from tests.delivery.shared_files import shared_ecg_files
from workstation.core.record import ECGRecord, Lead, SourceInfo
from workstation.delivery import conformance
from workstation.delivery.case import Case, build_case, case_from_file
from workstation.delivery.codes import PRIVATE_CODES, private_code_table
from workstation.delivery.dicom_export import GENERAL_ECG, TWELVE_LEAD_ECG, write_dicom
from workstation.delivery.fhir import write_fhir

#: dciodvfy warnings that stay, each explained in dicom_export's docstring.
EXPLAINED_DICOM_WARNINGS = (
    r"Missing attribute or value that would be needed to build DICOMDIR - (Patient ID|Study ID)",
    r"Unrecognized defined term <99ECGWS> for value 1 of attribute <Coding Scheme Designator>",
)


@pytest.fixture(scope="module", autouse=True)
def fhir_schema() -> str:
    """HL7's FHIR R4 JSON Schema in the user cache (fetched with npm once), or why not."""
    return conformance.fetch_fhir_schema()


def _problems(verdicts: dict[str, list[conformance.Verdict]]) -> list[str]:
    return [f"{fmt}: {v.validator}: {e}" for fmt, vs in verdicts.items() for v in vs
            for e in v.errors]


def _unexplained(verdict: conformance.Verdict) -> list[str]:
    return [w for w in verdict.warnings
            if not any(re.search(p, w) for p in EXPLAINED_DICOM_WARNINGS)]


def _require(verdict: conformance.Verdict) -> conformance.Verdict:
    if not verdict.available:
        pytest.skip(f"{verdict.validator} not available: {verdict.reason}")
    return verdict


@pytest.fixture(scope="module")
def sample_checks(sample_case: Case, tmp_path_factory) -> dict[str, list[conformance.Verdict]]:
    return conformance.check_exports(sample_case, tmp_path_factory.mktemp("conformance"))


def test_every_available_validator_passes_the_sample(sample_checks) -> None:
    assert _problems(sample_checks) == []
    assert all(v.passed for vs in sample_checks.values() for v in vs if v.available)


def test_dciodvfy_finds_no_error_in_the_12_lead_export(sample_case: Case, tmp_path) -> None:
    path = write_dicom(sample_case, tmp_path / "ecg.dcm")
    verdict = _require(conformance.dciodvfy(path))
    assert verdict.errors == ()
    assert _unexplained(verdict) == []


def test_dciodvfy_finds_no_error_in_the_signed_export(signed_case: Case, tmp_path) -> None:
    verdict = _require(conformance.dciodvfy(write_dicom(signed_case, tmp_path / "signed.dcm")))
    assert verdict.errors == ()
    assert _unexplained(verdict) == []  # with a patient id, no DICOMDIR warning for it
    assert not any("Patient ID" in w for w in verdict.warnings)


def test_dciodvfy_finds_no_error_in_a_general_ecg(tmp_path) -> None:
    t = np.arange(3000) / 250.0
    signals = np.vstack([np.sin(2 * np.pi * t), 0.5 * np.cos(2 * np.pi * t)]).astype(np.float32)
    signals[1, 100:120] = np.nan  # a gap: the padding value
    record = ECGRecord.from_array(signals, 250.0, [Lead("MLII"), Lead("V5")],
                                  SourceInfo(tmp_path / "holter.dat", "test"))
    case = build_case(record, None)
    checks = conformance.check_exports(case, tmp_path)
    assert _problems(checks) == []
    assert pydicom.dcmread(next(tmp_path.glob("*.dcm"))).SOPClassUID == GENERAL_ECG
    verdict = _require(checks["dicom"][0])
    assert _unexplained(verdict) == []
    assert any("99ECGWS" in w for w in verdict.warnings)  # MLII: no SCP-ECG lead code


def test_dciodvfy_reports_a_broken_file(sample_case: Case, tmp_path) -> None:
    """The validator is really consulted: a dataset without its Modality is an error."""
    from workstation.delivery.dicom_export import to_dicom

    ds = to_dicom(sample_case)
    del ds.Modality
    ds.save_as(tmp_path / "broken.dcm", enforce_file_format=True)
    verdict = _require(conformance.dciodvfy(tmp_path / "broken.dcm"))
    assert any("Modality" in e for e in verdict.errors)


def test_fhir_validates_as_r4(sample_case: Case, tmp_path) -> None:
    data = write_fhir(sample_case, tmp_path / "ecg.json")
    verdict = _require(conformance.fhirkit_r4(json.loads(data.read_text())))
    assert verdict.errors == ()
    broken = {"resourceType": "Observation", "code": {"text": "x"}, "valueString": "a",
              "valueBoolean": True}
    assert len(_require(conformance.fhirkit_r4(broken)).errors) >= 2  # status, value[x]


def test_fhir_passes_hl7s_r4_json_schema(sample_case: Case, signed_case: Case, tmp_path,
                                        fhir_schema: str) -> None:
    for case in (sample_case, signed_case):
        data = json.loads(write_fhir(case, tmp_path / "ecg.json").read_text())
        verdict = conformance.fhir_r4_json_schema(data)
        if not verdict.available:
            pytest.skip(f"{verdict.validator} not available: {verdict.reason}; {fhir_schema}")
        assert verdict.errors == ()
    data["status"] = "signed"  # not in the R4 ObservationStatus code set
    assert any("status" in e for e in conformance.fhir_r4_json_schema(data).errors)


def test_fhir_passes_the_official_hl7_validator(sample_case: Case, tmp_path) -> None:
    fetched = conformance.fetch_fhir_validator()
    verdict = conformance.hl7_fhir_validator(write_fhir(sample_case, tmp_path / "e.json"))
    if not verdict.available:
        pytest.skip(f"{verdict.validator} not available: {verdict.reason}; {fetched}")
    assert verdict.errors == ()


def test_hl7v2_checks_reject_a_code_outside_table_0078(sample_case: Case) -> None:
    from workstation.delivery.hl7v2 import to_hl7v2

    text = to_hl7v2(sample_case)
    assert _require(conformance.hl7v2_strict(text)).errors == ()
    segments = text.split("\r")
    first = next(i for i, seg in enumerate(segments) if seg.startswith("OBX|1|NM|"))
    fields = segments[first].split("|")
    fields[8] = "XX"  # OBX-8
    segments[first] = "|".join(fields)
    broken = "\r".join(segments)
    assert any("table 0078" in e for e in conformance.hl7v2_strict(broken).errors)


def test_every_private_code_has_a_reason_listed_in_the_readme() -> None:
    assert all(len(reason) > 20 for reason in PRIVATE_CODES.values())
    assert private_code_table().count("\n") == len(PRIVATE_CODES) + 1
    readme = Path(conformance.__file__).with_name("README.md").read_text(encoding="utf-8")
    assert private_code_table() in readme


_FILES = shared_ecg_files(SHARED_DATA)


@pytest.mark.skipif(not _FILES, reason=f"needs the shared ECG data folder ({SHARED_DATA})")
@pytest.mark.parametrize("path", _FILES, ids=lambda p: str(p.relative_to(SHARED_DATA)))
def test_every_export_of_every_shared_file_passes(path: Path, tmp_path) -> None:
    case = case_from_file(path)
    checks = conformance.check_exports(case, tmp_path)
    assert _problems(checks) == []
    dicom = checks["dicom"][0]
    if dicom.available:
        assert _unexplained(dicom) == []
    sop = pydicom.dcmread(next(tmp_path.glob("*.dcm"))).SOPClassUID
    assert sop in (TWELVE_LEAD_ECG, GENERAL_ECG)
