"""Shared fixtures. Tests that need ../shared/data skip with a reason when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ECGWS_SHARED_DATA", ROOT.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "data"


def shared_path(*parts: str) -> Path:
    """A path under the shared data folder; skips the calling test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the shared ECG data folder is not present in this checkout)")
    return path


@pytest.fixture
def formats_dir() -> Path:
    return shared_path("formats")


@pytest.fixture
def ludb_dir() -> Path:
    return shared_path("ludb")


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
