"""Synthetic prints of the bundled LUDB record 1, rendered once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from workstation.core.record import ECGRecord
from workstation.io import read_ecg
from workstation.scan.synth import Print, degrade, render

LUDB_1 = Path(__file__).resolve().parents[1] / "data" / "ludb" / "1.hea"


@pytest.fixture(scope="session")
def ludb_record() -> ECGRecord:
    return read_ecg(LUDB_1)


@pytest.fixture(scope="session")
def clean_print(ludb_record: ECGRecord) -> Print:
    return render(ludb_record, dpi=200, style="pink")


@pytest.fixture(scope="session")
def photo_print(clean_print: Print) -> Print:
    return degrade(clean_print, "photo", seed=3)
