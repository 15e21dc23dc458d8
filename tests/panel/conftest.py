"""Fixtures for the panel tests: a real file keyring, stores in tmp_path, LUDB records."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.conftest import file_keyring  # noqa: F401  (autouse: never the OS keyring)
from tests.store.conftest import synthetic_delineation, synthetic_record  # noqa: F401

#: LUDB test-split records scored by the agreement-vs-evaluate test.
LUDB_RECORDS = ("5", "10", "15")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "panel.ecgws"
