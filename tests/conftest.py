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


@pytest.fixture(autouse=True)
def private_user_files(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's own preferences, annotation store or key file.

    Windows made without an explicit store use ``$ECGWS_STORE``; Qt's preferences of the
    whole test run live in a temporary folder.
    """
    home = tmp_path_factory.getbasetemp() / "user-files"
    monkeypatch.setenv("ECGWS_STORE", str(home / "annotations.sqlite"))
    # the key file of signing secrets, used where no keyring is set: never the user's, never unlocked
    monkeypatch.setenv("ECGWS_KEY_FILE", str(home / "signing-keys.json"))
    for name in ("ECGWS_PASSPHRASE", "ECGWS_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    try:
        from PySide6 import QtCore
    except ImportError:  # pragma: no cover - Qt is a dependency; be safe for partial installs
        return
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(home / "settings"))
