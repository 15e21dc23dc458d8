"""Cases the export tests share: the bundled sample delineated by the shipped model (once),
and the same record with patient details, a signed reviewer and awkward characters."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from resources import sample_ecg_path
from workstation.delivery.case import Case, Reviewer, build_case, case_from_file


@pytest.fixture(scope="session")
def sample_case() -> Case:
    return case_from_file(sample_ecg_path())


@pytest.fixture(scope="session")
def signed_case(sample_case: Case) -> Case:
    """The sample with a named patient and a signed reviewer whose name needs escaping."""
    record = sample_case.record
    patient = dataclasses.replace(record.patient, patient_id="MRN|0042", name="Doe^John & Co",
                                  birth_date="1950-02-03", sex="F", age_years=76.0)
    acquisition = dataclasses.replace(record.acquisition, time=dt.datetime(2026, 3, 4, 5, 6, 7))
    record = dataclasses.replace(record, patient=patient, acquisition=acquisition)
    return build_case(record, sample_case.delineation,
                      reviewer=Reviewer("Dr Ana Ruiz~Lopez\\", "adjudicator", True,
                                        "2026-03-04T06:00:00Z"))
